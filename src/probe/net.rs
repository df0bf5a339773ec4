//! TCP and TLS of our own (so each is timed, and the chain the server sent
//! is kept even when verification fails), and HTTP/1.1 over them with hyper.
//! Connection tasks abort when their owner drops: a cancelled probe leaves
//! nothing running.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::domain::probe::{CertInfo, TcpAttempt, TcpOutcome, TlsFailure};

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// RFC 8305's Connection Attempt Delay: how long an attempt has alone
/// before the next address is dialled too.
pub const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// What the TCP step found.
pub struct Dialled {
    pub outcome: TcpOutcome,
    /// The address that connected, or the one whose failure is `outcome`.
    pub addr: Option<SocketAddr>,
    pub stream: Option<TcpStream>,
    pub detail: String,
    /// Every address dialled, in the order they were started.
    pub attempts: Vec<TcpAttempt>,
}

/// Connects as Happy Eyeballs does (RFC 8305): the addresses in the
/// resolver's order with the families interleaved, a new attempt every
/// [`ATTEMPT_DELAY`] or as soon as the previous one fails, the first to
/// connect wins and the others are dropped; all within `timeout`. An
/// address that drops packets does not take the whole budget from the
/// next one (a broken IPv6 path, one dead A record).
pub async fn connect(addrs: &[IpAddr], port: u16, timeout: Duration) -> Dialled {
    use futures::StreamExt as _;
    use futures::stream::FuturesUnordered;
    use tokio::time::Instant;

    let started = Instant::now();
    let deadline = started + timeout;
    let order = interleave(addrs);
    let ms = |at: Instant| at.duration_since(started).as_millis() as u64;
    let mut attempts: Vec<TcpAttempt> = Vec::with_capacity(order.len());
    let mut ended = vec![false; order.len()];
    let mut racing = FuturesUnordered::new();
    let mut next = 0;
    let mut next_at = started;
    loop {
        let now = Instant::now();
        if next < order.len() && (racing.is_empty() || now >= next_at) && now < deadline {
            let (i, addr) = (next, SocketAddr::new(order[next], port));
            racing.push(async move { (i, TcpStream::connect(addr).await) });
            attempts.push(TcpAttempt {
                addr,
                outcome: TcpOutcome::Timeout,
                ms: 0,
                detail: String::new(),
            });
            next += 1;
            next_at = now + ATTEMPT_DELAY;
            continue;
        }
        if racing.is_empty() {
            break;
        }
        let wake = if next < order.len() {
            next_at.min(deadline)
        } else {
            deadline
        };
        tokio::select! {
            Some((i, res)) = racing.next() => {
                let at = Instant::now();
                ended[i] = true;
                match res {
                    Ok(stream) => return won(attempts, &ended, i, ms(at), stream),
                    Err(e) => {
                        refused_or_failed(&mut attempts[i], &e, ms(at));
                        // A failure starts the next attempt at once (RFC 8305, 5).
                        next_at = at;
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => {
                if Instant::now() >= deadline {
                    break;
                }
            }
        }
    }
    none_connected(attempts, &ended, timeout)
}

/// The attempt `i` connected after `at_ms`: the others, still silent, are
/// given up.
fn won(
    mut attempts: Vec<TcpAttempt>,
    ended: &[bool],
    i: usize,
    at_ms: u64,
    stream: TcpStream,
) -> Dialled {
    let _ = stream.set_nodelay(true);
    let addr = attempts[i].addr;
    attempts[i].outcome = TcpOutcome::Connected;
    attempts[i].ms = at_ms;
    attempts[i].detail = format!("connected to {addr}");
    for (j, a) in attempts.iter_mut().enumerate() {
        if !ended[j] {
            a.ms = at_ms;
            a.detail = format!("{}: no answer in {} ms", a.addr, a.ms);
        }
    }
    let others: Vec<&str> = attempts
        .iter()
        .filter(|a| a.outcome != TcpOutcome::Connected)
        .map(|a| a.detail.as_str())
        .collect();
    let mut detail = format!("connected to {addr}");
    if !others.is_empty() {
        detail.push_str(&format!(
            " (addresses raced {} ms apart; {})",
            ATTEMPT_DELAY.as_millis(),
            others.join("; ")
        ));
    }
    Dialled {
        outcome: TcpOutcome::Connected,
        addr: Some(addr),
        stream: Some(stream),
        detail,
        attempts,
    }
}

/// Attempt `a` failed with `e` after `at_ms`.
fn refused_or_failed(a: &mut TcpAttempt, e: &io::Error, at_ms: u64) {
    a.outcome = outcome_of(e);
    a.ms = at_ms;
    a.detail = match a.outcome {
        TcpOutcome::Refused => format!(
            "{}: connection refused (nothing listens on the port)",
            a.addr
        ),
        _ => format!("{}: {e}", a.addr),
    };
}

/// Every address failed, or the budget ended with some still silent: the
/// worst outcome stands for the step.
fn none_connected(mut attempts: Vec<TcpAttempt>, ended: &[bool], timeout: Duration) -> Dialled {
    for (j, a) in attempts.iter_mut().enumerate() {
        if !ended[j] {
            a.ms = timeout.as_millis() as u64;
            a.detail = format!("connect to {} timed out after {} ms", a.addr, a.ms);
        }
    }
    let worst = attempts
        .iter()
        .rev()
        .max_by_key(|a| a.outcome.weight())
        .map(|a| (a.outcome.clone(), a.addr));
    let (outcome, addr) = match worst {
        Some((o, a)) => (o, Some(a)),
        None => (TcpOutcome::Other, None),
    };
    let detail = if attempts.is_empty() {
        "no address to connect to".to_string()
    } else {
        attempts
            .iter()
            .map(|a| a.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Dialled {
        outcome,
        addr,
        stream: None,
        detail,
        attempts,
    }
}

fn outcome_of(e: &io::Error) -> TcpOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TcpOutcome::Refused,
        io::ErrorKind::TimedOut => TcpOutcome::Timeout,
        io::ErrorKind::ConnectionReset => TcpOutcome::Reset,
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => {
            TcpOutcome::Unreachable
        }
        _ => TcpOutcome::Other,
    }
}

/// The addresses with their families interleaved, the first address's
/// family first, each family in the resolver's order (RFC 8305, 4).
fn interleave(addrs: &[IpAddr]) -> Vec<IpAddr> {
    let Some(first) = addrs.first() else {
        return vec![];
    };
    let (mut same, mut other): (Vec<IpAddr>, Vec<IpAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first.is_ipv6());
    same.reverse();
    other.reverse();
    let mut out = Vec::with_capacity(addrs.len());
    while !same.is_empty() || !other.is_empty() {
        out.extend(same.pop());
        out.extend(other.pop());
    }
    out
}

/// A verifier that delegates to the platform's and keeps what was served.
#[derive(Debug)]
pub struct Recording {
    inner: Arc<dyn ServerCertVerifier>,
    pub chain: Arc<Mutex<Vec<CertificateDer<'static>>>>,
}

impl Recording {
    pub fn new(inner: Arc<dyn ServerCertVerifier>) -> Self {
        Recording {
            inner,
            chain: Arc::default(),
        }
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut c) = self.chain.lock() {
            c.clear();
            c.push(end_entity.clone().into_owned());
            c.extend(intermediates.iter().map(|i| i.clone().into_owned()));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The platform verifier (plus extra roots), ring as the provider.
pub fn platform_verifier(
    extra_roots: &[CertificateDer<'static>],
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let v = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots.iter().cloned(),
        provider,
    )
    .map_err(|e| format!("cannot load the platform's roots: {e}"))?;
    Ok(Arc::new(v))
}

/// Outcome of a TLS handshake.
pub struct TlsResult {
    pub stream: Option<Box<dyn Io>>,
    pub failure: Option<TlsFailure>,
    pub chain: Vec<CertInfo>,
    pub protocol: Option<String>,
}

/// TLS over `tcp` with full verification; the served chain is kept either way.
pub async fn handshake(
    tcp: TcpStream,
    server_name: &str,
    verifier: Arc<dyn ServerCertVerifier>,
    timeout: Duration,
) -> TlsResult {
    let recording = Arc::new(Recording::new(verifier));
    let chain = recording.chain.clone();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(b) => b
                .dangerous()
                .with_custom_certificate_verifier(recording)
                .with_no_client_auth(),
            Err(e) => {
                return TlsResult {
                    stream: None,
                    failure: Some(TlsFailure::Other(format!("TLS setup: {e}"))),
                    chain: vec![],
                    protocol: None,
                };
            }
        };
    let name = match ServerName::try_from(server_name.to_string()) {
        Ok(n) => n,
        Err(e) => {
            return TlsResult {
                stream: None,
                failure: Some(TlsFailure::Other(format!(
                    "invalid server name {server_name:?}: {e}"
                ))),
                chain: vec![],
                protocol: None,
            };
        }
    };
    let (recorder, first) = Recorder::new(tcp);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let res = tokio::time::timeout(timeout, connector.connect(name, recorder)).await;
    let served = || {
        chain
            .lock()
            .map(|c| c.iter().filter_map(|d| cert_info(d)).collect())
            .unwrap_or_default()
    };
    match res {
        Err(_) => TlsResult {
            stream: None,
            failure: Some(TlsFailure::Timeout),
            chain: served(),
            protocol: None,
        },
        Ok(Ok(tls)) => {
            let protocol = tls
                .get_ref()
                .1
                .protocol_version()
                .map(|v| format!("{v:?}").replace('_', "."));
            TlsResult {
                stream: Some(Box::new(tls)),
                failure: None,
                chain: served(),
                protocol,
            }
        }
        Ok(Err(e)) => {
            let seen = first.lock().map(|b| b.clone()).unwrap_or_default();
            let chain = served();
            let failure = tls_failure(&e, &seen, &chain);
            TlsResult {
                stream: None,
                failure: Some(failure),
                chain,
                protocol: None,
            }
        }
    }
}

/// The words of a handshake the other end closed (through a proxy: the
/// tunnel closed).
pub const CLOSED_IN_HANDSHAKE: &str = "the server closed the connection during the handshake";

fn tls_failure(e: &io::Error, first_bytes: &[u8], chain: &[CertInfo]) -> TlsFailure {
    if first_bytes.starts_with(b"HTTP/") {
        return TlsFailure::PlainHttp;
    }
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => {
                if chain.len() == 1 && chain[0].self_signed() {
                    TlsFailure::SelfSigned
                } else {
                    TlsFailure::UnknownAuthority
                }
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::Hostname
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsFailure::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsFailure::NotYetValid
            }
            other => TlsFailure::Other(format!("invalid certificate: {other:?}")),
        },
        Some(other) => TlsFailure::Other(other.to_string()),
        None if e.kind() == io::ErrorKind::UnexpectedEof => {
            TlsFailure::Other(CLOSED_IN_HANDSHAKE.into())
        }
        None => TlsFailure::Other(e.to_string()),
    }
}

/// Subject, issuer, SANs and validity of one DER certificate.
pub fn cert_info(der: &[u8]) -> Option<CertInfo> {
    use x509_parser::prelude::*;
    let (_, cert) = parse_x509_certificate(der).ok()?;
    let mut sans = vec![];
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*b).ok().map(IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        sans.push(format!("IP:{ip}"));
                    }
                }
                _ => {}
            }
        }
    }
    let v = cert.validity();
    let date = |t: &ASN1Time| {
        let d = t.to_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    };
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: date(&v.not_before),
        not_after: date(&v.not_after),
    })
}

/// Keeps the first bytes the server sent (to recognise plain HTTP).
struct Recorder {
    inner: TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Recorder {
    fn new(inner: TcpStream) -> (Self, Arc<Mutex<Vec<u8>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (
            Recorder {
                inner,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r
            && let Ok(mut seen) = self.seen.lock()
            && seen.len() < 16
        {
            let new = &buf.filled()[before..];
            let take = new.len().min(16 - seen.len());
            seen.extend_from_slice(&new[..take]);
        }
        r
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An HTTP/1.1 connection (its driver task dies with it).
pub struct Http {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    _driver: AbortOnDrop,
    /// `host[:port]` for the Host header.
    pub authority: String,
    pub https: bool,
    /// Through an HTTP proxy (plain HTTP): the request target's prefix
    /// (`http://host:port`) and the proxy's `Proxy-Authorization`.
    proxy_form: Option<(String, Option<crate::domain::redact::Redacted>)>,
}

/// A response, body read (bounded) unless it was a HEAD.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The largest body we read (an index or an error document).
const MAX_BODY: usize = 1 << 20;

impl Http {
    pub async fn new(io: Box<dyn Io>, authority: String, https: bool) -> Result<Http, String> {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Http {
            sender,
            _driver: AbortOnDrop(driver),
            authority,
            https,
            proxy_form: None,
        })
    }

    /// Requests go to an HTTP proxy in absolute form (plain HTTP only: an
    /// HTTPS registry is reached through a `CONNECT` tunnel instead).
    pub fn through_proxy(&mut self, authorization: Option<crate::domain::redact::Redacted>) {
        self.proxy_form = Some((format!("http://{}", self.authority), authorization));
    }

    /// One request; `headers` are added as given.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<Response, String> {
        let resp = self.send(method, path, headers).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = if method == "HEAD" {
            Bytes::new()
        } else {
            let limited = http_body_util::Limited::new(resp.into_body(), MAX_BODY);
            limited
                .collect()
                .await
                .map_err(|e| format!("reading the body: {e}"))?
                .to_bytes()
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// One request, its body left unread (the caller reads what it needs).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<http::Response<hyper::body::Incoming>, String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection closed: {e}"))?;
        let uri = match &self.proxy_form {
            Some((prefix, _)) => format!("{prefix}{path}"),
            None => path.to_string(),
        };
        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("Host", &self.authority)
            .header(
                "User-Agent",
                concat!("pulltui/", env!("CARGO_PKG_VERSION"), " (probe)"),
            );
        if let Some((_, Some(a))) = &self.proxy_form {
            req = req.header("Proxy-Authorization", a.expose());
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        self.sender.send_request(req).await.map_err(|e| {
            if e.is_parse() {
                format!("not an HTTP response ({e})")
            } else {
                e.to_string()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener on `ip` whose accept queue is full (never accepted): the
    /// kernel drops further SYNs, so a connect to it hangs, as to a host
    /// that drops packets (the harness's blackhole, scripts/harness_aux.py).
    /// Its connections are kept with it.
    async fn blackhole(ip: IpAddr) -> (tokio::net::TcpListener, Vec<TcpStream>, u16) {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.bind(SocketAddr::new(ip, 0)).expect("bind");
        let l = sock.listen(0).expect("listen");
        let addr = l.local_addr().expect("addr");
        let mut fillers = vec![];
        for _ in 0..8 {
            match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => fillers.push(s),
                _ => break,
            }
        }
        (l, fillers, addr.port())
    }

    #[test]
    fn families_are_interleaved_the_first_family_first() {
        let v = |s: &[&str]| {
            s.iter()
                .map(|a| a.parse().expect("ip"))
                .collect::<Vec<IpAddr>>()
        };
        assert_eq!(
            interleave(&v(&[
                "2001:db8::1",
                "2001:db8::2",
                "192.0.2.1",
                "192.0.2.2"
            ])),
            v(&["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2"])
        );
        assert_eq!(
            interleave(&v(&["192.0.2.1", "192.0.2.2", "2001:db8::1"])),
            v(&["192.0.2.1", "2001:db8::1", "192.0.2.2"])
        );
        assert!(interleave(&[]).is_empty());
    }

    /// Every address failing: each attempt is in the report, the silent
    /// one until the budget ends, and the step's outcome is the most
    /// telling one (the refusal).
    #[tokio::test]
    async fn when_every_address_fails_each_is_reported() {
        let silent: IpAddr = "127.0.0.2".parse().expect("ip");
        let closed: IpAddr = "127.0.0.1".parse().expect("ip");
        let mut found = None;
        for _ in 0..20 {
            let (l, fillers, port) = blackhole(silent).await;
            if answering(port).is_some() {
                // Bound then dropped: nothing listens there now.
                found = Some((l, fillers, port));
                break;
            }
        }
        let Some((_hole, _fillers, port)) = found else {
            panic!("no port free on both 127.0.0.2 and 127.0.0.1");
        };
        let d = connect(&[silent, closed], port, Duration::from_millis(1000)).await;
        assert_eq!(d.outcome, TcpOutcome::Refused, "{}", d.detail);
        assert!(d.stream.is_none());
        let outcomes: Vec<&TcpOutcome> = d.attempts.iter().map(|a| &a.outcome).collect();
        assert_eq!(outcomes, [&TcpOutcome::Timeout, &TcpOutcome::Refused]);
        assert!(
            d.detail.contains(&format!(
                "connect to 127.0.0.2:{port} timed out after 1000 ms"
            )) && d
                .detail
                .contains(&format!("127.0.0.1:{port}: connection refused")),
            "{}",
            d.detail
        );
    }

    /// A listener on 127.0.0.1 at `port`, accepting (and keeping) connections.
    fn answering(port: u16) -> Option<std::net::TcpListener> {
        std::net::TcpListener::bind(("127.0.0.1", port)).ok()
    }

    /// The first address drops packets, the second answers. The first
    /// one's silence does not take the whole budget: the second is dialled
    /// 250 ms later and wins, and the report says which answered and which
    /// did not.
    #[tokio::test]
    async fn a_silent_first_address_does_not_hide_the_second() {
        let silent: IpAddr = "127.0.0.2".parse().expect("ip");
        let answers: IpAddr = "127.0.0.1".parse().expect("ip");
        let mut both = None;
        for _ in 0..20 {
            let (l, fillers, port) = blackhole(silent).await;
            if let Some(ok) = answering(port) {
                both = Some((l, fillers, ok, port));
                break;
            }
        }
        let Some((_hole, _fillers, _ok, port)) = both else {
            panic!("no port free on both 127.0.0.2 and 127.0.0.1");
        };
        // The blackhole holds: a lone connect to it hangs.
        assert!(
            tokio::time::timeout(
                Duration::from_millis(300),
                TcpStream::connect(SocketAddr::new(silent, port))
            )
            .await
            .is_err(),
            "the blackhole answered"
        );
        let started = std::time::Instant::now();
        let d = connect(&[silent, answers], port, Duration::from_secs(3)).await;
        let took = started.elapsed();
        let detail = &d.detail;
        assert_eq!(d.outcome, TcpOutcome::Connected, "{detail}");
        assert!(d.stream.is_some());
        assert_eq!(d.addr, Some(SocketAddr::new(answers, port)), "{detail}");
        assert!(
            took < Duration::from_millis(1500),
            "took {took:?}: {detail}"
        );
        assert!(
            took >= Duration::from_millis(200),
            "not staggered: {took:?}"
        );
        assert!(
            detail.contains(&format!("127.0.0.2:{port}: no answer")),
            "{detail}"
        );
    }
}
