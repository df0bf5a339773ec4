//! Failing-pod detection: which containers of a pod cannot get their image,
//! and the flat rows the home screen and `pulltui check` show for them.
//!
//! Pure: a `Pod` (k8s-openapi) and two lookups in (who owns a ReplicaSet or a
//! Job; the latest cause-carrying `Failed` event of a container), plain rows
//! out. Ages are not computed here: rows keep `since`, and the screen derives
//! the age from its own clock, so cached rows stay valid as time passes.

use std::fmt;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Serialize;

use super::classify::{Category, classify};
use super::evidence::{EventView, EventsListed, decide};
use super::facet::{self, Facet, Injected};
use super::image::ImageRef;
use super::kubelet;

/// Waiting reasons that mean "the image cannot be had".
pub const PULL_REASONS: [&str; 7] = [
    kubelet::ERR_IMAGE_PULL,
    kubelet::IMAGE_PULL_BACK_OFF,
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
    "SignatureValidationFailed",
    "ImageInspectError",
];

/// Also a pull failure when the message is about pull secrets.
const CONFIG_ERROR: &str = "CreateContainerConfigError";

/// Longest message kept per row or event; kubelet messages are a few hundred
/// bytes, this only guards memory against pathological ones.
pub const MAX_MESSAGE: usize = 4096;

/// A pod's identity in the stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
}

impl PodKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        PodKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    pub fn of(pod: &Pod) -> PodKey {
        PodKey {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for PodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The workload a pod belongs to (`Deployment/web`), as `check --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Workload {
    pub kind: String,
    pub name: String,
}

impl Workload {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Workload {
            kind: kind.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// What is known about the controller of an intermediate owner (a
/// ReplicaSet or a Job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerLookup {
    /// It is controlled by this workload.
    Owner(Workload),
    /// It exists and has no controller: it is the workload itself.
    NoOwner,
    /// Not known (yet, or not readable).
    Unknown,
}

/// Resolves intermediate owners: `(namespace, kind, name)` of a ReplicaSet or
/// Job to its controller.
pub trait Owners {
    fn lookup(&self, namespace: &str, kind: &str, name: &str) -> OwnerLookup;
}

impl<F: Fn(&str, &str, &str) -> OwnerLookup> Owners for F {
    fn lookup(&self, namespace: &str, kind: &str, name: &str) -> OwnerLookup {
        self(namespace, kind, name)
    }
}

/// No owner information at all (everything resolves as far as the pod says).
pub struct NoOwners;

impl Owners for NoOwners {
    fn lookup(&self, _: &str, _: &str, _: &str) -> OwnerLookup {
        OwnerLookup::Unknown
    }
}

/// The latest `Failed` event of a container that carries a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseEvent {
    pub message: String,
    /// When this failure was first seen (the earliest such event).
    pub first_seen: Option<Timestamp>,
    /// When the latest such event was last seen.
    pub last_seen: Option<Timestamp>,
    /// How many times it was seen (the event's `count`).
    pub count: u32,
}

/// Where a row's cause came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseSource {
    /// The container's waiting message.
    Status,
    /// The pod's latest `Failed` event for the container.
    Event,
    /// Neither carries a cause (events expired, or not seen yet).
    Missing,
}

/// One failing container of one pod: a row of the home screen.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureRow {
    pub namespace: String,
    pub pod: String,
    pub workload: Option<Workload>,
    /// The failing container; for an image volume the container that
    /// mounts it (empty when none does); empty for the sandbox.
    pub container: String,
    pub init: bool,
    /// What failed to pull.
    pub facet: Facet,
    /// The image volume's name (`facet == ImageVolume`).
    pub volume: Option<String>,
    /// The container was put there by a sidecar injector.
    pub injected: Option<Injected>,
    /// The image that failed to pull (a volume's reference, the sandbox image).
    pub image: String,
    /// `host[:port]`, `None` when the image reference does not parse.
    pub registry: Option<String>,
    /// The waiting reason (`ImagePullBackOff`, ...).
    pub reason: String,
    pub category: Category,
    /// The innermost cause text (empty when unknown).
    pub cause: String,
    /// The message the category was decided from.
    pub message: String,
    pub cause_source: CauseSource,
    /// When the failure began, as well as can be told.
    pub since: Option<Timestamp>,
    /// Failed pulls seen (event count), 0 when unknown.
    pub count: u32,
}

impl FailureRow {
    pub fn key(&self) -> RowKey {
        RowKey {
            pod: PodKey::new(&self.namespace, &self.pod),
            container: self.container.clone(),
            facet: self.facet,
            volume: self.volume.clone(),
        }
    }

    /// The CONTAINER cell: the container with what it is, or what stands
    /// for it (`web`, `init (init)`, `proxy (sidecar)`, `volume data`,
    /// `(sandbox)`); an injected container names its injector.
    pub fn container_label(&self) -> String {
        let base = match self.facet {
            Facet::Container => self.container.clone(),
            Facet::InitContainer => format!("{} (init)", self.container),
            Facet::Sidecar => format!("{} (sidecar)", self.container),
            Facet::EphemeralContainer => format!("{} (ephemeral)", self.container),
            Facet::ImageVolume => {
                return format!("volume {}", self.volume.as_deref().unwrap_or("?"));
            }
            Facet::Sandbox => return "(sandbox)".to_string(),
        };
        match &self.injected {
            Some(i) => format!("{base} [{}]", i.by),
            None => base,
        }
    }

    /// The REGISTRY cell.
    pub fn registry_label(&self) -> &str {
        self.registry.as_deref().unwrap_or("(invalid)")
    }

    /// The WORKLOAD cell.
    pub fn workload_label(&self) -> String {
        self.workload
            .as_ref()
            .map_or_else(|| "-".to_string(), |w| w.to_string())
    }
}

/// The total order that keeps rows from jumping: namespace, pod, init
/// containers first, container (the home screen's tiebreak, `check`'s order).
pub fn stable_order(a: &FailureRow, b: &FailureRow) -> std::cmp::Ordering {
    a.namespace
        .cmp(&b.namespace)
        .then_with(|| a.pod.cmp(&b.pod))
        .then_with(|| b.init.cmp(&a.init))
        .then_with(|| a.container.cmp(&b.container))
        .then_with(|| a.facet.cmp(&b.facet))
        .then_with(|| a.volume.cmp(&b.volume))
}

/// A row's identity: stable across updates, used for selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub pod: PodKey,
    pub container: String,
    pub facet: Facet,
    pub volume: Option<String>,
}

/// A container that is waiting for an image it cannot get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingContainer<'a> {
    pub name: &'a str,
    pub init: bool,
    pub facet: Facet,
    /// The image volume whose pull failed (`facet == ImageVolume`).
    pub volume: Option<&'a str>,
    pub reason: &'a str,
    pub message: &'a str,
    /// The image from the spec (the status' image can be empty or
    /// resolved); an image volume's reference; the sandbox image.
    pub image: &'a str,
}

/// Whether a waiting reason + message is an image-pull failure.
pub fn is_pull_failure(reason: &str, message: &str) -> bool {
    if PULL_REASONS.contains(&reason) {
        return true;
    }
    reason == CONFIG_ERROR && mentions_pull_secret(message)
}

fn mentions_pull_secret(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("imagepullsecret") || m.contains("pull secret")
}

/// The containers (init first, then regular) of `pod` that cannot get their image.
pub fn failing_containers(pod: &Pod) -> Vec<FailingContainer<'_>> {
    let Some(status) = &pod.status else {
        return Vec::new();
    };
    let spec = pod.spec.as_ref();
    let spec_image = |init: bool, name: &str| -> Option<&str> {
        let list = if init {
            spec.and_then(|s| s.init_containers.as_deref())
        } else {
            spec.map(|s| s.containers.as_slice())
        };
        list?
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.image.as_deref())
    };
    let ephemeral_image = |name: &str| -> Option<&str> {
        spec.and_then(|s| s.ephemeral_containers.as_deref())?
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.image.as_deref())
    };
    let mut out = Vec::new();
    let lists = [
        (true, status.init_container_statuses.as_deref()),
        (false, status.container_statuses.as_deref()),
    ];
    for (init, statuses) in lists {
        for cs in statuses.unwrap_or_default() {
            let own = spec_image(init, &cs.name);
            if let Some(mut fc) = failing(cs, init, own) {
                if init {
                    fc.facet = if facet::is_sidecar(pod, fc.name) {
                        Facet::Sidecar
                    } else {
                        Facet::InitContainer
                    };
                }
                // Kubelet ≥ 1.35 fails the containers that mount an image
                // volume that cannot be pulled, naming the volume's image.
                if let Some((volume, reference)) = facet::volume_named(pod, fc.message, own) {
                    fc.facet = Facet::ImageVolume;
                    fc.volume = Some(volume);
                    fc.image = reference;
                }
                out.push(fc);
            }
        }
    }
    // An ephemeral container (`kubectl debug`) that cannot pull is a pull
    // failure too; no template holds it, so no template fix applies
    // (`mutation::refuse_template_change`).
    for cs in status
        .ephemeral_container_statuses
        .as_deref()
        .unwrap_or_default()
    {
        if let Some(mut fc) = failing(cs, false, ephemeral_image(&cs.name)) {
            fc.facet = Facet::EphemeralContainer;
            out.push(fc);
        }
    }
    out
}

fn failing<'a>(
    cs: &'a ContainerStatus,
    init: bool,
    spec_image: Option<&'a str>,
) -> Option<FailingContainer<'a>> {
    let waiting = cs.state.as_ref()?.waiting.as_ref()?;
    let reason = waiting.reason.as_deref()?;
    let message = waiting.message.as_deref().unwrap_or("");
    if !is_pull_failure(reason, message) {
        return None;
    }
    Some(FailingContainer {
        name: &cs.name,
        init,
        facet: Facet::Container,
        volume: None,
        reason,
        message,
        image: spec_image.unwrap_or(&cs.image),
    })
}

/// Whether any container of `pod` cannot get its image.
pub fn is_failing(pod: &Pod) -> bool {
    !failing_containers(pod).is_empty()
}

/// Whether `pod` is kept whole: it fails, or it waits for its sandbox or
/// its image volumes, whose pull failures only events tell (`event_parts`).
pub fn may_be_failing(pod: &Pod) -> bool {
    is_failing(pod) || facet::is_creating(pod)
}

/// Waiting reason shown for a pod whose sandbox could not be created.
pub const SANDBOX_REASON: &str = kubelet::FAILED_CREATE_POD_SANDBOX;
/// Waiting reason of a container that waits for its sandbox or volumes.
pub const CREATING_REASON: &str = "ContainerCreating";

/// The failures of a pod that is still being created, which only events
/// tell: the sandbox image (`sandbox_event`, a `FailedCreatePodSandBox`
/// that failed to pull), and an image volume whose reference the pod's
/// latest pod-level `Failed` event names (`pod_event`).
pub fn event_parts<'a>(
    pod: &'a Pod,
    pod_event: Option<&'a CauseEvent>,
    sandbox_event: Option<&'a CauseEvent>,
) -> Vec<FailingContainer<'a>> {
    if !facet::is_creating(pod) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(e) = sandbox_event
        && let Some(image) = facet::sandbox_image(&e.message)
    {
        // The image is the sandbox's, named by the event: find it in the
        // message so that it borrows from there.
        let at = e.message.find(image.as_str()).unwrap_or(0);
        out.push(FailingContainer {
            name: "",
            init: false,
            facet: Facet::Sandbox,
            volume: None,
            reason: SANDBOX_REASON,
            message: "",
            image: e.message.get(at..at + image.len()).unwrap_or(""),
        });
        // No volume is tried before the sandbox exists.
        return out;
    }
    if let Some(e) = pod_event
        && let Some((volume, reference)) = facet::volume_named(pod, &e.message, None)
    {
        out.push(FailingContainer {
            name: facet::mounted_by(pod, volume).unwrap_or(""),
            init: false,
            facet: Facet::ImageVolume,
            volume: Some(volume),
            reason: CREATING_REASON,
            message: "",
            image: reference,
        });
    }
    out
}

/// The workload `pod` belongs to: Pod→ReplicaSet→Deployment, Pod→Job→CronJob,
/// StatefulSet/DaemonSet/others directly; a bare pod has none.
pub fn workload_of(pod: &Pod, owners: &dyn Owners) -> Option<Workload> {
    let refs = pod.metadata.owner_references.as_deref()?;
    let owner = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())?;
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    match owner.kind.as_str() {
        "ReplicaSet" | "Job" => match owners.lookup(namespace, &owner.kind, &owner.name) {
            OwnerLookup::Owner(w) => Some(w),
            OwnerLookup::NoOwner => Some(Workload::new(&owner.kind, &owner.name)),
            OwnerLookup::Unknown => Some(guess_workload(pod, &owner.kind, &owner.name)),
        },
        kind => Some(Workload::new(kind, &owner.name)),
    }
}

/// Until the ReplicaSet is known, a Deployment's ReplicaSet is
/// `<deployment>-<pod-template-hash>`: say the Deployment rather than show
/// an intermediate name that changes a moment later.
fn guess_workload(pod: &Pod, kind: &str, name: &str) -> Workload {
    if kind == "ReplicaSet"
        && let Some(hash) = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"))
        && let Some(base) = name.strip_suffix(hash.as_str())
        && let Some(base) = base.strip_suffix('-')
        && !base.is_empty()
    {
        return Workload::new("Deployment", base);
    }
    Workload::new(kind, name)
}

fn ts(t: &Time) -> Timestamp {
    t.0
}

/// Cuts `s` to at most `MAX_MESSAGE` bytes on a character boundary.
pub fn bounded(s: &str) -> String {
    if s.len() <= MAX_MESSAGE {
        return s.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The rows of `pod`: one per failing container (or sandbox, or image
/// volume). `cause_event(container)` gives the latest cause-carrying
/// `Failed` event for that container (`""`: about the pod itself);
/// `sandbox_event` the latest `FailedCreatePodSandBox` that failed to pull.
pub fn failure_rows<'e>(
    pod: &Pod,
    owners: &dyn Owners,
    cause_event: &dyn Fn(&str) -> Option<&'e CauseEvent>,
    secret_event: Option<&CauseEvent>,
    sandbox_event: Option<&CauseEvent>,
) -> Vec<FailureRow> {
    let mut failing = failing_containers(pod);
    if failing.is_empty() {
        failing = event_parts(pod, cause_event(""), sandbox_event);
    }
    if failing.is_empty() {
        return Vec::new();
    }
    let workload = workload_of(pod, owners);
    let pod_start = pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .or(pod.metadata.creation_timestamp.as_ref())
        .map(ts);
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    failing
        .into_iter()
        .map(|fc| {
            let sandbox = fc.facet == Facet::Sandbox;
            let event = if sandbox {
                sandbox_event
            } else {
                cause_event(fc.name)
            };
            let mut views: Vec<EventView<'_>> = Vec::with_capacity(2);
            if let Some(e) = event {
                views.push(EventView {
                    reason: if sandbox {
                        SANDBOX_REASON
                    } else {
                        kubelet::FAILED
                    },
                    message: &e.message,
                    container: None,
                    warning: true,
                    last_seen: e.last_seen,
                    count: e.count,
                });
            }
            // The sandbox image is pulled with the node's credentials: a
            // missing pod pull secret is not its cause.
            if let Some(e) = secret_event.filter(|_| !sandbox) {
                views.push(EventView {
                    reason: kubelet::FAILED_TO_RETRIEVE_PULL_SECRET,
                    message: &e.message,
                    container: None,
                    warning: true,
                    last_seen: e.last_seen,
                    count: e.count,
                });
            }
            let d = decide(&fc, &views, None, EventsListed::Yes);
            let c = d.class;
            let source = d.from.source();
            // Rows keep the status message when no message has a cause.
            let message = if d.message.is_empty() {
                fc.message.to_string()
            } else {
                d.message
            };
            let registry = ImageRef::parse(fc.image).ok().map(|r| r.registry);
            let injected = match fc.facet {
                Facet::Container | Facet::InitContainer | Facet::Sidecar => {
                    facet::injected(pod, fc.name)
                }
                _ => None,
            };
            FailureRow {
                namespace: namespace.clone(),
                pod: name.clone(),
                workload: workload.clone(),
                container: fc.name.to_string(),
                init: fc.init,
                facet: fc.facet,
                volume: fc.volume.map(str::to_string),
                injected,
                image: fc.image.to_string(),
                registry: registry.or_else(|| {
                    // An unparsable reference still may name its host.
                    (fc.reason != "InvalidImageName")
                        .then(|| c.registry.clone())
                        .flatten()
                }),
                reason: fc.reason.to_string(),
                category: c.category,
                cause: if c.has_cause() {
                    c.cause.clone()
                } else {
                    String::new()
                },
                message: bounded(&message),
                cause_source: source,
                since: event.and_then(|e| e.first_seen).or(pod_start),
                count: event.map_or(0, |e| e.count),
            }
        })
        .collect()
}

/// When an event was first and last seen, and how often, whichever API
/// wrote it (core/v1 `firstTimestamp`/`lastTimestamp`/`count`, or the
/// events.k8s.io `eventTime` + `series`).
pub fn event_timing(
    ev: &k8s_openapi::api::core::v1::Event,
    now: Timestamp,
) -> (Option<Timestamp>, Option<Timestamp>, u32) {
    let written = ev.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let clamp = |t: Timestamp| clamp_to_clock(t, written, now);
    let event_time = ev.event_time.as_ref().map(|t| clamp(t.0));
    let first_seen = ev
        .first_timestamp
        .as_ref()
        .map(|t| clamp(t.0))
        .or(event_time);
    let last_seen = ev
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| clamp(t.0))
        .or(ev.last_timestamp.as_ref().map(|t| clamp(t.0)))
        .or(event_time)
        .or(first_seen);
    let count = ev
        .series
        .as_ref()
        .and_then(|s| s.count)
        .or(ev.count)
        .unwrap_or(1)
        .max(1);
    (
        first_seen,
        last_seen,
        u32::try_from(count).unwrap_or(u32::MAX),
    )
}

/// How far an event's clock may run ahead of ours (node clocks drift).
pub const CLOCK_SKEW_ALLOWED: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

/// An event's times are whatever its writer typed. One later than `now`
/// (beyond drift) is not believed: it is read as the time the API server
/// stamped on the Event object when it was created (`written`, the
/// server's clock), or as `now` without one. So a `lastTimestamp` in 2099
/// is not "the latest" for ever: kubelet's next real event is later.
pub fn clamp_to_clock(t: Timestamp, written: Option<Timestamp>, now: Timestamp) -> Timestamp {
    let limit = match now.checked_add(CLOCK_SKEW_ALLOWED) {
        Ok(l) => l,
        Err(_) => return t,
    };
    if t <= limit {
        return t;
    }
    written.filter(|w| *w <= limit).unwrap_or(now)
}

/// The pod an Event speaks about, or `None` when it may not speak about
/// one: as `kubectl describe` finds a pod's events, an Event counts only in
/// its own namespace (`metadata.namespace`). One created in another
/// namespace that names a pod here (the API server allows it for events
/// with `eventTime` set) is dropped.
pub fn event_pod(ev: &k8s_openapi::api::core::v1::Event) -> Option<PodKey> {
    let obj = &ev.involved_object;
    if obj.kind.as_deref() != Some("Pod") {
        return None;
    }
    let own = ev.metadata.namespace.as_deref().filter(|n| !n.is_empty());
    let named = obj.namespace.as_deref().filter(|n| !n.is_empty());
    let namespace = match (own, named) {
        (Some(o), Some(n)) if o != n => return None,
        (Some(o), _) => o,
        // A namespaced Event always has its namespace; an object built by
        // hand (tests, old snapshots) may only name the pod's.
        (None, Some(n)) => n,
        (None, None) => return None,
    };
    Some(PodKey::new(namespace, obj.name.clone().unwrap_or_default()))
}

/// Whether an event of `pod` (by key) is about this very pod: when the
/// pod's uid is known, the event must name it (an earlier pod of the same
/// name — a StatefulSet's, a re-created bare pod — has another).
pub fn uid_matches(event_uid: Option<&str>, pod_uid: Option<&str>) -> bool {
    pod_uid.is_none() || event_uid == pod_uid
}

/// Whether an event message carries a cause worth keeping (kubelet also
/// records `Failed` events reading only `Error: ErrImagePull`).
pub fn event_has_cause(message: &str) -> bool {
    classify(message, Some(kubelet::FAILED)).has_cause()
}

/// The container an event is about, from `involvedObject.fieldPath`
/// (`spec.containers{web}`, `spec.initContainers{init}`).
pub fn container_of_field_path(field_path: &str) -> Option<&str> {
    let open = field_path.find('{')?;
    let close = field_path.rfind('}')?;
    (close > open + 1).then(|| &field_path[open + 1..close])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("pod json")
    }

    fn waiting_pod(reason: &str, message: &str, image: &str) -> Pod {
        pod(json!({
            "metadata": {"name": "web-7d9c-abcde", "namespace": "shop",
                "creationTimestamp": "2024-05-01T10:00:00Z",
                "labels": {"pod-template-hash": "7d9c"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "web-7d9c", "uid": "u1", "controller": true}]},
            "spec": {"containers": [{"name": "web", "image": image}, {"name": "side", "image": "busybox"}]},
            "status": {"startTime": "2024-05-01T10:00:01Z", "containerStatuses": [
                {"name": "web", "image": image, "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"waiting": {"reason": reason, "message": message}}},
                {"name": "side", "image": "busybox", "imageID": "", "ready": true, "restartCount": 0,
                 "state": {"running": {}}}
            ]}
        }))
    }

    #[test]
    fn running_pod_has_no_rows() {
        let p = pod(json!({"metadata": {"name": "a", "namespace": "b"},
            "status": {"containerStatuses": [{"name": "c", "image": "x", "imageID": "", "ready": true,
                "restartCount": 0, "state": {"running": {}}}]}}));
        assert!(!is_failing(&p));
        assert!(failure_rows(&p, &NoOwners, &|_| None, None, None).is_empty());
    }

    #[test]
    fn crash_loop_is_not_a_pull_failure() {
        let p = waiting_pod("CrashLoopBackOff", "back-off 10s restarting", "nginx");
        assert!(!is_failing(&p));
    }

    #[test]
    fn err_image_pull_classifies_from_status() {
        let msg = r#"rpc error: code = Unknown desc = failed to pull and unpack image "private.example/team/app:1.0": failed to resolve reference "private.example/team/app:1.0": pulling from host private.example failed with status code [manifests 1.0]: 401 Unauthorized"#;
        let p = waiting_pod("ErrImagePull", msg, "private.example/team/app:1.0");
        let rows = failure_rows(&p, &NoOwners, &|_| None, None, None);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.container, "web");
        assert_eq!(r.registry.as_deref(), Some("private.example"));
        assert_eq!(r.category, Category::AuthNoCredentials);
        assert_eq!(r.cause_source, CauseSource::Status);
        assert_eq!(
            r.workload,
            Some(Workload::new("Deployment", "web")),
            "guessed from pod-template-hash until the ReplicaSet is known"
        );
    }

    #[test]
    fn credentials_wanted_from_a_missing_secret_is_the_missing_secret() {
        let msg = r#"rpc error: code = Unknown desc = failed to pull and unpack image "private.example/team/app:1.0": failed to resolve reference "private.example/team/app:1.0": pulling from host private.example failed with status code [manifests 1.0]: 401 Unauthorized"#;
        let p = waiting_pod("ErrImagePull", msg, "private.example/team/app:1.0");
        let secret = CauseEvent {
            message: "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.".into(),
            first_seen: None,
            last_seen: None,
            count: 3,
        };
        let rows = failure_rows(&p, &NoOwners, &|_| None, Some(&secret), None);
        assert_eq!(rows[0].category, Category::CredentialsSecretMissing);
        assert!(rows[0].cause.contains("regcred"), "{}", rows[0].cause);
        assert_eq!(rows[0].cause_source, CauseSource::Event);

        // A missing secret does not explain a failure that is not about credentials.
        let msg = r#"failed to do request: Head "https://private.example/v2/team/app/manifests/1.0": dial tcp 10.0.0.1:443: i/o timeout"#;
        let p = waiting_pod("ErrImagePull", msg, "private.example/team/app:1.0");
        let rows = failure_rows(&p, &NoOwners, &|_| None, Some(&secret), None);
        assert_eq!(rows[0].category, Category::NetworkTimeout);
    }

    #[test]
    fn back_off_takes_cause_from_latest_event() {
        let p = waiting_pod(
            "ImagePullBackOff",
            r#"Back-off pulling image "selfsigned.example/app:1""#,
            "selfsigned.example/app:1",
        );
        let ev = CauseEvent {
            message: r#"Failed to pull image "selfsigned.example/app:1": rpc error: code = Unknown desc = failed to do request: Head "https://selfsigned.example/v2/app/manifests/1": x509: certificate signed by unknown authority"#.into(),
            first_seen: Some("2024-05-01T10:00:05Z".parse().expect("ts")),
            last_seen: None,
            count: 4,
        };
        let rows = failure_rows(&p, &NoOwners, &|c| (c == "web").then_some(&ev), None, None);
        assert_eq!(rows[0].category, Category::TlsUntrusted);
        assert_eq!(rows[0].cause_source, CauseSource::Event);
        assert_eq!(rows[0].count, 4);
        assert_eq!(
            rows[0].since,
            Some("2024-05-01T10:00:05Z".parse().expect("ts"))
        );
    }

    #[test]
    fn back_off_without_event_is_unknown_and_says_so() {
        let p = waiting_pod(
            "ImagePullBackOff",
            r#"Back-off pulling image "nginx:1""#,
            "nginx:1",
        );
        let rows = failure_rows(&p, &NoOwners, &|_| None, None, None);
        assert_eq!(rows[0].category, Category::Unknown);
        assert_eq!(rows[0].cause_source, CauseSource::Missing);
        assert_eq!(
            rows[0].since,
            Some("2024-05-01T10:00:01Z".parse().expect("ts"))
        );
    }

    #[test]
    fn invalid_name_has_no_registry() {
        let p = waiting_pod(
            "InvalidImageName",
            r#"Failed to apply default image tag "Bad//Name": couldn't parse image reference "Bad//Name": invalid reference format"#,
            "Bad//Name",
        );
        let rows = failure_rows(&p, &NoOwners, &|_| None, None, None);
        assert_eq!(rows[0].registry, None);
        assert_eq!(rows[0].registry_label(), "(invalid)");
        assert_eq!(rows[0].category, Category::ImageInvalidName);
    }

    #[test]
    fn owner_chain_resolves_through_lookup() {
        let p = waiting_pod("ErrImageNeverPull", "not present", "app:1");
        let deploy = |_: &str, kind: &str, name: &str| {
            assert_eq!((kind, name), ("ReplicaSet", "web-7d9c"));
            OwnerLookup::Owner(Workload::new("Deployment", "frontend"))
        };
        assert_eq!(
            workload_of(&p, &deploy),
            Some(Workload::new("Deployment", "frontend"))
        );
        let bare_rs = |_: &str, _: &str, _: &str| OwnerLookup::NoOwner;
        assert_eq!(
            workload_of(&p, &bare_rs),
            Some(Workload::new("ReplicaSet", "web-7d9c"))
        );
    }

    #[test]
    fn bare_pod_has_no_workload_and_statefulset_is_direct() {
        let mut p = waiting_pod("ErrImagePull", "x", "app:1");
        p.metadata.owner_references = None;
        assert_eq!(workload_of(&p, &NoOwners), None);
        p.metadata.owner_references = Some(vec![
            serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                "name": "db", "uid": "u", "controller": true}))
            .expect("ref"),
        ]);
        assert_eq!(
            workload_of(&p, &NoOwners),
            Some(Workload::new("StatefulSet", "db"))
        );
    }

    #[test]
    fn config_error_counts_only_for_pull_secrets() {
        assert!(!is_pull_failure(
            "CreateContainerConfigError",
            r#"configmap "x" not found"#
        ));
        assert!(is_pull_failure(
            "CreateContainerConfigError",
            "couldn't find imagePullSecret regcred"
        ));
    }

    #[test]
    fn init_containers_are_checked() {
        let p = pod(json!({"metadata": {"name": "a", "namespace": "b"},
            "spec": {"initContainers": [{"name": "init", "image": "reg.example/i:1"}],
                     "containers": [{"name": "c", "image": "reg.example/c:1"}]},
            "status": {"initContainerStatuses": [{"name": "init", "image": "reg.example/i:1", "imageID": "",
                "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull", "message": "manifest unknown"}}}],
              "containerStatuses": [{"name": "c", "image": "reg.example/c:1", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]}}));
        let fc = failing_containers(&p);
        assert_eq!(fc.len(), 1);
        assert!(fc[0].init);
        assert_eq!(fc[0].image, "reg.example/i:1");
    }

    #[test]
    fn field_path_names_the_container() {
        assert_eq!(container_of_field_path("spec.containers{web}"), Some("web"));
        assert_eq!(
            container_of_field_path("spec.initContainers{init}"),
            Some("init")
        );
        assert_eq!(container_of_field_path(""), None);
    }

    fn event(v: serde_json::Value) -> k8s_openapi::api::core::v1::Event {
        serde_json::from_value(v).expect("event")
    }

    #[test]
    fn an_event_names_only_pods_of_its_own_namespace() {
        let about = |own: Option<&str>, named: Option<&str>| {
            let mut v = json!({"metadata": {"name": "e"},
                "involvedObject": {"kind": "Pod", "name": "web-1"}});
            if let Some(o) = own {
                v["metadata"]["namespace"] = json!(o);
            }
            if let Some(n) = named {
                v["involvedObject"]["namespace"] = json!(n);
            }
            event_pod(&event(v))
        };
        assert_eq!(
            about(Some("shop"), Some("shop")),
            Some(PodKey::new("shop", "web-1"))
        );
        assert_eq!(
            about(Some("shop"), None),
            Some(PodKey::new("shop", "web-1"))
        );
        assert_eq!(about(Some("tenant-a"), Some("shop")), None);
        assert_eq!(
            about(None, Some("shop")),
            Some(PodKey::new("shop", "web-1"))
        );
        let node = event(json!({"metadata": {"namespace": "default"},
            "involvedObject": {"kind": "Node", "name": "n"}}));
        assert_eq!(event_pod(&node), None);
    }

    #[test]
    fn a_pods_uid_when_known_must_be_the_events() {
        assert!(uid_matches(Some("u1"), Some("u1")));
        assert!(!uid_matches(None, Some("u1")));
        assert!(!uid_matches(Some("u0"), Some("u1")));
        assert!(uid_matches(None, None));
        assert!(uid_matches(Some("u0"), None));
    }

    #[test]
    fn times_from_the_future_are_read_on_the_servers_clock() {
        let now: Timestamp = "2026-12-06T10:00:00Z".parse().expect("ts");
        let written: Timestamp = "2026-12-06T09:58:00Z".parse().expect("ts");
        let far: Timestamp = "2099-01-01T00:00:00Z".parse().expect("ts");
        let drift: Timestamp = "2026-12-06T10:04:00Z".parse().expect("ts");
        assert_eq!(clamp_to_clock(far, Some(written), now), written);
        assert_eq!(clamp_to_clock(far, None, now), now);
        assert_eq!(clamp_to_clock(drift, Some(written), now), drift);
        let ev = event(
            json!({"metadata": {"namespace": "shop", "creationTimestamp": "2026-12-06T09:58:00Z"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "firstTimestamp": "2026-12-06T09:58:00Z", "lastTimestamp": "2099-01-01T00:00:00Z", "count": 3}),
        );
        let (first, last, count) = event_timing(&ev, now);
        assert_eq!((first, last, count), (Some(written), Some(written), 3));
    }

    #[test]
    fn an_ephemeral_container_that_cannot_pull_is_failing() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {"containers": [{"name": "app", "image": "ok:1"}],
                     "ephemeralContainers": [{"name": "debugger", "image": "r.example/tools:gone"}]},
            "status": {"containerStatuses": [{"name": "app", "image": "ok:1", "imageID": "", "ready": true,
                          "restartCount": 0, "state": {"running": {}}}],
                       "ephemeralContainerStatuses": [{"name": "debugger", "image": "r.example/tools:gone",
                          "imageID": "", "ready": false, "restartCount": 0,
                          "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}
        }))
        .expect("pod");
        let f = failing_containers(&pod);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "debugger");
        assert_eq!(f[0].image, "r.example/tools:gone");
    }
}
