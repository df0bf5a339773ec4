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
use super::msg::{ActionId, ActionMsg, Effect, FixRequest, Generation, MutateEffect};
use crate::domain::classify::Category;
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
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Annotate => "annotate the pod template",
            Kind::Credential => "pull secret",
            Kind::Image => "change the image",
            Kind::Kick => "kick",
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
}

impl Subject {
    pub fn from_row(
        row: &FailureRow,
        missing_secret: Option<String>,
        pull_secrets: Vec<String>,
    ) -> Self {
        Subject {
            pods: vec![PodKey::new(&row.namespace, &row.pod)],
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
        }
    }

    /// What the overlay's title names.
    pub fn label(&self) -> String {
        match &self.group {
            Some(g) => format!("{} workloads of {g}", self.pods.len()),
            None => match self.pods.first() {
                Some(p) => format!("{} ({p})", self.workload),
                None => self.workload.clone(),
            },
        }
    }
}

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Type a new one (dockerconfigjson).
    New,
    /// Copy a secret that covers the registry from another namespace.
    Copy(Candidate),
    /// Attach a secret of the pod's namespace that covers it but is unused.
    Attach(Candidate),
}

impl Source {
    pub fn label(&self) -> String {
        let user = |c: &Candidate| c.username.clone().unwrap_or_else(|| "?".into());
        match self {
            Source::New => "new secret (type the credential)".into(),
            Source::Copy(c) => format!("copy {}/{} (user {})", c.namespace, c.name, user(c)),
            Source::Attach(c) => format!("attach {} (user {}), unused here", c.name, user(c)),
        }
    }
}

/// The copy/attach offers, as far as they are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offers {
    Loading,
    Loaded,
    /// The look-up failed (a sentence).
    Failed(String),
}

/// A row of a form: a text field or a choice cycled with ←/→.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Field(usize),
    Preset,
    Source,
    Attach,
}

pub const PRESET_CUSTOM: &str = "custom key / value";

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Annotate: 0 and 1 the presets (the cause's first), 2 a free key.
    pub preset: usize,
    pub preset_fixes: [FixId; 2],
    /// Credential: where the secret comes from.
    pub sources: Vec<Source>,
    pub source: usize,
    pub offers: Offers,
    pub attach: AttachChoice,
    /// The inline error (bad input, or the server's refusal of it).
    pub error: Option<String>,
}

impl Form {
    fn new(fields: Vec<Field>) -> Self {
        Form {
            fields,
            focus: 0,
            preset: 0,
            preset_fixes: [FixId::AnnotateSkipVerify, FixId::AnnotateHttpEndpoint],
            sources: vec![Source::New],
            source: 0,
            offers: Offers::Loaded,
            attach: AttachChoice::Template,
            error: None,
        }
    }

    pub fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    fn field_mut(&mut self, label: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.label == label)
    }

    fn value(&self, label: &str) -> String {
        self.field(label).map(Field::value).unwrap_or_default()
    }

    pub fn current_source(&self) -> &Source {
        self.sources.get(self.source).unwrap_or(&Source::New)
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
}

impl Action {
    /// The rows of the form, in focus order.
    pub fn rows(&self, form: &Form) -> Vec<Row> {
        rows_of(self.kind, self.subject.group.is_some(), form)
    }
}

/// The rows of a form of `kind`, in focus order (`group`: a group fix).
pub fn rows_of(kind: Kind, group: bool, form: &Form) -> Vec<Row> {
    {
        let mut rows = Vec::new();
        match kind {
            Kind::Annotate => {
                rows.push(Row::Preset);
                rows.extend((0..form.fields.len()).map(Row::Field));
            }
            Kind::Credential => {
                if !group {
                    rows.push(Row::Source);
                }
                if *form.current_source() == Source::New {
                    rows.extend((0..form.fields.len()).map(Row::Field));
                }
                rows.push(Row::Attach);
            }
            Kind::Image | Kind::Kick => rows.extend((0..form.fields.len()).map(Row::Field)),
        }
        // Locked fields take no focus.
        rows.retain(|r| !matches!(r, Row::Field(i) if form.fields[*i].locked));
        rows
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
        generation: Generation,
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
                fx.push(prepare(generation, id, request, now));
            }
            _ => {
                let form = new_form(&action.subject, kind);
                if kind == Kind::Credential
                    && action.subject.group.is_none()
                    && let Some(pod) = action.subject.pods.first()
                {
                    fx.push(
                        MutateEffect::Candidates {
                            generation,
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
    pub fn key(&mut self, key: KeyEvent, generation: Generation, now: Timestamp) -> Vec<Effect> {
        let Some(action) = &mut self.current else {
            return Vec::new();
        };
        let id = action.id;
        match &mut action.stage {
            Stage::Form(_) => self.form_key(key, generation, now),
            Stage::Confirm { scroll, .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    if self.replay {
                        self.current = None;
                        self.toast(
                            now,
                            Level::Info,
                            "replay: the change was only previewed, nothing is sent",
                        );
                        return vec![MutateEffect::Cancel { action: id }.into()];
                    }
                    action.stage = Stage::Applying;
                    vec![
                        MutateEffect::Apply {
                            action: id,
                            dry_run: self.dry_run,
                        }
                        .into(),
                    ]
                }
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => {
                    self.current = None;
                    self.toast(now, Level::Info, "cancelled: nothing was changed");
                    vec![MutateEffect::Cancel { action: id }.into()]
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
                    vec![MutateEffect::Cancel { action: id }.into()]
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

    /// Pasted text (one clean line) into the focused field of an open form;
    /// false when no editable field has the focus (a preview, a choice).
    pub fn paste(&mut self, line: &str) -> bool {
        let Some(action) = &mut self.current else {
            return false;
        };
        let Stage::Form(form) = &mut action.stage else {
            return false;
        };
        let rows = rows_of(action.kind, action.subject.group.is_some(), form);
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

    fn form_key(&mut self, key: KeyEvent, generation: Generation, now: Timestamp) -> Vec<Effect> {
        let Some(action) = &mut self.current else {
            return Vec::new();
        };
        let Stage::Form(form) = &mut action.stage else {
            return Vec::new();
        };
        let rows = rows_of(action.kind, action.subject.group.is_some(), form);
        let n = rows.len().max(1);
        form.focus = form.focus.min(n - 1);
        let row = rows.get(form.focus).copied();
        let shift_tab = key.code == KeyCode::BackTab;
        match key.code {
            KeyCode::Esc => {
                self.current = None;
                return Vec::new();
            }
            KeyCode::Enter => return self.submit(generation, now),
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
                form.preset = cycle(form.preset, 3, right);
                let key_value = match form.preset {
                    2 => String::new(),
                    i => preset_key(form.preset_fixes[i]).to_string(),
                };
                let custom = form.preset == 2;
                if let Some(f) = form.field_mut("key") {
                    f.set(&key_value);
                    f.locked = !custom;
                }
                if custom {
                    if let Some(f) = form.field_mut("value") {
                        f.set("");
                    }
                } else if let Some(f) = form.field_mut("value")
                    && f.value().is_empty()
                {
                    let v = action.subject.registry.clone().unwrap_or_default();
                    f.set(&v);
                }
                form.error = None;
            }
            Some(Row::Source) if left || right => {
                form.source = cycle(form.source, form.sources.len(), right);
                form.attach = match form.current_source() {
                    Source::Attach(_) => AttachChoice::Template,
                    _ => form.attach,
                };
                form.error = None;
            }
            Some(Row::Attach) if left || right => {
                let choices = attach_choices(form.current_source());
                let i = choices.iter().position(|c| *c == form.attach).unwrap_or(0);
                form.attach = choices[cycle(i, choices.len(), right)];
                form.error = None;
            }
            Some(Row::Field(i)) => {
                let ctrl_or_alt = key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
                // One-line inputs: no newlines; plain editing keys only.
                let editing = matches!(
                    key.code,
                    KeyCode::Char(_)
                        | KeyCode::Backspace
                        | KeyCode::Delete
                        | KeyCode::Left
                        | KeyCode::Right
                        | KeyCode::Home
                        | KeyCode::End
                ) && !(ctrl_or_alt && matches!(key.code, KeyCode::Char('m' | 'j')));
                if editing && let Some(f) = form.fields.get_mut(i) {
                    if f.secret {
                        f.secret_key(key);
                    } else {
                        f.input.input(key);
                    }
                    form.error = None;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Checks the form; when it is valid, asks for the preview.
    fn submit(&mut self, generation: Generation, now: Timestamp) -> Vec<Effect> {
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
                let stage = std::mem::replace(&mut action.stage, Stage::Preparing);
                if let Stage::Form(f) = stage {
                    action.form = Some(f);
                }
                vec![prepare(generation, id, request, now)]
            }
        }
    }

    /// An answer from the backend. Returns follow-up effects (none today).
    pub fn apply_msg(&mut self, id: ActionId, msg: ActionMsg, now: Timestamp) -> Vec<Effect> {
        let current = self.current.as_mut().filter(|a| a.id == id);
        match msg {
            ActionMsg::Candidates { copy, attach } => {
                let Some(a) = current else {
                    return Vec::new();
                };
                let Stage::Form(form) = &mut a.stage else {
                    return Vec::new();
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
            }
            ActionMsg::Prepared { preview, live } => {
                if let Some(a) = current
                    && a.stage == Stage::Preparing
                {
                    a.stage = Stage::Confirm {
                        preview,
                        live,
                        scroll: 0,
                    };
                }
            }
            ActionMsg::Refused { message, input } => {
                let back = current.and_then(|a| {
                    if input && let Some(mut f) = a.form.take() {
                        f.error = Some(message.clone());
                        a.stage = Stage::Form(f);
                        Some(())
                    } else {
                        None
                    }
                });
                if back.is_none() {
                    if self.current.as_ref().is_some_and(|a| a.id == id) {
                        self.current = None;
                    }
                    self.toast(now, Level::Error, format!("not changed: {message}"));
                }
            }
            ActionMsg::Applied {
                dry_run,
                writes,
                notes,
                audit: _,
            } => {
                if self.current.as_ref().is_some_and(|a| a.id == id) {
                    self.current = None;
                }
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
            ActionMsg::Failed { message } => {
                if self.current.as_ref().is_some_and(|a| a.id == id) {
                    self.current = None;
                }
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
}

/// The request goes out stamped with the app's clock (`restartedAt`).
fn prepare(
    generation: Generation,
    action: ActionId,
    mut request: FixRequest,
    now: Timestamp,
) -> Effect {
    request.params.now = Some(now);
    MutateEffect::Prepare {
        generation,
        action,
        request: Box::new(request),
    }
    .into()
}

fn cycle(i: usize, n: usize, forward: bool) -> usize {
    let n = n.max(1);
    if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

fn preset_key(fix: FixId) -> &'static str {
    match fix {
        FixId::AnnotateHttpEndpoint => crate::domain::mutation::ANN_HTTP_ENDPOINT,
        _ => crate::domain::mutation::ANN_SKIP_VERIFY,
    }
}

/// The attach targets a source allows.
pub fn attach_choices(source: &Source) -> &'static [AttachChoice] {
    match source {
        Source::Attach(_) => &[AttachChoice::Template, AttachChoice::ServiceAccount],
        _ => &[
            AttachChoice::Template,
            AttachChoice::ServiceAccount,
            AttachChoice::None,
        ],
    }
}

pub fn attach_label(a: AttachChoice) -> &'static str {
    match a {
        AttachChoice::Template => "pod template imagePullSecrets",
        AttachChoice::ServiceAccount => "ServiceAccount (new pods only; then k)",
        AttachChoice::None => "do not attach",
    }
}

/// The form a key opens, prefilled from the failure.
fn new_form(s: &Subject, kind: Kind) -> Form {
    let host = s.registry.clone().unwrap_or_default();
    match kind {
        Kind::Annotate => {
            let order = presets(s.category);
            let mut key = Field::new("key", order[0].key);
            key.locked = true;
            let mut f = Form::new(vec![key, Field::new("value", &host)]);
            f.preset_fixes = [order[0].fix, order[1].fix];
            f.focus = 0;
            f
        }
        Kind::Credential => {
            let name = match &s.missing_secret {
                Some(m) => m.clone(),
                None => secret_name_for(&host),
            };
            let server = if host.is_empty() {
                String::new()
            } else {
                docker_server(&host)
            };
            let mut f = Form::new(vec![
                Field::new("secret name", &name),
                Field::new("server", &server),
                Field::new("username", ""),
                Field::secret("password"),
                Field::new("email", ""),
            ]);
            // Creating the missing secret fixes the pods in place.
            if s.missing_secret.is_some() || s.pull_secrets.contains(&name) {
                f.attach = AttachChoice::None;
            }
            // Focus the first empty field (the username).
            f.focus = if s.group.is_none() { 3 } else { 2 };
            f
        }
        Kind::Image => Form::new(vec![Field::new("image", &s.image)]),
        Kind::Kick => Form::new(Vec::new()),
    }
}

/// The request a valid form makes; an inline error otherwise. Checks what
/// can be checked here the way the API server would (names, keys,
/// references); the backend checks the rest before anything is written.
pub fn request_of(kind: Kind, s: &Subject, form: &Form) -> Result<FixRequest, String> {
    let mut params = FixParams::default();
    let fix = match kind {
        Kind::Annotate => {
            let key = form.value("key").trim().to_string();
            let value = form.value("value").trim().to_string();
            if key.is_empty() {
                return Err("the annotation key is empty".into());
            }
            if form.preset < 2 && value.is_empty() {
                return Err("the value is empty: give host[:port] (comma-separated) or all".into());
            }
            validate_annotation(&key, &value).map_err(|e| e.to_string())?;
            params.value = Some(value);
            if form.preset < 2 {
                form.preset_fixes[form.preset]
            } else {
                params.key = Some(key);
                FixId::Annotate
            }
        }
        Kind::Credential => match form.current_source().clone() {
            Source::New => {
                let name = form.value("secret name").trim().to_string();
                validate_dns1123_subdomain(&name)
                    .map_err(|r| format!("secret name {name:?}: {r}"))?;
                let server = form.value("server").trim().to_string();
                if server.is_empty() {
                    return Err("the registry server is empty".into());
                }
                if server.chars().any(char::is_whitespace) {
                    return Err(format!("the registry server {server:?} has spaces"));
                }
                let username = form.value("username");
                if username.trim().is_empty() {
                    return Err("the username is empty".into());
                }
                let password = form.field("password").map(Field::value).unwrap_or_default();
                if password.is_empty() {
                    return Err("the password is empty".into());
                }
                params.secret_name = Some(name);
                params.server = Some(server);
                params.username = Some(username.trim().to_string());
                params.password = Some(Redacted::new(password));
                let email = form.value("email").trim().to_string();
                params.email = (!email.is_empty()).then_some(email);
                params.attach = Some(form.attach);
                FixId::CreatePullSecret
            }
            Source::Copy(c) => {
                params.from = Some(ObjectRef::new(c.namespace, c.name));
                params.attach = Some(form.attach);
                FixId::CopyPullSecret
            }
            Source::Attach(c) => {
                params.secret = Some(c.name);
                params.attach = Some(form.attach);
                FixId::AttachPullSecret
            }
        },
        Kind::Image => {
            let image = form.value("image").trim().to_string();
            ImageRef::parse(&image).map_err(|e| format!("invalid image {image:?}: {e}"))?;
            if image == s.image {
                return Err("that is the image it has: change the tag, digest or registry".into());
            }
            params.image = Some(image);
            FixId::SetImage
        }
        Kind::Kick => FixId::Restart,
    };
    Ok(FixRequest {
        pods: s.pods.clone(),
        container: Some(s.container.clone()),
        fix,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::failing::Workload;

    fn row(category: Category, image: &str) -> FailureRow {
        FailureRow {
            namespace: "shop".into(),
            pod: "web-1".into(),
            workload: Some(Workload::new("Deployment", "web")),
            container: "web".into(),
            init: false,
            facet: Default::default(),
            volume: None,
            injected: None,
            image: image.into(),
            registry: ImageRef::parse(image).ok().map(|r| r.registry),
            reason: "ImagePullBackOff".into(),
            category,
            cause: String::new(),
            message: String::new(),
            cause_source: crate::domain::failing::CauseSource::Status,
            since: None,
            count: 0,
        }
    }

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn typed(a: &mut Actions, s: &str) {
        for c in s.chars() {
            a.key(k(KeyCode::Char(c)), Generation(1), Timestamp::UNIX_EPOCH);
        }
    }

    fn form(a: &Actions) -> &Form {
        match &a.current.as_ref().expect("open").stage {
            Stage::Form(f) => f,
            s => panic!("not a form: {s:?}"),
        }
    }

    #[test]
    fn annotate_offers_the_preset_of_the_cause_first_with_host_and_port() {
        let mut a = Actions::default();
        let s = Subject::from_row(
            &row(Category::ProtocolHttpRegistry, "reg.local:5000/app:1"),
            None,
            vec![],
        );
        a.open(Kind::Annotate, s, Generation(1), Timestamp::UNIX_EPOCH);
        let f = form(&a);
        assert_eq!(f.preset_fixes[0], FixId::AnnotateHttpEndpoint);
        assert_eq!(
            f.value("key"),
            "eks.tke.cloud.tencent.com/registry-http-endpoint"
        );
        assert_eq!(f.value("value"), "reg.local:5000");
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        let [Effect::Mutate(MutateEffect::Prepare { request, .. })] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert_eq!(request.fix, FixId::AnnotateHttpEndpoint);
        assert_eq!(request.params.value.as_deref(), Some("reg.local:5000"));
    }

    #[test]
    fn a_bad_custom_key_is_refused_inline_and_nothing_is_sent() {
        let mut a = Actions::default();
        let s = Subject::from_row(&row(Category::TlsUntrusted, "r.io/app:1"), None, vec![]);
        a.open(Kind::Annotate, s, Generation(1), Timestamp::UNIX_EPOCH);
        // preset row: → → custom
        a.key(k(KeyCode::Right), Generation(1), Timestamp::UNIX_EPOCH);
        a.key(k(KeyCode::Right), Generation(1), Timestamp::UNIX_EPOCH);
        assert_eq!(form(&a).preset, 2);
        a.key(k(KeyCode::Tab), Generation(1), Timestamp::UNIX_EPOCH);
        typed(&mut a, "bad key!");
        a.key(k(KeyCode::Tab), Generation(1), Timestamp::UNIX_EPOCH);
        typed(&mut a, "v");
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        assert!(fx.is_empty(), "{fx:?}");
        let err = form(&a).error.clone().expect("inline error");
        assert!(err.contains("bad key!"), "{err}");
    }

    #[test]
    fn the_password_is_masked_in_debug_and_sent_redacted() {
        let mut a = Actions::default();
        let s = Subject::from_row(
            &row(Category::AuthNoCredentials, "r.io/app:1"),
            None,
            vec![],
        );
        let fx = a.open(Kind::Credential, s, Generation(1), Timestamp::UNIX_EPOCH);
        assert!(matches!(
            fx.as_slice(),
            [Effect::Mutate(MutateEffect::Candidates { .. })]
        ));
        // Focus starts on the username.
        typed(&mut a, "bob");
        a.key(k(KeyCode::Tab), Generation(1), Timestamp::UNIX_EPOCH);
        typed(&mut a, "s3cr3t-pw");
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("s3cr3t-pw"), "{dbg}");
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        let [Effect::Mutate(MutateEffect::Prepare { request, .. })] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert_eq!(request.fix, FixId::CreatePullSecret);
        assert_eq!(request.params.username.as_deref(), Some("bob"));
        assert_eq!(
            request.params.password.as_ref().map(Redacted::expose),
            Some("s3cr3t-pw")
        );
        assert_eq!(request.params.secret_name.as_deref(), Some("regcred-r-io"));
        assert!(!format!("{fx:?} {a:?}").contains("s3cr3t-pw"));
    }

    #[test]
    fn a_missing_secret_is_created_under_its_name_and_not_attached_again() {
        let mut a = Actions::default();
        let s = Subject::from_row(
            &row(Category::CredentialsSecretMissing, "r.io/app:1"),
            Some("does-not-exist".into()),
            vec!["does-not-exist".into()],
        );
        a.open(Kind::Credential, s, Generation(1), Timestamp::UNIX_EPOCH);
        let f = form(&a);
        assert_eq!(f.value("secret name"), "does-not-exist");
        assert_eq!(f.attach, AttachChoice::None);
    }

    #[test]
    fn an_unchanged_or_invalid_image_is_refused_inline() {
        let mut a = Actions::default();
        let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
        a.open(Kind::Image, s, Generation(1), Timestamp::UNIX_EPOCH);
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        assert!(fx.is_empty());
        assert!(
            form(&a)
                .error
                .as_deref()
                .unwrap_or("")
                .contains("the image it has")
        );
        typed(&mut a, "::");
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        assert!(fx.is_empty());
        assert!(
            form(&a)
                .error
                .as_deref()
                .unwrap_or("")
                .contains("invalid image")
        );
    }

    #[test]
    fn confirm_applies_with_y_and_dry_run_flag_and_esc_cancels() {
        let mut a = Actions {
            dry_run: true,
            ..Default::default()
        };
        let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
        let fx = a.open(Kind::Kick, s.clone(), Generation(1), Timestamp::UNIX_EPOCH);
        assert!(matches!(
            fx.as_slice(),
            [Effect::Mutate(MutateEffect::Prepare { .. })]
        ));
        let id = a.seq;
        let preview = Preview {
            title: "t".into(),
            objects: vec![],
            diff: vec![],
            kubectl: vec![],
            notes: vec![],
        };
        a.apply_msg(
            id,
            ActionMsg::Prepared {
                preview: Box::new(preview.clone()),
                live: true,
            },
            Timestamp::UNIX_EPOCH,
        );
        let fx = a.key(k(KeyCode::Char('y')), Generation(1), Timestamp::UNIX_EPOCH);
        assert_eq!(
            fx,
            vec![Effect::Mutate(MutateEffect::Apply {
                action: id,
                dry_run: true
            })]
        );
        a.open(Kind::Kick, s, Generation(1), Timestamp::UNIX_EPOCH);
        let id2 = a.seq;
        a.apply_msg(
            id2,
            ActionMsg::Prepared {
                preview: Box::new(preview),
                live: true,
            },
            Timestamp::UNIX_EPOCH,
        );
        let fx = a.key(k(KeyCode::Esc), Generation(1), Timestamp::UNIX_EPOCH);
        assert_eq!(
            fx,
            vec![Effect::Mutate(MutateEffect::Cancel { action: id2 })]
        );
        assert!(a.current.is_none());
    }

    #[test]
    fn an_input_refusal_brings_the_form_back_with_the_servers_words() {
        let mut a = Actions::default();
        let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
        a.open(Kind::Image, s, Generation(1), Timestamp::UNIX_EPOCH);
        typed(&mut a, "2");
        let fx = a.key(k(KeyCode::Enter), Generation(1), Timestamp::UNIX_EPOCH);
        assert_eq!(fx.len(), 1);
        a.apply_msg(
            a.seq,
            ActionMsg::Refused {
                message: "Job/x's pod template cannot change".into(),
                input: true,
            },
            Timestamp::UNIX_EPOCH,
        );
        let f = form(&a);
        assert_eq!(f.value("image"), "r.io/app:12");
        assert!(f.error.as_deref().unwrap_or("").contains("cannot change"));
    }

    #[test]
    fn toasts_fade_and_are_bounded() {
        let mut a = Actions::default();
        let t0 = Timestamp::UNIX_EPOCH;
        for i in 0..6 {
            a.toast(t0, Level::Info, format!("t{i}"));
        }
        assert_eq!(a.toasts.len(), MAX_TOASTS);
        assert_eq!(a.toasts[0].text, "t2");
        a.toast(t0, Level::Error, "e");
        let later = t0 + jiff::SignedDuration::from_secs(TOAST_SECS + 1);
        assert!(a.expire(later));
        assert_eq!(a.toasts.len(), 1, "errors stay longer");
        let later = t0 + jiff::SignedDuration::from_secs(3 * TOAST_SECS + 1);
        assert!(a.expire(later));
        assert!(a.toasts.is_empty());
    }
}
