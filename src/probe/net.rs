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

use crate::domain::probe::{CertInfo, TcpOutcome, TlsFailure};

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Connects to the first address that answers, within `timeout` overall.
pub async fn connect(
    addrs: &[IpAddr],
    port: u16,
    timeout: Duration,
) -> (TcpOutcome, Option<SocketAddr>, Option<TcpStream>, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = (
        TcpOutcome::Other,
        None,
        "no address to connect to".to_string(),
    );
    for ip in addrs {
        let addr = SocketAddr::new(*ip, port);
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                last = (
                    TcpOutcome::Timeout,
                    Some(addr),
                    format!(
                        "connect to {addr} timed out after {} ms",
                        timeout.as_millis()
                    ),
                );
                break;
            }
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return (
                    TcpOutcome::Connected,
                    Some(addr),
                    Some(s),
                    format!("connected to {addr}"),
                );
            }
            Ok(Err(e)) => {
                let outcome = match e.kind() {
                    io::ErrorKind::ConnectionRefused => TcpOutcome::Refused,
                    io::ErrorKind::TimedOut => TcpOutcome::Timeout,
                    io::ErrorKind::ConnectionReset => TcpOutcome::Reset,
                    io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => {
                        TcpOutcome::Unreachable
                    }
                    _ => TcpOutcome::Other,
                };
                let what = match outcome {
                    TcpOutcome::Refused => {
                        "connection refused (nothing listens on the port)".to_string()
                    }
                    _ => e.to_string(),
                };
                last = (outcome, Some(addr), format!("{addr}: {what}"));
            }
        }
    }
    (last.0, last.1, None, last.2)
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
            TlsFailure::Other("the server closed the connection during the handshake".into())
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
        })
    }

    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// One request; `headers` are added as given.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<Response, String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection closed: {e}"))?;
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Host", &self.authority)
            .header(
                "User-Agent",
                concat!("pulltui/", env!("CARGO_PKG_VERSION"), " (probe)"),
            );
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        let resp = self.sender.send_request(req).await.map_err(|e| {
            if e.is_parse() {
                format!("not an HTTP response ({e})")
            } else {
                e.to_string()
            }
        })?;
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
}
