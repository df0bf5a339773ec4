//! The fix keys against a recording (the bundled demo), driven through the
//! real `update` and the replay backend's answers: the forms open
//! prefilled, the preview is computed offline and says so, `y` sends
//! nothing, `--read-only` disables the keys, and group fixes list every
//! workload of the registry × cause group.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulltui::app::action::{Kind, Stage};
use pulltui::app::{Effect, Model, MutateEffect, update};
use pulltui::app::{Msg, msg::ActionMsg};
use pulltui::snapshot::Recorded;
use support::demo::{answer, demo, key};

/// Selects the first row whose category id starts with `prefix`.
fn select(m: &mut Model, r: &Recorded, prefix: &str) {
    for _ in 0..200 {
        if m.home
            .selected_row()
            .is_some_and(|row| row.category.id().starts_with(prefix))
        {
            return;
        }
        key(m, r, KeyCode::Down);
    }
    panic!("no {prefix} row in the demo");
}

#[test]
fn in_the_demo_a_fix_is_previewed_offline_and_y_sends_nothing() {
    let (mut m, r) = demo();
    select(&mut m, &r, "tls.");
    key(&mut m, &r, KeyCode::Char('a'));
    let a = m.actions.current.as_ref().expect("the annotate form");
    assert_eq!(a.kind, Kind::Annotate);
    let Stage::Form(f) = &a.stage else {
        panic!("a form: {:?}", a.stage)
    };
    assert_eq!(
        f.field("key").map(|f| f.value()).as_deref(),
        Some("eks.tke.cloud.tencent.com/registry-insecure-skip-verify")
    );
    let registry = m.home.selected_row().and_then(|r| r.registry.clone());
    assert_eq!(f.field("value").map(|f| f.value()), registry);
    key(&mut m, &r, KeyCode::Enter);
    let a = m.actions.current.as_ref().expect("the preview");
    let Stage::Confirm { preview, live, .. } = &a.stage else {
        panic!("a preview: {:?}", a.stage)
    };
    assert!(!live, "a recording's preview is not live");
    assert!(
        preview.notes.iter().any(|n| n.contains("REPLAY")),
        "{preview:?}"
    );
    assert!(
        preview.kubectl.iter().any(|k| k.contains("patch")),
        "{preview:?}"
    );
    let sent = key(&mut m, &r, KeyCode::Char('y'));
    assert!(
        !sent
            .iter()
            .any(|e| matches!(e, Effect::Mutate(MutateEffect::Apply { .. }))),
        "nothing is applied in a replay: {sent:?}"
    );
    assert!(m.actions.current.is_none());
    assert!(
        m.actions
            .toasts
            .iter()
            .any(|t| t.text.contains("nothing is sent")),
        "{:?}",
        m.actions.toasts
    );
}

#[test]
fn read_only_disables_every_fix_key_and_says_why() {
    let (mut m, r) = demo();
    m.actions.read_only = true;
    for k in ['a', 'c', 'i', 'k', 'A', 'C'] {
        let sent = key(&mut m, &r, KeyCode::Char(k));
        assert!(sent.is_empty(), "{k}: {sent:?}");
        assert!(m.actions.current.is_none(), "{k} opened a form");
    }
    assert!(
        m.actions
            .toasts
            .iter()
            .any(|t| t.text.contains("--read-only")),
        "{:?}",
        m.actions.toasts
    );
}

#[test]
fn a_group_fix_previews_one_change_per_workload_of_the_group() {
    let (mut m, r) = demo();
    // The demo's one group with two workloads.
    select(&mut m, &r, "network.timeout");
    key(&mut m, &r, KeyCode::Char('A'));
    let a = m.actions.current.as_ref().expect("the group form");
    assert_eq!(a.subject.pods.len(), 2, "{:?}", a.subject.pods);
    assert!(
        a.subject
            .group
            .as_deref()
            .is_some_and(|g| g.contains("network.timeout")),
        "{:?}",
        a.subject.group
    );
    key(&mut m, &r, KeyCode::Enter);
    let a = m.actions.current.as_ref().expect("the preview");
    let Stage::Confirm { preview, .. } = &a.stage else {
        panic!("a preview: {:?}", a.stage)
    };
    assert!(preview.title.starts_with("2 changes"), "{preview:?}");
    assert_eq!(
        preview
            .kubectl
            .iter()
            .filter(|k| k.contains(" patch "))
            .count(),
        2,
        "{preview:?}"
    );
}

#[test]
fn the_credential_form_never_shows_or_debugs_the_password() {
    let (mut m, r) = demo();
    select(&mut m, &r, "auth.no-credentials");
    key(&mut m, &r, KeyCode::Char('c'));
    for c in "ops".chars() {
        key(&mut m, &r, KeyCode::Char(c));
    }
    key(&mut m, &r, KeyCode::Tab);
    for c in "pw-123-secret".chars() {
        key(&mut m, &r, KeyCode::Char(c));
    }
    let theme = pulltui::ui::Theme::new(true);
    let backend = ratatui::backend::TestBackend::new(160, 45);
    let mut term = ratatui::Terminal::new(backend).expect("terminal");
    term.draw(|f| pulltui::ui::render(&m, &theme, f))
        .expect("draw");
    let cells: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        !cells.contains("pw-123-secret"),
        "the password is on screen"
    );
    assert!(cells.contains("•••••"), "the password is masked");
    key(&mut m, &r, KeyCode::Enter);
    assert!(
        matches!(
            m.actions.current.as_ref().map(|a| &a.stage),
            Some(Stage::Confirm { .. })
        ),
        "{:?}",
        m.actions.current
    );
    let dump = format!("{m:?}");
    assert!(
        !dump.contains("pw-123-secret"),
        "the password is in Debug output"
    );
    term.draw(|f| pulltui::ui::render(&m, &theme, f))
        .expect("draw");
    let cells: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(!cells.contains("pw-123-secret"));
    assert!(
        cells.contains("$PASSWORD"),
        "the kubectl line names \"$PASSWORD\""
    );
}

/// The password field as the form holds it.
fn password(m: &Model) -> &pulltui::app::action::Field {
    let a = m.actions.current.as_ref().expect("the credential form");
    let Stage::Form(f) = &a.stage else {
        panic!("a form: {:?}", a.stage)
    };
    f.field("password").expect("a password field")
}

#[test]
fn the_password_field_keeps_no_undo_history_no_cut_text_and_no_reallocated_copy() {
    let (mut m, r) = demo();
    select(&mut m, &r, "auth.no-credentials");
    key(&mut m, &r, KeyCode::Char('c'));
    for c in "ops".chars() {
        key(&mut m, &r, KeyCode::Char(c));
    }
    key(&mut m, &r, KeyCode::Tab);
    let buffer = password(&m).input.lines()[0].as_ptr();
    let typed = "pw-0123456789-abcdefghij-0123456789-long";
    for c in typed.chars() {
        key(&mut m, &r, KeyCode::Char(c));
    }
    assert_eq!(password(&m).value(), typed);
    assert_eq!(
        password(&m).input.lines()[0].as_ptr(),
        buffer,
        "typing moved the text to a new buffer, leaving a copy in the old one"
    );
    // Text-area chords that would keep the text elsewhere: a cut (Ctrl-K
    // from the start keeps the line in the yank buffer), undo and redo.
    key(&mut m, &r, KeyCode::Home);
    for c in ['k', 'u', 'r', 'w', 'y'] {
        let fx = update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
        );
        answer(&mut m, &r, fx);
    }
    let f = password(&m);
    assert_eq!(f.value(), typed, "chords do not edit a password");
    assert_eq!(f.input.yank_text(), "", "the cut buffer holds the password");
    let mut copy = f.input.clone();
    assert!(!copy.undo(), "the undo history holds the password");
}

fn paste(m: &mut Model, r: &Recorded, text: &str) -> Vec<Effect> {
    let fx = update(m, Msg::Paste(pulltui::domain::redact::Redacted::new(text)));
    answer(m, r, fx)
}

#[test]
fn a_paste_never_acts_as_keys() {
    let (mut m, r) = demo();
    select(&mut m, &r, "network.timeout");
    let sent = paste(&mut m, &r, "ky");
    assert!(sent.is_empty(), "{sent:?}");
    assert!(m.actions.current.is_none(), "a pasted k opened the kick");
    assert!(
        m.actions
            .toasts
            .iter()
            .any(|t| t.text == pulltui::app::paste::IGNORED),
        "{:?}",
        m.actions.toasts
    );
    // With the kick's preview waiting for y, a pasted y does not confirm it;
    // a typed one does (in a replay: previewed only).
    key(&mut m, &r, KeyCode::Char('k'));
    let confirm = |m: &Model| {
        matches!(
            m.actions.current.as_ref().map(|a| &a.stage),
            Some(Stage::Confirm { .. })
        )
    };
    assert!(confirm(&m), "{:?}", m.actions.current);
    let sent = paste(&mut m, &r, "y\ny");
    assert!(sent.is_empty(), "{sent:?}");
    assert!(confirm(&m), "a pasted y answered the preview");
    key(&mut m, &r, KeyCode::Char('y'));
    assert!(m.actions.current.is_none(), "the typed y did");
}

#[test]
fn a_paste_fills_the_focused_text_input_as_one_clean_line() {
    let (mut m, r) = demo();
    select(&mut m, &r, "auth.no-credentials");
    key(&mut m, &r, KeyCode::Char('c'));
    paste(&mut m, &r, "ops-team\r\n");
    let value = |m: &Model, label: &str| {
        let a = m.actions.current.as_ref().expect("the form");
        let Stage::Form(f) = &a.stage else {
            panic!("a form: {:?}", a.stage)
        };
        f.field(label).map(|f| f.value()).unwrap_or_default()
    };
    assert_eq!(value(&m, "username"), "ops-team");
    key(&mut m, &r, KeyCode::Tab);
    paste(&mut m, &r, "pw\u{1b}[31m-pasted\n");
    assert_eq!(value(&m, "password"), "pw[31m-pasted", "controls dropped");
    assert!(
        !format!("{m:?}").contains("-pasted"),
        "the password in Debug"
    );
    key(&mut m, &r, KeyCode::Esc);
    // The home filter while it is being typed.
    key(&mut m, &r, KeyCode::Char('/'));
    paste(&mut m, &r, "ledger\n");
    assert_eq!(m.home.filter, "ledger");
    assert!(m.actions.toasts.is_empty(), "{:?}", m.actions.toasts);
}

#[test]
fn late_answers_for_a_closed_action_are_dropped() {
    let (mut m, r) = demo();
    key(&mut m, &r, KeyCode::Char('i'));
    let id = m.actions.current.as_ref().expect("form").id;
    key(&mut m, &r, KeyCode::Esc);
    assert!(m.actions.current.is_none());
    let g = m.cluster().session();
    update(
        &mut m,
        Msg::Cluster(
            g,
            pulltui::app::ClusterMsg::Action {
                action: id,
                msg: Box::new(ActionMsg::Prepared {
                    preview: Box::new(pulltui::domain::mutation::Preview {
                        title: "late".into(),
                        objects: vec![],
                        diff: vec![],
                        kubectl: vec![],
                        notes: vec![],
                    }),
                    live: true,
                }),
            },
        ),
    );
    assert!(
        m.actions.current.is_none(),
        "a late preview reopened nothing"
    );
}

#[test]
fn in_the_demo_p_and_shift_p_show_the_probes_recorded_with_it_at_once() {
    use pulltui::app::probe::NodeStage;
    let (mut m, r) = demo();
    for _ in 0..200 {
        if m.home
            .selected_row()
            .is_some_and(|row| row.pod.starts_with("web-"))
        {
            break;
        }
        key(&mut m, &r, KeyCode::Down);
    }
    key(&mut m, &r, KeyCode::Char('p'));
    let pane = m.probe.as_ref().expect("pane");
    let done = pane
        .view
        .laptop_done
        .as_ref()
        .expect("this machine's recorded probe");
    assert!(done.verdict().is_ok(), "{:?}", done.verdict());
    assert!(!pane.view.laptop_running());
    assert!(
        pane.view
            .laptop_notes
            .iter()
            .any(|n| n.contains("recorded where the snapshot was taken")),
        "{:?}",
        pane.view.laptop_notes
    );
    // The cluster dialled the public address; this machine resolves a private one.
    assert!(
        pane.view
            .findings()
            .iter()
            .any(|f| f.contains("43.137.1.5")),
        "{:?}",
        pane.view.findings()
    );
    let sent = key(&mut m, &r, KeyCode::Char('P'));
    assert!(
        !sent.iter().any(|e| matches!(
            e,
            Effect::Probe(pulltui::app::ProbeEffect::NodeStart { .. })
        )),
        "{sent:?}"
    );
    let pane = m.probe.as_ref().expect("pane");
    assert_eq!(pane.node_stage, NodeStage::Recorded);
    assert!(pane.view.node_done.is_some());
    assert!(
        pane.view
            .findings()
            .iter()
            .any(|f| f.starts_with("private-link")),
        "{:?}",
        pane.view.findings()
    );
}

#[test]
fn the_probe_pane_opens_with_p_refuses_p_in_read_only_and_esc_cancels() {
    use pulltui::app::{ProbeEffect, Screen};
    let (mut m, r) = demo();
    m.actions.read_only = true;
    let sent = key(&mut m, &r, KeyCode::Char('p'));
    assert!(
        sent.iter()
            .any(|e| matches!(e, Effect::Probe(ProbeEffect::Laptop { .. }))),
        "{sent:?}"
    );
    assert_eq!(m.screen(), Screen::Probe);
    let pane = m.probe.as_ref().expect("pane");
    // A recording cannot probe: without a recorded probe of this pod it
    // says so at once, instead of running forever.
    assert!(
        pane.view
            .laptop_notes
            .iter()
            .any(|n| n.contains("no probe of this pod was recorded")),
        "{:?}",
        pane.view
    );
    assert!(!pane.view.laptop_running(), "{:?}", pane.view);
    let sent = key(&mut m, &r, KeyCode::Char('P'));
    assert!(
        sent.is_empty(),
        "read-only: no node probe request: {sent:?}"
    );
    assert!(matches!(
        &m.probe.as_ref().expect("pane").node_stage,
        pulltui::app::probe::NodeStage::Refused(w) if w.contains("read-only")
    ));
    let id = m.probe.as_ref().expect("pane").id;
    let sent = key(&mut m, &r, KeyCode::Esc);
    assert!(
        sent.contains(&Effect::Probe(ProbeEffect::Cancel { probe: id })),
        "{sent:?}"
    );
    assert_eq!(m.screen(), Screen::Home);
    assert!(m.probe.is_none());
}

/// The demo started as `pulltui --demo --pod NAME` would start it.
fn demo_opening(pod: &str) -> Model {
    use pulltui::app::Scope;
    use pulltui::app::keymap::Keymap;
    let recorded = Recorded::new(pulltui::snapshot::parse(pulltui::snapshot::DEMO).expect("demo"));
    let mut m = pulltui::cli::replay_model(&recorded, "demo".into(), Scope::All, Keymap::default());
    m.size = (160, 45);
    m.open_pod = Some(pod.into());
    let fx = m.start();
    answer(&mut m, &recorded, fx);
    m
}

/// `--pod NAME` (the k9s plugin's pod shortcut) opens that pod's detail.
#[test]
fn pod_flag_opens_the_failing_pods_detail_at_start() {
    let m = demo_opening("cart-mrfwl7tzv-78xfs");
    assert_eq!(m.screen(), pulltui::app::Screen::Detail);
    let d = m.detail.as_ref().expect("the detail");
    assert_eq!(d.key.name, "cart-mrfwl7tzv-78xfs");
    assert_eq!(d.key.namespace, "shop");
    assert_eq!(m.open_pod, None);
    assert!(m.notice.is_none(), "{:?}", m.notice);
}

/// A healthy pod, or none of that name: the status line says which, and
/// the table stays; nothing crashes.
#[test]
fn pod_flag_on_a_healthy_or_unknown_pod_says_so_and_stays_on_the_table() {
    let m = demo_opening("etl-pxkqxxh68-87xqn");
    assert_eq!(m.screen(), pulltui::app::Screen::Home);
    let n = m.notice.as_ref().expect("a notice");
    assert!(n.text.contains("etl-pxkqxxh68-87xqn"), "{}", n.text);
    assert!(n.text.contains("not failing"), "{}", n.text);
    let m = demo_opening("no-such-pod");
    assert_eq!(m.screen(), pulltui::app::Screen::Home);
    let n = m.notice.as_ref().expect("a notice");
    assert!(n.text.contains("no pod of that name"), "{}", n.text);
    assert!(m.home.selected_row().is_some(), "the table is there");
}
