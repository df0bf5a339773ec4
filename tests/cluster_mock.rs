//! The cluster layer against a mock API server (kube-rs's own mock-test
//! pattern: a `Client` over a tower service that records every request and
//! answers from a script). These pin the request shapes of the writes —
//! verbs, patch types, `dryRun=All`, the resourceVersion each write is
//! computed from — and the handling of 401/403/404/409/422, conflict retries and
//! paged lists. They run in well under a second, beside the e2e suite on the
//! real API server, not instead of it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use pulltui::cluster::check::list_pages;
use pulltui::cluster::mutate::{MutationError, apply, prepare};
use pulltui::cluster::{ScopeCheck, check_scope};
use pulltui::domain::mutation::{AttachTo, Mutation};
use pulltui::domain::owners::{TemplatePath, WriteTarget};
use pulltui::domain::scope::Scope;
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    content_type: String,
    body: Value,
}

impl Seen {
    fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }
}

/// An answer: status and JSON body.
type Answer = (u16, Value);

/// Answers per (method, path), in order; the last one repeats.
#[derive(Default)]
struct Script {
    answers: Vec<((String, String), VecDeque<Answer>)>,
}

impl Script {
    fn on(mut self, method: &str, path: &str, answers: Vec<Answer>) -> Self {
        self.answers
            .push(((method.into(), path.into()), answers.into_iter().collect()));
        self
    }

    fn answer(&mut self, method: &str, path: &str) -> Answer {
        let Some((_, q)) = self
            .answers
            .iter_mut()
            .find(|((m, p), _)| m == method && p == path)
        else {
            return (
                404,
                status(404, "NotFound", &format!("{method} {path} is not scripted")),
            );
        };
        if q.len() > 1 {
            q.pop_front().unwrap_or((500, Value::Null))
        } else {
            q.front().cloned().unwrap_or((500, Value::Null))
        }
    }
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
        "reason": reason, "message": message})
}

/// A client whose API server is `script`; the log of what it was sent.
fn mock(script: Script) -> (kube::Client, Arc<Mutex<Vec<Seen>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script));
    let seen = log.clone();
    let service = tower::service_fn(move |req: Request<kube::client::Body>| {
        let seen = seen.clone();
        let script = script.clone();
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_string();
            let query = req.uri().query().unwrap_or("").to_string();
            let content_type = req
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let bytes = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let (code, answer) = match script.lock() {
                Ok(mut s) => s.answer(&method, &path),
                Err(_) => (500, Value::Null),
            };
            if let Ok(mut l) = seen.lock() {
                l.push(Seen {
                    method,
                    path,
                    query,
                    content_type,
                    body,
                });
            }
            let resp = Response::builder()
                .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(answer.to_string())))
                .unwrap_or_default();
            Ok::<_, Infallible>(resp)
        }
    });
    (kube::Client::new(service, "default"), log)
}

fn seen(log: &Arc<Mutex<Vec<Seen>>>) -> Vec<Seen> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

const DEPLOY: &str = "/apis/apps/v1/namespaces/shop/deployments/web";

fn deployment(rv: &str, annotation: Option<&str>) -> Value {
    let mut anns = serde_json::Map::new();
    if let Some(a) = annotation {
        anns.insert("example.com/hosts".into(), json!(a));
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": rv, "uid": "u-web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}, "annotations": anns},
                "spec": {"containers": [{"name": "app", "image": "reg.example/app:1"}]}}}})
}

fn target() -> WriteTarget {
    WriteTarget {
        kind: "Deployment".into(),
        api_version: "apps/v1".into(),
        namespace: "shop".into(),
        name: "web".into(),
        template: TemplatePath::Template,
    }
}

fn annotate() -> Mutation {
    Mutation::AnnotateTemplate {
        target: target(),
        key: "example.com/hosts".into(),
        value: "reg.example".into(),
        merge: true,
    }
}

/// The Deployment read at resourceVersion 41, then `patch` answered.
fn read_then_patch(patch: Answer) -> Script {
    Script::default()
        .on("GET", DEPLOY, vec![(200, deployment("41", None))])
        .on("PATCH", DEPLOY, vec![patch])
}

fn patches(log: &[Seen]) -> Vec<&Seen> {
    log.iter().filter(|s| s.is("PATCH", DEPLOY)).collect()
}

#[tokio::test]
async fn a_template_annotation_is_one_strategic_patch_carrying_the_read_resource_version() {
    let (client, log) = mock(read_then_patch((
        200,
        deployment("42", Some("reg.example")),
    )));
    let prepared = prepare(&client, annotate()).await.expect("prepare");
    assert!(
        patches(&seen(&log)).is_empty(),
        "the preview writes nothing"
    );
    let out = apply(&client, &prepared, true).await.expect("apply");
    let log = seen(&log);
    let p = patches(&log);
    assert_eq!(p.len(), 1, "{log:#?}");
    assert_eq!(p[0].content_type, "application/strategic-merge-patch+json");
    assert!(p[0].query.contains("dryRun=All"), "{}", p[0].query);
    assert!(
        p[0].query.contains("fieldManager=pulltui"),
        "{}",
        p[0].query
    );
    assert_eq!(p[0].body["metadata"]["resourceVersion"], json!("41"));
    assert_eq!(
        p[0].body["spec"]["template"]["metadata"]["annotations"]["example.com/hosts"],
        json!("reg.example")
    );
    assert_eq!(out.writes.len(), 1);
    assert_eq!(out.writes[0].resource_version_before.as_deref(), Some("41"));
    assert_eq!(out.writes[0].resource_version_after.as_deref(), Some("42"));
    // Without --dry-run, no dryRun parameter.
    let (client, log) = mock(read_then_patch((
        200,
        deployment("42", Some("reg.example")),
    )));
    let prepared = prepare(&client, annotate()).await.expect("prepare");
    apply(&client, &prepared, false).await.expect("apply");
    let log = seen(&log);
    assert!(!patches(&log)[0].query.contains("dryRun"), "{log:#?}");
}

#[tokio::test]
async fn a_conflict_reads_again_and_writes_once_more_from_the_new_version() {
    let (client, log) = mock(
        Script::default()
            .on(
                "GET",
                DEPLOY,
                vec![
                    (200, deployment("41", None)),
                    (200, deployment("41", None)),
                    (200, deployment("43", None)),
                ],
            )
            .on(
                "PATCH",
                DEPLOY,
                vec![
                    (409, status(409, "Conflict", "the object has been modified")),
                    (200, deployment("44", Some("reg.example"))),
                ],
            ),
    );
    let prepared = prepare(&client, annotate()).await.expect("prepare");
    let out = apply(&client, &prepared, false)
        .await
        .expect("apply after a retry");
    let log = seen(&log);
    let p = patches(&log);
    assert_eq!(p.len(), 2, "{log:#?}");
    assert_eq!(p[0].body["metadata"]["resourceVersion"], json!("41"));
    assert_eq!(p[1].body["metadata"]["resourceVersion"], json!("43"));
    assert_eq!(out.writes.len(), 1);
}

#[tokio::test]
async fn a_field_changed_since_the_preview_is_not_written() {
    let (client, log) = mock(Script::default().on(
        "GET",
        DEPLOY,
        vec![
            (200, deployment("41", None)),
            // Someone set the annotation between the preview and `y`.
            (200, deployment("45", Some("other.example"))),
        ],
    ));
    let prepared = prepare(&client, annotate()).await.expect("prepare");
    let err = apply(&client, &prepared, false)
        .await
        .expect_err("changed since the preview");
    assert!(matches!(err, MutationError::Changed { .. }), "{err}");
    assert!(patches(&seen(&log)).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn forbidden_and_invalid_answers_become_their_kinds() {
    for (code, reason) in [(403, "Forbidden"), (422, "Invalid"), (404, "NotFound")] {
        let (client, _log) = mock(read_then_patch((code, status(code, reason, "no"))));
        let prepared = prepare(&client, annotate()).await.expect("prepare");
        let err = apply(&client, &prepared, false).await.expect_err("refused");
        let api = err.api_error().unwrap_or_else(|| panic!("{code}: {err}"));
        assert_eq!(api.status(), Some(code), "{err}");
        assert_eq!(api.reason, reason, "{err}");
        assert!(err.is_refusal(), "{err}");
    }
}

#[tokio::test]
async fn an_unauthorized_write_keeps_its_status_and_sends_nothing_more() {
    let (client, log) = mock(read_then_patch((
        401,
        status(401, "Unauthorized", "Unauthorized"),
    )));
    let prepared = prepare(&client, annotate()).await.expect("prepare");
    let err = apply(&client, &prepared, false)
        .await
        .expect_err("unauthorized");
    let api = err.api_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(api.status(), Some(401), "{err}");
    assert_eq!(
        patches(&seen(&log)).len(),
        1,
        "a 401 is not retried as a conflict is"
    );
}

const SA: &str = "/api/v1/namespaces/shop/serviceaccounts/default";

fn service_account(rv: &str, secrets: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "default", "namespace": "shop", "resourceVersion": rv},
        "imagePullSecrets": secrets.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn a_service_account_is_replaced_whole_with_its_resource_version_and_retried_on_conflict() {
    let (client, log) = mock(
        Script::default()
            .on(
                "GET",
                "/api/v1/namespaces/shop/secrets/regcred",
                vec![(
                    200,
                    json!({"apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": "regcred", "namespace": "shop"},
                        "type": "kubernetes.io/dockerconfigjson"}),
                )],
            )
            .on(
                "GET",
                SA,
                vec![
                    (200, service_account("7", &["old"])),
                    (200, service_account("7", &["old"])),
                    (200, service_account("9", &["old", "other"])),
                ],
            )
            .on(
                "PUT",
                SA,
                vec![
                    (409, status(409, "Conflict", "modified")),
                    (200, service_account("10", &["old", "other", "regcred"])),
                ],
            ),
    );
    let m = Mutation::AttachPullSecret {
        secret: "regcred".into(),
        to: AttachTo::ServiceAccount {
            namespace: "shop".into(),
            name: "default".into(),
        },
    };
    let prepared = prepare(&client, m).await.expect("prepare");
    let out = apply(&client, &prepared, false).await.expect("apply");
    let log = seen(&log);
    let puts: Vec<&Seen> = log.iter().filter(|s| s.is("PUT", SA)).collect();
    assert_eq!(puts.len(), 2, "{log:#?}");
    assert_eq!(puts[0].body["metadata"]["resourceVersion"], json!("7"));
    // The second write keeps what another writer added meanwhile.
    assert_eq!(puts[1].body["metadata"]["resourceVersion"], json!("9"));
    assert_eq!(
        puts[1].body["imagePullSecrets"],
        json!([{"name": "old"}, {"name": "other"}, {"name": "regcred"}])
    );
    assert_eq!(out.writes.len(), 1);
}

#[tokio::test]
async fn an_existing_secret_is_never_overwritten() {
    let path = "/api/v1/namespaces/shop/secrets";
    let (client, log) = mock(
        Script::default()
            .on(
                "GET",
                "/api/v1/namespaces/shop/secrets/regcred",
                vec![(404, status(404, "NotFound", "not found"))],
            )
            .on(
                "POST",
                path,
                vec![(409, status(409, "AlreadyExists", "exists"))],
            ),
    );
    let m = Mutation::CreatePullSecret {
        namespace: "shop".into(),
        name: "regcred".into(),
        server: "reg.example".into(),
        username: "u".into(),
        password: pulltui::domain::redact::Redacted::new("hunter2-secret".to_string()),
        email: None,
        attach: None,
    };
    let prepared = prepare(&client, m).await.expect("prepare");
    let err = apply(&client, &prepared, false).await.expect_err("exists");
    assert!(matches!(err, MutationError::SecretExists { .. }), "{err}");
    let log = seen(&log);
    assert!(
        !log.iter().any(|s| s.method == "PUT" || s.method == "PATCH"),
        "{log:#?}"
    );
    // The password went only into the one create, never into an error.
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn paged_lists_follow_continue_tokens() {
    let pods = "/api/v1/namespaces/shop/pods";
    let pod = |n: &str| json!({"metadata": {"name": n, "namespace": "shop"}});
    let (client, log) = mock(Script::default().on(
        "GET",
        pods,
        vec![
            (
                200,
                json!({"apiVersion": "v1", "kind": "PodList",
                "metadata": {"continue": "tok-1"}, "items": [pod("a"), pod("b")]}),
            ),
            (
                200,
                json!({"apiVersion": "v1", "kind": "PodList",
                "metadata": {}, "items": [pod("c")]}),
            ),
        ],
    ));
    let api: Api<Pod> = Api::namespaced(client, "shop");
    let mut names = Vec::new();
    list_pages(&api, Some("status.phase=Pending"), |items| {
        names.extend(items.into_iter().filter_map(|p| p.metadata.name))
    })
    .await
    .expect("list");
    assert_eq!(names, ["a", "b", "c"]);
    let log = seen(&log);
    assert_eq!(log.len(), 2, "{log:#?}");
    assert!(log[0].query.contains("limit=500"), "{}", log[0].query);
    assert!(!log[0].query.contains("continue"), "{}", log[0].query);
    assert!(log[1].query.contains("continue=tok-1"), "{}", log[1].query);
    assert!(
        log[1].query.contains("fieldSelector=status.phase"),
        "{}",
        log[1].query
    );
}

#[tokio::test]
async fn listing_all_namespaces_forbidden_is_a_fallback_not_an_error() {
    let (client, _log) = mock(Script::default().on(
        "GET",
        "/api/v1/pods",
        vec![(
            403,
            status(
                403,
                "Forbidden",
                "pods is forbidden: cannot list at the cluster scope",
            ),
        )],
    ));
    match check_scope(&client, &Scope::All).await {
        Ok(ScopeCheck::Forbidden(m)) => assert!(m.contains("cluster scope"), "{m}"),
        Ok(ScopeCheck::Allowed) => panic!("allowed"),
        Err(e) => panic!("error: {e}"),
    }
    let (client, _log) = mock(Script::default().on(
        "GET",
        "/api/v1/namespaces/shop/pods",
        vec![(
            200,
            json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": []}),
        )],
    ));
    assert!(matches!(
        check_scope(&client, &Scope::Namespace("shop".into())).await,
        Ok(ScopeCheck::Allowed)
    ));
}
