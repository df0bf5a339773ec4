//! The backend answers an effect only on the session it names: the
//! generation held, and the cluster connected.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;

use super::*;

/// A client whose server answers every request with an empty namespace
/// list, and counts them.
fn counted_client() -> (Client, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let service = tower::service_fn(move |_req: Request<kube::client::Body>| {
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            let body = r#"{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"shop"}}]}"#;
            Ok::<_, Infallible>(
                Response::builder()
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap_or_default(),
            )
        }
    });
    (Client::new(service, "default"), asked)
}

/// A backend holding one connected session (generation 3) of `prod`.
fn backend() -> (Cluster, mpsc::Receiver<Msg>, Arc<AtomicUsize>) {
    let (tx, rx) = mpsc::channel(8);
    let mut cluster = Cluster::new(None, tx).with_heartbeat(None);
    let (client, asked) = counted_client();
    let conn = SharedConn::default();
    conn.set(Connection {
        client,
        context: Some("prod".into()),
        server: "https://10.0.0.1:6443".into(),
        default_namespace: "default".into(),
    });
    cluster.sessions.insert(
        0,
        Session {
            generation: Generation(3),
            conn,
            lookups: Arc::new(Semaphore::new(OWNER_LOOKUPS)),
            tasks: Vec::new(),
        },
    );
    (cluster, rx, asked)
}

fn namespaces(context: &str, server: &str, generation: u64) -> Effect {
    FetchEffect::Namespaces {
        session: SessionKey::new(ClusterId::new(context, server), Generation(generation)),
    }
    .into()
}

#[tokio::test]
async fn an_effect_naming_the_connected_cluster_is_answered_with_its_key() {
    let (mut cluster, mut rx, asked) = backend();
    cluster.dispatch(namespaces("prod", "https://10.0.0.1:6443", 3));
    let reply = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    match reply {
        Ok(Some(Msg::Cluster(key, ClusterMsg::Namespaces(Ok(names))))) => {
            assert_eq!(key.cluster, ClusterId::new("prod", "https://10.0.0.1:6443"));
            assert_eq!(key.generation, Generation(3));
            assert_eq!(names, vec!["shop".to_string()]);
        }
        other => panic!("expected the namespaces, got {other:?}"),
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_effect_naming_another_cluster_or_session_is_never_sent() {
    let (mut cluster, mut rx, asked) = backend();
    // The session's number, another cluster; another server of the
    // context; an older session of the same cluster.
    cluster.dispatch(namespaces("staging", "", 3));
    cluster.dispatch(namespaces("prod", "https://10.0.0.2:6443", 3));
    cluster.dispatch(namespaces("prod", "https://10.0.0.1:6443", 2));
    let reply = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(reply.is_err(), "no answer expected: {reply:?}");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "nothing reached the server"
    );
    // Known only by its context (before the session said its server): taken.
    cluster.dispatch(namespaces("prod", "", 3));
    let reply = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert!(matches!(reply, Ok(Some(Msg::Cluster(..)))), "{reply:?}");
}
