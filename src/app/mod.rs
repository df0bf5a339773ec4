//! Application state and its pure update: `update(&mut Model, Msg) ->
//! Vec<Effect>`. Messages are facts (a key, a tick, a watcher event); effects
//! are I/O the runtime performs (connect, resolve an owner, list namespaces,
//! quit). No async, no terminal, no kube client here.

pub mod action;
pub mod detail;
pub mod field;
pub mod home;
pub mod keymap;
pub mod msg;
pub mod paste;
pub mod probe;
pub mod text;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;

use crate::domain::facts::WatchEvent;
use crate::domain::inventory::Inventory;
pub use crate::domain::scope::Scope;
use action::{Actions, Kind, Level, Subject};
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
    pub generation: Generation,
    /// Context asked for (None: the kubeconfig's current context).
    pub context: Option<String>,
    /// Context and server actually connected.
    pub connected_context: Option<String>,
    pub server: Option<String>,
    pub contexts: Vec<String>,
    pub scope: Scope,
    pub default_namespace: Option<String>,
    pub namespaces: Vec<String>,
    pub conn: ConnState,
    pub notice: Option<Notice>,
    pub now: Timestamp,
    pub last_event: Option<Timestamp>,
    pub inventory: Inventory,
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
            generation: Generation(0),
            context,
            connected_context: None,
            server: None,
            contexts,
            scope,
            default_namespace: None,
            namespaces: Vec::new(),
            conn: ConnState::Connecting,
            notice: None,
            now,
            last_event: None,
            inventory: Inventory::default(),
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
        self.connect(self.context.clone(), self.scope.clone())
    }

    fn connect(&mut self, context: Option<String>, scope: Scope) -> Vec<Effect> {
        self.generation.0 += 1;
        self.context = context.clone();
        self.scope = scope.clone();
        self.conn = ConnState::Connecting;
        self.inventory = Inventory::default();
        self.last_event = None;
        self.home.set_rows(Vec::new());
        self.dirty = true;
        // The open detail reads everything again once connected.
        if let Some(d) = &mut self.detail {
            self.detail_seq.0 += 1;
            d.restart(self.detail_seq);
        }
        vec![
            WatchEffect::Connect {
                generation: self.generation,
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
        if self.inventory.changed {
            self.inventory.changed = false;
            // Pod updates and events that change no row (most of a storm)
            // cost no new view.
            if self.inventory.refresh() {
                let rows = self.inventory.rows().cloned().collect();
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
        match self.inventory.failing.get(&d.key) {
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
            None if self.inventory.synced => {
                let presence = if self.inventory.contains(&d.key) {
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
            self.conn,
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
            && self.inventory.synced
            && matches!(self.conn, ConnState::Reconnecting(_) | ConnState::Syncing)
    }

    /// Failing pods (not rows: a pod may have several failing containers).
    pub fn failing_pods(&self) -> usize {
        self.inventory
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

/// Applies one message. Pure: no I/O; effects say what to do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            // Key repeat/release events from terminals with the kitty protocol.
            if key.kind == KeyEventKind::Release {
                return Vec::new();
            }
            model.settle();
            model.dirty = true;
            on_key(model, key)
        }
        Msg::Paste(text) => {
            model.settle();
            model.dirty = true;
            paste::on_paste(model, text.expose())
        }
        Msg::Resize(w, h) => {
            model.size = (w, h);
            model.home.view_stale = true;
            model.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => {
            model.now = now;
            model.actions.expire(now);
            // Ages and "event 2s ago" change with the clock.
            model.dirty = true;
            Vec::new()
        }
        Msg::Shutdown => {
            model.quit = true;
            vec![Effect::Quit]
        }
        Msg::Cluster(generation, m) => {
            if generation != model.generation {
                return Vec::new();
            }
            model.dirty = true;
            on_cluster(model, m)
        }
    }
}

fn on_cluster(model: &mut Model, m: ClusterMsg) -> Vec<Effect> {
    let generation = model.generation;
    match m {
        ClusterMsg::Connected {
            context,
            server,
            default_namespace,
            scope,
        } => {
            model.connected_context = context;
            model.server = Some(server);
            model.default_namespace = Some(default_namespace);
            model.scope = scope;
            model.conn = ConnState::Syncing;
            match &mut model.detail {
                Some(d) => d.requests(generation),
                None => Vec::new(),
            }
        }
        ClusterMsg::ScopeForbidden {
            default_namespace,
            message,
        } => {
            model.notice = Some(Notice {
                text: format!(
                    "not allowed to list pods in all namespaces ({message}); showing namespace {default_namespace} — press n for another"
                ),
                warning: true,
            });
            model.home.view_stale = true;
            let ctx = model.context.clone();
            model.connect(ctx, Scope::Namespace(default_namespace))
        }
        ClusterMsg::ConnectFailed(e) => {
            model.conn = ConnState::Failed(e.to_string());
            Vec::new()
        }
        ClusterMsg::Pods(ev) => {
            model.last_event = Some(model.now);
            let done = matches!(ev, WatchEvent::InitDone);
            let steady = matches!(ev, WatchEvent::Apply(_) | WatchEvent::Delete(_));
            let wanted = model.inventory.apply_pod(ev);
            if done || (steady && model.inventory.synced) {
                model.conn = ConnState::Live;
            }
            wanted
                .into_iter()
                .map(|owner| FetchEffect::Owner { generation, owner }.into())
                .collect()
        }
        ClusterMsg::FailingFirst(facts) => {
            // Once the full list is in, it is the truth: a late early list
            // must not bring back a pod that has recovered since.
            if model.inventory.synced {
                return Vec::new();
            }
            let mut wanted = Vec::new();
            for f in facts {
                wanted.extend(model.inventory.apply_pod(WatchEvent::Apply(f)));
            }
            wanted
                .into_iter()
                .map(|owner| FetchEffect::Owner { generation, owner }.into())
                .collect()
        }
        ClusterMsg::Events(ev) => {
            model.last_event = Some(model.now);
            model.inventory.apply_event(ev);
            Vec::new()
        }
        ClusterMsg::EventsForbidden(e) => {
            let sentence = format!(
                "not allowed to read events ({}): causes come from the pods' status only",
                e.message
            );
            let text = match model.notice.take() {
                Some(n) if n.text.contains("not allowed to read events") => n.text,
                // Both sentences: what is shown, and why causes may be missing.
                Some(n) => format!("{sentence}; {}", n.text),
                None => sentence,
            };
            model.notice = Some(Notice {
                text,
                warning: true,
            });
            model.home.view_stale = true;
            Vec::new()
        }
        ClusterMsg::WatchError { what, error } => {
            model.conn = ConnState::Reconnecting(format!("{what}: {error}"));
            Vec::new()
        }
        ClusterMsg::ServerSilent { error, for_secs } => {
            model.conn = ConnState::Reconnecting(format!("{error} (silent for {for_secs} s)"));
            Vec::new()
        }
        ClusterMsg::CredentialsRefused(e) => {
            // One sentence: "; " separates the notice's sentences.
            let sentence = format!("{CREDENTIALS_REFUSED}: {}", e.message.replace("; ", ", "));
            let text = match model.notice.take() {
                Some(n) if n.text.starts_with(CREDENTIALS_REFUSED) => match n.text.split_once("; ")
                {
                    Some((_, rest)) => format!("{sentence}; {rest}"),
                    None => sentence,
                },
                Some(n) => format!("{sentence}; {}", n.text),
                None => sentence,
            };
            model.notice = Some(Notice {
                text,
                warning: true,
            });
            model.conn = ConnState::Reconnecting(e.to_string());
            Vec::new()
        }
        ClusterMsg::CredentialsRenewed => {
            let refused = model
                .notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with(CREDENTIALS_REFUSED));
            if refused && let Some(n) = model.notice.take() {
                model.notice = n.text.split_once("; ").map(|(_, rest)| Notice {
                    text: rest.to_string(),
                    warning: n.warning,
                });
            }
            Vec::new()
        }
        ClusterMsg::Resync => {
            // The table stays until the fresh list replaces it; the open
            // detail reads its events, ServiceAccount and secrets again.
            model.conn = ConnState::Syncing;
            model.home.view_stale = true;
            match &mut model.detail {
                Some(d) => {
                    model.detail_seq.0 += 1;
                    d.restart(model.detail_seq);
                    d.requests(generation)
                }
                None => Vec::new(),
            }
        }
        ClusterMsg::Owner(key, lookup) => {
            model.inventory.apply_owner(key, lookup);
            Vec::new()
        }
        ClusterMsg::Namespaces(res) => {
            let mut list = match res {
                Ok(l) => l,
                Err(_) => model.inventory.namespaces(),
            };
            list.sort();
            list.dedup();
            model.namespaces = list;
            let contexts = match &model.overlay {
                Some(Overlay::Picker(p)) => Some(!p.namespaces_only),
                _ => None,
            };
            if let Some(contexts) = contexts {
                let items = pick_items(model, contexts);
                if let Some(Overlay::Picker(p)) = &mut model.overlay {
                    p.items = items;
                }
            }
            Vec::new()
        }
        ClusterMsg::Detail { detail, msg } => match &mut model.detail {
            Some(d) if d.id == detail => d.apply(generation, *msg),
            _ => Vec::new(),
        },
        ClusterMsg::Action { action, msg } => model.actions.apply_msg(action, *msg, model.now),
        ClusterMsg::Probe { probe, msg } => {
            if let Some(p) = &mut model.probe
                && p.id == probe
            {
                p.apply(*msg);
            }
            Vec::new()
        }
    }
}

/// The pod an action is about: the open detail's (its container), or the
/// selected row's.
fn subject(model: &Model) -> Option<Subject> {
    let (row, secret_states) = match (model.screen(), &model.detail) {
        (Screen::Detail, Some(d)) => {
            let row = d
                .rows
                .iter()
                .find(|r| r.container == d.container)
                .or(d.rows.first())?;
            let missing: Vec<String> = d
                .pod_secrets_missing()
                .into_iter()
                .map(str::to_string)
                .collect();
            (
                crate::domain::failing::FailureRow::clone(row),
                Some(missing),
            )
        }
        _ => (model.home.selected_row()?.clone(), None),
    };
    let pod = model
        .inventory
        .failing
        .get(&crate::domain::failing::PodKey::new(
            &row.namespace,
            &row.pod,
        ))?;
    let pull_secrets = crate::domain::pod::pull_secret_names(&pod.pod);
    // The missing secret: what the detail found missing, or the referenced
    // name the kubelet's message names.
    let missing = match secret_states {
        Some(m) if !m.is_empty() => m.first().cloned(),
        _ if row.category == crate::domain::classify::Category::CredentialsSecretMissing => {
            pull_secrets
                .iter()
                .find(|n| row.message.contains(n.as_str()))
                .or(pull_secrets.first())
                .cloned()
        }
        _ => None,
    };
    Some(Subject::from_row(&row, missing, pull_secrets))
}

/// The same subject widened to its registry × cause group: one pod per
/// distinct workload.
fn group_subject(model: &Model) -> Option<Subject> {
    let mut s = subject(model)?;
    let category = s.category?;
    let registry = s.registry.clone()?;
    let workload_of = |r: &crate::domain::failing::FailureRow| match &r.workload {
        Some(w) => format!("{}/{}/{}", r.namespace, w.kind, w.name),
        None => format!("{}/pod/{}", r.namespace, r.pod),
    };
    let selected = s.pods.first().cloned();
    let mut seen: Vec<String> = Vec::new();
    let mut pods = Vec::new();
    for r in model.inventory.rows() {
        if r.category != category || r.registry.as_deref() != Some(registry.as_str()) {
            continue;
        }
        let key = crate::domain::failing::PodKey::new(&r.namespace, &r.pod);
        let w = workload_of(r);
        match seen.iter().position(|x| *x == w) {
            // The selected pod stands for its own workload.
            Some(i) if Some(&key) == selected.as_ref() => pods[i] = key,
            Some(_) => {}
            None => {
                seen.push(w);
                pods.push(key);
            }
        }
    }
    // The selected pod's workload first.
    if let Some(i) = pods.iter().position(|p| Some(p) == selected.as_ref()) {
        let first = pods.remove(i);
        pods.insert(0, first);
    }
    s.group = Some(format!("{registry} × {}", category.id()));
    s.pods = pods;
    Some(s)
}

/// `a`/`c`/`i`/`k` (and the group forms): opens the action on the subject.
fn start_action(model: &mut Model, intent: Intent) -> Vec<Effect> {
    if let Some(why) = model.actions.disabled_reason() {
        let now = model.now;
        model.actions.toast(now, Level::Warning, why);
        return Vec::new();
    }
    if !model.connected() {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "not connected: no fix can be prepared");
        return Vec::new();
    }
    let (kind, group) = match intent {
        Intent::Annotate => (Kind::Annotate, false),
        Intent::Credential => (Kind::Credential, false),
        Intent::Image => (Kind::Image, false),
        Intent::Kick => (Kind::Kick, false),
        Intent::GroupAnnotate => (Kind::Annotate, true),
        Intent::GroupCredential => (Kind::Credential, true),
        _ => return Vec::new(),
    };
    let subject = if group {
        group_subject(model)
    } else {
        subject(model)
    };
    let Some(subject) = subject else {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "select a failing pod first");
        return Vec::new();
    };
    let (generation, now) = (model.generation, model.now);
    model.actions.open(kind, subject, generation, now)
}

fn pick_items(model: &Model, contexts: bool) -> Vec<PickItem> {
    let mut items = Vec::new();
    if contexts {
        items.extend(model.contexts.iter().cloned().map(PickItem::Context));
    }
    items.push(PickItem::Namespace(None));
    let mut ns = model.namespaces.clone();
    if ns.is_empty() {
        ns = model.inventory.namespaces();
    }
    items.extend(ns.into_iter().map(|n| PickItem::Namespace(Some(n))));
    items
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c {
        model.quit = true;
        return vec![Effect::Quit];
    }
    // An open fix (form, preview) takes every key.
    if model.actions.current.is_some() {
        let (generation, now) = (model.generation, model.now);
        return model.actions.key(key, generation, now);
    }
    // Text inputs take plain keys first.
    if model.home.filter_editing && model.overlay.is_none() {
        return filter_key(model, key);
    }
    if let Some(Overlay::Picker(_)) = &model.overlay {
        return picker_key(model, key);
    }
    if model.screen() == Screen::Probe && model.overlay.is_none() {
        return probe_key(model, key);
    }
    let Some(intent) = model.keymap.resolve(&key) else {
        return Vec::new();
    };
    if model.overlay == Some(Overlay::Help) {
        return match intent {
            Intent::Help | Intent::Back => {
                model.overlay = None;
                Vec::new()
            }
            Intent::Quit => quit(model),
            _ => Vec::new(),
        };
    }
    match model.screen() {
        Screen::Home => home_intent(model, intent),
        Screen::Detail => detail_intent(model, intent),
        Screen::Probe => Vec::new(),
    }
}

/// `p` / `P`: opens the probe pane on the subject pod (and asks for the
/// node probe's preview with `P`).
fn open_probe(model: &mut Model, node_too: bool) -> Vec<Effect> {
    let row = match (model.screen(), &model.detail) {
        (Screen::Detail, Some(d)) => d
            .rows
            .iter()
            .find(|r| r.container == d.container)
            .or(d.rows.first())
            .map(|r| crate::domain::failing::FailureRow::clone(r)),
        _ => model.home.selected_row().cloned(),
    };
    let Some(row) = row else {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "select a failing pod first");
        return Vec::new();
    };
    if !model.connected() {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "not connected: nothing to probe with");
        return Vec::new();
    }
    let node = model
        .inventory
        .failing
        .get(&crate::domain::failing::PodKey::new(
            &row.namespace,
            &row.pod,
        ))
        .and_then(|f| f.pod.spec.as_ref().and_then(|s| s.node_name.clone()));
    model.probe_seq.0 += 1;
    let Some(mut pane) = probe::ProbePane::new(model.probe_seq, &row, node) else {
        let now = model.now;
        model.actions.toast(
            now,
            Level::Warning,
            format!(
                "{} is not a valid image reference: nothing to probe",
                row.image
            ),
        );
        return Vec::new();
    };
    let generation = model.generation;
    let mut fx = vec![pane.start(generation)];
    if node_too {
        let ro = model.actions.read_only;
        fx.extend(pane.ask_node(generation, ro));
    }
    model.probe = Some(pane);
    model.screens.push(Screen::Probe);
    fx
}

fn probe_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let intent = model.keymap.resolve(&key);
    let confirming = matches!(
        model.probe.as_ref().map(|p| &p.node_stage),
        Some(probe::NodeStage::Confirm { .. })
    );
    if !confirming {
        match intent {
            Some(Intent::Quit) => return quit(model),
            Some(Intent::Help) => {
                model.overlay = Some(Overlay::Help);
                return Vec::new();
            }
            _ => {}
        }
    }
    let (generation, ro) = (model.generation, model.actions.read_only);
    let Some(p) = &mut model.probe else {
        return Vec::new();
    };
    let (fx, close) = p.key(key, generation, ro);
    if close {
        model.probe = None;
        model.screens.retain(|s| *s != Screen::Probe);
    }
    fx
}

/// Opens the detail of the selected row's pod, focused on its container.
fn open_detail(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model.home.selected_row() else {
        return Vec::new();
    };
    let key = row.key();
    let Some(fp) = model.inventory.failing.get(&key.pod) else {
        return Vec::new();
    };
    model.detail_seq.0 += 1;
    let mut d = Detail::new(
        model.detail_seq,
        key.pod.clone(),
        fp.pod.clone(),
        fp.rows.clone(),
        key.container.clone(),
    );
    d.recorded = model.replay.is_some();
    d.fix_keys = fix_keys(&model.keymap);
    d.probe_key = model.keymap.first(Intent::Probe).map(|k| k.to_string());
    d.upstream = model.home.catalogue();
    let fx = if model.connected() {
        d.requests(model.generation)
    } else {
        Vec::new()
    };
    model.detail = Some(d);
    model.screens.push(Screen::Detail);
    fx
}

/// Which key carries out each fix id (the detail's FIXES list names them).
fn fix_keys(km: &Keymap) -> Vec<(crate::domain::mutation::FixId, String)> {
    use crate::domain::mutation::FixId;
    FixId::ALL
        .into_iter()
        .filter_map(|f| {
            let intent = match f {
                FixId::AnnotateSkipVerify | FixId::AnnotateHttpEndpoint | FixId::Annotate => {
                    Intent::Annotate
                }
                FixId::CreatePullSecret | FixId::CopyPullSecret | FixId::AttachPullSecret => {
                    Intent::Credential
                }
                FixId::SetImage => Intent::Image,
                FixId::Restart => Intent::Kick,
            };
            km.first(intent).map(|k| (f, k.to_string()))
        })
        .collect()
}

fn close_detail(model: &mut Model) -> Vec<Effect> {
    model.screens.retain(|s| *s != Screen::Detail);
    model.detail = None;
    vec![WatchEffect::StopDetail.into()]
}

fn detail_intent(model: &mut Model, intent: Intent) -> Vec<Effect> {
    let vp = model.detail_viewport();
    let width = model.size.0 as usize;
    let now = model.now;
    match intent {
        Intent::Quit => return quit(model),
        Intent::Help => model.overlay = Some(Overlay::Help),
        Intent::Back => return close_detail(model),
        Intent::Resync => {
            let ctx = model.context.clone();
            let scope = model.scope.clone();
            return model.connect(ctx, scope);
        }
        i if i.mutates() => return start_action(model, i),
        Intent::Probe => return open_probe(model, false),
        Intent::ProbeNode => return open_probe(model, true),
        Intent::NextContainer | Intent::PrevContainer => {
            if let Some(d) = &mut model.detail {
                d.cycle(intent == Intent::NextContainer);
            }
        }
        Intent::Up
        | Intent::Down
        | Intent::PageUp
        | Intent::PageDown
        | Intent::Top
        | Intent::Bottom => {
            let Some(d) = &mut model.detail else {
                return Vec::new();
            };
            let max = d.document(now, width).len().saturating_sub(vp);
            let page = vp.saturating_sub(1).max(1);
            let cur = d.scroll.min(max);
            d.scroll = match intent {
                Intent::Up => cur.saturating_sub(1),
                Intent::Down => cur + 1,
                Intent::PageUp => cur.saturating_sub(page),
                Intent::PageDown => cur + page,
                Intent::Top => 0,
                _ => max,
            }
            .min(max);
        }
        _ => {}
    }
    Vec::new()
}

fn quit(model: &mut Model) -> Vec<Effect> {
    model.quit = true;
    vec![Effect::Quit]
}

fn home_intent(model: &mut Model, intent: Intent) -> Vec<Effect> {
    let vp = model.viewport();
    let h = &mut model.home;
    match intent {
        Intent::Quit => return quit(model),
        Intent::Help => model.overlay = Some(Overlay::Help),
        Intent::Back if !h.filter.is_empty() => {
            h.filter.clear();
            h.view_stale = true;
        }
        Intent::Palette => return open_picker(model, false),
        Intent::Namespace => return open_picker(model, true),
        Intent::Resync => {
            let ctx = model.context.clone();
            let scope = model.scope.clone();
            return model.connect(ctx, scope);
        }
        Intent::Filter => h.filter_editing = true,
        Intent::Group => {
            h.grouping = h.grouping.next();
            h.view_stale = true;
        }
        Intent::Sort => {
            h.sort = h.sort.next();
            h.view_stale = true;
        }
        Intent::SortReverse => {
            h.reverse = !h.reverse;
            h.view_stale = true;
        }
        Intent::Up => h.move_by(-1, vp),
        Intent::Down => h.move_by(1, vp),
        Intent::PageUp => h.move_by(-(vp as isize), vp),
        Intent::PageDown => h.move_by(vp as isize, vp),
        Intent::Top => h.top(vp),
        Intent::Bottom => h.bottom(vp),
        Intent::Open => return open_detail(model),
        i if i.mutates() => return start_action(model, i),
        Intent::Probe => return open_probe(model, false),
        Intent::ProbeNode => return open_probe(model, true),
        _ => {}
    }
    model.settle();
    Vec::new()
}

fn open_picker(model: &mut Model, namespaces_only: bool) -> Vec<Effect> {
    let items = pick_items(model, !namespaces_only);
    model.overlay = Some(Overlay::Picker(Picker {
        title: if namespaces_only {
            "namespace"
        } else {
            "context / namespace"
        },
        input: String::new(),
        items,
        selected: 0,
        namespaces_only,
    }));
    vec![
        FetchEffect::Namespaces {
            generation: model.generation,
        }
        .into(),
    ]
}

fn filter_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let h = &mut model.home;
    match key.code {
        KeyCode::Esc => {
            h.filter.clear();
            h.filter_editing = false;
        }
        KeyCode::Enter => h.filter_editing = false,
        KeyCode::Backspace => {
            h.filter.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            h.filter.push(c)
        }
        _ => return Vec::new(),
    }
    h.view_stale = true;
    model.settle();
    Vec::new()
}

fn picker_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Picker(p)) = &mut model.overlay else {
        return Vec::new();
    };
    let n = p.visible().len();
    match key.code {
        KeyCode::Esc => model.overlay = None,
        KeyCode::Up => p.selected = p.selected.saturating_sub(1),
        KeyCode::Down => p.selected = (p.selected + 1).min(n.saturating_sub(1)),
        KeyCode::Backspace => {
            p.input.pop();
            p.selected = 0;
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            p.input.push(c);
            p.selected = 0;
        }
        KeyCode::Enter => {
            let choice = p.visible().get(p.selected).map(|i| (*i).clone());
            model.overlay = None;
            return match choice {
                Some(PickItem::Context(c)) => {
                    model.notice = None;
                    model.connect(Some(c), Scope::All)
                }
                Some(PickItem::Namespace(ns)) => {
                    model.notice = None;
                    let ctx = model.context.clone();
                    model.connect(ctx, ns.map_or(Scope::All, Scope::Namespace))
                }
                None => Vec::new(),
            };
        }
        _ => {}
    }
    Vec::new()
}
