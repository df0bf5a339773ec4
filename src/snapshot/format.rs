//! The snapshot file: a versioned YAML document of what an incident looked
//! like — the failing pods (without managedFields; env values, command and
//! args redacted), all their events, the owner chain (ReplicaSet → Deployment,
//! Job → CronJob, StatefulSet, DaemonSet), ServiceAccounts, pull-secret
//! *metadata* (type, `auths` hosts, usernames — never passwords, `auth`
//! strings or tokens), the last cause seen per container, and the names of
//! the healthy pods (for counts). Documented in README.md ("Snapshots").
//!
//! Loading never panics: YAML errors carry line and column, a file of
//! another kind or of a newer format version is refused by name.

use std::fmt;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod, ServiceAccount};
use kube::api::DynamicObject;
use serde::{Deserialize, Serialize};

use crate::domain::scope::Scope;
use crate::domain::secrets::SecretInfo;

/// `kind:` of a snapshot document.
pub const KIND: &str = "PulltuiSnapshot";
/// The format version this pulltui writes and the newest it reads.
pub const VERSION: u32 = 1;
/// Refuse files larger than this (a snapshot of 50,000 pods is ~40 MB).
pub const MAX_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always `PulltuiSnapshot`.
    pub kind: String,
    /// Format version (`VERSION`).
    pub version: u32,
    pub captured_at: Timestamp,
    pub pulltui_version: String,
    pub context: Option<String>,
    pub server: Option<String>,
    /// The namespaces captured.
    pub scope: Scope,
    /// The context's namespace (the palette's default).
    #[serde(default)]
    pub default_namespace: Option<String>,
    /// Set when listing all namespaces was forbidden: the API server's words.
    #[serde(default)]
    pub fallback: Option<String>,
    /// All pods seen, failing or not.
    pub pods_seen: usize,
    /// Namespaces known (listed, or those of the pods seen).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// `namespace/name` of every healthy pod seen.
    #[serde(default)]
    pub healthy_pods: Vec<String>,
    /// The failing pods, whole (stripped).
    #[serde(default)]
    pub pods: Vec<Pod>,
    /// Every event about the failing pods.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The objects of the pods' owner chains.
    #[serde(default)]
    pub owners: Vec<DynamicObject>,
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
    /// Pull secrets referenced by the pods and their ServiceAccounts.
    #[serde(default)]
    pub pull_secrets: Vec<PullSecret>,
    /// Reads that did not find their object (403, 404, errors).
    #[serde(default)]
    pub unread: Vec<Unread>,
    /// The latest cause seen per pod and container.
    #[serde(default)]
    pub last_errors: Vec<LastError>,
}

/// A pull secret's metadata: never its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullSecret {
    pub namespace: String,
    pub name: String,
    pub info: SecretInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadKind {
    ServiceAccount,
    Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadOutcome {
    Missing,
    Forbidden,
    Failed,
}

/// An object the capture could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unread {
    pub kind: ReadKind,
    pub namespace: String,
    pub name: String,
    pub outcome: ReadOutcome,
    #[serde(default)]
    pub message: String,
}

/// The latest cause-carrying event of a container (or the pod-level
/// pull-secret warning) as the console kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastError {
    pub namespace: String,
    pub pod: String,
    #[serde(default)]
    pub pod_uid: Option<String>,
    /// `None`: about the whole pod.
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub secret_missing: bool,
    pub message: String,
    #[serde(default)]
    pub first_seen: Option<Timestamp>,
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
    #[serde(default)]
    pub count: u32,
}

/// Why a file cannot be read as a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Io(String),
    TooLarge(u64),
    /// YAML syntax or shape, with the place when known.
    Syntax {
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
    NotASnapshot(String),
    /// Written by a newer pulltui.
    FutureVersion(u32),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the file: {e}"),
            LoadError::TooLarge(n) => {
                write!(
                    f,
                    "the file is {n} bytes; snapshots larger than {MAX_BYTES} are refused"
                )
            }
            LoadError::Syntax {
                line: Some(l),
                column: Some(c),
                message,
            } => write!(f, "line {l}, column {c}: {message}"),
            LoadError::Syntax { message, .. } => write!(f, "{message}"),
            LoadError::NotASnapshot(why) => write!(f, "not a pulltui snapshot: {why}"),
            LoadError::FutureVersion(v) => write!(
                f,
                "written in snapshot format version {v} by a newer pulltui; this pulltui {} reads up to version {VERSION} — upgrade pulltui",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Just enough to check the kind and version before the whole parse.
#[derive(Deserialize)]
struct Header {
    kind: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

fn syntax(e: &serde_saphyr::Error) -> LoadError {
    let loc = e.location();
    // The rendered error repeats the location and a snippet; keep its first line.
    let text = e.to_string();
    let message = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML")
        .to_string();
    LoadError::Syntax {
        line: loc.map(|l| l.line()),
        column: loc.map(|l| l.column()),
        message,
    }
}

/// Parses a snapshot document.
pub fn parse(text: &str) -> Result<Snapshot, LoadError> {
    let header: Header = serde_saphyr::from_str(text).map_err(|e| syntax(&e))?;
    match header.kind.as_ref().and_then(|k| k.as_str()) {
        Some(KIND) => {}
        Some(other) => {
            return Err(LoadError::NotASnapshot(format!(
                "kind is {other:?}, not {KIND}"
            )));
        }
        None => return Err(LoadError::NotASnapshot(format!("no `kind: {KIND}` line"))),
    }
    let version = header
        .version
        .as_ref()
        .and_then(|v| v.as_u64())
        .ok_or_else(|| LoadError::NotASnapshot("no numeric `version`".into()))?;
    let version = u32::try_from(version).unwrap_or(u32::MAX);
    if version > VERSION {
        return Err(LoadError::FutureVersion(version));
    }
    if version == 0 {
        return Err(LoadError::NotASnapshot("version 0 does not exist".into()));
    }
    serde_saphyr::from_str(text).map_err(|e| syntax(&e))
}

/// Reads and parses a snapshot file.
pub fn load(path: &std::path::Path) -> Result<Snapshot, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::Io(e.to_string()))?;
    if meta.len() > MAX_BYTES {
        return Err(LoadError::TooLarge(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::Syntax {
        line: None,
        column: None,
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    parse(&text)
}

/// The document, with a comment header saying what it is.
pub fn to_yaml(s: &Snapshot) -> Result<String, String> {
    let body = serde_saphyr::to_string(s).map_err(|e| e.to_string())?;
    Ok(format!(
        "# pulltui snapshot (format {VERSION}): failing pods, their events, owners,\n\
         # ServiceAccounts and pull-secret metadata. No secret data.\n\
         # Open it with: pulltui --replay FILE   or   pulltui check --replay FILE\n{body}"
    ))
}
