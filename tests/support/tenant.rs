//! A hostile tenant of a shared cluster, for end-to-end tests: a
//! ServiceAccount that may create, read and change pods and events in its
//! own namespace only (as a namespace's users can), reached through a
//! kubeconfig of its own (a TokenRequest token), and a client for it.

use std::path::PathBuf;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, PostParams};
use serde_json::json;

use super::{Harness, TestNamespace};

pub struct Tenant {
    /// The tenant's own namespace.
    pub ns: TestNamespace,
    /// A kubeconfig whose only context (`tenant`) is the tenant.
    pub kubeconfig: PathBuf,
    pub client: kube::Client,
    _dir: tempfile::TempDir,
}

/// A tenant with its own namespace `<prefix>-<random>`.
pub async fn tenant(h: &Harness, admin: &kube::Client, prefix: &str) -> Tenant {
    let ns = h.namespace(admin, prefix).await;
    let rules = json!([
        {"apiGroups": [""], "resources": ["pods", "events", "pods/exec"],
         "verbs": ["create", "get", "list", "watch", "patch", "update", "delete"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"],
         "verbs": ["create", "get", "list", "watch", "patch", "update"]}]);
    let id = identity(h, admin, &ns.name, "tenant", rules).await;
    Tenant {
        ns,
        kubeconfig: id.kubeconfig,
        client: id.client,
        _dir: id.dir,
    }
}

/// A ServiceAccount of `ns` with exactly `rules` there (a Role), and a
/// kubeconfig whose only context (`NAME`, namespace `ns`) is it.
pub struct Identity {
    pub kubeconfig: PathBuf,
    pub client: kube::Client,
    pub dir: tempfile::TempDir,
}

pub async fn identity(
    h: &Harness,
    admin: &kube::Client,
    ns: &str,
    name: &str,
    rules: serde_json::Value,
) -> Identity {
    let n = ns.to_string();
    let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), &n);
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("sa");
    sas.create(&PostParams::default(), &sa)
        .await
        .unwrap_or_else(|e| panic!("creating ServiceAccount {n}/{name}: {e}"));
    let role: Role =
        serde_json::from_value(json!({"metadata": {"name": name}, "rules": rules})).expect("role");
    Api::<Role>::namespaced(admin.clone(), &n)
        .create(&PostParams::default(), &role)
        .await
        .unwrap_or_else(|e| panic!("creating Role {n}/{name}: {e}"));
    let rb: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": n}]
    }))
    .expect("rolebinding");
    Api::<RoleBinding>::namespaced(admin.clone(), &n)
        .create(&PostParams::default(), &rb)
        .await
        .unwrap_or_else(|e| panic!("creating RoleBinding {n}/{name}: {e}"));
    let req: TokenRequest = serde_json::from_value(json!({
        "spec": {"audiences": [], "expirationSeconds": 3600}
    }))
    .expect("token request");
    let token = sas
        .create_token_request(name, &PostParams::default(), &req)
        .await
        .unwrap_or_else(|e| panic!("TokenRequest for {n}/{name}: {e}"))
        .status
        .expect("token status")
        .token;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join(format!("{name}.kubeconfig"));
    let ca = std::fs::read(h.var("PULLTUI_HARNESS_CA")).expect("harness CA");
    use base64::Engine as _;
    let ca_b64 = base64::engine::general_purpose::STANDARD.encode(ca);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: harness\n  cluster:\n    server: {}\n    certificate-authority-data: {ca_b64}\nusers:\n- name: {name}\n  user:\n    token: {token}\ncontexts:\n- name: {name}\n  context: {{cluster: harness, user: {name}, namespace: {n}}}\ncurrent-context: {name}\n",
        h.var("PULLTUI_API_SERVER")
    );
    std::fs::write(&kubeconfig, text).expect("writing the kubeconfig");
    let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
    let client = super::client_of(kc, None).await;
    Identity {
        kubeconfig,
        client,
        dir,
    }
}
