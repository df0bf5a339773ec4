//! Pods on the simulated node: binding (we are the scheduler too), one worker
//! per pod that "pulls" each image by really resolving it against its
//! registry, writes the pod status and kubelet's events, retries with
//! back-off, and finalises graceful deletions. Driven by a pod watch.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::{WatchStreamExt as _, watcher};
use sha2::Digest as _;
use tokio::sync::watch;

use super::creds::matching_credentials;
use super::events::Recorder;
use super::node::NODE_IP;
use super::reference::{ImageRef, parse_normalized};
use super::registry::{Credential, HostPolicy, PullError, Registry};

pub const ANN_SKIP_VERIFY: &str = "eks.tke.cloud.tencent.com/registry-insecure-skip-verify";
pub const ANN_HTTP: &str = "eks.tke.cloud.tencent.com/registry-http-endpoint";

pub struct Ctx {
    pub client: kube::Client,
    pub node: String,
    pub registry: Registry,
    pub events: Recorder,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// The simulated node's files (resolv.conf, CA roots) for probe pods.
    pub node_root: Option<std::path::PathBuf>,
}

/// Watch all pods; bind unscheduled ones, run a worker per pod on our node.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<()> {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let mut workers: HashMap<String, watch::Sender<Pod>> = HashMap::new();
    let mut stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
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

fn key(pod: &Pod) -> String {
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
            if scheduler == "default-scheduler" {
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
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
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

/// What happened to one container's image on the last sync.
#[derive(Clone, Debug)]
enum PullResult {
    Ok { image_id: String },
    Failed(String),
    Invalid(String),
    NeverPull(String),
}

#[derive(Clone, Debug)]
struct ContainerResult {
    name: String,
    image: String,
    init: bool,
    result: PullResult,
}

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
        for s in spec.image_pull_secrets.iter().flatten() {
            s.name.hash(&mut h);
        }
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
        let results = match sync(&ctx, &pod).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("sync {}: {e:#}", key(&pod));
                match wait(&mut rx, backoff, fp).await {
                    Wake::Closed => return,
                    _ => continue,
                }
            }
        };
        let all_ok = results
            .iter()
            .all(|r| matches!(r.result, PullResult::Ok { .. }));
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
        if let Err(e) = back_off(&ctx, &latest, &results).await {
            tracing::warn!("back-off {}: {e:#}", key(&latest));
        }
        match wait(&mut rx, backoff, fp).await {
            Wake::Closed => return,
            Wake::Changed => backoff = ctx.backoff_initial,
            Wake::Timeout => backoff = (backoff * 2).min(ctx.backoff_max),
        }
    }
}

fn host_policy(pod: &Pod, image: &ImageRef) -> HostPolicy {
    let listed = |key: &str| {
        pod.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(|v| {
                v.split(',').map(str::trim).any(|h| {
                    h == "all"
                        || h.eq_ignore_ascii_case(&image.domain)
                        || h.eq_ignore_ascii_case(image.api_host())
                        || image
                            .domain
                            .rsplit_once(':')
                            .is_some_and(|(host, _)| h.eq_ignore_ascii_case(host))
                })
            })
            .unwrap_or(false)
    };
    HostPolicy {
        plain_http: listed(ANN_HTTP),
        skip_verify: listed(ANN_SKIP_VERIFY),
    }
}

/// One kubelet sync: pull secrets, then each container's image.
async fn sync(ctx: &Ctx, pod: &Pod) -> anyhow::Result<Vec<ContainerResult>> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let spec = pod.spec.as_ref().context("pod without spec")?;
    // Pull secrets, like kubelet's getPullSecretsForPod.
    let secrets_api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let mut secrets = vec![];
    let mut missing = vec![];
    for r in spec.image_pull_secrets.iter().flatten() {
        if r.name.is_empty() {
            continue;
        }
        match secrets_api.get_opt(&r.name).await {
            Ok(Some(s)) => secrets.push(s),
            Ok(None) => missing.push(r.name.clone()),
            Err(e) => {
                tracing::warn!("reading secret {ns}/{}: {e}", r.name);
                missing.push(r.name.clone());
            }
        }
    }
    if !missing.is_empty() {
        let msg = format!(
            "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
            missing.join(", ")
        );
        record(
            ctx,
            pod,
            None,
            "Warning",
            "FailedToRetrieveImagePullSecret",
            &msg,
        )
        .await;
    }
    let mut results = vec![];
    let inits = spec.init_containers.iter().flatten().map(|c| (c, true));
    let mains = spec.containers.iter().map(|c| (c, false));
    let mut init_failed = false;
    for (c, init) in inits.chain(mains) {
        if !init && init_failed {
            // Regular containers wait for init containers (PodInitializing).
            continue;
        }
        let result = pull(ctx, pod, c, &secrets).await;
        if init && !matches!(result, PullResult::Ok { .. }) {
            init_failed = true;
        }
        results.push(ContainerResult {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            init,
            result,
        });
    }
    write_status(ctx, pod, &results, false).await?;
    Ok(results)
}

async fn record(ctx: &Ctx, pod: &Pod, container: Option<&str>, t: &str, reason: &str, msg: &str) {
    if let Err(e) = ctx.events.record(pod, container, t, reason, msg).await {
        let text = format!("{e:#}");
        if text.contains("is being terminated") {
            // Namespace deletion races the pod's deletion: nothing to report.
            tracing::debug!("event for {}: {text}", key(pod));
        } else {
            tracing::warn!("event for {}: {text}", key(pod));
        }
    }
}

async fn pull(ctx: &Ctx, pod: &Pod, c: &Container, secrets: &[Secret]) -> PullResult {
    let image = c.image.clone().unwrap_or_default();
    let cname = Some(c.name.as_str());
    let parsed = match parse_normalized(&image) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!(
                "Failed to apply default image tag \"{image}\": couldn't parse image reference \"{image}\": {e}"
            );
            record(ctx, pod, cname, "Warning", "InspectFailed", &msg).await;
            record(
                ctx,
                pod,
                cname,
                "Warning",
                "Failed",
                "Error: InvalidImageName",
            )
            .await;
            return PullResult::Invalid(msg);
        }
    };
    if c.image_pull_policy.as_deref() == Some("Never") {
        let msg = format!("Container image \"{image}\" is not present with pull policy of Never");
        record(ctx, pod, cname, "Warning", "ErrImageNeverPull", &msg).await;
        record(
            ctx,
            pod,
            cname,
            "Warning",
            "Failed",
            "Error: ErrImageNeverPull",
        )
        .await;
        return PullResult::NeverPull(msg);
    }
    record(
        ctx,
        pod,
        cname,
        "Normal",
        "Pulling",
        &format!("Pulling image \"{image}\""),
    )
    .await;
    let started = Instant::now();
    let creds: Vec<Credential> = secrets
        .iter()
        .flat_map(|s| {
            let data = s.data.clone().unwrap_or_default();
            matching_credentials(s.type_.as_deref(), &data, &parsed)
        })
        .collect();
    let policy = host_policy(pod, &parsed);
    let mut errors: Vec<PullError> = vec![];
    let mut digest = None;
    if creds.is_empty() {
        match ctx.registry.resolve(&parsed, policy, None).await {
            Ok(d) => digest = Some(d),
            Err(e) => errors.push(e),
        }
    } else {
        for cred in &creds {
            match ctx.registry.resolve(&parsed, policy, Some(cred)).await {
                Ok(d) => {
                    digest = Some(d);
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if let Some(d) = digest {
        let took = started.elapsed();
        record(
            ctx,
            pod,
            cname,
            "Normal",
            "Pulled",
            &format!(
                "Successfully pulled image \"{image}\" in {}",
                go_duration(took)
            ),
        )
        .await;
        record(
            ctx,
            pod,
            cname,
            "Normal",
            "Created",
            &format!("Created container {}", c.name),
        )
        .await;
        record(
            ctx,
            pod,
            cname,
            "Normal",
            "Started",
            &format!("Started container {}", c.name),
        )
        .await;
        return PullResult::Ok {
            image_id: format!("{}/{}@{}", parsed.domain, parsed.path, d),
        };
    }
    // utilerrors.NewAggregate: one error prints as itself, more as a list.
    let texts: Vec<String> = errors.iter().map(PullError::rpc).collect();
    let err = if texts.len() == 1 {
        texts[0].clone()
    } else {
        format!("[{}]", texts.join(", "))
    };
    record(
        ctx,
        pod,
        cname,
        "Warning",
        "Failed",
        &format!("Failed to pull image \"{image}\": {err}"),
    )
    .await;
    record(ctx, pod, cname, "Warning", "Failed", "Error: ErrImagePull").await;
    tracing::info!("{} {}: {err}", key(pod), c.name);
    PullResult::Failed(err)
}

/// The sync after a failed pull, inside the back-off window.
async fn back_off(ctx: &Ctx, pod: &Pod, results: &[ContainerResult]) -> anyhow::Result<()> {
    for r in results {
        if let PullResult::Failed(_) = r.result {
            let msg = format!("Back-off pulling image \"{}\"", r.image);
            record(ctx, pod, Some(&r.name), "Normal", "BackOff", &msg).await;
            record(
                ctx,
                pod,
                Some(&r.name),
                "Warning",
                "Failed",
                "Error: ImagePullBackOff",
            )
            .await;
        }
    }
    write_status(ctx, pod, results, true).await
}

fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns >= 1_000_000_000 {
        format!("{}s", trim_float(d.as_secs_f64(), 9))
    } else if ns >= 1_000_000 {
        format!("{}ms", trim_float(ns as f64 / 1e6, 6))
    } else {
        format!("{}µs", trim_float(ns as f64 / 1e3, 3))
    }
}

fn trim_float(v: f64, prec: usize) -> String {
    let s = format!("{v:.prec$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn pod_ip(uid: &str) -> String {
    let h = short_hash(&[uid]);
    let b = u16::from_str_radix(&h[..4], 16).unwrap_or(1);
    format!("10.244.{}.{}", (b >> 8) % 256, (b & 0xff).clamp(2, 254))
}

/// Status as kubelet reports it; `backoff` turns ErrImagePull into ImagePullBackOff.
async fn write_status(
    ctx: &Ctx,
    pod: &Pod,
    results: &[ContainerResult],
    backoff: bool,
) -> anyhow::Result<()> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().context("pod without name")?;
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let old = pod.status.clone().unwrap_or_default();
    let start_time = old
        .start_time
        .as_ref()
        .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| now.clone());
    let spec = pod.spec.as_ref().context("pod without spec")?;
    let started_at = |cname: &str, init: bool| -> String {
        let list = if init {
            old.init_container_statuses.as_ref()
        } else {
            old.container_statuses.as_ref()
        };
        list.and_then(|l| l.iter().find(|s| s.name == cname))
            .and_then(|s| s.state.as_ref())
            .and_then(|st| st.running.as_ref())
            .and_then(|r| r.started_at.as_ref())
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| now.clone())
    };
    let status_for = |c: &Container, init: bool| -> (serde_json::Value, bool) {
        let image = c.image.clone().unwrap_or_default();
        let r = results.iter().find(|r| r.name == c.name && r.init == init);
        let waiting = |reason: &str, message: Option<&str>| {
            let mut w = serde_json::json!({"reason": reason});
            if let Some(m) = message {
                w["message"] = serde_json::Value::String(m.to_string());
            }
            serde_json::json!({"waiting": w})
        };
        let (state, ready, image_id, container_id) = match r.map(|r| &r.result) {
            None => (waiting("PodInitializing", None), false, String::new(), None),
            Some(PullResult::Ok { image_id }) => {
                let cid = format!("containerd://{}", short_hash(&[uid, &c.name]));
                if init {
                    (
                        serde_json::json!({"terminated": {"exitCode": 0, "reason": "Completed",
                            "startedAt": now, "finishedAt": now, "containerID": cid}}),
                        true,
                        image_id.clone(),
                        Some(cid),
                    )
                } else {
                    (
                        serde_json::json!({"running": {"startedAt": started_at(&c.name, init)}}),
                        true,
                        image_id.clone(),
                        Some(cid),
                    )
                }
            }
            Some(PullResult::Failed(msg)) => {
                if backoff {
                    let m = format!("Back-off pulling image \"{image}\"");
                    (
                        waiting("ImagePullBackOff", Some(&m)),
                        false,
                        String::new(),
                        None,
                    )
                } else {
                    (
                        waiting("ErrImagePull", Some(msg)),
                        false,
                        String::new(),
                        None,
                    )
                }
            }
            Some(PullResult::Invalid(msg)) => (
                waiting("InvalidImageName", Some(msg)),
                false,
                String::new(),
                None,
            ),
            Some(PullResult::NeverPull(msg)) => (
                waiting("ErrImageNeverPull", Some(msg)),
                false,
                String::new(),
                None,
            ),
        };
        let mut s = serde_json::json!({
            "name": c.name, "image": image, "imageID": image_id, "ready": ready,
            "restartCount": 0, "started": ready && !init, "state": state,
        });
        if let Some(cid) = container_id {
            s["containerID"] = serde_json::Value::String(cid);
        }
        (s, ready)
    };
    let mut init_statuses = vec![];
    let mut inits_done = true;
    let mut not_init = vec![];
    for c in spec.init_containers.iter().flatten() {
        let (s, ok) = status_for(c, true);
        if !ok {
            inits_done = false;
            not_init.push(c.name.clone());
        }
        init_statuses.push(s);
    }
    let mut statuses = vec![];
    let mut unready = vec![];
    for c in &spec.containers {
        let (s, ok) = status_for(c, false);
        if !ok {
            unready.push(c.name.clone());
        }
        statuses.push(s);
    }
    let all_ready = unready.is_empty() && inits_done;
    let cond = |t: &str, ok: bool, reason: &str, msg: String| {
        let status = if ok { "True" } else { "False" };
        let since = old
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == t && c.status == status)
            .and_then(|c| c.last_transition_time.as_ref())
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| now.clone());
        let mut v = serde_json::json!({"type": t, "status": status, "lastProbeTime": null,
            "lastTransitionTime": since});
        if !ok {
            v["reason"] = serde_json::Value::String(reason.into());
            v["message"] = serde_json::Value::String(msg);
        }
        v
    };
    let list = |names: &[String]| format!("[{}]", names.join(" "));
    let conditions = vec![
        cond(
            "Initialized",
            inits_done,
            "ContainersNotInitialized",
            format!("containers with incomplete status: {}", list(&not_init)),
        ),
        cond(
            "Ready",
            all_ready,
            "ContainersNotReady",
            format!("containers with unready status: {}", list(&unready)),
        ),
        cond(
            "ContainersReady",
            all_ready,
            "ContainersNotReady",
            format!("containers with unready status: {}", list(&unready)),
        ),
        cond("PodScheduled", true, "", String::new()),
    ];
    let ip = pod_ip(uid);
    let mut status = serde_json::json!({
        "phase": if all_ready { "Running" } else { "Pending" },
        "conditions": conditions,
        "hostIP": NODE_IP,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": start_time,
        "containerStatuses": statuses,
        "qosClass": old.qos_class.clone().unwrap_or_else(|| "BestEffort".into()),
    });
    if !init_statuses.is_empty() {
        status["initContainerStatuses"] = serde_json::Value::Array(init_statuses);
    }
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    // The uid makes the patch fail on a newer pod of the same name.
    let patch = serde_json::json!({"metadata": {"uid": uid}, "status": status});
    match api
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if matches!(e.code, 404 | 409 | 422) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("updating status of {ns}/{name}")),
    }
}
