//! Fixing from the console's keys, for real: the `pulltui` binary in tmux
//! against the harness, the kubelet simulator really pulling. Each scenario
//! is fixed with `a`, `c`, `i` or `k`: the form, the preview (`y` applies),
//! the toast and follow-up ("… new pods Running after … s ✓"), and the row
//! leaving the table. The server's objects are checked field by field; the
//! test password never appears on screen, in the audit log or the log file.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::Api;
use serde_json::{Value, json};
use support::scenarios::{ANN_HTTP, ANN_SKIP_VERIFY, ensure_secret};
use support::tmux::{Tmux, exit_line};
use support::workload::{W, failing_pod};
use support::{Fixture, pod_state, pods_of};

const FOLLOW: Duration = Duration::from_secs(120);
const SCREEN: Duration = Duration::from_secs(20);

/// One test's world and its console.
struct T {
    f: Fixture,
    tmux: Tmux,
}

async fn setup(prefix: &str) -> Option<T> {
    let f = Fixture::with_tmux(prefix).await?;
    let tmux = Tmux::start(prefix, 150, 45);
    Some(T { f, tmux })
}

impl T {
    fn ns(&self) -> String {
        self.f.ns().to_string()
    }

    /// Starts the console in the test's namespace with the test's data and
    /// state dirs, `extra` after the namespace.
    fn launch(&self, context: &str, extra: &[&str]) {
        self.tmux.launch(
            self.f
                .pulltui()
                .no_color()
                .env("PULLTUI_LOG", "debug")
                .context(context)
                .args(&["-n", self.f.ns()])
                .args(extra),
        );
    }

    fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let s = self.tmux.wait(what, timeout, pred);
        self.f.assert_no_password(&s, "the screen");
        s
    }

    /// Waits for the row of `workload` with `category`.
    fn wait_row(&self, workload: &str, category: &str) -> String {
        self.wait(&format!("the row {workload} {category}"), FOLLOW, |s| {
            s.lines()
                .any(|l| l.contains(workload) && l.contains(category))
        })
    }

    fn keys(&self, keys: &[&str]) {
        self.tmux.send(keys);
    }

    fn type_text(&self, s: &str) {
        self.tmux.type_text(s);
    }

    /// The preview is on screen: `y` applies it.
    fn confirm(&self, must_show: &[&str]) -> String {
        let s = self.wait("the preview", SCREEN, |s| {
            s.contains("equivalent kubectl") && must_show.iter().all(|m| s.contains(m))
        });
        self.keys(&["y"]);
        s
    }

    /// The follow-up says the fix worked, and the workload's row left.
    fn wait_fixed(&self, workload: &str, line_start: &str) -> String {
        self.wait(
            &format!("the follow-up {line_start:?} and {workload} leaving"),
            FOLLOW,
            |s| {
                s.contains(line_start)
                    && !s
                        .lines()
                        .any(|l| l.contains(workload) && l.contains("ImagePull"))
            },
        )
    }

    fn quit(&self) {
        self.keys(&["q"]);
        self.tmux
            .wait("the shell prompt after quitting", SCREEN, |s| {
                exit_line(s) == Some("PULLTUI-EXIT=0")
            });
    }

    async fn finish(self) {
        self.quit();
        self.f.assert_files_clean();
        self.f.delete().await;
    }
}

async fn json_of<K: serde::Serialize>(v: K) -> Value {
    serde_json::to_value(v).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skip_verify_fixes_the_self_signed_registry_from_the_keys() {
    let Some(t) = setup("tui-fix-tls").await else {
        return;
    };
    let ns = t.ns();
    ensure_secret(&t.f.c, &ns, "keep-secret", "other.example", &t.f.h).await;
    let mut w = W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", t.f.h.reg_selfsigned()),
    );
    w.replicas = 2;
    w.annotations = json!({"keep": "me", ANN_SKIP_VERIFY: "other.example"});
    w.pull_secrets = &["keep-secret"];
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "web").await;

    t.launch("admin", &[]);
    t.wait_row("Deployment/web", "tls.untrusted");
    t.keys(&["a"]);
    let host = t.f.h.reg_selfsigned().to_string();
    t.wait("the annotate form", SCREEN, |s| {
        s.contains("insecure-skip-verify") && s.contains(&host)
    });
    t.keys(&["Enter"]);
    t.confirm(&[
        &format!("\"other.example,{host}\""),
        "patch deployment/web --type strategic",
    ]);
    let s = t.wait_fixed(
        "Deployment/web",
        "Deployment/web: 2/2 new pods Running after",
    );
    assert!(s.contains("applied: patched") || s.contains("✓"), "{s}");

    let d = t.f.deployment("web").await;
    let tpl = &d["spec"]["template"];
    assert_eq!(
        tpl["metadata"]["annotations"],
        json!({"keep": "me", ANN_SKIP_VERIFY: format!("other.example,{host}")})
    );
    assert_eq!(
        tpl["spec"]["imagePullSecrets"],
        json!([{"name": "keep-secret"}])
    );
    let audit = t.f.dirs().audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["context"], "admin");
    assert_eq!(audit[0]["result"], "ok");
    assert_eq!(audit[0]["dry_run"], false);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_endpoint_fixes_a_statefulset_and_deletes_its_stuck_pod() {
    let Some(t) = setup("tui-fix-http").await else {
        return;
    };
    let ns = t.ns();
    let mut w = W::new(
        "StatefulSet",
        "db",
        format!("{}/team/app:1.0", t.f.h.reg_http()),
    );
    w.annotations = json!({"keep": "me"});
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "db").await;

    t.launch("admin", &[]);
    t.wait_row("StatefulSet/db", "protocol.http-registry");
    t.keys(&["a"]);
    // The preset that fits the cause comes first, with the port.
    let host = t.f.h.reg_http().to_string();
    t.wait("the http-endpoint preset", SCREEN, |s| {
        s.contains("http-endpoint") && s.contains(&host)
    });
    t.keys(&["Enter"]);
    t.confirm(&[&format!("\"{host}\""), "db-0"]);
    t.wait_fixed(
        "StatefulSet/db",
        "StatefulSet/db: 1/1 new pod Running after",
    );
    let sts = json_of(
        Api::<StatefulSet>::namespaced(t.f.c.clone(), &ns)
            .get("db")
            .await
            .expect("sts"),
    )
    .await;
    assert_eq!(
        sts["spec"]["template"]["metadata"]["annotations"],
        json!({"keep": "me", ANN_HTTP: host})
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pull_secret_typed_in_the_form_fixes_the_auth_registry() {
    let Some(t) = setup("tui-fix-auth").await else {
        return;
    };
    let ns = t.ns();
    ensure_secret(&t.f.c, &ns, "keep-secret", t.f.h.reg_http(), &t.f.h).await;
    let mut w = W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", t.f.h.reg_auth()),
    );
    w.pull_secrets = &["keep-secret"];
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "web").await;

    t.launch("admin", &[]);
    t.wait_row("Deployment/web", "auth.");
    t.keys(&["c"]);
    t.wait("the credential form", SCREEN, |s| {
        s.contains("username") && s.contains("password") && s.contains("secret name")
    });
    // The offers answered (from the username, or from "use" when some
    // secret covers the registry), to the username.
    t.tmux.credential_form_at_username(SCREEN);
    t.type_text(t.f.h.reg_auth_user());
    t.keys(&["Tab"]);
    t.type_text(t.f.h.reg_auth_pass());
    let masked = "•".repeat(t.f.h.reg_auth_pass().chars().count());
    t.wait("the masked password", SCREEN, |s| s.contains(&masked));
    t.keys(&["Enter"]);
    let name = format!("regcred-{}", t.f.h.reg_auth().replace(['.', ':'], "-"));
    t.confirm(&[&name, "\"$PASSWORD\""]);
    t.wait_fixed(
        "Deployment/web",
        "Deployment/web: 1/1 new pod Running after",
    );
    let d = t.f.deployment("web").await;
    assert_eq!(
        d["spec"]["template"]["spec"]["imagePullSecrets"],
        json!([{"name": "keep-secret"}, {"name": name}])
    );
    let s = Api::<Secret>::namespaced(t.f.c.clone(), &ns)
        .get(&name)
        .await
        .expect("secret");
    assert_eq!(s.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_secret_on_the_service_account_then_k_fixes_the_auth_registry() {
    let Some(t) = setup("tui-fix-sa").await else {
        return;
    };
    let ns = t.ns();
    t.f.web_as_a_service_account().await;

    t.launch("admin", &[]);
    t.wait_row("Deployment/web", "auth.");
    t.keys(&["c"]);
    t.wait("the credential form", SCREEN, |s| s.contains("attach to"));
    t.tmux.credential_form_at_username(SCREEN);
    t.type_text(t.f.h.reg_auth_user());
    t.keys(&["Tab"]);
    t.type_text(t.f.h.reg_auth_pass());
    // password → email → attach to; → ServiceAccount.
    t.keys(&["Tab", "Tab", "Right"]);
    t.wait("the ServiceAccount choice", SCREEN, |s| {
        s.contains("ServiceAccount (new pods only")
    });
    t.keys(&["Enter"]);
    t.confirm(&["ServiceAccount"]);
    t.wait("the note that only new pods get it", FOLLOW, |s| {
        s.contains("reach only new pods")
    });
    let sa = json_of(
        Api::<ServiceAccount>::namespaced(t.f.c.clone(), &ns)
            .get("puller")
            .await
            .expect("sa"),
    )
    .await;
    let name = format!("regcred-{}", t.f.h.reg_auth().replace(['.', ':'], "-"));
    assert_eq!(
        sa["imagePullSecrets"],
        json!([{"name": "keep-secret"}, {"name": name}])
    );
    // Kick: a rollout restart makes new pods, which get the secret.
    t.keys(&["k"]);
    t.confirm(&["restartedAt"]);
    t.wait_fixed(
        "Deployment/web",
        "Deployment/web: 1/1 new pod Running after",
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_the_missing_secret_from_the_form_fixes_the_pod_in_place() {
    let Some(t) = setup("tui-fix-missing").await else {
        return;
    };
    let ns = t.ns();
    let mut w = W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", t.f.h.reg_auth()),
    );
    w.pull_secrets = &["does-not-exist"];
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "web").await;

    t.launch("admin", &[]);
    t.wait_row("Deployment/web", "credentials.secret-missing");
    t.keys(&["c"]);
    t.wait("the form named after the missing secret", SCREEN, |s| {
        s.contains("does-not-exist") && s.contains("do not attach")
    });
    t.tmux.credential_form_at_username(SCREEN);
    t.type_text(t.f.h.reg_auth_user());
    t.keys(&["Tab"]);
    t.type_text(t.f.h.reg_auth_pass());
    t.keys(&["Enter"]);
    t.confirm(&["does-not-exist"]);
    t.wait_fixed("Deployment/web", "Deployment/web: 1/1 pod Running after");
    let d = t.f.deployment("web").await;
    assert_eq!(
        d["spec"]["template"]["spec"]["imagePullSecrets"],
        json!([{"name": "does-not-exist"}])
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_from_the_form_recreates_a_job_with_a_missing_tag() {
    let Some(t) = setup("tui-fix-job").await else {
        return;
    };
    let ns = t.ns();
    ensure_secret(&t.f.c, &ns, "regcred", t.f.h.reg_auth(), &t.f.h).await;
    let mut w = W::new(
        "Job",
        "batch",
        format!("{}/team/app:missing", t.f.h.reg_auth()),
    );
    w.pull_secrets = &["regcred"];
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "batch").await;

    t.launch("admin", &[]);
    t.wait_row("Job/batch", "image.");
    t.keys(&["i"]);
    t.wait("the image form", SCREEN, |s| s.contains("app:missing"));
    let back: Vec<&str> = std::iter::repeat_n("BSpace", "missing".len()).collect();
    t.keys(&back);
    t.type_text("1.0");
    t.keys(&["Enter"]);
    t.confirm(&["app:1.0", "immutable"]);
    t.wait_fixed("Job/batch", "Job/batch: 1/1 new pod Running after");
    let job = json_of(
        Api::<Job>::namespaced(t.f.c.clone(), &ns)
            .get("batch")
            .await
            .expect("job"),
    )
    .await;
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["image"],
        json!(format!("{}/team/app:1.0", t.f.h.reg_auth()))
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_is_refused_readably_dry_run_and_read_only_change_nothing() {
    let Some(t) = setup("tui-fix-modes").await else {
        return;
    };
    let ns = t.ns();
    let mut w = W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", t.f.h.reg_selfsigned()),
    );
    w.annotations = json!({"keep": "me"});
    w.create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "web").await;
    let before = t.f.deployment("web").await;

    // --read-only: the key says why and does nothing.
    t.launch("admin", &["--read-only"]);
    t.wait_row("Deployment/web", "tls.untrusted");
    t.keys(&["a"]);
    t.wait("the read-only refusal", SCREEN, |s| s.contains("read-only"));
    t.keys(&["?"]);
    t.wait("help saying why", SCREEN, |s| {
        s.contains("disabled (--read-only)")
    });
    t.keys(&["Escape"]);
    t.wait("help closed", SCREEN, |s| !s.contains("this help"));
    t.quit();

    // --dry-run: the server accepts, nothing is persisted.
    t.launch("admin", &["--dry-run"]);
    t.wait_row("Deployment/web", "tls.untrusted");
    t.keys(&["a"]);
    t.wait("the form", SCREEN, |s| s.contains("insecure-skip-verify"));
    t.keys(&["Enter"]);
    t.confirm(&["DRY RUN"]);
    t.wait("the dry-run answer", FOLLOW, |s| {
        s.contains("dry run, accepted by the server")
    });
    t.quit();

    // The viewer: a readable "forbidden", the row stays.
    t.launch("viewer", &[]);
    t.wait_row("Deployment/web", "tls.untrusted");
    t.keys(&["a"]);
    t.wait("the form", SCREEN, |s| s.contains("insecure-skip-verify"));
    t.keys(&["Enter"]);
    // The viewer may read the Deployment (preview) but not patch it.
    let s = t.wait("the preview or the refusal", FOLLOW, |s| {
        s.contains("equivalent kubectl") || s.contains("forbidden")
    });
    if s.contains("equivalent kubectl") {
        t.keys(&["y"]);
    }
    t.wait("a readable forbidden", FOLLOW, |s| s.contains("forbidden"));
    t.wait_row("Deployment/web", "tls.untrusted");

    let after = t.f.deployment("web").await;
    assert_eq!(
        before["spec"]["template"], after["spec"]["template"],
        "nothing changed on the server"
    );
    assert_eq!(
        support::workload::as_written(&before),
        support::workload::as_written(&after),
        "nothing changed on the server"
    );
    let audit = t.f.dirs().audit_lines();
    assert!(
        audit.iter().any(|a| a["dry_run"] == true),
        "the dry run is audited: {audit:?}"
    );
    let pods = pods_of(&t.f.c, &ns, "web").await;
    assert!(
        pods.iter()
            .all(|p| pod_state(p).as_deref() != Some("Running")),
        "still failing"
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_fix_gives_every_workload_of_the_group_one_pull_secret() {
    let Some(t) = setup("tui-fix-group").await else {
        return;
    };
    let ns = t.ns();
    let image = format!("{}/team/app:1.0", t.f.h.reg_auth());
    W::new("Deployment", "api", image.clone())
        .create(&t.f.c, &ns)
        .await;
    W::new("Deployment", "web", image).create(&t.f.c, &ns).await;
    failing_pod(&t.f.c, &ns, "api").await;
    failing_pod(&t.f.c, &ns, "web").await;

    t.launch("admin", &[]);
    t.wait_row("Deployment/api", "auth.");
    t.wait_row("Deployment/web", "auth.");
    t.keys(&["C"]);
    t.wait("the group credential form", SCREEN, |s| {
        s.contains("2 workloads of") && s.contains("username")
    });
    t.type_text(t.f.h.reg_auth_user());
    t.keys(&["Tab"]);
    t.type_text(t.f.h.reg_auth_pass());
    t.keys(&["Enter"]);
    let name = format!("regcred-{}", t.f.h.reg_auth().replace(['.', ':'], "-"));
    t.confirm(&["2 changes", "deployment/api", "deployment/web"]);
    t.wait("both follow-ups", FOLLOW, |s| {
        s.contains("Deployment/api: 1/1 new pod Running after")
            && s.contains("Deployment/web: 1/1 new pod Running after")
            && !s.lines().any(|l| l.contains("ImagePull"))
    });
    for d in ["api", "web"] {
        let v = t.f.deployment(d).await;
        assert_eq!(
            v["spec"]["template"]["spec"]["imagePullSecrets"],
            json!([{"name": name}]),
            "{d}"
        );
    }
    let audit = t.f.dirs().audit_lines();
    assert_eq!(audit.len(), 2, "one line per object: {audit:?}");
    t.finish().await;
}
