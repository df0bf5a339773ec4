//! Where the node probe pod runs and what it may do: in
//! pulltui's own namespace (created and labelled when missing), never the
//! failing pod's; Pod Security learnt with a dry-run create before anything
//! exists; `restricted` satisfied (seccomp RuntimeDefault); an old probe pod
//! is swept only in that namespace, only past its expiry, and never by a
//! console in `--read-only` or `--dry-run`.

mod support;

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, PostParams};
use serde_json::json;
use support::{Dirs, Harness, Pulltui, Run};

/// A node probe of the self-signed registry from the simulated node, as
/// `admin`, writing under `dir`.
fn probe(h: &Harness, dir: &Path, extra: &[&str]) -> Run {
    let image = format!("{}/team/app:1.0", h.reg_selfsigned());
    h.pulltui()
        .dir(dir)
        .context("admin")
        .args(&["probe", &image, "--from-node", h.var("PULLTUI_SIM_NODE")])
        .args(&["--probe-image", h.var("PULLTUI_PROBE_IMAGE")])
        .args(&["--yes", "--timeout", "3"])
        .args(extra)
        .run()
}

fn audit(dir: &Path) -> Vec<serde_json::Value> {
    Dirs::new(dir).audit_lines()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_pod_runs_in_pulltuis_own_namespace_by_default() {
    let Some(h) = support::harness() else { return };
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = probe(&h, dir.path(), &[]);
    assert!(run.code.is_some(), "{}\n{}", run.stdout, run.stderr);
    let created: Vec<_> = audit(dir.path())
        .into_iter()
        .filter(|l| l["action"] == "create-probe-pod" || l["event"] == "create-probe-pod")
        .collect();
    let text = format!("{created:?}");
    assert!(
        text.contains("pulltui-probe"),
        "{text}\n{}{}",
        run.stdout,
        run.stderr
    );
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns = nss
        .get("pulltui-probe")
        .await
        .expect("the probe namespace exists");
    assert_eq!(
        ns.metadata
            .labels
            .unwrap_or_default()
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("pulltui")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_security_is_learnt_before_anything_is_created_and_restricted_is_satisfied() {
    let Some(h) = support::harness() else { return };
    if !h.at_least(25, "Pod Security admission") {
        return;
    }
    let c = h.admin().await;
    h.require_simulator(&c).await;
    // baseline: no host network; the dry run says so, the pod network is used.
    let dir = tempfile::tempdir().expect("tempdir");
    let ns = h.var("PULLTUI_NS_PSA_BASELINE").to_string();
    let run = probe(&h, dir.path(), &["--probe-namespace", &ns]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("policy forbids the host network in namespace psa-baseline"),
        "{all}"
    );
    // The host-network pod was refused in a dry run only (the audit record
    // says so), and one was refused at all.
    let refused: Vec<_> = audit(dir.path())
        .into_iter()
        .filter(|l| l["result"] == "refused")
        .collect();
    assert!(
        !refused.is_empty() && refused.iter().all(|l| l["dry_run"] == true),
        "a real create was refused: {refused:?}"
    );
    assert!(
        all.contains("node verdict") || all.contains("verdict"),
        "{all}"
    );
    // restricted: the pod-network probe pod is admitted (seccompProfile).
    let dir = tempfile::tempdir().expect("tempdir");
    let ns = h.var("PULLTUI_NS_PSA_RESTRICTED").to_string();
    let run = probe(&h, dir.path(), &["--probe-namespace", &ns]);
    let all = format!("{}{}", run.stdout, run.stderr);
    // Without seccompProfile: RuntimeDefault, restricted refuses this pod too.
    assert!(
        audit(dir.path())
            .iter()
            .any(|l| l.to_string().contains("\"created\"")),
        "{all}"
    );
}

/// A labelled pod in a tenant's namespace, or one without an expiry, is not
/// pulltui's to delete; a console in `--read-only` or `--dry-run` deletes
/// nothing at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_deletes_only_expired_probe_pods_of_its_namespace_and_never_read_only() {
    let Some(h) = support::harness() else { return };
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let tenant = h.namespace(&c, "sweep-tenant").await;
    let decoy = |name: &str, expires: Option<&str>| {
        let mut anns = serde_json::Map::new();
        if let Some(e) = expires {
            anns.insert("pulltui.dev/expires-at".into(), json!(e));
        }
        serde_json::from_value::<Pod>(json!({
            "metadata": {"name": name, "annotations": anns, "labels": {
                "app.kubernetes.io/managed-by": "pulltui",
                "app.kubernetes.io/component": "registry-probe"}},
            "spec": {"containers": [{"name": "c", "image": h.var("PULLTUI_PROBE_IMAGE")}],
                     "nodeSelector": {"kubernetes.io/hostname": "nowhere"}}
        }))
        .expect("pod")
    };
    let pods = Api::<Pod>::namespaced(c.clone(), &tenant.name);
    pods.create(
        &PostParams::default(),
        &decoy("tenant-decoy", Some("2000-01-01T00:00:00Z")),
    )
    .await
    .expect("decoy");
    // In a probe namespace of this test's own (other consoles of the
    // suite sweep the default one): one expired, one with no expiry.
    let probe_ns = h.namespace(&c, "sweep-probe").await;
    let own = Api::<Pod>::namespaced(c.clone(), &probe_ns.name);
    let suffix = format!("{:x}", std::process::id());
    let expired = format!("old-{suffix}");
    let undated = format!("undated-{suffix}");
    own.create(
        &PostParams::default(),
        &decoy(&expired, Some("2000-01-01T00:00:00Z")),
    )
    .await
    .expect("expired");
    own.create(&PostParams::default(), &decoy(&undated, None))
        .await
        .expect("undated");
    let exists = |api: Api<Pod>, name: String| async move {
        api.get_opt(&name)
            .await
            .ok()
            .flatten()
            .is_some_and(|p| p.metadata.deletion_timestamp.is_none())
    };
    // A read-only and a dry-run console: nothing is deleted.
    for mode in ["--read-only", "--dry-run"] {
        let t = support_console(&h, &[mode, "--probe-namespace", &probe_ns.name]);
        std::thread::sleep(Duration::from_secs(4));
        drop(t);
        assert!(
            exists(own.clone(), expired.clone()).await,
            "{mode} deleted a pod"
        );
    }
    // A console that may write: only the expired pod of its namespace goes.
    let t = support_console(&h, &["--probe-namespace", &probe_ns.name]);
    let start = std::time::Instant::now();
    while exists(own.clone(), expired.clone()).await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the expired probe pod stayed"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(t);
    assert!(
        exists(own.clone(), undated.clone()).await,
        "a pod without an expiry was deleted"
    );
    assert!(
        exists(pods.clone(), "tenant-decoy".into()).await,
        "a pod in a tenant's namespace was deleted"
    );
    probe_ns.delete().await;
    tenant.delete().await;
}

/// The console, in a pseudo-terminal (util-linux `script`), until dropped.
struct Console {
    child: std::process::Child,
    _pulltui: Pulltui,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The console as `admin` on all namespaces, `args` after.
fn support_console(h: &Harness, args: &[&str]) -> Console {
    let console = h
        .pulltui()
        .env("TERM", "xterm-256color")
        .context("admin")
        .arg("-A")
        .args(args);
    let child = console
        .pty("stty cols 120 rows 40;")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the console under script");
    Console {
        child,
        _pulltui: console,
    }
}
