//! Talking to a registry the way containerd's resolver does (`HEAD
//! /v2/<repo>/manifests/<ref>`, auth challenge, retry with credentials), and
//! turning what happens into the error text containerd 1.6+ prints, in Go's
//! error vocabulary. Only loopback is ever contacted: a name or address that
//! is not loopback is never dialled (it fails as a dial timeout, like a node
//! without a route), and names are looked up on the harness's loopback DNS.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::dns::{DnsError, dns_query_a};
use super::reference::ImageRef;

/// Media types containerd sends when resolving a manifest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*";
const USER_AGENT: &str = "containerd/v1.6.20";

/// How to reach one registry host (decided per pod from its annotations).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostPolicy {
    pub plain_http: bool,
    pub skip_verify: bool,
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub username: String,
    pub password: String,
}

/// The outcome of a failed pull: the gRPC code kubelet will print and the
/// containerd message (`failed to pull and unpack image ...`), with what a
/// runtime of another family needs to word it its own way.
#[derive(Debug, Clone)]
pub struct PullError {
    pub grpc_code: &'static str,
    pub message: String,
    /// The registry could not be reached at all (DNS, dial, TLS): Go's error.
    pub transport: Option<String>,
    /// The registry answered this HTTP status for the manifest.
    pub status: Option<String>,
}

/// A pulled image: manifest digest and the bytes its config and layers hold.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub digest: String,
    pub size: u64,
}

pub struct Registry {
    verified: Arc<ClientConfig>,
    unverified: Arc<ClientConfig>,
    dns: Option<SocketAddr>,
    timeout: Duration,
}

impl Registry {
    pub fn new(ca_pem: &[u8], dns: Option<SocketAddr>, timeout: Duration) -> anyhow::Result<Self> {
        use rustls::pki_types::pem::PemObject as _;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.map_err(|e| anyhow::anyhow!("reading registry CA PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| anyhow::anyhow!("adding registry CA: {e}"))?;
        }
        anyhow::ensure!(!roots.is_empty(), "registry CA file holds no certificate");
        let verified = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let unverified = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth();
        Ok(Self {
            verified: Arc::new(verified),
            unverified: Arc::new(unverified),
            dns,
            timeout,
        })
    }

    /// Resolve `image` like containerd: anonymous HEAD, then on a 401
    /// challenge retry with `cred` (Basic, or a Bearer token from the realm).
    /// Returns the manifest digest.
    async fn resolve(
        &self,
        image: &ImageRef,
        policy: HostPolicy,
        cred: Option<&Credential>,
    ) -> Result<Resolved, PullError> {
        let name = image.normalized();
        let wrap = |code: &'static str, inner: String| PullError {
            grpc_code: code,
            transport: transport_cause(&inner),
            status: None,
            message: format!(
                "failed to pull and unpack image \"{name}\": failed to resolve reference \"{name}\": {inner}"
            ),
        };
        let host = image.api_host().to_string();
        let scheme = if policy.plain_http { "http" } else { "https" };
        let url = Url {
            scheme: scheme.into(),
            host: host.clone(),
            path: format!(
                "/v2/{}/manifests/{}",
                image.path,
                image.manifest_reference()
            ),
        };
        let head = |auth: Option<String>| {
            let url = url.clone();
            async move {
                let mut headers = vec![("Accept", MANIFEST_ACCEPT.to_string())];
                if let Some(a) = auth {
                    headers.push(("Authorization", a));
                }
                self.request("HEAD", &url, &headers, policy).await
            }
        };
        let mut resp = head(None).await.map_err(|e| wrap("Unknown", e))?;
        let mut last_auth = None;
        if resp.status == 401 {
            let challenge = resp.www_authenticate.clone().unwrap_or_default();
            if let Some(cred) = cred
                && challenge.to_ascii_lowercase().starts_with("basic")
            {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", cred.username, cred.password));
                last_auth = Some(format!("Basic {token}"));
                resp = head(last_auth.clone())
                    .await
                    .map_err(|e| wrap("Unknown", e))?;
            }
            if challenge.to_ascii_lowercase().starts_with("bearer") {
                let token = self
                    .fetch_token(&challenge, &image.path, cred, policy)
                    .await
                    .map_err(|e| wrap("Unknown", format!("failed to authorize: {e}")))?;
                last_auth = Some(format!("Bearer {token}"));
                resp = head(last_auth.clone())
                    .await
                    .map_err(|e| wrap("Unknown", e))?;
            }
        }
        match resp.status {
            200..=299 => Ok(Resolved {
                digest: resp.digest.unwrap_or_default(),
                auth: last_auth,
            }),
            404 => Err(PullError {
                status: Some(resp.status_text.clone()),
                ..wrap("NotFound", format!("{name}: not found"))
            }),
            _ => Err(PullError {
                status: Some(resp.status_text.clone()),
                ..wrap(
                    "Unknown",
                    format!(
                        "pulling from host {host} failed with status code [manifests {}]: {}",
                        image.manifest_reference(),
                        resp.status_text
                    ),
                )
            }),
        }
    }

    /// A whole pull as containerd does it: resolve, then fetch the manifest
    /// (an index is narrowed to linux/amd64), the config and every layer.
    /// A blob whose bytes stop coming for `progress_timeout` cancels the pull
    /// (containerd's `image_pull_progress_timeout`).
    pub async fn pull(
        &self,
        image: &ImageRef,
        policy: HostPolicy,
        cred: Option<&Credential>,
        progress_timeout: Duration,
    ) -> Result<Pulled, PullError> {
        let resolved = self.resolve(image, policy, cred).await?;
        let name = image.normalized();
        let fail = |code: &'static str, inner: String| PullError {
            grpc_code: code,
            transport: transport_cause(&inner),
            status: None,
            message: format!("failed to pull and unpack image \"{name}\": {inner}"),
        };
        let scheme = if policy.plain_http { "http" } else { "https" };
        let host = image.api_host().to_string();
        let url = |kind: &str, reference: &str| Url {
            scheme: scheme.into(),
            host: host.clone(),
            path: format!("/v2/{}/{kind}/{reference}", image.path),
        };
        let mut headers = vec![("Accept", MANIFEST_ACCEPT.to_string())];
        if let Some(a) = &resolved.auth {
            headers.push(("Authorization", a.clone()));
        }
        let get_json = |reference: String| {
            let headers = headers.clone();
            let u = url("manifests", &reference);
            async move {
                let resp = self.request("GET", &u, &headers, policy).await?;
                if resp.status != 200 {
                    return Err(format!(
                        "failed to copy: httpReadSeeker: failed open: unexpected status code {u}: {}",
                        resp.status_text
                    ));
                }
                serde_json::from_slice::<serde_json::Value>(&resp.body)
                    .map_err(|e| format!("failed to unmarshal manifest: {e}"))
            }
        };
        let mut manifest = get_json(resolved.digest.clone())
            .await
            .map_err(|e| fail("Unknown", e))?;
        if manifest.get("manifests").is_some() {
            let chosen = manifest["manifests"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| {
                    m["platform"]["os"] == "linux" && m["platform"]["architecture"] == "amd64"
                })
                .and_then(|m| m["digest"].as_str())
                .map(str::to_string);
            let Some(d) = chosen else {
                return Err(fail(
                    "NotFound",
                    "no match for platform in manifest: not found".into(),
                ));
            };
            manifest = get_json(d).await.map_err(|e| fail("Unknown", e))?;
        }
        let mut blobs = vec![];
        if let Some(c) = manifest.get("config") {
            blobs.push(c.clone());
        }
        blobs.extend(manifest["layers"].as_array().cloned().unwrap_or_default());
        let mut size = 0u64;
        for b in blobs {
            let Some(digest) = b["digest"].as_str() else {
                continue;
            };
            let u = url("blobs", digest);
            size += self
                .fetch_blob(&u, &headers, policy, progress_timeout)
                .await
                .map_err(|e| match e {
                    BlobError::Stalled => PullError {
                        grpc_code: "Canceled",
                        transport: None,
                        status: None,
                        message: format!(
                            "failed to pull and unpack image \"{name}\": context canceled"
                        ),
                    },
                    BlobError::Other(e) => fail("Unknown", e),
                })?;
        }
        Ok(Pulled {
            digest: resolved.digest,
            size,
        })
    }

    /// GET one blob, following a redirect to another host without the
    /// registry's `Authorization` (as containerd does); every chunk must
    /// come within `progress`.
    async fn fetch_blob(
        &self,
        url: &Url,
        headers: &[(&str, String)],
        policy: HostPolicy,
        progress: Duration,
    ) -> Result<u64, BlobError> {
        let mut target = url.clone();
        let mut hdrs: Vec<(&str, String)> = headers.to_vec();
        for _ in 0..3 {
            let resp = self
                .send("GET", &target, &hdrs, policy)
                .await
                .map_err(BlobError::Other)?;
            let status = resp.status();
            if status.is_redirection()
                && let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok())
            {
                let next = if loc.starts_with('/') {
                    Url {
                        path: loc.to_string(),
                        ..target.clone()
                    }
                } else {
                    Url::parse(loc)
                        .ok_or_else(|| BlobError::Other(format!("bad redirect {loc:?}")))?
                };
                if next.host != target.host {
                    hdrs.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
                }
                target = next;
                continue;
            }
            if !status.is_success() {
                return Err(BlobError::Other(format!(
                    "failed to copy: httpReadSeeker: failed open: unexpected status code {target}: {}",
                    status
                )));
            }
            let mut body = resp.into_body();
            let mut n = 0u64;
            loop {
                match tokio::time::timeout(progress, body.frame()).await {
                    Err(_) => return Err(BlobError::Stalled),
                    Ok(None) => return Ok(n),
                    Ok(Some(Err(e))) => {
                        return Err(BlobError::Other(format!(
                            "failed to copy: httpReadSeeker: failed open: {e}"
                        )));
                    }
                    Ok(Some(Ok(f))) => {
                        if let Some(d) = f.data_ref() {
                            n += d.len() as u64;
                        }
                    }
                }
            }
        }
        Err(BlobError::Other("stopped after 3 redirects".into()))
    }

    async fn fetch_token(
        &self,
        challenge: &str,
        repo: &str,
        cred: Option<&Credential>,
        policy: HostPolicy,
    ) -> Result<String, String> {
        let params = parse_challenge(challenge);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let realm = get("realm").ok_or("no realm in bearer challenge")?;
        let mut url = Url::parse(&realm).ok_or_else(|| format!("invalid realm {realm:?}"))?;
        let mut query = vec![];
        if let Some(s) = get("service") {
            query.push(format!("service={}", s));
        }
        query.push(format!(
            "scope={}",
            get("scope").unwrap_or(format!("repository:{repo}:pull"))
        ));
        url.path = format!("{}?{}", url.path, query.join("&"));
        let mut headers = vec![];
        if let Some(c) = cred {
            let t = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.username, c.password));
            headers.push(("Authorization", format!("Basic {t}")));
        }
        let realm_policy = HostPolicy {
            plain_http: false,
            skip_verify: policy.skip_verify,
        };
        let resp = self.request("GET", &url, &headers, realm_policy).await?;
        let what = if cred.is_some() {
            "failed to fetch oauth token"
        } else {
            "failed to fetch anonymous token"
        };
        if resp.status != 200 {
            return Err(format!("{what}: unexpected status: {}", resp.status_text));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&resp.body).map_err(|e| format!("{what}: {e}"))?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("{what}: no token in response"))
    }

    /// One HTTP/1.1 request on a fresh connection, its body read whole.
    /// Errors are Go's `failed to do request: Head "URL": <cause>`.
    async fn request(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        policy: HostPolicy,
    ) -> Result<Response, String> {
        let go_method = go_method(method);
        let full = url.to_string();
        let fail = |cause: String| format!("failed to do request: {go_method} \"{full}\": {cause}");
        let resp = self.send(method, url, headers, policy).await?;
        let status = resp.status();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let www_authenticate = header("www-authenticate");
        let digest = header("docker-content-digest");
        let body = if method == "HEAD" {
            Bytes::new()
        } else {
            match tokio::time::timeout(self.timeout, resp.into_body().collect()).await {
                Ok(Ok(b)) => b.to_bytes(),
                Ok(Err(e)) => return Err(fail(e.to_string())),
                Err(_) => return Err(fail("context deadline exceeded".into())),
            }
        };
        Ok(Response {
            status: status.as_u16(),
            status_text: format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string(),
            www_authenticate,
            digest,
            body,
        })
    }

    /// Send one request; the response's headers are in, its body not read.
    async fn send(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        policy: HostPolicy,
    ) -> Result<http::Response<hyper::body::Incoming>, String> {
        let go_method = go_method(method);
        let full = url.to_string();
        let fail = |cause: String| format!("failed to do request: {go_method} \"{full}\": {cause}");
        let (hostname, port) = split_host_port(&url.host, url.scheme == "https");
        let stream = self.dial(&hostname, port).await.map_err(fail)?;
        let io: Box<dyn Io> = if url.scheme == "https" {
            let config = if policy.skip_verify {
                self.unverified.clone()
            } else {
                self.verified.clone()
            };
            let server_name = ServerName::try_from(hostname.clone())
                .map_err(|e| fail(format!("invalid server name: {e}")))?;
            let (recorder, first) = Recorder::new(stream);
            let connector = tokio_rustls::TlsConnector::from(config);
            match tokio::time::timeout(self.timeout, connector.connect(server_name, recorder)).await
            {
                Err(_) => return Err(fail("net/http: TLS handshake timeout".into())),
                Ok(Err(e)) => {
                    let seen = first.lock().map(|b| b.clone()).unwrap_or_default();
                    return Err(fail(tls_error_text(&e, &seen, &hostname)));
                }
                Ok(Ok(tls)) => Box::new(tls),
            }
        } else {
            Box::new(stream)
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| fail(e.to_string()))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = http::Request::builder()
            .method(method)
            .uri(&url.path)
            .header("Host", &url.host)
            .header("User-Agent", USER_AGENT);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| fail(e.to_string()))?;
        let resp = match tokio::time::timeout(self.timeout, sender.send_request(req)).await {
            Err(_) => {
                return Err(fail(
                    "net/http: timeout awaiting response headers".to_string(),
                ));
            }
            Ok(Err(e)) => {
                let text = if e.is_incomplete_message() || e.is_closed() {
                    "EOF".to_string()
                } else if e.is_parse() && url.scheme == "http" {
                    "net/http: HTTP/1.x transport connection broken: malformed HTTP response"
                        .to_string()
                } else {
                    e.to_string()
                };
                return Err(fail(text));
            }
            Ok(Ok(r)) => r,
        };
        Ok(resp)
    }

    /// Go's `net.Dial("tcp", host:port)` as text errors, loopback only.
    async fn dial(&self, hostname: &str, port: u16) -> Result<TcpStream, String> {
        let ip: IpAddr = match hostname
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
        {
            Ok(ip) => ip,
            Err(_) if hostname == "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Err(_) => self.lookup(hostname).await?,
        };
        let addr = SocketAddr::new(ip, port);
        if !ip.is_loopback() {
            // The harness must never send traffic off the machine: behave like
            // a node with no route to that address.
            tokio::time::sleep(self.timeout).await;
            return Err(format!("dial tcp {addr}: i/o timeout"));
        }
        match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
            Err(_) => Err(format!("dial tcp {addr}: i/o timeout")),
            Ok(Err(e)) => Err(format!("dial tcp {addr}: connect: {}", go_errno_text(&e))),
            Ok(Ok(s)) => Ok(s),
        }
    }

    /// A real DNS round trip to the harness's loopback DNS server.
    async fn lookup(&self, hostname: &str) -> Result<IpAddr, String> {
        let Some(server) = self.dns.filter(|s| s.ip().is_loopback()) else {
            return Err(format!("dial tcp: lookup {hostname}: no such host"));
        };
        match tokio::time::timeout(self.timeout, dns_query_a(server, hostname)).await {
            Err(_) => Err(format!("dial tcp: lookup {hostname}: i/o timeout")),
            Ok(Err(DnsError::NxDomain)) => {
                Err(format!("dial tcp: lookup {hostname}: no such host"))
            }
            Ok(Err(DnsError::Other(why))) => {
                tracing::debug!("dns lookup of {hostname}: {why}");
                Err(format!("dial tcp: lookup {hostname}: server misbehaving"))
            }
            Ok(Ok(ip)) => Ok(IpAddr::V4(ip)),
        }
    }
}

struct Resolved {
    digest: String,
    /// The Authorization that the registry accepted, for the fetches after.
    auth: Option<String>,
}

enum BlobError {
    Stalled,
    Other(String),
}

fn go_method(method: &str) -> &str {
    match method {
        "HEAD" => "Head",
        "GET" => "Get",
        other => other,
    }
}

/// The Go error under `failed to do request: Head "URL": <cause>`: set when
/// the registry was never reached (dial, DNS, TLS), not for an HTTP answer.
fn transport_cause(inner: &str) -> Option<String> {
    let rest = inner.strip_prefix("failed to do request: ")?;
    let (_, cause) = rest.split_once("\": ")?;
    Some(cause.to_string())
}

#[derive(Debug)]
struct Response {
    status: u16,
    status_text: String,
    www_authenticate: Option<String>,
    digest: Option<String>,
    body: Bytes,
}

#[derive(Debug, Clone)]
struct Url {
    scheme: String,
    host: String,
    /// Path and query.
    path: String,
}

impl Url {
    fn parse(s: &str) -> Option<Url> {
        let (scheme, rest) = s.split_once("://")?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        Some(Url {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_string(),
            path: path.to_string(),
        })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.host, self.path)
    }
}

fn split_host_port(host: &str, https: bool) -> (String, u16) {
    let default = if https { 443 } else { 80 };
    if let Some(rest) = host.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        let port = p
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(default);
        return (h.to_string(), port);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().unwrap_or(default)),
        _ => (host.to_string(), default),
    }
}

/// Go's syscall error texts for the errnos a dial can hit.
fn go_errno_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".into(),
        ConnectionReset => "connection reset by peer".into(),
        NetworkUnreachable => "network is unreachable".into(),
        HostUnreachable => "no route to host".into(),
        TimedOut => "connection timed out".into(),
        _ => {
            let s = e.to_string();
            // "Connection refused (os error 111)" -> "connection refused"
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            match c.next() {
                Some(first) => first.to_lowercase().collect::<String>() + c.as_str(),
                None => s,
            }
        }
    }
}

/// Go crypto/tls + net/http wording for a failed handshake.
fn tls_error_text(e: &std::io::Error, first_bytes: &[u8], hostname: &str) -> String {
    if first_bytes.starts_with(b"HTTP/") {
        return "http: server gave HTTP response to HTTPS client".into();
    }
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => {
            let x509 = match c {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    "x509: certificate signed by unknown authority".to_string()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    format!("x509: certificate is not valid for {hostname}")
                }
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => {
                    "x509: certificate has expired or is not yet valid".to_string()
                }
                other => format!("x509: {other:?}"),
            };
            format!("tls: failed to verify certificate: {x509}")
        }
        Some(rustls::Error::AlertReceived(a)) => format!("remote error: tls: {a:?}"),
        Some(other) => format!("tls: {other}"),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => "EOF".into(),
        None => go_errno_text(e),
    }
}

/// `realm="..",service="..",scope=".."` from a `WWW-Authenticate` header.
fn parse_challenge(h: &str) -> Vec<(String, String)> {
    let rest = h.split_once(' ').map(|x| x.1).unwrap_or("");
    let mut out = vec![];
    let mut s = rest.trim();
    while let Some((k, v)) = s.split_once('=') {
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let v = v.trim_start();
        let (val, next) = if let Some(q) = v.strip_prefix('"') {
            match q.find('"') {
                Some(i) => (&q[..i], &q[i + 1..]),
                None => (q, ""),
            }
        } else {
            match v.find(',') {
                Some(i) => (&v[..i], &v[i..]),
                None => (v, ""),
            }
        };
        out.push((k, val.to_string()));
        s = next.trim_start_matches(',').trim();
    }
    out
}

// ---------------------------------------------------------- plumbing ------

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Keeps the first bytes the server sends, so a plain-HTTP answer to our
/// ClientHello can be recognised (Go checks for `HTTP/` the same way).
struct Recorder {
    inner: TcpStream,
    first: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Recorder {
    fn new(inner: TcpStream) -> (Self, Arc<std::sync::Mutex<Vec<u8>>>) {
        let first = Arc::new(std::sync::Mutex::new(Vec::new()));
        (
            Self {
                inner,
                first: first.clone(),
            },
            first,
        )
    }
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res
            && let Ok(mut first) = self.first.lock()
            && first.len() < 8
        {
            let new = &buf.filled()[before..];
            let take = new.len().min(8 - first.len());
            first.extend_from_slice(&new[..take]);
        }
        res
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `registry-insecure-skip-verify`: accept any certificate.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_params() {
        let p = parse_challenge(
            r#"Bearer realm="https://a/token",service="reg",scope="repository:x:pull""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://a/token".into()));
        assert_eq!(p[2].1, "repository:x:pull");
    }

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("127.0.0.1:5000", true),
            ("127.0.0.1".into(), 5000)
        );
        assert_eq!(
            split_host_port("reg.example", true),
            ("reg.example".into(), 443)
        );
    }
}
