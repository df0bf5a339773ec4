//! Scale generator for the harness: writes N realistic pods into
//! the API server directly — owners (Deployment → ReplicaSet → Pod), labels,
//! node names, and a status written through `pods/status` (healthy pods
//! Running, failing ones in ImagePullBackOff with kubelet's `Failed` event) —
//! so that no simulated kubelet is the bottleneck; then drives an event
//! storm, churn for a soak, and deletes it all.
//!
//! ```text
//! scale --kubeconfig K [--context C] load   --pods N [--failing 0.01] [--per-rs 25] [--concurrency 48]
//! scale --kubeconfig K                storm  --seconds S [--interval 10] [--probes FILE]
//! scale --kubeconfig K                churn  --seconds S [--rate 5]
//! scale --kubeconfig K                delete
//! ```
//!
//! Pods land in namespaces `scale-NN` and on nodes `scale-node-NN` (Node
//! objects created here, never heartbeated): the bench harness runs the
//! controller manager without the replicaset/deployment/nodelifecycle/podgc
//! controllers (`PULLTUI_HARNESS_CONTROLLERS`), so these objects stay as
//! written. Healthy pods are `PodKey`s to pulltui; failing ones are whole.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};
use std::io::Write as _;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    kubeconfig: PathBuf,
    #[arg(long, default_value = "admin")]
    context: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create namespaces, nodes, owners and N pods with their status.
    Load {
        #[arg(long)]
        pods: usize,
        /// Fraction of pods failing to pull (ImagePullBackOff).
        #[arg(long, default_value_t = 0.01)]
        failing: f64,
        /// Pods per ReplicaSet (one Deployment each).
        #[arg(long, default_value_t = 25)]
        per_rs: usize,
        /// Pods per namespace.
        #[arg(long, default_value_t = 2500)]
        per_ns: usize,
        #[arg(long, default_value_t = 48)]
        concurrency: usize,
        /// Skip pods below this index (they were loaded by an earlier run).
        #[arg(long, default_value_t = 0)]
        from: usize,
        /// Namespace prefix (`PREFIX-NN`).
        #[arg(long, default_value = "scale")]
        ns_prefix: String,
    },
    /// Every failing pod gets kubelet's back-off cycle (status flip, `Failed`
    /// and `BackOff` events counted up) each `interval` seconds; every second a
    /// healthy pod enters ImagePullBackOff and an earlier one recovers, each
    /// written to `probes` with the time the API server acknowledged it.
    Storm {
        #[arg(long)]
        seconds: u64,
        #[arg(long, default_value_t = 10)]
        interval: u64,
        #[arg(long)]
        probes: Option<PathBuf>,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// At most this many failing pods take part.
        #[arg(long, default_value_t = 1000)]
        max_pods: usize,
    },
    /// Pods created and deleted continuously in `scale-churn`.
    Churn {
        #[arg(long)]
        seconds: u64,
        /// Creates (and deletes) per second.
        #[arg(long, default_value_t = 5)]
        rate: u64,
    },
    /// Delete every namespace and node this tool made; waits until gone.
    Delete,
}

const NODES: usize = 50;
const CAUSES: [(&str, &str); 4] = [
    (
        "reg{n}.scale.example/team/app:1.{n}",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"reg{n}.scale.example/team/app:1.{n}\": failed to resolve reference \"reg{n}.scale.example/team/app:1.{n}\": failed to do request: Head \"https://reg{n}.scale.example/v2/team/app/manifests/1.{n}\": dial tcp 10.20.0.{n}:443: i/o timeout",
    ),
    (
        "private{n}.scale.example/team/api:2.{n}",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"private{n}.scale.example/team/api:2.{n}\": failed to resolve reference \"private{n}.scale.example/team/api:2.{n}\": pulling from host private{n}.scale.example failed with status code [manifests 2.{n}]: 401 Unauthorized",
    ),
    (
        "docker.io/library/nginx:1.{n}-typo",
        "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.{n}-typo\": failed to resolve reference \"docker.io/library/nginx:1.{n}-typo\": docker.io/library/nginx:1.{n}-typo: not found",
    ),
    (
        "selfsigned{n}.scale.example:5000/team/web:3",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"selfsigned{n}.scale.example:5000/team/web:3\": failed to resolve reference \"selfsigned{n}.scale.example:5000/team/web:3\": failed to do request: Head \"https://selfsigned{n}.scale.example:5000/v2/team/web/manifests/3\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
    ),
];

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Where pod `i` lives, and what it is.
struct Plan {
    ns: String,
    deploy: String,
    rs: String,
    pod: String,
    node: String,
    failing: Option<usize>,
}

struct Layout<'a> {
    prefix: &'a str,
    failing: f64,
    per_rs: usize,
    per_ns: usize,
}

fn plan(i: usize, l: &Layout) -> Plan {
    let (failing, per_rs, per_ns) = (l.failing, l.per_rs, l.per_ns);
    let ns = format!("{}-{:02}", l.prefix, i / per_ns);
    let local = i % per_ns;
    let deploy = format!("svc-{:03}", local / per_rs);
    let rs = format!("{deploy}-5f7c9d{:04x}", (local / per_rs) % 0xffff);
    // A bijection on 20 bits (odd multiplier): unique, hash-like suffixes.
    let pod = format!("{rs}-{:05x}", (i.wrapping_mul(2_654_435_761)) & 0xfffff);
    // Failing pods spread evenly: every k-th pod.
    let every = if failing > 0.0 {
        ((1.0 / failing).round() as usize).max(1)
    } else {
        usize::MAX
    };
    let failing = (i % every == every / 2).then_some((i / every) % CAUSES.len());
    Plan {
        ns,
        deploy,
        rs,
        pod,
        node: format!("scale-node-{:02}", i % NODES),
        failing,
    }
}

fn image_of(cause: usize, i: usize) -> (String, String) {
    let n = (i % 7).to_string();
    let (image, msg) = CAUSES[cause];
    (image.replace("{n}", &n), msg.replace("{n}", &n))
}

fn pod_body(p: &Plan, i: usize, rs_uid: &str) -> Value {
    let image = match p.failing {
        Some(c) => image_of(c, i).0,
        None => format!("registry.scale.example/team/{}:1.{}", p.deploy, i % 3),
    };
    let hash = p.rs.rsplit('-').next().unwrap_or("0");
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": p.pod, "namespace": p.ns,
            "labels": {"app": p.deploy, "pod-template-hash": hash, "tier": "backend",
                       "app.kubernetes.io/part-of": "scale", "scale/index": i.to_string()},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-30T10:00:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": p.rs,
                                 "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "nodeName": p.node,
            "automountServiceAccountToken": false,
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
            ],
            "containers": [{
                "name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "MODE", "value": "production"}, {"name": "PORT", "value": "8080"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
            }]
        }
    })
}

fn status_body(p: &Plan, i: usize, backoff: bool) -> Value {
    let t = "2026-11-30T10:00:00Z";
    let ip = format!("10.{}.{}.{}", 64 + (i >> 16) % 64, (i >> 8) % 256, i % 256);
    let host = format!("192.168.{}.{}", (i % NODES) / 250, (i % NODES) % 250 + 2);
    match p.failing {
        None => json!({"status": {
            "phase": "Running", "hostIP": host, "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": t, "qosClass": "Burstable",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": t},
                {"type": "Ready", "status": "True", "lastTransitionTime": t},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": t},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": t}],
            "containerStatuses": [{"name": "app", "ready": true, "started": true, "restartCount": 0,
                "image": format!("registry.scale.example/team/{}:1.{}", p.deploy, i % 3),
                "imageID": format!("registry.scale.example/team/{}@sha256:{:064x}", p.deploy, i % 3),
                "containerID": format!("containerd://{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15),
                "state": {"running": {"startedAt": t}}}]
        }}),
        Some(c) => {
            let (image, msg) = image_of(c, i);
            let (reason, message) = if backoff {
                (
                    "ImagePullBackOff".to_string(),
                    format!("Back-off pulling image \"{image}\""),
                )
            } else {
                ("ErrImagePull".to_string(), msg)
            };
            json!({"status": {
                "phase": "Pending", "hostIP": host, "podIP": ip, "podIPs": [{"ip": ip}],
                "startTime": t, "qosClass": "Burstable",
                "conditions": [
                    {"type": "Initialized", "status": "True", "lastTransitionTime": t},
                    {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                     "message": "containers with unready status: [app]", "lastTransitionTime": t},
                    {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
                     "message": "containers with unready status: [app]", "lastTransitionTime": t},
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": t}],
                "containerStatuses": [{"name": "app", "ready": false, "started": false,
                    "restartCount": 0, "image": image, "imageID": "",
                    "state": {"waiting": {"reason": reason, "message": message}}}]
            }})
        }
    }
}

fn failed_event(p: &Plan, i: usize, uid: &str, count: u32) -> Option<Value> {
    let c = p.failing?;
    let (image, msg) = image_of(c, i);
    let t = now();
    Some(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{}.failed", p.pod), "namespace": p.ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": p.pod, "namespace": p.ns,
                           "uid": uid, "fieldPath": "spec.containers{app}"},
        "reason": "Failed", "type": "Warning",
        "message": format!("Failed to pull image \"{image}\": {msg}"),
        "source": {"component": "kubelet", "host": p.node},
        "firstTimestamp": "2026-11-30T10:00:00Z", "lastTimestamp": t, "count": count
    }))
}

fn backoff_event(p: &Plan, i: usize, uid: &str, count: u32) -> Option<Value> {
    let c = p.failing?;
    let (image, _) = image_of(c, i);
    Some(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{}.backoff", p.pod), "namespace": p.ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": p.pod, "namespace": p.ns,
                           "uid": uid, "fieldPath": "spec.containers{app}"},
        "reason": "BackOff", "type": "Normal",
        "message": format!("Back-off pulling image \"{image}\""),
        "source": {"component": "kubelet", "host": p.node},
        "firstTimestamp": "2026-11-30T10:00:00Z", "lastTimestamp": now(), "count": count
    }))
}

async fn client(args: &Args) -> anyhow::Result<Client> {
    let kc = Kubeconfig::read_from(&args.kubeconfig)?;
    let opts = KubeConfigOptions {
        context: Some(args.context.clone()),
        ..Default::default()
    };
    let mut cfg = Config::from_custom_kubeconfig(kc, &opts).await?;
    cfg.read_timeout = Some(Duration::from_secs(120));
    Ok(Client::try_from(cfg)?)
}

/// Create, treating "already exists" as done (a load can be resumed).
async fn create<K>(api: &Api<K>, body: Value) -> anyhow::Result<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let obj: K = serde_json::from_value(body)?;
    match api.create(&PostParams::default(), &obj).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Retries transient failures (429, 5xx, timeouts) a few times.
async fn retry<F, Fut, T>(mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut wait = Duration::from_millis(200);
    for attempt in 0.. {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < 8 => {
                tracing_log(&format!("retrying: {e:#}"));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!()
}

fn tracing_log(s: &str) {
    eprintln!("scale: {s}");
}

async fn load(
    c: &Client,
    pods: usize,
    from: usize,
    l: &Layout<'_>,
    conc: usize,
) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let (per_ns, per_rs) = (l.per_ns, l.per_rs);
    let nss = pods.div_ceil(per_ns);
    let nodes: Api<Node> = Api::all(c.clone());
    stream::iter(0..NODES)
        .map(|n| {
            let nodes = nodes.clone();
            async move {
                create(&nodes, json!({"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": format!("scale-node-{n:02}"),
                                 "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                                            "scale": "true"}}}))
                .await
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    let namespaces: Api<Namespace> = Api::all(c.clone());
    for n in from / per_ns..nss {
        let ns = format!("{}-{n:02}", l.prefix);
        create(
            &namespaces,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
                    "labels": {"scale": "true"}}}),
        )
        .await?;
    }
    // Owners: one Deployment and its ReplicaSet per `per_rs` pods.
    let mut owners = Vec::new();
    let mut i = from - from % per_rs.min(per_ns);
    while i < pods {
        let p = plan(i, l);
        owners.push((p.ns, p.deploy, p.rs, (per_rs).min(pods - i)));
        i += per_rs.min(per_ns - (i % per_ns));
    }
    let uids: Vec<(String, String, String)> = stream::iter(owners)
        .map(|(ns, deploy, rs, replicas)| {
            let c = c.clone();
            async move {
                retry(|| {
                    let (c, ns, deploy, rs) = (c.clone(), ns.clone(), deploy.clone(), rs.clone());
                    async move {
                        let deps: Api<Deployment> = Api::namespaced(c.clone(), &ns);
                        let labels = json!({"app": deploy});
                        let tmpl = json!({"metadata": {"labels": labels},
                            "spec": {"containers": [{"name": "app",
                                "image": format!("registry.scale.example/team/{deploy}:1.0")}]}});
                        create(&deps, json!({"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": deploy, "namespace": ns, "labels": labels},
                            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                     "template": tmpl}}))
                        .await?;
                        let d = deps.get(&deploy).await?;
                        let duid = d.metadata.uid.unwrap_or_default();
                        let rss: Api<ReplicaSet> = Api::namespaced(c.clone(), &ns);
                        let hash = rs.rsplit('-').next().unwrap_or("0").to_string();
                        let rlabels = json!({"app": deploy, "pod-template-hash": hash});
                        create(&rss, json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "metadata": {"name": rs, "namespace": ns, "labels": rlabels,
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                    "name": deploy, "uid": duid, "controller": true,
                                    "blockOwnerDeletion": true}]},
                            "spec": {"replicas": replicas, "selector": {"matchLabels": rlabels},
                                     "template": {"metadata": {"labels": rlabels},
                                        "spec": {"containers": [{"name": "app",
                                            "image": format!("registry.scale.example/team/{deploy}:1.0")}]}}}}))
                        .await?;
                        let r = rss.get(&rs).await?;
                        Ok((ns, rs, r.metadata.uid.unwrap_or_default()))
                    }
                })
                .await
            }
        })
        .buffer_unordered(conc)
        .try_collect()
        .await?;
    let uids: std::collections::HashMap<(String, String), String> = uids
        .into_iter()
        .map(|(ns, rs, uid)| ((ns, rs), uid))
        .collect();
    let uids = Arc::new(uids);
    eprintln!(
        "scale: {} namespaces, {} owners in {:.1}s",
        nss,
        uids.len(),
        t0.elapsed().as_secs_f64()
    );
    let done = Arc::new(AtomicUsize::new(0));
    stream::iter(from..pods)
        .map(|i| {
            let (c, uids, done) = (c.clone(), uids.clone(), done.clone());
            async move {
                let p = plan(i, l);
                let rs_uid = uids
                    .get(&(p.ns.clone(), p.rs.clone()))
                    .cloned()
                    .unwrap_or_default();
                let api: Api<Pod> = Api::namespaced(c.clone(), &p.ns);
                retry(|| create(&api, pod_body(&p, i, &rs_uid))).await?;
                let st = status_body(&p, i, true);
                let pod = retry(|| async {
                    Ok(api
                        .patch_status(&p.pod, &PatchParams::default(), &Patch::Merge(&st))
                        .await?)
                })
                .await?;
                let uid = pod.metadata.uid.unwrap_or_default();
                if let Some(ev) = failed_event(&p, i, &uid, 5) {
                    let events: Api<Event> = Api::namespaced(c.clone(), &p.ns);
                    retry(|| create(&events, ev.clone())).await?;
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 5000 == 0 {
                    eprintln!("scale: {n} pods");
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    eprintln!(
        "scale: loaded pods {from}..{pods} ({} failing) in {:.1}s",
        (from..pods)
            .filter(|&i| plan(i, l).failing.is_some())
            .count(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Failing pods (by their ImagePullBackOff/ErrImagePull status) of the scale namespaces.
async fn scale_pods(c: &Client) -> anyhow::Result<Vec<Pod>> {
    let api: Api<Pod> = Api::all(c.clone());
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await?;
        out.extend(page.items.into_iter().filter(|p| {
            p.metadata
                .namespace
                .as_deref()
                .is_some_and(|n| n.starts_with("scale-"))
        }));
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

fn waiting(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.state.as_ref().is_some_and(|s| s.waiting.is_some()))
        })
}

async fn storm(
    c: &Client,
    seconds: u64,
    interval: u64,
    probes: Option<PathBuf>,
    conc: usize,
    max_pods: usize,
) -> anyhow::Result<()> {
    let all = scale_pods(c).await?;
    let failing: Vec<Pod> = all
        .iter()
        .filter(|p| waiting(p))
        .take(max_pods)
        .cloned()
        .collect();
    let healthy: Vec<Pod> = all.iter().filter(|p| !waiting(p)).cloned().collect();
    drop(all);
    anyhow::ensure!(!failing.is_empty(), "no failing scale pods: run load first");
    eprintln!(
        "scale: storm over {} failing pods for {seconds}s ({} healthy for probes)",
        failing.len(),
        healthy.len()
    );
    let mut out = match &probes {
        Some(p) => Some(std::fs::File::create(p)?),
        None => None,
    };
    let end = Instant::now() + Duration::from_secs(seconds);
    let interval = Duration::from_secs(interval.max(1));
    let failing = Arc::new(failing);
    // The storm: each failing pod once per interval, spread evenly.
    let storm = {
        let (c, failing) = (c.clone(), failing.clone());
        async move {
            let n = failing.len();
            let mut round = 0u32;
            let writes = Arc::new(AtomicUsize::new(0));
            while Instant::now() < end {
                let start = Instant::now();
                let slot = interval / (n as u32).max(1);
                let backoff = round % 2 == 1;
                let c2 = c.clone();
                let w = writes.clone();
                stream::iter(failing.iter().enumerate())
                    .map(|(k, p)| {
                        let (c, w) = (c2.clone(), w.clone());
                        async move {
                            tokio::time::sleep_until((start + slot * k as u32).into()).await;
                            let ns = p.metadata.namespace.clone().unwrap_or_default();
                            let name = p.metadata.name.clone().unwrap_or_default();
                            let uid = p.metadata.uid.clone().unwrap_or_default();
                            let i = index_of(p);
                            let plan = Plan {
                                ns: ns.clone(),
                                deploy: name.split('-').next().unwrap_or("svc").to_string(),
                                rs: String::new(),
                                pod: name.clone(),
                                node: p
                                    .spec
                                    .as_ref()
                                    .and_then(|s| s.node_name.clone())
                                    .unwrap_or_default(),
                                failing: Some(cause_of(p)),
                            };
                            let pods: Api<Pod> = Api::namespaced(c.clone(), &ns);
                            let events: Api<Event> = Api::namespaced(c.clone(), &ns);
                            let count = 6 + round;
                            let st = status_body(&plan, i, backoff);
                            let _ = pods
                                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&st))
                                .await;
                            for ev in [
                                failed_event(&plan, i, &uid, count),
                                backoff_event(&plan, i, &uid, count),
                            ]
                            .into_iter()
                            .flatten()
                            {
                                let evname = ev["metadata"]["name"].as_str().unwrap_or("").to_string();
                                let patch = json!({"count": count, "lastTimestamp": ev["lastTimestamp"],
                                                   "message": ev["message"]});
                                if events
                                    .patch(&evname, &PatchParams::default(), &Patch::Merge(&patch))
                                    .await
                                    .is_err()
                                {
                                    let _ = create(&events, ev).await;
                                }
                            }
                            w.fetch_add(3, Ordering::Relaxed);
                        }
                    })
                    .buffer_unordered(conc)
                    .collect::<Vec<_>>()
                    .await;
                round += 1;
                tokio::time::sleep_until((start + interval).into()).await;
            }
            writes.load(Ordering::Relaxed)
        }
    };
    // Probes: every second one healthy pod enters back-off; it recovers 3 s later.
    let probes = async {
        let mut k = 0usize;
        let mut entered: std::collections::VecDeque<(Pod, Instant)> = Default::default();
        while Instant::now() < end {
            let tick = Instant::now();
            if let Some(p) = healthy.get(k * 97 % healthy.len().max(1)) {
                k += 1;
                let ns = p.metadata.namespace.clone().unwrap_or_default();
                let name = p.metadata.name.clone().unwrap_or_default();
                let api: Api<Pod> = Api::namespaced(c.clone(), &ns);
                let image = p
                    .spec
                    .as_ref()
                    .and_then(|s| s.containers.first())
                    .map(|c| c.image.clone().unwrap_or_default())
                    .unwrap_or_default();
                // The write's start: a console may draw the change before the
                // writer hears the server's answer.
                let sent = unix_ms() as u64;
                let st = json!({"status": {"phase": "Pending", "containerStatuses": [{"name": "app",
                "ready": false, "started": false, "restartCount": 0, "image": image, "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": format!("Back-off pulling image \"{image}\"")}}}]}});
                if api
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&st))
                    .await
                    .is_ok()
                    && let Some(f) = &mut out
                {
                    let line = json!({"sent_ms": sent, "t_ms": unix_ms() as u64, "pod": format!("{ns}/{name}"), "kind": "enter"});
                    writeln!(f, "{line}")?;
                }
                entered.push_back((p.clone(), Instant::now()));
            }
            while let Some((p, at)) = entered.front()
                && at.elapsed() >= Duration::from_secs(3)
            {
                let ns = p.metadata.namespace.clone().unwrap_or_default();
                let name = p.metadata.name.clone().unwrap_or_default();
                let api: Api<Pod> = Api::namespaced(c.clone(), &ns);
                let sent = unix_ms() as u64;
                let st = json!({"status": {"phase": "Running",
                "containerStatuses": p.status.as_ref().and_then(|s| s.container_statuses.clone())}});
                if api
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&st))
                    .await
                    .is_ok()
                    && let Some(f) = &mut out
                {
                    let line = json!({"sent_ms": sent, "t_ms": unix_ms() as u64, "pod": format!("{ns}/{name}"), "kind": "recover"});
                    writeln!(f, "{line}")?;
                }
                entered.pop_front();
            }
            tokio::time::sleep_until((tick + Duration::from_secs(1)).into()).await;
        }
        // Leave nothing in back-off that was healthy.
        for (p, _) in entered {
            let ns = p.metadata.namespace.clone().unwrap_or_default();
            let name = p.metadata.name.clone().unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(c.clone(), &ns);
            let st = json!({"status": {"phase": "Running",
            "containerStatuses": p.status.as_ref().and_then(|s| s.container_statuses.clone())}});
            let _ = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&st))
                .await;
        }
        anyhow::Ok(())
    };
    let (writes, probed) = tokio::join!(storm, probes);
    probed?;
    eprintln!("scale: storm done, {writes} writes");
    Ok(())
}

fn index_of(p: &Pod) -> usize {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("scale/index"))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0)
}

fn cause_of(p: &Pod) -> usize {
    let image = p
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.as_deref())
        .unwrap_or("");
    CAUSES
        .iter()
        .position(|(i, _)| {
            let head = i.split("{n}").next().unwrap_or("");
            image.starts_with(head)
        })
        .unwrap_or(0)
}

async fn churn(c: &Client, seconds: u64, rate: u64) -> anyhow::Result<()> {
    let namespaces: Api<Namespace> = Api::all(c.clone());
    create(
        &namespaces,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scale-churn",
                "labels": {"scale": "true"}}}),
    )
    .await?;
    let api: Api<Pod> = Api::namespaced(c.clone(), "scale-churn");
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut live: std::collections::VecDeque<String> = Default::default();
    let mut n = 0usize;
    let (mut created, mut deleted) = (0usize, 0usize);
    let every = Duration::from_millis(1000 / rate.max(1));
    while Instant::now() < end {
        let tick = Instant::now();
        let name = format!("churn-{n:07}");
        let p = Plan {
            ns: "scale-churn".into(),
            deploy: "churn".into(),
            rs: "churn-0".into(),
            pod: name.clone(),
            node: format!("scale-node-{:02}", n % NODES),
            // One in ten churned pods fails to pull, then goes away.
            failing: n.is_multiple_of(10).then_some(n % CAUSES.len()),
        };
        let mut body = pod_body(&p, n, "");
        if let Some(m) = body["metadata"].as_object_mut() {
            m.remove("ownerReferences");
        }
        if create(&api, body).await.is_ok() {
            let _ = api
                .patch_status(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(&status_body(&p, n, true)),
                )
                .await;
            created += 1;
            live.push_back(name);
        }
        n += 1;
        if live.len() > 200
            && let Some(old) = live.pop_front()
            && api
                .delete(&old, &DeleteParams::default().grace_period(0))
                .await
                .is_ok()
        {
            deleted += 1;
        }
        tokio::time::sleep_until((tick + every).into()).await;
    }
    eprintln!("scale: churn done, {created} created, {deleted} deleted");
    Ok(())
}

async fn delete(c: &Client) -> anyhow::Result<()> {
    let namespaces: Api<Namespace> = Api::all(c.clone());
    let lp = ListParams::default().labels("scale=true");
    for ns in namespaces.list(&lp).await? {
        let name = ns.metadata.name.unwrap_or_default();
        // Pods first, in one request per namespace: faster than the
        // namespace controller's own sweep.
        let pods: Api<Pod> = Api::namespaced(c.clone(), &name);
        let _ = pods
            .delete_collection(
                &DeleteParams::default().grace_period(0),
                &ListParams::default(),
            )
            .await;
        let _ = namespaces.delete(&name, &DeleteParams::default()).await;
    }
    let nodes: Api<Node> = Api::all(c.clone());
    let _ = nodes.delete_collection(&DeleteParams::default(), &lp).await;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(600) {
        if namespaces.list(&lp).await?.items.is_empty() {
            eprintln!("scale: deleted in {:.1}s", t0.elapsed().as_secs_f64());
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    anyhow::bail!("scale namespaces still terminating after 600 s")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let c = client(&args).await.context("kubeconfig")?;
    match args.cmd {
        Cmd::Load {
            pods,
            failing,
            per_rs,
            per_ns,
            concurrency,
            from,
            ns_prefix,
        } => {
            let l = Layout {
                prefix: &ns_prefix,
                failing,
                per_rs: per_rs.max(1),
                per_ns: per_ns.max(1),
            };
            load(&c, pods, from.min(pods), &l, concurrency).await
        }
        Cmd::Storm {
            seconds,
            interval,
            probes,
            concurrency,
            max_pods,
        } => storm(&c, seconds, interval, probes, concurrency, max_pods).await,
        Cmd::Churn { seconds, rate } => churn(&c, seconds, rate).await,
        Cmd::Delete => delete(&c).await,
    }
}
