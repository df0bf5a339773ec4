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
mod subject;
pub mod text;
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
    FixRequest, Generation, Msg, MutateEffect, ProbeEffect, ProbeId, ProbeMsg, WatchEffect,
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
    /// The cluster shown: its session, connection state and store.
    pub cluster: ClusterView,
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
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
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
            cluster: ClusterView::new(context, scope),
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
            keymap,
            size: (80, 24),
            quit: false,
            dirty: true,
        }
    }

    /// The first effect: connect with the starting context and scope.
    pub fn start(&mut self) -> Vec<Effect> {
        self.connect(self.cluster.context.clone(), self.cluster.scope.clone())
    }

    fn connect(&mut self, context: Option<String>, scope: Scope) -> Vec<Effect> {
        self.cluster.reset(context.clone(), scope.clone());
        self.home.set_rows(Vec::new());
        self.dirty = true;
        // The open detail reads everything again once connected.
        if let Some(d) = &mut self.detail {
            self.detail_seq.0 += 1;
            d.restart(self.detail_seq);
        }
        vec![
            WatchEffect::Connect {
                generation: self.cluster.generation,
                context,
                scope,
            }
            .into(),
        ]
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
        if self.cluster.inventory.changed {
            self.cluster.inventory.changed = false;
            // Pod updates and events that change no row (most of a storm)
            // cost no new view.
            if self.cluster.inventory.refresh() {
                let rows = self.cluster.inventory.rows().cloned().collect();
                self.home.set_rows(rows);
                self.dirty = true;
            }
        }
        if self.home.view_stale {
            let vp = self.viewport();
            self.home.rebuild(vp);
            self.dirty = true;
        }
        self.settle_detail();
    }

    /// Keeps the open detail's pod and rows in step with the inventory.
    fn settle_detail(&mut self) {
        let Some(d) = &mut self.detail else {
            return;
        };
        match self.cluster.inventory.failing.get(&d.key) {
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
            None if self.cluster.inventory.synced => {
                let presence = if self.cluster.inventory.contains(&d.key) {
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

    /// Whether the client of the current generation exists (requests can go out).
    fn connected(&self) -> bool {
        matches!(
            self.cluster.conn,
            ConnState::Syncing | ConnState::Live | ConnState::Reconnecting(_)
        )
    }

    pub fn screen(&self) -> Screen {
        self.screens.last().copied().unwrap_or(Screen::Home)
    }

    /// The table shows what was true when the watch last spoke, not now:
    /// the server is silent or the fresh list after it is not in yet.
    pub fn is_stale(&self) -> bool {
        self.replay.is_none()
            && self.cluster.inventory.synced
            && matches!(
                self.cluster.conn,
                ConnState::Reconnecting(_) | ConnState::Syncing
            )
    }

    /// Failing pods (not rows: a pod may have several failing containers).
    pub fn failing_pods(&self) -> usize {
        self.cluster
            .inventory
            .failing
            .values()
            .filter(|f| !f.rows.is_empty())
            .count()
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
