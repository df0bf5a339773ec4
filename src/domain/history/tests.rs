use std::collections::BTreeSet;

use super::*;
use crate::domain::changes::{Scope, rank};

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).expect("time")
}

fn image(tag: &str, digest: &str) -> Vec<String> {
    let repo = tag.split(':').next().unwrap_or(tag);
    vec![tag.to_string(), format!("{repo}@sha256:{digest}")]
}

#[test]
fn a_node_first_seen_says_its_kubelet_and_nothing_gone() {
    let mut nodes = Nodes::default();
    let facts = nodes.observe("n1", "v1.34.2", &[image("r.example/a:1", "aa")], at(0));
    assert_eq!(
        facts,
        vec![Fact::Kubelet {
            at: at(0),
            node: "n1".into(),
            version: "v1.34.2".into()
        }]
    );
    assert!(
        nodes
            .observe("n1", "v1.34.2", &[image("r.example/a:1", "aa")], at(10))
            .is_empty(),
        "nothing changed, nothing said"
    );
}

#[test]
fn an_image_gone_from_a_node_is_said_by_its_tag_with_when_it_was_last_there() {
    let mut nodes = Nodes::default();
    let both = [image("r.example/a:1", "aa"), image("r.example/b:2", "bb")];
    nodes.observe("n1", "v1.35.0", &both, at(0));
    let facts = nodes.observe("n1", "v1.35.0", &both[1..], at(60));
    assert_eq!(
        facts,
        vec![Fact::ImagesGone {
            at: at(60),
            since: at(0),
            node: "n1".into(),
            images: vec!["r.example/a:1".into()],
            capped: false,
        }]
    );
    // Another node's images are its own.
    assert!(nodes.observe("n2", "v1.35.0", &[], at(61)).len() == 1);
}

#[test]
fn a_full_kubelet_list_says_the_image_may_only_have_dropped_off_it() {
    let mut nodes = Nodes::default();
    let many: Vec<Vec<String>> = (0..KUBELET_LIST_MAX)
        .map(|i| image(&format!("r.example/i{i}:1"), &format!("{i:02x}")))
        .collect();
    nodes.observe("n1", "v1.35.0", &many, at(0));
    let facts = nodes.observe("n1", "v1.35.0", &many[1..], at(30));
    assert!(
        matches!(&facts[..], [Fact::ImagesGone { capped: true, .. }]),
        "{facts:?}"
    );
}

#[test]
fn the_journal_writes_a_kubelet_version_once_and_its_change_with_the_one_before() {
    let mut known = Known::default();
    let seen = |s, v: &str| Fact::Kubelet {
        at: at(s),
        node: "n1".into(),
        version: v.into(),
    };
    let first = known.records(&[seen(0, "v1.34.2")], None);
    assert!(matches!(&first[..], [Record::Kubelet { from: None, .. }]));
    assert!(!first[0].is_change_of_state(), "a baseline is not a change");
    // After a restart, the journal read back knows the version.
    let mut known = Known::resume(&first);
    assert!(known.records(&[seen(100, "v1.34.2")], None).is_empty());
    let changed = known.records(&[seen(200, "v1.35.0")], None);
    assert_eq!(
        changed,
        vec![Record::Kubelet {
            at: at(200),
            node: "n1".into(),
            version: "v1.35.0".into(),
            from: Some("v1.34.2".into()),
            since: Some(at(0)),
        }]
    );
    let c = changes(&changed);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, Kind::Kubelet);
    assert_eq!(c[0].node.as_deref(), Some("n1"));
    assert!(
        c[0].summary.contains("v1.34.2 → v1.35.0"),
        "{}",
        c[0].summary
    );
    assert!(c[0].summary.contains("KEP-2535"), "{}", c[0].summary);
    assert!(
        c[0].summary.contains("seen between"),
        "200 s apart: the time is a range: {}",
        c[0].summary
    );
    assert!(changes(&first).is_empty(), "no change from a first sight");
}

#[test]
fn a_namespace_journal_keeps_its_own_secrets_and_every_node() {
    let mut known = Known::default();
    let deleted = |ns: &str| Fact::PullSecretDeleted {
        at: at(0),
        since: None,
        namespace: ns.into(),
        name: "regcred".into(),
    };
    let gone = Fact::ImagesGone {
        at: at(0),
        since: at(-60),
        node: "n1".into(),
        images: (0..25).map(|i| format!("r.example/i{i}:1")).collect(),
        capped: false,
    };
    let records = known.records(&[deleted("shop"), deleted("other"), gone], Some("shop"));
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(matches!(&records[0], Record::SecretDeleted { namespace, .. } if namespace == "shop"));
    assert!(
        matches!(&records[1], Record::ImagesGone { images, more: 5, .. } if images.len() == IMAGES_MAX)
    );
}

#[test]
fn a_secret_seen_deleted_replaces_the_missing_one_with_its_time() {
    let missing = Change {
        kind: Kind::PullSecretMissing,
        at: None,
        object: "Secret shop/regcred".into(),
        namespace: Some("shop".into()),
        registries: Vec::new(),
        images: Vec::new(),
        node: None,
        summary: "missing".into(),
        by: None,
    };
    let other = Change {
        object: "Secret shop/other".into(),
        ..missing.clone()
    };
    let records = [Record::SecretDeleted {
        at: at(5),
        since: None,
        namespace: "shop".into(),
        name: "regcred".into(),
    }];
    let all = merged(&[missing, other], &records);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0].object, "Secret shop/other");
    assert_eq!(all[1].kind, Kind::PullSecretDeleted);
    assert_eq!(all[1].at, Some(at(5)));
}

fn scope(cause: &str, node: &str, image: &str) -> Scope {
    Scope {
        first: at(300),
        registry: "docker.io".into(),
        cause: cause.into(),
        namespaces: BTreeSet::from(["shop".to_string()]),
        images: BTreeSet::from([image.to_string()]),
        nodes: BTreeSet::from([node.to_string()]),
        evidence: String::new(),
    }
}

#[test]
fn an_image_gone_from_the_failing_node_fits_and_one_elsewhere_does_not() {
    let records = [Record::ImagesGone {
        at: at(240),
        since: at(180),
        node: "n1".into(),
        images: vec!["docker.io/library/nginx:1.25".into()],
        more: 0,
        capped: false,
    }];
    let c = changes(&records);
    let fits = rank(&scope("network.timeout", "n1", "nginx:1.25"), &c, 3);
    assert_eq!(fits.len(), 1);
    assert!(
        fits[0]
            .why
            .iter()
            .any(|w| w == "the failing image was cached there"),
        "{:?}",
        fits[0].why
    );
    assert!(
        fits[0]
            .why
            .iter()
            .any(|w| w == "the group's pods fail on it"),
        "{:?}",
        fits[0].why
    );
    assert!(rank(&scope("network.timeout", "n2", "nginx:1.25"), &c, 3).is_empty());
    // Another image gone from that node fits less well.
    let other = rank(&scope("network.timeout", "n1", "redis:7"), &c, 3);
    assert!(other[0].score < fits[0].score);
}

#[test]
fn kubelet_versions_that_check_cached_credentials() {
    assert!(reverifies("v1.35.0"));
    assert!(reverifies("v1.36.1-eks-1234"));
    assert!(!reverifies("v1.34.9"));
    assert!(!reverifies("garbage"));
}
