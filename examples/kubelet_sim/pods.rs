//! Pods on the simulated node: binding (we are the scheduler too), one worker
//! per pod that "pulls" each image by really resolving it against its
//! registry, writes the pod status and kubelet's events, retries with
//! back-off, and finalises graceful deletions. Driven by a pod watch.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use kube::runtime::{WatchStreamExt as _, watcher};
use tokio::sync::watch;

use super::events::Recorder;
use super::kubelet::Flavor;
use super::registry::Registry;
use super::status::write_status;
use super::sync::{back_off, sync};

pub const ANN_SKIP_VERIFY: &str = "eks.tke.cloud.tencent.com/registry-insecure-skip-verify";
pub const ANN_HTTP: &str = "eks.tke.cloud.tencent.com/registry-http-endpoint";

pub struct Ctx {
    /// The node's own identity (Node authorizer, NodeRestriction).
    pub client: kube::Client,
    /// The scheduler's identity, for binding pods to this node.
    pub scheduler: kube::Client,
    /// Bind pods that name no node (the cluster's default node); otherwise
    /// only pods whose `kubernetes.io/hostname` node selector names this one.
    pub bind_unselected: bool,
    pub flavor: Flavor,
    pub node: String,
    pub registry: Registry,
    pub events: Recorder,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// The simulated node's files (resolv.conf, CA roots) for probe pods.
    pub node_root: Option<std::path::PathBuf>,
    /// The node's images, when it keeps them (`--keep-images`).
    pub images: Option<super::images::Store>,
}

/// Run the node: as the scheduler, watch unscheduled pods and bind those
/// meant for this node; as the kubelet, watch the pods bound to it (the
/// Node authorizer lets a node list only those) and run a worker per pod.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<()> {
    let sched = ctx.clone();
    tokio::spawn(async move { schedule(sched).await });
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let mut workers: HashMap<String, watch::Sender<Pod>> = HashMap::new();
    let cfg = watcher::Config::default().fields(&format!("spec.nodeName={}", ctx.node));
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!("pod watch: {e}");
                continue;
            }
        };
        match ev {
            watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
                on_pod(&ctx, &mut workers, pod);
            }
            watcher::Event::Delete(pod) => {
                if let Some(uid) = pod.metadata.uid.as_deref()
                    && workers.remove(uid).is_some()
                {
                    tracing::info!("pod {} gone", key(&pod));
                    let ctx = ctx.clone();
                    let uid = uid.to_string();
                    tokio::spawn(async move { ctx.events.forget(&uid).await });
                }
            }
            watcher::Event::Init | watcher::Event::InitDone => {}
        }
        workers.retain(|_, tx| !tx.is_closed());
    }
    anyhow::bail!("pod watch ended")
}

/// The scheduler's part: pods with no node yet.
async fn schedule(ctx: Arc<Ctx>) {
    let api: Api<Pod> = Api::all(ctx.scheduler.clone());
    let cfg = watcher::Config::default().fields("spec.nodeName=");
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    let mut none = HashMap::new();
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                on_pod(&ctx, &mut none, pod);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("unscheduled pod watch: {e}"),
        }
    }
}

pub fn key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

fn on_pod(ctx: &Arc<Ctx>, workers: &mut HashMap<String, watch::Sender<Pod>>, pod: Pod) {
    let Some(uid) = pod.metadata.uid.clone() else {
        return;
    };
    let spec = pod.spec.as_ref();
    let node_name = spec.and_then(|s| s.node_name.as_deref());
    let deleting = pod.metadata.deletion_timestamp.is_some();
    match node_name {
        None if !deleting => {
            let scheduler = spec
                .and_then(|s| s.scheduler_name.as_deref())
                .unwrap_or("default-scheduler");
            let wanted = spec
                .and_then(|s| s.node_selector.as_ref())
                .and_then(|sel| sel.get("kubernetes.io/hostname"));
            let ours = match wanted {
                Some(n) => *n == ctx.node,
                None => ctx.bind_unselected,
            };
            if scheduler == "default-scheduler" && ours {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    if let Err(e) = bind(&ctx, &pod).await {
                        tracing::warn!("binding {}: {e:#}", key(&pod));
                    }
                });
            }
        }
        Some(n) if n == ctx.node => {
            if deleting {
                // kubelet: containers killed, now remove the pod for good.
                if let Some(tx) = workers.remove(&uid) {
                    drop(tx);
                }
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    if let Err(e) = finalize_delete(&ctx, &pod).await {
                        tracing::warn!("deleting {}: {e:#}", key(&pod));
                    }
                });
                return;
            }
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if matches!(phase, Some("Succeeded") | Some("Failed")) {
                return;
            }
            match workers.get(&uid) {
                Some(tx) => {
                    let _ = tx.send(pod);
                }
                None => {
                    let (tx, rx) = watch::channel(pod);
                    workers.insert(uid, tx);
                    let ctx = ctx.clone();
                    tokio::spawn(async move { worker(ctx, rx).await });
                }
            }
        }
        _ => {}
    }
}

async fn bind(ctx: &Ctx, pod: &Pod) -> anyhow::Result<()> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().context("pod without name")?;
    let api: Api<Pod> = Api::namespaced(ctx.scheduler.clone(), ns);
    let binding = serde_json::json!({
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": name, "namespace": ns, "uid": pod.metadata.uid},
        "target": {"apiVersion": "v1", "kind": "Node", "name": ctx.node},
    });
    match api
        .create_subresource::<_, serde_json::Value>(
            "binding",
            name,
            &PostParams::default(),
            &binding,
        )
        .await
    {
        Ok(_) => {
            tracing::info!("bound {ns}/{name} to {}", ctx.node);
            Ok(())
        }
        // Already bound, or gone meanwhile.
        Err(kube::Error::Api(e)) if e.code == 409 || e.code == 404 => Ok(()),
        Err(e) => Err(e).context("creating binding"),
    }
}

async fn finalize_delete(ctx: &Ctx, pod: &Pod) -> anyhow::Result<()> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().context("pod without name")?;
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    let dp = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(name, &dp).await {
        Ok(_) => {
            tracing::info!("removed {ns}/{name}");
            Ok(())
        }
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
        Err(e) => Err(e).context("deleting pod"),
    }
}

// --------------------------------------------------------------- worker ----

enum Wake {
    Timeout,
    Changed,
    Closed,
}

/// Inputs that decide a pull: a change means "look again now".
fn fingerprint(pod: &Pod) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Some(spec) = &pod.spec {
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
        {
            (&c.name, &c.image, &c.image_pull_policy).hash(&mut h);
        }
        for c in spec.ephemeral_containers.iter().flatten() {
            (&c.name, &c.image, &c.image_pull_policy).hash(&mut h);
        }
        for v in spec.volumes.iter().flatten() {
            if let Some(i) = &v.image {
                (&v.name, &i.reference, &i.pull_policy).hash(&mut h);
            }
        }
        for s in spec.image_pull_secrets.iter().flatten() {
            s.name.hash(&mut h);
        }
        spec.runtime_class_name.hash(&mut h);
    }
    if let Some(a) = &pod.metadata.annotations {
        a.get(ANN_SKIP_VERIFY).hash(&mut h);
        a.get(ANN_HTTP).hash(&mut h);
    }
    h.finish()
}

async fn wait(rx: &mut watch::Receiver<Pod>, d: Duration, fp: u64) -> Wake {
    let deadline = tokio::time::Instant::now() + d;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Wake::Timeout,
            r = rx.changed() => {
                if r.is_err() {
                    return Wake::Closed;
                }
                if fingerprint(&rx.borrow_and_update()) != fp {
                    return Wake::Changed;
                }
            }
        }
    }
}

async fn worker(ctx: Arc<Ctx>, mut rx: watch::Receiver<Pod>) {
    let mut backoff = ctx.backoff_initial;
    loop {
        let pod = rx.borrow_and_update().clone();
        let fp = fingerprint(&pod);
        let synced = match sync(&ctx, &pod).await {
            Ok(outcome) => write_status(&ctx, &pod, &outcome, false)
                .await
                .map(|()| outcome),
            Err(e) => Err(e),
        };
        let outcome = match synced {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("sync {}: {e:#}", key(&pod));
                match wait(&mut rx, backoff, fp).await {
                    Wake::Closed => return,
                    _ => continue,
                }
            }
        };
        let all_ok = outcome.all_ok();
        if all_ok && super::exec::runs_command(&pod) {
            // pulltui's probe pod: run its command as the node would, then
            // it terminates (restartPolicy Never).
            if let Err(e) =
                super::exec::run(&ctx.client, ctx.node_root.as_deref(), &pod, &mut rx).await
            {
                tracing::warn!("running probe pod {}: {e:#}", key(&pod));
            }
            return;
        }
        if all_ok {
            // Running: nothing to do until the spec changes.
            backoff = ctx.backoff_initial;
            loop {
                match wait(&mut rx, Duration::from_secs(3600), fp).await {
                    Wake::Closed => return,
                    Wake::Changed => break,
                    Wake::Timeout => {}
                }
            }
            continue;
        }
        // Next sync, still inside the back-off window: ImagePullBackOff.
        match wait(&mut rx, Duration::from_millis(1000), fp).await {
            Wake::Closed => return,
            Wake::Changed => {
                backoff = ctx.backoff_initial;
                continue;
            }
            Wake::Timeout => {}
        }
        let latest = rx.borrow().clone();
        if !outcome.sandbox_failed {
            back_off(&ctx, &latest, &outcome).await;
            if let Err(e) = write_status(&ctx, &latest, &outcome, true).await {
                tracing::warn!("back-off {}: {e:#}", key(&latest));
            }
        }
        match wait(&mut rx, backoff, fp).await {
            Wake::Closed => return,
            Wake::Changed => backoff = ctx.backoff_initial,
            Wake::Timeout => backoff = (backoff * 2).min(ctx.backoff_max),
        }
    }
}
