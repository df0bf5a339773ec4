//! What the simulated node is: its kubelet's version (taken from the API
//! server it joins, as a node of that cluster would be) and its container
//! runtime, and the words each of them uses for a pull, following
//! `pkg/kubelet/images/image_manager.go` and `k8s.io/cri-client` of that
//! version:
//!
//! - kubelet ≥ 1.30 (cri-client) strips `rpc error: code = Unknown desc = `
//!   from a runtime's pull error; other codes keep it;
//! - kubelet ≥ 1.30 reads the CRI error names `RegistryUnavailable` and
//!   `SignatureValidationFailed` into waiting reasons of their own
//!   (`evalCRIPullErr`);
//! - kubelet ≥ 1.32 writes the last pull error into the back-off waiting
//!   message (`Back-off pulling image "X": ErrImagePull: <message>`), and
//!   `Pulled` events give the time with and without waiting and the size.

use std::collections::HashMap;
use std::time::Duration;

use super::reference::ImageRef;
use super::registry::PullError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Containerd,
    CriO,
}

#[derive(Debug, Clone)]
pub struct Flavor {
    /// Kubernetes minor version of the kubelet (= the API server's).
    pub minor: u32,
    /// `v1.35.4`, as `node.status.nodeInfo.kubeletVersion`.
    pub git_version: String,
    pub runtime: Runtime,
    /// Registries (host[:port]) whose images must carry a signature (the
    /// node's signature policy, as CRI-O's policy.json). Harness images are
    /// unsigned, so a pull from one is refused.
    pub require_signatures: Vec<String>,
    /// RuntimeClass handler → the sandbox (pause) image it uses. The default
    /// handler's sandbox image is pinned on the node (never pulled).
    pub sandbox_images: HashMap<String, String>,
    /// containerd's `image_pull_progress_timeout`.
    pub progress_timeout: Duration,
}

/// What a failed pull leaves: the waiting reason and message kubelet
/// reports (and keeps for the back-off message on ≥ 1.32).
#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: &'static str,
    pub message: String,
}

impl Flavor {
    pub fn runtime_version(&self) -> &'static str {
        match self.runtime {
            Runtime::Containerd if self.minor >= 30 => "containerd://2.1.4",
            Runtime::Containerd => "containerd://1.6.20",
            Runtime::CriO => "cri-o://1.34.2",
        }
    }

    /// The runtime's error as the kubelet's CRI client hands it on.
    pub fn runtime_error(&self, image: &ImageRef, e: &PullError) -> String {
        let (code, desc) = match self.runtime {
            Runtime::Containerd => (e.grpc_code, e.message.clone()),
            Runtime::CriO => ("Unknown", crio_message(image, e)),
        };
        if self.minor >= 30 && code == "Unknown" {
            desc
        } else {
            format!("rpc error: code = {code} desc = {desc}")
        }
    }

    /// The runtime refusing an image its signature policy covers.
    pub fn signature_refused(&self, image: &ImageRef) -> Option<String> {
        if self.runtime != Runtime::CriO {
            return None;
        }
        let covered = self
            .require_signatures
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&image.domain));
        covered.then(|| {
            "SignatureValidationFailed: Source image rejected: A signature was required, but no signature exists"
                .to_string()
        })
    }

    /// `evalCRIPullErr`: the waiting reason and message for a runtime error.
    pub fn eval_pull_error(&self, image: &str, err: &str) -> Failure {
        if self.minor >= 30 {
            for (name, words) in [
                ("RegistryUnavailable", "the registry is unavailable"),
                (
                    "SignatureValidationFailed",
                    "the signature validation failed",
                ),
            ] {
                if let Some(rest) = err.strip_prefix(name) {
                    return Failure {
                        reason: name,
                        message: format!("image pull failed for {image} because {words}{rest}"),
                    };
                }
            }
        }
        Failure {
            reason: "ErrImagePull",
            message: err.to_string(),
        }
    }

    /// The back-off waiting message; from 1.32 with the last pull's error.
    pub fn backoff_message(&self, image: &str, last: &Failure) -> String {
        let bare = format!("Back-off pulling image \"{image}\"");
        if self.minor >= 32 {
            format!("{bare}: {}: {}", last.reason, last.message)
        } else {
            bare
        }
    }

    /// The `Pulled` event's message.
    pub fn pulled_message(&self, image: &str, took: Duration, size: u64) -> String {
        if self.minor >= 32 {
            // Truncated to milliseconds, as kubelet does.
            let t = Duration::from_millis(took.as_millis() as u64);
            format!(
                "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {size} bytes.",
                go_duration(t),
                go_duration(t)
            )
        } else {
            format!(
                "Successfully pulled image \"{image}\" in {}",
                go_duration(took)
            )
        }
    }
}

/// CRI-O (containers/image) wording for the same failure: a registry that
/// cannot be reached is `RegistryUnavailable: pinging container registry …`.
fn crio_message(image: &ImageRef, e: &PullError) -> String {
    let host = image.api_host();
    let reference = image.manifest_reference();
    let source = format!("initializing source docker://{}", image.normalized());
    if let Some(cause) = &e.transport {
        return format!(
            "RegistryUnavailable: pinging container registry {host}: Get \"https://{host}/v2/\": {cause}"
        );
    }
    match e.status.as_deref() {
        Some(s) if s.starts_with("404") => format!(
            "{source}: reading manifest {reference} in {}/{}: manifest unknown",
            image.domain, image.path
        ),
        Some(s) if s.starts_with("401") => format!(
            "{source}: reading manifest {reference} in {}/{}: unauthorized: authentication required",
            image.domain, image.path
        ),
        Some(s) if s.starts_with("403") => format!(
            "{source}: reading manifest {reference} in {}/{}: denied: requested access to the resource is denied",
            image.domain, image.path
        ),
        Some(s) => format!(
            "{source}: reading manifest {reference} in {}/{}: received unexpected HTTP status: {s}",
            image.domain, image.path
        ),
        None => format!("{source}: {}", e.message),
    }
}

/// Go's `time.Duration` String().
pub fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        "0s".to_string()
    } else if ns >= 1_000_000_000 {
        format!("{}s", trim_float(d.as_secs_f64(), 9))
    } else if ns >= 1_000_000 {
        format!("{}ms", trim_float(ns as f64 / 1e6, 6))
    } else {
        format!("{}µs", trim_float(ns as f64 / 1e3, 3))
    }
}

fn trim_float(v: f64, prec: usize) -> String {
    let s = format!("{v:.prec$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(minor: u32) -> Flavor {
        Flavor {
            minor,
            git_version: format!("v1.{minor}.0"),
            runtime: Runtime::Containerd,
            require_signatures: vec![],
            sandbox_images: HashMap::new(),
            progress_timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn back_off_carries_the_cause_from_1_32() {
        let last = Failure {
            reason: "ErrImagePull",
            message: "failed to pull and unpack image \"x\": boom".into(),
        };
        assert_eq!(
            flavor(20).backoff_message("x:1", &last),
            "Back-off pulling image \"x:1\""
        );
        assert_eq!(
            flavor(35).backoff_message("x:1", &last),
            "Back-off pulling image \"x:1\": ErrImagePull: failed to pull and unpack image \"x\": boom"
        );
    }

    #[test]
    fn cri_error_names_become_reasons() {
        let f = flavor(35).eval_pull_error(
            "r/x:1",
            "RegistryUnavailable: pinging container registry r: boom",
        );
        assert_eq!(f.reason, "RegistryUnavailable");
        assert_eq!(
            f.message,
            "image pull failed for r/x:1 because the registry is unavailable: pinging container registry r: boom"
        );
        assert_eq!(
            flavor(20)
                .eval_pull_error("r/x:1", "RegistryUnavailable: x")
                .reason,
            "ErrImagePull"
        );
    }

    #[test]
    fn pulled_message_has_size_from_1_32() {
        let m = flavor(35).pulled_message("x:1", Duration::from_micros(715_400), 42);
        assert_eq!(
            m,
            "Successfully pulled image \"x:1\" in 715ms (715ms including waiting). Image size: 42 bytes."
        );
    }
}
