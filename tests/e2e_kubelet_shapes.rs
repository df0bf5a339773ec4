//! The harness speaks the Kubernetes it runs: the server is the version
//! this run expects, and the kubelet simulator writes what a kubelet of that
//! version (and its runtime) writes — the back-off message with its cause
//! (≥ 1.32), `Pulled` with the image size, CRI errors as waiting reasons
//! (`RegistryUnavailable`, `SignatureValidationFailed` from the CRI-O node),
//! image volumes, native sidecars, plain init and ephemeral containers, a
//! container injected by a mutating webhook, a sandbox image that fails, a
//! pull that stalls, the correlator's `(combined from similar events)`, and
//! Pod Security admission — and `pulltui check --json` lists those pods.
//!
//! Tests of a shape that does not exist on an older server say so and
//! return (`Harness::at_least`); on the 1.35 run every one of them runs.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use regex::Regex;
use serde_json::{Value, json};
use support::{Fixture, Harness};

const T: Duration = Duration::from_secs(60);

async fn create_pod(client: &kube::Client, ns: &str, pod: Value) -> Pod {
    support::workload::create(client, ns, pod).await
}

/// Wait until the named pod satisfies `pred`.
async fn wait_named(
    client: &kube::Client,
    ns: &str,
    name: &str,
    what: &str,
    pred: impl Fn(&Pod) -> bool,
) -> Pod {
    support::wait_named(client, ns, name, T, what, pred).await
}

/// The waiting (reason, message) of the named container in one of the
/// status lists (`containerStatuses`, `initContainerStatuses`, …).
fn waiting(p: &Pod, list: &str, container: &str) -> Option<(String, String)> {
    let v = serde_json::to_value(p.status.as_ref()?).ok()?;
    let cs = v[list]
        .as_array()?
        .iter()
        .find(|c| c["name"] == container)?;
    let w = &cs["state"]["waiting"];
    Some((
        w["reason"].as_str()?.to_string(),
        w["message"].as_str().unwrap_or("").to_string(),
    ))
}

fn backoff_with(p: &Pod, list: &str, container: &str) -> bool {
    waiting(p, list, container).is_some_and(|(r, _)| r == "ImagePullBackOff")
}

async fn events(client: &kube::Client, ns: &str, pod: &str) -> Vec<Event> {
    support::events_for(client, ns, pod).await
}

fn line(e: &Event) -> String {
    format!(
        "{} [{}] {} x{}: {}",
        e.involved_object.name.as_deref().unwrap_or(""),
        e.involved_object.field_path.as_deref().unwrap_or(""),
        e.reason.as_deref().unwrap_or(""),
        e.count.unwrap_or(0),
        e.message.as_deref().unwrap_or("")
    )
}

fn pod_json(name: &str, containers: Value) -> Value {
    json!({"metadata": {"name": name}, "spec": {"containers": containers}})
}

/// A running pod `debugged` to which `kubectl debug` adds an ephemeral
/// container `debugger` whose image (`missing`) cannot be had.
async fn debugged_pod(client: &kube::Client, ns: &str, good: &str, missing: &str) {
    create_pod(
        client,
        ns,
        pod_json("debugged", json!([{"name": "app", "image": good}])),
    )
    .await;
    wait_named(client, ns, "debugged", "Running", |p| {
        support::pod_state(p).as_deref() == Some("Running")
    })
    .await;
    // As `kubectl debug` adds one: the ephemeralcontainers subresource.
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let patch = json!({"spec": {"ephemeralContainers": [
        {"name": "debugger", "image": missing, "targetContainerName": "app"}]}});
    api.patch_subresource(
        "ephemeralcontainers",
        "debugged",
        &PatchParams::default(),
        &Patch::Strategic(&patch),
    )
    .await
    .expect("adding an ephemeral container");
}

#[tokio::test]
async fn the_server_is_the_kubernetes_this_run_expects() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    let v = client.apiserver_version().await.expect("GET /version");
    assert_eq!(
        v.git_version,
        h.var("PULLTUI_K8S_GIT_VERSION"),
        "the harness env names another server"
    );
    assert_eq!(
        format!("{}.{}", v.major, v.minor.trim_end_matches('+')),
        h.var("PULLTUI_K8S_VERSION")
    );
    // scripts/test says which version each run is for.
    if let Ok(expected) = std::env::var("PULLTUI_E2E_EXPECT_K8S") {
        assert_eq!(
            format!("{}.{}", v.major, v.minor.trim_end_matches('+')),
            expected,
            "this run was meant for Kubernetes {expected}"
        );
    }
    // The simulated kubelets are of the server's version.
    let nodes: Api<Node> = Api::all(client.clone());
    for n in nodes.list(&ListParams::default()).await.expect("nodes") {
        let info = n.status.and_then(|s| s.node_info).expect("nodeInfo");
        assert_eq!(info.kubelet_version, v.git_version);
    }
}

#[tokio::test]
async fn the_back_off_message_carries_the_cause_from_1_32_and_the_event_stays_bare() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-backoff").await
    else {
        return;
    };
    let image = format!("{}/team/app:1.0", h.reg_closed());
    create_pod(
        &client,
        &ns.name,
        pod_json("p", json!([{"name": "c", "image": image}])),
    )
    .await;
    let p = wait_named(&client, &ns.name, "p", "ImagePullBackOff", |p| {
        backoff_with(p, "containerStatuses", "c")
    })
    .await;
    let (_, msg) = waiting(&p, "containerStatuses", "c").unwrap_or_default();
    let bare = format!("Back-off pulling image \"{image}\"");
    let failed = support::wait_event(&client, &ns.name, "p", "Failed", T, |m| {
        m.starts_with("Failed to pull image")
    })
    .await;
    let failed = failed.message.unwrap_or_default();
    if h.k8s_minor() >= 32 {
        let prefix = format!("{bare}: ErrImagePull: ");
        assert!(msg.starts_with(&prefix), "{msg}");
        assert!(msg.ends_with("connect: connection refused"), "{msg}");
        // cri-client (≥ 1.30) drops `rpc error: code = Unknown desc = `.
        assert!(
            failed.starts_with(&format!(
                "Failed to pull image \"{image}\": failed to pull and unpack image"
            )),
            "{failed}"
        );
    } else {
        assert_eq!(msg, bare);
        assert!(
            failed.contains(": rpc error: code = Unknown desc = failed to pull and unpack image"),
            "{failed}"
        );
    }
    let backoff = support::wait_event(&client, &ns.name, "p", "BackOff", T, |_| true).await;
    assert_eq!(backoff.message.as_deref(), Some(bare.as_str()));
    ns.delete().await;
}

#[tokio::test]
async fn pulled_events_give_the_waiting_time_and_image_size_from_1_32() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-pulled").await
    else {
        return;
    };
    let image = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    create_pod(
        &client,
        &ns.name,
        pod_json("p", json!([{"name": "c", "image": image}])),
    )
    .await;
    let ev = support::wait_event(&client, &ns.name, "p", "Pulled", T, |_| true).await;
    let msg = ev.message.unwrap_or_default();
    let re = if h.k8s_minor() >= 32 {
        r#"^Successfully pulled image "[^"]+" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: [1-9][0-9]* bytes\.$"#
    } else {
        r#"^Successfully pulled image "[^"]+" in [0-9.]+(µs|ms|s)$"#
    };
    assert!(Regex::new(re).expect("regex").is_match(&msg), "{msg}");
    ns.delete().await;
}

#[tokio::test]
async fn a_cri_o_node_reports_registry_unavailable_and_signature_validation_failed() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-crio").await
    else {
        return;
    };
    if !h.at_least(30, "CRI error names as waiting reasons (evalCRIPullErr)") {
        ns.delete().await;
        return;
    }
    let node = h.var("PULLTUI_SIM_NODE_CRIO").to_string();
    let closed = format!("{}/team/app:1.0", h.reg_closed());
    let signed = format!("{}/team/app:1.0", h.reg_auth());
    support::scenarios::ensure_secret(&client, &ns.name, "regcred", h.reg_auth(), &h).await;
    for (name, image, secret) in [("down", &closed, false), ("unsigned", &signed, true)] {
        let mut pod = pod_json(name, json!([{"name": "c", "image": image}]));
        pod["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": node});
        if secret {
            pod["spec"]["imagePullSecrets"] = json!([{"name": "regcred"}]);
        }
        create_pod(&client, &ns.name, pod).await;
    }
    let p = wait_named(&client, &ns.name, "down", "RegistryUnavailable", |p| {
        waiting(p, "containerStatuses", "c").is_some_and(|(r, _)| r == "RegistryUnavailable")
    })
    .await;
    assert_eq!(
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some(node.as_str())
    );
    let (_, msg) = waiting(&p, "containerStatuses", "c").unwrap_or_default();
    assert!(
        msg.starts_with(&format!(
            "image pull failed for {closed} because the registry is unavailable: pinging container registry"
        )),
        "{msg}"
    );
    let p = wait_named(
        &client,
        &ns.name,
        "unsigned",
        "SignatureValidationFailed",
        |p| {
            waiting(p, "containerStatuses", "c")
                .is_some_and(|(r, _)| r == "SignatureValidationFailed")
        },
    )
    .await;
    let (_, msg) = waiting(&p, "containerStatuses", "c").unwrap_or_default();
    assert!(
        msg.contains("because the signature validation failed: Source image rejected"),
        "{msg}"
    );
    // And in back-off the reason rides in the message (≥ 1.32).
    let p = wait_named(&client, &ns.name, "down", "back-off", |p| {
        backoff_with(p, "containerStatuses", "c")
    })
    .await;
    let (_, msg) = waiting(&p, "containerStatuses", "c").unwrap_or_default();
    assert!(
        msg.starts_with(&format!(
            "Back-off pulling image \"{closed}\": RegistryUnavailable: image pull failed"
        )),
        "{msg}"
    );
    ns.delete().await;
}

#[tokio::test]
async fn an_image_volume_that_cannot_be_pulled_fails_the_container_that_mounts_it() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-imgvol").await
    else {
        return;
    };
    if !h.at_least(35, "image volumes (on by default from 1.35)") {
        ns.delete().await;
        return;
    }
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let missing = format!("{reg}/library/tiny:nope");
    create_pod(
        &client,
        &ns.name,
        json!({"metadata": {"name": "p"}, "spec": {
            "containers": [
                {"name": "app", "image": good, "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                {"name": "other", "image": good}],
            "volumes": [{"name": "data", "image": {"reference": missing, "pullPolicy": "IfNotPresent"}}]}}),
    )
    .await;
    let p = wait_named(
        &client,
        &ns.name,
        "p",
        "back-off of the mounting container",
        |p| backoff_with(p, "containerStatuses", "app"),
    )
    .await;
    // The container names the volume's image, not its own.
    let (_, msg) = waiting(&p, "containerStatuses", "app").unwrap_or_default();
    assert!(
        msg.starts_with(&format!(
            "Back-off pulling image \"{missing}\": ErrImagePull: "
        )),
        "{msg}"
    );
    let spec_image = p.spec.as_ref().map(|s| s.containers[0].image.clone());
    assert_eq!(spec_image, Some(Some(good.clone())));
    // The container that does not mount it runs.
    let other = p
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|l| l.iter().find(|c| c.name == "other"))
        .and_then(|c| c.state.as_ref())
        .is_some_and(|s| s.running.is_some());
    assert!(other, "{:?}", p.status);
    // The pull's events are the pod's own (no field path).
    let evs = events(&client, &ns.name, "p").await;
    let pull = evs
        .iter()
        .find(|e| {
            e.reason.as_deref() == Some("Failed")
                && e.message
                    .as_deref()
                    .is_some_and(|m| m.starts_with(&format!("Failed to pull image \"{missing}\"")))
        })
        .unwrap_or_else(|| panic!("{:#?}", evs.iter().map(line).collect::<Vec<_>>()));
    assert_eq!(pull.involved_object.field_path, None, "{}", line(pull));
    ns.delete().await;
}

#[tokio::test]
async fn sidecars_init_and_ephemeral_containers_fail_in_their_own_lists() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-parts").await
    else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    // A plain init container (every version).
    create_pod(
        &client,
        &ns.name,
        json!({"metadata": {"name": "init"}, "spec": {
            "initContainers": [{"name": "setup", "image": gone}],
            "containers": [{"name": "app", "image": good}]}}),
    )
    .await;
    let p = wait_named(&client, &ns.name, "init", "Init:ImagePullBackOff", |p| {
        backoff_with(p, "initContainerStatuses", "setup")
    })
    .await;
    assert_eq!(
        waiting(&p, "containerStatuses", "app")
            .map(|w| w.0)
            .as_deref(),
        Some("PodInitializing")
    );
    let ev = support::wait_event(&client, &ns.name, "init", "Failed", T, |m| {
        m.starts_with("Failed to pull image")
    })
    .await;
    assert_eq!(
        ev.involved_object.field_path.as_deref(),
        Some("spec.initContainers{setup}")
    );
    if h.at_least(29, "native sidecars (restartable init containers)") {
        create_pod(
            &client,
            &ns.name,
            json!({"metadata": {"name": "sidecar"}, "spec": {
                "initContainers": [{"name": "proxy", "image": gone, "restartPolicy": "Always"}],
                "containers": [{"name": "app", "image": good}]}}),
        )
        .await;
        let p = wait_named(&client, &ns.name, "sidecar", "sidecar back-off", |p| {
            backoff_with(p, "initContainerStatuses", "proxy")
        })
        .await;
        assert_eq!(
            waiting(&p, "containerStatuses", "app")
                .map(|w| w.0)
                .as_deref(),
            Some("PodInitializing")
        );
    }
    if h.at_least(25, "ephemeral containers") {
        debugged_pod(&client, &ns.name, &good, &gone).await;
        let p = wait_named(&client, &ns.name, "debugged", "ephemeral back-off", |p| {
            backoff_with(p, "ephemeralContainerStatuses", "debugger")
        })
        .await;
        assert_eq!(support::pod_state(&p).as_deref(), Some("Running"));
    }
    ns.delete().await;
}

#[tokio::test]
async fn a_container_injected_by_a_webhook_fails_to_pull_though_the_owner_never_named_it() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-inject").await
    else {
        return;
    };
    let good = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    let label = h.var("PULLTUI_INJECT_LABEL").to_string();
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web", label.as_str(): "true"}},
                "spec": {"containers": [{"name": "web", "image": good}]}}}});
    let api: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), &ns.name);
    api.create(
        &PostParams::default(),
        &serde_json::from_value(deploy).expect("deployment"),
    )
    .await
    .expect("creating deployment");
    let p = support::wait_pod(
        &client,
        &ns.name,
        "web",
        T,
        "injected sidecar in back-off",
        |p| backoff_with(p, "containerStatuses", "istio-proxy"),
    )
    .await;
    let ann = p.metadata.annotations.clone().unwrap_or_default();
    assert!(ann.contains_key("sidecar.istio.io/status"), "{ann:?}");
    let (_, msg) = waiting(&p, "containerStatuses", "istio-proxy").unwrap_or_default();
    assert!(msg.contains(h.var("PULLTUI_INJECT_IMAGE")), "{msg}");
    let template = api.get("web").await.expect("deployment");
    let names: Vec<String> = template
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers.into_iter().map(|c| c.name).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["web".to_string()]);
    ns.delete().await;
}

#[tokio::test]
async fn a_sandbox_image_that_fails_leaves_the_pod_creating_with_the_cause_in_events() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-sandbox").await
    else {
        return;
    };
    let good = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    let mut pod = pod_json("p", json!([{"name": "app", "image": good}]));
    pod["spec"]["runtimeClassName"] = json!(h.var("PULLTUI_RUNTIMECLASS_BROKEN_SANDBOX"));
    create_pod(&client, &ns.name, pod).await;
    let ev = support::wait_event(&client, &ns.name, "p", "FailedCreatePodSandBox", T, |_| {
        true
    })
    .await;
    let msg = ev.message.unwrap_or_default();
    let sandbox = h.var("PULLTUI_SANDBOX_IMAGE");
    assert!(
        msg.starts_with(&format!(
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"{sandbox}\""
        )),
        "{msg}"
    );
    let p = wait_named(&client, &ns.name, "p", "ContainerCreating", |p| {
        waiting(p, "containerStatuses", "app").is_some_and(|(r, _)| r == "ContainerCreating")
    })
    .await;
    // No pull of the pod's own image was tried.
    let evs = events(&client, &ns.name, "p").await;
    assert!(
        !evs.iter().any(|e| e.reason.as_deref() == Some("Pulling")),
        "{:#?}",
        evs.iter().map(line).collect::<Vec<_>>()
    );
    assert_eq!(p.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
    ns.delete().await;
}

#[tokio::test]
async fn a_pull_that_makes_no_progress_is_cancelled() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-stall").await
    else {
        return;
    };
    let image = format!("{}/team/app:1.0", h.var("PULLTUI_REG_STALL"));
    create_pod(
        &client,
        &ns.name,
        pod_json("p", json!([{"name": "c", "image": image}])),
    )
    .await;
    let failed = support::wait_event(&client, &ns.name, "p", "Failed", T, |m| {
        m.starts_with("Failed to pull image")
    })
    .await;
    assert_eq!(
        failed.message.as_deref(),
        Some(
            format!(
                "Failed to pull image \"{image}\": rpc error: code = Canceled desc = failed to pull and unpack image \"{image}\": context canceled"
            )
            .as_str()
        )
    );
    // It was cancelled for lack of progress (3 s in the harness), not refused.
    let pulling = support::wait_event(&client, &ns.name, "p", "Pulling", T, |_| true).await;
    let (a, b) = (pulling.first_timestamp, failed.first_timestamp);
    if let (Some(a), Some(b)) = (a, b) {
        assert!(
            b.0.duration_since(a.0).as_secs_f64() >= 2.0,
            "{a:?} -> {b:?}"
        );
    }
    ns.delete().await;
}

#[tokio::test]
async fn the_correlator_combines_a_pods_similar_events() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-combined").await
    else {
        return;
    };
    // Ten different `Failed` messages for one pod: nine images, and
    // `Error: ErrImagePull`. From the tenth on they are one combined Event.
    let containers: Vec<Value> = (1..=9)
        .map(|i| json!({"name": format!("c{i}"), "image": format!("{}/team/c{i}:1.0", h.reg_closed())}))
        .collect();
    create_pod(&client, &ns.name, pod_json("p", Value::Array(containers))).await;
    let ev = support::wait_event(&client, &ns.name, "p", "Failed", T, |m| {
        m.starts_with("(combined from similar events): ")
    })
    .await;
    assert!(
        ev.message
            .as_deref()
            .is_some_and(|m| m.contains("Failed to pull image")
                || m.starts_with("(combined from similar events): Error: ")),
        "{}",
        line(&ev)
    );
    ns.delete().await;
}

#[tokio::test]
async fn pod_security_admission_refuses_a_host_network_pod_under_baseline() {
    let Some(h) = support::harness() else { return };
    if !h.at_least(25, "Pod Security admission") {
        return;
    }
    let client = h.admin().await;
    let ns = h.var("PULLTUI_NS_PSA_BASELINE").to_string();
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let mut pod = pod_json("hostnet", json!([{"name": "c", "image": "busybox"}]));
    pod["spec"]["hostNetwork"] = json!(true);
    let p: Pod = serde_json::from_value(pod).expect("pod");
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let err = api
        .create(&dry, &p)
        .await
        .expect_err("baseline refuses hostNetwork");
    let text = err.to_string();
    assert!(
        text.contains("violates PodSecurity \"baseline:latest\"") && text.contains("hostNetwork"),
        "{text}"
    );
    // restricted also wants a seccomp profile.
    let ns = h.var("PULLTUI_NS_PSA_RESTRICTED").to_string();
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let p: Pod = serde_json::from_value(pod_json(
        "plain",
        json!([{"name": "c", "image": "busybox"}]),
    ))
    .expect("pod");
    let err = api.create(&dry, &p).await.expect_err("restricted");
    assert!(err.to_string().contains("seccompProfile"), "{err}");
}

/// One row of `pulltui check --json`.
#[derive(Debug, Clone, Default)]
struct Checked {
    pod: String,
    container: String,
    category: String,
    facet: String,
    volume: Option<String>,
    injected_by: Option<String>,
    image: String,
}

/// `pulltui check --json -n NS`, row by row.
fn check_rows(h: &Harness, ns: &str) -> Vec<Checked> {
    let v = h
        .pulltui()
        .args(&["check", "--json", "-n", ns])
        .run()
        .json();
    let s = |p: &Value, k: &str| p[k].as_str().unwrap_or("").to_string();
    v["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Checked {
            pod: s(p, "name"),
            container: s(p, "container"),
            category: s(p, "category"),
            facet: s(p, "facet"),
            volume: p["volume"].as_str().map(str::to_string),
            injected_by: p["injected_by"].as_str().map(str::to_string),
            image: s(p, "image"),
        })
        .collect()
}

#[tokio::test]
async fn check_json_lists_the_new_shapes_that_fail_in_a_container_status() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-check").await
    else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    let mut want = vec![("init", "setup")];
    create_pod(
        &client,
        &ns.name,
        json!({"metadata": {"name": "init"}, "spec": {
            "initContainers": [{"name": "setup", "image": gone}],
            "containers": [{"name": "app", "image": good}]}}),
    )
    .await;
    let mut labels = serde_json::Map::new();
    labels.insert(h.var("PULLTUI_INJECT_LABEL").into(), json!("true"));
    create_pod(
        &client,
        &ns.name,
        json!({"metadata": {"name": "injected", "labels": labels},
               "spec": {"containers": [{"name": "app", "image": good}]}}),
    )
    .await;
    want.push(("injected", "istio-proxy"));
    create_pod(
        &client,
        &ns.name,
        pod_json(
            "stall",
            json!([{"name": "c", "image": format!("{}/team/app:1.0", h.var("PULLTUI_REG_STALL"))}]),
        ),
    )
    .await;
    want.push(("stall", "c"));
    if h.k8s_minor() >= 29 {
        create_pod(
            &client,
            &ns.name,
            json!({"metadata": {"name": "sidecar"}, "spec": {
                "initContainers": [{"name": "proxy", "image": gone, "restartPolicy": "Always"}],
                "containers": [{"name": "app", "image": good}]}}),
        )
        .await;
        want.push(("sidecar", "proxy"));
    }
    if h.k8s_minor() >= 30 {
        let node = h.var("PULLTUI_SIM_NODE_CRIO");
        support::scenarios::ensure_secret(&client, &ns.name, "regcred", h.reg_auth(), &h).await;
        for (name, image, secret) in [
            ("down", format!("{}/team/app:1.0", h.reg_closed()), false),
            ("unsigned", format!("{}/team/app:1.0", h.reg_auth()), true),
        ] {
            let mut pod = pod_json(name, json!([{"name": "c", "image": image}]));
            pod["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": node});
            if secret {
                pod["spec"]["imagePullSecrets"] = json!([{"name": "regcred"}]);
            }
            create_pod(&client, &ns.name, pod).await;
            want.push((name, "c"));
        }
    }
    if h.k8s_minor() >= 25 {
        // `kubectl debug`: an ephemeral container whose image cannot be had.
        debugged_pod(&client, &ns.name, &good, &gone).await;
        want.push(("debugged", "debugger"));
    }
    if h.k8s_minor() >= 35 {
        create_pod(
            &client,
            &ns.name,
            json!({"metadata": {"name": "imgvol"}, "spec": {
                "containers": [{"name": "app", "image": good,
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                "volumes": [{"name": "data", "image": {"reference": gone}}]}}),
        )
        .await;
        want.push(("imgvol", "app"));
    }
    let start = std::time::Instant::now();
    loop {
        let got = check_rows(&h, &ns.name);
        let missing: Vec<_> = want
            .iter()
            .filter(|(p, c)| !got.iter().any(|g| g.pod == *p && g.container == *c))
            .collect();
        if missing.is_empty() {
            let row = |pod: &str| {
                got.iter()
                    .find(|g| g.pod == pod)
                    .cloned()
                    .unwrap_or_default()
            };
            // The categories of the shapes that have one.
            let category = |pod: &str| row(pod).category;
            // What failed to pull, for each shape.
            let facet = |pod: &str| row(pod).facet;
            assert_eq!(facet("init"), "init-container", "{got:?}");
            assert_eq!(facet("stall"), "container", "{got:?}");
            assert_eq!(facet("injected"), "container", "{got:?}");
            assert_eq!(
                row("injected").injected_by.as_deref(),
                Some("istio"),
                "{got:?}"
            );
            assert_eq!(row("init").injected_by, None, "{got:?}");
            if h.k8s_minor() >= 29 {
                assert_eq!(facet("sidecar"), "sidecar", "{got:?}");
            }
            if h.k8s_minor() >= 25 {
                assert_eq!(facet("debugged"), "ephemeral-container", "{got:?}");
            }
            if h.k8s_minor() >= 35 {
                let v = row("imgvol");
                assert_eq!(v.facet, "image-volume", "{got:?}");
                assert_eq!(v.volume.as_deref(), Some("data"), "{got:?}");
                assert_eq!(v.image, gone, "the volume's reference: {got:?}");
            }
            assert_eq!(category("stall"), "network.stalled", "{got:?}");
            if h.k8s_minor() >= 30 {
                assert_eq!(category("unsigned"), "policy.signature", "{got:?}");
                assert_eq!(category("down"), "network.refused", "{got:?}");
            }
            break;
        }
        assert!(
            start.elapsed() < T,
            "check --json misses {missing:?}; it printed {got:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    ns.delete().await;
}

/// A sandbox image failure (no container status says so; only a
/// `FailedCreatePodSandBox` event) is a row of `check --json` with the
/// sandbox facet and the sandbox image, on every version.
#[tokio::test]
async fn check_json_lists_sandbox_pull_failures() {
    let Some(Fixture {
        h, c: client, ns, ..
    }) = Fixture::new("shape-check21").await
    else {
        return;
    };
    let good = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    let mut pod = pod_json("sandbox", json!([{"name": "app", "image": good}]));
    pod["spec"]["runtimeClassName"] = json!(h.var("PULLTUI_RUNTIMECLASS_BROKEN_SANDBOX"));
    pod["spec"]["imagePullSecrets"] = json!([{"name": "does-not-exist"}]);
    create_pod(&client, &ns.name, pod).await;
    support::wait_event(
        &client,
        &ns.name,
        "sandbox",
        "FailedCreatePodSandBox",
        T,
        |_| true,
    )
    .await;
    let got = check_rows(&h, &ns.name);
    let row = got
        .iter()
        .find(|g| g.pod == "sandbox")
        .unwrap_or_else(|| panic!("no sandbox row: {got:?}"));
    assert_eq!(row.facet, "sandbox", "{got:?}");
    assert_eq!(row.image, h.var("PULLTUI_SANDBOX_IMAGE"), "{got:?}");
    // The pod's missing pull secret is not the sandbox's cause.
    assert_ne!(row.category, "credentials.secret-missing", "{got:?}");
    assert_ne!(row.category, "unknown", "{got:?}");
    ns.delete().await;
}
