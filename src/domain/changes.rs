//! What changed near a group's first failure (issue 24, "why now"), pure:
//! the changes read from the cluster (`cluster::changes`: rollouts, pull
//! secrets, ServiceAccounts, nodes, the registry annotations pulltui
//! knows) ranked by how well their time and scope fit the group — the
//! same namespace, the same registry, the same node, close before the
//! first failure. Each says its evidence; none found is said.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How far before a first failure a change is looked for, and after it.
pub const BEFORE_SECS: i64 = 30 * 60;
pub const AFTER_SECS: i64 = 2 * 60;

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A Deployment's new ReplicaSet (its image changed from → to).
    Rollout,
    /// A pull secret created or changed (its managedFields' time).
    PullSecret,
    /// A pull secret the failing pods reference does not exist.
    PullSecretMissing,
    /// A ServiceAccount's imagePullSecrets changed.
    ServiceAccount,
    /// A node joined (it has no image cached).
    Node,
    /// A registry annotation pulltui knows (the TKE ones) added to or
    /// removed from a workload's pod template.
    Annotation,
    /// A node's kubelet version changed (seen by the journal).
    Kubelet,
    /// Images gone from a node's `status.images` (seen by the journal):
    /// garbage collection, so the next pod there pulls.
    ImageGone,
    /// A pull secret deleted (seen by the journal, with its time).
    PullSecretDeleted,
}

/// One change found in the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: Kind,
    /// When it happened (`None`: the cluster keeps no time for it, e.g. a
    /// deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// `Deployment shop/web`, `Secret shop/regcred`, `Node n-7`.
    pub object: String,
    /// Its namespace (none for a node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The registries it is about (an image's, a secret's `auths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<String>,
    /// The images it put in place (a rollout's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// The node it is about (a node that joined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// What changed, one sentence ("image r/a:1.0 → r/a:1.1, revision 3").
    pub summary: String,
    /// Who, per `managedFields` (the field manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A group, as the ranking needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub first: Timestamp,
    pub registry: String,
    /// The cause id (`auth.denied`, ...).
    pub cause: String,
    pub namespaces: BTreeSet<String>,
    /// The images that failed.
    pub images: BTreeSet<String>,
    /// The nodes its pods failed on (empty: not known).
    pub nodes: BTreeSet<String>,
    /// The kubelet's words (the group's evidence).
    pub evidence: String,
}

/// A change that fits a group, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Its index in the changes ranked.
    pub index: usize,
    pub change: Change,
    pub score: u32,
    /// The evidence of the fit ("4 min before the first failure", "same
    /// namespace", "same registry").
    pub why: Vec<String>,
}

/// The changes that fit `scope`, best first (at most `max`).
pub fn rank(scope: &Scope, changes: &[Change], max: usize) -> Vec<Fit> {
    let mut out: Vec<Fit> = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| fit(scope, i, c))
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.change.at.cmp(&b.change.at).reverse())
            .then(a.change.object.cmp(&b.change.object))
    });
    out.truncate(max);
    out
}

/// How `c` (the `index`th change) fits `scope`, if it does.
pub fn fit(scope: &Scope, index: usize, c: &Change) -> Option<Fit> {
    let mut why = Vec::new();
    let mut score = 0;
    let same_ns = c
        .namespace
        .as_ref()
        .is_some_and(|ns| scope.namespaces.contains(ns));
    let same_registry = c.registries.contains(&scope.registry);
    match c.at {
        Some(at) => {
            let d = scope.first.as_second() - at.as_second();
            if !(-AFTER_SECS..=BEFORE_SECS).contains(&d) {
                return None;
            }
            score += match d.abs() {
                0..=60 => 50,
                61..=300 => 35,
                301..=900 => 20,
                _ => 10,
            };
            why.push(match d {
                d if d < 0 => format!("{} after the first failure", span(-d)),
                0 => "at the first failure".to_string(),
                d => format!("{} before the first failure", span(d)),
            });
        }
        // No time: only a change in the group's own scope counts.
        None if same_ns => {
            score += 30;
            why.push("no time kept by the API server".to_string());
        }
        None => return None,
    }
    if same_ns {
        score += 20;
        why.push("same namespace".into());
    } else if c.namespace.is_some() {
        // A namespaced change elsewhere does not explain this group.
        return None;
    }
    if same_registry {
        score += 20;
        why.push("same registry".into());
    }
    // A node that joined explains the failures on it, not those elsewhere.
    if let Some(node) = &c.node {
        match scope.nodes.contains(node) {
            true => {
                score += 30;
                why.push("the group's pods fail on it".into());
            }
            false if !scope.nodes.is_empty() => return None,
            false => {}
        }
    }
    let affine = affine(c.kind, &scope.cause);
    let same_image = c
        .images
        .iter()
        .any(|i| scope.images.iter().any(|s| same_image(i, s)));
    // A rollout matters by its image for an image's failure only (for a
    // credentials failure, the image is not what broke).
    if affine && same_image && c.kind == Kind::Rollout {
        score += 30;
        why.push("it put the failing image in place".into());
    }
    // An image gone from the node its pods fail on: that is why they pull.
    if same_image && c.kind == Kind::ImageGone {
        score += 30;
        why.push("the failing image was cached there".into());
    }
    // The object the kubelet's message names (`... pull secrets (regcred)`):
    // the strongest sign there is.
    let name = c.object.rsplit('/').next().unwrap_or_default();
    if name.len() > 2 && mentions(&scope.evidence, name) {
        score += 60;
        why.push("named in the evidence".into());
    }
    if affine {
        score += 25;
        why.push(format!(
            "a {} change, for a {} failure",
            kind_word(c.kind),
            scope.cause
        ));
    }
    Some(Fit {
        index,
        change: c.clone(),
        score,
        why,
    })
}

/// Whether `text` names `name` as a whole word (not inside a longer name).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Whether two image references name one image (`nginx:1.25` is
/// `docker.io/library/nginx:1.25`).
fn same_image(a: &str, b: &str) -> bool {
    a == b
        || match (
            super::image::ImageRef::parse(a),
            super::image::ImageRef::parse(b),
        ) {
            (Ok(a), Ok(b)) => a.canonical() == b.canonical(),
            _ => false,
        }
}

/// Whether a change of `kind` is of the sort that causes `cause`.
fn affine(kind: Kind, cause: &str) -> bool {
    let family = cause.split('.').next().unwrap_or_default();
    match kind {
        Kind::Rollout => family == "image",
        Kind::PullSecret
        | Kind::PullSecretMissing
        | Kind::PullSecretDeleted
        | Kind::ServiceAccount => family == "auth" || family == "credentials",
        Kind::Node => matches!(family, "network" | "tls" | "node" | "registry"),
        // Gone from the cache: the next pod pulls, and meets whatever is
        // broken on the way.
        Kind::ImageGone => matches!(
            family,
            "network" | "tls" | "node" | "registry" | "auth" | "image"
        ),
        // A kubelet that checks cached images' credentials again fails them
        // as credentials failures.
        Kind::Kubelet => matches!(
            family,
            "network" | "tls" | "node" | "registry" | "auth" | "policy"
        ),
        Kind::Annotation => matches!(family, "network" | "tls" | "registry"),
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Rollout => "rollout",
        Kind::PullSecret | Kind::PullSecretMissing | Kind::PullSecretDeleted => "pull secret",
        Kind::ServiceAccount => "ServiceAccount",
        Kind::Node => "node",
        Kind::Kubelet => "kubelet",
        Kind::ImageGone => "node image",
        Kind::Annotation => "registry annotation",
    }
}

/// `45 s`, `4 min`, `2 h 5 min`.
fn span(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("time")
    }

    fn change(kind: Kind, at_s: Option<i64>, ns: Option<&str>, registry: &str) -> Change {
        Change {
            kind,
            at: at_s.map(at),
            object: format!("{kind:?}"),
            namespace: ns.map(str::to_string),
            registries: vec![registry.into()],
            images: Vec::new(),
            node: None,
            summary: String::new(),
            by: None,
        }
    }

    fn scope() -> Scope {
        Scope {
            first: at(0),
            registry: "reg.example".into(),
            cause: "network.timeout".into(),
            namespaces: ["shop".to_string()].into(),
            images: BTreeSet::new(),
            nodes: BTreeSet::new(),
            evidence: String::new(),
        }
    }

    #[test]
    fn the_closest_change_in_scope_ranks_first_and_others_are_left_out() {
        let changes = vec![
            change(Kind::Node, Some(-1200), None, ""),
            change(Kind::Rollout, Some(-40), Some("shop"), "reg.example"),
            change(Kind::Rollout, Some(-40), Some("other"), "reg.example"),
            change(Kind::PullSecret, Some(-7200), Some("shop"), "reg.example"),
            change(Kind::PullSecretMissing, None, Some("shop"), "reg.example"),
        ];
        let ranked = rank(&scope(), &changes, 5);
        let kinds: Vec<Kind> = ranked.iter().map(|f| f.change.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Rollout, Kind::PullSecretMissing, Kind::Node],
            "{ranked:#?}"
        );
        assert_eq!(
            ranked[0].why,
            [
                "40 s before the first failure",
                "same namespace",
                "same registry"
            ]
        );
    }

    #[test]
    fn the_secret_the_kubelet_names_outranks_a_closer_rollout_for_a_credentials_failure() {
        let mut missing = change(Kind::PullSecretMissing, None, Some("shop"), "");
        missing.object = "Secret shop/regcred".into();
        let created = change(Kind::Rollout, Some(-1), Some("shop"), "reg.example");
        let s = Scope {
            cause: "credentials.secret-missing".into(),
            evidence: "Unable to retrieve some image pull secrets (regcred); attempting to pull \
                       the image may not succeed."
                .into(),
            ..scope()
        };
        let ranked = rank(&s, &[created, missing], 2);
        assert_eq!(
            ranked[0].change.kind,
            Kind::PullSecretMissing,
            "{ranked:#?}"
        );
        assert!(ranked[0].why.contains(&"named in the evidence".to_string()));
        // Not a word inside a longer name.
        assert!(!mentions("secrets (regcred-old)", "regcred"));
    }

    #[test]
    fn the_rollout_that_put_the_failing_image_in_place_comes_first() {
        let mut bad = change(Kind::Rollout, Some(-1), Some("shop"), "reg.example");
        bad.images = vec!["reg.example/app:nope".into()];
        bad.object = "Deployment shop/web".into();
        let mut first = change(Kind::Rollout, Some(-2), Some("shop"), "reg.example");
        first.images = vec!["reg.example/app:1.0".into()];
        let s = Scope {
            cause: "image.not-found".into(),
            images: ["reg.example/app:nope".to_string()].into(),
            ..scope()
        };
        let ranked = rank(&s, &[first, bad], 2);
        assert_eq!(
            ranked[0].change.images,
            ["reg.example/app:nope"],
            "{ranked:#?}"
        );
    }

    #[test]
    fn a_node_that_joined_explains_the_failures_on_it_and_not_those_elsewhere() {
        let mut joined = change(Kind::Node, Some(-30), None, "");
        joined.node = Some("n-new".into());
        let rollout = change(Kind::Rollout, Some(-20), Some("shop"), "reg.example");
        let on_it = Scope {
            cause: "tls.untrusted".into(),
            nodes: ["n-new".to_string()].into(),
            ..scope()
        };
        let ranked = rank(&on_it, &[rollout.clone(), joined.clone()], 2);
        assert_eq!(ranked[0].change.kind, Kind::Node, "{ranked:#?}");
        assert!(ranked[0].why.iter().any(|w| w.contains("fail on it")));
        let elsewhere = Scope {
            nodes: ["n-old".to_string()].into(),
            ..on_it
        };
        let ranked = rank(&elsewhere, &[rollout, joined], 2);
        assert!(
            ranked.iter().all(|f| f.change.kind != Kind::Node),
            "{ranked:#?}"
        );
    }

    #[test]
    fn nothing_fits_nothing_is_ranked() {
        let changes = vec![change(Kind::Node, Some(-7200), None, "")];
        assert!(rank(&scope(), &changes, 3).is_empty());
    }
}
