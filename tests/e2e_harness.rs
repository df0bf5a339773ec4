//! End to end against the real harness (kube-apiserver + controllers + real
//! registries + the kubelet simulator; see scripts/test-cluster): each
//! registry scenario is created in its own namespace, driven by the
//! simulator, and checked through pod status, kubelet events, and the real
//! `pulltui explain --json` binary. Fixes (annotations, secrets) must make
//! the workload Running.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use support::scenarios::{self, ANN_HTTP, ANN_SKIP_VERIFY, Expect, GOOD_SECRET, MISSING_SECRET};
use support::{Fixture, explain_category, pod_state, wait_event, wait_pod, waiting_message};

const EVENT_WAIT: Duration = Duration::from_secs(30);

fn name_of(p: &Pod) -> String {
    p.metadata.name.clone().expect("pod has a name")
}

/// Create one scenario and check everything the simulator and pulltui say about it.
async fn run_scenario(name: &str) {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new(&format!("e2e-{name}")).await else {
        return;
    };
    let s = scenarios::get(name);
    s.apply(&h, &c, &ns.name).await;
    let pod = s.wait_settled(&c, &ns.name).await;
    let pod_name = name_of(&pod);
    let image = s.image(&h);
    match s.expect {
        Expect::Failing {
            reason: "InvalidImageName",
            category,
            evidence,
        } => {
            let msg = waiting_message(&pod).expect("InvalidImageName has a message");
            assert!(
                msg.starts_with(&format!(
                    "Failed to apply default image tag \"{image}\": couldn't parse image reference \"{image}\": "
                )),
                "waiting message: {msg}"
            );
            assert!(msg.contains(evidence), "waiting message: {msg}");
            let ev = wait_event(&c, &ns.name, &pod_name, "InspectFailed", EVENT_WAIT, |m| {
                m == msg
            })
            .await;
            assert_eq!(ev.type_.as_deref(), Some("Warning"));
            wait_event(&c, &ns.name, &pod_name, "Failed", EVENT_WAIT, |m| {
                m == "Error: InvalidImageName"
            })
            .await;
            assert_eq!(explain_category(&msg), category, "explain {msg:?}");
        }
        Expect::Failing {
            reason,
            category,
            evidence,
        } => {
            assert_eq!(reason, "ImagePullBackOff");
            let bare = format!("Back-off pulling image \"{image}\"");
            let waiting = waiting_message(&pod).unwrap_or_default();
            if h.k8s_minor() >= 32 {
                // kubelet 1.32+: the last pull's error rides in the message.
                assert!(
                    waiting.starts_with(&format!("{bare}: ErrImagePull: ")),
                    "waiting message: {waiting}"
                );
                assert!(
                    waiting.contains(evidence),
                    "expected {evidence:?} in {waiting}"
                );
                assert_eq!(explain_category(&waiting), category, "explain {waiting:?}");
            } else {
                assert_eq!(waiting, bare);
            }
            let prefix = format!("Failed to pull image \"{image}\": ");
            let failed = wait_event(&c, &ns.name, &pod_name, "Failed", EVENT_WAIT, |m| {
                m.starts_with(&prefix)
            })
            .await;
            let msg = failed.message.clone().unwrap_or_default();
            // From 1.30 kubelet's CRI client drops `rpc error: code = Unknown
            // desc = `; other codes (NotFound, Canceled) keep it.
            let rest = &msg[prefix.len()..];
            if h.k8s_minor() < 30 {
                assert!(rest.starts_with("rpc error: code = "), "{msg}");
            } else {
                assert!(!rest.starts_with("rpc error: code = Unknown"), "{msg}");
            }
            assert_eq!(failed.type_.as_deref(), Some("Warning"));
            assert!(msg.contains(evidence), "expected {evidence:?} in {msg}");
            assert!(
                msg.contains(&format!("failed to pull and unpack image \"{image}\"")),
                "containerd wording: {msg}"
            );
            let involved = &failed.involved_object;
            assert_eq!(involved.kind.as_deref(), Some("Pod"));
            assert_eq!(involved.field_path.as_deref(), Some("spec.containers{app}"));
            assert_eq!(
                failed.source.as_ref().and_then(|s| s.component.as_deref()),
                Some("kubelet")
            );
            for (reason, exact) in [
                ("Pulling", format!("Pulling image \"{image}\"")),
                ("Failed", "Error: ErrImagePull".to_string()),
                ("BackOff", format!("Back-off pulling image \"{image}\"")),
                ("Failed", "Error: ImagePullBackOff".to_string()),
            ] {
                wait_event(&c, &ns.name, &pod_name, reason, EVENT_WAIT, |m| m == exact).await;
            }
            assert_eq!(explain_category(&msg), category, "explain {msg:?}");
        }
        Expect::Running => {
            let ready = pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            assert!(ready, "Running pod is Ready");
            assert_eq!(
                pod.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Running")
            );
            wait_event(&c, &ns.name, &pod_name, "Pulled", EVENT_WAIT, |m| {
                m.starts_with(&format!("Successfully pulled image \"{image}\" in "))
            })
            .await;
            for reason in ["Created", "Started"] {
                wait_event(&c, &ns.name, &pod_name, reason, EVENT_WAIT, |_| true).await;
            }
        }
    }
    if let Some(cat) = s.secret_event_category {
        let expected = format!(
            "Unable to retrieve some image pull secrets ({MISSING_SECRET}); attempting to pull the image may not succeed."
        );
        let ev = wait_event(
            &c,
            &ns.name,
            &pod_name,
            "FailedToRetrieveImagePullSecret",
            EVENT_WAIT,
            |m| m == expected,
        )
        .await;
        assert_eq!(ev.type_.as_deref(), Some("Warning"));
        assert_eq!(explain_category(&expected), cat, "explain {expected:?}");
    }
    ns.delete().await;
}

macro_rules! scenario_tests {
    ($($test:ident => $name:literal,)*) => {$(
        #[tokio::test]
        async fn $test() {
            run_scenario($name).await;
        }
    )*};
}

scenario_tests! {
    selfsigned_registry_is_tls_untrusted => "selfsigned",
    plain_http_registry_is_protocol_http_registry => "plain-http",
    auth_registry_without_secret_is_no_credentials => "auth-nosecret",
    auth_registry_with_wrong_host_secret_is_no_credentials => "auth-wronghost",
    auth_registry_missing_tag_is_not_found => "auth-missingtag",
    auth_registry_with_correct_secret_runs => "auth-ok",
    missing_pull_secret_is_reported => "secret-missing",
    invalid_image_name_is_invalid_name => "invalid-name",
    blackhole_registry_is_network_timeout => "blackhole",
    closed_port_is_network_refused => "refused",
    unresolvable_registry_is_network_dns => "nxdomain",
    http_endpoint_annotation_on_pod_runs => "http-annotated",
    skip_verify_annotation_on_pod_runs => "selfsigned-skipverify",
}

#[test]
fn scenario_names_are_unique() {
    let mut names: Vec<_> = scenarios::ALL.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), scenarios::ALL.len());
}

/// Patch the Deployment's pod template; the rollout's new pod must run and
/// the failing one must disappear.
async fn patch_template_and_expect_running(
    c: &kube::Client,
    ns: &str,
    name: &str,
    patch: serde_json::Value,
) {
    Api::<Deployment>::namespaced(c.clone(), ns)
        .patch(name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .unwrap_or_else(|e| panic!("patching deployment {ns}/{name}: {e}"));
    wait_pod(
        c,
        ns,
        name,
        scenarios::SETTLE,
        "the fixed pod Running",
        |p| pod_state(p).as_deref() == Some("Running"),
    )
    .await;
    // The old ReplicaSet's pod is deleted by its owner and removed by the node.
    let pods: Api<Pod> = Api::namespaced(c.clone(), ns);
    let deadline = std::time::Instant::now() + scenarios::SETTLE;
    loop {
        let all = pods
            .list(&ListParams::default().labels(&format!("app={name}")))
            .await
            .expect("listing pods");
        if all.items.len() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "old pods of {ns}/{name} never went away: {:?}",
            all.items
                .iter()
                .map(|p| (name_of(p), pod_state(p)))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn http_endpoint_annotation_on_deployment_template_fixes_pull() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-fix-http").await else {
        return;
    };
    let s = scenarios::get("plain-http");
    s.apply(&h, &c, &ns.name).await;
    s.wait_settled(&c, &ns.name).await;
    let patch = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
        ANN_HTTP: s.host(&h)
    }}}}});
    patch_template_and_expect_running(&c, &ns.name, s.name, patch).await;
    ns.delete().await;
}

#[tokio::test]
async fn attaching_a_created_pull_secret_fixes_auth() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-fix-auth").await else {
        return;
    };
    let s = scenarios::get("auth-nosecret");
    s.apply(&h, &c, &ns.name).await;
    s.wait_settled(&c, &ns.name).await;
    scenarios::ensure_secret(&c, &ns.name, GOOD_SECRET, h.reg_auth(), &h).await;
    let patch = serde_json::json!({"spec": {"template": {"spec": {
        "imagePullSecrets": [{"name": GOOD_SECRET}]
    }}}});
    patch_template_and_expect_running(&c, &ns.name, s.name, patch).await;
    ns.delete().await;
}

#[tokio::test]
async fn annotating_the_pod_itself_is_noticed_without_recreating_it() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-fix-pod").await else {
        return;
    };
    let s = scenarios::get("selfsigned");
    s.apply(&h, &c, &ns.name).await;
    let pod = s.wait_settled(&c, &ns.name).await;
    let pod_name = name_of(&pod);
    let patch = serde_json::json!({"metadata": {"annotations": {ANN_SKIP_VERIFY: s.host(&h)}}});
    Api::<Pod>::namespaced(c.clone(), &ns.name)
        .patch(&pod_name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotating pod");
    let running = wait_pod(&c, &ns.name, s.name, scenarios::SETTLE, "Running", |p| {
        pod_state(p).as_deref() == Some("Running")
    })
    .await;
    assert_eq!(name_of(&running), pod_name, "same pod, not a new one");
    ns.delete().await;
}

#[tokio::test]
async fn creating_the_missing_secret_is_noticed_on_retry() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-fix-secret").await else {
        return;
    };
    let s = scenarios::get("secret-missing");
    s.apply(&h, &c, &ns.name).await;
    let pod = s.wait_settled(&c, &ns.name).await;
    scenarios::ensure_secret(&c, &ns.name, MISSING_SECRET, h.reg_auth(), &h).await;
    let running = wait_pod(&c, &ns.name, s.name, scenarios::SETTLE, "Running", |p| {
        pod_state(p).as_deref() == Some("Running")
    })
    .await;
    assert_eq!(
        name_of(&running),
        name_of(&pod),
        "the back-off retry picks it up"
    );
    ns.delete().await;
}

#[tokio::test]
async fn repeated_failures_update_one_event_with_a_growing_count() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-events").await else {
        return;
    };
    let s = scenarios::get("refused");
    s.apply(&h, &c, &ns.name).await;
    let pod = s.wait_settled(&c, &ns.name).await;
    let pod_name = name_of(&pod);
    let image = s.image(&h);
    let prefix = format!("Failed to pull image \"{image}\"");
    let ev = wait_event(&c, &ns.name, &pod_name, "Failed", EVENT_WAIT, |m| {
        m.starts_with(&prefix)
    })
    .await;
    let first_name = ev.metadata.name.clone();
    // Wait for the second pull attempt (back-off starts at 2s).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let evs = support::events_for(&c, &ns.name, &pod_name).await;
        let same: Vec<_> = evs
            .iter()
            .filter(|e| {
                e.reason.as_deref() == Some("Failed")
                    && e.message.as_deref().is_some_and(|m| m.starts_with(&prefix))
            })
            .collect();
        assert_eq!(same.len(), 1, "one Event object per distinct message");
        let e = same[0];
        if e.count.unwrap_or(0) >= 2 {
            assert_eq!(e.metadata.name, first_name, "the same object was updated");
            let first = e.first_timestamp.as_ref().expect("firstTimestamp").0;
            let last = e.last_timestamp.as_ref().expect("lastTimestamp").0;
            assert!(
                last > first,
                "lastTimestamp {last} grows past firstTimestamp {first}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "count never grew: {:?}",
            e.count
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    ns.delete().await;
}

#[tokio::test]
async fn viewer_context_reads_but_cannot_write_or_read_secrets() {
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("e2e-viewer").await else {
        return;
    };
    scenarios::ensure_secret(&c, &ns.name, GOOD_SECRET, h.reg_auth(), &h).await;
    let s = scenarios::get("refused");
    s.apply(&h, &c, &ns.name).await;
    let v = h.viewer().await;
    let pods: Api<Pod> = Api::namespaced(v.clone(), &ns.name);
    pods.list(&ListParams::default())
        .await
        .expect("viewer can list pods");
    Api::<Pod>::all(v.clone())
        .list(&ListParams::default().limit(1))
        .await
        .expect("viewer can list pods in all namespaces");
    let forbidden = |r: Result<(), kube::Error>, what: &str| match r {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 403, "{what}: {e}"),
        other => panic!("{what}: expected 403, got {other:?}"),
    };
    forbidden(
        Api::<Secret>::namespaced(v.clone(), &ns.name)
            .get(GOOD_SECRET)
            .await
            .map(|_| ()),
        "get secret",
    );
    let cm: ConfigMap =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "x"}})).expect("cm");
    forbidden(
        Api::<ConfigMap>::namespaced(v.clone(), &ns.name)
            .create(&PostParams::default(), &cm)
            .await
            .map(|_| ()),
        "create configmap",
    );
    let patch = serde_json::json!({"spec": {"replicas": 2}});
    forbidden(
        Api::<Deployment>::namespaced(v.clone(), &ns.name)
            .patch(s.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ()),
        "patch deployment",
    );
    ns.delete().await;
}
