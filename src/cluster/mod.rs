//! Kubernetes I/O: a client from the kubeconfig (kube-rs inference: the
//! `KUBECONFIG` list merged, `~/.kube/config`, exec/OIDC plugins, in-cluster),
//! the pods and events watchers that feed `Msg`s into a bounded channel, and
//! the one-shot lookups the app asks for (owners, namespaces).
//!
//! Memory stays bounded: pods are reduced to a key unless they fail
//! (`PodFact`), the events watcher only sees `Failed` events about pods
//! (field selector, works on 1.20+), and owners are looked up on demand for
//! failing pods only (metadata GETs) rather than watching every ReplicaSet.

pub mod check;
mod deletes;
pub mod detail;
pub mod error;
pub mod fixer;
pub mod follow;
pub mod liveness;
pub mod mutate;
mod owner_target;
pub mod probe_pod;
pub mod prober;
pub mod recovery;
mod renewal;

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
    WatchEffect,
};
use crate::domain::facts::{EventFact, OwnerKey, PodFact, WatchEvent, owner_lookup_from_refs};
use crate::domain::failing::{OwnerLookup, PodKey};
use crate::domain::scope::Scope;
use detail::DetailTasks;
use error::{ApiError, ApiErrorKind};

/// Which kubeconfig and context to use.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// The console owns the terminal: exec credential plugins must not read
    /// the keyboard (`interactiveMode: Never`: their stdin is closed, so a
    /// prompt fails with its message instead of stealing keys).
    pub non_interactive: bool,
}

/// Exec plugins of the console never get the terminal.
fn no_prompts(kc: &mut Kubeconfig) {
    for a in &mut kc.auth_infos {
        if let Some(exec) = a.auth_info.as_mut().and_then(|i| i.exec.as_mut()) {
            exec.interactive_mode = Some(kube::config::ExecInteractiveMode::Never);
        }
    }
}

/// A connected client and what it connected to.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    pub context: Option<String>,
    pub server: String,
    pub default_namespace: String,
}

/// Every watch asks the server to end it after this long (the watcher
/// resumes at once): shorter than `READ_TIMEOUT`, so a quiet watch is never
/// mistaken for a dead connection.
pub const WATCH_TIMEOUT_SECS: u32 = 55;

/// No byte for this long on a connection is a dead connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(70);

/// Field selector of the events watcher: the kubelet's `Failed` events about pods.
pub const EVENT_FIELDS: &str = "involvedObject.kind=Pod,reason=Failed";
/// kubelet's warning for a pull secret that does not exist (one field
/// selector cannot OR two reasons: a second, equally narrow watch).
pub const SECRET_EVENT_FIELDS: &str =
    "involvedObject.kind=Pod,reason=FailedToRetrieveImagePullSecret";
/// kubelet's warning for a pod sandbox it could not create (kept when its
/// pause image failed to pull: `facet::sandbox_image`).
pub const SANDBOX_EVENT_FIELDS: &str = "involvedObject.kind=Pod,reason=FailedCreatePodSandBox";

/// How long the session's first request may take (it also runs an exec
/// credential plugin).
const FIRST_ANSWER: Duration = Duration::from_secs(20);

/// Runs `fut` on a task of its own and waits at most `FIRST_ANSWER`: kube
/// runs exec credential plugins synchronously, so one that hangs blocks the
/// thread it runs on, and only a timeout on another task can notice.
async fn bounded<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
    timed_out: &str,
) -> Result<T, ApiError> {
    match tokio::time::timeout(FIRST_ANSWER, tokio::spawn(fut)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(join)) => Err(ApiError::new(ApiErrorKind::Other, join.to_string())),
        Err(_) => Err(ApiError::new(
            ApiErrorKind::Timeout,
            format!("after {} s: {timed_out}", FIRST_ANSWER.as_secs()),
        )),
    }
}

/// The annotation `kubectl apply` leaves on objects: a whole copy of the
/// spec, useless here.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn config_error(message: String) -> ApiError {
    ApiError::new(ApiErrorKind::Config, message)
}

fn read_kubeconfig(path: Option<&PathBuf>) -> Result<Kubeconfig, ApiError> {
    match path {
        Some(p) => Kubeconfig::read_from(p)
            .map_err(|e| config_error(format!("cannot read {}: {}", p.display(), chain(&e)))),
        None => Kubeconfig::read().map_err(|e| config_error(format!("cannot read: {}", chain(&e)))),
    }
}

/// Context names of the kubeconfig (for the palette); empty when unreadable.
pub fn contexts(target: &Target) -> Vec<String> {
    read_kubeconfig(target.kubeconfig.as_ref())
        .map(|kc| kc.contexts.into_iter().map(|c| c.name).collect())
        .unwrap_or_default()
}

/// Builds a client. Errors are sentences a person can act on.
pub async fn connect(target: &Target) -> Result<Connection, ApiError> {
    let opts = KubeConfigOptions {
        context: target.context.clone(),
        ..Default::default()
    };
    let (mut config, context) = match &target.kubeconfig {
        Some(_) => {
            let mut kc = read_kubeconfig(target.kubeconfig.as_ref())?;
            if target.non_interactive {
                no_prompts(&mut kc);
            }
            let ctx = target.context.clone().or(kc.current_context.clone());
            let cfg = Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| config_error(chain(&e)))?;
            (cfg, ctx)
        }
        None => match Kubeconfig::read() {
            Ok(mut kc) => {
                if target.non_interactive {
                    no_prompts(&mut kc);
                }
                let ctx = target.context.clone().or(kc.current_context.clone());
                let cfg = Config::from_custom_kubeconfig(kc, &opts)
                    .await
                    .map_err(|e| config_error(chain(&e)))?;
                (cfg, ctx)
            }
            Err(e) if target.context.is_none() => {
                // No kubeconfig: maybe we run in a pod.
                let cfg = Config::incluster().map_err(|_| {
                    config_error(format!(
                        "no kubeconfig found ({}); set KUBECONFIG or pass --kubeconfig",
                        chain(&e)
                    ))
                })?;
                (cfg, Some("in-cluster".to_string()))
            }
            Err(e) => return Err(config_error(format!("cannot read: {}", chain(&e)))),
        },
    };
    // Fail fast on unreachable clusters (the TLS handshake included), and
    // on a server that stops answering mid-response: watches end on the
    // server's side before the read timeout (`WATCH_TIMEOUT_SECS`).
    config.connect_timeout = Some(Duration::from_secs(8));
    config.read_timeout = Some(READ_TIMEOUT);
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| {
        let text = chain(&e);
        ApiError::new(
            ApiErrorKind::Config,
            error::exec_failure(&text).unwrap_or_else(|| format!("client: {text}")),
        )
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
    })
}

/// The error and its sources, on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// A kube error, readably (the API's own message for API errors).
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => chain(other),
    }
}

pub fn watch_error(e: &watcher::Error) -> ApiError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => ApiError::from(e),
        watcher::Error::WatchError(status) => ApiError {
            kind: ApiErrorKind::Status(status.code),
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
        other => ApiError::new(ApiErrorKind::Other, other.to_string()),
    }
}

/// The outcome of trying to list pods in the requested scope.
pub enum ScopeCheck {
    Allowed,
    /// 403: the message from the API server.
    Forbidden(String),
}

/// Lists one pod to learn whether the scope is readable.
pub async fn check_scope(client: &Client, scope: &Scope) -> Result<ScopeCheck, kube::Error> {
    let api: Api<Pod> = scoped(client, scope);
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(ScopeCheck::Allowed),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(ScopeCheck::Forbidden(s.message.clone())),
        Err(e) => Err(e),
    }
}

pub fn scoped<K>(client: &Client, scope: &Scope) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match scope {
        Scope::All => Api::all(client.clone()),
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
    }
}

/// Drops what the app never reads; keeps spec and status (we classify by them).
pub fn strip(pod: &mut Pod) {
    pod.managed_fields_mut().clear();
    pod.annotations_mut().remove(LAST_APPLIED);
}

/// Resolves a ReplicaSet's or Job's controller with a metadata GET.
pub async fn resolve_owner(client: &Client, key: &OwnerKey) -> OwnerLookup {
    let res = match key.kind.as_str() {
        "ReplicaSet" => Api::<ReplicaSet>::namespaced(client.clone(), &key.namespace)
            .get_metadata_opt(&key.name)
            .await
            .map(|m| m.map(|m| m.metadata.owner_references)),
        "Job" => Api::<Job>::namespaced(client.clone(), &key.namespace)
            .get_metadata_opt(&key.name)
            .await
            .map(|m| m.map(|m| m.metadata.owner_references)),
        _ => return OwnerLookup::Unknown,
    };
    match res {
        Ok(Some(refs)) => owner_lookup_from_refs(refs.as_deref()),
        // Gone: the pod's own reference is all there is.
        Ok(None) => OwnerLookup::NoOwner,
        Err(e) => {
            tracing::debug!(owner = ?key, error = %describe(&e), "owner lookup failed");
            OwnerLookup::Unknown
        }
    }
}

/// Namespace names (may be forbidden for namespaced users).
pub async fn list_namespaces(client: &Client) -> Result<Vec<String>, ApiError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let list = api.list_metadata(&ListParams::default()).await?;
    Ok(list.items.into_iter().map(|n| n.name_any()).collect())
}

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

/// Runs the app's cluster effects; owns the current session.
pub struct Cluster {
    kubeconfig: Option<PathBuf>,
    mode: WriteMode,
    tx: mpsc::Sender<Msg>,
    session: Option<Session>,
    /// The open detail's watch and reads.
    detail: Option<DetailTasks>,
    /// Bounds concurrent owner lookups.
    lookups: Arc<Semaphore>,
    /// The fixes started from the keys (they outlive a reconnect).
    fixer: fixer::Fixer,
    /// The probe pane's probes.
    prober: prober::Prober,
    /// How often a session asks whether the server is there (`None`: never).
    heartbeat: Option<Duration>,
}

impl Cluster {
    pub fn new(kubeconfig: Option<PathBuf>, tx: mpsc::Sender<Msg>) -> Self {
        Cluster {
            kubeconfig,
            mode: WriteMode::Write,
            tx,
            session: None,
            detail: None,
            lookups: Arc::new(Semaphore::new(8)),
            fixer: fixer::Fixer::default(),
            prober: prober::Prober::default(),
            heartbeat: Some(liveness::HEARTBEAT_EVERY),
        }
    }

    /// How often the session's heartbeat asks the server (`None`: no
    /// heartbeat; `PULLTUI_HEARTBEAT_SECS`, read by the CLI).
    pub fn with_heartbeat(mut self, every: Option<Duration>) -> Self {
        self.heartbeat = every;
        self
    }

    /// Where node probe pods run, and a pull secret for their image.
    pub fn with_probe_namespace(mut self, ns: Option<String>, secret: Option<String>) -> Self {
        self.prober.probe_namespace = ns;
        self.prober.probe_pull_secret = secret;
        self
    }

    /// `--read-only` / `--dry-run`, enforced here.
    pub fn with_mode(mut self, mode: WriteMode) -> Self {
        self.mode = mode;
        self.fixer.mode = mode;
        self.prober.mode = mode;
        self
    }

    /// The in-cluster probe's image (`--probe-image`, the config file).
    pub fn with_probe_image(mut self, image: Option<String>) -> Self {
        self.prober.probe_image = image;
        self
    }

    fn probe(&mut self, effect: ProbeEffect) {
        let tx = self.tx.clone();
        match effect {
            ProbeEffect::Laptop {
                generation,
                probe,
                pod,
                container,
            } => {
                if let Some(client) = self.client(generation) {
                    self.prober
                        .laptop(generation, probe, client, pod, container, tx);
                }
            }
            ProbeEffect::NodePreview {
                generation,
                probe,
                namespace,
                node,
                image,
                ..
            } => {
                if let Some(client) = self.client(generation) {
                    self.prober
                        .node_preview(generation, probe, client, namespace, node, image, tx);
                }
            }
            ProbeEffect::NodeStart { probe } => self.prober.node_start(probe, tx),
            ProbeEffect::NodeCancel { probe } => self.prober.node_cancel(probe),
            ProbeEffect::Cancel { probe } => self.prober.cancel(probe),
        }
    }

    /// Stops the current session and starts one for `context` and `scope`.
    pub fn connect(&mut self, generation: Generation, context: Option<String>, scope: Scope) {
        self.session = None;
        self.detail = None;
        let target = Target {
            kubeconfig: self.kubeconfig.clone(),
            context,
            non_interactive: true,
        };
        let cell = SharedConn::default();
        let tx = self.tx.clone();
        let conn_cell = cell.clone();
        let mode = self.mode;
        let probe_ns = self
            .prober
            .probe_namespace
            .clone()
            .unwrap_or_else(|| probe_pod::PROBE_NAMESPACE.to_string());
        let heartbeat = self.heartbeat;
        let main = tokio::spawn(async move {
            let settings = (mode, probe_ns, heartbeat);
            run_session(generation, target, scope, conn_cell, tx, settings).await;
        });
        self.session = Some(Session {
            generation,
            conn: cell,
            tasks: vec![main],
        });
    }

    fn connection(&self, generation: Generation) -> Option<Connection> {
        let s = self
            .session
            .as_ref()
            .filter(|s| s.generation == generation)?;
        s.conn.get()
    }

    fn client(&self, generation: Generation) -> Option<Client> {
        self.connection(generation).map(|c| c.client)
    }

    fn mutate(&mut self, effect: MutateEffect) {
        match effect {
            MutateEffect::Prepare {
                generation,
                action,
                request,
            } => {
                let Some(conn) = self.connection(generation) else {
                    return;
                };
                let kubeconfig = self.kubeconfig.clone();
                self.fixer.prepare(
                    generation,
                    action,
                    conn,
                    kubeconfig,
                    *request,
                    self.tx.clone(),
                );
            }
            MutateEffect::Apply { action, dry_run } => self.fixer.apply(action, dry_run),
            MutateEffect::Cancel { action } => self.fixer.cancel(action),
            MutateEffect::Candidates {
                generation,
                action,
                pod,
                container,
            } => {
                let Some(client) = self.client(generation) else {
                    return;
                };
                self.fixer
                    .candidates(generation, action, client, pod, container, self.tx.clone());
            }
        }
    }

    pub fn resolve_owner(&self, generation: Generation, owner: OwnerKey) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let tx = self.tx.clone();
        let sem = self.lookups.clone();
        tokio::spawn(async move {
            let _permit = sem.acquire().await;
            let lookup = resolve_owner(&client, &owner).await;
            let _ = tx
                .send(Msg::Cluster(generation, ClusterMsg::Owner(owner, lookup)))
                .await;
        });
    }

    /// Starts the detail's events watch, replacing any previous detail's tasks.
    pub fn watch_pod_events(
        &mut self,
        generation: Generation,
        detail: DetailId,
        pod: PodKey,
        uid: Option<String>,
    ) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let mut tasks = DetailTasks::new(detail);
        let tx = self.tx.clone();
        tasks.push(tokio::spawn(detail::watch_pod_events(
            generation, detail, client, pod, uid, tx,
        )));
        self.detail = Some(tasks);
    }

    /// The tasks of `detail`, started if this is a new detail.
    fn detail_tasks(&mut self, detail: DetailId) -> &mut DetailTasks {
        if self.detail.as_ref().is_none_or(|d| d.id != detail) {
            self.detail = Some(DetailTasks::new(detail));
        }
        self.detail.get_or_insert_with(|| DetailTasks::new(detail))
    }

    pub fn get_service_account(
        &mut self,
        generation: Generation,
        detail: DetailId,
        namespace: String,
        name: String,
    ) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let tx = self.tx.clone();
        let t = tokio::spawn(detail::get_service_account(
            generation, detail, client, namespace, name, tx,
        ));
        self.detail_tasks(detail).push(t);
    }

    pub fn get_secret(
        &mut self,
        generation: Generation,
        detail: DetailId,
        namespace: String,
        name: String,
    ) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let tx = self.tx.clone();
        let t = tokio::spawn(detail::get_secret(
            generation, detail, client, namespace, name, tx,
        ));
        self.detail_tasks(detail).push(t);
    }

    /// "Attach what is there": the namespace's unused covering secrets.
    pub fn get_attachable(
        &mut self,
        generation: Generation,
        detail: DetailId,
        pod: PodKey,
        container: String,
    ) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let tx = self.tx.clone();
        let t = tokio::spawn(async move {
            let res = match mutate::pod_facts(&client, &pod.namespace, &pod.name, Some(&container))
                .await
            {
                Ok(f) => match mutate::attachable_secrets(&client, &f.context).await {
                    Ok(list) => crate::app::msg::Fetch::Found(list),
                    Err(e) => match e.api_error() {
                        Some(a) if a.is_forbidden() => crate::app::msg::Fetch::Forbidden,
                        Some(a) => crate::app::msg::Fetch::Failed(a.clone()),
                        None => crate::app::msg::Fetch::Failed(ApiError::new(
                            ApiErrorKind::Other,
                            e.to_string(),
                        )),
                    },
                },
                Err(e) => crate::app::msg::Fetch::Failed(ApiError::new(
                    ApiErrorKind::Other,
                    e.to_string(),
                )),
            };
            let _ = tx
                .send(Msg::Cluster(
                    generation,
                    ClusterMsg::Detail {
                        detail,
                        msg: Box::new(crate::app::msg::DetailMsg::Attachable(res)),
                    },
                ))
                .await;
        });
        self.detail_tasks(detail).push(t);
    }

    pub fn stop_detail(&mut self) {
        self.detail = None;
    }

    /// Stops everything (quit).
    pub fn stop(&mut self) {
        self.detail = None;
        self.session = None;
        self.fixer.stop();
    }

    pub fn list_namespaces(&self, generation: Generation) {
        let Some(client) = self.client(generation) else {
            return;
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let res = list_namespaces(&client).await;
            let _ = tx
                .send(Msg::Cluster(generation, ClusterMsg::Namespaces(res)))
                .await;
        });
    }
}

async fn run_session(
    generation: Generation,
    target: Target,
    scope: Scope,
    cell: SharedConn,
    tx: mpsc::Sender<Msg>,
    (mode, probe_ns, heartbeat): (WriteMode, String, Option<Duration>),
) {
    let send = |m: ClusterMsg| {
        let tx = tx.clone();
        async move { tx.send(Msg::Cluster(generation, m)).await.is_ok() }
    };
    // Building the client runs an exec credential plugin, synchronously:
    // bounded, so a plugin that hangs is said, not waited on.
    let built = bounded(
        {
            let target = target.clone();
            async move { connect(&target).await }
        },
        "no client — the kubeconfig's exec credential plugin is probably waiting for a \
         login or hung; log in from a shell (as kubectl would ask), then press r to retry",
    )
    .await;
    let conn = match built {
        Ok(Ok(c)) => c,
        Ok(Err(e)) | Err(e) => {
            tracing::warn!(error = %e, "connect failed");
            send(ClusterMsg::ConnectFailed(e)).await;
            return;
        }
    };
    cell.set(conn.clone());
    let mut conn = conn;
    // Probe pods left by an earlier run that could not delete them: only
    // pulltui's own probe namespace, and never when nothing may be written.
    if mode == WriteMode::Write {
        let client = conn.client.clone();
        let ns = probe_ns;
        tokio::spawn(async move {
            match probe_pod::sweep(&client, &ns, jiff::Timestamp::now()).await {
                Ok(gone) if !gone.is_empty() => {
                    tracing::info!(pods = ?gone, "removed expired probe pods")
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "sweeping probe pods"),
            }
        });
    }
    tracing::info!(context = ?conn.context, server = %conn.server, %scope, "connected");
    if !send(ClusterMsg::Connected {
        context: conn.context.clone(),
        server: conn.server.clone(),
        default_namespace: conn.default_namespace.clone(),
        scope: scope.clone(),
    })
    .await
    {
        return;
    }
    // The first request also runs the credential plugin: bounded, and said.
    let first = {
        let (client, scope) = (conn.client.clone(), scope.clone());
        bounded(
            async move { check_scope(&client, &scope).await },
            &format!(
                "no answer from {} — a kubeconfig exec credential plugin may be waiting for \
                 a login or hung (its messages: stderr.log beside pulltui.log); press r to retry",
                conn.server
            ),
        )
        .await
    };
    let first = match first {
        Ok(r) => r,
        Err(e) => {
            send(ClusterMsg::ConnectFailed(e)).await;
            return;
        }
    };
    if scope == Scope::All {
        match first {
            Ok(ScopeCheck::Allowed) => {}
            Ok(ScopeCheck::Forbidden(message)) => {
                send(ClusterMsg::ScopeForbidden {
                    default_namespace: conn.default_namespace.clone(),
                    message,
                })
                .await;
                return;
            }
            // Unreachable: say so now; the watchers keep retrying with back-off.
            Err(e) => {
                send(ClusterMsg::ConnectFailed(ApiError::from(&e))).await;
            }
        }
    }
    // The watchers, started over from a fresh list whenever the server
    // comes back from silence or asks for a resourceVersion it has not
    // reached (`liveness`); the table stays (marked stale) meanwhile.
    let activity = Arc::new(liveness::Activity::default());
    let (restart_tx, mut restart_rx) = mpsc::channel::<liveness::Restart>(4);
    let beat = liveness::heartbeat(
        generation,
        heartbeat,
        cell.clone(),
        conn.server.clone(),
        activity.clone(),
        tx.clone(),
        restart_tx.clone(),
    );
    tokio::pin!(beat);
    let mut last_restart: Option<std::time::Instant> = None;
    // Renewal stays on the context and server chosen at start: a kubeconfig
    // whose `current-context` changed meanwhile (`kubectl config
    // use-context`) must not move the session to another cluster or user.
    let mut renewal = renewal::Renewal::new(conn.server.clone());
    let target = renewal::pinned(&target, &conn);
    let mut first = true;
    loop {
        let w = Watch {
            generation,
            client: conn.client.clone(),
            scope: scope.clone(),
            tx: tx.clone(),
            activity: activity.clone(),
            restart: restart_tx.clone(),
            events_listed: Arc::new(AtomicU8::new(0)),
        };
        let early = first;
        first = false;
        let watchers = async {
            tokio::join!(
                failing_first(&w, early),
                watch_pods(&w),
                watch_events(&w, EVENT_FIELDS, 0b001),
                watch_events(&w, SECRET_EVENT_FIELDS, 0b010),
                watch_events(&w, SANDBOX_EVENT_FIELDS, 0b100),
            )
        };
        tokio::pin!(watchers);
        let why = loop {
            let why = tokio::select! {
                _ = &mut beat => return,
                _ = &mut watchers => return,
                why = restart_rx.recv() => why,
            };
            let Some(why) = why else { return };
            let liveness::Restart::Unauthorized { what } = why else {
                break why;
            };
            match renewal.renew(&target, what).await {
                renewal::Renewed::Now(fresh) => {
                    cell.set(fresh.clone());
                    conn = fresh;
                    if !send(ClusterMsg::CredentialsRenewed).await {
                        return;
                    }
                    break why;
                }
                renewal::Renewed::NotYet => {}
                renewal::Renewed::Refused(error) => {
                    if !send(ClusterMsg::CredentialsRefused(error)).await {
                        return;
                    }
                }
            }
        };
        // A storage restored twice in a row must not become a tight loop.
        if let Some(t) = last_restart
            && t.elapsed() < Duration::from_secs(2)
        {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        last_restart = Some(std::time::Instant::now());
        while restart_rx.try_recv().is_ok() {}
        match why {
            liveness::Restart::ServerBack { down_for } => tracing::info!(
                ?down_for,
                "the API server answers again: restarting the watchers from a fresh list"
            ),
            liveness::Restart::VersionAhead { what } => tracing::info!(
                what,
                "a watch asked for a resourceVersion the server has not reached (storage \
                 restored or recreated): restarting the watchers from a fresh list"
            ),
            liveness::Restart::Unauthorized { what } => tracing::info!(
                what,
                "credentials renewed from the kubeconfig after a 401: restarting the \
                 watchers with them"
            ),
        }
        if !send(ClusterMsg::Resync).await {
            return;
        }
    }
}

/// What every watcher of a session needs.
struct Watch {
    generation: Generation,
    client: Client,
    scope: Scope,
    tx: mpsc::Sender<Msg>,
    activity: Arc<liveness::Activity>,
    restart: mpsc::Sender<liveness::Restart>,
    /// One bit per events watcher that has completed its list.
    events_listed: Arc<AtomicU8>,
}

impl Watch {
    /// A watch error that needs a fresh list, not a retry.
    fn check(&self, what: &'static str, e: &watcher::Error) {
        if liveness::version_ahead(e) {
            let _ = self
                .restart
                .try_send(liveness::Restart::VersionAhead { what });
        } else if liveness::unauthorized(e) {
            let _ = self
                .restart
                .try_send(liveness::Restart::Unauthorized { what });
        }
    }
}

pub(crate) fn map_event<K, T>(
    ev: watcher::Event<K>,
    f: impl Fn(K) -> Option<T>,
) -> Option<WatchEvent<T>> {
    Some(match ev {
        watcher::Event::Init => WatchEvent::Init,
        watcher::Event::InitDone => WatchEvent::InitDone,
        watcher::Event::InitApply(k) => WatchEvent::InitApply(f(k)?),
        watcher::Event::Apply(k) => WatchEvent::Apply(f(k)?),
        watcher::Event::Delete(k) => WatchEvent::Delete(f(k)?),
    })
}

/// The failing pods before all the others: a pod that cannot pull its
/// image is `Pending` (the kubelet starts no container without its image),
/// so one list by `status.phase=Pending`, served from the API server's
/// watch cache, has the table's rows while the full list of a big cluster
/// (every healthy pod, for the counts) is still arriving. The app uses it
/// only until that full list is in (`ClusterMsg::FailingFirst`); a running
/// pod whose replaced image fails arrives with the full list.
async fn failing_first(w: &Watch, enabled: bool) {
    if !enabled {
        return;
    }
    let api: Api<Pod> = scoped(&w.client, &w.scope);
    let lp = ListParams::default()
        .fields("status.phase=Pending")
        .match_any();
    let mut facts = Vec::new();
    match api.list(&lp).await {
        Ok(list) => {
            for mut p in list.items {
                strip(&mut p);
                let fact = PodFact::from_pod(p);
                if matches!(fact, PodFact::Failing(_)) {
                    facts.push(fact);
                }
            }
            tracing::debug!(failing = facts.len(), "failing pods listed first");
            let _ =
                w.tx.send(Msg::Cluster(w.generation, ClusterMsg::FailingFirst(facts)))
                    .await;
        }
        Err(e) => tracing::debug!(error = %ApiError::from(&e), "listing pending pods first"),
    }
}

async fn watch_pods(w: &Watch) {
    let api: Api<Pod> = scoped(&w.client, &w.scope);
    let cfg = watcher::Config::default()
        .page_size(500)
        .timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher(api, cfg).default_backoff().modify(strip).boxed();
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(ev) => {
                w.activity.touch();
                match map_event(ev, |p| Some(PodFact::from_pod(p))) {
                    Some(e) => ClusterMsg::Pods(e),
                    None => continue,
                }
            }
            Err(e) => {
                w.check("pods", &e);
                let error = watch_error(&e);
                tracing::warn!(%error, "pods watch");
                ClusterMsg::WatchError {
                    what: "pods",
                    error,
                }
            }
        };
        if w.tx.send(Msg::Cluster(w.generation, msg)).await.is_err() {
            return;
        }
    }
}

/// Watches one kind of event (`bit` names it among the events watchers):
/// the app hears `InitDone` once every events watcher has listed.
async fn watch_events(w: &Watch, fields: &'static str, bit: u8) {
    let api: Api<Event> = scoped(&w.client, &w.scope);
    let cfg = watcher::Config::default()
        .fields(fields)
        .page_size(500)
        .timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    let mut told = false;
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(ev) => {
                w.activity.touch();
                match map_event(ev, |e| EventFact::from_event(&e, jiff::Timestamp::now())) {
                    Some(WatchEvent::InitDone) => {
                        let all = w.events_listed.fetch_or(bit, Ordering::Relaxed) | bit;
                        if all != 0b111 {
                            continue;
                        }
                        ClusterMsg::Events(WatchEvent::InitDone)
                    }
                    Some(e) => ClusterMsg::Events(e),
                    None => continue,
                }
            }
            Err(e) => {
                w.check("events", &e);
                // Events only refine causes; a failing events watch must not
                // mark the whole console as reconnecting. A 403 is said once.
                let error = watch_error(&e);
                tracing::warn!(%error, "events watch");
                if error.is_forbidden() && !told {
                    told = true;
                    ClusterMsg::EventsForbidden(error)
                } else {
                    continue;
                }
            }
        };
        if w.tx.send(Msg::Cluster(w.generation, msg)).await.is_err() {
            return;
        }
    }
}

impl Backend for Cluster {
    fn dispatch(&mut self, effect: Effect) {
        match effect {
            Effect::Watch(WatchEffect::Connect {
                generation,
                context,
                scope,
            }) => self.connect(generation, context, scope),
            Effect::Watch(WatchEffect::PodEvents {
                generation,
                detail,
                pod,
                uid,
            }) => self.watch_pod_events(generation, detail, pod, uid),
            Effect::Watch(WatchEffect::StopDetail) => self.stop_detail(),
            Effect::Fetch(FetchEffect::Owner { generation, owner }) => {
                self.resolve_owner(generation, owner)
            }
            Effect::Fetch(FetchEffect::Namespaces { generation }) => {
                self.list_namespaces(generation)
            }
            Effect::Fetch(FetchEffect::ServiceAccount {
                generation,
                detail,
                namespace,
                name,
            }) => self.get_service_account(generation, detail, namespace, name),
            Effect::Fetch(FetchEffect::Secret {
                generation,
                detail,
                namespace,
                name,
            }) => self.get_secret(generation, detail, namespace, name),
            Effect::Fetch(FetchEffect::Attachable {
                generation,
                detail,
                pod,
                container,
            }) => self.get_attachable(generation, detail, pod, container),
            Effect::Mutate(m) => self.mutate(m),
            Effect::Probe(p) => self.probe(p),
            Effect::Quit => self.stop(),
        }
    }

    fn finish(&mut self) -> futures::future::BoxFuture<'static, ()> {
        self.prober.finish()
    }
}
