//! `pulltui check`: one list of pods and `Failed` events, the same
//! inventory and rows as the console, printed as a table or JSON.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use kube::core::ObjectList;
use serde::Serialize;

use super::{
    Connection, ScopeCheck, Target, check_scope, connect, describe, resolve_owner, scoped, strip,
};
use crate::app::Scope;
use crate::app::inventory::{EventFact, Inventory, PodFact, WatchEvent};
use crate::domain::failing::{FailureRow, Workload};

/// What `check` found.
pub struct Report {
    pub context: Option<String>,
    pub scope: Scope,
    /// Set when the requested scope was forbidden and the context's namespace was used.
    pub fallback: Option<String>,
    pub pods_seen: usize,
    pub rows: Vec<FailureRow>,
}

/// `check --json`: `{"pods": [...]}`.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    pub pods: Vec<CheckPod<'a>>,
}

#[derive(Debug, Serialize)]
pub struct CheckPod<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub workload: Option<&'a Workload>,
    pub container: &'a str,
    pub image: &'a str,
    pub registry: Option<&'a str>,
    pub reason: &'a str,
    pub category: &'a str,
    pub message: &'a str,
    pub since: Option<String>,
}

impl<'a> CheckJson<'a> {
    pub fn new(rows: &'a [FailureRow]) -> Self {
        CheckJson {
            pods: rows
                .iter()
                .map(|r| CheckPod {
                    namespace: &r.namespace,
                    name: &r.pod,
                    workload: r.workload.as_ref(),
                    container: &r.container,
                    image: &r.image,
                    registry: r.registry.as_deref(),
                    reason: &r.reason,
                    category: r.category.id(),
                    message: &r.message,
                    since: r.since.map(|t| t.to_string()),
                })
                .collect(),
        }
    }
}

async fn list_all<K>(api: &Api<K>, fields: Option<&str>) -> Result<Vec<K>, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(f) = fields {
            lp = lp.fields(f);
        }
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page: ObjectList<K> = api.list(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// Lists, classifies and resolves owners; errors are sentences.
pub async fn run(target: &Target, scope: Scope) -> Result<Report, String> {
    let conn: Connection = connect(target).await?;
    let mut scope = scope;
    let mut fallback = None;
    if scope == Scope::All {
        match check_scope(&conn.client, &scope).await {
            Ok(ScopeCheck::Allowed) => {}
            Ok(ScopeCheck::Forbidden(m)) => {
                fallback = Some(m);
                scope = Scope::Namespace(conn.default_namespace.clone());
            }
            Err(e) => return Err(format!("cannot reach {}: {}", conn.server, describe(&e))),
        }
    }
    let pods: Api<Pod> = scoped(&conn.client, &scope);
    let pods = list_all(&pods, None)
        .await
        .map_err(|e| format!("listing pods in {scope}: {}", describe(&e)))?;
    let pods_seen = pods.len();
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    for mut p in pods {
        strip(&mut p);
        inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(p)));
    }
    let owners = inv.apply_pod(WatchEvent::InitDone);
    if !inv.failing.is_empty() {
        // Causes of ImagePullBackOff are in events; a missing permission
        // only costs the cause, not the report.
        let events: Api<Event> = scoped(&conn.client, &scope);
        let failing: HashSet<_> = inv.failing.keys().cloned().collect();
        for fields in [super::EVENT_FIELDS, super::SECRET_EVENT_FIELDS] {
            match list_all(&events, Some(fields)).await {
                Ok(evs) => {
                    for e in evs.iter().filter_map(EventFact::from_event) {
                        if failing.contains(&e.pod) {
                            inv.apply_event(WatchEvent::Apply(e));
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %describe(&e), "listing events"),
            }
        }
        let lookups = owners.into_iter().map(|o| {
            let client = conn.client.clone();
            async move {
                let l = resolve_owner(&client, &o).await;
                (o, l)
            }
        });
        for (o, l) in futures::future::join_all(lookups).await {
            inv.apply_owner(o, l);
        }
    }
    inv.refresh();
    let mut rows: Vec<FailureRow> = inv.rows().cloned().collect();
    rows.sort_by(|a, b| {
        (&a.namespace, &a.pod, !a.init, &a.container).cmp(&(
            &b.namespace,
            &b.pod,
            !b.init,
            &b.container,
        ))
    });
    Ok(Report {
        context: conn.context,
        scope,
        fallback,
        pods_seen,
        rows,
    })
}
