//! `pulltui snapshot`: captures what the console shows, and what the fixes'
//! previews will need, into a `Snapshot`. Lists are paginated (500 a page);
//! healthy pods are kept as names only; secrets are reduced to their
//! metadata (`domain::secrets::read_secret`) the moment they arrive.
//! Progress goes to the `progress` callback (stderr in the CLI).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::{Value, json};

use super::format::{
    KIND, LastError, PullSecret, ReadKind, ReadOutcome, Snapshot, Unread, VERSION,
};
use crate::cluster::check::list_all;
use crate::cluster::error::ApiError;
use crate::cluster::{Target, connect, scoped, strip};
use crate::domain::cluster_id::ClusterId;
use crate::domain::facts::{EventFact, PodFact, WatchEvent};
use crate::domain::failing::{PodKey, event_pod, is_failing, may_be_failing, uid_matches};
use crate::domain::inventory::Inventory;
use crate::domain::mutation::{ANN_HTTP_ENDPOINT, ANN_RESTARTED_AT, ANN_SKIP_VERIFY};
use crate::domain::pod::{pull_secret_names, service_account_of};
use crate::domain::scope::Scope;
use crate::domain::secrets::read_secret;

/// What stands in for a redacted value.
pub const REDACTED: &str = "(redacted by pulltui)";

/// Annotations whose values pulltui reads (the one-key fixes' previews):
/// kept as they are. Every other annotation keeps its name (a webhook's
/// status marker says what injected a container) with its value redacted.
pub const KEPT_ANNOTATIONS: [&str; 3] = [ANN_SKIP_VERIFY, ANN_HTTP_ENDPOINT, ANN_RESTARTED_AT];

/// Removed whole: it repeats the object as applied, env values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Redacts, at any depth of a pod or an owner object (so templates, init,
/// ephemeral and sidecar containers alike), whatever may hold a credential:
/// every `command` and `args` (containers', and the probes' and lifecycle
/// hooks' `exec.command`), `env[].value`, `httpHeaders[].value` (probes and
/// hooks), `flexVolume.options` and `csi.volumeAttributes` values, and the
/// values of annotations other than `KEPT_ANNOTATIONS`.
fn redact_value(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match (k.as_str(), &mut *child) {
                    ("command" | "args", Value::Array(_)) => *child = json!([REDACTED]),
                    ("env" | "httpHeaders", Value::Array(list)) => {
                        for item in list {
                            if let Some(val) = item.get_mut("value") {
                                *val = Value::String(REDACTED.into());
                            }
                        }
                    }
                    ("flexVolume" | "csi", Value::Object(vol)) => {
                        for (vk, vv) in vol.iter_mut() {
                            match (vk.as_str(), vv) {
                                ("options" | "volumeAttributes", Value::Object(opts)) => {
                                    opts.values_mut()
                                        .for_each(|o| *o = Value::String(REDACTED.into()));
                                }
                                (_, other) => redact_value(other),
                            }
                        }
                    }
                    ("annotations", Value::Object(anns)) => {
                        anns.remove(LAST_APPLIED);
                        for (name, value) in anns.iter_mut() {
                            if !KEPT_ANNOTATIONS.contains(&name.as_str()) {
                                *value = Value::String(REDACTED.into());
                            }
                        }
                    }
                    (_, other) => redact_value(other),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// Annotation values other than `KEPT_ANNOTATIONS` redacted, last-applied removed.
fn redact_annotations(anns: &mut Option<BTreeMap<String, String>>) {
    if let Some(a) = anns.as_mut() {
        a.remove(LAST_APPLIED);
        for (name, value) in a.iter_mut() {
            if !KEPT_ANNOTATIONS.contains(&name.as_str()) {
                *value = REDACTED.into();
            }
        }
    }
}

/// A ServiceAccount's annotations: the values credential providers read
/// (`domain::node_credentials`, which the detail shows) are kept, every
/// other value redacted, last-applied removed.
fn redact_sa_annotations(anns: &mut Option<BTreeMap<String, String>>) {
    use crate::domain::node_credentials::KNOWN_ANNOTATIONS;
    if let Some(a) = anns.as_mut() {
        a.remove(LAST_APPLIED);
        for (name, value) in a.iter_mut() {
            if !KNOWN_ANNOTATIONS.iter().any(|k| k.key == name) {
                *value = REDACTED.into();
            }
        }
    }
}

/// A pod as the snapshot keeps it (see `redact_value`).
pub fn redact_pod(pod: &mut Pod) {
    let redacted = serde_json::to_value(&*pod).map(|mut v| {
        redact_value(&mut v);
        v
    });
    match redacted.and_then(serde_json::from_value::<Pod>) {
        Ok(p) => *pod = p,
        // Cannot happen (strings are replaced by strings); if it did, keep
        // nothing that could hold a credential rather than the pod as sent.
        Err(e) => {
            tracing::warn!(error = %e, "redacting a pod; its spec is left out");
            pod.spec = None;
            pod.metadata.annotations = None;
        }
    }
}

/// An owner object (its metadata and its pod template) as the snapshot
/// keeps it (see `redact_value`).
pub fn redact_owner(o: &mut DynamicObject) {
    o.metadata.managed_fields = None;
    redact_annotations(&mut o.metadata.annotations);
    redact_value(&mut o.data);
}

/// The API resource of a workload kind an owner reference names.
fn owner_resource(api_version: &str, kind: &str) -> Option<ApiResource> {
    let plural = match kind {
        "ReplicaSet" => "replicasets",
        "Deployment" => "deployments",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        "ReplicationController" => "replicationcontrollers",
        _ => return None,
    };
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let gvk = GroupVersionKind::gvk(group, version, kind);
    Some(ApiResource::from_gvk_with_plural(&gvk, plural))
}

fn unread(kind: ReadKind, namespace: &str, name: &str, e: &kube::Error) -> Unread {
    let a = ApiError::from(e);
    let outcome = match a.status() {
        Some(403) => ReadOutcome::Forbidden,
        Some(404) => ReadOutcome::Missing,
        _ => ReadOutcome::Failed,
    };
    Unread {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        outcome,
        message: a.to_string(),
    }
}

/// Captures the scope. Errors are sentences.
pub async fn capture(
    target: &Target,
    scope: Scope,
    progress: &dyn Fn(&str),
) -> Result<Snapshot, String> {
    let conn = connect(target).await.map_err(|e| e.to_string())?;
    let client = conn.client.clone();
    let cluster = conn.cluster_id();
    let (scope, fallback) = crate::cluster::resolve_scope(&conn, scope).await?;
    if let Some(m) = &fallback {
        progress(&format!(
            "not allowed to list pods in all namespaces ({m}); capturing namespace {scope}"
        ));
    }
    let captured_at = Timestamp::now();
    let Listed {
        mut failing,
        mut healthy,
        seen,
    } = list_pods(&client, &cluster, &scope, progress).await?;
    let mut events = failing_pods_events(&client, &cluster, &scope, &failing, progress).await;
    let inv = keep_failing(&cluster, captured_at, &mut failing, &mut events);
    let owners = owner_chains(&client, &failing).await;
    progress(&format!("{} owner objects", owners.len()));
    let creds = credentials(&client, &failing).await;
    progress(&format!(
        "{} ServiceAccounts, {} pull secrets (metadata only)",
        creds.service_accounts.len(),
        creds.pull_secrets.len()
    ));
    let last_errors = last_errors(&inv);
    let namespaces = namespaces(&client, &scope, &failing, &healthy).await;
    healthy.sort();

    let (journal, fixes) = crate::journal::of_cluster(&cluster, &scope);
    let changes = match crate::domain::postmortem::changes_window(&journal) {
        Some((from, to, namespaces)) => {
            crate::cluster::changes::read(&client, &namespaces, from, to).await
        }
        None => Vec::new(),
    };
    Ok(Snapshot {
        kind: KIND.into(),
        version: VERSION,
        contents: None,
        captured_at,
        pulltui_version: env!("CARGO_PKG_VERSION").into(),
        context: conn.context,
        server: Some(conn.server),
        scope,
        default_namespace: Some(conn.default_namespace),
        fallback,
        pods_seen: seen,
        namespaces,
        healthy_pods: healthy,
        pods: failing,
        events,
        owners,
        service_accounts: creds.service_accounts,
        pull_secrets: creds.pull_secrets,
        unread: creds.unread,
        last_errors,
        probes: Vec::new(),
        journal,
        fixes,
        changes,
        end: None,
    }
    .sealed())
}

/// The pods of the scope, listed page by page: the ones that may be
/// failing whole (redacted), the healthy ones as `namespace/name`.
struct Listed {
    failing: Vec<Pod>,
    healthy: Vec<String>,
    seen: usize,
}

async fn list_pods(
    client: &kube::Client,
    cluster: &ClusterId,
    scope: &Scope,
    progress: &dyn Fn(&str),
) -> Result<Listed, String> {
    progress(&format!("listing pods in {scope}…"));
    let pods_api: Api<Pod> = scoped(client, scope);
    let mut failing: Vec<Pod> = Vec::new();
    let mut healthy: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = 0usize;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = pods_api
            .list(&lp)
            .await
            .map_err(|e| format!("listing pods in {scope}: {}", ApiError::from(&e)))?;
        for mut p in page.items {
            seen += 1;
            strip(&mut p);
            // The file keeps the pod as the server sent it (redacted), not
            // the inert fact the console shows: replay makes it inert again.
            if may_be_failing(&p) {
                redact_pod(&mut p);
                failing.push(p);
            } else {
                let k = PodKey::of(cluster, &p);
                healthy.push(format!("{}/{}", k.namespace, k.name));
            }
        }
        if seen % 5000 < 500 {
            progress(&format!("  {seen} pods, {} failing", failing.len()));
        }
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    progress(&format!("{seen} pods, {} failing", failing.len()));
    Ok(Listed {
        failing,
        healthy,
        seen,
    })
}

/// Every event about a failing pod: in its namespace, naming its uid
/// (`event_pod`, `uid_matches`); none when the events cannot be listed.
async fn failing_pods_events(
    client: &kube::Client,
    cluster: &ClusterId,
    scope: &Scope,
    failing: &[Pod],
    progress: &dyn Fn(&str),
) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    if failing.is_empty() {
        return events;
    }
    let failing_keys: HashMap<PodKey, Option<String>> = failing
        .iter()
        .map(|p| (PodKey::of(cluster, p), p.metadata.uid.clone()))
        .collect();
    progress("listing events…");
    let api: Api<Event> = scoped(client, scope);
    match list_all(&api, Some("involvedObject.kind=Pod")).await {
        Ok(all) => {
            for mut e in all {
                let own = event_pod(cluster, &e).is_some_and(|key| {
                    failing_keys.get(&key).is_some_and(|uid| {
                        uid_matches(e.involved_object.uid.as_deref(), uid.as_deref())
                    })
                });
                if own {
                    e.metadata.managed_fields = None;
                    events.push(e);
                }
            }
        }
        Err(e) => progress(&format!(
            "cannot list events ({}); causes come from pod statuses only",
            ApiError::from(&e)
        )),
    }
    progress(&format!("{} events of failing pods", events.len()));
    events
}

/// The cause kept per container, as the console keeps it: the pods and
/// events go through an `Inventory`. A pod still being created is kept only
/// when events tell that its sandbox or an image volume failed to pull;
/// the events of the pods dropped go with them.
fn keep_failing(
    cluster: &ClusterId,
    captured_at: Timestamp,
    failing: &mut Vec<Pod>,
    events: &mut Vec<Event>,
) -> Inventory {
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    for p in failing.iter() {
        inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(cluster, p.clone())));
    }
    inv.apply_pod(WatchEvent::InitDone);
    for e in events
        .iter()
        .filter_map(|e| EventFact::from_row_event(cluster, e, captured_at))
    {
        inv.apply_event(WatchEvent::Apply(e));
    }
    inv.refresh();
    failing.retain(|p| {
        is_failing(p)
            || inv
                .failing
                .get(&PodKey::of(cluster, p))
                .is_some_and(|f| !f.rows.is_empty())
    });
    let kept: HashSet<PodKey> = failing.iter().map(|p| PodKey::of(cluster, p)).collect();
    events.retain(|e| event_pod(cluster, e).is_some_and(|k| kept.contains(&k)));
    inv
}

/// The owner chains of the failing pods, each object read once, redacted,
/// sorted by namespace, kind and name.
async fn owner_chains(client: &kube::Client, failing: &[Pod]) -> Vec<DynamicObject> {
    let mut owners: Vec<DynamicObject> = Vec::new();
    let mut done: HashSet<(String, String, String)> = HashSet::new();
    let mut queue: Vec<(String, String, String, String)> = Vec::new();
    let refs_of = |ns: &str, refs: &[OwnerReference]| {
        refs.iter()
            .map(|r| {
                (
                    ns.to_string(),
                    r.api_version.clone(),
                    r.kind.clone(),
                    r.name.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    for p in failing {
        queue.extend(refs_of(
            &p.namespace().unwrap_or_default(),
            p.owner_references(),
        ));
    }
    while let Some((ns, api_version, kind, name)) = queue.pop() {
        if !done.insert((ns.clone(), kind.clone(), name.clone())) {
            continue;
        }
        let Some(ar) = owner_resource(&api_version, &kind) else {
            continue;
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &ar);
        match api.get_opt(&name).await {
            Ok(Some(mut o)) => {
                queue.extend(refs_of(&ns, o.owner_references()));
                redact_owner(&mut o);
                owners.push(o);
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(%ns, %kind, %name, error = %ApiError::from(&e), "owner"),
        }
    }
    owners.sort_by_key(|o| {
        (
            o.namespace(),
            o.types.as_ref().map(|t| t.kind.clone()),
            o.name_any(),
        )
    });
    owners
}

/// The failing pods' ServiceAccounts (redacted) and pull secrets (their
/// metadata only), and what could not be read.
struct Credentials {
    service_accounts: Vec<ServiceAccount>,
    pull_secrets: Vec<PullSecret>,
    unread: Vec<Unread>,
}

async fn credentials(client: &kube::Client, failing: &[Pod]) -> Credentials {
    let mut unread_list: Vec<Unread> = Vec::new();
    let mut service_accounts: Vec<ServiceAccount> = Vec::new();
    let mut secret_names: BTreeSet<(String, String)> = BTreeSet::new();
    let sa_keys: BTreeSet<(String, String)> = failing
        .iter()
        .map(|p| (p.namespace().unwrap_or_default(), service_account_of(p)))
        .collect();
    for p in failing {
        for name in pull_secret_names(p) {
            secret_names.insert((p.namespace().unwrap_or_default(), name));
        }
    }
    let missing = |kind: ReadKind, ns: &str, name: &str| Unread {
        kind,
        namespace: ns.to_string(),
        name: name.to_string(),
        outcome: ReadOutcome::Missing,
        message: String::new(),
    };
    for (ns, name) in &sa_keys {
        let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
        match api.get_opt(name).await {
            Ok(Some(mut sa)) => {
                sa.metadata.managed_fields = None;
                redact_sa_annotations(&mut sa.metadata.annotations);
                for name in crate::domain::pod::sa_pull_secret_names(&sa) {
                    secret_names.insert((ns.clone(), name));
                }
                service_accounts.push(sa);
            }
            Ok(None) => unread_list.push(missing(ReadKind::ServiceAccount, ns, name)),
            Err(e) => unread_list.push(unread(ReadKind::ServiceAccount, ns, name, &e)),
        }
    }
    let mut pull_secrets = Vec::new();
    for (ns, name) in &secret_names {
        if name.is_empty() {
            continue;
        }
        let api: Api<Secret> = Api::namespaced(client.clone(), ns);
        match api.get_opt(name).await {
            // Reduced here: the Secret (and its data) is dropped at once.
            Ok(Some(s)) => pull_secrets.push(PullSecret {
                namespace: ns.clone(),
                name: name.clone(),
                info: read_secret(&s),
            }),
            Ok(None) => unread_list.push(missing(ReadKind::Secret, ns, name)),
            Err(e) => unread_list.push(unread(ReadKind::Secret, ns, name, &e)),
        }
    }
    Credentials {
        service_accounts,
        pull_secrets,
        unread: unread_list,
    }
}

/// The last error kept per container, as the file records it.
fn last_errors(inv: &Inventory) -> Vec<LastError> {
    inv.cause_events()
        .into_iter()
        .map(|k| LastError {
            namespace: k.pod.namespace.clone(),
            pod: k.pod.name.clone(),
            pod_uid: k.pod_uid.map(str::to_string),
            container: k.container.map(str::to_string),
            secret_missing: k.secret_missing,
            sandbox: k.sandbox,
            message: k.event.message.clone(),
            first_seen: k.event.first_seen,
            last_seen: k.event.last_seen,
            count: k.event.count,
        })
        .collect()
}

/// The namespaces of the scope, sorted: the one of a namespaced scope; all
/// the cluster's when they can be listed, else those the pods are in.
async fn namespaces(
    client: &kube::Client,
    scope: &Scope,
    failing: &[Pod],
    healthy: &[String],
) -> Vec<String> {
    let mut namespaces: Vec<String> = match scope {
        Scope::Namespace(ns) => vec![ns.clone()],
        Scope::All => {
            let api: Api<Namespace> = Api::all(client.clone());
            match api.list_metadata(&ListParams::default()).await {
                Ok(l) => l.items.into_iter().map(|n| n.name_any()).collect(),
                Err(_) => Vec::new(),
            }
        }
    };
    if namespaces.is_empty() {
        namespaces = failing
            .iter()
            .filter_map(|p| p.namespace())
            .chain(
                healthy
                    .iter()
                    .filter_map(|h| h.split_once('/').map(|(n, _)| n.to_string())),
            )
            .collect();
    }
    namespaces.sort();
    namespaces.dedup();
    namespaces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every place of a pod spec that can carry a credential, each with its
    /// own marker, plus what must survive.
    fn pod_spec(tag: &str) -> Value {
        let t = |what: &str| format!("S3cret{tag}{what}");
        json!({
            "containers": [{
                "name": "app",
                "image": "reg.example:5000/team/app:1.0",
                "command": ["sh", "-c", t("Cmd")],
                "args": [t("Arg")],
                "env": [{"name": "DB_PASSWORD", "value": t("Env")}],
                "livenessProbe": {"exec": {"command": ["redis-cli", "-a", t("Live"), "ping"]}},
                "readinessProbe": {"httpGet": {"path": "/h", "port": 8080, "httpHeaders": [
                    {"name": "Authorization", "value": format!("Bearer {}", t("Hdr"))}
                ]}},
                "startupProbe": {"exec": {"command": ["check", t("Start")]}},
                "lifecycle": {
                    "postStart": {"exec": {"command": ["sh", "-c", t("Post")]}},
                    "preStop": {"httpGet": {"path": "/drain", "port": 8080, "httpHeaders": [
                        {"name": "X-Token", "value": t("StopHdr")}
                    ]}}
                }
            }],
            "initContainers": [{
                "name": "proxy",
                "image": "reg.example:5000/proxy:1",
                "restartPolicy": "Always",
                "env": [{"name": "TOKEN", "value": t("InitEnv")}],
                "readinessProbe": {"exec": {"command": ["curl", "-u", t("InitProbe")]}},
                "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", t("InitStop")]}}}
            }],
            "volumes": [
                {"name": "flex", "flexVolume": {"driver": "example/cifs", "options": {
                    "username": "svc", "password": t("Flex")
                }}},
                {"name": "csi", "csi": {"driver": "secrets.example", "volumeAttributes": {
                    "token": t("Csi")
                }}}
            ]
        })
    }

    fn annotations(tag: &str) -> Value {
        json!({
            "example.com/db-url": format!("postgres://app:S3cret{tag}Ann@db"),
            "sidecar.istio.io/status": format!("{{\"token\":\"S3cret{tag}Status\"}}"),
            LAST_APPLIED: format!("{{\"env\":\"S3cret{tag}Last\"}}"),
            ANN_SKIP_VERIFY: "reg.example:5000",
            ANN_RESTARTED_AT: "2026-11-30T09:00:00Z",
        })
    }

    #[test]
    fn no_credential_of_a_pod_or_its_owner_reaches_the_snapshot_file() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "web-1", "namespace": "shop", "annotations": annotations("Pod")},
            "spec": pod_spec("Pod")
        }))
        .expect("a pod");
        let mut spec = pod_spec("Eph");
        spec["ephemeralContainers"] = json!([{
            "name": "debug", "image": "busybox",
            "command": ["sh", "-c", "S3cretEphCmd"],
            "env": [{"name": "K", "value": "S3cretEphEnv"}]
        }]);
        let mut eph: Pod = serde_json::from_value(json!({
            "metadata": {"name": "web-2", "namespace": "shop"},
            "spec": spec
        }))
        .expect("a pod");
        let mut deploy: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "annotations": annotations("Deploy")},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}, "annotations": annotations("Tpl")},
                    "spec": pod_spec("Tpl")
                }
            }
        }))
        .expect("a deployment");
        let mut cron: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": annotations("Job")},
                "spec": pod_spec("Job")
            }}}}
        }))
        .expect("a cronjob");
        redact_pod(&mut pod);
        redact_pod(&mut eph);
        redact_owner(&mut deploy);
        redact_owner(&mut cron);

        let mut snap = crate::snapshot::parse(crate::snapshot::DEMO).expect("the demo");
        snap.pods = vec![pod, eph];
        snap.owners = vec![deploy, cron];
        let file = crate::snapshot::to_yaml(&snap).expect("yaml");
        let leaks: Vec<&str> = file
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.starts_with("S3cret"))
            .collect();
        assert!(leaks.is_empty(), "in the snapshot file: {leaks:?}");

        // What pulltui needs stays: names, images, ports, the fixes' annotations.
        for kept in [
            "DB_PASSWORD",
            "Authorization",
            "X-Token",
            "example/cifs",
            "reg.example:5000/team/app:1.0",
            "sidecar.istio.io/status",
            "example.com/db-url",
            "2026-11-30T09:00:00Z",
        ] {
            assert!(file.contains(kept), "{kept} is gone");
        }
        let back = crate::snapshot::parse(&file).expect("the file loads");
        let tpl = back.owners[0]
            .data
            .pointer("/spec/template/metadata/annotations");
        assert_eq!(
            tpl.and_then(|a| a.get(ANN_SKIP_VERIFY)),
            Some(&json!("reg.example:5000")),
            "{tpl:?}"
        );
        let anns = back.pods[0].metadata.annotations.as_ref();
        assert_eq!(
            anns.and_then(|a| a.get("example.com/db-url"))
                .map(String::as_str),
            Some(REDACTED)
        );
        assert!(anns.is_some_and(|a| !a.contains_key(LAST_APPLIED)));
    }
}
