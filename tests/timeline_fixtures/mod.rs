//! Journals for the timeline tests: the failing rows a model shows, told
//! as the journal would have recorded them over the last 45 minutes, plus
//! a container whose cause changed and which recovered; fixes; a fleet of
//! two with a journal each.
#![allow(dead_code)]

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use pulltui::app::keymap::Keymap;
use pulltui::app::{ClusterMsg, Model, Msg, Scope};
use pulltui::domain::cluster_id::ClusterId;
use pulltui::domain::facts::{PodFact, WatchEvent};
use pulltui::domain::failing::FailureRow;
use pulltui::domain::journal::{Group, Record, Subject};
use pulltui::domain::postmortem::FixNote;

use crate::home_fixtures::*;

pub fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

pub fn subject(r: &FailureRow) -> Subject {
    Subject {
        namespace: r.namespace.clone(),
        pod: r.pod.clone(),
        container: r.container.clone(),
    }
}

fn counts_of(c: &BTreeMap<Group, u32>, at: Timestamp) -> Record {
    Record::Counts {
        at,
        groups: c
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(g, n)| (g.clone(), *n))
            .collect(),
    }
}

/// The journal of `rows` up to `now`: each row's first failure 45, 39,
/// 33, ... minutes ago, with counts after each; before them a container
/// `shop/old-0 (app)` failing in the second row's group (48 min ago),
/// changing to the first row's (30 min ago), recovered (20 min ago).
pub fn journal_of(rows: &[&FailureRow], now: Timestamp) -> Vec<Record> {
    let mut out = vec![Record::Watching {
        at: now - mins(50),
        context: "prod-eu".into(),
        server: "https://prod-eu.example:6443".into(),
    }];
    let mut counts: BTreeMap<Group, u32> = BTreeMap::new();
    let mut timed: Vec<(Timestamp, Record)> = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let at = now - mins(45 - 6 * k as i64);
        timed.push((
            at,
            Record::Failing {
                at,
                since: None,
                subject: subject(r),
                workload: r
                    .workload
                    .as_ref()
                    .map(|w| format!("{}/{}", w.kind, w.name)),
                group: Group::of(r),
                image: r.image.clone(),
                evidence: r.message.clone(),
                node: None,
            },
        ));
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.get(1)) {
        let old = Subject {
            namespace: "shop".into(),
            pod: "old-0".into(),
            container: "app".into(),
        };
        let (ga, gb) = (Group::of(a), Group::of(b));
        timed.push((
            now - mins(48),
            Record::Failing {
                at: now - mins(48),
                since: Some(now - mins(49)),
                subject: old.clone(),
                workload: Some("Deployment/old".into()),
                group: gb.clone(),
                image: b.image.clone(),
                evidence: "first evidence of old-0".into(),
                node: None,
            },
        ));
        timed.push((
            now - mins(30),
            Record::Cause {
                at: now - mins(30),
                subject: old.clone(),
                from: gb.clone(),
                to: ga.clone(),
                evidence: "the cause of old-0 changed".into(),
            },
        ));
        timed.push((
            now - mins(20),
            Record::Recovered {
                at: now - mins(20),
                subject: old,
                group: ga,
            },
        ));
    }
    timed.sort_by_key(|(t, _)| *t);
    for (at, r) in timed {
        match &r {
            Record::Failing { group, .. } => *counts.entry(group.clone()).or_default() += 1,
            Record::Cause { from, to, .. } => {
                if let Some(n) = counts.get_mut(from) {
                    *n = n.saturating_sub(1);
                }
                *counts.entry(to.clone()).or_default() += 1;
            }
            Record::Recovered { group, .. } => {
                if let Some(n) = counts.get_mut(group) {
                    *n = n.saturating_sub(1);
                }
            }
            _ => {}
        }
        out.push(r);
        out.push(counts_of(&counts, at + SignedDuration::from_secs(30)));
    }
    out
}

/// A fix applied `ago` minutes before `now` to `object` (`Kind ns/name`).
pub fn fix(now: Timestamp, ago: i64, object: &str) -> FixNote {
    FixNote {
        at: now - mins(ago),
        context: "prod-eu".into(),
        server: "https://prod-eu.example:6443".into(),
        fix: "create-pull-secret".into(),
        object: object.into(),
        dry_run: false,
        result: "ok".into(),
    }
}

/// The incident (`home_fixtures::incident`) with its journal and one fix
/// (a pull secret for the `pay` workers, 10 minutes ago).
pub fn incident_with_journal(size: (u16, u16)) -> Model {
    let mut m = incident(size);
    let now = m.now;
    let rows: Vec<FailureRow> = m.home.rows.iter().map(|r| (**r).clone()).collect();
    let mut refs: Vec<&FailureRow> = rows.iter().collect();
    refs.sort_by(|a, b| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)));
    let records = journal_of(&refs, now);
    let msg = cluster(
        &m,
        ClusterMsg::Journal {
            records,
            fixes: vec![fix(now, 10, "Deployment pay/worker")],
        },
    );
    send(&mut m, [msg]);
    m
}

pub const FLEET: [&str; 2] = ["fleet-a", "fleet-b"];

fn server(ctx: &str) -> String {
    format!("https://{ctx}.example:6443")
}

/// Two clusters, both listed: fleet-a with the web and a worker failing,
/// fleet-b with a worker; each with its journal.
pub fn fleet_with_journal(size: (u16, u16)) -> Model {
    let mut m = Model::fleet(
        FLEET.iter().map(|c| c.to_string()).collect(),
        FLEET.iter().map(|c| c.to_string()).collect(),
        Scope::All,
        Keymap::default(),
        now(),
    );
    let _ = m.start();
    let mut msgs = vec![Msg::Resize(size.0, size.1)];
    let pods = [vec![web(), worker("n6m4x")], vec![worker("p2k7d")]];
    for (ix, ctx) in FLEET.iter().enumerate() {
        let g = m.clusters[ix].session();
        let id = ClusterId::new(*ctx, server(ctx));
        msgs.push(Msg::Cluster(
            g.clone(),
            ClusterMsg::Connected {
                context: Some(ctx.to_string()),
                server: server(ctx),
                default_namespace: "default".into(),
                scope: Scope::All,
            },
        ));
        msgs.push(Msg::Cluster(g.clone(), ClusterMsg::Pods(WatchEvent::Init)));
        for p in pods[ix].clone() {
            let fact = PodFact::from_pod(&id, p);
            msgs.push(Msg::Cluster(
                g.clone(),
                ClusterMsg::Pods(WatchEvent::InitApply(fact)),
            ));
        }
        msgs.push(Msg::Cluster(
            g.clone(),
            ClusterMsg::Pods(WatchEvent::InitDone),
        ));
    }
    send(&mut m, msgs);
    let now = m.now;
    for ix in 0..FLEET.len() {
        let ctx = m.clusters[ix].name().to_string();
        let rows: Vec<FailureRow> = m
            .home
            .rows
            .iter()
            .filter(|r| r.cluster.context() == ctx)
            .map(|r| (**r).clone())
            .collect();
        let mut refs: Vec<&FailureRow> = rows.iter().collect();
        refs.sort_by(|a, b| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)));
        let records = journal_of(&refs, now);
        let g = m.clusters[ix].session();
        send(
            &mut m,
            [Msg::Cluster(
                g.clone(),
                ClusterMsg::Journal {
                    records,
                    fixes: Vec::new(),
                },
            )],
        );
    }
    m
}
