//! `pulltui fix` as the fix tests run it (`e2e_fix`, `e2e_fix_refused`):
//! through a `Fixture`, at debug log level, the output checked for the
//! harness password; and what they check after a fix.

use serde_json::Value;

use super::{Fixture, Run, pod_state, pods_of};

/// `pulltui --context CTX fix ARGS` at `PULLTUI_LOG=debug`, `stdin` fed in;
/// the output is checked for the password before it is returned.
pub fn fix_as(t: &Fixture, context: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut fix = t
        .pulltui()
        .env("PULLTUI_LOG", "debug")
        .context(context)
        .arg("fix")
        .args(args);
    if let Some(s) = stdin {
        fix = fix.stdin(s);
    }
    let run = fix.run();
    t.assert_no_password(&format!("{run:?}"), "the output");
    run
}

/// `fix POD --fix create-pull-secret` as `context`, confirmed (`--yes`), with
/// the auth registry's user and its password on standard input; then `extra`.
pub fn create_pull_secret(t: &Fixture, context: &str, pod: &str, extra: &[&str]) -> Run {
    let user = t.h.reg_auth_user();
    let args = [
        &[pod, "--fix", "create-pull-secret", "--yes"][..],
        &["--username", user, "--password-stdin"],
        extra,
    ]
    .concat();
    fix_as(t, context, &args, Some(t.h.reg_auth_pass()))
}

pub fn fix(t: &Fixture, args: &[&str]) -> Run {
    fix_as(t, "admin", args, None)
}

pub fn pod_arg(ns: &str, pod: &str) -> String {
    format!("{ns}/{pod}")
}

pub fn template_of(v: &Value) -> &Value {
    &v["spec"]["template"]
}

/// The follow-up says the new pods run, and every live pod of `app` runs.
pub async fn assert_fixed(t: &Fixture, run: &Run, app: &str, target: &str, want: u32, new: bool) {
    assert_eq!(run.code, Some(0), "{run:?}");
    let word = if want == 1 { "pod" } else { "pods" };
    let line = format!(
        "{target}: {want}/{want} {}{word} Running after ",
        if new { "new " } else { "" }
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(&line) && l.ends_with(" s ✓")),
        "expected a line starting {line:?}: {run:?}"
    );
    let pods = pods_of(&t.c, t.ns(), app).await;
    let running = pods
        .iter()
        .filter(|p| pod_state(p).as_deref() == Some("Running"))
        .count();
    assert!(running >= want as usize, "{running} running pods of {app}");
}
