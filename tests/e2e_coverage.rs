//! Coverage beyond pull secrets on the API-server harness (issue 21,
//! point 6), with the console's model driven headless by the real cluster
//! backend (and by a replay of a snapshot taken of it):
//!
//! - a pod pulling from a host a node credential provider serves, under a
//!   ServiceAccount with the annotations that provider reads (one of them
//!   hostile): the detail says "may be covered by the node's credential
//!   provider" and shows the annotations inert, never an unrelated one;
//!   the snapshot keeps them (and redacts the values of the others), so its
//!   replay shows the same;
//! - the node that keeps its images (`sim-cache`): an image pulled with a
//!   pull secret, then wanted by pods without it. From 1.35 the kubelet
//!   re-verifies their credentials (KEP-2535): `Never` says "not present"
//!   although the image is there, `IfNotPresent` pulls again and fails —
//!   the detail calls both credential re-verification. Before 1.35 both run
//!   on the cached image (the gap the feature closes).

mod detail_fixtures;
mod home_fixtures;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use k8s_openapi::api::core::v1::{Node, Pod, ServiceAccount};
use kube::api::Api;
use pulltui::app::keymap::Keymap;
use pulltui::app::msg::Fetch;
use pulltui::app::{Backend, ConnState, Model, Msg, update};
use serde_json::json;
use support::screen::{drive, key, live_console};
use support::workload::create;
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(60);

const ECR: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:2.1";

/// Opens the detail of the only row whose pod is `pod` and returns its
/// document once the ServiceAccount and the node are read, wrapping undone.
async fn detail_text(
    model: &mut Model,
    backend: &mut dyn Backend,
    rx: &mut mpsc::Receiver<Msg>,
    pod: &str,
) -> String {
    let fx = model.start();
    backend.dispatch_all(fx);
    drive(model, backend, rx, "the pod's row", T, |m| {
        m.cluster().conn == ConnState::Live
            && m.cluster().inventory.events_synced
            && m.home.rows.iter().any(|r| r.pod == pod)
    })
    .await;
    let mut keys = vec![key(KeyCode::Char('/'))];
    keys.extend(pod.chars().map(|c| key(KeyCode::Char(c))));
    keys.push(key(KeyCode::Enter));
    keys.push(key(KeyCode::Enter));
    for k in keys {
        let fx = update(model, k);
        backend.dispatch_all(fx);
        model.settle();
    }
    drive(model, backend, rx, "the detail's reads", T, |m| {
        m.detail.as_ref().is_some_and(|d| {
            d.key.name == pod
                && d.sa != Fetch::Pending
                && (d.node != Fetch::Pending || d.recorded)
                && d.events_state != pulltui::app::detail::EventsState::Loading
        })
    })
    .await;
    let d = model.detail.as_ref().expect("detail open");
    let text = d
        .document(model.now, 160)
        .iter()
        .map(|l| detail_fixtures::line_text(l).trim().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The live console's detail of `pod` in `ns`.
async fn live_detail(kubeconfig: &Path, ns: &str, pod: &str) -> String {
    let (mut model, mut backend, mut rx) = live_console(kubeconfig, ns, (160, 60));
    detail_text(&mut model, &mut backend, &mut rx, pod).await
}

/// The replayed console's detail of `pod` from the snapshot `file`.
async fn replay_detail(file: &Path, pod: &str) -> String {
    let snap = pulltui::snapshot::load(file).expect("snapshot loads");
    let recorded = std::sync::Arc::new(pulltui::snapshot::Recorded::new(snap));
    let (tx, mut rx) = mpsc::channel(1024);
    let mut backend = pulltui::snapshot::Replay::new(recorded.clone(), tx);
    let mut model = pulltui::cli::replay_model(
        &recorded,
        "e2e".into(),
        recorded.snapshot.scope.clone(),
        Keymap::default(),
    );
    model.size = (160, 60);
    detail_text(&mut model, &mut backend, &mut rx, pod).await
}

/// The named pod's first container: its waiting reason (or `Running`) and message.
fn state(p: &Pod) -> (String, String) {
    (
        support::pod_state(p).unwrap_or_default(),
        support::waiting_message(p).unwrap_or_default(),
    )
}

async fn wait_state(
    client: &kube::Client,
    ns: &str,
    name: &str,
    what: &str,
    pred: impl Fn(&str, &str) -> bool,
) -> Pod {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let start = Instant::now();
    loop {
        let p = api.get(name).await.expect("reading pod");
        let (reason, message) = state(&p);
        if pred(&reason, &message) {
            return p;
        }
        assert!(
            start.elapsed() < T,
            "{ns}/{name}: timed out waiting for {what}; now {reason}: {message}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_host_may_be_covered_and_the_service_account_annotations_show_inert() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let ns = h.namespace(&admin, "e2e-cov").await;
    let _: ServiceAccount = create(
        &admin,
        &ns.name,
        json!({"metadata": {"name": "puller", "annotations": {
            "eks.amazonaws.com/ecr-role-arn": "arn:aws:iam::123456789012:role/pull\u{1b}]0;owned\u{7}",
            "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/app",
            "team.example/api-token": "tok3n-not-for-screens"}}}),
    )
    .await;
    let _: Pod = create(
        &admin,
        &ns.name,
        json!({"metadata": {"name": "ecr-app"}, "spec": {
            "serviceAccountName": "puller", "automountServiceAccountToken": false,
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "app", "image": ECR}]}}),
    )
    .await;
    wait_state(&admin, &ns.name, "ecr-app", "a failed pull", |r, _| {
        r == "ErrImagePull" || r == "ImagePullBackOff"
    })
    .await;

    let text = live_detail(&h.kubeconfig(), &ns.name, "ecr-app").await;
    let verdict = "no pull secret covers 123456789012.dkr.ecr.eu-west-1.amazonaws.com — may be covered by the node's credential provider (ecr-credential-provider, Amazon ECR; inferred from the host)";
    let reads = "serviceaccount/puller eks.amazonaws.com/ecr-role-arn: arn:aws:iam::123456789012:role/pull␛]0;owned␇";
    let related =
        "serviceaccount/puller eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/app";
    for want in [verdict, reads, related] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "a raw escape: {text:?}");
    assert!(!text.contains("tok3n-not-for-screens"), "{text}");

    // The snapshot keeps the ServiceAccount's annotations: its replay says the same.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("snap.yaml");
    let run = h
        .pulltui()
        .dir(dir.path())
        .args(&[
            "snapshot",
            "-o",
            file.to_str().expect("utf-8"),
            "--context",
            "admin",
            "-n",
            &ns.name,
        ])
        .run();
    assert_eq!(run.code, Some(0), "snapshot: {}", run.stderr);
    // Only the annotations providers read keep their values in the file.
    let written = std::fs::read_to_string(&file).expect("the snapshot");
    assert!(
        written.contains("eks.amazonaws.com/ecr-role-arn"),
        "{written}"
    );
    assert!(written.contains("team.example/api-token"), "the name stays");
    assert!(!written.contains("tok3n-not-for-screens"), "{written}");
    let replayed = replay_detail(&file, "ecr-app").await;
    for want in [verdict, reads, related] {
        assert!(replayed.contains(want), "replay: {want}\n{replayed}");
    }
    ns.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_image_is_re_verified_from_1_35_and_the_detail_says_so() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let node = h.var("PULLTUI_SIM_NODE_CACHE").to_string();
    let ns = h.namespace(&admin, "e2e-reverify").await;
    support::scenarios::ensure_secret(&admin, &ns.name, "regcred", h.reg_auth(), &h).await;
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let pod = |name: &str, policy: &str, secret: bool| {
        let mut p = json!({"metadata": {"name": name}, "spec": {
            "nodeSelector": {"kubernetes.io/hostname": node},
            "automountServiceAccountToken": false, "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "app", "image": image, "imagePullPolicy": policy}]}});
        if secret {
            p["spec"]["imagePullSecrets"] = json!([{"name": "regcred"}]);
        }
        p
    };
    // Pulled once, with the pull secret: the node has it.
    let _: Pod = create(&admin, &ns.name, pod("first", "IfNotPresent", true)).await;
    wait_state(&admin, &ns.name, "first", "Running", |r, _| r == "Running").await;
    let nodes: Api<Node> = Api::all(admin.clone());
    let n = nodes.get(&node).await.expect("the cache node");
    let names: Vec<String> = n
        .status
        .and_then(|s| s.images)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|i| i.names.unwrap_or_default())
        .collect();
    assert!(names.contains(&image), "status.images lists it: {names:?}");

    // Wanted again without the secret; and with it.
    let _: Pod = create(&admin, &ns.name, pod("never", "Never", false)).await;
    let _: Pod = create(&admin, &ns.name, pod("again", "IfNotPresent", false)).await;
    let _: Pod = create(&admin, &ns.name, pod("same", "IfNotPresent", true)).await;
    wait_state(&admin, &ns.name, "same", "Running", |r, _| r == "Running").await;

    if !h.at_least(35, "credential re-verification of cached images (KEP-2535)") {
        // Before 1.35 a cached image is anyone's on the node.
        for name in ["never", "again"] {
            wait_state(&admin, &ns.name, name, "Running", |r, _| r == "Running").await;
            support::wait_event(&admin, &ns.name, name, "Pulled", T, |m| {
                m == format!("Container image \"{image}\" already present on machine")
            })
            .await;
        }
        ns.delete().await;
        return;
    }
    support::wait_event(&admin, &ns.name, "same", "Pulled", T, |m| {
        m.ends_with("already present on machine and can be accessed by the pod")
    })
    .await;
    wait_state(&admin, &ns.name, "never", "ErrImageNeverPull", |r, m| {
        r == "ErrImageNeverPull"
            && m == format!("Container image \"{image}\" is not present with pull policy of Never")
    })
    .await;
    wait_state(&admin, &ns.name, "again", "a refused pull", |r, m| {
        (r == "ErrImagePull" || r == "ImagePullBackOff") && m.contains("401")
    })
    .await;

    let kc = h.kubeconfig();
    let text = live_detail(&kc, &ns.name, "never").await;
    let want = format!(
        "⟳ credential re-verification (KEP-2535): node {node} (kubelet v1.{}",
        h.k8s_minor()
    );
    assert!(text.contains(&want), "{want}\n{text}");
    assert!(
        text.contains(&format!("has {image} cached — it is not absent")),
        "{text}"
    );
    let text = live_detail(&kc, &ns.name, "again").await;
    assert!(text.contains("auth.no-credentials"), "{text}");
    assert!(
        text.contains(&format!("has {image} cached, yet the kubelet pulled it")),
        "{text}"
    );
    ns.delete().await;
}
