//! A hostile tenant on a shared cluster: a ServiceAccount that
//! may create pods and events in its own namespace only. What it creates
//! must neither decide another pod's cause nor steer a write.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use support::tenant::{Tenant, tenant};
use support::workload::{W, failing_pod};
use support::{Harness, Run};

/// `pulltui ARGS` on the harness, writing under `data`.
fn pulltui(h: &Harness, data: &std::path::Path, args: &[&str]) -> Run {
    h.pulltui().dir(data).args(args).run()
}

/// `check --json` categories of the pods of `ns` (pod name -> category).
fn categories(
    h: &Harness,
    data: &std::path::Path,
    args: &[&str],
    ns: &str,
) -> Vec<(String, String)> {
    let v = pulltui(h, data, &[&["check", "--json"], args].concat()).json();
    v["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["namespace"] == ns)
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["category"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A `Failed` event as kubelet writes one, with an x509 cause, a
/// `lastTimestamp` in 2099 and `eventTime` set (which lets its
/// `involvedObject` name a pod of another namespace).
fn forged(name: &str, ns: &str, pod_ns: &str, pod: &str, uid: Option<&str>, image: &str) -> Event {
    let now = jiff::Timestamp::now();
    let mut involved = json!({"kind": "Pod", "apiVersion": "v1", "namespace": pod_ns, "name": pod,
        "fieldPath": "spec.containers{app}"});
    if let Some(u) = uid {
        involved["uid"] = json!(u);
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": involved,
        "reason": "Failed", "type": "Warning", "action": "Pull",
        "reportingComponent": "kubelet", "reportingInstance": "sim-node",
        "source": {"component": "kubelet", "host": "sim-node"},
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z").to_string(),
        "firstTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "lastTimestamp": "2099-01-01T00:00:00Z",
        "count": 3,
        "message": format!("Failed to pull image \"{image}\": failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": failed to do request: Head \"https://x/v2/team/app/manifests/1.0\": tls: failed to verify certificate: x509: certificate signed by unknown authority"),
    }))
    .expect("event")
}

async fn setup(prefix: &str) -> Option<(Harness, kube::Client, Tenant)> {
    let h = support::harness()?;
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let t = tenant(&h, &admin, prefix).await;
    Some((h, admin, t))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_created_in_another_namespace_never_decide_a_pods_cause() {
    let Some((h, admin, t)) = setup("tenant-ev").await else {
        return;
    };
    let victim = h.namespace(&admin, "victim").await;
    let image = format!("{}/team/app:1.0", h.reg_auth());
    W::new("Deployment", "web", image.clone())
        .create(&admin, &victim.name)
        .await;
    let pod = failing_pod(&admin, &victim.name, "web").await;
    let pods: Api<Pod> = Api::namespaced(admin.clone(), &victim.name);
    let uid = pods.get(&pod).await.expect("pod").metadata.uid;
    // The tenant aims an x509 event at the victim's pod, uid and all.
    let events: Api<Event> = Api::namespaced(t.client.clone(), &t.ns.name);
    events
        .create(
            &PostParams::default(),
            &forged(
                "forged-1",
                &t.ns.name,
                &victim.name,
                &pod,
                uid.as_deref(),
                &image,
            ),
        )
        .await
        .expect("the API server accepts an event naming another namespace's pod");
    let data = tempfile::tempdir().expect("tempdir");
    // Let the real cause be kept first, then read it: every path agrees.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for args in [vec!["-n", victim.name.as_str()], vec!["-A"]] {
        let got = categories(&h, data.path(), &args, &victim.name);
        assert_eq!(
            got,
            vec![(pod.clone(), "auth.no-credentials".to_string())],
            "check {args:?}"
        );
    }
    // A snapshot keeps the pod's own events only, and its replay agrees.
    let file = data.path().join("s.json");
    let r = pulltui(
        &h,
        data.path(),
        &["snapshot", "-o", file.to_str().expect("path"), "-A"],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let text = std::fs::read_to_string(&file).expect("snapshot");
    assert!(
        !text.contains("forged-1"),
        "the forged event is in the snapshot"
    );
    let r = pulltui(
        &h,
        data.path(),
        &["check", "--json", "--replay", file.to_str().expect("path")],
    );
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("replay check json");
    let replayed: Vec<_> = v["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["namespace"] == victim.name.as_str())
        .map(|p| p["category"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(replayed, vec!["auth.no-credentials".to_string()]);
    victim.delete().await;
    t.ns.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_without_the_pods_uid_or_from_the_future_does_not_win() {
    let Some((h, _admin, t)) = setup("tenant-own").await else {
        return;
    };
    // The tenant's own failing pod, and events about it in its namespace:
    // one with no uid (an earlier pod of that name), one dated 2099.
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let pods: Api<Pod> = Api::namespaced(t.client.clone(), &t.ns.name);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "own", "labels": {"app": "own"}},
        "spec": {"containers": [{"name": "app", "image": image}], "terminationGracePeriodSeconds": 1}
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("tenant creates a pod");
    let name = failing_pod(&t.client, &t.ns.name, "own").await;
    let uid = pods.get(&name).await.expect("pod").metadata.uid;
    let events: Api<Event> = Api::namespaced(t.client.clone(), &t.ns.name);
    events
        .create(
            &PostParams::default(),
            &forged("no-uid", &t.ns.name, &t.ns.name, &name, None, &image),
        )
        .await
        .expect("event without uid");
    let data = tempfile::tempdir().expect("tempdir");
    let got = categories(&h, data.path(), &["-n", &t.ns.name], &t.ns.name);
    assert_eq!(got, vec![(name.clone(), "auth.no-credentials".to_string())]);
    // With the pod's uid, dated 2099: read as "now", so kubelet's next
    // real event (back-off ≤ 10 s here) wins again.
    events
        .create(
            &PostParams::default(),
            &forged(
                "future",
                &t.ns.name,
                &t.ns.name,
                &name,
                uid.as_deref(),
                &image,
            ),
        )
        .await
        .expect("event from the future");
    let start = std::time::Instant::now();
    loop {
        let got = categories(&h, data.path(), &["-n", &t.ns.name], &t.ns.name);
        if got == vec![(name.clone(), "auth.no-credentials".to_string())] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the 2099 event still decides: {got:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    t.ns.delete().await;
}
