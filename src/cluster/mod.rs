//! Kubernetes I/O: a client from the kubeconfig (kube-rs inference: the
//! `KUBECONFIG` list merged, `~/.kube/config`, exec/OIDC plugins, in-cluster),
//! the pods and events watchers that feed `Msg`s into a bounded channel, and
//! the one-shot lookups the app asks for (owners, namespaces).
//!
//! Memory stays bounded: pods are reduced to a key unless they fail
//! (`PodFact`), the events watcher only sees `Failed` events about pods
//! (field selector, works on 1.20+), and owners are looked up on demand for
//! failing pods only (metadata GETs) rather than watching every ReplicaSet.

pub mod changes;
pub mod check;
mod connect;
mod deletes;
pub mod detail;
pub mod error;
pub mod fixer;
pub mod follow;
mod history;
mod lean_pod;
pub mod liveness;
pub mod mutate;
mod owner_target;
pub mod probe_pod;
pub mod prober;
mod reads;
pub mod recovery;
mod renewal;
mod watch;

pub use connect::*;
pub use reads::*;
pub use watch::*;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config, ResourceExt};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use crate::app::msg::{
    Backend, ClusterMsg, DetailId, Effect, FetchEffect, Generation, Msg, MutateEffect, ProbeEffect,
    SessionKey, WatchEffect,
};
use crate::domain::cluster_id::ClusterId;
use crate::domain::facts::{EventFact, OwnerKey, PodFact, WatchEvent, owner_lookup_from_refs};
use crate::domain::failing::{OwnerLookup, PodKey};
use crate::domain::scope::Scope;
use detail::DetailTasks;
use error::{ApiError, ApiErrorKind};

/// A session's connection, once there is one. It is replaced when the
/// server refuses the credentials and the kubeconfig gives new ones, so
/// whatever asks for it afterwards (the detail, fixes, probes, the
/// heartbeat) uses the renewed client.
#[derive(Clone, Default)]
pub struct SharedConn(Arc<std::sync::RwLock<Option<Connection>>>);

impl SharedConn {
    pub(crate) fn get(&self) -> Option<Connection> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn client(&self) -> Option<Client> {
        self.get().map(|c| c.client)
    }

    fn set(&self, conn: Connection) {
        match self.0.write() {
            Ok(mut g) => *g = Some(conn),
            Err(poisoned) => *poisoned.into_inner() = Some(conn),
        }
    }
}

/// The live watchers of one generation (context + scope). Dropping it stops them.
pub struct Session {
    generation: Generation,
    conn: SharedConn,
    /// Bounds its concurrent owner lookups (each cluster its own: a slow
    /// one never holds another's back).
    lookups: Arc<Semaphore>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What the backend may write, whatever it is asked (`--read-only`,
/// `--dry-run`): the app disables the keys, and this enforces it where the
/// writes happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    #[default]
    Write,
    /// Every write is sent with `dryRun=All`; no probe pod is created.
    DryRun,
    /// Nothing is written: no fix, no probe pod, no sweep of old probe pods.
    ReadOnly,
}

/// Owner lookups in flight at once, per cluster.
const OWNER_LOOKUPS: usize = 8;

/// Full pod lists (every healthy pod) in flight at once, over the whole
/// fleet: ten clusters decoding their first lists together starve each
/// other's failing pods of CPU (`scripts/bench --fleet 10`: one at a time
/// is as fast or faster than two for every figure). A slow cluster holds
/// its turn only for `watch::FULL_LIST_TURN`.
const FULL_LISTS: usize = 1;

/// Runs the app's cluster effects; owns the sessions (one per slot: one
/// cluster, or each cluster of a fleet).
pub struct Cluster {
    kubeconfig: Option<PathBuf>,
    mode: WriteMode,
    tx: mpsc::Sender<Msg>,
    sessions: std::collections::BTreeMap<usize, Session>,
    /// The open detail's watch and reads, and the session they use.
    detail: Option<DetailTasks>,
    detail_session: Option<Generation>,
    /// The fixes started from the keys (they outlive a reconnect).
    fixer: fixer::Fixer,
    /// The probe pane's probes.
    prober: prober::Prober,
    /// How often a session asks whether the server is there (`None`: never).
    heartbeat: Option<Duration>,
    /// The turns of the sessions' full pod lists (`FULL_LISTS`).
    full_lists: Arc<Semaphore>,
}

impl Cluster {
    pub fn new(kubeconfig: Option<PathBuf>, tx: mpsc::Sender<Msg>) -> Self {
        Cluster {
            kubeconfig,
            mode: WriteMode::Write,
            tx,
            sessions: Default::default(),
            detail: None,
            detail_session: None,
            fixer: fixer::Fixer::default(),
            prober: prober::Prober::default(),
            heartbeat: Some(liveness::HEARTBEAT_EVERY),
            full_lists: Arc::new(Semaphore::new(FULL_LISTS)),
        }
    }

    /// How often the session's heartbeat asks the server (`None`: no
    /// heartbeat; `PULLTUI_HEARTBEAT_SECS`, read by the CLI).
    pub fn with_heartbeat(mut self, every: Option<Duration>) -> Self {
        self.heartbeat = every;
        self
    }

    /// The probe pod's image, namespace and pull secret (the flags, the
    /// config file, the defaults).
    pub fn with_probe_placement(mut self, placement: probe_pod::Placement) -> Self {
        self.prober.placement = placement;
        self
    }

    /// `--read-only` / `--dry-run`, enforced here.
    pub fn with_mode(mut self, mode: WriteMode) -> Self {
        self.mode = mode;
        self.fixer.mode = mode;
        self.prober.mode = mode;
        self
    }

    fn probe(&mut self, effect: ProbeEffect) {
        let tx = self.tx.clone();
        match effect {
            ProbeEffect::Laptop {
                session,
                probe,
                pod,
                container,
            } => {
                if let Some(client) = self.client(&session) {
                    self.prober
                        .laptop(session, probe, client, pod, container, tx);
                }
            }
            ProbeEffect::NodePreview {
                session,
                probe,
                node,
                image,
                blob_host,
                ..
            } => {
                if let Some(conn) = self.connection(&session) {
                    let user = crate::audit::kubeconfig_user(
                        self.kubeconfig.as_deref(),
                        conn.context.as_deref(),
                    );
                    let origin = crate::audit::Origin::new(&conn.cluster_id(), user);
                    self.prober.node_preview(
                        session,
                        probe,
                        conn.client,
                        origin,
                        node,
                        image,
                        blob_host,
                        tx,
                    );
                }
            }
            ProbeEffect::NodeStart { probe } => self.prober.node_start(probe, tx),
            ProbeEffect::NodeCancel { probe } => self.prober.node_cancel(probe),
            ProbeEffect::Cancel { probe } => self.prober.cancel(probe),
        }
    }

    /// Stops the session in `slot` (and the detail reading through it) and
    /// starts one for `context` and `scope`.
    pub fn connect(
        &mut self,
        slot: usize,
        session: SessionKey,
        context: Option<String>,
        scope: Scope,
    ) {
        self.disconnect(slot);
        let target = Target {
            kubeconfig: self.kubeconfig.clone(),
            context,
            non_interactive: true,
        };
        let cell = SharedConn::default();
        let tx = self.tx.clone();
        let conn_cell = cell.clone();
        let mode = self.mode;
        let probe_ns = self.prober.placement.namespace.clone();
        let settings = watch::Settings {
            mode,
            probe_ns,
            heartbeat: self.heartbeat,
            full_lists: self.full_lists.clone(),
        };
        let generation = session.generation;
        let main = tokio::spawn(async move {
            run_session(session, target, scope, conn_cell, tx, settings).await;
        });
        self.sessions.insert(
            slot,
            Session {
                generation,
                conn: cell,
                lookups: Arc::new(Semaphore::new(OWNER_LOOKUPS)),
                tasks: vec![main],
            },
        );
    }

    /// Stops the session in `slot`, and the detail when it reads through it.
    pub fn disconnect(&mut self, slot: usize) {
        if let Some(old) = self.sessions.remove(&slot)
            && self.detail_session == Some(old.generation)
        {
            self.stop_detail();
        }
    }

    /// The connection of `session`, if it is current: its generation is
    /// held, and the cluster it names is the one connected (an effect for
    /// another cluster is dropped, whatever its number).
    fn connection(&self, session: &SessionKey) -> Option<Connection> {
        let conn = self.held(session)?.conn.get()?;
        if conn.cluster_id().agrees(&session.cluster) {
            return Some(conn);
        }
        tracing::warn!(%session, connected = %conn.cluster_id(), "an effect for another cluster: dropped");
        None
    }

    /// The session `session` names, when it is held.
    fn held(&self, session: &SessionKey) -> Option<&Session> {
        self.sessions
            .values()
            .find(|s| s.generation == session.generation)
    }

    fn client(&self, session: &SessionKey) -> Option<Client> {
        self.connection(session).map(|c| c.client)
    }

    fn mutate(&mut self, effect: MutateEffect) {
        match effect {
            MutateEffect::Prepare {
                session,
                action,
                request,
            } => {
                let Some(conn) = self.connection(&session) else {
                    return;
                };
                let kubeconfig = self.kubeconfig.clone();
                self.fixer
                    .prepare(session, action, conn, kubeconfig, *request, self.tx.clone());
            }
            MutateEffect::Apply { action, dry_run } => self.fixer.apply(action, dry_run),
            MutateEffect::Cancel { action } => self.fixer.cancel(action),
            MutateEffect::Candidates {
                session,
                action,
                pod,
                container,
            } => {
                let Some(client) = self.client(&session) else {
                    return;
                };
                self.fixer
                    .candidates(session, action, client, pod, container, self.tx.clone());
            }
        }
    }

    /// Runs `read` on the session's client within its bound of lookups,
    /// and sends its answer tagged with the session.
    fn spawn_lookup<F, Fut>(&self, session: SessionKey, read: F)
    where
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ClusterMsg> + Send + 'static,
    {
        let (Some(s), Some(client)) = (self.held(&session), self.client(&session)) else {
            return;
        };
        let tx = self.tx.clone();
        let sem = s.lookups.clone();
        tokio::spawn(async move {
            let _permit = sem.acquire().await;
            let msg = read(client).await;
            let _ = tx.send(Msg::Cluster(session, msg)).await;
        });
    }

    /// One failing pod's pull secret for the expiry radar, reduced the
    /// moment it arrives; shares the owner lookups' bound.
    pub fn read_pull_secret(&self, session: SessionKey, namespace: String, name: String) {
        self.spawn_lookup(session, |client| async move {
            let result = detail::read_pull_secret(client, &namespace, &name).await;
            ClusterMsg::PullSecret {
                namespace,
                name,
                result,
            }
        });
    }

    pub fn resolve_owner(&self, session: SessionKey, owner: OwnerKey) {
        self.spawn_lookup(session, |client| async move {
            let lookup = resolve_owner(&client, &owner).await;
            ClusterMsg::Owner(owner, lookup)
        });
    }

    /// Starts the detail's events watch, replacing any previous detail's tasks.
    pub fn watch_pod_events(
        &mut self,
        session: SessionKey,
        detail: DetailId,
        pod: PodKey,
        uid: Option<String>,
    ) {
        let Some(client) = self.client(&session) else {
            return;
        };
        let mut tasks = DetailTasks::new(detail);
        let tx = self.tx.clone();
        tasks.push(tokio::spawn(detail::watch_pod_events(
            session.clone(),
            detail,
            client,
            pod,
            uid,
            tx,
        )));
        self.detail = Some(tasks);
        self.detail_session = Some(session.generation);
    }

    /// The tasks of `detail`, started if this is a new detail.
    fn detail_tasks(&mut self, detail: DetailId) -> &mut DetailTasks {
        if self.detail.as_ref().is_none_or(|d| d.id != detail) {
            self.detail = Some(DetailTasks::new(detail));
        }
        self.detail.get_or_insert_with(|| DetailTasks::new(detail))
    }

    /// Runs one of the open detail's reads on this session's client;
    /// it stops with the detail.
    fn spawn_detail_read<F>(
        &mut self,
        session: SessionKey,
        detail: DetailId,
        read: impl FnOnce(Client, mpsc::Sender<Msg>) -> F,
    ) where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let Some(client) = self.client(&session) else {
            return;
        };
        let t = tokio::spawn(read(client, self.tx.clone()));
        self.detail_tasks(detail).push(t);
        self.detail_session = Some(session.generation);
    }

    pub fn get_service_account(
        &mut self,
        session: SessionKey,
        detail: DetailId,
        namespace: String,
        name: String,
    ) {
        self.spawn_detail_read(session.clone(), detail, |client, tx| {
            detail::get_service_account(session, detail, client, namespace, name, tx)
        });
    }

    pub fn get_secret(
        &mut self,
        session: SessionKey,
        detail: DetailId,
        namespace: String,
        name: String,
    ) {
        self.spawn_detail_read(session.clone(), detail, |client, tx| {
            detail::get_secret(session, detail, client, namespace, name, tx)
        });
    }

    /// Reads the detail's node (`FetchEffect::Node`).
    pub fn get_node(&mut self, session: SessionKey, detail: DetailId, name: String) {
        self.spawn_detail_read(session.clone(), detail, |client, tx| {
            detail::get_node(session, detail, client, name, tx)
        });
    }

    /// "Attach what is there": the namespace's unused covering secrets.
    pub fn get_attachable(
        &mut self,
        session: SessionKey,
        detail: DetailId,
        pod: PodKey,
        container: String,
    ) {
        self.spawn_detail_read(session.clone(), detail, |client, tx| {
            detail::get_attachable(session, detail, client, pod, container, tx)
        });
    }

    pub fn stop_detail(&mut self) {
        self.detail = None;
        self.detail_session = None;
    }

    /// Stops everything (quit).
    pub fn stop(&mut self) {
        self.stop_detail();
        self.sessions.clear();
        self.fixer.stop();
    }

    /// What changed around the journal's failures (`FetchEffect::Changes`).
    pub fn read_changes(
        &self,
        session: SessionKey,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        namespaces: std::collections::BTreeSet<String>,
    ) {
        let Some(client) = self.client(&session) else {
            return;
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let changes = changes::read(&client, &namespaces, from, to).await;
            let _ = tx
                .send(Msg::Cluster(session, ClusterMsg::Changes(changes)))
                .await;
        });
    }

    pub fn list_namespaces(&self, session: SessionKey) {
        let Some(client) = self.client(&session) else {
            return;
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let res = list_namespaces(&client).await;
            let _ = tx
                .send(Msg::Cluster(session, ClusterMsg::Namespaces(res)))
                .await;
        });
    }
}

impl Backend for Cluster {
    fn dispatch(&mut self, effect: Effect) {
        match effect {
            Effect::Watch(WatchEffect::Connect {
                slot,
                session,
                context,
                scope,
            }) => self.connect(slot, session, context, scope),
            Effect::Watch(WatchEffect::Disconnect { slot }) => self.disconnect(slot),
            Effect::Watch(WatchEffect::PodEvents {
                session,
                detail,
                pod,
                uid,
            }) => self.watch_pod_events(session, detail, pod, uid),
            Effect::Watch(WatchEffect::StopDetail) => self.stop_detail(),
            Effect::Fetch(FetchEffect::Owner { session, owner }) => {
                self.resolve_owner(session, owner)
            }
            Effect::Fetch(FetchEffect::Namespaces { session }) => self.list_namespaces(session),
            Effect::Fetch(FetchEffect::Changes {
                session,
                from,
                to,
                namespaces,
            }) => self.read_changes(session, from, to, namespaces),
            Effect::Fetch(FetchEffect::ServiceAccount {
                session,
                detail,
                namespace,
                name,
            }) => self.get_service_account(session, detail, namespace, name),
            Effect::Fetch(FetchEffect::Secret {
                session,
                detail,
                namespace,
                name,
            }) => self.get_secret(session, detail, namespace, name),
            Effect::Fetch(FetchEffect::Node {
                session,
                detail,
                name,
            }) => self.get_node(session, detail, name),
            Effect::Fetch(FetchEffect::PullSecret {
                session,
                namespace,
                name,
            }) => self.read_pull_secret(session, namespace, name),
            Effect::Fetch(FetchEffect::Attachable {
                session,
                detail,
                pod,
                container,
            }) => self.get_attachable(session, detail, pod, container),
            Effect::Mutate(m) => self.mutate(m),
            Effect::Probe(p) => self.probe(p),
            Effect::Quit => self.stop(),
        }
    }

    fn finish(&mut self) -> futures::future::BoxFuture<'static, ()> {
        self.prober.finish()
    }
}

#[cfg(test)]
mod session_tests;
