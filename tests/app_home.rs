//! The home screen's update: Msg in → Model and Effects out. No tokio, no terminal.

mod home_fixtures;

use crossterm::event::KeyCode;
use home_fixtures::*;
use pulltui::app::home::{Grouping, Item, SortColumn};
use pulltui::app::keymap::{Intent, KeySpec, Keymap};
#[allow(unused_imports)]
use pulltui::app::msg::{DetailId, FetchEffect, Generation, WatchEffect};
use pulltui::app::{ClusterMsg, ConnState, Effect, Model, Overlay, PickItem, Scope};
use pulltui::domain::classify::Category;
use pulltui::domain::facts::{OwnerKey, WatchEvent};
use pulltui::domain::failing::{OwnerLookup, Workload};

fn visible_pods(m: &Model) -> Vec<String> {
    m.home
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Row(i) => Some(m.home.rows[*i].pod.clone()),
            Item::Group { .. } => None,
        })
        .collect()
}

#[test]
fn start_connects_with_the_requested_context_and_scope() {
    let mut m = Model::new(
        Some("staging".into()),
        vec![],
        Scope::Namespace("shop".into()),
        Keymap::default(),
        now(),
    );
    let fx = m.start();
    assert_eq!(
        fx,
        vec![Effect::Watch(WatchEffect::Connect {
            slot: 0,
            session: session_asked("staging", 1),
            context: Some("staging".into()),
            scope: Scope::Namespace("shop".into()),
        })]
    );
    assert_eq!(m.cluster().conn, ConnState::Connecting);
}

#[test]
fn initial_list_shows_only_failing_pods_and_goes_live() {
    let m = incident((120, 30));
    assert_eq!(m.cluster().conn, ConnState::Live);
    assert_eq!(m.cluster().inventory.pod_count(), 25);
    assert_eq!(m.failing_pods(), 5);
    assert_eq!(m.home.rows.len(), 5);
    assert!(visible_pods(&m).iter().all(|p| !p.starts_with("cart-")));
}

#[test]
fn initial_list_asks_for_owners_once_per_replicaset() {
    let mut m = Model::new(None, vec![], Scope::All, Keymap::default(), now());
    m.start();
    let msgs = vec![
        pods(&m, WatchEvent::Init),
        pods(&m, WatchEvent::InitApply(failing(worker("a")))),
        pods(&m, WatchEvent::InitApply(failing(worker("b")))),
        pods(&m, WatchEvent::InitApply(failing(typo()))),
        pods(&m, WatchEvent::InitDone),
    ];
    let fx = send(&mut m, msgs);
    assert_eq!(
        fx,
        vec![Effect::Fetch(FetchEffect::Owner {
            session: session_at(&m, 1),
            owner: OwnerKey {
                namespace: "pay".into(),
                kind: "ReplicaSet".into(),
                name: "worker-7d9c8b6f5".into(),
            },
        })],
        "one lookup for the shared ReplicaSet, none for the bare pod"
    );
}

#[test]
fn resolved_owner_names_the_deployment() {
    let mut m = incident((120, 30));
    let owner = OwnerKey {
        namespace: "pay".into(),
        kind: "ReplicaSet".into(),
        name: "worker-7d9c8b6f5".into(),
    };
    let msg = cluster(
        &m,
        ClusterMsg::Owner(
            owner,
            OwnerLookup::Owner(Workload::new("Deployment", "payments-worker")),
        ),
    );
    send(&mut m, [msg]);
    let workers: Vec<_> = m
        .home
        .rows
        .iter()
        .filter(|r| r.namespace == "pay")
        .collect();
    assert_eq!(workers.len(), 2);
    for r in workers {
        assert_eq!(r.workload_label(), "Deployment/payments-worker");
    }
    let typo = m
        .home
        .rows
        .iter()
        .find(|r| r.pod == "typo")
        .expect("typo row");
    assert_eq!(typo.workload_label(), "-");
}

#[test]
fn a_missing_pull_secret_explains_a_credentials_failure() {
    let mut m = model_with(vec![failing(worker("n6m4x"))], (120, 30));
    assert_eq!(m.home.rows[0].category, Category::AuthNoCredentials);
    let secret_event = pulltui::domain::facts::EventFact {
        pod: pulltui::domain::failing::PodKey::new(&pulltui::domain::cluster_id::ClusterId::new("test", "https://test"), "pay", "worker-7d9c8b6f5-n6m4x"),
        pod_uid: None,
        container: None,
        message: "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.".into(),
        first_seen: Some(ts("2024-05-01T10:07:00Z")),
        last_seen: Some(ts("2024-05-01T10:09:30Z")),
        count: 2,
        secret_missing: true,
        sandbox: false,
    };
    // Without the pod's uid the event may be an earlier pod's (a pod
    // re-created under this name): it decides nothing.
    let ev = cluster(
        &m,
        ClusterMsg::Events(WatchEvent::Apply(secret_event.clone())),
    );
    send(&mut m, [ev]);
    assert_eq!(m.home.rows[0].category, Category::AuthNoCredentials);
    let secret_event = pulltui::domain::facts::EventFact {
        pod_uid: Some("uid-worker-n6m4x".into()),
        ..secret_event
    };
    let ev = cluster(&m, ClusterMsg::Events(WatchEvent::Apply(secret_event)));
    send(&mut m, [ev]);
    assert_eq!(m.home.rows[0].category, Category::CredentialsSecretMissing);
    assert!(m.home.rows[0].cause.contains("regcred"));
}

#[test]
fn back_off_cause_comes_from_the_latest_failed_event() {
    let m = incident((120, 30));
    let web = m
        .home
        .rows
        .iter()
        .find(|r| r.namespace == "shop")
        .expect("web");
    assert_eq!(web.reason, "ImagePullBackOff");
    assert_eq!(web.category, Category::TlsUntrusted);
    assert_eq!(web.count, 7);
    assert_eq!(web.since, Some(ts("2024-05-01T10:07:00Z")));
    // Without the event the cause is unknown and says so.
    let m2 = model_with(vec![failing(home_fixtures::web())], (120, 30));
    assert_eq!(m2.home.rows[0].category, Category::Unknown);
}

#[test]
fn a_recovered_pod_leaves_and_the_selection_stays_on_its_row() {
    let mut m = incident((120, 30));
    // Select the timeout pod in ops (rows sorted by namespace: default, ops, pay, pay, shop).
    send(&mut m, [code(KeyCode::Down)]);
    let selected = m.home.selected.clone().expect("selection");
    assert_eq!(selected.pod.namespace, "ops");
    // A pay worker recovers; an unrelated healthy pod changes.
    let msgs = [
        pods(
            &m,
            WatchEvent::Apply(healthy("pay", "worker-7d9c8b6f5-n6m4x")),
        ),
        pods(&m, WatchEvent::Apply(healthy("shop", "cart-3"))),
    ];
    let fx = send(&mut m, msgs);
    assert!(fx.is_empty());
    assert_eq!(m.home.rows.len(), 4);
    assert_eq!(m.home.selected, Some(selected), "selection follows its row");
    assert_eq!(
        visible_pods(&m),
        [
            "typo",
            "agent-7d9c8b6f5-zz9xk",
            "worker-7d9c8b6f5-p2k7d",
            "web-7d9c8b6f5-qr5fv"
        ]
    );
    // Deleted pods leave as well.
    let del = pods(&m, WatchEvent::Delete(failing(typo())));
    send(&mut m, [del]);
    assert_eq!(m.home.rows.len(), 3);
    assert_eq!(m.cluster().inventory.pod_count(), 24);
}

#[test]
fn a_pod_that_starts_failing_appears() {
    let mut m = model_with(vec![], (120, 30));
    assert!(m.home.rows.is_empty());
    let msg = pods(&m, WatchEvent::Apply(failing(timeout_pod())));
    let fx = send(&mut m, [msg]);
    assert_eq!(m.home.rows.len(), 1);
    assert_eq!(m.home.rows[0].category, Category::NetworkTimeout);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Fetch(FetchEffect::Owner { .. })]
    ));
}

#[test]
fn messages_from_an_old_session_are_dropped() {
    let mut m = incident((120, 30));
    let old = m.cluster().session();
    let fx = send(&mut m, [key('r')]);
    assert!(
        matches!(fx.as_slice(), [Effect::Watch(WatchEffect::Connect { session, .. })] if session.generation == Generation(old.generation.0 + 1))
    );
    assert!(m.home.rows.is_empty(), "resync starts from a fresh list");
    let stale =
        pulltui::app::Msg::Cluster(old, ClusterMsg::Pods(WatchEvent::Apply(failing(typo()))));
    send(&mut m, [stale]);
    assert!(m.home.rows.is_empty());
}

#[test]
fn forbidden_all_namespaces_falls_back_to_the_context_namespace_with_a_notice() {
    let mut m = Model::new(
        Some("dev".into()),
        vec![],
        Scope::All,
        Keymap::default(),
        now(),
    );
    m.start();
    let msg = cluster(
        &m,
        ClusterMsg::ScopeForbidden {
            default_namespace: "team-a".into(),
            message: "pods is forbidden: User \"dev\" cannot list resource \"pods\"".into(),
        },
    );
    let fx = send(&mut m, [msg]);
    assert_eq!(
        fx,
        vec![Effect::Watch(WatchEffect::Connect {
            slot: 0,
            session: session_asked("dev", 2),
            context: Some("dev".into()),
            scope: Scope::Namespace("team-a".into()),
        })]
    );
    let notice = m.notice.as_ref().expect("visible notice");
    assert!(notice.text.contains("team-a"), "{}", notice.text);
    assert!(notice.warning);
}

#[test]
fn connection_errors_and_watch_errors_show_in_the_state() {
    let mut m = Model::new(None, vec![], Scope::All, Keymap::default(), now());
    m.start();
    let msg = cluster(
        &m,
        ClusterMsg::ConnectFailed(pulltui::domain::api_error::ApiError::new(
            pulltui::domain::api_error::ApiErrorKind::Config,
            "no kubeconfig found",
        )),
    );
    send(&mut m, [msg]);
    assert_eq!(
        m.cluster().conn,
        ConnState::Failed("kubeconfig: no kubeconfig found".into())
    );

    let mut m = incident((120, 30));
    let msg = cluster(
        &m,
        ClusterMsg::WatchError {
            what: "pods",
            error: pulltui::domain::api_error::ApiError::new(
                pulltui::domain::api_error::ApiErrorKind::Connect,
                "connection refused",
            ),
        },
    );
    send(&mut m, [msg]);
    assert!(matches!(m.cluster().conn, ConnState::Reconnecting(_)));
    assert_eq!(m.home.rows.len(), 5, "rows stay while reconnecting");
    let msg = pods(&m, WatchEvent::Apply(healthy("shop", "cart-1")));
    send(&mut m, [msg]);
    assert_eq!(m.cluster().conn, ConnState::Live);
}

#[test]
fn filter_is_live_and_esc_clears_it() {
    let mut m = incident((120, 30));
    send(&mut m, [key('/'), key('p'), key('a'), key('y')]);
    assert!(m.home.filter_editing);
    assert_eq!(visible_pods(&m).len(), 2);
    send(&mut m, [code(KeyCode::Enter)]);
    assert!(!m.home.filter_editing);
    assert_eq!(m.home.filter, "pay");
    // Filter matches the cause column too.
    send(
        &mut m,
        [
            key('/'),
            code(KeyCode::Backspace),
            code(KeyCode::Backspace),
            code(KeyCode::Backspace),
        ],
    );
    send(&mut m, "tls.".chars().map(key));
    assert_eq!(visible_pods(&m), ["web-7d9c8b6f5-qr5fv"]);
    send(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(m.home.filter, "");
    assert_eq!(visible_pods(&m).len(), 5);
}

#[test]
fn grouping_cycles_and_adds_headers() {
    let mut m = incident((120, 30));
    send(&mut m, [key('g')]);
    assert_eq!(m.home.grouping, Grouping::Registry);
    let headers: Vec<_> = m
        .home
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Group { label, count } => Some((label.clone(), *count)),
            Item::Row(_) => None,
        })
        .collect();
    assert_eq!(
        headers,
        [
            ("(invalid)".to_string(), 1),
            ("43.1.2.3:5000".to_string(), 1),
            ("private.example".to_string(), 2),
            ("selfsigned.example".to_string(), 1)
        ]
    );
    assert!(
        m.home.selected_row().is_some(),
        "a header is never selected"
    );
    send(&mut m, [key('g'), key('g'), key('g')]);
    assert_eq!(m.home.grouping, Grouping::None);
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut m = incident((120, 30));
    send(&mut m, [key('s')]);
    assert_eq!(m.home.sort, SortColumn::Pod);
    assert_eq!(visible_pods(&m)[0], "agent-7d9c8b6f5-zz9xk");
    send(&mut m, [key('S')]);
    assert_eq!(visible_pods(&m)[0], "worker-7d9c8b6f5-p2k7d");
}

#[test]
fn summary_groups_by_registry_and_category() {
    let m = incident((120, 30));
    let top = &m.home.summary[0];
    assert_eq!(
        (top.registry.as_str(), top.category, top.count),
        ("private.example", Category::AuthNoCredentials, 2)
    );
    assert_eq!(m.home.summary.len(), 4);
}

#[test]
fn help_overlay_opens_and_closes_and_q_quits() {
    let mut m = incident((120, 30));
    send(&mut m, [key('?')]);
    assert_eq!(m.overlay, Some(Overlay::Help));
    send(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(m.overlay, None);
    let fx = send(&mut m, [key('q')]);
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(m.quit);
}

#[test]
fn namespace_picker_lists_namespaces_and_switches_scope() {
    let mut m = incident((120, 30));
    let fx = send(&mut m, [key('n')]);
    assert_eq!(
        fx,
        vec![Effect::Fetch(FetchEffect::Namespaces {
            session: session_at(&m, 1)
        })]
    );
    let msg = cluster(
        &m,
        ClusterMsg::Namespaces(Ok(vec!["shop".into(), "pay".into(), "default".into()])),
    );
    send(&mut m, [msg]);
    let Some(Overlay::Picker(p)) = &m.overlay else {
        panic!("picker open")
    };
    assert_eq!(p.items[0], PickItem::Namespace(None));
    assert_eq!(p.items.len(), 4);
    send(&mut m, "pa".chars().map(key));
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert_eq!(
        fx,
        vec![Effect::Watch(WatchEffect::Connect {
            slot: 0,
            session: session_asked("prod-eu", 2),
            context: Some("prod-eu".into()),
            scope: Scope::Namespace("pay".into()),
        })]
    );
    assert_eq!(m.overlay, None);
}

#[test]
fn palette_switches_context() {
    let mut m = incident((120, 30));
    send(&mut m, [key(':')]);
    send(&mut m, "stag".chars().map(key));
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert_eq!(
        fx,
        vec![Effect::Watch(WatchEffect::Connect {
            slot: 0,
            session: session_asked("staging", 2),
            context: Some("staging".into()),
            scope: Scope::All,
        })]
    );
}

#[test]
fn rebound_keys_drive_update() {
    let mut km = Keymap::default();
    km.bind(Intent::Quit, vec![KeySpec::plain('x')]);
    let mut m = incident((120, 30));
    m.keymap = km;
    assert!(send(&mut m, [key('q')]).is_empty(), "q is no longer quit");
    assert_eq!(send(&mut m, [key('x')]), vec![Effect::Quit]);
}

#[test]
fn navigation_scrolls_to_keep_the_selection_visible() {
    let facts = (0..40)
        .map(|i| failing(worker(&format!("w{i:02}"))))
        .collect();
    let mut m = model_with(facts, (80, 24));
    let vp = m.viewport();
    send(&mut m, [code(KeyCode::End)]);
    assert_eq!(m.home.cursor, 39);
    assert_eq!(m.home.offset, 40 - vp);
    send(&mut m, [code(KeyCode::Home)]);
    assert_eq!((m.home.cursor, m.home.offset), (0, 0));
    send(&mut m, [code(KeyCode::PageDown)]);
    assert_eq!(m.home.cursor, vp);
    send(&mut m, [code(KeyCode::Up)]);
    assert_eq!(m.home.cursor, vp - 1);
}

/// The failing pods listed first show before the full list is in; once it
/// is, a late early list changes nothing (the pod may have recovered).
#[test]
fn failing_pods_listed_first_show_until_the_full_list_and_never_after() {
    let mut m = started();
    let up = connected(&m);
    let init = pods(&m, WatchEvent::Init);
    let early = cluster(
        &m,
        ClusterMsg::FailingFirst(vec![failing(web()), failing(typo())]),
    );
    send(&mut m, [up, init, early]);
    assert!(!m.cluster().inventory.synced);
    assert_eq!(m.failing_pods(), 2, "rows before the full list");
    assert_eq!(m.home.rows.len(), 2);
    // The full list: web has recovered meanwhile.
    let full = [
        pods(
            &m,
            WatchEvent::InitApply(healthy("shop", "web-7d9c8b6f5-qr5fv")),
        ),
        pods(&m, WatchEvent::InitApply(failing(typo()))),
        pods(&m, WatchEvent::InitApply(healthy("shop", "cart-1"))),
        pods(&m, WatchEvent::InitDone),
    ];
    send(&mut m, full);
    assert!(m.cluster().inventory.synced);
    assert_eq!(m.failing_pods(), 1, "the full list decides");
    assert_eq!(m.cluster().inventory.pod_count(), 3);
    let late = cluster(&m, ClusterMsg::FailingFirst(vec![failing(web())]));
    send(&mut m, [late]);
    assert_eq!(m.failing_pods(), 1, "a late early list is ignored");
}

/// A relist (the full list after the failing-first one, or a resync) keeps
/// the rows of pods it brings back unchanged — same uid and resourceVersion
/// — and classifies again those that changed.
#[test]
fn a_relist_keeps_the_rows_of_unchanged_pods_and_redoes_changed_ones() {
    use pulltui::domain::failing::PodKey;
    use pulltui::domain::inventory::Inventory;
    let at = |rv: &str| {
        let mut p = web();
        p.metadata.uid = Some("uid-web".into());
        p.metadata.resource_version = Some(rv.into());
        failing(p)
    };
    let key = PodKey::new(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        "shop".to_string(),
        web().metadata.name.clone().unwrap_or_default(),
    );
    let mut inv = Inventory::default();
    let relist = |inv: &mut Inventory, f| {
        inv.apply_pod(WatchEvent::Init);
        inv.apply_pod(WatchEvent::InitApply(f));
        inv.apply_pod(WatchEvent::InitDone);
    };
    relist(&mut inv, at("7"));
    inv.refresh();
    let rows = inv.failing[&key].rows.clone();
    assert!(!rows.is_empty() && !inv.failing[&key].stale);
    relist(&mut inv, at("7"));
    assert!(!inv.failing[&key].stale, "unchanged: rows kept");
    assert_eq!(inv.failing[&key].rows, rows);
    relist(&mut inv, at("8"));
    assert!(inv.failing[&key].stale, "changed: classified again");
}

/// An inventory that has listed `web` (with the uid its events name) and
/// then applied `events` in the order given.
fn web_after(
    events: &[&pulltui::domain::facts::EventFact],
) -> pulltui::domain::inventory::Inventory {
    let mut inv = pulltui::domain::inventory::Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    let mut p = web();
    p.metadata.uid = web_event().pod_uid;
    inv.apply_pod(WatchEvent::InitApply(failing(p)));
    inv.apply_pod(WatchEvent::InitDone);
    for e in events {
        inv.apply_event(WatchEvent::Apply((*e).clone()));
    }
    inv
}

/// `web`'s event with this message and timing.
fn web_event_at(message: &str, first: &str, last: &str) -> pulltui::domain::facts::EventFact {
    pulltui::domain::facts::EventFact {
        message: message.into(),
        first_seen: Some(ts(first)),
        last_seen: Some(ts(last)),
        count: 12,
        ..web_event()
    }
}

/// The row a pod gets must not depend on the order its events arrive in: a
/// watch and a list (live console vs. snapshot) order them differently.
/// kubelet writes two warnings for one unparsable image, a second apart.
#[test]
fn the_kept_cause_and_its_first_seen_do_not_depend_on_event_order() {
    let inspect = web_event_at(
        "Failed to apply default image tag \"Shop/Web\": couldn't parse image reference \"Shop/Web\": invalid reference format: repository name must be lowercase",
        "2024-05-01T10:07:07Z",
        "2024-05-01T10:09:30Z",
    );
    let failed = web_event_at(
        "Error: InvalidImageName",
        "2024-05-01T10:07:08Z",
        "2024-05-01T10:09:30Z",
    );
    let a = web_after(&[&inspect, &failed]).sorted_rows();
    let b = web_after(&[&failed, &inspect]).sorted_rows();
    assert_eq!(a.len(), 1);
    assert_eq!(a, b);
    assert_eq!(a[0].since, Some(ts("2024-05-01T10:07:07Z")));
    // An older event arriving late still moves "first seen" back, and the
    // latest event still decides the cause.
    let latest = web_event();
    let late = web_event_at(
        &latest.message,
        "2024-05-01T10:01:00Z",
        "2024-05-01T10:02:00Z",
    );
    let first = web_after(&[&latest]).sorted_rows();
    let second = web_after(&[&latest, &late]).sorted_rows();
    assert_eq!(second[0].since, Some(ts("2024-05-01T10:01:00Z")));
    assert_eq!(second[0].cause, first[0].cause);
    assert_eq!(second[0].count, latest.count);
}

/// A snapshot keeps every event of a failing pod (for its detail) but builds
/// rows only from the reasons the live console watches.
#[test]
fn rows_come_from_the_events_the_console_watches() {
    use k8s_openapi::api::core::v1::{Event, ObjectReference};
    use pulltui::domain::facts::EventFact;
    let ev = |reason: &str| {
        Event {
        involved_object: ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("shop".into()),
            name: Some("web-1".into()),
            field_path: Some("spec.containers{app}".into()),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some("Failed to apply default image tag \"Shop/Web\": couldn't parse image reference \"Shop/Web\": invalid reference format: repository name must be lowercase".into()),
        ..Default::default()
    }
    };
    assert!(
        EventFact::from_event(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ev("InspectFailed"),
            jiff::Timestamp::now()
        )
        .is_some()
    );
    assert!(
        EventFact::from_row_event(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ev("InspectFailed"),
            jiff::Timestamp::now()
        )
        .is_none()
    );
    assert!(
        EventFact::from_row_event(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ev("Failed"),
            jiff::Timestamp::now()
        )
        .is_some()
    );
    assert!(
        EventFact::from_row_event(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ev("FailedToRetrieveImagePullSecret"),
            jiff::Timestamp::now()
        )
        .is_some()
    );
}
