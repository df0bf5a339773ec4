//! Fixes from the keyboard: `a` annotate, `c` credential, `i` image, `k`
//! kick, and their group forms. Each is a small state machine — a form
//! (text inputs from ratatui-textarea, checked the way the API server checks
//! before anything is sent), a preview to confirm (`y` / `Esc`), the apply,
//! then the follow-up in the status bar and a toast. Pure: the requests go
//! out as `MutateEffect`s with the same fix ids and parameters as
//! `pulltui fix`, and the answers come back as `ActionMsg`s.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;

pub use super::field::{Field, SECRET_CAPACITY};
use super::msg::{
    ActionId, ActionMsg, Effect, FixRequest, MutateEffect, ProbeEffect, ProbeId, SessionKey,
};
use crate::domain::classify::Category;
use crate::domain::cluster_id::ClusterId;
use crate::domain::failing::{FailureRow, PodKey};
use crate::domain::image::ImageRef;
use crate::domain::mutation::{
    AttachChoice, Candidate, FixId, FixParams, ObjectRef, Preview, docker_server, presets,
    secret_name_for, validate_annotation, validate_dns1123_subdomain,
};
use crate::domain::redact::Redacted;

/// Which key started the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Annotate,
    Credential,
    Image,
    Kick,
    /// The probe pane's node probe: its pod is created after `y`.
    ProbePod(ProbeId),
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Annotate => "annotate the pod template",
            Kind::Credential => "pull secret",
            Kind::Image => "change the image",
            Kind::Kick => "kick",
            Kind::ProbePod(_) => "create the probe pod",
        }
    }
}

/// The pod (or, for a group fix, pods) an action is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The selected pod first; more for a group fix (one per workload).
    pub pods: Vec<PodKey>,
    pub container: String,
    pub image: String,
    /// `host[:port]` of the image, when it parses.
    pub registry: Option<String>,
    pub category: Option<Category>,
    /// `Deployment/web`, or `pod ns/name` for a bare pod.
    pub workload: String,
    /// A referenced pull secret that does not exist.
    pub missing_secret: Option<String>,
    /// The pod's own `imagePullSecrets` names.
    pub pull_secrets: Vec<String>,
    /// The registry × cause group, for a group fix.
    pub group: Option<String>,
    /// A group fix in a fleet: the group's pods in the other clusters (one
    /// per workload), written to only when the user widens the fix.
    pub others: Vec<PodKey>,
}

impl Subject {
    pub fn from_row(
        row: &FailureRow,
        missing_secret: Option<String>,
        pull_secrets: Vec<String>,
    ) -> Self {
        Subject {
            pods: vec![row.pod_key()],
            container: row.container.clone(),
            image: row.image.clone(),
            registry: row.registry.clone(),
            category: Some(row.category),
            workload: match &row.workload {
                Some(w) => format!("{}/{}", w.kind, w.name),
                None => format!("pod {}/{}", row.namespace, row.pod),
            },
            missing_secret,
            pull_secrets,
            group: None,
            others: Vec::new(),
        }
    }

    /// What the overlay's title names.
    pub fn label(&self) -> String {
        match &self.group {
            Some(g) if !self.others.is_empty() => format!(
                "{} of {g} (+{} in other clusters)",
                workloads(self.pods.len()),
                self.others.len(),
            ),
            Some(g) => format!("{} of {g}", workloads(self.pods.len())),
            None => match self.pods.first() {
                Some(p) => format!("{} ({p})", self.workload),
                None => self.workload.clone(),
            },
        }
    }
}

fn workloads(n: usize) -> String {
    match n {
        1 => "1 workload".into(),
        n => format!("{n} workloads"),
    }
}

impl Subject {
    /// The contexts the subject's pods are in: the selected pod's first,
    /// then the other clusters' in the order they come.
    pub fn clusters(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.pods.iter().chain(&self.others) {
            let c = p.cluster.context();
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

/// Where an action is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Form(Form),
    /// Reading the objects, computing the preview.
    Preparing,
    /// The preview, waiting for `y` or `Esc`. `live`: from the server's objects.
    Confirm {
        preview: Box<Preview>,
        live: bool,
        scroll: usize,
    },
    /// Sent; waiting for the server.
    Applying,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: ActionId,
    pub kind: Kind,
    pub subject: Subject,
    pub stage: Stage,
    /// The form, kept while the preview is computed (a refusal of its
    /// values brings it back with the error).
    pub form: Option<Form>,
    pub fix: Option<FixId>,
    /// A fix widened to several clusters: one part per cluster, each with
    /// its own id at the backend (empty: the action's own id is the one).
    pub parts: Vec<Part>,
}

impl Action {
    /// The rows of the form, in focus order.
    pub fn rows(&self, form: &Form) -> Vec<Row> {
        rows_of(self.kind, &self.subject, form)
    }
}

/// A short message at the bottom right that fades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub level: Level,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Info,
    Warning,
    Error,
}

/// A fix being followed (status bar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub id: ActionId,
    pub line: String,
}

/// How long a toast stays (a warning or an error: three times as long).
pub const TOAST_SECS: i64 = 10;

fn ttl(level: Level) -> i64 {
    match level {
        Level::Warning | Level::Error => TOAST_SECS * 3,
        Level::Ok | Level::Info => TOAST_SECS,
    }
}
/// At most this many toasts at once (the oldest go).
pub const MAX_TOASTS: usize = 4;

/// The actions' part of the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    /// The overlay: at most one action is being edited or confirmed.
    pub current: Option<Action>,
    pub seq: ActionId,
    pub following: Vec<Following>,
    pub toasts: Vec<Toast>,
    /// `--read-only`: the keys are disabled.
    pub read_only: bool,
    /// `--dry-run`: every apply is sent with `dryRun=All`.
    pub dry_run: bool,
    /// A recording: previews are computed offline and nothing is sent.
    pub replay: bool,
}

impl Actions {
    pub fn toast(&mut self, now: Timestamp, level: Level, text: impl Into<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            level,
            at: now,
        });
        if self.toasts.len() > MAX_TOASTS {
            let drop = self.toasts.len() - MAX_TOASTS;
            self.toasts.drain(..drop);
        }
    }

    /// Drops the toasts older than `TOAST_SECS`; whether any went.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        let before = self.toasts.len();
        self.toasts
            .retain(|t| now.duration_since(t.at).as_secs() < ttl(t.level));
        before != self.toasts.len()
    }

    /// Why the keys are off, if they are.
    pub fn disabled_reason(&self) -> Option<&'static str> {
        self.read_only
            .then_some("read-only mode (--read-only): fixes are disabled")
    }

    /// Opens the form (or, for a kick, asks for the preview at once).
    pub fn open(
        &mut self,
        kind: Kind,
        subject: Subject,
        session: SessionKey,
        now: Timestamp,
    ) -> Vec<Effect> {
        self.seq.0 += 1;
        let id = self.seq;
        let mut action = Action {
            id,
            kind,
            subject,
            stage: Stage::Preparing,
            form: None,
            fix: None,
            parts: Vec::new(),
        };
        let mut fx = Vec::new();
        match kind {
            Kind::Kick => {
                let request = FixRequest {
                    pods: action.subject.pods.clone(),
                    container: Some(action.subject.container.clone()),
                    fix: FixId::Restart,
                    params: FixParams::default(),
                };
                action.fix = Some(FixId::Restart);
                fx.push(prepare(session, id, request, now));
            }
            _ => {
                let form = new_form(&action.subject, kind);
                if kind == Kind::Credential
                    && action.subject.group.is_none()
                    && let Some(pod) = action.subject.pods.first()
                {
                    fx.push(
                        MutateEffect::Candidates {
                            session: session.clone(),
                            action: id,
                            pod: pod.clone(),
                            container: Some(action.subject.container.clone()),
                        }
                        .into(),
                    );
                }
                let mut form = form;
                if !fx.is_empty() {
                    form.offers = Offers::Loading;
                }
                action.stage = Stage::Form(form);
            }
        }
        self.current = Some(action);
        fx
    }

    /// A key while the overlay is open. `Esc` cancels at every stage.
    pub fn key(&mut self, key: KeyEvent, session: SessionKey, now: Timestamp) -> Vec<Effect> {
        self.key_routed(key, session, &[], now)
    }

    /// A key while the overlay is open; `routes`: the session of each
    /// cluster a widened fix may write to (`session`: the selected
    /// pod's cluster's).
    pub fn key_routed(
        &mut self,
        key: KeyEvent,
        session: SessionKey,
        routes: &[(ClusterId, SessionKey)],
        now: Timestamp,
    ) -> Vec<Effect> {
        let Some(action) = &mut self.current else {
            return Vec::new();
        };
        let parts = action.part_ids();
        // The probe pod's preview: `y` creates it (the pane follows it).
        if let Kind::ProbePod(probe) = action.kind
            && let Some(create) = match key.code {
                KeyCode::Char('y' | 'Y') => Some(true),
                KeyCode::Esc | KeyCode::Char('n' | 'N') => Some(false),
                _ => None,
            }
        {
            self.current = None;
            if create {
                return vec![ProbeEffect::NodeStart { probe }.into()];
            }
            self.toast(now, Level::Info, "cancelled: the probe pod was not created");
            return vec![ProbeEffect::NodeCancel { probe }.into()];
        }
        match &mut action.stage {
            Stage::Form(_) => self.form_key(key, session, routes, now),
            Stage::Confirm { scroll, .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    if self.replay {
                        self.current = None;
                        self.toast(
                            now,
                            Level::Info,
                            "replay: the change was only previewed, nothing is sent",
                        );
                        return cancel_all(&parts);
                    }
                    action.stage = Stage::Applying;
                    let dry_run = self.dry_run;
                    action
                        .start_parts()
                        .into_iter()
                        .map(|action| MutateEffect::Apply { action, dry_run }.into())
                        .collect()
                }
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => {
                    self.current = None;
                    self.toast(now, Level::Info, "cancelled: nothing was changed");
                    cancel_all(&parts)
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    *scroll += 1;
                    Vec::new()
                }
                KeyCode::Up => {
                    *scroll = scroll.saturating_sub(1);
                    Vec::new()
                }
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    *scroll += 10;
                    Vec::new()
                }
                KeyCode::PageUp => {
                    *scroll = scroll.saturating_sub(10);
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Stage::Preparing => match key.code {
                KeyCode::Esc => {
                    self.current = None;
                    cancel_all(&parts)
                }
                _ => Vec::new(),
            },
            // Sent: the answer will come; Esc only closes the overlay.
            Stage::Applying => {
                if key.code == KeyCode::Esc {
                    self.current = None;
                }
                Vec::new()
            }
        }
    }

    /// Opens the probe pod's preview for `y` (the pane asked for it with
    /// `P`); refused while another change is open.
    pub fn confirm_probe_pod(
        &mut self,
        probe: ProbeId,
        subject: Subject,
        preview: Box<Preview>,
    ) -> Result<(), String> {
        if self.current.is_some() {
            return Err("another change is being confirmed: close it, then press P again".into());
        }
        self.seq.0 += 1;
        self.current = Some(Action {
            id: self.seq,
            kind: Kind::ProbePod(probe),
            subject,
            stage: Stage::Confirm {
                preview,
                live: true,
                scroll: 0,
            },
            form: None,
            fix: None,
            parts: Vec::new(),
        });
        Ok(())
    }

    /// Pasted text (one clean line) into the focused field of an open form;
    /// false when no editable field has the focus (a preview, a choice).
    pub fn paste(&mut self, line: &str) -> bool {
        let Some(action) = &mut self.current else {
            return false;
        };
        let Stage::Form(form) = &mut action.stage else {
            return false;
        };
        let rows = rows_of(action.kind, &action.subject, form);
        let Some(Row::Field(i)) = rows.get(form.focus).copied() else {
            return false;
        };
        match form.fields.get_mut(i) {
            Some(f) if !f.locked => {
                f.input.insert_str(line);
                form.error = None;
                true
            }
            _ => false,
        }
    }

    fn form_key(
        &mut self,
        key: KeyEvent,
        session: SessionKey,
        routes: &[(ClusterId, SessionKey)],
        now: Timestamp,
    ) -> Vec<Effect> {
        let Some(action) = &mut self.current else {
            return Vec::new();
        };
        let Stage::Form(form) = &mut action.stage else {
            return Vec::new();
        };
        form.touched = true;
        let rows = rows_of(action.kind, &action.subject, form);
        let n = rows.len().max(1);
        form.focus = form.focus.min(n - 1);
        let row = rows.get(form.focus).copied();
        let shift_tab = key.code == KeyCode::BackTab;
        match key.code {
            KeyCode::Esc => {
                self.current = None;
                return Vec::new();
            }
            KeyCode::Enter => return self.submit(session, routes, now),
            KeyCode::Tab | KeyCode::Down => {
                form.focus = (form.focus + 1) % n;
                return Vec::new();
            }
            _ if shift_tab || key.code == KeyCode::Up => {
                form.focus = (form.focus + n - 1) % n;
                return Vec::new();
            }
            _ => {}
        }
        let left = matches!(key.code, KeyCode::Left);
        let right = matches!(key.code, KeyCode::Right | KeyCode::Char(' '));
        match row {
            Some(Row::Preset) if left || right => {
                form.next_preset(right, action.subject.registry.as_deref());
            }
            Some(Row::Source) if left || right => {
                form.source = cycle(form.source, form.sources.len(), right);
                form.attach = match form.current_source() {
                    Source::Attach(_) => AttachChoice::Template,
                    _ => form.attach,
                };
                form.error = None;
            }
            Some(Row::Scope) if left || right => {
                form.widen = !form.widen;
                form.error = None;
            }
            Some(Row::Attach) if left || right => {
                let choices = attach_choices(form.current_source());
                let i = choices.iter().position(|c| *c == form.attach).unwrap_or(0);
                form.attach = choices[cycle(i, choices.len(), right)];
                form.error = None;
            }
            Some(Row::Field(i)) => form.edit(i, key),
            _ => {}
        }
        Vec::new()
    }

    /// Checks the form; when it is valid, asks for the preview (of each
    /// cluster, when the fix is widened).
    fn submit(
        &mut self,
        session: SessionKey,
        routes: &[(ClusterId, SessionKey)],
        now: Timestamp,
    ) -> Vec<Effect> {
        let Some(action) = &mut self.current else {
            return Vec::new();
        };
        let Stage::Form(form) = &mut action.stage else {
            return Vec::new();
        };
        match request_of(action.kind, &action.subject, form) {
            Err(e) => {
                form.error = Some(e);
                Vec::new()
            }
            Ok(request) => {
                let id = action.id;
                action.fix = Some(request.fix);
                let widen = form.widen && !action.subject.others.is_empty();
                let stage = std::mem::replace(&mut action.stage, Stage::Preparing);
                if let Stage::Form(f) = stage {
                    action.form = Some(f);
                }
                if widen {
                    return across::prepare_parts(self, request, session, routes, now);
                }
                vec![prepare(session, id, request, now)]
            }
        }
    }

    /// An answer from the backend. Returns follow-up effects (the other
    /// parts' cancels, when one part's input is refused).
    pub fn apply_msg(&mut self, id: ActionId, msg: ActionMsg, now: Timestamp) -> Vec<Effect> {
        let msg = match across::part_msg(self, id, msg, now) {
            Ok(fx) => return fx,
            Err(msg) => msg,
        };
        match msg {
            ActionMsg::Candidates { copy, attach } => self.offers(id, copy, attach),
            ActionMsg::Prepared { preview, live } => {
                if let Some(a) = self.current_with(id)
                    && a.stage == Stage::Preparing
                {
                    a.stage = Stage::Confirm {
                        preview,
                        live,
                        scroll: 0,
                    };
                }
            }
            ActionMsg::Refused { message, input } => self.refused(id, message, input, now),
            ActionMsg::Applied {
                dry_run,
                writes,
                notes,
                audit: _,
            } => self.applied(id, dry_run, writes, notes, now),
            ActionMsg::Failed { message } => {
                self.close(id);
                self.toast(now, Level::Error, message);
            }
            ActionMsg::Progress { line } => {
                if let Some(f) = self.following.iter_mut().find(|f| f.id == id) {
                    f.line = line;
                } else {
                    self.following.push(Following { id, line });
                }
            }
            ActionMsg::Followed { resolved, summary } => {
                self.following.retain(|f| f.id != id);
                let level = if resolved { Level::Ok } else { Level::Warning };
                self.toast(now, level, summary);
            }
            ActionMsg::NotFollowed { why } => {
                self.following.retain(|f| f.id != id);
                self.toast(now, Level::Info, format!("not following: {why}"));
            }
        }
        Vec::new()
    }

    /// The open action, when it is `id`.
    fn current_with(&mut self, id: ActionId) -> Option<&mut Action> {
        self.current.as_mut().filter(|a| a.id == id)
    }

    /// Closes the open action when it is `id`.
    fn close(&mut self, id: ActionId) {
        if self.current.as_ref().is_some_and(|a| a.id == id) {
            self.current = None;
        }
    }

    /// The secrets the form offers to copy or attach have arrived.
    fn offers(
        &mut self,
        id: ActionId,
        copy: Result<Vec<Candidate>, String>,
        attach: Result<Vec<Candidate>, String>,
    ) {
        let Some(a) = self.current_with(id) else {
            return;
        };
        let (kind, subject) = (a.kind, &a.subject);
        let Stage::Form(form) = &mut a.stage else {
            return;
        };
        let mut failed = Vec::new();
        match attach {
            Ok(list) => form.sources.extend(list.into_iter().map(Source::Attach)),
            Err(e) => failed.push(format!("own namespace: {e}")),
        }
        match copy {
            Ok(list) => form.sources.extend(list.into_iter().map(Source::Copy)),
            Err(e) => failed.push(format!("other namespaces: {e}")),
        }
        form.offers = if failed.is_empty() {
            Offers::Loaded
        } else {
            Offers::Failed(failed.join("; "))
        };
        // "N existing secrets cover this registry: ←/→ to use one": the
        // focus goes to that choice, unless the user has already moved.
        if form.sources.len() > 1
            && !form.touched
            && let Some(i) = rows_of(kind, subject, form)
                .iter()
                .position(|r| *r == Row::Source)
        {
            form.focus = i;
        }
    }

    /// The server refused the request: back to the form when the input
    /// was at fault (the message shown there), else closed with a toast.
    fn refused(&mut self, id: ActionId, message: String, input: bool, now: Timestamp) {
        let back = self.current_with(id).and_then(|a| {
            if input && let Some(mut f) = a.form.take() {
                f.error = Some(message.clone());
                a.stage = Stage::Form(f);
                Some(())
            } else {
                None
            }
        });
        if back.is_none() {
            self.close(id);
            self.toast(now, Level::Error, format!("not changed: {message}"));
        }
    }

    /// The change was applied (or accepted by a dry run): closed, with a
    /// toast of what was written, and followed when real.
    fn applied(
        &mut self,
        id: ActionId,
        dry_run: bool,
        writes: Vec<String>,
        notes: Vec<String>,
        now: Timestamp,
    ) {
        self.close(id);
        let what = if writes.is_empty() {
            "nothing to write".to_string()
        } else {
            writes.join("; ")
        };
        if dry_run {
            self.toast(
                now,
                Level::Info,
                format!("dry run, accepted by the server (nothing persisted): {what}"),
            );
        } else {
            self.toast(now, Level::Ok, format!("applied: {what}"));
            self.following.push(Following {
                id,
                line: "following the workload…".into(),
            });
        }
        for n in notes {
            self.toast(now, Level::Info, n);
        }
    }
}

mod across;
mod form;
#[cfg(test)]
mod tests;

use across::cancel_all;
pub use across::{Part, PartState};
pub use form::*;
