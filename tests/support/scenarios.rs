//! Registry scenarios for end-to-end tests: each one is a workload (a
//! Deployment or a bare Pod, labelled `app=<name>`) plus optional pull secret,
//! pulling from one of the harness registries, with the state the kubelet
//! simulator drives it to and the category `pulltui` must give it.
//!
//! Reused by every e2e test: `e2e_harness` (statuses, events, explain),
//! and later `pulltui check --json` and the TUI in tmux.

use std::time::Duration;

use base64::Engine as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};

use super::Harness;

/// Name of the correct pull secret (for the auth registry) in scenarios.
pub const GOOD_SECRET: &str = "regcred";
/// Name of a secret that holds credentials for the wrong registry host.
pub const WRONG_HOST_SECRET: &str = "regcred-wrong-host";
/// Name referenced by a pod although no such secret exists.
pub const MISSING_SECRET: &str = "does-not-exist";

pub const ANN_SKIP_VERIFY: &str = "eks.tke.cloud.tencent.com/registry-insecure-skip-verify";
pub const ANN_HTTP: &str = "eks.tke.cloud.tencent.com/registry-http-endpoint";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    Pod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    SelfSigned,
    Http,
    Auth,
    Blackhole,
    Closed,
    NxDomain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullSecret {
    None,
    /// dockerconfigjson for the auth registry with the right user/password.
    Correct,
    /// dockerconfigjson with the right user/password, but for another host.
    WrongHost,
    /// `imagePullSecrets` names a secret that does not exist.
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Container waiting with this reason; the pull failure (the `Failed`
    /// event with the runtime's message, or `InspectFailed` for invalid
    /// names) classifies as `category`.
    Failing {
        reason: &'static str,
        category: &'static str,
        /// A fragment of the runtime's message, to check the simulator.
        evidence: &'static str,
    },
    Running,
}

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Workload name and `app` label.
    pub name: &'static str,
    pub kind: Kind,
    pub registry: Registry,
    /// Repository and tag/digest after the registry host (`team/app:1.0`).
    pub repo_tag: &'static str,
    pub secret: PullSecret,
    /// Pod-template annotations (value `HOST` is replaced by the registry host).
    pub annotations: &'static [(&'static str, &'static str)],
    pub expect: Expect,
    /// Category of a `FailedToRetrieveImagePullSecret` event, when expected.
    pub secret_event_category: Option<&'static str>,
}

const fn failing(reason: &'static str, category: &'static str, evidence: &'static str) -> Expect {
    Expect::Failing {
        reason,
        category,
        evidence,
    }
}

const BACKOFF: &str = "ImagePullBackOff";

/// Every scenario; names are unique, so all can share one namespace.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "selfsigned",
        kind: Kind::Deployment,
        registry: Registry::SelfSigned,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(
            BACKOFF,
            "tls.untrusted",
            "x509: certificate signed by unknown authority",
        ),
        secret_event_category: None,
    },
    Scenario {
        name: "plain-http",
        kind: Kind::Deployment,
        registry: Registry::Http,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(
            BACKOFF,
            "protocol.http-registry",
            "http: server gave HTTP response to HTTPS client",
        ),
        secret_event_category: None,
    },
    Scenario {
        name: "auth-nosecret",
        kind: Kind::Deployment,
        registry: Registry::Auth,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(BACKOFF, "auth.no-credentials", "401 Unauthorized"),
        secret_event_category: None,
    },
    Scenario {
        name: "auth-wronghost",
        kind: Kind::Deployment,
        registry: Registry::Auth,
        repo_tag: "team/app:1.0",
        secret: PullSecret::WrongHost,
        annotations: &[],
        expect: failing(BACKOFF, "auth.no-credentials", "401 Unauthorized"),
        secret_event_category: None,
    },
    Scenario {
        name: "auth-missingtag",
        kind: Kind::Deployment,
        registry: Registry::Auth,
        repo_tag: "team/app:9.9-missing",
        secret: PullSecret::Correct,
        annotations: &[],
        expect: failing(BACKOFF, "image.not-found", ": not found"),
        secret_event_category: None,
    },
    Scenario {
        name: "auth-ok",
        kind: Kind::Deployment,
        registry: Registry::Auth,
        repo_tag: "team/app:1.0",
        secret: PullSecret::Correct,
        annotations: &[],
        expect: Expect::Running,
        secret_event_category: None,
    },
    Scenario {
        name: "secret-missing",
        kind: Kind::Deployment,
        registry: Registry::Auth,
        repo_tag: "library/tiny:latest",
        secret: PullSecret::Missing,
        annotations: &[],
        expect: failing(BACKOFF, "auth.no-credentials", "401 Unauthorized"),
        secret_event_category: Some("credentials.secret-missing"),
    },
    Scenario {
        name: "invalid-name",
        kind: Kind::Pod,
        registry: Registry::Http,
        repo_tag: "Team/App:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(
            "InvalidImageName",
            "image.invalid-name",
            "invalid reference format",
        ),
        secret_event_category: None,
    },
    Scenario {
        name: "blackhole",
        kind: Kind::Deployment,
        registry: Registry::Blackhole,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(BACKOFF, "network.timeout", "i/o timeout"),
        secret_event_category: None,
    },
    Scenario {
        name: "refused",
        kind: Kind::Deployment,
        registry: Registry::Closed,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(BACKOFF, "network.refused", "connect: connection refused"),
        secret_event_category: None,
    },
    Scenario {
        name: "nxdomain",
        kind: Kind::Deployment,
        registry: Registry::NxDomain,
        repo_tag: "team/app:1.0",
        secret: PullSecret::None,
        annotations: &[],
        expect: failing(BACKOFF, "network.dns", "no such host"),
        secret_event_category: None,
    },
    Scenario {
        name: "http-annotated",
        kind: Kind::Pod,
        registry: Registry::Http,
        repo_tag: "library/tiny:latest",
        secret: PullSecret::None,
        annotations: &[(ANN_HTTP, "HOST")],
        expect: Expect::Running,
        secret_event_category: None,
    },
    Scenario {
        name: "selfsigned-skipverify",
        kind: Kind::Pod,
        registry: Registry::SelfSigned,
        repo_tag: "library/tiny:latest",
        secret: PullSecret::None,
        annotations: &[(ANN_SKIP_VERIFY, "all")],
        expect: Expect::Running,
        secret_event_category: None,
    },
];

/// Look a scenario up by name (panics on a typo).
pub fn get(name: &str) -> &'static Scenario {
    ALL.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario named {name}"))
}

/// How long a scenario may take to settle (blackhole waits on timeouts).
pub const SETTLE: Duration = Duration::from_secs(45);

impl Scenario {
    pub fn host(&self, h: &Harness) -> String {
        match self.registry {
            Registry::SelfSigned => h.reg_selfsigned(),
            Registry::Http => h.reg_http(),
            Registry::Auth => h.reg_auth(),
            Registry::Blackhole => h.reg_blackhole(),
            Registry::Closed => h.reg_closed(),
            Registry::NxDomain => h.reg_nxdomain(),
        }
        .to_string()
    }

    pub fn image(&self, h: &Harness) -> String {
        format!("{}/{}", self.host(h), self.repo_tag)
    }

    /// The category `pulltui` must report for this workload, if failing.
    pub fn category(&self) -> Option<&'static str> {
        match self.expect {
            Expect::Failing { category, .. } => Some(category),
            Expect::Running => None,
        }
    }

    /// The CAUSE pulltui shows for the row: a credentials failure of a pod
    /// whose pull secret does not exist is the missing secret's fault.
    pub fn row_category(&self) -> Option<&'static str> {
        match (self.category(), self.secret_event_category) {
            (Some(c), Some(secret)) if c.starts_with("auth.") => Some(secret),
            (c, _) => c,
        }
    }

    /// The pod-template / pod spec, as JSON.
    fn pod_template(&self, h: &Harness) -> serde_json::Value {
        let host = self.host(h);
        let annotations: serde_json::Map<String, serde_json::Value> = self
            .annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.replace("HOST", &host).into()))
            .collect();
        let pull_secrets = match self.secret {
            PullSecret::None => serde_json::json!([]),
            PullSecret::Correct => serde_json::json!([{"name": GOOD_SECRET}]),
            PullSecret::WrongHost => serde_json::json!([{"name": WRONG_HOST_SECRET}]),
            PullSecret::Missing => serde_json::json!([{"name": MISSING_SECRET}]),
        };
        serde_json::json!({
            "metadata": {"labels": {"app": self.name}, "annotations": annotations},
            "spec": {
                "containers": [{"name": "app", "image": self.image(h)}],
                "imagePullSecrets": pull_secrets,
                "terminationGracePeriodSeconds": 5,
            }
        })
    }

    /// Create this scenario's secret (if any) and workload in `ns`.
    pub async fn apply(&self, h: &Harness, client: &kube::Client, ns: &str) {
        match self.secret {
            PullSecret::Correct => ensure_secret(client, ns, GOOD_SECRET, h.reg_auth(), h).await,
            PullSecret::WrongHost => {
                ensure_secret(client, ns, WRONG_HOST_SECRET, h.reg_http(), h).await
            }
            PullSecret::None | PullSecret::Missing => {}
        }
        let template = self.pod_template(h);
        match self.kind {
            Kind::Deployment => {
                let d: Deployment = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": self.name, "labels": {"app": self.name}},
                    "spec": {
                        "replicas": 1,
                        "selector": {"matchLabels": {"app": self.name}},
                        "template": template,
                    }
                }))
                .expect("deployment object");
                Api::<Deployment>::namespaced(client.clone(), ns)
                    .create(&PostParams::default(), &d)
                    .await
                    .unwrap_or_else(|e| panic!("creating deployment {ns}/{}: {e}", self.name));
            }
            Kind::Pod => {
                let mut v = template;
                v["metadata"]["name"] = self.name.into();
                let p: Pod = serde_json::from_value(v).expect("pod object");
                Api::<Pod>::namespaced(client.clone(), ns)
                    .create(&PostParams::default(), &p)
                    .await
                    .unwrap_or_else(|e| panic!("creating pod {ns}/{}: {e}", self.name));
            }
        }
    }

    /// Wait until the simulator has driven the workload's pod to the
    /// expected state (for failures: the back-off reason); returns the pod.
    pub async fn wait_settled(&self, client: &kube::Client, ns: &str) -> Pod {
        let want = match self.expect {
            Expect::Failing { reason, .. } => reason,
            Expect::Running => "Running",
        };
        super::wait_pod(client, ns, self.name, SETTLE, want, |p| {
            super::pod_state(p).as_deref() == Some(want)
        })
        .await
    }
}

/// A dockerconfigjson secret with the harness registry user for `host`.
pub async fn ensure_secret(client: &kube::Client, ns: &str, name: &str, host: &str, h: &Harness) {
    let user = h.reg_auth_user();
    let pass = h.reg_auth_pass();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let entry = serde_json::json!({"username": user, "password": pass, "auth": auth});
    let s: Secret = serde_json::from_value(super::workload::pull_secret(name, host, entry))
        .expect("secret object");
    match Api::<Secret>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &s)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => panic!("creating secret {ns}/{name}: {e}"),
    }
}

/// Create every scenario in `ns` (for tests that look at all of them at once).
pub async fn apply_all(h: &Harness, client: &kube::Client, ns: &str) {
    for s in ALL {
        s.apply(h, client, ns).await;
    }
}
