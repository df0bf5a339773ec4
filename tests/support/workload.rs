//! What the e2e tests create on the harness: any object from its JSON
//! (`create`), a workload (Deployment, StatefulSet, Job or bare pod: `W`),
//! a pull secret (`pull_secret`); waiting for a pod to fail its pull; and
//! walking a directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use super::{pod_state, wait_pod};

const SETTLE: Duration = Duration::from_secs(60);

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `REGISTRY/team/app:1.0`: the image every harness registry serves (its
/// pull fails for want of what the registry asks: trust, credentials, ...).
pub fn app_image(registry: &str) -> String {
    format!("{registry}/team/app:1.0")
}

/// A workload (or bare pod) named `name`, label `app=name`, one container `app`.
pub struct W<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub image: String,
    pub replicas: u32,
    pub annotations: Value,
    pub pull_secrets: &'a [&'a str],
    pub service_account: Option<&'a str>,
}

impl<'a> W<'a> {
    pub fn new(kind: &'a str, name: &'a str, image: String) -> Self {
        W {
            kind,
            name,
            image,
            replicas: 1,
            annotations: json!({}),
            pull_secrets: &[],
            service_account: None,
        }
    }

    pub fn template(&self) -> Value {
        let mut spec = json!({
            "containers": [{"name": "app", "image": self.image}],
            "imagePullSecrets": self.pull_secrets.iter().map(|s| json!({"name": s})).collect::<Vec<_>>(),
            "terminationGracePeriodSeconds": 1,
        });
        if let Some(sa) = self.service_account {
            spec["serviceAccountName"] = sa.into();
        }
        if self.kind == "Job" {
            spec["restartPolicy"] = "Never".into();
        }
        json!({
            "metadata": {"labels": {"app": self.name}, "annotations": self.annotations},
            "spec": spec,
        })
    }

    pub async fn create(&self, c: &kube::Client, ns: &str) {
        let pp = PostParams::default();
        let meta = json!({"name": self.name, "labels": {"app": self.name}});
        let selector = json!({"matchLabels": {"app": self.name}});
        let res = match self.kind {
            "Deployment" => Api::<Deployment>::namespaced(c.clone(), ns)
                .create(
                    &pp,
                    &serde_json::from_value(json!({"metadata": meta, "spec": {
                        "replicas": self.replicas, "selector": selector, "template": self.template()}}))
                    .expect("deployment"),
                )
                .await
                .map(|_| ()),
            "StatefulSet" => Api::<StatefulSet>::namespaced(c.clone(), ns)
                .create(
                    &pp,
                    &serde_json::from_value(json!({"metadata": meta, "spec": {
                        "replicas": self.replicas, "serviceName": self.name,
                        "selector": selector, "template": self.template()}}))
                    .expect("statefulset"),
                )
                .await
                .map(|_| ()),
            "Job" => Api::<Job>::namespaced(c.clone(), ns)
                .create(
                    &pp,
                    &serde_json::from_value(json!({"metadata": meta, "spec": {
                        "backoffLimit": 4, "template": self.template()}}))
                    .expect("job"),
                )
                .await
                .map(|_| ()),
            _ => {
                let mut v = self.template();
                v["metadata"]["name"] = self.name.into();
                Api::<Pod>::namespaced(c.clone(), ns)
                    .create(&pp, &serde_json::from_value(v).expect("pod"))
                    .await
                    .map(|_| ())
            }
        };
        res.unwrap_or_else(|e| panic!("creating {} {ns}/{}: {e}", self.kind, self.name));
    }
}

/// The namespaced object `obj` (its JSON) created in `ns`, as the server
/// answered.
pub async fn create<K>(client: &kube::Client, ns: &str, obj: Value) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let o: K = serde_json::from_value(obj).expect("object");
    api.create(&PostParams::default(), &o)
        .await
        .unwrap_or_else(|e| panic!("creating in {ns}: {e}"))
}

/// A `kubernetes.io/dockerconfigjson` Secret `name` (its JSON, for
/// `create`) whose one `auths` entry is `host: entry` (`{"username": ..,
/// "password": ..}`, `{"auth": ..}`, ...).
pub fn pull_secret(name: &str, host: &str, entry: Value) -> Value {
    let config = json!({"auths": {host: entry}});
    json!({
        "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": config.to_string()},
    })
}

/// The Deployment `ns/name`, as the server has it.
pub async fn deployment_json(c: &kube::Client, ns: &str, name: &str) -> Value {
    let d = Api::<Deployment>::namespaced(c.clone(), ns)
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("reading Deployment {ns}/{name}: {e}"));
    serde_json::to_value(d).expect("json")
}

pub fn pulling_failed(p: &Pod) -> bool {
    matches!(
        pod_state(p).as_deref(),
        Some("ImagePullBackOff") | Some("ErrImagePull")
    )
}

/// Wait until a pod of `app` fails its pull; returns its name.
pub async fn failing_pod(c: &kube::Client, ns: &str, app: &str) -> String {
    wait_pod(c, ns, app, SETTLE, "a failing pull", pulling_failed)
        .await
        .metadata
        .name
        .expect("pod name")
}

/// What a user's write would change: the object without its status and
/// without the server's bookkeeping of who wrote last (`resourceVersion`,
/// `managedFields`), which the workload's own controller moves on its own
/// schedule (a Deployment's status settles seconds after its pods fail).
/// Equal before and after means pulltui changed nothing; `generation` stays
/// in, so a spec change is always seen.
pub fn as_written(object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
        // The Deployment controller's own bookkeeping, written when it gets
        // to it (it may be after the first pod exists); a rollout pulltui
        // caused shows in the template.
        let empty = match m.get_mut("annotations").and_then(Value::as_object_mut) {
            Some(a) => {
                a.remove("deployment.kubernetes.io/revision");
                a.is_empty()
            }
            None => false,
        };
        if empty {
            m.remove("annotations");
        }
    }
    v
}
