//! The kubelet's aggregate of every credential it tried (`[rpc error: ...,
//! rpc error: ...]`): the attempt that got furthest decides, and the
//! attempts that disagree with it are its alternatives.

use std::ops::Range;

use super::message::classify_one;
use super::{Classification, Confidence};
use crate::domain::taxonomy::Category;

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

/// The verdict on `message`, whose attempts stand at `parts`.
pub(super) fn classify_aggregate(
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
    c.shift_span(part.start);
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
    c.registry_from_whole(message, reason);
    c
}
