//! Image references, parsed with the grammar of the distribution reference
//! library (`github.com/distribution/reference`), the one kubelet and the
//! container runtimes use: Docker Hub defaulting, `host:port/repo`, tags and
//! digests. Invalid references are rejected with the library's own reason.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// Docker Hub's canonical registry name, as runtimes write it.
pub const DOCKER_HUB: &str = "docker.io";
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

// The grammar, transcribed from distribution/reference's regexp.go.
const ALPHA_NUMERIC: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const IPV6_ADDRESS: &str = r"\[(?:[a-fA-F0-9:]+)\]";
// Go's `\w` is ASCII: spelled out, which also keeps the compiled bounded
// repetition small (Unicode `\w{0,127}` costs ~8 MB of NFA per regex).
const TAG: &str = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";

fn path_component() -> String {
    format!("{ALPHA_NUMERIC}(?:{SEPARATOR}{ALPHA_NUMERIC})*")
}

fn domain_pattern() -> String {
    let name = format!("{DOMAIN_COMPONENT}(?:\\.{DOMAIN_COMPONENT})*");
    let host = format!("(?:{name}|{IPV6_ADDRESS})");
    format!("{host}(?::[0-9]+)?")
}

/// `^((?:domain/)?path)(?::(tag))?(?:@(digest))?$`
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let pc = path_component();
    let name = format!("(?:{domain}/)?{pc}(?:/{pc})*", domain = domain_pattern());
    Regex::new(&format!("^({name})(?::({TAG}))?(?:@({DIGEST}))?$")).expect("static regex")
});

static ANCHORED_DOMAIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{}$", domain_pattern())).expect("static regex"));
static ANCHORED_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{TAG}$")).expect("static regex"));
static ANCHORED_DIGEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{DIGEST}$")).expect("static regex"));
static IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[a-f0-9]{64}$").expect("static regex"));

/// Why a reference was rejected; the texts are the reference library's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("invalid reference format")]
    InvalidFormat,
    #[error("invalid reference format: repository name must be lowercase")]
    NameContainsUppercase,
    #[error("repository name must have at least one component")]
    NameEmpty,
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    #[error("invalid tag format")]
    TagInvalidFormat,
    #[error("invalid digest format")]
    DigestInvalidFormat,
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    LooksLikeIdentifier(String),
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host with optional port, e.g. `docker.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// Repository path inside the registry, e.g. `library/nginx`.
    pub repository: String,
    /// Tag as written, if any (see [`ImageRef::effective_tag`]).
    pub tag: Option<String>,
    /// Digest as written, if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses like `reference.ParseNormalizedNamed`: Docker Hub defaulting
    /// (`nginx` → `docker.io/library/nginx`), `index.docker.io` folded into
    /// `docker.io`.
    pub fn parse(s: &str) -> Result<Self, ImageError> {
        if IDENTIFIER.is_match(s) {
            return Err(ImageError::LooksLikeIdentifier(s.to_string()));
        }
        if s.is_empty() {
            return Err(ImageError::NameEmpty);
        }
        let (domain, remainder) = split_docker_domain(s);
        // The name part is everything before a tag or digest.
        let remote_name = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => match remainder.find('@') {
                Some(i) => &remainder[..i],
                None => remainder.as_str(),
            },
        };
        if remote_name.to_lowercase() != remote_name {
            return Err(ImageError::NameContainsUppercase);
        }
        if !ANCHORED_DOMAIN.is_match(&domain) {
            return Err(ImageError::InvalidFormat);
        }
        let full = format!("{domain}/{remainder}");
        parse_reference(&full)
    }

    /// The tag a runtime pulls: the written one, else `latest` unless a digest pins it.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, Some(_)) => None,
            (None, None) => Some("latest"),
        }
    }

    /// What `HEAD /v2/<repo>/manifests/<reference>` asks for: digest first.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.effective_tag())
            .unwrap_or("latest")
    }

    /// Host without port.
    pub fn host(&self) -> &str {
        host_of(&self.registry)
    }

    /// Port, if written.
    pub fn port(&self) -> Option<u16> {
        port_of(&self.registry)
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The canonical string, with the default tag applied, as kubelet logs it.
    pub fn canonical(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = self.effective_tag() {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// `host` of `host[:port]`, IPv6 brackets kept.
pub fn host_of(registry: &str) -> &str {
    if registry.starts_with('[') {
        return match registry.find(']') {
            Some(i) => &registry[..=i],
            None => registry,
        };
    }
    match registry.rfind(':') {
        Some(i) => &registry[..i],
        None => registry,
    }
}

/// Port of `host[:port]`, if any.
pub fn port_of(registry: &str) -> Option<u16> {
    let after_host = &registry[host_of(registry).len()..];
    after_host.strip_prefix(':')?.parse().ok()
}

fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i) => {
            let first = &name[..i];
            let looks_like_host =
                first.contains(['.', ':']) || first == "localhost" || first.to_lowercase() != first;
            if looks_like_host {
                (first.to_string(), name[i + 1..].to_string())
            } else {
                (DOCKER_HUB.to_string(), name.to_string())
            }
        }
        None => (DOCKER_HUB.to_string(), name.to_string()),
    };
    if domain == LEGACY_DOCKER_HUB {
        domain = DOCKER_HUB.to_string();
    }
    if domain == DOCKER_HUB && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

fn parse_reference(s: &str) -> Result<ImageRef, ImageError> {
    let Some(caps) = REFERENCE.captures(s) else {
        if s.is_empty() {
            return Err(ImageError::NameEmpty);
        }
        // Say which part is wrong, as the library does when it can.
        if let Some((name, rest)) = s.rsplit_once('@')
            && REFERENCE.is_match(name)
            && !ANCHORED_DIGEST.is_match(rest)
        {
            return Err(ImageError::DigestInvalidFormat);
        }
        let last = s.rsplit('/').next().unwrap_or(s);
        if let Some((_, tag)) = last.split_once(':')
            && !ANCHORED_TAG.is_match(tag.split('@').next().unwrap_or(tag))
        {
            return Err(ImageError::TagInvalidFormat);
        }
        if s.to_lowercase() != s && REFERENCE.is_match(&s.to_lowercase()) {
            return Err(ImageError::NameContainsUppercase);
        }
        return Err(ImageError::InvalidFormat);
    };
    let name = caps.get(1).map_or("", |m| m.as_str());
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ImageError::NameTooLong);
    }
    let (registry, repository) = match name.split_once('/') {
        Some((d, r)) => (d.to_string(), r.to_string()),
        None => return Err(ImageError::InvalidFormat),
    };
    Ok(ImageRef {
        registry,
        repository,
        tag: caps.get(2).map(|m| m.as_str().to_string()),
        digest: caps.get(3).map(|m| m.as_str().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_official_image_gets_library_and_latest() {
        let r = ok("nginx");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/nginx");
        assert_eq!(r.canonical(), "docker.io/library/nginx:latest");
    }

    #[test]
    fn docker_hub_user_image() {
        let r = ok("msoap/shell2http:1.16.0");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "msoap/shell2http");
        assert_eq!(r.tag.as_deref(), Some("1.16.0"));
    }

    #[test]
    fn legacy_index_docker_io_is_folded() {
        assert_eq!(ok("index.docker.io/rancher/etcd:v3").registry, "docker.io");
        assert_eq!(ok("index.docker.io/busybox").repository, "library/busybox");
    }

    #[test]
    fn host_port_registries() {
        let r = ok("10.16.100.174:5000/busybox:latest");
        assert_eq!(r.registry, "10.16.100.174:5000");
        assert_eq!(r.host(), "10.16.100.174");
        assert_eq!(r.port(), Some(5000));
        assert_eq!(r.repository, "busybox");
        let r = ok("localhost/app");
        assert_eq!(r.registry, "localhost");
        let r = ok("localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2");
        assert_eq!(r.registry, "localhost:7439");
        assert_eq!(r.repository, "docker.io/xxxsoftware/xxx-redis");
    }

    #[test]
    fn ipv6_registry() {
        let r = ok("[::1]:5000/team/app:1.0");
        assert_eq!(r.registry, "[::1]:5000");
        assert_eq!(r.host(), "[::1]");
        assert_eq!(r.port(), Some(5000));
    }

    #[test]
    fn digests_and_tags() {
        let d = "sha256:1b276d8c89d5553213211d75efc5f4455fe1855c0a31a2dc5a685db69d7480ce";
        let r = ok(&format!(
            "quay.io/openshift-release-dev/ocp-v4.0-art-dev@{d}"
        ));
        assert_eq!(r.digest.as_deref(), Some(d));
        assert_eq!(r.tag, None);
        assert_eq!(r.effective_tag(), None);
        assert_eq!(r.manifest_reference(), d);
        let r = ok(&format!("ghcr.io/a/b:v1@{d}"));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.manifest_reference(), d);
    }

    #[test]
    fn registry_hosts_of_clouds() {
        assert_eq!(
            ok("840364872350.dkr.ecr.us-west-2.amazonaws.com/amazon/appmesh-controller:v1.12.5")
                .registry,
            "840364872350.dkr.ecr.us-west-2.amazonaws.com"
        );
        assert_eq!(
            ok("demo.tencentcloudcr.com/ns/app:1").registry,
            "demo.tencentcloudcr.com"
        );
    }

    #[test]
    fn invalid_references_say_why() {
        assert_eq!(ImageRef::parse(""), Err(ImageError::NameEmpty));
        assert_eq!(
            ImageRef::parse("None:None"),
            Err(ImageError::NameContainsUppercase)
        );
        assert_eq!(
            ImageRef::parse("Nginx"),
            Err(ImageError::NameContainsUppercase)
        );
        assert_eq!(
            ImageRef::parse(
                "gcr.io/balmy-ground-195100/dark-gcp:gcr.io/balmy-ground-195100/dark-gcp:8e3213495373"
            ),
            Err(ImageError::InvalidFormat)
        );
        assert_eq!(
            ImageRef::parse("nginx@sha256:abc"),
            Err(ImageError::DigestInvalidFormat)
        );
        assert_eq!(
            ImageRef::parse("nginx:-bad"),
            Err(ImageError::TagInvalidFormat)
        );
        assert!(ImageRef::parse("nginx:").is_err());
        assert!(ImageRef::parse("a//b").is_err());
        assert!(ImageRef::parse("has space").is_err());
        assert!(ImageRef::parse("-leading/dash").is_err());
        assert!(matches!(
            ImageRef::parse(&"a".repeat(64).replace('a', "f")),
            Err(ImageError::LooksLikeIdentifier(_))
        ));
        let long = format!("registry.example.com/{}", "a".repeat(260));
        assert_eq!(ImageRef::parse(&long), Err(ImageError::NameTooLong));
    }

    #[test]
    fn uppercase_host_is_a_domain() {
        let r = ok("Registry.Example.com/team/app");
        assert_eq!(r.registry, "Registry.Example.com");
    }

    #[test]
    fn separators_in_paths() {
        ok("docker.io/a__b/c-d.e/f---g:tag_1.0-rc");
        assert!(ImageRef::parse("docker.io/a___b").is_err());
        assert!(ImageRef::parse("docker.io/a_/b").is_err());
    }
}
