//! core/v1 Events written the way kubelet's event recorder and correlator do
//! (client-go `tools/record/events_cache.go`): the same (object, type,
//! reason, message) seen again updates the existing Event's `count` and
//! `lastTimestamp` instead of creating a new object; and once an object has
//! had `MAX_SIMILAR` different messages for one (type, reason) within ten
//! minutes, the aggregator folds them into one Event whose message is
//! `(combined from similar events): <latest message>`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

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

/// client-go's `defaultAggregateMaxEvents` and `defaultAggregateIntervalInSeconds`.
const MAX_SIMILAR: usize = 10;
const AGGREGATE_INTERVAL: Duration = Duration::from_secs(600);
pub const COMBINED_PREFIX: &str = "(combined from similar events): ";

#[derive(Hash, PartialEq, Eq, Clone)]
struct AggregateKey {
    namespace: String,
    uid: String,
    type_: String,
    reason: String,
}

struct Similar {
    messages: HashSet<String>,
    last: Instant,
}

#[derive(Default)]
struct State {
    seen: HashMap<Key, Seen>,
    similar: HashMap<AggregateKey, Similar>,
}

pub struct Recorder {
    client: kube::Client,
    node: String,
    state: Mutex<State>,
}

impl Recorder {
    pub fn new(client: kube::Client, node: String) -> Self {
        Self {
            client,
            node,
            state: Mutex::new(State::default()),
        }
    }

    /// Forget everything about a pod that is gone.
    pub async fn forget(&self, uid: &str) {
        let mut state = self.state.lock().await;
        state.seen.retain(|k, _| k.uid != uid);
        state.similar.retain(|k, _| k.uid != uid);
    }

    /// Record an event about `pod`, about the part of it at `field_path`
    /// (`spec.containers{web}`, `spec.initContainers{init}`) when set.
    pub async fn record(
        &self,
        pod: &Pod,
        field_path: Option<&str>,
        type_: &str,
        reason: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let field_path = field_path.unwrap_or_default().to_string();
        let mut state = self.state.lock().await;
        // The aggregator (EventAggregate): different messages of one
        // (object, type, reason) are counted; from the tenth on, they are one
        // combined Event keyed without the message.
        let agg = AggregateKey {
            namespace: namespace.clone(),
            uid: uid.clone(),
            type_: type_.into(),
            reason: reason.into(),
        };
        let similar = state.similar.entry(agg).or_insert_with(|| Similar {
            messages: HashSet::new(),
            last: Instant::now(),
        });
        if similar.last.elapsed() > AGGREGATE_INTERVAL {
            similar.messages.clear();
        }
        similar.last = Instant::now();
        similar.messages.insert(message.to_string());
        let combined = similar.messages.len() >= MAX_SIMILAR;
        if combined {
            // "do not grow our local key set any larger than max"
            let any = similar.messages.iter().next().cloned();
            if let Some(m) = any {
                similar.messages.remove(&m);
            }
        }
        let message = if combined {
            format!("{COMBINED_PREFIX}{message}")
        } else {
            message.to_string()
        };
        let key = Key {
            namespace: namespace.clone(),
            uid: uid.clone(),
            field_path: if combined {
                String::new()
            } else {
                field_path.clone()
            },
            type_: type_.into(),
            reason: reason.into(),
            message: if combined {
                COMBINED_PREFIX.to_string()
            } else {
                message.clone()
            },
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let now = jiff::Timestamp::now();
        let now_s = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let seen = &mut state.seen;
        if let Some(s) = seen.get_mut(&key) {
            let count = s.count + 1;
            let patch =
                serde_json::json!({"count": count, "lastTimestamp": now_s, "message": message});
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
