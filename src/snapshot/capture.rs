//! `pulltui snapshot`: captures what the console shows, and what the fixes'
//! previews will need, into a `Snapshot`. Lists are paginated (500 a page);
//! healthy pods are kept as names only; secrets are reduced to their
//! metadata (`domain::secrets::read_secret`) the moment they arrive.
//! Progress goes to the `progress` callback (stderr in the CLI).

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, Secret, ServiceAccount};
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use super::format::{
    KIND, LastError, PullSecret, ReadKind, ReadOutcome, Snapshot, Unread, VERSION,
};
use crate::cluster::check::list_all;
use crate::cluster::error::ApiError;
use crate::cluster::{ScopeCheck, Target, check_scope, connect, scoped, strip};
use crate::domain::facts::{EventFact, PodFact, WatchEvent};
use crate::domain::failing::{PodKey, event_pod, is_failing, uid_matches};
use crate::domain::inventory::Inventory;
use crate::domain::scope::Scope;
use crate::domain::secrets::read_secret;

/// What stands in for a redacted value.
pub const REDACTED: &str = "(redacted by pulltui)";

/// Env values, commands and args may hold credentials: never captured.
pub fn redact_pod(pod: &mut Pod) {
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for c in containers {
        for e in c.env.iter_mut().flatten() {
            if e.value.is_some() {
                e.value = Some(REDACTED.into());
            }
        }
        if let Some(cmd) = c.command.as_mut() {
            *cmd = vec![REDACTED.into()];
        }
        if let Some(args) = c.args.as_mut() {
            *args = vec![REDACTED.into()];
        }
    }
    for e in spec.ephemeral_containers.iter_mut().flatten() {
        for v in e.env.iter_mut().flatten() {
            if v.value.is_some() {
                v.value = Some(REDACTED.into());
            }
        }
        e.command = e.command.as_ref().map(|_| vec![REDACTED.into()]);
        e.args = e.args.as_ref().map(|_| vec![REDACTED.into()]);
    }
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
    let mut scope = scope;
    let mut fallback = None;
    if scope == Scope::All {
        match check_scope(&client, &scope).await {
            Ok(ScopeCheck::Allowed) => {}
            Ok(ScopeCheck::Forbidden(m)) => {
                progress(&format!(
                    "not allowed to list pods in all namespaces ({m}); capturing namespace {}",
                    conn.default_namespace
                ));
                fallback = Some(m);
                scope = Scope::Namespace(conn.default_namespace.clone());
            }
            Err(e) => {
                return Err(format!(
                    "cannot reach {}: {}",
                    conn.server,
                    ApiError::from(&e)
                ));
            }
        }
    }
    let captured_at = Timestamp::now();

    // Pods, page by page: failing ones whole, healthy ones as names.
    progress(&format!("listing pods in {scope}…"));
    let pods_api: Api<Pod> = scoped(&client, &scope);
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
            if is_failing(&p) {
                redact_pod(&mut p);
                failing.push(p);
            } else {
                let k = PodKey::of(&p);
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
    let failing_keys: HashMap<PodKey, Option<String>> = failing
        .iter()
        .map(|p| (PodKey::of(p), p.metadata.uid.clone()))
        .collect();

    // Every event about a failing pod.
    let mut events: Vec<Event> = Vec::new();
    if !failing.is_empty() {
        progress("listing events…");
        let api: Api<Event> = scoped(&client, &scope);
        match list_all(&api, Some("involvedObject.kind=Pod")).await {
            Ok(all) => {
                for mut e in all {
                    // The pod's own events only: in its namespace, naming
                    // its uid (`event_pod`, `uid_matches`).
                    let own = event_pod(&e).is_some_and(|key| {
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
    }

    // Owner chains.
    let mut owners: Vec<DynamicObject> = Vec::new();
    let mut done: HashSet<(String, String, String)> = HashSet::new();
    let mut queue: Vec<(String, String, String, String)> = Vec::new();
    for p in &failing {
        let ns = p.namespace().unwrap_or_default();
        for r in p.owner_references() {
            queue.push((
                ns.clone(),
                r.api_version.clone(),
                r.kind.clone(),
                r.name.clone(),
            ));
        }
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
                o.metadata.managed_fields = None;
                if let Some(a) = o.metadata.annotations.as_mut() {
                    a.remove("kubectl.kubernetes.io/last-applied-configuration");
                }
                for r in o.owner_references() {
                    queue.push((
                        ns.clone(),
                        r.api_version.clone(),
                        r.kind.clone(),
                        r.name.clone(),
                    ));
                }
                redact_template(&mut o);
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
    progress(&format!("{} owner objects", owners.len()));

    // ServiceAccounts and pull secrets.
    let mut unread_list: Vec<Unread> = Vec::new();
    let mut service_accounts: Vec<ServiceAccount> = Vec::new();
    let mut secret_names: BTreeSet<(String, String)> = BTreeSet::new();
    let sa_keys: BTreeSet<(String, String)> = failing
        .iter()
        .map(|p| {
            let sa = p
                .spec
                .as_ref()
                .and_then(|s| s.service_account_name.clone().or(s.service_account.clone()))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".into());
            (p.namespace().unwrap_or_default(), sa)
        })
        .collect();
    for p in &failing {
        for r in p
            .spec
            .as_ref()
            .and_then(|s| s.image_pull_secrets.as_deref())
            .unwrap_or_default()
        {
            secret_names.insert((p.namespace().unwrap_or_default(), r.name.clone()));
        }
    }
    for (ns, name) in &sa_keys {
        let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
        match api.get_opt(name).await {
            Ok(Some(mut sa)) => {
                sa.metadata.managed_fields = None;
                for r in sa.image_pull_secrets.iter().flatten() {
                    secret_names.insert((ns.clone(), r.name.clone()));
                }
                service_accounts.push(sa);
            }
            Ok(None) => unread_list.push(Unread {
                kind: ReadKind::ServiceAccount,
                namespace: ns.clone(),
                name: name.clone(),
                outcome: ReadOutcome::Missing,
                message: String::new(),
            }),
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
            Ok(None) => unread_list.push(Unread {
                kind: ReadKind::Secret,
                namespace: ns.clone(),
                name: name.clone(),
                outcome: ReadOutcome::Missing,
                message: String::new(),
            }),
            Err(e) => unread_list.push(unread(ReadKind::Secret, ns, name, &e)),
        }
    }
    progress(&format!(
        "{} ServiceAccounts, {} pull secrets (metadata only)",
        service_accounts.len(),
        pull_secrets.len()
    ));

    // The cause kept per container, as the console keeps it.
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    for p in &failing {
        inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(p.clone())));
    }
    inv.apply_pod(WatchEvent::InitDone);
    for e in events
        .iter()
        .filter_map(|e| EventFact::from_row_event(e, captured_at))
    {
        inv.apply_event(WatchEvent::Apply(e));
    }
    let last_errors = inv
        .cause_events()
        .into_iter()
        .map(|k| LastError {
            namespace: k.pod.namespace.clone(),
            pod: k.pod.name.clone(),
            pod_uid: k.pod_uid.map(str::to_string),
            container: k.container.map(str::to_string),
            secret_missing: k.secret_missing,
            message: k.event.message.clone(),
            first_seen: k.event.first_seen,
            last_seen: k.event.last_seen,
            count: k.event.count,
        })
        .collect();

    let mut namespaces: Vec<String> = match &scope {
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
    healthy.sort();

    Ok(Snapshot {
        kind: KIND.into(),
        version: VERSION,
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
        service_accounts,
        pull_secrets,
        unread: unread_list,
        last_errors,
    })
}

/// Pod templates of owners hold the same env/command/args as pods.
fn redact_template(o: &mut DynamicObject) {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    match k.as_str() {
                        "command" | "args" if child.is_array() => {
                            *child = serde_json::json!([REDACTED]);
                        }
                        "env" if child.is_array() => {
                            if let Some(list) = child.as_array_mut() {
                                for e in list {
                                    if let Some(val) = e.get_mut("value") {
                                        *val = serde_json::Value::String(REDACTED.into());
                                    }
                                }
                            }
                        }
                        _ => walk(child),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut o.data);
}
