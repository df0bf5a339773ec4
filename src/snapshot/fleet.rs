//! A fleet snapshot: one file holding one snapshot per context
//! (`pulltui snapshot --all-contexts | --contexts`), which `--replay` opens
//! as a fleet and `check --replay` reads cluster by cluster.
//!
//! ```yaml
//! kind: PulltuiFleetSnapshot
//! version: 1
//! capturedAt: ...
//! pulltuiVersion: ...
//! clusters:
//! - kind: PulltuiSnapshot     # each one whole, stating its contents
//!   ...
//!   end: PulltuiSnapshot
//! end: PulltuiFleetSnapshot
//! ```
//!
//! Each cluster is checked as a single snapshot is (kind, version, its
//! stated contents); the file must end with `end: PulltuiFleetSnapshot`,
//! hold at least one cluster, and name each context once.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::format::{
    Header, KIND, LoadError, Snapshot, VERSION, parse, read_text, syntax, version_of,
};

/// `kind:` of a fleet snapshot document.
pub const FLEET_KIND: &str = "PulltuiFleetSnapshot";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSnapshot {
    pub kind: String,
    pub version: u32,
    pub captured_at: Timestamp,
    pub pulltui_version: String,
    pub clusters: Vec<Snapshot>,
    /// `PulltuiFleetSnapshot`: the last line of a whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

impl FleetSnapshot {
    /// The file of `clusters` (each sealed), captured when the last was.
    pub fn new(clusters: Vec<Snapshot>) -> Self {
        let captured_at = clusters
            .iter()
            .map(|c| c.captured_at)
            .max()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        FleetSnapshot {
            kind: FLEET_KIND.into(),
            version: VERSION,
            captured_at,
            pulltui_version: env!("CARGO_PKG_VERSION").into(),
            clusters: clusters.into_iter().map(Snapshot::sealed).collect(),
            end: Some(FLEET_KIND.into()),
        }
    }
}

/// A snapshot or a fleet snapshot: its clusters (one for a snapshot).
pub fn parse_any(text: &str) -> Result<Vec<Snapshot>, LoadError> {
    let header: Header = serde_saphyr::from_str(text).map_err(|e| syntax(&e))?;
    match header.kind.as_ref().and_then(|k| k.as_str()) {
        Some(FLEET_KIND) => {}
        _ => return parse(text).map(|s| vec![s]),
    }
    version_of(&header)?;
    let fleet: FleetSnapshot = serde_saphyr::from_str(text).map_err(|e| syntax(&e))?;
    if fleet.end.as_deref() != Some(FLEET_KIND) {
        return Err(LoadError::Truncated(format!(
            "it does not end with `end: {FLEET_KIND}`"
        )));
    }
    if fleet.clusters.is_empty() {
        return Err(LoadError::NotASnapshot(
            "a fleet snapshot of no cluster".into(),
        ));
    }
    let mut contexts: Vec<&str> = Vec::new();
    for (i, c) in fleet.clusters.iter().enumerate() {
        if c.kind != KIND {
            return Err(LoadError::NotASnapshot(format!(
                "cluster {} is of kind {:?}, not {KIND}",
                i + 1,
                c.kind
            )));
        }
        if c.version > VERSION {
            return Err(LoadError::FutureVersion(c.version));
        }
        c.check_complete()?;
        let ctx = c.context.as_deref().unwrap_or_default();
        if contexts.contains(&ctx) {
            return Err(LoadError::NotASnapshot(format!(
                "context {ctx:?} is recorded twice"
            )));
        }
        contexts.push(ctx);
    }
    Ok(fleet.clusters)
}

/// `load`, for a snapshot or a fleet snapshot.
pub fn load_any(path: &std::path::Path) -> Result<Vec<Snapshot>, LoadError> {
    parse_any(&read_text(path)?)
}

/// The fleet file's text.
pub fn fleet_to_yaml(fleet: &FleetSnapshot) -> Result<String, String> {
    let body = serde_saphyr::to_string(fleet).map_err(|e| e.to_string())?;
    Ok(format!(
        "# pulltui fleet snapshot (format {VERSION}): one snapshot per context (failing pods,\n\
         # their events, owners, ServiceAccounts and pull-secret metadata; no secret data).\n\
         # Each states its contents; the file ends with `end: {FLEET_KIND}`.\n\
         # Open it with: pulltui --replay FILE   or   pulltui check --replay FILE\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(ctx: &str) -> Snapshot {
        let demo = parse(crate::snapshot::DEMO).expect("demo");
        Snapshot {
            context: Some(ctx.into()),
            ..demo
        }
    }

    #[test]
    fn a_fleet_file_reads_back_cluster_by_cluster() {
        let f = FleetSnapshot::new(vec![one("a"), one("b")]);
        let text = fleet_to_yaml(&f).expect("yaml");
        let back = parse_any(&text).expect("parses");
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].context.as_deref(), Some("b"));
        // A single snapshot is a fleet of one.
        assert_eq!(parse_any(crate::snapshot::DEMO).map(|v| v.len()), Ok(1));
    }

    #[test]
    fn a_cut_or_doubled_fleet_file_is_refused() {
        let f = FleetSnapshot::new(vec![one("a"), one("b")]);
        let text = fleet_to_yaml(&f).expect("yaml");
        let cut = text
            .trim_end()
            .trim_end_matches("end: PulltuiFleetSnapshot");
        assert!(matches!(parse_any(cut), Err(LoadError::Truncated(_))));
        let twice = fleet_to_yaml(&FleetSnapshot::new(vec![one("a"), one("a")])).expect("yaml");
        assert!(matches!(parse_any(&twice), Err(LoadError::NotASnapshot(_))));
        // A member missing its events is refused like a single file.
        let mut f = FleetSnapshot::new(vec![one("a"), one("b")]);
        f.clusters[1].events.pop();
        let text = fleet_to_yaml(&f).expect("yaml");
        assert!(matches!(parse_any(&text), Err(LoadError::Truncated(_))));
    }
}
