//! What failed to pull: a facet beside the category. A container, an init
//! container, a restartable init container (a native sidecar), an
//! ephemeral container, an image volume (`spec.volumes[].image`), or the
//! sandbox (pause) image. The category still comes from the innermost
//! cause; the facet decides where a fix can go (`allows`).
//!
//! Also here: containers a mutating webhook injected (their image and their
//! pull secret come from the injector, not from the workload's template).
//! Pure.

use std::fmt;

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;

use super::classify::images_in;
use super::fixes::Fix;
use super::image::ImageRef;

/// What failed to pull. Ids (`id`) are stable API (`check --json` "facet").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Facet {
    #[default]
    Container,
    InitContainer,
    /// A restartable init container (`restartPolicy: Always`, KEP-753).
    Sidecar,
    /// A `kubectl debug` container: no template holds it, it cannot change.
    EphemeralContainer,
    /// `spec.volumes[].image`: the volume's reference failed to pull.
    ImageVolume,
    /// The pod sandbox's (pause) image: pulled with the node's runtime
    /// configuration; pod pull secrets do not apply.
    Sandbox,
}

impl Facet {
    /// Every facet, in the order the catalogue lists them.
    pub const ALL: [Facet; 6] = [
        Facet::Container,
        Facet::InitContainer,
        Facet::Sidecar,
        Facet::EphemeralContainer,
        Facet::ImageVolume,
        Facet::Sandbox,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Facet::Container => "container",
            Facet::InitContainer => "init-container",
            Facet::Sidecar => "sidecar",
            Facet::EphemeralContainer => "ephemeral-container",
            Facet::ImageVolume => "image-volume",
            Facet::Sandbox => "sandbox",
        }
    }

    pub fn from_id(id: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.id() == id)
    }

    /// A sentence on where the image comes from and where a fix can go,
    /// for the facets that differ from a plain container.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Facet::Container | Facet::InitContainer => None,
            Facet::Sidecar => Some(
                "a native sidecar (restartable init container): the containers wait until it starts",
            ),
            Facet::EphemeralContainer => Some(
                "an ephemeral container (kubectl debug): it cannot be changed or removed; \
                 nothing in a template holds it, so pulltui offers no write — run \
                 kubectl debug again with an image the node can pull",
            ),
            Facet::ImageVolume => Some(
                "an image volume: the pod stays ContainerCreating until the volume's image \
                 pulls; the pod's pull secrets apply to it; set-image changes the volume's \
                 reference",
            ),
            Facet::Sandbox => Some(
                "the pod sandbox (pause) image: the node's container runtime pulls it with \
                 its own configuration and credentials; the pod's pull secrets are irrelevant \
                 here, and no change to the workload helps — fix it on the node",
            ),
        }
    }
}

impl fmt::Display for Facet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A sidecar injector, recognised by the marker annotation it leaves on the
/// pods it changed and the containers it adds.
struct InjectorKind {
    name: &'static str,
    marker: &'static str,
    containers: &'static [&'static str],
    /// Where the injected image is configured.
    config: &'static str,
}

/// Injectors recognised by their marker. A container absent from the
/// owner's template is also treated as injected where the template is read
/// (`template_change::refuse_template_change`).
const INJECTORS: &[InjectorKind] = &[
    InjectorKind {
        name: "istio",
        marker: "sidecar.istio.io/status",
        containers: &["istio-proxy", "istio-init", "istio-validation"],
        config: "the istio sidecar injector's values (global.hub / global.proxy.image, \
                 global.imagePullSecrets)",
    },
    InjectorKind {
        name: "vault",
        marker: "vault.hashicorp.com/agent-inject-status",
        containers: &["vault-agent", "vault-agent-init"],
        config: "the vault agent injector's AGENT_INJECT_VAULT_IMAGE (or the pod's \
                 vault.hashicorp.com/agent-image annotation)",
    },
    InjectorKind {
        name: "linkerd",
        marker: "linkerd.io/proxy-version",
        containers: &["linkerd-proxy", "linkerd-init", "linkerd-network-validator"],
        config: "linkerd's proxy image settings (proxy.image / config.linkerd.io/proxy-image)",
    },
    InjectorKind {
        name: "linkerd",
        marker: "linkerd.io/inject",
        containers: &["linkerd-proxy", "linkerd-init", "linkerd-network-validator"],
        config: "linkerd's proxy image settings (proxy.image / config.linkerd.io/proxy-image)",
    },
    InjectorKind {
        name: "dapr",
        marker: "dapr.io/enabled",
        containers: &["daprd"],
        config: "the dapr sidecar injector's image settings (dapr.io/sidecar-image)",
    },
];

/// A container a mutating webhook put into the pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Injected {
    /// `istio`, `vault`, ...
    pub by: String,
    /// The annotation that says so.
    pub marker: String,
    /// Where its image is configured.
    pub config: String,
}

/// Whether `container` of `pod` was injected by a known sidecar injector:
/// the pod carries the injector's marker and the container is one it adds
/// (Istio's status annotation lists them; the others by their names). A
/// tenant can forge the marker: it only routes fixes away from the
/// template, never towards a write.
pub fn injected(pod: &Pod, container: &str) -> Option<Injected> {
    let anns = pod.metadata.annotations.as_ref()?;
    INJECTORS.iter().find_map(|k| {
        let value = anns.get(k.marker)?;
        let listed = if k.name == "istio" {
            istio_lists(value, container).unwrap_or_else(|| k.containers.contains(&container))
        } else {
            k.containers.contains(&container)
        };
        listed.then(|| Injected {
            by: k.name.to_string(),
            marker: k.marker.to_string(),
            config: k.config.to_string(),
        })
    })
}

/// Istio's `sidecar.istio.io/status` is JSON naming what it added:
/// `{"initContainers":["istio-init"],"containers":["istio-proxy"],...}`.
fn istio_lists(value: &str, container: &str) -> Option<bool> {
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    let mut any = false;
    for key in ["containers", "initContainers"] {
        if let Some(list) = v.get(key).and_then(|l| l.as_array()) {
            any = true;
            if list.iter().any(|n| n.as_str() == Some(container)) {
                return Some(true);
            }
        }
    }
    any.then_some(false)
}

/// Whether the init container `name` of `pod` is restartable (a sidecar).
pub fn is_sidecar(pod: &Pod, name: &str) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.init_containers.as_deref())
        .into_iter()
        .flatten()
        .any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"))
}

/// The image volumes of `pod`: `(volume name, reference)`.
pub fn image_volumes(pod: &Pod) -> Vec<(&str, &str)> {
    pod.spec
        .as_ref()
        .and_then(|s| s.volumes.as_deref())
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let r = v.image.as_ref()?.reference.as_deref()?;
            Some((v.name.as_str(), r))
        })
        .collect()
}

/// Whether two references name the same image once defaulted
/// (`nginx` = `docker.io/library/nginx:latest`).
pub fn same_image(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (ImageRef::parse(a), ImageRef::parse(b)) {
        (Ok(x), Ok(y)) => x.canonical() == y.canonical(),
        _ => false,
    }
}

/// The image volume a pull-failure message is about: the message names an
/// image that is not `own_image` (the container's) and is the reference of
/// one of the pod's image volumes. Kubelet ≥ 1.35 reports a volume's
/// failure on the containers that mount it, naming the volume's image;
/// earlier (and in events) the pod itself carries it.
pub fn volume_named<'p>(
    pod: &'p Pod,
    message: &str,
    own_image: Option<&str>,
) -> Option<(&'p str, &'p str)> {
    let volumes = image_volumes(pod);
    if volumes.is_empty() {
        return None;
    }
    let named = images_in(message);
    named
        .iter()
        .filter(|img| own_image.is_none_or(|own| !same_image(img, own)))
        .find_map(|img| volumes.iter().find(|(_, r)| same_image(img, r)).copied())
}

/// The first container of `pod` that mounts volume `name`.
pub fn mounted_by<'p>(pod: &'p Pod, name: &str) -> Option<&'p str> {
    let spec = pod.spec.as_ref()?;
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .find(|c| c.volume_mounts.iter().flatten().any(|m| m.name == name))
        .map(|c| c.name.as_str())
}

/// The sandbox image a `FailedCreatePodSandBox` message failed to pull;
/// `None` when the sandbox failed for another reason (the network plugin,
/// the runtime handler, ...). containerd: `failed to get sandbox image "X":
/// failed to pull image "X": …`; dockershim: `failed pulling image "X"`;
/// CRI-O: `… initializing source docker://X: …` / `pulling image "X"`.
pub fn sandbox_image(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let about_pull = lower.contains("sandbox image")
        || lower.contains("pull image")
        || lower.contains("pulling image")
        || lower.contains("initializing source docker://");
    if !about_pull {
        return None;
    }
    if let Some(img) = images_in(message).into_iter().next() {
        return Some(img.to_string());
    }
    // CRI-O / containers-image: `initializing source docker://HOST/pause:3.9: …`.
    let at = lower.find("docker://")? + "docker://".len();
    let rest = &message[at..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .unwrap_or(rest.len());
    let img = rest[..end].trim_end_matches(':');
    (!img.is_empty()).then(|| img.to_string())
}

/// Whether `pod` waits for its sandbox or its volumes: pending, nothing
/// running, and a container waiting as `ContainerCreating` or
/// `PodInitializing`. Such a pod is kept so that a sandbox or image-volume
/// pull failure, which only events tell, can make it a failing pod.
pub fn is_creating(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    if status.phase.as_deref() != Some("Pending") {
        return false;
    }
    let all = || {
        status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
    };
    let running = all().any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()));
    let creating = all().any(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            .is_some_and(|r| matches!(r, "ContainerCreating" | "PodInitializing"))
    });
    !running && creating
}

/// Which of `fixes` apply to a failure of this facet (and injected or not):
/// an ephemeral container offers no write; the sandbox only node guidance;
/// an injected container never a change of the workload's template for its
/// image or credentials (the injector's config and the ServiceAccount
/// instead). Advice is added where the facet calls for its own.
pub fn fixes_for_facet(fixes: &[Fix], facet: Facet, injected: bool) -> Vec<Fix> {
    let mut out: Vec<Fix> = match facet {
        Facet::Sandbox => {
            let mut v = vec![Fix::NodeSandboxImage];
            v.extend(fixes.iter().copied().filter(|f| is_node_side(*f)));
            v
        }
        Facet::EphemeralContainer => {
            let mut v = vec![Fix::DebugAgain];
            v.extend(fixes.iter().copied().filter(|f| !f.is_cluster_change()));
            v
        }
        _ if injected => {
            let mut v = vec![Fix::InjectorConfig];
            v.extend(
                fixes
                    .iter()
                    .copied()
                    .filter(|f| !matches!(f, Fix::SetImage | Fix::FixImage)),
            );
            v
        }
        _ => fixes.to_vec(),
    };
    out.dedup();
    out
}

/// Remedies that act on the node or the network, not on the pod.
fn is_node_side(f: Fix) -> bool {
    !f.is_cluster_change()
        && !matches!(
            f,
            Fix::CheckSecretScope
                | Fix::FixSecretReference
                | Fix::FixImage
                | Fix::PullPolicy
                | Fix::NodeSelector
                | Fix::MultiArch
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("pod json")
    }

    #[test]
    fn ids_round_trip() {
        for f in Facet::ALL {
            assert_eq!(Facet::from_id(f.id()), Some(f));
            assert_eq!(serde_json::to_value(f).ok(), Some(json!(f.id())));
        }
    }

    #[test]
    fn istio_status_names_what_it_injected() {
        let p = pod(json!({"metadata": {"name": "p", "annotations": {
            "sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"volumes\":[]}"}},
            "spec": {"containers": []}}));
        let i = injected(&p, "istio-proxy").expect("injected");
        assert_eq!(i.by, "istio");
        assert!(injected(&p, "istio-init").is_some());
        assert!(injected(&p, "app").is_none());
        // A status that does not parse falls back to the injector's names.
        let p = pod(json!({"metadata": {"name": "p", "annotations": {
            "sidecar.istio.io/status": "garbage"}}, "spec": {"containers": []}}));
        assert!(injected(&p, "istio-proxy").is_some());
        assert!(injected(&p, "app").is_none());
    }

    #[test]
    fn vault_and_linkerd_by_marker_and_name() {
        let p = pod(json!({"metadata": {"name": "p", "annotations": {
            "vault.hashicorp.com/agent-inject-status": "injected",
            "linkerd.io/inject": "enabled"}}, "spec": {"containers": []}}));
        assert_eq!(
            injected(&p, "vault-agent-init").map(|i| i.by),
            Some("vault".into())
        );
        assert_eq!(
            injected(&p, "linkerd-proxy").map(|i| i.by),
            Some("linkerd".into())
        );
        assert!(injected(&p, "web").is_none());
        // No marker, no injection: a container called istio-proxy alone is the workload's.
        let p = pod(json!({"metadata": {"name": "p"}, "spec": {"containers": []}}));
        assert!(injected(&p, "istio-proxy").is_none());
    }

    #[test]
    fn a_volume_is_named_by_its_reference_not_the_containers_image() {
        let p = pod(json!({"metadata": {"name": "p"}, "spec": {
            "containers": [{"name": "app", "image": "reg.example/app:1"}],
            "volumes": [{"name": "data", "image": {"reference": "reg.example/data:2"}},
                        {"name": "cfg", "configMap": {"name": "x"}}]}}));
        let m = "Back-off pulling image \"reg.example/data:2\": ErrImagePull: not found";
        assert_eq!(
            volume_named(&p, m, Some("reg.example/app:1")),
            Some(("data", "reg.example/data:2"))
        );
        let own = "Failed to pull image \"reg.example/app:1\": not found";
        assert_eq!(volume_named(&p, own, Some("reg.example/app:1")), None);
        // Defaulted names match.
        let p = pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [],
            "volumes": [{"name": "v", "image": {"reference": "busybox"}}]}}));
        let m = "Failed to pull image \"docker.io/library/busybox:latest\": boom";
        assert_eq!(volume_named(&p, m, None), Some(("v", "busybox")));
    }

    #[test]
    fn sandbox_image_from_each_runtime() {
        let containerd = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"registry.k8s.io/pause:3.9\": failed to pull image \"registry.k8s.io/pause:3.9\": failed to pull and unpack image";
        assert_eq!(
            sandbox_image(containerd).as_deref(),
            Some("registry.k8s.io/pause:3.9")
        );
        let docker = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed pulling image \"k8s.gcr.io/pause:3.2\": Error response from daemon: Get https://k8s.gcr.io/v2/: net/http: request canceled";
        assert_eq!(
            sandbox_image(docker).as_deref(),
            Some("k8s.gcr.io/pause:3.2")
        );
        let crio = "Failed to create pod sandbox: rpc error: code = Unknown desc = error creating pod sandbox with name \"k8s_p\": initializing source docker://registry.k8s.io/pause:3.9: pinging container registry registry.k8s.io: Get \"https://registry.k8s.io/v2/\": dial tcp: i/o timeout";
        assert_eq!(
            sandbox_image(crio).as_deref(),
            Some("registry.k8s.io/pause:3.9")
        );
        let cni = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"abc\": plugin type=\"calico\" failed (add): error getting ClusterInformation: connection is unauthorized";
        assert_eq!(sandbox_image(cni), None);
    }

    #[test]
    fn creating_pods_are_candidates_running_ones_are_not() {
        let creating = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": []},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "image": "x",
                "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}}}]}}),
        );
        assert!(is_creating(&creating));
        let running = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": []},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "image": "x",
                "imageID": "", "ready": true, "restartCount": 0,
                "state": {"running": {}}}]}}),
        );
        assert!(!is_creating(&running));
    }

    #[test]
    fn facets_decide_which_fixes_remain() {
        let all = [
            Fix::CreatePullSecret,
            Fix::AttachPullSecret,
            Fix::SetImage,
            Fix::FixImage,
            Fix::Probe,
            Fix::ProbeFromNode,
            Fix::CheckSecretScope,
        ];
        let sandbox = fixes_for_facet(&all, Facet::Sandbox, false);
        assert_eq!(sandbox[0], Fix::NodeSandboxImage);
        assert!(
            sandbox.iter().all(|f| !f.is_cluster_change()),
            "{sandbox:?}"
        );
        assert!(!sandbox.contains(&Fix::CheckSecretScope));
        let eph = fixes_for_facet(&all, Facet::EphemeralContainer, false);
        assert_eq!(eph[0], Fix::DebugAgain);
        assert!(eph.iter().all(|f| !f.is_cluster_change()), "{eph:?}");
        let inj = fixes_for_facet(&all, Facet::Container, true);
        assert_eq!(inj[0], Fix::InjectorConfig);
        assert!(!inj.contains(&Fix::SetImage) && inj.contains(&Fix::AttachPullSecret));
        assert_eq!(
            fixes_for_facet(&all, Facet::ImageVolume, false),
            all.to_vec()
        );
    }
}
