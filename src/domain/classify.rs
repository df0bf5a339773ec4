//! The pull-error classifier: from a kubelet / container-runtime message (and
//! the waiting or event reason when known) to a category of the taxonomy, the
//! innermost cause that decided it, the registry, the dialled IP and its
//! scope, a one-line summary and the fixes that apply.
//!
//! Runtimes wrap errors outside-in (`failed to pull and unpack image "X":
//! failed to resolve reference "X": failed to do request: Head "..": dial tcp
//! IP:443: i/o timeout`), so the innermost cause is the rightmost phrase of
//! the error vocabulary. Rules match that vocabulary (Go's `net`,
//! `crypto/x509`, `net/http`, the registry API's error codes and HTTP
//! statuses), never whole test strings. Rules sit in tiers: a DNS lookup that
//! timed out is a DNS failure, a 500 that carries "no basic auth credentials"
//! is a credentials failure; within a tier the innermost (rightmost) wins.

use std::fmt;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::image::ImageRef;
use super::ipscope::IpScope;

/// A failure category. The ids are stable API (JSON output, snapshots, config).
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
    PolicyNeverPull,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 21] = [
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
        Category::PolicyNeverPull,
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
            Category::PolicyNeverPull => "policy.never-pull",
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
            Category::PolicyNeverPull => {
                "imagePullPolicy is Never and the image is not on the node."
            }
            Category::Unknown => {
                "No known cause in this message; read the raw message and probe the registry."
            }
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

/// The one-key action of the console that carries out a fix, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Annotate,
    Credential,
    Probe,
    Kick,
}

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
        }
    }

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
        }
    }

    /// The console key that carries out this fix, once actions exist.
    pub fn action(self) -> Option<Action> {
        match self {
            Fix::Probe | Fix::ProbeFromNode => Some(Action::Probe),
            Fix::AnnotateSkipVerify | Fix::AnnotateHttpEndpoint => Some(Action::Annotate),
            Fix::CreatePullSecret => Some(Action::Credential),
            Fix::RetryPull => Some(Action::Kick),
            _ => None,
        }
    }
}

impl Serialize for Fix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// The classifier's verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub category: Category,
    /// The innermost cause, as it stands in the message.
    pub cause: String,
    /// Byte range of `cause` in the message, for highlighting in place.
    pub cause_span: Option<Range<usize>>,
    /// Registry `host[:port]` the pull was for.
    pub registry: Option<String>,
    /// The address the node dialled, when the message shows it.
    pub ip: Option<IpAddr>,
    pub ip_scope: Option<IpScope>,
    pub summary: String,
    pub fixes: Vec<Fix>,
    /// The message cannot tell two causes apart (Docker Hub's
    /// "pull access denied ... may require 'docker login'").
    pub ambiguous: bool,
}

impl Classification {
    /// Whether the message carried a cause at all (a bare `Back-off pulling
    /// image` does not: the cause is in earlier events).
    pub fn has_cause(&self) -> bool {
        self.category != Category::Unknown || self.cause_span.is_some()
    }
}

/// The JSON shape of `explain --json`, one object per message.
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    pub category: Category,
    pub cause: &'a str,
    pub registry: Option<&'a str>,
    pub ip: Option<String>,
    pub ip_scope: Option<IpScope>,
    pub summary: &'a str,
    pub fixes: &'a [Fix],
}

impl<'a> From<&'a Classification> for ExplainJson<'a> {
    fn from(c: &'a Classification) -> Self {
        ExplainJson {
            category: c.category,
            cause: &c.cause,
            registry: c.registry.as_deref(),
            ip: c.ip.map(|ip| ip.to_string()),
            ip_scope: c.ip_scope,
            summary: &c.summary,
            fixes: &c.fixes,
        }
    }
}

struct Rule {
    category: Category,
    /// Lower is stronger.
    tier: u8,
    /// Marks Docker's cannot-tell-which message.
    ambiguous: bool,
}

/// (tier, category, pattern). Patterns are case-insensitive unless they
/// start with `(?-i)`.
const RULES: &[(u8, Category, &str)] = &[
    // Tier 0: the pod spec itself decides; nothing was dialled.
    (0, Category::PolicyNeverPull, r"ErrImageNeverPull"),
    (
        0,
        Category::PolicyNeverPull,
        r"not present with pull policy of Never",
    ),
    (
        0,
        Category::ImageInvalidName,
        r"invalid reference format(?:: [^\n]*)?",
    ),
    (0, Category::ImageInvalidName, r"(?-i)InvalidImageName"),
    (
        0,
        Category::ImageInvalidName,
        r"couldn't parse image (?:reference|name)",
    ),
    (
        0,
        Category::ImageInvalidName,
        r"repository name must (?:be lowercase|have at least one component|not be more than)",
    ),
    (
        0,
        Category::ImageInvalidName,
        r"invalid (?:tag|digest|repository name|image name|reference)(?: format)?\b",
    ),
    (
        0,
        Category::CredentialsSecretMissing,
        r"(?:unable|failed) to (?:retrieve|get|find) (?:some )?image ?pull ?secrets?",
    ),
    (
        0,
        Category::CredentialsSecretMissing,
        r"(?-i)FailedToRetrieveImagePullSecret",
    ),
    // Tier 1: the proxy in between.
    (1, Category::NetworkProxy, r"proxyconnect tcp"),
    (
        1,
        Category::NetworkProxy,
        r"(?:407 )?proxy authentication required",
    ),
    (
        1,
        Category::NetworkProxy,
        r"(?:failed to connect to|error connecting to|unable to connect to) (?:the )?proxy",
    ),
    // Tier 2: name resolution (a timeout while resolving is still DNS).
    (2, Category::NetworkDns, r"no such host"),
    (2, Category::NetworkDns, r"server misbehaving"),
    (
        2,
        Category::NetworkDns,
        r"dial (?:tcp|udp)[46]?: lookup [^\s:]+",
    ),
    (2, Category::NetworkDns, r"lookup [^\s:]+ on [^\s]+:53"),
    (
        2,
        Category::NetworkDns,
        r"lookup [^\s:]+: (?:try again|temporary failure|no answer|i/o timeout)",
    ),
    (
        2,
        Category::NetworkDns,
        r"temporary failure in name resolution",
    ),
    (2, Category::NetworkDns, r"name or service not known"),
    (2, Category::NetworkDns, r"nodename nor servname provided"),
    (
        2,
        Category::NetworkDns,
        r"could not resolve (?:host|hostname|proxy)",
    ),
    (2, Category::NetworkDns, r"(?-i)\bNXDOMAIN\b"),
    // Tier 3: TLS and protocol, after the TCP connection worked.
    (
        3,
        Category::ProtocolHttpRegistry,
        r"server gave HTTP response to HTTPS client",
    ),
    (
        3,
        Category::ProtocolHttpRegistry,
        r"first record does not look like a TLS handshake",
    ),
    (
        3,
        Category::ProtocolHttpRegistry,
        r"tls: oversized record received",
    ),
    (3, Category::ProtocolHttpRegistry, r"wrong version number"),
    (
        3,
        Category::TlsHostname,
        r"certificate is valid for [^\n]*?, not [^\s\x22]+",
    ),
    (
        3,
        Category::TlsHostname,
        r"certificate is not valid for any names",
    ),
    (3, Category::TlsHostname, r"doesn't contain any IP SANs"),
    (3, Category::TlsHostname, r"legacy Common Name field"),
    (
        3,
        Category::TlsHostname,
        r"(?:hostname|host name|server name|subject alternative name)s? (?:mismatch|does(?:n't| not) match)",
    ),
    (
        3,
        Category::TlsHostname,
        r"no alternative certificate subject name matches",
    ),
    (3, Category::TlsExpired, r"certificate has expired"),
    (
        3,
        Category::TlsExpired,
        r"certificate (?:is )?(?:expired|not yet valid)",
    ),
    (3, Category::TlsExpired, r"is not yet valid"),
    (
        3,
        Category::TlsUntrusted,
        r"certificate signed by unknown authority",
    ),
    (3, Category::TlsUntrusted, r"self[- ]signed certificate"),
    (
        3,
        Category::TlsUntrusted,
        r"unable to get (?:local )?issuer certificate",
    ),
    (
        3,
        Category::TlsUntrusted,
        r"unknown (?:certificate )?authority",
    ),
    (3, Category::TlsUntrusted, r"certificate is not trusted"),
    (3, Category::TlsUntrusted, r"certificate verify failed"),
    // Tier 4: the image's platform.
    (
        4,
        Category::ImagePlatform,
        r"no matching manifest for [^\s]+",
    ),
    (4, Category::ImagePlatform, r"no match for platform"),
    (
        4,
        Category::ImagePlatform,
        r"no image found in (?:manifest list|image index) for architecture[^\n]*",
    ),
    (
        4,
        Category::ImagePlatform,
        r"does not match the specified platform",
    ),
    (
        4,
        Category::ImagePlatform,
        r"cannot be used on this platform",
    ),
    (
        4,
        Category::ImagePlatform,
        r"image operating system .{0,40} cannot be used",
    ),
    // Tier 5: the node's disk, then tier 6 the node's runtime.
    (5, Category::NodeDisk, r"no space left on device"),
    (5, Category::NodeDisk, r"disk quota exceeded"),
    (
        5,
        Category::NodeDisk,
        r"not enough (?:free )?(?:disk )?space",
    ),
    (
        6,
        Category::NodeRuntime,
        r"failed to (?:extract|apply|unpack|register) layer",
    ),
    (6, Category::NodeRuntime, r"error processing tar file"),
    (6, Category::NodeRuntime, r"unpack image on snapshotter"),
    (
        6,
        Category::NodeRuntime,
        r"failed to prepare extraction snapshot[^\n]*",
    ),
    (6, Category::NodeRuntime, r"failed to commit snapshot"),
    (
        6,
        Category::NodeRuntime,
        r"(?:config|layer) verification failed[^\n]*",
    ),
    // The node's own runtime socket, not the registry, refused or vanished.
    (
        6,
        Category::NodeRuntime,
        r"dial unix [^\s:]+(?:: [^\n\x22]*)?",
    ),
    (6, Category::NodeRuntime, r"mount callback failed"),
    (6, Category::NodeRuntime, r"digest mismatch"),
    (
        6,
        Category::NodeRuntime,
        r"unexpected commit (?:size|digest)",
    ),
    (6, Category::NodeRuntime, r"failed commit on ref"),
    (
        6,
        Category::NodeRuntime,
        r"filesystem layer verification failed",
    ),
    (6, Category::NodeRuntime, r"layer does not exist"),
    (6, Category::NodeRuntime, r"short read"),
    (6, Category::NodeRuntime, r"input/output error"),
    (6, Category::NodeRuntime, r"read-only file system"),
    // Tier 7: what the registry answered.
    (
        7,
        Category::RegistryRateLimit,
        r"toomanyrequests(?:: [^\n]*)?",
    ),
    (
        7,
        Category::RegistryRateLimit,
        r"(?:you have )?reached your pull rate limit[^\n]*",
    ),
    (7, Category::RegistryRateLimit, r"too many requests"),
    // kubelet's own --registry-qps throttle.
    (7, Category::RegistryRateLimit, r"pull QPS exceeded"),
    (
        7,
        Category::RegistryRateLimit,
        r"(?:pull )?rate limit(?:ed| exceeded)?",
    ),
    (7, Category::RegistryRateLimit, r"rate exceeded"),
    (7, Category::RegistryRateLimit, r"throttl(?:ed|ing)"),
    (7, Category::RegistryRateLimit, r"\b429\b"),
    (7, Category::AuthNoCredentials, r"no basic auth credentials"),
    (7, Category::AuthNoCredentials, r"authentication required"),
    (7, Category::AuthNoCredentials, r"\b401\b(?: unauthorized)?"),
    (
        7,
        Category::AuthNoCredentials,
        r"\bunauthorized\b(?:: [^\n]*)?",
    ),
    (
        7,
        Category::AuthNoCredentials,
        r"(?:may not|must|need to|not) log ?in(?: yet)?",
    ),
    (7, Category::AuthNoCredentials, r"not logged in"),
    (7, Category::AuthNoCredentials, r"login required"),
    (
        7,
        Category::AuthNoCredentials,
        r"(?:no|missing) credentials",
    ),
    (
        7,
        Category::AuthNoCredentials,
        r"incorrect username or password",
    ),
    (7, Category::AuthDenied, r"insufficient_scope(?:: [^\n]*)?"),
    (7, Category::AuthDenied, r"\b403\b(?: forbidden)?"),
    (7, Category::AuthDenied, r"\bforbidden\b"),
    (7, Category::AuthDenied, r"\bdenied: [^\n]*"),
    (
        7,
        Category::AuthDenied,
        r"access (?:to the resource )?(?:is )?denied",
    ),
    (7, Category::AuthDenied, r"not authorized to perform[^\n]*"),
    (
        7,
        Category::AuthDenied,
        r"requested access to the resource is denied",
    ),
    (7, Category::AuthDenied, r"authorization failed"),
    (7, Category::ImageNotFound, r"manifest unknown(?:: [^\n]*)?"),
    (7, Category::ImageNotFound, r"name unknown(?:: [^\n]*)?"),
    (7, Category::ImageNotFound, r"blob unknown(?:: [^\n]*)?"),
    (7, Category::ImageNotFound, r"manifest for [^\s]+ not found"),
    (7, Category::ImageNotFound, r"content at [^\s]+ not found"),
    (7, Category::ImageNotFound, r"unknown blob"),
    (
        7,
        Category::ImageNotFound,
        r"repository (?:name )?not known(?: to registry)?",
    ),
    (
        7,
        Category::ImageNotFound,
        r"(?:repository|image|tag|reference) [^\s]* ?(?:was )?not found",
    ),
    (7, Category::ImageNotFound, r"\bnot found\b(?:: not found)?"),
    (7, Category::ImageNotFound, r"\b404\b(?: not found)?"),
    (7, Category::ImageNotFound, r"code = NotFound"),
    // Tier 8: the network, when nothing more specific was said.
    (8, Category::NetworkTimeout, r"i/o timeout"),
    (8, Category::NetworkTimeout, r"connection timed out"),
    (8, Category::NetworkTimeout, r"operation timed out"),
    (
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?request canceled(?: while waiting for connection)?(?: \(Client\.Timeout exceeded[^)]*\))?",
    ),
    (
        8,
        Category::NetworkTimeout,
        r"Client\.Timeout exceeded[^)\n]*",
    ),
    (
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?TLS handshake timeout",
    ),
    (
        8,
        Category::NetworkTimeout,
        r"timeout awaiting response headers",
    ),
    (8, Category::NetworkTimeout, r"context deadline exceeded"),
    (8, Category::NetworkTimeout, r"(?-i)\bDeadlineExceeded\b"),
    (8, Category::NetworkTimeout, r"\btimed out\b"),
    (8, Category::NetworkRefused, r"connection refused"),
    (8, Category::NetworkRefused, r"actively refused"),
    (8, Category::NetworkRefused, r"(?-i)\bECONNREFUSED\b"),
    (8, Category::NetworkUnreachable, r"network is unreachable"),
    (8, Category::NetworkUnreachable, r"no route to host"),
    (8, Category::NetworkUnreachable, r"host is unreachable"),
    (
        8,
        Category::NetworkUnreachable,
        r"connection reset(?: by peer)?",
    ),
    (
        8,
        Category::NetworkUnreachable,
        r"forcibly closed by the remote host",
    ),
    (8, Category::NetworkUnreachable, r"broken pipe"),
    (
        8,
        Category::NetworkUnreachable,
        r"(?-i)\b(?:ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b",
    ),
    // Tier 9: server errors (a 500 wrapping a credentials error is not one).
    (
        9,
        Category::RegistryServerError,
        r"\b50[0-4] (?:internal server error|bad gateway|service unavailable|gateway time-?out)",
    ),
    (
        9,
        Category::RegistryServerError,
        r"internal server error|bad gateway|service unavailable",
    ),
    (
        9,
        Category::RegistryServerError,
        r"(?:http status|status code|status|api error \(|returned error)[: ]*5\d\d\b",
    ),
    // Tier 10: weaker evidence.
    (10, Category::NodeRuntime, r"unexpected EOF"),
    (
        10,
        Category::TlsUntrusted,
        r"tls: failed to verify certificate(?:: [^\n]*)?",
    ),
    (10, Category::TlsUntrusted, r"x509: [^\n]*"),
];

/// Docker's message that cannot tell a missing repository from missing access.
const AMBIGUOUS_PULL_ACCESS: &str = r"pull access denied(?: for [^\s,]+)?, repository does not exist or may require [^\n:]*(?:login)?'?";

static GENERIC_DENIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:insufficient_scope|requested access to the resource is denied|authorization failed|denied: requested access)",
    )
    .expect("static regex")
});

struct Engine {
    regexes: Vec<Regex>,
    rules: Vec<Rule>,
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let mut patterns: Vec<String> = Vec::new();
    let mut rules = Vec::new();
    for (tier, category, pat) in RULES {
        // ASCII word boundaries keep the rules on the fast DFA engines
        // (a Unicode `\b` forces the slow NFA simulation).
        let pat = pat.replace(r"\b", r"(?-u:\b)");
        patterns.push(format!("(?i){pat}"));
        rules.push(Rule {
            category: *category,
            tier: *tier,
            ambiguous: false,
        });
    }
    patterns.push(format!("(?i){AMBIGUOUS_PULL_ACCESS}"));
    rules.push(Rule {
        category: Category::AuthDenied,
        tier: 7,
        ambiguous: true,
    });
    let regexes = patterns
        .iter()
        .map(|p| Regex::new(p).expect("classifier rule compiles"))
        .collect();
    Engine { regexes, rules }
});

/// Phrases that lead into a cause and belong to it (`dial tcp IP:443: ` before
/// `i/o timeout`). Matched against the text just before the cause.
static LEAD_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?:proxyconnect )?(?:dial|read|write) (?:tcp|udp)[46]?(?: [^\s]+)?: |lookup [^\s]+(?: on [^\s]+)?: |connect: |read: |write: |x509: |tls: failed to verify certificate: |remote error: |net/http: |Container image \\?\x22[^\x22\\]*\\?\x22 )$",
    )
    .expect("static regex")
});

static DIAL_IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:dial|connect) (?:tcp|udp)[46]? (?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):\d+",
    )
    .expect("static regex")
});
static READ_REMOTE_IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:read|write) (?:tcp|udp)[46]? [^\s]+->(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):\d+")
        .expect("static regex")
});

/// Where messages name the image: `Failed to pull image "X"` and friends.
static IMAGE_IN_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:pull image|pulling image|unpack image|resolve reference|sandbox image|container image|PullImage|default image tag|parse image reference|image)\s*\\?"([^"\\\s]+)\\?""#,
    )
    .expect("static regex")
});
static IMAGE_UNQUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:pull access denied for |manifest for |Error reading manifest [^\s]+ in )([^\s,:]+(?::\d+)?[^\s,:]*)")
        .expect("static regex")
});
static URL_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)https?://([^/\s"\\]+)/v2/"#).expect("static regex"));

/// Classifies one message. `reason` is the waiting reason or event reason
/// when known (`ErrImagePull`, `Failed`, `InvalidImageName`, ...).
pub fn classify(message: &str, reason: Option<&str>) -> Classification {
    match aggregate_parts(message) {
        Some(parts) => classify_aggregate(message, reason, &parts),
        None => classify_one(message, reason),
    }
}

/// kubelet tries each credential in turn and reports every failure at once:
/// `[rpc error: ...: not found, rpc error: ...: 401 Unauthorized]`. The parts
/// of such an aggregate, as byte ranges.
fn aggregate_parts(message: &str) -> Option<Vec<Range<usize>>> {
    const MARK: &str = "rpc error: ";
    let open = message.find('[')?;
    let close = message.rfind(']').filter(|c| *c > open)?;
    let inner = &message[open + 1..close];
    let starts: Vec<usize> = inner
        .match_indices(MARK)
        .map(|(i, _)| open + 1 + i)
        .collect();
    if starts.len() < 2 {
        return None;
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(close);
        let text = message[start..end].trim_end_matches([',', ' ']);
        parts.push(start..start + text.len());
    }
    Some(parts)
}

/// How far an attempt got: the attempt that reached furthest explains the
/// failure (a credentialed `not found` beats the anonymous retry's 401).
fn progress(c: Category) -> u8 {
    match c {
        Category::Unknown => 0,
        Category::NetworkTimeout
        | Category::NetworkRefused
        | Category::NetworkDns
        | Category::NetworkUnreachable
        | Category::NetworkProxy
        | Category::TlsUntrusted
        | Category::TlsHostname
        | Category::TlsExpired
        | Category::ProtocolHttpRegistry => 1,
        Category::AuthNoCredentials => 2,
        Category::AuthDenied | Category::RegistryRateLimit | Category::RegistryServerError => 3,
        Category::ImageNotFound | Category::ImagePlatform => 4,
        Category::NodeDisk
        | Category::NodeRuntime
        | Category::ImageInvalidName
        | Category::CredentialsSecretMissing
        | Category::PolicyNeverPull => 5,
    }
}

fn classify_aggregate(
    message: &str,
    reason: Option<&str>,
    parts: &[Range<usize>],
) -> Classification {
    let mut best: Option<(u8, Range<usize>, Classification)> = None;
    for part in parts {
        let c = classify_one(&message[part.clone()], reason);
        let rank = progress(c.category);
        if best.as_ref().is_none_or(|(r, _, _)| rank >= *r) {
            best = Some((rank, part.clone(), c));
        }
    }
    let Some((_, part, mut c)) = best else {
        return classify_one(message, reason);
    };
    c.cause_span = c
        .cause_span
        .map(|r| r.start + part.start..r.end + part.start);
    if c.registry.is_none() {
        c.registry = registry_in(message);
        c.summary = summarise(
            c.category,
            c.ambiguous,
            c.registry.as_deref(),
            c.ip,
            c.ip_scope,
            c.cause_span.is_none(),
            reason,
        );
        c.fixes = fixes_for(c.category, c.ambiguous, c.registry.as_deref(), c.ip_scope);
    }
    c
}

fn classify_one(message: &str, reason: Option<&str>) -> Classification {
    let engine = &*ENGINE;
    let registry = registry_in(message);

    // Every rule's matches, once. Each rule's literal prefilter makes a
    // miss cheap, which most rules are for any one message.
    let hits: Vec<(usize, Vec<Range<usize>>)> = engine
        .regexes
        .iter()
        .enumerate()
        .filter_map(|(idx, re)| {
            let v: Vec<Range<usize>> = re.find_iter(message).map(|m| m.range()).collect();
            (!v.is_empty()).then_some((idx, v))
        })
        .collect();

    // Pick the strongest tier, and within it the innermost (rightmost) match.
    let mut best: Option<(usize, Range<usize>)> = None;
    for (idx, ranges) in &hits {
        let rule = &engine.rules[*idx];
        let Some(m) = ranges.last() else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((bi, br)) => {
                let bt = engine.rules[*bi].tier;
                rule.tier < bt
                    || (rule.tier == bt && m.start > br.start)
                    || (rule.tier == bt && m.start == br.start && m.end > br.end)
            }
        };
        if better {
            best = Some((*idx, m.clone()));
        }
    }
    // Docker's "pull access denied ... may require 'docker login'" contains
    // "access denied"; when the winner lies inside it, the message is the
    // ambiguous one.
    if let Some((idx, range)) = &best {
        let amb = engine.rules.len() - 1;
        if *idx != amb
            && engine.rules[*idx].tier == engine.rules[amb].tier
            && let Some(m) = hits
                .iter()
                .filter(|(i, _)| *i == amb)
                .flat_map(|(_, v)| v.iter())
                .find(|m| m.start <= range.start && range.end <= m.end)
        {
            best = Some((amb, m.clone()));
        }
    }
    let (category, mut ambiguous, span) = match best {
        Some((idx, range)) => {
            let rule = &engine.rules[idx];
            let span = widen(message, range, rule.category, engine, &hits);
            (rule.category, rule.ambiguous, Some(span))
        }
        None => (category_from_reason(reason), false, None),
    };
    // The same message with only a generic denial after it (containerd:
    // "...: server message: insufficient_scope: authorization failed") is
    // what an anonymous pull of a repository that does not exist gets too.
    if category == Category::AuthDenied
        && !ambiguous
        && let Some(r) = &span
        && hits.iter().any(|(i, _)| *i == engine.rules.len() - 1)
        && GENERIC_DENIAL.is_match(&message[r.clone()])
    {
        ambiguous = true;
    }

    let cause = match &span {
        Some(r) => message[r.clone()].to_string(),
        None => fallback_cause(message),
    };
    let ip = dialled_ip(message, span.as_ref());
    let ip_scope = ip.map(IpScope::of);
    let summary = summarise(
        category,
        ambiguous,
        registry.as_deref(),
        ip,
        ip_scope,
        span.is_none(),
        reason,
    );
    let fixes = fixes_for(category, ambiguous, registry.as_deref(), ip_scope);
    Classification {
        category,
        cause,
        cause_span: span,
        registry,
        ip,
        ip_scope,
        summary,
        fixes,
        ambiguous,
    }
}

/// Grows the deciding match into the whole innermost cause: joins overlapping
/// matches of the same category, takes in lead-ins such as `dial tcp IP:443: `
/// and runs to the end of the line (everything right of the innermost cause is
/// its own detail).
fn widen(
    message: &str,
    mut range: Range<usize>,
    category: Category,
    engine: &Engine,
    hits: &[(usize, Vec<Range<usize>>)],
) -> Range<usize> {
    // Same-category phrases in the same clause belong together
    // ("certificate has expired or is not yet valid").
    let mut same: Vec<Range<usize>> = Vec::new();
    for (idx, ranges) in hits {
        if engine.rules[*idx].category == category {
            same.extend(ranges.iter().cloned());
        }
    }
    loop {
        let before = range.clone();
        for m in &same {
            let touches = m.start < range.end && m.end > range.start;
            let joins_left = m.end <= range.start && {
                let gap = &message[m.end..range.start];
                gap.len() <= 12 && !gap.contains(": ") && !gap.contains('\n')
            };
            if touches || joins_left {
                range.start = range.start.min(m.start);
                range.end = range.end.max(m.end);
            }
        }
        if range == before {
            break;
        }
    }
    while let Some(m) = LEAD_IN.find(&message[..range.start]) {
        if m.start() == range.start {
            break;
        }
        range.start = m.start();
    }
    let line_end = message[range.end..]
        .find('\n')
        .map_or(message.len(), |i| range.end + i);
    // Don't run past a closing quote that ends an enclosing quoted error
    // (`error="...: cause"`), nor keep trailing escapes or punctuation.
    let tail = &message[range.end..line_end];
    let mut end = range.end + tail.find('"').unwrap_or(tail.len());
    let trimmed = message[range.start..end]
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '"' | ',' | ']' | ';'))
        .trim_end_matches("\\n")
        .trim_end_matches('\\');
    end = range.start + trimmed.len();
    range.start..end.max(range.start)
}

fn category_from_reason(reason: Option<&str>) -> Category {
    match reason.unwrap_or("") {
        "InvalidImageName" => Category::ImageInvalidName,
        "ErrImageNeverPull" => Category::PolicyNeverPull,
        "FailedToRetrieveImagePullSecret" => Category::CredentialsSecretMissing,
        "ImageInspectError" => Category::NodeRuntime,
        _ => Category::Unknown,
    }
}

fn fallback_cause(message: &str) -> String {
    let line = message.lines().last().unwrap_or("").trim();
    // The innermost part of an unknown wrapped error is after the last ": ".
    match line.rfind(": ") {
        Some(i) if i + 2 < line.len() => line[i + 2..].to_string(),
        _ => line.to_string(),
    }
}

fn dialled_ip(message: &str, span: Option<&Range<usize>>) -> Option<IpAddr> {
    let find = |text: &str| -> Option<IpAddr> {
        let from_dial = DIAL_IP
            .captures_iter(text)
            .filter_map(|c| c.get(1).or(c.get(2))?.as_str().parse::<IpAddr>().ok())
            .last();
        from_dial.or_else(|| {
            READ_REMOTE_IP
                .captures_iter(text)
                .filter_map(|c| c.get(1).or(c.get(2))?.as_str().parse::<IpAddr>().ok())
                .last()
        })
    };
    span.and_then(|r| find(&message[r.clone()]))
        .or_else(|| find(message))
}

/// The registry the pull was for: from the image the message names, else
/// from the `/v2/` URL it dialled.
pub fn registry_in(message: &str) -> Option<String> {
    let images = IMAGE_IN_MESSAGE
        .captures_iter(message)
        .chain(IMAGE_UNQUOTED.captures_iter(message))
        .filter_map(|c| c.get(1).map(|m| m.as_str()));
    let mut raw_fallback = None;
    for img in images {
        match ImageRef::parse(img) {
            Ok(r) => return Some(r.registry),
            Err(_) => {
                // `<acrname>.azurecr.io/<repo:tag>`: still say which host.
                if raw_fallback.is_none()
                    && let Some((first, _)) = img.split_once('/')
                    && (first.contains('.') || first.contains(':') || first == "localhost")
                {
                    raw_fallback = Some(first.to_string());
                }
            }
        }
    }
    raw_fallback.or_else(|| {
        URL_HOST
            .captures(message)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    })
}

fn summarise(
    category: Category,
    ambiguous: bool,
    registry: Option<&str>,
    ip: Option<IpAddr>,
    ip_scope: Option<IpScope>,
    no_evidence: bool,
    reason: Option<&str>,
) -> String {
    let reg = registry.unwrap_or("the registry");
    let at = match (ip, ip_scope) {
        (Some(ip), Some(scope)) => format!(" at {ip} ({scope} IP)"),
        _ => String::new(),
    };
    match category {
        Category::NetworkTimeout => {
            let hint = match ip_scope {
                Some(IpScope::Public) => {
                    ": the node dialled a public IP; if the registry should be reached \
                     privately, its private link or private DNS is missing"
                }
                Some(IpScope::Private) | Some(IpScope::Cgnat) => {
                    ": the node dialled a private address; check routes, security groups and the private link"
                }
                _ => "",
            };
            format!("Connecting to {reg}{at} timed out{hint}")
        }
        Category::NetworkRefused => {
            format!("{reg}{at} refused the connection: nothing listens on that port")
        }
        Category::NetworkDns => format!("The node cannot resolve {reg}"),
        Category::NetworkUnreachable => {
            format!("No route to {reg}{at}, or the connection was reset")
        }
        Category::NetworkProxy => format!("The node's proxy failed while connecting to {reg}"),
        Category::TlsUntrusted => {
            format!("The node does not trust {reg}'s certificate (self-signed or private CA)")
        }
        Category::TlsHostname => format!("{reg}'s certificate is for another name"),
        Category::TlsExpired => format!("{reg}'s certificate has expired or is not yet valid"),
        Category::ProtocolHttpRegistry => {
            format!("{reg} speaks plain HTTP; the runtime used HTTPS")
        }
        Category::AuthNoCredentials => {
            format!("{reg} requires credentials and the pull sent none that it accepted")
        }
        Category::AuthDenied if ambiguous => format!(
            "{reg} denied the pull: the repository does not exist, or it needs credentials this pod lacks (a probe settles which)"
        ),
        Category::AuthDenied => {
            format!("{reg} denied the pull: the credentials do not grant access to this repository")
        }
        Category::ImageNotFound => {
            format!("The image does not exist on {reg} (repository, tag or digest)")
        }
        Category::ImageInvalidName => {
            "The image reference is not valid; nothing was pulled".to_string()
        }
        Category::ImagePlatform => {
            format!("The image on {reg} has no variant for the node's platform")
        }
        Category::RegistryRateLimit => format!("{reg} is rate-limiting pulls"),
        Category::RegistryServerError => {
            format!("{reg} (or a proxy in front of it) returned a server error")
        }
        Category::NodeDisk => "The node ran out of disk space while storing the image".to_string(),
        Category::NodeRuntime => "Downloading or unpacking a layer failed on the node".to_string(),
        Category::CredentialsSecretMissing => {
            "A pull secret the pod references does not exist".to_string()
        }
        Category::PolicyNeverPull => {
            "imagePullPolicy is Never and the image is not on the node".to_string()
        }
        Category::Unknown
            if no_evidence && matches!(reason, Some("ImagePullBackOff" | "BackOff")) =>
        {
            "Back-off only: the cause is in the pod's earlier Failed events".to_string()
        }
        Category::Unknown => format!("No known cause in the message for {reg}; probe the registry"),
    }
}

fn fixes_for(
    category: Category,
    ambiguous: bool,
    registry: Option<&str>,
    ip_scope: Option<IpScope>,
) -> Vec<Fix> {
    let host = registry.unwrap_or("");
    let ecr = host.contains(".dkr.ecr.");
    let tcr = host.ends_with(".tencentcloudcr.com") || host.ends_with(".tcr.tencentcloudcr.com");
    let mut f = match category {
        Category::NetworkTimeout => {
            let mut v = vec![Fix::Probe, Fix::ProbeFromNode];
            if tcr || ip_scope == Some(IpScope::Public) {
                v.push(Fix::PrivateLinkDns);
            }
            if ecr {
                v.push(Fix::VpcEndpoints);
            }
            v.push(Fix::NatEgress);
            v
        }
        Category::NetworkRefused => vec![Fix::Probe, Fix::CheckPort],
        Category::NetworkDns => {
            let mut v = vec![Fix::Probe, Fix::ProbeFromNode, Fix::NodeDns];
            if tcr {
                v.push(Fix::PrivateLinkDns);
            }
            v
        }
        Category::NetworkUnreachable => vec![Fix::Probe, Fix::ProbeFromNode, Fix::NatEgress],
        Category::NetworkProxy => vec![Fix::NodeProxy, Fix::ProbeFromNode],
        Category::TlsUntrusted => vec![Fix::AnnotateSkipVerify, Fix::InstallCa, Fix::Probe],
        Category::TlsHostname => vec![Fix::FixCertificateName, Fix::Probe],
        Category::TlsExpired => vec![Fix::RenewCertificate, Fix::CheckNodeClock, Fix::Probe],
        Category::ProtocolHttpRegistry => {
            vec![
                Fix::AnnotateHttpEndpoint,
                Fix::RuntimeInsecureRegistry,
                Fix::Probe,
            ]
        }
        Category::AuthNoCredentials => {
            let mut v = vec![Fix::CreatePullSecret];
            if ecr {
                v.push(Fix::EcrNodeRole);
            }
            v.push(Fix::CheckSecretScope);
            v.push(Fix::Probe);
            v
        }
        Category::AuthDenied => {
            let mut v = vec![Fix::CheckSecretScope];
            if ambiguous {
                v.push(Fix::FixImage);
                v.push(Fix::CreatePullSecret);
            }
            if ecr {
                v.push(Fix::EcrNodeRole);
            }
            v.push(Fix::Probe);
            v
        }
        Category::ImageNotFound => vec![Fix::FixImage, Fix::Probe],
        Category::ImageInvalidName => vec![Fix::FixImage],
        Category::ImagePlatform => vec![Fix::MultiArch, Fix::NodeSelector],
        Category::RegistryRateLimit => vec![Fix::AuthenticateOrMirror, Fix::CreatePullSecret],
        Category::RegistryServerError => vec![Fix::RegistryHealth, Fix::RetryPull, Fix::Probe],
        Category::NodeDisk => vec![Fix::NodeDisk, Fix::RetryPull],
        Category::NodeRuntime => vec![Fix::RetryPull, Fix::NodeDisk],
        Category::CredentialsSecretMissing => vec![Fix::FixSecretReference, Fix::CreatePullSecret],
        Category::PolicyNeverPull => vec![Fix::PullPolicy],
        Category::Unknown => vec![Fix::Probe, Fix::ProbeFromNode],
    };
    f.dedup();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(msg: &str) -> Classification {
        classify(msg, None)
    }

    #[test]
    fn wrapped_containerd_timeout_is_network_timeout() {
        let msg = r#"Failed to pull image "tcr.example.com/a/b:1": rpc error: code = Unknown desc = failed to pull and unpack image "tcr.example.com/a/b:1": failed to resolve reference "tcr.example.com/a/b:1": failed to do request: Head "https://tcr.example.com/v2/a/b/manifests/1": dial tcp 43.137.1.5:443: i/o timeout"#;
        let r = c(msg);
        assert_eq!(r.category, Category::NetworkTimeout);
        assert_eq!(r.cause, "dial tcp 43.137.1.5:443: i/o timeout");
        assert_eq!(r.registry.as_deref(), Some("tcr.example.com"));
        assert_eq!(r.ip, Some("43.137.1.5".parse().expect("ip")));
        assert_eq!(r.ip_scope, Some(IpScope::Public));
        let span = r.cause_span.expect("span");
        assert_eq!(&msg[span], r.cause);
        assert!(r.fixes.contains(&Fix::Probe));
        assert!(r.fixes.contains(&Fix::PrivateLinkDns));
    }

    #[test]
    fn dns_timeout_is_dns_not_timeout() {
        let r = c(
            r#"failed to do request: Head "https://r.example/v2/a/manifests/1": dial tcp: lookup r.example on 10.96.0.10:53: read udp 10.244.0.5:40000->10.96.0.10:53: i/o timeout"#,
        );
        assert_eq!(r.category, Category::NetworkDns);
        assert!(
            r.cause.starts_with("dial tcp: lookup r.example"),
            "{}",
            r.cause
        );
    }

    #[test]
    fn credentials_inside_a_500_are_credentials() {
        let r = c(
            r#"failed to "StartContainer" for "zre" with ErrImagePull: "API error (500): Get https://1.dkr.ecr.eu-west-1.amazonaws.com/v2/zre/manifests/latest: no basic auth credentials\n""#,
        );
        assert_eq!(r.category, Category::AuthNoCredentials);
        assert_eq!(r.cause, "no basic auth credentials");
        assert!(r.fixes.contains(&Fix::EcrNodeRole));
    }

    #[test]
    fn proxy_refusal_is_proxy() {
        let r = c("proxyconnect tcp: dial tcp 127.0.0.1:1082: connect: connection refused");
        assert_eq!(r.category, Category::NetworkProxy);
        assert_eq!(r.ip_scope, Some(IpScope::Loopback));
    }

    #[test]
    fn platform_not_found_is_platform() {
        let r = c(
            r#"failed to pull and unpack image "a.azurecr.io/x:1": no match for platform in manifest: not found"#,
        );
        assert_eq!(r.category, Category::ImagePlatform);
    }

    #[test]
    fn expired_certificate_cause_keeps_its_detail() {
        let r = c(
            r#"Head "https://h.example/v2/a/manifests/1": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-06-12T03:05:25Z is after 2025-06-07T05:48:45Z"#,
        );
        assert_eq!(r.category, Category::TlsExpired);
        assert!(
            r.cause
                .starts_with("tls: failed to verify certificate: x509: certificate has expired")
        );
        assert!(r.cause.ends_with("2025-06-07T05:48:45Z"));
    }

    #[test]
    fn docker_hub_pull_access_denied_is_ambiguous() {
        let r = c(
            "Error response from daemon: pull access denied for foo/bar, repository does not exist or may require 'docker login'",
        );
        assert_eq!(r.category, Category::AuthDenied);
        assert!(r.ambiguous);
        assert!(r.fixes.contains(&Fix::FixImage));
        assert_eq!(r.registry.as_deref(), Some("docker.io"));
    }

    #[test]
    fn backoff_alone_has_no_cause() {
        let r = classify(
            r#"Back-off pulling image "test.azurecr.io/test-api:v1.1.3""#,
            Some("BackOff"),
        );
        assert_eq!(r.category, Category::Unknown);
        assert!(!r.has_cause());
        assert_eq!(r.registry.as_deref(), Some("test.azurecr.io"));
        assert!(r.summary.contains("earlier Failed events"));
    }

    #[test]
    fn reason_decides_when_message_is_silent() {
        assert_eq!(
            classify("", Some("InvalidImageName")).category,
            Category::ImageInvalidName
        );
        assert_eq!(
            classify("", Some("ErrImageNeverPull")).category,
            Category::PolicyNeverPull
        );
    }

    #[test]
    fn ipv6_dial_and_cgnat() {
        let r = c("dial tcp [fd00::5]:443: connect: connection refused");
        assert_eq!(r.category, Category::NetworkRefused);
        assert_eq!(r.ip_scope, Some(IpScope::Private));
        let r = c(
            r#"Get "http://registry.neon.local/v2/": dial tcp 100.64.0.254:80: connect: connection refused"#,
        );
        assert_eq!(r.ip_scope, Some(IpScope::Cgnat));
        assert_eq!(
            r.cause,
            "dial tcp 100.64.0.254:80: connect: connection refused"
        );
    }

    #[test]
    fn read_reset_takes_remote_ip() {
        let r = c(
            r#"Get "https://auth.docker.io/token": read tcp 192.168.1.66:40218->52.1.184.176:443: read: connection reset by peer"#,
        );
        assert_eq!(r.category, Category::NetworkUnreachable);
        assert_eq!(r.ip, Some("52.1.184.176".parse().expect("ip")));
        assert_eq!(
            r.cause,
            "read tcp 192.168.1.66:40218->52.1.184.176:443: read: connection reset by peer"
        );
    }

    #[test]
    fn digests_do_not_look_like_statuses() {
        let r = c(
            r#"failed to copy: httpReadSeeker: failed open: unexpected status code https://d.example/v2/library/nginx/blobs/sha256:503e42bcee1cd697dcab6098c082789af33bc8cbcbaa95c8adbad87283c85c75: 400 Bad Request"#,
        );
        assert_eq!(r.category, Category::Unknown);
    }

    #[test]
    fn every_category_id_round_trips() {
        for cat in Category::ALL {
            assert_eq!(Category::from_id(cat.id()), Some(cat));
            assert!(!cat.explanation().is_empty());
        }
    }
}
