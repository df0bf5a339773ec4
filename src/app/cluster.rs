//! One cluster's part of the model: which cluster, its session (generation,
//! context, scope), how the connection stands, and what its watchers told
//! (the inventory). The console holds one today; a fleet holds one each.

use jiff::Timestamp;

use super::ConnState;
use super::msg::Generation;
use crate::domain::cluster_id::ClusterId;
use crate::domain::inventory::Inventory;
use crate::domain::scope::Scope;

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// The cluster (context and server) the facts below are about: the
    /// context asked for until the session says which server it reached.
    pub id: ClusterId,
    /// The current session: replies of older ones are dropped.
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
}

impl ClusterView {
    pub fn new(context: Option<String>, scope: Scope) -> Self {
        ClusterView {
            id: ClusterId::new(context.clone().unwrap_or_default(), ""),
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
        }
    }

    /// A new session with `context` and `scope`: the store starts empty;
    /// what the last session said of the server and its namespaces stays
    /// on screen until the new one says otherwise.
    pub fn reset(&mut self, context: Option<String>, scope: Scope) {
        self.generation.0 += 1;
        self.id = ClusterId::new(context.clone().unwrap_or_default(), "");
        self.context = context;
        self.scope = scope;
        self.conn = ConnState::Connecting;
        self.inventory = Inventory::default();
        self.last_event = None;
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
}
