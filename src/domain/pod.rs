//! One reading of a Pod: its key, the containers that cannot get their
//! image, the ServiceAccount and pull secrets it names, and how its events
//! are tied to it (namespace, uid, container, times). Every layer that asks
//! these questions of a pod asks here.
//!
//! Pure: a `Pod` or an `Event` (k8s-openapi) in, plain values out.

use std::fmt;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};

use super::cluster_id::ClusterId;
use super::facet::{self, Facet};
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

/// A pod's identity in the stores: which cluster, which namespace, which name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub cluster: ClusterId,
    pub namespace: String,
    pub name: String,
}

impl PodKey {
    pub fn new(cluster: &ClusterId, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        PodKey {
            cluster: cluster.clone(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    pub fn of(cluster: &ClusterId, pod: &Pod) -> PodKey {
        PodKey {
            cluster: cluster.clone(),
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for PodKey {
    /// `namespace/name`: the cluster is said where several are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The ServiceAccount the pod runs as: `serviceAccountName`, else the
/// deprecated `serviceAccount`, else (unset or empty) `default`, as the
/// ServiceAccount admission plugin fills it in.
pub fn service_account_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| {
            [&s.service_account_name, &s.service_account]
                .into_iter()
                .flatten()
                .find(|n| !n.is_empty())
                .cloned()
        })
        .unwrap_or_else(|| "default".to_string())
}

/// The pod's own `imagePullSecrets` names, in spec order, without empty
/// names (kubelet skips them) or repeats.
pub fn pull_secret_names(pod: &Pod) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in pod
        .spec
        .as_ref()
        .and_then(|s| s.image_pull_secrets.as_deref())
        .unwrap_or_default()
    {
        if !r.name.is_empty() && !names.contains(&r.name) {
            names.push(r.name.clone());
        }
    }
    names
}

/// A ServiceAccount's `imagePullSecrets` names, by the pod's rule: in
/// order, without empty names or repeats (the kubelet adds them to the
/// pod's own when the pod names none).
pub fn sa_pull_secret_names(sa: &k8s_openapi::api::core::v1::ServiceAccount) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in sa.image_pull_secrets.as_deref().unwrap_or_default() {
        if !r.name.is_empty() && !names.contains(&r.name) {
            names.push(r.name.clone());
        }
    }
    names
}

/// The pod spec's list a container is in: `initContainers` or `containers`.
pub fn container_list(init: bool) -> &'static str {
    if init { "initContainers" } else { "containers" }
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

/// When an event was first and last seen, and how often, whichever API
/// wrote it (core/v1 `firstTimestamp`/`lastTimestamp`/`count`, or the
/// events.k8s.io `eventTime` + `series`).
pub fn event_timing(ev: &Event, now: Timestamp) -> (Option<Timestamp>, Option<Timestamp>, u32) {
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
pub fn event_pod(cluster: &ClusterId, ev: &Event) -> Option<PodKey> {
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
    Some(PodKey::new(
        cluster,
        namespace,
        obj.name.clone().unwrap_or_default(),
    ))
}

/// Whether an event of `pod` (by key) is about this very pod: when the
/// pod's uid is known, the event must name it (an earlier pod of the same
/// name — a StatefulSet's, a re-created bare pod — has another).
pub fn uid_matches(event_uid: Option<&str>, pod_uid: Option<&str>) -> bool {
    pod_uid.is_none() || event_uid == pod_uid
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

    fn event(v: serde_json::Value) -> Event {
        serde_json::from_value(v).expect("event")
    }

    #[test]
    fn an_event_names_only_pods_of_its_own_namespace() {
        let c = ClusterId::new("test", "https://test");
        let about = |own: Option<&str>, named: Option<&str>| {
            let mut v = json!({"metadata": {"name": "e"},
                "involvedObject": {"kind": "Pod", "name": "web-1"}});
            if let Some(o) = own {
                v["metadata"]["namespace"] = json!(o);
            }
            if let Some(n) = named {
                v["involvedObject"]["namespace"] = json!(n);
            }
            event_pod(&c, &event(v))
        };
        assert_eq!(
            about(Some("shop"), Some("shop")),
            Some(PodKey::new(&c, "shop", "web-1"))
        );
        assert_eq!(
            about(Some("shop"), None),
            Some(PodKey::new(&c, "shop", "web-1"))
        );
        assert_eq!(about(Some("tenant-a"), Some("shop")), None);
        assert_eq!(
            about(None, Some("shop")),
            Some(PodKey::new(&c, "shop", "web-1"))
        );
        let node = event(json!({"metadata": {"namespace": "default"},
            "involvedObject": {"kind": "Node", "name": "n"}}));
        assert_eq!(event_pod(&c, &node), None);
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

    #[test]
    fn the_service_account_falls_back_to_the_deprecated_field_then_default() {
        let sa = |spec: serde_json::Value| {
            service_account_of(&pod(json!({"metadata": {"name": "p"}, "spec": spec})))
        };
        assert_eq!(
            sa(json!({"containers": [], "serviceAccountName": "builder"})),
            "builder"
        );
        assert_eq!(
            sa(json!({"containers": [], "serviceAccount": "legacy"})),
            "legacy"
        );
        assert_eq!(
            sa(json!({"containers": [], "serviceAccountName": "", "serviceAccount": "legacy"})),
            "legacy"
        );
        assert_eq!(
            sa(json!({"containers": [], "serviceAccountName": ""})),
            "default"
        );
        assert_eq!(sa(json!({"containers": []})), "default");
        assert_eq!(
            service_account_of(&pod(json!({"metadata": {"name": "p"}}))),
            "default"
        );
    }

    #[test]
    fn pull_secret_names_keep_spec_order_without_empty_names_or_repeats() {
        let p = pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [],
            "imagePullSecrets": [{"name": "b"}, {"name": ""}, {"name": "a"}, {"name": "b"}, {}]}}));
        assert_eq!(pull_secret_names(&p), ["b", "a"]);
        assert!(pull_secret_names(&pod(json!({"metadata": {"name": "p"}}))).is_empty());
    }

    #[test]
    fn container_lists_are_named_as_in_the_spec() {
        assert_eq!(container_list(true), "initContainers");
        assert_eq!(container_list(false), "containers");
    }
}
