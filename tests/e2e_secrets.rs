//! Secrets: every flow that handles a registry
//! credential is run for real with the harness registry password in play —
//! the pod detail of a pod whose pull secret exists, the probe with that
//! secret (`p` in the console, `pulltui probe --secret` and
//! `--username --password-stdin`), the credential form (typed password,
//! preview, apply), copying a secret from another namespace (console and
//! `pulltui fix --fix copy-pull-secret`), `pulltui fix --password-stdin`
//! (also `--json` and `--dry-run`), `pulltui snapshot` and its replay, the
//! audit log, and a panic after a password was typed — and then everything
//! those flows wrote is searched for the password, its base64, base64 of
//! `user:password`, the password inside a longer base64 text and its bytes as
//! `Debug` prints them (`support::secrets::needles`): every screen captured
//! on the way, stdout and stderr, `pulltui.log` (at `PULLTUI_LOG=trace`) and
//! `stderr.log`, `audit.jsonl`, the snapshot file, the panic output, and the
//! `Debug` text of the form, its fields, the requests and mutations, the
//! probe's credentials and the model.
//!
//! Each flow is also asserted to have happened (the secret on the server, the
//! form and the preview seen, the pods running with the credential, the
//! probe's "credentials valid"), so a skipped flow cannot pass as clean.
//! Every test has its own data (`PULLTUI_DATA_DIR`) and state
//! (`XDG_STATE_HOME`: the logs) directories.

mod support;

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use crossterm::event::KeyCode;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use support::scenarios::ensure_secret;
use support::secrets::{assert_clean, audit_lines, find_password};
use support::tmux::{Tmux, exit_line, tmux_available};
use support::workload::{W, failing_pod, walk};
use support::{Dirs, Harness, Pulltui, Run, TestNamespace, demo, screen};

const SCREEN: Duration = Duration::from_secs(25);
const FOLLOW: Duration = Duration::from_secs(60);

/// The credential in play: the harness registry's, or (tests that need no
/// cluster) a fresh one.
#[derive(Clone)]
struct Cred {
    user: String,
    pass: String,
}

impl Cred {
    fn of(h: &Harness) -> Cred {
        Cred {
            user: h.reg_auth_user().into(),
            pass: h.reg_auth_pass().into(),
        }
    }

    fn fresh() -> Cred {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Cred {
            user: "pulltui".into(),
            pass: format!("pw{:016x}", (nanos as u64) ^ 0x5eed_0f5e_c2e7),
        }
    }

    fn clean(&self, text: &str, what: &str) {
        assert_clean(&self.user, &self.pass, text, what);
    }

    /// Every file under `dir`, read lossily (logs, audit log, snapshots).
    fn files_clean(&self, dir: &Path) -> usize {
        let files = walk(dir);
        for p in &files {
            let bytes = std::fs::read(p).unwrap_or_default();
            self.clean(&String::from_utf8_lossy(&bytes), &p.display().to_string());
        }
        files.len()
    }
}

/// The binary as every test here runs it: writing under `dirs`, logging
/// at `trace`.
fn traced(dirs: &Dirs) -> Pulltui {
    Pulltui::new().dir(dirs.root()).env("PULLTUI_LOG", "trace")
}

/// A secret's `.dockerconfigjson`, parsed.
async fn docker_config(c: &kube::Client, ns: &str, name: &str) -> Value {
    let s = Api::<Secret>::namespaced(c.clone(), ns)
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("secret {ns}/{name}: {e}"));
    let raw = s
        .data
        .as_ref()
        .and_then(|d| d.get(".dockerconfigjson"))
        .unwrap_or_else(|| panic!("secret {ns}/{name} has no .dockerconfigjson"));
    serde_json::from_slice(&raw.0).expect("dockerconfigjson is JSON")
}

// ------------------------------------------------------------ console ----

/// The console in tmux: every screen it shows on the way is kept.
struct Console<'a> {
    t: Tmux,
    cred: &'a Cred,
    screens: std::cell::RefCell<Vec<(String, String)>>,
}

impl Console<'_> {
    fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let s = self.t.wait(what, timeout, pred);
        self.cred.clean(&s, &format!("the screen at {what}"));
        self.screens
            .borrow_mut()
            .push((what.to_string(), s.clone()));
        s
    }

    fn keys(&self, keys: &[&str]) {
        // One at a time: an Escape followed at once by a key is an Alt-chord.
        for k in keys {
            self.t.send(&[k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Filters the table down to `name`'s row.
    fn select(&self, name: &str) {
        self.keys(&["/"]);
        self.t.type_text(name);
        self.keys(&["Enter"]);
        self.wait(&format!("the row of {name} selected"), SCREEN, |s| {
            s.contains(&format!("filter \"{name}\" 1/"))
        });
    }

    fn unfilter(&self) {
        self.keys(&["Escape"]);
        self.wait("the filter cleared", SCREEN, |s| !s.contains("filter \""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_stores_and_logs_no_password_in_any_secret_flow() {
    let Some(h) = support::harness() else { return };
    if !tmux_available() {
        return;
    }
    let cred = Cred::of(&h);
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns = h.namespace(&c, "sec-tui").await;
    let src = h.namespace(&c, "sec-tui-src").await;
    let auth = h.reg_auth().to_string();
    // A pod whose pull secret exists and covers the registry (the tag is
    // what is missing); a secret to copy from another namespace; two
    // workloads that need credentials.
    ensure_secret(&c, &ns.name, "regcred", &auth, &h).await;
    ensure_secret(&c, &src.name, "shared", &auth, &h).await;
    let mut tagged = W::new("Deployment", "tagged", format!("{auth}/team/app:missing"));
    tagged.pull_secrets = &["regcred"];
    tagged.create(&c, &ns.name).await;
    for app in ["copyme", "typed"] {
        W::new("Deployment", app, format!("{auth}/team/app:1.0"))
            .create(&c, &ns.name)
            .await;
    }
    for app in ["tagged", "copyme", "typed"] {
        failing_pod(&c, &ns.name, app).await;
    }

    let root = tempfile::tempdir().expect("temp dir");
    let dirs = Dirs::new(root.path());
    let con = Console {
        t: Tmux::start("secrets-tui", 220, 50),
        cred: &cred,
        screens: Default::default(),
    };
    // The laptop probe trusts the registry CA through the platform
    // verifier's SSL_CERT_FILE, as a corporate CA would be installed.
    con.t.launch(
        traced(&dirs)
            .no_color()
            .kubeconfig(h.kubeconfig())
            .env("SSL_CERT_FILE", h.var("PULLTUI_REG_CA"))
            .context("admin")
            .args(&["-n", &ns.name]),
    );
    con.wait("the three failing workloads", SCREEN, |s| {
        s.contains("Deployment/tagged")
            && s.contains("image.not-found")
            && s.contains("Deployment/copyme")
            && s.contains("Deployment/typed")
    });

    // 1. The detail of a pod whose pull secret exists: hosts and user only.
    con.select("tagged");
    con.keys(&["Enter"]);
    let want = format!("✓ regcred covers {auth} (user {})", cred.user);
    con.wait("the detail with the pull secret in force", SCREEN, |s| {
        s.contains(&want) && s.contains("regcred (pod)")
    });

    // 2. The probe with the pod's pull secret: the credential is used.
    con.keys(&["p"]);
    con.wait(
        "the probe authenticated with the pod's secret",
        SCREEN,
        |s| s.contains("credentials valid (Basic)") && s.contains("verdict image.not-found"),
    );
    con.keys(&["Escape"]);
    con.wait("the detail again", SCREEN, |s| {
        s.contains(&want) && !s.contains("credentials valid")
    });
    con.keys(&["Escape"]);
    con.wait("the table", SCREEN, |s| s.contains("NAMESPACE"));
    con.unfilter();

    // 3. Copy a secret from another namespace: its data never shown.
    con.select("copyme");
    con.keys(&["c"]);
    con.wait("the credential form", SCREEN, |s| {
        s.contains("username") && s.contains("password") && s.contains("use")
    });
    let copy = format!("copy {}/shared (user {})", src.name, cred.user);
    // Once the offers are in (they load from the cluster), the form sits on
    // the "use" row: cycle the sources until the copy.
    con.wait("the offers", SCREEN, |s| {
        s.contains("existing secrets cover this registry")
    });
    for _ in 0..20 {
        if con.t.capture().contains(&copy) {
            break;
        }
        con.keys(&["Right"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    con.wait("the copy offer", SCREEN, |s| s.contains(&copy));
    con.keys(&["Enter"]);
    con.wait("the copy's preview", SCREEN, |s| {
        s.contains("equivalent kubectl") && s.contains("shared")
    });
    con.keys(&["y"]);
    con.wait("the copy applied and followed", FOLLOW, |s| {
        s.contains("Deployment/copyme: 1/1 new pod Running after")
    });
    con.unfilter();

    // 4. A new secret typed in the form: masked, "$PASSWORD" in the preview.
    con.select("typed");
    con.keys(&["c"]);
    con.wait("the credential form again", SCREEN, |s| {
        s.contains("secret name") && s.contains("password")
    });
    con.t.credential_form_at_username(SCREEN);
    con.t.type_text(&cred.user);
    con.keys(&["Tab"]);
    con.t.type_text(&cred.pass);
    let masked = "•".repeat(cred.pass.chars().count());
    con.wait("the typed password, masked", SCREEN, |s| {
        s.contains(&masked)
    });
    con.keys(&["Enter"]);
    let name = format!("regcred-{}", auth.replace(['.', ':'], "-"));
    con.wait("the new secret's preview", SCREEN, |s| {
        s.contains("equivalent kubectl") && s.contains("\"$PASSWORD\"") && s.contains(&name)
    });
    con.keys(&["y"]);
    con.wait("the new secret applied and followed", FOLLOW, |s| {
        s.contains("Deployment/typed: 1/1 new pod Running after")
    });
    con.unfilter();
    con.keys(&["q"]);
    let s = con.wait("the shell", SCREEN, |s| exit_line(s).is_some());
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=0"), "{s}");
    let history = String::from_utf8_lossy(
        &con.t
            .cmd(&["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "e2e"])
            .stdout,
    )
    .into_owned();
    cred.clean(&history, "the terminal's history");

    // The flows happened: the copy holds the source's data, the typed secret
    // the password (it let the pods pull), two audit lines.
    let copied = docker_config(&c, &ns.name, "shared").await;
    assert_eq!(copied, docker_config(&c, &src.name, "shared").await);
    let typed = docker_config(&c, &ns.name, &name).await;
    assert_eq!(typed["auths"][&auth]["password"], cred.pass.as_str());
    let audit = audit_lines(&dirs.data());
    let kinds: Vec<String> = audit.iter().map(|a| a["change"].to_string()).collect();
    assert_eq!(audit.len(), 2, "copy and create: {audit:?}");
    assert!(
        audit
            .iter()
            .all(|a| a["result"] == "ok" && a["object"]["kind"] == "Secret"),
        "{kinds:?}"
    );
    assert!(dirs.log().exists(), "no pulltui.log");
    let log = std::fs::read_to_string(dirs.log()).unwrap_or_default();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the log runs at trace"
    );
    assert!(cred.files_clean(dirs.root()) >= 2);
    assert!(con.screens.borrow().len() >= 12);
    src.delete().await;
    ns.delete().await;
}

// ---------------------------------------------------------------- CLI ----

/// `pulltui ARGS` with the test's directories, `stdin` piped in; the output
/// is checked before it is returned.
fn pulltui(h: &Harness, cred: &Cred, dirs: &Dirs, args: &[&str], stdin: Option<&str>) -> Run {
    let mut pt = traced(dirs)
        .kubeconfig(h.kubeconfig())
        .no_proxy()
        .args(args);
    if let Some(s) = stdin {
        pt = pt.stdin(s);
    }
    let run = pt.run();
    cred.clean(
        &format!("{run:?}"),
        &format!("the output of pulltui {args:?}"),
    );
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_probe_snapshot_and_replay_print_store_and_log_no_password() {
    use pulltui::cluster::mutate;
    use pulltui::domain::image::ImageRef;
    use pulltui::domain::mutation::{FixId, FixParams, plan};
    use pulltui::domain::probe::credentials_from_secret;
    use pulltui::domain::redact::Redacted;
    use pulltui::domain::secrets::read_secret;

    let Some(h) = support::harness() else { return };
    let cred = Cred::of(&h);
    let c = h.admin().await;
    h.require_simulator(&c).await;
    let ns: TestNamespace = h.namespace(&c, "sec-cli").await;
    let src = h.namespace(&c, "sec-cli-src").await;
    let auth = h.reg_auth().to_string();
    let image = format!("{auth}/team/app:1.0");
    ensure_secret(&c, &ns.name, "regcred", &auth, &h).await;
    ensure_secret(&c, &src.name, "shared", &auth, &h).await;
    // The password also sits where people put it: an env value of the pod
    // template, kubectl's last-applied annotation, probes' and hooks'
    // commands and headers, an annotation of the template (a snapshot keeps
    // none of them).
    let mut tagged = W::new("Deployment", "tagged", format!("{auth}/team/app:missing"));
    tagged.pull_secrets = &["regcred"];
    tagged.create(&c, &ns.name).await;
    let env_patch = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration":
            json!({"env": [{"name": "REGISTRY_PASSWORD", "value": cred.pass}]}).to_string()}},
        "spec": {"template": {
            "metadata": {"annotations": {"example.com/db-url": format!("postgres://app:{}@db", cred.pass)}},
            "spec": {"containers": [{"name": "app",
                "env": [{"name": "REGISTRY_PASSWORD", "value": cred.pass}],
                "livenessProbe": {"exec": {"command": ["redis-cli", "-a", cred.pass, "ping"]}},
                "readinessProbe": {"httpGet": {"path": "/h", "port": 8080, "httpHeaders": [
                    {"name": "Authorization", "value": format!("Bearer {}", cred.pass)}]}},
                "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c",
                    format!("curl -u admin:{} http://x/drain", cred.pass)]}}}}]}}}
    });
    Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(c.clone(), &ns.name)
        .patch(
            "tagged",
            &PatchParams::default(),
            &Patch::Strategic(&env_patch),
        )
        .await
        .expect("patching the env in");
    for app in ["web", "api"] {
        W::new("Deployment", app, image.clone())
            .create(&c, &ns.name)
            .await;
    }
    let web = failing_pod(&c, &ns.name, "web").await;
    let api = failing_pod(&c, &ns.name, "api").await;
    // The env change rolls a new pod out: wait for a failing one of it.
    let tagged_pod = support::wait_pod(
        &c,
        &ns.name,
        "tagged",
        Duration::from_secs(60),
        "a failing pod with the env",
        |p| {
            support::workload::pulling_failed(p)
                && serde_json::to_string(&p.spec).is_ok_and(|s| s.contains("REGISTRY_PASSWORD"))
        },
    )
    .await
    .metadata
    .name
    .expect("name");
    let root = tempfile::tempdir().expect("temp dir");
    let dirs = Dirs::new(root.path());
    let pw_line = format!("{}\n", cred.pass);
    let run = |args: &[&str], stdin: Option<&str>| pulltui(&h, &cred, &dirs, args, stdin);

    // Debug of a planned and a prepared new secret (before any fix).
    let facts = mutate::pod_facts(
        &c,
        &pulltui::domain::failing::PodKey::new(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            &ns.name,
            &web,
        ),
        None,
    )
    .await
    .expect("pod facts");
    let params = FixParams {
        username: Some(cred.user.clone()),
        password: Some(Redacted::new(cred.pass.clone())),
        secret_name: Some("never-applied".into()),
        ..FixParams::default()
    };
    let m = plan(&facts.context, FixId::CreatePullSecret, &params).expect("plan");
    let text = format!("{m:?} {params:?} {}", m.audit_change());
    cred.clean(&text, "Debug of the mutation");
    let prepared = mutate::prepare(&c, m).await.expect("prepare");
    cred.clean(
        &format!("{prepared:?} {}", prepared.preview),
        "Debug of the prepared mutation and its preview",
    );
    assert!(prepared.preview.to_string().contains(&cred.user));

    // A dry run of a new secret: accepted by the server, nothing kept.
    let dry = run(
        &[
            "--context",
            "admin",
            "fix",
            &format!("{}/{api}", ns.name),
            "--fix",
            "create-pull-secret",
            "--secret-name",
            "dry",
            "--username",
            &cred.user,
            "--password-stdin",
            "--dry-run",
            "--yes",
        ],
        Some(&pw_line),
    );
    assert_eq!(dry.code, Some(0), "{dry:?}");
    assert!(dry.stdout.contains("password ***"), "{dry:?}");
    let secrets = Api::<Secret>::namespaced(c.clone(), &ns.name);
    assert!(secrets.get_opt("dry").await.expect("get").is_none());

    // A new secret from stdin, --json: applied, and the pod pulls with it.
    let fixed = run(
        &[
            "--context",
            "admin",
            "fix",
            &format!("{}/{web}", ns.name),
            "--fix",
            "create-pull-secret",
            "--username",
            &cred.user,
            "--password-stdin",
            "--yes",
            "--json",
        ],
        Some(&pw_line),
    );
    let j: Value = serde_json::from_str(fixed.stdout.trim()).unwrap_or_else(|e| {
        panic!("no JSON ({e}): {fixed:?}");
    });
    assert_eq!(j["error"], Value::Null, "{fixed:?}");
    assert_eq!(j["follow"]["resolved"], true, "{fixed:?}");
    assert!(
        fixed.stderr.contains("--docker-password=\"$PASSWORD\""),
        "{fixed:?}"
    );
    let name = format!("regcred-{}", auth.replace(['.', ':'], "-"));
    let typed = docker_config(&c, &ns.name, &name).await;
    assert_eq!(typed["auths"][&auth]["password"], cred.pass.as_str());

    // A copy from another namespace, text output.
    let from = format!("{}/shared", src.name);
    let copied = run(
        &[
            "--context",
            "admin",
            "fix",
            &format!("{}/{api}", ns.name),
            "--fix",
            "copy-pull-secret",
            "--from",
            &from,
            "--yes",
        ],
        None,
    );
    assert!(
        copied
            .stdout
            .contains(&format!("created Secret {}/shared", ns.name)),
        "{copied:?}"
    );
    assert!(
        copied.stdout.contains("new pod Running after"),
        "{copied:?}"
    );
    assert_eq!(
        docker_config(&c, &ns.name, "shared").await,
        docker_config(&c, &src.name, "shared").await
    );

    // The probe with the pull secret and with --password-stdin, text and JSON.
    let ca = h.var("PULLTUI_REG_CA").to_string();
    let secret_arg = format!("{}/regcred", ns.name);
    for json in [false, true] {
        let mut args = vec!["probe", image.as_str(), "--ca-file", ca.as_str()];
        if json {
            args.push("--json");
        }
        let mut with_secret = args.clone();
        with_secret.extend(["--secret", secret_arg.as_str()]);
        let r = run(&with_secret, None);
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(r.stdout.contains("credentials valid (Basic)"), "{r:?}");
        let mut with_stdin = args.clone();
        with_stdin.extend(["--username", cred.user.as_str(), "--password-stdin"]);
        let r = run(&with_stdin, Some(&pw_line));
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(r.stdout.contains("credentials valid (Basic)"), "{r:?}");
    }

    // A snapshot of the namespace (the tagged pod still fails), its replay.
    let snap = dirs.root().join("incident.yaml");
    let snap_arg = snap.display().to_string();
    let r = run(
        &[
            "--context",
            "admin",
            "snapshot",
            "-o",
            &snap_arg,
            "-n",
            &ns.name,
        ],
        None,
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let text = std::fs::read_to_string(&snap).expect("snapshot written");
    cred.clean(&text, "the snapshot");
    assert!(text.contains(&tagged_pod), "the failing pod is in it");
    assert!(
        text.contains("regcred") && text.contains(&cred.user),
        "its secret's metadata"
    );
    assert!(text.contains("REGISTRY_PASSWORD") && text.contains("(redacted by pulltui)"));
    let r = run(&["check", "--replay", &snap_arg, "--json"], None);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains(&tagged_pod), "{r:?}");
    let r = run(
        &["--context", "admin", "check", "-n", &ns.name, "--json"],
        None,
    );
    assert!(r.stdout.contains(&tagged_pod), "{r:?}");

    // The audit log: the dry run, the new secret, the copy — no credential.
    let audit = audit_lines(&dirs.data());
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert_eq!(audit[0]["dry_run"], true);
    assert!(audit.iter().all(|a| a["result"] == "ok"), "{audit:?}");
    let files = cred.files_clean(dirs.root());
    assert!(files >= 3, "audit, log and snapshot: {files}");
    // Private to the user whatever the umask: the audit log, the
    // log and the snapshot.
    for f in [dirs.data().join("audit.jsonl"), dirs.log(), snap.clone()] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{} is {:o}", f.display(), mode & 0o777);
    }
    assert!(
        std::fs::read_to_string(dirs.log()).is_ok_and(|l| !l.is_empty()),
        "the CLI logged"
    );

    // Debug of what holds the credential in memory, on the server's objects.
    let server_secret = secrets.get("regcred").await.expect("regcred");
    let img = ImageRef::parse(&image).expect("image");
    let creds = credentials_from_secret(&server_secret, &img).expect("credentials");
    assert_eq!(creds.len(), 1, "the secret covers the registry");
    assert_eq!(creds[0].password.expose(), cred.pass, "the real password");
    cred.clean(&format!("{creds:?}"), "Debug of the probe's credentials");
    cred.clean(
        &format!("{:?}", read_secret(&server_secret)),
        "Debug of a pull secret's metadata",
    );
    src.delete().await;
    ns.delete().await;
}

// -------------------------------------------------------------- panic ----

/// Opens the credential form on the demo's first `auth.` row and types the
/// credential.
fn demo_credential_form(t: &Tmux, cred: &Cred) {
    t.send(&["/"]);
    t.type_text("auth.");
    t.send(&["Enter"]);
    t.wait("an auth row", SCREEN, |s| s.contains("filter \"auth.\""));
    t.send(&["c"]);
    t.wait("the credential form", SCREEN, |s| {
        s.contains("username") && s.contains("password")
    });
    t.credential_form_at_username(SCREEN);
    t.type_text(&cred.user);
    t.send(&["Tab"]);
    t.type_text(&cred.pass);
    let masked = "•".repeat(cred.pass.chars().count());
    t.wait("the masked password", SCREEN, |s| s.contains(&masked));
}

#[test]
fn a_panic_after_a_password_was_typed_prints_no_password() {
    if !tmux_available() {
        return;
    }
    let cred = support::harness()
        .map(|h| Cred::of(&h))
        .unwrap_or_else(Cred::fresh);
    let root = tempfile::tempdir().expect("temp dir");
    let dirs = Dirs::new(root.path());
    let out = dirs.root().join("stderr.txt");
    let t = Tmux::start("secrets-panic", 140, 40);
    // The panic hook prints to the real stderr once the terminal is back:
    // here a file, with a backtrace.
    t.launch_in(
        traced(&dirs)
            .no_color()
            .env("PULLTUI_TEST_PANIC", "key")
            .env("RUST_BACKTRACE", "1")
            .arg("--demo"),
        |cmd| format!("{cmd} 2>{}; echo PULLTUI-EXIT=$?", out.display()),
    );
    t.wait("the demo", SCREEN, |s| s.contains("REPLAY"));
    demo_credential_form(&t, &cred);
    let form = t.capture();
    cred.clean(&form, "the form");
    t.send(&["F12"]);
    let s = t.wait("the shell after the panic", SCREEN, |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&s), Some("PULLTUI-EXIT=101"), "{s}");
    cred.clean(&s, "the screen after the panic");
    let panic = std::fs::read_to_string(&out).expect("the panic output");
    // The panic happened with the typed credential in the model.
    assert!(panic.contains("PULLTUI_TEST_PANIC=key"), "{panic}");
    assert!(
        panic.contains(&format!("Field(username: {:?})", cred.user)),
        "the model's Debug holds the form: {panic}"
    );
    assert!(panic.contains("Field(password: \"***\")"), "{panic}");
    assert!(panic.contains("stack backtrace"), "{panic}");
    if let Some(form) = find_password(&cred.user, &cred.pass, &panic) {
        panic!("the panic output contains {form}");
    }
    cred.files_clean(dirs.root());
}

// ------------------------------------------------- Debug and screens ----

#[test]
fn the_form_its_requests_and_every_screen_buffer_hold_no_password() {
    use pulltui::app::action::Stage;
    let cred = Cred::fresh();
    let (mut m, r) = demo::demo();
    let mut sent = Vec::new();
    let mut screens = Vec::new();
    // Select an auth row, open the credential form, type the credential.
    for _ in 0..300 {
        if m.home
            .selected_row()
            .is_some_and(|row| row.category.id().starts_with("auth."))
        {
            break;
        }
        demo::key(&mut m, &r, KeyCode::Down);
    }
    sent.extend(demo::key(&mut m, &r, KeyCode::Char('c')));
    for ch in cred.user.chars() {
        sent.extend(demo::key(&mut m, &r, KeyCode::Char(ch)));
    }
    sent.extend(demo::key(&mut m, &r, KeyCode::Tab));
    for ch in cred.pass.chars() {
        sent.extend(demo::key(&mut m, &r, KeyCode::Char(ch)));
        screens.push(screen::screen(&m));
    }
    let action = m.actions.current.as_ref().expect("the form is open");
    let Stage::Form(form) = &action.stage else {
        panic!("not a form: {:?}", action.stage)
    };
    let field = form.field("password").expect("a password field");
    // The form really holds the typed password (the flow happened)...
    assert_eq!(field.value(), cred.pass);
    let masked = "•".repeat(cred.pass.chars().count());
    assert!(screens.last().is_some_and(|s| s.contains(&masked)));
    // ...and its Debug never shows it.
    let debug = format!("{field:?} {form:?} {action:?} {:?}", m.actions);
    assert!(debug.contains("Field(password: \"***\")"), "{debug}");
    cred.clean(&debug, "Debug of the form");
    // The preview, then y (a replay sends nothing).
    sent.extend(demo::key(&mut m, &r, KeyCode::Enter));
    let preview = screen::screen(&m);
    assert!(preview.contains("\"$PASSWORD\""), "{preview}");
    screens.push(preview);
    sent.extend(demo::key(&mut m, &r, KeyCode::Char('y')));
    screens.push(screen::screen(&m));
    let prepare = sent
        .iter()
        .find_map(|e| match e {
            pulltui::app::Effect::Mutate(pulltui::app::MutateEffect::Prepare {
                request, ..
            }) => Some(request.clone()),
            _ => None,
        })
        .expect("a prepare request");
    assert_eq!(
        prepare.params.password.as_ref().map(|p| p.expose()),
        Some(cred.pass.as_str()),
        "the request carries the password"
    );
    cred.clean(&format!("{sent:?}"), "Debug of the effects");
    cred.clean(&format!("{prepare:?}"), "Debug of the request");
    cred.clean(&format!("{m:?}"), "Debug of the model");
    for (i, s) in screens.iter().enumerate() {
        cred.clean(s, &format!("screen buffer {i}"));
    }
    // And the typed text is not left behind once the form is gone.
    assert!(m.actions.current.is_none());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&cred.pass);
    assert!(!format!("{m:?}").contains(&b64));
}

#[test]
fn the_search_finds_the_password_in_every_form_it_looks_for() {
    let cred = Cred::fresh();
    let b64 = base64::engine::general_purpose::STANDARD;
    let (user, pass) = (cred.user.as_str(), cred.pass.as_str());
    let auth = b64.encode(format!("{user}:{pass}"));
    let config =
        json!({"auths": {"r.io": {"username": user, "password": pass, "auth": auth}}}).to_string();
    let mut leaks = vec![
        format!("x {pass} y"),
        b64.encode(pass),
        format!("auth: {auth}"),
        format!("{:?}", config.as_bytes()),
    ];
    // The password at each alignment inside the base64 of a longer text
    // (a Secret's data as the API returns it).
    for prefix in ["", "a", "ab", "abc"] {
        leaks.push(b64.encode(format!("{prefix}{{\"password\":\"{pass}\"}}")));
    }
    for (i, text) in leaks.iter().enumerate() {
        assert!(
            find_password(user, pass, text).is_some(),
            "case {i} not found: {text}"
        );
    }
    for clean in [
        format!("password *** for user {user}"),
        "•".repeat(pass.len()),
        b64.encode(format!("{user}:***")),
    ] {
        assert_eq!(find_password(user, pass, &clean), None, "{clean}");
    }
}
