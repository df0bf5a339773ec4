//! The fleet console (issue 23): several contexts in one model. Each
//! cluster has its own session (slot, generation), state and rows; replies
//! reach the cluster whose session sent them; the table, the summary and the
//! groups span clusters and say in how many; `r`, the detail, fixes and
//! probes act on the row's cluster; a group fix stays in one cluster.
//! Msg in → Model out, no tokio, no terminal.

mod home_fixtures;
mod support;

use crossterm::event::KeyCode;
use home_fixtures::*;
use pulltui::app::cluster::ClusterState;
use pulltui::app::home::Grouping;
use pulltui::app::keymap::Keymap;
use pulltui::app::{
    ClusterMsg, ConnState, Effect, FetchEffect, Generation, Model, Msg, MutateEffect, Overlay,
    Scope, SessionKey, WatchEffect,
};
use pulltui::domain::api_error::{ApiError, ApiErrorKind};
use pulltui::domain::cluster_id::ClusterId;
use pulltui::domain::facts::{PodFact, WatchEvent};

const CONTEXTS: [&str; 3] = ["fleet-a", "fleet-b", "fleet-c"];

fn server(ctx: &str) -> String {
    format!("https://{ctx}.example:6443")
}

fn id(ctx: &str) -> ClusterId {
    ClusterId::new(ctx, server(ctx))
}

fn on(m: &Model, ix: usize, msg: ClusterMsg) -> Msg {
    Msg::Cluster(m.clusters[ix].session(), msg)
}

/// A fleet of three, each connected and listed: `failing_in[i]` failing in
/// cluster i, plus a few healthy pods each.
fn fleet(failing_in: [Vec<k8s_openapi::api::core::v1::Pod>; 3]) -> Model {
    let mut m = Model::fleet(
        CONTEXTS.iter().map(|c| c.to_string()).collect(),
        CONTEXTS.iter().map(|c| c.to_string()).collect(),
        Scope::All,
        Keymap::default(),
        now(),
    );
    let fx = m.start();
    assert_eq!(fx.len(), 3, "{fx:?}");
    let mut msgs = vec![Msg::Resize(180, 40)];
    for (ix, pods) in failing_in.into_iter().enumerate() {
        let ctx = CONTEXTS[ix];
        msgs.push(on(
            &m,
            ix,
            ClusterMsg::Connected {
                context: Some(ctx.into()),
                server: server(ctx),
                default_namespace: "default".into(),
                scope: Scope::All,
            },
        ));
        msgs.push(on(&m, ix, ClusterMsg::Pods(WatchEvent::Init)));
        for p in pods {
            let fact = PodFact::from_pod(&id(ctx), p);
            msgs.push(on(&m, ix, ClusterMsg::Pods(WatchEvent::InitApply(fact))));
        }
        for i in 0..3 {
            let fact = PodFact::Healthy(pulltui::domain::failing::PodKey::new(
                &id(ctx),
                "shop",
                format!("cart-{i}"),
            ));
            msgs.push(on(&m, ix, ClusterMsg::Pods(WatchEvent::InitApply(fact))));
        }
        msgs.push(on(&m, ix, ClusterMsg::Pods(WatchEvent::InitDone)));
    }
    send(&mut m, msgs);
    m
}

/// `web` (auth, in shop) in every cluster; `typo` only in fleet-b.
fn incident() -> Model {
    fleet([vec![web()], vec![web(), typo()], vec![web()]])
}

fn select_row_of(m: &mut Model, ctx: &str, pod_prefix: &str) {
    send(m, [key('g')]); // any key settles; reset grouping below
    m.home.grouping = Grouping::None;
    m.home.view_stale = true;
    m.settle();
    for _ in 0..m.home.items.len() {
        if let Some(r) = m.home.selected_row()
            && r.cluster.context() == ctx
            && r.pod.starts_with(pod_prefix)
        {
            return;
        }
        send(m, [code(KeyCode::Down)]);
    }
    panic!("no row {ctx} {pod_prefix}");
}

#[test]
fn every_cluster_gets_its_own_session_in_its_own_slot() {
    let mut m = Model::fleet(
        CONTEXTS.iter().map(|c| c.to_string()).collect(),
        Vec::new(),
        Scope::All,
        Keymap::default(),
        now(),
    );
    let fx = m.start();
    let connects: Vec<(usize, SessionKey, Option<String>)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Watch(WatchEffect::Connect {
                slot,
                session,
                context,
                ..
            }) => Some((*slot, session.clone(), context.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(connects.len(), 3);
    for (i, (slot, session, ctx)) in connects.iter().enumerate() {
        assert_eq!(*slot, i);
        assert_eq!(ctx.as_deref(), Some(CONTEXTS[i]));
        // The session names its cluster (its server is known once connected).
        assert_eq!(session.cluster.context(), CONTEXTS[i]);
    }
    let mut gens: Vec<Generation> = connects.iter().map(|c| c.1.generation).collect();
    gens.dedup();
    assert_eq!(gens.len(), 3, "generations are unique across the fleet");
    assert!(m.is_fleet());
}

#[test]
fn rows_of_every_cluster_share_the_table_each_under_its_cluster() {
    let m = incident();
    assert_eq!(m.home.rows.len(), 4);
    for ctx in CONTEXTS {
        assert!(
            m.home
                .rows
                .iter()
                .any(|r| r.cluster.context() == ctx && r.pod.starts_with("web")),
            "web in {ctx}"
        );
    }
    let typo_rows: Vec<_> = m.home.rows.iter().filter(|r| r.pod == "typo").collect();
    assert_eq!(typo_rows.len(), 1);
    assert!(typo_rows.iter().all(|r| r.cluster.context() == "fleet-b"));
    assert_eq!(m.pod_count(), 4 + 9);
    assert_eq!(m.failing_pods(), 4);
    // The summary says the web group is everywhere.
    let everywhere = m
        .home
        .summary
        .iter()
        .find(|e| e.count == 3)
        .expect("a group of three");
    assert_eq!(everywhere.clusters, 3);
    assert!(
        everywhere.text().contains("— 3 clusters"),
        "{}",
        everywhere.text()
    );
    let alone = m.home.summary.iter().find(|e| e.count == 1).expect("typo");
    assert!(!alone.text().contains("clusters"), "{}", alone.text());
}

#[test]
fn a_reply_reaches_the_cluster_whose_session_sent_it() {
    let mut m = incident();
    // fleet-b's web pod goes away: only fleet-b's row leaves.
    let gone = PodFact::from_pod(&id("fleet-b"), web());
    let msg = on(&m, 1, ClusterMsg::Pods(WatchEvent::Delete(gone)));
    send(&mut m, [msg]);
    let webs: Vec<&str> = m
        .home
        .rows
        .iter()
        .filter(|r| r.pod.starts_with("web"))
        .map(|r| r.cluster.context())
        .collect();
    assert_eq!(webs, ["fleet-a", "fleet-c"]);
    // A message of no current session is dropped.
    let stale = Msg::Cluster(
        SessionKey::new(id("fleet-b"), Generation(99)),
        ClusterMsg::Pods(WatchEvent::Apply(PodFact::from_pod(&id("fleet-b"), web()))),
    );
    send(&mut m, [stale]);
    assert_eq!(m.home.rows.len(), 3);
    // So is one of a current session's number that names another cluster.
    let crossed = Msg::Cluster(
        SessionKey::new(id("fleet-b"), m.clusters[0].generation),
        ClusterMsg::Pods(WatchEvent::Apply(PodFact::from_pod(&id("fleet-b"), web()))),
    );
    send(&mut m, [crossed]);
    assert_eq!(m.home.rows.len(), 3);
    let same = Msg::Cluster(
        SessionKey::new(id("fleet-b"), m.clusters[1].generation),
        ClusterMsg::Pods(WatchEvent::Apply(PodFact::from_pod(&id("fleet-b"), web()))),
    );
    send(&mut m, [same]);
    assert_eq!(
        m.home.rows.len(),
        4,
        "the same message, named right, is taken"
    );
}

#[test]
fn one_cluster_down_or_refused_leaves_the_others_live() {
    let mut m = incident();
    let msgs = [
        on(
            &m,
            1,
            ClusterMsg::ServerSilent {
                error: ApiError::new(ApiErrorKind::Connect, "connection refused"),
                for_secs: 12,
            },
        ),
        on(
            &m,
            2,
            ClusterMsg::CredentialsRefused(ApiError::new(
                ApiErrorKind::Status(401),
                "Unauthorized",
            )),
        ),
    ];
    send(&mut m, msgs);
    assert_eq!(m.clusters[0].state(), ClusterState::Live);
    assert_eq!(m.clusters[1].state(), ClusterState::Reconnecting);
    assert_eq!(m.clusters[2].state(), ClusterState::CredentialsRefused);
    let n = m.notice.as_ref().expect("notice");
    assert!(n.text.starts_with("fleet-c: "), "{}", n.text);
    // Every row is still there: the others are not hidden.
    assert_eq!(m.home.rows.len(), 4);
    let renewed = on(&m, 2, ClusterMsg::CredentialsRenewed);
    send(&mut m, [renewed]);
    assert_ne!(m.clusters[2].state(), ClusterState::CredentialsRefused);
}

#[test]
fn a_forbidden_cluster_falls_back_to_its_namespace_alone() {
    let mut m = incident();
    let forbidden = on(
        &m,
        2,
        ClusterMsg::ScopeForbidden {
            default_namespace: "scoped".into(),
            message: "pods is forbidden".into(),
        },
    );
    let fx = send(&mut m, [forbidden]);
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Watch(WatchEffect::Connect { slot: 2, scope: Scope::Namespace(ns), .. })] if ns == "scoped"
        ),
        "{fx:?}"
    );
    assert_eq!(m.clusters[2].fallback.as_deref(), Some("scoped"));
    assert_eq!(m.clusters[0].scope, Scope::All);
    // Its rows went with its old session; the others' stay.
    assert!(m.home.rows.iter().all(|r| r.cluster.context() != "fleet-c"));
    assert_eq!(m.home.rows.len(), 3);
    let msgs = [
        on(
            &m,
            2,
            ClusterMsg::Connected {
                context: Some("fleet-c".into()),
                server: server("fleet-c"),
                default_namespace: "scoped".into(),
                scope: Scope::Namespace("scoped".into()),
            },
        ),
        on(&m, 2, ClusterMsg::Pods(WatchEvent::Init)),
        on(&m, 2, ClusterMsg::Pods(WatchEvent::InitDone)),
    ];
    send(&mut m, msgs);
    assert_eq!(m.clusters[2].state(), ClusterState::Forbidden);
}

#[test]
fn r_resyncs_the_selected_rows_cluster_only() {
    let mut m = incident();
    select_row_of(&mut m, "fleet-b", "typo");
    let before: Vec<Generation> = m.clusters.iter().map(|c| c.generation).collect();
    let fx = send(&mut m, [key('r')]);
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Watch(WatchEffect::Connect { slot: 1, .. })]
        ),
        "{fx:?}"
    );
    assert_eq!(m.clusters[0].generation, before[0]);
    assert_eq!(m.clusters[2].generation, before[2]);
    assert_ne!(m.clusters[1].generation, before[1]);
    assert_eq!(m.clusters[1].conn, ConnState::Connecting);
    assert!(m.home.rows.iter().all(|r| r.cluster.context() != "fleet-b"));
}

#[test]
fn the_detail_and_a_fix_go_to_the_rows_cluster() {
    let mut m = incident();
    select_row_of(&mut m, "fleet-c", "web");
    let gen_c = m.clusters[2].session();
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert!(!fx.is_empty());
    for e in &fx {
        let g = match e {
            Effect::Watch(WatchEffect::PodEvents { session, .. })
            | Effect::Fetch(FetchEffect::ServiceAccount { session, .. })
            | Effect::Fetch(FetchEffect::Secret { session, .. })
            | Effect::Fetch(FetchEffect::Node { session, .. })
            | Effect::Fetch(FetchEffect::Attachable { session, .. }) => session.clone(),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(g, gen_c, "{e:?}");
    }
    assert_eq!(
        m.detail.as_ref().map(|d| d.key.cluster.context()),
        Some("fleet-c")
    );
    // A reconnect of another cluster leaves the detail alone.
    let detail = m.detail.as_ref().map(|d| d.id);
    let resync = on(&m, 0, ClusterMsg::Resync);
    let fx = send(&mut m, [resync]);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(m.detail.as_ref().map(|d| d.id), detail);
    // `k` prepares the restart on fleet-c's session.
    let fx = send(&mut m, [key('k')]);
    assert!(
        matches!(fx.as_slice(), [Effect::Mutate(MutateEffect::Prepare { session, request, .. })]
            if *session == gen_c && request.pods.iter().all(|p| p.cluster.context() == "fleet-c")),
        "{fx:?}"
    );
}

#[test]
fn a_group_fix_stays_in_the_selected_rows_cluster() {
    // Two workloads of the same group in fleet-a, one in fleet-b.
    let mut m = fleet([
        vec![web(), worker("n6m4x")],
        vec![web(), worker("p2k7d")],
        vec![],
    ]);
    select_row_of(&mut m, "fleet-a", "web");
    let row = m.home.selected_row().expect("row").clone();
    let same_group = m
        .home
        .rows
        .iter()
        .filter(|r| r.category == row.category && r.registry == row.registry)
        .count();
    assert!(same_group >= 2, "the group spans clusters");
    send(&mut m, [key('C')]);
    let action = m.actions.current.as_ref().expect("group form");
    assert!(!action.subject.pods.is_empty());
    assert!(
        action
            .subject
            .pods
            .iter()
            .all(|p| p.cluster.context() == "fleet-a"),
        "{:?}",
        action.subject.pods
    );
}

#[test]
fn g_groups_by_cluster_in_a_fleet_and_groups_say_how_many_clusters() {
    let mut m = incident();
    m.home.grouping = Grouping::Registry;
    m.home.view_stale = true;
    m.settle();
    let labels: Vec<String> = m
        .home
        .items
        .iter()
        .filter_map(|i| match i {
            pulltui::app::home::Item::Group { label, .. } => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert!(
        labels.iter().any(|l| l.ends_with("— 3 clusters")),
        "{labels:?}"
    );
    let mut g = Grouping::None;
    let mut seen = Vec::new();
    for _ in 0..5 {
        g = g.next(true);
        seen.push(g);
    }
    assert!(seen.contains(&Grouping::Cluster));
    let mut g = Grouping::None;
    for _ in 0..5 {
        g = g.next(false);
        assert_ne!(g, Grouping::Cluster, "one cluster: no cluster grouping");
    }
    // The filter matches the cluster's name.
    m.home.filter = "fleet-b".into();
    m.home.view_stale = true;
    m.settle();
    assert_eq!(m.home.shown, 2);
}

#[test]
fn the_palette_marks_several_contexts_and_watches_them_as_a_fleet() {
    let mut m = started();
    assert!(!m.is_fleet());
    send(&mut m, [key(':')]);
    assert!(matches!(m.overlay, Some(Overlay::Picker(_))));
    // Both contexts marked with Tab (the cursor moves down after a mark).
    send(&mut m, [code(KeyCode::Tab), code(KeyCode::Tab)]);
    match &m.overlay {
        Some(Overlay::Picker(p)) => assert_eq!(p.marked, ["prod-eu", "staging"]),
        other => panic!("{other:?}"),
    }
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert!(m.is_fleet());
    let slots: Vec<usize> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Watch(WatchEffect::Connect { slot, .. }) => Some(*slot),
            _ => None,
        })
        .collect();
    assert_eq!(slots, [0, 1], "{fx:?}");
    // Back to one context: the second slot's session stops.
    send(&mut m, [key(':')]);
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert!(!m.is_fleet());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Watch(WatchEffect::Disconnect { slot: 1 }))),
        "{fx:?}"
    );
}

#[test]
fn the_screen_shows_a_cluster_column_and_a_strip_of_clusters() {
    let mut m = incident();
    let silent = on(
        &m,
        1,
        ClusterMsg::ServerSilent {
            error: ApiError::new(ApiErrorKind::Connect, "connection refused"),
            for_secs: 12,
        },
    );
    send(&mut m, [silent]);
    let text = support::screen::screen(&m);
    let mut lines = text.lines();
    let status = lines.next().expect("status bar");
    assert!(
        status.contains("fleet-a ●")
            && status.contains("fleet-b ↻ reconnecting")
            && status.contains("fleet-c ●"),
        "{status}"
    );
    assert!(status.contains("4 failing of 13 pods"), "{status}");
    let header = text
        .lines()
        .find(|l| l.contains("NAMESPACE"))
        .expect("table header");
    assert!(
        header.trim_start_matches('"').starts_with("CLUSTER"),
        "{header}"
    );
    assert!(header.contains("STALE fleet-b · as of"), "{header}");
    for ctx in CONTEXTS {
        assert!(
            text.lines()
                .any(|l| l.trim_start_matches('"').starts_with(ctx) && l.contains("web")),
            "a row of {ctx}:\n{text}"
        );
    }
    assert!(text.contains("— 3 clusters"), "{text}");

    // One cluster: no CLUSTER column, the context in the status bar.
    let one = model_with(vec![failing(web())], (140, 16));
    let text = support::screen::screen(&one);
    assert!(!text.contains("CLUSTER"), "{text}");
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains("ctx prod-eu")),
        "{text}"
    );
}

/// The bundled demo, a fleet of three recordings, answered through the real
/// `update` as `Replay::fleet` answers it (each slot by its recording).
fn fleet_demo() -> (Model, Vec<std::sync::Arc<pulltui::snapshot::Recorded>>) {
    use pulltui::snapshot::{Recorded, demo};
    let clusters: Vec<_> = demo()
        .expect("the demo parses")
        .into_iter()
        .map(|s| std::sync::Arc::new(Recorded::new(s)))
        .collect();
    let mut m =
        pulltui::cli::fleet_replay_model(&clusters, "demo".into(), Scope::All, Keymap::default());
    m.size = (200, 50);
    let fx = m.start();
    answer_fleet(&mut m, &clusters, fx);
    (m, clusters)
}

fn answer_fleet(
    m: &mut Model,
    clusters: &[std::sync::Arc<pulltui::snapshot::Recorded>],
    mut fx: Vec<Effect>,
) {
    let mut sessions = std::collections::HashMap::new();
    for c in &m.clusters {
        sessions.insert(c.generation, c.slot);
    }
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
            fx.extend(pulltui::app::update(m, msg));
        }
    }
    m.settle();
}

#[test]
fn the_demo_is_a_fleet_whose_registry_link_broke_in_two_clusters() {
    let (mut m, clusters) = fleet_demo();
    assert_eq!(m.clusters.len(), 3);
    for c in &m.clusters {
        assert_eq!(c.state(), ClusterState::Live, "{}", c.name());
    }
    let top = &m.home.summary[0];
    assert_eq!(
        (top.category.id(), top.registry.as_str(), top.clusters),
        ("network.timeout", "shopreg.tencentcloudcr.com", 2),
        "the first thing on screen: {}",
        top.text()
    );
    assert!(m.clusters[2].inventory.pod_count() > 0);
    assert!(
        m.home
            .rows
            .iter()
            .all(|r| r.cluster.context() != "tke-prod-ap-singapore")
    );
    let text = support::screen::screen(&m);
    assert!(text.contains("REPLAY demo"), "{text}");
    assert!(
        text.contains("network.timeout ×8 shopreg.tencentcloudcr.com — 2 clusters"),
        "{text}"
    );
    // Shanghai's row opens with Shanghai's recorded events.
    select_row_of(&mut m, "tke-prod-ap-shanghai", "web");
    let fx = pulltui::app::update(&mut m, code(KeyCode::Enter));
    answer_fleet(&mut m, &clusters, fx);
    let d = m.detail.as_ref().expect("detail");
    assert_eq!(d.key.cluster.context(), "tke-prod-ap-shanghai");
    assert!(!d.events.is_empty(), "the recorded events of the pod");
}

#[test]
fn check_replays_a_fleet_file_cluster_by_cluster() {
    let clusters = pulltui::snapshot::demo().expect("demo");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let text = pulltui::snapshot::fleet_to_yaml(&pulltui::snapshot::FleetSnapshot::new(clusters))
        .expect("yaml");
    std::fs::write(file.path(), text).expect("write");
    let run = support::cli::Pulltui::new()
        .args(&["check", "--json", "--replay"])
        .arg(file.path())
        .run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let contexts: std::collections::BTreeSet<&str> = v["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .filter_map(|p| p["context"].as_str())
        .collect();
    assert_eq!(
        contexts.into_iter().collect::<Vec<_>>(),
        ["tke-prod-ap-guangzhou", "tke-prod-ap-shanghai"]
    );
    assert_eq!(v["clusters"].as_array().map(Vec::len), Some(3));
}

/// The prepare effects of `fx`: (session, part id, clusters of its pods).
fn prepares(fx: &[Effect]) -> Vec<(SessionKey, pulltui::app::ActionId, Vec<String>)> {
    fx.iter()
        .map(|e| match e {
            Effect::Mutate(MutateEffect::Prepare {
                session,
                action,
                request,
            }) => (
                session.clone(),
                *action,
                request
                    .pods
                    .iter()
                    .map(|p| p.cluster.context().to_string())
                    .collect(),
            ),
            other => panic!("not a prepare: {other:?}"),
        })
        .collect()
}

fn prepared(m: &Model, ix: usize, action: pulltui::app::ActionId, title: &str) -> Msg {
    let preview = pulltui::domain::mutation::Preview {
        title: title.into(),
        objects: vec![format!("Deployment shop/web ({ix})")],
        diff: vec!["+ x".into()],
        kubectl: vec!["kubectl -n shop annotate deployment web x=y".into()],
        notes: Vec::new(),
    };
    on(
        m,
        ix,
        ClusterMsg::Action {
            action,
            msg: Box::new(pulltui::app::ActionMsg::Prepared {
                preview: Box::new(preview),
                live: true,
            }),
        },
    )
}

/// Opens `A` on fleet-a's web row and widens it to every cluster of the
/// group (the form's last row), then asks for the previews.
fn widened_group_fix(m: &mut Model) -> Vec<Effect> {
    select_row_of(m, "fleet-a", "web");
    send(m, [key('A')]);
    let a = m.actions.current.as_ref().expect("group form");
    assert_eq!(a.subject.clusters().first(), Some(&"fleet-a"));
    let form = match &a.stage {
        pulltui::app::action::Stage::Form(f) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(a.rows(form).last(), Some(&pulltui::app::action::Row::Scope));
    // Up from the first row wraps to the last: the clusters row.
    send(m, [code(KeyCode::Up), code(KeyCode::Right)]);
    send(m, [code(KeyCode::Enter)])
}

#[test]
fn a_group_fix_widened_to_the_fleet_prepares_each_cluster_on_its_own_session() {
    let mut m = fleet([vec![web()], vec![web()], vec![]]);
    // Not widened: one cluster, one prepare.
    select_row_of(&mut m, "fleet-a", "web");
    send(&mut m, [key('A')]);
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    let p = prepares(&fx);
    assert_eq!(p.len(), 1, "{fx:?}");
    assert_eq!(p[0].2, vec!["fleet-a"]);
    send(&mut m, [code(KeyCode::Esc)]);
    m.actions.current = None;

    let fx = widened_group_fix(&mut m);
    let subject = &m.actions.current.as_ref().expect("action").subject;
    assert_eq!(subject.clusters(), vec!["fleet-a", "fleet-b"]);
    let p = prepares(&fx);
    assert_eq!(p.len(), 2, "{fx:?}");
    assert_eq!(
        (p[0].0.clone(), p[0].2.clone()),
        (m.clusters[0].session(), vec!["fleet-a".to_string()])
    );
    assert_eq!(
        (p[1].0.clone(), p[1].2.clone()),
        (m.clusters[1].session(), vec!["fleet-b".to_string()])
    );
    assert_ne!(p[0].1, p[1].1, "each part has its own id");
    // One preview of both, once both are in; each names its cluster.
    let msg = prepared(&m, 1, p[1].1, "annotate b");
    send(&mut m, [msg]);
    assert!(matches!(
        m.actions.current.as_ref().map(|a| &a.stage),
        Some(pulltui::app::action::Stage::Preparing)
    ));
    let msg = prepared(&m, 0, p[0].1, "annotate a");
    send(&mut m, [msg]);
    let preview = match m.actions.current.as_ref().map(|a| &a.stage) {
        Some(pulltui::app::action::Stage::Confirm { preview, .. }) => preview.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        preview.title.starts_with("2 clusters (fleet-a, fleet-b)"),
        "{preview:?}"
    );
    assert_eq!(preview.objects.len(), 2, "{preview:?}");
    assert!(
        preview
            .kubectl
            .iter()
            .any(|k| k.starts_with("kubectl --context fleet-b ")),
        "{preview:?}"
    );
    // `y` once applies both parts, nothing to fleet-c.
    let fx = send(&mut m, [key('y')]);
    let applied: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(MutateEffect::Apply { action, .. }) => Some(*action),
            _ => None,
        })
        .collect();
    assert_eq!(applied, vec![p[0].1, p[1].1], "{fx:?}");
    for (ix, id) in [(0, p[0].1), (1, p[1].1)] {
        let msg = on(
            &m,
            ix,
            ClusterMsg::Action {
                action: id,
                msg: Box::new(pulltui::app::ActionMsg::Applied {
                    dry_run: false,
                    writes: vec![format!("Deployment shop/web ({ix})")],
                    notes: Vec::new(),
                    audit: None,
                }),
            },
        );
        send(&mut m, [msg]);
    }
    assert!(m.actions.current.is_none(), "closed once both answered");
    assert_eq!(m.actions.following.len(), 2);
    let toasts: Vec<&str> = m.actions.toasts.iter().map(|t| t.text.as_str()).collect();
    assert!(
        toasts.iter().any(|t| t.starts_with("fleet-a: applied"))
            && toasts.iter().any(|t| t.starts_with("fleet-b: applied")),
        "{toasts:?}"
    );
}

#[test]
fn a_widened_fix_skips_a_cluster_it_cannot_prepare_and_a_refused_value_goes_back_to_the_form() {
    let mut m = fleet([vec![web()], vec![web()], vec![web()]]);
    let fx = widened_group_fix(&mut m);
    let p = prepares(&fx);
    assert_eq!(p.len(), 3, "{fx:?}");
    let msg = prepared(&m, 0, p[0].1, "annotate a");
    send(&mut m, [msg]);
    let msg = prepared(&m, 1, p[1].1, "annotate b");
    send(&mut m, [msg]);
    let failed = on(
        &m,
        2,
        ClusterMsg::Action {
            action: p[2].1,
            msg: Box::new(pulltui::app::ActionMsg::Failed {
                message: "forbidden: cannot get deployments".into(),
            }),
        },
    );
    send(&mut m, [failed]);
    let preview = match m.actions.current.as_ref().map(|a| &a.stage) {
        Some(pulltui::app::action::Stage::Confirm { preview, .. }) => preview.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        preview
            .notes
            .iter()
            .any(|n| n.contains("fleet-c") && n.contains("forbidden")),
        "{preview:?}"
    );
    let fx = send(&mut m, [key('y')]);
    let applied = fx
        .iter()
        .filter(|e| matches!(e, Effect::Mutate(MutateEffect::Apply { .. })))
        .count();
    assert_eq!(applied, 2, "the skipped cluster is not applied: {fx:?}");
    m.actions.current = None;

    // A value one cluster refuses: the form again, with the cluster named;
    // the other parts are cancelled.
    let fx = widened_group_fix(&mut m);
    let p = prepares(&fx);
    let refused = on(
        &m,
        1,
        ClusterMsg::Action {
            action: p[1].1,
            msg: Box::new(pulltui::app::ActionMsg::Refused {
                message: "invalid annotation".into(),
                input: true,
            }),
        },
    );
    let fx = send(&mut m, [refused]);
    let cancelled: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(MutateEffect::Cancel { action }) => Some(*action),
            _ => None,
        })
        .collect();
    assert_eq!(cancelled, vec![p[0].1, p[2].1], "{fx:?}");
    match m.actions.current.as_ref().map(|a| &a.stage) {
        Some(pulltui::app::action::Stage::Form(f)) => {
            assert_eq!(f.error.as_deref(), Some("fleet-b: invalid annotation"));
        }
        other => panic!("{other:?}"),
    }
}
