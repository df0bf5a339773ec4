//! core/v1 Events written the way kubelet's event recorder and correlator do:
//! the same (object, type, reason, message) seen again updates the existing
//! Event's `count` and `lastTimestamp` instead of creating a new object.

use std::collections::HashMap;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use tokio::sync::Mutex;

#[derive(Hash, PartialEq, Eq, Clone)]
struct Key {
    namespace: String,
    uid: String,
    field_path: String,
    type_: String,
    reason: String,
    message: String,
}

struct Seen {
    name: String,
    count: i32,
}

pub struct Recorder {
    client: kube::Client,
    node: String,
    seen: Mutex<HashMap<Key, Seen>>,
}

impl Recorder {
    pub fn new(client: kube::Client, node: String) -> Self {
        Self {
            client,
            node,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Forget everything about a pod that is gone.
    pub async fn forget(&self, uid: &str) {
        self.seen.lock().await.retain(|k, _| k.uid != uid);
    }

    /// Record an event about `pod` (and its container when `container` is set).
    pub async fn record(
        &self,
        pod: &Pod,
        container: Option<&str>,
        type_: &str,
        reason: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let field_path = container
            .map(|c| format!("spec.containers{{{c}}}"))
            .unwrap_or_default();
        let key = Key {
            namespace: namespace.clone(),
            uid: uid.clone(),
            field_path: field_path.clone(),
            type_: type_.into(),
            reason: reason.into(),
            message: message.into(),
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let now = jiff::Timestamp::now();
        let now_s = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut seen = self.seen.lock().await;
        if let Some(s) = seen.get_mut(&key) {
            let count = s.count + 1;
            let patch = serde_json::json!({"count": count, "lastTimestamp": now_s});
            match api
                .patch(&s.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    s.count = count;
                    return Ok(());
                }
                Err(kube::Error::Api(e)) if e.code == 404 => {
                    // Expired or deleted: start a new series below.
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("updating event {namespace}/{} ({reason})", s.name)
                    });
                }
            }
        }
        let name = format!("{pod_name}.{:x}", now.as_nanosecond());
        let mut involved = serde_json::json!({
            "kind": "Pod",
            "namespace": namespace,
            "name": pod_name,
            "uid": uid,
            "apiVersion": "v1",
            "resourceVersion": pod.metadata.resource_version.clone().unwrap_or_default(),
        });
        if !field_path.is_empty() {
            involved["fieldPath"] = serde_json::Value::String(field_path);
        }
        let event: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": type_,
            "count": 1,
            "firstTimestamp": now_s,
            "lastTimestamp": now_s,
            "source": {"component": "kubelet", "host": self.node},
            "reportingComponent": "kubelet",
            "reportingInstance": self.node,
        }))
        .context("building event")?;
        api.create(&PostParams::default(), &event)
            .await
            .with_context(|| format!("creating event {namespace}/{name} ({reason})"))?;
        seen.insert(key, Seen { name, count: 1 });
        Ok(())
    }
}
