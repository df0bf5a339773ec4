//! The detail's view beyond pull secrets (issue 21, points 6 and 7): a
//! registry a node credential provider serves "may be covered by the
//! node's credential provider", with the ServiceAccount's annotations the
//! provider reads (inert); a cached image on a 1.35 node that fails is
//! credential re-verification (KEP-2535), not an absent image; upstream
//! events by name. Msg in → Model out, no tokio, no terminal.

mod detail_fixtures;
mod home_fixtures;

use std::collections::BTreeMap;

use detail_fixtures::*;
use home_fixtures::*;
use k8s_openapi::api::core::v1::{Node, Pod, ServiceAccount};
use pulltui::app::Model;
use pulltui::app::msg::{DetailMsg, Fetch};
use pulltui::domain::node_credentials::{ServiceAccountView, service_account_view};
use pulltui::domain::reverify::{NodeView, node_view};
use serde_json::json;

const ECR: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:2.1";

/// The document's text with its wrapping undone (lines joined by a space,
/// runs of spaces as one), so sentences read whole.
fn doc(m: &Model) -> String {
    let d = m.detail.as_ref().expect("detail open");
    let text = d
        .document(m.now, m.size.0 as usize)
        .iter()
        .map(|l| line_text(l).trim().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn sa_view(annotations: serde_json::Value) -> ServiceAccountView {
    let sa: ServiceAccount = serde_json::from_value(json!({
        "metadata": {"name": "default", "namespace": "shop", "annotations": annotations}
    }))
    .expect("service account");
    service_account_view(&sa)
}

fn with_sa(m: &Model, view: ServiceAccountView) -> pulltui::app::Msg {
    detail_msg(m, DetailMsg::ServiceAccount(Fetch::Found(view)))
}

fn ecr_pod(message: &str) -> Pod {
    with_secrets(
        deploy_pod("shop", "api", "k3v7w", ECR, "ErrImagePull", message),
        &[],
    )
}

fn open_ecr(message: &str, annotations: serde_json::Value) -> Model {
    let mut m = one(ecr_pod(message), (140, 60));
    open(&mut m, "api");
    let mut msgs = listed(&m, vec![]);
    msgs.push(with_sa(&m, sa_view(annotations)));
    send(&mut m, msgs);
    m
}

#[test]
fn a_cloud_registry_may_be_covered_by_the_node_s_credential_provider() {
    let m = open_ecr(
        &format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{ECR}\": failed to resolve reference \"{ECR}\": failed to do request: Head \"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/shop/api/manifests/2.1\": dial tcp: lookup 123456789012.dkr.ecr.eu-west-1.amazonaws.com on 10.0.0.2:53: no such host"
        ),
        json!({
            "eks.amazonaws.com/ecr-role-arn": "arn:aws:iam::123456789012:role/pull\u{1b}]0;owned\u{7}",
            "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/app",
            "team.example/token": "s3cret-value"
        }),
    );
    let text = doc(&m);
    assert!(
        text.contains(
            "no pull secret covers 123456789012.dkr.ecr.eu-west-1.amazonaws.com — may be covered by the node's credential provider (ecr-credential-provider, Amazon ECR; inferred from the host)"
        ),
        "{text}"
    );
    assert!(!text.contains("no pull secrets (none are needed"), "{text}");
    // The annotation it reads, then the related one; values inert; nothing else.
    let read = text
        .find("serviceaccount/default eks.amazonaws.com/ecr-role-arn: arn:aws:iam::123456789012:role/pull␛]0;owned␇")
        .unwrap_or_else(|| panic!("{text}"));
    let related = text
        .find(
            "serviceaccount/default eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/app",
        )
        .unwrap_or_else(|| panic!("{text}"));
    assert!(read < related, "{text}");
    assert!(text.contains("not read for image pulls"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(!text.contains("s3cret-value"), "{text}");
    assert!(!text.contains("sets none of the annotations"), "{text}");
}

#[test]
fn a_refused_pull_from_a_provider_host_names_the_node_identity_and_the_missing_annotation() {
    let m = open_ecr(
        &format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{ECR}\": failed to resolve reference \"{ECR}\": pulling from host 123456789012.dkr.ecr.eu-west-1.amazonaws.com failed with status code [manifests 2.1]: 401 Unauthorized"
        ),
        json!({}),
    );
    let text = doc(&m);
    assert!(text.contains("auth.no-credentials"), "{text}");
    assert!(
        text.contains(
            "✕ No pull secret covers 123456789012.dkr.ecr.eu-west-1.amazonaws.com — it may be covered by the node's credential provider (ecr-credential-provider, Amazon ECR), but the registry did not accept what the pull sent: check the node's IAM role"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "serviceaccount/default sets none of the annotations ecr-credential-provider reads (eks.amazonaws.com/ecr-role-arn)"
        ),
        "{text}"
    );
}

#[test]
fn a_registry_no_provider_serves_keeps_its_verdict_and_shows_no_annotations() {
    let mut m = one(with_secrets(worker("n6m4x"), &[]), (120, 40));
    open(&mut m, "worker");
    let msg = with_sa(
        &m,
        sa_view(json!({"eks.amazonaws.com/ecr-role-arn": "arn:aws:iam::1:role/pull"})),
    );
    send(&mut m, [msg]);
    let text = doc(&m);
    assert!(
        text.contains("✕ No pull secret covers private.example"),
        "{text}"
    );
    assert!(!text.contains("credential provider"), "{text}");
    assert!(!text.contains("ecr-role-arn"), "{text}");
}

fn node(version: &str, images: &[&str]) -> NodeView {
    let n: Node = serde_json::from_value(json!({
        "metadata": {"name": "node-a1"},
        "status": {
            "nodeInfo": {"kubeletVersion": version, "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": "", "osImage": "", "containerRuntimeVersion": "containerd://2.1.4",
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
            "images": [{"names": images, "sizeBytes": 1000}]
        }
    }))
    .expect("node");
    node_view(&n)
}

const CACHED: &str = "private.example/pay/worker:2.0";

/// A pod of `worker` whose container has `policy` and waits with `reason`.
fn worker_with(policy: &str, reason: &str, message: &str) -> Pod {
    let mut p = with_secrets(
        deploy_pod("pay", "worker", "n6m4x", CACHED, reason, message),
        &[],
    );
    if let Some(c) = p.spec.as_mut().and_then(|s| s.containers.first_mut()) {
        c.image_pull_policy = Some(policy.into());
    }
    p
}

fn open_worker(p: Pod, node: NodeView) -> Model {
    let mut m = one(p, (140, 60));
    open(&mut m, "worker");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    msgs.push(detail_msg(&m, DetailMsg::Node(Fetch::Found(node))));
    send(&mut m, msgs);
    m
}

const NEVER: &str =
    "Container image \"private.example/pay/worker:2.0\" is not present with pull policy of Never";

#[test]
fn a_cached_image_refused_on_a_1_35_node_is_credential_re_verification() {
    let m = open_worker(
        worker_with("Never", "ErrImageNeverPull", NEVER),
        node(
            "v1.35.4",
            &[
                CACHED,
                "private.example/pay/worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ],
        ),
    );
    let text = doc(&m);
    assert!(text.contains("policy.never-pull"), "{text}");
    assert!(
        text.contains(
            "⟳ credential re-verification (KEP-2535): node node-a1 (kubelet v1.35.4) has private.example/pay/worker:2.0 cached — it is not absent."
        ),
        "{text}"
    );
    // The category's own words know the shape too.
    assert!(
        text.contains("credential re-verification (KEP-2535) reports that as"),
        "{text}"
    );
}

#[test]
fn a_pull_of_a_cached_image_on_a_1_35_node_is_re_verification_too() {
    let m = open_worker(
        worker_with(
            "IfNotPresent",
            "ErrImagePull",
            "rpc error: code = Unknown desc = failed to pull and unpack image \"private.example/pay/worker:2.0\": failed to resolve reference \"private.example/pay/worker:2.0\": pulling from host private.example failed with status code [manifests 2.0]: 401 Unauthorized",
        ),
        node("v1.35.0", &[CACHED]),
    );
    let text = doc(&m);
    assert!(
        text.contains("has private.example/pay/worker:2.0 cached, yet the kubelet pulled it"),
        "{text}"
    );
}

#[test]
fn no_re_verification_before_1_35_nor_for_an_image_the_node_lacks() {
    for (version, images) in [
        ("v1.34.2", vec![CACHED]),
        ("v1.35.4", vec!["private.example/pay/worker:1.9"]),
    ] {
        let m = open_worker(
            worker_with("Never", "ErrImageNeverPull", NEVER),
            node(version, &images),
        );
        let text = doc(&m);
        assert!(
            !text.contains("re-verification (KEP-2535):"),
            "{version}: {text}"
        );
    }
    // A node that cannot be read (403): nothing is claimed.
    let mut m = one(worker_with("Never", "ErrImageNeverPull", NEVER), (140, 60));
    open(&mut m, "worker");
    let msg = detail_msg(&m, DetailMsg::Node(Fetch::Forbidden));
    send(&mut m, [msg]);
    assert!(!doc(&m).contains("re-verification (KEP-2535):"));
}

#[test]
fn an_upstream_event_is_named_in_the_detail() {
    let mut m = upstream_incident((140, 60));
    open(&mut m, "e5r1t");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    let text = doc(&m);
    assert!(
        text.contains("UPSTREAM ⚑ Google Container Registry (gcr.io) shut down (since 2025-04-22)"),
        "{text}"
    );
    assert!(
        text.contains("gcloud artifacts docker upgrade migrate"),
        "{text}"
    );
    assert!(
        text.contains("source: https://cloud.google.com/artifact-registry/docs/transition/prepare-gcr-shutdown"),
        "{text}"
    );
    // The gcr.io host is Artifact Registry's provider's too.
    assert!(text.contains("auth-provider-gcp"), "{text}");
}

#[test]
fn a_config_entry_is_named_first() {
    let extra = pulltui::config::parse_upstream_events(
        r#"
[[upstream_events]]
id = "acme-queue-retired"
title = "acme/queue was retired on Docker Hub"
short = "acme/queue retired"
since = "2025-09-01"
what_happened = "The acme/queue images were removed."
what_to_do = "Use ghcr.io/acme/queue."
source = "https://acme.example/queue"
match = { hosts = ["docker.io"], repositories = ["acme/queue"] }
"#,
    )
    .expect("valid")
    .expect("entries");
    let mut m = upstream_incident((170, 14));
    m.home.upstream = Some(extra);
    let rows = m.home.rows.clone();
    m.home.set_rows(rows);
    let marks: BTreeMap<String, String> = m
        .home
        .summary
        .iter()
        .map(|e| (e.text(), e.upstream_text()))
        .collect();
    // The docker.io not-found group: two Bitnami rows, one acme row.
    assert!(
        marks
            .values()
            .any(|t| t == " ⚑ Bitnami moved to bitnamilegacy (2 of 3)"),
        "{marks:?}"
    );
    open(&mut m, "d2n8q");
    let text = doc(&m);
    assert!(
        text.contains("UPSTREAM ⚑ acme/queue was retired on Docker Hub"),
        "{text}"
    );
}
