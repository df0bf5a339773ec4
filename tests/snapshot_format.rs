//! The snapshot file: the bundled demo is what its generator writes, round
//! trips, and a malformed, truncated, foreign or future file is refused with
//! a clear error (line and column for YAML), exit code 2, never a panic.

#[path = "../examples/make_demo/incident.rs"]
mod incident;
mod support;

use proptest::prelude::*;
use pulltui::snapshot::{LoadError, parse, to_yaml};
use support::Pulltui;
use support::cli::CHECK_FIELDS;

#[test]
fn the_bundled_demo_is_what_its_generator_writes() {
    let generated = to_yaml(&incident::incident()).expect("yaml");
    assert!(
        generated == pulltui::snapshot::DEMO,
        "assets/demo.yaml is stale: run `cargo run --example make-demo > assets/demo.yaml`"
    );
}

#[test]
fn the_demos_other_clusters_are_what_its_generator_writes() {
    let generated = pulltui::snapshot::fleet_to_yaml(&incident::fleet()).expect("yaml");
    assert!(
        generated == pulltui::snapshot::DEMO_FLEET,
        "assets/demo-fleet.yaml is stale: run `cargo run --example make-demo -- --fleet > assets/demo-fleet.yaml`"
    );
    let demo = pulltui::snapshot::demo().expect("the demo parses");
    let contexts: Vec<_> = demo.iter().filter_map(|s| s.context.as_deref()).collect();
    assert_eq!(
        contexts,
        [
            "tke-prod-ap-guangzhou",
            "tke-prod-ap-shanghai",
            "tke-prod-ap-singapore"
        ]
    );
    // The registry's private link is broken in two of the three.
    let timeouts = |s: &pulltui::snapshot::Snapshot| {
        s.events.iter().any(|e| {
            e.message
                .as_deref()
                .is_some_and(|m| m.contains("43.137.1.5:443: i/o timeout"))
        })
    };
    assert_eq!(demo.iter().filter(|s| timeouts(s)).count(), 2);
    assert!(demo[2].pods.is_empty(), "Singapore is healthy");
}

#[test]
fn a_snapshot_round_trips() {
    let s = parse(pulltui::snapshot::DEMO).expect("demo parses");
    let again = parse(&to_yaml(&s).expect("yaml")).expect("parses again");
    assert_eq!(s, again);
    assert!(
        s.pods.len() >= 20 && s.pods.len() <= 40,
        "{} failing pods",
        s.pods.len()
    );
    assert!(
        s.healthy_pods.len() >= 200,
        "{} healthy pods",
        s.healthy_pods.len()
    );
}

#[test]
fn yaml_syntax_errors_name_line_and_column() {
    let text = "kind: PulltuiSnapshot\nversion: 1\npods: [\n  {a: 1\n";
    match parse(text) {
        Err(LoadError::Syntax {
            line: Some(l),
            column: Some(_),
            ..
        }) => assert!(l >= 3, "line {l}"),
        other => panic!("expected a located syntax error, got {other:?}"),
    }
}

#[test]
fn a_future_version_is_refused_by_name() {
    let text = pulltui::snapshot::DEMO.replacen("version: 1\n", "version: 7\n", 1);
    let e = parse(&text).expect_err("future version");
    assert_eq!(e, LoadError::FutureVersion(7));
    assert!(e.to_string().contains("newer pulltui"), "{e}");
}

#[test]
fn another_kind_of_file_is_not_a_snapshot() {
    let e = parse("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n").expect_err("a pod");
    assert!(matches!(e, LoadError::NotASnapshot(_)), "{e:?}");
    let e = parse("just some text").expect_err("text");
    assert!(
        matches!(e, LoadError::NotASnapshot(_) | LoadError::Syntax { .. }),
        "{e:?}"
    );
}

#[test]
fn a_truncated_file_is_an_error_naming_the_place() {
    let demo = pulltui::snapshot::DEMO;
    let cut = &demo[..demo.len() / 2];
    let cut = &cut[..cut.rfind('\n').unwrap_or(cut.len())];
    // Cut mid-structure: either YAML or the shape (missing fields) fails.
    let cut = format!("{cut}\n  - metadata: {{name: [");
    let e = parse(&cut).expect_err("truncated");
    assert!(matches!(e, LoadError::Syntax { .. }), "{e:?}");
    assert!(e.to_string().contains("line"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_prefix_of_a_snapshot_loads_or_errors_without_panicking(frac in 0.0f64..1.0) {
        let demo = pulltui::snapshot::DEMO;
        let mut end = ((demo.len() as f64) * frac) as usize;
        while !demo.is_char_boundary(end) {
            end -= 1;
        }
        let _ = parse(&demo[..end]);
    }
}

/// The demo cut at `at` (a char boundary at or before it).
fn cut(at: usize) -> &'static str {
    let demo = pulltui::snapshot::DEMO;
    let mut end = at.min(demo.len());
    while !demo.is_char_boundary(end) {
        end -= 1;
    }
    &demo[..end]
}

/// Where an event halfway through the demo's list starts.
fn half_the_events() -> usize {
    let demo = pulltui::snapshot::DEMO;
    let events = demo.find("\nevents:\n").expect("events");
    let owners = demo.find("\nowners:\n").expect("owners");
    let mid = events + (owners - events) / 2;
    mid + demo[mid..].find("\n- apiVersion: v1\n").expect("an event") + 1
}

/// The demo as a pulltui that did not state contents wrote it.
fn without_contents() -> String {
    let demo = pulltui::snapshot::DEMO;
    let start = demo
        .find("\ncontents:\n")
        .expect("the demo states its contents")
        + 1;
    let end = start + demo[start..].find("\ncapturedAt:").expect("capturedAt") + 1;
    let text = format!("{}{}", &demo[..start], &demo[end..]);
    text.replacen("\nend: PulltuiSnapshot\n", "\n", 1)
}

#[test]
fn a_file_cut_between_its_events_is_refused_as_truncated() {
    // At the start of an event halfway through the list: valid YAML, a
    // whole document, half its events.
    let Err(e) = parse(cut(half_the_events())) else {
        panic!("a file with half its events loads as a whole snapshot")
    };
    assert!(matches!(e, LoadError::Truncated(_)), "{e:?}");
    assert!(e.to_string().contains("incomplete"), "{e}");
}

#[test]
fn a_file_cut_anywhere_is_refused() {
    let demo = pulltui::snapshot::DEMO;
    let lines: Vec<usize> = demo.match_indices('\n').map(|(i, _)| i + 1).collect();
    let n = 60;
    for k in 1..n {
        // At a line boundary (a whole YAML document up to there) and in
        // the middle of a line (a scalar cut short).
        let line = lines[lines.len() * k / n];
        for at in [line, line + 7, demo.len() * k / n] {
            if at >= demo.len() - 1 {
                continue;
            }
            assert!(
                parse(cut(at)).is_err(),
                "cut at byte {at} of {} loads as a whole snapshot",
                demo.len()
            );
        }
    }
    // Only the last line's newline may go.
    assert!(parse(cut(demo.len() - 1)).is_ok());
}

#[test]
fn a_file_without_stated_contents_loads_with_a_warning() {
    let old = without_contents();
    let s = parse(&old).expect("an older file loads");
    let warning = s.completeness_warning().expect("a warning");
    assert!(warning.contains("cannot be told"), "{warning}");
    assert!(
        parse(pulltui::snapshot::DEMO)
            .expect("demo")
            .completeness_warning()
            .is_none()
    );
    // The console says so over the table.
    let recorded = pulltui::snapshot::Recorded::new(s);
    let m = pulltui::cli::replay_model(
        &recorded,
        "old.yaml".into(),
        pulltui::domain::scope::Scope::All,
        pulltui::app::keymap::Keymap::default(),
    );
    assert_eq!(m.notice.map(|n| n.text), Some(warning));
    // `check` says so on stderr, and answers as before.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("old.yaml");
    std::fs::write(&f, &old).expect("write");
    let (code, err) = pulltui(&["check", "--replay", f.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("does not state its contents"), "{err}");
}

#[test]
fn the_completeness_check_survives_a_conversion_to_json() {
    let s = parse(pulltui::snapshot::DEMO).expect("demo");
    let json = serde_json::to_string(&s).expect("json");
    assert_eq!(parse(&json).expect("the JSON form loads"), s);
    let mut fewer: serde_json::Value = serde_json::from_str(&json).expect("json");
    if let Some(events) = fewer["events"].as_array_mut() {
        events.truncate(3);
    }
    let Err(e) = parse(&fewer.to_string()) else {
        panic!("a JSON file with 3 events loads as a whole snapshot")
    };
    assert!(matches!(e, LoadError::Truncated(_)), "{e:?}");
}

fn pulltui(args: &[&str]) -> (Option<i32>, String) {
    let run = Pulltui::new().args(args).run();
    (run.code, run.stderr)
}

#[test]
fn bad_files_exit_2_with_the_problem_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: PulltuiSnapshot\nversion: 1\npods: [\n").expect("write");
    let future = dir.path().join("future.yaml");
    std::fs::write(
        &future,
        pulltui::snapshot::DEMO.replacen("version: 1\n", "version: 2\n", 1),
    )
    .expect("write");
    let missing = dir.path().join("missing.yaml");
    let truncated = dir.path().join("truncated.yaml");
    std::fs::write(&truncated, cut(half_the_events())).expect("write");
    for (file, needle) in [
        (&bad, "line"),
        (&future, "newer pulltui"),
        (&missing, "cannot read"),
        (&truncated, "incomplete"),
    ] {
        let f = file.to_str().expect("utf-8");
        for args in [vec!["--replay", f], vec!["check", "--replay", f, "--json"]] {
            let (code, err) = pulltui(&args);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(err.contains(needle), "{args:?} says what is wrong: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn a_stream_over_the_size_bound_is_refused_without_reading_it_all() {
    use std::io::Write as _;
    // /dev/stdin (a pipe) has no length to check first: the bound is
    // counted while reading. 32 MiB more than the bound are offered.
    let offered = pulltui::snapshot::format::MAX_BYTES + (32 << 20);
    let check = Pulltui::new()
        .env("PULLTUI_LOG", "off")
        .args(&["check", "--replay", "/dev/stdin"]);
    let mut child = check
        .command()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running pulltui");
    let mut input = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'#'; 1 << 20];
        let mut sent = 0u64;
        while sent < offered {
            if input.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        sent
    });
    let out = child.wait_with_output().expect("pulltui ends");
    let sent = writer.join().expect("writer");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("larger than"), "{err}");
    assert!(sent < offered, "pulltui read all {sent} bytes offered");
}

#[test]
fn check_replays_the_demo_with_exit_1_and_the_json_shape() {
    let run = Pulltui::new()
        .args(&["check", "--replay", "assets/demo.yaml", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .run();
    assert_eq!(run.code, Some(1), "{run:?}");
    let v = run.json();
    let pods = v["pods"].as_array().expect("pods");
    assert_eq!(pods.len(), 22);
    for p in pods {
        for k in CHECK_FIELDS {
            assert!(p.get(k).is_some(), "{k} in {p}");
        }
    }
}
