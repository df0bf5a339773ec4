//! Remedies: what to do about a category of failure. Fix ids are stable API
//! (`explain --json` "fixes", `pulltui fix --fix ID`): add, never rename.

use serde::Serialize;

use super::ipscope::IpScope;
use super::taxonomy::Category;

/// A remedy. Ids are stable API (`explain --json` "fixes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fix {
    Probe,
    ProbeFromNode,
    PrivateLinkDns,
    NatEgress,
    VpcEndpoints,
    CheckPort,
    NodeDns,
    NodeProxy,
    AnnotateSkipVerify,
    InstallCa,
    FixCertificateName,
    RenewCertificate,
    CheckNodeClock,
    AnnotateHttpEndpoint,
    RuntimeInsecureRegistry,
    CreatePullSecret,
    EcrNodeRole,
    CheckSecretScope,
    FixImage,
    MultiArch,
    NodeSelector,
    AuthenticateOrMirror,
    RegistryHealth,
    NodeDisk,
    RetryPull,
    FixSecretReference,
    PullPolicy,
    // For node.pull-throttle and the writes of `pulltui fix`.
    SetImage,
    Restart,
    CopyPullSecret,
    AttachPullSecret,
    WaitForThrottle,
    RaiseKubeletPullQps,
    SpreadRollout,
    PrePull,
    // For policy.signature, network.stalled and auth.upstream.
    SignImage,
    PullProgress,
    UpstreamCredentials,
    // For the facets of what failed to pull (sandbox, ephemeral container,
    // injected sidecar).
    NodeSandboxImage,
    DebugAgain,
    InjectorConfig,
}

impl Fix {
    pub fn id(self) -> &'static str {
        match self {
            Fix::Probe => "probe",
            Fix::ProbeFromNode => "probe-from-node",
            Fix::PrivateLinkDns => "private-link-dns",
            Fix::NatEgress => "nat-egress",
            Fix::VpcEndpoints => "vpc-endpoints",
            Fix::CheckPort => "check-port",
            Fix::NodeDns => "node-dns",
            Fix::NodeProxy => "node-proxy",
            Fix::AnnotateSkipVerify => "annotate-skip-verify",
            Fix::InstallCa => "install-ca",
            Fix::FixCertificateName => "fix-certificate-name",
            Fix::RenewCertificate => "renew-certificate",
            Fix::CheckNodeClock => "check-node-clock",
            Fix::AnnotateHttpEndpoint => "annotate-http-endpoint",
            Fix::RuntimeInsecureRegistry => "runtime-insecure-registry",
            Fix::CreatePullSecret => "create-pull-secret",
            Fix::EcrNodeRole => "ecr-node-role",
            Fix::CheckSecretScope => "check-secret-scope",
            Fix::FixImage => "fix-image",
            Fix::MultiArch => "multi-arch",
            Fix::NodeSelector => "node-selector",
            Fix::AuthenticateOrMirror => "authenticate-or-mirror",
            Fix::RegistryHealth => "registry-health",
            Fix::NodeDisk => "node-disk",
            Fix::RetryPull => "retry-pull",
            Fix::FixSecretReference => "fix-secret-reference",
            Fix::PullPolicy => "pull-policy",
            Fix::SetImage => "set-image",
            Fix::Restart => "restart",
            Fix::CopyPullSecret => "copy-pull-secret",
            Fix::AttachPullSecret => "attach-pull-secret",
            Fix::WaitForThrottle => "wait",
            Fix::RaiseKubeletPullQps => "raise-kubelet-pull-qps",
            Fix::SpreadRollout => "spread-rollout",
            Fix::PrePull => "pre-pull",
            Fix::SignImage => "sign-image",
            Fix::PullProgress => "pull-progress",
            Fix::UpstreamCredentials => "upstream-credentials",
            Fix::NodeSandboxImage => "node-sandbox-image",
            Fix::DebugAgain => "debug-again",
            Fix::InjectorConfig => "injector-config",
        }
    }

    // long: a flat table, one title per fix.
    /// What to do, in one line.
    pub fn title(self) -> &'static str {
        match self {
            Fix::Probe => {
                "Probe the registry from this machine (DNS, TCP, TLS, /v2/, auth, manifest)"
            }
            Fix::ProbeFromNode => {
                "Probe from the failing pod's node: the laptop and the node often disagree"
            }
            Fix::PrivateLinkDns => {
                "Reach the registry over its private link: create the private network access \
                 and enable private DNS resolution of its domain (TKE/TCR)"
            }
            Fix::NatEgress => {
                "Give the nodes egress to the registry: NAT gateway or public IP, and the \
                 registry's allow-list / security groups"
            }
            Fix::VpcEndpoints => {
                "Private subnets: add VPC endpoints for ECR (ecr.api, ecr.dkr) and S3, or a NAT gateway"
            }
            Fix::CheckPort => {
                "Check the port in the image reference and that the registry listens on it"
            }
            Fix::NodeDns => "Check the node's resolver and private DNS zones for the registry name",
            Fix::NodeProxy => {
                "Check the node's proxy settings (HTTPS_PROXY, NO_PROXY) and the proxy itself"
            }
            Fix::AnnotateSkipVerify => {
                "Annotate the pod template: eks.tke.cloud.tencent.com/registry-insecure-skip-verify \
                 (TKE serverless)"
            }
            Fix::InstallCa => {
                "Install the registry's CA certificate on the nodes' container runtime"
            }
            Fix::FixCertificateName => {
                "Use the host name the certificate was issued for, or reissue it with this name"
            }
            Fix::RenewCertificate => "Renew the registry's certificate",
            Fix::CheckNodeClock => "Check the node's clock (NTP)",
            Fix::AnnotateHttpEndpoint => {
                "Annotate the pod template: eks.tke.cloud.tencent.com/registry-http-endpoint \
                 (TKE serverless)"
            }
            Fix::RuntimeInsecureRegistry => {
                "Declare the registry as plain-HTTP in the nodes' runtime config (containerd hosts.toml)"
            }
            Fix::CreatePullSecret => {
                "Create a dockerconfigjson pull secret for this registry and attach it to the pod \
                 template or its ServiceAccount"
            }
            Fix::EcrNodeRole => {
                "ECR: give the node IAM role ECR read access (AmazonEC2ContainerRegistryReadOnly)"
            }
            Fix::CheckSecretScope => {
                "Check that the pull secret is for this registry host and grants pull on this \
                 repository / namespace"
            }
            Fix::FixImage => "Fix the image reference (registry, repository, tag or digest)",
            Fix::MultiArch => "Build and push the image for the node's platform (multi-arch)",
            Fix::NodeSelector => "Schedule the pod on nodes of a platform the image supports",
            Fix::AuthenticateOrMirror => {
                "Authenticate pulls, use a mirror, or wait for the limit to reset"
            }
            Fix::RegistryHealth => "Check the registry's (or its proxy's) health",
            Fix::NodeDisk => "Free disk on the node (image garbage collection, larger disk)",
            Fix::RetryPull => "Retry the pull: delete the pod so it is recreated",
            Fix::FixSecretReference => {
                "Create the missing secret or fix the imagePullSecrets reference"
            }
            Fix::PullPolicy => {
                "Change imagePullPolicy (IfNotPresent / Always) or preload the image"
            }
            Fix::SetImage => {
                "Set the failing container's image (a corrected tag or a reachable mirror)"
            }
            Fix::Restart => "Restart the workload (rollout restart) so its pods pull again now",
            Fix::CopyPullSecret => {
                "Copy a pull secret that covers this registry from another namespace"
            }
            Fix::AttachPullSecret => {
                "Attach an existing pull secret to the pod template or its ServiceAccount"
            }
            Fix::WaitForThrottle => {
                "Wait: the kubelet retries throttled pulls with back-off, nothing is broken"
            }
            Fix::RaiseKubeletPullQps => {
                "Raise the kubelet's registryPullQPS / registryBurst (0 = unlimited) in its config"
            }
            Fix::SpreadRollout => {
                "Spread the rollout (maxSurge, fewer replicas per node) so fewer pulls start at once"
            }
            Fix::PrePull => "Pre-pull the images on the nodes (DaemonSet or node image)",
            Fix::SignImage => {
                "Sign the image (or use a signed digest), or fix the node's signature policy \
                 for this registry or repository"
            }
            Fix::PullProgress => {
                "Check where the layers come from and how fast (probe the blob host from the \
                 node); raise containerd's image_pull_progress_timeout for large layers"
            }
            Fix::UpstreamCredentials => {
                "Fix the cache's upstream credentials (ECR pull-through cache: its Secrets \
                 Manager secret ecr-pullthroughcache/…; Harbor: the proxy-cache endpoint's \
                 credentials), not the pod's pull secret"
            }
            Fix::NodeSandboxImage => {
                "Fix the node's sandbox (pause) image: the runtime's setting (containerd \
                 sandbox_image / pinned_images.sandbox, CRI-O pause_image), a mirror the node \
                 can reach, or the node's own registry credentials; pod pull secrets do not apply"
            }
            Fix::DebugAgain => {
                "Run kubectl debug again with an image the node can pull (an ephemeral \
                 container cannot be changed or removed)"
            }
            Fix::InjectorConfig => {
                "Change the injected container's image in the injector's configuration, and \
                 give its registry's pull secret to the namespace's ServiceAccount, not the \
                 workload's template"
            }
        }
    }
}

impl Serialize for Fix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl Fix {
    /// Every fix, for id lookups.
    pub const ALL: [Fix; 41] = [
        Fix::Probe,
        Fix::ProbeFromNode,
        Fix::PrivateLinkDns,
        Fix::NatEgress,
        Fix::VpcEndpoints,
        Fix::CheckPort,
        Fix::NodeDns,
        Fix::NodeProxy,
        Fix::AnnotateSkipVerify,
        Fix::InstallCa,
        Fix::FixCertificateName,
        Fix::RenewCertificate,
        Fix::CheckNodeClock,
        Fix::AnnotateHttpEndpoint,
        Fix::RuntimeInsecureRegistry,
        Fix::CreatePullSecret,
        Fix::EcrNodeRole,
        Fix::CheckSecretScope,
        Fix::FixImage,
        Fix::MultiArch,
        Fix::NodeSelector,
        Fix::AuthenticateOrMirror,
        Fix::RegistryHealth,
        Fix::NodeDisk,
        Fix::RetryPull,
        Fix::FixSecretReference,
        Fix::PullPolicy,
        Fix::SetImage,
        Fix::Restart,
        Fix::CopyPullSecret,
        Fix::AttachPullSecret,
        Fix::WaitForThrottle,
        Fix::RaiseKubeletPullQps,
        Fix::SpreadRollout,
        Fix::PrePull,
        Fix::SignImage,
        Fix::PullProgress,
        Fix::UpstreamCredentials,
        Fix::NodeSandboxImage,
        Fix::DebugAgain,
        Fix::InjectorConfig,
    ];

    pub fn from_id(id: &str) -> Option<Fix> {
        Fix::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Whether `pulltui fix --fix ID` (and the console's keys) can carry this
    /// fix out as a change to the cluster; the others are advice.
    pub fn is_cluster_change(self) -> bool {
        matches!(
            self,
            Fix::AnnotateSkipVerify
                | Fix::AnnotateHttpEndpoint
                | Fix::CreatePullSecret
                | Fix::CopyPullSecret
                | Fix::AttachPullSecret
                | Fix::SetImage
                | Fix::Restart
        )
    }
}

/// The fixes that apply to a verdict, most useful first.
pub fn fixes_for(
    category: Category,
    ambiguous: bool,
    registry: Option<&str>,
    ip_scope: Option<IpScope>,
) -> Vec<Fix> {
    let host = RegistryHost::of(registry);
    let mut f = match category {
        Category::NetworkTimeout => timeout_fixes(host, ip_scope),
        Category::NetworkDns => dns_fixes(host),
        Category::AuthNoCredentials => no_credentials_fixes(host),
        Category::AuthDenied => denied_fixes(host, ambiguous),
        other => constant_fixes(other).to_vec(),
    };
    f.dedup();
    f
}

/// What the registry's host name says about where it runs.
#[derive(Debug, Clone, Copy)]
struct RegistryHost {
    /// Amazon ECR (`<account>.dkr.ecr.<region>.amazonaws.com`).
    ecr: bool,
    /// Tencent Cloud TCR (`*.tencentcloudcr.com`).
    tcr: bool,
}

impl RegistryHost {
    fn of(registry: Option<&str>) -> RegistryHost {
        let host = registry.unwrap_or("");
        RegistryHost {
            ecr: host.contains(".dkr.ecr."),
            tcr: host.ends_with(".tencentcloudcr.com") || host.ends_with(".tcr.tencentcloudcr.com"),
        }
    }
}

fn timeout_fixes(host: RegistryHost, ip_scope: Option<IpScope>) -> Vec<Fix> {
    let mut v = vec![Fix::Probe, Fix::ProbeFromNode];
    if host.tcr || ip_scope == Some(IpScope::Public) {
        v.push(Fix::PrivateLinkDns);
    }
    if host.ecr {
        v.push(Fix::VpcEndpoints);
    }
    v.push(Fix::NatEgress);
    v
}

fn dns_fixes(host: RegistryHost) -> Vec<Fix> {
    let mut v = vec![Fix::Probe, Fix::ProbeFromNode, Fix::NodeDns];
    if host.tcr {
        v.push(Fix::PrivateLinkDns);
    }
    v
}

fn no_credentials_fixes(host: RegistryHost) -> Vec<Fix> {
    let mut v = vec![
        Fix::CreatePullSecret,
        Fix::CopyPullSecret,
        Fix::AttachPullSecret,
    ];
    if host.ecr {
        v.push(Fix::EcrNodeRole);
    }
    v.push(Fix::CheckSecretScope);
    v.push(Fix::Probe);
    v
}

/// A denial that cannot be told from a missing image (`ambiguous`) also
/// gets the image fixes.
fn denied_fixes(host: RegistryHost, ambiguous: bool) -> Vec<Fix> {
    let mut v = vec![Fix::CheckSecretScope];
    if ambiguous {
        v.push(Fix::FixImage);
        v.push(Fix::SetImage);
        v.push(Fix::CreatePullSecret);
    }
    if host.ecr {
        v.push(Fix::EcrNodeRole);
    }
    v.push(Fix::Probe);
    v
}

/// The fixes of the categories whose advice depends on the category alone.
fn constant_fixes(category: Category) -> &'static [Fix] {
    match category {
        Category::NetworkRefused => &[Fix::Probe, Fix::CheckPort],
        Category::NetworkUnreachable => &[Fix::Probe, Fix::ProbeFromNode, Fix::NatEgress],
        Category::NetworkProxy => &[Fix::NodeProxy, Fix::ProbeFromNode],
        Category::TlsUntrusted => &[Fix::AnnotateSkipVerify, Fix::InstallCa, Fix::Probe],
        Category::TlsHostname => &[Fix::FixCertificateName, Fix::Probe],
        Category::TlsExpired => &[Fix::RenewCertificate, Fix::CheckNodeClock, Fix::Probe],
        Category::ProtocolHttpRegistry => &[
            Fix::AnnotateHttpEndpoint,
            Fix::RuntimeInsecureRegistry,
            Fix::Probe,
        ],
        Category::ImageNotFound => &[Fix::FixImage, Fix::SetImage, Fix::Probe],
        Category::ImageInvalidName => &[Fix::FixImage, Fix::SetImage],
        Category::ImagePlatform => &[Fix::MultiArch, Fix::NodeSelector],
        Category::RegistryRateLimit => &[Fix::AuthenticateOrMirror, Fix::CreatePullSecret],
        Category::RegistryServerError => &[
            Fix::RegistryHealth,
            Fix::Restart,
            Fix::RetryPull,
            Fix::Probe,
        ],
        Category::NodeDisk => &[Fix::NodeDisk, Fix::RetryPull],
        Category::NodeRuntime => &[Fix::RetryPull, Fix::Restart, Fix::NodeDisk],
        Category::CredentialsSecretMissing => &[
            Fix::FixSecretReference,
            Fix::CreatePullSecret,
            Fix::CopyPullSecret,
        ],
        Category::NodePullThrottle => &[
            Fix::WaitForThrottle,
            Fix::RaiseKubeletPullQps,
            Fix::SpreadRollout,
            Fix::PrePull,
        ],
        Category::PolicyNeverPull => &[Fix::PullPolicy],
        Category::PolicySignature => &[Fix::SignImage, Fix::SetImage],
        Category::NetworkStalled => &[
            Fix::ProbeFromNode,
            Fix::PullProgress,
            Fix::PrePull,
            Fix::RetryPull,
        ],
        Category::AuthUpstream => &[Fix::UpstreamCredentials, Fix::Probe],
        Category::Unknown => &[Fix::Probe, Fix::ProbeFromNode],
        // These depend on the registry or the message: `fixes_for` builds them.
        Category::NetworkTimeout
        | Category::NetworkDns
        | Category::AuthNoCredentials
        | Category::AuthDenied => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fix_id_round_trips_and_has_a_title() {
        for f in Fix::ALL {
            assert_eq!(Fix::from_id(f.id()), Some(f));
            assert!(!f.title().is_empty());
        }
        let mut ids: Vec<&str> = Fix::ALL.iter().map(|f| f.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Fix::ALL.len(), "fix ids are unique");
    }

    #[test]
    fn the_fix_command_ids_are_the_cluster_changes() {
        let mut ids: Vec<&str> = Fix::ALL
            .iter()
            .filter(|f| f.is_cluster_change())
            .map(|f| f.id())
            .collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "annotate-http-endpoint",
                "annotate-skip-verify",
                "attach-pull-secret",
                "copy-pull-secret",
                "create-pull-secret",
                "restart",
                "set-image",
            ]
        );
    }

    #[test]
    fn every_category_has_a_fix() {
        for c in Category::ALL {
            for amb in [false, true] {
                assert!(!fixes_for(c, amb, None, None).is_empty(), "{c}");
            }
        }
    }

    #[test]
    fn set_image_comes_with_fix_image() {
        for c in [Category::ImageNotFound, Category::ImageInvalidName] {
            let f = fixes_for(c, false, None, None);
            assert!(
                f.contains(&Fix::FixImage) && f.contains(&Fix::SetImage),
                "{c}"
            );
        }
        let f = fixes_for(Category::AuthDenied, true, None, None);
        assert!(f.contains(&Fix::SetImage));
    }

    #[test]
    fn restart_is_offered_where_a_new_pull_helps() {
        for c in [Category::NodeRuntime, Category::RegistryServerError] {
            assert!(
                fixes_for(c, false, None, None).contains(&Fix::Restart),
                "{c}"
            );
        }
        for c in [
            Category::AuthNoCredentials,
            Category::TlsUntrusted,
            Category::ProtocolHttpRegistry,
        ] {
            assert!(
                !fixes_for(c, false, None, None).contains(&Fix::Restart),
                "{c}"
            );
        }
    }

    #[test]
    fn a_throttled_pull_is_not_told_to_authenticate() {
        let f = fixes_for(Category::NodePullThrottle, false, Some("docker.io"), None);
        assert!(!f.contains(&Fix::AuthenticateOrMirror));
        assert!(f.contains(&Fix::RaiseKubeletPullQps));
    }
}
