//! Image references the way kubelet and containerd see them: the grammar and
//! normalisation of `github.com/distribution/reference` (`ParseNormalizedNamed`),
//! kubelet's `applyDefaultImageTag`, and the error strings they print.

use std::sync::LazyLock;

use regex::Regex;

/// A parsed, normalised image reference (`docker.io/library/nginx:latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry domain as written (`127.0.0.1:5000`, `docker.io`).
    pub domain: String,
    /// Repository path (`team/app`, `library/nginx`).
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// The normalised reference containerd prints (`docker.io/library/x:1`).
    pub fn normalized(&self) -> String {
        let mut s = format!("{}/{}", self.domain, self.path);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The manifest reference used in `/v2/<path>/manifests/<reference>`.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host to dial for this registry (docker.io's API lives elsewhere).
    pub fn api_host(&self) -> &str {
        if self.domain == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.domain
        }
    }
}

const ALNUM: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]*)";
const DOMAIN_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const TAG: &str = r"[\w][\w.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let name_component = format!("{ALNUM}(?:{SEPARATOR}{ALNUM})*");
    let domain = format!(r"{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*(?::[0-9]+)?");
    let name = format!("(?:{domain}/)?{name_component}(?:/{name_component})*");
    Regex::new(&format!("^({name})(?::({TAG}))?(?:@({DIGEST}))?$"))
        .expect("static reference regex compiles")
});

static ANCHORED_HEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[a-f0-9]{64}$").expect("static regex compiles"));

/// `reference.ParseNormalizedNamed` + kubelet's default tag. The error is the
/// text Go prints (e.g. `invalid reference format`).
pub fn parse_normalized(s: &str) -> Result<ImageRef, String> {
    if ANCHORED_HEX.is_match(s) {
        return Err(format!(
            "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        ));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote_name = match remainder.find(':') {
        Some(i) => &remainder[..i],
        None => remainder.as_str(),
    };
    if remote_name.to_lowercase() != remote_name {
        return Err("invalid reference format: repository name must be lowercase".into());
    }
    let full = format!("{domain}/{remainder}");
    let Some(caps) = REFERENCE.captures(&full) else {
        if full.is_empty() {
            return Err("repository name must have at least one component".into());
        }
        if REFERENCE.is_match(&full.to_lowercase()) {
            return Err("invalid reference format: repository name must be lowercase".into());
        }
        return Err("invalid reference format".into());
    };
    let name = caps.get(1).map(|m| m.as_str()).unwrap_or_default();
    if name.len() > 255 {
        return Err("repository name must not be more than 255 characters".into());
    }
    let path = name
        .strip_prefix(&format!("{domain}/"))
        .unwrap_or(name)
        .to_string();
    let tag = caps.get(2).map(|m| m.as_str().to_string());
    let digest = caps.get(3).map(|m| m.as_str().to_string());
    // kubelet's applyDefaultImageTag: no tag and no digest means `latest`.
    let tag = if tag.is_none() && digest.is_none() {
        Some("latest".to_string())
    } else {
        tag
    };
    Ok(ImageRef {
        domain,
        path,
        tag,
        digest,
    })
}

/// `splitDockerDomain`: the first component is a domain when it contains `.`
/// or `:`, is `localhost`, or has upper-case letters.
fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i) => {
            let first = &name[..i];
            if !first.contains(['.', ':']) && first != "localhost" && first.to_lowercase() == first
            {
                ("docker.io".to_string(), name.to_string())
            } else {
                (first.to_string(), name[i + 1..].to_string())
            }
        }
        None => ("docker.io".to_string(), name.to_string()),
    };
    if domain == "index.docker.io" {
        domain = "docker.io".into();
    }
    if domain == "docker.io" && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    (domain, remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_containerd() {
        let r = parse_normalized("nginx").expect("valid");
        assert_eq!(r.normalized(), "docker.io/library/nginx:latest");
        let r = parse_normalized("127.0.0.1:5000/team/app:1.0").expect("valid");
        assert_eq!(r.domain, "127.0.0.1:5000");
        assert_eq!(r.path, "team/app");
        assert_eq!(r.manifest_reference(), "1.0");
        assert!(parse_normalized("127.0.0.1:5000/Team/app:1.0").is_err());
        assert_eq!(
            parse_normalized("team/app:1.0:2").unwrap_err(),
            "invalid reference format"
        );
    }
}
