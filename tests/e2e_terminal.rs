//! Terminal safety, in a real pseudo-terminal (tmux): SIGTERM, SIGHUP and
//! SIGINT leave the terminal as it was (no alternate screen, cursor shown,
//! cooked mode); resizing down to 20×5 and back redraws; and kubeconfig
//! exec credential plugins that fail, hang or prompt get a clear sentence
//! on screen — their own output never lands on it.

mod support;
mod support_tmux;

use std::time::Duration;

use support_tmux::{Tmux, exit_line, tmux_available};

const SCREEN: Duration = Duration::from_secs(30);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pulltui")
}

/// The terminal is back to normal: main screen, cursor visible, and typed
/// input echoes (raw mode is off).
fn assert_restored(t: &Tmux, what: &str) {
    let flags = String::from_utf8_lossy(
        &t.cmd(&[
            "display",
            "-p",
            "-t",
            "e2e",
            "#{alternate_on} #{cursor_flag}",
        ])
        .stdout,
    )
    .trim()
    .to_string();
    assert_eq!(flags, "0 1", "{what}: alternate screen off, cursor on");
    t.type_line("echo typed-$((40+2))");
    t.wait(&format!("{what}: the shell echoes"), SCREEN, |s| {
        s.contains("typed-42")
    });
}

#[test]
fn signals_restore_the_terminal() {
    if !tmux_available() {
        return;
    }
    for (sig, code) in [("TERM", "0"), ("HUP", "0"), ("INT", "0")] {
        let t = Tmux::start(&format!("sig-{sig}"), 100, 30);
        let dir = tempfile::tempdir().expect("dir");
        let pidfile = dir.path().join("pid");
        t.type_line(&format!(
            "sh -c 'echo $$ > {}; exec {} --demo'; echo PULLTUI-EXIT=$?",
            pidfile.display(),
            bin()
        ));
        t.wait("the demo on screen", SCREEN, |s| s.contains("REPLAY"));
        let pid = std::fs::read_to_string(&pidfile).expect("pid file");
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), pid.trim()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig}");
        let s = t.wait(&format!("the shell after SIG{sig}"), SCREEN, |s| {
            exit_line(s).is_some()
        });
        assert_eq!(
            exit_line(&s),
            Some(format!("PULLTUI-EXIT={code}").as_str()),
            "SIG{sig}: {s}"
        );
        assert_restored(&t, &format!("SIG{sig}"));
    }
}

#[test]
fn resizing_down_to_20x5_and_back_redraws() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("resize", 120, 30);
    t.type_line(&format!("{} --demo; echo PULLTUI-EXIT=$?", bin()));
    t.wait("the demo", SCREEN, |s| s.contains("REPLAY"));
    for (w, h) in [(60, 12), (20, 5), (21, 6), (120, 30)] {
        let _ = t.cmd(&[
            "resize-window",
            "-t",
            "e2e",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        std::thread::sleep(Duration::from_millis(400));
    }
    // Open the detail and the help at the small size too.
    let _ = t.cmd(&["resize-window", "-t", "e2e", "-x", "20", "-y", "5"]);
    t.send(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    t.send(&["?"]);
    std::thread::sleep(Duration::from_millis(300));
    // One at a time: ESC ESC in a row reads as Alt-Esc.
    t.send(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.send(&["Escape"]);
    let _ = t.cmd(&["resize-window", "-t", "e2e", "-x", "120", "-y", "30"]);
    t.wait("a full redraw at 120×30", SCREEN, |s| {
        s.contains("REPLAY") && s.contains("NAMESPACE")
    });
    t.send(&["q"]);
    let s = t.wait("the shell", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "no panic: {s}");
    assert_restored(&t, "after resizing");
}

/// A kubeconfig for the harness whose users are exec plugins.
fn exec_kubeconfig(h: &support::Harness, dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let scripts = [
        (
            "fail",
            "echo 'error: token expired; run corp-login' >&2\nexit 1\n",
        ),
        (
            "hang",
            "echo 'waiting for the browser login' >&2\nsleep 600\n",
        ),
        (
            "prompt",
            "printf 'Password for corp SSO: ' >&2\nread pw\necho \"{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1beta1\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{\\\"token\\\":\\\"$pw\\\"}}\"\n",
        ),
    ];
    let mut kc = kube::config::Kubeconfig::read_from(h.kubeconfig()).expect("kubeconfig");
    let cluster = kc
        .clusters
        .first()
        .map(|c| c.name.clone())
        .expect("cluster");
    kc.auth_infos.clear();
    kc.contexts.clear();
    for (name, body) in scripts {
        let path = dir.join(format!("{name}.sh"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let user: kube::config::NamedAuthInfo = serde_json::from_value(serde_json::json!({
            "name": name,
            "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                              "command": path.display().to_string()}}
        }))
        .expect("user");
        kc.auth_infos.push(user);
        let ctx: kube::config::NamedContext = serde_json::from_value(serde_json::json!({
            "name": name, "context": {"cluster": cluster, "user": name, "namespace": "default"}
        }))
        .expect("context");
        kc.contexts.push(ctx);
    }
    let out = dir.join("kubeconfig");
    std::fs::write(&out, serde_json::to_string(&kc).expect("json")).expect("write");
    out
}

#[test]
fn exec_plugins_that_fail_hang_or_prompt_get_a_sentence_not_a_garbled_screen() {
    let Some(h) = support::harness() else { return };
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let kc = exec_kubeconfig(&h, dir.path());
    let sessions: Vec<(&str, Tmux)> = ["fail", "hang", "prompt"]
        .into_iter()
        .map(|n| {
            let t = Tmux::start(&format!("exec-{n}"), 130, 24);
            t.type_line(&format!(
                "KUBECONFIG={} XDG_STATE_HOME={} {} --context {n}; echo PULLTUI-EXIT=$?",
                kc.display(),
                dir.path().join("state").display(),
                bin()
            ));
            (n, t)
        })
        .collect();
    for (n, t) in &sessions {
        let s = match *n {
            "fail" => t.wait("the plugin's failure, in a sentence", SCREEN, |s| {
                s.contains("exec credential plugin")
                    && s.contains("token expired")
                    && s.contains("corp-login")
            }),
            "hang" => t.wait("the hang noticed", Duration::from_secs(45), |s| {
                s.contains("after 20 s: no client") && s.contains("not connected")
            }),
            _ => t.wait("the prompt answered by a closed stdin", SCREEN, |s| {
                s.contains("system:anonymous") || s.contains("not connected")
            }),
        };
        for raw in ["Password for corp SSO", "waiting for the browser login"] {
            assert!(
                !s.contains(raw),
                "{n}: the plugin wrote on the screen:\n{s}"
            );
        }
        // Keys still work.
        t.send(&["?"]);
        t.wait(&format!("{n}: help"), SCREEN, |s| {
            s.contains("Failing pods — keys")
        });
        t.send(&["Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        t.send(&["q"]);
        let s = t.wait(&format!("{n}: the shell"), SCREEN, |s| {
            exit_line(s).is_some()
        });
        assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "{n}: {s}");
        assert_restored(t, n);
    }
}

#[test]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("panic", 100, 30);
    t.type_line(&format!(
        "PULLTUI_TEST_PANIC=1 {} --demo; echo PULLTUI-EXIT=$?",
        bin()
    ));
    let s = t.wait("the shell after the panic", SCREEN, |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=101"), "{s}");
    // The panic message reaches the real stderr, after the terminal is back.
    assert!(s.contains("PULLTUI_TEST_PANIC is set"), "{s}");
    assert_restored(&t, "after a panic");
}
