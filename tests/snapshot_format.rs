//! The snapshot file: the bundled demo is what its generator writes, round
//! trips, and a malformed, truncated, foreign or future file is refused with
//! a clear error (line and column for YAML), exit code 2, never a panic.

#[path = "../examples/make_demo/incident.rs"]
mod incident;

use std::process::Command;

use proptest::prelude::*;
use pulltui::snapshot::{LoadError, parse, to_yaml};

#[test]
fn the_bundled_demo_is_what_its_generator_writes() {
    let generated = to_yaml(&incident::incident()).expect("yaml");
    assert!(
        generated == pulltui::snapshot::DEMO,
        "assets/demo.yaml is stale: run `cargo run --example make-demo > assets/demo.yaml`"
    );
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

fn pulltui(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pulltui"))
        .args(args)
        .env_remove("PULLTUI_CONFIG")
        .output()
        .expect("running pulltui");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    for (file, needle) in [
        (&bad, "line"),
        (&future, "newer pulltui"),
        (&missing, "cannot read"),
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
fn check_replays_the_demo_with_exit_1_and_the_json_shape() {
    let out = Command::new(env!("CARGO_BIN_EXE_pulltui"))
        .args(["check", "--replay", "assets/demo.yaml", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running pulltui");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let pods = v["pods"].as_array().expect("pods");
    assert_eq!(pods.len(), 22);
    for p in pods {
        for k in [
            "namespace",
            "name",
            "workload",
            "container",
            "image",
            "registry",
            "reason",
            "category",
            "message",
            "since",
        ] {
            assert!(p.get(k).is_some(), "{k} in {p}");
        }
    }
}
