//! Pull secrets in force for a pod, and whether they cover a registry.
//!
//! Matching follows kubelet's credential keyring
//! (`pkg/credentialprovider/keyring.go`): keys lose their scheme, `/v1/` and
//! `/v2/` are the bare host, host parts may be globs (`*.example.com`), ports
//! must be equal, a key's path must prefix the image's repository, and Docker
//! Hub's `index.docker.io` / `docker.io` keys cover Docker Hub images.
//!
//! Credentials never leave this module: only host keys (less any userinfo)
//! and usernames do.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::api::core::v1::Secret;
use serde::{Deserialize, Serialize};

use super::cred_expiry::{CredExpiry, decode_entry};
use super::image::{DOCKER_HUB, ImageRef};

pub const DOCKER_CONFIG_JSON_TYPE: &str = "kubernetes.io/dockerconfigjson";
pub const DOCKER_CFG_TYPE: &str = "kubernetes.io/dockercfg";
pub const DOCKER_CONFIG_JSON_KEY: &str = ".dockerconfigjson";
pub const DOCKER_CFG_KEY: &str = ".dockercfg";

/// Where a pull secret comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum SecretSource {
    /// The pod's own `imagePullSecrets`.
    Pod,
    /// The `imagePullSecrets` of the pod's ServiceAccount.
    ServiceAccount(String),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Pod => f.write_str("pod"),
            SecretSource::ServiceAccount(n) => write!(f, "serviceaccount/{n}"),
        }
    }
}

/// One `auths` entry, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthEntry {
    /// The key as written (`https://index.docker.io/v1/`, `reg:5000`, ...).
    pub key: String,
    /// The key as kubelet matches it (`index.docker.io`, `reg:5000/team`).
    pub normalized: String,
    pub username: Option<String>,
    /// Whether this entry applies to the image.
    pub covers: bool,
    /// What its credential's kind and expiry are, when they can be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<CredExpiry>,
}

/// What reading one secret told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SecretState {
    /// The secret does not exist (404).
    Missing,
    /// RBAC forbids reading it: coverage cannot be checked.
    Forbidden,
    /// Could not be read for another reason (message).
    Unreadable { reason: String },
    /// Exists but has a type kubelet ignores for pulls.
    WrongType { secret_type: String },
    /// Right type, but the payload is not a docker config.
    Unparseable { reason: String },
    /// Parsed: the entries, and whether any covers the image.
    Parsed {
        entries: Vec<AuthEntry>,
        covers: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretCheck {
    pub name: String,
    pub source: SecretSource,
    #[serde(flatten)]
    pub state: SecretState,
}

impl SecretCheck {
    pub fn covers(&self) -> bool {
        matches!(self.state, SecretState::Parsed { covers: true, .. })
    }
}

/// The verdict over all secrets in force for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// At least one readable secret covers the registry.
    Covered,
    /// Secrets were readable and none covers the registry.
    NotCovered,
    /// The pod has no pull secrets at all.
    NoSecrets,
    /// Some secrets could not be read (forbidden, ...) and none readable covers.
    Unknown,
    /// No pull secret covers the registry, but its host is one a node
    /// credential provider serves (ECR, Artifact Registry, ACR, TCR): the
    /// kubelet may get credentials from it (`domain::node_credentials`).
    NodeProvider,
}

pub fn coverage(checks: &[SecretCheck]) -> Coverage {
    if checks.is_empty() {
        return Coverage::NoSecrets;
    }
    if checks.iter().any(SecretCheck::covers) {
        return Coverage::Covered;
    }
    let unreadable = checks.iter().any(|c| {
        matches!(
            c.state,
            SecretState::Forbidden | SecretState::Unreadable { .. }
        )
    });
    if unreadable {
        Coverage::Unknown
    } else {
        Coverage::NotCovered
    }
}

/// A pull secret reduced to what may be shown: its type and its `auths`
/// keys with usernames. Read once where the secret is fetched, so the
/// credentials never travel further (messages, logs, Debug output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SecretInfo {
    /// A type kubelet ignores for pulls.
    WrongType { secret_type: String },
    /// Right type, but the payload is not a docker config.
    Unparseable { reason: String },
    /// The `auths` keys, sorted, each with its username.
    Parsed { entries: Vec<AuthKey> },
}

/// One `auths` key of a secret, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthKey {
    /// The key as written, less any userinfo ([`strip_userinfo`]; also
    /// when read from a snapshot written before that rule).
    #[serde(deserialize_with = "without_userinfo")]
    pub key: String,
    /// The key as kubelet matches it.
    #[serde(deserialize_with = "without_userinfo")]
    pub normalized: String,
    pub username: Option<String>,
    /// Its credential's kind and expiry, decoded locally
    /// (`domain::cred_expiry`); absent from snapshots written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<CredExpiry>,
}

fn without_userinfo<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    Ok(strip_userinfo(&s).into_owned())
}

/// `key` without the userinfo of its authority: `https://user:pw@reg/v1/`
/// is `https://reg/v1/`, `user:pw@reg` is `reg`. kubelet's keyring reads a
/// key with Go's `url.Parse` and keeps its `Host`, which has no userinfo;
/// here the key is also what is shown and stored, so a password written
/// into it goes no further. The authority ends at the first `/`, `?` or
/// `#`; its userinfo ends at its last `@`, as in `url.Parse`.
pub fn strip_userinfo(key: &str) -> std::borrow::Cow<'_, str> {
    let start = key.find("://").map_or(0, |i| i + 3);
    let rest = &key[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(format!("{}{}", &key[..start], &rest[at + 1..])),
        None => std::borrow::Cow::Borrowed(key),
    }
}

/// Reads a fetched secret into its shareable summary.
pub fn read_secret(secret: &Secret) -> SecretInfo {
    let ty = secret.type_.as_deref().unwrap_or("Opaque");
    let data = secret.data.as_ref();
    let payload = match ty {
        DOCKER_CONFIG_JSON_TYPE => data.and_then(|d| d.get(DOCKER_CONFIG_JSON_KEY)),
        DOCKER_CFG_TYPE => data.and_then(|d| d.get(DOCKER_CFG_KEY)),
        other => {
            return SecretInfo::WrongType {
                secret_type: other.to_string(),
            };
        }
    };
    let Some(payload) = payload else {
        let key = if ty == DOCKER_CFG_TYPE {
            DOCKER_CFG_KEY
        } else {
            DOCKER_CONFIG_JSON_KEY
        };
        return SecretInfo::Unparseable {
            reason: format!("no {key} key"),
        };
    };
    match parse_entries(&payload.0, ty == DOCKER_CFG_TYPE) {
        Ok(raw) => SecretInfo::Parsed {
            entries: raw
                .into_iter()
                .map(|(key, username, expiry)| AuthKey {
                    normalized: normalize_key(&key),
                    key,
                    username,
                    expiry,
                })
                .collect(),
        },
        Err(reason) => SecretInfo::Unparseable { reason },
    }
}

/// Checks a secret's summary against an image.
pub fn check_info(info: &SecretInfo, image: &ImageRef) -> SecretState {
    match info {
        SecretInfo::WrongType { secret_type } => SecretState::WrongType {
            secret_type: secret_type.clone(),
        },
        SecretInfo::Unparseable { reason } => SecretState::Unparseable {
            reason: reason.clone(),
        },
        SecretInfo::Parsed { entries } => {
            let entries: Vec<AuthEntry> = entries
                .iter()
                .map(|k| AuthEntry {
                    key: k.key.clone(),
                    normalized: k.normalized.clone(),
                    username: k.username.clone(),
                    covers: key_matches(&k.normalized, image),
                    expiry: k.expiry.clone(),
                })
                .collect();
            let covers = entries.iter().any(|e| e.covers);
            SecretState::Parsed { entries, covers }
        }
    }
}

/// One `auths` entry as read: key, username, what its credential's expiry is.
type RawEntry = (String, Option<String>, Option<CredExpiry>);

/// A credential in force for an image whose kind (and expiry) is known:
/// what `check --json` prints as `expires`, the table's marker and the
/// detail read. Never the credential, only where it is and when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretExpiry {
    /// The pull secret's name.
    pub secret: String,
    /// The `auths` key that covers the image.
    pub key: String,
    #[serde(flatten)]
    pub expiry: CredExpiry,
}

/// The known expiries of the `auths` entries of `secrets` (a pod's pull
/// secrets in force, by name) that cover `image`, soonest first.
pub fn expiries_for(secrets: &[(String, SecretInfo)], image: &ImageRef) -> Vec<SecretExpiry> {
    let mut out: Vec<SecretExpiry> = secrets
        .iter()
        .filter_map(|(name, info)| match info {
            SecretInfo::Parsed { entries } => Some((name, entries)),
            _ => None,
        })
        .flat_map(|(name, entries)| {
            entries
                .iter()
                .filter(|k| key_matches(&k.normalized, image))
                .filter_map(move |k| {
                    Some(SecretExpiry {
                        secret: name.clone(),
                        key: k.key.clone(),
                        expiry: k.expiry.clone()?,
                    })
                })
        })
        .collect();
    // Known times first, soonest first; robot accounts without one last.
    out.sort_by_key(|e| (e.expiry.expires.is_none(), e.expiry.expires));
    out
}

/// Parses a docker config payload into (key, username, expiry). The
/// password, `auth` and tokens are read only to find the username and the
/// expiry, and then dropped.
fn parse_entries(payload: &[u8], legacy_dockercfg: bool) -> Result<Vec<RawEntry>, String> {
    let v: serde_json::Value = serde_json::from_slice(payload).map_err(|e| {
        // serde_json's message names line and column, never the content.
        format!("not JSON ({e})")
    })?;
    let auths = if legacy_dockercfg {
        v.as_object()
    } else {
        v.get("auths").and_then(|a| a.as_object())
    };
    let Some(auths) = auths else {
        return Err(if legacy_dockercfg {
            "not a JSON object".to_string()
        } else {
            "no \"auths\" object".to_string()
        });
    };
    let mut out = Vec::with_capacity(auths.len());
    for (key, entry) in auths {
        let username = entry
            .get("username")
            .and_then(|u| u.as_str())
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| {
                let auth = entry.get("auth")?.as_str()?;
                let decoded = STANDARD.decode(auth.trim()).ok()?;
                let text = String::from_utf8(decoded).ok()?;
                let user = text.split_once(':').map(|(u, _)| u.to_string());
                drop(text);
                user.filter(|u| !u.is_empty())
            });
        let expiry = decode_entry(entry, username.as_deref());
        out.push((strip_userinfo(key).into_owned(), username, expiry));
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(out)
}

/// A key as kubelet's keyring stores it: no scheme, no userinfo, `/v1/`
/// and `/v2/` mean the host, a trailing path kept without trailing slash.
pub fn normalize_key(key: &str) -> String {
    let k = strip_userinfo(key.trim());
    let k = k.as_ref();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let (host, path) = match k.find('/') {
        Some(i) => (&k[..i], &k[i..]),
        None => (k, ""),
    };
    let path = path
        .strip_prefix("/v2/")
        .or_else(|| path.strip_prefix("/v1/"))
        .map(|p| format!("/{p}"))
        .unwrap_or_else(|| path.to_string());
    let path = path.trim_end_matches('/');
    let host = host.to_ascii_lowercase();
    if path.is_empty() {
        host
    } else {
        format!("{host}{path}")
    }
}

/// Whether a normalised key applies to an image, as kubelet decides.
pub fn key_matches(normalized: &str, image: &ImageRef) -> bool {
    let (key_host, key_path) = match normalized.find('/') {
        Some(i) => (&normalized[..i], &normalized[i + 1..]),
        None => (normalized, ""),
    };
    let image_registry = image.registry.to_ascii_lowercase();
    // Docker Hub: kubelet keeps `index.docker.io` as the default registry's key.
    if image.is_docker_hub() && (key_host == "index.docker.io" || key_host == DOCKER_HUB) {
        return key_path.is_empty() || repo_has_prefix(&image.repository, key_path);
    }
    if !host_glob_matches(key_host, &image_registry) {
        return false;
    }
    key_path.is_empty() || repo_has_prefix(&image.repository, key_path)
}

fn repo_has_prefix(repo: &str, prefix: &str) -> bool {
    // kubelet uses strings.HasPrefix on the path.
    repo.starts_with(prefix)
}

fn split_port(hostport: &str) -> (&str, &str) {
    if hostport.starts_with('[') {
        return match hostport.find(']') {
            Some(i) => (&hostport[..=i], hostport[i + 1..].trim_start_matches(':')),
            None => (hostport, ""),
        };
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None => (hostport, ""),
    }
}

/// Host parts compared one by one with `*`-globs; ports must be equal.
fn host_glob_matches(glob: &str, target: &str) -> bool {
    let (gh, gp) = split_port(glob);
    let (th, tp) = split_port(target);
    if gp != tp {
        return false;
    }
    let gparts: Vec<&str> = gh.split('.').collect();
    let tparts: Vec<&str> = th.split('.').collect();
    gparts.len() == tparts.len()
        && gparts
            .iter()
            .zip(&tparts)
            .all(|(g, t)| glob_part_matches(g, t))
}

/// `filepath.Match` for one host label: `*` any run, `?` one character.
fn glob_part_matches(glob: &str, text: &str) -> bool {
    wildcard(glob, text, Some('?'))
}

/// The one wildcard matcher: `*` matches any run of characters (a `/`
/// too), `one` (if any) exactly one character, everything else itself.
/// Pull-secret host labels use `?` (as `filepath.Match`); the upstream
/// events table's repository globs do not.
pub fn wildcard(glob: &str, text: &str, one: Option<char>) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut gi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if gi < g.len() && (Some(g[gi]) == one || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some(gi);
            mark = ti;
            gi += 1;
        } else if let Some(s) = star {
            gi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while gi < g.len() && g[gi] == '*' {
        gi += 1;
    }
    gi == g.len()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;

    use super::*;

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).expect("test image")
    }

    /// One secret (already fetched) against an image.
    fn check_secret(secret: &Secret, image: &ImageRef) -> SecretState {
        check_info(&read_secret(secret), image)
    }

    fn secret(ty: &str, key: &str, payload: &str) -> Secret {
        let mut data = BTreeMap::new();
        data.insert(key.to_string(), ByteString(payload.as_bytes().to_vec()));
        Secret {
            type_: Some(ty.to_string()),
            data: Some(data),
            ..Default::default()
        }
    }

    fn auth(user: &str, pass: &str) -> String {
        STANDARD.encode(format!("{user}:{pass}"))
    }

    #[test]
    fn normalisation_drops_scheme_and_v1() {
        assert_eq!(
            normalize_key("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(normalize_key("http://reg.example:5000"), "reg.example:5000");
        assert_eq!(normalize_key("reg.example:5000/v2/"), "reg.example:5000");
        assert_eq!(normalize_key("reg.example/team/"), "reg.example/team");
        assert_eq!(normalize_key("Reg.Example.COM"), "reg.example.com");
    }

    #[test]
    fn docker_hub_aliases_cover_hub_images() {
        for key in [
            "https://index.docker.io/v1/",
            "docker.io",
            "index.docker.io",
        ] {
            assert!(key_matches(&normalize_key(key), &image("nginx")), "{key}");
            assert!(
                key_matches(&normalize_key(key), &image("bitnami/redis:7")),
                "{key}"
            );
        }
        assert!(!key_matches("index.docker.io", &image("quay.io/a/b")));
    }

    #[test]
    fn ports_must_match() {
        assert!(key_matches(
            "127.0.0.1:5000",
            &image("127.0.0.1:5000/team/app:1")
        ));
        assert!(!key_matches(
            "127.0.0.1",
            &image("127.0.0.1:5000/team/app:1")
        ));
        assert!(!key_matches(
            "127.0.0.1:5001",
            &image("127.0.0.1:5000/team/app:1")
        ));
    }

    #[test]
    fn globs_and_paths() {
        assert!(key_matches("*.azurecr.io", &image("demo.azurecr.io/app:1")));
        assert!(!key_matches("*.azurecr.io", &image("a.b.azurecr.io/app:1")));
        assert!(key_matches(
            "reg.example/team",
            &image("reg.example/team/app:1")
        ));
        assert!(!key_matches(
            "reg.example/other",
            &image("reg.example/team/app:1")
        ));
    }

    #[test]
    fn dockerconfigjson_usernames_never_passwords() {
        let payload = format!(
            r#"{{"auths":{{"reg.example:5000":{{"auth":"{}"}},"https://index.docker.io/v1/":{{"username":"hub","password":"p"}}}}}}"#,
            auth("alice", "s3cret")
        );
        let s = secret(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, &payload);
        let state = check_secret(&s, &image("reg.example:5000/team/app:1"));
        let SecretState::Parsed { entries, covers } = &state else {
            panic!("parsed: {state:?}");
        };
        assert!(covers);
        assert_eq!(entries.len(), 2);
        let e = entries
            .iter()
            .find(|e| e.key == "reg.example:5000")
            .expect("entry");
        assert_eq!(e.username.as_deref(), Some("alice"));
        let dbg = format!("{state:?}{}", serde_json::to_string(&state).expect("json"));
        assert!(!dbg.contains("s3cret"));
        assert!(!dbg.contains(&auth("alice", "s3cret")));
    }

    /// A key written `https://user:password@host`:
    /// kubelet's `url.Parse` keeps the host and drops the userinfo; so do
    /// the entry's key and its matching, so the password is neither shown
    /// nor stored (snapshots keep `SecretInfo`).
    #[test]
    fn userinfo_in_a_key_is_dropped_and_the_host_still_matches() {
        let payload = format!(
            r#"{{"auths":{{"https://robot:k3y-s3cret@reg.example:5000/v1/":{{"auth":"{}"}},"bob:t0ken-s3cret@other.example/team":{{"username":"bob","password":"p"}}}}}}"#,
            auth("robot", "x")
        );
        let s = secret(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, &payload);
        let info = read_secret(&s);
        let SecretInfo::Parsed { entries } = &info else {
            panic!("parsed: {info:?}");
        };
        let keys: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.normalized.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("https://reg.example:5000/v1/", "reg.example:5000"),
                ("other.example/team", "other.example/team"),
            ]
        );
        assert!(matches!(
            check_info(&info, &image("reg.example:5000/team/app:1")),
            SecretState::Parsed { covers: true, .. }
        ));
        assert!(key_matches(
            &normalize_key("u:p@other.example/team"),
            &image("other.example/team/app:1")
        ));
        let state = check_info(&info, &image("other.example/team/app:1"));
        let shown = format!(
            "{info:?}{state:?}{}{}",
            serde_json::to_string(&info).expect("json"),
            serde_json::to_string(&state).expect("json")
        );
        assert!(!shown.contains("s3cret") && !shown.contains('@'), "{shown}");
        // A summary saved before this rule reads without the userinfo too.
        let old: AuthKey = serde_json::from_str(
            r#"{"key":"https://u:k3y-s3cret@reg.example/","normalized":"u:k3y-s3cret@reg.example","username":"u"}"#,
        )
        .expect("an AuthKey");
        assert_eq!(
            (old.key.as_str(), old.normalized.as_str()),
            ("https://reg.example/", "reg.example")
        );
    }

    #[test]
    fn expiry_is_read_with_each_entry_and_only_for_covering_keys() {
        let ecr = STANDARD.encode(
            r#"{"payload":"p","datakey":"d","version":"2","type":"DATA_KEY","expiration":1790000000}"#,
        );
        let payload = format!(
            r#"{{"auths":{{"reg.example:5000":{{"username":"AWS","password":"{ecr}","auth":"{}"}},"other.example":{{"username":"robot$team+ci","password":"x"}}}}}}"#,
            auth("AWS", &ecr)
        );
        let s = secret(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, &payload);
        let info = read_secret(&s);
        let shown = format!("{info:?}{}", serde_json::to_string(&info).expect("json"));
        assert!(
            !shown.contains(&ecr) && !shown.contains("datakey"),
            "{shown}"
        );
        let got = expiries_for(
            &[("ecr".into(), info.clone())],
            &image("reg.example:5000/a:1"),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].secret, "ecr");
        assert_eq!(
            got[0].expiry.kind,
            crate::domain::cred_expiry::CredKind::EcrToken
        );
        assert_eq!(
            got[0].expiry.expires.map(|t| t.as_second()),
            Some(1_790_000_000)
        );
        let robot = expiries_for(&[("r".into(), info)], &image("other.example/a:1"));
        assert_eq!(
            robot[0].expiry.kind,
            crate::domain::cred_expiry::CredKind::HarborRobot
        );
        assert!(expiries_for(&[], &image("reg.example:5000/a:1")).is_empty());
    }

    #[test]
    fn legacy_dockercfg_is_read() {
        let payload = format!(r#"{{"reg.example":{{"auth":"{}"}}}}"#, auth("bob", "x"));
        let s = secret(DOCKER_CFG_TYPE, DOCKER_CFG_KEY, &payload);
        assert!(matches!(
            check_secret(&s, &image("reg.example/a:1")),
            SecretState::Parsed { covers: true, .. }
        ));
    }

    #[test]
    fn wrong_type_and_bad_payloads() {
        let s = secret("Opaque", "x", "{}");
        assert_eq!(
            check_secret(&s, &image("a.example/b")),
            SecretState::WrongType {
                secret_type: "Opaque".into()
            }
        );
        let s = secret(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, "not json");
        assert!(matches!(
            check_secret(&s, &image("a.example/b")),
            SecretState::Unparseable { .. }
        ));
        let s = secret(
            DOCKER_CONFIG_JSON_TYPE,
            DOCKER_CONFIG_JSON_KEY,
            r#"{"x":1}"#,
        );
        assert!(matches!(
            check_secret(&s, &image("a.example/b")),
            SecretState::Unparseable { .. }
        ));
        let s = secret(DOCKER_CONFIG_JSON_TYPE, "wrong-key", "{}");
        assert!(matches!(
            check_secret(&s, &image("a.example/b")),
            SecretState::Unparseable { .. }
        ));
    }

    #[test]
    fn coverage_verdicts() {
        let check = |state| SecretCheck {
            name: "s".into(),
            source: SecretSource::Pod,
            state,
        };
        assert_eq!(coverage(&[]), Coverage::NoSecrets);
        assert_eq!(
            coverage(&[check(SecretState::Missing)]),
            Coverage::NotCovered
        );
        assert_eq!(
            coverage(&[check(SecretState::Forbidden)]),
            Coverage::Unknown
        );
        assert_eq!(
            coverage(&[
                check(SecretState::Forbidden),
                check(SecretState::Parsed {
                    entries: vec![],
                    covers: true
                })
            ]),
            Coverage::Covered
        );
    }
}
