//! The home screen rendered into a `TestBackend` at fixed sizes and a fixed
//! clock, snapshotted with insta (tests/snapshots/).

mod home_fixtures;
mod support;

use crossterm::event::KeyCode;
use home_fixtures::*;
use pulltui::app::{ClusterMsg, Model};
use pulltui::ui::Theme;
use ratatui::style::Color;
use support::screen::{draw, screen};

#[test]
fn empty_cluster_says_nothing_is_failing() {
    let m = model_with(vec![], (100, 12));
    insta::assert_snapshot!("empty", screen(&m));
}

#[test]
fn a_few_rows() {
    let m = incident((140, 16));
    insta::assert_snapshot!("few_rows", screen(&m));
}

#[test]
fn grouped_by_category() {
    let mut m = incident((140, 18));
    send(&mut m, [key('g'), key('g')]);
    insta::assert_snapshot!("grouped_category", screen(&m));
}

#[test]
fn filtered_while_typing() {
    let mut m = incident((120, 14));
    send(&mut m, "/pay".chars().map(key));
    insta::assert_snapshot!("filtered", screen(&m));
}

/// Upstream events are named in the summary bar, on the groups whose rows
/// match them (all of a group's rows, or how many).
#[test]
fn upstream_events_in_the_summary_bar() {
    let m = upstream_incident((170, 14));
    let s = screen(&m);
    // The summary bar: the two lines under the status bar.
    let bar: String = s.lines().skip(1).take(2).collect();
    assert!(
        bar.contains("image.not-found ×3 docker.io ⚑ Bitnami moved to bitnamilegacy (2 of 3)"),
        "{s}"
    );
    assert!(
        bar.contains("auth.denied ×1 gcr.io ⚑ gcr.io shut down"),
        "{s}"
    );
    assert!(
        bar.contains("registry.rate-limit ×1 docker.io ⚑ Docker Hub pull limits"),
        "{s}"
    );
    insta::assert_snapshot!("upstream_summary", s);
}

/// The same failures from before the events: nothing is named.
#[test]
fn failures_older_than_an_event_are_not_named() {
    let mut m = upstream_incident((170, 14));
    let rows: Vec<_> = m
        .home
        .rows
        .iter()
        .map(|r| {
            let mut r = (**r).clone();
            r.since = Some(ts("2024-05-01T10:00:00Z"));
            std::sync::Arc::new(r)
        })
        .collect();
    m.home.set_rows(rows);
    assert!(m.home.summary.iter().all(|e| e.upstream.is_none()));
    assert!(!screen(&m).contains('⚑'));
}

#[test]
fn help_overlay_lists_every_key() {
    let mut m = incident((100, 36));
    send(&mut m, [key('?')]);
    let s = screen(&m);
    let home = pulltui::app::Screen::Home;
    for intent in pulltui::app::keymap::Intent::on_screen(home) {
        assert!(
            s.contains(intent.describe_on(home)),
            "help lacks {intent:?}:\n{s}"
        );
    }
    insta::assert_snapshot!("help", s);
}

#[test]
fn smallest_terminal_80x24() {
    let mut m = incident((80, 24));
    send(&mut m, [code(KeyCode::Down), code(KeyCode::Down)]);
    insta::assert_snapshot!("incident_80x24", screen(&m));
}

#[test]
fn unreachable_cluster_is_a_readable_screen() {
    let mut m = model_with(vec![], (80, 12));
    let msg = cluster(
        &m,
        ClusterMsg::ConnectFailed(pulltui::domain::api_error::ApiError::new(
            pulltui::domain::api_error::ApiErrorKind::Connect,
            "cannot reach https://10.0.0.1:6443: connection refused",
        )),
    );
    send(&mut m, [msg]);
    insta::assert_snapshot!("connect_failed", screen(&m));
}

#[test]
fn namespace_picker() {
    let mut m = incident((80, 24));
    send(&mut m, [key('n')]);
    let msg = cluster(
        &m,
        ClusterMsg::Namespaces(Ok(vec![
            "default".into(),
            "ops".into(),
            "pay".into(),
            "shop".into(),
        ])),
    );
    send(&mut m, [msg]);
    insta::assert_snapshot!("namespace_picker", screen(&m));
}

#[test]
fn no_color_uses_no_colours_but_keeps_the_selection_visible() {
    let m = incident((140, 16));
    let plain = draw(&m, Theme::plain());
    let buf = plain.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR: no colours"
    );
    // The selected (first) row is in reverse video.
    let row_y = 4; // status, summary, header, first row
    assert!(
        buf.cell((2, row_y))
            .is_some_and(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
    );
    let coloured = draw(&m, Theme::coloured());
    assert!(
        coloured
            .backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset),
        "colours when allowed"
    );
    assert!(
        coloured
            .backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.bg == Color::Reset),
        "never a fixed background colour"
    );
}

/// The API server goes silent: the table stays, dimmed and marked stale with
/// the age of the last event; the status bar says reconnecting; the fresh
/// list after the server is back replaces it and the screen is live again.
#[test]
fn a_silent_server_leaves_the_table_marked_stale_until_the_fresh_list() {
    use pulltui::app::ConnState;
    use pulltui::domain::api_error::{ApiError, ApiErrorKind};
    use pulltui::domain::facts::WatchEvent;
    let mut m = incident((140, 16));
    assert!(!m.is_stale());
    let live = screen(&m);
    assert!(live.contains("live"), "{live}");
    let later = now() + jiff::SignedDuration::from_secs(42);
    let silent = cluster(
        &m,
        ClusterMsg::ServerSilent {
            error: ApiError::new(
                ApiErrorKind::Timeout,
                "no answer from https://prod-eu.example:6443 within 4 s",
            ),
            for_secs: 12,
        },
    );
    send(&mut m, [silent, pulltui::app::Msg::Tick(later)]);
    assert!(m.is_stale());
    insta::assert_snapshot!("stale_while_reconnecting", screen(&m));
    let s = screen(&m);
    assert!(s.contains("reconnecting (last event 42s ago)"), "{s}");
    assert!(s.contains("STALE · as of 42s ago"), "{s}");
    assert!(
        s.contains("web-7d9f8b-x2x9q") || s.contains("web-"),
        "rows kept: {s}"
    );
    // Stale rows are dimmed in colour.
    let t = draw(&m, Theme::coloured());
    let dimmed = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.modifier.contains(ratatui::style::Modifier::DIM))
        .count();
    assert!(dimmed > 100, "stale rows are dim ({dimmed} cells)");

    // Back: the watchers start over; the old rows stay until the list is in.
    let resync = cluster(&m, ClusterMsg::Resync);
    let init = pods(&m, WatchEvent::Init);
    send(&mut m, [resync, init]);
    assert_eq!(m.cluster().conn, ConnState::Syncing);
    assert!(m.is_stale());
    let s = screen(&m);
    assert!(s.contains("resyncing (last event"), "{s}");
    assert!(s.contains("STALE"), "{s}");
    let rows_before = m.home.rows.len();
    assert!(rows_before >= 5);
    // The fresh list: one failing pod is gone, the rest healthy.
    let fresh = [
        pods(&m, WatchEvent::InitApply(failing(web()))),
        pods(&m, WatchEvent::InitApply(healthy("shop", "cart-0"))),
        pods(&m, WatchEvent::InitDone),
    ];
    send(&mut m, fresh);
    assert_eq!(m.cluster().conn, ConnState::Live);
    assert!(!m.is_stale());
    let s = screen(&m);
    assert!(!s.contains("STALE"), "{s}");
    assert!(s.contains("● live"), "{s}");
    assert_eq!(m.failing_pods(), 1, "the fresh list replaced the table");
}

fn notice_text(m: &Model) -> String {
    m.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// Credentials the server refuses even after they were read again: one
/// sentence over the table, which stays (stale, not live); when renewed
/// credentials are accepted the sentence goes and any other notice stays.
#[test]
fn refused_credentials_are_one_sentence_that_goes_when_they_are_renewed() {
    use pulltui::app::{ConnState, Notice};
    use pulltui::domain::api_error::{ApiError, ApiErrorKind};
    let mut m = incident((160, 16));
    m.notice = Some(Notice {
        text: "not allowed to read events (forbidden): causes come from the pods' status only"
            .to_string(),
        warning: true,
    });
    let refused = |m: &Model| {
        cluster(
            m,
            ClusterMsg::CredentialsRefused(ApiError::new(
                ApiErrorKind::Status(401),
                "the kubeconfig's credentials, read again, are refused too; log in again",
            )),
        )
    };
    // Said twice (every 30 s): still one sentence.
    let (a, b) = (refused(&m), refused(&m));
    send(&mut m, [a, b]);
    let text = notice_text(&m);
    assert_eq!(
        text.matches("refuses the credentials (401)").count(),
        1,
        "{text}"
    );
    assert!(text.contains("log in again"), "{text}");
    assert!(text.contains("not allowed to read events"), "{text}");
    assert!(matches!(m.cluster().conn, ConnState::Reconnecting(_)));
    let s = screen(&m);
    assert!(s.contains("refuses the credentials (401)"), "{s}");
    assert!(!s.contains("● live"), "{s}");
    assert!(s.contains("web-"), "rows kept: {s}");

    let renewed = cluster(&m, ClusterMsg::CredentialsRenewed);
    let resync = cluster(&m, ClusterMsg::Resync);
    send(&mut m, [renewed, resync]);
    let text = notice_text(&m);
    assert!(!text.contains("refuses the credentials"), "{text}");
    assert!(text.starts_with("not allowed to read events"), "{text}");
    assert_eq!(m.cluster().conn, ConnState::Syncing);
}
