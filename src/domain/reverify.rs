//! Credential re-verification of cached images (KEP-2535, kubelet feature
//! `KubeletEnsureSecretPulledImages`, beta and on by default from 1.35).
//!
//! From 1.35 the kubelet lets a pod use an image already on the node only
//! if the pod's credentials are those the image was pulled with (same
//! secret, same credential hash, same ServiceAccount), or it was pulled
//! without credentials, or the node's `imagePullCredentialsVerificationPolicy`
//! exempts it (preloaded images are exempt by default). Otherwise
//! (`pkg/kubelet/images/image_manager.go`, `EnsureImageExists`):
//!
//! - `imagePullPolicy: Never`: `Container image "X" is not present with
//!   pull policy of Never` (`ErrImageNeverPull`) — the same words as an
//!   absent image, on purpose ("we don't want to reveal the presence of an
//!   image if it cannot be accessed");
//! - `IfNotPresent`: the kubelet pulls again with the pod's credentials, so
//!   a pod whose pull secret fails (or a registry that is down) now fails on
//!   a node that has the image.
//!
//! The only outside evidence is the node: its kubelet version and
//! `status.images` (the 50 largest images by default). This module reduces
//! a Node to that and says when a failure has the re-verification shape.

use k8s_openapi::api::core::v1::{Node, Pod};

use super::image::ImageRef;
use super::inert::{MAX_FIELD, inert_cut};
use super::taxonomy::Category;

/// At most this many image names are kept of a node (kubelet reports 50
/// images by default, each with a tag and a digest name or two).
const MAX_NAMES: usize = 400;

/// The first kubelet minor version with the feature on by default.
pub const ON_BY_DEFAULT_FROM: u32 = 35;

/// What the detail keeps of the pod's node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    /// `v1.35.4` as the node reports it (inert, bounded).
    pub kubelet_version: String,
    /// Its minor version, when it reads as `v1.N…`.
    pub minor: Option<u32>,
    /// The names of the images on the node (`status.images[].names`).
    pub images: Vec<String>,
}

/// Reduces a fetched Node to its view.
pub fn node_view(node: &Node) -> NodeView {
    let status = node.status.as_ref();
    let kubelet_version = status
        .and_then(|s| s.node_info.as_ref())
        .map(|i| inert_cut(&i.kubelet_version, 64).into_owned())
        .unwrap_or_default();
    let images = status
        .and_then(|s| s.images.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|i| i.names.iter().flatten())
        .take(MAX_NAMES)
        .map(|n| inert_cut(n, MAX_FIELD).into_owned())
        .collect();
    NodeView {
        name: inert_cut(node.metadata.name.as_deref().unwrap_or_default(), MAX_FIELD).into_owned(),
        minor: kubelet_minor(&kubelet_version),
        kubelet_version,
        images,
    }
}

/// `v1.35.4-eks-1` → 35.
pub fn kubelet_minor(version: &str) -> Option<u32> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let mut parts = v.split('.');
    if parts.next()? != "1" {
        return None;
    }
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    minor.parse().ok()
}

impl NodeView {
    /// Whether the node lists `image` among its images: same repository,
    /// and the same digest when the reference pins one, else the same tag.
    pub fn has_image(&self, image: &ImageRef) -> bool {
        self.images.iter().any(|name| {
            let Ok(n) = ImageRef::parse(name) else {
                return false;
            };
            if n.registry != image.registry || n.repository != image.repository {
                return false;
            }
            match &image.digest {
                Some(d) => n.digest.as_deref() == Some(d.as_str()),
                None => n.digest.is_none() && n.effective_tag() == image.effective_tag(),
            }
        })
    }

    /// Whether the kubelet re-verifies credentials by default.
    pub fn verifies_by_default(&self) -> bool {
        self.minor.is_some_and(|m| m >= ON_BY_DEFAULT_FROM)
    }
}

/// The container's `imagePullPolicy` as the kubelet applies it: the one in
/// the spec (the API server defaults it), else the defaulting rule
/// (`Always` for `:latest` or no tag, else `IfNotPresent`).
pub fn pull_policy(pod: &Pod, container: &str) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let (policy, image) = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == container)
        .map(|c| (c.image_pull_policy.clone(), c.image.clone()))
        .or_else(|| {
            spec.ephemeral_containers
                .iter()
                .flatten()
                .find(|c| c.name == container)
                .map(|c| (c.image_pull_policy.clone(), c.image.clone()))
        })?;
    if let Some(p) = policy.filter(|p| !p.is_empty()) {
        return Some(p);
    }
    let r = ImageRef::parse(image.as_deref()?).ok()?;
    Some(
        if r.digest.is_none() && r.effective_tag() == Some("latest") {
            "Always".into()
        } else {
            "IfNotPresent".into()
        },
    )
}

/// How the re-verification shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Never`: reported as "not present", though the image is there.
    NeverPull,
    /// `IfNotPresent`: the kubelet pulled again, and that pull failed.
    PulledAgain,
}

/// A failure explained by credential re-verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reverification {
    pub node: String,
    pub kubelet_version: String,
    pub shape: Shape,
}

/// Whether the failure of `image` (pull policy `policy`, category
/// `category`) on `node` has the re-verification shape: a kubelet that
/// verifies by default, the image on the node, and a failure the kubelet
/// would not have reached with the image usable (a `Never` "not present",
/// or an `IfNotPresent` pull).
pub fn reverification(
    node: &NodeView,
    image: &str,
    policy: Option<&str>,
    category: Category,
) -> Option<Reverification> {
    if !node.verifies_by_default() {
        return None;
    }
    let image = ImageRef::parse(image).ok()?;
    if !node.has_image(&image) {
        return None;
    }
    let shape = match (policy?, category) {
        ("Never", Category::PolicyNeverPull) => Shape::NeverPull,
        ("IfNotPresent", c)
            if !matches!(
                c,
                Category::PolicyNeverPull | Category::ImageInvalidName | Category::Unknown
            ) =>
        {
            Shape::PulledAgain
        }
        _ => return None,
    };
    Some(Reverification {
        node: node.name.clone(),
        kubelet_version: node.kubelet_version.clone(),
        shape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(version: &str, names: &[&str]) -> NodeView {
        let n: Node = serde_json::from_value(json!({
            "metadata": {"name": "n1"},
            "status": {"nodeInfo": {"kubeletVersion": version, "machineID": "", "systemUUID": "",
                "bootID": "", "kernelVersion": "", "osImage": "", "containerRuntimeVersion": "",
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
                "images": [{"names": names, "sizeBytes": 1}]}
        }))
        .expect("node");
        node_view(&n)
    }

    const IMG: &str = "127.0.0.1:5002/team/app:1.0";
    const NAMES: [&str; 2] = [
        "127.0.0.1:5002/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "127.0.0.1:5002/team/app:1.0",
    ];

    #[test]
    fn versions_read_their_minor() {
        assert_eq!(kubelet_minor("v1.35.4"), Some(35));
        assert_eq!(kubelet_minor("v1.34.1-eks-113cf36"), Some(34));
        assert_eq!(kubelet_minor("1.20.15+k3s1"), Some(20));
        assert_eq!(kubelet_minor("v2.0.0"), None);
        assert_eq!(kubelet_minor(""), None);
    }

    #[test]
    fn cached_means_same_repository_and_tag_or_digest() {
        let n = node("v1.35.4", &NAMES);
        let has = |s: &str| n.has_image(&ImageRef::parse(s).expect("image"));
        assert!(has(IMG));
        assert!(has(
            "127.0.0.1:5002/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ));
        assert!(!has("127.0.0.1:5002/team/app:2.0"));
        assert!(!has("127.0.0.1:5002/team/other:1.0"));
        assert!(!has("127.0.0.1:5003/team/app:1.0"));
        // Docker Hub names as containerd reports them.
        let hub = node("v1.35.0", &["docker.io/library/nginx:1.27"]);
        assert!(hub.has_image(&ImageRef::parse("nginx:1.27").expect("image")));
    }

    #[test]
    fn the_shapes_of_re_verification() {
        let n = node("v1.35.4", &NAMES);
        let r = reverification(&n, IMG, Some("Never"), Category::PolicyNeverPull).expect("never");
        assert_eq!((r.shape, r.node.as_str()), (Shape::NeverPull, "n1"));
        let r = reverification(&n, IMG, Some("IfNotPresent"), Category::AuthNoCredentials)
            .expect("pulled again");
        assert_eq!(r.shape, Shape::PulledAgain);
        // A registry outage now reaches cached IfNotPresent pods too.
        assert!(reverification(&n, IMG, Some("IfNotPresent"), Category::NetworkTimeout).is_some());
        // Always pulls anyway; an image not on the node is just absent.
        assert!(reverification(&n, IMG, Some("Always"), Category::AuthNoCredentials).is_none());
        assert!(
            reverification(
                &n,
                "127.0.0.1:5002/team/app:9",
                Some("Never"),
                Category::PolicyNeverPull
            )
            .is_none()
        );
    }

    #[test]
    fn older_kubelets_never_re_verify_by_default() {
        for v in ["v1.34.2", "v1.33.0", "v1.20.15", "garbage"] {
            let n = node(v, &NAMES);
            assert!(
                reverification(&n, IMG, Some("Never"), Category::PolicyNeverPull).is_none(),
                "{v}"
            );
        }
    }

    #[test]
    fn node_text_is_inert_and_bounded() {
        let many: Vec<String> = (0..1000).map(|i| format!("r.example/a:{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let n = node("v1.35.4\u{1b}[2J", &refs);
        assert!(n.images.len() <= MAX_NAMES);
        assert!(!n.kubelet_version.contains('\u{1b}'));
        assert_eq!(n.minor, Some(35));
    }

    #[test]
    fn the_pull_policy_is_the_spec_s_or_the_default_rule() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [
                {"name": "a", "image": "r.example/a:1", "imagePullPolicy": "Never"},
                {"name": "b", "image": "r.example/b"},
                {"name": "c", "image": "r.example/c:2"}],
              "initContainers": [{"name": "i", "image": "r.example/i:latest"}]}
        }))
        .expect("pod");
        assert_eq!(pull_policy(&pod, "a").as_deref(), Some("Never"));
        assert_eq!(pull_policy(&pod, "b").as_deref(), Some("Always"));
        assert_eq!(pull_policy(&pod, "c").as_deref(), Some("IfNotPresent"));
        assert_eq!(pull_policy(&pod, "i").as_deref(), Some("Always"));
        assert_eq!(pull_policy(&pod, "zz"), None);
    }
}
