//! One end-to-end test's world on the harness: the harness, an admin client
//! on the simulated node, a fresh namespace and a private directory for what
//! the binary writes.
//!
//! ```ignore
//! let Some(f) = Fixture::new("fix-tls").await else { return };
//! f.apply(&["selfsigned"]).await;
//! let run = f.pulltui().context("admin").args(&["check", "-n", f.ns()]).run();
//! f.delete().await;
//! ```

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use serde_json::{Value, json};

use super::cli::{Dirs, Pulltui};
use super::scenarios;
use super::workload::{W, app_image, deployment_json, failing_pod};
use super::{Harness, TestNamespace};

pub struct Fixture {
    pub h: Harness,
    /// The `admin` context's client.
    pub c: kube::Client,
    pub ns: TestNamespace,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// The harness (`None`, skipped, without it), its admin client, the
    /// kubelet simulator required, a namespace `<prefix>-<random>` and a
    /// temporary directory.
    pub async fn new(prefix: &str) -> Option<Fixture> {
        let h = super::harness()?;
        Some(Fixture::on(h, prefix).await)
    }

    /// `new`, for a test of the console in tmux: `None` (skipped) as well
    /// when tmux is missing, found out before anything is made.
    pub async fn with_tmux(prefix: &str) -> Option<Fixture> {
        let h = super::harness()?;
        if !super::tmux::tmux_available() {
            return None;
        }
        Some(Fixture::on(h, prefix).await)
    }

    async fn on(h: Harness, prefix: &str) -> Fixture {
        let c = h.admin().await;
        h.require_simulator(&c).await;
        let ns = h.namespace(&c, prefix).await;
        let dir = tempfile::tempdir().expect("temp dir");
        Fixture { h, c, ns, dir }
    }

    pub fn ns(&self) -> &str {
        &self.ns.name
    }

    /// Where the binary started by `pulltui` writes.
    pub fn dirs(&self) -> Dirs {
        Dirs::new(self.dir.path())
    }

    /// The binary with the harness kubeconfig, writing under `dir`.
    pub fn pulltui(&self) -> Pulltui {
        Pulltui::new()
            .kubeconfig(self.h.kubeconfig())
            .dir(self.dir.path())
    }

    /// The scenarios `names` created in the namespace, then each waited for
    /// until the simulator has driven it to its state.
    pub async fn apply(&self, names: &[&str]) {
        for name in names {
            scenarios::get(name)
                .apply(&self.h, &self.c, self.ns())
                .await;
        }
        for name in names {
            scenarios::get(name).wait_settled(&self.c, self.ns()).await;
        }
    }

    /// Every scenario (`scenarios::ALL`), created and settled.
    pub async fn apply_all(&self) {
        scenarios::apply_all(&self.h, &self.c, self.ns()).await;
        for s in scenarios::ALL {
            s.wait_settled(&self.c, self.ns()).await;
        }
    }

    /// The ServiceAccount scenario: ServiceAccount `puller` whose pull
    /// secret `keep-secret` holds credentials for the plain-HTTP registry,
    /// and Deployment `web` pulling from the auth registry as `puller`.
    /// Returns its pod, once it fails its pull.
    pub async fn web_as_a_service_account(&self) -> String {
        let ns = self.ns();
        scenarios::ensure_secret(&self.c, ns, "keep-secret", self.h.reg_http(), &self.h).await;
        let sa: ServiceAccount = serde_json::from_value(json!({
            "metadata": {"name": "puller"}, "imagePullSecrets": [{"name": "keep-secret"}]
        }))
        .expect("sa");
        kube::Api::<ServiceAccount>::namespaced(self.c.clone(), ns)
            .create(&PostParams::default(), &sa)
            .await
            .expect("creating sa");
        let mut w = W::new("Deployment", "web", app_image(self.h.reg_auth()));
        w.service_account = Some("puller");
        self.failing(&w).await
    }

    /// `w` created in the namespace; its pod (label `app=NAME`), once it
    /// fails its pull.
    pub async fn failing(&self, w: &W<'_>) -> String {
        w.create(&self.c, self.ns()).await;
        failing_pod(&self.c, self.ns(), w.name).await
    }

    /// The Deployment `name` of the namespace, as the server has it.
    pub async fn deployment(&self, name: &str) -> Value {
        deployment_json(&self.c, self.ns(), name).await
    }

    /// The harness registry's password, its base64 and the base64 of
    /// `user:password` are nowhere in `text`.
    pub fn assert_no_password(&self, text: &str, what: &str) {
        super::secrets::assert_no_password(&self.h, text, what);
    }

    /// Nor in any file the binary wrote (audit log, logs).
    pub fn assert_files_clean(&self) {
        super::secrets::assert_files_clean(&self.h, self.dir.path());
    }

    /// Deletes the namespace (the end of a passing test; a failing one
    /// leaves it for inspection).
    pub async fn delete(self) {
        self.ns.delete().await;
    }
}
