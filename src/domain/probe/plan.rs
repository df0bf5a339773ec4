//! What to probe and how: the [`ProbePlan`] (image, node platform,
//! resolver, timeouts), and the [`Credential`]s taken from pull secrets by
//! kubelet's matching. Built by the cli or the app; executed by
//! `crate::probe`.

use std::fmt;
use std::net::SocketAddr;

use serde::Serialize;

use crate::domain::image::ImageRef;
use crate::domain::redact::Redacted;

/// A credential to try, from a pull secret (or given on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Where it comes from, for the detail: `secret team/pull (127.0.0.1:5000)`.
    pub source: String,
    pub username: String,
    pub password: Redacted,
    /// Its kind and expiry as decoded locally (`domain::cred_expiry`).
    pub expiry: Option<crate::domain::cred_expiry::CredExpiry>,
}

impl Credential {
    /// `user U from SOURCE`, with the credential's expiry at `now` when
    /// known (`(ECR token: expired 3 h ago)`): what the auth step names.
    pub fn who(&self, now: jiff::Timestamp) -> String {
        let mut s = format!("user {} from {}", self.username, self.source);
        if let Some(e) = &self.expiry {
            s.push_str(&format!(" ({})", e.describe(now)));
        }
        s
    }
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
    use crate::domain::secrets::{
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
        let expiry = crate::domain::cred_expiry::decode_entry(entry, Some(&user));
        out.push(Credential {
            expiry,
            // The key as shown everywhere: without a password written into it.
            source: format!(
                "secret {name} ({})",
                crate::domain::secrets::strip_userinfo(k)
            ),
            username: user,
            password: pass,
        });
    }
    Ok(out)
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

    /// A probed credential says when it expires, beside the certificate's.
    #[test]
    fn a_probed_credential_and_certificate_say_when_they_expire() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let pw = b64(
            r#"{"payload":"p","datakey":"d","version":"2","type":"DATA_KEY","expiration":1790000000}"#,
        );
        let cfg =
            format!(r#"{{"auths":{{"reg.example":{{"username":"AWS","password":"{pw}"}}}}}}"#);
        let secret: k8s_openapi::api::core::v1::Secret =
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "ecr", "namespace": "team"},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": b64(&cfg)},
            }))
            .expect("secret");
        let image = ImageRef::parse("reg.example/team/app:1").expect("image");
        let creds = credentials_from_secret(&secret, &image).expect("credentials");
        let now = jiff::Timestamp::from_second(1_790_000_000 + 3 * 3600).expect("time");
        assert_eq!(
            creds[0].who(now),
            "user AWS from secret team/ecr (reg.example) (ECR token: expired 3 h ago)"
        );
        assert!(!format!("{creds:?}").contains(&pw));
        let cert = super::super::facts::CertInfo {
            subject: "CN=reg.example".into(),
            issuer: "CN=ca".into(),
            sans: vec![],
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2026-10-01T00:00:00Z".into(),
        };
        let t = |s: &str| s.parse::<jiff::Timestamp>().expect("time");
        assert_eq!(
            cert.expiry(t("2026-09-01T00:00:00Z")).as_deref(),
            Some("the certificate expires in 30 d")
        );
        assert_eq!(
            cert.expiry(t("2026-10-01T03:00:00Z")).as_deref(),
            Some("the certificate expired 3 h ago")
        );
    }
}
