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

use super::msg::{DetailId, DetailMsg, Effect, Fetch, FetchEffect, SessionKey, WatchEffect};
pub use crate::app::text::{DocLine, LABEL_W, Seg, Tag, seg, wrap};
use crate::domain::classify::{Category, Classification};
pub use crate::domain::evidence::CauseFrom;
use crate::domain::evidence::{EventView, EventsListed, Remembered, decide};
pub use crate::domain::facts::EventRow;
use doc::Doc;

mod doc;
mod extra;
mod hints;
use crate::domain::facet::{Facet, Injected};
use crate::domain::facts::WatchEvent;
use crate::domain::failing::{
    CauseSource, FailingContainer, FailureRow, PodKey, SANDBOX_REASON, failing_containers,
};
use crate::domain::image::ImageRef;
use crate::domain::mutation::{Candidate, FixId};
use crate::domain::node_credentials::ServiceAccountView;
use crate::domain::pod::{pull_secret_names, service_account_of};
use crate::domain::reverify::NodeView;
use crate::domain::secrets::{SecretInfo, SecretSource, SecretState, check_info};
use crate::domain::upstream::Catalogue;

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
    pub rows: Vec<Arc<FailureRow>>,
    /// The focused container.
    pub container: String,
    pub presence: Presence,
    /// Newest first.
    pub events: Vec<EventRow>,
    relist: Option<Vec<EventRow>>,
    pub events_state: EventsState,
    pub service_account: String,
    pub sa: Fetch<ServiceAccountView>,
    /// The pod's node (`Missing` when it is not scheduled).
    pub node: Fetch<NodeView>,
    pub secrets: BTreeMap<String, Fetch<SecretInfo>>,
    /// First document line shown.
    pub scroll: usize,
    /// Shown from a snapshot: nothing is live.
    pub recorded: bool,
    /// Secrets of the pod's namespace that cover the registry but that
    /// neither the pod nor its ServiceAccount uses ("attach what is there").
    pub attachable: Fetch<Vec<Candidate>>,
    /// The keys that carry out each fix (from the keymap), for the FIXES list.
    pub fix_keys: Vec<(FixId, String)>,
    /// The key of the probe, which settles weak evidence.
    pub probe_key: Option<String>,
    /// The key of the probe from the pod's node (`P`).
    pub probe_node_key: Option<String>,
    /// The registry's certificate, as this machine's probe (`p`) saw it:
    /// the registry and its notAfter. Not secret: shown in SECRETS.
    pub registry_cert: Option<(String, Timestamp)>,
    /// The upstream events the detail names (built-in and config).
    pub upstream: Arc<Catalogue>,
}

/// The pull error of the focused container and what decided its category.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub reason: String,
    pub image: String,
    pub init: bool,
    /// What failed to pull.
    pub facet: Facet,
    /// The image volume (`facet == ImageVolume`).
    pub volume: Option<String>,
    /// The container came from a sidecar injector.
    pub injected: Option<Injected>,
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
        rows: Vec<Arc<FailureRow>>,
        container: String,
    ) -> Self {
        let service_account = service_account_of(&pod);
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
            node: Fetch::Pending,
            secrets: BTreeMap::new(),
            scroll: 0,
            recorded: false,
            attachable: Fetch::Pending,
            fix_keys: Vec::new(),
            probe_key: None,
            probe_node_key: None,
            registry_cert: None,
            upstream: Catalogue::builtin(),
        }
    }

    pub fn uid(&self) -> Option<String> {
        self.pod.metadata.uid.clone()
    }

    /// The pod's own `imagePullSecrets`, in spec order.
    pub fn pod_secret_names(&self) -> Vec<String> {
        pull_secret_names(&self.pod)
    }

    /// Starts over under a new id (reconnect): everything is read again.
    pub fn restart(&mut self, id: DetailId) {
        self.id = id;
        self.relist = None;
        self.events_state = EventsState::Loading;
        self.sa = Fetch::Pending;
        self.node = Fetch::Pending;
        self.secrets.clear();
        self.attachable = Fetch::Pending;
    }

    /// The node the pod is bound to, if any.
    pub fn node_name(&self) -> Option<&str> {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .filter(|n| !n.is_empty())
    }

    /// The reads the screen needs: the events watch, the ServiceAccount,
    /// the node, the pod's secrets (the ServiceAccount's follow when it is
    /// read).
    pub fn requests(&mut self, session: &SessionKey) -> Vec<Effect> {
        let ns = self.key.namespace.clone();
        let mut fx: Vec<Effect> = vec![
            WatchEffect::PodEvents {
                session: session.clone(),
                detail: self.id,
                pod: self.key.clone(),
                uid: self.uid(),
            }
            .into(),
            FetchEffect::ServiceAccount {
                session: session.clone(),
                detail: self.id,
                namespace: ns.clone(),
                name: self.service_account.clone(),
            }
            .into(),
            FetchEffect::Attachable {
                session: session.clone(),
                detail: self.id,
                pod: self.key.clone(),
                container: self.container.clone(),
            }
            .into(),
        ];
        match self.node_name().map(str::to_string) {
            Some(name) => fx.push(
                FetchEffect::Node {
                    session: session.clone(),
                    detail: self.id,
                    name,
                }
                .into(),
            ),
            None => self.node = Fetch::Missing,
        }
        for name in self.pod_secret_names() {
            self.secrets.insert(name.clone(), Fetch::Pending);
            fx.push(
                FetchEffect::Secret {
                    session: session.clone(),
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
    pub fn apply(&mut self, session: &SessionKey, msg: DetailMsg) -> Vec<Effect> {
        match msg {
            DetailMsg::Events(ev) => {
                self.apply_event(ev);
                Vec::new()
            }
            DetailMsg::EventsFailed(e) => {
                self.events_state = EventsState::Failed(e.to_string());
                Vec::new()
            }
            DetailMsg::Attachable(f) => {
                self.attachable = f;
                Vec::new()
            }
            DetailMsg::Node(res) => {
                self.node = res;
                Vec::new()
            }
            DetailMsg::ServiceAccount(res) => {
                let mut fx = Vec::new();
                if let Fetch::Found(view) = &res {
                    for name in &view.pull_secrets {
                        if !name.is_empty() && !self.secrets.contains_key(name) {
                            self.secrets.insert(name.clone(), Fetch::Pending);
                            fx.push(
                                FetchEffect::Secret {
                                    session: session.clone(),
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
        self.rows
            .iter()
            .find(|r| r.container == self.container)
            .map(|r| &**r)
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
        let parts = failing_containers(&self.pod);
        let fc = match parts.into_iter().find(|c| c.name == self.container) {
            Some(fc) => fc,
            // The sandbox or an image volume of a pod still being created:
            // only events tell, and the row keeps what they said.
            None => {
                let r = self.focused()?;
                FailingContainer {
                    name: &r.container,
                    init: r.init,
                    facet: r.facet,
                    volume: r.volume.as_deref(),
                    reason: &r.reason,
                    message: "",
                    image: &r.image,
                }
            }
        };
        let sandbox = fc.facet == Facet::Sandbox;
        let views: Vec<EventView<'_>> = self
            .events
            .iter()
            // The sandbox's cause is its own event's, nothing else's.
            .filter(|e| {
                !sandbox
                    || (e.reason == SANDBOX_REASON
                        && crate::domain::facet::sandbox_image(&e.message).is_some())
            })
            .map(|e| EventView {
                reason: &e.reason,
                message: &e.message,
                // The sandbox is the whole pod's.
                container: if sandbox {
                    None
                } else {
                    e.container.as_deref()
                },
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
        let injected = self.focused().and_then(|r| r.injected.clone());
        Some(Evidence {
            reason: fc.reason.to_string(),
            image: fc.image.to_string(),
            init: fc.init,
            facet: fc.facet,
            volume: fc.volume.map(str::to_string),
            injected,
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
            Fetch::Found(v) => v.pull_secrets.clone(),
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

    /// The pod's own pull secrets that were read and do not exist.
    pub fn pod_secrets_missing(&self) -> Vec<&str> {
        pull_secret_names(&self.pod)
            .iter()
            .filter_map(|n| match self.secrets.get_key_value(n) {
                Some((name, Fetch::Missing)) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Lines of the body at `width` columns, at `now`.
    pub fn document(&self, now: Timestamp, width: usize) -> Vec<DocLine> {
        Doc::build(self, now, width.max(20))
    }
}
