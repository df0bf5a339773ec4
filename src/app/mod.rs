//! Application state and its pure update: `update(&mut Model, Msg) ->
//! Vec<Effect>`. Messages are facts (a key, a tick, a watcher event); effects
//! are I/O the runtime performs (connect, resolve an owner, list namespaces,
//! quit). No async, no terminal, no kube client here.

pub mod action;
pub mod cluster;
pub mod detail;
pub mod field;
pub mod home;
pub mod keymap;
mod keys;
pub mod layers;
pub mod msg;
pub mod paste;
pub mod probe;
pub mod radar;
mod subject;
pub mod text;
pub mod timeline;
mod update;

use keys::*;
use subject::*;
pub use update::update;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;

use crate::domain::facts::WatchEvent;
pub use crate::domain::scope::Scope;
use action::{Actions, Kind, Level, Subject};
pub use cluster::ClusterView;
use detail::{Detail, Presence};
use home::Home;
use keymap::{Intent, Keymap};
pub use msg::{
    ActionId, ActionMsg, Backend, ClusterMsg, DetailId, DetailMsg, Effect, Fetch, FetchEffect,
    FixRequest, Generation, Msg, MutateEffect, ProbeEffect, ProbeId, ProbeMsg, SessionKey,
    WatchEffect,
};

/// The watch connection, as the status bar tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Syncing,
    Live,
    Reconnecting(String),
    Failed(String),
}

/// How the notice of refused credentials begins (it is removed when new
/// credentials are accepted).
const CREDENTIALS_REFUSED: &str = "the API server refuses the credentials (401)";

/// Screens stack on top of home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    /// The selected pod's evidence (`Model::detail`).
    Detail,
    /// The registry probe of a pod (`Model::probe`).
    Probe,
    /// The journal as lanes over time (`Model::timeline`).
    Timeline,
}

/// A choice in the palette or namespace picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickItem {
    Context(String),
    Namespace(Option<String>),
}

impl PickItem {
    /// What the input is matched against.
    pub fn name(&self) -> &str {
        match self {
            PickItem::Context(c) => c,
            PickItem::Namespace(None) => "all",
            PickItem::Namespace(Some(ns)) => ns,
        }
    }

    pub fn label(&self) -> String {
        match self {
            PickItem::Context(c) => format!("context    {c}"),
            PickItem::Namespace(None) => "namespace  (all namespaces)".into(),
            PickItem::Namespace(Some(ns)) => format!("namespace  {ns}"),
        }
    }
}

/// A filterable list with a text input (palette, namespace picker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: &'static str,
    pub input: String,
    pub items: Vec<PickItem>,
    pub selected: usize,
    /// Only namespaces (the `n` picker) or contexts too (the `:` palette).
    pub namespaces_only: bool,
    /// Contexts marked with Tab: Enter watches them all at once (a fleet).
    pub marked: Vec<String>,
}

impl Picker {
    /// Items whose name contains the input; names starting with it first.
    pub fn visible(&self) -> Vec<&PickItem> {
        let needle = self.input.to_lowercase();
        let mut v: Vec<(bool, &PickItem)> = self
            .items
            .iter()
            .filter_map(|i| {
                let name = i.name().to_lowercase();
                name.contains(&needle)
                    .then(|| (!name.starts_with(&needle), i))
            })
            .collect();
        v.sort_by_key(|(later, _)| *later);
        v.into_iter().map(|(_, i)| i).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Picker(Picker),
}

/// A one-line message above the footer (403 fallback, errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub warning: bool,
}

/// What the REPLAY banner says: the console shows a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayBanner {
    /// The file's name (`demo` for the bundled incident).
    pub file: String,
    pub context: Option<String>,
    pub captured_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Set when replaying a snapshot (or the demo): nothing is live.
    pub replay: Option<ReplayBanner>,
    /// The clusters shown, one per context watched (never empty): one, or
    /// a fleet. Their rows share the table.
    pub clusters: Vec<ClusterView>,
    /// The last session generation handed out (unique across the fleet).
    pub sessions: Generation,
    /// The kubeconfig's contexts (the palette's choices).
    pub contexts: Vec<String>,
    pub notice: Option<Notice>,
    pub now: Timestamp,
    pub home: Home,
    pub screens: Vec<Screen>,
    /// The open pod detail (when `Screen::Detail` is on the stack).
    pub detail: Option<Detail>,
    /// Id of the last detail opened; replies for others are stale.
    pub detail_seq: DetailId,
    pub overlay: Option<Overlay>,
    /// Fixes: the open form or preview, follow-ups, toasts, modes.
    pub actions: Actions,
    /// The open probe pane (when `Screen::Probe` is on the stack).
    pub probe: Option<probe::ProbePane>,
    pub probe_seq: ProbeId,
    /// The open timeline (when `Screen::Timeline` is on the stack).
    pub timeline: Option<timeline::Timeline>,
    /// The journals' lanes, computed when a journal changes.
    pub lanes: timeline::LaneCache,
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// `--pod NAME`: open that pod's detail once its row is listed (or say
    /// in the status line that it is not failing).
    pub open_pod: Option<String>,
}

impl Model {
    pub fn new(
        context: Option<String>,
        contexts: Vec<String>,
        scope: Scope,
        keymap: Keymap,
        now: Timestamp,
    ) -> Self {
        Model {
            replay: None,
            clusters: vec![ClusterView::new(0, context, scope)],
            sessions: Generation(0),
            contexts,
            notice: None,
            now,
            home: Home::default(),
            screens: vec![Screen::Home],
            detail: None,
            detail_seq: DetailId(0),
            overlay: None,
            actions: Actions::default(),
            probe: None,
            probe_seq: ProbeId(0),
            timeline: None,
            lanes: timeline::LaneCache::default(),
            keymap,
            size: (80, 24),
            quit: false,
            dirty: true,
            open_pod: None,
        }
    }

    /// A fleet: one cluster per context (at least one), all watched at once.
    pub fn fleet(
        contexts: Vec<String>,
        all: Vec<String>,
        scope: Scope,
        keymap: Keymap,
        now: Timestamp,
    ) -> Self {
        let mut m = Model::new(contexts.first().cloned(), all, scope.clone(), keymap, now);
        m.clusters = contexts
            .into_iter()
            .enumerate()
            .map(|(slot, c)| ClusterView::new(slot, Some(c), scope.clone()))
            .collect();
        if m.clusters.is_empty() {
            m.clusters.push(ClusterView::new(0, None, scope));
        }
        m
    }

    /// The first effects: connect every cluster with its context and scope.
    pub fn start(&mut self) -> Vec<Effect> {
        (0..self.clusters.len())
            .flat_map(|ix| {
                let c = &self.clusters[ix];
                self.connect(ix, c.context.clone(), c.scope.clone())
            })
            .collect()
    }

    /// Whether several clusters are watched.
    pub fn is_fleet(&self) -> bool {
        self.clusters.len() > 1
    }

    /// The cluster the user is looking at: the open detail's, else the
    /// selected row's, else the first.
    pub fn cluster(&self) -> &ClusterView {
        &self.clusters[self.focus()]
    }

    /// Index of `cluster()`.
    pub fn focus(&self) -> usize {
        let id = match (&self.detail, self.home.selected_row()) {
            (Some(d), _) => Some(&d.key.cluster),
            (None, Some(r)) => Some(&r.cluster),
            (None, None) => None,
        };
        id.and_then(|id| self.cluster_ix(id)).unwrap_or(0)
    }

    /// The cluster whose facts carry `id`.
    /// (One cluster: it. A fleet: the one with this id, else with this
    /// context, which the id names before the session said its server.)
    pub fn cluster_ix(&self, id: &crate::domain::cluster_id::ClusterId) -> Option<usize> {
        if !self.is_fleet() {
            return Some(0);
        }
        self.clusters
            .iter()
            .position(|c| c.id == *id)
            .or_else(|| self.clusters.iter().position(|c| c.name() == id.context()))
    }

    /// The current session of the cluster `id` names (the focused
    /// cluster's when none does).
    pub fn session_of(&self, id: &crate::domain::cluster_id::ClusterId) -> SessionKey {
        self.cluster_ix(id).map_or_else(
            || self.cluster().session(),
            |ix| self.clusters[ix].session(),
        )
    }

    /// Whether the cluster `id` names is connected (requests can go out).
    fn connected_to(&self, id: &crate::domain::cluster_id::ClusterId) -> bool {
        self.cluster_ix(id)
            .is_some_and(|ix| self.clusters[ix].is_connected())
    }

    /// The cluster whose current session `key` names.
    pub fn session_ix(&self, key: &SessionKey) -> Option<usize> {
        self.clusters.iter().position(|c| c.session().names(key))
    }

    /// (Re)connects cluster `ix` with `context` and `scope`: a new session
    /// in its slot; its rows go until the new session lists them.
    fn connect(&mut self, ix: usize, context: Option<String>, scope: Scope) -> Vec<Effect> {
        self.sessions.0 += 1;
        let generation = self.sessions;
        let single = self.clusters.len() == 1;
        let Some(c) = self.clusters.get_mut(ix) else {
            return Vec::new();
        };
        let slot = c.slot;
        let same_cluster = self
            .detail
            .as_ref()
            .is_some_and(|d| single || d.key.cluster == c.id);
        c.reset(generation, context.clone(), scope.clone());
        let session = c.session();
        self.collect_rows();
        // The open detail reads everything again once connected.
        if same_cluster && let Some(d) = &mut self.detail {
            self.detail_seq.0 += 1;
            d.restart(self.detail_seq);
        }
        vec![
            WatchEffect::Connect {
                slot,
                session,
                context,
                scope,
            }
            .into(),
        ]
    }

    /// Watches `contexts` instead of what is watched now: one context, or a
    /// fleet. Sessions in slots no longer used are stopped.
    pub fn watch_contexts(&mut self, contexts: Vec<Option<String>>) -> Vec<Effect> {
        let scope = self.cluster().scope.clone();
        let mut fx: Vec<Effect> = (contexts.len().max(1)..self.clusters.len())
            .map(|slot| WatchEffect::Disconnect { slot }.into())
            .collect();
        let contexts = if contexts.is_empty() {
            vec![None]
        } else {
            contexts
        };
        self.clusters = contexts
            .iter()
            .enumerate()
            .map(|(slot, c)| ClusterView::new(slot, c.clone(), scope.clone()))
            .collect();
        self.home.set_rows(Vec::new());
        if self.detail.is_some() {
            fx.extend(keys::close_detail(self));
        }
        fx.extend(self.start());
        fx
    }

    /// Table lines available on the home screen at the current size.
    pub fn viewport(&self) -> usize {
        home_viewport(self.size.1, self.summary_height(), self.notice.is_some())
    }

    /// Lines the summary bar takes at the current width (1 or 2).
    pub fn summary_height(&self) -> u16 {
        let (lines, _) = home::summary_lines(&self.home.summary, self.size.0 as usize, 2);
        lines.len().clamp(1, 2) as u16
    }

    /// Brings derived state (rows, view) up to date after a batch of
    /// messages. The runtime calls it before drawing; `update` calls it
    /// before acting on keys.
    pub fn settle(&mut self) {
        let mut changed = false;
        for c in &mut self.clusters {
            if c.inventory.changed {
                c.inventory.changed = false;
                // Pod updates and events that change no row (most of a
                // storm) cost no new view.
                if c.inventory.refresh() {
                    changed = true;
                    c.pull_secrets.due = true;
                }
            }
        }
        if changed {
            self.collect_rows();
            self.home.cred_stale = true;
        }
        if self.home.cred_stale {
            self.home.cred_stale = false;
            let mut cred = std::collections::HashMap::new();
            for c in &self.clusters {
                c.pull_secrets.markers(&c.inventory, self.now, &mut cred);
            }
            if cred != self.home.cred {
                self.home.cred = cred;
                self.home.view_stale = true;
            }
        }
        self.settle_journal();
        if self.home.view_stale {
            let vp = self.viewport();
            self.home.rebuild(vp);
            self.dirty = true;
        }
        self.settle_detail();
    }

    /// The table's rows: every cluster's.
    fn collect_rows(&mut self) {
        let rows = self
            .clusters
            .iter()
            .flat_map(|c| c.inventory.rows().cloned())
            .collect();
        self.home.set_rows(rows);
        self.dirty = true;
    }

    /// Keeps the open detail's pod and rows in step with the inventory.
    fn settle_detail(&mut self) {
        let Some(ix) = self
            .detail
            .as_ref()
            .and_then(|d| self.cluster_ix(&d.key.cluster))
        else {
            return;
        };
        let Some(d) = &mut self.detail else {
            return;
        };
        let c = &self.clusters[ix];
        match c.inventory.failing.get(&d.key) {
            Some(fp) => {
                let same_pod = d.pod.metadata.uid.is_none()
                    || fp.pod.metadata.uid.is_none()
                    || fp.pod.metadata.uid == d.pod.metadata.uid;
                if same_pod && (!std::sync::Arc::ptr_eq(&fp.pod, &d.pod) || fp.rows != d.rows) {
                    d.pod = fp.pod.clone();
                    d.rows = fp.rows.clone();
                    d.presence = Presence::Failing;
                    self.dirty = true;
                }
            }
            None if c.inventory.synced => {
                let presence = if c.inventory.contains(&d.key) {
                    Presence::Recovered
                } else {
                    Presence::Deleted
                };
                if d.presence != presence {
                    d.presence = presence;
                    self.dirty = true;
                }
            }
            None => {}
        }
    }

    /// Lines of the detail body (screen minus status bar and footer).
    pub fn detail_viewport(&self) -> usize {
        (self.size.1 as usize).saturating_sub(2).max(1)
    }

    /// Whether the focused cluster's client exists (requests can go out).
    fn connected(&self) -> bool {
        self.cluster().is_connected()
    }

    pub fn screen(&self) -> Screen {
        self.screens.last().copied().unwrap_or(Screen::Home)
    }

    /// The probe pane is shown and a side still runs: its step's clock
    /// ("dns … 2.1 s") wants a tick more often than once a second.
    pub fn probing(&self) -> bool {
        self.screen() == Screen::Probe && self.probe.as_ref().is_some_and(|p| p.running())
    }

    /// The table shows what was true when the watch last spoke, not now:
    /// the server is silent or the fresh list after it is not in yet.
    /// (A fleet: some cluster's table is.)
    pub fn is_stale(&self) -> bool {
        self.replay.is_none() && self.clusters.iter().any(ClusterView::is_stale)
    }

    /// The clusters whose rows are stale (a fleet names them).
    pub fn stale_clusters(&self) -> impl Iterator<Item = &ClusterView> {
        self.clusters
            .iter()
            .filter(|c| self.replay.is_none() && c.is_stale())
    }

    /// Whether `row` shows what was true when its cluster's watch last spoke.
    pub fn row_stale(&self, row: &crate::domain::failing::FailureRow) -> bool {
        self.replay.is_none()
            && self
                .cluster_ix(&row.cluster)
                .is_some_and(|ix| self.clusters[ix].is_stale())
    }

    /// Failing pods (not rows: a pod may have several failing containers).
    pub fn failing_pods(&self) -> usize {
        self.clusters
            .iter()
            .flat_map(|c| c.inventory.failing.values())
            .filter(|f| !f.rows.is_empty())
            .count()
    }

    /// Pods watched, in every cluster.
    pub fn pod_count(&self) -> usize {
        self.clusters.iter().map(|c| c.inventory.pod_count()).sum()
    }
}

/// Lines of the home table: the screen minus status bar, summary bar,
/// column header, selected-row line and footer, and the notice line when
/// there is one.
pub fn home_viewport(height: u16, summary: u16, notice: bool) -> usize {
    (height as usize)
        .saturating_sub(4 + summary as usize + usize::from(notice))
        .max(1)
}
