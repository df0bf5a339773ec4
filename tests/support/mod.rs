//! The tests' toolkit (`mod support;` in a test file):
//!
//! - `cli`: the `pulltui` binary, one builder for every run (`Pulltui`,
//!   `Run`, the directories it writes: `Dirs`);
//! - `tmux`: the console in a real terminal;
//! - `probe`: `pulltui probe --json` and its steps; `fix`: `pulltui fix`
//!   through a `Fixture`, and the checks after a fix;
//! - `fixture`: one end-to-end test's world (harness, admin client,
//!   namespace, private directory);
//! - `screen`, `demo`: the console headless (`TestBackend`) and the demo
//!   recording as its backend;
//! - here: the real harness started by `scripts/test-cluster up DIR` (or
//!   `scripts/test`): reading `DIR/env`, kube clients for the `admin` and
//!   `viewer` contexts, per-test namespaces, waiting on pods and events;
//!   `scenarios`, `workload`, `tenant`, `secrets`: what the e2e tests
//!   create on it and search for;
//! - `registry`: a fake registry on loopback, for tests without the harness;
//! - `fleet`: several clusters at once (`scripts/test-cluster fleet-up DIR`,
//!   `PULLTUI_E2E_FLEET_ENV`), one kubeconfig with a context each, each
//!   cluster also a `Harness`; one can be stopped and started again.
//!
//! Use: `let Some(h) = support::harness() else { return };` — when the harness
//! is absent the test prints SKIPPED and returns, unless `CI=true`, where it
//! fails loudly.
// Every test binary compiles the whole toolkit and uses part of it.
#![allow(dead_code)]

pub mod cli;
pub mod demo;
pub mod fix;
pub mod fixture;
pub mod fleet;
pub mod probe;
pub mod registry;
pub mod scenarios;
pub mod screen;
pub mod secrets;
pub mod tenant;
pub mod tmux;
pub mod watch;
pub mod workload;

// The names most tests use, at the top (a test binary uses some of them).
#[allow(unused_imports)]
pub use cli::{Dirs, Pulltui, Run};
#[allow(unused_imports)]
pub use fixture::Fixture;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// The running harness, as described by its env file.
#[derive(Debug, Clone)]
pub struct Harness {
    pub env_file: PathBuf,
    pub vars: HashMap<String, String>,
}

/// The harness, or `None` (after printing SKIPPED) when it is not running.
/// Panics when `CI=true` and the harness is missing: CI must run these tests.
pub fn harness() -> Option<Harness> {
    match std::env::var("PULLTUI_E2E_ENV") {
        Ok(p) if !p.is_empty() => Some(
            Harness::load(Path::new(&p))
                .unwrap_or_else(|e| panic!("PULLTUI_E2E_ENV={p}: cannot read harness env: {e:#}")),
        ),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but PULLTUI_E2E_ENV is not set: the e2e harness must run in CI \
                     (scripts/test starts it)"
                );
            }
            eprintln!(
                "SKIPPED: harness not running (start it with scripts/test, or \
                 `scripts/test-cluster up DIR` and export PULLTUI_E2E_ENV=DIR/env)"
            );
            None
        }
    }
}

impl Harness {
    /// Parse `export KEY=VALUE` lines.
    pub fn load(path: &Path) -> anyhow::Result<Harness> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut vars = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("export ") else {
                continue;
            };
            if let Some((k, v)) = rest.split_once('=') {
                let v = v.trim().trim_matches('"').trim_matches('\'');
                vars.insert(k.trim().to_string(), v.to_string());
            }
        }
        anyhow::ensure!(
            vars.contains_key("KUBECONFIG"),
            "no KUBECONFIG in {}",
            path.display()
        );
        Ok(Harness {
            env_file: path.to_path_buf(),
            vars,
        })
    }

    /// A variable from the env file (panics with a clear message if absent).
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from {}", self.env_file.display()))
    }

    pub fn kubeconfig(&self) -> PathBuf {
        PathBuf::from(self.var("KUBECONFIG"))
    }

    /// `PULLTUI_REG_SELFSIGNED` etc.
    pub fn reg_selfsigned(&self) -> &str {
        self.var("PULLTUI_REG_SELFSIGNED")
    }
    pub fn reg_http(&self) -> &str {
        self.var("PULLTUI_REG_HTTP")
    }
    pub fn reg_auth(&self) -> &str {
        self.var("PULLTUI_REG_AUTH")
    }
    pub fn reg_auth_user(&self) -> &str {
        self.var("PULLTUI_REG_AUTH_USER")
    }
    pub fn reg_auth_pass(&self) -> &str {
        self.var("PULLTUI_REG_AUTH_PASS")
    }
    pub fn reg_blackhole(&self) -> &str {
        self.var("PULLTUI_REG_BLACKHOLE")
    }
    pub fn reg_closed(&self) -> &str {
        self.var("PULLTUI_REG_CLOSED")
    }
    pub fn reg_nxdomain(&self) -> &str {
        self.var("PULLTUI_REG_NXDOMAIN")
    }

    /// A client for a kubeconfig context (`admin` or `viewer`).
    pub async fn client(&self, context: &str) -> kube::Client {
        let kc = Kubeconfig::read_from(self.kubeconfig()).expect("harness kubeconfig readable");
        client_of(kc, Some(context)).await
    }

    pub async fn admin(&self) -> kube::Client {
        self.client("admin").await
    }

    pub async fn viewer(&self) -> kube::Client {
        self.client("viewer").await
    }

    /// The binary with this harness's kubeconfig (a directory of its own).
    pub fn pulltui(&self) -> Pulltui {
        Pulltui::new().kubeconfig(self.kubeconfig())
    }

    /// The harness's Kubernetes minor version (`PULLTUI_K8S_VERSION`, e.g.
    /// 1.35 -> 35; a harness from before it had one is 1.20).
    pub fn k8s_minor(&self) -> u32 {
        self.vars
            .get("PULLTUI_K8S_VERSION")
            .and_then(|v| v.split('.').nth(1))
            .and_then(|m| m.parse().ok())
            .unwrap_or(20)
    }

    /// Whether a test that needs Kubernetes `1.minor` can run here; prints
    /// why not (the feature does not exist on this harness's version).
    pub fn at_least(&self, minor: u32, what: &str) -> bool {
        let have = self.k8s_minor();
        if have < minor {
            eprintln!("NOT ON 1.{have}: {what} needs Kubernetes 1.{minor} or later");
        }
        have >= minor
    }

    /// Fail loudly when the kubelet simulator is not driving the node.
    pub async fn require_simulator(&self, client: &kube::Client) {
        let node = self
            .vars
            .get("PULLTUI_SIM_NODE")
            .cloned()
            .unwrap_or_else(|| "sim-node".into());
        let nodes: Api<Node> = Api::all(client.clone());
        let n = nodes
            .get_opt(&node)
            .await
            .expect("reading nodes")
            .unwrap_or_else(|| {
                panic!(
                    "node {node} missing: the kubelet simulator is not running \
                     (scripts/test-cluster up needs PULLTUI_KUBELET_SIM)"
                )
            });
        let ready = n
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "node {node} is not Ready");
    }

    /// A fresh namespace named `<prefix>-<random>`.
    pub async fn namespace(&self, client: &kube::Client, prefix: &str) -> TestNamespace {
        let name = format!("{}-{}", prefix, random_suffix());
        let api: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "labels": {"pulltui.dev/e2e": "true"}}
        }))
        .expect("namespace object");
        api.create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
        // Pods are admitted only once the default ServiceAccount exists (and,
        // before 1.24, has its token Secret: ServiceAccount admission);
        // controllers retry, bare pods created by tests must wait.
        let needs_token_secret = self.k8s_minor() < 24;
        let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
        let start = Instant::now();
        loop {
            let sa = sas
                .get_opt("default")
                .await
                .expect("reading ServiceAccount");
            let ready = match sa {
                Some(s) if needs_token_secret => s.secrets.is_some_and(|s| !s.is_empty()),
                Some(_) => true,
                None => false,
            };
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "namespace {name}: default ServiceAccount token never appeared"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        TestNamespace {
            name,
            client: client.clone(),
        }
    }
}

pub struct TestNamespace {
    pub name: String,
    client: kube::Client,
}

impl TestNamespace {
    /// Delete the namespace (call at the end of a passing test; a failing test
    /// leaves it for inspection until the harness goes down).
    pub async fn delete(self) {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let _ = api.delete(&self.name, &DeleteParams::default()).await;
    }
}

fn random_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mix = (nanos as u64) ^ ((std::process::id() as u64) << 20);
    format!("{:06x}", mix & 0xff_ffff)
}

/// Pods labelled `app=<app>` that are not being deleted.
pub async fn pods_of(client: &kube::Client, ns: &str, app: &str) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels(&format!("app={app}")))
        .await
        .unwrap_or_else(|e| panic!("listing pods app={app} in {ns}: {e}"))
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

/// A client for `context` of `kc` (its current context when `None`).
pub async fn client_of(kc: Kubeconfig, context: Option<&str>) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .expect("kubeconfig valid");
    kube::Client::try_from(config).expect("kube client")
}

/// pulltui's node probe pods in `ns` (label `app.kubernetes.io/managed-by=pulltui`).
pub async fn probe_pods(client: &kube::Client, ns: &str) -> Vec<Pod> {
    Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=pulltui"))
        .await
        .expect("listing probe pods")
        .items
}

/// The waiting reason of the pod's first container, or `Running`.
pub fn pod_state(p: &Pod) -> Option<String> {
    let st = p.status.as_ref()?;
    let cs = st.container_statuses.as_ref()?.first()?;
    let state = cs.state.as_ref()?;
    if state.running.is_some() {
        return Some("Running".into());
    }
    state.waiting.as_ref().and_then(|w| w.reason.clone())
}

pub fn waiting_message(p: &Pod) -> Option<String> {
    p.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .message
        .clone()
}

/// Wait until one live pod of `app` satisfies `pred`; returns it.
pub async fn wait_pod(
    client: &kube::Client,
    ns: &str,
    app: &str,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&Pod) -> bool,
) -> Pod {
    let start = Instant::now();
    loop {
        let pods = pods_of(client, ns, app).await;
        if let Some(p) = pods.iter().find(|p| pred(p)) {
            return p.clone();
        }
        if start.elapsed() > timeout {
            let seen: Vec<_> = pods
                .iter()
                .map(|p| {
                    format!(
                        "{}: {:?} {:?}",
                        p.metadata.name.as_deref().unwrap_or("?"),
                        pod_state(p),
                        waiting_message(p)
                    )
                })
                .collect();
            panic!("{ns}/{app}: timed out after {timeout:?} waiting for {what}; pods: {seen:#?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Wait until the named pod satisfies `pred`; returns it.
pub async fn wait_named(
    client: &kube::Client,
    ns: &str,
    name: &str,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&Pod) -> bool,
) -> Pod {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let start = Instant::now();
    loop {
        let p = api.get(name).await.expect("reading pod");
        if pred(&p) {
            return p;
        }
        if start.elapsed() > timeout {
            panic!(
                "{ns}/{name}: timed out waiting for {what}; status: {}",
                serde_json::to_string_pretty(&p.status).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Events whose involved object is the named pod.
pub async fn events_for(client: &kube::Client, ns: &str, pod: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().fields(&format!("involvedObject.name={pod}")))
        .await
        .unwrap_or_else(|e| panic!("listing events of {ns}/{pod}: {e}"))
        .items
}

/// Wait for an event of `pod` with `reason` whose message satisfies `pred`.
pub async fn wait_event(
    client: &kube::Client,
    ns: &str,
    pod: &str,
    reason: &str,
    timeout: Duration,
    pred: impl Fn(&str) -> bool,
) -> Event {
    let start = Instant::now();
    loop {
        let evs = events_for(client, ns, pod).await;
        if let Some(e) = evs.iter().find(|e| {
            e.reason.as_deref() == Some(reason) && pred(e.message.as_deref().unwrap_or(""))
        }) {
            return e.clone();
        }
        if start.elapsed() > timeout {
            let seen: Vec<_> = evs
                .iter()
                .map(|e| {
                    format!(
                        "{} x{}: {}",
                        e.reason.as_deref().unwrap_or("?"),
                        e.count.unwrap_or(0),
                        e.message.as_deref().unwrap_or("")
                    )
                })
                .collect();
            panic!("{ns}/{pod}: no {reason} event after {timeout:?}; events: {seen:#?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `pulltui explain --json -- MESSAGE`, parsed.
pub fn explain_json(message: &str) -> serde_json::Value {
    let run = Pulltui::new()
        .args(&["explain", "--json", "--", message])
        .run();
    let line = run.stdout.lines().next().unwrap_or_default();
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("pulltui explain --json printed no JSON ({e}): {run:?}"))
}

/// The `category` that `pulltui explain --json` gives a message.
pub fn explain_category(message: &str) -> String {
    explain_json(message)["category"]
        .as_str()
        .unwrap_or("<no category field>")
        .to_string()
}
