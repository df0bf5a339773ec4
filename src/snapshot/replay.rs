//! The recorded backend: answers the app's effects from a snapshot, as the
//! live cluster would have at capture time. `Connect` replays the pod list
//! (failing pods whole, healthy ones as keys) and the cause events; owners,
//! ServiceAccounts, pull secrets and a pod's events are answered from the
//! file. Nothing is ever sent to a cluster. `report` gives `check --replay`
//! the same rows through the same inventory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use kube::ResourceExt;
use tokio::sync::mpsc;

use super::format::{LastError, RECORDED_SERVER, ReadKind, ReadOutcome, Snapshot};
use crate::app::msg::{
    ActionMsg, Backend, ClusterMsg, DetailMsg, Effect, Fetch, FetchEffect, FixRequest, Generation,
    Msg, MutateEffect, ProbeEffect, SessionKey, WatchEffect,
};
use crate::domain::api_error::{ApiError, ApiErrorKind};
use crate::domain::cluster_id::ClusterId;
use crate::domain::facts::{
    EventFact, EventRow, OwnerKey, PodFact, WatchEvent, owner_lookup_from_refs,
};
use crate::domain::failing::{
    FailureRow, MAX_MESSAGE, OwnerLookup, PodKey, event_pod, uid_matches,
};
use crate::domain::inert::{MAX_FIELD, inert_cut, inert_message, make_inert_cut};
use crate::domain::inventory::Inventory;
use crate::domain::mutation::{Current, PodContext, Preview, plan};
use crate::domain::node_credentials::{ServiceAccountView, service_account_view};
use crate::domain::owners::{Resolution, WriteTarget, resolve_owner, resolve_pod};
use crate::domain::pod::{pull_secret_names, service_account_of};
use crate::domain::report::Report;
use crate::domain::scope::Scope;
use crate::domain::secrets::SecretInfo;

/// A snapshot, indexed for answering.
pub struct Recorded {
    pub snapshot: Arc<Snapshot>,
    owners: HashMap<OwnerKey, OwnerLookup>,
}

/// The file's own words (context, server, namespaces, the fallback
/// notice) made inert: a snapshot can hold anything, and these reach the
/// status bar and `check`'s header. Pods and events are made inert as facts.
fn inert_header(s: &mut Snapshot) {
    let one = |v: &mut String| make_inert_cut(v, MAX_FIELD);
    for v in [&mut s.context, &mut s.server, &mut s.default_namespace]
        .into_iter()
        .flatten()
    {
        one(v);
    }
    if let Some(f) = &mut s.fallback
        && let Cow::Owned(t) = inert_message(f, MAX_MESSAGE)
    {
        *f = t;
    }
    one(&mut s.pulltui_version);
    s.namespaces.iter_mut().for_each(one);
    if let Scope::Namespace(ns) = &mut s.scope {
        one(ns);
    }
}

impl Recorded {
    pub fn new(mut snapshot: Snapshot) -> Self {
        inert_header(&mut snapshot);
        let owners = snapshot
            .owners
            .iter()
            .filter_map(|o| {
                let kind = o.types.as_ref()?.kind.clone();
                let key = OwnerKey {
                    namespace: o.namespace().unwrap_or_default(),
                    kind,
                    name: o.name_any(),
                };
                let refs = o.metadata.owner_references.as_deref();
                Some((key, owner_lookup_from_refs(refs)))
            })
            .collect();
        Recorded {
            snapshot: Arc::new(snapshot),
            owners,
        }
    }

    fn in_scope(scope: &Scope, namespace: &str) -> bool {
        match scope {
            Scope::All => true,
            Scope::Namespace(ns) => ns == namespace,
        }
    }

    /// What a live session would send after connecting, in order.
    pub fn session(&self, scope: &Scope) -> Vec<ClusterMsg> {
        let s = &self.snapshot;
        let scope = match (scope, &s.scope) {
            // The file holds one namespace: that is all there is.
            (Scope::All, Scope::Namespace(ns)) => Scope::Namespace(ns.clone()),
            (sc, _) => sc.clone(),
        };
        let mut out = vec![ClusterMsg::Connected {
            context: s.context.clone(),
            server: s.server.clone().unwrap_or_else(|| RECORDED_SERVER.into()),
            default_namespace: s
                .default_namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            scope: scope.clone(),
        }];
        let cluster = s.cluster_id();
        out.push(ClusterMsg::Pods(WatchEvent::Init));
        for p in &s.pods {
            if Self::in_scope(&scope, p.metadata.namespace.as_deref().unwrap_or("")) {
                out.push(ClusterMsg::Pods(WatchEvent::InitApply(PodFact::from_pod(
                    &cluster,
                    p.clone(),
                ))));
            }
        }
        for h in &s.healthy_pods {
            let Some((ns, name)) = h.split_once('/') else {
                continue;
            };
            if Self::in_scope(&scope, ns) {
                out.push(ClusterMsg::Pods(WatchEvent::InitApply(PodFact::Healthy(
                    PodKey::new(&cluster, ns, name),
                ))));
            }
        }
        out.push(ClusterMsg::Pods(WatchEvent::InitDone));
        for e in &s.events {
            if let Some(f) = EventFact::from_row_event(&cluster, e, s.captured_at)
                && Self::in_scope(&scope, &f.pod.namespace)
            {
                out.push(ClusterMsg::Events(WatchEvent::Apply(f)));
            }
        }
        for l in &s.last_errors {
            if Self::in_scope(&scope, &l.namespace) {
                out.push(ClusterMsg::Events(WatchEvent::Apply(last_error_fact(
                    &cluster, l,
                ))));
            }
        }
        out.push(ClusterMsg::Events(WatchEvent::InitDone));
        if !s.journal.is_empty() || !s.fixes.is_empty() {
            out.push(ClusterMsg::Journal {
                records: s.journal.clone(),
                fixes: s.fixes.clone(),
            });
        }
        out
    }

    /// The write target of a recorded pod, resolved through the recorded owners.
    fn target_of(&self, pod: &k8s_openapi::api::core::v1::Pod) -> Result<WriteTarget, String> {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let refs = pod.metadata.owner_references.clone().unwrap_or_default();
        match resolve_pod(&ns, &name, &refs).map_err(|e| e.to_string())? {
            Resolution::Target(t) => Ok(t),
            Resolution::Fetch(lookup) => {
                let owner = self.snapshot.owners.iter().find(|o| {
                    o.types.as_ref().is_some_and(|t| t.kind == lookup.kind)
                        && o.name_any() == lookup.name
                        && o.namespace().as_deref() == Some(lookup.namespace.as_str())
                });
                let refs = owner.and_then(|o| o.metadata.owner_references.as_deref());
                resolve_owner(&lookup, refs).map_err(|e| e.to_string())
            }
        }
    }

    /// What `plan` needs, from the recording.
    fn pod_context(&self, key: &PodKey, container: Option<&str>) -> Result<PodContext, String> {
        let pod = self
            .snapshot
            .pods
            .iter()
            .find(|p| {
                p.metadata.namespace.as_deref() == Some(key.namespace.as_str())
                    && p.metadata.name.as_deref() == Some(key.name.as_str())
            })
            .ok_or_else(|| format!("pod {key} is not in the recording"))?;
        // The rows as the recording shows them: a sandbox or an image
        // volume is known only from the recorded events.
        let rows: Vec<FailureRow> = self
            .report()
            .rows
            .into_iter()
            .filter(|r| r.namespace == key.namespace && r.pod == key.name)
            .collect();
        let row = match container {
            Some(c) => rows.iter().find(|r| r.container == c),
            None => rows.first(),
        }
        .ok_or_else(|| format!("pod {key} has no failing container in the recording"))?;
        let pull_secrets = pull_secret_names(pod);
        let missing_secret = pull_secrets
            .iter()
            .find(|n| matches!(self.secret(&key.namespace, n), Fetch::Missing))
            .cloned();
        Ok(PodContext {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            container: row.container.clone(),
            init: row.init,
            image: row.image.clone(),
            pull_secrets,
            service_account: service_account_of(pod),
            target: self.target_of(pod)?,
            category: None,
            missing_secret,
            failing_pods: vec![key.name.clone()],
            paused: false,
            facet: row.facet,
            volume: row.volume.clone(),
            injected: row.injected.as_ref().map(|i| i.by.clone()),
        })
    }

    /// The preview of a fix against the recording; never sent.
    pub fn preview(&self, req: &FixRequest) -> ActionMsg {
        let mut previews = Vec::new();
        let mut targets = Vec::new();
        for (i, key) in req.pods.iter().enumerate() {
            let container = if i == 0 {
                req.container.as_deref()
            } else {
                None
            };
            let planned = self.pod_context(key, container).and_then(|ctx| {
                if targets.contains(&ctx.target) {
                    return Ok(None);
                }
                targets.push(ctx.target.clone());
                plan(&ctx, req.fix, &req.params)
                    .map(Some)
                    .map_err(|e| e.to_string())
            });
            match planned {
                Ok(Some(m)) => previews.push(m.preview(&Current::default())),
                Ok(None) => {}
                Err(e) if req.pods.len() == 1 => {
                    return ActionMsg::Refused {
                        message: e,
                        input: true,
                    };
                }
                Err(e) => tracing::debug!(pod = %key, error = %e, "replay preview skipped"),
            }
        }
        if previews.is_empty() {
            return ActionMsg::Refused {
                message: "nothing in the recording to change".into(),
                input: false,
            };
        }
        let mut p = Preview::combine(previews, &[]);
        p.notes.insert(
            0,
            "REPLAY: previewed against the recording; the objects' current state was not read \
             and nothing will be sent"
                .into(),
        );
        ActionMsg::Prepared {
            preview: Box::new(p),
            live: false,
        }
    }

    pub fn owner(&self, key: &OwnerKey) -> OwnerLookup {
        self.owners
            .get(key)
            .cloned()
            .unwrap_or(OwnerLookup::Unknown)
    }

    fn unread(&self, kind: ReadKind, namespace: &str, name: &str) -> Option<ReadOutcome> {
        self.snapshot
            .unread
            .iter()
            .find(|u| u.kind == kind && u.namespace == namespace && u.name == name)
            .map(|u| u.outcome)
    }

    fn fetch_unread<T>(&self, kind: ReadKind, namespace: &str, name: &str) -> Fetch<T> {
        match self.unread(kind, namespace, name) {
            Some(ReadOutcome::Forbidden) => Fetch::Forbidden,
            Some(ReadOutcome::Failed) => Fetch::Failed(ApiError::new(
                ApiErrorKind::Other,
                "could not be read when the snapshot was taken",
            )),
            Some(ReadOutcome::Missing) => Fetch::Missing,
            // Not captured at all: say so rather than claim it is missing.
            None => Fetch::Failed(ApiError::new(ApiErrorKind::Other, "not in the snapshot")),
        }
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Fetch<ServiceAccountView> {
        let found = self.snapshot.service_accounts.iter().find(|sa| {
            sa.metadata.namespace.as_deref() == Some(namespace)
                && sa.metadata.name.as_deref() == Some(name)
        });
        match found {
            Some(sa) => Fetch::Found(service_account_view(sa)),
            None => self.fetch_unread(ReadKind::ServiceAccount, namespace, name),
        }
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Fetch<SecretInfo> {
        match self
            .snapshot
            .pull_secrets
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
        {
            Some(s) => Fetch::Found(s.info.clone()),
            None => self.fetch_unread(ReadKind::Secret, namespace, name),
        }
    }

    /// The pod's events as the detail screen's watch would list them.
    pub fn pod_events(&self, pod: &PodKey, uid: Option<&str>) -> Vec<EventRow> {
        self.snapshot
            .events
            .iter()
            .filter(|e| {
                let o = &e.involved_object;
                // `pod` is inert (see `PodFact::from_pod`): compare alike.
                let same =
                    |s: Option<&str>, k: &str| s.is_some_and(|s| inert_cut(s, MAX_FIELD) == k);
                o.kind.as_deref() == Some("Pod")
                    && same(o.name.as_deref(), &pod.name)
                    && event_pod(&pod.cluster, e)
                        .is_some_and(|k| same(Some(&k.namespace), &pod.namespace))
                    && uid_matches(o.uid.as_deref(), uid)
            })
            .map(|e| EventRow::from_event(e, self.snapshot.captured_at))
            .collect()
    }

    /// Answers one effect with the messages a live backend would send.
    pub fn answer(&self, effect: &Effect) -> Vec<Msg> {
        match effect {
            Effect::Watch(w) => self.answer_watch(w),
            Effect::Mutate(m) => self.answer_mutate(m),
            Effect::Probe(p) => self.answer_probe(p),
            Effect::Fetch(f) => self.answer_fetch(f),
            Effect::Quit => Vec::new(),
        }
    }

    fn answer_watch(&self, effect: &WatchEffect) -> Vec<Msg> {
        match effect {
            // The session names the recorded cluster once it connects.
            WatchEffect::Connect { session, scope, .. } => {
                let key = SessionKey::new(self.snapshot.cluster_id(), session.generation);
                self.session(scope)
                    .into_iter()
                    .map(|m| Msg::Cluster(key.clone(), m))
                    .collect()
            }
            WatchEffect::PodEvents {
                session,
                detail,
                pod,
                uid,
            } => {
                let mut evs = vec![DetailMsg::Events(WatchEvent::Init)];
                evs.extend(
                    self.pod_events(pod, uid.as_deref())
                        .into_iter()
                        .map(|e| DetailMsg::Events(WatchEvent::InitApply(e))),
                );
                evs.push(DetailMsg::Events(WatchEvent::InitDone));
                evs.into_iter()
                    .map(|m| detail_msg(session, *detail, m))
                    .collect()
            }
            WatchEffect::StopDetail | WatchEffect::Disconnect { .. } => Vec::new(),
        }
    }

    /// A recording never changes anything: the preview is computed
    /// offline, an apply is refused, the offers are the recorded ones.
    fn answer_mutate(&self, effect: &MutateEffect) -> Vec<Msg> {
        match effect {
            MutateEffect::Prepare {
                session,
                action,
                request,
            } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Action {
                    action: *action,
                    msg: Box::new(self.preview(request)),
                },
            )],
            MutateEffect::Candidates {
                session, action, ..
            } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Action {
                    action: *action,
                    msg: Box::new(ActionMsg::Candidates {
                        copy: Err("not in the recording".into()),
                        attach: Err("not in the recording".into()),
                    }),
                },
            )],
            MutateEffect::Apply { .. } | MutateEffect::Cancel { .. } => Vec::new(),
        }
    }

    /// A recording cannot probe: the results recorded with it, or why
    /// there are none, at once.
    fn answer_probe(&self, effect: &ProbeEffect) -> Vec<Msg> {
        match effect {
            ProbeEffect::Laptop {
                session,
                probe,
                pod,
                container,
            } => self
                .laptop_probe(pod, container)
                .into_iter()
                .map(|m| {
                    Msg::Cluster(
                        session.clone(),
                        ClusterMsg::Probe {
                            probe: *probe,
                            msg: Box::new(m),
                        },
                    )
                })
                .collect(),
            ProbeEffect::NodePreview {
                session,
                probe,
                pod,
                image,
                ..
            } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Probe {
                    probe: *probe,
                    msg: Box::new(self.node_probe(pod, image)),
                },
            )],
            _ => Vec::new(),
        }
    }

    fn answer_fetch(&self, effect: &FetchEffect) -> Vec<Msg> {
        match effect {
            FetchEffect::Owner { session, owner } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Owner(owner.clone(), self.owner(owner)),
            )],
            FetchEffect::Namespaces { session } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Namespaces(Ok(self.snapshot.namespaces.clone())),
            )],
            // What changed was read when the snapshot was taken.
            FetchEffect::Changes { session, .. } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Changes(self.snapshot.changes.clone()),
            )],
            FetchEffect::ServiceAccount {
                session,
                detail,
                namespace,
                name,
            } => vec![detail_msg(
                session,
                *detail,
                DetailMsg::ServiceAccount(self.service_account(namespace, name)),
            )],
            FetchEffect::PullSecret {
                session,
                namespace,
                name,
            } => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::PullSecret {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    result: self.secret(namespace, name),
                },
            )],
            FetchEffect::Secret {
                session,
                detail,
                namespace,
                name,
            } => vec![detail_msg(
                session,
                *detail,
                DetailMsg::Secret {
                    name: name.clone(),
                    result: self.secret(namespace, name),
                },
            )],
            // Not recorded: the detail shows no offer.
            FetchEffect::Attachable { .. } | FetchEffect::Node { .. } => Vec::new(),
        }
    }

    /// `check --replay`: the rows the live `check` gave at capture time.
    pub fn report(&self) -> Report {
        let s = &self.snapshot;
        let mut inv = Inventory::default();
        let mut wanted = Vec::new();
        for m in self.session(&s.scope) {
            match m {
                ClusterMsg::Pods(ev) => wanted.extend(inv.apply_pod(ev)),
                ClusterMsg::Events(ev) => inv.apply_event(ev),
                _ => {}
            }
        }
        for o in wanted {
            let l = self.owner(&o);
            inv.apply_owner(o, l);
        }
        // The recorded pull secrets of each failing pod (reduced when captured).
        let pull_secrets = inv
            .failing
            .iter()
            .map(|(key, fp)| {
                let found = pull_secret_names(&fp.pod)
                    .into_iter()
                    .filter_map(|n| match self.secret(&key.namespace, &n) {
                        Fetch::Found(info) => Some((n, info)),
                        _ => None,
                    })
                    .collect();
                ((key.namespace.clone(), key.name.clone()), found)
            })
            .collect();
        Report {
            pull_secrets,
            context: s.context.clone(),
            server: s.server.clone(),
            scope: s.scope.clone(),
            fallback: s.fallback.clone(),
            pods_seen: s.pods_seen,
            rows: inv.sorted_rows(),
            captured_at: Some(s.captured_at),
        }
    }
}

fn detail_msg(session: &SessionKey, detail: crate::app::msg::DetailId, m: DetailMsg) -> Msg {
    Msg::Cluster(
        session.clone(),
        ClusterMsg::Detail {
            detail,
            msg: Box::new(m),
        },
    )
}

/// A recorded last cause, as inert as a live event's (the file can hold anything).
fn last_error_fact(cluster: &ClusterId, l: &LastError) -> EventFact {
    let field = |s: &str| inert_cut(s, MAX_FIELD).into_owned();
    EventFact {
        pod: PodKey::new(cluster, field(&l.namespace), field(&l.pod)),
        pod_uid: l.pod_uid.as_deref().map(field),
        container: l.container.as_deref().map(field),
        message: inert_message(&l.message, MAX_MESSAGE).into_owned(),
        first_seen: l.first_seen,
        last_seen: l.last_seen,
        count: l.count,
        secret_missing: l.secret_missing,
        sandbox: l.sandbox,
    }
}

/// The app backend over a recording (one cluster, or a fleet's: one per
/// slot): replies are sent from a task, in order.
pub struct Replay {
    clusters: Vec<Arc<Recorded>>,
    /// Which cluster each session (generation) reads.
    sessions: std::collections::HashMap<Generation, usize>,
    tx: mpsc::Sender<Msg>,
}

impl Replay {
    pub fn new(recorded: Arc<Recorded>, tx: mpsc::Sender<Msg>) -> Self {
        Replay::fleet(vec![recorded], tx)
    }

    /// A fleet's recording: cluster `i` answers the sessions of slot `i`.
    pub fn fleet(clusters: Vec<Arc<Recorded>>, tx: mpsc::Sender<Msg>) -> Self {
        Replay {
            clusters,
            sessions: Default::default(),
            tx,
        }
    }

    /// The recording that answers `effect`.
    fn recorded_for(&mut self, effect: &Effect) -> Option<&Arc<Recorded>> {
        let slot = match effect {
            Effect::Watch(WatchEffect::Connect { slot, session, .. }) => {
                self.sessions.insert(session.generation, *slot);
                *slot
            }
            other => match other.session() {
                Some(s) => *self.sessions.get(&s.generation)?,
                None => 0,
            },
        };
        self.clusters.get(slot)
    }
}

impl Backend for Replay {
    fn dispatch(&mut self, effect: Effect) {
        let Some(recorded) = self.recorded_for(&effect) else {
            return;
        };
        let msgs = recorded.answer(&effect);
        if msgs.is_empty() {
            return;
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
        });
    }
}
