//! Writes that do only what the preview showed (issue 20): on the real
//! harness, with identities that may do only part of a write, pods and
//! owners a tenant made up, and objects that change under the preview.

mod support;

use std::path::Path;
use std::process::Command;

use k8s_openapi::api::batch::v1::Job;
use kube::api::Api;
use serde_json::{Value, json};
use support::Harness;
use support::tenant::identity;
use support::workload::{W, failing_pod};

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `pulltui ARGS` with `kubeconfig`, its files under `dir`.
fn pulltui(kubeconfig: &Path, dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pulltui"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("PULLTUI_DATA_DIR", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("PULLTUI_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running pulltui");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn audit(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("data").join("audit.jsonl")).unwrap_or_default()
}

async fn setup(prefix: &str) -> Option<(Harness, kube::Client, support::TestNamespace)> {
    let h = support::harness()?;
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, prefix).await;
    Some((h, c, ns))
}

/// A Job fix by someone who may delete Jobs but not create them: the new
/// Job is validated (a dry-run create) before anything is deleted, so the
/// Job survives, and its spec (a literal env value) is in no message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_not_deleted_when_its_re_creation_would_be_refused() {
    let Some((h, c, ns)) = setup("w-job").await else {
        return;
    };
    let mut w = W::new(
        "Job",
        "once",
        format!("{}/team/app:9.9-missing", h.reg_auth()),
    );
    w.annotations = json!({});
    w.create(&c, &ns.name).await;
    let jobs: Api<Job> = Api::namespaced(c.clone(), &ns.name);
    let pod = failing_pod(&c, &ns.name, "once").await;
    let before = jobs.get("once").await.expect("job");
    let rules = json!([
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "delete"]},
        {"apiGroups": [""], "resources": ["pods", "events", "serviceaccounts"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]}]);
    let id = identity(&h, &c, &ns.name, "deleter", rules).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let run = pulltui(
        &id.kubeconfig,
        dir.path(),
        &[
            "fix",
            &format!("{}/{pod}", ns.name),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--yes",
            "--json",
        ],
    );
    assert_ne!(run.code, Some(0), "{run:?}");
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(text.contains("nothing deleted"), "{run:?}");
    let after = jobs.get("once").await.expect("the Job is still there");
    assert_eq!(after.metadata.uid, before.metadata.uid, "the same Job");
    assert!(
        !text.contains("\"containers\""),
        "no spec in the output: {run:?}"
    );
    let log = audit(dir.path());
    assert!(
        !log.contains("\"containers\""),
        "no spec in the audit log: {log}"
    );
    ns.delete().await;
}

/// `--dry-run` sees a re-creation the server would refuse (it used to
/// validate only the delete, and said the fix would work).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_job_fix_validates_the_new_job_too() {
    let Some((h, c, ns)) = setup("w-jobdry").await else {
        return;
    };
    W::new(
        "Job",
        "once",
        format!("{}/team/app:9.9-missing", h.reg_auth()),
    )
    .create(&c, &ns.name)
    .await;
    let pod = failing_pod(&c, &ns.name, "once").await;
    let rules = json!([
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "delete"]},
        {"apiGroups": [""], "resources": ["pods", "events", "serviceaccounts"], "verbs": ["get", "list", "watch"]}]);
    let id = identity(&h, &c, &ns.name, "deleter", rules).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let run = pulltui(
        &id.kubeconfig,
        dir.path(),
        &[
            "fix",
            &format!("{}/{pod}", ns.name),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--dry-run",
            "--yes",
            "--json",
        ],
    );
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("nothing deleted"),
        "{run:?}"
    );
    let jobs: Api<Job> = Api::namespaced(c.clone(), &ns.name);
    jobs.get("once").await.expect("the Job is still there");
    ns.delete().await;
}
