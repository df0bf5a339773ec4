//! The journal (issue 24) on the harness, through the binary:
//!
//! - `pulltui watch --json` says the cluster is live, then a container
//!   failing (its cause, registry and evidence), and ends with exit 0 on
//!   SIGTERM, its journal private (0600);
//! - a second `watch` on the same data directory goes on from the journal
//!   (the pod that still fails is not "failing" anew) and says when the
//!   workload's pods recover;
//! - `report` tells the group, the failure and the recovery in time order;
//!   `snapshot` carries the journal, and `report --replay` of it gives the
//!   same groups and timeline offline;
//! - what changed: a rollout to a bad tag, a deleted pull secret (at the
//!   time the watch saw it go) and a node that joined (without the
//!   registry's CA) are each found first behind their group, with the right
//!   object and time; a node whose kubelet was upgraded and whose images
//!   went is found behind the failures on it, both at the time seen.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DeleteParams};
use serde_json::Value;
use support::watch::Watch;
use support::workload::{W, failing_pod};

const WAIT: Duration = Duration::from_secs(90);

/// `pulltui` as these tests run it: context `admin`, a heartbeat every 2 s,
/// every file (the journal too) under `dir`, shared by the runs of a test.
fn journaled(h: &support::Harness, dir: &std::path::Path) -> support::Pulltui {
    h.pulltui()
        .dir(dir)
        .env("PULLTUI_HEARTBEAT_SECS", "2")
        .args(&["--context", "admin"])
}

/// A namespace of `prefix` whose Deployment `web` cannot pull (no
/// credentials): the admin client, the namespace, the failing pod.
async fn failing_web(
    h: &support::Harness,
    prefix: &str,
) -> (kube::Client, support::TestNamespace, String) {
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, prefix).await;
    let image = format!("{}/team/app:1.0", h.reg_auth());
    W::new("Deployment", "web", image)
        .create(&c, &ns.name)
        .await;
    let pod = failing_pod(&c, &ns.name, "web").await;
    (c, ns, pod)
}

fn is_live(v: &Value) -> bool {
    v["kind"] == "cluster" && v["state"] == "live"
}

fn about(v: &Value, kind: &str, ns: &str) -> bool {
    v["kind"] == kind
        && v["namespace"] == ns
        && v["pod"].as_str().is_some_and(|p| p.starts_with("web-"))
}

/// The part of a report from its groups on (its header names the source).
fn body(report: &str) -> &str {
    report.find("## Groups").map_or(report, |i| &report[i..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_journals_a_failure_a_restart_goes_on_and_report_tells_it_live_and_from_a_snapshot() {
    let Some(h) = support::harness() else { return };
    let (c, ns, pod) = failing_web(&h, "journal").await;

    let dir = tempfile::tempdir().expect("tempdir");
    let pt = |args: &[&str]| journaled(&h, dir.path()).args(args);
    let watch = pt(&["watch", "--json", "-n", &ns.name]);
    let mut w = Watch::start(&watch);
    w.wait("the cluster live", is_live);
    let failing = w.wait("the pod failing", |v| about(v, "failing", &ns.name));
    assert_eq!(failing["pod"], pod.as_str(), "{failing}");
    assert_eq!(failing["context"], "admin", "{failing}");
    assert_eq!(failing["group"]["registry"], h.reg_auth(), "{failing}");
    let cause = failing["group"]["cause"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(cause.starts_with("auth."), "{failing}");
    assert!(
        failing["evidence"].as_str().is_some_and(|e| !e.is_empty()),
        "{failing}"
    );
    assert_eq!(w.term(), Some(0), "watch ends cleanly on SIGTERM");

    // The journal: one private file of JSON lines.
    let jdir = watch.dirs().data().join("journal");
    let files: Vec<_> = std::fs::read_dir(&jdir)
        .expect("journal directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&files[0])
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{}", files[0].display());

    // A second run goes on from it: live, and no "failing" anew.
    let mut w = Watch::start(&watch);
    w.wait("the cluster live again", is_live);
    w.drain(Duration::from_secs(4));
    assert!(
        !w.seen.iter().any(|v| about(v, "failing", &ns.name)),
        "the pod failed before: {:#?}",
        w.seen
    );
    Api::<Deployment>::namespaced(c.clone(), &ns.name)
        .delete("web", &DeleteParams::background())
        .await
        .expect("deleting the Deployment");
    let recovered = w.wait("the pod recovered (gone)", |v| {
        about(v, "recovered", &ns.name)
    });
    assert_eq!(recovered["group"]["cause"], cause.as_str(), "{recovered}");
    assert_eq!(w.term(), Some(0));

    // The report: the group, then failing before recovered.
    let live = pt(&["report"]).run();
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    let md = &live.stdout;
    assert!(md.starts_with("# Image pull report"), "{md}");
    assert!(
        md.contains(&format!("| `{cause}` | `{}` |", h.reg_auth())),
        "{md}"
    );
    let f = md
        .find(&format!("failing: `{}/{pod} (app)`", ns.name))
        .unwrap_or_else(|| panic!("the failure in the timeline:\n{md}"));
    let r = md
        .find(&format!("recovered: `{}/{pod} (app)`", ns.name))
        .unwrap_or_else(|| panic!("the recovery in the timeline:\n{md}"));
    assert!(f < r, "in time order:\n{md}");

    // A snapshot carries the namespace's journal; its report is the same.
    let file = dir.path().join("after.yaml");
    let file_s = file.to_str().expect("utf-8");
    let snap = pt(&["snapshot", "-o", file_s, "-n", &ns.name]).run();
    assert_eq!(snap.code, Some(0), "{}", snap.stderr);
    let offline = pt(&["report", "--replay", file_s]).run();
    assert_eq!(offline.code, Some(0), "{}", offline.stderr);
    let ours = |md: &str| -> Vec<String> {
        body(md)
            .lines()
            .filter(|l| l.contains(&ns.name) || (l.starts_with('|') && l.contains(&cause)))
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (ours(md), ours(&offline.stdout));
    assert!(!a.is_empty(), "{md}");
    assert_eq!(
        a, b,
        "the snapshot's report tells the same:\n{}",
        offline.stdout
    );
    // Written to a file on request, private.
    let out = dir.path().join("report.md");
    let run = pt(&[
        "report",
        "--replay",
        file_s,
        "-o",
        out.to_str().expect("utf-8"),
    ])
    .run();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mode = std::fs::metadata(&out)
        .expect("report file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    ns.delete().await;
}

/// Waits until a pod of `app` in `ns` is Running.
async fn running(c: &kube::Client, ns: &str, app: &str) {
    support::wait_pod(c, ns, app, WAIT, "Running", |p| {
        support::pod_state(p).as_deref() == Some("Running")
    })
    .await;
}

/// The best fit of each group's "what changed" in a report (without its
/// list marker).
fn best_fits(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = false;
    for l in md.lines() {
        if l.trim_start().starts_with("What changed, best fit first:") {
            next = true;
        } else if next {
            next = false;
            if let Some(fit) = l.trim_start().strip_prefix("- ") {
                out.push(fit.to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_finds_the_rollout_and_the_deleted_secret_behind_their_groups() {
    let Some(h) = support::harness() else { return };
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let (rollout, creds) = (
        h.namespace(&c, "why-rollout").await,
        h.namespace(&c, "why-secret").await,
    );
    let reg = h.reg_auth();
    support::scenarios::ensure_secret(&c, &rollout.name, "regcred", reg, &h).await;
    support::scenarios::ensure_secret(&c, &creds.name, "regcred", reg, &h).await;
    let good = format!("{reg}/team/app:1.0");
    let w = W {
        pull_secrets: &["regcred"],
        ..W::new("Deployment", "web", good.clone())
    };
    w.create(&c, &rollout.name).await;
    let w = W {
        pull_secrets: &["regcred"],
        ..W::new("Deployment", "api", good.clone())
    };
    w.create(&c, &creds.name).await;
    running(&c, &rollout.name, "web").await;
    running(&c, &creds.name, "api").await;

    let dir = tempfile::tempdir().expect("tempdir");
    let pt = |args: &[&str]| journaled(&h, dir.path()).args(args);
    let mut watch = Watch::start(&pt(&["watch", "--json"]));
    watch.wait("the cluster live", is_live);

    // A rollout to a tag that does not exist.
    let bad = format!("{reg}/team/app:nope");
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": bad}]}}}});
    Api::<Deployment>::namespaced(c.clone(), &rollout.name)
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(&patch),
        )
        .await
        .expect("rolling web to a bad tag");
    // A pull secret deleted; the pod that needs it again cannot pull.
    let before = jiff::Timestamp::now();
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(c.clone(), &creds.name)
        .delete("regcred", &DeleteParams::default())
        .await
        .expect("deleting the pull secret");
    let deleted = watch.wait("the pull secret's deletion", |v| {
        v["kind"] == "secret_deleted" && v["namespace"] == creds.name.as_str()
    });
    assert_eq!(deleted["name"], "regcred", "{deleted}");
    let after = jiff::Timestamp::now();
    Api::<k8s_openapi::api::core::v1::Pod>::namespaced(c.clone(), &creds.name)
        .delete_collection(&DeleteParams::default(), &kube::api::ListParams::default())
        .await
        .expect("deleting api's pod");
    watch.wait("web failing after the rollout", |v| {
        v["kind"] == "failing" && v["namespace"] == rollout.name.as_str()
    });
    watch.wait("api failing without its secret", |v| {
        v["kind"] == "failing" && v["namespace"] == creds.name.as_str()
    });
    assert_eq!(watch.term(), Some(0));

    // The new ReplicaSet: the rollout's object and time.
    let sets = Api::<k8s_openapi::api::apps::v1::ReplicaSet>::namespaced(c.clone(), &rollout.name)
        .list(&kube::api::ListParams::default())
        .await
        .expect("ReplicaSets");
    let newest = sets
        .items
        .iter()
        .filter_map(|rs| rs.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .max()
        .expect("a ReplicaSet");
    let when = newest.strftime("%Y-%m-%d %H:%M:%SZ").to_string();

    let rollout_first = |md: &str| {
        let line = format!(
            "{when}: `Deployment {}/web image {good} → {bad}, revision 2`",
            rollout.name
        );
        assert!(
            best_fits(md).iter().any(|l| l.starts_with(&line)),
            "the rollout, at its ReplicaSet's time, first behind its group:\n{md}"
        );
    };
    // The deletion, at the time the watch saw it (the API server keeps none).
    let secret_first = |md: &str| {
        let secret = format!("`pull secret {}/regcred deleted`", creds.name);
        let fit = best_fits(md)
            .into_iter()
            .find(|l| l.contains(&secret) && l.contains("named in the evidence"))
            .unwrap_or_else(|| panic!("the deleted secret first behind its group:\n{md}"));
        let t = time_of(&fit);
        assert!(
            t >= before - jiff::SignedDuration::from_secs(1)
                && t <= after + jiff::SignedDuration::from_secs(1),
            "{t} not between {before} and {after}: {fit}"
        );
    };
    for (ns, check) in [
        (&rollout.name, &rollout_first as &dyn Fn(&str)),
        (&creds.name, &secret_first as &dyn Fn(&str)),
    ] {
        let live = pt(&["report", "-n", ns]).run();
        assert_eq!(live.code, Some(0), "{}", live.stderr);
        eprintln!("{}", live.stdout);
        check(&live.stdout);
        // A snapshot carries what changed; its report tells the same offline.
        let file = dir.path().join(format!("{ns}.yaml"));
        let file_s = file.to_str().expect("utf-8");
        let snap = pt(&["snapshot", "-o", file_s, "-n", ns]).run();
        assert_eq!(snap.code, Some(0), "{}", snap.stderr);
        let offline = pt(&["report", "--replay", file_s]).run();
        assert_eq!(offline.code, Some(0), "{}", offline.stderr);
        check(&offline.stdout);
    }
    rollout.delete().await;
    creds.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_opened_later_shows_the_timeline_the_first_run_saw() {
    let Some(h) = support::harness() else { return };
    let (_c, ns, pod) = failing_web(&h, "later").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pt = |args: &[&str]| {
        journaled(&h, dir.path())
            .no_color()
            .args(&["-n", &ns.name])
            .args(args)
    };
    // The first responder's run.
    let mut w = Watch::start(&pt(&["watch", "--json"]));
    let failing = w.wait("the pod failing", |v| about(v, "failing", &ns.name));
    let cause = failing["group"]["cause"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(w.term(), Some(0));

    // Later, the console: `t` shows the group's lane and the pod's failure.
    let tmux = support::tmux::Tmux::start(&format!("later-{}", std::process::id()), 160, 40);
    tmux.launch(pt(&[]));
    tmux.wait("the console with the row", WAIT, |s| s.contains(&pod));
    tmux.send(&["t"]);
    let lane = format!("{cause} {}", h.reg_auth());
    let s = tmux.wait(
        "the timeline with the lane and its first failure",
        WAIT,
        |s| s.contains(&lane) && s.contains(&format!("{}/{pod} (app)", ns.name)),
    );
    assert!(s.contains("failing"), "{s}");
    tmux.send(&["Escape", "q"]);
    ns.delete().await;
}

/// A namespace of `prefix` with pull secret `regcred` for the auth
/// registry, and `watch --json` of it, live, its files under the temp dir.
async fn watched_namespace(
    h: &support::Harness,
    prefix: &str,
) -> (
    kube::Client,
    support::TestNamespace,
    tempfile::TempDir,
    Watch,
) {
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, prefix).await;
    support::scenarios::ensure_secret(&c, &ns.name, "regcred", h.reg_auth(), h).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut watch =
        Watch::start(&journaled(h, dir.path()).args(&["watch", "--json", "-n", &ns.name]));
    watch.wait("the cluster live", is_live);
    (c, ns, dir, watch)
}

/// Deployment `edge` of `image`, its pods bound to `node`, pull secret
/// `regcred`.
async fn edge_on(c: &kube::Client, ns: &str, node: &str, image: &str) {
    support::workload::create::<Deployment>(
        c,
        ns,
        serde_json::json!({
            "metadata": {"name": "edge"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "edge"}},
                "template": {
                    "metadata": {"labels": {"app": "edge"}},
                    "spec": {
                        "nodeName": node,
                        "containers": [{"name": "app", "image": image}],
                        "imagePullSecrets": [{"name": "regcred"}],
                        "terminationGracePeriodSeconds": 1,
                    },
                },
            },
        }),
    )
    .await;
}

/// The time a "what changed" line starts with (`2026-12-06 15:01:02Z`).
fn time_of(line: &str) -> jiff::Timestamp {
    line.get(..20)
        .map(|t| t.replace(' ', "T"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("a time first: {line}"))
}

/// Every "what changed" line of a report (without its list marker).
fn fit_lines(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut on = false;
    for l in md.lines() {
        let t = l.trim_start();
        if t.starts_with("What changed") {
            on = true;
        } else if on && l.starts_with("  - ") {
            out.push(t.trim_start_matches("- ").to_string());
        } else {
            on = false;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_finds_the_kubelet_upgrade_and_the_images_gone_behind_the_failures_on_that_node() {
    use k8s_openapi::api::core::v1::Node;
    let Some(h) = support::harness() else { return };
    let (c, ns, dir, mut watch) = watched_namespace(&h, "why-upgrade").await;
    let reg = h.reg_auth();
    let pt = |args: &[&str]| journaled(&h, dir.path()).args(args);

    // A node of kubelet 1.34 that keeps its images, and a pod that pulls there.
    let node = format!("upgraded-{}", ns.name);
    let image = format!("{reg}/team/app:1.0");
    let nodes = Api::<Node>::all(c.clone());
    let keep = ["--keep-images", "--kubelet-version"];
    let old = JoinedNode::with(
        &h,
        &node,
        dir.path(),
        "PULLTUI_REG_CA",
        &[keep[0], keep[1], "v1.34.2"],
    );
    edge_on(&c, &ns.name, &node, &image).await;
    running(&c, &ns.name, "edge").await;
    let start = std::time::Instant::now();
    loop {
        let n = nodes.get(&node).await.expect("the node");
        let listed = n.status.and_then(|s| s.images).unwrap_or_default();
        if listed
            .iter()
            .any(|i| i.names.iter().flatten().any(|n| *n == image))
        {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "{image} never listed in {node}'s images"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // pulltui's node watch sees the images (a watch: well within this).
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The kubelet upgraded to 1.35, its images gone, and no longer the
    // registry's CA: the pod started again there must pull, and cannot.
    drop(old);
    let before = jiff::Timestamp::now();
    let _new = JoinedNode::with(
        &h,
        &node,
        dir.path(),
        "PULLTUI_HARNESS_CA",
        &[keep[0], keep[1], "v1.35.4"],
    );
    let kubelet = watch.wait("the kubelet's new version", |v| {
        v["kind"] == "kubelet" && v["node"] == node.as_str()
    });
    assert_eq!(kubelet["from"], "v1.34.2", "{kubelet}");
    assert_eq!(kubelet["version"], "v1.35.4", "{kubelet}");
    let gone = watch.wait("the images gone", |v| {
        v["kind"] == "images_gone" && v["node"] == node.as_str()
    });
    assert!(
        gone["images"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| *i == image.as_str())),
        "{gone}"
    );
    let after = jiff::Timestamp::now();
    Api::<k8s_openapi::api::core::v1::Pod>::namespaced(c.clone(), &ns.name)
        .delete_collection(&DeleteParams::default(), &kube::api::ListParams::default())
        .await
        .expect("deleting edge's pod");
    let failing = watch.wait("edge failing on the upgraded node", |v| {
        v["kind"] == "failing" && v["namespace"] == ns.name.as_str()
    });
    assert_eq!(failing["node"], node.as_str(), "{failing}");
    assert_eq!(watch.term(), Some(0));

    // Both are behind the group, the image gone first (it is why the pod
    // pulled), each at a time between the restart and the watch telling it.
    let check = |md: &str| {
        let lines = fit_lines(md);

        let image_line = lines
            .iter()
            .position(|l| l.contains(&format!("{image} gone from node {node}'s images")))
            .unwrap_or_else(|| panic!("the images gone, behind the group:\n{md}"));
        let kubelet_line = lines
            .iter()
            .position(|l| l.contains(&format!("kubelet on node {node}: v1.34.2 → v1.35.4")))
            .unwrap_or_else(|| panic!("the kubelet upgrade, behind the group:\n{md}"));
        assert!(image_line < kubelet_line, "{md}");
        assert!(
            lines[image_line].contains("the failing image was cached there"),
            "{md}"
        );
        assert!(lines[kubelet_line].contains("KEP-2535"), "{md}");
        for l in [&lines[image_line], &lines[kubelet_line]] {
            let t = time_of(l);
            assert!(
                t >= before - jiff::SignedDuration::from_secs(1)
                    && t <= after + jiff::SignedDuration::from_secs(1),
                "{t} not between {before} and {after}: {l}"
            );
        }
    };
    let live = pt(&["report", "-n", &ns.name]).run();
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    eprintln!("{}", live.stdout);
    check(&live.stdout);
    let file = dir.path().join("upgrade.yaml");
    let file_s = file.to_str().expect("utf-8");
    let snap = pt(&["snapshot", "-o", file_s, "-n", &ns.name]).run();
    assert_eq!(snap.code, Some(0), "{}", snap.stderr);
    let offline = pt(&["report", "--replay", file_s]).run();
    assert_eq!(offline.code, Some(0), "{}", offline.stderr);
    check(&offline.stdout);

    ns.delete().await;
    let _ = nodes.delete(&node, &DeleteParams::default()).await;
}

/// A second simulated node joining the cluster as `name`: it trusts the
/// API server's CA, not the registry's (a node image without the
/// registry's CA), and runs only the pods bound to it. Killed on drop.
struct JoinedNode(std::process::Child);

impl JoinedNode {
    fn start(h: &support::Harness, name: &str, root: &std::path::Path) -> JoinedNode {
        JoinedNode::with(h, name, root, "PULLTUI_HARNESS_CA", &[])
    }

    /// The node trusting the CA in harness variable `ca`, with more of the
    /// simulator's flags.
    fn with(
        h: &support::Harness,
        name: &str,
        root: &std::path::Path,
        ca: &str,
        more: &[&str],
    ) -> JoinedNode {
        let sim = std::env::var_os("PULLTUI_KUBELET_SIM")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                let bin = std::path::Path::new(support::cli::BIN);
                bin.with_file_name("examples").join("kubelet-sim")
            });
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("joined-node.log"))
            .expect("log file");
        let child = std::process::Command::new(sim)
            .arg("--kubeconfig")
            .arg(h.kubeconfig())
            .args(["--context", "admin", "--scheduler-context", "admin"])
            .args(["--registry-ca", h.var(ca)])
            .args(["--dns", h.var("PULLTUI_DNS")])
            .args(["--node", name, "--selected-only", "--backoff-max", "10"])
            .args(more)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting a second kubelet simulator");
        JoinedNode(child)
    }
}

impl Drop for JoinedNode {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_finds_the_node_that_joined_behind_the_failures_on_it() {
    use k8s_openapi::api::core::v1::Node;
    let Some(h) = support::harness() else { return };
    let (c, ns, dir, mut watch) = watched_namespace(&h, "why-node").await;
    let reg = h.reg_auth();
    let pt = |args: &[&str]| journaled(&h, dir.path()).args(args);

    let node = format!("joined-{}", ns.name);
    let nodes = Api::<Node>::all(c.clone());
    let _sim = JoinedNode::start(&h, &node, dir.path());
    let start = std::time::Instant::now();
    let joined = loop {
        if let Ok(Some(n)) = nodes.get_opt(&node).await
            && let Some(t) = n.metadata.creation_timestamp.clone()
        {
            break t.0;
        }
        assert!(start.elapsed() < WAIT, "node {node} never registered");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // Its pods: bound to the new node, their credentials in order.
    edge_on(&c, &ns.name, &node, &format!("{reg}/team/app:1.0")).await;
    let failing = watch.wait("edge failing on the new node", |v| {
        v["kind"] == "failing" && v["namespace"] == ns.name.as_str()
    });
    assert!(
        failing["group"]["cause"]
            .as_str()
            .is_some_and(|c| c.starts_with("tls.")),
        "the new node does not trust the registry: {failing}"
    );
    assert_eq!(failing["node"], node.as_str(), "{failing}");
    assert_eq!(watch.term(), Some(0));

    let when = joined.strftime("%Y-%m-%d %H:%M:%SZ").to_string();
    let line = format!("{when}: `node {node} joined");
    let check = |md: &str| {
        assert!(
            best_fits(md)
                .iter()
                .any(|l| l.starts_with(&line) && l.contains("the group's pods fail on it")),
            "the node that joined, at its time, first behind its group:\n{md}"
        );
    };
    let live = pt(&["report", "-n", &ns.name]).run();
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    check(&live.stdout);
    let file = dir.path().join("node.yaml");
    let file_s = file.to_str().expect("utf-8");
    let snap = pt(&["snapshot", "-o", file_s, "-n", &ns.name]).run();
    assert_eq!(snap.code, Some(0), "{}", snap.stderr);
    let offline = pt(&["report", "--replay", file_s]).run();
    assert_eq!(offline.code, Some(0), "{}", offline.stderr);
    check(&offline.stdout);

    ns.delete().await;
    let _ = nodes.delete(&node, &DeleteParams::default()).await;
}
