//! The store of what is known about the cluster: every pod's key (for counts), the
//! failing pods themselves, the latest cause-carrying `Failed` event per
//! container, and resolved owners. Fed by watcher events; memory grows with
//! the number of *failing* pods, not with the cluster (healthy pods are only
//! a slot in a table, `PodSet`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::facts::{EventFact, OwnerKey, PodFact, WatchEvent, owner_key};
use super::failing::{
    CauseEvent, FailureRow, OwnerLookup, PodKey, failure_rows, stable_order, uid_matches,
};
use super::podset::PodSet;

#[derive(Debug, Clone, PartialEq)]
pub struct FailingPod {
    pub pod: Arc<Pod>,
    /// Shared with the screens: a frame copies pointers, not rows.
    pub rows: Vec<Arc<FailureRow>>,
    /// Rows need recomputing (pod, event or owner changed).
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredEvent {
    uid: Option<String>,
    event: CauseEvent,
}

/// At most this many pods keep events (the oldest go first); protects memory
/// in clusters with many pods that failed once and recovered.
const MAX_EVENT_PODS: usize = 20_000;

/// Slot of a pod's `FailedToRetrieveImagePullSecret` event among its
/// per-container slots (container names are DNS labels: no `#`).
const SECRET_SLOT: &str = "#pull-secret";
/// Slot of a pod's `FailedCreatePodSandBox` event that failed to pull.
const SANDBOX_SLOT: &str = "#sandbox";

/// A re-list in progress: every pod, and the failing pods.
type Relist = (PodSet, BTreeMap<PodKey, Arc<Pod>>);

/// One kept cause (see `Inventory::cause_events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptCause<'a> {
    pub pod: &'a PodKey,
    pub pod_uid: Option<&'a str>,
    pub container: Option<&'a str>,
    pub secret_missing: bool,
    /// A `FailedCreatePodSandBox` event (the sandbox image failed to pull).
    pub sandbox: bool,
    pub event: &'a CauseEvent,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Inventory {
    all: PodSet,
    pub failing: BTreeMap<PodKey, FailingPod>,
    relist: Option<Relist>,
    /// pod → container ("" = any) → latest cause-carrying event.
    events: HashMap<PodKey, HashMap<String, StoredEvent>>,
    owners: HashMap<OwnerKey, OwnerLookup>,
    /// Owners asked about and not answered yet.
    pending: HashSet<OwnerKey>,
    /// The pods watcher has completed a list.
    pub synced: bool,
    /// The events watcher has completed its first list (causes from events
    /// are in; before that a pod in back-off may show only its status).
    pub events_synced: bool,
    /// Something changed that may change the rows.
    pub changed: bool,
    /// A failing pod left (or the set was replaced) since the last `refresh`.
    removed: bool,
}

impl Inventory {
    pub fn pod_count(&self) -> usize {
        self.all.len()
    }

    /// Whether the pod exists (failing or healthy).
    pub fn contains(&self, key: &PodKey) -> bool {
        self.all.contains(key)
    }

    /// Whether a pod of that name exists (failing or healthy), in any
    /// namespace listed.
    pub fn has_pod_named(&self, name: &str) -> bool {
        self.all.has_named(name)
    }

    /// Applies a pods watcher event. Returns owners to resolve.
    pub fn apply_pod(&mut self, ev: WatchEvent<PodFact>) -> Vec<OwnerKey> {
        match ev {
            WatchEvent::Init => {
                self.relist = Some(Default::default());
                Vec::new()
            }
            WatchEvent::InitApply(fact) => {
                let (all, failing) = self.relist.get_or_insert_with(Default::default);
                all.insert(fact.key());
                if let PodFact::Failing(key, p) = fact {
                    failing.insert(key, p);
                }
                Vec::new()
            }
            WatchEvent::InitDone => {
                let (all, failing) = self.relist.take().unwrap_or_default();
                self.all = all;
                let mut before = std::mem::take(&mut self.failing);
                self.failing = failing
                    .into_iter()
                    .map(|(k, pod)| {
                        // A pod the list brings back unchanged (same uid and
                        // resourceVersion: listed first, or before a resync)
                        // keeps its rows instead of being classified again.
                        let kept = before.remove(&k).filter(|old| {
                            !old.stale
                                && old.pod.metadata.uid == pod.metadata.uid
                                && old.pod.metadata.resource_version.is_some()
                                && old.pod.metadata.resource_version
                                    == pod.metadata.resource_version
                        });
                        let fp = match kept {
                            Some(old) => old,
                            None => FailingPod {
                                pod,
                                rows: Vec::new(),
                                stale: true,
                            },
                        };
                        (k, fp)
                    })
                    .collect();
                let all = &self.all;
                self.events.retain(|k, _| all.contains(k));
                self.removed = true;
                self.synced = true;
                self.changed = true;
                self.unresolved_owners()
            }
            WatchEvent::Apply(fact) => {
                let key = fact.key().clone();
                self.all.insert(&key);
                match fact {
                    PodFact::Failing(_, pod) => {
                        let wanted = self.owner_wanted(&pod);
                        // The old rows stay until `refresh` replaces them, so
                        // an update that changes no row redraws nothing.
                        match self.failing.get_mut(&key) {
                            Some(fp) => {
                                fp.pod = pod;
                                fp.stale = true;
                            }
                            None => {
                                self.failing.insert(
                                    key,
                                    FailingPod {
                                        pod,
                                        rows: Vec::new(),
                                        stale: true,
                                    },
                                );
                            }
                        }
                        self.changed = true;
                        wanted.into_iter().collect()
                    }
                    PodFact::Healthy(_) => {
                        if self.failing.remove(&key).is_some() {
                            self.changed = true;
                            self.removed = true;
                        }
                        Vec::new()
                    }
                }
            }
            WatchEvent::Delete(fact) => {
                let key = fact.key().clone();
                self.all.remove(&key);
                self.events.remove(&key);
                if self.failing.remove(&key).is_some() {
                    self.changed = true;
                    self.removed = true;
                }
                Vec::new()
            }
        }
    }

    /// Applies an events watcher event (`Failed` and
    /// `FailedToRetrieveImagePullSecret` events about pods).
    pub fn apply_event(&mut self, ev: WatchEvent<EventFact>) {
        let fact = match ev {
            WatchEvent::Apply(f) | WatchEvent::InitApply(f) => f,
            WatchEvent::InitDone => {
                self.events_synced = true;
                return;
            }
            // Expired events keep their last word: it is still the latest cause.
            WatchEvent::Delete(_) | WatchEvent::Init => return,
        };
        if !self.events.contains_key(&fact.pod) && self.events.len() >= MAX_EVENT_PODS {
            // Drop a pod that is not failing to make room.
            let victim = self
                .events
                .keys()
                .find(|k| !self.failing.contains_key(*k))
                .cloned();
            match victim {
                Some(v) => {
                    self.events.remove(&v);
                }
                None => return,
            }
        }
        let per_pod = self.events.entry(fact.pod.clone()).or_default();
        let slot = if fact.secret_missing {
            SECRET_SLOT.to_string()
        } else if fact.sandbox {
            SANDBOX_SLOT.to_string()
        } else {
            fact.container.clone().unwrap_or_default()
        };
        // The kept answer must not depend on the order events arrive in (a
        // watch and a list order them differently): the latest wins, ties
        // broken by count and then message, and "first seen" is the earliest
        // of every event of the slot, kept or not.
        let first_seen = match per_pod.get_mut(&slot) {
            Some(old) if old.uid == fact.pod_uid => {
                let first_seen = match (old.event.first_seen, fact.first_seen) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let newer = (fact.last_seen, fact.count, fact.message.as_str())
                    >= (
                        old.event.last_seen,
                        old.event.count,
                        old.event.message.as_str(),
                    );
                if !newer {
                    if first_seen != old.event.first_seen {
                        old.event.first_seen = first_seen;
                        if let Some(fp) = self.failing.get_mut(&fact.pod) {
                            fp.stale = true;
                            self.changed = true;
                        }
                    }
                    return;
                }
                first_seen
            }
            _ => fact.first_seen,
        };
        per_pod.insert(
            slot,
            StoredEvent {
                uid: fact.pod_uid,
                event: CauseEvent {
                    message: fact.message,
                    first_seen,
                    last_seen: fact.last_seen,
                    count: fact.count,
                },
            },
        );
        if let Some(fp) = self.failing.get_mut(&fact.pod) {
            fp.stale = true;
            self.changed = true;
        }
    }

    /// Records a resolved owner.
    pub fn apply_owner(&mut self, key: OwnerKey, lookup: OwnerLookup) {
        self.pending.remove(&key);
        self.owners.insert(key.clone(), lookup);
        for fp in self.failing.values_mut() {
            if owner_key(&fp.pod).as_ref() == Some(&key) {
                fp.stale = true;
                self.changed = true;
            }
        }
    }

    fn owner_wanted(&mut self, pod: &Pod) -> Option<OwnerKey> {
        let key = owner_key(pod)?;
        if self.owners.contains_key(&key) || self.pending.contains(&key) {
            return None;
        }
        self.pending.insert(key.clone());
        Some(key)
    }

    fn unresolved_owners(&mut self) -> Vec<OwnerKey> {
        let pods: Vec<Arc<Pod>> = self.failing.values().map(|f| f.pod.clone()).collect();
        pods.iter().filter_map(|p| self.owner_wanted(p)).collect()
    }

    /// Recomputes stale rows. Returns whether any row changed, appeared or
    /// went since the last call.
    pub fn refresh(&mut self) -> bool {
        let owners = &self.owners;
        let lookup = |ns: &str, kind: &str, name: &str| -> OwnerLookup {
            owners
                .get(&OwnerKey {
                    namespace: ns.to_string(),
                    kind: kind.to_string(),
                    name: name.to_string(),
                })
                .cloned()
                .unwrap_or(OwnerLookup::Unknown)
        };
        let mut any = std::mem::take(&mut self.removed);
        for (key, fp) in self.failing.iter_mut().filter(|(_, f)| f.stale) {
            let uid = fp.pod.metadata.uid.clone();
            let per_pod = self.events.get(key);
            let event = |container: &str| -> Option<&CauseEvent> {
                let per_pod = per_pod?;
                per_pod
                    .get(container)
                    .or_else(|| per_pod.get(""))
                    .filter(|s| uid_matches(s.uid.as_deref(), uid.as_deref()))
                    .map(|s| &s.event)
            };
            let slot = |name: &str| {
                per_pod
                    .and_then(|p| p.get(name))
                    .filter(|s| uid_matches(s.uid.as_deref(), uid.as_deref()))
                    .map(|s| &s.event)
            };
            let rows = failure_rows(
                &key.cluster,
                &fp.pod,
                &lookup,
                &event,
                slot(SECRET_SLOT),
                slot(SANDBOX_SLOT),
            );
            let same = rows.len() == fp.rows.len()
                && rows
                    .iter()
                    .zip(&fp.rows)
                    .all(|(new, old)| new == old.as_ref());
            if !same {
                fp.rows = rows.into_iter().map(Arc::new).collect();
                any = true;
            }
            fp.stale = false;
        }
        // Forget owners no failing pod refers to any more.
        if self.owners.len() > 2 * self.failing.len() + 256 {
            let wanted: HashSet<OwnerKey> = self
                .failing
                .values()
                .filter_map(|f| owner_key(&f.pod))
                .collect();
            self.owners.retain(|k, _| wanted.contains(k));
        }
        any
    }

    /// The latest cause-carrying event kept for each pod and container
    /// slot (`None`: the pod-level pull-secret warning), for snapshots: the
    /// cause survives when the cluster expires the events.
    pub fn cause_events(&self) -> Vec<KeptCause<'_>> {
        let mut out = Vec::new();
        for (pod, slots) in &self.events {
            if !self.failing.contains_key(pod) {
                continue;
            }
            for (slot, stored) in slots {
                out.push(KeptCause {
                    pod,
                    pod_uid: stored.uid.as_deref(),
                    container: (!slot.starts_with('#') && !slot.is_empty())
                        .then_some(slot.as_str()),
                    secret_missing: slot == SECRET_SLOT,
                    sandbox: slot == SANDBOX_SLOT,
                    event: &stored.event,
                });
            }
        }
        out.sort_by(|a, b| (a.pod, a.container).cmp(&(b.pod, b.container)));
        out
    }

    /// All rows, refreshed, in the console's stable order (`check`).
    pub fn sorted_rows(&mut self) -> Vec<FailureRow> {
        self.refresh();
        let mut rows: Vec<FailureRow> = self.rows().map(|r| FailureRow::clone(r)).collect();
        rows.sort_by(stable_order);
        rows
    }

    /// All rows, in pod-key order.
    pub fn rows(&self) -> impl Iterator<Item = &Arc<FailureRow>> {
        self.failing.values().flat_map(|f| f.rows.iter())
    }

    /// Namespaces seen (pods), for pickers when listing namespaces is not allowed.
    pub fn namespaces(&self) -> Vec<String> {
        self.all.namespaces()
    }

    /// Owners asked about and not answered yet.
    pub fn owners_pending(&self) -> usize {
        self.pending.len()
    }

    /// The owner resolution known for a workload (tests and detail screens).
    pub fn owner(&self, key: &OwnerKey) -> Option<&OwnerLookup> {
        self.owners.get(key)
    }
}
