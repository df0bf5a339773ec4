//! Paragraphs of the detail document beyond the pod's own evidence: the
//! node's side of credentials (a credential provider's host, the
//! ServiceAccount annotations it reads), the credential re-verification of
//! a cached image (KEP-2535), and upstream events recognised by name. Each
//! function returns the segments; `doc` places them.

use jiff::Timestamp;

use super::{Detail, Evidence};
use crate::app::msg::Fetch;
use crate::app::text::{Seg, Tag, seg};
use crate::domain::classify::Category;
use crate::domain::cred_expiry::{CredExpiry, CredKind, SOON_SECS};
use crate::domain::image::ImageRef;
use crate::domain::node_credentials::provider_for;
use crate::domain::reverify::{Shape, pull_policy, reverification};
use crate::domain::secrets::{SecretInfo, expiries_for};

/// The SECRETS verdict when no pull secret covers `image` but a node
/// credential provider serves its host. `auth`: the registry demanded (or
/// refused) credentials.
pub(super) fn provider_verdict(host: &str, image: &ImageRef, auth: bool) -> Vec<Seg> {
    let Some(p) = provider_for(image) else {
        return vec![seg(format!("no pull secret covers {host}"), Tag::Dim)];
    };
    if auth {
        vec![
            seg(format!("✕ No pull secret covers {host}"), Tag::Bad),
            seg(
                format!(
                    " — it may be covered by the node's credential provider ({}, {}), but the \
                     registry did not accept what the pull sent: check {} or the \
                     ServiceAccount's annotations below",
                    p.name, p.registry, p.node_identity
                ),
                Tag::Plain,
            ),
        ]
    } else {
        vec![
            seg(format!("no pull secret covers {host}"), Tag::Dim),
            seg(
                format!(
                    " — may be covered by the node's credential provider ({}, {}; inferred \
                     from the host)",
                    p.name, p.registry
                ),
                Tag::Unsure,
            ),
        ]
    }
}

/// The ServiceAccount's annotations that the provider serving `image`
/// reads (and the related ones of its cloud), or that it sets none.
pub(super) fn sa_provider_lines(d: &Detail, image: &ImageRef) -> Vec<Vec<Seg>> {
    let (Some(p), Fetch::Found(view)) = (provider_for(image), &d.sa) else {
        return Vec::new();
    };
    let sa = &d.service_account;
    let found = view.annotations_for(p);
    let mut out: Vec<Vec<Seg>> = found
        .iter()
        .map(|(a, k)| {
            vec![
                seg(format!("serviceaccount/{sa} "), Tag::Dim),
                seg(a.key.clone(), Tag::Title),
                seg(": ", Tag::Dim),
                seg(a.value.clone(), Tag::Plain),
                seg(format!("  ({})", k.meaning), Tag::Dim),
            ]
        })
        .collect();
    let reads: Vec<&str> = p
        .annotations()
        .filter(|k| k.read_for_pulls)
        .map(|k| k.key)
        .collect();
    if !reads.is_empty() && !found.iter().any(|(_, k)| k.read_for_pulls) {
        out.push(vec![seg(
            format!(
                "serviceaccount/{sa} sets none of the annotations {} reads ({}): unless the \
                 node's provider requires them for ServiceAccount-token pulls (KEP-4412), it \
                 pulls with {}",
                p.name,
                reads.join(", "),
                p.node_identity
            ),
            Tag::Dim,
        )]);
    }
    out
}

/// Under CAUSE: the failure is the kubelet re-verifying the credentials of
/// an image its node has (KEP-2535), not an absent image.
pub(super) fn reverify_lines(d: &Detail, ev: &Evidence) -> Vec<Vec<Seg>> {
    let Fetch::Found(node) = &d.node else {
        return Vec::new();
    };
    let policy = pull_policy(&d.pod, &d.container);
    let Some(r) = reverification(node, &ev.image, policy.as_deref(), ev.class.category) else {
        return Vec::new();
    };
    let lead = seg("⟳ credential re-verification (KEP-2535): ", Tag::Unsure);
    let text = match r.shape {
        Shape::NeverPull => format!(
            "node {} (kubelet {}) has {} cached — it is not absent. From 1.35 the kubelet lets a \
             pod use an image pulled with credentials only if the pod has those credentials (the \
             same pull secret or ServiceAccount); with imagePullPolicy Never it cannot check them \
             against the registry, and says \"not present\" on purpose. Give the pod the pull \
             secret the image was pulled with, use IfNotPresent with a working pull secret, or \
             exempt the image in the node's imagePullCredentialsVerificationPolicy.",
            r.node, r.kubelet_version, ev.image
        ),
        Shape::PulledAgain => format!(
            "node {} (kubelet {}) has {} cached, yet the kubelet pulled it: from 1.35 it \
             re-verifies a pod's credentials against the registry before letting it use an \
             image pulled with other credentials, and this pull failed. Pods with the \
             credentials it was pulled with still start; this one needs a pull secret that \
             works (or the node's imagePullCredentialsVerificationPolicy exempting the image).",
            r.node, r.kubelet_version, ev.image
        ),
    };
    vec![vec![lead, seg(text, Tag::Plain)]]
}

/// The UPSTREAM section: the first line, then the paragraphs under it.
pub(super) fn upstream_lines(
    d: &Detail,
    ev: &Evidence,
    image: Option<&ImageRef>,
) -> Option<(Vec<Seg>, Vec<Vec<Seg>>)> {
    let image = image?;
    let began = d.focused().and_then(|r| r.since);
    let e = d.upstream.find(image, Some(ev.class.category), began)?;
    let first = vec![
        seg(format!("⚑ {}", e.title), Tag::Unsure),
        seg(format!("  (since {})", e.since), Tag::Dim),
    ];
    let rest = vec![
        vec![seg(e.what_happened.clone(), Tag::Plain)],
        vec![
            seg("What to do: ", Tag::Title),
            seg(e.what_to_do.clone(), Tag::Plain),
        ],
        vec![seg(format!("source: {}", e.source), Tag::Dim)],
    ];
    Some((first, rest))
}

/// After an `auths` entry: its credential's kind and when it expires
/// (`· ECR token: expired 3 h ago`), red once expired, amber within a day.
pub(super) fn expiry_segs(e: Option<&CredExpiry>, now: Timestamp) -> Vec<Seg> {
    let Some(e) = e else {
        return Vec::new();
    };
    let tag = match e.expires {
        Some(t) if t <= now => Tag::Bad,
        Some(t) if t.as_second() - now.as_second() < SOON_SECS => Tag::Unsure,
        _ => Tag::Dim,
    };
    vec![seg(" · ", Tag::Dim), seg(e.describe(now), tag)]
}

/// The pod's own pull secrets (those the kubelet uses) that were read.
pub(super) fn in_force(d: &Detail) -> Vec<(String, SecretInfo)> {
    d.pod_secret_names()
        .into_iter()
        .filter_map(|n| match d.secrets.get(&n) {
            Some(Fetch::Found(info)) => Some((n, info.clone())),
            _ => None,
        })
        .collect()
}

/// The first line of CAUSE when the pull failed for credentials and a
/// credential in force for the image had expired: it is the likeliest cause.
pub(super) fn expired_first(
    d: &Detail,
    ev: &Evidence,
    image: Option<&ImageRef>,
    now: Timestamp,
) -> Option<Vec<Seg>> {
    let credential_failure = matches!(
        ev.class.category,
        Category::AuthNoCredentials | Category::AuthDenied
    );
    if !credential_failure {
        return None;
    }
    let all = expiries_for(&in_force(d), image?);
    let e = all.iter().find(|e| e.expiry.expired_at(now))?;
    Some(vec![seg(
        format!(
            "✕ The credential in pull secret {} ({}) {}: {} is refused with it — renew it{}",
            e.secret,
            e.expiry.kind.label(),
            e.expiry.when(now),
            e.key,
            match e.expiry.kind {
                CredKind::EcrToken =>
                    " (an ECR token lives 12 h: refresh the secret on a schedule)",
                _ => "",
            }
        ),
        Tag::Bad,
    )])
}

/// SECRETS: the registry certificate's end, once this machine's probe saw
/// it: red when expired, amber within a week.
pub(super) fn certificate_line(d: &Detail, host: &str, now: Timestamp) -> Option<Vec<Seg>> {
    let (registry, at) = d.registry_cert.as_ref()?;
    if registry != host {
        return None;
    }
    let (text, tag) = if *at <= now {
        (
            format!(
                "✕ the registry's certificate expired {} ago ({at}): every pull fails its TLS \
                 check until {host} serves a renewed one",
                crate::domain::clock::age(now, Some(*at))
            ),
            Tag::Bad,
        )
    } else {
        let text = format!(
            "the registry's certificate expires in {} ({at}), from the probe",
            crate::domain::clock::age(*at, Some(now))
        );
        (
            text,
            if crate::domain::probe::cert_ends_soon(*at, now) {
                Tag::Unsure
            } else {
                Tag::Dim
            },
        )
    };
    Some(vec![seg(text, tag)])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::failing::{FailureRow, PodKey};

    fn detail_with_cert(host: &str, at: &str) -> Detail {
        let row = FailureRow::sample();
        let key = PodKey::new(&row.cluster, &row.namespace, &row.pod);
        let mut d = Detail::new(
            crate::app::msg::DetailId::default(),
            key,
            Arc::new(k8s_openapi::api::core::v1::Pod::default()),
            vec![Arc::new(row)],
            "web".into(),
        );
        d.registry_cert = Some((host.into(), at.parse().expect("time")));
        d
    }

    fn text(segs: &[Seg]) -> String {
        segs.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn the_registry_certificate_line_is_red_when_expired_amber_within_a_week() {
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().expect("time");
        let d = detail_with_cert("reg.example", "2026-12-06T09:00:00Z");
        let line = certificate_line(&d, "reg.example", now).expect("a line");
        assert!(text(&line).contains("expired 3h ago"), "{}", text(&line));
        assert_eq!(line[0].tag, Tag::Bad);
        let d = detail_with_cert("reg.example", "2026-12-08T12:00:00Z");
        let line = certificate_line(&d, "reg.example", now).expect("a line");
        assert!(text(&line).contains("expires in"), "{}", text(&line));
        assert_eq!(line[0].tag, Tag::Unsure);
        let d = detail_with_cert("reg.example", "2027-03-01T00:00:00Z");
        let line = certificate_line(&d, "reg.example", now).expect("a line");
        assert_eq!(line[0].tag, Tag::Dim);
        assert!(
            certificate_line(&d, "other.example", now).is_none(),
            "another registry's certificate is not this pod's"
        );
    }
}
