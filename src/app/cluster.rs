//! One cluster's part of the model: which cluster, its session (slot,
//! generation, context, scope), how the connection stands, and what its
//! watchers told (the inventory). The console holds one per context it
//! watches: one, or a fleet (`--contexts`, `--all-contexts`, the palette).

use jiff::Timestamp;

use super::ConnState;
use super::msg::{Generation, SessionKey};
use crate::domain::cluster_id::ClusterId;
use crate::domain::inventory::Inventory;
use crate::domain::scope::Scope;

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// The cluster (context and server) the facts below are about: the
    /// context asked for until the session says which server it reached.
    pub id: ClusterId,
    /// Where the backend holds this cluster's session (its place in the
    /// fleet); a new session in the same slot replaces the old one.
    pub slot: usize,
    /// The current session: replies of older ones are dropped. Unique
    /// across the fleet, so a reply names its cluster too.
    pub generation: Generation,
    /// Context asked for (None: the kubeconfig's current context).
    pub context: Option<String>,
    /// Context and server actually connected.
    pub connected_context: Option<String>,
    pub server: Option<String>,
    pub scope: Scope,
    pub default_namespace: Option<String>,
    pub namespaces: Vec<String>,
    pub conn: ConnState,
    pub last_event: Option<Timestamp>,
    pub inventory: Inventory,
    /// Listing all namespaces was refused (403): the namespace shown
    /// instead.
    pub fallback: Option<String>,
    /// The server refuses the credentials (401) and renewing them did not
    /// help yet.
    pub credentials_refused: bool,
    /// Reading events was refused (403).
    pub events_forbidden: bool,
    /// The cluster's journal as read back and written since (the most
    /// recent `JOURNAL_KEPT` records), oldest first.
    pub journal: Vec<crate::domain::journal::Record>,
    /// The fixes applied to the cluster: the audit log's, then this run's.
    pub fixes: Vec<crate::domain::postmortem::FixNote>,
    /// What changed in the cluster around its journal's failures, as last
    /// read (`FetchEffect::Changes`); the timeline's change markers.
    pub changes: Vec<crate::domain::changes::Change>,
    /// When those were asked for, and the journal's window then.
    pub changes_asked: Option<(Timestamp, ChangesWindow)>,
    /// How many answers came (the timeline's lanes follow).
    pub changes_read: u64,
    /// The failing pods' pull secrets, reduced to hosts, usernames and
    /// expiries, by (namespace, name): the credential expiry radar.
    pub pull_secrets: crate::app::radar::Radar,
    /// Nodes and pull secrets seen change, until the journal takes them
    /// (at most `FACTS_HELD`, the newest).
    pub facts: Vec<crate::domain::history::Fact>,
}

/// Node and secret facts held for the journal at most (without a journal
/// nobody takes them).
pub const FACTS_HELD: usize = 5_000;

/// The window (from, to) and namespaces changes are read for.
pub type ChangesWindow = (Timestamp, Timestamp, std::collections::BTreeSet<String>);

/// The journal records a cluster view holds at most.
pub const JOURNAL_KEPT: usize = 50_000;

/// How one cluster stands, as the cluster strip tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterState {
    Connecting,
    Syncing,
    Live,
    /// Live, but listing all namespaces was refused: one namespace shown.
    Forbidden,
    Reconnecting,
    /// The connection could not be made (or the server stays silent).
    Unreachable,
    CredentialsRefused,
}

impl ClusterState {
    pub fn label(self) -> &'static str {
        match self {
            ClusterState::Connecting => "connecting",
            ClusterState::Syncing => "syncing",
            ClusterState::Live => "live",
            ClusterState::Forbidden => "forbidden",
            ClusterState::Reconnecting => "reconnecting",
            ClusterState::Unreachable => "unreachable",
            ClusterState::CredentialsRefused => "credentials refused",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            ClusterState::Live | ClusterState::Forbidden => "●",
            ClusterState::Connecting | ClusterState::Syncing => "◌",
            ClusterState::Reconnecting => "↻",
            ClusterState::Unreachable | ClusterState::CredentialsRefused => "✕",
        }
    }

    /// Whether it shows what is true now.
    pub fn healthy(self) -> bool {
        matches!(self, ClusterState::Live | ClusterState::Forbidden)
    }
}

impl ClusterView {
    pub fn new(slot: usize, context: Option<String>, scope: Scope) -> Self {
        ClusterView {
            id: ClusterId::new(context.clone().unwrap_or_default(), ""),
            slot,
            generation: Generation(0),
            context,
            connected_context: None,
            server: None,
            scope,
            default_namespace: None,
            namespaces: Vec::new(),
            conn: ConnState::Connecting,
            last_event: None,
            inventory: Inventory::default(),
            fallback: None,
            credentials_refused: false,
            events_forbidden: false,
            journal: Vec::new(),
            fixes: Vec::new(),
            changes: Vec::new(),
            changes_asked: None,
            changes_read: 0,
            facts: Vec::new(),
            pull_secrets: Default::default(),
        }
    }

    /// A new session `generation` with `context` and `scope`: the store
    /// starts empty; what the last session said of the server and its
    /// namespaces stays on screen until the new one says otherwise.
    pub fn reset(&mut self, generation: Generation, context: Option<String>, scope: Scope) {
        self.generation = generation;
        if context != self.context {
            self.fallback = None;
            self.journal.clear();
            self.fixes.clear();
        }
        self.id = ClusterId::new(context.clone().unwrap_or_default(), "");
        self.context = context;
        self.scope = scope;
        self.conn = ConnState::Connecting;
        self.inventory = Inventory::default();
        self.events_forbidden = false;
        self.last_event = None;
        self.pull_secrets = Default::default();
    }

    /// The session reached `server` as `context`.
    pub fn connected(
        &mut self,
        context: Option<String>,
        server: String,
        default_namespace: String,
        scope: Scope,
    ) {
        self.id = ClusterId::new(context.clone().unwrap_or_default(), server.clone());
        self.connected_context = context;
        self.server = Some(server);
        self.default_namespace = Some(default_namespace);
        self.scope = scope;
        self.conn = ConnState::Syncing;
    }

    /// Its current session, as effects and replies name it.
    pub fn session(&self) -> SessionKey {
        SessionKey::new(self.id.clone(), self.generation)
    }

    /// The cluster as its journal and audit lines name it (the context
    /// connected and its server); `None` before the session connects.
    pub fn journal_id(&self) -> Option<ClusterId> {
        let server = self.server.clone()?;
        Some(ClusterId::new(
            self.context_name().unwrap_or_default(),
            server,
        ))
    }

    /// The context's name as shown (the CLUSTER column, the strip).
    pub fn name(&self) -> &str {
        self.context_name().unwrap_or("(current)")
    }

    /// The context connected to (or asked for); none: the kubeconfig's
    /// current one, not known by name yet.
    pub fn context_name(&self) -> Option<&str> {
        self.connected_context
            .as_deref()
            .or(self.context.as_deref())
    }

    /// How the cluster stands now.
    pub fn state(&self) -> ClusterState {
        if self.credentials_refused {
            return ClusterState::CredentialsRefused;
        }
        match &self.conn {
            ConnState::Connecting => ClusterState::Connecting,
            ConnState::Syncing => ClusterState::Syncing,
            ConnState::Live if self.fallback.is_some() => ClusterState::Forbidden,
            ConnState::Live => ClusterState::Live,
            ConnState::Reconnecting(_) if !self.inventory.synced => ClusterState::Unreachable,
            ConnState::Reconnecting(_) => ClusterState::Reconnecting,
            ConnState::Failed(_) => ClusterState::Unreachable,
        }
    }

    /// Its rows show what was true when the watch last spoke, not now: the
    /// server is silent or the fresh list after it is not in yet.
    pub fn is_stale(&self) -> bool {
        self.inventory.synced
            && matches!(self.conn, ConnState::Reconnecting(_) | ConnState::Syncing)
    }

    /// Whether the client of the current generation exists (requests can
    /// go out).
    pub fn is_connected(&self) -> bool {
        matches!(
            self.conn,
            ConnState::Syncing | ConnState::Live | ConnState::Reconnecting(_)
        )
    }
}
