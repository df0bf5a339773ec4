//! The audit log: one JSON line per applied or dry-run mutation, appended to
//! `audit.jsonl` in the data directory (`directories` ProjectDirs
//! "pulltui"; `PULLTUI_DATA_DIR` overrides it, for tests and scripts).
//!
//! A line holds the time, the context, server and user as the kubeconfig
//! names them, the object (kind, namespace, name, resourceVersion before and
//! after) and every write, the change (the typed mutation without
//! credentials), the dry-run flag and the result. Never secret data: the
//! password is skipped by the mutation's serialisation, and a copied secret's
//! data never enters this process's records.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::cluster::mutate::{MutationError, Outcome, Write};
use crate::domain::mutation::Mutation;

/// Where the record was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub context: Option<String>,
    pub server: String,
    pub user: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Object<'a> {
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    resource_version_before: Option<&'a str>,
    resource_version_after: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
struct Record<'a> {
    time: String,
    #[serde(flatten)]
    origin: &'a Origin,
    object: Object<'a>,
    writes: &'a [Write],
    change: Value,
    dry_run: bool,
    result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// A group fix: every namespace its credentials are written to.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    secret_namespaces: &'a [String],
}

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

/// The JSON line for one mutation's result.
pub fn line(
    now: Timestamp,
    origin: &Origin,
    mutation: &Mutation,
    spread: &[String],
    dry_run: bool,
    result: &Result<Outcome, MutationError>,
) -> String {
    let (kind, namespace, name) = mutation.object();
    let empty: Vec<Write> = Vec::new();
    let writes: &[Write] = match result {
        Ok(o) => &o.writes,
        Err(_) => &empty,
    };
    let main = writes
        .iter()
        .find(|w| w.kind == kind && w.name == name)
        .or(writes.first());
    let rec = Record {
        time: now.to_string(),
        origin,
        object: Object {
            kind: &kind,
            namespace: &namespace,
            name: &name,
            resource_version_before: main.and_then(|w| w.resource_version_before.as_deref()),
            resource_version_after: main.and_then(|w| w.resource_version_after.as_deref()),
        },
        writes,
        change: mutation.audit_change(),
        dry_run,
        result: match result {
            Ok(_) => "ok".into(),
            Err(e) => e.kind().into(),
        },
        error: result.as_ref().err().map(|e| e.to_string()),
        secret_namespaces: spread,
    };
    serde_json::to_string(&rec).unwrap_or_default()
}

/// Appends one JSON object as a line (records other than mutations: the
/// probe pod's create and delete); returns the file written.
pub fn append(record: &Value) -> std::io::Result<PathBuf> {
    append_line(&record.to_string())
}

/// Appends the record; returns the file written.
pub fn record(
    origin: &Origin,
    mutation: &Mutation,
    spread: &[String],
    dry_run: bool,
    result: &Result<Outcome, MutationError>,
) -> std::io::Result<PathBuf> {
    append_line(&line(
        Timestamp::now(),
        origin,
        mutation,
        spread,
        dry_run,
        result,
    ))
}

/// Appends one line to the audit log, private (0600, `crate::files`).
fn append_line(text: &str) -> std::io::Result<PathBuf> {
    let path = log_path().ok_or_else(|| std::io::Error::other("no data directory"))?;
    let mut f = crate::files::append(&path)?;
    writeln!(f, "{text}")?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mutation::AttachTo;
    use crate::domain::owners::{TemplatePath, WriteTarget};
    use crate::domain::redact::Redacted;

    #[test]
    fn an_audit_line_never_holds_the_password() {
        let m = Mutation::CreatePullSecret {
            namespace: "ns".into(),
            name: "regcred".into(),
            server: "reg:5000".into(),
            username: "bob".into(),
            password: Redacted::new("hunter2-secret"),
            email: None,
            attach: Some(AttachTo::Template {
                target: WriteTarget {
                    kind: "Deployment".into(),
                    api_version: "apps/v1".into(),
                    namespace: "ns".into(),
                    name: "web".into(),
                    template: TemplatePath::Template,
                },
            }),
        };
        let outcome = Outcome {
            dry_run: false,
            writes: vec![Write {
                action: "created".into(),
                kind: "Secret".into(),
                namespace: "ns".into(),
                name: "regcred".into(),
                resource_version_before: None,
                resource_version_after: Some("42".into()),
            }],
            notes: vec![],
            applied_at: None,
        };
        let origin = Origin {
            context: Some("admin".into()),
            server: "https://127.0.0.1:6443/".into(),
            user: Some("admin".into()),
        };
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let l = line(now, &origin, &m, &[], false, &Ok(outcome));
        assert!(!l.contains("hunter2"), "{l}");
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["object"]["kind"], "Secret");
        assert_eq!(v["object"]["resource_version_after"], "42");
        assert_eq!(v["context"], "admin");
        assert_eq!(v["user"], "admin");
        assert_eq!(v["dry_run"], false);
        assert_eq!(v["result"], "ok");
        assert_eq!(v["change"]["username"], "bob");
        assert_eq!(v["time"], "2026-01-01T00:00:00Z");
    }
}
