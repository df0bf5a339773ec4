//! The snapshot file: a versioned YAML document of what an incident looked
//! like — the failing pods (without managedFields; commands, args, env and
//! header values, volume options and annotation values redacted, see
//! `capture::redact_pod`), all their events, the owner chain (ReplicaSet →
//! Deployment, Job → CronJob, StatefulSet, DaemonSet), ServiceAccounts, pull-secret
//! *metadata* (type, `auths` hosts, usernames — never passwords, `auth`
//! strings or tokens), the last cause seen per container, and the names of
//! the healthy pods (for counts). Documented in docs/snapshots.md.
//!
//! Loading never panics: YAML errors carry line and column, a file of
//! another kind or of a newer format version is refused by name.
//!
//! Completeness: a file states near its top how many items each of its
//! lists holds (`contents:`) and ends with `end: PulltuiSnapshot`. A file
//! that states its contents but lacks the end line, or whose lists hold
//! other counts, was cut (a copy interrupted, a paste cut short) and is
//! refused. Being data rather than bytes, the check survives a conversion
//! to JSON or a re-indent; a file without `contents:` (written before it
//! existed) loads with a warning, since its completeness cannot be checked.
//! Standard input, a FIFO or a device is read through the same size bound
//! as a file (`MAX_BYTES`).

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

/// The server named when a snapshot does not record one.
pub const RECORDED_SERVER: &str = "(recorded)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always `PulltuiSnapshot`.
    pub kind: String,
    /// Format version (`VERSION`).
    pub version: u32,
    /// How many items each list holds (`seal`); absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<Contents>,
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
    /// Probe results recorded with the incident (the demo carries some;
    /// `pulltui snapshot` records none): replay answers `p` and `P` from them.
    #[serde(default)]
    pub probes: Vec<RecordedProbe>,
    /// The cluster's journal over the captured scope (`domain::journal`):
    /// `report --replay` and the timeline read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub journal: Vec<crate::domain::journal::Record>,
    /// The fixes pulltui applied to this cluster (from the audit log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<crate::domain::postmortem::FixNote>,
    /// What changed near the journal's first failures, read at capture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::domain::changes::Change>,
    /// `PulltuiSnapshot`: the last line of a whole file (`seal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// The number of items of each list of a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contents {
    #[serde(default)]
    pub namespaces: u64,
    #[serde(default)]
    pub healthy_pods: u64,
    #[serde(default)]
    pub pods: u64,
    #[serde(default)]
    pub events: u64,
    #[serde(default)]
    pub owners: u64,
    #[serde(default)]
    pub service_accounts: u64,
    #[serde(default)]
    pub pull_secrets: u64,
    #[serde(default)]
    pub unread: u64,
    #[serde(default)]
    pub last_errors: u64,
    #[serde(default)]
    pub probes: u64,
    #[serde(default)]
    pub journal: u64,
    #[serde(default)]
    pub fixes: u64,
    #[serde(default)]
    pub changes: u64,
}

impl Contents {
    /// `(what, count)` in file order.
    fn items(&self) -> [(&'static str, u64); 13] {
        [
            ("namespaces", self.namespaces),
            ("healthy pods", self.healthy_pods),
            ("pods", self.pods),
            ("events", self.events),
            ("owner objects", self.owners),
            ("ServiceAccounts", self.service_accounts),
            ("pull secrets", self.pull_secrets),
            ("unread objects", self.unread),
            ("last errors", self.last_errors),
            ("recorded probes", self.probes),
            ("journal records", self.journal),
            ("fixes", self.fixes),
            ("changes", self.changes),
        ]
    }
}

/// A registry probe's result recorded with the snapshot: from this machine
/// (`node` absent) or from a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedProbe {
    pub namespace: String,
    pub pod: String,
    /// The container whose image was probed (`None`: the first failing one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The node it ran from; absent for this machine's probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<Timestamp>,
    #[serde(default)]
    pub steps: Vec<RecordedStep>,
}

/// One step of a recorded probe, as `probe --json` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedStep {
    /// `dns`, `tcp`, `tls`, `http`, `v2`, `auth` or `manifest`.
    pub step: String,
    /// `ok`, `fail` or `skipped`.
    pub status: String,
    #[serde(default)]
    pub ms: u64,
    #[serde(default)]
    pub detail: String,
    /// A failure's category id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The DNS step's answer, for the comparisons (private link, split DNS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addrs: Vec<std::net::IpAddr>,
}

impl Snapshot {
    /// The recorded cluster (the server as the replay's `Connected` names it).
    pub fn cluster_id(&self) -> crate::domain::cluster_id::ClusterId {
        crate::domain::cluster_id::ClusterId::new(
            self.context.clone().unwrap_or_default(),
            self.server
                .clone()
                .unwrap_or_else(|| RECORDED_SERVER.into()),
        )
    }

    /// What the lists hold now.
    pub fn count(&self) -> Contents {
        let n = |l: usize| l as u64;
        Contents {
            namespaces: n(self.namespaces.len()),
            healthy_pods: n(self.healthy_pods.len()),
            pods: n(self.pods.len()),
            events: n(self.events.len()),
            owners: n(self.owners.len()),
            service_accounts: n(self.service_accounts.len()),
            pull_secrets: n(self.pull_secrets.len()),
            unread: n(self.unread.len()),
            last_errors: n(self.last_errors.len()),
            probes: n(self.probes.len()),
            journal: n(self.journal.len()),
            fixes: n(self.fixes.len()),
            changes: n(self.changes.len()),
        }
    }

    /// States the contents and the end marker, as written to a file.
    pub fn seal(&mut self) {
        self.contents = Some(self.count());
        self.end = Some(KIND.into());
    }

    /// `seal`, by value.
    pub fn sealed(mut self) -> Self {
        self.seal();
        self
    }

    fn is_sealed(&self) -> bool {
        self.contents == Some(self.count()) && self.end.as_deref() == Some(KIND)
    }

    /// A file that states its contents must end and hold them.
    pub(crate) fn check_complete(&self) -> Result<(), LoadError> {
        let Some(said) = &self.contents else {
            return Ok(());
        };
        if self.end.as_deref() != Some(KIND) {
            return Err(LoadError::Truncated(format!(
                "it does not end with `end: {KIND}`"
            )));
        }
        for ((what, said), (_, read)) in said.items().into_iter().zip(self.count().items()) {
            if said != read {
                return Err(LoadError::Truncated(format!(
                    "it says it holds {said} {what}; {read} were read"
                )));
            }
        }
        Ok(())
    }

    /// A sentence when the file's completeness could not be checked (it
    /// was written before snapshots stated their contents).
    pub fn completeness_warning(&self) -> Option<String> {
        self.contents.is_none().then(|| {
            "this snapshot does not state its contents (written by an older pulltui): if the \
             file was cut short, what is missing cannot be told; take a new snapshot to be sure"
                .to_string()
        })
    }
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
    /// The pod's sandbox image failed to pull (`FailedCreatePodSandBox`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
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
    /// The file states its contents and does not hold them all: why.
    Truncated(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the file: {e}"),
            LoadError::TooLarge(n) => {
                write!(
                    f,
                    "the file is larger than {MAX_BYTES} bytes (at least {n}); larger \
                     snapshots are refused"
                )
            }
            LoadError::Syntax {
                line: Some(l),
                column: Some(c),
                message,
            } => write!(f, "line {l}, column {c}: {message}"),
            LoadError::Syntax { message, .. } => write!(f, "{message}"),
            LoadError::NotASnapshot(why) => write!(f, "not a pulltui snapshot: {why}"),
            LoadError::Truncated(why) => write!(
                f,
                "the file is incomplete (cut short?): {why}; it is refused rather than shown \
                 as the whole incident"
            ),
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
pub(crate) struct Header {
    pub(crate) kind: Option<serde_json::Value>,
    pub(crate) version: Option<serde_json::Value>,
}

pub(crate) fn syntax(e: &serde_saphyr::Error) -> LoadError {
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
    version_of(&header)?;
    let snapshot: Snapshot = serde_saphyr::from_str(text).map_err(|e| syntax(&e))?;
    snapshot.check_complete()?;
    Ok(snapshot)
}

/// Reads at most `max` bytes; more is `TooLarge` (a FIFO, `/dev/stdin` or
/// a device has no length to check first).
/// The header's format version, if this pulltui reads it.
pub(crate) fn version_of(header: &Header) -> Result<u32, LoadError> {
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
    Ok(version)
}

pub fn read_bounded(input: impl std::io::Read, max: u64) -> Result<Vec<u8>, LoadError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    input
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::Io(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(LoadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads and parses a snapshot file (a regular file, or a stream: at most
/// `MAX_BYTES` either way).
pub fn load(path: &std::path::Path) -> Result<Snapshot, LoadError> {
    parse(&read_text(path)?)
}

/// The file's text, bounded (`MAX_BYTES`), as UTF-8.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String, LoadError> {
    let file = std::fs::File::open(path).map_err(|e| LoadError::Io(e.to_string()))?;
    let meta = file.metadata().map_err(|e| LoadError::Io(e.to_string()))?;
    if meta.len() > MAX_BYTES {
        return Err(LoadError::TooLarge(meta.len()));
    }
    let bytes = read_bounded(file, MAX_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::Syntax {
        line: None,
        column: None,
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    Ok(text)
}

/// The document, with a comment header saying what it is; always sealed
/// (its contents stated, `end:` last).
pub fn to_yaml(s: &Snapshot) -> Result<String, String> {
    let body = if s.is_sealed() {
        serde_saphyr::to_string(s)
    } else {
        serde_saphyr::to_string(&s.clone().sealed())
    }
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "# pulltui snapshot (format {VERSION}): failing pods, their events, owners,\n\
         # ServiceAccounts and pull-secret metadata. No secret data. It states its\n\
         # contents and ends with `end: PulltuiSnapshot`: a copy cut short is refused.\n\
         # Open it with: pulltui --replay FILE   or   pulltui check --replay FILE\n{body}"
    ))
}
