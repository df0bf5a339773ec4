//! What the API server forgets, watched while a session runs (issue 24):
//! every node's kubelet version and images (`domain::history::Nodes` tells
//! what changed), and the deletion of pull secrets (a metadata-only watch of
//! `kubernetes.io/dockerconfigjson` secrets: names, never contents). What
//! it sees goes to the app as `ClusterMsg::History`, and from there to the
//! journal.
//!
//! A context that may not watch nodes or secrets (403) goes without: said
//! once in the log, the rest of the session is unaffected.

use std::collections::{HashMap, HashSet};

use futures::StreamExt as _;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt as _};
use tokio::sync::mpsc;

use super::connect::watch_error;
use super::reads::scoped;
use super::watch::WATCH_TIMEOUT_SECS;
use crate::app::msg::{ClusterMsg, Msg, SessionKey};
use crate::domain::history::{Fact, Nodes, kept};
use crate::domain::scope::Scope;

const PULL_SECRETS: &str = "type=kubernetes.io/dockerconfigjson";
/// Pull secrets remembered at most (a namespace's users can create many).
const SECRETS_MAX: usize = 50_000;

/// Runs both watches until the app goes.
pub(super) async fn watch(client: &Client, scope: &Scope, session: &SessionKey, tx: &Sender) {
    tokio::join!(
        nodes(client, session, tx),
        pull_secrets(client, scope, session, tx)
    );
}

type Sender = mpsc::Sender<Msg>;

async fn send(tx: &Sender, session: &SessionKey, facts: Vec<Fact>) -> bool {
    facts.is_empty()
        || tx
            .send(Msg::Cluster(session.clone(), ClusterMsg::History(facts)))
            .await
            .is_ok()
}

/// Whether a watch error ends this watch (a 403: the context may not).
fn forbidden(what: &str, e: &watcher::Error) -> bool {
    let error = watch_error(e);
    if error.is_forbidden() {
        tracing::info!(what, %error, "not watched: what changed goes without it");
        return true;
    }
    tracing::debug!(what, %error, "history watch");
    false
}

/// The nodes: kubelet versions and images.
async fn nodes(client: &Client, session: &SessionKey, tx: &Sender) {
    let api: Api<Node> = Api::all(client.clone());
    let cfg = watcher::Config::default().timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher::watcher(api, cfg).default_backoff().boxed();
    let mut seen = Nodes::default();
    // The nodes of a list in progress (a node not in it went meanwhile).
    let mut listing: Option<HashSet<String>> = None;
    let mut known: HashSet<String> = HashSet::new();
    while let Some(item) = stream.next().await {
        let facts = match item {
            Ok(Event::Init) => {
                listing = Some(HashSet::new());
                continue;
            }
            Ok(Event::InitApply(n)) => {
                if let Some(l) = &mut listing {
                    l.insert(n.name_any());
                }
                known.insert(n.name_any());
                observe(&mut seen, &n)
            }
            Ok(Event::InitDone) => {
                if let Some(l) = listing.take() {
                    for gone in known.difference(&l) {
                        seen.forget(gone);
                    }
                    known = l;
                }
                continue;
            }
            Ok(Event::Apply(n)) => {
                known.insert(n.name_any());
                observe(&mut seen, &n)
            }
            Ok(Event::Delete(n)) => {
                known.remove(&n.name_any());
                seen.forget(&n.name_any());
                continue;
            }
            Err(e) if forbidden("nodes", &e) => return,
            Err(_) => continue,
        };
        if !send(tx, session, facts).await {
            return;
        }
    }
}

fn observe(seen: &mut Nodes, n: &Node) -> Vec<Fact> {
    let status = n.status.as_ref();
    let kubelet = status
        .and_then(|s| s.node_info.as_ref())
        .map_or("", |i| i.kubelet_version.as_str());
    let images: Vec<Vec<String>> = status
        .and_then(|s| s.images.as_ref())
        .map(|list| list.iter().filter_map(|i| i.names.clone()).collect())
        .unwrap_or_default();
    seen.observe(&n.name_any(), kubelet, &images, Timestamp::now())
}

/// The pull secrets' deletions (metadata only).
async fn pull_secrets(client: &Client, scope: &Scope, session: &SessionKey, tx: &Sender) {
    let api: Api<PartialObjectMeta<Secret>> = scoped(client, scope);
    let cfg = watcher::Config::default()
        .fields(PULL_SECRETS)
        .page_size(500)
        .timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher::watcher(api, cfg).default_backoff().boxed();
    // (namespace, name) → when last seen.
    let mut known: HashMap<(String, String), Timestamp> = HashMap::new();
    let mut listing: Option<HashSet<(String, String)>> = None;
    while let Some(item) = stream.next().await {
        let now = Timestamp::now();
        let facts = match item {
            Ok(Event::Init) => {
                listing = Some(HashSet::new());
                continue;
            }
            Ok(Event::InitApply(s) | Event::Apply(s)) => {
                let key = (s.namespace().unwrap_or_default(), s.name_any());
                if let Some(l) = &mut listing {
                    l.insert(key.clone());
                }
                if known.len() < SECRETS_MAX || known.contains_key(&key) {
                    known.insert(key, now);
                }
                continue;
            }
            // Deleted while the watch was down: found by the fresh list.
            Ok(Event::InitDone) => {
                let Some(l) = listing.take() else { continue };
                let gone: Vec<(String, String)> =
                    known.keys().filter(|k| !l.contains(*k)).cloned().collect();
                gone.into_iter()
                    .filter_map(|k| known.remove(&k).map(|t| (k, t)))
                    .map(|((namespace, name), since)| Fact::PullSecretDeleted {
                        at: now,
                        since: Some(since),
                        namespace: kept(&namespace),
                        name: kept(&name),
                    })
                    .collect()
            }
            Ok(Event::Delete(s)) => {
                let key = (s.namespace().unwrap_or_default(), s.name_any());
                known.remove(&key);
                vec![Fact::PullSecretDeleted {
                    at: now,
                    since: None,
                    namespace: kept(&key.0),
                    name: kept(&key.1),
                }]
            }
            Err(e) if forbidden("pull secrets", &e) => return,
            Err(_) => continue,
        };
        if !send(tx, session, facts).await {
            return;
        }
    }
}
