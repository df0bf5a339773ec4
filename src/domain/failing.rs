//! Failing-pod detection: which containers of a pod cannot get their image,
//! and the flat rows the home screen and `pulltui check` show for them.
//!
//! Pure: a `Pod` (k8s-openapi) and two lookups in (who owns a ReplicaSet or a
//! Job; the latest cause-carrying `Failed` event of a container), plain rows
//! out. Ages are not computed here: rows keep `since`, and the screen derives
//! the age from its own clock, so cached rows stay valid as time passes.

use std::fmt;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Serialize;

use super::classify::{Category, classify};
use super::cluster_id::ClusterId;
use super::evidence::{EventView, EventsListed, decide};
use super::facet::{self, Facet, Injected};
use super::image::ImageRef;
use super::kubelet;

pub use super::evidence::CauseSource;
pub use super::pod::{
    CLOCK_SKEW_ALLOWED, FailingContainer, PULL_REASONS, PodKey, clamp_to_clock,
    container_of_field_path, event_pod, event_timing, failing_containers, is_failing,
    is_pull_failure, may_be_failing, uid_matches,
};

/// Longest message kept per row or event; kubelet messages are a few hundred
/// bytes, this only guards memory against pathological ones.
pub const MAX_MESSAGE: usize = 4096;

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

/// One failing container of one pod: a row of the home screen.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureRow {
    pub cluster: ClusterId,
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
    /// The node the pod is bound to (`None`: not scheduled yet).
    pub node: Option<String>,
}

impl FailureRow {
    /// The key of the row's pod.
    pub fn pod_key(&self) -> PodKey {
        PodKey::new(&self.cluster, &self.namespace, &self.pod)
    }

    pub fn key(&self) -> RowKey {
        RowKey {
            pod: self.pod_key(),
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
        .then_with(|| a.cluster.cmp(&b.cluster))
}

/// A row's identity: stable across updates, used for selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub pod: PodKey,
    pub container: String,
    pub facet: Facet,
    pub volume: Option<String>,
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
    cluster: &ClusterId,
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
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .map(|n| super::inert::inert_cut(n, 253).into_owned());
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
            let views = event_views(event, secret_event, sandbox);
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
                cluster: cluster.clone(),
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
                node: node.clone(),
            }
        })
        .collect()
}

/// The events a row's decision sees: the container's (or the sandbox's)
/// latest cause event, then the missing-pull-secret warning.
fn event_views<'e>(
    event: Option<&'e CauseEvent>,
    secret_event: Option<&'e CauseEvent>,
    sandbox: bool,
) -> Vec<EventView<'e>> {
    let view = |reason, e: &'e CauseEvent| EventView {
        reason,
        message: &e.message,
        container: None,
        warning: true,
        last_seen: e.last_seen,
        count: e.count,
    };
    let mut views = Vec::with_capacity(2);
    if let Some(e) = event {
        let reason = if sandbox {
            SANDBOX_REASON
        } else {
            kubelet::FAILED
        };
        views.push(view(reason, e));
    }
    // The sandbox image is pulled with the node's credentials: a missing
    // pod pull secret is not its cause.
    if let Some(e) = secret_event.filter(|_| !sandbox) {
        views.push(view(kubelet::FAILED_TO_RETRIEVE_PULL_SECRET, e));
    }
    views
}

/// Whether an event message carries a cause worth keeping (kubelet also
/// records `Failed` events reading only `Error: ErrImagePull`).
pub fn event_has_cause(message: &str) -> bool {
    classify(message, Some(kubelet::FAILED)).has_cause()
}

/// The unit tests' one failing row: pod `shop/web-1` of Deployment `web` on
/// cluster `test`, container `web` pulling `reg.example/shop/web:1`,
/// `ImagePullBackOff`, category unknown, nothing else known. A test sets the
/// fields it is about: `FailureRow { pod: .., ..FailureRow::sample() }`.
#[cfg(test)]
impl FailureRow {
    pub(crate) fn sample() -> FailureRow {
        FailureRow {
            cluster: ClusterId::new("test", "https://test"),
            namespace: "shop".into(),
            pod: "web-1".into(),
            workload: Some(Workload::new("Deployment", "web")),
            container: "web".into(),
            init: false,
            facet: Facet::default(),
            volume: None,
            injected: None,
            image: "reg.example/shop/web:1".into(),
            registry: Some("reg.example".into()),
            reason: "ImagePullBackOff".into(),
            category: Category::Unknown,
            cause: String::new(),
            message: String::new(),
            cause_source: CauseSource::Status,
            since: None,
            count: 0,
            node: None,
        }
    }
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
        assert!(
            failure_rows(
                &ClusterId::new("test", "https://test"),
                &p,
                &NoOwners,
                &|_| None,
                None,
                None
            )
            .is_empty()
        );
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
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|_| None,
            None,
            None,
        );
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
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|_| None,
            Some(&secret),
            None,
        );
        assert_eq!(rows[0].category, Category::CredentialsSecretMissing);
        assert!(rows[0].cause.contains("regcred"), "{}", rows[0].cause);
        assert_eq!(rows[0].cause_source, CauseSource::Event);

        // A missing secret does not explain a failure that is not about credentials.
        let msg = r#"failed to do request: Head "https://private.example/v2/team/app/manifests/1.0": dial tcp 10.0.0.1:443: i/o timeout"#;
        let p = waiting_pod("ErrImagePull", msg, "private.example/team/app:1.0");
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|_| None,
            Some(&secret),
            None,
        );
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
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|c| (c == "web").then_some(&ev),
            None,
            None,
        );
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
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|_| None,
            None,
            None,
        );
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
        let rows = failure_rows(
            &ClusterId::new("test", "https://test"),
            &p,
            &NoOwners,
            &|_| None,
            None,
            None,
        );
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
}
