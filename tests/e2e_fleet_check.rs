//! `pulltui check --all-contexts | --contexts` on the fleet harness (three
//! API servers, one kubeconfig):
//!
//! - every failing pod of every cluster, each with its own `context`; the
//!   restricted cluster is read in its namespace (and says so); each
//!   cluster's rows agree with `check --context` of that cluster alone;
//! - one cluster stopped: exit 2 naming it, while the others are still read
//!   in full and as fast.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fleet::{Fleet, failing_bare, fleet};

/// One failing pod in the first cluster (a namespace of its own) and one in
/// the restricted cluster's namespace: (context, namespace, pod) of each.
async fn two_failing_pods(f: &Fleet, tag: &str) -> Vec<(String, String, String)> {
    let a = &f.members[0];
    let ac = a.h.admin().await;
    let ns = a.h.namespace(&ac, tag).await;
    let img = format!("{}/team/app:1.0", a.h.reg_auth());
    failing_bare(&ac, &ns.name, "web", &img, &a.node).await;
    let r = f.restricted();
    let rc = r.h.admin().await;
    let name = format!("{tag}-{}", std::process::id());
    let img = format!("{}/team/app:1.0", r.h.reg_auth());
    failing_bare(&rc, f.restricted_ns(), &name, &img, &r.node).await;
    vec![
        (a.context.clone(), ns.name.clone(), "web".to_string()),
        (r.context.clone(), f.restricted_ns().to_string(), name),
    ]
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("check --json: {e}\n{stdout}"))
}

fn has_pod(v: &Value, (ctx, ns, name): &(String, String, String)) -> bool {
    v["pods"].as_array().is_some_and(|pods| {
        pods.iter()
            .any(|p| p["context"] == *ctx && p["namespace"] == *ns && p["name"] == *name)
    })
}

#[tokio::test]
async fn every_failing_pod_of_every_cluster_with_its_context() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    f.require_simulators().await;
    let expected = two_failing_pods(&f, "fleet-check").await;

    let run = f
        .pulltui()
        .args(&["check", "--all-contexts", "--json"])
        .run();
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let v = json_of(&run.stdout);
    for e in &expected {
        assert!(has_pod(&v, e), "{e:?} missing:\n{}", run.stdout);
    }
    // A pod is reported under its own cluster only.
    for p in v["pods"].as_array().expect("pods") {
        let ctx = p["context"].as_str().expect("context");
        assert!(f.contexts().contains(&ctx), "{p}");
        if p["namespace"] == expected[0].1 {
            assert_eq!(p["context"], expected[0].0, "{p}");
        }
    }
    let clusters = v["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 3, "{}", run.stdout);
    for c in clusters {
        assert_eq!(c["status"], "ok", "{c}");
        let m = f.member(c["context"].as_str().expect("context"));
        assert_eq!(
            c["server"].as_str().map(|s| s.trim_end_matches('/')),
            Some(m.server.trim_end_matches('/')),
            "{c}"
        );
    }
    // The restricted user may not list all namespaces: its namespace is read, and said.
    let r = f.restricted();
    let rc = clusters
        .iter()
        .find(|c| c["context"] == r.context.as_str())
        .expect("the restricted cluster");
    assert_eq!(rc["namespace"], f.restricted_ns(), "{rc}");
    assert!(
        run.stderr.contains(&format!("context {}", r.context))
            && run
                .stderr
                .contains("not allowed to list pods in all namespaces"),
        "{}",
        run.stderr
    );

    // Each cluster's rows are the ones `check --context` finds alone. Other
    // fleet tests run beside this one and may add a failing pod between the
    // two reads: a pod seen by both reads must be the same row in both, and
    // this test's own pods are in both.
    for ctx in f.contexts() {
        let one = f
            .pulltui()
            .args(&["check", "--context", ctx, "--json"])
            .run();
        let alone = json_of(&one.stdout);
        let key = |p: &Value| format!("{}/{}/{}", p["namespace"], p["name"], p["container"]);
        // Messages and ages move between two reads: compare what decides a row.
        let shape = |p: &Value| {
            json!([
                p["namespace"],
                p["name"],
                p["container"],
                p["image"],
                p["category"],
                p["facet"]
            ])
        };
        let rows = |pods: Vec<&Value>| -> std::collections::BTreeMap<String, Value> {
            pods.into_iter().map(|p| (key(p), shape(p))).collect()
        };
        let a = rows(
            alone["pods"]
                .as_array()
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
        );
        let b = rows(
            v["pods"]
                .as_array()
                .expect("pods")
                .iter()
                .filter(|p| p["context"] == ctx)
                .collect(),
        );
        for (k, row) in &a {
            if let Some(other) = b.get(k) {
                assert_eq!(
                    row, other,
                    "{ctx}: check --context and check --all-contexts disagree on {k}"
                );
            }
        }
        for (c, ns, name) in expected.iter().filter(|e| e.0 == ctx) {
            let k = format!("{}/{}/{}", json!(ns), json!(name), json!("app"));
            assert!(
                a.contains_key(&k) && b.contains_key(&k),
                "{ctx}: {k} in both reads"
            );
            assert_eq!(c, ctx);
        }
    }

    // `snapshot --all-contexts` writes one file; `check --replay` reads it
    // as the fleet it was, each pod under its context.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fleet.yaml");
    let snap = f
        .pulltui()
        .args(&["snapshot", "--all-contexts", "-o"])
        .arg(&file)
        .run();
    assert_eq!(snap.code, Some(0), "{}", snap.stderr);
    assert!(snap.stderr.contains("3 clusters"), "{}", snap.stderr);
    let text = std::fs::read_to_string(&file).expect("the fleet file");
    assert!(text.contains("kind: PulltuiFleetSnapshot"));
    assert!(text.trim_end().ends_with("end: PulltuiFleetSnapshot"));
    let replayed = f
        .pulltui()
        .args(&["check", "--json", "--replay"])
        .arg(&file)
        .run();
    assert_eq!(replayed.code, Some(1), "{}", replayed.stderr);
    let rv = json_of(&replayed.stdout);
    for e in &expected {
        assert!(
            has_pod(&rv, e),
            "{e:?} missing from the replay:\n{}",
            replayed.stdout
        );
    }
    assert_eq!(
        rv["clusters"].as_array().map(Vec::len),
        Some(3),
        "{}",
        replayed.stdout
    );

    // `--contexts` reads only those named.
    let first = &expected[0].0;
    let run = f
        .pulltui()
        .args(&["check", "--contexts", first, "--json"])
        .run();
    let v = json_of(&run.stdout);
    assert!(has_pod(&v, &expected[0]), "{}", run.stdout);
    assert!(!has_pod(&v, &expected[1]), "{}", run.stdout);
    assert_eq!(v["clusters"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_stopped_cluster_is_named_and_holds_no_other_back() {
    let Some(f) = fleet() else { return };
    let _alone = f.exclusive();
    f.require_simulators().await;
    let expected = two_failing_pods(&f, "fleet-down").await;
    let down = f.members[1].context.clone();
    let stopped = f.stop(&down);
    let t = Instant::now();
    let run = f
        .pulltui()
        .args(&["check", "--all-contexts", "--json"])
        .run();
    let took = t.elapsed();
    stopped.start();
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("context {down}:")),
        "{}",
        run.stderr
    );
    let v = json_of(&run.stdout);
    for e in &expected {
        assert!(has_pod(&v, e), "{e:?} missing:\n{}", run.stdout);
    }
    let c = v["clusters"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["context"] == down.as_str()).cloned())
        .expect("the stopped cluster is listed");
    assert_eq!(c["status"], "error", "{c}");
    // Refused connections are said at once, not after a timeout.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // The table names it too.
    let run = f.pulltui().args(&["check", "--all-contexts"]).run();
    assert!(run.stdout.contains("== context fleet-a"), "{}", run.stdout);
}

#[test]
fn one_cluster_commands_refuse_fleet_flags() {
    let run = support::cli::Pulltui::new()
        .args(&["probe", "--all-contexts", "docker.io/library/nginx:1"])
        .run();
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("pulltui check"), "{}", run.stderr);
    assert!(run.stderr.contains("one context"), "{}", run.stderr);
}

#[tokio::test]
async fn watch_all_contexts_says_each_clusters_state_and_failures_with_its_context() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    f.require_simulators().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pt = f
        .pulltui()
        .dir(dir.path())
        .env("PULLTUI_HEARTBEAT_SECS", "2")
        .args(&["watch", "--all-contexts", "--json"]);
    let mut w = support::watch::Watch::start(&pt);
    for m in &f.members {
        let ctx = m.context.clone();
        w.wait(&format!("{ctx}'s state"), |v| {
            v["kind"] == "cluster" && v["context"] == ctx.as_str() && v["state"] == "live"
                || v["kind"] == "cluster"
                    && v["context"] == ctx.as_str()
                    && v["state"] == "forbidden"
        });
    }
    let expected = two_failing_pods(&f, "fleet-watch").await;
    for (ctx, ns, name) in &expected {
        let v = w.wait(&format!("{ctx} {ns}/{name} failing"), |v| {
            v["kind"] == "failing"
                && v["context"] == ctx.as_str()
                && v["namespace"] == ns.as_str()
                && v["pod"] == name.as_str()
        });
        assert!(
            v["group"]["cause"]
                .as_str()
                .is_some_and(|c| c.starts_with("auth.")),
            "{v}"
        );
    }
    assert_eq!(w.term(), Some(0));
    // One journal per cluster.
    let files = std::fs::read_dir(pt.dirs().data().join("journal"))
        .expect("journal directory")
        .count();
    assert_eq!(files, f.members.len(), "one journal per cluster");
}
