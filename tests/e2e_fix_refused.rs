//! `pulltui fix` refusing, or changing nothing, end to end on the real
//! harness: a dry run (the server asked with `dryRun=All`, nothing written),
//! the viewer's readable 403, no terminal and no `--yes` (nothing applied;
//! bad input exits 2), and a change between preview and apply (reported,
//! not clobbered). The fixes that work are in `e2e_fix.rs`.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use support::Fixture;
use support::fix::{assert_fixed, create_pull_secret, fix, fix_as, pod_arg, template_of};
use support::scenarios::ANN_SKIP_VERIFY;
use support::workload::{W, app_image, as_written};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_changes_nothing_on_the_server() {
    let Some(t) = Fixture::new("fix-dry").await else {
        return;
    };
    let ns = t.ns().to_string();
    let w = W::new("Deployment", "web", app_image(t.h.reg_auth()));
    let pod = t.failing(&w).await;
    let before = t.deployment("web").await;

    let run = fix(
        &t,
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "annotate-skip-verify",
            "--dry-run",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let v = run.json();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["applied"], false);
    assert_eq!(
        v["writes"][0]["action"], "patched",
        "the server answered the dry run: {run:?}"
    );
    assert!(run.stderr.contains("dry run: dryRun=All"), "{run:?}");

    let run = create_pull_secret(&t, "admin", &pod_arg(&ns, &pod), &["--dry-run"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("dry run, accepted: created Secret"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("dry run, accepted: patched Deployment"),
        "{run:?}"
    );

    let after = t.deployment("web").await;
    assert_eq!(as_written(&after), as_written(&before), "nothing changed");
    assert_eq!(template_of(&after), template_of(&before));
    let secrets = Api::<Secret>::namespaced(t.c.clone(), &ns);
    let name = format!("regcred-{}", t.h.reg_auth().replace(['.', ':'], "-"));
    assert!(
        secrets
            .get_opt(&name)
            .await
            .expect("reading secret")
            .is_none()
    );
    let audit = t.dirs().audit_lines();
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|a| a["dry_run"] == true && a["result"] == "ok"),
        "{audit:?}"
    );
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_gets_a_readable_forbidden_and_nothing_changes() {
    let Some(t) = Fixture::new("fix-viewer").await else {
        return;
    };
    let ns = t.ns().to_string();
    let w = W::new("Deployment", "web", app_image(t.h.reg_selfsigned()));
    let pod = t.failing(&w).await;
    let before = t.deployment("web").await;

    let run = fix_as(
        &t,
        "viewer",
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "annotate-skip-verify",
            "--yes",
            "--json",
        ],
        None,
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    let v = run.json();
    assert_eq!(v["error"]["status"], 403, "{run:?}");
    assert!(run.stderr.contains("forbidden (403)"), "{run:?}");
    assert!(run.stderr.contains("patching Deployment"), "{run:?}");
    let after = t.deployment("web").await;
    assert_eq!(as_written(&after), as_written(&before), "nothing changed");

    let pass = t.h.reg_auth_pass().to_string();
    let run = fix_as(
        &t,
        "viewer",
        &[
            &pod_arg(&ns, &pod),
            "--fix",
            "create-pull-secret",
            "--username",
            "u",
            "--password-stdin",
            "--yes",
        ],
        Some(&pass),
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("creating Secret") && run.stderr.contains("forbidden"),
        "{run:?}"
    );
    let after = t.deployment("web").await;
    assert_eq!(template_of(&after), template_of(&before));
    let audit = t.dirs().audit_lines();
    assert!(audit.iter().all(|a| a["result"] == "api"), "{audit:?}");
    t.assert_files_clean();
    t.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_or_yes_nothing_is_applied_and_bad_input_exits_2() {
    let Some(t) = Fixture::new("fix-usage").await else {
        return;
    };
    let ns = t.ns().to_string();
    let w = W::new("Pod", "bare", app_image(t.h.reg_selfsigned()));
    t.failing(&w).await;
    let pods: Api<Pod> = Api::namespaced(t.c.clone(), &ns);
    let rv = pods.get("bare").await.expect("pod").metadata.annotations;

    let run = fix(
        &t,
        &[&pod_arg(&ns, "bare"), "--fix", "annotate-skip-verify"],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("--yes"), "{run:?}");
    assert!(
        run.stdout.contains("annotate Pod/bare"),
        "the preview is printed: {run:?}"
    );
    assert_eq!(
        pods.get("bare").await.expect("pod").metadata.annotations,
        rv
    );

    let run = fix(&t, &[&pod_arg(&ns, "bare"), "--fix", "restart", "--yes"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("bare pod"), "{run:?}");
    let run = fix(
        &t,
        &[&pod_arg(&ns, "bare"), "--fix", "no-such-fix", "--yes"],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    let run = fix(
        &t,
        &[
            &pod_arg(&ns, "bare"),
            "--fix",
            "set-image",
            "--image",
            "Bad:Image:Ref",
            "--yes",
        ],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("invalid image"), "{run:?}");
    let run = fix(&t, &[&pod_arg(&ns, "nope"), "--fix", "restart", "--yes"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("not found"), "{run:?}");

    // And the bare pod, annotated in place, runs.
    let run = fix(
        &t,
        &[
            &pod_arg(&ns, "bare"),
            "--fix",
            "annotate-skip-verify",
            "--value",
            "all",
            "--yes",
        ],
    );
    assert!(
        run.stdout.contains("kubectl -n ") && run.stdout.contains(" annotate pod bare --overwrite"),
        "{run:?}"
    );
    assert_fixed(&t, &run, "bare", "Pod/bare", 1, false).await;
    t.delete().await;
}

/// Library level, the console's path: a change between preview and apply
/// is reported, never overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_between_preview_and_apply_is_reported_and_not_clobbered() {
    use pulltui::cluster::mutate::{self, MutationError};
    use pulltui::domain::mutation::{FixId, FixParams, plan};

    let Some(t) = Fixture::new("fix-race").await else {
        return;
    };
    let ns = t.ns().to_string();
    let mut w = W::new("Deployment", "web", app_image(t.h.reg_selfsigned()));
    w.annotations = json!({ANN_SKIP_VERIFY: "first.example"});
    let pod = t.failing(&w).await;

    let facts = mutate::pod_facts(
        &t.c,
        &pulltui::domain::failing::PodKey::new(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ns,
            &pod,
        ),
        None,
    )
    .await
    .expect("pod facts");
    assert_eq!(facts.context.target.to_string(), "Deployment/web");
    let m = plan(
        &facts.context,
        FixId::AnnotateSkipVerify,
        &FixParams::default(),
    )
    .expect("plan");
    let prepared = mutate::prepare(&t.c, m).await.expect("prepare");
    assert!(
        prepared.preview.to_string().contains("first.example,"),
        "{}",
        prepared.preview
    );

    // Someone else changes the same annotation meanwhile.
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {ANN_SKIP_VERIFY: "someone.else"}}}}});
    Api::<Deployment>::namespaced(t.c.clone(), &ns)
        .patch("web", &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .expect("concurrent patch");

    let err = mutate::apply(&t.c, &prepared, false)
        .await
        .expect_err("must not apply");
    let MutationError::Changed {
        ref was, ref now, ..
    } = err
    else {
        panic!("expected Changed, got {err:?}")
    };
    assert_eq!(
        (was.as_str(), now.as_str()),
        ("\"first.example\"", "\"someone.else\"")
    );
    assert!(
        err.to_string().contains("changed since the preview"),
        "{err}"
    );
    let d = t.deployment("web").await;
    assert_eq!(
        template_of(&d)["metadata"]["annotations"][ANN_SKIP_VERIFY],
        "someone.else"
    );

    // The password in a planned mutation never shows in Debug.
    let params = FixParams {
        username: Some(t.h.reg_auth_user().into()),
        password: Some(t.h.reg_auth_pass().into()),
        ..FixParams::default()
    };
    let m = plan(&facts.context, FixId::CreatePullSecret, &params).expect("plan secret");
    let prepared = mutate::prepare(&t.c, m).await.expect("prepare secret");
    t.assert_no_password(
        &format!("{prepared:?} {params:?} {}", prepared.preview),
        "Debug output",
    );
    t.delete().await;
}
