//! A fleet of clusters for the fleet tests: several real API servers started
//! by `scripts/test-cluster fleet-up DIR` (or `scripts/test`), described by
//! `DIR/env`, which the tests find in `PULLTUI_E2E_FLEET_ENV`.
//!
//! - `DIR/kubeconfig` has one context per cluster (`fleet-a`, `fleet-b`,
//!   `fleet-c`): an admin, except the last, whose user may only
//!   get/list/watch pods and events in one namespace (`restricted_ns`).
//! - Each cluster is also a `Harness` of its own (`Member::h`): its env has
//!   every key of a single harness (its `admin`/`viewer` contexts, the shared
//!   registries), so the single-cluster helpers work on it.
//! - `stop`/`start` take one cluster's API server down and back
//!   (`fleet-stop`/`fleet-start`): same port, same objects.
//!
//! ```ignore
//! let Some(f) = support::fleet::fleet() else { return };
//! let _all_up = f.shared();              // no cluster stopped meanwhile
//! let a = f.admin("fleet-a").await;      // the cluster's system:masters
//! let c = f.client("fleet-c").await;     // the fleet kubeconfig's user
//! let run = f.pulltui().args(&["check", "--all-contexts"]).run();
//! ```
//!
//! Tests that stop a cluster hold `exclusive()` (every other fleet test
//! holds `shared()` for its duration), so no test finds a cluster down that
//! it did not stop, under nextest (a process per test) as under `cargo test`.

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use kube::config::Kubeconfig;

use super::Harness;
use super::cli::Pulltui;

/// The fleet, as described by its env file.
pub struct Fleet {
    /// `DIR/env`: the fleet's keys; its `KUBECONFIG` is the fleet kubeconfig.
    pub h: Harness,
    /// The clusters, in the kubeconfig's order.
    pub members: Vec<Member>,
}

/// One cluster of the fleet.
pub struct Member {
    /// Its context in the fleet kubeconfig (`fleet-a`).
    pub context: String,
    /// Its API server (`https://127.0.0.1:PORT`).
    pub server: String,
    /// Its simulated node (`fleet-a-node`).
    pub node: String,
    /// Its API server's `--etcd-prefix` on the shared etcd.
    pub etcd_prefix: String,
    /// The cluster as a single harness (`DIR/clusters/NAME/env`).
    pub h: Harness,
}

/// The fleet, or `None` (after printing SKIPPED) when none is running.
/// Panics when `CI=true` and it is missing: CI must run these tests.
pub fn fleet() -> Option<Fleet> {
    match std::env::var("PULLTUI_E2E_FLEET_ENV") {
        Ok(p) if !p.is_empty() => {
            Some(Fleet::load(Path::new(&p)).unwrap_or_else(|e| {
                panic!("PULLTUI_E2E_FLEET_ENV={p}: cannot read fleet env: {e:#}")
            }))
        }
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but PULLTUI_E2E_FLEET_ENV is not set: the fleet harness must run \
                     in CI (scripts/test starts it)"
                );
            }
            eprintln!(
                "SKIPPED: fleet harness not running (start it with scripts/test, or \
                 `scripts/test-cluster fleet-up DIR` and export PULLTUI_E2E_FLEET_ENV=DIR/env)"
            );
            None
        }
    }
}

/// `fleet-a` -> `A`: the letter of the cluster's keys in the fleet env.
fn key_letter(context: &str) -> String {
    context
        .strip_prefix("fleet-")
        .unwrap_or(context)
        .to_uppercase()
}

impl Fleet {
    pub fn load(path: &Path) -> anyhow::Result<Fleet> {
        let h = Harness::load(path)?;
        let contexts = h
            .vars
            .get("PULLTUI_FLEET_CONTEXTS")
            .with_context(|| format!("no PULLTUI_FLEET_CONTEXTS in {}", path.display()))?
            .clone();
        let mut members = Vec::new();
        for context in contexts.split(',') {
            let k = |what: &str| format!("PULLTUI_FLEET_{}_{what}", key_letter(context));
            let var = |what: &str| {
                h.vars
                    .get(&k(what))
                    .cloned()
                    .with_context(|| format!("no {} in {}", k(what), path.display()))
            };
            let env = var("ENV")?;
            members.push(Member {
                context: context.to_string(),
                server: var("SERVER")?,
                node: var("NODE")?,
                etcd_prefix: var("ETCD_PREFIX")?,
                h: Harness::load(Path::new(&env))?,
            });
        }
        anyhow::ensure!(!members.is_empty(), "no cluster in {}", path.display());
        Ok(Fleet { h, members })
    }

    /// The fleet kubeconfig (one context per cluster).
    pub fn kubeconfig(&self) -> PathBuf {
        self.h.kubeconfig()
    }

    pub fn contexts(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.context.as_str()).collect()
    }

    pub fn member(&self, context: &str) -> &Member {
        self.members
            .iter()
            .find(|m| m.context == context)
            .unwrap_or_else(|| panic!("no cluster {context} in the fleet ({:?})", self.contexts()))
    }

    /// The cluster whose context's user may read one namespace only.
    pub fn restricted(&self) -> &Member {
        self.member(self.h.var("PULLTUI_FLEET_RESTRICTED_CONTEXT"))
    }

    /// That namespace (also the restricted context's namespace).
    pub fn restricted_ns(&self) -> &str {
        self.h.var("PULLTUI_FLEET_RESTRICTED_NS")
    }

    /// A client for a context of the fleet kubeconfig (its user: an admin,
    /// or the restricted user).
    pub async fn client(&self, context: &str) -> kube::Client {
        self.h.client(context).await
    }

    /// The cluster's admin (system:masters), from its own kubeconfig.
    pub async fn admin(&self, context: &str) -> kube::Client {
        self.member(context).h.admin().await
    }

    /// A client for `context` of the fleet kubeconfig that verifies the
    /// server against the CA of the context `ca_of` instead of its own.
    pub async fn client_with_ca_of(&self, context: &str, ca_of: &str) -> kube::Client {
        let mut kc = Kubeconfig::read_from(self.kubeconfig()).expect("fleet kubeconfig readable");
        let ca = |kc: &Kubeconfig, name: &str| {
            kc.clusters
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.cluster.as_ref())
                .and_then(|c| c.certificate_authority_data.clone())
                .unwrap_or_else(|| panic!("cluster {name}: no CA in the fleet kubeconfig"))
        };
        let other = ca(&kc, ca_of);
        for c in &mut kc.clusters {
            if c.name == context
                && let Some(cluster) = c.cluster.as_mut()
            {
                cluster.certificate_authority_data = Some(other.clone());
            }
        }
        super::client_of(kc, Some(context)).await
    }

    /// The binary with the fleet kubeconfig.
    pub fn pulltui(&self) -> Pulltui {
        Pulltui::new().kubeconfig(self.kubeconfig())
    }

    /// Every cluster's simulated node is Ready (fails loudly otherwise).
    pub async fn require_simulators(&self) {
        for m in &self.members {
            let mut h = m.h.clone();
            h.vars.insert("PULLTUI_SIM_NODE".into(), m.node.clone());
            h.require_simulator(&m.h.admin().await).await;
        }
    }

    fn lock_file(&self) -> File {
        let path = Path::new(self.h.var("PULLTUI_FLEET_DIR")).join("fleet.lock");
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
    }

    /// Held while a test needs every cluster up: no `exclusive` holder
    /// (a test that stops a cluster) runs meanwhile.
    pub fn shared(&self) -> FleetLock {
        let f = self.lock_file();
        f.lock_shared().expect("shared lock on the fleet");
        FleetLock(f)
    }

    /// Held by a test that stops a cluster: it runs alone among fleet tests.
    pub fn exclusive(&self) -> FleetLock {
        let f = self.lock_file();
        f.lock().expect("exclusive lock on the fleet");
        FleetLock(f)
    }

    /// `scripts/test-cluster ACTION DIR CONTEXT`.
    fn try_ctl(&self, action: &str, context: &str) -> Result<(), String> {
        let ctl = self.h.var("PULLTUI_FLEET_CTL");
        let dir = self.h.var("PULLTUI_FLEET_DIR");
        let out = Command::new(ctl)
            .args([action, dir, context])
            .output()
            .map_err(|e| format!("running {ctl}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        Err(format!(
            "{ctl} {action} {dir} {context} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    fn ctl(&self, action: &str, context: &str) {
        if let Err(e) = self.try_ctl(action, context) {
            panic!("{e}");
        }
    }

    /// Stop the cluster's API server (hold `exclusive()`); it is started
    /// again by `Stopped::start`, or when the guard drops (a failing test
    /// leaves no cluster down behind it).
    pub fn stop(&self, context: &str) -> Stopped<'_> {
        self.ctl("fleet-stop", context);
        Stopped {
            fleet: self,
            context: context.to_string(),
            running: false,
        }
    }
}

impl Member {
    /// `127.0.0.1:PORT` of its API server.
    pub fn addr(&self) -> SocketAddr {
        self.server
            .trim_start_matches("https://")
            .parse()
            .unwrap_or_else(|e| panic!("server {}: {e}", self.server))
    }

    /// Whether a TCP connection to its API server is refused.
    pub fn refuses_connections(&self) -> bool {
        match TcpStream::connect_timeout(&self.addr(), Duration::from_secs(3)) {
            Ok(_) => false,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        }
    }
}

/// A lock on the fleet (`Fleet::shared`, `Fleet::exclusive`), released on drop.
pub struct FleetLock(File);

/// A cluster whose API server `Fleet::stop` stopped.
pub struct Stopped<'a> {
    fleet: &'a Fleet,
    context: String,
    running: bool,
}

impl Stopped<'_> {
    /// Start it again (same port, same etcd data); returns once `/readyz`
    /// answers.
    pub fn start(mut self) {
        self.fleet.ctl("fleet-start", &self.context);
        self.running = true;
    }
}

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if !self.running {
            eprintln!("starting {} again (the test did not)", self.context);
            // No panic here: this may run while the test is unwinding.
            if let Err(e) = self.fleet.try_ctl("fleet-start", &self.context) {
                eprintln!("{e}");
            }
        }
    }
}

/// A bare pod named `name` in `ns` pulling `image` (a registry that wants
/// credentials it lacks), once it fails its pull on `node`.
pub async fn failing_bare(c: &kube::Client, ns: &str, name: &str, image: &str, node: &str) {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, PostParams};
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": image}]}
    }))
    .expect("pod");
    Api::<Pod>::namespaced(c.clone(), ns)
        .create(&PostParams::default(), &pod)
        .await
        .unwrap_or_else(|e| panic!("creating {ns}/{name}: {e}"));
    super::wait_named(
        c,
        ns,
        name,
        Duration::from_secs(90),
        "failing its pull",
        |p| {
            p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
                && matches!(
                    super::pod_state(p).as_deref(),
                    Some("ErrImagePull" | "ImagePullBackOff")
                )
        },
    )
    .await;
}
