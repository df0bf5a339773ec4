//! What the user confirms before the probe pod is created, in the form
//! every cluster write is confirmed in (`domain::mutation::Preview`): the
//! manifest exactly as it will be sent, the kubectl equivalent, and what
//! happens to the pod.

use k8s_openapi::api::core::v1::Pod;

use super::ProbePodRequest;
use super::manifest::yaml;
use crate::domain::mutation::{Preview, sh};

/// The preview of creating `pod` (built from `req`: the same pod `run`
/// creates, name and expiry included).
pub fn pod_preview(req: &ProbePodRequest, pod: &Pod) -> Preview {
    let mut v = serde_json::to_value(pod).unwrap_or_default();
    if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("creationTimestamp");
    }
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let network = if req.host_network {
        "host network: the node's DNS, /etc/hosts and trusted roots, as the runtime sees them"
    } else {
        "pod network"
    };
    // What the manifest means first: it is long (the probe's script).
    let mut diff = vec![
        format!("# Pod {ns}/{name}: on node {}, {network}", req.node),
        format!(
            "# image {}, probing {}; deleted when the probe ends, when you leave the pane or \
             quit (deadline {} s)",
            req.probe_image,
            req.target.registry,
            req.deadline_s()
        ),
    ];
    diff.extend(yaml(&v, 0).lines().map(|l| format!("+ {l}")));
    Preview {
        title: format!("create pod {ns}/{name} on node {}", req.node),
        objects: vec![format!("Pod {ns}/{name} (new)")],
        diff,
        kubectl: vec![
            format!(
                "echo {} | kubectl -n {} create -f -",
                sh(&v.to_string()),
                sh(ns)
            ),
            format!(
                "kubectl -n {} delete pod {} --grace-period=0",
                sh(ns),
                sh(name)
            ),
        ],
        notes: vec![
            "where policy forbids the host network, this pod is created on the pod network \
             instead (no hostNetwork, not the node's certificates), and the pane says so"
                .into(),
        ],
    }
}
