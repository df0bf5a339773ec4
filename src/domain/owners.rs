//! The write target of a pod: which object a fix must change so that the
//! pod's controller makes new pods with it.
//!
//! Pod → ReplicaSet → Deployment; Pod → StatefulSet / DaemonSet; Pod → Job →
//! CronJob (its `jobTemplate`); a bare Pod is its own target. Pure: owner
//! references in (the pod's, then those of the intermediate owner that the
//! I/O layer fetched), a [`WriteTarget`] out. The apiVersion is always taken
//! from the owner reference: a 1.20 API server serves CronJob only as
//! `batch/v1beta1`.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde::Serialize;
use serde_json::{Map, Value};

/// Where the pod template sits in the target object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplatePath {
    /// `spec.template` (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job).
    Template,
    /// `spec.jobTemplate.spec.template` (CronJob).
    JobTemplate,
    /// The pod itself (a bare pod).
    Pod,
}

impl TemplatePath {
    /// The path, dotted, as people read it (`spec.template`); empty for a pod.
    pub fn dotted(self) -> &'static str {
        match self {
            TemplatePath::Template => "spec.template",
            TemplatePath::JobTemplate => "spec.jobTemplate.spec.template",
            TemplatePath::Pod => "",
        }
    }

    /// The field names from the object's root to the template.
    pub fn segments(self) -> &'static [&'static str] {
        match self {
            TemplatePath::Template => &["spec", "template"],
            TemplatePath::JobTemplate => &["spec", "jobTemplate", "spec", "template"],
            TemplatePath::Pod => &[],
        }
    }

    /// The template (pod-shaped: `metadata`, `spec`) inside `object`.
    pub fn get(self, object: &Value) -> Option<&Value> {
        let mut v = object;
        for s in self.segments() {
            v = v.get(*s)?;
        }
        Some(v)
    }

    /// Nests a pod-shaped patch at the template's place in the object.
    pub fn wrap(self, inner: Value) -> Value {
        let mut v = inner;
        for s in self.segments().iter().rev() {
            let mut m = Map::new();
            m.insert((*s).to_string(), v);
            v = Value::Object(m);
        }
        v
    }

    /// `spec.template.metadata.annotations` etc.: a field under the template.
    pub fn field(self, rest: &str) -> String {
        match self {
            TemplatePath::Pod => rest.to_string(),
            p => format!("{}.{rest}", p.dotted()),
        }
    }
}

/// The object a fix writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteTarget {
    pub kind: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub namespace: String,
    pub name: String,
    #[serde(skip)]
    pub template: TemplatePath,
}

impl WriteTarget {
    pub fn pod(namespace: &str, name: &str) -> Self {
        WriteTarget {
            kind: "Pod".into(),
            api_version: "v1".into(),
            namespace: namespace.into(),
            name: name.into(),
            template: TemplatePath::Pod,
        }
    }

    pub fn is_pod(&self) -> bool {
        self.template == TemplatePath::Pod
    }

    /// API group (empty for core).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn version(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((_, v)) => v,
            None => &self.api_version,
        }
    }

    /// The resource name (`deployments`); every kind handled here pluralises with `s`.
    pub fn plural(&self) -> String {
        plural(&self.kind)
    }

    /// `deployment/web`, as kubectl takes it.
    pub fn kubectl_ref(&self) -> String {
        format!("{}/{}", self.kind.to_ascii_lowercase(), self.name)
    }
}

impl fmt::Display for WriteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// `Deployment` → `deployments` (true for every kind this module returns).
pub fn plural(kind: &str) -> String {
    format!("{}s", kind.to_ascii_lowercase())
}

/// An intermediate owner whose own owner references decide the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub kind: String,
    pub api_version: String,
    pub namespace: String,
    pub name: String,
}

/// One step of the resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// This is the object to change.
    Target(WriteTarget),
    /// Fetch this object's owner references and call [`resolve_owner`].
    Fetch(Lookup),
}

/// Why a pod has no writable target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    #[error(
        "the pod is controlled by {kind}/{name} ({api_version}), which pulltui does not know how \
         to change; change that object's pod template yourself"
    )]
    Unsupported {
        kind: String,
        api_version: String,
        name: String,
    },
}

/// The controller reference among `refs` (or the only reference).
pub fn controller(refs: &[OwnerReference]) -> Option<&OwnerReference> {
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or(if refs.len() == 1 { refs.first() } else { None })
}

fn target_of(r: &OwnerReference, namespace: &str, template: TemplatePath) -> WriteTarget {
    WriteTarget {
        kind: r.kind.clone(),
        api_version: r.api_version.clone(),
        namespace: namespace.to_string(),
        name: r.name.clone(),
        template,
    }
}

/// First step: from a pod's namespace, name and owner references.
pub fn resolve_pod(
    namespace: &str,
    name: &str,
    refs: &[OwnerReference],
) -> Result<Resolution, OwnerError> {
    let Some(owner) = controller(refs) else {
        return Ok(Resolution::Target(WriteTarget::pod(namespace, name)));
    };
    match owner.kind.as_str() {
        "ReplicaSet" | "Job" => Ok(Resolution::Fetch(Lookup {
            kind: owner.kind.clone(),
            api_version: owner.api_version.clone(),
            namespace: namespace.to_string(),
            name: owner.name.clone(),
        })),
        "StatefulSet" | "DaemonSet" | "Deployment" => Ok(Resolution::Target(target_of(
            owner,
            namespace,
            TemplatePath::Template,
        ))),
        _ => Err(OwnerError::Unsupported {
            kind: owner.kind.clone(),
            api_version: owner.api_version.clone(),
            name: owner.name.clone(),
        }),
    }
}

/// Second step: the fetched intermediate owner (`lookup`) has these owner
/// references. `None` when the owner is gone or unreadable: the
/// intermediate object itself is then the target.
pub fn resolve_owner(
    lookup: &Lookup,
    refs: Option<&[OwnerReference]>,
) -> Result<WriteTarget, OwnerError> {
    let own = WriteTarget {
        kind: lookup.kind.clone(),
        api_version: lookup.api_version.clone(),
        namespace: lookup.namespace.clone(),
        name: lookup.name.clone(),
        template: TemplatePath::Template,
    };
    let Some(owner) = refs.and_then(controller) else {
        return Ok(own);
    };
    match (lookup.kind.as_str(), owner.kind.as_str()) {
        ("ReplicaSet", "Deployment") => {
            Ok(target_of(owner, &lookup.namespace, TemplatePath::Template))
        }
        ("Job", "CronJob") => Ok(target_of(
            owner,
            &lookup.namespace,
            TemplatePath::JobTemplate,
        )),
        _ => Err(OwnerError::Unsupported {
            kind: owner.kind.clone(),
            api_version: owner.api_version.clone(),
            name: owner.name.clone(),
        }),
    }
}

/// Whether a Kubernetes label selector (`matchLabels`, `matchExpressions`
/// with In / NotIn / Exists / DoesNotExist, as JSON) selects `labels`. A
/// missing or unreadable selector selects nothing: an owner is followed
/// only when it claims the pod as a controller would.
pub fn selector_matches(
    selector: Option<&serde_json::Value>,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    let Some(sel) = selector.and_then(|s| s.as_object()) else {
        return false;
    };
    if let Some(m) = sel.get("matchLabels") {
        let Some(m) = m.as_object() else { return false };
        for (k, v) in m {
            if labels.get(k).map(String::as_str) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions") {
        let Some(exprs) = exprs.as_array() else {
            return false;
        };
        for e in exprs {
            let key = e.get("key").and_then(|k| k.as_str()).unwrap_or_default();
            let values: Vec<&str> = e
                .get("values")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let have = labels.get(key).map(String::as_str);
            let ok = match e.get("operator").and_then(|o| o.as_str()) {
                Some("In") => have.is_some_and(|h| values.contains(&h)),
                Some("NotIn") => have.is_none_or(|h| !values.contains(&h)),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    sel.contains_key("matchLabels") || sel.contains_key("matchExpressions")
}

/// Why an owner reference is not believed, or `None` when it is: the
/// object it names must be the one it names (the reference's uid is the
/// object's) and, for an owner with a selector, select the pod's labels —
/// what a controller checks before it claims a pod. A pod anyone may
/// create can name any object as its controller.
pub fn owner_doubt(
    reference: &OwnerReference,
    owner: &serde_json::Value,
    selects: bool,
    labels: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let who = format!("{}/{}", reference.kind, reference.name);
    let uid = owner.pointer("/metadata/uid").and_then(|u| u.as_str());
    if uid != Some(reference.uid.as_str()) {
        return Some(format!(
            "{who} is not the object the pod's owner reference names (uid {} there, {} here)",
            reference.uid,
            uid.unwrap_or("none")
        ));
    }
    if selects && !selector_matches(owner.pointer("/spec/selector"), labels) {
        return Some(format!("{who}'s selector does not select the pod's labels"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oref(kind: &str, api: &str, name: &str, controller: bool) -> OwnerReference {
        OwnerReference {
            api_version: api.into(),
            kind: kind.into(),
            name: name.into(),
            uid: "u".into(),
            controller: Some(controller),
            block_owner_deletion: None,
        }
    }

    #[test]
    fn a_deployment_pod_resolves_through_its_replicaset() {
        let r = resolve_pod(
            "shop",
            "web-1",
            &[oref("ReplicaSet", "apps/v1", "web-abc", true)],
        )
        .unwrap();
        let Resolution::Fetch(l) = r else {
            panic!("expected a lookup, got {r:?}")
        };
        assert_eq!(
            (l.kind.as_str(), l.name.as_str()),
            ("ReplicaSet", "web-abc")
        );
        let t = resolve_owner(&l, Some(&[oref("Deployment", "apps/v1", "web", true)])).unwrap();
        assert_eq!(t.to_string(), "Deployment/web");
        assert_eq!(t.template, TemplatePath::Template);
        assert_eq!(t.plural(), "deployments");
        assert_eq!(t.group(), "apps");
        assert_eq!(t.version(), "v1");
    }

    #[test]
    fn an_orphan_replicaset_is_its_own_target() {
        let l = Lookup {
            kind: "ReplicaSet".into(),
            api_version: "apps/v1".into(),
            namespace: "ns".into(),
            name: "rs".into(),
        };
        assert_eq!(resolve_owner(&l, Some(&[])).unwrap().kind, "ReplicaSet");
        assert_eq!(resolve_owner(&l, None).unwrap().kind, "ReplicaSet");
    }

    #[test]
    fn a_cronjob_job_targets_the_job_template_with_the_owner_api_version() {
        let r = resolve_pod("ns", "p", &[oref("Job", "batch/v1", "nightly-123", true)]).unwrap();
        let Resolution::Fetch(l) = r else { panic!() };
        let t = resolve_owner(
            &l,
            Some(&[oref("CronJob", "batch/v1beta1", "nightly", true)]),
        )
        .unwrap();
        assert_eq!(t.api_version, "batch/v1beta1");
        assert_eq!(t.template, TemplatePath::JobTemplate);
        assert_eq!(t.template.dotted(), "spec.jobTemplate.spec.template");
    }

    #[test]
    fn a_plain_job_is_the_target() {
        let l = Lookup {
            kind: "Job".into(),
            api_version: "batch/v1".into(),
            namespace: "ns".into(),
            name: "once".into(),
        };
        let t = resolve_owner(&l, Some(&[])).unwrap();
        assert_eq!(t.to_string(), "Job/once");
        assert_eq!(t.template, TemplatePath::Template);
    }

    #[test]
    fn statefulset_and_daemonset_pods_target_their_controller_directly() {
        for kind in ["StatefulSet", "DaemonSet"] {
            let r = resolve_pod("ns", "p", &[oref(kind, "apps/v1", "db", true)]).unwrap();
            assert_eq!(
                r,
                Resolution::Target(WriteTarget {
                    kind: kind.into(),
                    api_version: "apps/v1".into(),
                    namespace: "ns".into(),
                    name: "db".into(),
                    template: TemplatePath::Template
                })
            );
        }
    }

    #[test]
    fn a_bare_pod_is_its_own_target_and_a_foreign_controller_is_refused() {
        let r = resolve_pod("ns", "p", &[]).unwrap();
        assert_eq!(r, Resolution::Target(WriteTarget::pod("ns", "p")));
        let e = resolve_pod(
            "ns",
            "p",
            &[oref("Rollout", "argoproj.io/v1alpha1", "r", true)],
        )
        .unwrap_err();
        assert!(e.to_string().contains("Rollout/r"), "{e}");
    }

    #[test]
    fn template_paths_get_and_wrap() {
        let obj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"x": 1}}}}}});
        assert_eq!(
            TemplatePath::JobTemplate.get(&obj),
            Some(&json!({"spec": {"x": 1}}))
        );
        assert_eq!(
            TemplatePath::Template.wrap(json!({"metadata": {}})),
            json!({"spec": {"template": {"metadata": {}}}})
        );
        assert_eq!(TemplatePath::Pod.wrap(json!({"a": 1})), json!({"a": 1}));
        assert_eq!(
            TemplatePath::Template.field("spec.imagePullSecrets"),
            "spec.template.spec.imagePullSecrets"
        );
    }

    #[test]
    fn selectors_match_as_the_api_server_reads_them() {
        let labels: std::collections::BTreeMap<String, String> = [
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "fe".to_string()),
        ]
        .into_iter()
        .collect();
        let m = |v: serde_json::Value| selector_matches(Some(&v), &labels);
        assert!(m(json!({"matchLabels": {"app": "web"}})));
        assert!(!m(json!({"matchLabels": {"app": "api"}})));
        assert!(m(
            json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]})
        ));
        assert!(!m(
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["fe"]}]})
        ));
        assert!(m(
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})
        ));
        assert!(!m(
            json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})
        ));
        assert!(!m(json!({})), "an empty selector claims nothing here");
        assert!(!selector_matches(None, &labels));
    }

    #[test]
    fn an_owner_is_believed_only_with_its_uid_and_a_selector_that_selects_the_pod() {
        let labels: std::collections::BTreeMap<String, String> =
            [("app".to_string(), "web".to_string())]
                .into_iter()
                .collect();
        let mut r = oref("Deployment", "apps/v1", "web", true);
        r.uid = "u1".into();
        let owner = json!({"metadata": {"uid": "u1"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}});
        assert_eq!(owner_doubt(&r, &owner, true, &labels), None);
        let other = json!({"metadata": {"uid": "u2"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}});
        assert!(owner_doubt(&r, &other, true, &labels).is_some_and(|w| w.contains("uid")));
        let elsewhere = json!({"metadata": {"uid": "u1"}, "spec": {"selector": {"matchLabels": {"app": "db"}}}});
        assert!(owner_doubt(&r, &elsewhere, true, &labels).is_some_and(|w| w.contains("selector")));
        // A CronJob has no selector: its uid decides.
        assert_eq!(
            owner_doubt(&r, &json!({"metadata": {"uid": "u1"}}), false, &labels),
            None
        );
    }
}
