//! What the registry or the node's runtime answered (mostly tiers 6-7): local
//! storage and runtime faults, credentials and access, existence.
//! A rule's tier, not its file, decides its strength; order within the
//! table is kept: at an equal tier and span the first
//! rule wins.

use super::{RuleDef, rule};
use crate::domain::taxonomy::Category;

pub(super) const RULES: &[RuleDef] = &[
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
    // Only the phrase and its snapshot key: the layer fetch it wraps may
    // carry the real cause ("...: no basic auth credentials").
    rule(
        8,
        Category::NodeRuntime,
        r"failed to prepare extraction snapshot(?: \\?\x22[^\x22\\]*\\?\x22)?",
        &[],
    ),
    // The snapshotter's own store lost a layer's parent: local, whatever
    // "not found" follows.
    rule(
        6,
        Category::NodeRuntime,
        r"parent snapshot \S+ does not exist[^\n\x22]*",
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
    rule(7, Category::AuthDenied, r"access (?:is )?denied", &[]),
    rule(
        7,
        Category::AuthDenied,
        r"not authorized to perform[^\n]*",
        &[],
    ),
    // The distribution registry's (and Docker Hub's) answer both to a pull
    // it refuses and to one of a repository that does not exist, and to an
    // anonymous one: a denial, but weak.
    rule(
        7,
        Category::AuthDenied,
        r"(?:requested )?access to the resource is denied",
        &[Category::ImageNotFound, Category::AuthNoCredentials],
    ),
    // A registry that wants payment or an accepted licence (an entitlement)
    // for the repository: the account may not pull it.
    rule(
        7,
        Category::AuthDenied,
        r"\b402 \(?Payment Required\)?",
        &[Category::AuthNoCredentials],
    ),
    // Artifact Registry's answer to an anonymous pull of a private repository.
    rule(
        7,
        Category::AuthNoCredentials,
        r"Unauthenticated requests do not have permission [^\n]*",
        &[],
    ),
    // An artifact-cache rule whose upstream refused the cache's request (or
    // whose source path does not exist there).
    rule(
        6,
        Category::AuthUpstream,
        r"requested access to pull from source \S+ for cache rule \S+ has been denied",
        &[Category::ImageNotFound],
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
];
