//! The console's probes, live: this machine's probe of a pod's registry
//! (with the pod's pull secrets, by kubelet's matching, and its node's
//! platform) and the in-cluster probe pod on its node. Results stream to
//! the app as `ProbeMsg`s. Closing the pane aborts both; the probe pod is
//! deleted by its guard, and at quit `finish` awaits the deletes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use kube::Client;
use kube::api::{Api, DeleteParams};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::probe_pod::{self, NodeEvent, PodEvent, ProbePodRequest};
use crate::app::msg::{ClusterMsg, Msg, ProbeId, ProbeMsg, SessionKey};
use crate::domain::audit::Origin;
use crate::domain::failing::PodKey;
use crate::domain::image::ImageRef;
use crate::domain::probe::{Platform, ProbePlan, credentials_from_secret};

/// Seconds per step of the console's probes.
pub const STEP_TIMEOUT_S: u64 = 5;

async fn send(tx: &mpsc::Sender<Msg>, session: &SessionKey, probe: ProbeId, msg: ProbeMsg) -> bool {
    tx.send(Msg::Cluster(
        session.clone(),
        ClusterMsg::Probe {
            probe,
            msg: Box::new(msg),
        },
    ))
    .await
    .is_ok()
}

/// The plan for the pod's container: its image, the pull secrets in force
/// (the pod's, then its ServiceAccount's) and the node's platform.
pub async fn plan_for(client: &Client, pod: &PodKey, container: &str) -> Result<ProbePlan, String> {
    let p = Api::<Pod>::namespaced(client.clone(), &pod.namespace)
        .get(&pod.name)
        .await
        .map_err(|e| format!("reading pod {pod}: {}", super::describe(&e)))?;
    let spec = p.spec.as_ref().ok_or("the pod has no spec")?;
    let image = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == container)
        .and_then(|c| c.image.clone())
        .ok_or_else(|| format!("container {container} has no image"))?;
    let image = ImageRef::parse(&image).map_err(|e| format!("invalid image {image:?}: {e}"))?;
    let mut names = crate::domain::pod::pull_secret_names(&p);
    let sa = crate::domain::pod::service_account_of(&p);
    if let Ok(sa) = Api::<ServiceAccount>::namespaced(client.clone(), &pod.namespace)
        .get(&sa)
        .await
    {
        for s in crate::domain::pod::sa_pull_secret_names(&sa) {
            if !names.contains(&s) {
                names.push(s);
            }
        }
    }
    let mut creds = Vec::new();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &pod.namespace);
    for n in names {
        match secrets.get(&n).await {
            Ok(s) => match credentials_from_secret(&s, &image) {
                Ok(c) => creds.extend(c),
                Err(e) => tracing::debug!(secret = n, error = %e, "probe: secret not usable"),
            },
            Err(e) => {
                tracing::debug!(secret = n, error = %super::describe(&e), "probe: secret not read")
            }
        }
    }
    let mut platform: Option<Platform> = None;
    if let Some(node) = &spec.node_name
        && let Ok(n) = Api::<Node>::all(client.clone()).get(node).await
    {
        platform = n
            .status
            .and_then(|s| s.node_info)
            .map(|i| Platform::new(&i.operating_system, &i.architecture));
    }
    let mut plan = ProbePlan::new(image, platform.unwrap_or_else(crate::probe::this_platform));
    plan.credentials = creds;
    plan.step_timeout_ms = STEP_TIMEOUT_S * 1000;
    Ok(plan)
}

/// The probe pod's name while it may exist (`None` once deleted).
type PodName = Arc<Mutex<Option<String>>>;

/// A node probe started from the console: its forwarder, and the pod to
/// delete at quit.
struct NodeRun {
    task: JoinHandle<()>,
    api: Api<Pod>,
    name: PodName,
}

/// How long a node probe's preview stays valid for `y`.
const PREVIEW_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// A previewed node probe (see `Prober::pending`).
struct Pending {
    session: SessionKey,
    client: Client,
    req: ProbePodRequest,
    at: Timestamp,
}

#[derive(Default)]
pub struct Prober {
    laptop: HashMap<ProbeId, JoinHandle<()>>,
    /// Previewed node probes waiting for `y`: the request and the instant
    /// its pod was built for (its name and expiry derive from it), so the pod
    /// created is the pod previewed.
    pending: HashMap<ProbeId, Pending>,
    node: HashMap<ProbeId, NodeRun>,
    /// Probe pods whose delete may still be in flight (for `finish`).
    started: Vec<(Api<Pod>, PodName)>,
    /// The probe pod's image, namespace and pull secret.
    pub placement: probe_pod::Placement,
    /// `--read-only` / `--dry-run`: no probe pod is created.
    pub mode: super::WriteMode,
}

impl Drop for Prober {
    fn drop(&mut self) {
        for t in self.laptop.values() {
            t.abort();
        }
        for n in self.node.values() {
            n.task.abort();
        }
    }
}

impl Prober {
    pub fn laptop(
        &mut self,
        session: SessionKey,
        probe: ProbeId,
        client: Client,
        pod: PodKey,
        container: String,
        tx: mpsc::Sender<Msg>,
    ) {
        let task = tokio::spawn(async move {
            let plan = match plan_for(&client, &pod, &container).await {
                Ok(p) => p,
                Err(e) => {
                    send(&tx, &session, probe, ProbeMsg::LaptopFailed(e)).await;
                    return;
                }
            };
            let mut h = crate::probe::spawn(plan, crate::probe::Options::from_env());
            while let Some(ev) = h.next().await {
                let msg = match ev {
                    crate::probe::ProbeEvent::Step(s) => ProbeMsg::LaptopStep(s),
                    crate::probe::ProbeEvent::Done(r) => ProbeMsg::LaptopDone(Box::new(r)),
                };
                if !send(&tx, &session, probe, msg).await {
                    return;
                }
            }
        });
        if let Some(old) = self.laptop.insert(probe, task) {
            old.abort();
        }
    }

    /// Builds the probe pod and answers with its preview; keeps the request for `y`.
    #[allow(clippy::too_many_arguments)]
    pub fn node_preview(
        &mut self,
        session: SessionKey,
        probe: ProbeId,
        client: Client,
        origin: Origin,
        node: String,
        image: String,
        blob_host: Option<(String, u16)>,
        tx: mpsc::Sender<Msg>,
    ) {
        let msg = match ImageRef::parse(&image) {
            Err(e) => ProbeMsg::NodeRefused(format!("invalid image {image:?}: {e}")),
            Ok(target) => {
                // Never the tenant's namespace (the failing pod's): the
                // probe pod has the node's network and certificates.
                let req = ProbePodRequest {
                    namespace: self.placement.namespace.clone(),
                    pull_secret: self.placement.pull_secret.clone(),
                    node: node.clone(),
                    probe_image: self.placement.image.clone(),
                    target,
                    // When this machine's probe has finished (`p` first).
                    blob_host,
                    step_timeout_s: STEP_TIMEOUT_S,
                    host_network: true,
                    origin,
                };
                let now = Timestamp::now();
                let pod = probe_pod::build_pod(&req, &probe_pod::pod_name(&node, now), now);
                let preview = probe_pod::pod_preview(&req, &pod);
                self.pending.insert(
                    probe,
                    Pending {
                        session: session.clone(),
                        client,
                        req,
                        at: now,
                    },
                );
                ProbeMsg::NodePreview(Box::new(preview))
            }
        };
        tokio::spawn(async move {
            send(&tx, &session, probe, msg).await;
        });
    }

    /// `y`: creates the previewed pod and streams its results.
    pub fn node_start(&mut self, probe: ProbeId, tx: mpsc::Sender<Msg>) {
        let Some(Pending {
            session,
            client,
            req,
            at,
        }) = self.pending.remove(&probe)
        else {
            return;
        };
        if self.mode != super::WriteMode::Write {
            // Enforced here, whatever the keys did: the pod is not created.
            let why = match self.mode {
                super::WriteMode::ReadOnly => "read-only: the probe pod was not created",
                _ => "dry run: the probe pod was not created (a node probe needs a real pod)",
            };
            tokio::spawn(async move {
                send(&tx, &session, probe, ProbeMsg::NodeRefused(why.into())).await;
            });
            return;
        }
        // Exactly the previewed pod: same name, same expiry. A preview left
        // open too long would create a pod whose expiry is near or past
        // (the sweep removes such pods): it must be looked at again.
        if Timestamp::now().duration_since(at) > PREVIEW_TTL {
            let why = "the preview is more than a minute old: the pod was not created; open \
                       the node probe again to see a fresh preview";
            tokio::spawn(async move {
                send(&tx, &session, probe, ProbeMsg::NodeRefused(why.into())).await;
            });
            return;
        }
        let name = Arc::new(Mutex::new(Some(probe_pod::pod_name(&req.node, at))));
        let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
        let seen = name.clone();
        let mut h = probe_pod::spawn(client, req, at);
        let task = tokio::spawn(async move {
            while let Some(ev) = h.next().await {
                let msg = match ev {
                    NodeEvent::Pod(PodEvent::Created { name, host_network }) => {
                        if let Ok(mut n) = seen.lock() {
                            *n = Some(name.clone());
                        }
                        ProbeMsg::NodeCreated { name, host_network }
                    }
                    NodeEvent::Pod(PodEvent::Note(n)) => ProbeMsg::NodeNote(n),
                    NodeEvent::Pod(PodEvent::Step(s)) => ProbeMsg::NodeStep(s),
                    NodeEvent::Pod(PodEvent::Deleted { name }) => {
                        if let Ok(mut n) = seen.lock() {
                            *n = None;
                        }
                        ProbeMsg::NodeDeleted { name }
                    }
                    NodeEvent::Done(Ok(np)) => {
                        for n in np.notes {
                            send(&tx, &session, probe, ProbeMsg::NodeNote(n)).await;
                        }
                        ProbeMsg::NodeDone(Ok(Box::new(np.report)))
                    }
                    NodeEvent::Done(Err(e)) => ProbeMsg::NodeDone(Err(e.to_string())),
                };
                if !send(&tx, &session, probe, msg).await {
                    return;
                }
            }
        });
        self.started.push((api.clone(), name.clone()));
        if let Some(old) = self.node.insert(probe, NodeRun { task, api, name }) {
            old.task.abort();
        }
    }

    pub fn node_cancel(&mut self, probe: ProbeId) {
        self.pending.remove(&probe);
    }

    /// The pane closed: stop both sides (the pod's guard deletes it).
    pub fn cancel(&mut self, probe: ProbeId) {
        self.pending.remove(&probe);
        if let Some(t) = self.laptop.remove(&probe) {
            t.abort();
        }
        if let Some(n) = self.node.remove(&probe) {
            n.task.abort();
            delete_soon(n.api, n.name);
        }
    }

    /// Quit: stop everything and return the deletes to await.
    pub fn finish(&mut self) -> futures::future::BoxFuture<'static, ()> {
        for (_, t) in self.laptop.drain() {
            t.abort();
        }
        for (_, n) in self.node.drain() {
            n.task.abort();
        }
        self.pending.clear();
        let started = std::mem::take(&mut self.started);
        Box::pin(async move {
            for (api, name) in started {
                let name = name.lock().ok().and_then(|n| n.clone());
                if let Some(name) = name {
                    delete(&api, &name).await;
                }
            }
        })
    }
}

fn force() -> DeleteParams {
    DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    }
}

async fn delete(api: &Api<Pod>, name: &str) {
    match api.delete(name, &force()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => tracing::warn!(pod = name, error = %e, "deleting the probe pod"),
    }
}

/// A cancelled node probe: its pod goes now (the guard does too; a 404 is fine).
fn delete_soon(api: Api<Pod>, name: PodName) {
    let name = name.lock().ok().and_then(|n| n.clone());
    if let Some(name) = name {
        tokio::spawn(async move { delete(&api, &name).await });
    }
}
