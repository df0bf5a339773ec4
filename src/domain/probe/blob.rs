//! The blob leg of a pull, as data: which blob to ask for (the config of
//! the node's platform's manifest, else its smallest layer), where a
//! redirect sends the request, and whether the registry's `Authorization`
//! may go there (never to another host: containerd and crane drop it).

use serde::Serialize;

use super::plan::Platform;

/// Redirects followed at most (a chain longer than this is a finding).
pub const MAX_HOPS: usize = 3;

/// Bytes of the blob read before the probe stops.
pub const FIRST_BYTES: usize = 1024;

/// What a manifest body leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// An index: the manifest of the node's platform, by digest.
    Manifest(String),
    /// An image manifest: a blob to fetch (`what`: `config` or `layer`).
    Blob {
        digest: String,
        size: Option<u64>,
        what: &'static str,
    },
}

/// The blob (or the platform's manifest) to fetch from a manifest body.
pub fn pick(body: &[u8], platform: &Platform) -> Result<Pick, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the manifest is not JSON ({e})"))?;
    let digest_of = |d: &serde_json::Value| {
        d.get("digest")
            .and_then(|x| x.as_str())
            .filter(|x| valid_digest(x))
            .map(str::to_string)
    };
    if let Some(list) = v.get("manifests").and_then(|m| m.as_array()) {
        let entry = list.iter().find(|m| {
            m.get("platform")
                .and_then(platform_of)
                .is_some_and(|p| platform.served_by(&p))
        });
        return entry
            .and_then(digest_of)
            .map(Pick::Manifest)
            .ok_or_else(|| format!("the index lists no manifest for {platform}"));
    }
    if let Some(d) = v.get("config").and_then(digest_of) {
        let size = v.get("config").and_then(|c| c.get("size")?.as_u64());
        return Ok(Pick::Blob {
            digest: d,
            size,
            what: "config",
        });
    }
    let smallest = v.get("layers").and_then(|l| l.as_array()).and_then(|l| {
        l.iter()
            .filter_map(|x| Some((x.get("size")?.as_u64()?, digest_of(x)?)))
            .min()
    });
    match smallest {
        Some((size, digest)) => Ok(Pick::Blob {
            digest,
            size: Some(size),
            what: "layer",
        }),
        None => Err("the manifest names no config and no layer".into()),
    }
}

/// An index entry's `platform` object.
fn platform_of(p: &serde_json::Value) -> Option<Platform> {
    let s = |k: &str| p.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(Platform {
        os: s("os")?,
        architecture: s("architecture")?,
        variant: s("variant"),
    })
}

/// `algorithm:hex` as the distribution spec allows (no path characters:
/// it goes into a URL).
pub fn valid_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some((alg, hex)) => {
            !alg.is_empty()
                && alg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.len() <= 128
                && hex
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '=' || c == '_' || c == '-')
        }
        None => false,
    }
}

/// Where a request goes: scheme, host, port, and the path with its query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    #[serde(skip)]
    pub path: String,
}

impl Target {
    /// `host[:port]` as the Host header has it (the port only when not the
    /// scheme's default).
    pub fn authority(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The same scheme, host and port: the registry's `Authorization` may
    /// go there (a redirect within the registry).
    pub fn same_origin(&self, other: &Target) -> bool {
        self.https == other.https
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
    }
}

/// A `Location` resolved against the request it answered: an absolute
/// `http(s)://` URL or an absolute path. Anything else is refused.
pub fn resolve(location: &str, from: &Target) -> Result<Target, String> {
    let location = location.trim();
    if location.starts_with('/') && !location.starts_with("//") {
        return Ok(Target {
            path: location.to_string(),
            ..from.clone()
        });
    }
    let uri: http::Uri = location
        .parse()
        .map_err(|_| "the redirect's Location is not a URL".to_string())?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err("the redirect goes to a scheme other than http(s)".into()),
    };
    let host = uri
        .host()
        .ok_or("the redirect's Location has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if host.is_empty() {
        return Err("the redirect's Location has no host".into());
    }
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    Ok(Target {
        https,
        host,
        port,
        path,
    })
}

/// What the blob leg found, for `probe --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlobFacts {
    /// The blob asked for.
    pub blob: String,
    /// `config` or `layer`.
    pub what: String,
    /// The hosts the request went to, in order (the registry first).
    pub hosts: Vec<String>,
    /// Whether the registry's `Authorization` was sent to each host.
    pub authorization_sent: Vec<bool>,
    /// The blob host's addresses with their scope (a redirect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_addrs: Option<String>,
    /// Bytes read before stopping.
    pub first_bytes: usize,
    /// The other host the registry sent the blob request to, once it
    /// passed the address rule: what the node probe checks as well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_host: Option<Target>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amd64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn an_index_leads_to_the_platforms_manifest_and_a_manifest_to_its_config() {
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D1}","size":1,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D2}","size":1,"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#
        );
        assert_eq!(
            pick(index.as_bytes(), &amd64()),
            Ok(Pick::Manifest(D2.into()))
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{D1}","size":1469}},"layers":[{{"digest":"{D2}","size":3}}]}}"#
        );
        assert_eq!(
            pick(manifest.as_bytes(), &amd64()),
            Ok(Pick::Blob {
                digest: D1.into(),
                size: Some(1469),
                what: "config"
            })
        );
        let no_config =
            format!(r#"{{"layers":[{{"digest":"{D1}","size":9}},{{"digest":"{D2}","size":3}}]}}"#);
        assert!(matches!(
            pick(no_config.as_bytes(), &amd64()),
            Ok(Pick::Blob {
                what: "layer",
                size: Some(3),
                ..
            })
        ));
        assert!(pick(br#"{"manifests":[]}"#, &amd64()).is_err());
        // A digest with path characters is not used.
        assert!(pick(br#"{"config":{"digest":"sha256:../../x"}}"#, &amd64()).is_err());
    }

    #[test]
    fn redirects_resolve_and_only_the_same_origin_keeps_authorization() {
        let reg = Target {
            https: true,
            host: "registry.example".into(),
            port: 443,
            path: "/v2/a/blobs/x".into(),
        };
        let s3 = resolve("https://layers.example/bucket/x?X-Sig=abc", &reg).expect("url");
        assert_eq!(
            (s3.host.as_str(), s3.port, s3.path.as_str()),
            ("layers.example", 443, "/bucket/x?X-Sig=abc")
        );
        assert!(!s3.same_origin(&reg));
        let local = resolve("/v2/a/blobs/y", &reg).expect("path");
        assert!(local.same_origin(&reg));
        let other_port = resolve("https://registry.example:8443/x", &reg).expect("url");
        assert!(!other_port.same_origin(&reg));
        assert_eq!(other_port.authority(), "registry.example:8443");
        let v6 = resolve("http://[::1]:5000/x", &reg).expect("url");
        assert_eq!(
            (v6.host.as_str(), v6.authority().as_str()),
            ("::1", "[::1]:5000")
        );
        assert!(resolve("ftp://x/y", &reg).is_err());
        assert!(resolve("//evil.example/x", &reg).is_err());
        assert!(resolve("not a url", &reg).is_err());
    }
}
