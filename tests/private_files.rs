//! The files pulltui writes for its user are private (0600) whatever the
//! umask, and a log left readable by an older pulltui is narrowed when it is
//! opened again: the real binary, with its state directory in a temporary
//! one. (`audit.jsonl` and the snapshot are checked on the harness by
//! `tests/e2e_secrets.rs`, which runs the flows that write them.)

#[path = "support_tmux/mod.rs"]
mod support_tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support_tmux::{Tmux, exit_line, tmux_available};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_log_is_created_private_and_an_old_readable_one_is_narrowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo.yaml");
    std::fs::write(&demo, pulltui::snapshot::DEMO).expect("write the demo");
    let state = dir.path().join("state");
    let log = state.join("pulltui/pulltui.log");
    let check = || {
        let out = Command::new(env!("CARGO_BIN_EXE_pulltui"))
            .args(["check", "--replay"])
            .arg(&demo)
            .env("XDG_STATE_HOME", &state)
            .env_remove("PULLTUI_CONFIG")
            .output()
            .expect("running pulltui");
        assert_eq!(out.status.code(), Some(1), "check found the demo's pods");
    };
    check();
    assert_eq!(mode(&log), 0o600, "a new pulltui.log");
    assert_eq!(
        mode(&state.join("pulltui")),
        0o700,
        "the directory made for it"
    );

    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    check();
    assert_eq!(mode(&log), 0o600, "an existing 0644 pulltui.log");
}

#[test]
fn the_console_keeps_stderr_in_a_private_file() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let t = Tmux::start("private-files", 100, 30);
    t.type_line(&format!(
        "umask 022; XDG_STATE_HOME={} NO_COLOR=1 {} --demo; echo PULLTUI-EXIT=$?",
        state.display(),
        env!("CARGO_BIN_EXE_pulltui")
    ));
    t.wait("the demo", Duration::from_secs(20), |s| {
        s.contains("REPLAY")
    });
    t.send(&["q"]);
    let screen = t.wait("the exit", Duration::from_secs(10), |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&screen), Some("PULLTUI-EXIT=0"), "{screen}");
    for f in ["stderr.log", "pulltui.log"] {
        assert_eq!(mode(&state.join("pulltui").join(f)), 0o600, "{f}");
    }
}
