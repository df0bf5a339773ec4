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
//! Layout: [`rules`] (the vocabulary and its tiers), [`extract`] (spans,
//! addresses, registries, event rows), [`summary`] (the one-line summary).
//! The taxonomy and the fixes live in [`crate::domain::taxonomy`] and
//! [`crate::domain::fixes`]; they are re-exported here for old paths.

mod extract;
mod rules;
mod summary;

use std::net::IpAddr;
use std::ops::Range;

use serde::Serialize;

pub use super::fixes::{Fix, fixes_for};
use super::ipscope::IpScope;
pub use super::taxonomy::Category;
use extract::{aggregate_parts, dialled_ip, event_rows, fallback_cause, widen};
pub use extract::{images_in, registry_in};
use rules::{ENGINE, GENERIC_DENIAL};
use summary::summarise;

/// How strongly the message supports the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidence {
    /// A phrase that means one cause only (`x509: certificate signed by
    /// unknown authority`, `no basic auth credentials`).
    Strong,
    /// A phrase more than one cause produces (a bare `not found`, `context
    /// deadline exceeded`, Docker Hub's `pull access denied`): the verdict
    /// lists the other candidates and a probe settles it.
    Weak,
    /// Nothing in the message points at a cause.
    None,
}

impl Confidence {
    pub fn id(self) -> &'static str {
        match self {
            Confidence::Strong => "strong",
            Confidence::Weak => "weak",
            Confidence::None => "none",
        }
    }
}

impl Serialize for Confidence {
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
    /// How strongly the message supports `category`.
    pub confidence: Confidence,
    /// When the evidence is weak: the other categories it could be. A probe
    /// of the registry settles which.
    pub alternatives: Vec<Category>,
}

impl Classification {
    /// Whether the message carried a cause at all (a bare `Back-off pulling
    /// image` does not: the cause is in earlier events).
    pub fn has_cause(&self) -> bool {
        self.category != Category::Unknown || self.cause_span.is_some()
    }

    /// One sentence on how sure the verdict is, for the detail screen and
    /// `explain`: `None` when the evidence is strong.
    pub fn doubt(&self) -> Option<String> {
        match self.confidence {
            Confidence::Strong => None,
            Confidence::None => {
                Some("no known cause in the message; a probe of the registry finds one".to_string())
            }
            Confidence::Weak if self.alternatives.is_empty() => {
                Some("weak evidence; a probe of the registry settles it".to_string())
            }
            Confidence::Weak => {
                let alts: Vec<&str> = self.alternatives.iter().map(|c| c.id()).collect();
                Some(format!(
                    "weak evidence: could also be {}; a probe of the registry settles it",
                    alts.join(" or ")
                ))
            }
        }
    }
}

/// The JSON shape of `explain --json`, one object per message. The first
/// seven fields are the public contract of product.md; later ones are added.
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    pub category: Category,
    pub cause: &'a str,
    pub registry: Option<&'a str>,
    pub ip: Option<String>,
    pub ip_scope: Option<IpScope>,
    pub summary: &'a str,
    pub fixes: &'a [Fix],
    pub confidence: Confidence,
    pub alternatives: &'a [Category],
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
            confidence: c.confidence,
            alternatives: &c.alternatives,
        }
    }
}

/// Classifies one message. `reason` is the waiting reason or event reason
/// when known (`ErrImagePull`, `Failed`, `InvalidImageName`, ...).
///
/// The answer is a pure function of its inputs, and a cluster repeats the
/// same few messages (each back-off cycle writes the same text again), so
/// recent answers are remembered (`memo`): in an event storm the regexes
/// were a quarter of the console's CPU.
pub fn classify(message: &str, reason: Option<&str>) -> Classification {
    memo::get_or(message, reason, || {
        if let Some(c) = classify_events(message, reason) {
            return c;
        }
        classify_single(message, reason)
    })
}

/// Recent classifications, bounded in bytes; cleared when full.
mod memo {
    use std::collections::HashMap;
    use std::hash::{DefaultHasher, Hash, Hasher};
    use std::sync::{LazyLock, Mutex};

    use super::Classification;

    /// Longer messages are classified every time (and are rare).
    const MAX_MESSAGE: usize = 8 * 1024;
    /// Bytes of remembered messages (plus a fixed cost per entry).
    const MAX_BYTES: usize = 4 << 20;
    const ENTRY_COST: usize = 512;

    struct Entry {
        message: Box<str>,
        reason: Option<Box<str>>,
        class: Classification,
    }

    #[derive(Default)]
    struct Memo {
        map: HashMap<u64, Entry>,
        bytes: usize,
    }

    static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);

    fn key(message: &str, reason: Option<&str>) -> u64 {
        let mut h = DefaultHasher::new();
        message.hash(&mut h);
        reason.hash(&mut h);
        h.finish()
    }

    pub(super) fn get_or(
        message: &str,
        reason: Option<&str>,
        compute: impl FnOnce() -> Classification,
    ) -> Classification {
        if message.len() > MAX_MESSAGE {
            return compute();
        }
        let k = key(message, reason);
        if let Ok(m) = MEMO.lock()
            && let Some(e) = m.map.get(&k)
            && &*e.message == message
            && e.reason.as_deref() == reason
        {
            return e.class.clone();
        }
        let class = compute();
        if let Ok(mut m) = MEMO.lock() {
            let cost = message.len() + ENTRY_COST;
            if m.bytes + cost > MAX_BYTES {
                m.map.clear();
                m.bytes = 0;
            }
            let old = m.map.insert(
                k,
                Entry {
                    message: message.into(),
                    reason: reason.map(Into::into),
                    class: class.clone(),
                },
            );
            m.bytes += cost;
            if let Some(o) = old {
                m.bytes = m.bytes.saturating_sub(o.message.len() + ENTRY_COST);
            }
        }
        class
    }

    #[cfg(test)]
    mod tests {
        use super::super::classify;

        #[test]
        fn a_remembered_answer_is_the_computed_one() {
            let msgs = [
                "dial tcp: lookup reg.example: no such host",
                "x509: certificate signed by unknown authority",
                "manifest unknown",
            ];
            for m in msgs {
                let first = classify(m, Some("Failed"));
                let again = classify(m, Some("Failed"));
                assert_eq!(first, again);
                assert_eq!(first, super::super::classify_single(m, Some("Failed")));
            }
        }

        #[test]
        fn the_reason_is_part_of_the_key() {
            // A message with no cause: the reason alone decides.
            let m = "Back-off pulling image \"reg.example/app:1\" (memo test)";
            let failed = classify(m, Some("Failed"));
            let never = classify(m, Some("ErrImageNeverPull"));
            assert_ne!(failed.category, never.category);
            assert_eq!(classify(m, Some("Failed")).category, failed.category);
        }
    }
}

fn classify_single(message: &str, reason: Option<&str>) -> Classification {
    match aggregate_parts(message) {
        Some(parts) => classify_aggregate(message, reason, &parts),
        None => classify_one(message, reason),
    }
}

/// A pasted `kubectl describe` / `kubectl get events` with several event
/// rows: the newest row that carries a cause decides (see the module docs).
fn classify_events(message: &str, reason: Option<&str>) -> Option<Classification> {
    let rows = event_rows(message)?;
    let mut best: Option<(extract::When, Range<usize>, Classification)> = None;
    for row in rows {
        let c = classify_single(&message[row.span.clone()], reason);
        if c.category == Category::Unknown {
            continue;
        }
        let newer = match &best {
            None => true,
            Some((when, _, _)) => row.when.is_at_least_as_new_as(when),
        };
        if newer {
            best = Some((row.when, row.span, c));
        }
    }
    let (_, span, mut c) = best?;
    c.cause_span = c
        .cause_span
        .map(|r| r.start + span.start..r.end + span.start);
    if c.registry.is_none() {
        c.registry = registry_in(message);
        refresh(&mut c, reason);
    }
    Some(c)
}

/// Recomputes the summary and fixes after the registry became known.
fn refresh(c: &mut Classification, reason: Option<&str>) {
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

/// How far an attempt got: the attempt that reached furthest explains the
/// failure (a credentialed `not found` beats the anonymous retry's 401). A
/// 5xx says nothing about the image, so it ranks with the network failures.
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
        | Category::ProtocolHttpRegistry
        | Category::RegistryServerError
        | Category::NodePullThrottle => 1,
        Category::AuthNoCredentials => 2,
        Category::AuthDenied | Category::RegistryRateLimit | Category::AuthUpstream => 3,
        Category::ImageNotFound
        | Category::ImagePlatform
        | Category::PolicySignature
        | Category::NetworkStalled => 4,
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
    let mut seen: Vec<Category> = Vec::new();
    for part in parts {
        let c = classify_one(&message[part.clone()], reason);
        if c.category != Category::Unknown && !seen.contains(&c.category) {
            seen.push(c.category);
        }
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
    // The attempts disagree: the verdict is the furthest one, the others are
    // what a probe with the pod's credentials would tell apart.
    let others: Vec<Category> = seen.into_iter().filter(|x| *x != c.category).collect();
    if !others.is_empty() && c.confidence == Confidence::Strong {
        c.confidence = Confidence::Weak;
    }
    for o in others {
        if !c.alternatives.contains(&o) {
            c.alternatives.push(o);
        }
    }
    if c.registry.is_none() {
        c.registry = registry_in(message);
        refresh(&mut c, reason);
    }
    c
}

fn classify_one(message: &str, reason: Option<&str>) -> Classification {
    let engine = &*ENGINE;
    let registry = registry_in(message);
    let amb = engine.ambiguous();

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
    // The cannot-tell-which messages contain "access denied", "not found" or
    // "unauthorized"; when the winner lies inside one, the message is the
    // ambiguous one.
    if let Some((idx, range)) = &best
        && *idx != amb
        && engine.rules[*idx].tier == engine.rules[amb].tier
        && let Some(m) = hits
            .iter()
            .filter(|(i, _)| *i == amb)
            .flat_map(|(_, v)| v.iter())
            .find(|m| m.start <= range.start && range.end <= m.end)
    {
        best = Some((amb, m.clone()));
    }
    let (category, mut ambiguous, span, mut alternatives) = match best {
        Some((idx, range)) => {
            let rule = &engine.rules[idx];
            let span = widen(message, range, rule.category, engine, &hits);
            (
                rule.category,
                rule.ambiguous,
                Some(span),
                rule.alternatives.to_vec(),
            )
        }
        None => (category_from_reason(reason), false, None, Vec::new()),
    };
    // The same message with only a generic denial after it (containerd:
    // "...: server message: insufficient_scope: authorization failed") is
    // what an anonymous pull of a repository that does not exist gets too.
    if category == Category::AuthDenied
        && !ambiguous
        && let Some(r) = &span
        && hits.iter().any(|(i, _)| *i == amb)
        && GENERIC_DENIAL.is_match(&message[r.clone()])
    {
        ambiguous = true;
        alternatives = rules::AMBIGUOUS_ALTERNATIVES.to_vec();
    }
    let confidence = match (&span, category) {
        (_, Category::Unknown) => Confidence::None,
        (None, _) => reason_confidence(reason),
        _ if ambiguous || !alternatives.is_empty() => Confidence::Weak,
        _ => Confidence::Strong,
    };
    if confidence != Confidence::Weak {
        alternatives.clear();
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
        confidence,
        alternatives,
    }
}

fn category_from_reason(reason: Option<&str>) -> Category {
    match reason.unwrap_or("") {
        "InvalidImageName" => Category::ImageInvalidName,
        "ErrImageNeverPull" => Category::PolicyNeverPull,
        "SignatureValidationFailed" => Category::PolicySignature,
        "FailedToRetrieveImagePullSecret" => Category::CredentialsSecretMissing,
        "ImageInspectError" => Category::NodeRuntime,
        _ => Category::Unknown,
    }
}

/// The kubelet's own reasons are verdicts; an inspect error is a guess.
fn reason_confidence(reason: Option<&str>) -> Confidence {
    match reason.unwrap_or("") {
        "InvalidImageName" | "ErrImageNeverPull" | "FailedToRetrieveImagePullSecret" => {
            Confidence::Strong
        }
        _ => Confidence::Weak,
    }
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
