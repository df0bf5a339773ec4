//! The pod detail screen: which pod and container it is about, the pod's
//! events (live, from a watch field-selected on the pod), the pull secrets
//! in force and what reading them told, the scroll position; and the
//! document the screen shows — lines of tagged text wrapped to the width —
//! built here, without a terminal, so that scrolling can be clamped in
//! `update` and the content tested as text.
//!
//! Secrets arrive already reduced to `SecretInfo` (hosts and usernames):
//! nothing here ever holds a password or an `auth` string.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::msg::{DetailId, DetailMsg, Effect, Fetch, FetchEffect, Generation, WatchEffect};
use crate::domain::classify::{Category, Classification};
use crate::domain::clock::age;
pub use crate::domain::evidence::CauseFrom;
use crate::domain::evidence::{EventView, EventsListed, Remembered, decide};
pub use crate::domain::facts::EventRow;
use crate::domain::facts::WatchEvent;
use crate::domain::failing::{CauseSource, FailureRow, PodKey, failing_containers};
use crate::domain::image::ImageRef;
use crate::domain::ipscope::IpScope;
use crate::domain::secrets::{
    Coverage, SecretCheck, SecretInfo, SecretSource, SecretState, check_info, coverage,
};

/// At most this many events are kept for one pod (newest win).
const MAX_EVENTS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsState {
    Loading,
    Live,
    Failed(String),
}

/// Whether the pod is still failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Failing,
    /// The pod is healthy now.
    Recovered,
    /// The pod is gone.
    Deleted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// Replies for another id are stale (the detail was closed or reopened).
    pub id: DetailId,
    pub key: PodKey,
    /// The pod as last seen failing.
    pub pod: Arc<Pod>,
    /// Its failing containers (init first), as the home screen has them.
    pub rows: Vec<FailureRow>,
    /// The focused container.
    pub container: String,
    pub presence: Presence,
    /// Newest first.
    pub events: Vec<EventRow>,
    relist: Option<Vec<EventRow>>,
    pub events_state: EventsState,
    pub service_account: String,
    pub sa: Fetch<Vec<String>>,
    pub secrets: BTreeMap<String, Fetch<SecretInfo>>,
    /// First document line shown.
    pub scroll: usize,
    /// Shown from a snapshot: nothing is live.
    pub recorded: bool,
}

/// The pull error of the focused container and what decided its category.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub reason: String,
    pub image: String,
    pub init: bool,
    /// The message the cause was found in (empty when expired).
    pub message: String,
    pub from: CauseFrom,
    pub class: Classification,
    /// The pull's own category (before a missing secret took the blame).
    pub pull_category: Category,
}

/// A pull secret as the screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretLine {
    pub name: String,
    /// `Pod` for the pod's own (in force); `ServiceAccount` for the
    /// ServiceAccount's that the pod does not name (they apply to pods
    /// created after they were added, not to this one).
    pub source: SecretSource,
    /// The pod names it and so does its ServiceAccount.
    pub also_in_sa: bool,
    /// `None` while it is being read.
    pub state: Option<SecretState>,
}

impl Detail {
    pub fn new(
        id: DetailId,
        key: PodKey,
        pod: Arc<Pod>,
        rows: Vec<FailureRow>,
        container: String,
    ) -> Self {
        let service_account = pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone().or(s.service_account.clone()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string());
        Detail {
            id,
            key,
            pod,
            rows,
            container,
            presence: Presence::Failing,
            events: Vec::new(),
            relist: None,
            events_state: EventsState::Loading,
            service_account,
            sa: Fetch::Pending,
            secrets: BTreeMap::new(),
            scroll: 0,
            recorded: false,
        }
    }

    pub fn uid(&self) -> Option<String> {
        self.pod.metadata.uid.clone()
    }

    /// The pod's own `imagePullSecrets`, in spec order.
    pub fn pod_secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.image_pull_secrets.as_deref())
            .unwrap_or_default()
        {
            if !r.name.is_empty() && !names.contains(&r.name) {
                names.push(r.name.clone());
            }
        }
        names
    }

    /// Starts over under a new id (reconnect): everything is read again.
    pub fn restart(&mut self, id: DetailId) {
        self.id = id;
        self.relist = None;
        self.events_state = EventsState::Loading;
        self.sa = Fetch::Pending;
        self.secrets.clear();
    }

    /// The reads the screen needs: the events watch, the ServiceAccount,
    /// the pod's secrets (the ServiceAccount's follow when it is read).
    pub fn requests(&mut self, generation: Generation) -> Vec<Effect> {
        let ns = self.key.namespace.clone();
        let mut fx: Vec<Effect> = vec![
            WatchEffect::PodEvents {
                generation,
                detail: self.id,
                pod: self.key.clone(),
                uid: self.uid(),
            }
            .into(),
            FetchEffect::ServiceAccount {
                generation,
                detail: self.id,
                namespace: ns.clone(),
                name: self.service_account.clone(),
            }
            .into(),
        ];
        for name in self.pod_secret_names() {
            self.secrets.insert(name.clone(), Fetch::Pending);
            fx.push(
                FetchEffect::Secret {
                    generation,
                    detail: self.id,
                    namespace: ns.clone(),
                    name,
                }
                .into(),
            );
        }
        fx
    }

    /// Applies a reply for this detail.
    pub fn apply(&mut self, generation: Generation, msg: DetailMsg) -> Vec<Effect> {
        match msg {
            DetailMsg::Events(ev) => {
                self.apply_event(ev);
                Vec::new()
            }
            DetailMsg::EventsFailed(e) => {
                self.events_state = EventsState::Failed(e.to_string());
                Vec::new()
            }
            DetailMsg::ServiceAccount(res) => {
                let mut fx = Vec::new();
                if let Fetch::Found(names) = &res {
                    for name in names {
                        if !name.is_empty() && !self.secrets.contains_key(name) {
                            self.secrets.insert(name.clone(), Fetch::Pending);
                            fx.push(
                                FetchEffect::Secret {
                                    generation,
                                    detail: self.id,
                                    namespace: self.key.namespace.clone(),
                                    name: name.clone(),
                                }
                                .into(),
                            );
                        }
                    }
                }
                self.sa = res;
                fx
            }
            DetailMsg::Secret { name, result } => {
                self.secrets.insert(name, result);
                Vec::new()
            }
        }
    }

    fn apply_event(&mut self, ev: WatchEvent<EventRow>) {
        match ev {
            WatchEvent::Init => self.relist = Some(Vec::new()),
            WatchEvent::InitApply(e) => self.relist.get_or_insert_with(Vec::new).push(e),
            WatchEvent::InitDone => {
                self.events = self.relist.take().unwrap_or_default();
                self.events_state = EventsState::Live;
                self.sort_events();
            }
            WatchEvent::Apply(e) => {
                match self.events.iter_mut().find(|x| x.name == e.name) {
                    Some(slot) => *slot = e,
                    None => self.events.push(e),
                }
                if !matches!(self.events_state, EventsState::Loading) {
                    self.events_state = EventsState::Live;
                }
                self.sort_events();
            }
            WatchEvent::Delete(e) => self.events.retain(|x| x.name != e.name),
        }
    }

    fn sort_events(&mut self) {
        self.events.sort_by(|a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then_with(|| b.first_seen.cmp(&a.first_seen))
                .then_with(|| a.name.cmp(&b.name))
        });
        self.events.truncate(MAX_EVENTS);
    }

    /// The focused container's row, if it is still failing.
    pub fn focused(&self) -> Option<&FailureRow> {
        self.rows.iter().find(|r| r.container == self.container)
    }

    /// Moves the focus to the next (or previous) failing container.
    pub fn cycle(&mut self, forward: bool) {
        if self.rows.is_empty() {
            return;
        }
        let n = self.rows.len();
        let i = self
            .rows
            .iter()
            .position(|r| r.container == self.container)
            .unwrap_or(0);
        let j = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.container = self.rows[j].container.clone();
        self.scroll = 0;
    }

    /// The pull error of the focused container, and where it comes from
    /// (`domain::evidence::decide`, the one decision the home rows use too).
    pub fn evidence(&self) -> Option<Evidence> {
        let fc = failing_containers(&self.pod)
            .into_iter()
            .find(|c| c.name == self.container)?;
        let views: Vec<EventView<'_>> = self
            .events
            .iter()
            .map(|e| EventView {
                reason: &e.reason,
                message: &e.message,
                container: e.container.as_deref(),
                warning: e.is_warning(),
                last_seen: e.last_seen,
                count: e.count,
            })
            .collect();
        let remembered = self
            .focused()
            .filter(|r| r.cause_source == CauseSource::Event)
            .map(|r| Remembered {
                message: &r.message,
                count: r.count,
            });
        let listed = if self.events_state == EventsState::Loading {
            EventsListed::NotYet
        } else {
            EventsListed::Yes
        };
        let d = decide(&fc, &views, remembered, listed);
        Some(Evidence {
            reason: fc.reason.to_string(),
            image: fc.image.to_string(),
            init: fc.init,
            message: d.message,
            from: d.from,
            class: d.class,
            pull_category: d.pull_category,
        })
    }

    /// The pull secrets to show: the pod's, then the ServiceAccount's that
    /// the pod does not name; each checked against `image`.
    pub fn secret_lines(&self, image: &ImageRef) -> Vec<SecretLine> {
        let sa_names: Vec<String> = match &self.sa {
            Fetch::Found(n) => n.clone(),
            _ => Vec::new(),
        };
        let pod_names = self.pod_secret_names();
        let state = |name: &str| -> Option<SecretState> {
            Some(match self.secrets.get(name)? {
                Fetch::Pending => return None,
                Fetch::Found(info) => check_info(info, image),
                Fetch::Missing => SecretState::Missing,
                Fetch::Forbidden => SecretState::Forbidden,
                Fetch::Failed(reason) => SecretState::Unreadable {
                    reason: reason.to_string(),
                },
            })
        };
        let mut out: Vec<SecretLine> = pod_names
            .iter()
            .map(|n| SecretLine {
                name: n.clone(),
                source: SecretSource::Pod,
                also_in_sa: sa_names.contains(n),
                state: state(n),
            })
            .collect();
        for n in sa_names.iter().filter(|n| !pod_names.contains(n)) {
            out.push(SecretLine {
                name: n.clone(),
                source: SecretSource::ServiceAccount(self.service_account.clone()),
                also_in_sa: true,
                state: state(n),
            });
        }
        out
    }

    /// Lines of the body at `width` columns, at `now`.
    pub fn document(&self, now: Timestamp, width: usize) -> Vec<DocLine> {
        Doc::build(self, now, width.max(20))
    }
}

/// How a piece of text is shown; `ui::detail` maps tags to styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Plain,
    Dim,
    Title,
    /// Section labels (`IMAGE`, `ERROR`, ...) and table headers.
    Label,
    Good,
    Bad,
    Unsure,
    /// A category id.
    Category(Category),
    /// The innermost cause, highlighted inside the message.
    Cause(Category),
    /// A waiting reason.
    Reason,
    /// `Warning` events.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    pub text: String,
    pub tag: Tag,
}

pub fn seg(text: impl Into<String>, tag: Tag) -> Seg {
    Seg {
        text: text.into(),
        tag,
    }
}

pub type DocLine = Vec<Seg>;

/// The plain text of a line (tests, e2e helpers).
pub fn line_text(line: &DocLine) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

/// Terminal-safe text: control characters (escape sequences, newlines from
/// the cluster) become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Lays `segs` out in lines of `width` columns: the first line starts with
/// `first`, the next ones with `indent` spaces. Words move to the next line
/// whole when they fit there; longer ones are cut.
pub fn wrap(first: Vec<Seg>, segs: Vec<Seg>, indent: usize, width: usize) -> Vec<DocLine> {
    let indent = if indent + 8 > width { 0 } else { indent };
    let mut lines: Vec<DocLine> = Vec::new();
    let mut used: usize = first.iter().map(|s| s.text.width()).sum();
    let mut line: DocLine = first;
    let mut start = used;
    let push = |line: &mut DocLine, text: &str, tag: Tag| {
        if text.is_empty() {
            return;
        }
        match line.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(text),
            _ => line.push(seg(text, tag)),
        }
    };
    for s in segs {
        let text = clean(&s.text);
        for word in text.split_inclusive(' ') {
            let mut word: &str = word;
            loop {
                let w = word.width();
                let w_bare = word.trim_end_matches(' ').width();
                if used + w_bare <= width {
                    push(&mut line, word, s.tag);
                    used += w;
                    break;
                }
                if used > start && w_bare <= width.saturating_sub(indent) {
                    lines.push(finish(std::mem::take(&mut line)));
                    if indent > 0 {
                        line.push(seg(" ".repeat(indent), Tag::Plain));
                    }
                    used = indent;
                    start = indent;
                    continue;
                }
                // Longer than a line: cut it.
                let room = width.saturating_sub(used).max(1);
                let mut cut = 0;
                let mut cw = 0;
                for (i, ch) in word.char_indices() {
                    let chw = ch.width().unwrap_or(0);
                    if cw + chw > room {
                        break;
                    }
                    cw += chw;
                    cut = i + ch.len_utf8();
                }
                if cut == 0 {
                    cut = word.chars().next().map_or(word.len(), char::len_utf8);
                }
                push(&mut line, &word[..cut], s.tag);
                word = &word[cut..];
                lines.push(finish(std::mem::take(&mut line)));
                if indent > 0 {
                    line.push(seg(" ".repeat(indent), Tag::Plain));
                }
                used = indent;
                start = indent;
                if word.is_empty() {
                    break;
                }
            }
        }
    }
    if line.iter().any(|s| !s.text.trim().is_empty()) || lines.is_empty() {
        lines.push(finish(line));
    }
    lines
}

/// A finished line loses its trailing spaces (and segments left empty).
fn finish(mut line: DocLine) -> DocLine {
    loop {
        let n = line.len();
        let Some(last) = line.last_mut() else { break };
        let trimmed = last.text.trim_end_matches(' ').len();
        if trimmed == 0 && n > 1 {
            line.pop();
            continue;
        }
        last.text.truncate(trimmed);
        break;
    }
    line
}

/// Width of the section label column (` SECRETS  `).
pub const LABEL_W: usize = 10;

struct Doc<'a> {
    d: &'a Detail,
    now: Timestamp,
    width: usize,
    out: Vec<DocLine>,
}

impl<'a> Doc<'a> {
    fn build(d: &'a Detail, now: Timestamp, width: usize) -> Vec<DocLine> {
        let mut doc = Doc {
            d,
            now,
            width,
            out: Vec::new(),
        };
        doc.title();
        let ev = d.evidence();
        match &ev {
            Some(ev) => doc.evidence(ev),
            None => {
                let text = format!(
                    "Container {} is no longer failing to pull its image.",
                    d.container
                );
                doc.section("STATUS", vec![seg(text, Tag::Good)]);
            }
        }
        doc.blank();
        doc.events();
        doc.out
    }

    fn blank(&mut self) {
        self.out.push(Vec::new());
    }

    /// A labelled paragraph.
    fn section(&mut self, label: &str, segs: Vec<Seg>) {
        let first = vec![seg(format!(" {label:<8} "), Tag::Label)];
        let lines = wrap(first, segs, LABEL_W, self.width);
        self.out.extend(lines);
    }

    /// A paragraph under a section (label column empty).
    fn more(&mut self, segs: Vec<Seg>) {
        self.more_hanging(segs, 0);
    }

    /// Continuation lines hang `hang` columns further in (bullets).
    fn more_hanging(&mut self, segs: Vec<Seg>, hang: usize) {
        let first = vec![seg(" ".repeat(LABEL_W), Tag::Plain)];
        let lines = wrap(first, segs, LABEL_W + hang, self.width);
        self.out.extend(lines);
    }

    fn title(&mut self) {
        let d = self.d;
        let row = d.focused().or(d.rows.first());
        let node = d
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| "(not scheduled)".into());
        let mut segs = vec![
            seg(d.key.name.clone(), Tag::Title),
            seg(format!("  in {}", d.key.namespace), Tag::Plain),
        ];
        if let Some(r) = row {
            let w = match &r.workload {
                Some(w) => w.to_string(),
                None => "bare pod".to_string(),
            };
            segs.push(seg(format!("  {w}"), Tag::Plain));
        }
        segs.push(seg(format!("  node {node}"), Tag::Dim));
        segs.push(seg(format!("  sa {}", d.service_account), Tag::Dim));
        let lines = wrap(vec![seg(" ", Tag::Plain)], segs, 2, self.width);
        self.out.extend(lines);
        match d.presence {
            Presence::Failing => {}
            Presence::Recovered => self.out.extend(wrap(
                vec![seg(" ", Tag::Plain)],
                vec![seg(
                    "✓ This pod no longer fails to pull its images. What it showed last is kept below.",
                    Tag::Good,
                )],
                3,
                self.width,
            )),
            Presence::Deleted => self.out.extend(wrap(
                vec![seg(" ", Tag::Plain)],
                vec![seg(
                    "This pod was deleted. What it showed last is kept below.",
                    Tag::Unsure,
                )],
                3,
                self.width,
            )),
        }
        // Containers: every failing one, the focused one marked.
        if d.rows.len() > 1 || d.focused().is_none() {
            let mut segs = Vec::new();
            for (i, r) in d.rows.iter().enumerate() {
                if i > 0 {
                    segs.push(seg("   ", Tag::Plain));
                }
                let focused = r.container == d.container;
                let name = if r.init {
                    format!("{} (init)", r.container)
                } else {
                    r.container.clone()
                };
                segs.push(seg(
                    if focused { "▸ " } else { "  " },
                    if focused { Tag::Title } else { Tag::Plain },
                ));
                segs.push(seg(name, if focused { Tag::Title } else { Tag::Plain }));
                segs.push(seg(format!(" {} ", r.reason), Tag::Reason));
                segs.push(seg(r.category.id(), Tag::Category(r.category)));
            }
            if d.focused().is_none() {
                segs.push(seg(
                    format!("   ▸ {} (not failing)", d.container),
                    Tag::Good,
                ));
            }
            let first = vec![seg(" failing  ", Tag::Label)];
            self.out.extend(wrap(first, segs, LABEL_W + 2, self.width));
        }
        self.blank();
    }

    fn evidence(&mut self, ev: &Evidence) {
        let d = self.d;
        // IMAGE
        let image = ImageRef::parse(&ev.image);
        let container = if ev.init {
            format!("  (init container {})", d.container)
        } else {
            format!("  (container {})", d.container)
        };
        self.section(
            "IMAGE",
            vec![seg(ev.image.clone(), Tag::Title), seg(container, Tag::Dim)],
        );
        match &image {
            Ok(r) => {
                let mut segs = vec![
                    seg("registry ", Tag::Dim),
                    seg(r.registry.clone(), Tag::Plain),
                    seg("  repository ", Tag::Dim),
                    seg(r.repository.clone(), Tag::Plain),
                ];
                if let Some(t) = &r.tag {
                    segs.push(seg("  tag ", Tag::Dim));
                    segs.push(seg(t.clone(), Tag::Plain));
                } else if r.digest.is_none() {
                    segs.push(seg("  tag ", Tag::Dim));
                    segs.push(seg("latest (default)", Tag::Plain));
                }
                if let Some(dg) = &r.digest {
                    segs.push(seg("  digest ", Tag::Dim));
                    segs.push(seg(dg.clone(), Tag::Plain));
                }
                self.more(segs);
            }
            Err(e) => self.more(vec![seg(format!("not a valid reference: {e}"), Tag::Bad)]),
        }

        // ERROR: where the message comes from, then the message with the cause highlighted.
        let provenance = match &ev.from {
            CauseFrom::Status => "  the container's waiting message".to_string(),
            CauseFrom::Event {
                reason,
                last_seen,
                count,
            } => {
                let last = last_seen
                    .map(|t| format!(", last {} ago", age(self.now, Some(t))))
                    .unwrap_or_default();
                format!("  from the latest {reason} event (×{count}{last})")
            }
            CauseFrom::Remembered { count } => format!(
                "  from a Failed event seen earlier (×{count}); the pod's events no longer list it"
            ),
            CauseFrom::Expired => "  the cause is no longer in the events".to_string(),
            CauseFrom::Waiting => "  reading the pod's events…".to_string(),
        };
        self.section(
            "ERROR",
            vec![
                seg(ev.reason.clone(), Tag::Reason),
                seg(provenance, Tag::Dim),
            ],
        );
        match ev.from {
            CauseFrom::Expired => {
                self.more(vec![seg(
                    "The events that carried the cause have expired: kubelet now only repeats \
                     \"Back-off pulling image\", which does not say why. No guess is made here.",
                    Tag::Unsure,
                )]);
                self.more(vec![seg(
                    format!(
                        "Probe the registry from here to find out: pulltui probe {} (coming in a later release).",
                        ev.image
                    ),
                    Tag::Plain,
                )]);
            }
            CauseFrom::Waiting => {}
            _ => {
                let msg = &ev.message;
                let segs = match ev.class.cause_span.clone() {
                    Some(r) if msg.get(r.clone()).is_some() => vec![
                        seg(&msg[..r.start], Tag::Plain),
                        seg(&msg[r.clone()], Tag::Cause(ev.class.category)),
                        seg(&msg[r.end..], Tag::Plain),
                    ],
                    _ => vec![seg(msg.clone(), Tag::Plain)],
                };
                self.more(segs);
                if let (Some(ip), Some(scope)) = (ev.class.ip, ev.class.ip_scope) {
                    let note = match scope {
                        IpScope::Public => {
                            " — the node dialled a public address: if this registry should be \
                             reached over a private link, the node resolves its public name"
                        }
                        IpScope::Private => {
                            " — a private address: check routes and security groups to it"
                        }
                        IpScope::Cgnat => " — a carrier-grade NAT address (100.64/10)",
                        IpScope::Loopback => " — the node's own loopback",
                        IpScope::LinkLocal => " — a link-local address",
                    };
                    self.more(vec![
                        seg("dialled ", Tag::Dim),
                        seg(ip.to_string(), Tag::Plain),
                        seg(format!(" [{} IP]", scope.id()), Tag::Title),
                        seg(note, Tag::Dim),
                    ]);
                }
            }
        }

        // CAUSE and FIXES (nothing to explain when nothing is known).
        let known = !matches!(ev.from, CauseFrom::Expired | CauseFrom::Waiting);
        if known {
            let c = ev.class.category;
            self.section(
                "CAUSE",
                vec![
                    seg(c.id(), Tag::Category(c)),
                    seg("  ", Tag::Plain),
                    seg(c.explanation(), Tag::Plain),
                ],
            );
            if ev.class.ambiguous {
                self.more(vec![seg(
                    "The registry's answer cannot tell a missing image from missing access; \
                     a probe settles it.",
                    Tag::Unsure,
                )]);
            }
        }
        // SECRETS: evidence too, before what to do.
        self.secrets(ev, image.as_ref().ok());
        if known {
            let mut first = true;
            for fix in &ev.class.fixes {
                let bullet = vec![seg("• ", Tag::Dim), seg(fix.title(), Tag::Plain)];
                if first {
                    let lead = vec![seg(" FIXES    ", Tag::Label)];
                    self.out.extend(wrap(
                        lead.into_iter().collect(),
                        bullet,
                        LABEL_W + 2,
                        self.width,
                    ));
                    first = false;
                } else {
                    self.more_hanging(bullet, 2);
                }
            }
        }
    }

    fn secrets(&mut self, ev: &Evidence, image: Option<&ImageRef>) {
        let d = self.d;
        let Some(image) = image else {
            self.section(
                "SECRETS",
                vec![seg(
                    "not checked: the image reference is invalid, so there is no registry to match",
                    Tag::Dim,
                )],
            );
            return;
        };
        let host = image.registry.clone();
        let lines = d.secret_lines(image);
        let in_force: Vec<SecretCheck> = lines
            .iter()
            .filter(|l| l.source == SecretSource::Pod)
            .filter_map(|l| {
                Some(SecretCheck {
                    name: l.name.clone(),
                    source: l.source.clone(),
                    state: l.state.clone()?,
                })
            })
            .collect();
        let pending = lines
            .iter()
            .any(|l| l.source == SecretSource::Pod && l.state.is_none());
        let category = (!matches!(ev.from, CauseFrom::Expired | CauseFrom::Waiting))
            .then_some(ev.class.category);
        let pull_wants_auth = |c: Option<Category>| {
            matches!(c, Some(Category::AuthNoCredentials | Category::AuthDenied))
        };
        // A missing secret is the cause only of a pull that wanted credentials.
        let auth = pull_wants_auth(category)
            || (category == Some(Category::CredentialsSecretMissing)
                && pull_wants_auth(self.d.evidence().map(|p| p.pull_category)));
        let verdict: Vec<Seg> = if pending {
            vec![seg("reading the pull secrets…", Tag::Dim)]
        } else {
            match coverage(&in_force) {
                Coverage::Covered => {
                    let by = in_force
                        .iter()
                        .find(|c| c.covers())
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    let user = in_force
                        .iter()
                        .find(|c| c.covers())
                        .and_then(|c| match &c.state {
                            SecretState::Parsed { entries, .. } => entries
                                .iter()
                                .find(|e| e.covers)
                                .and_then(|e| e.username.clone()),
                            _ => None,
                        })
                        .map(|u| format!(" (user {u})"))
                        .unwrap_or_default();
                    let tail = match category {
                        Some(Category::AuthNoCredentials) => {
                            " — yet the registry answered 401: wrong username or password?"
                        }
                        Some(Category::AuthDenied) => {
                            " — credentials were sent, and they do not grant pull on this repository"
                        }
                        Some(Category::ImageNotFound) => {
                            " — credentials are not the problem: the reference does not exist"
                        }
                        _ => "",
                    };
                    vec![
                        seg(format!("✓ {by} covers {host}{user}"), Tag::Good),
                        seg(tail, Tag::Plain),
                    ]
                }
                Coverage::NotCovered | Coverage::NoSecrets if auth => vec![seg(
                    format!("✕ No pull secret covers {host} — the registry demands credentials"),
                    Tag::Bad,
                )],
                Coverage::NoSecrets => vec![seg(
                    format!("no pull secrets (none are needed unless {host} demands credentials)"),
                    Tag::Dim,
                )],
                Coverage::NotCovered => {
                    vec![seg(format!("no pull secret covers {host}"), Tag::Dim)]
                }
                Coverage::Unknown => vec![seg(
                    format!(
                        "? cannot tell whether a pull secret covers {host}: some cannot be read"
                    ),
                    Tag::Unsure,
                )],
            }
        };
        self.section("SECRETS", verdict);
        // ServiceAccount secrets the pod does not have: added after it was created.
        let late = lines.iter().find(|l| {
            l.source != SecretSource::Pod
                && matches!(l.state, Some(SecretState::Parsed { covers: true, .. }))
        });
        if let Some(l) = late
            && !in_force.iter().any(SecretCheck::covers)
        {
            self.more(vec![seg(
                format!(
                    "{} of serviceaccount/{} covers {host}, but this pod was created before it was \
                     added: only new pods get it — recreate the pod",
                    l.name, d.service_account
                ),
                Tag::Unsure,
            )]);
        }
        match &d.sa {
            Fetch::Forbidden => self.more(vec![seg(
                format!(
                    "serviceaccount/{}: cannot check (forbidden)",
                    d.service_account
                ),
                Tag::Unsure,
            )]),
            Fetch::Missing => self.more(vec![seg(
                format!("serviceaccount/{} does not exist", d.service_account),
                Tag::Bad,
            )]),
            Fetch::Failed(e) => self.more(vec![seg(
                format!("serviceaccount/{}: cannot read ({e})", d.service_account),
                Tag::Unsure,
            )]),
            Fetch::Pending | Fetch::Found(_) => {}
        }
        for l in &lines {
            self.secret_line(l, &host);
        }
    }

    fn secret_line(&mut self, l: &SecretLine, host: &str) {
        let d = self.d;
        let source = match (&l.source, l.also_in_sa) {
            (SecretSource::Pod, true) => format!("pod, serviceaccount/{}", d.service_account),
            (SecretSource::Pod, false) => "pod".to_string(),
            (SecretSource::ServiceAccount(sa), _) => {
                format!("serviceaccount/{sa}, not in this pod")
            }
        };
        let mut segs = vec![
            seg(l.name.clone(), Tag::Title),
            seg(format!(" ({source})  "), Tag::Dim),
        ];
        match &l.state {
            None => segs.push(seg("reading…", Tag::Dim)),
            Some(SecretState::Missing) => segs.push(seg("✕ does not exist", Tag::Bad)),
            Some(SecretState::Forbidden) => {
                segs.push(seg("? cannot check (forbidden)", Tag::Unsure))
            }
            Some(SecretState::Unreadable { reason }) => {
                segs.push(seg(format!("? cannot read: {reason}"), Tag::Unsure))
            }
            Some(SecretState::WrongType { secret_type }) => segs.push(seg(
                format!(
                    "✕ type {secret_type}: kubelet only uses kubernetes.io/dockerconfigjson or \
                     kubernetes.io/dockercfg"
                ),
                Tag::Bad,
            )),
            Some(SecretState::Unparseable { reason }) => {
                segs.push(seg(format!("✕ does not parse: {reason}"), Tag::Bad))
            }
            Some(SecretState::Parsed { entries, covers }) => {
                if *covers {
                    segs.push(seg(format!("✓ covers {host}"), Tag::Good));
                } else {
                    segs.push(seg(format!("✕ does not cover {host}"), Tag::Bad));
                }
                if entries.is_empty() {
                    segs.push(seg("  (no hosts in auths)", Tag::Dim));
                } else {
                    segs.push(seg("  hosts: ", Tag::Dim));
                    for (i, e) in entries.iter().enumerate() {
                        if i > 0 {
                            segs.push(seg(", ", Tag::Dim));
                        }
                        let user = e
                            .username
                            .as_deref()
                            .map(|u| format!(" (user {u})"))
                            .unwrap_or_else(|| " (no username)".into());
                        segs.push(seg(
                            e.key.clone(),
                            if e.covers { Tag::Good } else { Tag::Plain },
                        ));
                        segs.push(seg(user, Tag::Dim));
                    }
                }
            }
        }
        self.more_hanging(segs, 2);
    }

    fn events(&mut self) {
        let d = self.d;
        let state = match &d.events_state {
            EventsState::Loading => seg("reading…", Tag::Dim),
            EventsState::Live => seg(
                format!(
                    "{} · newest first · {}",
                    d.events.len(),
                    if d.recorded { "recorded" } else { "live" }
                ),
                Tag::Dim,
            ),
            EventsState::Failed(e) => seg(format!("cannot watch: {e}"), Tag::Unsure),
        };
        self.section("EVENTS", vec![state]);
        if d.events.is_empty() {
            if d.events_state == EventsState::Live {
                self.more(vec![seg(
                    "none listed (the API server keeps events for an hour by default)",
                    Tag::Dim,
                )]);
            }
            return;
        }
        let reason_w = d
            .events
            .iter()
            .map(|e| e.reason.width())
            .max()
            .unwrap_or(6)
            .clamp(6, if self.width >= 140 { 32 } else { 24 });
        let source_w = d
            .events
            .iter()
            .map(|e| e.source.width())
            .max()
            .unwrap_or(6)
            .clamp(6, 24);
        // TYPE REASON COUNT FIRST LAST SOURCE
        let fixed = 1 + 7 + 1 + reason_w + 1 + 5 + 1 + 5 + 1 + 5 + 1 + source_w + 1;
        let inline = self.width >= fixed + 40;
        let header = format!(
            " {:<7} {:<reason_w$} {:>5} {:<5} {:<5} {:<source_w$}{}",
            "TYPE",
            "REASON",
            "COUNT",
            "FIRST",
            "LAST",
            "SOURCE",
            if inline { " MESSAGE" } else { "" }
        );
        self.out
            .push(vec![seg(cut(&header, self.width), Tag::Label)]);
        for e in &d.events {
            let warn = e.is_warning();
            let row = vec![
                seg(" ", Tag::Plain),
                seg(
                    format!("{:<7}", cut(&e.type_, 7)),
                    if warn { Tag::Warning } else { Tag::Plain },
                ),
                seg(" ", Tag::Plain),
                seg(
                    format!("{:<reason_w$}", cut(&e.reason, reason_w)),
                    if warn { Tag::Warning } else { Tag::Plain },
                ),
                seg(
                    format!(
                        " {:>5} {:<5} {:<5} {:<source_w$}",
                        format!("×{}", e.count),
                        age(self.now, e.first_seen),
                        age(self.now, e.last_seen),
                        cut(&e.source, source_w)
                    ),
                    Tag::Dim,
                ),
            ];
            let message = vec![seg(e.message.clone(), Tag::Plain)];
            if inline {
                let mut first = row;
                first.push(seg(" ", Tag::Plain));
                self.out.extend(wrap(first, message, fixed, self.width));
            } else {
                self.out.push(row);
                self.out
                    .extend(wrap(vec![seg("     ", Tag::Plain)], message, 5, self.width));
            }
        }
    }
}

/// `s` cut to `width` columns with `…`.
fn cut(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[DocLine]) -> Vec<String> {
        lines.iter().map(line_text).collect()
    }

    #[test]
    fn wrap_keeps_words_and_indent() {
        let l = wrap(
            vec![seg(" ERROR    ", Tag::Label)],
            vec![seg("alpha beta gamma delta", Tag::Plain)],
            10,
            22,
        );
        assert_eq!(
            text(&l),
            vec![" ERROR    alpha beta", "          gamma delta"]
        );
    }

    #[test]
    fn wrap_cuts_long_words_and_keeps_tags() {
        let l = wrap(
            vec![],
            vec![
                seg("ab ", Tag::Plain),
                seg("0123456789abcdef", Tag::Cause(Category::Unknown)),
            ],
            0,
            10,
        );
        assert_eq!(text(&l), vec!["ab 0123456", "789abcdef"]);
        assert!(l[1].iter().all(|s| s.tag == Tag::Cause(Category::Unknown)));
    }

    #[test]
    fn wrap_removes_control_characters() {
        let l = wrap(vec![], vec![seg("a\u{1b}[2Jb\nc", Tag::Plain)], 0, 40);
        assert_eq!(text(&l), vec!["a [2Jb c"]);
    }
}
