//! The simulated Node: created Ready, kept Ready by status heartbeats (so the
//! node lifecycle controller never taints it or evicts its pods).

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};

use super::kubelet::Flavor;

pub const NODE_IP: &str = "127.0.0.1";

fn status(node: &str, now: &str, flavor: &Flavor) -> serde_json::Value {
    let cond = |t: &str, s: &str, reason: &str, msg: &str| {
        serde_json::json!({"type": t, "status": s, "reason": reason, "message": msg,
            "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    let res = serde_json::json!({"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    serde_json::json!({
        "capacity": res, "allocatable": res,
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status (pulltui kubelet simulator)"),
        ],
        "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": node}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": "pulltui-sim", "systemUUID": "pulltui-sim", "bootID": "pulltui-sim",
            "kernelVersion": "6.1.0", "osImage": "pulltui kubelet simulator",
            "containerRuntimeVersion": flavor.runtime_version(), "kubeletVersion": flavor.git_version,
            "kubeProxyVersion": flavor.git_version, "operatingSystem": "linux", "architecture": "amd64"
        }
    })
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Create (or adopt) the node and mark it Ready.
pub async fn register(client: &kube::Client, node: &str, flavor: &Flavor) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    if api.get_opt(node).await.context("reading node")?.is_none() {
        let obj: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": node, "labels": {
                "kubernetes.io/hostname": node, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "pulltui.dev/simulated": "true"}},
        }))
        .context("building node")?;
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e).context("creating node"),
        }
    }
    heartbeat(client, node, flavor).await
}

pub async fn heartbeat(client: &kube::Client, node: &str, flavor: &Flavor) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    let patch = serde_json::json!({"status": status(node, &now(), flavor)});
    api.patch_status(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .context("updating node status")?;
    Ok(())
}

/// `status.images` from the node's image store (`--keep-images`).
pub async fn publish_images(client: &kube::Client, node: &str, store: &super::images::Store) {
    let api: Api<Node> = Api::all(client.clone());
    let patch = serde_json::json!({"status": {"images": store.status_images()}});
    if let Err(e) = api
        .patch_status(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        tracing::warn!("publishing the node's images: {e}");
    }
}

pub async fn heartbeat_loop(client: kube::Client, node: String, flavor: Flavor) {
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        if let Err(e) = heartbeat(&client, &node, &flavor).await {
            tracing::warn!("node heartbeat: {e:#}");
        }
    }
}
