//! `pulltui fix` end to end on the real harness: the real binary against the
//! API server, the kubelet simulator really pulling from the loopback
//! registries. Each test has its own namespace and its own data (audit) and
//! state (log) directories, so tests run in parallel.
//!
//! Where a fix refuses or changes nothing (dry run, 403, no `--yes`, a
//! change between preview and apply): `e2e_fix_refused.rs`.
//!
//! Every fix must make the new pods Running and the follow-up say so; the
//! server's objects are compared field by field (other annotations and pull
//! secrets survive); the test password and its base64 never appear in
//! stdout, stderr, the audit log, the log file or Debug output.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::{Api, PostParams};
use serde_json::json;
use support::fix::{assert_fixed, create_pull_secret, fix, fix_as, pod_arg, template_of};
use support::scenarios::{ANN_HTTP, ANN_SKIP_VERIFY, ensure_secret};
use support::workload::{W, app_image, failing_pod};
use support::{Fixture, pod_state, pods_of, wait_pod};

const SETTLE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_verify_fixes_the_self_signed_registry_and_keeps_other_fields() {
    let Some(t) = Fixture::new("fix-tls").await else {
        return;
    };
    let ns = t.ns().to_string();
    ensure_secret(&t.c, &ns, "keep-secret", "other.example", &t.h).await;
    let mut w = W::new("Deployment", "web", app_image(t.h.reg_selfsigned()));
    w.replicas = 2;
    w.annotations = json!({"keep": "me", ANN_SKIP_VERIFY: "other.example"});
    w.pull_secrets = &["keep-secret"];
    let pod = t.failing(&w).await;

    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "annotate-skip-verify",
            "--yes",
        ],
    );
    let host = t.h.reg_selfsigned();
    assert!(
        run.stdout.contains(&format!(
            "+   \"{ANN_SKIP_VERIFY}\": \"other.example,{host}\""
        )),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("kubectl -n ")
            && run
                .stdout
                .contains(" patch deployment/web --type strategic -p '"),
        "{run:?}"
    );
    assert_fixed(&t, &run, "web", "Deployment/web", 2, true).await;

    let d = t.deployment("web").await;
    assert_eq!(
        template_of(&d)["metadata"]["annotations"],
        json!({"keep": "me", ANN_SKIP_VERIFY: format!("other.example,{host}")})
    );
    assert_eq!(
        template_of(&d)["spec"]["imagePullSecrets"],
        json!([{"name": "keep-secret"}])
    );
    assert_eq!(
        template_of(&d)["spec"]["containers"][0]["image"],
        json!(format!("{host}/team/app:1.0"))
    );
    let audit = t.dirs().audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let a = &audit[0];
    assert_eq!(a["context"], "admin");
    assert_eq!(a["user"], "admin");
    assert_eq!(a["dry_run"], false);
    assert_eq!(a["result"], "ok");
    assert_eq!(a["object"]["kind"], "Deployment");
    assert_eq!(a["object"]["name"], "web");
    assert!(a["object"]["resource_version_before"].is_string(), "{a}");
    assert!(a["object"]["resource_version_after"].is_string(), "{a}");
    assert!(
        a["server"]
            .as_str()
            .unwrap_or("")
            .starts_with("https://127.0.0.1:"),
        "{a}"
    );
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_endpoint_with_its_port_fixes_a_statefulset_deleting_the_stuck_pod() {
    let Some(t) = Fixture::new("fix-http").await else {
        return;
    };
    let ns = t.ns().to_string();
    let mut w = W::new("StatefulSet", "db", app_image(t.h.reg_http()));
    w.annotations = json!({"keep": "me"});
    let pod = t.failing(&w).await;
    assert_eq!(pod, "db-0");

    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "annotate-http-endpoint",
            "--yes",
            "--json",
        ],
    );
    let host = t.h.reg_http();
    assert!(host.contains(':'), "the HTTP registry has a port: {host}");
    let v = run.json();
    assert_eq!(v["applied"], true, "{run:?}");
    assert_eq!(
        v["target"],
        json!({"kind": "StatefulSet", "apiVersion": "apps/v1", "namespace": ns, "name": "db"})
    );
    let notes = v["preview"]["notes"].to_string();
    assert!(notes.contains("OrderedReady"), "{run:?}");
    let writes: Vec<String> = v["writes"]
        .as_array()
        .expect("writes")
        .iter()
        .map(|w| {
            format!(
                "{} {} {}",
                w["action"].as_str().unwrap_or(""),
                w["kind"].as_str().unwrap_or(""),
                w["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        writes,
        vec!["patched StatefulSet db", "deleted Pod db-0"],
        "{run:?}"
    );
    assert_eq!(v["follow"]["resolved"], true, "{run:?}");
    assert!(
        v["follow"]["summary"]
            .as_str()
            .unwrap_or("")
            .starts_with("StatefulSet/db: 1/1 new pod Running after "),
        "{run:?}"
    );
    let s = serde_json::to_value(
        Api::<StatefulSet>::namespaced(t.c.clone(), &ns)
            .get("db")
            .await
            .expect("sts"),
    )
    .expect("json");
    assert_eq!(
        template_of(&s)["metadata"]["annotations"],
        json!({"keep": "me", ANN_HTTP: host})
    );
    let p = wait_pod(&t.c, &ns, "db", SETTLE, "Running", |p| {
        pod_state(p).as_deref() == Some("Running")
    })
    .await;
    assert_eq!(
        p.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANN_HTTP))
            .map(String::as_str),
        Some(host)
    );
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pull_secret_on_the_template_fixes_the_auth_registry() {
    let Some(t) = Fixture::new("fix-auth-tpl").await else {
        return;
    };
    let ns = t.ns().to_string();
    // A secret for another host stays in the list.
    ensure_secret(&t.c, &ns, "keep-secret", t.h.reg_http(), &t.h).await;
    let mut w = W::new("Deployment", "web", app_image(t.h.reg_auth()));
    w.pull_secrets = &["keep-secret"];
    let pod = t.failing(&w).await;

    let user = t.h.reg_auth_user().to_string();
    let pass = format!("{}\n", t.h.reg_auth_pass());
    let run = fix_as(
        &t,
        "admin",
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "create-pull-secret",
            "--username",
            &user,
            "--password-stdin",
            "--yes",
        ],
        Some(&pass),
    );
    assert!(
        run.stdout.contains("--docker-password=\"$PASSWORD\""),
        "{run:?}"
    );
    let name = format!("regcred-{}", t.h.reg_auth().replace(['.', ':'], "-"));
    assert!(
        run.stdout.contains(&format!("created Secret {ns}/{name}")),
        "{run:?}"
    );
    assert_fixed(&t, &run, "web", "Deployment/web", 1, true).await;
    let d = t.deployment("web").await;
    assert_eq!(
        template_of(&d)["spec"]["imagePullSecrets"],
        json!([{"name": "keep-secret"}, {"name": name}])
    );
    let s = Api::<Secret>::namespaced(t.c.clone(), &ns)
        .get(&name)
        .await
        .expect("secret");
    assert_eq!(s.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
    // Debug output of the prepared mutation never holds the password.
    let audit = t.dirs().audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["object"]["kind"], "Secret");
    assert_eq!(
        audit[0]["writes"].as_array().map(Vec::len),
        Some(2),
        "{:?}",
        audit[0]
    );
    t.assert_files_clean();

    // The same name again: never overwritten, exit 1, and says so.
    let again = fix_as(
        &t,
        "admin",
        &[
            &pod_arg(
                &ns,
                &pods_of(&t.c, &ns, "web").await[0]
                    .metadata
                    .name
                    .clone()
                    .expect("name"),
            ),
            "--fix",
            "create-pull-secret",
            "--secret-name",
            "keep-secret",
            "--username",
            &user,
            "--password-stdin",
            "--attach",
            "none",
            "--yes",
        ],
        Some(&pass),
    );
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("never overwrites"),
        "{again:?}"
    );
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_secret_on_the_service_account_plus_restart_fixes_the_auth_registry() {
    let Some(t) = Fixture::new("fix-auth-sa").await else {
        return;
    };
    let ns = t.ns().to_string();
    let pod = t.web_as_a_service_account().await;

    let run = create_pull_secret(
        &t,
        "admin",
        &pod_arg(&ns, &pod),
        &["--secret-name", "sa-cred", "--attach", "serviceaccount"],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("only pods created after"), "{run:?}");
    assert!(
        run.stdout
            .contains("not following: a ServiceAccount's pull secrets reach only new pods"),
        "{run:?}"
    );
    let sa = Api::<ServiceAccount>::namespaced(t.c.clone(), &ns)
        .get("puller")
        .await
        .expect("sa");
    let names: Vec<String> = sa
        .image_pull_secrets
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["keep-secret".to_string(), "sa-cred".into()]);
    // The template did not change.
    let d = t.deployment("web").await;
    assert_eq!(template_of(&d)["spec"].get("imagePullSecrets"), None);

    let restart = fix(&t, &[&pod_arg(&ns, &pod), "--fix", "restart", "--yes"]);
    assert!(
        restart
            .stdout
            .contains(&format!("kubectl -n {ns} rollout restart deployment/web")),
        "{restart:?}"
    );
    assert_fixed(&t, &restart, "web", "Deployment/web", 1, true).await;
    let d = t.deployment("web").await;
    let at = template_of(&d)["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        .as_str()
        .expect("restartedAt")
        .to_string();
    assert!(
        at.parse::<jiff::Timestamp>().is_ok() && at.ends_with('Z'),
        "{at}"
    );
    assert_eq!(t.dirs().audit_lines().len(), 2);
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_the_missing_referenced_secret_fixes_the_pods_in_place() {
    let Some(t) = Fixture::new("fix-missing").await else {
        return;
    };
    let ns = t.ns().to_string();
    let mut w = W::new(
        "Deployment",
        "web",
        format!("{}/library/tiny:latest", t.h.reg_auth()),
    );
    w.pull_secrets = &["does-not-exist"];
    let pod = t.failing(&w).await;
    let before = t.deployment("web").await;

    let run = create_pull_secret(&t, "admin", &pod_arg(&ns, &pod), &[]);
    assert!(
        run.stdout
            .contains(&format!("create pull secret {ns}/does-not-exist")),
        "{run:?}"
    );
    assert_fixed(&t, &run, "web", "Deployment/web", 1, false).await;
    // Attached already: the template is untouched, the same pod recovered.
    let after = t.deployment("web").await;
    assert_eq!(template_of(&after), template_of(&before));
    let pods = pods_of(&t.c, &ns, "web").await;
    assert!(
        pods.iter()
            .any(|p| p.metadata.name.as_deref() == Some(pod.as_str())),
        "fixed in place"
    );
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_recreates_a_job_with_a_missing_tag() {
    let Some(t) = Fixture::new("fix-job").await else {
        return;
    };
    let ns = t.ns().to_string();
    ensure_secret(&t.c, &ns, "regcred", t.h.reg_auth(), &t.h).await;
    let mut w = W::new(
        "Job",
        "once",
        format!("{}/team/app:9.9-missing", t.h.reg_auth()),
    );
    w.pull_secrets = &["regcred"];
    w.annotations = json!({"keep": "me"});
    let pod = t.failing(&w).await;
    let jobs: Api<Job> = Api::namespaced(t.c.clone(), &ns);
    let old_uid = jobs.get("once").await.expect("job").metadata.uid;

    let image = format!("{}/team/app:1.0", t.h.reg_auth());
    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--yes",
        ],
    );
    assert!(run.stdout.contains("recreate Job/once"), "{run:?}");
    assert!(run.stdout.contains("immutable"), "{run:?}");
    assert!(
        run.stdout.contains("kubectl replace --force -f -"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("deleted Job {ns}/once")),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("created Job {ns}/once")),
        "{run:?}"
    );
    assert_fixed(&t, &run, "once", "Job/once", 1, true).await;
    let j = jobs.get("once").await.expect("job");
    assert_ne!(j.metadata.uid, old_uid, "a new Job");
    let jv = serde_json::to_value(&j).expect("json");
    assert_eq!(
        template_of(&jv)["spec"]["containers"][0]["image"],
        json!(image)
    );
    assert_eq!(
        template_of(&jv)["spec"]["imagePullSecrets"],
        json!([{"name": "regcred"}])
    );
    assert_eq!(
        template_of(&jv)["metadata"]["annotations"],
        json!({"keep": "me"})
    );
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_secret_copied_from_another_namespace_fixes_the_auth_registry() {
    let Some(t) = Fixture::new("fix-copy").await else {
        return;
    };
    let ns = t.ns().to_string();
    let source = t.h.namespace(&t.c, "fix-copy-src").await;
    ensure_secret(&t.c, &source.name, "shared", t.h.reg_auth(), &t.h).await;
    let w = W::new("Deployment", "web", app_image(t.h.reg_auth()));
    let pod = t.failing(&w).await;

    // Without --from: the candidates are listed (namespace/name/user, no data).
    let run = fix(
        &t,
        &[&pod_arg(&ns, &pod), "--fix", "copy-pull-secret", "--yes"],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    let line = format!("{}/shared  user {}", source.name, t.h.reg_auth_user());
    assert!(run.stdout.contains(&line), "{run:?}");

    let from = format!("{}/shared", source.name);
    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "copy-pull-secret",
            "--from",
            &from,
            "--yes",
        ],
    );
    assert!(
        run.stdout.contains(&format!("created Secret {ns}/shared")),
        "{run:?}"
    );
    assert_fixed(&t, &run, "web", "Deployment/web", 1, true).await;
    let secrets = Api::<Secret>::namespaced(t.c.clone(), &ns);
    let copy = secrets.get("shared").await.expect("the copy");
    let orig = Api::<Secret>::namespaced(t.c.clone(), &source.name)
        .get("shared")
        .await
        .expect("the source");
    assert_eq!(copy.type_, orig.type_);
    assert_eq!(copy.data, orig.data);
    let d = t.deployment("web").await;
    assert_eq!(
        template_of(&d)["spec"]["imagePullSecrets"],
        json!([{"name": "shared"}])
    );
    t.assert_files_clean();
    source.delete().await;
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreferenced_secret_that_covers_the_registry_is_offered_and_attached() {
    let Some(t) = Fixture::new("fix-attach").await else {
        return;
    };
    let ns = t.ns().to_string();
    ensure_secret(&t.c, &ns, "there", t.h.reg_auth(), &t.h).await;
    ensure_secret(&t.c, &ns, "elsewhere", t.h.reg_http(), &t.h).await;
    let w = W::new("Deployment", "web", app_image(t.h.reg_auth()));
    let pod = t.failing(&w).await;

    let run = fix(
        &t,
        &[&pod_arg(&ns, &pod), "--fix", "attach-pull-secret", "--yes"],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stdout.contains(&format!("{ns}/there  user")), "{run:?}");
    assert!(
        !run.stdout.contains("elsewhere"),
        "covers another registry: {run:?}"
    );

    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "attach-pull-secret",
            "--secret",
            "there",
            "--yes",
        ],
    );
    assert_fixed(&t, &run, "web", "Deployment/web", 1, true).await;
    let d = t.deployment("web").await;
    assert_eq!(
        template_of(&d)["spec"]["imagePullSecrets"],
        json!([{"name": "there"}])
    );
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_names_the_new_cause_when_the_new_pods_still_fail() {
    let Some(t) = Fixture::new("fix-still").await else {
        return;
    };
    let ns = t.ns().to_string();
    let w = W::new("Deployment", "web", app_image(t.h.reg_selfsigned()));
    let pod = t.failing(&w).await;
    // A "mirror" that speaks plain HTTP: applied, but the new pod fails anew.
    let image = format!("{}/team/app:1.0", t.h.reg_http());
    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "set-image",
            "--image",
            &image,
            "--yes",
            "--follow-timeout",
            "15",
            "--json",
        ],
    );
    assert_eq!(run.code, Some(0), "applied: {run:?}");
    let v = run.json();
    assert_eq!(v["follow"]["resolved"], false, "{run:?}");
    assert_eq!(
        v["follow"]["summary"],
        "Deployment/web: new pod still failing: protocol.http-registry (was tls.untrusted) ✗",
        "{run:?}"
    );
    assert_eq!(v["follow"]["category"], "protocol.http-registry");
    assert_eq!(v["follow"]["was"], "tls.untrusted");
    t.delete().await;
}

/// A CronJob as the harness serves it (batch/v1beta1 on 1.20, batch/v1
/// from 1.21; v1beta1 is gone from 1.25), whose Job (made here as the
/// CronJob controller would, owned by it) fails its pull: the fix changes
/// the CronJob's `jobTemplate`, found through the owner reference's
/// apiVersion, and says that only its next Job uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cronjob_is_fixed_in_its_job_template_through_its_served_version() {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let Some(t) = Fixture::new("fix-cron").await else {
        return;
    };
    let version = if t.h.k8s_minor() < 21 {
        "v1beta1"
    } else {
        "v1"
    };
    let api_version = format!("batch/{version}");
    let ns = t.ns().to_string();
    let image = format!("{}/team/app:1.0", t.h.reg_selfsigned());
    let gvk = GroupVersionKind::gvk("batch", version, "CronJob");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "cronjobs");
    let crons: Api<DynamicObject> = Api::namespaced_with(t.c.clone(), &ns, &ar);
    let w = W::new("Job", "nightly", image.clone());
    let cron: DynamicObject = serde_json::from_value(json!({
        "apiVersion": api_version, "kind": "CronJob",
        "metadata": {"name": "nightly", "annotations": {"keep": "me"}},
        // Never due: the only Job is the one made below.
        "spec": {"schedule": "0 0 1 1 *", "suspend": true,
                 "jobTemplate": {"spec": {"backoffLimit": 4, "template": w.template()}}}
    }))
    .expect("cronjob");
    let cron = crons
        .create(&PostParams::default(), &cron)
        .await
        .expect("creating the CronJob");
    let uid = cron.metadata.uid.clone().expect("uid");
    let job: Job = serde_json::from_value(json!({
        "metadata": {"name": "nightly-1", "labels": {"app": "nightly"},
            "ownerReferences": [{"apiVersion": api_version, "kind": "CronJob",
                "name": "nightly", "uid": uid, "controller": true}]},
        "spec": {"backoffLimit": 4, "template": w.template()}
    }))
    .expect("job");
    Api::<Job>::namespaced(t.c.clone(), &ns)
        .create(&PostParams::default(), &job)
        .await
        .expect("creating the Job");
    let pod = failing_pod(&t.c, &ns, "nightly").await;

    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "annotate-skip-verify",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let v = run.json();
    assert_eq!(v["target"]["kind"], "CronJob", "{v}");
    assert_eq!(v["target"]["apiVersion"], api_version.as_str(), "{v}");
    assert!(
        run.stderr.contains("kubectl -n ") && run.stderr.contains("patch cronjob/nightly"),
        "{run:?}"
    );
    assert!(run.stderr.contains("next Job"), "{run:?}");
    let after = crons.get("nightly").await.expect("reading the CronJob");
    let after = serde_json::to_value(after).expect("json");
    assert_eq!(
        after["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"],
        json!({ANN_SKIP_VERIFY: t.h.reg_selfsigned()})
    );
    assert_eq!(after["metadata"]["annotations"]["keep"], "me");
    assert_eq!(
        after["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
        json!(image)
    );
    t.delete().await;
}
