//! I/O for the pod detail screen: a watch on the pod's events (field
//! selector on the involved object, which 1.20 servers support), the pod's
//! ServiceAccount, its node, and its pull secrets. Secrets are reduced to
//! hosts and usernames (`domain::secrets::read_secret`) right here, so
//! credentials never reach a message, a log line or the screen; the
//! ServiceAccount to its pull-secret names and the annotations credential
//! providers read, inert (`domain::node_credentials`); the node to its
//! kubelet version and image names (`domain::reverify`). A 403 is a fact
//! (`Fetch::Forbidden`), not an error; so is a 404.
//!
//! All of a detail's tasks live in `DetailTasks`: dropping it (the detail
//! closed, another opened, a new session) aborts them; replies carry the
//! detail's id, so late ones are dropped by `update`.

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Node, Secret, ServiceAccount};
use kube::Client;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::error::{ApiError, ApiErrorKind};
use super::{map_event, watch_error};
use crate::app::msg::{ClusterMsg, DetailId, DetailMsg, Fetch, Msg, SessionKey};
use crate::domain::facts::EventRow;
use crate::domain::failing::PodKey;
use crate::domain::node_credentials::service_account_view;
use crate::domain::reverify::node_view;
use crate::domain::secrets::{SecretInfo, read_secret};

/// The running tasks of one open detail.
pub struct DetailTasks {
    pub id: DetailId,
    tasks: Vec<JoinHandle<()>>,
}

impl DetailTasks {
    pub fn new(id: DetailId) -> Self {
        DetailTasks {
            id,
            tasks: Vec::new(),
        }
    }

    pub fn push(&mut self, t: JoinHandle<()>) {
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push(t);
    }
}

impl Drop for DetailTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Field selector of a pod's events.
pub fn event_fields(pod: &PodKey, uid: Option<&str>) -> String {
    let mut f = format!(
        "involvedObject.kind=Pod,involvedObject.name={},involvedObject.namespace={}",
        pod.name, pod.namespace
    );
    if let Some(uid) = uid.filter(|u| !u.is_empty()) {
        f.push_str(",involvedObject.uid=");
        f.push_str(uid);
    }
    f
}

async fn send(
    tx: &mpsc::Sender<Msg>,
    session: &SessionKey,
    detail: DetailId,
    msg: DetailMsg,
) -> bool {
    tx.send(Msg::Cluster(
        session.clone(),
        ClusterMsg::Detail {
            detail,
            msg: Box::new(msg),
        },
    ))
    .await
    .is_ok()
}

pub async fn watch_pod_events(
    session: SessionKey,
    detail: DetailId,
    client: Client,
    pod: PodKey,
    uid: Option<String>,
    tx: mpsc::Sender<Msg>,
) {
    let api: Api<Event> = Api::namespaced(client, &pod.namespace);
    let cfg = watcher::Config::default()
        .fields(&event_fields(&pod, uid.as_deref()))
        .timeout(super::WATCH_TIMEOUT_SECS);
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(ev) => match map_event(ev, |e| {
                Some(EventRow::from_event(&e, jiff::Timestamp::now()))
            }) {
                Some(e) => DetailMsg::Events(e),
                None => continue,
            },
            Err(e) => {
                let error = watch_error(&e);
                tracing::warn!(pod = %pod, %error, "pod events watch");
                DetailMsg::EventsFailed(error)
            }
        };
        if !send(&tx, &session, detail, msg).await {
            return;
        }
    }
}

fn fetch_of<T>(res: Result<Option<T>, kube::Error>) -> Fetch<T> {
    match res {
        Ok(Some(v)) => Fetch::Found(v),
        Ok(None) => Fetch::Missing,
        Err(kube::Error::Api(s)) if s.code == 403 => Fetch::Forbidden,
        Err(kube::Error::Api(s)) if s.code == 404 => Fetch::Missing,
        Err(e) => Fetch::Failed(ApiError::from(&e)),
    }
}

pub async fn get_service_account(
    session: SessionKey,
    detail: DetailId,
    client: Client,
    namespace: String,
    name: String,
    tx: mpsc::Sender<Msg>,
) {
    let api: Api<ServiceAccount> = Api::namespaced(client, &namespace);
    // Reduced here: names and the known annotations, inert.
    let res = api
        .get_opt(&name)
        .await
        .map(|sa| sa.as_ref().map(service_account_view));
    let result = fetch_of(res);
    if let Fetch::Failed(e) = &result {
        tracing::warn!(%namespace, %name, error = %e, "reading ServiceAccount");
    }
    send(&tx, &session, detail, DetailMsg::ServiceAccount(result)).await;
}

/// The pod's node, reduced to its kubelet version and image names. Many
/// users may not read nodes: a 403 only means the re-verification check
/// (KEP-2535) is not made.
pub async fn get_node(
    session: SessionKey,
    detail: DetailId,
    client: Client,
    name: String,
    tx: mpsc::Sender<Msg>,
) {
    let api: Api<Node> = Api::all(client);
    let res = api.get_opt(&name).await.map(|n| n.as_ref().map(node_view));
    let result = fetch_of(res);
    if let Fetch::Failed(e) = &result {
        tracing::warn!(%name, error = %e, "reading node");
    }
    send(&tx, &session, detail, DetailMsg::Node(result)).await;
}

/// The secrets of the pod's namespace that cover its registry and that
/// neither the pod nor its ServiceAccount uses (never their data).
pub async fn get_attachable(
    session: SessionKey,
    detail: DetailId,
    client: Client,
    pod: PodKey,
    container: String,
    tx: mpsc::Sender<Msg>,
) {
    let failed = |e: &super::mutate::MutationError| match e.api_error() {
        Some(a) if a.is_forbidden() => Fetch::Forbidden,
        Some(a) => Fetch::Failed(a.clone()),
        None => Fetch::Failed(ApiError::new(ApiErrorKind::Other, e.to_string())),
    };
    let result = match super::mutate::pod_facts(&client, &pod, Some(&container)).await {
        Ok(f) => match super::mutate::attachable_secrets(&client, &f.context).await {
            Ok(list) => Fetch::Found(list),
            Err(e) => failed(&e),
        },
        Err(e) => failed(&e),
    };
    send(&tx, &session, detail, DetailMsg::Attachable(result)).await;
}

/// One pull secret (for the detail, or the expiry radar), reduced to
/// hosts, usernames and expiries before anything else sees it; the Secret
/// is dropped here.
pub async fn read_pull_secret(client: Client, namespace: &str, name: &str) -> Fetch<SecretInfo> {
    let api: Api<Secret> = Api::namespaced(client, namespace);
    let res = api.get_opt(name).await.map(|s| s.map(|s| read_secret(&s)));
    let result = fetch_of(res);
    if let Fetch::Failed(e) = &result {
        tracing::warn!(%namespace, %name, error = %e, "reading pull secret");
    }
    result
}

pub async fn get_secret(
    session: SessionKey,
    detail: DetailId,
    client: Client,
    namespace: String,
    name: String,
    tx: mpsc::Sender<Msg>,
) {
    let result = read_pull_secret(client, &namespace, &name).await;
    send(&tx, &session, detail, DetailMsg::Secret { name, result }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selector_names_the_pod_and_its_uid() {
        let k = PodKey::new(
            &crate::domain::cluster_id::ClusterId::new("test", "https://test"),
            "shop",
            "web-1",
        );
        assert_eq!(
            event_fields(&k, Some("u-1")),
            "involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=shop,involvedObject.uid=u-1"
        );
        assert!(!event_fields(&k, None).contains("uid"));
    }
}
