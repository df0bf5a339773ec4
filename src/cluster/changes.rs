//! Reads what changed in a window from the cluster itself (no agent):
//! workloads' new revisions — Deployments' ReplicaSets, StatefulSets' and
//! DaemonSets' ControllerRevisions — (image from → to, the registry
//! annotations pulltui knows added or removed, who per `managedFields`),
//! pull secrets created or changed (metadata only: never their data) and
//! those the pods reference that do not exist, ServiceAccounts whose
//! `imagePullSecrets` changed, nodes that joined. What may not be read is
//! left out (logged), never guessed.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::core::v1::{Node, Pod, PodTemplateSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, OwnerReference};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::domain::changes::{Change, Kind};
use crate::domain::image::ImageRef;
use crate::domain::mutation::{ANN_HTTP_ENDPOINT, ANN_SKIP_VERIFY};

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
                        node: Some(n.name_any()),
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

fn images(t: Option<&PodTemplateSpec>) -> Vec<String> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The registry annotations pulltui knows on a pod template.
fn known_annotations(t: Option<&PodTemplateSpec>) -> BTreeMap<&'static str, String> {
    let anns = t.and_then(|t| t.metadata.as_ref()?.annotations.as_ref());
    [ANN_SKIP_VERIFY, ANN_HTTP_ENDPOINT]
        .into_iter()
        .filter_map(|k| Some((k, anns?.get(k)?.clone())))
        .collect()
}

/// One revision of a workload's pod template: a Deployment's ReplicaSet,
/// a StatefulSet's or DaemonSet's ControllerRevision.
struct Revision {
    number: i64,
    created: Option<Timestamp>,
    template: Option<PodTemplateSpec>,
}

/// A workload whose revisions were read, its owner verified by uid.
struct Workload {
    /// `Deployment`, `StatefulSet`, `DaemonSet`.
    kind: &'static str,
    ns: String,
    name: String,
    /// Its writers (the owner's `managedFields`).
    fields: Vec<ManagedFieldsEntry>,
    /// In revision order.
    revisions: Vec<Revision>,
}

fn revision(rs: &ReplicaSet) -> i64 {
    rs.annotations()
        .get("deployment.kubernetes.io/revision")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The controller reference of `kind` of an object.
fn controller<'a>(refs: &'a [OwnerReference], kind: &str) -> Option<&'a OwnerReference> {
    refs.iter()
        .find(|o| o.kind == kind && o.controller == Some(true))
}

/// The owner's `managedFields` when it is the object named, with that uid:
/// a revision a tenant wrote naming another owner is not that owner's.
async fn verified<K>(api: &Api<K>, name: &str, uid: &str) -> Option<Vec<ManagedFieldsEntry>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.get_opt(name).await {
        Ok(Some(o)) if o.meta().uid.as_deref() == Some(uid) => {
            Some(o.meta().managed_fields.clone().unwrap_or_default())
        }
        _ => None,
    }
}

/// Deployments and their ReplicaSets.
async fn deployments(client: &Client, ns: &str) -> Vec<Workload> {
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
    let mut by_owner: BTreeMap<(String, String), Vec<Revision>> = BTreeMap::new();
    for rs in list {
        if let Some(o) = controller(rs.owner_references(), "Deployment") {
            let key = (o.name.clone(), o.uid.clone());
            by_owner.entry(key).or_default().push(Revision {
                number: revision(&rs),
                created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
                template: rs.spec.and_then(|s| s.template),
            });
        }
    }
    let api = Api::<Deployment>::namespaced(client.clone(), ns);
    let mut out = Vec::new();
    for ((name, uid), revisions) in by_owner {
        if let Some(fields) = verified(&api, &name, &uid).await {
            out.push(Workload {
                kind: "Deployment",
                ns: ns.to_string(),
                name,
                fields,
                revisions,
            });
        }
    }
    out
}

/// StatefulSets and DaemonSets and their ControllerRevisions (the pod
/// template is in `data.spec.template`).
async fn controller_revisions(client: &Client, ns: &str) -> Vec<Workload> {
    let list = match Api::<ControllerRevision>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            tracing::debug!(error = %e, ns, "listing ControllerRevisions for what changed");
            return Vec::new();
        }
    };
    let mut by_owner: BTreeMap<(&'static str, String, String), Vec<Revision>> = BTreeMap::new();
    for cr in list {
        let owner = ["StatefulSet", "DaemonSet"]
            .into_iter()
            .find_map(|k| controller(cr.owner_references(), k).map(|o| (k, o)));
        let Some((kind, o)) = owner else { continue };
        let template = cr
            .data
            .as_ref()
            .and_then(|d| d.0.pointer("/spec/template"))
            .and_then(|t| serde_json::from_value::<PodTemplateSpec>(t.clone()).ok());
        by_owner
            .entry((kind, o.name.clone(), o.uid.clone()))
            .or_default()
            .push(Revision {
                number: cr.revision,
                created: cr.metadata.creation_timestamp.as_ref().map(|t| t.0),
                template,
            });
    }
    let sts = Api::<StatefulSet>::namespaced(client.clone(), ns);
    let ds = Api::<DaemonSet>::namespaced(client.clone(), ns);
    let mut out = Vec::new();
    for ((kind, name, uid), revisions) in by_owner {
        let fields = match kind {
            "StatefulSet" => verified(&sts, &name, &uid).await,
            _ => verified(&ds, &name, &uid).await,
        };
        if let Some(fields) = fields {
            out.push(Workload {
                kind,
                ns: ns.to_string(),
                name,
                fields,
                revisions,
            });
        }
    }
    out
}

/// Every workload's revisions created in the window: the image before
/// and after, the registry annotations added or removed, and who changed
/// the workload last before it.
async fn rollouts(
    client: &Client,
    ns: &str,
    within: &impl Fn(Option<Timestamp>) -> bool,
) -> Vec<Change> {
    let mut workloads = deployments(client, ns).await;
    workloads.extend(controller_revisions(client, ns).await);
    let mut out = Vec::new();
    for mut w in workloads {
        w.revisions.sort_by_key(|r| r.number);
        for (i, r) in w.revisions.iter().enumerate() {
            if within(r.created) {
                let before = i.checked_sub(1).and_then(|b| w.revisions.get(b));
                out.extend(revision_changes(&w, before, r));
            }
        }
    }
    out
}

/// What one revision changed against the one before it.
fn revision_changes(w: &Workload, before: Option<&Revision>, r: &Revision) -> Vec<Change> {
    let (kind, ns, name) = (w.kind, w.ns.as_str(), w.name.as_str());
    let after = images(r.template.as_ref());
    let was = before
        .map(|b| images(b.template.as_ref()))
        .unwrap_or_default();
    let what = match was.is_empty() {
        true => format!("created with image {}", after.join(", ")),
        false if was == after => format!(
            "rolled out (image unchanged: {}), revision {}",
            after.join(", "),
            r.number
        ),
        false => format!(
            "image {} → {}, revision {}",
            was.join(", "),
            after.join(", "),
            r.number
        ),
    };
    // Who: the workload's latest writer up to the new revision, as the
    // writer named itself (a field manager is the client's word).
    let by = r.created.and_then(|c| {
        latest(&w.fields, |f| {
            f.operation.as_deref() != Some("Update") || f.subresource.as_deref() != Some("status")
        })
        .filter(|(t, _)| t.as_second() <= c.as_second() + 5)
        .map(|(_, m)| m.to_string())
    });
    let registries: Vec<String> = after
        .iter()
        .filter_map(|i| ImageRef::parse(i).ok().map(|r| r.registry))
        .collect();
    let object = format!("{kind} {ns}/{name}");
    let mut out = vec![Change {
        kind: Kind::Rollout,
        at: r.created,
        object: object.clone(),
        namespace: Some(ns.to_string()),
        registries: registries.clone(),
        images: after.clone(),
        node: None,
        summary: format!("{kind} {ns}/{name} {what}"),
        by: by.clone(),
    }];
    // The registry annotations: only between two revisions (a first one
    // changed nothing that was there).
    if let Some(b) = before {
        let (old, new) = (
            known_annotations(b.template.as_ref()),
            known_annotations(r.template.as_ref()),
        );
        for key in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
            let said = match (old.get(key), new.get(key)) {
                (None, Some(v)) => format!("added {key}={v}"),
                (Some(v), None) => format!("removed {key} (was {v})"),
                (Some(a), Some(b)) if a != b => format!("changed {key}: {a} → {b}"),
                _ => continue,
            };
            out.push(Change {
                kind: Kind::Annotation,
                at: r.created,
                object: object.clone(),
                namespace: Some(ns.to_string()),
                registries: registries.clone(),
                images: Vec::new(),
                node: None,
                summary: format!("{kind} {ns}/{name}: pod template {said}"),
                by: by.clone(),
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
            node: None,
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
            for name in crate::domain::pod::sa_pull_secret_names(&sa) {
                referenced
                    .entry(name)
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
                node: None,
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
            let now = crate::domain::pod::sa_pull_secret_names(&sa);
            out.push(Change {
                kind: Kind::ServiceAccount,
                at: Some(t),
                object: format!("ServiceAccount {ns}/{}", sa.name_any()),
                namespace: Some(ns.to_string()),
                registries: Vec::new(),
                images: Vec::new(),
                node: None,
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
