//! `pulltui check` against the real API-server harness: every scenario
//! workload, for the admin and the read-only viewer context; exit codes;
//! readable errors for a broken kubeconfig.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::cli::CHECK_FIELDS;
use support::scenarios::{self, Expect, Kind};
use support::{Fixture, Pulltui, Run};

fn pulltui(kubeconfig: &str, args: &[&str]) -> Run {
    Pulltui::new().kubeconfig(kubeconfig).args(args).run()
}

fn check_json(kubeconfig: &str, args: &[&str]) -> (Option<i32>, Value) {
    let r = pulltui(kubeconfig, &[&["check", "--json"], args].concat());
    (r.code, r.json())
}

/// (workload-or-pod name, workload kind or "-", reason, category) per entry in `ns`.
fn entries(v: &Value, ns: &str) -> BTreeSet<(String, String, String, String)> {
    v["pods"]
        .as_array()
        .expect("pods array")
        .iter()
        .filter(|p| p["namespace"] == ns)
        .map(|p| {
            let (name, kind) = match &p["workload"] {
                Value::Null => (
                    p["name"].as_str().unwrap_or("").to_string(),
                    "-".to_string(),
                ),
                w => (
                    w["name"].as_str().unwrap_or("").to_string(),
                    w["kind"].as_str().unwrap_or("").to_string(),
                ),
            };
            (
                name,
                kind,
                pull_phase(p["reason"].as_str().unwrap_or("")),
                p["category"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Kubelet alternates `ErrImagePull` (while retrying) and `ImagePullBackOff`
/// (while waiting) for the same failure; compare them as one phase.
fn pull_phase(reason: &str) -> String {
    match reason {
        "ErrImagePull" => "ImagePullBackOff".to_string(),
        other => other.to_string(),
    }
}

fn expected() -> BTreeSet<(String, String, String, String)> {
    scenarios::ALL
        .iter()
        .filter_map(|s| match (s.expect, s.row_category()) {
            (Expect::Failing { reason, .. }, Some(category)) => Some((
                s.name.to_string(),
                match s.kind {
                    Kind::Deployment => "Deployment".to_string(),
                    Kind::Pod => "-".to_string(),
                },
                pull_phase(reason),
                category.to_string(),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_lists_exactly_the_failing_scenarios_for_admin_and_viewer() {
    let Some(f) = Fixture::new("e2e-check").await else {
        return;
    };
    f.apply_all().await;
    let (h, ns) = (&f.h, &f.ns);
    let kc = h.kubeconfig();
    let kc = kc.to_str().expect("utf-8 path");
    let want = expected();

    // Admin, this namespace.
    let (code, v) = check_json(kc, &["--context", "admin", "-n", &ns.name]);
    assert_eq!(code, Some(1), "failing pods exist: exit 1; {v}");
    assert_eq!(entries(&v, &ns.name), want, "admin -n: {v:#}");
    // Every entry carries the JSON shape of product.md.
    for p in v["pods"].as_array().expect("pods") {
        for key in CHECK_FIELDS {
            assert!(p.get(key).is_some(), "missing {key} in {p}");
        }
        assert_eq!(p["container"], "app");
        assert!(p["since"].is_string(), "since is RFC3339: {p}");
        if p["reason"] == "InvalidImageName" {
            assert!(p["registry"].is_null(), "{p}");
        } else {
            assert!(
                p["registry"].as_str().is_some_and(
                    |r| r.starts_with("127.0.0.1:") || r.starts_with("registry.nx.invalid")
                ),
                "{p}"
            );
        }
    }

    // Admin, all namespaces (the default scope): the same entries for this namespace.
    let (code, v) = check_json(kc, &["--context", "admin"]);
    assert_eq!(code, Some(1));
    assert_eq!(entries(&v, &ns.name), want, "admin -A: {v:#}");

    // Viewer (read-only RBAC): same answer.
    let (code, v) = check_json(kc, &["--context", "viewer", "-A"]);
    assert_eq!(code, Some(1));
    assert_eq!(entries(&v, &ns.name), want, "viewer: {v:#}");

    // The human table names the same workloads.
    let r = pulltui(kc, &["check", "--context", "viewer", "-n", &ns.name]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for (name, kind, reason, category) in &want {
        let label = if kind == "-" {
            "-".to_string()
        } else {
            format!("{kind}/{name}")
        };
        assert!(
            r.stdout.lines().any(|l| l.contains(&label)
                && (l.contains(reason.as_str())
                    || (reason == "ImagePullBackOff" && l.contains("ErrImagePull")))
                && l.contains(category.as_str())),
            "no line for {label} {reason} {category} in:\n{}",
            r.stdout
        );
    }
    f.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_exits_0_on_a_healthy_namespace_and_2_on_errors() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    let ns = h.namespace(&admin, "e2e-check-empty").await;
    let kc = h.kubeconfig();
    let kc = kc.to_str().expect("utf-8 path");

    let (code, v) = check_json(kc, &["-n", &ns.name]);
    assert_eq!(code, Some(0));
    assert_eq!(v, serde_json::json!({"pods": []}));

    // Credentials from an exec plugin (client.authentication.k8s.io), as
    // EKS/GKE/OIDC kubeconfigs use.
    let (code, v) = check_json(kc, &["--context", "admin-exec", "-n", &ns.name]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v, serde_json::json!({"pods": []}));

    let r = pulltui(kc, &["check", "--context", "no-such-context"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no-such-context"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let r = pulltui("/nonexistent/kubeconfig", &["check", "--json"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("kubeconfig"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    ns.delete().await;
}

/// `team-viewer` may view only namespace `team`: listing all namespaces is a
/// 403, so check falls back to the context's namespace and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_falls_back_to_the_contexts_namespace_on_403() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let s = scenarios::get("refused");
    // The harness's `team` namespace outlives one test run: apply once.
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(admin.clone(), "team");
    if deployments
        .get_opt(s.name)
        .await
        .expect("reading team deployments")
        .is_none()
    {
        s.apply(&h, &admin, "team").await;
    }
    s.wait_settled(&admin, "team").await;
    let kc = h.kubeconfig();
    let kc = kc.to_str().expect("utf-8 path");

    let mut all = vec!["check", "--json", "--context", "team-viewer"];
    let r = pulltui(kc, &all);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("not allowed to list pods in all namespaces")
            && r.stderr.contains("team"),
        "a visible notice: {}",
        r.stderr
    );
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("JSON");
    let pods = v["pods"].as_array().expect("pods");
    assert!(!pods.is_empty());
    assert!(pods.iter().all(|p| p["namespace"] == "team"), "{v:#}");
    assert!(
        entries(&v, "team").contains(&(
            "refused".to_string(),
            "Deployment".to_string(),
            "ImagePullBackOff".to_string(),
            "network.refused".to_string()
        )),
        "{v:#}"
    );

    // Asking for a namespace it may not see is an error, not a fallback.
    all = vec![
        "check",
        "--json",
        "--context",
        "team-viewer",
        "-n",
        "default",
    ];
    let r = pulltui(kc, &all);
    assert_eq!(r.code, Some(2), "stdout {} stderr {}", r.stdout, r.stderr);
    assert!(
        r.stderr.to_lowercase().contains("forbidden"),
        "{}",
        r.stderr
    );
}
