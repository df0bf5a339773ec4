//! The app's contract with the outside: `Msg`s in (facts), `Effect`s out
//! (I/O requested, grouped by family), and the `Backend` trait that performs
//! effects. The live cluster (`cluster::Cluster`), the recorded snapshot
//! (`snapshot::Replay`) and the tests' scripted backends implement it; the
//! runtime drives whichever it is given. Replies carry the id of the request
//! that caused them (`Generation`, `DetailId`), so stale ones are dropped.

use std::fmt;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::domain::api_error::ApiError;
use crate::domain::facts::{EventFact, EventRow, OwnerKey, PodFact, WatchEvent};
use crate::domain::failing::{OwnerLookup, PodKey};
use crate::domain::scope::Scope;
use crate::domain::secrets::SecretInfo;

/// One cluster session (context + scope): bumped on every (re)connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Generation(pub u64);

/// One opening of the detail screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DetailId(pub u64);

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "g{}", self.0)
    }
}

impl fmt::Display for DetailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "d{}", self.0)
    }
}

/// A fact arriving at `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    Tick(Timestamp),
    /// From the cluster session of this generation; stale ones are dropped.
    Cluster(Generation, ClusterMsg),
    /// SIGTERM/SIGHUP/SIGINT.
    Shutdown,
}

/// What the backend tells about the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterMsg {
    Connected {
        context: Option<String>,
        server: String,
        default_namespace: String,
        scope: Scope,
    },
    /// Listing pods in all namespaces is forbidden (403).
    ScopeForbidden {
        default_namespace: String,
        message: String,
    },
    /// The kubeconfig cannot be loaded or the cluster cannot be reached.
    ConnectFailed(ApiError),
    Pods(WatchEvent<PodFact>),
    Events(WatchEvent<EventFact>),
    /// A watch failed; it retries with back-off.
    WatchError {
        what: &'static str,
        error: ApiError,
    },
    Owner(OwnerKey, OwnerLookup),
    Namespaces(Result<Vec<String>, ApiError>),
    /// For the detail screen opened as `detail`; stale ones are dropped.
    Detail {
        detail: DetailId,
        msg: Box<DetailMsg>,
    },
}

/// The outcome of one GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch<T> {
    Pending,
    Found(T),
    /// 404.
    Missing,
    /// 403: RBAC does not let this user read it.
    Forbidden,
    Failed(ApiError),
}

/// A fact for the open detail (tagged with its id in `ClusterMsg::Detail`).
#[derive(Debug, Clone, PartialEq)]
pub enum DetailMsg {
    Events(WatchEvent<EventRow>),
    /// The events watch failed (it keeps retrying).
    EventsFailed(ApiError),
    /// The pod's ServiceAccount: its `imagePullSecrets` names.
    ServiceAccount(Fetch<Vec<String>>),
    /// One pull secret, reduced to hosts and usernames.
    Secret {
        name: String,
        result: Fetch<SecretInfo>,
    },
}

/// I/O requested by `update`, by family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Long-lived streams: the session's watchers, the detail's events.
    Watch(WatchEffect),
    /// One-shot reads.
    Fetch(FetchEffect),
    /// The user quits: the backend stops everything.
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEffect {
    /// (Re)connect: new client for `context`, watchers for `scope`, replies
    /// tagged `generation`. Replaces the previous session.
    Connect {
        generation: Generation,
        context: Option<String>,
        scope: Scope,
    },
    /// Watch the events of one pod for the detail screen; replaces any
    /// previous detail watch.
    PodEvents {
        generation: Generation,
        detail: DetailId,
        pod: PodKey,
        uid: Option<String>,
    },
    /// The detail screen closed: stop its watch and reads.
    StopDetail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEffect {
    /// The controller of a ReplicaSet or Job.
    Owner {
        generation: Generation,
        owner: OwnerKey,
    },
    Namespaces {
        generation: Generation,
    },
    ServiceAccount {
        generation: Generation,
        detail: DetailId,
        namespace: String,
        name: String,
    },
    /// One pull secret; the reply carries only hosts and usernames.
    Secret {
        generation: Generation,
        detail: DetailId,
        namespace: String,
        name: String,
    },
}

impl From<WatchEffect> for Effect {
    fn from(e: WatchEffect) -> Self {
        Effect::Watch(e)
    }
}

impl From<FetchEffect> for Effect {
    fn from(e: FetchEffect) -> Self {
        Effect::Fetch(e)
    }
}

/// Performs effects. Replies go to the `Msg` channel the backend was built
/// with; `dispatch` itself never blocks.
pub trait Backend {
    fn dispatch(&mut self, effect: Effect);

    fn dispatch_all(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.dispatch(e);
        }
    }
}
