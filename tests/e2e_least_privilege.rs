//! Least privilege, for real: users made in each test (a ServiceAccount,
//! its Role, a TokenRequest token in a kubeconfig of its own) who may list
//! pods in one namespace only, who may not read events, who may not read
//! secrets, who may not patch. Each gets everything it may and one plain
//! sentence for what it may not; nothing changes on the server.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, PostParams};
use kube::config::{AuthInfo, Context, Kubeconfig, NamedAuthInfo, NamedContext};
use serde_json::{Value, json};
use support::tmux::{Tmux, tmux_available};
use support::workload::{W, failing_pod};
use support::{Fixture, Harness};

const SCREEN: Duration = Duration::from_secs(30);

/// A user of its own: ServiceAccount `name` in `ns` with `rules` in `ns`,
/// and a kubeconfig (context `name`) with its token.
async fn user(
    h: &Harness,
    c: &kube::Client,
    ns: &str,
    name: &str,
    rules: Value,
    dir: &Path,
) -> PathBuf {
    let pp = PostParams::default();
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("sa");
    Api::<ServiceAccount>::namespaced(c.clone(), ns)
        .create(&pp, &sa)
        .await
        .expect("creating the ServiceAccount");
    let role: Role =
        serde_json::from_value(json!({"metadata": {"name": name}, "rules": rules})).expect("role");
    Api::<Role>::namespaced(c.clone(), ns)
        .create(&pp, &role)
        .await
        .expect("creating the Role");
    let rb: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
    }))
    .expect("rolebinding");
    Api::<RoleBinding>::namespaced(c.clone(), ns)
        .create(&pp, &rb)
        .await
        .expect("creating the RoleBinding");
    let tr: TokenRequest = serde_json::from_value(json!({
        "spec": {"audiences": [], "expirationSeconds": 3600}
    }))
    .expect("token request");
    let token = Api::<ServiceAccount>::namespaced(c.clone(), ns)
        .create_token_request(name, &pp, &tr)
        .await
        .expect("TokenRequest")
        .status
        .expect("token status")
        .token;
    let mut kc = Kubeconfig::read_from(h.kubeconfig()).expect("harness kubeconfig");
    let cluster = kc
        .clusters
        .first()
        .map(|c| c.name.clone())
        .expect("a cluster");
    kc.auth_infos = vec![NamedAuthInfo {
        name: name.into(),
        auth_info: Some(AuthInfo {
            token: Some(token.into()),
            ..AuthInfo::default()
        }),
        other: Default::default(),
    }];
    kc.contexts = vec![NamedContext {
        name: name.into(),
        context: Some(Context {
            cluster,
            user: Some(name.into()),
            namespace: Some(ns.into()),
            ..Context::default()
        }),
        other: Default::default(),
    }];
    kc.current_context = Some(name.into());
    let path = dir.join(format!("{name}.kubeconfig"));
    std::fs::write(&path, serde_json::to_string(&kc).expect("kubeconfig json")).expect("write");
    path
}

/// Pods and events readable, nothing else.
fn pods_and_events() -> Value {
    json!([
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
    ])
}

/// The test's world, with Deployment `web` failing (an untrusted
/// certificate).
async fn setup(prefix: &str) -> Option<Fixture> {
    let t = Fixture::new(prefix).await?;
    W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", t.h.reg_selfsigned()),
    )
    .create(&t.c, t.ns())
    .await;
    failing_pod(&t.c, t.ns(), "web").await;
    Some(t)
}

/// The console in tmux as the user of `kubeconfig` (its current context).
fn console(t: &Fixture, kubeconfig: &Path, name: &str) -> Tmux {
    let tm = Tmux::start(name, 150, 40);
    tm.launch(t.pulltui().kubeconfig(kubeconfig).no_color());
    tm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_of_one_namespace_gets_its_failures_and_a_notice() {
    let Some(t) = setup("lp-ns").await else {
        return;
    };
    let ns = t.ns.name.clone();
    let kc = user(&t.h, &t.c, &ns, "ns-only", pods_and_events(), t.dir.path()).await;
    // check: all namespaces is 403; it falls back to the context's namespace.
    let run = t.pulltui().kubeconfig(&kc).args(&["check", "--json"]).run();
    let (code, out, err) = (run.code, run.stdout, run.stderr);
    assert_eq!(code, Some(1), "failing pods found: {out}\n{err}");
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    let pods = v["pods"].as_array().expect("pods");
    assert!(pods.iter().any(|p| p["category"] == "tls.untrusted"), "{v}");
    assert!(
        err.contains("namespace") && err.to_lowercase().contains("not allowed")
            || err.contains("forbidden"),
        "a sentence for the fallback: {err}"
    );
    if !tmux_available() {
        t.delete().await;
        return;
    }
    let tm = console(&t, &kc, "lp-ns");
    tm.wait("the row and the notice", SCREEN, |s| {
        s.contains("tls.untrusted") && s.contains("not allowed to list pods in all namespaces")
    });
    tm.send(&["q"]);
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_read_events_still_sees_causes_and_is_told() {
    let Some(t) = setup("lp-noev").await else {
        return;
    };
    if !tmux_available() {
        return;
    }
    let ns = t.ns.name.clone();
    let rules = json!([
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
    ]);
    let kc = user(&t.h, &t.c, &ns, "no-events", rules, t.dir.path()).await;
    let tm = console(&t, &kc, "lp-noev");
    let s = tm.wait("the row and the events notice", SCREEN, |s| {
        s.contains("Deployment/web") && s.contains("not allowed to read events")
    });
    assert!(s.contains("ImagePull") || s.contains("ErrImagePull"), "{s}");
    tm.send(&["Enter"]);
    tm.wait("the detail saying events cannot be read", SCREEN, |s| {
        s.contains("IMAGE") && s.to_lowercase().contains("forbidden")
    });
    tm.send(&["q"]);
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_read_secrets_or_patch_is_refused_readably_and_nothing_changes() {
    let Some(t) = setup("lp-nowrite").await else {
        return;
    };
    if !tmux_available() {
        return;
    }
    let ns = t.ns.name.clone();
    let rules = json!([
        {"apiGroups": [""], "resources": ["pods", "events", "serviceaccounts"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["get", "list", "watch"]},
    ]);
    let kc = user(&t.h, &t.c, &ns, "reader", rules, t.dir.path()).await;
    let before = serde_json::to_value(
        Api::<Deployment>::namespaced(t.c.clone(), &ns)
            .get("web")
            .await
            .expect("deployment"),
    )
    .expect("json");
    let tm = console(&t, &kc, "lp-nowrite");
    tm.wait("the row", SCREEN, |s| s.contains("Deployment/web"));
    // `c`: the offers cannot be looked up (secrets forbidden) and it says so.
    tm.send(&["c"]);
    tm.wait("the credential form, secrets unreadable", SCREEN, |s| {
        s.contains("username") && s.contains("not allowed to list secrets")
    });
    tm.send(&["Escape"]);
    // An Escape followed at once by a key reads as an Alt chord: wait for
    // the form to close first.
    tm.wait("the form closed", SCREEN, |s| !s.contains("username"));
    // `a`: preview (reads are allowed), then a readable forbidden.
    tm.send(&["a"]);
    tm.wait("the form", SCREEN, |s| s.contains("insecure-skip-verify"));
    tm.send(&["Enter"]);
    tm.wait("the preview", SCREEN, |s| s.contains("equivalent kubectl"));
    tm.send(&["y"]);
    tm.wait("a readable forbidden", SCREEN, |s| s.contains("forbidden"));
    let after = serde_json::to_value(
        Api::<Deployment>::namespaced(t.c.clone(), &ns)
            .get("web")
            .await
            .expect("deployment"),
    )
    .expect("json");
    assert_eq!(
        support::workload::as_written(&before),
        support::workload::as_written(&after),
        "nothing changed"
    );
    tm.send(&["q"]);
    t.delete().await;
}
