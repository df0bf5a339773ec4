//! `pulltui probe --json` as the probe tests run it: one invocation with the
//! cases' step timeout, its one JSON line, and readers of its steps.

use serde_json::Value;

use super::{Harness, Pulltui};

/// Step timeout the cases run with (seconds).
pub const STEP_TIMEOUT: f64 = 2.0;

/// What `probe --json` answered.
pub struct Probed {
    pub code: Option<i32>,
    pub json: Value,
    pub stderr: String,
}

/// `pulltui probe ARGS --json` with the cases' step timeout, the
/// harness's kubeconfig (if any), `stdin` and a newline fed in.
pub fn pulltui_probe(h: Option<&Harness>, args: &[&str], stdin: Option<&str>) -> Probed {
    let mut probe = match h {
        Some(h) => h.pulltui(),
        None => Pulltui::new(),
    }
    .no_proxy()
    .arg("probe")
    .args(args)
    .args(&["--json", "--timeout", &STEP_TIMEOUT.to_string()]);
    if let Some(s) = stdin {
        probe = probe.stdin(format!("{s}\n"));
    }
    let run = probe.run();
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "--json prints exactly one line: {run:?}");
    let json: Value =
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
    Probed {
        code: run.code,
        json,
        stderr: run.stderr,
    }
}

/// The step `name` of a probe's JSON (panics naming it when absent).
pub fn step<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["step"] == name))
        .unwrap_or_else(|| panic!("no {name} step in {j}"))
}

pub fn detail(j: &Value, name: &str) -> String {
    step(j, name)["detail"].as_str().unwrap_or("").to_string()
}

/// Every step ran within its timeout (plus scheduling slack).
pub fn within_timeouts(j: &Value) {
    for s in j["steps"].as_array().expect("steps") {
        let ms = s["ms"].as_u64().expect("ms");
        assert!(
            ms <= (STEP_TIMEOUT * 1000.0) as u64 + 500,
            "step {} took {ms} ms, over its {STEP_TIMEOUT} s timeout: {j}",
            s["step"]
        );
    }
}

pub fn category(j: &Value) -> &str {
    j["verdict"]["category"].as_str().unwrap_or("")
}

/// `--ca-file` with the harness registries' CA.
pub fn ca(h: &Harness) -> Vec<String> {
    vec!["--ca-file".into(), h.var("PULLTUI_REG_CA").into()]
}

pub fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `IMAGE --from-node` the simulated node, with the harness's probe image,
/// confirmed (`--yes`), the pod in `ns`; then `extra`.
pub fn node_args(h: &Harness, ns: &str, image: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        image.to_string(),
        "--from-node".into(),
        h.var("PULLTUI_SIM_NODE").into(),
        "--probe-image".into(),
        h.var("PULLTUI_PROBE_IMAGE").into(),
        "--yes".into(),
        "--probe-namespace".into(),
        ns.to_string(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}
