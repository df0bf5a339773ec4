//! Pods, events and models for the app and ui tests of the home screen,
//! with a fixed clock.
#![allow(dead_code)]

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use pulltui::app::keymap::Keymap;
use pulltui::app::{ClusterMsg, Effect, Model, Msg, Scope, update};
use pulltui::domain::facts::{EventFact, PodFact, WatchEvent};
use pulltui::domain::failing::PodKey;
use serde_json::json;

pub const NOW: &str = "2024-05-01T10:10:00Z";

pub fn now() -> Timestamp {
    NOW.parse().expect("fixed clock")
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

/// A pod of Deployment `deploy` (through ReplicaSet `<deploy>-<hash>`)
/// whose container `app` waits with `reason`/`message`.
pub fn deploy_pod(
    ns: &str,
    deploy: &str,
    suffix: &str,
    image: &str,
    reason: &str,
    message: &str,
) -> Pod {
    let rs = format!("{deploy}-7d9c8b6f5");
    serde_json::from_value(json!({
        "metadata": {"name": format!("{rs}-{suffix}"), "namespace": ns, "uid": format!("uid-{deploy}-{suffix}"),
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": {"app": deploy, "pod-template-hash": "7d9c8b6f5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                "uid": "rs-uid", "controller": true}]},
        "spec": {"containers": [{"name": "app", "image": image}]},
        "status": {"phase": "Pending", "startTime": "2024-05-01T10:00:00Z", "containerStatuses": [
            {"name": "app", "image": image, "imageID": "", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": reason, "message": message}}}]}
    }))
    .expect("pod")
}

pub fn bare_pod(ns: &str, name: &str, image: &str, reason: &str, message: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
            "creationTimestamp": "2024-05-01T10:07:00Z"},
        "spec": {"containers": [{"name": name, "image": image}]},
        "status": {"phase": "Pending", "startTime": "2024-05-01T10:07:00Z", "containerStatuses": [
            {"name": name, "image": image, "imageID": "", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": reason, "message": message}}}]}
    }))
    .expect("pod")
}

pub fn healthy(ns: &str, name: &str) -> PodFact {
    PodFact::Healthy(PodKey::new(&test_cluster(), ns, name))
}

pub fn failing(p: Pod) -> PodFact {
    PodFact::from_pod(&test_cluster(), p)
}

pub fn backoff(image: &str) -> String {
    format!("Back-off pulling image \"{image}\"")
}

pub fn web() -> Pod {
    let img = "selfsigned.example/shop/web:1.4";
    deploy_pod(
        "shop",
        "web",
        "qr5fv",
        img,
        "ImagePullBackOff",
        &backoff(img),
    )
}

pub fn worker(suffix: &str) -> Pod {
    let img = "private.example/pay/worker:2.0";
    deploy_pod(
        "pay",
        "worker",
        suffix,
        img,
        "ErrImagePull",
        &format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": pulling from host private.example failed with status code [manifests 2.0]: 401 Unauthorized"
        ),
    )
}

pub fn typo() -> Pod {
    bare_pod(
        "default",
        "typo",
        "Bad//Name",
        "InvalidImageName",
        "Failed to apply default image tag \"Bad//Name\": couldn't parse image reference \"Bad//Name\": invalid reference format",
    )
}

pub fn timeout_pod() -> Pod {
    let img = "43.1.2.3:5000/ops/agent:7";
    deploy_pod(
        "ops",
        "agent",
        "zz9xk",
        img,
        "ErrImagePull",
        &format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": failed to do request: Head \"https://43.1.2.3:5000/v2/ops/agent/manifests/7\": dial tcp 43.1.2.3:5000: i/o timeout"
        ),
    )
}

/// The latest Failed event of `web`: an untrusted certificate.
pub fn web_event() -> EventFact {
    EventFact {
        pod: PodKey::new(&test_cluster(), "shop", "web-7d9c8b6f5-qr5fv"),
        pod_uid: Some("uid-web-qr5fv".into()),
        container: Some("app".into()),
        message: "Failed to pull image \"selfsigned.example/shop/web:1.4\": rpc error: code = Unknown desc = failed to pull and unpack image \"selfsigned.example/shop/web:1.4\": failed to resolve reference \"selfsigned.example/shop/web:1.4\": failed to do request: Head \"https://selfsigned.example/v2/shop/web/manifests/1.4\": x509: certificate signed by unknown authority".into(),
        first_seen: Some(ts("2024-05-01T10:07:00Z")),
        last_seen: Some(ts("2024-05-01T10:09:30Z")),
        count: 7,
        secret_missing: false,
        sandbox: false,
    }
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn cluster(model: &Model, m: ClusterMsg) -> Msg {
    Msg::Cluster(model.cluster().session(), m)
}

/// The session key of generation `g` of `model`'s (focused) cluster, as
/// it names the cluster now.
pub fn session_at(model: &Model, g: u64) -> pulltui::app::msg::SessionKey {
    pulltui::app::msg::SessionKey::new(model.cluster().id.clone(), pulltui::app::msg::Generation(g))
}

/// The key a session of context `ctx` starts with (its server not known yet).
pub fn session_asked(ctx: &str, g: u64) -> pulltui::app::msg::SessionKey {
    pulltui::app::msg::SessionKey::new(
        pulltui::domain::cluster_id::ClusterId::new(ctx, ""),
        pulltui::app::msg::Generation(g),
    )
}

pub fn pods(model: &Model, ev: WatchEvent<PodFact>) -> Msg {
    cluster(model, ClusterMsg::Pods(ev))
}

/// Applies messages, then settles as the runtime does before drawing.
pub fn send(model: &mut Model, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for m in msgs {
        effects.extend(update(model, m));
    }
    model.settle();
    effects
}

/// The session of `model`'s generation has connected to prod-eu, all namespaces.
pub fn connected(model: &Model) -> Msg {
    cluster(
        model,
        ClusterMsg::Connected {
            context: Some("prod-eu".into()),
            server: "https://prod-eu.example:6443".into(),
            default_namespace: "default".into(),
            scope: Scope::All,
        },
    )
}

/// A model started against prod-eu (all namespaces), nothing received yet.
pub fn started() -> Model {
    started_at(now())
}

/// `started`, with the clock at `at`.
pub fn started_at(at: Timestamp) -> Model {
    let mut m = Model::new(
        Some("prod-eu".into()),
        vec!["prod-eu".into(), "staging".into()],
        Scope::All,
        Keymap::default(),
        at,
    );
    let _ = m.start();
    m
}

/// A connected, synced model showing `facts`, at `size`.
pub fn model_with(facts: Vec<PodFact>, size: (u16, u16)) -> Model {
    model_at(facts, size, now())
}

/// `model_with`, with the clock at `at`.
pub fn model_at(facts: Vec<PodFact>, size: (u16, u16), at: Timestamp) -> Model {
    let mut m = started_at(at);
    let mut msgs = vec![
        Msg::Resize(size.0, size.1),
        connected(&m),
        pods(&m, WatchEvent::Init),
    ];
    for f in facts {
        msgs.push(pods(&m, WatchEvent::InitApply(f)));
    }
    for i in 0..20 {
        msgs.push(pods(
            &m,
            WatchEvent::InitApply(healthy("shop", &format!("cart-{i}"))),
        ));
    }
    msgs.push(pods(&m, WatchEvent::InitDone));
    msgs.push(Msg::Tick(at));
    send(&mut m, msgs);
    m
}

/// `p` with its times (`2024-05-01T…`, as the fixtures write them) moved
/// to the day `date` (`2025-09-10`).
pub fn on_day(p: Pod, date: &str) -> Pod {
    let text = serde_json::to_string(&p).expect("pod json");
    serde_json::from_str(&text.replace("2024-05-01T", &format!("{date}T"))).expect("pod")
}

/// The incident of the product sketch: TLS, credentials, bad name, timeout.
pub fn incident(size: (u16, u16)) -> Model {
    let mut m = model_with(
        vec![
            failing(web()),
            failing(worker("n6m4x")),
            failing(worker("p2k7d")),
            failing(typo()),
            failing(timeout_pod()),
        ],
        size,
    );
    let ev = cluster(&m, ClusterMsg::Events(WatchEvent::Apply(web_event())));
    send(&mut m, [ev]);
    m
}

pub fn arc(p: Pod) -> Arc<Pod> {
    Arc::new(p)
}

/// The upstream events of 2025, as failing pods on 2025-09-10: two Bitnami
/// images gone from Docker Hub, one gcr.io image refused, Docker Hub
/// rate-limiting an anonymous pull, and a Docker Hub image simply missing.
pub fn upstream_incident(size: (u16, u16)) -> Model {
    let not_found = |img: &str| {
        format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/{img}\": failed to resolve reference \"docker.io/{img}\": docker.io/{img}: not found"
        )
    };
    let pods = vec![
        deploy_pod(
            "data",
            "cache",
            "b7x2k",
            "bitnami/redis:7.2.4",
            "ErrImagePull",
            &not_found("bitnami/redis:7.2.4"),
        ),
        deploy_pod(
            "data",
            "db",
            "c4m9p",
            "bitnami/postgresql:16.1.0",
            "ErrImagePull",
            &not_found("bitnami/postgresql:16.1.0"),
        ),
        deploy_pod(
            "data",
            "queue",
            "d2n8q",
            "acme/queue:3",
            "ErrImagePull",
            &not_found("acme/queue:3"),
        ),
        deploy_pod(
            "shop",
            "web",
            "e5r1t",
            "gcr.io/shop-prod/web:1.4",
            "ErrImagePull",
            "rpc error: code = Unknown desc = failed to pull and unpack image \"gcr.io/shop-prod/web:1.4\": failed to resolve reference \"gcr.io/shop-prod/web:1.4\": pulling from host gcr.io failed with status code [manifests 1.4]: 403 Forbidden",
        ),
        deploy_pod(
            "edge",
            "proxy",
            "f8s3u",
            "nginx:1.27",
            "ErrImagePull",
            "rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/nginx:1.27\": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/1.27: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit",
        ),
    ];
    model_at(
        pods.into_iter()
            .map(|p| failing(on_day(p, "2025-09-10")))
            .collect(),
        size,
        ts("2025-09-10T10:10:00Z"),
    )
}

/// The cluster every fixture is about.
pub fn test_cluster() -> pulltui::domain::cluster_id::ClusterId {
    pulltui::domain::cluster_id::ClusterId::new("test", "https://test")
}
