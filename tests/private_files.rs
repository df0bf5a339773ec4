//! What pulltui keeps to its user, on the real binary: the files it writes
//! are private (0600) whatever the umask, a log left readable by an older
//! pulltui is narrowed when it is opened again (`audit.jsonl` and the
//! snapshot are checked on the harness by `tests/e2e_secrets.rs`, which runs
//! the flows that write them); and while a password can be typed or read
//! from stdin, the process writes no core dump.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::tmux::{Tmux, exit_line, tmux_available};
use support::{Dirs, Pulltui};

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
    let dirs = Dirs::new(dir.path());
    let (state, log) = (dirs.state(), dirs.log());
    let check = || {
        let run = Pulltui::new()
            .dir(dir.path())
            .args(&["check", "--replay"])
            .arg(&demo)
            .run();
        assert_eq!(run.code, Some(1), "check found the demo's pods: {run:?}");
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
fn the_console_keeps_stderr_in_a_private_file_and_writes_no_core_dump() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let state = Dirs::new(dir.path()).state();
    let t = Tmux::start("private-files", 100, 30);
    let pid_file = dir.path().join("pid");
    // The shell allows core dumps; pulltui turns them off for itself.
    t.launch_in(
        Pulltui::new().dir(dir.path()).no_color().arg("--demo"),
        |cmd| {
            format!(
                "umask 022; ulimit -c unlimited; sh -c 'echo $$ > {}; exec {cmd}'; echo PULLTUI-EXIT=$?",
                pid_file.display()
            )
        },
    );
    t.wait("the demo", Duration::from_secs(20), |s| {
        s.contains("REPLAY")
    });
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    assert_eq!(
        core_limit(pid).as_deref(),
        Some("0"),
        "the console's core size limit"
    );
    t.send(&["q"]);
    let screen = t.wait("the exit", Duration::from_secs(10), |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&screen), Some("PULLTUI-EXIT=0"), "{screen}");
    for f in ["stderr.log", "pulltui.log"] {
        assert_eq!(mode(&state.join("pulltui").join(f)), 0o600, "{f}");
    }
}

/// The soft core-size limit of a running process (`/proc/PID/limits`).
fn core_limit(pid: u32) -> Option<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))?;
    line.split_whitespace().nth(4).map(str::to_string)
}

/// Starts `pulltui ARGS` with core dumps allowed and stdin left open (it
/// waits for the password), and returns its core-size limit once pulltui
/// has set it, or what it still is after 3 s.
fn core_limit_while_reading_a_password(args: &[&str]) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let pulltui = Pulltui::new()
        .dir(dir.path())
        .kubeconfig(dir.path().join("none"))
        .args(args);
    let mut cmd = pulltui.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_CORE, &mut lim);
            lim.rlim_cur = libc::RLIM_INFINITY;
            if libc::setrlimit(libc::RLIMIT_CORE, &lim) != 0 {
                lim.rlim_cur = lim.rlim_max;
                libc::setrlimit(libc::RLIMIT_CORE, &lim);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("running pulltui");
    let start = Instant::now();
    let mut limit = None;
    while start.elapsed() < Duration::from_secs(3) {
        limit = core_limit(child.id());
        if limit.as_deref() == Some("0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    limit
}

#[test]
fn no_core_dump_while_a_password_is_read_from_stdin() {
    let mut allowed = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads this process's limit.
    unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut allowed) };
    if allowed.rlim_max == 0 && unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: core dumps cannot be turned on here (hard limit 0)");
        return;
    }
    for args in [
        &[
            "probe",
            "registry.invalid/team/app:1",
            "--username",
            "u",
            "--password-stdin",
        ][..],
        &[
            "fix",
            "shop/web-0",
            "--fix",
            "create-pull-secret",
            "--username",
            "u",
            "--password-stdin",
        ][..],
    ] {
        assert_eq!(
            core_limit_while_reading_a_password(args).as_deref(),
            Some("0"),
            "pulltui {}",
            args.join(" ")
        );
    }
}
