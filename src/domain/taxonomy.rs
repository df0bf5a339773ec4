//! The failure taxonomy: the categories an image-pull failure falls into, their
//! stable ids and what each means. Classifier verdicts, probe verdicts and the
//! console all speak in these terms; nothing here knows how a message is read.

use std::fmt;

use serde::Serialize;

/// A failure category. The ids are stable API (JSON output, snapshots, config):
/// add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    NetworkTimeout,
    NetworkRefused,
    NetworkDns,
    NetworkUnreachable,
    NetworkProxy,
    TlsUntrusted,
    TlsHostname,
    TlsExpired,
    ProtocolHttpRegistry,
    AuthNoCredentials,
    AuthDenied,
    ImageNotFound,
    ImageInvalidName,
    ImagePlatform,
    RegistryRateLimit,
    RegistryServerError,
    NodeDisk,
    NodeRuntime,
    CredentialsSecretMissing,
    NodePullThrottle,
    PolicyNeverPull,
    /// Signature or image-policy verification refused the image.
    PolicySignature,
    /// The pull started but made no progress and was cancelled.
    NetworkStalled,
    /// A pull-through cache or proxy could not authenticate to its upstream.
    AuthUpstream,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 25] = [
        Category::NetworkTimeout,
        Category::NetworkRefused,
        Category::NetworkDns,
        Category::NetworkUnreachable,
        Category::NetworkProxy,
        Category::TlsUntrusted,
        Category::TlsHostname,
        Category::TlsExpired,
        Category::ProtocolHttpRegistry,
        Category::AuthNoCredentials,
        Category::AuthDenied,
        Category::ImageNotFound,
        Category::ImageInvalidName,
        Category::ImagePlatform,
        Category::RegistryRateLimit,
        Category::RegistryServerError,
        Category::NodeDisk,
        Category::NodeRuntime,
        Category::CredentialsSecretMissing,
        Category::NodePullThrottle,
        Category::PolicyNeverPull,
        Category::PolicySignature,
        Category::NetworkStalled,
        Category::AuthUpstream,
        Category::Unknown,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Category::NetworkTimeout => "network.timeout",
            Category::NetworkRefused => "network.refused",
            Category::NetworkDns => "network.dns",
            Category::NetworkUnreachable => "network.unreachable",
            Category::NetworkProxy => "network.proxy",
            Category::TlsUntrusted => "tls.untrusted",
            Category::TlsHostname => "tls.hostname",
            Category::TlsExpired => "tls.expired",
            Category::ProtocolHttpRegistry => "protocol.http-registry",
            Category::AuthNoCredentials => "auth.no-credentials",
            Category::AuthDenied => "auth.denied",
            Category::ImageNotFound => "image.not-found",
            Category::ImageInvalidName => "image.invalid-name",
            Category::ImagePlatform => "image.platform",
            Category::RegistryRateLimit => "registry.rate-limit",
            Category::RegistryServerError => "registry.server-error",
            Category::NodeDisk => "node.disk",
            Category::NodeRuntime => "node.runtime",
            Category::CredentialsSecretMissing => "credentials.secret-missing",
            Category::NodePullThrottle => "node.pull-throttle",
            Category::PolicyNeverPull => "policy.never-pull",
            Category::PolicySignature => "policy.signature",
            Category::NetworkStalled => "network.stalled",
            Category::AuthUpstream => "auth.upstream",
            Category::Unknown => "unknown",
        }
    }

    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The family (`network`, `tls`, ...), used for colours and grouping.
    pub fn family(self) -> &'static str {
        let id = self.id();
        id.split('.').next().unwrap_or(id)
    }

    /// What the category means, in a sentence a person acts on.
    pub fn explanation(self) -> &'static str {
        match self {
            Category::NetworkTimeout => {
                "Packets to the registry go nowhere: no route, a firewall or security group, no NAT \
                 gateway, or a private link that is missing. The node waited and gave up."
            }
            Category::NetworkRefused => {
                "The registry host answered, but nothing listens on that port: wrong port in the \
                 image reference, or the registry is down."
            }
            Category::NetworkDns => {
                "The registry name does not resolve from the node: a typo, a private DNS zone the \
                 node cannot see, or a broken resolver."
            }
            Category::NetworkUnreachable => {
                "The route to the registry is missing, or the connection was reset on the way \
                 (firewall, middlebox, MTU)."
            }
            Category::NetworkProxy => {
                "The node's HTTP(S) proxy failed: the proxy is down, refuses, or needs \
                 authentication, or the registry should be in NO_PROXY."
            }
            Category::TlsUntrusted => {
                "The registry's certificate is not trusted by the node: self-signed, or signed \
                 by a private CA the node does not have."
            }
            Category::TlsHostname => {
                "The registry's certificate does not name the host the node dialled."
            }
            Category::TlsExpired => {
                "The registry's certificate is outside its validity period (expired, or the \
                 node's clock is wrong)."
            }
            Category::ProtocolHttpRegistry => {
                "The registry speaks plain HTTP but the runtime talks HTTPS to it."
            }
            Category::AuthNoCredentials => {
                "The registry demands credentials (401) and none were sent, or they were not \
                 accepted: no pull secret for this registry, or a wrong one."
            }
            Category::AuthDenied => {
                "The registry refused the pull (403 / denied / insufficient scope): the \
                 credentials do not grant pull on this repository, or the repository does not \
                 exist for them."
            }
            Category::ImageNotFound => {
                "The registry answered, but this repository, tag or digest does not exist."
            }
            Category::ImageInvalidName => {
                "The image string is not a valid reference, so nothing was pulled."
            }
            Category::ImagePlatform => {
                "The image exists but has no variant for the node's OS/architecture."
            }
            Category::RegistryRateLimit => {
                "The registry throttles pulls (429 / too many requests)."
            }
            Category::RegistryServerError => {
                "The registry (or a proxy in front of it) failed with a server error (5xx)."
            }
            Category::NodeDisk => "The node has no room left to store the image layers.",
            Category::NodeRuntime => {
                "The download or unpacking of a layer broke on the node (truncated or corrupt \
                 content)."
            }
            Category::CredentialsSecretMissing => {
                "The pod names an image pull secret that does not exist in its namespace."
            }
            Category::NodePullThrottle => {
                "The kubelet's own pull rate limit (registryPullQPS / registryBurst) refused to \
                 start the pull: the registry was never contacted. Too many pulls started on \
                 this node at once; they are retried with back-off."
            }
            Category::PolicyNeverPull => {
                "imagePullPolicy is Never and the image is not on the node — or, on kubelets \
                 from 1.35, it is there but was pulled with credentials this pod does not have: \
                 credential re-verification (KEP-2535) reports that as \"not present\" too."
            }
            Category::PolicySignature => {
                "The node's signature or image policy refused the image (CRI-O's policy.json / \
                 sigstore, a runtime verifier): it is unsigned, or signed by a key the policy \
                 does not trust for this registry or repository."
            }
            Category::NetworkStalled => {
                "The pull started but stopped making progress and the runtime cancelled it \
                 (containerd's image_pull_progress_timeout): the layers come too slowly or not \
                 at all — often from another host than the manifest (a CDN, object storage)."
            }
            Category::AuthUpstream => {
                "A pull-through cache or registry proxy accepted the pod's credentials but could \
                 not authenticate to its own upstream registry: the cache's upstream \
                 credentials are wrong or expired, not the pod's pull secret."
            }
            Category::Unknown => {
                "No known cause in this message; read the raw message and probe the registry."
            }
        }
    }
}

impl Category {
    /// What the category looks like in a pod's status or events: typical
    /// messages (with the waiting or event reason they come with), each
    /// one the classifier reads as this category (a test holds it to that).
    /// `pulltui help categories` prints them beside the meaning and fixes.
    pub fn typical_evidence(self) -> &'static [(&'static str, &'static str)] {
        const P: &str = "ErrImagePull";
        match self {
            Category::NetworkTimeout => &[
                (P, "dial tcp 203.0.113.7:443: i/o timeout"),
                (
                    P,
                    "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
                ),
            ],
            Category::NetworkRefused => {
                &[(P, "dial tcp 10.0.0.5:5000: connect: connection refused")]
            }
            Category::NetworkDns => &[(
                P,
                "dial tcp: lookup registry.example on 10.96.0.10:53: no such host",
            )],
            Category::NetworkUnreachable => &[
                (P, "dial tcp 10.0.0.5:443: connect: network is unreachable"),
                (
                    P,
                    "read tcp 10.0.2.15:34856->10.0.0.5:443: read: connection reset by peer",
                ),
            ],
            Category::NetworkProxy => &[(
                P,
                "proxyconnect tcp: dial tcp 10.0.0.9:3128: connect: connection refused",
            )],
            Category::TlsUntrusted => &[(P, "x509: certificate signed by unknown authority")],
            Category::TlsHostname => &[(
                P,
                "x509: certificate is valid for mirror.example, not registry.example",
            )],
            Category::TlsExpired => &[(P, "x509: certificate has expired or is not yet valid")],
            Category::ProtocolHttpRegistry => {
                &[(P, "http: server gave HTTP response to HTTPS client")]
            }
            Category::AuthNoCredentials => &[
                (P, "no basic auth credentials"),
                (P, "unexpected status from HEAD request: 401 Unauthorized"),
            ],
            Category::AuthDenied => &[
                (P, "insufficient_scope: authorization failed"),
                (P, "unexpected status from HEAD request: 403 Forbidden"),
            ],
            Category::ImageNotFound => &[
                (P, "manifest unknown: manifest unknown"),
                (
                    P,
                    "failed to resolve reference \"registry.example/team/app:9.9\": registry.example/team/app:9.9: not found",
                ),
            ],
            Category::ImageInvalidName => &[(
                "InvalidImageName",
                "Failed to apply default image tag \"Registry.example/App\": couldn't parse image reference \"Registry.example/App\": invalid reference format: repository name must be lowercase",
            )],
            Category::ImagePlatform => &[(
                P,
                "no matching manifest for linux/arm64 in the manifest list entries",
            )],
            Category::RegistryRateLimit => {
                &[(P, "toomanyrequests: You have reached your pull rate limit")]
            }
            Category::RegistryServerError => &[(
                P,
                "received unexpected HTTP status: 503 Service Unavailable",
            )],
            Category::NodeDisk => &[(
                P,
                "write /var/lib/containerd/io.containerd.content.v1.content/ingest/3f2a/data: no space left on device",
            )],
            Category::NodeRuntime => &[(P, "failed to extract layer sha256:3f2a: unexpected EOF")],
            Category::CredentialsSecretMissing => &[(
                "FailedToRetrieveImagePullSecret",
                "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
            )],
            Category::NodePullThrottle => &[(P, "pull QPS exceeded")],
            Category::PolicyNeverPull => &[(
                "ErrImageNeverPull",
                "Container image \"registry.example/team/app:1.0\" is not present with pull policy of Never",
            )],
            Category::PolicySignature => &[(
                "SignatureValidationFailed",
                "Source image rejected: A signature was required, but no signature exists",
            )],
            Category::NetworkStalled => &[(
                P,
                "cancel pulling image registry.example/team/app:1.0 because of no progress in 5m0s",
            )],
            Category::AuthUpstream => &[(
                P,
                "denied: The authentication to the upstream registry failed; check the credentials of the pull through cache rule",
            )],
            Category::Unknown => &[],
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
