//! The audit log's one record shape: every cluster write pulltui makes — a
//! fix (applied or dry run) and the node probe's pod (created, deleted,
//! swept) — is one JSON line of this schema, naming the cluster (context and
//! server), the kubeconfig user, the action, the object and each write.
//! Never secret data: a mutation's `audit_change` skips the password, and a
//! copied secret's data never enters this process's records.
//!
//! Pure: values in, the line out; `crate::audit` appends it to the file.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::cluster_id::ClusterId;

/// Where the record was made: the cluster and the kubeconfig's user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub context: Option<String>,
    pub server: String,
    pub user: Option<String>,
}

impl Origin {
    pub fn new(cluster: &ClusterId, user: Option<String>) -> Self {
        Origin {
            context: Some(cluster.context().to_string()).filter(|c| !c.is_empty()),
            server: cluster.server().to_string(),
            user,
        }
    }
}

/// One write that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Write {
    pub action: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub resource_version_before: Option<String>,
    pub resource_version_after: Option<String>,
}

impl Write {
    pub fn describe(&self) -> String {
        format!(
            "{} {} {}/{}",
            self.action, self.kind, self.namespace, self.name
        )
    }

    /// `describe` and the object's resourceVersion before → after.
    pub fn describe_with_versions(&self) -> String {
        let rv = match (&self.resource_version_before, &self.resource_version_after) {
            (Some(b), Some(a)) => format!(" (resourceVersion {b} → {a})"),
            (None, Some(a)) => format!(" (resourceVersion {a})"),
            _ => String::new(),
        };
        format!("{}{rv}", self.describe())
    }
}

/// What the record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A fix's mutation (`change` says which).
    Fix,
    CreateProbePod,
    DeleteProbePod,
    /// An expired probe pod an earlier run left, deleted at start.
    SweepProbePod,
}

/// The object a record is about (the main one when a fix writes several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Object {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub resource_version_before: Option<String>,
    pub resource_version_after: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub time: Timestamp,
    #[serde(flatten)]
    pub origin: Origin,
    pub action: Action,
    pub object: Object,
    pub writes: Vec<Write>,
    pub change: Value,
    pub dry_run: bool,
    /// `ok`, or the failure's kind.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A group fix: every namespace its credentials are written to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_namespaces: Vec<String>,
}

impl Entry {
    /// A record of `object` with the writes that were sent; the object's
    /// resourceVersions are its own write's (else the first write's).
    pub fn new(
        time: Timestamp,
        origin: &Origin,
        action: Action,
        (kind, namespace, name): (String, String, String),
        writes: Vec<Write>,
        change: Value,
    ) -> Self {
        let main = writes
            .iter()
            .find(|w| w.kind == kind && w.name == name)
            .or(writes.first());
        let object = Object {
            resource_version_before: main.and_then(|w| w.resource_version_before.clone()),
            resource_version_after: main.and_then(|w| w.resource_version_after.clone()),
            kind,
            namespace,
            name,
        };
        Entry {
            time,
            origin: origin.clone(),
            action,
            object,
            writes,
            change,
            dry_run: false,
            result: "ok".into(),
            error: None,
            secret_namespaces: Vec::new(),
        }
    }

    /// The write failed: its kind (`conflict`, `forbidden`, ...) and sentence.
    pub fn failed(mut self, kind: &str, sentence: String) -> Self {
        self.result = kind.to_string();
        self.error = Some(sentence);
        self
    }

    /// The JSON line (one line, no trailing newline).
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_names_its_cluster_action_and_object() {
        let origin = Origin::new(
            &ClusterId::new("admin", "https://127.0.0.1:6443/"),
            Some("admin".into()),
        );
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
        let write = Write {
            action: "created".into(),
            kind: "Pod".into(),
            namespace: "pulltui-probe".into(),
            name: "probe-n1".into(),
            resource_version_before: None,
            resource_version_after: Some("7".into()),
        };
        let e = Entry::new(
            now,
            &origin,
            Action::CreateProbePod,
            ("Pod".into(), "pulltui-probe".into(), "probe-n1".into()),
            vec![write],
            serde_json::json!({"node": "n1"}),
        );
        let v: Value = serde_json::from_str(&e.line()).expect("json");
        assert_eq!(v["time"], "2026-01-01T00:00:00Z");
        assert_eq!(v["context"], "admin");
        assert_eq!(v["server"], "https://127.0.0.1:6443/");
        assert_eq!(v["user"], "admin");
        assert_eq!(v["action"], "create-probe-pod");
        assert_eq!(v["object"]["kind"], "Pod");
        assert_eq!(v["object"]["resource_version_after"], "7");
        assert_eq!(v["writes"][0]["action"], "created");
        assert_eq!(v["result"], "ok");
        assert!(v.get("error").is_none() && v.get("secret_namespaces").is_none());
        let f = e.failed("forbidden", "pods is forbidden".into());
        let v: Value = serde_json::from_str(&f.line()).expect("json");
        assert_eq!(v["result"], "forbidden");
        assert_eq!(v["error"], "pods is forbidden");
        let none = Origin::new(&ClusterId::new("", "https://k"), None);
        assert_eq!(none.context, None);
    }
}
