//! The detail screen's document: the evidence, secrets and events of a
//! `Detail` laid out as tagged lines at a width (built without a terminal so
//! scrolling is clamped in `update` and the content is tested as text).

use super::*;
use crate::app::text::{DocLine, Flow, LABEL_W, Seg, Tag, seg, truncate, wrap};
use crate::domain::clock::age;
use crate::domain::facet::fixes_for_facet;
use crate::domain::image::ImageError;
use crate::domain::ipscope::IpScope;
use crate::domain::node_credentials::coverage_with_providers;
use crate::domain::secrets::{Coverage, SecretCheck};
use unicode_width::UnicodeWidthStr;

pub(super) struct Doc<'a> {
    d: &'a Detail,
    now: Timestamp,
    width: usize,
    out: Vec<DocLine>,
}

impl<'a> Doc<'a> {
    pub(super) fn build(d: &'a Detail, now: Timestamp, width: usize) -> Vec<DocLine> {
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
        let lines = wrap(first, segs, Flow::words(LABEL_W), self.width);
        self.out.extend(lines);
    }

    /// A paragraph under a section (label column empty).
    fn more(&mut self, segs: Vec<Seg>) {
        self.more_hanging(segs, 0);
    }

    /// Continuation lines hang `hang` columns further in (bullets).
    fn more_hanging(&mut self, segs: Vec<Seg>, hang: usize) {
        let first = vec![seg(" ".repeat(LABEL_W), Tag::Plain)];
        let lines = wrap(first, segs, Flow::words(LABEL_W + hang), self.width);
        self.out.extend(lines);
    }

    fn title(&mut self) {
        let d = self.d;
        let row = d.focused().or(d.rows.first().map(|r| &**r));
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
        let lines = wrap(vec![seg(" ", Tag::Plain)], segs, Flow::words(2), self.width);
        self.out.extend(lines);
        match d.presence {
            Presence::Failing => {}
            Presence::Recovered => self.out.extend(wrap(
                vec![seg(" ", Tag::Plain)],
                vec![seg(
                    "✓ This pod no longer fails to pull its images. What it showed last is kept below.",
                    Tag::Good,
                )],
                Flow::words(3),
                self.width,
            )),
            Presence::Deleted => self.out.extend(wrap(
                vec![seg(" ", Tag::Plain)],
                vec![seg(
                    "This pod was deleted. What it showed last is kept below.",
                    Tag::Unsure,
                )],
                Flow::words(3),
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
                let name = r.container_label();
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
            self.out
                .extend(wrap(first, segs, Flow::words(LABEL_W + 2), self.width));
        }
        self.blank();
    }

    fn evidence(&mut self, ev: &Evidence) {
        let image = ImageRef::parse(&ev.image);
        self.image(ev, &image);
        self.error(ev);
        // CAUSE and FIXES (nothing to explain when nothing is known).
        let known = !matches!(ev.from, CauseFrom::Expired | CauseFrom::Waiting);
        if known {
            self.cause(ev, image.as_ref().ok());
        }
        // SECRETS: evidence too, before what to do.
        self.secrets(ev, image.as_ref().ok());
        self.attachable(ev);
        if known {
            self.fixes(ev);
        }
    }

    /// IMAGE: the reference, which container pulls it, and its parts.
    fn image(&mut self, ev: &Evidence, image: &Result<ImageRef, ImageError>) {
        let d = self.d;
        let c = &d.container;
        let container = match ev.facet {
            Facet::Container => format!("  (container {c})"),
            Facet::InitContainer => format!("  (init container {c})"),
            Facet::Sidecar => format!("  (sidecar {c}: a restartable init container)"),
            Facet::EphemeralContainer => format!("  (ephemeral container {c})"),
            Facet::ImageVolume => {
                let v = ev.volume.as_deref().unwrap_or("?");
                if c.is_empty() {
                    format!("  (image volume {v})")
                } else {
                    format!("  (image volume {v}, mounted by {c})")
                }
            }
            Facet::Sandbox => "  (the pod's sandbox image)".to_string(),
        };
        self.section(
            "IMAGE",
            vec![seg(ev.image.clone(), Tag::Title), seg(container, Tag::Dim)],
        );
        if let Some(note) = ev.facet.note() {
            self.more(vec![seg(note, Tag::Unsure)]);
        }
        if let Some(i) = &ev.injected {
            self.more(vec![seg(
                format!(
                    "injected by {} ({}): its image and its pull secret come from the \
                     injector, not from the workload's template — change {}; a pull secret \
                     goes on the namespace's ServiceAccount",
                    i.by, i.marker, i.config
                ),
                Tag::Unsure,
            )]);
        }
        match image {
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
    }

    /// ERROR: where the message comes from, then the message with the
    /// cause highlighted and the address the node dialled.
    fn error(&mut self, ev: &Evidence) {
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
                self.dialled(ev);
            }
        }
    }

    /// The address the node dialled, and what its scope suggests.
    fn dialled(&mut self, ev: &Evidence) {
        let (Some(ip), Some(scope)) = (ev.class.ip, ev.class.ip_scope) else {
            return;
        };
        let note = match scope {
            IpScope::Public => {
                " — the node dialled a public address: if this registry should be \
                     reached over a private link, the node resolves its public name"
            }
            IpScope::Private => " — a private address: check routes and security groups to it",
            IpScope::Cgnat => " — a carrier-grade NAT address (100.64/10)",
            IpScope::Loopback => " — the node's own loopback",
            IpScope::LinkLocal => " — a link-local address",
            IpScope::Special => {
                " — a special-purpose address (unspecified, multicast, reserved, \
                     benchmarking or documentation range), not an internet host"
            }
        };
        self.more(vec![
            seg("dialled ", Tag::Dim),
            seg(ip.to_string(), Tag::Plain),
            seg(format!(" [{} IP]", scope.id()), Tag::Title),
            seg(note, Tag::Dim),
        ]);
    }

    /// CAUSE: the category and how sure it is; re-verification and
    /// upstream notes.
    fn cause(&mut self, ev: &Evidence, image: Option<&ImageRef>) {
        let c = ev.class.category;
        let what = vec![
            seg(c.id(), Tag::Category(c)),
            seg("  ", Tag::Plain),
            seg(c.explanation(), Tag::Plain),
        ];
        // An expired credential in force says so first.
        match super::extra::expired_first(self.d, ev, image, self.now) {
            Some(first) => {
                self.section("CAUSE", first);
                self.more(what);
            }
            None => self.section("CAUSE", what),
        }
        if ev.class.ambiguous {
            self.more(vec![seg(
                "The registry's answer cannot tell a missing image from missing access; \
                 a probe settles it.",
                Tag::Unsure,
            )]);
        } else if let Some(doubt) = ev.class.doubt() {
            // Say when unsure: which other cause it could be, and how to know.
            let text = match &self.d.probe_key {
                Some(k) => format!("{doubt} (press {k})"),
                None => doubt,
            };
            self.more(vec![seg(text, Tag::Unsure)]);
        }
        // Re-verification of a cached image; an upstream event by name.
        for p in super::extra::reverify_lines(self.d, ev) {
            self.more(p);
        }
        if let Some((first, rest)) = super::extra::upstream_lines(self.d, ev, image) {
            self.section("UPSTREAM", first);
            rest.into_iter().for_each(|p| self.more(p));
        }
    }

    /// A secret of the namespace that covers the registry but is attached
    /// to nothing the pod uses.
    fn attachable(&mut self, ev: &Evidence) {
        if let Fetch::Found(list) = &self.d.attachable
            && !list.is_empty()
            && !matches!(ev.facet, Facet::Sandbox | Facet::EphemeralContainer)
        {
            let names: Vec<String> = list
                .iter()
                .map(|c| match &c.username {
                    Some(u) => format!("{} (user {u})", c.name),
                    None => c.name.clone(),
                })
                .collect();
            let key = self
                .d
                .fix_keys
                .iter()
                .find(|(f, _)| *f == crate::domain::mutation::FixId::AttachPullSecret)
                .map(|(_, k)| format!(" — press {k} to attach it"))
                .unwrap_or_default();
            self.more_hanging(
                vec![
                    seg("✓ ", Tag::Good),
                    seg(
                        format!(
                            "{} in this namespace covers the registry but is used neither by the pod nor by its ServiceAccount{key}",
                            names.join(", ")
                        ),
                        Tag::Plain,
                    ),
                ],
                2,
            );
        }
    }

    /// FIXES: what to do, with the key of those the console carries out.
    fn fixes(&mut self, ev: &Evidence) {
        let mut first = true;
        let fixes = fixes_for_facet(&ev.class.fixes, ev.facet, ev.injected.is_some());
        for fix in &fixes {
            let key = self.d.key_for(*fix);
            let bullet = match key {
                Some(k) => vec![
                    seg("• ", Tag::Dim),
                    seg(format!("[{k}] "), Tag::Title),
                    seg(fix.title(), Tag::Plain),
                ],
                None => vec![seg("• ", Tag::Dim), seg(fix.title(), Tag::Plain)],
            };
            if first {
                let lead = vec![seg(" FIXES    ", Tag::Label)];
                self.out.extend(wrap(
                    lead.into_iter().collect(),
                    bullet,
                    Flow::words(LABEL_W + 2),
                    self.width,
                ));
                first = false;
            } else {
                self.more_hanging(bullet, 2);
            }
        }
    }

    fn secrets(&mut self, ev: &Evidence, image: Option<&ImageRef>) {
        let d = self.d;
        if ev.facet == Facet::Sandbox {
            self.section(
                "SECRETS",
                vec![seg(
                    "not relevant: the node's runtime pulls the sandbox image with its own \
                     configuration and credentials, never the pod's pull secrets",
                    Tag::Dim,
                )],
            );
            return;
        }
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
        let verdict = self.secrets_verdict(ev, image, &in_force, pending);
        self.section("SECRETS", verdict);
        if let Some(line) = super::extra::certificate_line(d, &host, self.now) {
            self.more(line);
        }
        self.service_account_notes(&lines, &in_force, &host);
        for p in super::extra::sa_provider_lines(d, image) {
            self.more(p);
        }
        for l in &lines {
            self.secret_line(l, &host);
        }
    }

    /// What the ServiceAccount adds: a covering secret the pod was created
    /// before, or why it cannot be read.
    fn service_account_notes(
        &mut self,
        lines: &[SecretLine],
        in_force: &[SecretCheck],
        host: &str,
    ) {
        let d = self.d;
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
    }

    /// The SECRETS verdict: whether a secret the pod uses (`in_force`)
    /// covers the image's registry, and what that means for the cause.
    fn secrets_verdict(
        &self,
        ev: &Evidence,
        image: &ImageRef,
        in_force: &[SecretCheck],
        pending: bool,
    ) -> Vec<Seg> {
        let host = image.registry.clone();
        let category = (!matches!(ev.from, CauseFrom::Expired | CauseFrom::Waiting))
            .then_some(ev.class.category);
        let pull_wants_auth = |c: Option<Category>| {
            matches!(c, Some(Category::AuthNoCredentials | Category::AuthDenied))
        };
        // A missing secret is the cause only of a pull that wanted credentials.
        let auth = pull_wants_auth(category)
            || (category == Some(Category::CredentialsSecretMissing)
                && pull_wants_auth(self.d.evidence().map(|p| p.pull_category)));
        if pending {
            vec![seg("reading the pull secrets…", Tag::Dim)]
        } else {
            match coverage_with_providers(in_force, image) {
                Coverage::Covered => covered(in_force, &host, category),
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
                Coverage::NodeProvider => super::extra::provider_verdict(&host, image, auth),
            }
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
                        segs.extend(super::extra::expiry_segs(e.expiry.as_ref(), self.now));
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
            .push(vec![seg(truncate(&header, self.width), Tag::Label)]);
        for e in &d.events {
            let warn = e.is_warning();
            let row = vec![
                seg(" ", Tag::Plain),
                seg(
                    format!("{:<7}", truncate(&e.type_, 7)),
                    if warn { Tag::Warning } else { Tag::Plain },
                ),
                seg(" ", Tag::Plain),
                seg(
                    format!("{:<reason_w$}", truncate(&e.reason, reason_w)),
                    if warn { Tag::Warning } else { Tag::Plain },
                ),
                seg(
                    format!(
                        " {:>5} {:<5} {:<5} {:<source_w$}",
                        format!("×{}", e.count),
                        age(self.now, e.first_seen),
                        age(self.now, e.last_seen),
                        truncate(&e.source, source_w)
                    ),
                    Tag::Dim,
                ),
            ];
            let message = vec![seg(e.message.clone(), Tag::Plain)];
            if inline {
                let mut first = row;
                first.push(seg(" ", Tag::Plain));
                self.out
                    .extend(wrap(first, message, Flow::words(fixed), self.width));
            } else {
                self.out.push(row);
                self.out.extend(wrap(
                    vec![seg("     ", Tag::Plain)],
                    message,
                    Flow::words(5),
                    self.width,
                ));
            }
        }
    }
}

/// The SECRETS verdict when a secret in force covers `host`: which one,
/// as which user, and what that says about the cause.
fn covered(in_force: &[SecretCheck], host: &str, category: Option<Category>) -> Vec<Seg> {
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
