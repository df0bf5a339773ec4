//! Hostile input: escape sequences, C1 and bidi
//! controls and newlines in messages, names, labels and the snapshot's own
//! fields are shown inert on the real TUI render path (the runtime loop
//! over a `TestBackend`), in `pulltui explain` and `pulltui check`; 1 MB
//! messages neither hang nor blow up classification, rows or drawing.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use futures::channel::mpsc as fmpsc;
use k8s_openapi::api::core::v1::{Event, Pod};
use pulltui::app::keymap::Keymap;
use pulltui::app::msg::Backend;
use pulltui::app::{Model, Screen};
use pulltui::domain::classify::classify;
use pulltui::domain::facts::{EventFact, EventRow, PodFact};
use pulltui::domain::failing::{MAX_MESSAGE, NoOwners, failure_rows};
use pulltui::domain::inert::is_hostile;
use pulltui::domain::scope::Scope;
use pulltui::runtime::{FrozenClock, run_loop};
use pulltui::snapshot::{Recorded, Replay, Snapshot};
use pulltui::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::Pulltui;
use support::registry::{Fake, respond};
use support::screen::{cells, press};
use tokio::sync::mpsc;

/// Retitles the window, sets a colour, clears the screen (C1 CSI), hides
/// a hyperlink, reverses the text direction, and breaks the line.
const HOSTILE: &str = "\x1b]0;PWNED\x07\x1b[31mred\x1b[0m \u{9b}2J \
    \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u{202e}txt.exe\u{202c} \u{2066}x\u{2069}\nnext";

/// No cell holds a character a terminal would act on.
fn assert_inert_screen(t: &Terminal<TestBackend>) {
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let s = buf[(x, y)].symbol();
            assert!(
                !s.chars().any(|c| is_hostile(c) || c.is_control()),
                "cell ({x},{y}) holds {s:?}:\n{}",
                cells(t)
            );
        }
    }
}

/// The demo with one pod, its events and the file's context made hostile.
fn hostile_demo() -> Snapshot {
    let mut s = pulltui::snapshot::parse(pulltui::snapshot::DEMO).expect("the demo parses");
    s.context = Some(format!("demo{HOSTILE}"));
    let pod = s
        .pods
        .iter_mut()
        .find(|p| p.metadata.name.as_deref() == Some("ledger-0"))
        .expect("ledger-0 in the demo");
    pod.metadata
        .labels
        .get_or_insert_default()
        .insert("app".into(), format!("ledger{HOSTILE}"));
    for r in pod.metadata.owner_references.iter_mut().flatten() {
        r.name = "ledger\u{202e}gnp.exe".to_string();
    }
    let status = pod.status.as_mut().expect("status");
    for cs in status.container_statuses.iter_mut().flatten() {
        let w = cs
            .state
            .as_mut()
            .and_then(|s| s.waiting.as_mut())
            .expect("waiting");
        w.reason = Some("ErrImagePull".into());
        w.message = Some(format!(
            "Failed to pull image \"10.0.8.20:5000/fin/ledger:0.9.3\": {HOSTILE}: \
             http: server gave HTTP response to HTTPS client"
        ));
    }
    for e in s.events.iter_mut().filter(|e| {
        e.involved_object.name.as_deref() == Some("ledger-0")
            && e.reason.as_deref() == Some("Failed")
    }) {
        e.message = Some(format!(
            "{HOSTILE} {}",
            e.message.clone().unwrap_or_default()
        ));
        e.reason = Some(format!("Failed{HOSTILE}"));
    }
    // Through the file format, as a received file would come.
    let yaml = pulltui::snapshot::to_yaml(&s).expect("serialises");
    pulltui::snapshot::parse(&yaml).expect("the hostile file parses")
}

/// The real loop over the recorded backend: `keys`, then `q`.
async fn run_tui(
    snapshot: Snapshot,
    size: (u16, u16),
    keys: Vec<KeyCode>,
) -> (Model, Terminal<TestBackend>) {
    let recorded = Arc::new(Recorded::new(snapshot));
    let mut model =
        pulltui::cli::replay_model(&recorded, "evil.yaml".into(), Scope::All, Keymap::default());
    let (tx, rx) = mpsc::channel(pulltui::runtime::CHANNEL);
    let mut backend = Replay::new(recorded.clone(), tx);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
    let clock = FrozenClock(recorded.snapshot.captured_at);
    run_keys(&mut model, &mut backend, &mut terminal, rx, &clock, keys).await;
    (model, terminal)
}

async fn run_keys<B: Backend>(
    model: &mut Model,
    backend: &mut B,
    terminal: &mut Terminal<TestBackend>,
    rx: mpsc::Receiver<pulltui::app::Msg>,
    clock: &FrozenClock,
    keys: Vec<KeyCode>,
) {
    let (keys_tx, keys_rx) = fmpsc::unbounded();
    let driver = async move {
        tokio::time::sleep(Duration::from_millis(3000)).await;
        for k in keys {
            let _ = keys_tx.unbounded_send(press(k));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let _ = keys_tx.unbounded_send(press(KeyCode::Char('q')));
        tokio::time::sleep(Duration::from_secs(20)).await;
    };
    let theme = Theme::plain();
    let run = run_loop(model, backend, terminal, keys_rx, rx, clock, &theme, None);
    tokio::select! {
        r = run => r.expect("the loop ends cleanly"),
        _ = driver => panic!("the loop did not quit on q"),
    }
}

#[tokio::test]
async fn the_home_screen_shows_a_hostile_snapshot_inert() {
    let (_, t) = run_tui(hostile_demo(), (200, 50), vec![]).await;
    assert_inert_screen(&t);
    let screen = cells(&t);
    // Visible placeholders, not silently dropped bytes: the status bar
    // shows the file's hostile context.
    assert!(screen.contains("demo␛]0;PWNED␇"), "{screen}");
}

#[tokio::test]
async fn the_detail_screen_shows_hostile_messages_and_names_inert() {
    use KeyCode::*;
    let mut keys = vec![Char('/')];
    keys.extend("ledger-0".chars().map(Char));
    keys.extend([Enter, Enter]);
    let (model, t) = run_tui(hostile_demo(), (160, 60), keys).await;
    assert_eq!(model.screen(), Screen::Detail);
    assert_inert_screen(&t);
    let screen = cells(&t);
    assert!(screen.contains("␛]0;PWNED␇␛[31mred␛[0m"), "{screen}");
    assert!(screen.contains("\\u{202e}txt.exe"), "{screen}");
}

fn pod_with_message(message: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "big", "namespace": "ns", "uid": "uid-big",
            "creationTimestamp": "2024-05-01T10:00:00Z"},
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]},
        "status": {"phase": "Pending", "containerStatuses": [
            {"name": "app", "image": "registry.example.com/app:1", "imageID": "", "ready": false,
             "restartCount": 0, "state": {"waiting": {"reason": "ErrImagePull", "message": message}}}]}
    }))
    .expect("pod")
}

fn event_with_message(message: &str) -> Event {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "big.1", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "big", "namespace": "ns", "uid": "uid-big",
            "fieldPath": "spec.containers{app}"},
        "reason": "Failed", "type": "Warning", "count": 3, "message": message,
        "firstTimestamp": "2024-05-01T10:01:00Z", "lastTimestamp": "2024-05-01T10:05:00Z"
    }))
    .expect("event")
}

/// About 1 MB: the usual wrapping, a megabyte of registry body full of
/// escape sequences, and the innermost cause at the end.
fn megabyte_message() -> String {
    let body = "\x1b[31m<html>\u{202e}".repeat(80_000);
    format!(
        "Failed to pull image \"registry.example.com/app:1\": rpc error: code = Unknown desc = \
         failed to resolve reference: {body} dial tcp 10.1.2.3:443: i/o timeout"
    )
}

#[test]
fn a_megabyte_message_classifies_in_bounded_time() {
    let m = megabyte_message();
    assert!(m.len() > 1_000_000);
    let start = Instant::now();
    let c = classify(&m, Some("ErrImagePull"));
    let took = start.elapsed();
    assert_eq!(c.category.id(), "network.timeout");
    // Linear regexes: a few seconds in a debug build; a quadratic path on a
    // megabyte would take hours, so the generous bound does not flake.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn a_megabyte_message_in_a_pod_and_an_event_is_bounded_inert_and_classified() {
    let m = megabyte_message();
    let start = Instant::now();
    let PodFact::Failing(_, pod) = PodFact::from_pod(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        pod_with_message(&m),
    ) else {
        panic!("the pod fails");
    };
    let ev = EventFact::from_event(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        &event_with_message(&m),
        jiff::Timestamp::now(),
    )
    .expect("an event with a cause");
    let row = EventRow::from_event(&event_with_message(&m), jiff::Timestamp::now());
    for text in [&ev.message, &row.message] {
        assert!(text.len() <= MAX_MESSAGE + 16, "{}", text.len());
        assert!(!text.chars().any(is_hostile));
        // The innermost cause is at the end, and is kept.
        assert!(
            text.ends_with("dial tcp 10.1.2.3:443: i/o timeout"),
            "{text}"
        );
    }
    let cause = pulltui::domain::failing::CauseEvent {
        message: ev.message.clone(),
        first_seen: ev.first_seen,
        last_seen: ev.last_seen,
        count: ev.count,
    };
    let rows = failure_rows(
        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
        &pod,
        &NoOwners,
        &|_| Some(&cause),
        None,
        None,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].category.id(), "network.timeout");
    assert!(rows[0].message.len() <= MAX_MESSAGE + 16);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test]
async fn a_megabyte_message_renders_home_and_detail() {
    let mut s = pulltui::snapshot::parse(pulltui::snapshot::DEMO).expect("the demo parses");
    let m = megabyte_message();
    let pod = s
        .pods
        .iter_mut()
        .find(|p| p.metadata.name.as_deref() == Some("ledger-0"))
        .expect("ledger-0");
    for cs in pod
        .status
        .as_mut()
        .and_then(|s| s.container_statuses.as_mut())
        .into_iter()
        .flatten()
    {
        if let Some(w) = cs.state.as_mut().and_then(|s| s.waiting.as_mut()) {
            w.reason = Some("ErrImagePull".into());
            w.message = Some(m.clone());
        }
    }
    for e in s
        .events
        .iter_mut()
        .filter(|e| e.involved_object.name.as_deref() == Some("ledger-0"))
    {
        e.message = Some(m.clone());
    }
    use KeyCode::*;
    let mut keys = vec![Char('/')];
    keys.extend("ledger-0".chars().map(Char));
    keys.extend([Enter, Enter, PageDown, End]);
    let (model, t) = run_tui(s, (120, 40), keys).await;
    assert_eq!(model.screen(), Screen::Detail);
    assert_inert_screen(&t);
    let screen = cells(&t);
    // Scrolled to the end of the (bounded) message: its cause is there.
    assert!(screen.contains("i/o timeout"), "{screen}");
}

fn pulltui(args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    let run = Pulltui::new()
        .env("PULLTUI_LOG", "off")
        .args(args)
        .stdin(stdin)
        .run();
    (run.code, run.stdout, run.stderr)
}

#[test]
fn explain_answers_a_megabyte_line_and_its_neighbours() {
    let input = format!(
        "no basic auth credentials\n{}\npull QPS exceeded\n",
        megabyte_message()
    );
    let (code, out, err) = pulltui(&["explain"], input.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert_eq!(heads.len(), 3, "{heads:?}");
    assert!(heads[1].starts_with("network.timeout"), "{}", heads[1]);
    // Shown bounded: not a megabyte echoed back.
    assert!(out.len() < 64 * 1024, "{} bytes", out.len());
    assert!(!out.chars().any(|c| is_hostile(c) && c != '\n'), "{out:?}");
}

#[test]
fn explain_holds_a_line_over_its_bound_by_head_and_tail_and_says_so() {
    // Over `explain`'s 2 MiB line bound: answered from its first and last
    // MiB (the cause is at the end), the neighbours untouched.
    let long = format!(
        "Failed to pull image \"registry.example.com/app:1\": {} dial tcp 10.1.2.3:443: i/o timeout",
        "x".repeat(3 << 20)
    );
    let input = format!("no basic auth credentials\n{long}\npull QPS exceeded\n");
    let (code, out, err) = pulltui(&["explain", "--json"], input.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    let cats: Vec<String> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one object per line");
            v["category"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(
        cats,
        [
            "auth.no-credentials",
            "network.timeout",
            "node.pull-throttle"
        ]
    );
    assert!(
        err.contains(&format!("line 2 has {} bytes", long.len()))
            && err.contains("only its first and last"),
        "{err}"
    );
}

#[test]
fn explain_and_check_json_keep_the_text_and_write_no_raw_control() {
    let (code, out, err) = pulltui(&["explain", "--json"], HOSTILE.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    for line in out.lines() {
        assert!(!line.chars().any(is_hostile), "{line:?}");
        let _: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("evil.yaml");
    std::fs::write(
        &file,
        pulltui::snapshot::to_yaml(&hostile_demo()).expect("yaml"),
    )
    .expect("write");
    let f = file.to_str().expect("utf-8 path");
    let (code, out, err) = pulltui(&["check", "--replay", f, "--json"], b"");
    assert_eq!(code, Some(1), "{err}");
    assert!(!out.trim_end().chars().any(is_hostile), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let ledger = v["pods"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "ledger-0"))
        .expect("ledger-0 reported");
    // JSON carries values, not pictures: the row's message is what the
    // console showed (inert at the edge), escaped for JSON, nothing more.
    assert!(
        ledger["message"]
            .as_str()
            .is_some_and(|m| m.contains("␛]0;PWNED␇")),
        "{ledger}"
    );
    let (code, out, err) = pulltui(&["check", "--replay", f], b"");
    assert_eq!(code, Some(1), "{err}");
    assert!(!out.chars().any(|c| is_hostile(c) && c != '\n'), "{out:?}");
    assert!(out.contains("demo␛]0;PWNED␇"), "{out}");
    assert!(
        out.contains("\\u{2069}␊next"),
        "a one-line field shows its newline: {out}"
    );
}

/// Facts are classified on their inert text: that must not change a
/// verdict. Over every corpus message (real ones, many multi-line), the
/// category of the inert message is the category of the raw one.
#[test]
fn classifying_inert_messages_agrees_with_the_raw_text_over_the_corpus() {
    let mut n = 0;
    let mut differ = Vec::new();
    for file in [
        include_str!("fixtures/corpus_train.jsonl"),
        include_str!("fixtures/corpus_heldout.jsonl"),
        include_str!("fixtures/corpus_fresh.jsonl"),
    ] {
        for line in file.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("a corpus line is JSON");
            let Some(m) = v["message"].as_str() else {
                continue;
            };
            let reason = v["reason"].as_str();
            n += 1;
            let inert = pulltui::domain::inert::inert_message(m, usize::MAX);
            let (raw, safe) = (classify(m, reason), classify(&inert, reason));
            if raw.category != safe.category {
                differ.push(format!(
                    "{}: {:?} became {:?}",
                    v["id"], raw.category, safe.category
                ));
            }
        }
    }
    assert!(n > 300, "{n} messages");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What ratatui 0.30 does on its own with raw hostile text (`Buffer::
/// set_stringn` and `Paragraph` skip graphemes holding a `Cc` control and
/// zero-width ones, which bidi controls are): nothing reaches a cell, but
/// silently — the reader cannot tell the message was hostile, and the text
/// between ESC and its terminator shows as if it were the message. Pinned
/// so that a ratatui that stops filtering is noticed; pulltui does not rely
/// on it (the placeholders above come from `domain::inert`).
#[test]
fn ratatui_alone_drops_controls_and_bidi_silently() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::text::Line;
    use ratatui::widgets::{Paragraph, Widget};
    let area = Rect::new(0, 0, 120, 2);
    let mut buf = Buffer::empty(area);
    Paragraph::new(vec![Line::raw(HOSTILE.replace('\n', " "))]).render(area, &mut buf);
    buf.set_stringn(0, 1, HOSTILE, 120, ratatui::style::Style::new());
    let mut text = String::new();
    for y in 0..2 {
        for x in 0..120 {
            text.push_str(buf[(x, y)].symbol());
        }
    }
    assert!(!text.chars().any(is_hostile), "{text:?}");
    assert!(!text.contains('␛') && text.contains("]0;PWNED"), "{text:?}");
}

/// Invisible and format characters: a zero-width space
/// splitting a keyword, a BOM, a soft hyphen, tag characters spelling
/// hidden ASCII. `explain` shows each as a visible escape, never raw; its
/// JSON escapes them and keeps the text.
const INVISIBLE: &str = "x509: certificate signed by unknown\u{200b} authority \
    \u{feff}\u{ad}\u{2060}\u{180e}\u{2028}\u{e0041}\u{e0042}";

fn has_invisible(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(
            c,
            '\u{ad}' | '\u{180e}' | '\u{200b}'..='\u{200d}' | '\u{2028}' | '\u{2029}'
                | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{e0000}'..='\u{e007f}'
        )
    })
}

#[test]
fn explain_shows_invisible_characters_as_escapes() {
    let (code, out, err) = pulltui(&["explain"], format!("{INVISIBLE}\n").as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert!(!has_invisible(&out), "{out:?}");
    assert!(out.contains("unknown\\u{200b} authority"), "{out}");
    assert!(
        out.contains("\\u{feff}\\u{ad}\\u{2060}\\u{180e}\\u{2028}\\u{e0041}\\u{e0042}"),
        "{out}"
    );

    let (code, out, err) = pulltui(&["explain", "--json"], format!("{INVISIBLE}\n").as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert!(!has_invisible(&out), "{out:?}");
    assert!(
        out.contains("\\u200b") && out.contains("\\udb40\\udc41"),
        "{out}"
    );
    let _: serde_json::Value = serde_json::from_str(out.trim()).expect("valid JSON");
}

/// A fake plain-HTTP registry on loopback: `/v2/` open, every manifest
/// unknown, and a tag list holding `tags` (text the registry chose).
fn fake_registry_with_tags(tags: &[&str]) -> String {
    let body = serde_json::json!({ "name": "team/app", "tags": tags }).to_string();
    Fake::start(0, move |req| {
        if req.line.starts_with("GET /v2/ ") {
            respond("200 OK", &[], "{}")
        } else if req.line.contains("/tags/list") {
            respond("200 OK", &[("Content-Type", "application/json")], &body)
        } else {
            respond("404 Not Found", &[], "")
        }
    })
    .addr
}

/// `probe` prints what a registry sent (here, its tag list) inert, and its
/// JSON escapes C1, bidi and invisible characters as `check --json` does,
/// keeping the values.
#[test]
fn probe_shows_registry_text_inert_and_its_json_escapes_it() {
    let tags = [
        "1.0\u{9b}2J",
        "\u{202e}gnp.exe",
        "la\u{200b}test",
        "\x1b]0;PWNED\x07",
        "x\u{e0041}",
    ];
    let addr = fake_registry_with_tags(&tags);
    let image = format!("{addr}/team/app:9.9");
    let (code, out, err) = pulltui(&["probe", &image, "--timeout", "3"], b"");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(!out.chars().any(|c| is_hostile(c) && c != '\n'), "{out:?}");
    assert!(
        out.contains("1.0\\u{9b}2J") && out.contains("la\\u{200b}test"),
        "{out}"
    );

    let (code, out, err) = pulltui(&["probe", &image, "--timeout", "3", "--json"], b"");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(!out.trim_end().chars().any(is_hostile), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("valid JSON");
    let manifest = v["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == "manifest"))
        .expect("a manifest step");
    let detail = manifest["detail"].as_str().expect("detail");
    assert!(detail.starts_with("tag unknown"), "{detail}");
    for t in tags {
        assert!(detail.contains(t), "the value is kept: {detail:?}");
    }
}
