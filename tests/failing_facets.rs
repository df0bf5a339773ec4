//! What failed to pull: rows carry a facet — container, init
//! container, sidecar, ephemeral container, image volume, sandbox — and
//! injected containers say who injected them. Pure: pods and events in,
//! rows out, through the same inventory the console and `check` use.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod};
use pulltui::domain::classify::Category;
use pulltui::domain::facet::Facet;
use pulltui::domain::facts::{EventFact, PodFact, WatchEvent};
use pulltui::domain::failing::{CauseEvent, FailureRow, NoOwners, failure_rows};
use pulltui::domain::inventory::Inventory;
use serde_json::{Value, json};

fn pod(v: Value) -> Pod {
    serde_json::from_value(v).expect("pod json")
}

fn status(name: &str, reason: &str, message: &str) -> Value {
    json!({"name": name, "image": "", "imageID": "", "ready": false, "restartCount": 0,
        "state": {"waiting": {"reason": reason, "message": message}}})
}

fn cause(message: &str) -> CauseEvent {
    CauseEvent {
        message: message.into(),
        first_seen: None,
        last_seen: None,
        count: 3,
    }
}

fn rows(p: &Pod, pod_event: Option<&CauseEvent>, sandbox: Option<&CauseEvent>) -> Vec<FailureRow> {
    // As the inventory: a pod-level event applies to every container.
    let lookup = |_: &str| pod_event;
    failure_rows(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        p,
        &NoOwners,
        &lookup,
        None,
        sandbox,
    )
}

const MISSING: &str = "rpc error: code = NotFound desc = failed to pull and unpack image \"reg.example/data:2\": failed to resolve reference \"reg.example/data:2\": reg.example/data:2: not found";

#[test]
fn a_restartable_init_container_is_a_sidecar() {
    let p = pod(
        json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {
        "initContainers": [{"name": "proxy", "image": "reg.example/proxy:1", "restartPolicy": "Always"},
                           {"name": "setup", "image": "reg.example/setup:1"}],
        "containers": [{"name": "app", "image": "reg.example/app:1"}]},
        "status": {"phase": "Pending", "initContainerStatuses": [
            status("proxy", "ErrImagePull", "failed to pull image \"reg.example/proxy:1\": 401 Unauthorized"),
            status("setup", "ErrImagePull", "failed to pull image \"reg.example/setup:1\": 401 Unauthorized")]}}),
    );
    let r = rows(&p, None, None);
    let facets: Vec<(&str, Facet)> = r.iter().map(|r| (r.container.as_str(), r.facet)).collect();
    assert_eq!(
        facets,
        [("proxy", Facet::Sidecar), ("setup", Facet::InitContainer)]
    );
    assert_eq!(r[0].container_label(), "proxy (sidecar)");
    assert!(r.iter().all(|r| r.init));
}

#[test]
fn a_container_failing_on_the_volume_it_mounts_is_the_image_volume() {
    let p = pod(
        json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {
        "containers": [{"name": "app", "image": "reg.example/app:1",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        "volumes": [{"name": "data", "image": {"reference": "reg.example/data:2"}}]},
        "status": {"phase": "Pending", "containerStatuses": [status("app", "ErrImagePull", MISSING)]}}),
    );
    let r = rows(&p, None, None);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].facet, Facet::ImageVolume);
    assert_eq!(r[0].volume.as_deref(), Some("data"));
    assert_eq!(r[0].image, "reg.example/data:2");
    assert_eq!(r[0].container, "app");
    assert_eq!(r[0].container_label(), "volume data");
    assert_eq!(r[0].category, Category::ImageNotFound);
}

#[test]
fn a_creating_pod_whose_volume_event_names_it_is_failing() {
    let p = pod(
        json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {
        "containers": [{"name": "app", "image": "reg.example/app:1",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        "volumes": [{"name": "data", "image": {"reference": "reg.example/data:2"}}]},
        "status": {"phase": "Pending", "containerStatuses": [status("app", "ContainerCreating", "")]}}),
    );
    // Without the event nothing says it fails.
    assert!(rows(&p, None, None).is_empty());
    let ev = cause(&format!(
        "Failed to pull image \"reg.example/data:2\": {MISSING}"
    ));
    let r = rows(&p, Some(&ev), None);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].facet, Facet::ImageVolume);
    assert_eq!(r[0].reason, "ContainerCreating");
    assert_eq!(r[0].container, "app");
    assert_eq!(r[0].category, Category::ImageNotFound);
    assert_eq!(r[0].count, 3);
    // An event about another image does not make it fail.
    let other = cause("Failed to pull image \"reg.example/other:1\": not found");
    assert!(rows(&p, Some(&other), None).is_empty());
}

fn creating_pod() -> Pod {
    pod(
        json!({"metadata": {"name": "sb", "namespace": "ns", "uid": "u1"}, "spec": {
        "containers": [{"name": "app", "image": "reg.example/app:1"}],
        "imagePullSecrets": [{"name": "gone"}]},
        "status": {"phase": "Pending", "containerStatuses": [status("app", "ContainerCreating", "")]}}),
    )
}

const SANDBOX: &str = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"pause.example/pause:3.10\": failed to pull image \"pause.example/pause:3.10\": failed to pull and unpack image \"pause.example/pause:3.10\": failed to resolve reference \"pause.example/pause:3.10\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed";

#[test]
fn a_sandbox_image_failure_is_a_row_of_its_own_and_pod_secrets_are_not_blamed() {
    let p = creating_pod();
    let sb = cause(SANDBOX);
    let secret = cause(
        "Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed.",
    );
    let lookup = |_: &str| None;
    let r = failure_rows(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        &p,
        &NoOwners,
        &lookup,
        Some(&secret),
        Some(&sb),
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].facet, Facet::Sandbox);
    assert_eq!(r[0].image, "pause.example/pause:3.10");
    assert_eq!(r[0].registry.as_deref(), Some("pause.example"));
    assert_eq!(r[0].reason, "FailedCreatePodSandBox");
    assert_eq!(r[0].container_label(), "(sandbox)");
    // The pod's missing secret is not the sandbox's cause.
    assert_ne!(r[0].category, Category::CredentialsSecretMissing);
    assert_eq!(r[0].category, Category::AuthDenied);
}

fn event(reason: &str, message: &str) -> Event {
    serde_json::from_value(json!({"metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "sb", "uid": "u1"},
        "reason": reason, "message": message, "type": "Warning", "count": 2}))
    .expect("event json")
}

#[test]
fn the_inventory_keeps_a_creating_pod_and_fails_it_on_its_sandbox_event() {
    let now = Timestamp::now();
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        creating_pod(),
    )));
    inv.apply_pod(WatchEvent::InitDone);
    assert!(inv.sorted_rows().is_empty(), "creating is not failing");
    // A sandbox that failed for its network is no pull failure.
    let cni = event(
        "FailedCreatePodSandBox",
        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"abc\": plugin type=\"calico\" failed (add): connection is unauthorized",
    );
    assert_eq!(
        EventFact::from_event(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &cni,
            now
        ),
        None
    );
    let fact = EventFact::from_row_event(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        &event("FailedCreatePodSandBox", SANDBOX),
        now,
    )
    .expect("a sandbox pull failure is kept");
    assert!(fact.sandbox);
    inv.apply_event(WatchEvent::Apply(fact));
    let r = inv.sorted_rows();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].facet, Facet::Sandbox);
    // Kept for snapshots as a sandbox cause.
    assert!(inv.cause_events().iter().any(|k| k.sandbox));
}

#[test]
fn an_injected_sidecar_names_its_injector() {
    let p = pod(
        json!({"metadata": {"name": "p", "namespace": "ns", "annotations": {
            "sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"]}"}},
        "spec": {"containers": [{"name": "app", "image": "reg.example/app:1"},
                                {"name": "istio-proxy", "image": "mesh.example/proxyv2:1.27"}]},
        "status": {"phase": "Pending", "containerStatuses": [
            status("app", "ErrImagePull", "failed to pull image \"reg.example/app:1\": 401 Unauthorized"),
            status("istio-proxy", "ErrImagePull", "failed to pull image \"mesh.example/proxyv2:1.27\": 401 Unauthorized")]}}),
    );
    let r = rows(&p, None, None);
    let app = r.iter().find(|r| r.container == "app").expect("app row");
    let proxy = r
        .iter()
        .find(|r| r.container == "istio-proxy")
        .expect("proxy row");
    assert!(app.injected.is_none());
    assert_eq!(
        proxy.injected.as_ref().map(|i| i.by.as_str()),
        Some("istio")
    );
    assert_eq!(proxy.container_label(), "istio-proxy [istio]");
}
