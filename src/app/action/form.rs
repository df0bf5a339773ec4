//! The fix form: its rows, choices and fields, a new form for a subject,
//! its presets, and the request it turns into.

use super::*;

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
    /// A group fix in a fleet: this cluster only, or every cluster of the
    /// group (the user widens it).
    Scope,
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
    /// A group fix in a fleet, widened to every cluster of the group.
    pub widen: bool,
    /// A key reached the form: the focus is the user's from then on.
    pub touched: bool,
}

impl Form {
    /// The next (or, `!right`, previous) annotation preset: its key, locked
    /// unless custom; the value cleared for a custom one, else the
    /// registry when empty.
    pub(super) fn next_preset(&mut self, right: bool, registry: Option<&str>) {
        self.preset = cycle(self.preset, 3, right);
        let key_value = match self.preset {
            2 => String::new(),
            i => preset_key(self.preset_fixes[i]).to_string(),
        };
        let custom = self.preset == 2;
        if let Some(f) = self.field_mut("key") {
            f.set(&key_value);
            f.locked = !custom;
        }
        if custom {
            if let Some(f) = self.field_mut("value") {
                f.set("");
            }
        } else if let Some(f) = self.field_mut("value")
            && f.value().is_empty()
        {
            f.set(registry.unwrap_or_default());
        }
        self.error = None;
    }

    /// A key into field `i`: one-line inputs, plain editing keys only.
    pub(super) fn edit(&mut self, i: usize, key: KeyEvent) {
        let ctrl_or_alt = key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
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
        if editing && let Some(f) = self.fields.get_mut(i) {
            if f.secret {
                f.secret_key(key);
            } else {
                f.input.input(key);
            }
            self.error = None;
        }
    }

    pub(super) fn new(fields: Vec<Field>) -> Self {
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
            widen: false,
            touched: false,
        }
    }

    pub fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    pub(super) fn field_mut(&mut self, label: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.label == label)
    }

    pub(super) fn value(&self, label: &str) -> String {
        self.field(label).map(Field::value).unwrap_or_default()
    }

    pub fn current_source(&self) -> &Source {
        self.sources.get(self.source).unwrap_or(&Source::New)
    }
}

/// The request goes out stamped with the app's clock (`restartedAt`).
pub(super) fn prepare(
    session: SessionKey,
    action: ActionId,
    mut request: FixRequest,
    now: Timestamp,
) -> Effect {
    request.params.now = Some(now);
    MutateEffect::Prepare {
        session,
        action,
        request: Box::new(request),
    }
    .into()
}

pub(super) fn cycle(i: usize, n: usize, forward: bool) -> usize {
    let n = n.max(1);
    if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

pub(super) fn preset_key(fix: FixId) -> &'static str {
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
pub(super) fn new_form(s: &Subject, kind: Kind) -> Form {
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
        Kind::Kick | Kind::ProbePod(_) => Form::new(Vec::new()),
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
        Kind::ProbePod(_) => return Err("the probe pod is not a fix".into()),
    };
    Ok(FixRequest {
        pods: s.pods.clone(),
        container: Some(s.container.clone()),
        fix,
        params,
    })
}

/// The rows of a form of `kind` for `subject`, in focus order.
pub fn rows_of(kind: Kind, subject: &Subject, form: &Form) -> Vec<Row> {
    let group = subject.group.is_some();
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
            Kind::Image | Kind::Kick | Kind::ProbePod(_) => {
                rows.extend((0..form.fields.len()).map(Row::Field))
            }
        }
        // Locked fields take no focus.
        rows.retain(|r| !matches!(r, Row::Field(i) if form.fields[*i].locked));
        if group && !subject.others.is_empty() {
            rows.push(Row::Scope);
        }
        rows
    }
}
