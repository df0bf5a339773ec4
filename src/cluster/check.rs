//! `pulltui check`, live: one list of pods and `Failed` events, the same
//! inventory and rows as the console (`domain::report::Report`; `cli::check`
//! prints it).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use futures::StreamExt;

use k8s_openapi::api::core::v1::{Event, Pod, Secret};
use kube::api::{Api, ListParams};
use kube::core::ObjectList;

use super::error::ApiError;
use super::{Connection, Target, connect, resolve_owner, scoped, strip};
use crate::domain::facts::{EventFact, PodFact, WatchEvent};
use crate::domain::inventory::Inventory;
use crate::domain::pod::pull_secret_names;
use crate::domain::report::{PodSecrets, Report};
use crate::domain::scope::Scope;
use crate::domain::secrets::{SecretInfo, read_secret};

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

/// Distinct pull secrets read at most (a hostile tenant's pods can name
/// thousands).
const MAX_SECRETS: usize = 500;

/// The pull secrets in force of each failing pod (its own
/// `imagePullSecrets`, which the kubelet uses), each read once, eight at a
/// time, and reduced to hosts, usernames and expiries the moment it
/// arrives. What cannot be read (forbidden, missing) is left out: the
/// expiry is then unknown, and `check` does not fail for it.
pub async fn read_pull_secrets(client: &kube::Client, inv: &Inventory) -> PodSecrets {
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut per_pod: Vec<((String, String), Vec<String>)> = Vec::new();
    for (key, fp) in &inv.failing {
        let names = pull_secret_names(&fp.pod);
        for n in &names {
            if wanted.len() < MAX_SECRETS {
                wanted.insert((key.namespace.clone(), n.clone()));
            }
        }
        per_pod.push(((key.namespace.clone(), key.name.clone()), names));
    }
    let reads = wanted.into_iter().map(|(ns, name)| {
        let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
        async move {
            let got = api.get_opt(&name).await;
            let info = match got {
                Ok(Some(s)) => Some(read_secret(&s)),
                Ok(None) => None,
                Err(e) => {
                    tracing::debug!(%ns, %name, error = %ApiError::from(&e), "reading pull secret");
                    None
                }
            };
            ((ns, name), info)
        }
    });
    let mut read: BTreeMap<(String, String), SecretInfo> = BTreeMap::new();
    let mut answers = futures::stream::iter(reads).buffer_unordered(OWNER_LOOKUPS);
    while let Some((k, info)) = answers.next().await {
        if let Some(info) = info {
            read.insert(k, info);
        }
    }
    pod_secrets(per_pod, &read)
}

/// Each pod's pull secrets that were read, by name, in spec order.
pub fn pod_secrets(
    per_pod: Vec<((String, String), Vec<String>)>,
    read: &BTreeMap<(String, String), SecretInfo>,
) -> PodSecrets {
    per_pod
        .into_iter()
        .map(|((ns, pod), names)| {
            let found = names
                .into_iter()
                .filter_map(|n| Some((n.clone(), read.get(&(ns.clone(), n))?.clone())))
                .collect();
            ((ns, pod), found)
        })
        .collect()
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
    let pull_secrets = read_pull_secrets(&conn.client, &inv).await;
    Ok(Report {
        pull_secrets,
        context: conn.context,
        server: Some(conn.server),
        scope,
        fallback,
        pods_seen,
        rows: inv.sorted_rows(),
        captured_at: None,
    })
}
