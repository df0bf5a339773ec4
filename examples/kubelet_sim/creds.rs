//! Pull credentials the way kubelet's credential keyring finds them: from the
//! pod's `imagePullSecrets` (dockerconfigjson `auths` or legacy dockercfg),
//! matched to the image by host (port must match) and path prefix.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::ByteString;

use super::reference::ImageRef;
use super::registry::Credential;

/// Credentials from one secret's data that apply to `image`.
pub fn matching_credentials(
    secret_type: Option<&str>,
    data: &BTreeMap<String, ByteString>,
    image: &ImageRef,
) -> Vec<Credential> {
    let auths: Option<serde_json::Map<String, serde_json::Value>> = match secret_type {
        Some("kubernetes.io/dockercfg") => data
            .get(".dockercfg")
            .and_then(|b| serde_json::from_slice(&b.0).ok()),
        _ => data
            .get(".dockerconfigjson")
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b.0).ok())
            .and_then(|v| v.get("auths").and_then(|a| a.as_object()).cloned()),
    };
    let Some(auths) = auths else {
        return vec![];
    };
    let mut out = vec![];
    for (key, entry) in auths {
        if !key_matches(&key, image) {
            continue;
        }
        let mut username = entry
            .get("username")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let mut password = entry
            .get("password")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if username.is_empty()
            && let Some(auth) = entry.get("auth").and_then(|v| v.as_str())
            && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(auth)
        {
            let raw = String::from_utf8_lossy(&raw).to_string();
            if let Some((u, p)) = raw.split_once(':') {
                username = u.to_string();
                password = p.to_string();
            }
        }
        if !username.is_empty() {
            out.push(Credential { username, password });
        }
    }
    out
}

fn canonical_host(h: &str) -> String {
    let h = h.to_ascii_lowercase();
    match h.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".into()
        }
        _ => h,
    }
}

/// kubelet's `URLsMatch`: host equal (with `*` globs per label), port equal,
/// key path a prefix of the repository path.
fn key_matches(key: &str, image: &ImageRef) -> bool {
    let k = key
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let (khostport, kpath) = match k.split_once('/') {
        Some((h, p)) => (h, p.trim_end_matches('/')),
        None => (k, ""),
    };
    // `index.docker.io/v1/` is the classic Docker Hub key.
    let kpath = if kpath == "v1" { "" } else { kpath };
    let split = |hp: &str| -> (String, String) {
        match hp.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h.to_string(), p.to_string()),
            _ => (hp.to_string(), String::new()),
        }
    };
    let (kh, kp) = split(khostport);
    let (ih, ip) = split(&image.domain);
    if kp != ip {
        return false;
    }
    let (kh, ih) = (canonical_host(&kh), canonical_host(&ih));
    let kl: Vec<&str> = kh.split('.').collect();
    let il: Vec<&str> = ih.split('.').collect();
    if kl.len() != il.len() || kl.iter().zip(&il).any(|(g, t)| !glob(g, t)) {
        return false;
    }
    kpath.is_empty() || image.path == kpath || image.path.starts_with(&format!("{kpath}/"))
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((pre, post)) => {
            text.len() >= pre.len() + post.len() && text.starts_with(pre) && text.ends_with(post)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet_sim::reference::parse_normalized;

    #[test]
    fn port_and_scheme() {
        let img = parse_normalized("127.0.0.1:5000/team/app:1.0").expect("valid");
        assert!(key_matches("127.0.0.1:5000", &img));
        assert!(key_matches("https://127.0.0.1:5000", &img));
        assert!(key_matches("127.0.0.1:5000/team", &img));
        assert!(!key_matches("127.0.0.1:5001", &img));
        assert!(!key_matches("127.0.0.1", &img));
        assert!(!key_matches("127.0.0.1:5000/other", &img));
    }
}
