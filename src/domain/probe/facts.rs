//! What each step observed, in structured form: DNS answers per resolver,
//! TCP attempts, the TLS chain and why a handshake failed, registry auth
//! challenges and token grants, and manifest platforms.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::plan::Platform;
use super::proxy::ProxyUse;
use super::step::Status;
use crate::domain::classify::Category;
use crate::domain::ipscope::IpScope;

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

/// A registry certificate that ends within this long (a week) is worth a
/// warning: named below `check`'s table, amber in the detail, a row marker.
pub const CERT_SOON_SECS: i64 = 7 * 86_400;

/// Whether a certificate ending `at` had expired, or ends within
/// [`CERT_SOON_SECS`], at `now`.
pub fn cert_ends_soon(at: jiff::Timestamp, now: jiff::Timestamp) -> bool {
    at.as_second() - now.as_second() < CERT_SOON_SECS
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

    /// `the certificate expires in 40 d` / `… expired 3 h ago` at `now`,
    /// from `not_after` (RFC 3339), shown beside the credentials' expiry.
    pub fn expiry(&self, now: jiff::Timestamp) -> Option<String> {
        let t: jiff::Timestamp = self.not_after.parse().ok()?;
        let span = crate::domain::cred_expiry::span;
        Some(if t <= now {
            format!("the certificate expired {} ago", span(now, t))
        } else {
            format!("the certificate expires in {}", span(t, now))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
