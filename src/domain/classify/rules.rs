//! The rules: the error vocabulary of Go's `net`, `crypto/x509`, `net/http`,
//! the distribution / OCI error codes, the kubelet's own messages and the
//! runtimes' wrapper phrases, each mapped to a category. Rules sit in tiers
//! (lower is stronger: a DNS lookup that timed out is a DNS failure, a 500
//! that carries "no basic auth credentials" is a credentials failure); within
//! a tier the innermost (rightmost) match wins.
//!
//! A rule with alternatives is weak evidence: the phrase is shared by more
//! than one cause (a bare `not found`, `context deadline exceeded`, a generic
//! `x509:`), so the verdict says which other categories it could be.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::taxonomy::Category;

pub(super) struct RuleDef {
    pub tier: u8,
    pub category: Category,
    pub pattern: &'static str,
    /// Empty for strong evidence; else the other categories it could be.
    pub alternatives: &'static [Category],
}

const fn rule(
    tier: u8,
    category: Category,
    pattern: &'static str,
    alternatives: &'static [Category],
) -> RuleDef {
    RuleDef {
        tier,
        category,
        pattern,
        alternatives,
    }
}

/// Patterns are case-insensitive unless they start with `(?-i)`.
const RULES: &[RuleDef] = &[
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
    rule(
        6,
        Category::NodeRuntime,
        r"failed to (?:extract|apply|unpack|register) layer",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"error processing tar file", &[]),
    // containerd's content store: another pull holds the layer's ingest.
    rule(
        6,
        Category::NodeRuntime,
        r"ref \S+ locked(?:: unavailable)?",
        &[],
    ),
    // An image looked up in the node's own store (the sandbox's), not pulled.
    rule(
        5,
        Category::NodeRuntime,
        r"failed to get (?:sandbox image|image from containerd) \\?\x22[^\x22\\]+\\?\x22: image \\?\x22[^\x22\\]+\\?\x22: not found",
        &[Category::ImageNotFound],
    ),
    // The client could not reach the container runtime's own socket: the
    // pull never left the node (a distribution with its own socket path,
    // a runtime that is down).
    rule(
        6,
        Category::NodeRuntime,
        r"dial(?:ing)? unix:?(?:///?)?/[^\s:\x22]*\.sock[^\n\x22]*",
        &[],
    ),
    // Go's *os.PathError from the node's own filesystem while a layer is
    // written ("lchown PATH: operation not permitted"): the registry is done.
    rule(
        6,
        Category::NodeRuntime,
        r"\b(?:l?chown|lsetxattr|setxattr|mknod|chmod|symlink|unlinkat) /[^\s:]*: (?:operation not permitted|invalid argument|permission denied|not a directory|directory not empty)",
        &[],
    ),
    // Any *os.PathError on the runtime's own storage (docker, containerd,
    // CRI-O roots): the node's side of the pull broke.
    rule(
        6,
        Category::NodeRuntime,
        r"\b[a-z]+ /var/lib/(?:docker|containerd|containers|rancher/k3s/agent/containerd)/[^\s:]*: (?:operation not permitted|invalid argument|permission denied|not a directory|directory not empty|input/output error|structure needs cleaning|read-only file system|too many levels of symbolic links|no such file or directory|file exists)",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"extract image: [^\n\x22]*", &[]),
    // The content store's local files (containerd ingest, docker tmp).
    rule(
        6,
        Category::NodeRuntime,
        r"failed reading status of resume write",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"\b(?:stat|lstat|open) /[^\s:]+: no such file or directory",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"unpack image on snapshotter",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"failed to prepare extraction snapshot[^\n]*",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"failed to commit snapshot", &[]),
    rule(
        6,
        Category::NodeRuntime,
        r"(?:config|layer) verification failed[^\n]*",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"dial unix [^\s:]+(?:: [^\n\x22]*)?",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"mount callback failed", &[]),
    rule(6, Category::NodeRuntime, r"digest mismatch", &[]),
    rule(
        6,
        Category::NodeRuntime,
        r"unexpected commit (?:size|digest)",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"failed commit on ref", &[]),
    rule(
        6,
        Category::NodeRuntime,
        r"filesystem layer verification failed",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"layer does not exist", &[]),
    // containerd's own content store ("content digest D: not found", from
    // its metadata store) and unpacking a stored image into a rootfs: the
    // node lost what it had, no registry was asked.
    rule(
        6,
        Category::NodeRuntime,
        r"content digest sha256:[0-9a-f]+: not found",
        &[],
    ),
    rule(6, Category::NodeRuntime, r"failed to resolve rootfs", &[]),
    rule(
        6,
        Category::NodeRuntime,
        r"short read",
        &[Category::NetworkUnreachable],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"input/output error",
        &[Category::NodeDisk],
    ),
    rule(6, Category::NodeRuntime, r"read-only file system", &[]),
    rule(
        6,
        Category::NodeRuntime,
        r"does not match (?:the )?(?:provided |expected )?(?:manifest )?digest[^\n]*",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"does not match Docker-Content-Digest[^\n]*",
        &[],
    ),
    // containers/image (CRI-O, Podman, Skopeo): what the runtime fetched is
    // not what it can store — a digest that would not match the reference,
    // a manifest list where one manifest was expected, an OCI artifact that
    // is not an image.
    rule(
        6,
        Category::NodeRuntime,
        r"would not match (?:the )?destination reference[^\n\x22]*",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"received a manifest list instead of a manifest[^\n\x22]*",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"unsupported image-specific operation on artifact[^\n]*",
        &[],
    ),
    rule(
        6,
        Category::NodeRuntime,
        r"(?-i)code = Unimplemented desc = [^\n\x22]*",
        &[],
    ),
    rule(
        7,
        Category::RegistryRateLimit,
        r"toomanyrequests(?:: [^\n]*)?",
        &[],
    ),
    rule(
        7,
        Category::RegistryRateLimit,
        r"(?:you have )?reached your pull rate limit[^\n]*",
        &[],
    ),
    rule(7, Category::RegistryRateLimit, r"too many requests", &[]),
    rule(
        7,
        Category::RegistryRateLimit,
        r"(?:pull )?rate limit(?:ed| exceeded)?",
        &[Category::NodePullThrottle],
    ),
    rule(
        7,
        Category::RegistryRateLimit,
        r"rate exceeded",
        &[Category::NodePullThrottle],
    ),
    rule(
        7,
        Category::RegistryRateLimit,
        r"throttl(?:ed|ing)",
        &[Category::NodePullThrottle],
    ),
    rule(7, Category::RegistryRateLimit, r"\b429\b", &[]),
    rule(
        7,
        Category::AuthNoCredentials,
        r"no basic auth credentials",
        &[],
    ),
    rule(
        7,
        Category::AuthNoCredentials,
        r"authentication ?required",
        &[],
    ),
    rule(
        7,
        Category::AuthNoCredentials,
        r"\b401\b(?: unauthorized)?",
        &[],
    ),
    // An error answer whose body is a network error: a gateway or proxy
    // in front of the registry could not reach what it fronts.
    rule(
        6,
        Category::NetworkTimeout,
        r"error parsing HTTP 4\d\d response body: [^\n]*i/o timeout[^\n]*",
        &[Category::AuthDenied, Category::NetworkProxy],
    ),
    // A registry reached through a local proxy (Docker Desktop's
    // `connecting to 127.0.0.1:PORT`) that does not listen.
    rule(
        6,
        Category::NetworkProxy,
        r"connecting to (?:127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+: dial tcp [^\n]*(?:connection refused|actively refused)[^\n]*",
        &[Category::NetworkRefused],
    ),
    // The registry switched off or deleted what holds the repository: no
    // one can pull it, worded as a denial or an unknown error.
    rule(
        6,
        Category::ImageNotFound,
        r"(?:Project|Namespace|Organization|Repository) \S+ has been (?:deleted|disabled|removed)[^\n]*",
        &[Category::AuthDenied],
    ),
    // A registry that says both: no permission, and perhaps bad credentials.
    rule(
        6,
        Category::AuthNoCredentials,
        r"You don't have the needed permissions to perform this operation[^\n]*",
        &[Category::AuthDenied],
    ),
    // A token the registry could not authenticate: a bad one, or none.
    rule(
        6,
        Category::AuthDenied,
        r"denied: unauthenticated[^\n]*",
        &[Category::AuthNoCredentials],
    ),
    // The registry's /v2/ answered nothing containers-image understands.
    rule(
        6,
        Category::RegistryServerError,
        r"can't talk to a V1 container registry",
        &[Category::NetworkTimeout, Category::NetworkProxy],
    ),
    // The engine has no such image locally (a run that does not pull).
    rule(
        6,
        Category::PolicyNeverPull,
        r"No such image: [^\s\x22]+",
        &[Category::ImageNotFound],
    ),
    // A registry that refuses even an anonymous token answers so for a
    // private repository and, on some registries, for an absent one.
    rule(
        6,
        Category::AuthDenied,
        r"failed to fetch anonymous token: [^\n]*\b403\b[^\n]*",
        &[Category::AuthNoCredentials, Category::ImageNotFound],
    ),
    // containers-image says "invalid username/password" for any 401 of the
    // token endpoint: wrong credentials, or none.
    rule(
        6,
        Category::AuthNoCredentials,
        r"unable to retrieve auth token: invalid username/password[^\n]*",
        &[Category::AuthDenied],
    ),
    // A request answered with a bare `denied` (no code, no detail): private
    // and never-published repositories alike on some registries.
    rule(
        7,
        Category::AuthDenied,
        r"(?:Get|Head|Post|Put) \\?\x22?https?://[^\s\x22\\]+\\?\x22?: denied\s*$",
        &[Category::AuthNoCredentials, Category::ImageNotFound],
    ),
    // A quota on the registry's side (egress, pulls per account).
    rule(
        6,
        Category::RegistryRateLimit,
        r"(?:over the (?:account|egress|pull|download) (?:limit|quota)|(?:egress|pull|download|bandwidth) (?:quota|limit) (?:exceeded|reached))[^\n]*",
        &[Category::RegistryServerError],
    ),
    rule(
        7,
        Category::AuthNoCredentials,
        r"\bunauthorized\b(?:: [^\n]*)?",
        &[],
    ),
    rule(
        7,
        Category::AuthNoCredentials,
        r"(?:may not|must|need to|not) log ?in(?: yet)?",
        &[Category::AuthDenied],
    ),
    rule(7, Category::AuthNoCredentials, r"not logged in", &[]),
    rule(7, Category::AuthNoCredentials, r"login required", &[]),
    rule(
        7,
        Category::AuthNoCredentials,
        r"missing credentials|no credentials (?:found|provided|available|configured|for\b)",
        &[],
    ),
    rule(
        7,
        Category::AuthNoCredentials,
        r"incorrect username or password",
        &[],
    ),
    rule(
        7,
        Category::AuthDenied,
        r"insufficient_scope(?:: [^\n]*)?",
        &[],
    ),
    rule(7, Category::AuthDenied, r"\b403\b(?: forbidden)?", &[]),
    rule(
        7,
        Category::AuthDenied,
        r"\bforbidden\b",
        &[Category::NetworkProxy],
    ),
    rule(7, Category::AuthDenied, r"\bdenied: [^\n]*", &[]),
    rule(
        7,
        Category::AuthDenied,
        r"access (?:to the resource )?(?:is )?denied",
        &[],
    ),
    rule(
        7,
        Category::AuthDenied,
        r"not authorized to perform[^\n]*",
        &[],
    ),
    rule(
        7,
        Category::AuthDenied,
        r"requested access to the resource is denied",
        &[],
    ),
    rule(7, Category::AuthDenied, r"authorization failed", &[]),
    rule(
        7,
        Category::AuthDenied,
        r"(?-i)\bAccessDeniedException\b",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"manifest unknown(?:: [^\n]*)?",
        &[],
    ),
    // Quay: a tag removed by its expiration (or deleted) is gone.
    rule(
        7,
        Category::ImageNotFound,
        r"tag \S+ was deleted or has expired",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"name unknown(?:: [^\n]*)?",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"blob unknown(?:: [^\n]*)?",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"manifest for [^\s]+ not found",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"content at [^\s]+ not found",
        &[],
    ),
    rule(7, Category::ImageNotFound, r"unknown blob", &[]),
    rule(
        7,
        Category::ImageNotFound,
        r"repository (?:name )?not known(?: to registry)?",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"(?:repository|image|tag|reference) [^\s]* ?(?:was )?not found",
        &[],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"\bnot found\b(?:: not found)?",
        &[Category::AuthDenied],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"\b404\b(?: not found)?",
        &[Category::AuthDenied],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"code = NotFound",
        &[Category::ImagePlatform],
    ),
    rule(
        7,
        Category::ImageNotFound,
        r"(?-i)\b(?:RepositoryNotFoundException|ImageNotFoundException)\b",
        &[],
    ),
    rule(8, Category::NetworkTimeout, r"i/o timeout", &[]),
    rule(8, Category::NetworkTimeout, r"connection timed out", &[]),
    rule(8, Category::NetworkTimeout, r"operation timed out", &[]),
    // Windows nodes: Go's net errors carry Winsock's own text
    // (WSAETIMEDOUT 10060, WSAENETUNREACH 10051, WSAEHOSTUNREACH 10065).
    rule(
        8,
        Category::NetworkTimeout,
        r"connected party did not properly respond after a period of time",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"a socket operation was attempted to an unreachable (?:network|host)",
        &[],
    ),
    // A bare `request canceled` is also how a pull cancelled for making no
    // progress ends (the docker-era kubelet's progress deadline).
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?request canceled while waiting for connection(?: \(Client\.Timeout exceeded[^)]*\))?",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?request canceled(?: \(Client\.Timeout exceeded[^)]*\))?",
        &[Category::NetworkStalled],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"Client\.Timeout exceeded[^)\n]*",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?TLS handshake timeout",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"timeout awaiting response headers",
        &[],
    ),
    // The kubelet or the runtime gave up on a pull that took too long (or
    // the pod went away): docker's hint "no credentials on this request" is
    // a hedge, not evidence, and is no rule at all.
    // A pull cancelled by the runtime (a stall past containerd's progress
    // timeout) reaches kubelet as `code = Canceled … context canceled`; the
    // same words follow a pod deleted mid-pull. Weak either way.
    rule(
        7,
        Category::NetworkStalled,
        r"code = Canceled desc = failed to pull and unpack image [^\n]*: context canceled",
        &[Category::NetworkTimeout, Category::Unknown],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"context canceled",
        &[Category::NetworkStalled, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"context deadline exceeded",
        &[Category::NetworkDns, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?-i)\bDeadlineExceeded\b",
        &[Category::NetworkDns, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"\btimed out\b",
        &[Category::NetworkDns],
    ),
    rule(8, Category::NetworkRefused, r"connection refused", &[]),
    rule(8, Category::NetworkRefused, r"actively refused", &[]),
    rule(8, Category::NetworkRefused, r"(?-i)\bECONNREFUSED\b", &[]),
    rule(
        8,
        Category::NetworkUnreachable,
        r"network is unreachable",
        &[],
    ),
    rule(8, Category::NetworkUnreachable, r"no route to host", &[]),
    rule(8, Category::NetworkUnreachable, r"host is unreachable", &[]),
    // EADDRNOTAVAIL: no local address can reach the registry's (an IPv6
    // address on a node without IPv6 routes).
    rule(
        8,
        Category::NetworkUnreachable,
        r"cannot assign requested address",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"connection reset(?: by peer)?",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"forcibly closed by the remote host",
        &[],
    ),
    rule(8, Category::NetworkUnreachable, r"broken pipe", &[]),
    rule(
        8,
        Category::NetworkUnreachable,
        r"(?-i)\b(?:ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"(?:Get|Head|Post|Put) \\?\x22?https?://[^\s\x22\\]+\\?\x22?: EOF\b",
        &[Category::NetworkProxy, Category::RegistryServerError],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"\b50[0-4] (?:internal server error|bad gateway|service unavailable|gateway time-?out)",
        &[],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"internal server error|bad gateway|service unavailable",
        &[],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"(?:http status|status code|status|api error \(|returned error)[: ]*5\d\d\b",
        &[],
    ),
    // `unexpected status code https://…/blobs/sha256:…: 503 <any phrase>`.
    rule(
        9,
        Category::RegistryServerError,
        r"unexpected status(?: code)?(?: from [A-Z]+ request to)? \\?\x22?https?://[^\s\x22\\]+\\?\x22?: 5\d\d\b[^\n]*",
        &[],
    ),
    // A registry (or the object store behind it) refusing the runtime's own
    // well-formed request with a 4xx that is not about access, existence or
    // rate (400, 405, 409, 411-418, 422, ...): Docker prints its non-JSON
    // body as "error parsing HTTP 400 response body".
    rule(
        9,
        Category::RegistryServerError,
        r"error parsing HTTP 4(?:0[05-9]|1\d|2[0-8]|[3-9]\d) response body",
        &[Category::NetworkProxy],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"\bhttp code:? 5\d\d\b",
        &[Category::NodeRuntime],
    ),
    rule(
        10,
        Category::NodeRuntime,
        r"unexpected EOF",
        &[Category::NetworkUnreachable, Category::RegistryServerError],
    ),
    rule(
        10,
        Category::TlsUntrusted,
        r"tls: failed to verify certificate(?:: [^\n]*)?",
        &[Category::TlsHostname, Category::TlsExpired],
    ),
    rule(
        10,
        Category::TlsUntrusted,
        r"x509: [^\n]*",
        &[Category::TlsHostname, Category::TlsExpired],
    ),
];

/// Messages that cannot tell a missing repository from missing access:
/// Docker's "pull access denied ... may require 'docker login'", the older
/// "repository X not found: does not exist or no pull access", and the
/// distribution error list Docker Hub sends an anonymous pull of a private or
/// absent repository ("denied: requested access ..." then "unauthorized:
/// authentication required").
const AMBIGUOUS_PULL_ACCESS: &str = concat!(
    r"pull access denied(?: for [^\s,]+)?, repository does not exist or may require [^\n:]*(?:login)?'?",
    r"|repository [^\s]+ not found: does not exist or no pull access",
    r"|requested access to the resource is denied\s*unauthorized: authentication required",
);

/// What the Docker Hub ambiguity can be instead.
pub(super) const AMBIGUOUS_ALTERNATIVES: &[Category] =
    &[Category::ImageNotFound, Category::AuthNoCredentials];

pub(super) static GENERIC_DENIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:insufficient_scope|requested access to the resource is denied|authorization failed|denied: requested access)",
    )
    .expect("static regex")
});

pub(super) struct Rule {
    pub category: Category,
    /// Lower is stronger.
    pub tier: u8,
    /// Marks the cannot-tell-which messages.
    pub ambiguous: bool,
    pub alternatives: &'static [Category],
}

pub(super) struct Engine {
    pub regexes: Vec<Regex>,
    pub rules: Vec<Rule>,
}

impl Engine {
    /// The index of the ambiguity rule (always the last).
    pub fn ambiguous(&self) -> usize {
        self.rules.len() - 1
    }
}

/// Where a rule has a space, the text may have any run of spaces and tabs
/// with at most one line break in it: terminals and issue trackers wrap long
/// lines as they are copied (`server gave HTTP \nresponse to HTTPS client`),
/// and an inert message reads such a break as a second space. Spaces inside
/// a character class, and escaped ones, stay literal; `" ?"` stays optional.
fn wrap_tolerant(pattern: &str) -> String {
    const GAP: &str = r"(?:[ \t]+(?:\r?\n[ \t]*)?|\r?\n[ \t]*)";
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` right after the opening bracket is literal.
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    out.extend(chars.next());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            ' ' if !in_class => out.push_str(GAP),
            _ => out.push(c),
        }
    }
    out
}

pub(super) static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let mut patterns: Vec<String> = Vec::new();
    let mut rules = Vec::new();
    for def in RULES {
        // ASCII word boundaries keep the rules on the fast DFA engines
        // (a Unicode `\b` forces the slow NFA simulation).
        let pat = wrap_tolerant(&def.pattern.replace(r"\b", r"(?-u:\b)"));
        patterns.push(format!("(?i){pat}"));
        rules.push(Rule {
            category: def.category,
            tier: def.tier,
            ambiguous: false,
            alternatives: def.alternatives,
        });
    }
    patterns.push(format!("(?i){}", wrap_tolerant(AMBIGUOUS_PULL_ACCESS)));
    rules.push(Rule {
        category: Category::AuthDenied,
        tier: 7,
        ambiguous: true,
        alternatives: AMBIGUOUS_ALTERNATIVES,
    });
    let regexes = patterns
        .iter()
        .map(|p| Regex::new(p).expect("classifier rule compiles"))
        .collect();
    Engine { regexes, rules }
});
