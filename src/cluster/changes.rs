//! Reads what changed in a window from the cluster itself (no agent):
//! Deployments' new ReplicaSets (image from → to, who per `managedFields`),
//! pull secrets created or changed (metadata only: never their data) and
//! those the pods reference that do not exist, ServiceAccounts whose
//! `imagePullSecrets` changed, nodes that joined. What may not be read is
//! left out (logged), never guessed.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Node, Pod, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::domain::changes::{Change, Kind};
use crate::domain::image::ImageRef;

const DOCKERCONFIGJSON: &str = "type=kubernetes.io/dockerconfigjson";

/// The changes in `namespaces` (and the nodes) between `from` and `to`.
pub async fn read(
    client: &Client,
    namespaces: &BTreeSet<String>,
    from: Timestamp,
    to: Timestamp,
) -> Vec<Change> {
    let within = |t: Option<Timestamp>| t.is_some_and(|t| t >= from && t <= to);
    let mut out = Vec::new();
    for ns in namespaces {
        out.extend(rollouts(client, ns, &within).await);
        out.extend(secrets(client, ns, &within).await);
        out.extend(service_accounts(client, ns, &within).await);
    }
    match Api::<Node>::all(client.clone())
        .list_metadata(&ListParams::default())
        .await
    {
        Ok(list) => {
            for n in list {
                let created = n.metadata.creation_timestamp.as_ref().map(|t| t.0);
                if within(created) {
                    out.push(Change {
                        kind: Kind::Node,
                        at: created,
                        object: format!("Node {}", n.name_any()),
                        namespace: None,
                        registries: Vec::new(),
                        images: Vec::new(),
                        summary: format!(
                            "node {} joined: it has no image cached, every pod there pulls",
                            n.name_any()
                        ),
                        by: None,
                    });
                }
            }
        }
        Err(e) => tracing::debug!(error = %e, "listing nodes for what changed"),
    }
    out
}

/// The latest `managedFields` entry (time and manager) matching `pred`.
fn latest(
    fields: &[ManagedFieldsEntry],
    pred: impl Fn(&ManagedFieldsEntry) -> bool,
) -> Option<(Timestamp, &str)> {
    fields
        .iter()
        .filter(|f| pred(f))
        .filter_map(|f| {
            Some((
                f.time.as_ref()?.0,
                f.manager.as_deref().unwrap_or("unknown"),
            ))
        })
        .max_by_key(|(t, _)| *t)
}

fn images(t: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>) -> Vec<String> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn revision(rs: &ReplicaSet) -> i64 {
    rs.annotations()
        .get("deployment.kubernetes.io/revision")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Deployments' ReplicaSets created in the window: the image before and
/// after, and who changed the Deployment last before it.
async fn rollouts(
    client: &Client,
    ns: &str,
    within: &impl Fn(Option<Timestamp>) -> bool,
) -> Vec<Change> {
    let list = match Api::<ReplicaSet>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            tracing::debug!(error = %e, ns, "listing ReplicaSets for what changed");
            return Vec::new();
        }
    };
    // By owner name and uid: a ReplicaSet a tenant wrote naming another
    // Deployment as its owner is not that Deployment's (checked below).
    let mut by_owner: BTreeMap<(String, String), Vec<&ReplicaSet>> = BTreeMap::new();
    for rs in &list {
        if let Some(o) = rs
            .owner_references()
            .iter()
            .find(|o| o.kind == "Deployment" && o.controller == Some(true))
        {
            by_owner
                .entry((o.name.clone(), o.uid.clone()))
                .or_default()
                .push(rs);
        }
    }
    let deployments = Api::<Deployment>::namespaced(client.clone(), ns);
    let mut out = Vec::new();
    for ((name, uid), mut sets) in by_owner {
        let owner = match deployments.get_opt(&name).await {
            Ok(Some(d)) if d.metadata.uid.as_deref() == Some(uid.as_str()) => d,
            _ => continue,
        };
        sets.sort_by_key(|rs| revision(rs));
        for (i, rs) in sets.iter().enumerate() {
            let created = rs.metadata.creation_timestamp.as_ref().map(|t| t.0);
            if !within(created) {
                continue;
            }
            let after = images(rs.spec.as_ref().and_then(|s| s.template.as_ref()));
            let before = match i {
                0 => Vec::new(),
                _ => images(sets[i - 1].spec.as_ref().and_then(|s| s.template.as_ref())),
            };
            let what = match before.is_empty() {
                true => format!("created with image {}", after.join(", ")),
                false if before == after => format!(
                    "rolled out (image unchanged: {}), revision {}",
                    after.join(", "),
                    revision(rs)
                ),
                false => format!(
                    "image {} → {}, revision {}",
                    before.join(", "),
                    after.join(", "),
                    revision(rs)
                ),
            };
            // Who: the Deployment's latest writer up to the new set, as
            // the writer named itself (a field manager is the client's word).
            let by = created.and_then(|c| {
                latest(owner.managed_fields(), |f| {
                    f.operation.as_deref() != Some("Update")
                        || f.subresource.as_deref() != Some("status")
                })
                .filter(|(t, _)| t.as_second() <= c.as_second() + 5)
                .map(|(_, m)| m.to_string())
            });
            let registries = after
                .iter()
                .filter_map(|i| ImageRef::parse(i).ok().map(|r| r.registry))
                .collect();
            out.push(Change {
                kind: Kind::Rollout,
                at: created,
                object: format!("Deployment {ns}/{name}"),
                namespace: Some(ns.to_string()),
                registries,
                images: after.clone(),
                summary: format!("Deployment {ns}/{name} {what}"),
                by,
            });
        }
    }
    out
}

/// Pull secrets (metadata only) created or changed in the window, and
/// those the namespace's pods or ServiceAccounts reference that do not
/// exist.
async fn secrets(
    client: &Client,
    ns: &str,
    within: &impl Fn(Option<Timestamp>) -> bool,
) -> Vec<Change> {
    let api = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), ns);
    let list = match api
        .list_metadata(&ListParams::default().fields(DOCKERCONFIGJSON))
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            tracing::debug!(error = %e, ns, "listing pull secrets for what changed");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for s in &list {
        let created = s.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let Some((t, manager)) = latest(s.managed_fields(), |_| true) else {
            continue;
        };
        if !within(Some(t)) {
            continue;
        }
        let verb = match created.is_some_and(|c| (c.as_second() - t.as_second()).abs() <= 2) {
            true => "created",
            false => "changed",
        };
        out.push(Change {
            kind: Kind::PullSecret,
            at: Some(t),
            object: format!("Secret {ns}/{}", s.name_any()),
            namespace: Some(ns.to_string()),
            registries: Vec::new(),
            images: Vec::new(),
            summary: format!("pull secret {ns}/{} {verb}", s.name_any()),
            by: Some(manager.to_string()),
        });
    }
    // Everything a secret's name can be referenced from here.
    let all_secrets: BTreeSet<String> = match api.list_metadata(&ListParams::default()).await {
        Ok(l) => l.items.iter().map(|s| s.name_any()).collect(),
        Err(_) => return out,
    };
    let mut referenced: BTreeMap<String, String> = BTreeMap::new();
    if let Ok(pods) = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        for p in pods {
            for r in crate::domain::pod::pull_secret_names(&p) {
                referenced
                    .entry(r)
                    .or_insert_with(|| format!("pod {}", p.name_any()));
            }
        }
    }
    if let Ok(sas) = Api::<ServiceAccount>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        for sa in sas {
            for r in sa.image_pull_secrets.iter().flatten() {
                referenced
                    .entry(r.name.clone())
                    .or_insert_with(|| format!("ServiceAccount {}", sa.name_any()));
            }
        }
    }
    for (name, from) in referenced {
        if !all_secrets.contains(&name) {
            out.push(Change {
                kind: Kind::PullSecretMissing,
                at: None,
                object: format!("Secret {ns}/{name}"),
                namespace: Some(ns.to_string()),
                registries: Vec::new(),
                images: Vec::new(),
                summary: format!(
                    "pull secret {ns}/{name}, referenced by {from}, does not exist (deleted, or \
                     never created; the API server keeps no time of a deletion)"
                ),
                by: None,
            });
        }
    }
    out
}

/// ServiceAccounts whose `imagePullSecrets` were written in the window.
async fn service_accounts(
    client: &Client,
    ns: &str,
    within: &impl Fn(Option<Timestamp>) -> bool,
) -> Vec<Change> {
    let Ok(list) = Api::<ServiceAccount>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for sa in list {
        let touches = |f: &ManagedFieldsEntry| {
            f.fields_v1
                .as_ref()
                .is_some_and(|v| v.0.get("f:imagePullSecrets").is_some())
        };
        if let Some((t, manager)) = latest(sa.managed_fields(), touches)
            && within(Some(t))
        {
            let now: Vec<String> = sa
                .image_pull_secrets
                .iter()
                .flatten()
                .map(|r| r.name.clone())
                .collect();
            out.push(Change {
                kind: Kind::ServiceAccount,
                at: Some(t),
                object: format!("ServiceAccount {ns}/{}", sa.name_any()),
                namespace: Some(ns.to_string()),
                registries: Vec::new(),
                images: Vec::new(),
                summary: format!(
                    "ServiceAccount {ns}/{} imagePullSecrets written (now: {})",
                    sa.name_any(),
                    match now.is_empty() {
                        true => "none".to_string(),
                        false => now.join(", "),
                    }
                ),
                by: Some(manager.to_string()),
            });
        }
    }
    out
}
