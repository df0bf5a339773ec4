//! The audit log: one JSON line per cluster write — a fix applied or dry
//! run, the node probe's pod created or deleted — appended to `audit.jsonl`
//! in the data directory (`directories` ProjectDirs "pulltui";
//! `PULLTUI_DATA_DIR` overrides it, for tests and scripts). The record's
//! one schema is `domain::audit::Entry`; this module only finds the file and
//! appends to it (private, 0600).

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use crate::domain::audit::{Action, Entry, Origin};

/// The data directory: `PULLTUI_DATA_DIR`, else the platform's data dir.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PULLTUI_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "pulltui").map(|p| p.data_dir().to_path_buf())
}

/// The audit log's path.
pub fn log_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("audit.jsonl"))
}

/// The user name of `context` (or the current context) in the kubeconfig.
pub fn kubeconfig_user(kubeconfig: Option<&Path>, context: Option<&str>) -> Option<String> {
    let kc = match kubeconfig {
        Some(p) => kube::config::Kubeconfig::read_from(p).ok()?,
        None => kube::config::Kubeconfig::read().ok()?,
    };
    let name = context.map(str::to_string).or(kc.current_context.clone())?;
    kc.contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
}

/// Appends one record; returns the file written.
pub fn append(entry: &Entry) -> std::io::Result<PathBuf> {
    append_line(&entry.line())
}

/// Appends one line to the audit log, private (0600, `crate::files`).
fn append_line(text: &str) -> std::io::Result<PathBuf> {
    let path = log_path().ok_or_else(|| std::io::Error::other("no data directory"))?;
    let mut f = crate::files::append(&path)?;
    writeln!(f, "{text}")?;
    Ok(path)
}

/// The fixes of the audit log (`report`, snapshots), oldest first; an
/// unreadable or missing log has none.
pub fn fixes() -> Vec<crate::domain::postmortem::FixNote> {
    use std::io::BufRead as _;
    let Some(path) = log_path() else {
        return Vec::new();
    };
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| crate::domain::postmortem::FixNote::from_audit(&v))
        .collect()
}
