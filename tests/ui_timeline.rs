//! The timeline screen and the group bar's sparklines rendered into a
//! `TestBackend` at a fixed size and clock (NO_COLOR), snapshotted with
//! insta (tests/snapshots/).

mod home_fixtures;
mod support;
mod timeline_fixtures;

use crossterm::event::KeyCode;
use home_fixtures::*;
use support::screen::screen;
use timeline_fixtures::*;

#[test]
fn timeline_of_one_cluster() {
    let mut m = incident_with_journal((120, 30));
    send(&mut m, [key('t')]);
    let s = screen(&m);
    assert!(s.contains("last 1 h · 09:10–10:10 UTC · 4 lanes"), "{s}");
    assert!(s.contains("▸ network.timeout 43.1.2.3:5000"), "{s}");
    // The selected marker's story: old-0's first failure.
    assert!(s.contains("shop/old-0 (app)  (Deployment/old)"), "{s}");
    assert!(s.contains("first evidence of old-0"), "{s}");
    // Markers: failures, a change of cause, a recovery, the fix.
    for glyph in ['●', '◆', '○', '✚'] {
        assert!(s.contains(glyph), "no {glyph}:\n{s}");
    }
    insta::assert_snapshot!("timeline", s);
}

#[test]
fn timeline_on_the_fix_marker_zoomed_in() {
    let mut m = incident_with_journal((120, 30));
    send(&mut m, [key('t'), code(KeyCode::Down), code(KeyCode::Down)]);
    send(&mut m, [key('+'), code(KeyCode::Right)]);
    let s = screen(&m);
    assert!(s.contains("last 15 min · 09:55–10:10 UTC"), "{s}");
    assert!(
        s.contains("create-pull-secret on Deployment pay/worker"),
        "{s}"
    );
    assert!(s.contains(" result    ok"), "{s}");
    insta::assert_snapshot!("timeline_fix_15min", s);
}

#[test]
fn timeline_of_a_fleet() {
    let mut m = fleet_with_journal((120, 30));
    send(&mut m, [key('t')]);
    let s = screen(&m);
    assert!(s.contains("3 lanes"), "{s}");
    assert!(s.contains("private.example · fleet-a"), "{s}");
    assert!(s.contains("private.example · fleet-b"), "{s}");
    insta::assert_snapshot!("timeline_fleet", s);
}

#[test]
fn timeline_with_an_empty_journal() {
    let mut m = incident((120, 30));
    send(&mut m, [key('t')]);
    let s = screen(&m);
    assert!(
        s.contains(
            "No journal yet: pulltui records one while the console or `pulltui watch` runs."
        ),
        "{s}"
    );
}

#[test]
fn timeline_help_lists_its_keys() {
    let mut m = incident_with_journal((100, 40));
    send(&mut m, [key('t'), key('?')]);
    let s = screen(&m);
    let tl = pulltui::app::Screen::Timeline;
    assert!(s.contains("Timeline — keys"), "{s}");
    for intent in pulltui::app::keymap::Intent::on_screen(tl) {
        assert!(
            s.contains(intent.describe_on(tl)),
            "help lacks {intent:?}:\n{s}"
        );
    }
}

#[test]
fn evidence_never_breaks_the_layout() {
    let mut m = incident_with_journal((80, 24));
    let long = format!(
        "{} \u{1b}[31mred\u{1b}[0m {}",
        "x".repeat(400),
        "word ".repeat(80)
    );
    let now = m.now;
    let records = vec![pulltui::domain::journal::Record::Failing {
        at: now - mins(1),
        since: None,
        subject: pulltui::domain::journal::Subject {
            namespace: "zz".into(),
            pod: "p".repeat(200),
            container: String::new(),
        },
        workload: None,
        group: pulltui::domain::journal::Group {
            registry: "r".repeat(150),
            cause: "auth.denied".into(),
        },
        image: "i".repeat(300),
        evidence: long,
        node: None,
    }];
    let msg = cluster(
        &m,
        pulltui::app::ClusterMsg::Journal {
            records,
            fixes: Vec::new(),
        },
    );
    send(&mut m, [msg, key('t'), code(KeyCode::End)]);
    let s = screen(&m);
    assert!(!s.contains('\u{1b}'), "{s}");
    // Every line is the terminal's width: nothing spilled.
    for l in s.lines() {
        assert!(l.chars().count() <= 82, "{l}");
    }
    assert!(s.contains("evidence"), "{s}");
}

#[test]
fn group_bar_sparklines() {
    let m = incident_with_journal((160, 16));
    let s = screen(&m);
    let bar: String = s.lines().skip(1).take(2).collect();
    assert!(
        bar.contains("auth.no-credentials ×2 private.example ···▄████"),
        "{s}"
    );
    // The footer names the timeline's key once there is a journal.
    assert!(s.contains("t timeline"), "{s}");
    insta::assert_snapshot!("home_sparklines", s);
    // Without a journal: no sparkline, no timeline hint.
    let plain = screen(&incident((160, 16)));
    assert!(!plain.contains("t timeline"), "{plain}");
    assert!(!plain.contains('▁'), "{plain}");
}
