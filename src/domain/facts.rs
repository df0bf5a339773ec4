//! Facts: cluster objects reduced at the watch edge to what the console
//! keeps (a failing pod whole, a healthy pod as its key, an event as its
//! cause), and the watcher's event shape. Pure: built by `cluster` and by the
//! snapshot replay alike, consumed by `inventory` and the app.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod};

use super::cluster_id::ClusterId;
use super::failing::{
    MAX_MESSAGE, OwnerLookup, PodKey, Workload, container_of_field_path, event_has_cause,
    event_pod, event_timing, may_be_failing,
};
use super::inert::{MAX_FIELD, inert_cut, inert_message, make_inert_cut};
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
    Failing(PodKey, Arc<Pod>),
    Healthy(PodKey),
}

impl PodFact {
    /// Reduces a pod to what the app keeps, its text made inert (see
    /// [`inert_pod`]) so that nothing downstream shows a control character.
    pub fn from_pod(cluster: &ClusterId, mut pod: Pod) -> PodFact {
        if may_be_failing(&pod) {
            inert_pod(&mut pod);
            PodFact::Failing(PodKey::of(cluster, &pod), Arc::new(pod))
        } else {
            PodFact::Healthy(inert_key(PodKey::of(cluster, &pod)))
        }
    }

    pub fn key(&self) -> &PodKey {
        match self {
            PodFact::Failing(k, _) | PodFact::Healthy(k) => k,
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
    /// A `FailedCreatePodSandBox` warning whose sandbox image failed to pull.
    pub sandbox: bool,
}

fn inert_key(mut k: PodKey) -> PodKey {
    make_inert_cut(&mut k.namespace, MAX_FIELD);
    make_inert_cut(&mut k.name, MAX_FIELD);
    k
}

fn inert_opt(s: &mut Option<String>, max: usize) {
    if let Some(s) = s {
        make_inert_cut(s, max);
    }
}

fn inert_msg(s: &mut Option<String>) {
    if let Some(m) = s
        && let std::borrow::Cow::Owned(t) = inert_message(m, MAX_MESSAGE)
    {
        *m = t;
    }
}

fn inert_map(m: &mut Option<std::collections::BTreeMap<String, String>>, max: usize) {
    let Some(map) = m else { return };
    let clean = map
        .iter()
        .all(|(k, v)| !needs_inert(k, max) && !needs_inert(v, max));
    if !clean {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| {
                (
                    inert_cut(&k, max).into_owned(),
                    inert_cut(&v, max).into_owned(),
                )
            })
            .collect();
    }
}

fn needs_inert(s: &str, max: usize) -> bool {
    matches!(inert_cut(s, max), std::borrow::Cow::Owned(_))
}

/// Makes a failing pod's text inert where the console shows it or matches
/// on it: names, namespace, labels and annotations, owner references,
/// containers' names and images, pull-secret and ServiceAccount names, the
/// node, and every status reason and message (messages bounded to
/// `MAX_MESSAGE` bytes, keeping head and tail; the rest to `MAX_FIELD`
/// characters). On a live cluster names are already validated by the API
/// server, so this changes only images, messages and annotation values that
/// carry controls; a snapshot file can hold anything.
pub fn inert_pod(pod: &mut Pod) {
    let m = &mut pod.metadata;
    inert_opt(&mut m.name, MAX_FIELD);
    inert_opt(&mut m.namespace, MAX_FIELD);
    inert_opt(&mut m.generate_name, MAX_FIELD);
    inert_map(&mut m.labels, MAX_FIELD);
    // Annotation values can be long (last-applied-configuration): inert, not cut.
    inert_map(&mut m.annotations, usize::MAX);
    for r in m.owner_references.iter_mut().flatten() {
        make_inert_cut(&mut r.kind, MAX_FIELD);
        make_inert_cut(&mut r.name, MAX_FIELD);
        make_inert_cut(&mut r.api_version, MAX_FIELD);
    }
    if let Some(spec) = &mut pod.spec {
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten())
        {
            make_inert_cut(&mut c.name, MAX_FIELD);
            inert_opt(&mut c.image, MAX_FIELD);
        }
        for c in spec.ephemeral_containers.iter_mut().flatten() {
            make_inert_cut(&mut c.name, MAX_FIELD);
            inert_opt(&mut c.image, MAX_FIELD);
        }
        for r in spec.image_pull_secrets.iter_mut().flatten() {
            make_inert_cut(&mut r.name, MAX_FIELD);
        }
        inert_opt(&mut spec.service_account_name, MAX_FIELD);
        inert_opt(&mut spec.service_account, MAX_FIELD);
        inert_opt(&mut spec.node_name, MAX_FIELD);
    }
    if let Some(st) = &mut pod.status {
        inert_opt(&mut st.reason, MAX_FIELD);
        inert_msg(&mut st.message);
        for c in st.conditions.iter_mut().flatten() {
            inert_opt(&mut c.reason, MAX_FIELD);
            inert_msg(&mut c.message);
        }
        for cs in st
            .container_statuses
            .iter_mut()
            .chain(st.init_container_statuses.iter_mut())
            .chain(st.ephemeral_container_statuses.iter_mut())
            .flatten()
        {
            make_inert_cut(&mut cs.name, MAX_FIELD);
            make_inert_cut(&mut cs.image, MAX_FIELD);
            make_inert_cut(&mut cs.image_id, MAX_FIELD);
            for state in [cs.state.as_mut(), cs.last_state.as_mut()]
                .into_iter()
                .flatten()
            {
                if let Some(w) = &mut state.waiting {
                    inert_opt(&mut w.reason, MAX_FIELD);
                    inert_msg(&mut w.message);
                }
                if let Some(t) = &mut state.terminated {
                    inert_opt(&mut t.reason, MAX_FIELD);
                    inert_msg(&mut t.message);
                }
            }
        }
    }
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
        Some(r) => OwnerLookup::Owner(Workload::new(
            inert_cut(&r.kind, MAX_FIELD),
            inert_cut(&r.name, MAX_FIELD),
        )),
        None => OwnerLookup::NoOwner,
    }
}

impl EventFact {
    /// `from_event` for the events the console's rows are built from: the
    /// live session watches only `Failed`, `FailedToRetrieveImagePullSecret`
    /// and `FailedCreatePodSandBox` (`cluster::EVENT_FIELDS`,
    /// `SECRET_EVENT_FIELDS`, `SANDBOX_EVENT_FIELDS`), so a snapshot, which
    /// keeps every event of a failing pod for its detail, must build its rows
    /// from the same two (kubelet's `InspectFailed` comes a second earlier
    /// and would move "since").
    pub fn from_row_event(cluster: &ClusterId, ev: &Event, now: Timestamp) -> Option<EventFact> {
        match ev.reason.as_deref() {
            Some(
                kubelet::FAILED
                | kubelet::FAILED_TO_RETRIEVE_PULL_SECRET
                | kubelet::FAILED_CREATE_POD_SANDBOX,
            ) => Self::from_event(cluster, ev, now),
            _ => None,
        }
    }

    /// Reduces a core/v1 Event about a pod; `None` when it is not about a
    /// pod, names a pod of another namespace than its own (`event_pod`), or
    /// carries no cause (`Error: ErrImagePull`). Times later than `now`
    /// (beyond drift) are read as `now`.
    pub fn from_event(cluster: &ClusterId, ev: &Event, now: Timestamp) -> Option<EventFact> {
        let obj = &ev.involved_object;
        let pod = event_pod(cluster, ev)?;
        // Inert and bounded before it is classified: the spans the
        // classifier finds then index the text that is kept and shown.
        let message = inert_message(kubelet::event_message(ev.message.as_deref()?), MAX_MESSAGE);
        if !event_has_cause(&message) {
            return None;
        }
        let sandbox = ev.reason.as_deref() == Some(kubelet::FAILED_CREATE_POD_SANDBOX);
        // A sandbox that failed for another reason (the network plugin, the
        // runtime handler) is no pull failure.
        if sandbox && super::facet::sandbox_image(&message).is_none() {
            return None;
        }
        let (first_seen, last_seen, count) = event_timing(ev, now);
        Some(EventFact {
            pod: inert_key(pod),
            pod_uid: obj
                .uid
                .as_deref()
                .map(|u| inert_cut(u, MAX_FIELD).into_owned()),
            container: obj
                .field_path
                .as_deref()
                .and_then(container_of_field_path)
                .map(|c| inert_cut(c, MAX_FIELD).into_owned()),
            message: message.into_owned(),
            first_seen,
            last_seen,
            count,
            secret_missing: ev.reason.as_deref() == Some(kubelet::FAILED_TO_RETRIEVE_PULL_SECRET),
            sandbox,
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
    pub fn from_event(ev: &Event, now: Timestamp) -> EventRow {
        let (first_seen, last_seen, count) = event_timing(ev, now);
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
        let field = |s: Option<&str>| inert_cut(s.unwrap_or(""), MAX_FIELD).into_owned();
        EventRow {
            name: field(ev.metadata.name.as_deref()),
            type_: field(ev.type_.as_deref()),
            reason: field(ev.reason.as_deref()),
            count,
            first_seen,
            last_seen,
            source: field(Some(&source)),
            message: inert_message(
                kubelet::event_message(ev.message.as_deref().unwrap_or("")),
                MAX_MESSAGE,
            )
            .into_owned(),
            container: ev
                .involved_object
                .field_path
                .as_deref()
                .and_then(container_of_field_path)
                .map(|c| inert_cut(c, MAX_FIELD).into_owned()),
        }
    }

    pub fn is_warning(&self) -> bool {
        self.type_ == kubelet::WARNING
    }
}
