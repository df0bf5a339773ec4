//! Registry probes as pure values: the plan (what to ask, with which
//! credentials, for which platform), the result of each step, the verdict in
//! the taxonomy, and what the probe says next to the cluster's own error and
//! next to the node's probe ("it works from my laptop" is the finding).
//!
//! The I/O lives in `crate::probe` (laptop) and `crate::cluster::probe_pod`
//! (node); both produce [`StepResult`]s that are reduced here.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::classify::Category;
use super::image::ImageRef;
use super::ipscope::IpScope;
pub use super::realm::realm_refusal;
use super::redact::Redacted;

/// The steps, in the order they run. Ids are public API (`probe --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Dns,
    Tcp,
    Tls,
    Http,
    V2,
    Auth,
    Manifest,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Dns,
        Step::Tcp,
        Step::Tls,
        Step::Http,
        Step::V2,
        Step::Auth,
        Step::Manifest,
    ];
    /// What the in-cluster probe pod checks.
    pub const NODE: [Step; 4] = [Step::Dns, Step::Tcp, Step::Tls, Step::Http];

    pub fn id(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Tls => "tls",
            Step::Http => "http",
            Step::V2 => "v2",
            Step::Auth => "auth",
            Step::Manifest => "manifest",
        }
    }

    pub fn from_id(id: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.id() == id)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Fail,
    Skipped,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// A credential to try, from a pull secret (or given on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Where it comes from, for the detail: `secret team/pull (127.0.0.1:5000)`.
    pub source: String,
    pub username: String,
    pub password: Redacted,
}

/// OS/architecture(/variant) of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, architecture: &str) -> Self {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: None,
        }
    }

    /// `linux/arm64/v8` or `linux/amd64`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let arch = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().filter(|p| !p.is_empty()).map(str::to_string);
        if parts.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.to_string(),
            architecture: arch.to_string(),
            variant,
        })
    }

    /// Whether an index entry's platform serves a node of this platform
    /// (containerd's default matcher: same OS and architecture; a variant
    /// on both sides must agree).
    pub fn served_by(&self, entry: &Platform) -> bool {
        entry.os == self.os
            && entry.architecture == self.architecture
            && match (&self.variant, &entry.variant) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// What to probe and how. Built by the cli or the app; executed by `crate::probe`.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    pub image: ImageRef,
    /// Credentials to try, in order (the pod's pull secrets that cover the host).
    pub credentials: Vec<Credential>,
    /// Ask this DNS server instead of the system resolver.
    pub nameserver: Option<SocketAddr>,
    /// The node's platform, for an index.
    pub platform: Platform,
    /// Each step's timeout.
    pub step_timeout_ms: u64,
    /// The user confirmed that credentials may go over plain HTTP.
    pub allow_plain_http_credentials: bool,
    /// The user asked for every covering credential to be tried, not only
    /// the first (`probe --try-all-credentials`).
    pub try_all_credentials: bool,
}

impl ProbePlan {
    pub fn new(image: ImageRef, platform: Platform) -> Self {
        ProbePlan {
            image,
            credentials: vec![],
            nameserver: None,
            platform,
            step_timeout_ms: 5000,
            allow_plain_http_credentials: false,
            try_all_credentials: false,
        }
    }

    /// The credentials this probe sends, and those it leaves: the first
    /// covering one only, unless the user asked for all. A stale secret
    /// tried on every probe is a failed login each time, and directory-
    /// backed robot accounts lock after a few (crane and docker try one).
    pub fn credentials_to_try(&self) -> (&[Credential], &[Credential]) {
        if self.try_all_credentials {
            (&self.credentials, &[])
        } else {
            self.credentials.split_at(self.credentials.len().min(1))
        }
    }

    /// `; not tried: secret team/b (reg.example) (one credential per
    /// probe)` when some were left, else empty: where they come from, never
    /// what they hold.
    pub fn untried_note(&self) -> String {
        let (_, left) = self.credentials_to_try();
        if left.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = left.iter().map(|c| c.source.as_str()).collect();
        format!(
            "; not tried: {} (one credential per probe)",
            names.join(", ")
        )
    }

    /// Host without port (brackets removed for IPv6).
    pub fn host(&self) -> &str {
        self.image
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
    }

    /// The registry's port: written, else 443.
    pub fn port(&self) -> u16 {
        self.image.port().unwrap_or(443)
    }

    /// The host to talk to: Docker Hub's API lives on `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.image.is_docker_hub() {
            "registry-1.docker.io"
        } else {
            self.host()
        }
    }

    /// `host[:port]` as it goes in the Host header and URLs.
    pub fn authority(&self) -> String {
        let host = self.api_host();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        match self.image.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    /// The Bearer scope a pull needs.
    pub fn pull_scope(&self) -> String {
        format!("repository:{}:pull", self.image.repository)
    }
}

/// The credentials of a pull secret that cover `image`, by kubelet's
/// matching (`crate::domain::secrets`). The password is wrapped at once.
pub fn credentials_from_secret(
    secret: &k8s_openapi::api::core::v1::Secret,
    image: &ImageRef,
) -> Result<Vec<Credential>, String> {
    use super::secrets::{
        DOCKER_CFG_KEY, DOCKER_CFG_TYPE, DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE,
        key_matches, normalize_key,
    };
    use base64::Engine as _;
    let name = format!(
        "{}/{}",
        secret.metadata.namespace.as_deref().unwrap_or(""),
        secret.metadata.name.as_deref().unwrap_or("")
    );
    let ty = secret.type_.as_deref().unwrap_or("Opaque");
    let (key, legacy) = match ty {
        DOCKER_CONFIG_JSON_TYPE => (DOCKER_CONFIG_JSON_KEY, false),
        DOCKER_CFG_TYPE => (DOCKER_CFG_KEY, true),
        other => return Err(format!("secret {name} has type {other}, not a pull secret")),
    };
    let payload = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .ok_or_else(|| format!("secret {name} has no {key} key"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&payload.0).map_err(|e| format!("secret {name}: not JSON ({e})"))?;
    let auths = if legacy {
        v.as_object()
    } else {
        v.get("auths").and_then(|a| a.as_object())
    }
    .ok_or_else(|| format!("secret {name}: no auths"))?;
    let mut out = vec![];
    let mut keys: Vec<&String> = auths.keys().collect();
    keys.sort();
    for k in keys {
        if !key_matches(&normalize_key(k), image) {
            continue;
        }
        let entry = &auths[k];
        let field = |f: &str| {
            entry
                .get(f)
                .and_then(|x| x.as_str())
                .filter(|x| !x.is_empty())
        };
        let (user, pass) = match (field("username"), field("password")) {
            (Some(u), Some(p)) => (u.to_string(), Redacted::new(p)),
            _ => {
                let Some(auth) = field("auth") else { continue };
                let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(auth.trim()) else {
                    continue;
                };
                let text = Redacted::new(String::from_utf8_lossy(&raw).into_owned());
                let Some((u, p)) = text.expose().split_once(':') else {
                    continue;
                };
                (u.to_string(), Redacted::new(p))
            }
        };
        out.push(Credential {
            // The key as shown everywhere: without a password written into it.
            source: format!("secret {name} ({})", super::secrets::strip_userinfo(k)),
            username: user,
            password: pass,
        });
    }
    Ok(out)
}

// ------------------------------------------------------------ facts ----

/// One resolver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Resolution {
    Addrs { addrs: Vec<IpAddr> },
    NxDomain,
    Failed { reason: String },
}

impl Resolution {
    pub fn addrs(&self) -> &[IpAddr] {
        match self {
            Resolution::Addrs { addrs } => addrs,
            _ => &[],
        }
    }

    fn describe(&self) -> String {
        match self {
            Resolution::Addrs { addrs } => addrs_with_scope(addrs),
            Resolution::NxDomain => "no such host (NXDOMAIN)".to_string(),
            Resolution::Failed { reason } => reason.clone(),
        }
    }
}

/// `10.0.3.7 (private), 43.137.1.5 (public)`.
pub fn addrs_with_scope(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(|a| format!("{a} ({})", IpScope::of(*a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What DNS said, from each resolver asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DnsFacts {
    /// The operating system's resolver (getaddrinfo: /etc/hosts, VPN split DNS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<Resolution>,
    /// The resolver library (hickory), reading /etc/resolv.conf or `--nameserver`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<Resolution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameserver: Option<String>,
    /// The host is an IP literal: nothing to resolve.
    pub literal: bool,
}

impl DnsFacts {
    /// The addresses the next steps dial (system first, as the runtime would).
    pub fn addrs(&self) -> Vec<IpAddr> {
        for r in [&self.system, &self.library].into_iter().flatten() {
            if !r.addrs().is_empty() {
                return r.addrs().to_vec();
            }
        }
        vec![]
    }

    /// The two resolvers gave different answers (VPN split DNS, /etc/hosts).
    pub fn disagree(&self) -> bool {
        match (&self.system, &self.library) {
            (Some(a), Some(b)) => {
                let mut x = a.addrs().to_vec();
                let mut y = b.addrs().to_vec();
                x.sort();
                y.sort();
                x != y || std::mem::discriminant(a) != std::mem::discriminant(b)
            }
            _ => false,
        }
    }

    /// The step's result from the answers.
    pub fn result(&self, host: &str) -> (Status, Option<Category>, String) {
        if self.literal {
            let addrs = self.addrs();
            return (
                Status::Ok,
                None,
                format!("{host} is an IP literal: {}", addrs_with_scope(&addrs)),
            );
        }
        let mut parts = vec![];
        if let Some(s) = &self.system {
            parts.push(format!("system resolver: {}", s.describe()));
        }
        if let Some(l) = &self.library {
            let who = match &self.nameserver {
                Some(ns) => format!("nameserver {ns}"),
                None => "hickory (resolv.conf)".to_string(),
            };
            parts.push(format!("{who}: {}", l.describe()));
        }
        if self.disagree() {
            parts.push(
                "the resolvers DISAGREE (split DNS: a VPN or /etc/hosts answers differently)"
                    .to_string(),
            );
        }
        let detail = parts.join("; ");
        if self.addrs().is_empty() {
            (Status::Fail, Some(Category::NetworkDns), detail)
        } else {
            (Status::Ok, None, detail)
        }
    }
}

/// Whether an HTTP(S) proxy would carry the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "proxy", rename_all = "kebab-case")]
pub enum ProxyUse {
    None,
    /// `HTTPS_PROXY` (or `HTTP_PROXY` for plain HTTP) names a proxy for this host.
    Applies {
        var: String,
        url: String,
    },
    /// A proxy is set, but `NO_PROXY` exempts this host.
    Exempt {
        entry: String,
    },
}

/// Proxy variables as found in the environment (read by the caller).
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    pub https_proxy: Option<(String, String)>,
    pub http_proxy: Option<(String, String)>,
    pub no_proxy: Option<String>,
}

/// Go's `httpproxy` rules, which containerd follows: `NO_PROXY` entries are
/// hosts, `.domain`/`domain` suffixes, `*`, IPs and CIDRs, optionally with a port.
pub fn proxy_use(env: &ProxyEnv, host: &str, port: u16, https: bool) -> ProxyUse {
    let proxy = if https {
        env.https_proxy.as_ref()
    } else {
        env.http_proxy.as_ref()
    };
    let Some((var, url)) = proxy.filter(|(_, u)| !u.is_empty()) else {
        return ProxyUse::None;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return ProxyUse::Exempt {
            entry: "loopback (never proxied)".to_string(),
        };
    }
    for entry in env.no_proxy.as_deref().unwrap_or("").split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if no_proxy_matches(&entry, host, port) {
            return ProxyUse::Exempt { entry };
        }
    }
    ProxyUse::Applies {
        var: var.clone(),
        url: url.clone(),
    }
}

fn no_proxy_matches(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let host = host.to_ascii_lowercase();
    if let Some((net, bits)) = entry.split_once('/')
        && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>())
    {
        return host
            .parse::<IpAddr>()
            .is_ok_and(|ip| in_cidr(ip, net, bits));
    }
    let (name, eport) = match entry.rsplit_once(':') {
        Some((n, p)) if !n.contains(':') || n.ends_with(']') => (n, p.parse::<u16>().ok()),
        _ => (entry, None),
    };
    if eport.is_some_and(|p| p != port) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Some(suffix) = name.strip_prefix("*.") {
        return host.ends_with(&format!(".{suffix}"));
    }
    if let Some(suffix) = name.strip_prefix('.') {
        return host.ends_with(&format!(".{suffix}"));
    }
    host == name || host.ends_with(&format!(".{name}"))
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// How a TCP connect ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TcpOutcome {
    Connected,
    Refused,
    Timeout,
    Unreachable,
    Reset,
    Other,
}

impl TcpOutcome {
    pub fn category(&self) -> Option<Category> {
        match self {
            TcpOutcome::Connected => None,
            TcpOutcome::Refused => Some(Category::NetworkRefused),
            TcpOutcome::Timeout => Some(Category::NetworkTimeout),
            TcpOutcome::Unreachable | TcpOutcome::Reset => Some(Category::NetworkUnreachable),
            TcpOutcome::Other => Some(Category::Unknown),
        }
    }
}

impl TcpOutcome {
    /// How telling an outcome is when every address failed: an answer from
    /// the host (refused, reset) says more than silence (a timeout), and
    /// silence more than a local error (no route, no IPv6 egress).
    pub fn weight(&self) -> u8 {
        match self {
            TcpOutcome::Connected => 5,
            TcpOutcome::Refused => 4,
            TcpOutcome::Reset => 3,
            TcpOutcome::Timeout => 2,
            TcpOutcome::Unreachable => 1,
            TcpOutcome::Other => 0,
        }
    }
}

/// One address the TCP step dialled (addresses are raced, RFC 8305).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TcpAttempt {
    pub addr: SocketAddr,
    /// `timeout` also when it had not answered by the time another address
    /// connected (then `ms` is how long it was given).
    pub outcome: TcpOutcome,
    /// When it ended (or was given up), ms after the step started.
    pub ms: u64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TcpFacts {
    pub outcome: TcpOutcome,
    /// The address that connected, or the one whose failure is `outcome`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<SocketAddr>,
    pub proxy: ProxyUse,
    /// Every address dialled, in the order they were started.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<TcpAttempt>,
}

/// Why a TLS handshake failed, in the taxonomy's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsFailure {
    /// Self-signed leaf: no CA vouches for it.
    SelfSigned,
    /// Signed by a CA that is not among the trusted roots.
    UnknownAuthority,
    Hostname,
    Expired,
    NotYetValid,
    /// The port answered in plain HTTP.
    PlainHttp,
    Timeout,
    Other(String),
}

impl TlsFailure {
    pub fn category(&self) -> Category {
        match self {
            TlsFailure::SelfSigned | TlsFailure::UnknownAuthority => Category::TlsUntrusted,
            TlsFailure::Hostname => Category::TlsHostname,
            TlsFailure::Expired | TlsFailure::NotYetValid => Category::TlsExpired,
            TlsFailure::PlainHttp => Category::ProtocolHttpRegistry,
            TlsFailure::Timeout => Category::NetworkTimeout,
            TlsFailure::Other(_) => Category::Unknown,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            TlsFailure::SelfSigned => "self-signed certificate (unknown authority)".into(),
            TlsFailure::UnknownAuthority => {
                "certificate signed by unknown authority (not in the trusted roots)".into()
            }
            TlsFailure::Hostname => "certificate does not name this host".into(),
            TlsFailure::Expired => "certificate has expired".into(),
            TlsFailure::NotYetValid => "certificate is not yet valid".into(),
            TlsFailure::PlainHttp => "the port answers in plain HTTP, not TLS".into(),
            TlsFailure::Timeout => "TLS handshake timed out".into(),
            TlsFailure::Other(s) => s.clone(),
        }
    }
}

/// One certificate of the chain the server actually sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub not_before: String,
    pub not_after: String,
}

impl CertInfo {
    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }

    pub fn describe(&self) -> String {
        let sans = if self.sans.is_empty() {
            "none".to_string()
        } else {
            self.sans.join(", ")
        };
        format!(
            "subject {}, issuer {}{}, SANs {sans}, valid {} to {}",
            self.subject,
            self.issuer,
            if self.self_signed() {
                " (self-signed)"
            } else {
                ""
            },
            self.not_before,
            self.not_after
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<TlsFailure>,
    pub chain: Vec<CertInfo>,
}

impl TlsFacts {
    pub fn result(&self, protocol: Option<&str>) -> (Status, Option<Category>, String) {
        let chain = match self.chain.first() {
            Some(leaf) => {
                let mut s = format!("served: {}", leaf.describe());
                if self.chain.len() > 1 {
                    s.push_str(&format!(" (+{} more in the chain)", self.chain.len() - 1));
                }
                s
            }
            None => String::new(),
        };
        match &self.failure {
            None => {
                let mut d = "verified against the platform's roots".to_string();
                if let Some(p) = protocol {
                    d = format!("{p}, {d}");
                }
                if !chain.is_empty() {
                    d = format!("{d}; {chain}");
                }
                (Status::Ok, None, d)
            }
            Some(f) => {
                let mut d = f.describe();
                if !chain.is_empty() {
                    d = format!("{d}; {chain}");
                }
                (Status::Fail, Some(f.category()), d)
            }
        }
    }
}

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// `bearer` or `basic`, lower case.
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn describe(&self) -> String {
        let mut s = match self.scheme.as_str() {
            "bearer" => "Bearer".to_string(),
            "basic" => "Basic".to_string(),
            other => other.to_string(),
        };
        for (k, v) in &self.params {
            s.push_str(&format!(" {k}=\"{v}\""));
        }
        s
    }
}

/// Parses a `WWW-Authenticate` header value (RFC 7235, several challenges
/// possible) with the `http-auth` crate's parser.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    match http_auth::parse_challenges(header) {
        Ok(list) => list
            .into_iter()
            .map(|c| Challenge {
                scheme: c.scheme.to_ascii_lowercase(),
                params: c
                    .params
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_unescaped()))
                    .collect(),
            })
            .collect(),
        Err(_) => vec![],
    }
}

/// What a JWT token's `access` claim grants on `repository`, when the token
/// is a JWT that says (Docker distribution's token format); `None` when
/// the token is opaque. Read without verifying: only for the report.
pub fn token_grants_pull(token: &str, repository: &str) -> Option<bool> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let access = v.get("access")?.as_array()?;
    Some(access.iter().any(|a| {
        a.get("type").and_then(|t| t.as_str()) == Some("repository")
            && a.get("name").and_then(|n| n.as_str()) == Some(repository)
            && a.get("actions")
                .and_then(|x| x.as_array())
                .is_some_and(|acts| {
                    acts.iter()
                        .any(|x| matches!(x.as_str(), Some("pull") | Some("*")))
                })
    }))
}

/// An index entry or a single manifest's platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Platforms of an index (empty for a single manifest or when not listed).
    pub platforms: Vec<Platform>,
    /// Whether the node's platform is among them (index only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_present: Option<bool>,
}

/// Media types of an index / manifest list.
pub const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// The Accept list containerd sends when it resolves a reference.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json, */*";

/// The platforms of an index document (OCI image index / Docker manifest list).
pub fn index_platforms(body: &[u8]) -> Result<Vec<Platform>, String> {
    #[derive(serde::Deserialize)]
    struct Index {
        manifests: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        platform: Option<P>,
    }
    #[derive(serde::Deserialize)]
    struct P {
        os: String,
        architecture: String,
        variant: Option<String>,
    }
    let idx: Index = serde_json::from_slice(body).map_err(|e| format!("not an index: {e}"))?;
    Ok(idx
        .manifests
        .into_iter()
        .filter_map(|m| m.platform)
        .map(|p| Platform {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant.filter(|v| !v.is_empty()),
        })
        .collect())
}

// ------------------------------------------------------------ results ----

/// Structured facts of a step, for the verdict and the comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Facts {
    None,
    Dns(DnsFacts),
    Tcp(TcpFacts),
    Tls(TlsFacts),
    Challenge { challenges: Vec<Challenge> },
    Manifest(ManifestFacts),
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    pub step: Step,
    pub status: Status,
    pub ms: u64,
    pub detail: String,
    /// What a failure means in the taxonomy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "is_none_facts")]
    pub facts: Facts,
}

fn is_none_facts(f: &Facts) -> bool {
    matches!(f, Facts::None)
}

impl StepResult {
    pub fn ok(step: Step, ms: u64, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Ok,
            ms,
            detail: detail.into(),
            category: None,
            facts: Facts::None,
        }
    }

    pub fn fail(step: Step, ms: u64, category: Category, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Fail,
            ms,
            detail: detail.into(),
            category: Some(category),
            facts: Facts::None,
        }
    }

    pub fn skipped(step: Step, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Skipped,
            ms: 0,
            detail: detail.into(),
            category: None,
            facts: Facts::None,
        }
    }

    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    /// `dns       ok     3 ms  detail` — the text line `probe` prints.
    pub fn line(&self) -> String {
        let ms = if self.status == Status::Skipped {
            "-".to_string()
        } else {
            format!("{} ms", self.ms)
        };
        format!(
            "{:<9} {:<7} {:>8}  {}",
            self.step.id(),
            self.status.id(),
            ms,
            self.detail
        )
    }
}

/// Where a probe ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Side {
    Laptop,
    Node(String),
}

/// A probe's steps and what they mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub side: Side,
    pub image: String,
    pub registry: String,
    pub steps: Vec<StepResult>,
    /// Something stopped the probe before its first step (the probe pod
    /// could not pull its own image): that is the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<(Category, String)>,
}

/// The verdict: a taxonomy category, or ok (the image can be pulled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub category: Option<Category>,
    pub summary: String,
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        self.category.is_none()
    }

    pub fn id(&self) -> &'static str {
        self.category.map_or("ok", Category::id)
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Verdict", 2)?;
        st.serialize_field("category", self.id())?;
        st.serialize_field("summary", &self.summary)?;
        st.end()
    }
}

impl ProbeReport {
    pub fn new(side: Side, image: &ImageRef) -> Self {
        ProbeReport {
            side,
            image: image.canonical(),
            registry: image.registry.clone(),
            steps: vec![],
            blocked: None,
        }
    }

    pub fn step(&self, step: Step) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.step == step)
    }

    pub fn dns(&self) -> Option<&DnsFacts> {
        match self.step(Step::Dns).map(|s| &s.facts) {
            Some(Facts::Dns(d)) => Some(d),
            _ => None,
        }
    }

    pub fn tls_failure(&self) -> Option<&TlsFailure> {
        match self.step(Step::Tls).map(|s| &s.facts) {
            Some(Facts::Tls(t)) => t.failure.as_ref(),
            _ => None,
        }
    }

    /// The first failure decides, as the innermost cause decides a message.
    /// A node probe that passed every step it ran says the path is open up
    /// to TLS, not that the image can be pulled.
    pub fn verdict(&self) -> Verdict {
        if let Some((c, why)) = &self.blocked {
            return Verdict {
                category: Some(*c),
                summary: why.clone(),
            };
        }
        if let Some(f) = self.steps.iter().find(|s| s.status == Status::Fail) {
            let category = f.category.unwrap_or(Category::Unknown);
            return Verdict {
                category: Some(category),
                summary: format!("{} failed: {}", f.step, f.detail),
            };
        }
        if self.steps.is_empty() {
            return Verdict {
                category: Some(Category::Unknown),
                summary: "the probe did not run".into(),
            };
        }
        match &self.side {
            Side::Node(n) => Verdict {
                category: None,
                summary: format!("from node {n}: DNS, TCP and TLS to {} work", self.registry),
            },
            Side::Laptop => {
                let manifest = self.step(Step::Manifest).filter(|m| m.status == Status::Ok);
                match manifest {
                    Some(m) => Verdict {
                        category: None,
                        summary: format!("{} can be pulled: {}", self.image, m.detail),
                    },
                    None => Verdict {
                        category: Some(Category::Unknown),
                        summary: "the manifest was not checked".into(),
                    },
                }
            }
        }
    }
}

/// `probe --json`'s one object.
#[derive(Debug, Serialize)]
pub struct ProbeJson<'a> {
    pub image: &'a str,
    pub registry: &'a str,
    pub steps: &'a [StepResult],
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct NodeJson<'a> {
    pub name: String,
    pub steps: &'a [StepResult],
    pub verdict: Verdict,
    pub notes: &'a [String],
}

// ------------------------------------------------------- comparisons ----

/// What the cluster reported for the pull (from the classified message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterError {
    pub category: Category,
    /// The address the node dialled, when the message shows it.
    pub dialled: Option<IpAddr>,
}

/// The probe next to the cluster's error.
pub fn compare_with_cluster(report: &ProbeReport, cluster: &ClusterError) -> Vec<String> {
    let mut out = vec![];
    let verdict = report.verdict();
    let resolved = report.dns().map(DnsFacts::addrs).unwrap_or_default();
    if let Some(ip) = cluster.dialled {
        let scope = IpScope::of(ip);
        if !resolved.is_empty() && !resolved.contains(&ip) {
            let laptop = addrs_with_scope(&resolved);
            let meaning = match (scope, resolved.iter().any(|a| IpScope::of(*a).is_local())) {
                (IpScope::Public, true) => {
                    ": the cluster's network lacks the private DNS zone or the private link \
                     (its resolver answers with the public address)"
                }
                _ => ": the two sides resolve the name differently (split DNS)",
            };
            out.push(format!(
                "the cluster dialled {ip}, {scope}; this machine resolves {laptop}{meaning}"
            ));
        } else if resolved.contains(&ip) {
            out.push(format!(
                "the cluster dialled {ip} ({scope}), the address this machine resolves too"
            ));
        }
    }
    match verdict.category {
        Some(c) if c == cluster.category => {
            out.push(format!("the probe agrees with the cluster's error ({c})"))
        }
        Some(c) => out.push(format!(
            "the probe finds {c}, the cluster reported {}",
            cluster.category
        )),
        None => out.push(format!(
            "from this machine the pull works, the cluster reported {}: the difference is the \
             cluster's network path{}",
            cluster.category,
            meaning_of(cluster.category)
        )),
    }
    out
}

fn meaning_of(c: Category) -> &'static str {
    match c {
        Category::NetworkTimeout => {
            " (no route, NAT allow-list, security group, or a missing private link)"
        }
        Category::NetworkDns => " (a private DNS zone the nodes cannot see)",
        Category::TlsUntrusted => " (the nodes lack the CA this machine trusts)",
        Category::NetworkProxy => " (the nodes' proxy)",
        Category::NetworkRefused => " (a different address behind the same name)",
        _ => "",
    }
}

/// What a disagreement between this machine and the node means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disagreement {
    /// The node resolves the public address where this machine resolves a private one.
    PrivateLink,
    /// The node cannot resolve the name at all.
    PrivateDns,
    /// Same address, this machine connects and the node does not.
    AllowList,
    /// TLS verifies here and not on the node.
    NodeCa,
    /// The node goes through a proxy that fails.
    NodeProxy,
}

impl Disagreement {
    pub fn id(self) -> &'static str {
        match self {
            Disagreement::PrivateLink => "private-link",
            Disagreement::PrivateDns => "private-dns",
            Disagreement::AllowList => "allow-list",
            Disagreement::NodeCa => "node-ca",
            Disagreement::NodeProxy => "node-proxy",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Disagreement::PrivateLink => {
                "the node resolves the registry to a public address where this machine gets a \
                 private one: the cluster's VPC lacks the private zone or private link"
            }
            Disagreement::PrivateDns => {
                "the name resolves here but not on the node: a private DNS zone the node's \
                 resolver cannot see"
            }
            Disagreement::AllowList => {
                "this machine connects and the node does not: a NAT gateway, allow-list or \
                 security group stops the node's traffic"
            }
            Disagreement::NodeCa => {
                "the certificate verifies here and not on the node: install the CA on the nodes \
                 (or the runtime's certs.d)"
            }
            Disagreement::NodeProxy => {
                "the node's proxy fails: check the runtime's HTTPS_PROXY / NO_PROXY"
            }
        }
    }
}

/// Compares this machine's probe with the node's (only DNS, TCP, TLS).
pub fn compare_sides(laptop: &ProbeReport, node: &ProbeReport) -> Option<(Disagreement, String)> {
    let status = |r: &ProbeReport, s: Step| r.step(s).map(|x| x.status);
    let here = laptop.dns().map(DnsFacts::addrs).unwrap_or_default();
    let there = node.dns().map(DnsFacts::addrs).unwrap_or_default();
    let detail =
        |d: Disagreement, extra: String| Some((d, format!("{}; {extra}", d.explanation())));
    if !here.is_empty() && status(node, Step::Dns) == Some(Status::Fail) {
        return detail(
            Disagreement::PrivateDns,
            format!(
                "here {}, on the node: {}",
                addrs_with_scope(&here),
                node.step(Step::Dns)
                    .map(|s| s.detail.as_str())
                    .unwrap_or("")
            ),
        );
    }
    let private = |a: &[IpAddr]| a.iter().any(|ip| IpScope::of(*ip).is_local());
    let public = |a: &[IpAddr]| a.iter().any(|ip| IpScope::of(*ip) == IpScope::Public);
    if !here.is_empty() && !there.is_empty() && private(&here) && public(&there) && !private(&there)
    {
        return detail(
            Disagreement::PrivateLink,
            format!(
                "here {}, on the node {}",
                addrs_with_scope(&here),
                addrs_with_scope(&there)
            ),
        );
    }
    let node_tcp = node.step(Step::Tcp);
    if let Some(t) = node_tcp
        && t.status == Status::Fail
        && status(laptop, Step::Tcp) == Some(Status::Ok)
    {
        if t.category == Some(Category::NetworkProxy) {
            return detail(Disagreement::NodeProxy, t.detail.clone());
        }
        return detail(
            Disagreement::AllowList,
            format!("on the node: {}", t.detail),
        );
    }
    if let Some(t) = node.step(Step::Tls)
        && t.status == Status::Fail
        && t.category == Some(Category::TlsUntrusted)
        && status(laptop, Step::Tls) == Some(Status::Ok)
    {
        return detail(Disagreement::NodeCa, format!("on the node: {}", t.detail));
    }
    None
}

// ---------------------------------------------------------- the pane ----

/// What the probe pane shows: this machine's steps and the node's, side by
/// side, filled in as results arrive. Pure state: the app feeds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeView {
    pub image: String,
    pub laptop: Vec<StepResult>,
    pub laptop_done: Option<ProbeReport>,
    /// Sentences about this machine's probe (why it could not run, where a
    /// replayed one comes from).
    pub laptop_notes: Vec<String>,
    /// This machine's probe will not report: it is not shown as running.
    pub laptop_stopped: bool,
    pub node: Option<String>,
    pub node_steps: Vec<StepResult>,
    pub node_notes: Vec<String>,
    pub node_done: Option<ProbeReport>,
    /// The cluster's own error, to compare with.
    pub cluster: Option<ClusterError>,
}

impl ProbeView {
    pub fn new(image: &ImageRef) -> Self {
        ProbeView {
            image: image.canonical(),
            ..ProbeView::default()
        }
    }

    pub fn laptop_step(&mut self, s: StepResult) {
        self.laptop.retain(|x| x.step != s.step);
        self.laptop.push(s);
    }

    pub fn laptop_finished(&mut self, r: ProbeReport) {
        self.laptop = r.steps.clone();
        self.laptop_done = Some(r);
    }

    pub fn laptop_note(&mut self, n: String) {
        self.laptop_notes.push(n);
    }

    /// This machine's probe could not run: why, and it is over.
    pub fn laptop_failed(&mut self, why: String) {
        self.laptop_notes.push(why);
        self.laptop_stopped = true;
    }

    /// Results may still come from this machine's probe.
    pub fn laptop_running(&self) -> bool {
        self.laptop_done.is_none() && !self.laptop_stopped
    }

    pub fn node_started(&mut self, node: &str) {
        self.node = Some(node.to_string());
        self.node_steps.clear();
        self.node_notes.clear();
        self.node_done = None;
    }

    pub fn node_step(&mut self, s: StepResult) {
        self.node_steps.retain(|x| x.step != s.step);
        self.node_steps.push(s);
    }

    pub fn node_note(&mut self, n: String) {
        self.node_notes.push(n);
    }

    pub fn node_finished(&mut self, r: ProbeReport) {
        self.node_steps = r.steps.clone();
        self.node_done = Some(r);
    }

    /// What the two sides (and the cluster's error) mean together.
    pub fn findings(&self) -> Vec<String> {
        let mut out = vec![];
        if let (Some(l), Some(n)) = (&self.laptop_done, &self.node_done)
            && let Some((d, why)) = compare_sides(l, n)
        {
            out.push(format!("{}: {why}", d.id()));
        }
        if let (Some(l), Some(c)) = (&self.laptop_done, &self.cluster) {
            out.extend(compare_with_cluster(l, c));
        }
        out
    }
}

// ------------------------------------------------- the node's output ----

/// The marker of a result line of the probe pod.
pub const NODE_LINE: &str = "PULLTUI-PROBE";

/// Parses one line the probe pod prints:
/// `PULLTUI-PROBE step=tls status=fail ms=12 category=tls.untrusted detail=...`
/// (`detail` runs to the end of the line; `addrs` is space-free, comma-separated).
pub fn parse_node_line(line: &str) -> Option<StepResult> {
    let rest = line.trim().strip_prefix(NODE_LINE)?.trim_start();
    let (head, detail) = match rest.find("detail=") {
        Some(i) => (&rest[..i], rest[i + "detail=".len()..].trim()),
        None => (rest, ""),
    };
    let mut step = None;
    let mut status = None;
    let mut ms = 0;
    let mut category = None;
    let mut addrs: Option<Vec<IpAddr>> = None;
    let mut nx = false;
    for kv in head.split_whitespace() {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        match k {
            "step" => step = Step::from_id(v),
            "status" => {
                status = match v {
                    "ok" => Some(Status::Ok),
                    "fail" => Some(Status::Fail),
                    "skipped" => Some(Status::Skipped),
                    _ => None,
                }
            }
            "ms" => ms = v.parse().unwrap_or(0),
            "category" => category = Category::from_id(v),
            "addrs" => {
                addrs = Some(v.split(',').filter_map(|a| a.parse().ok()).collect());
            }
            "nxdomain" => nx = v == "1",
            _ => {}
        }
    }
    let step = step?;
    let status = status?;
    let mut r = StepResult {
        step,
        status,
        ms,
        detail: detail.to_string(),
        category: if status == Status::Fail {
            // curl's words decide a TLS failure's category.
            Some(category.unwrap_or_else(|| {
                if step == Step::Tls {
                    tls_failure_from_curl(detail).category()
                } else {
                    Category::Unknown
                }
            }))
        } else {
            None
        },
        facts: Facts::None,
    };
    if step == Step::Dns {
        let res = match addrs {
            Some(a) if !a.is_empty() => Resolution::Addrs { addrs: a },
            _ if nx || status == Status::Fail => Resolution::NxDomain,
            _ => Resolution::Failed {
                reason: detail.to_string(),
            },
        };
        r.facts = Facts::Dns(DnsFacts {
            system: Some(res),
            ..DnsFacts::default()
        });
    }
    Some(r)
}

/// Reads what curl's stderr says about a failed TLS handshake.
pub fn tls_failure_from_curl(message: &str) -> TlsFailure {
    let m = message.to_ascii_lowercase();
    if m.contains("self-signed") || m.contains("self signed") {
        TlsFailure::SelfSigned
    } else if m.contains("unable to get local issuer")
        || m.contains("unknown ca")
        || m.contains("unable to get issuer")
    {
        TlsFailure::UnknownAuthority
    } else if m.contains("expired") {
        TlsFailure::Expired
    } else if m.contains("not yet valid") {
        TlsFailure::NotYetValid
    } else if m.contains("subject name") || m.contains("does not match") || m.contains("hostname") {
        TlsFailure::Hostname
    } else if m.contains("wrong version number") || m.contains("packet length too long") {
        TlsFailure::PlainHttp
    } else if m.contains("timed out") || m.contains("timeout") {
        TlsFailure::Timeout
    } else {
        TlsFailure::Other(message.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credential of a key with userinfo is found (kubelet matches its
    /// host), and its source, shown in the probe's output, has no userinfo.
    #[test]
    fn credentials_from_a_key_with_userinfo_name_the_host_only() {
        let cfg = r#"{"auths":{"https://robot:k3y-s3cret@reg.example:5000":{"username":"robot","password":"pw"}}}"#;
        let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "pull", "namespace": "team"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, cfg)},
        }))
        .expect("secret");
        let image = ImageRef::parse("reg.example:5000/team/app:1").expect("image");
        let creds = credentials_from_secret(&secret, &image).expect("credentials");
        assert_eq!(creds.len(), 1, "{creds:?}");
        assert_eq!(
            creds[0].source,
            "secret team/pull (https://reg.example:5000)"
        );
        assert_eq!(creds[0].username, "robot");
    }

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).expect("test image")
    }

    fn dns_step(addrs: &[&str]) -> StepResult {
        let addrs: Vec<IpAddr> = addrs.iter().map(|a| a.parse().expect("ip")).collect();
        StepResult::ok(Step::Dns, 2, "").with_facts(Facts::Dns(DnsFacts {
            system: Some(Resolution::Addrs { addrs }),
            ..DnsFacts::default()
        }))
    }

    fn report(side: Side, steps: Vec<StepResult>) -> ProbeReport {
        let mut r = ProbeReport::new(side, &image("reg.example.com/team/app:1.0"));
        r.steps = steps;
        r
    }

    #[test]
    fn the_view_fills_in_and_compares_both_sides() {
        let img = image("reg.example.com/team/app:1.0");
        let mut v = ProbeView::new(&img);
        v.laptop_step(dns_step(&["10.0.3.7"]));
        v.laptop_step(StepResult::ok(Step::Tcp, 1, "connected"));
        assert_eq!(v.laptop.len(), 2);
        assert!(
            v.findings().is_empty(),
            "nothing to compare before both sides end"
        );
        v.laptop_finished(report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]));
        v.node_started("n1");
        v.node_finished(report(
            Side::Node("n1".into()),
            vec![
                parse_node_line("PULLTUI-PROBE step=dns status=ok ms=4 addrs=43.137.1.5 detail=x")
                    .expect("line"),
            ],
        ));
        let f = v.findings();
        assert!(f[0].starts_with("private-link:"), "{f:?}");
    }

    #[test]
    fn step_ids_are_the_public_contract() {
        let ids: Vec<&str> = Step::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(ids, ["dns", "tcp", "tls", "http", "v2", "auth", "manifest"]);
        for s in Step::ALL {
            assert_eq!(Step::from_id(s.id()), Some(s));
        }
    }

    #[test]
    fn the_first_failure_decides_the_verdict() {
        let r = report(
            Side::Laptop,
            vec![
                dns_step(&["10.0.3.7"]),
                StepResult::fail(Step::Tcp, 5000, Category::NetworkTimeout, "timed out"),
                StepResult::skipped(Step::Tls, "tcp failed"),
            ],
        );
        let v = r.verdict();
        assert_eq!(v.category, Some(Category::NetworkTimeout));
        assert_eq!(v.id(), "network.timeout");
        assert!(v.summary.starts_with("tcp failed"), "{}", v.summary);
    }

    #[test]
    fn a_laptop_verdict_is_ok_only_when_the_manifest_exists() {
        let mut steps = vec![dns_step(&["127.0.0.1"])];
        let r = report(Side::Laptop, steps.clone());
        assert_eq!(r.verdict().category, Some(Category::Unknown));
        steps.push(StepResult::ok(Step::Manifest, 3, "exists sha256:abc"));
        let r = report(Side::Laptop, steps);
        assert!(r.verdict().is_ok());
        let j = serde_json::to_value(r.verdict()).expect("json");
        assert_eq!(j["category"], "ok");
    }

    #[test]
    fn a_public_dial_next_to_a_private_resolution_means_a_missing_private_zone() {
        let r = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let out = compare_with_cluster(
            &r,
            &ClusterError {
                category: Category::NetworkTimeout,
                dialled: Some("43.137.1.5".parse().expect("ip")),
            },
        );
        assert!(
            out[0].contains(
                "the cluster dialled 43.137.1.5, public; this machine resolves 10.0.3.7 (private)"
            ),
            "{out:?}"
        );
        assert!(
            out[0].contains("private DNS zone or the private link"),
            "{out:?}"
        );
    }

    #[test]
    fn same_verdict_as_the_cluster_is_agreement() {
        let r = report(
            Side::Laptop,
            vec![StepResult::fail(
                Step::Tls,
                3,
                Category::TlsUntrusted,
                "self-signed",
            )],
        );
        let out = compare_with_cluster(
            &r,
            &ClusterError {
                category: Category::TlsUntrusted,
                dialled: None,
            },
        );
        assert_eq!(
            out,
            ["the probe agrees with the cluster's error (tls.untrusted)"]
        );
    }

    #[test]
    fn node_nxdomain_where_the_laptop_resolves_is_private_dns() {
        let laptop = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let node = report(
            Side::Node("n1".into()),
            vec![parse_node_line("PULLTUI-PROBE step=dns status=fail ms=4 category=network.dns nxdomain=1 detail=no such host").expect("line")],
        );
        let (d, _) = compare_sides(&laptop, &node).expect("disagree");
        assert_eq!(d, Disagreement::PrivateDns);
    }

    #[test]
    fn node_public_where_the_laptop_is_private_is_private_link() {
        let laptop = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let node = report(
            Side::Node("n1".into()),
            vec![
                parse_node_line("PULLTUI-PROBE step=dns status=ok ms=4 addrs=43.137.1.5 detail=x")
                    .expect("line"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::PrivateLink)
        );
    }

    #[test]
    fn node_timeout_where_the_laptop_connects_is_an_allow_list() {
        let ok = |s| StepResult::ok(s, 1, "");
        let laptop = report(
            Side::Laptop,
            vec![dns_step(&["43.1.1.1"]), ok(Step::Tcp), ok(Step::Tls)],
        );
        let node = report(
            Side::Node("n1".into()),
            vec![
                dns_step(&["43.1.1.1"]),
                StepResult::fail(Step::Tcp, 5000, Category::NetworkTimeout, "timeout"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::AllowList)
        );
        let node = report(
            Side::Node("n1".into()),
            vec![
                dns_step(&["43.1.1.1"]),
                StepResult::ok(Step::Tcp, 1, ""),
                StepResult::fail(Step::Tls, 3, Category::TlsUntrusted, "unknown authority"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::NodeCa)
        );
        assert_eq!(compare_sides(&laptop, &laptop), None);
    }

    #[test]
    fn no_proxy_follows_go_rules() {
        let env = ProxyEnv {
            https_proxy: Some(("HTTPS_PROXY".into(), "http://proxy:3128".into())),
            http_proxy: None,
            no_proxy: Some(".corp.example, 10.0.0.0/8, reg.other:5000".into()),
        };
        assert!(matches!(
            proxy_use(&env, "reg.example.com", 443, true),
            ProxyUse::Applies { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "a.corp.example", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "10.1.2.3", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "reg.other", 5000, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "reg.other", 443, true),
            ProxyUse::Applies { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "127.0.0.1", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert_eq!(
            proxy_use(&env, "reg.example.com", 80, false),
            ProxyUse::None
        );
    }

    #[test]
    fn challenges_are_parsed_with_their_params() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:team/app:pull",error="insufficient_scope""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.example/token"));
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
        let b = parse_challenges(r#"Basic realm="pulltui-harness""#);
        assert_eq!(b[0].scheme, "basic");
    }

    #[test]
    fn a_jwt_access_claim_tells_whether_pull_is_granted() {
        use base64::Engine as _;
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let tok = |access: serde_json::Value| {
            format!(
                "{}.{}.sig",
                enc(serde_json::json!({"alg": "RS256"})),
                enc(serde_json::json!({"access": access}))
            )
        };
        let granted =
            tok(serde_json::json!([{"type":"repository","name":"team/app","actions":["pull"]}]));
        assert_eq!(token_grants_pull(&granted, "team/app"), Some(true));
        assert_eq!(token_grants_pull(&granted, "team/other"), Some(false));
        assert_eq!(
            token_grants_pull(&tok(serde_json::json!([])), "team/app"),
            Some(false)
        );
        assert_eq!(token_grants_pull("opaque-token", "team/app"), None);
    }

    #[test]
    fn index_platforms_and_the_node_platform() {
        let body = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#;
        let p = index_platforms(body).expect("index");
        assert_eq!(p[0].to_string(), "linux/arm64/v8");
        let node = Platform::new("linux", "amd64");
        assert!(!p.iter().any(|e| node.served_by(e)));
        assert!(Platform::new("linux", "arm64").served_by(&p[0]));
        assert_eq!(Platform::parse("linux/amd64"), Some(node));
        assert_eq!(Platform::parse("linux"), None);
    }

    #[test]
    fn curl_messages_name_the_tls_failure() {
        assert_eq!(
            tls_failure_from_curl("curl: (60) SSL certificate problem: self-signed certificate"),
            TlsFailure::SelfSigned
        );
        assert_eq!(
            tls_failure_from_curl(
                "curl: (60) SSL certificate problem: unable to get local issuer certificate"
            ),
            TlsFailure::UnknownAuthority
        );
        assert_eq!(
            tls_failure_from_curl(
                "curl: (60) SSL: no alternative certificate subject name matches target host name 'x'"
            ),
            TlsFailure::Hostname
        );
        assert_eq!(
            tls_failure_from_curl("curl: (60) SSL certificate problem: certificate has expired"),
            TlsFailure::Expired
        );
        assert_eq!(
            tls_failure_from_curl("curl: (35) error:0A00010B:SSL routines::wrong version number"),
            TlsFailure::PlainHttp
        );
    }

    #[test]
    fn dns_disagreement_is_flagged() {
        let f = DnsFacts {
            system: Some(Resolution::Addrs {
                addrs: vec!["10.0.3.7".parse().expect("ip")],
            }),
            library: Some(Resolution::Addrs {
                addrs: vec!["43.137.1.5".parse().expect("ip")],
            }),
            nameserver: None,
            literal: false,
        };
        assert!(f.disagree());
        let (st, _, d) = f.result("reg.example.com");
        assert_eq!(st, Status::Ok);
        assert!(d.contains("DISAGREE"), "{d}");
        assert!(d.contains("10.0.3.7 (private)"), "{d}");
        let nx = DnsFacts {
            library: Some(Resolution::NxDomain),
            nameserver: Some("127.0.0.1:53".into()),
            ..DnsFacts::default()
        };
        let (st, cat, d) = nx.result("registry.nx.invalid");
        assert_eq!((st, cat), (Status::Fail, Some(Category::NetworkDns)));
        assert!(d.contains("NXDOMAIN"), "{d}");
    }
}
