//! The fixes follow what failed to pull (issue 21, point 3 and 4), on the
//! real API server with the simulated kubelet: set-image on an image volume
//! changes the volume's reference (not the container's image); the sandbox
//! image and an ephemeral container offer no write; an injected sidecar's
//! image is refused and its pull secret goes to the ServiceAccount, never to
//! the workload's template. And a snapshot replays the facets.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use support::workload::{as_written, create, deployment_json};
use support::{Fixture, Harness, Run};

const T: Duration = Duration::from_secs(60);

fn run(h: &Harness, dir: &tempfile::TempDir, args: &[&str]) -> Run {
    h.pulltui().dir(dir.path()).args(args).run()
}

async fn deployment(c: &kube::Client, ns: &str, name: &str, pod_spec: Value, labels: Value) {
    let mut all_labels = json!({"app": name});
    if let (Some(a), Some(l)) = (all_labels.as_object_mut(), labels.as_object()) {
        a.extend(l.clone());
    }
    let _: Deployment = create(
        c,
        ns,
        json!({"metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": all_labels}, "spec": pod_spec}}}),
    )
    .await;
}

fn waiting_any(p: &Pod, reasons: &[&str]) -> bool {
    p.status
        .as_ref()
        .into_iter()
        .flat_map(|s| {
            s.container_statuses
                .iter()
                .flatten()
                .chain(s.init_container_statuses.iter().flatten())
        })
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.as_deref())
        .any(|r| reasons.contains(&r))
}

#[tokio::test]
async fn set_image_on_an_image_volume_changes_the_volume_and_the_pod_recovers() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("facet-vol").await else {
        return;
    };
    if !h.at_least(35, "image volumes (on by default from 1.35)") {
        ns.delete().await;
        return;
    }
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    deployment(
        &c,
        &ns.name,
        "vol",
        json!({"containers": [{"name": "app", "image": good,
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
               "volumes": [{"name": "data", "image": {"reference": gone, "pullPolicy": "IfNotPresent"}}]}),
        json!({}),
    )
    .await;
    let pod = support::wait_pod(&c, &ns.name, "vol", T, "the volume's pull failing", |p| {
        waiting_any(p, &["ErrImagePull", "ImagePullBackOff"])
    })
    .await;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let before = deployment_json(&c, &ns.name, "vol").await;
    let target = format!("{}/{name}", ns.name);
    let r = run(
        &h,
        &dir,
        &[
            "fix",
            &target,
            "--fix",
            "set-image",
            "--image",
            &good,
            "--yes",
            "--json",
            "--no-follow",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let after = deployment_json(&c, &ns.name, "vol").await;
    let spec = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    assert_eq!(
        spec(&after, "/spec/template/spec/volumes/0/image/reference"),
        json!(good),
        "the volume's reference changed"
    );
    assert_eq!(
        spec(&after, "/spec/template/spec/volumes/0/image/pullPolicy"),
        json!("IfNotPresent"),
        "the volume's other fields stay"
    );
    assert_eq!(
        spec(&after, "/spec/template/spec/containers/0/image"),
        spec(&before, "/spec/template/spec/containers/0/image"),
        "the container's image is not touched"
    );
    // The new pod pulls the volume and runs.
    support::wait_pod(&c, &ns.name, "vol", T, "the fixed pod running", |p| {
        support::pod_state(p).as_deref() == Some("Running")
    })
    .await;
    ns.delete().await;
}

#[tokio::test]
async fn the_sandbox_image_and_an_ephemeral_container_offer_no_write() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("facet-nowrite").await else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    // The sandbox: a Deployment whose RuntimeClass has an unpullable pause image.
    deployment(
        &c,
        &ns.name,
        "sb",
        json!({"runtimeClassName": h.var("PULLTUI_RUNTIMECLASS_BROKEN_SANDBOX"),
               "containers": [{"name": "app", "image": good}]}),
        json!({}),
    )
    .await;
    let pod = support::wait_pod(&c, &ns.name, "sb", T, "a pod", |_| true).await;
    let sb = pod.metadata.name.clone().unwrap_or_default();
    support::wait_event(&c, &ns.name, &sb, "FailedCreatePodSandBox", T, |_| true).await;
    let before = as_written(&deployment_json(&c, &ns.name, "sb").await);
    let target = format!("{}/{sb}", ns.name);
    for fix in [
        vec!["set-image", "--image", good.as_str()],
        vec!["restart"],
        vec!["attach-pull-secret", "--secret", "regcred"],
    ] {
        let mut args = vec!["fix", target.as_str(), "--fix"];
        args.extend(fix.iter().copied());
        args.push("--yes");
        let r = run(&h, &dir, &args);
        assert_eq!(r.code, Some(2), "{fix:?}: {r:?}");
        assert!(r.stderr.contains("sandbox"), "{fix:?}: {}", r.stderr);
    }
    assert_eq!(
        as_written(&deployment_json(&c, &ns.name, "sb").await),
        before,
        "nothing was written"
    );
    // An ephemeral container (kubectl debug) that cannot pull: the
    // subresource is served from 1.25.
    if !h.at_least(25, "ephemeral containers") {
        ns.delete().await;
        return;
    }
    let pods: Api<Pod> = Api::namespaced(c.clone(), &ns.name);
    let _: Pod = create(
        &c,
        &ns.name,
        json!({"metadata": {"name": "debugged"},
            "spec": {"containers": [{"name": "app", "image": good}]}}),
    )
    .await;
    support::wait_named(&c, &ns.name, "debugged", T, "Running", |p| {
        support::pod_state(p).as_deref() == Some("Running")
    })
    .await;
    let patch = json!({"spec": {"ephemeralContainers": [
        {"name": "debugger", "image": gone, "targetContainerName": "app"}]}});
    pods.patch_subresource(
        "ephemeralcontainers",
        "debugged",
        &PatchParams::default(),
        &Patch::Strategic(&patch),
    )
    .await
    .expect("adding an ephemeral container");
    support::wait_named(&c, &ns.name, "debugged", T, "the debugger failing", |p| {
        p.status
            .as_ref()
            .and_then(|s| s.ephemeral_container_statuses.as_ref())
            .is_some_and(|l| {
                l.iter().any(|c| {
                    c.state
                        .as_ref()
                        .and_then(|s| s.waiting.as_ref())
                        .and_then(|w| w.reason.as_deref())
                        .is_some_and(|r| r.contains("Image"))
                })
            })
    })
    .await;
    let target = format!("{}/debugged", ns.name);
    let r = run(
        &h,
        &dir,
        &[
            "fix",
            &target,
            "--fix",
            "set-image",
            "--image",
            &good,
            "--yes",
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("ephemeral"), "{}", r.stderr);
    // No audit line: nothing was sent.
    let audit = support::secrets::audit_lines(&dir.path().join("data"));
    assert!(audit.is_empty(), "{audit:?}");
    ns.delete().await;
}

#[tokio::test]
async fn an_injected_sidecar_is_fixed_through_the_service_account_not_the_template() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("facet-inject").await else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let mut labels = serde_json::Map::new();
    labels.insert(h.var("PULLTUI_INJECT_LABEL").into(), json!("true"));
    deployment(
        &c,
        &ns.name,
        "mesh",
        json!({"containers": [{"name": "app", "image": good}]}),
        Value::Object(labels),
    )
    .await;
    let pod = support::wait_pod(&c, &ns.name, "mesh", T, "the sidecar failing", |p| {
        waiting_any(p, &["ErrImagePull", "ImagePullBackOff"])
    })
    .await;
    let name = pod.metadata.name.clone().unwrap_or_default();
    // check --json names the injector.
    let r = run(&h, &dir, &["check", "--json", "-n", &ns.name]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let row = v["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["container"] == json!("istio-proxy"))
        .cloned()
        .unwrap_or_else(|| panic!("no istio-proxy row: {v}"));
    assert_eq!(row["injected_by"], json!("istio"), "{row}");
    assert_eq!(row["facet"], json!("container"), "{row}");
    let before = as_written(&deployment_json(&c, &ns.name, "mesh").await);
    let target = format!("{}/{name}", ns.name);
    let injected_image = format!("{reg}/library/tiny:latest");
    let r = run(
        &h,
        &dir,
        &[
            "fix",
            &target,
            "--container",
            "istio-proxy",
            "--fix",
            "set-image",
            "--image",
            &injected_image,
            "--yes",
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("injected by istio"), "{}", r.stderr);
    let r = run(
        &h,
        &dir,
        &[
            "fix",
            &target,
            "--container",
            "istio-proxy",
            "--fix",
            "attach-pull-secret",
            "--attach",
            "template",
            "--secret",
            "regcred",
            "--yes",
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    // By default the secret goes on the ServiceAccount.
    support::scenarios::ensure_secret(&c, &ns.name, "regcred", h.reg_auth(), &h).await;
    let r = run(
        &h,
        &dir,
        &[
            "fix",
            &target,
            "--container",
            "istio-proxy",
            "--fix",
            "attach-pull-secret",
            "--secret",
            "regcred",
            "--yes",
            "--no-follow",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let sa = Api::<ServiceAccount>::namespaced(c.clone(), &ns.name)
        .get("default")
        .await
        .expect("reading the ServiceAccount");
    let names: Vec<String> = sa
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|s| s.name.clone())
        .collect();
    assert!(names.contains(&"regcred".to_string()), "{names:?}");
    assert_eq!(
        as_written(&deployment_json(&c, &ns.name, "mesh").await),
        before,
        "the workload's template is untouched"
    );
    ns.delete().await;
}

/// A snapshot keeps what tells each facet (the pods, and for the sandbox
/// the event), and its replay gives `check --json` the same facets.
#[tokio::test]
async fn a_snapshot_replays_the_facets() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("facet-snap").await else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    let mut labels = serde_json::Map::new();
    labels.insert(h.var("PULLTUI_INJECT_LABEL").into(), json!("true"));
    let mut specs = vec![
        json!({"metadata": {"name": "sb"},
            "spec": {"runtimeClassName": h.var("PULLTUI_RUNTIMECLASS_BROKEN_SANDBOX"),
                     "containers": [{"name": "app", "image": good}]}}),
        json!({"metadata": {"name": "injected", "labels": labels},
            "spec": {"containers": [{"name": "app", "image": good}]}}),
    ];
    let mut want = vec![("sb", "sandbox"), ("injected", "container")];
    if h.k8s_minor() >= 29 {
        specs.push(json!({"metadata": {"name": "side"}, "spec": {
            "initContainers": [{"name": "proxy", "image": gone, "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": good}]}}));
        want.push(("side", "sidecar"));
    }
    if h.k8s_minor() >= 35 {
        specs.push(json!({"metadata": {"name": "vol"}, "spec": {
            "containers": [{"name": "app", "image": good,
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "image": {"reference": gone}}]}}));
        want.push(("vol", "image-volume"));
    }
    for spec in specs {
        let _: Pod = create(&c, &ns.name, spec).await;
    }
    // Until check --json sees every facet live.
    let start = std::time::Instant::now();
    loop {
        let r = run(&h, &dir, &["check", "--json", "-n", &ns.name]);
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        let got: Vec<(String, String)> = v["pods"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    p["facet"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        if want
            .iter()
            .all(|(p, f)| got.iter().any(|(gp, gf)| gp == p && gf == f))
        {
            break;
        }
        assert!(
            start.elapsed() < T,
            "live check --json: {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let file = dir.path().join("snap.json");
    let file_s = file.to_string_lossy().to_string();
    let r = run(&h, &dir, &["snapshot", "-n", &ns.name, "-o", &file_s]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = run(&h, &dir, &["check", "--replay", &file_s, "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let rows = v["pods"].as_array().cloned().unwrap_or_default();
    for (pod, facet) in &want {
        let row = rows
            .iter()
            .find(|p| p["name"] == json!(pod) && p["facet"] == json!(facet))
            .unwrap_or_else(|| panic!("replay lacks {pod} as {facet}: {v}"));
        if *pod == "sb" {
            assert_eq!(row["image"], json!(h.var("PULLTUI_SANDBOX_IMAGE")), "{v}");
        }
        if *pod == "injected" {
            assert_eq!(row["injected_by"], json!("istio"), "{v}");
        }
        if *pod == "vol" {
            assert_eq!(row["volume"], json!("data"), "{v}");
            assert_eq!(row["image"], json!(gone), "{v}");
        }
    }
    ns.delete().await;
}

/// The console shows each facet in its CONTAINER column and the sandbox's
/// detail says the pod's pull secrets are irrelevant and offers no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_the_facets() {
    use support::tmux::{Tmux, exit_line, tmux_available};
    if !tmux_available() {
        return;
    }
    let Some(Fixture { h, c, ns, .. }) = Fixture::new("facet-tui").await else {
        return;
    };
    let reg = h.var("PULLTUI_REG_TOKEN");
    let good = format!("{reg}/library/tiny:latest");
    let gone = format!("{reg}/library/tiny:gone");
    let mut specs = vec![
        json!({"metadata": {"name": "sb"},
            "spec": {"runtimeClassName": h.var("PULLTUI_RUNTIMECLASS_BROKEN_SANDBOX"),
                     "containers": [{"name": "app", "image": good}]}}),
        json!({"metadata": {"name": "side"}, "spec": {
            "initContainers": [{"name": "proxy", "image": gone, "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": good}]}}),
    ];
    if h.k8s_minor() >= 35 {
        specs.push(json!({"metadata": {"name": "vol"}, "spec": {
            "containers": [{"name": "app", "image": good,
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "image": {"reference": gone}}]}}));
    }
    let sidecars = h.k8s_minor() >= 29;
    for spec in specs {
        if !sidecars && spec["metadata"]["name"] == json!("side") {
            continue;
        }
        let _: Pod = create(&c, &ns.name, spec).await;
    }
    let t = Tmux::start("facets", 160, 45);
    t.launch(
        h.pulltui()
            .no_color()
            .context("admin")
            .args(&["-n", &ns.name]),
    );
    let has = |s: &str, parts: &[&str]| s.lines().any(|l| parts.iter().all(|p| l.contains(p)));
    // The failing pods are listed first; live once every pod is in.
    let screen = t.wait("the facets, live", Duration::from_secs(30), |s| {
        s.contains("● live")
            && has(s, &["sb", "(sandbox)", "FailedCreatePodSandBox"])
            && (!sidecars || has(s, &["side", "proxy (sidecar)"]))
            && (h.k8s_minor() < 35 || has(s, &["vol", "volume data"]))
    });
    assert!(screen.contains("● live"), "{screen}");
    // The sandbox's detail.
    t.send(&["/"]);
    t.type_text("(sandbox)");
    t.send(&["Enter"]);
    t.send(&["Enter"]);
    let detail = t.wait("the sandbox detail", Duration::from_secs(10), |s| {
        s.contains("the pod's sandbox image") && s.contains("FIXES")
    });
    assert!(detail.contains("pod's pull secrets"), "{detail}");
    // No write is offered (a probe is: it reads).
    for write in ["• [a]", "• [c]", "• [i]", "• [k]", "• [A]", "• [C]"] {
        assert!(
            !detail.contains(write),
            "no write key is offered ({write}):\n{detail}"
        );
    }
    assert!(detail.contains("• [p] Probe"), "{detail}");
    t.send(&["q"]);
    let end = t.wait("exit", Duration::from_secs(10), |s| exit_line(s).is_some());
    assert_eq!(exit_line(&end), Some("PULLTUI-EXIT=0"), "{end}");
    ns.delete().await;
}
