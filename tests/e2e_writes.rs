//! Writes that do only what the preview showed: on the real
//! harness, with identities that may do only part of a write, pods and
//! owners a tenant made up, and objects that change under the preview.

mod support;

use std::path::Path;

use k8s_openapi::api::batch::v1::Job;
use kube::api::Api;
use serde_json::json;
use support::tenant::identity;
use support::workload::{W, as_written, failing_pod};
use support::{Fixture, Pulltui};

fn audit(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("data").join("audit.jsonl")).unwrap_or_default()
}

/// A Job fix by someone who may delete Jobs but not create them: the new
/// Job is validated (a dry-run create) before anything is deleted, so the
/// Job survives, and its spec (a literal env value) is in no message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_not_deleted_when_its_re_creation_would_be_refused() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("w-job").await else {
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
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let run = Pulltui::new()
        .kubeconfig(&id.kubeconfig)
        .dir(dir.path())
        .args(&[
            "fix",
            &format!("{}/{pod}", ns.name),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--yes",
            "--json",
        ])
        .run();
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

/// `--dry-run` sees a re-creation the server would refuse: it validates
/// the new Job too, not only the delete, and does not say the fix would work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_job_fix_validates_the_new_job_too() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("w-jobdry").await else {
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
    let image = format!("{}/team/app:1.0", h.reg_auth());
    let run = Pulltui::new()
        .kubeconfig(&id.kubeconfig)
        .dir(dir.path())
        .args(&[
            "fix",
            &format!("{}/{pod}", ns.name),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--dry-run",
            "--yes",
            "--json",
        ])
        .run();
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("nothing deleted"),
        "{run:?}"
    );
    let jobs: Api<Job> = Api::namespaced(c.clone(), &ns.name);
    jobs.get("once").await.expect("the Job is still there");
    ns.delete().await;
}

/// `i` on a container the Deployment's template does not have (a sidecar
/// its pods got from an injecting webhook) is refused, as `kubectl set
/// image` refuses it; the template is left as it was (it does not gain the
/// container).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_on_an_injected_container_is_refused_and_writes_nothing() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("w-inject").await else {
        return;
    };
    let good = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    let label = h.var("PULLTUI_INJECT_LABEL").to_string();
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web", label.as_str(): "true"}},
                "spec": {"containers": [{"name": "web", "image": good}],
                         "terminationGracePeriodSeconds": 1}}}});
    let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(c.clone(), &ns.name);
    api.create(
        &Default::default(),
        &serde_json::from_value(deploy).expect("deployment"),
    )
    .await
    .expect("creating the deployment");
    let pod = support::wait_pod(
        &c,
        &ns.name,
        "web",
        std::time::Duration::from_secs(60),
        "the injected sidecar failing",
        |p| {
            p.status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .is_some_and(|l| {
                    l.iter().any(|cs| {
                        cs.name == "istio-proxy"
                            && cs.state.as_ref().and_then(|s| s.waiting.as_ref()).is_some()
                    })
                })
        },
    )
    .await
    .metadata
    .name
    .expect("name");
    let before =
        as_written(&serde_json::to_value(api.get("web").await.expect("get")).expect("json"));
    let run = Pulltui::new()
        .kubeconfig(h.kubeconfig())
        .dir(dir.path())
        .args(&[
            "--context",
            "admin",
            "fix",
            &format!("{}/{pod}", ns.name),
            "--fix",
            "set-image",
            "--container",
            "istio-proxy",
            "--image",
            &good,
            "--yes",
        ])
        .run();
    assert_ne!(run.code, Some(0), "{run:?}");
    // Refused from the injector's marker on the pod, or, for an
    // injector pulltui does not know, because the template lacks it.
    assert!(
        (run.stderr.contains("injected by istio")
            || run
                .stderr
                .contains("is not in Deployment/web's pod template"))
            && run.stderr.contains("injector"),
        "{run:?}"
    );
    let after =
        as_written(&serde_json::to_value(api.get("web").await.expect("get")).expect("json"));
    assert_eq!(before, after, "the Deployment was written to");
    ns.delete().await;
}

/// A pod anyone may create can name a Deployment it cannot edit as its
/// controller, with the Deployment's real uid. Its labels are not the
/// Deployment's: pulltui treats it as a bare pod, says why, and the
/// Deployment is left as it was (not annotated).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_naming_a_deployment_it_does_not_belong_to_steers_no_write() {
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("w-spoof").await else {
        return;
    };
    let image = format!("{}/team/app:1.0", h.reg_selfsigned());
    W::new(
        "Deployment",
        "web",
        format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN")),
    )
    .create(&c, &ns.name)
    .await;
    let deploys: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(c.clone(), &ns.name);
    let web = deploys.get("web").await.expect("deployment");
    let uid = web.metadata.uid.clone().expect("uid");
    // A tenant who may create pods here, and nothing else.
    let rules =
        json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "list"]}]);
    let tenant = identity(&h, &c, &ns.name, "tenant", rules).await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(tenant.client.clone(), &ns.name);
    let spoof: k8s_openapi::api::core::v1::Pod = serde_json::from_value(json!({
        "metadata": {"name": "web-5f7d8c9b6-zz9qx", "labels": {"app": "spoof"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                "uid": uid, "controller": true}]},
        "spec": {"containers": [{"name": "app", "image": image}], "terminationGracePeriodSeconds": 1}
    }))
    .expect("pod");
    pods.create(&Default::default(), &spoof)
        .await
        .expect("the tenant creates its pod");
    failing_pod(&c, &ns.name, "spoof").await;
    let before =
        as_written(&serde_json::to_value(deploys.get("web").await.expect("get")).expect("json"));
    let run = Pulltui::new()
        .kubeconfig(h.kubeconfig())
        .dir(dir.path())
        .args(&[
            "--context",
            "admin",
            "fix",
            &format!("{}/web-5f7d8c9b6-zz9qx", ns.name),
            "--fix",
            "annotate-skip-verify",
            "--yes",
            "--no-follow",
        ])
        .run();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("selector does not select the pod's labels")
            && run.stdout.contains("as a bare pod"),
        "{run:?}"
    );
    let after =
        as_written(&serde_json::to_value(deploys.get("web").await.expect("get")).expect("json"));
    assert_eq!(before, after, "the Deployment was written to");
    ns.delete().await;
}

/// A stuck StatefulSet pod named in the preview is deleted only if it is
/// still that pod: one re-created under the same name before `y` is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_replaced_after_the_preview_is_not_deleted() {
    use std::io::{BufRead as _, Write as _};
    let Some(Fixture { h, c, ns, dir }) = Fixture::new("w-sts").await else {
        return;
    };
    W::new(
        "StatefulSet",
        "db",
        format!("{}/team/app:9.9-missing", h.reg_selfsigned()),
    )
    .create(&c, &ns.name)
    .await;
    failing_pod(&c, &ns.name, "db").await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c.clone(), &ns.name);
    let image = format!("{}/library/tiny:latest", h.var("PULLTUI_REG_TOKEN"));
    // `fix` confirms on a terminal only: give it one (util-linux `script`).
    let fix = h.pulltui().dir(dir.path()).context("admin").args(&[
        "fix",
        &format!("{}/db-0", ns.name),
        "--fix",
        "set-image",
        "--image",
        &image,
        "--no-follow",
    ]);
    let mut child = fix
        .pty("")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pulltui fix under script");
    // Wait for the preview (it names db-0 for deletion) and the question.
    let stderr = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(stderr);
        let mut all = String::new();
        let mut buf = Vec::new();
        let mut asked = false;
        while let Ok(n) = r.read_until(b' ', &mut buf) {
            if n == 0 {
                break;
            }
            all.push_str(&String::from_utf8_lossy(&buf));
            buf.clear();
            if !asked && all.contains("[y/N]") {
                asked = true;
                let _ = tx.send(all.clone());
            }
        }
        let _ = tx.send(all);
    });
    let asked = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the question");
    assert!(asked.contains("[y/N]"), "{asked}");
    // db-0 is replaced: same name, another pod.
    let old = pods.get("db-0").await.expect("db-0").metadata.uid;
    pods.delete(
        "db-0",
        &kube::api::DeleteParams {
            grace_period_seconds: Some(0),
            ..Default::default()
        },
    )
    .await
    .expect("deleting db-0");
    let start = std::time::Instant::now();
    let new = loop {
        if let Ok(Some(p)) = pods.get_opt("db-0").await
            && p.metadata.uid != old
            && p.metadata.deletion_timestamp.is_none()
        {
            break p.metadata.uid;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "db-0 never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"y\n")
        .expect("answering y");
    let out = child.wait_with_output().expect("pulltui fix ends");
    let stdout = String::from_utf8_lossy(&out.stderr).into_owned();
    let rest = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{rest}");
    assert!(
        format!("{stdout}{rest}").contains("is not the pod the preview showed"),
        "{stdout}\n{rest}"
    );
    let now = pods.get("db-0").await.expect("db-0").metadata.uid;
    assert_eq!(now, new, "the replacement db-0 was deleted");
    ns.delete().await;
}
