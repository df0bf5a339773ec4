//! `pulltui check`, live: one list of pods and `Failed` events, the same
//! inventory and rows as the console (`domain::report::Report`; `cli::check`
//! prints it).

use std::collections::HashSet;

use futures::StreamExt;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use kube::core::ObjectList;

use super::error::ApiError;
use super::{Connection, Target, connect, resolve_owner, scoped, strip};
use crate::domain::facts::{EventFact, PodFact, WatchEvent};
use crate::domain::inventory::Inventory;
use crate::domain::report::Report;
use crate::domain::scope::Scope;

/// Owner lookups in flight at once.
const OWNER_LOOKUPS: usize = 8;

/// Lists in pages of 500 and hands each page to `page` as it arrives, so
/// memory holds one page, not the cluster.
pub async fn list_pages<K>(
    api: &Api<K>,
    fields: Option<&str>,
    mut page: impl FnMut(Vec<K>),
) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(f) = fields {
            lp = lp.fields(f);
        }
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let list: ObjectList<K> = api.list(&lp).await?;
        page(list.items);
        match list.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(()),
        }
    }
}

pub async fn list_all<K>(api: &Api<K>, fields: Option<&str>) -> Result<Vec<K>, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    list_pages(api, fields, |items| out.extend(items)).await?;
    Ok(out)
}

/// Lists, classifies and resolves owners.
pub async fn run(target: &Target, scope: Scope) -> Result<Report, String> {
    let conn: Connection = connect(target).await.map_err(|e| e.to_string())?;
    let (scope, fallback) = super::resolve_scope(&conn, scope).await?;
    // Streamed: each page is reduced to facts (a healthy pod is its key)
    // before the next is asked for, as the console's watcher does.
    let pods: Api<Pod> = scoped(&conn.client, &scope);
    let mut pods_seen = 0;
    let cluster = conn.cluster_id();
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    list_pages(&pods, None, |page| {
        for mut p in page {
            pods_seen += 1;
            strip(&mut p);
            inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(&cluster, p)));
        }
    })
    .await
    .map_err(|e| format!("listing pods in {scope}: {}", ApiError::from(&e)))?;
    let owners = inv.apply_pod(WatchEvent::InitDone);
    if !inv.failing.is_empty() {
        // Causes of ImagePullBackOff are in events; a missing permission
        // only costs the cause, not the report.
        let events: Api<Event> = scoped(&conn.client, &scope);
        let failing: HashSet<_> = inv.failing.keys().cloned().collect();
        for fields in [
            super::EVENT_FIELDS,
            super::SECRET_EVENT_FIELDS,
            super::SANDBOX_EVENT_FIELDS,
        ] {
            let listed = list_pages(&events, Some(fields), |page| {
                let now = jiff::Timestamp::now();
                for e in page
                    .iter()
                    .filter_map(|e| EventFact::from_event(&cluster, e, now))
                {
                    if failing.contains(&e.pod) {
                        inv.apply_event(WatchEvent::Apply(e));
                    }
                }
            })
            .await;
            if let Err(e) = listed {
                tracing::warn!(error = %ApiError::from(&e), "listing events");
            }
        }
        let lookups = owners.into_iter().map(|o| {
            let client = conn.client.clone();
            async move {
                let l = resolve_owner(&client, &o).await;
                (o, l)
            }
        });
        // Eight at a time, as the console: unbounded, 500 failing pods were
        // 500 TLS connections at once (most of `check`'s peak memory).
        let mut answers = futures::stream::iter(lookups).buffer_unordered(OWNER_LOOKUPS);
        while let Some((o, l)) = answers.next().await {
            inv.apply_owner(o, l);
        }
    }
    Ok(Report {
        context: conn.context,
        server: Some(conn.server),
        scope,
        fallback,
        pods_seen,
        rows: inv.sorted_rows(),
        captured_at: None,
    })
}
