//! pulltui where SREs already are, on the harness: `kubectl pulltui …` with
//! the binary on the PATH as `kubectl-pulltui` (kubectl's own plugin
//! lookup), and the k9s plugin's pod shortcut (`plugins/k9s-plugins.yaml`,
//! its variables filled in as k9s fills them) opening that pod's detail.

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::tmux::Tmux;
use support::{Fixture, Pulltui, Run};

/// The kubectl on the PATH (the harness scripts use it too); `None`
/// (skipped) without one, a failure when `CI=true`.
fn kubectl() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("kubectl"))
            .find(|k| k.is_file())
    });
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but no kubectl on the PATH"
        );
        eprintln!("SKIPPED: no kubectl on the PATH");
    }
    found
}

/// A directory holding `kubectl-pulltui`, a symlink to the binary under
/// test (what `ln -s "$(command -v pulltui)" ~/.local/bin/kubectl-pulltui`
/// or krew make).
fn plugin_dir(root: &Path) -> PathBuf {
    let dir = root.join("plugin-bin");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    std::os::unix::fs::symlink(support::cli::BIN, dir.join("kubectl-pulltui"))
        .expect("symlink kubectl-pulltui");
    dir
}

/// `kubectl pulltui ARGS…`: `pt`'s environment and arguments, run through
/// kubectl with `dir` first on the PATH.
fn via_kubectl(kubectl: &Path, dir: &Path, pt: &Pulltui) -> Run {
    let inner = pt.command();
    let mut cmd = Command::new(kubectl);
    cmd.arg("pulltui").args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut path = OsString::from(dir);
    if let Some(p) = std::env::var_os("PATH") {
        path.push(":");
        path.push(p);
    }
    cmd.env("PATH", path);
    let out = cmd.output().expect("kubectl runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_pulltui_check_all_namespaces_runs_the_plugin() {
    let Some(kubectl) = kubectl() else {
        return;
    };
    let Some(f) = Fixture::new("e2e-kubectl").await else {
        return;
    };
    f.apply(&["selfsigned", "auth-ok"]).await;
    let dir = plugin_dir(f.dir.path());

    // kubectl finds it as a plugin.
    let mut listing = Command::new(&kubectl);
    listing.args(["plugin", "list", "--name-only"]).env(
        "PATH",
        format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let out = listing.output().expect("kubectl plugin list");
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(
        names.lines().any(|l| l.trim() == "kubectl-pulltui"),
        "kubectl plugin list: {names} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `kubectl pulltui check -A`: exit 1, the failing pod of this test's
    // namespace with its cause, the healthy one not listed.
    let r = via_kubectl(
        &kubectl,
        &dir,
        &f.pulltui().args(&["check", "-A", "--json"]),
    );
    assert_eq!(
        r.code,
        Some(1),
        "failing pods: exit 1\n{}\n{}",
        r.stdout,
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("check --json");
    let mine: Vec<&Value> = v["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .filter(|p| p["namespace"] == f.ns())
        .collect();
    assert_eq!(mine.len(), 1, "{v:#}");
    assert_eq!(mine[0]["category"], "tls.untrusted", "{v:#}");
    assert_eq!(mine[0]["workload"]["name"], "selfsigned", "{v:#}");

    // kubectl's conventions: --context, -n, the table.
    let r = via_kubectl(
        &kubectl,
        &dir,
        &f.pulltui()
            .args(&["check", "--context", "viewer", "-n", f.ns()]),
    );
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Deployment/selfsigned") && r.stdout.contains("tls.untrusted"),
        "{}",
        r.stdout
    );
    // --kubeconfig as a flag rather than $KUBECONFIG.
    let kc = f.h.kubeconfig();
    let r = via_kubectl(
        &kubectl,
        &dir,
        &Pulltui::new()
            .env_remove("KUBECONFIG")
            .arg("check")
            .arg("--kubeconfig")
            .arg(&kc)
            .args(&["-n", f.ns()]),
    );
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);

    // Its help speaks as the plugin it was run as.
    let r = via_kubectl(&kubectl, &dir, &Pulltui::new().arg("--help"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("Usage: kubectl pulltui"), "{}", r.stdout);
    f.delete().await;
}

/// The k9s snippet's args with k9s's variables filled in.
fn k9s_args(plugin: &str, vars: &[(&str, &str)]) -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins/k9s-plugins.yaml"),
    )
    .expect("plugins/k9s-plugins.yaml");
    let v: Value = serde_saphyr::from_str(&text).expect("k9s-plugins.yaml parses");
    v["plugins"][plugin]["args"]
        .as_array()
        .unwrap_or_else(|| panic!("plugin {plugin} has args"))
        .iter()
        .map(|a| {
            let mut a = a.as_str().expect("string arg").to_string();
            for (k, val) in vars {
                a = a.replace(&format!("${k}"), val);
            }
            a
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k9s_pod_shortcut_opens_that_pods_detail_and_a_healthy_one_says_so() {
    let Some(f) = Fixture::with_tmux("e2e-k9s").await else {
        return;
    };
    f.apply(&["plain-http", "auth-ok"]).await;
    let failing = support::workload::failing_pod(&f.c, f.ns(), "plain-http").await;
    let healthy = support::pods_of(&f.c, f.ns(), "auth-ok")
        .await
        .first()
        .and_then(|p| p.metadata.name.clone())
        .expect("the healthy pod");

    let t = Tmux::start("k9s-pod", 140, 40);
    let args = k9s_args(
        "pulltui-pod",
        &[
            ("CONTEXT", "admin"),
            ("NAMESPACE", f.ns()),
            ("NAME", &failing),
        ],
    );
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    t.launch(f.pulltui().no_color().args(&argv));
    let s = t.wait("the pod's detail", Duration::from_secs(20), |s| {
        s.contains(&failing) && s.contains(" CAUSE ") && s.contains("protocol.http-registry")
    });
    assert!(s.contains(" FIXES "), "{s}");
    t.send(&["Escape"]);
    t.wait("the table under it", Duration::from_secs(5), |s| {
        s.contains("Deployment/plain-http")
    });
    t.send(&["q"]);
    t.wait("exit 0", Duration::from_secs(10), |s| {
        support::tmux::exit_line(s) == Some("PULLTUI-EXIT=0")
    });

    // A pod that pulls fine: the status line says so, the table stays.
    let args = k9s_args(
        "pulltui-pod",
        &[
            ("CONTEXT", "admin"),
            ("NAMESPACE", f.ns()),
            ("NAME", &healthy),
        ],
    );
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    t.send(&["clear", "Enter"]);
    t.launch(f.pulltui().no_color().args(&argv));
    t.wait("the notice", Duration::from_secs(20), |s| {
        s.contains("not failing to pull") && s.contains("Deployment/plain-http")
    });
    t.send(&["q"]);
    t.wait("exit 0 again", Duration::from_secs(10), |s| {
        support::tmux::exit_line(s) == Some("PULLTUI-EXIT=0")
    });
    f.delete().await;
}
