//! Facts: cluster objects reduced at the watch edge to what the console
//! keeps (a failing pod whole, a healthy pod as its key, an event as its
//! cause), and the watcher's event shape. Pure: built by `cluster` and by the
//! snapshot replay alike, consumed by `inventory` and the app.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod};

use super::failing::{
    OwnerLookup, PodKey, Workload, bounded, container_of_field_path, event_has_cause, event_timing,
    is_failing,
};
use super::kubelet;

/// A watcher event, mirroring kube-runtime's, with the object already
/// reduced to what the app keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent<T> {
    /// A re-list starts: `InitApply`s follow, then `InitDone`.
    Init,
    InitApply(T),
    InitDone,
    Apply(T),
    Delete(T),
}

/// A pod as the app receives it: the whole (stripped) pod when it fails,
/// only its key when it is healthy.
#[derive(Debug, Clone, PartialEq)]
pub enum PodFact {
    Failing(Arc<Pod>),
    Healthy(PodKey),
}

impl PodFact {
    /// Reduces a pod to what the app keeps.
    pub fn from_pod(pod: Pod) -> PodFact {
        if is_failing(&pod) {
            PodFact::Failing(Arc::new(pod))
        } else {
            PodFact::Healthy(PodKey::of(&pod))
        }
    }

    pub fn key(&self) -> PodKey {
        match self {
            PodFact::Failing(p) => PodKey::of(p),
            PodFact::Healthy(k) => k.clone(),
        }
    }
}

/// A `Failed` event about a pod's container, reduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFact {
    pub pod: PodKey,
    pub pod_uid: Option<String>,
    /// From `involvedObject.fieldPath`; `None` applies to every container.
    pub container: Option<String>,
    pub message: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub count: u32,
    /// A `FailedToRetrieveImagePullSecret` warning (pod-level), not a `Failed` one.
    pub secret_missing: bool,
}

/// Key of an intermediate owner (ReplicaSet or Job).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnerKey {
    pub namespace: String,
    pub kind: String,
    pub name: String,
}

/// The intermediate owner (ReplicaSet or Job) of a pod, if it has one.
pub fn owner_key(pod: &Pod) -> Option<OwnerKey> {
    let refs = pod.metadata.owner_references.as_deref()?;
    let r = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())?;
    matches!(r.kind.as_str(), "ReplicaSet" | "Job").then(|| OwnerKey {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        kind: r.kind.clone(),
        name: r.name.clone(),
    })
}

/// The workload an intermediate owner's own owner references name.
pub fn owner_lookup_from_refs(
    refs: Option<&[k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference]>,
) -> OwnerLookup {
    let Some(refs) = refs else {
        return OwnerLookup::NoOwner;
    };
    match refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
    {
        Some(r) => OwnerLookup::Owner(Workload::new(&r.kind, &r.name)),
        None => OwnerLookup::NoOwner,
    }
}

impl EventFact {
    /// Reduces a core/v1 Event about a pod; `None` when it is not about a
    /// pod or carries no cause (`Error: ErrImagePull`).
    pub fn from_event(ev: &Event) -> Option<EventFact> {
        let obj = &ev.involved_object;
        if obj.kind.as_deref() != Some("Pod") {
            return None;
        }
        let message = ev.message.as_deref()?;
        if !event_has_cause(message) {
            return None;
        }
        let (first_seen, last_seen, count) = event_timing(ev);
        Some(EventFact {
            pod: PodKey::new(
                obj.namespace
                    .clone()
                    .or_else(|| ev.metadata.namespace.clone())
                    .unwrap_or_default(),
                obj.name.clone().unwrap_or_default(),
            ),
            pod_uid: obj.uid.clone(),
            container: obj
                .field_path
                .as_deref()
                .and_then(container_of_field_path)
                .map(str::to_string),
            message: bounded(message),
            first_seen,
            last_seen,
            count,
            secret_missing: ev.reason.as_deref() == Some(kubelet::FAILED_TO_RETRIEVE_PULL_SECRET),
        })
    }
}

/// One event of the pod, reduced to what the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// `metadata.name`: identity across updates of a series.
    pub name: String,
    /// `Normal` / `Warning`.
    pub type_: String,
    pub reason: String,
    pub count: u32,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// `kubelet, node-1`.
    pub source: String,
    pub message: String,
    /// From `involvedObject.fieldPath`.
    pub container: Option<String>,
}

impl EventRow {
    pub fn from_event(ev: &Event) -> EventRow {
        let (first_seen, last_seen, count) = event_timing(ev);
        let component = ev
            .source
            .as_ref()
            .and_then(|s| s.component.clone())
            .or(ev.reporting_component.clone())
            .filter(|s| !s.is_empty());
        let host = ev
            .source
            .as_ref()
            .and_then(|s| s.host.clone())
            .or(ev.reporting_instance.clone())
            .filter(|s| !s.is_empty());
        let source = match (component, host) {
            (Some(c), Some(h)) if c != h => format!("{c}, {h}"),
            (Some(c), _) => c,
            (None, Some(h)) => h,
            (None, None) => String::new(),
        };
        EventRow {
            name: ev.metadata.name.clone().unwrap_or_default(),
            type_: ev.type_.clone().unwrap_or_default(),
            reason: ev.reason.clone().unwrap_or_default(),
            count,
            first_seen,
            last_seen,
            source,
            message: bounded(ev.message.as_deref().unwrap_or("")),
            container: ev
                .involved_object
                .field_path
                .as_deref()
                .and_then(container_of_field_path)
                .map(str::to_string),
        }
    }

    pub fn is_warning(&self) -> bool {
        self.type_ == kubelet::WARNING
    }
}
