use super::*;
use crate::domain::journal::{Group, Subject};

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).expect("time")
}

fn subject(pod: &str) -> Subject {
    Subject {
        namespace: "shop".into(),
        pod: pod.into(),
        container: "web".into(),
    }
}

fn group(cause: &str) -> Group {
    Group {
        registry: "reg.example".into(),
        cause: cause.into(),
    }
}

fn story() -> ClusterStory {
    ClusterStory {
        context: "prod".into(),
        server: "https://prod:6443".into(),
        records: vec![
            Record::Failing {
                at: at(0),
                since: Some(at(-30)),
                subject: subject("web-1"),
                workload: Some("Deployment/web".into()),
                group: group("auth.no-credentials"),
                image: "reg.example/shop/web:1".into(),
                evidence: "pull access denied | `x`".into(),
                node: None,
            },
            Record::Counts {
                at: at(0),
                groups: vec![(group("auth.no-credentials"), 1)],
            },
            Record::Recovered {
                at: at(120),
                subject: subject("web-1"),
                group: group("auth.no-credentials"),
            },
        ],
        fixes: vec![FixNote {
            at: at(100),
            context: "prod".into(),
            server: "https://prod:6443".into(),
            fix: "create-pull-secret".into(),
            object: "Deployment shop/web".into(),
            dry_run: false,
            result: "ok".into(),
        }],
        changes: Ok(vec![crate::domain::changes::Change {
            kind: crate::domain::changes::Kind::Rollout,
            at: Some(at(-45)),
            object: "Deployment shop/web".into(),
            namespace: Some("shop".into()),
            registries: vec!["reg.example".into()],
            images: vec!["reg.example/shop/web:1".into()],
            node: None,
            summary: "Deployment shop/web image reg.example/shop/web:0.9 → reg.example/shop/web:1, revision 2".into(),
            by: Some("kubectl-set".into()),
        }]),
    }
}

#[test]
fn the_report_has_the_group_the_timeline_and_the_fix_with_what_followed() {
    let md = markdown(
        &[story()],
        &Window {
            since: None,
            until: at(200),
            source: "the journal".into(),
        },
    );
    assert!(md.starts_with("# Image pull report"), "{md}");
    assert!(
        md.contains("| `prod` | `auth.no-credentials` | `reg.example` | 2027-01-15 07:59:30Z | 2027-01-15 08:02:00Z | 1 | 0 | 1 |"),
        "{md}"
    );
    let failing = md.find("failing: `shop/web-1 (web)`").expect(&md);
    let fix = md.find("**fix**: `create-pull-secret`").expect(&md);
    let recovered = md.find("recovered: `shop/web-1 (web)`").expect(&md);
    assert!(failing < fix && fix < recovered, "in time order:\n{md}");
    assert!(md.contains("then 1 container(s) of shop recovered"), "{md}");
    assert!(
        md.contains("web:0.9 → reg.example/shop/web:1, revision 2` by `kubectl-set` — 15 s before the first failure, same namespace, same registry"),
        "{md}"
    );
    // A backtick or a pipe in evidence never breaks out of its code span.
    assert!(md.contains("`` pull access denied   `x` ``"), "{md}");
}

#[test]
fn a_window_leaves_out_what_came_before_it() {
    let md = markdown(
        &[story()],
        &Window {
            since: Some(at(110)),
            until: at(200),
            source: "the journal".into(),
        },
    );
    assert!(!md.contains("failing: "), "{md}");
    assert!(md.contains("recovered: "), "{md}");
    assert!(
        md.contains("None recorded by pulltui in this window."),
        "{md}"
    );
}

#[test]
fn an_audit_line_of_a_fix_becomes_a_note_and_others_do_not() {
    let line = serde_json::json!({
        "time": "2027-01-15T08:00:00Z", "context": "prod", "server": "https://p",
        "action": "fix", "object": {"kind": "Deployment", "namespace": "shop", "name": "web"},
        "change": {"fix": "annotate"}, "dry_run": true, "result": "ok", "writes": []
    });
    let n = FixNote::from_audit(&line).expect("a fix");
    assert_eq!(
        (n.fix.as_str(), n.object.as_str(), n.dry_run),
        ("annotate", "Deployment shop/web", true)
    );
    let probe = serde_json::json!({"time": "2027-01-15T08:00:00Z", "action": "create-probe-pod"});
    assert!(FixNote::from_audit(&probe).is_none());
}
