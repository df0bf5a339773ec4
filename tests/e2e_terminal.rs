//! Terminal safety, in a real pseudo-terminal (tmux): SIGTERM, SIGHUP and
//! SIGINT leave the terminal as it was (no alternate screen, cursor shown,
//! cooked mode); resizing down to 20×5 and back redraws; and kubeconfig
//! exec credential plugins that fail, hang or prompt get a clear sentence
//! on screen — their own output never lands on it. A paste is text, never
//! keys (bracketed paste), and the mode is off again after every exit.

mod support;

use std::time::Duration;

use support::Pulltui;
use support::tmux::{Tmux, exit_line, tmux_available};

/// Whether the screen shows `text`; a number only as a word of its own
/// (a random namespace suffix or a port may hold "401").
fn shows(screen: &str, text: &str) -> bool {
    if text.chars().all(|c| c.is_ascii_digit()) {
        screen
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == text)
    } else {
        screen.contains(text)
    }
}

const SCREEN: Duration = Duration::from_secs(30);

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
        t.launch_in(Pulltui::new().arg("--demo"), |cmd| {
            format!(
                "sh -c 'echo $$ > {}; exec {cmd}'; echo PULLTUI-EXIT=$?",
                pidfile.display()
            )
        });
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
    t.launch(Pulltui::new().arg("--demo"));
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
        s.contains("REPLAY") && s.contains("CLUSTER") && s.contains("POD")
    });
    t.send(&["q"]);
    let s = t.wait("the shell", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "no panic: {s}");
    assert_restored(&t, "after resizing");
}

/// A kubeconfig for the harness whose users are exec plugins.
fn exec_kubeconfig(h: &support::Harness, dir: &std::path::Path) -> std::path::PathBuf {
    exec_kubeconfig_with(
        h,
        dir,
        &[
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
        ],
        "default",
    )
}

/// A kubeconfig for the harness with one context per `(name, script body)`:
/// user `name` runs `DIR/name.sh` as its exec credential plugin; the
/// contexts' namespace is `namespace`.
fn exec_kubeconfig_with(
    h: &support::Harness,
    dir: &std::path::Path,
    scripts: &[(&str, &str)],
    namespace: &str,
) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
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
            "name": name, "context": {"cluster": cluster, "user": name, "namespace": namespace}
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
            t.launch(Pulltui::new().kubeconfig(&kc).dir(dir.path()).context(n));
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
    t.launch(Pulltui::new().env("PULLTUI_TEST_PANIC", "1").arg("--demo"));
    let s = t.wait("the shell after the panic", SCREEN, |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=101"), "{s}");
    // The panic message reaches the real stderr, after the terminal is back.
    assert!(s.contains("PULLTUI_TEST_PANIC is set"), "{s}");
    assert_restored(&t, "after a panic");
}

/// Pastes `text` as tmux does for a paste (`paste-buffer -p`: wrapped in
/// the bracketed-paste marks when the program asked for them).
fn paste(t: &Tmux, text: &str) {
    assert!(t.cmd(&["set-buffer", "--", text]).status.success());
    assert!(t.cmd(&["paste-buffer", "-p", "-t", "e2e"]).status.success());
}

/// After pulltui, `cat -v` shows what the terminal sends for a paste: the
/// marks `^[[200~` would mean bracketed paste was left on.
fn assert_paste_mode_off(t: &Tmux, what: &str) {
    paste(t, "after-exit");
    let s = t.wait(&format!("{what}: the paste echoed"), SCREEN, |s| {
        s.contains("after-exit")
    });
    assert!(
        !s.contains("[200~"),
        "{what}: bracketed paste left on:\n{s}"
    );
}

#[test]
fn a_paste_is_text_never_keys_and_the_mode_ends_with_pulltui() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("paste", 120, 35);
    t.launch_in(Pulltui::new().arg("--demo"), |cmd| {
        format!("sh -c '{cmd}; echo PULLTUI-EXIT=$?; exec cat -v'")
    });
    t.wait("the demo", SCREEN, |s| s.contains("REPLAY"));
    // Typed, k opens the kick's preview and y answers it (in a replay:
    // previewed only). Pasted, neither happens.
    paste(&t, "ky");
    let acted = |s: &str| s.contains("kick —") || s.contains("nothing is sent");
    let s = t.wait("the paste's answer", SCREEN, |s| {
        s.contains("paste ignored") || acted(s)
    });
    assert!(!acted(&s), "the paste acted as keys:\n{s}");
    t.send(&["q"]);
    let s = t.wait("the exit", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "{s}");
    assert_paste_mode_off(&t, "after q");

    // A panic restores it too.
    let t = Tmux::start("paste-panic", 120, 35);
    t.launch_in(
        Pulltui::new().env("PULLTUI_TEST_PANIC", "1").arg("--demo"),
        |cmd| format!("sh -c '{cmd}; echo PULLTUI-EXIT=$?; exec cat -v'"),
    );
    let s = t.wait("the panic", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=101"), "{s}");
    assert_paste_mode_off(&t, "after a panic");
}

/// The console in tmux (`width`×30) on context `context` of `kc` (an exec
/// plugin user), namespace `ns`, its state and data under `dir`.
fn console_with_plugin(
    kc: &std::path::Path,
    dir: &std::path::Path,
    context: &str,
    ns: &str,
    width: u16,
) -> Tmux {
    let t = Tmux::start(&format!("exec-{context}"), width, 30);
    t.launch(
        Pulltui::new()
            .kubeconfig(kc)
            .dir(dir)
            .no_color()
            .context(context)
            .args(&["-n", ns]),
    );
    t
}

/// A ServiceAccount `console` that administers `ns` (the tokens' user).
async fn console_account(c: &kube::Client, ns: &str) {
    use k8s_openapi::api::core::v1::ServiceAccount;
    use k8s_openapi::api::rbac::v1::RoleBinding;
    use kube::api::{Api, PostParams};
    let sa: ServiceAccount =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "console"}})).expect("sa");
    Api::<ServiceAccount>::namespaced(c.clone(), ns)
        .create(&PostParams::default(), &sa)
        .await
        .expect("creating the ServiceAccount");
    let rb: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "console-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "console", "namespace": ns}]
    }))
    .expect("rolebinding");
    Api::<RoleBinding>::namespaced(c.clone(), ns)
        .create(&PostParams::default(), &rb)
        .await
        .expect("creating the RoleBinding");
}

/// Deletes the Secret `bound` of `ns` and waits until the API server
/// refuses `token` (it caches a token's success for up to 10 s).
async fn revoke(h: &support::Harness, c: &kube::Client, ns: &str, bound: &str, token: &str) {
    use k8s_openapi::api::core::v1::Secret;
    use kube::api::{Api, DeleteParams};
    Api::<Secret>::namespaced(c.clone(), ns)
        .delete(bound, &DeleteParams::default())
        .await
        .expect("deleting the token's Secret");
    let start = std::time::Instant::now();
    loop {
        let code = status_with_token(h, ns, token).await;
        if code == 401 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the token is still accepted ({code}) after its Secret was deleted"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A token of `sa` from the TokenRequest API, bound to the Secret `bound`:
/// deleting that Secret invalidates the token (the API server checks the
/// bound object on every request).
async fn bound_token(c: &kube::Client, ns: &str, sa: &str, bound: &str) -> String {
    use k8s_openapi::api::authentication::v1::TokenRequest;
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    use kube::api::{Api, PostParams};
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": bound}, "type": "Opaque"
    }))
    .expect("secret");
    let secret = Api::<Secret>::namespaced(c.clone(), ns)
        .create(&PostParams::default(), &secret)
        .await
        .expect("creating the bound secret");
    let req: TokenRequest = serde_json::from_value(serde_json::json!({
        "spec": {"audiences": [], "expirationSeconds": 600,
                 "boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": bound,
                                    "uid": secret.metadata.uid}}
    }))
    .expect("token request");
    Api::<ServiceAccount>::namespaced(c.clone(), ns)
        .create_token_request(sa, &PostParams::default(), &req)
        .await
        .expect("TokenRequest")
        .status
        .expect("token status")
        .token
}

/// The status code a pod list in `ns` gets with `token` (0: no answer).
async fn status_with_token(h: &support::Harness, ns: &str, token: &str) -> u16 {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, ListParams};
    let kc = kube::config::Kubeconfig::read_from(h.kubeconfig()).expect("kubeconfig");
    let opts = kube::config::KubeConfigOptions {
        context: Some("admin".into()),
        ..Default::default()
    };
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .expect("config");
    cfg.auth_info = kube::config::AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    };
    let client = kube::Client::try_from(cfg).expect("client");
    match Api::<Pod>::namespaced(client, ns)
        .list(&ListParams::default().limit(1))
        .await
    {
        Ok(_) => 200,
        Err(kube::Error::Api(s)) => s.code,
        Err(_) => 0,
    }
}

/// kube-rs re-runs an exec plugin when its ExecCredential's
/// `expirationTimestamp` is less than 60 s away. The plugin here hands out
/// token 1, expiring 60 s after a switch time a few seconds into the run —
/// so to the client it is expired from the switch on — and token 2 (an hour)
/// after it. Token 1 then really stops working: it is a TokenRequest token
/// bound to a Secret that the test deletes. Opening the detail afterwards
/// makes new requests on the same session (no `r`, no reconnect): the
/// plugin runs again, the events arrive, the table and status bar never
/// showed an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_exec_token_is_refreshed_mid_run_without_losing_the_screen() {
    use std::time::{SystemTime, UNIX_EPOCH};

    let Some(h) = support::harness() else { return };
    if !tmux_available() {
        return;
    }
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, "exec-refresh").await;
    support::workload::W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", h.reg_selfsigned()),
    )
    .create(&c, &ns.name)
    .await;
    let pod = support::workload::failing_pod(&c, &ns.name, "web").await;

    console_account(&c, &ns.name).await;
    let token1 = bound_token(&c, &ns.name, "console", "token-1").await;
    let token2 = bound_token(&c, &ns.name, "console", "token-2").await;
    assert_eq!(status_with_token(&h, &ns.name, &token1).await, 200);

    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().display().to_string();
    std::fs::write(dir.path().join("token1"), &token1).expect("token1");
    std::fs::write(dir.path().join("token2"), &token2).expect("token2");
    let plugin = format!(
        r#"d={d}
now=$(date +%s)
switch=$(cat $d/switch)
if [ "$now" -lt "$switch" ]; then tok=$(cat $d/token1); exp=$((switch + 60)); which=1
else tok=$(cat $d/token2); exp=$((now + 3600)); which=2; fi
echo "$now token$which" >> $d/invocations
printf '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{{"token":"%s","expirationTimestamp":"%s"}}}}\n' "$tok" "$(date -u -d @$exp +%Y-%m-%dT%H:%M:%SZ)"
"#
    );
    let kc = exec_kubeconfig_with(&h, dir.path(), &[("refresh", &plugin)], &ns.name);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let switch = now + 12;
    std::fs::write(dir.path().join("switch"), switch.to_string()).expect("switch");
    let invocations = || {
        std::fs::read_to_string(dir.path().join("invocations"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };

    let t = console_with_plugin(&kc, dir.path(), "refresh", &ns.name, 140);
    t.wait("the failing pod, live, with token 1", SCREEN, |s| {
        s.contains("Deployment/web") && s.contains("tls.untrusted") && s.contains("live")
    });
    // kube-rs runs the plugin a few times while it builds the client (the
    // TLS identity, the auth layer), all before the switch: token 1.
    let first = invocations();
    assert!(
        !first.is_empty() && first.iter().all(|l| l.ends_with("token1")),
        "{first:?}"
    );

    // Past the switch: token 1 is expired to the client; revoke it for real.
    while SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        <= switch
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    revoke(&h, &c, &ns.name, "token-1", &token1).await;
    let s = t.capture();
    assert!(
        s.contains("Deployment/web") && !s.contains("reconnecting"),
        "the table stays: {s}"
    );

    // New requests on the same session: the detail's events watch, its
    // ServiceAccount and secret reads.
    t.send(&["Enter"]);
    let s = t.wait("the detail with its events", SCREEN, |s| {
        s.contains(&pod) && s.contains("· live") && s.contains("Warning Failed")
    });
    for bad in [
        "Unauthorized",
        "401",
        "reconnecting",
        "not connected",
        "cannot watch",
    ] {
        assert!(!shows(&s, bad), "{bad:?} on the detail:\n{s}");
    }
    // Exactly one more run: the client refreshed its token in place (a
    // rebuilt client would have run the plugin several times).
    let all = invocations();
    assert_eq!(
        all.iter().filter(|l| l.ends_with("token2")).count(),
        1,
        "the plugin ran again once after the expiry: {all:?}"
    );
    assert_eq!(all.len(), first.len() + 1, "{all:?}");
    t.send(&["Escape"]);
    // The table itself (the detail names the workload and "live" too): an
    // Escape followed at once by q would read as Alt-q.
    let s = t.wait("the table, still live", SCREEN, |s| {
        s.contains("NAMESPACE") && s.contains("Deployment/web") && s.contains("● live")
    });
    assert!(!s.contains("reconnecting"), "{s}");
    t.send(&["q"]);
    let s = t.wait("the shell", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "{s}");
    ns.delete().await;
}

/// A token revoked before the expiry its plugin gave — here one with no
/// expiry at all, which kube-rs would use forever — is renewed on the
/// server's 401, as kubectl does: the client is built again from the
/// kubeconfig, which re-runs the plugin. While the plugin still hands out
/// the revoked token the console says so in one sentence and keeps the
/// table (stale); once a "login" gives it a good token, the console is
/// live again by itself (no `r`) and sees what changed meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_before_its_expiry_is_renewed_when_the_server_refuses_it() {
    let Some(h) = support::harness() else { return };
    if !tmux_available() {
        return;
    }
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, "exec-revoked").await;
    let image = format!("{}/team/app:1.0", h.reg_selfsigned());
    support::workload::W::new("Deployment", "web", image.clone())
        .create(&c, &ns.name)
        .await;
    support::workload::failing_pod(&c, &ns.name, "web").await;
    console_account(&c, &ns.name).await;
    let token1 = bound_token(&c, &ns.name, "console", "token-1").await;
    let token2 = bound_token(&c, &ns.name, "console", "token-2").await;

    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().display().to_string();
    let login = |token: &str, which: &str| {
        std::fs::write(dir.path().join("current"), token).expect("token");
        std::fs::write(dir.path().join("which"), which).expect("which");
    };
    login(&token1, "token1");
    // No expirationTimestamp: the client has no reason to run it again.
    let plugin = format!(
        r#"d={d}
echo "$(date +%s) $(cat $d/which)" >> $d/invocations
printf '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{{"token":"%s"}}}}\n' "$(cat $d/current)"
"#
    );
    let kc = exec_kubeconfig_with(&h, dir.path(), &[("revoked", &plugin)], &ns.name);
    let runs_with = |which: &str| {
        std::fs::read_to_string(dir.path().join("invocations"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.ends_with(which))
            .count()
    };

    let t = console_with_plugin(&kc, dir.path(), "revoked", &ns.name, 150);
    t.wait("the failing pod, live, with token 1", SCREEN, |s| {
        s.contains("Deployment/web") && s.contains("tls.untrusted") && s.contains("● live")
    });
    let before = runs_with("token1");
    assert!(before > 0 && runs_with("token2") == 0);

    // Revoked long before any expiry: the plugin still hands out token 1.
    revoke(&h, &c, &ns.name, "token-1", &token1).await;
    let s = t.wait("the sentence about refused credentials", SCREEN, |s| {
        s.contains("refuses the credentials (401)") && s.contains("log in again")
    });
    assert!(s.contains("Deployment/web"), "the table stays: {s}");
    assert!(!s.contains("● live"), "not shown as live: {s}");
    assert!(
        runs_with("token1") > before,
        "the plugin was run again on the 401"
    );

    // The user logs in: the plugin now hands out token 2. Meanwhile a
    // second workload starts failing.
    login(&token2, "token2");
    support::workload::W::new("Deployment", "api", image)
        .create(&c, &ns.name)
        .await;
    let s = t.wait(
        "live again by itself, with the new workload",
        Duration::from_secs(60),
        // A watch opened before the revocation may still stream (the
        // server authenticates a request once): live alone is not enough,
        // the sentence goes only when the renewed credentials are accepted.
        |s| {
            s.contains("Deployment/api")
                && s.contains("Deployment/web")
                && s.contains("● live")
                && !s.contains("refuses the credentials")
        },
    );
    assert!(runs_with("token2") > 0, "the plugin gave token 2: {s}");

    // New requests on the renewed client: the detail's events and secrets.
    t.send(&["Enter"]);
    let s = t.wait("the detail with its events", SCREEN, |s| {
        s.contains("· live") && s.contains("Warning Failed")
    });
    for bad in ["Unauthorized", "401", "reconnecting", "cannot watch"] {
        assert!(!shows(&s, bad), "{bad:?} on the detail:\n{s}");
    }
    t.send(&["Escape"]);
    t.wait("the table", SCREEN, |s| {
        s.contains("NAMESPACE") && s.contains("● live")
    });
    t.send(&["q"]);
    let s = t.wait("the shell", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "{s}");
    let log =
        std::fs::read_to_string(dir.path().join("state/pulltui/pulltui.log")).unwrap_or_default();
    assert!(
        log.contains("credentials renewed from the kubeconfig after a 401"),
        "the log says why the watchers restarted"
    );
    ns.delete().await;
}
