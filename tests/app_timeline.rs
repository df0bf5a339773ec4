//! The timeline (`t`, issue 24): the journal as one lane per registry ×
//! cause (× cluster in a fleet), ordered by first failure, zoomable through
//! fixed windows ending at the app clock, markers for first failures,
//! changes of cause, recoveries and fixes, each selectable with its story.
//! Msg in → Model out.

mod home_fixtures;
mod support;
mod timeline_fixtures;

use crossterm::event::KeyCode;
use home_fixtures::*;
use pulltui::app::keymap::Keymap;
use pulltui::app::timeline::{MarkerKind, detail};
use pulltui::app::{ClusterMsg, Effect, Model, Scope, Screen, WatchEffect};
use pulltui::domain::journal::Group;
use timeline_fixtures::*;

fn open(m: &mut Model) {
    send(m, [key('t')]);
    assert_eq!(m.screen(), Screen::Timeline);
}

fn lane_labels(m: &Model) -> Vec<String> {
    let t = m.timeline.as_ref().expect("timeline open");
    t.lanes
        .iter()
        .map(|l| format!("{} {}", l.group.label(), m.clusters[l.cluster].name()))
        .collect()
}

#[test]
fn t_opens_one_lane_per_group_ordered_by_first_failure() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    let t = m.timeline.as_ref().expect("timeline");
    let groups: Vec<&Group> = t.lanes.iter().map(|l| &l.group).collect();
    // typo, agent, worker ×2 (one group), web: four groups.
    assert_eq!(groups.len(), 4, "{:?}", lane_labels(&m));
    // old-0 failed first (48 min ago) in the agent's group.
    assert!(groups[0].cause.starts_with("network"), "{groups:?}");
    assert!(groups[1].cause.starts_with("image"), "{groups:?}");
    assert!(groups[2].cause.starts_with("auth"), "{groups:?}");
    assert!(groups[3].cause.starts_with("tls"), "{groups:?}");
    let firsts: Vec<_> = t.lanes.iter().map(|l| l.first).collect();
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "{firsts:?}");
    // The journal spans 49 minutes: the 1 h window.
    assert_eq!(t.span_label(), "1 h");
    assert_eq!(t.window(m.now), (m.now - mins(60), m.now));
}

#[test]
fn esc_and_t_return_home() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    send(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(m.screen(), Screen::Home);
    assert!(m.timeline.is_none());
    open(&mut m);
    send(&mut m, [key('t')]);
    assert_eq!(m.screen(), Screen::Home);
    // `q` quits from the timeline as from any screen.
    open(&mut m);
    let fx = send(&mut m, [key('q')]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Quit)), "{fx:?}");
}

#[test]
fn zoom_steps_through_fixed_windows_ending_now() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    let span = |m: &Model| {
        let t = m.timeline.as_ref().expect("timeline");
        let (from, to) = t.window(m.now);
        assert_eq!(to, m.now);
        (t.span_label(), to.duration_since(from).as_secs())
    };
    assert_eq!(span(&m), ("1 h", 3600));
    send(&mut m, [key('+')]);
    assert_eq!(span(&m), ("15 min", 900));
    send(&mut m, [key('+')]);
    assert_eq!(span(&m), ("15 min", 900), "the shortest stays");
    for (label, secs) in [
        ("1 h", 3600),
        ("6 h", 6 * 3600),
        ("24 h", 24 * 3600),
        ("7 d", 7 * 24 * 3600),
        ("7 d", 7 * 24 * 3600),
    ] {
        send(&mut m, [key('-')]);
        assert_eq!(span(&m), (label, secs));
    }
}

#[test]
fn markers_are_selected_in_time_order_with_their_story() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    // The first lane (the agent's group): old-0 failed there, the agent
    // failed, then old-0's cause changed away.
    let t = m.timeline.as_ref().expect("timeline");
    let kinds: Vec<MarkerKind> = t.lanes[0].markers.iter().map(|k| k.kind).collect();
    assert_eq!(
        kinds,
        [MarkerKind::Failing, MarkerKind::Failing, MarkerKind::Cause]
    );
    let d = detail(&m).expect("a marker is selected");
    assert_eq!(d.kind, MarkerKind::Failing);
    assert_eq!(d.container.as_deref(), Some("shop/old-0 (app)"));
    assert_eq!(d.workload.as_deref(), Some("Deployment/old"));
    assert_eq!(d.evidence.as_deref(), Some("first evidence of old-0"));
    assert_eq!(d.at, m.now - mins(48));

    send(&mut m, [code(KeyCode::Right)]);
    let d = detail(&m).expect("next marker");
    assert_eq!(d.kind, MarkerKind::Failing);
    assert_eq!(d.at, m.now - mins(39));
    assert_eq!(
        d.container.as_deref(),
        Some("ops/agent-7d9c8b6f5-zz9xk (app)")
    );
    assert_eq!(d.workload.as_deref(), Some("Deployment/agent"));
    assert!(d.evidence.unwrap_or_default().contains("i/o timeout"));

    // `l` as →, and the last marker stays selected at the end.
    send(&mut m, [key('l'), key('l')]);
    let d = detail(&m).expect("last marker");
    assert_eq!(d.kind, MarkerKind::Cause);
    assert!(d.what.contains(" → "), "{}", d.what);
    assert!(d.what.starts_with("network"), "{}", d.what);
    assert_eq!(d.at, m.now - mins(30));
    assert_eq!(d.evidence.as_deref(), Some("the cause of old-0 changed"));

    send(&mut m, [key('h')]);
    assert_eq!(detail(&m).map(|d| d.at), Some(m.now - mins(39)));

    // ↓ (and j) take the next lane, on its first marker.
    send(&mut m, [code(KeyCode::Down)]);
    let t = m.timeline.as_ref().expect("timeline");
    assert_eq!(t.selected, 1);
    let d = detail(&m).expect("second lane's marker");
    assert_eq!(d.kind, MarkerKind::Failing);
    assert_eq!(d.container.as_deref(), Some("default/typo (typo)"));
    let kinds: Vec<MarkerKind> = t.lanes[1].markers.iter().map(|k| k.kind).collect();
    assert_eq!(
        kinds,
        [
            MarkerKind::Failing,
            MarkerKind::Cause,
            MarkerKind::Recovered
        ],
        "old-0 came into this group, then recovered"
    );
    send(&mut m, [key('j'), key('k')]);
    assert_eq!(m.timeline.as_ref().map(|t| t.selected), Some(1));
    // On the timeline `k` moves: it never starts the kick fix.
    assert!(m.actions.current.is_none());
}

#[test]
fn markers_outside_the_window_are_not_selectable() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    // 15 minutes: of the first lane's markers (48, 30, 39 min ago) none.
    send(&mut m, [key('+')]);
    let t = m.timeline.as_ref().expect("timeline");
    assert!(t.in_window(0, m.now).is_empty());
    assert!(detail(&m).is_none());
    send(&mut m, [code(KeyCode::Right)]);
    assert!(detail(&m).is_none());
    // The web's lane: its failure 21 min ago is out, the fix... is on the
    // workers' lane; the workers' failures (33, 27 min) are out too.
    send(&mut m, [key('-')]);
    send(&mut m, [code(KeyCode::Right)]);
    assert!(detail(&m).is_some());
}

#[test]
fn a_fix_is_a_marker_on_the_lanes_of_its_namespace() {
    let mut m = incident_with_journal((120, 30));
    open(&mut m);
    let t = m.timeline.as_ref().expect("timeline");
    let with_fix: Vec<&Group> = t
        .lanes
        .iter()
        .filter(|l| l.markers.iter().any(|k| k.kind == MarkerKind::Fix))
        .map(|l| &l.group)
        .collect();
    assert_eq!(with_fix.len(), 1, "{with_fix:?}");
    assert!(with_fix[0].cause.starts_with("auth"), "{with_fix:?}");
    // Select it: the workers' lane, the last marker.
    let lane = t
        .lanes
        .iter()
        .position(|l| l.group == *with_fix[0])
        .expect("lane");
    for _ in 0..lane {
        send(&mut m, [code(KeyCode::Down)]);
    }
    send(&mut m, [code(KeyCode::Right), code(KeyCode::Right)]);
    let d = detail(&m).expect("fix marker");
    assert_eq!(d.kind, MarkerKind::Fix);
    assert_eq!(d.what, "create-pull-secret on Deployment pay/worker");
    assert_eq!(d.at, m.now - mins(10));

    // A fix in a namespace no lane has goes on every lane of the cluster.
    let now = m.now;
    let msg = cluster(
        &m,
        ClusterMsg::Journal {
            records: Vec::new(),
            fixes: vec![fix(now, 5, "Secret elsewhere/regcred")],
        },
    );
    send(&mut m, [msg]);
    let t = m.timeline.as_ref().expect("timeline");
    assert!(
        t.lanes.iter().all(|l| l
            .markers
            .iter()
            .any(|k| k.kind == MarkerKind::Fix && k.at == now - mins(5))),
        "the journal changed while the screen was open: lanes again"
    );
    // The same lane stays selected.
    assert_eq!(t.selected, lane);
}

#[test]
fn a_fleet_has_a_lane_per_group_and_cluster() {
    let mut m = fleet_with_journal((120, 30));
    open(&mut m);
    let labels = lane_labels(&m);
    assert_eq!(labels.len(), 3, "{labels:?}");
    let workers: Vec<&String> = labels
        .iter()
        .filter(|l| l.contains("private.example"))
        .collect();
    assert_eq!(workers.len(), 2, "one per cluster: {labels:?}");
    assert!(workers.iter().any(|l| l.ends_with("fleet-a")));
    assert!(workers.iter().any(|l| l.ends_with("fleet-b")));
}

#[test]
fn the_group_bar_has_a_sparkline_per_group_with_a_journal() {
    let m = incident_with_journal((160, 24));
    for e in &m.home.summary {
        let s = e.spark.as_deref().expect("every group is in the journal");
        assert_eq!(s.chars().count(), 8, "{s:?}");
        assert!(e.text().contains(s), "{}", e.text());
    }
    // A fleet: the workers' group is in both clusters' journals (summed:
    // `app::timeline::summed`).
    let f = fleet_with_journal((160, 24));
    let workers = f
        .home
        .summary
        .iter()
        .find(|e| e.registry == "private.example")
        .expect("workers' group");
    assert_eq!(workers.clusters, 2);
    assert!(
        workers.spark.as_deref().is_some_and(|s| s.ends_with('▆')),
        "{workers:?}"
    );
    // No journal: no sparkline.
    let plain = incident((160, 24));
    assert!(plain.home.summary.iter().all(|e| e.spark.is_none()));
}

#[test]
fn a_journal_that_comes_after_the_screen_opened_gets_a_marker_selected() {
    // The console was opened, `t` pressed before the journal was read.
    let mut m = incident((120, 30));
    open(&mut m);
    let rows: Vec<_> = m.home.rows.clone();
    let refs: Vec<&pulltui::domain::failing::FailureRow> = rows.iter().map(|r| &**r).collect();
    let now = m.now;
    let msg = cluster(
        &m,
        ClusterMsg::Journal {
            records: journal_of(&refs, now),
            fixes: Vec::new(),
        },
    );
    send(&mut m, [msg]);
    let t = m.timeline.as_ref().expect("timeline");
    assert!(!t.lanes.is_empty());
    let d = detail(&m).expect("a marker of the first lane is selected");
    assert_eq!(d.kind, MarkerKind::Failing);
}

#[test]
fn an_empty_journal_opens_a_timeline_that_says_so() {
    let mut m = incident((120, 30));
    open(&mut m);
    assert!(m.timeline.as_ref().is_some_and(|t| t.lanes.is_empty()));
    let s = support::screen::screen(&m);
    assert!(s.contains("No journal yet"), "{s}");
    // Keys on an empty timeline do nothing harmful.
    send(
        &mut m,
        [
            code(KeyCode::Down),
            code(KeyCode::Right),
            key('+'),
            key('-'),
        ],
    );
    assert!(detail(&m).is_none());
}

#[test]
fn the_timeline_key_can_be_rebound() {
    let mut km = Keymap::default();
    km.bind(
        pulltui::app::keymap::Intent::Timeline,
        vec![pulltui::app::keymap::KeySpec::plain('T')],
    );
    let mut m = incident_with_journal((120, 30));
    m.keymap = km;
    send(&mut m, [key('t')]);
    assert_eq!(m.screen(), Screen::Home);
    send(&mut m, [key('T')]);
    assert_eq!(m.screen(), Screen::Timeline);
}

#[test]
fn the_demo_replay_shows_lanes() {
    let (mut m, r) = support::demo::demo();
    support::demo::key(&mut m, &r, KeyCode::Char('t'));
    assert_eq!(m.screen(), Screen::Timeline);
    let t = m.timeline.as_ref().expect("timeline");
    assert!(t.lanes.len() >= 5, "{}", t.lanes.len());
    assert!(detail(&m).is_some(), "a marker of the first lane selected");
    let s = support::screen::screen(&m);
    assert!(s.contains("first ") && s.contains("last "), "{s}");
    // The demo's groups in the summary bar carry a sparkline.
    assert!(m.home.summary.iter().any(|e| e.spark.is_some()));
}

#[test]
fn the_fleet_demo_shows_lanes_per_cluster() {
    use pulltui::snapshot::{Recorded, demo};
    let clusters: Vec<_> = demo()
        .expect("the demo parses")
        .into_iter()
        .map(|s| std::sync::Arc::new(Recorded::new(s)))
        .collect();
    let mut m =
        pulltui::cli::fleet_replay_model(&clusters, "demo".into(), Scope::All, Keymap::default());
    m.size = (200, 50);
    let mut fx = m.start();
    let mut sessions = std::collections::HashMap::new();
    while let Some(e) = fx.pop() {
        let slot = match &e {
            Effect::Watch(WatchEffect::Connect { slot, session, .. }) => {
                sessions.insert(session.generation, *slot);
                *slot
            }
            other => other
                .session()
                .and_then(|s| sessions.get(&s.generation).copied())
                .unwrap_or(0),
        };
        for msg in clusters[slot].answer(&e) {
            fx.extend(pulltui::app::update(&mut m, msg));
        }
    }
    m.settle();
    open(&mut m);
    let t = m.timeline.as_ref().expect("timeline");
    let with_lanes: std::collections::BTreeSet<usize> = t.lanes.iter().map(|l| l.cluster).collect();
    let journals = m
        .clusters
        .iter()
        .filter(|c| {
            c.journal
                .iter()
                .any(|r| matches!(r, pulltui::domain::journal::Record::Failing { .. }))
        })
        .count();
    assert!(journals >= 2, "{journals}");
    assert_eq!(with_lanes.len(), journals, "{:?}", lane_labels(&m));
}

/// The image lane's namespace, failing image and first failure, from the journal.
fn lane_facts(m: &Model, cause_family: &str) -> (usize, String, String, jiff::Timestamp) {
    use pulltui::domain::journal::Record;
    let t = m.timeline.as_ref().expect("timeline");
    let lane = t
        .lanes
        .iter()
        .position(|l| l.group.cause.starts_with(cause_family))
        .expect("lane");
    let group = &t.lanes[lane].group;
    let (ns, image) = m.clusters[0]
        .journal
        .iter()
        .find_map(|r| match r {
            Record::Failing {
                subject,
                group: g,
                image,
                ..
            } if g == group => Some((subject.namespace.clone(), image.clone())),
            _ => None,
        })
        .expect("a failing record of the lane");
    (lane, ns, image, t.lanes[lane].first)
}

#[test]
fn what_changed_is_read_when_the_screen_opens_and_marks_the_lanes_it_fits() {
    use pulltui::app::{FetchEffect, Msg};
    use pulltui::domain::changes::{Change, Kind};
    let mut m = incident_with_journal((120, 30));
    let fx = send(&mut m, [key('t')]);
    let asked: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Fetch(FetchEffect::Changes {
                from,
                to,
                namespaces,
                ..
            }) => Some((*from, *to, namespaces.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "one read for the one cluster: {fx:?}");
    let (lane, ns, image, first) = lane_facts(&m, "image");
    let (from, to, namespaces) = &asked[0];
    assert!(*from < first && *to > first, "{from} {to} {first}");
    assert!(namespaces.contains(&ns), "{namespaces:?} {ns}");

    let rollout = Change {
        kind: Kind::Rollout,
        at: Some(first - mins(2)),
        object: format!("Deployment {ns}/typo"),
        namespace: Some(ns.clone()),
        registries: Vec::new(),
        images: vec![image.clone()],
        node: None,
        summary: format!("Deployment {ns}/typo image old → {image}, revision 4"),
        by: Some("kubectl-set".into()),
    };
    let long_ago = Change {
        kind: Kind::Node,
        at: Some(first - mins(300)),
        object: "Node n-old".into(),
        namespace: None,
        registries: Vec::new(),
        images: Vec::new(),
        node: Some("n-old".into()),
        summary: "node n-old joined".into(),
        by: None,
    };
    let msg = cluster(&m, ClusterMsg::Changes(vec![long_ago, rollout]));
    send(&mut m, [msg]);
    let t = m.timeline.as_ref().expect("timeline");
    let changes: Vec<(usize, jiff::Timestamp)> = t
        .lanes
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            l.markers
                .iter()
                .filter(|k| k.kind == MarkerKind::Change)
                .map(move |k| (i, k.at))
        })
        .collect();
    assert!(changes.contains(&(lane, first - mins(2))), "{changes:?}");
    assert!(
        changes.iter().all(|(_, at)| *at != first - mins(300)),
        "a change hours before any failure fits no lane: {changes:?}"
    );

    // Its story: what, who (as the writer names itself), why it fits.
    for _ in 0..lane {
        send(&mut m, [code(KeyCode::Down)]);
    }
    let mut found = None;
    for _ in 0..30 {
        if let Some(d) = detail(&m).filter(|d| d.kind == MarkerKind::Change) {
            found = Some(d);
            break;
        }
        send(&mut m, [code(KeyCode::Right)]);
    }
    let d = found.expect("the change marker is selectable");
    assert!(d.what.contains("revision 4"), "{d:?}");
    assert!(
        d.object
            .as_deref()
            .is_some_and(|o| o.contains("by kubectl-set")),
        "{d:?}"
    );
    let why = d.evidence.unwrap_or_default();
    assert!(why.contains("2 min before the first failure"), "{why}");
    assert!(why.contains("it put the failing image in place"), "{why}");
    let s = support::screen::screen(&m);
    assert!(s.contains("what changed") && s.contains("fits"), "{s}");

    // Not read again at every tick: a minute later, and only if the
    // journal's window moved.
    let later = m.now + mins(5);
    let fx = send(&mut m, [Msg::Tick(later)]);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Fetch(FetchEffect::Changes { .. }))),
        "{fx:?}"
    );
}

#[test]
fn what_the_journal_saw_go_is_marked_with_the_changes_read() {
    use pulltui::domain::journal::Record;
    let mut m = incident_with_journal((120, 30));
    send(&mut m, [key('t')]);
    let (lane, ns, _image, first) = lane_facts(&m, "image");
    // The journal saw a pull secret of the lane's namespace deleted a
    // minute before its first failure; the API server keeps no such time.
    let deleted = Record::SecretDeleted {
        at: first - mins(1),
        since: None,
        namespace: ns.clone(),
        name: "regcred".into(),
    };
    let msg = cluster(
        &m,
        ClusterMsg::Journal {
            records: vec![deleted],
            fixes: Vec::new(),
        },
    );
    send(&mut m, [msg]);
    let msg = cluster(&m, ClusterMsg::Changes(Vec::new()));
    send(&mut m, [msg]);
    let t = m.timeline.as_ref().expect("timeline");
    let marked = t.lanes.get(lane).is_some_and(|l| {
        l.markers
            .iter()
            .any(|k| k.kind == MarkerKind::Change && k.at == first - mins(1))
    });
    assert!(marked, "{:?}", t.lanes.get(lane).map(|l| &l.markers));
}
