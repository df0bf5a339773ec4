//! The pull-error classifier: from a kubelet / container-runtime message (and
//! the waiting or event reason when known) to a category of the taxonomy, the
//! innermost cause that decided it, the registry, the dialled IP and its
//! scope, a one-line summary, the fixes that apply and how sure it is.
//!
//! Runtimes wrap errors outside-in (`failed to pull and unpack image "X":
//! failed to resolve reference "X": failed to do request: Head "..": dial tcp
//! IP:443: i/o timeout`), so the innermost cause is the rightmost phrase of
//! the error vocabulary. Rules match that vocabulary (see [`rules`]), never
//! whole test strings.
//!
//! Messages arrive in many shapes: kubelet events and waiting messages, klog
//! key=value lines (`err="...\"...\"..."`), journal lines of the kubelet,
//! containerd and CRI-O, crictl / ctr / docker / podman output, kubelet's
//! aggregate of every credential it tried (`[rpc error: ..., rpc error: ...]`)
//! and whole `kubectl describe pod` / `kubectl get events` pastes. For a paste
//! of several event rows the newest row that carries a cause decides:
//! "newest" is the smallest age in the row's age column (`2m6s (x5 over
//! 5m13s)` reads 2m6s: the last time it was seen), the latest clock time when
//! rows carry times of day, and otherwise the last such row, because
//! `kubectl describe` lists events oldest first.
//!
//! Layout: `verdict` (the answer and its JSON shape), `message` (one
//! message, step by step), `pasted` (several event rows: the newest
//! decides), `attempts` (the kubelet's aggregate: the furthest attempt
//! decides), `memo` (recent answers), `rules` (the vocabulary and its
//! tiers), `extract` (spans, addresses, registries, event rows),
//! `summary` (the one-line summary). The taxonomy and the fixes live in
//! [`crate::domain::taxonomy`] and [`crate::domain::fixes`]; they are
//! re-exported here as well.

mod attempts;
mod extract;
mod memo;
mod message;
mod pasted;
mod rules;
mod summary;
mod verdict;

pub use super::fixes::{Fix, fixes_for};
pub use super::taxonomy::Category;
pub use extract::{images_in, registry_in};
pub use verdict::{Classification, Confidence, ExplainJson};

/// Classifies one message. `reason` is the waiting reason or event reason
/// when known (`ErrImagePull`, `Failed`, `InvalidImageName`, ...).
///
/// The answer is a pure function of its inputs, and a cluster repeats the
/// same few messages (each back-off cycle writes the same text again), so
/// recent answers are remembered (`memo`): in an event storm the regexes
/// were a quarter of the console's CPU.
pub fn classify(message: &str, reason: Option<&str>) -> Classification {
    memo::get_or(message, reason, || {
        if let Some(c) = pasted::classify_events(message, reason) {
            return c;
        }
        classify_single(message, reason)
    })
}

/// A message that is not a paste of event rows: an aggregate of attempts,
/// or one error.
fn classify_single(message: &str, reason: Option<&str>) -> Classification {
    match extract::aggregate_parts(message) {
        Some(parts) => attempts::classify_aggregate(message, reason, &parts),
        None => message::classify_one(message, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ipscope::IpScope;

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

    // The three families the issue found wrong.

    #[test]
    fn kubelets_older_pull_secret_wording_is_secret_missing() {
        let r = c(
            "W1126 12:07:44.833517    3683 kubelet_pods.go:842] Unable to retrieve pull secret default/regcred for default/web-1 due to secrets \"regcred\" not found.  The image pull may not succeed.",
        );
        assert_eq!(r.category, Category::CredentialsSecretMissing);
        assert_eq!(r.confidence, Confidence::Strong);
    }

    #[test]
    fn kubelets_structured_pull_secret_log_is_secret_missing() {
        let r = c(
            r#"I0518 19:35:07.806797 2619939 kubelet_pods.go:891] "Unable to retrieve pull secret, the image pull may not succeed." pod="shop/web-7d9f" secret="" err="secret \"regcred\" not found""#,
        );
        assert_eq!(r.category, Category::CredentialsSecretMissing);
        assert!(r.fixes.contains(&Fix::FixSecretReference));
    }

    #[test]
    fn manifest_digest_mismatch_is_node_runtime() {
        let r = c(
            "Error: Manifest does not match provided manifest digest sha256:3181b2fff8cbdefa2302a04b1eb2273251749e9320d0083b807d32e9f0e18961",
        );
        assert_eq!(r.category, Category::NodeRuntime);
        assert!(r.fixes.contains(&Fix::Restart));
    }

    #[test]
    fn pull_qps_exceeded_is_the_kubelets_throttle_not_the_registrys() {
        for msg in [
            "pull QPS exceeded",
            r#"Failed to pull image "busybox:1.36": pull QPS exceeded"#,
            r#"E0903 10:30:03.291420    1088 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"app\" with ErrImagePull: \"pull QPS exceeded\"" pod="ns/p" podUID="x""#,
        ] {
            let r = classify(msg, Some("ErrImagePull"));
            assert_eq!(r.category, Category::NodePullThrottle, "{msg}");
            assert!(!r.fixes.contains(&Fix::AuthenticateOrMirror), "{msg}");
            assert_eq!(r.cause, "pull QPS exceeded", "{msg}");
        }
    }

    // Shapes of messages.

    #[test]
    fn newer_kubelet_backoff_message_carries_its_cause() {
        let r = classify(
            r#"Back-off pulling image "registry.invalid/app:v9": ErrImagePull: failed to pull and unpack image "registry.invalid/app:v9": failed to resolve reference "registry.invalid/app:v9": failed to do request: Head "https://registry.invalid/v2/app/manifests/v9": dial tcp: lookup registry.invalid on 172.18.0.1:53: no such host"#,
            Some("ImagePullBackOff"),
        );
        assert_eq!(r.category, Category::NetworkDns);
        assert_eq!(r.registry.as_deref(), Some("registry.invalid"));
        assert!(r.has_cause());
    }

    const DESCRIBE: &str = "Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  12m                  default-scheduler  Successfully assigned shop/web to node-1
  Warning  Failed     11m (x3 over 12m)    kubelet            Failed to pull image \"r.example/web:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"r.example/web:1\": failed to resolve reference \"r.example/web:1\": failed to do request: Head \"https://r.example/v2/web/manifests/1\": dial tcp 10.0.0.9:443: i/o timeout
  Warning  Failed     2m6s (x5 over 9m)    kubelet            Failed to pull image \"r.example/web:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"r.example/web:1\": failed to resolve reference \"r.example/web:1\": failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized
  Warning  Failed     2m6s (x5 over 9m)    kubelet            Error: ErrImagePull
  Normal   BackOff    8s (x20 over 9m)     kubelet            Back-off pulling image \"r.example/web:1\"";

    #[test]
    fn in_a_pasted_describe_the_newest_cause_decides() {
        let r = c(DESCRIBE);
        assert_eq!(r.category, Category::AuthNoCredentials);
        assert_eq!(r.registry.as_deref(), Some("r.example"));
        let span = r.cause_span.clone().expect("span");
        assert_eq!(&DESCRIBE[span], r.cause);
        assert!(r.cause.ends_with("401 Unauthorized"), "{}", r.cause);
    }

    #[test]
    fn the_age_column_decides_not_the_line_order() {
        // kubectl get events is not sorted: the 401 is the older event here.
        let paste = "9m37s  Warning  Failed  pod/p  Failed to pull image \"a/b:1\": unauthorized: authentication required
8m22s  Warning  Failed  pod/p  Failed to pull image \"a/b:1\": Error response from daemon: manifest for a/b:1 not found: manifest unknown: manifest unknown
4m52s  Normal   BackOff pod/p  Back-off pulling image \"a/b:1\"";
        assert_eq!(c(paste).category, Category::ImageNotFound);
        let reversed: Vec<&str> = paste.lines().rev().collect();
        assert_eq!(c(&reversed.join("\n")).category, Category::ImageNotFound);
    }

    #[test]
    fn a_multi_line_error_that_is_not_events_reads_as_one_message() {
        let r = c(
            "Error response from daemon: unable to ping registry endpoint https://192.168.1.210:5000/v0/\nv2 ping attempt failed with error: Get https://192.168.1.210:5000/v2/: x509: certificate has expired or is not yet valid",
        );
        assert_eq!(r.category, Category::TlsExpired);
    }

    // Confidence.

    #[test]
    fn a_specific_phrase_is_strong_evidence() {
        let r = c("Get https://r.example/v2/: x509: certificate signed by unknown authority");
        assert_eq!(r.confidence, Confidence::Strong);
        assert!(r.alternatives.is_empty());
        assert_eq!(r.doubt(), None);
    }

    #[test]
    fn a_shared_phrase_is_weak_and_names_the_alternatives() {
        let r = c(
            r#"Failed to pull image "r.example/a:1": rpc error: code = Unknown desc = context deadline exceeded"#,
        );
        assert_eq!(r.category, Category::NetworkTimeout);
        assert_eq!(r.confidence, Confidence::Weak);
        assert!(r.alternatives.contains(&Category::NetworkDns));
        let doubt = r.doubt().expect("weak evidence doubts");
        assert!(
            doubt.contains("network.dns") && doubt.contains("probe"),
            "{doubt}"
        );
    }

    #[test]
    fn docker_hubs_cannot_tell_which_is_weak() {
        let r = c(
            "Error response from daemon: pull access denied for foo/bar, repository does not exist or may require 'docker login'",
        );
        assert_eq!(r.confidence, Confidence::Weak);
        assert_eq!(
            r.alternatives,
            [Category::ImageNotFound, Category::AuthNoCredentials]
        );
    }

    #[test]
    fn no_cause_is_no_confidence() {
        let r = classify(r#"Back-off pulling image "a/b:1""#, Some("BackOff"));
        assert_eq!(r.confidence, Confidence::None);
        assert!(r.alternatives.is_empty());
    }

    #[test]
    fn attempts_that_disagree_make_the_verdict_weak() {
        let r = c(
            "[rpc error: code = Unknown desc = failed to pull and unpack image \"r.example/a:1\": failed to resolve reference \"r.example/a:1\": r.example/a:1: not found, rpc error: code = Unknown desc = failed to pull and unpack image \"r.example/a:1\": failed to resolve reference \"r.example/a:1\": unexpected status: 401 Unauthorized]",
        );
        assert_eq!(r.category, Category::ImageNotFound);
        assert_eq!(r.confidence, Confidence::Weak);
        assert!(r.alternatives.contains(&Category::AuthNoCredentials));
    }

    #[test]
    fn explain_json_keeps_its_fields_and_adds_confidence() {
        let r = c("no basic auth credentials");
        let v = serde_json::to_value(ExplainJson::from(&r)).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        for k in [
            "category",
            "cause",
            "registry",
            "ip",
            "ip_scope",
            "summary",
            "fixes",
            "confidence",
            "alternatives",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert_eq!(v["confidence"], "strong");
    }
}
