//! The app's contract with the outside: `Msg`s in (facts), `Effect`s out
//! (I/O requested, grouped by family), and the `Backend` trait that performs
//! effects. The live cluster (`cluster::Cluster`), the recorded snapshot
//! (`snapshot::Replay`) and the tests' scripted backends implement it; the
//! runtime drives whichever it is given. Replies carry the id of the request
//! that caused them (`SessionKey`, `DetailId`), so stale ones are dropped.

use std::fmt;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::domain::api_error::ApiError;
use crate::domain::cluster_id::ClusterId;
use crate::domain::facts::{EventFact, EventRow, OwnerKey, PodFact, WatchEvent};
use crate::domain::failing::{OwnerLookup, PodKey};
use crate::domain::mutation::{Candidate, FixId, FixParams, Preview};
use crate::domain::node_credentials::ServiceAccountView;
use crate::domain::probe::{ProbeReport, StepResult};
use crate::domain::redact::Redacted;
use crate::domain::reverify::NodeView;
use crate::domain::scope::Scope;
use crate::domain::secrets::SecretInfo;

/// One cluster session (context + scope): bumped on every (re)connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Generation(pub u64);

/// Which cluster session an effect or a reply is about: the cluster, as far
/// as it is known (the context asked for until the session connects; then
/// the context and the server reached), and the session's generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub cluster: ClusterId,
    pub generation: Generation,
}

impl SessionKey {
    pub fn new(cluster: ClusterId, generation: Generation) -> Self {
        SessionKey {
            cluster,
            generation,
        }
    }

    /// Whether `other` names this session: the same generation, and a
    /// cluster that agrees with this one as far as both know it. A reply
    /// or an effect for another cluster is dropped, whatever its number.
    pub fn names(&self, other: &SessionKey) -> bool {
        self.generation == other.generation && self.cluster.agrees(&other.cluster)
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.cluster, self.generation)
    }
}

/// One opening of the detail screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DetailId(pub u64);

/// One action (form → preview → apply → follow) started from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ActionId(pub u64);

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

/// One opening of the probe pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ProbeId(pub u64);

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "g{}", self.0)
    }
}

impl fmt::Display for DetailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "d{}", self.0)
    }
}

/// A fact arriving at `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): text, never keys.
    /// Held as `Redacted`: it may be a password (`Debug` prints `***`).
    Paste(Redacted),
    Resize(u16, u16),
    Tick(Timestamp),
    /// From this cluster session; stale ones (an older generation, another
    /// cluster) are dropped.
    Cluster(SessionKey, ClusterMsg),
    /// SIGTERM/SIGHUP/SIGINT.
    Shutdown,
}

/// What the backend tells about the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterMsg {
    Connected {
        context: Option<String>,
        server: String,
        default_namespace: String,
        scope: Scope,
    },
    /// Listing pods in all namespaces is forbidden (403).
    ScopeForbidden {
        default_namespace: String,
        message: String,
    },
    /// The kubeconfig cannot be loaded or the cluster cannot be reached.
    ConnectFailed(ApiError),
    Pods(WatchEvent<PodFact>),
    Events(WatchEvent<EventFact>),
    /// Reading events is forbidden (403): causes come from the pods' status.
    EventsForbidden(ApiError),
    /// The API server has not answered the heartbeat for `for_secs`
    /// (refused, reset, or no answer in time): the table is stale.
    ServerSilent {
        error: ApiError,
        for_secs: u64,
    },
    /// The watchers start over from a fresh list (the server is back, or
    /// its storage went back in time; the session logs which).
    Resync,
    /// The server refuses the credentials (401) and renewing them from the
    /// kubeconfig did not help (the sentence says what to do); the session
    /// tries again every 30 s.
    CredentialsRefused(ApiError),
    /// New credentials from the kubeconfig are accepted after a 401 (a
    /// `Resync` follows).
    CredentialsRenewed,
    /// The failing pods, listed ahead of the full list (`status.phase=Pending`):
    /// rows to show until the pods watcher's first list is in.
    FailingFirst(Vec<PodFact>),
    /// Records of the cluster's journal (`domain::journal`): the earlier
    /// ones when it is opened, then what each look wrote; with the fixes
    /// the audit log has of the cluster when it is opened.
    Journal {
        records: Vec<crate::domain::journal::Record>,
        fixes: Vec<crate::domain::postmortem::FixNote>,
    },
    /// A watch failed; it retries with back-off.
    WatchError {
        what: &'static str,
        error: ApiError,
    },
    Owner(OwnerKey, OwnerLookup),
    /// A failing pod's pull secret, for the expiry radar.
    PullSecret {
        namespace: String,
        name: String,
        result: Fetch<SecretInfo>,
    },
    Namespaces(Result<Vec<String>, ApiError>),
    /// What changed around the journal's failures (`FetchEffect::Changes`).
    Changes(Vec<crate::domain::changes::Change>),
    /// Nodes and pull secrets seen change (`cluster::history`), for the
    /// journal.
    History(Vec<crate::domain::history::Fact>),
    /// For the detail screen opened as `detail`; stale ones are dropped.
    Detail {
        detail: DetailId,
        msg: Box<DetailMsg>,
    },
    /// About the action `action` (a fix started from a key).
    Action {
        action: ActionId,
        msg: Box<ActionMsg>,
    },
    /// For the probe pane opened as `probe`; stale ones are dropped.
    Probe {
        probe: ProbeId,
        msg: Box<ProbeMsg>,
    },
}

/// What the probes report.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeMsg {
    LaptopStep(StepResult),
    LaptopDone(Box<ProbeReport>),
    /// The probe could not be planned (the pod is gone, ...).
    LaptopFailed(String),
    /// A sentence about this machine's probe (a replay: recorded when).
    LaptopNote(String),
    /// The probe pod to create, for the confirmation (the overlay every
    /// cluster write is confirmed in).
    NodePreview(Box<Preview>),
    /// The node probe cannot run: why.
    NodeRefused(String),
    NodeCreated {
        name: String,
        host_network: bool,
    },
    NodeNote(String),
    NodeStep(StepResult),
    NodeDeleted {
        name: String,
    },
    NodeDone(Result<Box<ProbeReport>, String>),
    /// A replay: the node probe recorded with the snapshot (nothing is
    /// created).
    NodeRecorded {
        node: String,
        report: Box<ProbeReport>,
    },
}

/// What became of an action's request.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionMsg {
    /// The secrets a credential form may use instead of typing one: in other
    /// namespaces (copy) and, unreferenced, in the pod's own (attach).
    Candidates {
        copy: Result<Vec<Candidate>, String>,
        attach: Result<Vec<Candidate>, String>,
    },
    /// The preview to confirm. `live`: computed from the server's objects
    /// (a replay computes it offline and never sends).
    Prepared { preview: Box<Preview>, live: bool },
    /// Planning or preparing failed: nothing was written. `input`: the
    /// form's values were refused (the form stays open).
    Refused { message: String, input: bool },
    /// The apply finished: each write and note (dry run: accepted, not persisted).
    Applied {
        dry_run: bool,
        writes: Vec<String>,
        notes: Vec<String>,
        audit: Option<String>,
    },
    /// The apply failed (or half failed: the message says what was done).
    Failed { message: String },
    /// Following the workload: a status line.
    Progress { line: String },
    /// Done following (`resolved`: the new pods run).
    Followed { resolved: bool, summary: String },
    /// Nothing to follow, and why.
    NotFollowed { why: String },
}

/// One fix, as the keys ask for it (the same ids and parameters as
/// `pulltui fix`). Several pods: a group fix, one write per distinct object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixRequest {
    pub pods: Vec<PodKey>,
    pub container: Option<String>,
    pub fix: FixId,
    pub params: FixParams,
}

/// The outcome of one GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch<T> {
    Pending,
    Found(T),
    /// 404.
    Missing,
    /// 403: RBAC does not let this user read it.
    Forbidden,
    Failed(ApiError),
}

/// A fact for the open detail (tagged with its id in `ClusterMsg::Detail`).
#[derive(Debug, Clone, PartialEq)]
pub enum DetailMsg {
    Events(WatchEvent<EventRow>),
    /// The events watch failed (it keeps retrying).
    EventsFailed(ApiError),
    /// The pod's ServiceAccount: its `imagePullSecrets` names and the
    /// annotations node credential providers read (nothing else of it).
    ServiceAccount(Fetch<ServiceAccountView>),
    /// The pod's node: its kubelet version and the images it lists.
    Node(Fetch<NodeView>),
    /// One pull secret, reduced to hosts and usernames.
    Secret {
        name: String,
        result: Fetch<SecretInfo>,
    },
    /// Secrets of the pod's namespace that cover its registry and that
    /// neither the pod nor its ServiceAccount uses (never their data).
    Attachable(Fetch<Vec<Candidate>>),
}

/// I/O requested by `update`, by family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Long-lived streams: the session's watchers, the detail's events.
    Watch(WatchEffect),
    /// One-shot reads.
    Fetch(FetchEffect),
    /// Fixes: preview, apply, cancel.
    Mutate(MutateEffect),
    /// Registry probes: from this machine, and from the pod's node.
    Probe(ProbeEffect),
    /// The user quits: the backend stops everything.
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEffect {
    /// (Re)connect: new client for `context`, watchers for `scope`, replies
    /// tagged `session`. Replaces the session held in `slot` (one per
    /// cluster of a fleet; 0 for the one cluster).
    Connect {
        slot: usize,
        session: SessionKey,
        context: Option<String>,
        scope: Scope,
    },
    /// Stop the session held in `slot` (the fleet shrank).
    Disconnect { slot: usize },
    /// Watch the events of one pod for the detail screen; replaces any
    /// previous detail watch.
    PodEvents {
        session: SessionKey,
        detail: DetailId,
        pod: PodKey,
        uid: Option<String>,
    },
    /// The detail screen closed: stop its watch and reads.
    StopDetail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEffect {
    /// The controller of a ReplicaSet or Job.
    Owner {
        session: SessionKey,
        owner: OwnerKey,
    },
    Namespaces {
        session: SessionKey,
    },
    /// What changed in `namespaces` (and the nodes) between `from` and
    /// `to` (`cluster::changes`): metadata only, never a secret's data.
    Changes {
        session: SessionKey,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        namespaces: std::collections::BTreeSet<String>,
    },
    ServiceAccount {
        session: SessionKey,
        detail: DetailId,
        namespace: String,
        name: String,
    },
    /// One pull secret; the reply carries only hosts and usernames.
    Secret {
        session: SessionKey,
        detail: DetailId,
        namespace: String,
        name: String,
    },
    /// A failing pod's pull secret, for the expiry radar: the reply
    /// carries only hosts, usernames and expiries.
    PullSecret {
        session: SessionKey,
        namespace: String,
        name: String,
    },
    /// The pod's node (kubelet version, cached images).
    Node {
        session: SessionKey,
        detail: DetailId,
        name: String,
    },
    /// The secrets of the pod's namespace that could be attached.
    Attachable {
        session: SessionKey,
        detail: DetailId,
        pod: PodKey,
        container: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutateEffect {
    /// Read what the fix needs and answer with a preview; nothing is written.
    Prepare {
        session: SessionKey,
        action: ActionId,
        request: Box<FixRequest>,
    },
    /// Apply the prepared preview of `action` (with `dryRun=All` when
    /// `dry_run`), then follow the workload.
    Apply { action: ActionId, dry_run: bool },
    /// Drop the prepared change (Esc on the preview) or stop following.
    Cancel { action: ActionId },
    /// Look for secrets that cover the pod's registry (copy / attach offers).
    Candidates {
        session: SessionKey,
        action: ActionId,
        pod: PodKey,
        container: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeEffect {
    /// Probe the registry of the pod's container from this machine, with
    /// the pod's pull secrets and its node's platform.
    Laptop {
        session: SessionKey,
        probe: ProbeId,
        pod: PodKey,
        container: String,
    },
    /// Build the probe pod for `node` (in pulltui's probe namespace, never
    /// the pod's; probing `image`'s registry, for `pod`) and answer with
    /// its preview.
    NodePreview {
        session: SessionKey,
        probe: ProbeId,
        pod: PodKey,
        node: String,
        image: String,
        /// The host this machine's blob leg was redirected to, when its
        /// probe has finished: the node checks it too.
        blob_host: Option<(String, u16)>,
    },
    /// Create the previewed probe pod (the user said `y`).
    NodeStart { probe: ProbeId },
    /// Drop the previewed pod (never created).
    NodeCancel { probe: ProbeId },
    /// The pane closed: stop both probes; the probe pod is deleted.
    Cancel { probe: ProbeId },
}

impl Effect {
    /// The session it is for (none: an action's or probe's own id names it).
    pub fn session(&self) -> Option<&SessionKey> {
        match self {
            Effect::Watch(
                WatchEffect::Connect { session, .. } | WatchEffect::PodEvents { session, .. },
            )
            | Effect::Fetch(
                FetchEffect::Owner { session, .. }
                | FetchEffect::Namespaces { session }
                | FetchEffect::Changes { session, .. }
                | FetchEffect::ServiceAccount { session, .. }
                | FetchEffect::Secret { session, .. }
                | FetchEffect::PullSecret { session, .. }
                | FetchEffect::Node { session, .. }
                | FetchEffect::Attachable { session, .. },
            )
            | Effect::Mutate(
                MutateEffect::Prepare { session, .. } | MutateEffect::Candidates { session, .. },
            )
            | Effect::Probe(
                ProbeEffect::Laptop { session, .. } | ProbeEffect::NodePreview { session, .. },
            ) => Some(session),
            Effect::Watch(WatchEffect::Disconnect { .. } | WatchEffect::StopDetail)
            | Effect::Mutate(MutateEffect::Apply { .. } | MutateEffect::Cancel { .. })
            | Effect::Probe(
                ProbeEffect::NodeStart { .. }
                | ProbeEffect::NodeCancel { .. }
                | ProbeEffect::Cancel { .. },
            )
            | Effect::Quit => None,
        }
    }
}

impl From<ProbeEffect> for Effect {
    fn from(e: ProbeEffect) -> Self {
        Effect::Probe(e)
    }
}

impl From<MutateEffect> for Effect {
    fn from(e: MutateEffect) -> Self {
        Effect::Mutate(e)
    }
}

impl From<WatchEffect> for Effect {
    fn from(e: WatchEffect) -> Self {
        Effect::Watch(e)
    }
}

impl From<FetchEffect> for Effect {
    fn from(e: FetchEffect) -> Self {
        Effect::Fetch(e)
    }
}

/// Performs effects. Replies go to the `Msg` channel the backend was built
/// with; `dispatch` itself never blocks.
pub trait Backend {
    fn dispatch(&mut self, effect: Effect);

    /// What must finish before the process exits (deleting a probe pod);
    /// the runtime awaits it, bounded, after the loop ends.
    fn finish(&mut self) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    fn dispatch_all(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.dispatch(e);
        }
    }
}
