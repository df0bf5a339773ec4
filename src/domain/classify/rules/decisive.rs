//! The phrases that decide alone (tiers 0-5): signature policy, stalls,
//! upstream auth, never-pull, invalid names, platform, disk, rate limits,
//! DNS and TLS specifics, and the kubelet's own words.
//! A rule's tier, not its file, decides its strength; order within the
//! table is kept: at an equal tier and span the first
//! rule wins.

use super::{RuleDef, rule};
use crate::domain::taxonomy::Category;

pub(super) const RULES: &[RuleDef] = &[
    rule(0, Category::PolicyNeverPull, r"ErrImageNeverPull", &[]),
    // CRI-O / containers-image signature policy, and kubelet's words for
    // the CRI's SignatureValidationFailed (1.30+).
    rule(
        0,
        Category::PolicySignature,
        r"(?-i)SignatureValidationFailed",
        &[],
    ),
    rule(
        0,
        Category::PolicySignature,
        r"the signature validation failed",
        &[],
    ),
    rule(
        0,
        Category::PolicySignature,
        // containers-image's policy refusal, whatever the requirement
        // (a signature, an identity, a keyless signer's email).
        r"Source image rejected: [^\n]*",
        &[],
    ),
    // The same refusal without its prefix (a pod's status, a node's log).
    rule(
        0,
        Category::PolicySignature,
        r"\S+ is rejected by policy\b[^\n]*",
        &[],
    ),
    // containerd's image_pull_progress_timeout, as its log says it.
    rule(
        0,
        Category::NetworkStalled,
        r"because of no progress (?:in|for) \d",
        &[],
    ),
    // containers-image's own words when a policy wants a signature, and
    // signature verification failing (sigstore/cosign, OpenPGP).
    rule(
        0,
        Category::PolicySignature,
        r"A signature was required, but no signature exists",
        &[],
    ),
    rule(
        0,
        Category::PolicySignature,
        r"(?:cryptographic signature verification failed|invalid signature when validating|openpgp: invalid signature)[^\n]*",
        &[],
    ),
    // A Harbor proxy-cache project's own log: its call to the upstream
    // (login, or the proxied request) was refused or broke.
    rule(
        0,
        Category::AuthUpstream,
        r"(?:Proxy to remote failed|failed to proxy (?:manifest|blob))[^\n]*(?:\b401\b|unauthorized|authentication required|login to \S+ error)[^\n]*",
        &[],
    ),
    // A platform check on the image config (podman, CRI-O).
    rule(
        0,
        Category::ImagePlatform,
        r"image architecture mismatch[^\n]*|image uses \\?\x22[^\x22\\]+\\?\x22, expecting \\?\x22[^\x22\\]+\\?\x22",
        &[],
    ),
    // An ECR pull-through cache whose upstream credentials fail.
    rule(
        0,
        Category::AuthUpstream,
        r"authentication to the upstream registry failed",
        &[],
    ),
    rule(
        0,
        Category::PolicyNeverPull,
        r"not present with pull policy of Never",
        &[],
    ),
    rule(
        0,
        Category::ImageInvalidName,
        r"invalid reference format(?:: [^\n]*)?",
        &[],
    ),
    rule(0, Category::ImageInvalidName, r"(?-i)InvalidImageName", &[]),
    // containers/image short-name resolution (CRI-O, Podman): an unqualified
    // name that the registries.conf search list cannot settle.
    rule(
        0,
        Category::ImageInvalidName,
        r"short[- ]name (?:mode is enforcing|resolution enforced)[^\n\x22]*",
        &[],
    ),
    rule(
        0,
        Category::ImageInvalidName,
        r"did not resolve to an alias and no (?:unqualified-search|containers-registries)[^\n\x22]*",
        &[],
    ),
    // An unqualified name with no search registries to complete it.
    rule(
        0,
        Category::ImageInvalidName,
        r"no registries configured while trying to pull an unqualified image|is a short name and no search registries are defined[^\n\x22]*",
        &[],
    ),
    rule(
        0,
        Category::ImageInvalidName,
        r"couldn't parse image (?:reference|name)",
        &[],
    ),
    rule(
        0,
        Category::ImageInvalidName,
        r"repository name must (?:be lowercase|have at least one component|not be more than)",
        &[],
    ),
    rule(
        0,
        Category::ImageInvalidName,
        r"invalid (?:tag|digest|repository name|image name|reference)(?: format)?\b",
        &[],
    ),
    rule(
        0,
        Category::CredentialsSecretMissing,
        r"(?:unable|failed)\s+to\s+(?:retrieve|get|find)\s+(?:some\s+)?(?:image\s*)?pull\s*secrets?",
        &[],
    ),
    rule(
        0,
        Category::CredentialsSecretMissing,
        r"(?-i)FailedToRetrieveImagePullSecret",
        &[],
    ),
    // The API's NotFound for a secret (`secrets "regcred" not found`, its
    // quotes escaped inside klog's err="..."): the pod names a pull secret
    // the namespace does not have.
    rule(
        0,
        Category::CredentialsSecretMissing,
        r"\bsecrets? \\?\x22[^\x22\\\s]+\\?\x22 not found",
        &[],
    ),
    rule(0, Category::ImageInvalidName, r"\bhostname required\b", &[]),
    rule(1, Category::NodePullThrottle, r"pull QPS exceeded", &[]),
    rule(
        1,
        Category::NodePullThrottle,
        r"(?-i)\bregistryPullQPS\b",
        &[],
    ),
    rule(1, Category::NetworkProxy, r"proxyconnect tcp", &[]),
    rule(
        1,
        Category::NetworkProxy,
        r"(?:407 )?proxy authentication required",
        &[],
    ),
    rule(
        1,
        Category::NetworkProxy,
        r"(?:failed to connect to|error connecting to|unable to connect to) (?:the )?proxy",
        &[],
    ),
    rule(2, Category::NetworkDns, r"no such host", &[]),
    rule(2, Category::NetworkDns, r"server misbehaving", &[]),
    rule(
        2,
        Category::NetworkDns,
        r"dial (?:tcp|udp)[46]?: lookup [^\s:]+",
        &[],
    ),
    rule(2, Category::NetworkDns, r"lookup [^\s:]+ on [^\s]+:53", &[]),
    rule(
        2,
        Category::NetworkDns,
        r"lookup [^\s:]+: (?:try again|temporary failure|no answer|i/o timeout)",
        &[],
    ),
    rule(
        2,
        Category::NetworkDns,
        r"temporary failure in name resolution",
        &[],
    ),
    rule(2, Category::NetworkDns, r"name or service not known", &[]),
    rule(
        2,
        Category::NetworkDns,
        r"nodename nor servname provided",
        &[],
    ),
    rule(
        2,
        Category::NetworkDns,
        r"could not resolve (?:host|hostname|proxy)",
        &[],
    ),
    rule(2, Category::NetworkDns, r"(?-i)\bNXDOMAIN\b", &[]),
    rule(
        3,
        Category::ProtocolHttpRegistry,
        r"server gave HTTP response to HTTPS client",
        &[],
    ),
    rule(
        3,
        Category::ProtocolHttpRegistry,
        r"first record does not look like a TLS handshake",
        &[],
    ),
    // A plain-HTTP request answered 400: what a TLS port's web server says
    // to it ("The plain HTTP request was sent to HTTPS port"); weak, a 400
    // can be the registry's own refusal.
    rule(
        5,
        Category::ProtocolHttpRegistry,
        r"(?:HEAD|GET) request to http://[^\s\x22]+: 400 Bad Request",
        &[Category::RegistryServerError],
    ),
    rule(
        3,
        Category::ProtocolHttpRegistry,
        r"tls: oversized record received",
        &[],
    ),
    rule(
        3,
        Category::ProtocolHttpRegistry,
        r"wrong version number",
        &[],
    ),
    rule(
        3,
        Category::TlsHostname,
        r"certificate is valid for [^\n]*?, not [^\s\x22]+",
        &[],
    ),
    rule(
        3,
        Category::TlsHostname,
        r"certificate is not valid for any names",
        &[],
    ),
    rule(
        3,
        Category::TlsHostname,
        r"doesn't contain any IP SANs",
        &[],
    ),
    rule(3, Category::TlsHostname, r"legacy Common Name field", &[]),
    rule(
        3,
        Category::TlsHostname,
        r"(?:hostname|host name|server name|subject alternative name)s? (?:mismatch|does(?:n't| not) match)",
        &[],
    ),
    rule(
        3,
        Category::TlsHostname,
        r"no alternative certificate subject name matches",
        &[],
    ),
    rule(3, Category::TlsExpired, r"certificate has expired", &[]),
    rule(
        3,
        Category::TlsExpired,
        r"certificate (?:is )?(?:expired|not yet valid)",
        &[],
    ),
    rule(3, Category::TlsExpired, r"is not yet valid", &[]),
    rule(
        3,
        Category::TlsUntrusted,
        r"certificate signed by unknown authority",
        &[],
    ),
    rule(
        3,
        Category::TlsUntrusted,
        r"self[- ]signed certificate",
        &[],
    ),
    rule(
        3,
        Category::TlsUntrusted,
        r"unable to get (?:local )?issuer certificate",
        &[],
    ),
    rule(
        3,
        Category::TlsUntrusted,
        r"unknown (?:certificate )?authority",
        &[],
    ),
    rule(
        3,
        Category::TlsUntrusted,
        r"certificate is not trusted",
        &[],
    ),
    rule(3, Category::TlsUntrusted, r"certificate verify failed", &[]),
    rule(
        4,
        Category::ImagePlatform,
        r"no matching manifest for [^\s]+",
        &[],
    ),
    rule(4, Category::ImagePlatform, r"no match for platform", &[]),
    // docker's manifest-list resolution (distribution's
    // `errors.New("no supported platform found in manifest list")`).
    rule(
        4,
        Category::ImagePlatform,
        r"no supported platform found in (?:manifest list|image index)",
        &[],
    ),
    rule(
        4,
        Category::ImagePlatform,
        r"no image found in (?:manifest list|image index) for architecture[^\n]*",
        &[],
    ),
    rule(
        4,
        Category::ImagePlatform,
        r"does not match the specified platform",
        &[],
    ),
    rule(
        4,
        Category::ImagePlatform,
        r"cannot be used on this platform",
        &[],
    ),
    rule(
        4,
        Category::ImagePlatform,
        r"image operating system .{0,40} cannot be used",
        &[],
    ),
    // Windows nodes: an image built for another Windows build
    // (hcsshim's "The container operating system does not match the host
    // operating system", dockerd's "a Windows version X-based image is
    // incompatible with a Y host").
    rule(
        4,
        Category::ImagePlatform,
        r"image is incompatible with (?:a |the )?[^\n\x22]{0,40}host",
        &[],
    ),
    rule(
        4,
        Category::ImagePlatform,
        r"container operating system does not match the host operating system",
        &[],
    ),
    rule(5, Category::NodeDisk, r"no space left on device", &[]),
    rule(5, Category::NodeDisk, r"disk quota exceeded", &[]),
    // devicemapper / LVM thin pools (docker's storage driver): the pool is
    // the node's disk for layers.
    rule(
        5,
        Category::NodeDisk,
        r"thin pool has \d+ free (?:data|metadata) blocks[^\n]*",
        &[],
    ),
    rule(
        5,
        Category::NodeDisk,
        r"thin pool (?:is )?(?:out of|has insufficient) (?:data |metadata )?space",
        &[],
    ),
    rule(
        5,
        Category::NodeDisk,
        r"not enough (?:free )?(?:disk )?space",
        &[],
    ),
];
