//! The fleet harness itself (`scripts/test-cluster fleet-up DIR`, found
//! through `PULLTUI_E2E_FLEET_ENV`): real API servers at once, one
//! kubeconfig with a context each, on one etcd under prefixes of their own.
//!
//! - every context answers `/version` with the harness's Kubernetes, each
//!   from its own server, behind its own CA;
//! - a pod made in one cluster exists in no other (nor in etcd under another
//!   cluster's prefix), and its own cluster's node runs it;
//! - the restricted context reads pods and events of its namespace (list
//!   and watch) and nothing else: cluster-wide lists are 403;
//! - `fleet-stop` takes one API server down (connections refused, the
//!   others answer), `fleet-start` brings it back with every object it had.

mod support;

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;
use support::fleet::{Fleet, fleet};
use support::{pod_state, wait_named};

const SETTLE: Duration = Duration::from_secs(60);

fn forbidden<T: std::fmt::Debug>(r: Result<T, kube::Error>, what: &str) {
    match r {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 403, "{what}: {e}"),
        other => panic!("{what}: expected 403, got {other:?}"),
    }
}

/// A pod pulling from the basic-auth registry without credentials: its node
/// drives it to ErrImagePull / ImagePullBackOff.
fn failing_pod(name: &str, image: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": image}]}
    })
}

async fn create_pod(c: &kube::Client, ns: &str, pod: serde_json::Value) -> Pod {
    support::workload::create(c, ns, pod).await
}

/// The pod, once its cluster's node has bound it and failed its pull.
async fn wait_failing_on(c: &kube::Client, ns: &str, name: &str, node: &str) -> Pod {
    wait_named(
        c,
        ns,
        name,
        SETTLE,
        &format!("bound to {node} and failing its pull"),
        |p| {
            p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
                && matches!(
                    pod_state(p).as_deref(),
                    Some("ErrImagePull" | "ImagePullBackOff")
                )
        },
    )
    .await
}

/// The keys under `prefix` in the fleet's etcd (its JSON gateway).
fn etcd_keys(f: &Fleet, prefix: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut end = prefix.as_bytes().to_vec();
    *end.last_mut().expect("non-empty prefix") += 1;
    let body = json!({"key": b64.encode(prefix), "range_end": b64.encode(&end), "keys_only": true});
    let url = format!("{}/v3/kv/range", f.h.var("PULLTUI_FLEET_ETCD"));
    let out = Command::new("curl")
        .args([
            "-fsS",
            "--max-time",
            "5",
            "-X",
            "POST",
            "-d",
            &body.to_string(),
            &url,
        ])
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "etcd range {prefix}: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("etcd answers JSON");
    v["kvs"]
        .as_array()
        .map(|kvs| {
            kvs.iter()
                .filter_map(|kv| kv["key"].as_str())
                .map(|k| String::from_utf8(b64.decode(k).expect("base64 key")).expect("utf-8 key"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_context_answers_with_its_own_server_and_the_expected_version() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    assert_eq!(
        f.contexts(),
        ["fleet-a", "fleet-b", "fleet-c"],
        "the fleet kubeconfig's contexts"
    );
    let git_version = f.h.var("PULLTUI_K8S_GIT_VERSION");
    let expected_minor = std::env::var("PULLTUI_E2E_EXPECT_K8S")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| f.h.var("PULLTUI_K8S_VERSION").to_string());
    for m in &f.members {
        let v = f
            .client(&m.context)
            .await
            .apiserver_version()
            .await
            .unwrap_or_else(|e| panic!("{}: /version: {e}", m.context));
        assert_eq!(v.git_version, git_version, "{}", m.context);
        assert_eq!(
            format!("{}.{}", v.major, v.minor.trim_end_matches('+')),
            expected_minor,
            "{}: the Kubernetes this run expects",
            m.context
        );
        // The cluster's own env agrees with the fleet's.
        assert_eq!(m.h.var("PULLTUI_API_SERVER"), m.server, "{}", m.context);
        assert_eq!(m.h.var("PULLTUI_K8S_GIT_VERSION"), git_version);
    }
    let mut servers: Vec<_> = f.members.iter().map(|m| m.server.as_str()).collect();
    let mut prefixes: Vec<_> = f.members.iter().map(|m| m.etcd_prefix.as_str()).collect();
    let mut nodes: Vec<_> = f.members.iter().map(|m| m.node.as_str()).collect();
    for v in [&mut servers, &mut prefixes, &mut nodes] {
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), f.members.len(), "one each: {v:?}");
    }
    // Each cluster has a CA of its own: fleet-b's server is not trusted
    // through fleet-a's CA.
    let (a, b) = (&f.members[0].context, &f.members[1].context);
    let crossed = f.client_with_ca_of(b, a).await.apiserver_version().await;
    assert!(crossed.is_err(), "{b} verified with {a}'s CA: {crossed:?}");
    // Each cluster's node is its own, Ready, and the only one there.
    f.require_simulators().await;
    for m in &f.members {
        let names: Vec<_> = Api::<Node>::all(m.h.admin().await)
            .list(&ListParams::default())
            .await
            .expect("listing nodes")
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect();
        assert_eq!(
            names,
            std::slice::from_ref(&m.node),
            "{}: its nodes",
            m.context
        );
    }
}

#[tokio::test]
async fn a_pod_made_in_one_cluster_is_in_no_other() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    let home = &f.members[0];
    let a = home.h.admin().await;
    let ns = home.h.namespace(&a, "fleet-iso").await;
    let image = format!("{}/team/app:1.0", home.h.reg_auth());
    let created = create_pod(&a, &ns.name, failing_pod("lonely", &image)).await;
    let uid = created.metadata.uid.clone().expect("uid");
    // Its own cluster's node runs it (and no other node sees it).
    wait_failing_on(&a, &ns.name, "lonely", &home.node).await;

    for m in &f.members[1..] {
        let c = m.h.admin().await;
        let found = Api::<Namespace>::all(c.clone())
            .get_opt(&ns.name)
            .await
            .expect("reading namespaces");
        assert!(
            found.is_none(),
            "{}: namespace {} exists",
            m.context,
            ns.name
        );
        let pods = Api::<Pod>::all(c)
            .list(&ListParams::default().fields("metadata.name=lonely"))
            .await
            .expect("listing pods");
        assert!(
            pods.items
                .iter()
                .all(|p| p.metadata.uid.as_deref() != Some(uid.as_str())
                    && p.metadata.namespace.as_deref() != Some(ns.name.as_str())),
            "{}: the pod of {} is here",
            m.context,
            home.context
        );
    }
    // In etcd: under its cluster's prefix only.
    let key = |prefix: &str| format!("{prefix}/pods/{}/lonely", ns.name);
    assert_eq!(
        etcd_keys(&f, &key(&home.etcd_prefix)),
        [key(&home.etcd_prefix)]
    );
    for m in &f.members[1..] {
        assert!(
            etcd_keys(&f, &format!("{}/pods/{}/", m.etcd_prefix, ns.name)).is_empty(),
            "{}: pods of {} under its prefix",
            m.context,
            ns.name
        );
    }
    ns.delete().await;
}

#[tokio::test]
async fn the_restricted_context_reads_its_namespace_and_nothing_cluster_wide() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    let m = f.restricted();
    let ns = f.restricted_ns();
    assert_eq!(
        m.context,
        *f.contexts().last().expect("a context"),
        "the last cluster is the restricted one"
    );
    let admin = m.h.admin().await;
    let name = format!("scoped-{}", std::process::id());
    let image = format!("{}/team/app:1.0", m.h.reg_auth());
    create_pod(&admin, ns, failing_pod(&name, &image)).await;
    wait_failing_on(&admin, ns, &name, &m.node).await;

    let r = f.client(&m.context).await;
    assert_eq!(
        r.default_namespace(),
        ns,
        "the restricted context's namespace"
    );
    let pods: Api<Pod> = Api::namespaced(r.clone(), ns);
    let listed = pods
        .list(&ListParams::default())
        .await
        .expect("list pods in its namespace");
    assert!(
        listed
            .items
            .iter()
            .any(|p| p.metadata.name.as_deref() == Some(name.as_str())),
        "the restricted user lists {name} in {ns}"
    );
    pods.get(&name).await.expect("get a pod in its namespace");
    let events = Api::<Event>::namespaced(r.clone(), ns)
        .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
        .await
        .expect("list events in its namespace");
    assert!(
        !events.items.is_empty(),
        "the restricted user reads the pod's events"
    );
    let first = pods
        .watch(&WatchParams::default().timeout(10), "0")
        .await
        .expect("watch pods in its namespace")
        .boxed()
        .try_next()
        .await
        .expect("a watch event");
    assert!(
        matches!(first, Some(WatchEvent::Added(_))),
        "the watch sends the pods: {first:?}"
    );

    forbidden(
        Api::<Pod>::all(r.clone())
            .list(&ListParams::default())
            .await,
        "list pods in all namespaces",
    );
    forbidden(
        Api::<Event>::all(r.clone())
            .list(&ListParams::default())
            .await,
        "list events in all namespaces",
    );
    forbidden(
        Api::<Pod>::namespaced(r.clone(), "default")
            .list(&ListParams::default())
            .await,
        "list pods in another namespace",
    );
    forbidden(
        Api::<Namespace>::all(r.clone())
            .list(&ListParams::default())
            .await,
        "list namespaces",
    );
    forbidden(
        Api::<Node>::all(r.clone())
            .list(&ListParams::default())
            .await,
        "list nodes",
    );
    forbidden(
        Api::<Secret>::namespaced(r.clone(), ns)
            .list(&ListParams::default())
            .await,
        "list secrets in its namespace",
    );
    forbidden(
        pods.create(
            &PostParams::default(),
            &serde_json::from_value(failing_pod("nope", &image)).expect("pod"),
        )
        .await,
        "create a pod in its namespace",
    );
    // The other contexts are admins: they list every namespace.
    for other in f.members.iter().filter(|o| o.context != m.context) {
        Api::<Pod>::all(f.client(&other.context).await)
            .list(&ListParams::default().limit(1))
            .await
            .unwrap_or_else(|e| panic!("{}: list pods in all namespaces: {e}", other.context));
    }
    let _ = Api::<Pod>::namespaced(admin, ns)
        .delete(&name, &DeleteParams::default())
        .await;
}

#[tokio::test]
async fn a_stopped_cluster_refuses_connections_and_comes_back_with_its_objects() {
    let Some(f) = fleet() else { return };
    let _alone = f.exclusive();
    let m = &f.members[1];
    let c = m.h.admin().await;
    let ns = m.h.namespace(&c, "fleet-stop").await;
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "survivor"}, "data": {"kept": "yes"}
    }))
    .expect("configmap");
    let cm = Api::<ConfigMap>::namespaced(c.clone(), &ns.name)
        .create(&PostParams::default(), &cm)
        .await
        .expect("creating the configmap");
    let image = format!("{}/team/app:1.0", m.h.reg_auth());
    create_pod(&c, &ns.name, failing_pod("survivor", &image)).await;
    let pod = wait_failing_on(&c, &ns.name, "survivor", &m.node).await;

    let stopped = f.stop(&m.context);
    assert!(
        m.refuses_connections(),
        "{}: {} still accepts connections",
        m.context,
        m.server
    );
    let down = f.client(&m.context).await.apiserver_version().await;
    assert!(
        down.is_err(),
        "{}: /version while stopped: {down:?}",
        m.context
    );
    // The others do not notice.
    for o in f.members.iter().filter(|o| o.context != m.context) {
        f.client(&o.context)
            .await
            .apiserver_version()
            .await
            .unwrap_or_else(|e| panic!("{} while {} is stopped: {e}", o.context, m.context));
    }
    stopped.start();

    assert!(!m.refuses_connections(), "{}: back", m.context);
    f.client(&m.context)
        .await
        .apiserver_version()
        .await
        .expect("/version after the restart");
    // A new client (the old one's connections went with the server).
    let c = m.h.admin().await;
    let cm2 = Api::<ConfigMap>::namespaced(c.clone(), &ns.name)
        .get("survivor")
        .await
        .expect("the configmap after the restart");
    assert_eq!(cm2.metadata.uid, cm.metadata.uid, "the same object");
    assert_eq!(cm2.data, cm.data);
    let pod2 = Api::<Pod>::namespaced(c.clone(), &ns.name)
        .get("survivor")
        .await
        .expect("the pod after the restart");
    assert_eq!(pod2.metadata.uid, pod.metadata.uid, "the same pod");
    assert_eq!(
        pod2.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some(m.node.as_str())
    );
    // It takes writes again, and its node still drives its pods.
    create_pod(&c, &ns.name, failing_pod("newcomer", &image)).await;
    wait_failing_on(&c, &ns.name, "newcomer", &m.node).await;
    ns.delete().await;
}
