//! The pod detail's update: Msg in → Model and Effects out. No tokio, no terminal.

mod detail_fixtures;
mod home_fixtures;

use crossterm::event::KeyCode;
use detail_fixtures::*;
use home_fixtures::*;
use pulltui::app::detail::{CauseFrom, EventsState, Presence};
#[allow(unused_imports)]
use pulltui::app::msg::{DetailId, FetchEffect, Generation, SessionKey, WatchEffect};
use pulltui::app::msg::{DetailMsg, Fetch};
use pulltui::app::{ClusterMsg, Effect, Model, Msg, Screen};
use pulltui::domain::classify::Category;
use pulltui::domain::facts::WatchEvent;
use pulltui::domain::failing::PodKey;
use pulltui::domain::image::ImageRef;
use pulltui::domain::secrets::{Coverage, SecretCheck, SecretSource, SecretState, coverage};

fn web_key() -> PodKey {
    PodKey::new(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        "shop",
        "web-7d9c8b6f5-qr5fv",
    )
}

fn doc(m: &Model) -> String {
    let d = m.detail.as_ref().expect("detail open");
    d.document(m.now, m.size.0 as usize)
        .iter()
        .map(line_text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn enter_opens_the_selected_pod_and_asks_for_its_evidence() {
    let mut m = one(with_secrets(web(), &["regcred", "other"]), (120, 40));
    let fx = open(&mut m, "web");
    assert_eq!(m.screen(), Screen::Detail);
    let d = m.detail.as_ref().expect("detail");
    assert_eq!(d.key, web_key());
    assert_eq!(d.container, "app");
    assert_eq!(
        fx,
        vec![
            Effect::Watch(WatchEffect::PodEvents {
                session: session_at(&m, 1),
                detail: DetailId(1),
                pod: web_key(),
                uid: Some("uid-web-qr5fv".into()),
            }),
            Effect::Fetch(FetchEffect::ServiceAccount {
                session: session_at(&m, 1),
                detail: DetailId(1),
                namespace: "shop".into(),
                name: "default".into(),
            }),
            Effect::Fetch(FetchEffect::Attachable {
                session: session_at(&m, 1),
                detail: DetailId(1),
                pod: web_key(),
                container: "app".into(),
            }),
            // Its node: the kubelet version and cached images (KEP-2535).
            Effect::Fetch(FetchEffect::Node {
                session: session_at(&m, 1),
                detail: DetailId(1),
                name: "node-a1".into(),
            }),
            Effect::Fetch(FetchEffect::Secret {
                session: session_at(&m, 1),
                detail: DetailId(1),
                namespace: "shop".into(),
                name: "regcred".into(),
            }),
            Effect::Fetch(FetchEffect::Secret {
                session: session_at(&m, 1),
                detail: DetailId(1),
                namespace: "shop".into(),
                name: "other".into(),
            }),
        ]
    );
}

#[test]
fn service_account_secrets_are_read_once() {
    let mut m = one(with_secrets(web(), &["regcred"]), (120, 40));
    open(&mut m, "web");
    let msg = sa(&m, &["regcred", "sa-only"]);
    let fx = send(&mut m, [msg]);
    assert_eq!(
        fx,
        vec![Effect::Fetch(FetchEffect::Secret {
            session: session_at(&m, 1),
            detail: DetailId(1),
            namespace: "shop".into(),
            name: "sa-only".into(),
        })]
    );
    let img = ImageRef::parse("selfsigned.example/shop/web:1.4").expect("image");
    let lines = m.detail.as_ref().expect("detail").secret_lines(&img);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].source, SecretSource::Pod);
    assert!(lines[0].also_in_sa);
    assert_eq!(
        lines[1].source,
        SecretSource::ServiceAccount("default".into())
    );
}

#[test]
fn esc_closes_and_stops_and_late_replies_are_dropped() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let stale = listed(&m, web_events());
    let fx = send(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(fx, vec![Effect::Watch(WatchEffect::StopDetail)]);
    assert_eq!(m.screen(), Screen::Home);
    assert!(m.detail.is_none());
    // Reopened: a new id; the first detail's replies no longer apply.
    let fx = send(&mut m, [code(KeyCode::Enter)]);
    assert!(matches!(
        fx.first(),
        Some(Effect::Watch(WatchEffect::PodEvents {
            detail: DetailId(2),
            ..
        }))
    ));
    send(&mut m, stale);
    let d = m.detail.as_ref().expect("detail");
    assert!(d.events.is_empty(), "stale events dropped");
    assert_eq!(d.events_state, EventsState::Loading);
}

#[test]
fn replies_of_an_old_session_are_dropped() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let id = m.detail.as_ref().expect("detail").id;
    let msg = Msg::Cluster(
        session_at(&m, m.cluster().generation.0 + 7),
        ClusterMsg::Detail {
            detail: id,
            msg: Box::new(DetailMsg::EventsFailed(
                pulltui::domain::api_error::ApiError::new(
                    pulltui::domain::api_error::ApiErrorKind::Other,
                    "boom",
                ),
            )),
        },
    );
    send(&mut m, [msg]);
    assert_eq!(
        m.detail.as_ref().expect("detail").events_state,
        EventsState::Loading
    );
}

#[test]
fn events_are_newest_first_and_update_in_place() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let msgs = listed(&m, web_events());
    send(&mut m, msgs);
    let d = m.detail.as_ref().expect("detail");
    assert_eq!(d.events_state, EventsState::Live);
    assert_eq!(d.events[0].reason, "BackOff");
    let mut newer = web_events()[1].clone();
    newer.count = 8;
    newer.last_seen = Some(ts("2024-05-01T10:09:59Z"));
    let msg = detail_msg(&m, DetailMsg::Events(WatchEvent::Apply(newer)));
    send(&mut m, [msg]);
    let d = m.detail.as_ref().expect("detail");
    assert_eq!(d.events.len(), 5);
    assert_eq!((d.events[0].name.as_str(), d.events[0].count), ("web.2", 8));
    let gone = web_events()[0].clone();
    let msg = detail_msg(&m, DetailMsg::Events(WatchEvent::Delete(gone)));
    send(&mut m, [msg]);
    assert_eq!(m.detail.as_ref().expect("detail").events.len(), 4);
}

#[test]
fn back_off_cause_comes_from_the_failed_event_and_is_highlighted() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let msgs = listed(&m, web_events());
    send(&mut m, msgs);
    let ev = m
        .detail
        .as_ref()
        .and_then(|d| d.evidence())
        .expect("evidence");
    assert_eq!(ev.class.category, Category::TlsUntrusted);
    assert!(matches!(ev.from, CauseFrom::Event { count: 7, .. }));
    let span = ev.class.cause_span.clone().expect("span");
    assert_eq!(
        &ev.message[span],
        "x509: certificate signed by unknown authority"
    );
}

#[test]
fn expired_cause_is_said_plainly_not_guessed() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let only_backoff: Vec<_> = web_events()
        .into_iter()
        .filter(|e| e.reason == "BackOff")
        .collect();
    let msgs = listed(&m, only_backoff);
    send(&mut m, msgs);
    let ev = m
        .detail
        .as_ref()
        .and_then(|d| d.evidence())
        .expect("evidence");
    assert_eq!(ev.from, CauseFrom::Expired);
    let text = doc(&m);
    assert!(text.contains("have expired"), "{text}");
    assert!(text.contains("pulltui probe"), "{text}");
    assert!(!text.contains("CAUSE"), "no category claimed: {text}");
}

#[test]
fn forbidden_secret_is_cannot_check_not_an_error() {
    let mut m = one(with_secrets(worker("n6m4x"), &["regcred"]), (120, 40));
    open(&mut m, "worker");
    let msgs = vec![
        detail_msg(&m, DetailMsg::ServiceAccount(Fetch::Forbidden)),
        secret(&m, "regcred", Fetch::Forbidden),
    ];
    send(&mut m, msgs);
    let d = m.detail.as_ref().expect("detail");
    let img = ImageRef::parse("private.example/pay/worker:2.0").expect("image");
    let lines = d.secret_lines(&img);
    assert_eq!(lines[0].state, Some(SecretState::Forbidden));
    let checks: Vec<SecretCheck> = lines
        .iter()
        .map(|l| SecretCheck {
            name: l.name.clone(),
            source: l.source.clone(),
            state: l.state.clone().expect("read"),
        })
        .collect();
    assert_eq!(coverage(&checks), Coverage::Unknown);
    let text = doc(&m);
    assert!(
        text.contains("regcred (pod)  ? cannot check (forbidden)"),
        "{text}"
    );
    assert!(
        text.contains("serviceaccount/default: cannot check (forbidden)"),
        "{text}"
    );
}

#[test]
fn no_secret_for_a_registry_that_demands_auth_says_so() {
    let mut m = one(with_secrets(worker("n6m4x"), &[]), (120, 40));
    open(&mut m, "worker");
    let msg = sa(&m, &[]);
    send(&mut m, [msg]);
    let text = doc(&m);
    assert!(
        text.contains("✕ No pull secret covers private.example — the registry demands credentials"),
        "{text}"
    );
}

#[test]
fn secret_for_another_host_does_not_cover() {
    let mut m = one(with_secrets(worker("n6m4x"), &["regcred"]), (120, 40));
    open(&mut m, "worker");
    let msgs = vec![
        sa(&m, &[]),
        secret(&m, "regcred", hosts(&["https://other.example/v1/"])),
    ];
    send(&mut m, msgs);
    let text = doc(&m);
    assert!(
        text.contains("No pull secret covers private.example"),
        "{text}"
    );
    assert!(
        text.contains(
            "✕ does not cover private.example  hosts: https://other.example/v1/ (user deploy)"
        ),
        "{text}"
    );
}

#[test]
fn tab_moves_between_failing_containers() {
    let p: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "multi", "namespace": "default", "uid": "u-multi"},
        "spec": {"initContainers": [{"name": "init", "image": "reg.example/i:1"}],
                 "containers": [{"name": "app", "image": "reg.example/a:1"}]},
        "status": {"initContainerStatuses": [{"name": "init", "image": "reg.example/i:1", "imageID": "",
            "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ErrImagePull", "message": "reg.example/i:1: not found"}}}],
          "containerStatuses": [{"name": "app", "image": "reg.example/a:1", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "InvalidImageName", "message": "invalid reference format"}}}]}
    }))
    .expect("pod");
    let mut m = one(p, (120, 40));
    open(&mut m, "multi");
    assert_eq!(m.detail.as_ref().expect("detail").container, "init");
    send(&mut m, [code(KeyCode::Tab)]);
    assert_eq!(m.detail.as_ref().expect("detail").container, "app");
    send(&mut m, [code(KeyCode::BackTab)]);
    assert_eq!(m.detail.as_ref().expect("detail").container, "init");
    assert!(doc(&m).contains("▸ init (init) ErrImagePull image.not-found"));
}

#[test]
fn scrolling_is_clamped_to_the_document() {
    let mut m = one(with_secrets(web(), &[]), (80, 12));
    open(&mut m, "web");
    let msgs = listed(&m, web_events());
    send(&mut m, msgs);
    let total = m.detail.as_ref().expect("detail").document(m.now, 80).len();
    let max = total - m.detail_viewport();
    send(&mut m, [code(KeyCode::End)]);
    assert_eq!(m.detail.as_ref().expect("detail").scroll, max);
    send(&mut m, [code(KeyCode::Down), code(KeyCode::Down)]);
    assert_eq!(m.detail.as_ref().expect("detail").scroll, max);
    send(&mut m, [code(KeyCode::Up)]);
    assert_eq!(m.detail.as_ref().expect("detail").scroll, max - 1);
    send(&mut m, [code(KeyCode::Home)]);
    assert_eq!(m.detail.as_ref().expect("detail").scroll, 0);
}

#[test]
fn resync_on_the_detail_reads_it_again_once_connected() {
    let mut m = one(with_secrets(web(), &["regcred"]), (120, 40));
    open(&mut m, "web");
    let fx = send(&mut m, [key('r')]);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Watch(WatchEffect::Connect {
            slot: 0,
            session: SessionKey {
                generation: Generation(2),
                ..
            },
            ..
        })]
    ));
    let up = connected(&m);
    let fx = send(&mut m, [up]);
    assert!(matches!(
        fx.first(),
        Some(Effect::Watch(WatchEffect::PodEvents {
            session: SessionKey {
                generation: Generation(2),
                ..
            },
            detail: DetailId(2),
            ..
        }))
    ));
    assert_eq!(
        fx.len(),
        5,
        "events, ServiceAccount, attachable, node, regcred: {fx:?}"
    );
}

#[test]
fn a_recovered_pod_says_so() {
    let mut m = one(with_secrets(web(), &[]), (120, 40));
    open(&mut m, "web");
    let msg = pods(
        &m,
        WatchEvent::Apply(healthy("shop", "web-7d9c8b6f5-qr5fv")),
    );
    send(&mut m, [msg]);
    assert_eq!(
        m.detail.as_ref().expect("detail").presence,
        Presence::Recovered
    );
    assert!(doc(&m).contains("no longer fails"));
}

#[test]
fn help_on_the_detail_lists_its_keys() {
    let mut m = one(with_secrets(web(), &[]), (100, 30));
    open(&mut m, "web");
    send(&mut m, [key('?')]);
    assert_eq!(m.overlay, Some(pulltui::app::Overlay::Help));
    send(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(m.overlay, None);
    assert_eq!(m.screen(), Screen::Detail, "Esc closes help first");
}

#[test]
fn a_missing_pull_secret_is_the_cause_of_a_credentials_failure() {
    let mut m = one(with_secrets(worker("n6m4x"), &["regcred"]), (120, 40));
    open(&mut m, "worker");
    let mut missing = ev(
        "w.2",
        "Warning",
        "FailedToRetrieveImagePullSecret",
        3,
        "2024-05-01T10:07:00Z",
        "2024-05-01T10:09:00Z",
        "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
    );
    missing.container = None;
    let mut msgs = listed(&m, vec![missing]);
    msgs.push(sa(&m, &[]));
    msgs.push(secret(&m, "regcred", Fetch::Missing));
    send(&mut m, msgs);
    let d = m.detail.as_ref().expect("detail open");
    let evidence = d.evidence().expect("evidence");
    assert_eq!(evidence.class.category, Category::CredentialsSecretMissing);
    let text = doc(&m);
    assert!(text.contains("credentials.secret-missing"), "{text}");
    assert!(text.contains("regcred (pod)  ✕ does not exist"), "{text}");
}
