//! The fleet console (issue 23) on the fleet harness: the `pulltui` binary
//! in tmux with `--all-contexts` against three real API servers (the last
//! one's user may list pods in one namespace only).
//!
//! - every failing pod of the three clusters, each under its CLUSTER, the
//!   restricted cluster shown in its namespace ("forbidden (ns …)" in the
//!   strip), the group that spans clusters says so;
//! - a fix from the keys on one cluster's row: the preview names the
//!   context and server, the audit line too; the other clusters' objects
//!   are unchanged, object by object, and their rows still fail; the
//!   console agrees with `check --all-contexts --json`;
//! - one cluster stopped mid-run: its rows turn stale and the strip says
//!   so, the others stay live; restarted, it comes back.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};
use support::cli::Dirs;
use support::fleet::{Fleet, failing_bare, fleet};
use support::tmux::{Tmux, exit_line};
use support::workload::{W, as_written, failing_pod};

const SETTLE: Duration = Duration::from_secs(90);
const SCREEN: Duration = Duration::from_secs(30);

/// A namespace named `name`, ready for pods: its default ServiceAccount
/// exists (and, before 1.24, has its token Secret, which ServiceAccount
/// admission waits for).
async fn namespace(h: &support::Harness, c: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"pulltui.dev/e2e": "true"}}
    }))
    .expect("namespace");
    Api::<Namespace>::all(c.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
    let sas: Api<ServiceAccount> = Api::namespaced(c.clone(), name);
    let t = std::time::Instant::now();
    let needs_token = h.k8s_minor() < 24;
    let ready =
        |sa: &ServiceAccount| !needs_token || sa.secrets.as_ref().is_some_and(|s| !s.is_empty());
    while !sas
        .get_opt("default")
        .await
        .ok()
        .flatten()
        .is_some_and(|sa| ready(&sa))
    {
        assert!(t.elapsed() < SETTLE, "no default ServiceAccount in {name}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The objects of kind `K` in `ns`, as written (no status, no
/// bookkeeping), by `Kind/name`.
async fn as_written_all<K>(
    c: &kube::Client,
    ns: &str,
    kind: &str,
    out: &mut serde_json::Map<String, Value>,
) where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let list = Api::<K>::namespaced(c.clone(), ns)
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("listing {kind} in {ns}: {e}"));
    for o in list {
        let name = o.meta().name.clone().unwrap_or_default();
        let v = serde_json::to_value(&o).expect("json");
        out.insert(format!("{kind}/{name}"), as_written(&v));
    }
}

/// What a fix could have written in `ns`: its Deployments, Secrets and
/// ServiceAccounts, as written, by name.
async fn writable(c: &kube::Client, ns: &str) -> Value {
    let mut out = serde_json::Map::new();
    as_written_all::<k8s_openapi::api::apps::v1::Deployment>(c, ns, "Deployment", &mut out).await;
    as_written_all::<Secret>(c, ns, "Secret", &mut out).await;
    as_written_all::<ServiceAccount>(c, ns, "ServiceAccount", &mut out).await;
    Value::Object(out)
}

struct Console {
    tmux: Tmux,
    dirs: Dirs,
    _dir: tempfile::TempDir,
}

impl Console {
    fn launch(f: &Fleet, name: &str) -> Console {
        let dir = tempfile::tempdir().expect("tempdir");
        let pt = f
            .pulltui()
            .dir(dir.path())
            .no_color()
            .env("PULLTUI_LOG", "debug")
            .env("PULLTUI_HEARTBEAT_SECS", "2")
            .args(&["--all-contexts"]);
        let dirs = pt.dirs();
        let tmux = Tmux::start(name, 200, 45);
        tmux.launch(pt);
        // Keys typed before the console reads the terminal would echo.
        tmux.wait("the console", SCREEN, |s| s.contains(" pulltui "));
        Console {
            tmux,
            dirs,
            _dir: dir,
        }
    }

    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.tmux.wait(what, SCREEN, pred)
    }

    /// The table's row of `ctx` in namespace `ns` is on screen.
    fn has_row(s: &str, ctx: &str, ns: &str) -> bool {
        s.lines().any(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.first() == Some(&ctx) && cells.get(1) == Some(&ns)
        })
    }

    fn filter(&self, text: &str) {
        // Esc clears the filter applied before, if any.
        self.tmux.send(&["Escape", "/"]);
        self.tmux.type_text(text);
        self.tmux.send(&["Enter"]);
    }

    fn quit(&self) {
        self.tmux.send(&["q"]);
        self.tmux
            .wait("the shell prompt after quitting", SCREEN, |s| {
                exit_line(s) == Some("PULLTUI-EXIT=0")
            });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_console_shows_every_cluster_and_a_fix_changes_only_its_own() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    f.require_simulators().await;
    let (a, b, r) = (&f.members[0], &f.members[1], f.restricted());
    let (ac, bc, rc) = (a.h.admin().await, b.h.admin().await, r.h.admin().await);
    let pid = std::process::id();
    let (na, nb) = (format!("fta-{pid}"), format!("ftb-{pid}"));
    namespace(&a.h, &ac, &na).await;
    namespace(&b.h, &bc, &nb).await;
    let image = format!("{}/team/app:1.0", a.h.reg_auth());
    W::new("Deployment", "web", image.clone())
        .create(&ac, &na)
        .await;
    W::new("Deployment", "web", image.clone())
        .create(&bc, &nb)
        .await;
    let rpod = format!("ftc-{pid}");
    failing_bare(&rc, f.restricted_ns(), &rpod, &image, &r.node).await;
    failing_pod(&ac, &na, "web").await;
    failing_pod(&bc, &nb, "web").await;

    let console = Console::launch(&f, &format!("fleet-tui-{pid}"));
    let forbidden = format!("{} ● forbidden (ns {})", r.context, f.restricted_ns());
    let s = console.wait(
        "the rows of all three clusters, fleet-c in its namespace",
        |s| {
            Console::has_row(s, &a.context, &na)
                && Console::has_row(s, &b.context, &nb)
                && Console::has_row(s, &r.context, f.restricted_ns())
                && s.lines().next().is_some_and(|l| l.contains(&forbidden))
        },
    );
    let status = s.lines().next().unwrap_or_default().to_string();
    assert!(
        status.contains(&a.context) && status.contains(&b.context),
        "{status}"
    );
    assert!(s.contains("CLUSTER"), "{s}");
    assert!(
        s.contains("— 3 clusters"),
        "the group spans three clusters:\n{s}"
    );

    // The fix on fleet-a's row.
    let before_b = writable(&bc, &nb).await;
    let before_r = writable(&rc, f.restricted_ns()).await;
    console.filter(&na);
    console.wait("only fleet-a's row", |s| {
        Console::has_row(s, &a.context, &na) && !Console::has_row(s, &b.context, &nb)
    });
    console.tmux.send(&["c"]);
    console.wait("the credential form", |s| {
        s.contains("username") && s.contains("password")
    });
    console.tmux.credential_form_at_username(SCREEN);
    console.tmux.type_text(a.h.reg_auth_user());
    console.tmux.send(&["Tab"]);
    console.tmux.type_text(a.h.reg_auth_pass());
    console.tmux.send(&["Enter"]);
    let preview = console.wait("the preview naming fleet-a", |s| {
        s.contains("equivalent kubectl") && s.contains(&format!("context {}", a.context))
    });
    assert!(
        preview.contains(&format!("kubectl --context {}", a.context)),
        "{preview}"
    );
    assert!(!preview.contains(a.h.reg_auth_pass()), "{preview}");
    console.tmux.send(&["y"]);
    console
        .tmux
        .wait("the follow-up", Duration::from_secs(120), |s| {
            s.contains("Deployment/web: 1/1 new pod Running after")
        });

    // fleet-a changed; fleet-b and fleet-c did not, object by object.
    let d: Value = serde_json::to_value(
        Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(ac.clone(), &na)
            .get("web")
            .await
            .expect("deployment"),
    )
    .expect("json");
    let secrets = &d["spec"]["template"]["spec"]["imagePullSecrets"];
    assert!(
        secrets.as_array().is_some_and(|s| !s.is_empty()),
        "fleet-a's Deployment got a pull secret: {d}"
    );
    assert_eq!(writable(&bc, &nb).await, before_b, "fleet-b unchanged");
    assert_eq!(
        writable(&rc, f.restricted_ns()).await,
        before_r,
        "fleet-c unchanged"
    );
    let audit = console.dirs.audit_lines();
    let last = audit.last().expect("an audit line");
    assert_eq!(last["context"], a.context.as_str(), "{last}");
    assert_eq!(
        last["server"].as_str().map(|s| s.trim_end_matches('/')),
        Some(a.server.trim_end_matches('/')),
        "{last}"
    );

    // The console and `check --all-contexts --json` agree on this test's pods.
    console.filter(&pid.to_string());
    let s = console.wait("fleet-a's row gone, the others still failing", |s| {
        !Console::has_row(s, &a.context, &na)
            && Console::has_row(s, &b.context, &nb)
            && Console::has_row(s, &r.context, f.restricted_ns())
    });
    let run = f
        .pulltui()
        .args(&["check", "--all-contexts", "--json"])
        .run();
    let v: Value = serde_json::from_str(&run.stdout).expect("check --json");
    let ours: Vec<(String, String)> = v["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .filter(|p| {
            p["namespace"] == na.as_str()
                || p["namespace"] == nb.as_str()
                || p["name"] == rpod.as_str()
        })
        .map(|p| {
            (
                p["context"].as_str().unwrap_or_default().to_string(),
                p["namespace"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ours,
        vec![
            (b.context.clone(), nb.clone()),
            (r.context.clone(), f.restricted_ns().to_string())
        ],
        "{}",
        run.stdout
    );
    for (ctx, ns) in &ours {
        assert!(Console::has_row(&s, ctx, ns), "{ctx} {ns} on screen:\n{s}");
    }
    console.quit();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_cluster_turns_stale_alone_and_comes_back() {
    let Some(f) = fleet() else { return };
    let _alone = f.exclusive();
    f.require_simulators().await;
    let (a, b) = (&f.members[0], &f.members[1]);
    let (ac, bc) = (a.h.admin().await, b.h.admin().await);
    let pid = std::process::id();
    let (na, nb) = (format!("fsa-{pid}"), format!("fsb-{pid}"));
    namespace(&a.h, &ac, &na).await;
    namespace(&b.h, &bc, &nb).await;
    let image = format!("{}/team/app:1.0", a.h.reg_auth());
    failing_bare(&ac, &na, "web", &image, &a.node).await;
    failing_bare(&bc, &nb, "web", &image, &b.node).await;

    let console = Console::launch(&f, &format!("fleet-stop-{pid}"));
    console.filter(&pid.to_string());
    console.wait("both rows", |s| {
        Console::has_row(s, &a.context, &na) && Console::has_row(s, &b.context, &nb)
    });
    let stopped = f.stop(&b.context);
    let s = console.wait("fleet-b reconnecting, its rows stale", |s| {
        let status = s.lines().next().unwrap_or_default();
        status.contains(&format!("{} ↻ reconnecting", b.context))
            && s.contains(&format!("STALE {}", b.context))
    });
    let status = s.lines().next().unwrap_or_default();
    assert!(
        status.contains(&format!("{} ●", a.context)),
        "fleet-a stays live: {status}"
    );
    assert!(Console::has_row(&s, &a.context, &na), "{s}");
    assert!(
        Console::has_row(&s, &b.context, &nb),
        "the last rows stay:\n{s}"
    );
    stopped.start();
    console.wait("fleet-b live again with its row", |s| {
        let status = s.lines().next().unwrap_or_default();
        status.contains(&format!("{} ●", b.context))
            && !status.contains("reconnecting")
            && !s.contains("STALE")
            && Console::has_row(s, &b.context, &nb)
    });
    console.quit();
}

/// The template annotations of Deployment `web` in `ns`.
async fn template_annotations(c: &kube::Client, ns: &str) -> Value {
    let d: Value = serde_json::to_value(
        Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(c.clone(), ns)
            .get("web")
            .await
            .expect("deployment"),
    )
    .expect("json");
    d["spec"]["template"]["metadata"]["annotations"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_fix_widened_to_the_fleet_writes_to_each_cluster_of_the_group_after_one_y() {
    let Some(f) = fleet() else { return };
    let _all_up = f.shared();
    f.require_simulators().await;
    let (a, b, r) = (&f.members[0], &f.members[1], f.restricted());
    let (ac, bc, rc) = (a.h.admin().await, b.h.admin().await, r.h.admin().await);
    let pid = std::process::id();
    let (na, nb) = (format!("fwa-{pid}"), format!("fwb-{pid}"));
    namespace(&a.h, &ac, &na).await;
    namespace(&b.h, &bc, &nb).await;
    // A registry name of this test alone: its group is this test's.
    let registry = format!("widen-{pid}.invalid");
    let image = format!("{registry}/team/app:1.0");
    W::new("Deployment", "web", image.clone())
        .create(&ac, &na)
        .await;
    W::new("Deployment", "web", image.clone())
        .create(&bc, &nb)
        .await;
    failing_pod(&ac, &na, "web").await;
    failing_pod(&bc, &nb, "web").await;
    let before_r = writable(&rc, f.restricted_ns()).await;

    let console = Console::launch(&f, &format!("fleet-widen-{pid}"));
    console.filter(&registry);
    console.wait("the group's rows in both clusters", |s| {
        Console::has_row(s, &a.context, &na) && Console::has_row(s, &b.context, &nb)
    });
    console.tmux.send(&["A"]);
    let form = console.wait("the group form, one cluster", |s| {
        s.contains("clusters") && s.contains("this cluster only")
    });
    assert!(form.contains("(+1 in other"), "{form}");
    // The clusters row is the last: Up from the first wraps to it.
    console.tmux.send(&["Up", "Right"]);
    console.wait("widened to both clusters", |s| s.contains("all 2 clusters"));
    console.tmux.send(&["Enter"]);
    let preview = console.wait("one preview of both clusters", |s| {
        s.contains("2 clusters (") && s.contains("equivalent kubectl")
    });
    for ctx in [&a.context, &b.context] {
        assert!(preview.contains(ctx.as_str()), "{ctx}:\n{preview}");
    }
    assert!(
        !preview.contains(&format!("context {}", r.context)),
        "{preview}"
    );
    console.tmux.send(&["y"]);
    console.wait("both applied", |s| {
        s.contains(&format!("{}: applied", a.context))
            || s.contains(&format!("{}: applied", b.context))
    });
    // Both clusters' Deployments got the annotation; fleet-c is untouched.
    let t = std::time::Instant::now();
    loop {
        let (wa, wb) = (
            template_annotations(&ac, &na).await,
            template_annotations(&bc, &nb).await,
        );
        let has = |v: &Value| {
            v.as_object()
                .is_some_and(|m| m.values().any(|x| x.as_str() == Some(registry.as_str())))
        };
        if has(&wa) && has(&wb) {
            break;
        }
        assert!(t.elapsed() < SCREEN, "annotations: {wa} {wb}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        writable(&rc, f.restricted_ns()).await,
        before_r,
        "fleet-c unchanged"
    );
    // One audit line per cluster, each naming its context.
    let t = std::time::Instant::now();
    loop {
        let contexts: Vec<String> = console
            .dirs
            .audit_lines()
            .iter()
            .filter_map(|l| l["context"].as_str().map(str::to_string))
            .collect();
        if contexts.contains(&a.context) && contexts.contains(&b.context) {
            assert_eq!(contexts.len(), 2, "{contexts:?}");
            break;
        }
        assert!(t.elapsed() < SCREEN, "audit: {contexts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    console.quit();
}
