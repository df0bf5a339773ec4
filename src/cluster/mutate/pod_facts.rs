//! What a fix needs to know about a pod, read from the cluster: its
//! failing parts and their categories (status and events), its write
//! target, its pull secrets, and the failing pods of the same controller.

use super::*;

/// The latest cause-carrying `Failed` event per container, and the
/// pod's latest `FailedToRetrieveImagePullSecret`, from the pod's events.
async fn pod_events(client: &Client, pod: &Pod) -> Vec<Event> {
    let ns = pod.namespace().unwrap_or_default();
    let api: Api<Event> = Api::namespaced(client.clone(), &ns);
    let mut fields = format!(
        "involvedObject.kind=Pod,involvedObject.name={}",
        pod.name_any()
    );
    if let Some(uid) = pod.uid() {
        fields.push_str(&format!(",involvedObject.uid={uid}"));
    }
    match api.list(&ListParams::default().fields(&fields)).await {
        Ok(l) => l.items,
        Err(e) => {
            tracing::debug!(error = %super::super::describe(&e), "listing pod events");
            Vec::new()
        }
    }
}

fn latest(events: &[Event], reason: &str, container: Option<&str>) -> Option<CauseEvent> {
    events
        .iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter(|e| {
            container.is_none_or(|c| {
                e.involved_object
                    .field_path
                    .as_deref()
                    .and_then(crate::domain::failing::container_of_field_path)
                    .is_none_or(|fc| fc == c)
            })
        })
        .filter(|e| {
            reason != "Failed"
                || crate::domain::failing::event_has_cause(e.message.as_deref().unwrap_or(""))
        })
        .map(|e| {
            let (first, last, count) =
                crate::domain::failing::event_timing(e, jiff::Timestamp::now());
            CauseEvent {
                message: e.message.clone().unwrap_or_default(),
                first_seen: first,
                last_seen: last,
                count,
            }
        })
        .max_by_key(|c| c.last_seen)
}

/// The failing parts of `pod` (containers, image volumes, the sandbox)
/// with their categories and facets (from status and events).
pub async fn classify_pod(client: &Client, cluster: &ClusterId, pod: &Pod) -> Vec<FailureRow> {
    if !crate::domain::failing::may_be_failing(pod) {
        return Vec::new();
    }
    let events = pod_events(client, pod).await;
    let secret_event = latest(&events, "FailedToRetrieveImagePullSecret", None);
    let sandbox_event = latest(&events, crate::domain::failing::SANDBOX_REASON, None);
    let mut per: Vec<(String, Option<CauseEvent>)> = failing_containers(pod)
        .iter()
        .map(|c| (c.name.to_string(), latest(&events, "Failed", Some(c.name))))
        .collect();
    // About the pod itself (an image volume's pull, before any container).
    per.push((String::new(), latest(&events, "Failed", None)));
    let lookup = |c: &str| {
        per.iter()
            .find(|(n, _)| n == c)
            .and_then(|(_, e)| e.as_ref())
    };
    failure_rows(
        cluster,
        pod,
        &NoOwners,
        &lookup,
        secret_event.as_ref(),
        sandbox_event.as_ref(),
    )
}

/// What `plan` needs about a pod, read from the cluster.
#[derive(Debug, Clone)]
pub struct PodFacts {
    /// The cluster the pod was read from (its key's).
    pub cluster: crate::domain::cluster_id::ClusterId,
    pub context: PodContext,
    pub pod: Pod,
    /// The pod's failing parts, their categories and facets.
    pub failing: Vec<FailureRow>,
    /// Why the pod's named controller is not believed (it is treated as a
    /// bare pod), for the preview.
    pub owner_doubt: Option<String>,
}

/// Reads the pod, its write target, its failure and what else a fix needs.
pub async fn pod_facts(
    client: &Client,
    key: &PodKey,
    container: Option<&str>,
) -> Result<PodFacts, MutationError> {
    let (namespace, name) = (key.namespace.as_str(), key.name.as_str());
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = pods
        .get(name)
        .await
        .map_err(|e| MutationError::api("reading", format!("Pod {namespace}/{name}"), e))?;
    let (target, owner_doubt) = super::super::owner_target::resolve_target(client, &pod).await?;
    let failing = classify_pod(client, &key.cluster, &pod).await;
    let spec = pod.spec.clone().unwrap_or_default();
    let all: Vec<(bool, &k8s_openapi::api::core::v1::Container)> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| (true, c))
        .chain(spec.containers.iter().map(|c| (false, c)))
        .collect();
    let chosen = match container {
        Some(c) => all.iter().find(|(_, x)| x.name == c).ok_or_else(|| {
            MutationError::Invalid(format!(
                "pod {namespace}/{name} has no container {c:?} (it has {})",
                all.iter()
                    .map(|(_, x)| x.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        None => failing
            .first()
            .and_then(|f| all.iter().find(|(_, x)| x.name == f.container))
            .or(all.iter().find(|(init, _)| !init))
            .ok_or_else(|| {
                MutationError::Invalid(format!("pod {namespace}/{name} has no containers"))
            })?,
    };
    let (init, c) = *chosen;
    // The failure being fixed: the chosen container's, else (no container
    // named) the pod's first, which may be its sandbox or an image volume.
    let row = failing
        .iter()
        .find(|r| r.container == c.name)
        .or_else(|| container.is_none().then(|| failing.first()).flatten());
    let category = row.map(|r| r.category);
    let facet = row.map(|r| r.facet).unwrap_or_default();
    let pull_secrets = crate::domain::pod::pull_secret_names(&pod);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let mut missing_secret = None;
    for s in &pull_secrets {
        if let Ok(None) = secrets.get_metadata_opt(s).await {
            missing_secret = Some(s.clone());
            break;
        }
    }
    let paused = if target.kind == "Deployment" {
        get_json(client, &target)
            .await
            .ok()
            .and_then(|d| d.pointer("/spec/paused").and_then(Value::as_bool))
            .unwrap_or(false)
    } else {
        false
    };
    let failing_pods = failing_siblings(client, &pod).await;
    let context = PodContext {
        namespace: namespace.to_string(),
        name: name.to_string(),
        container: c.name.clone(),
        init,
        // The image that failed: a volume's reference, the sandbox's.
        image: match facet {
            Facet::ImageVolume | Facet::Sandbox => row.map(|r| r.image.clone()).unwrap_or_default(),
            _ => c.image.clone().unwrap_or_default(),
        },
        pull_secrets,
        service_account: crate::domain::pod::service_account_of(&pod),
        target,
        category,
        missing_secret,
        failing_pods,
        paused,
        facet,
        volume: row.and_then(|r| r.volume.clone()),
        injected: row
            .and_then(|r| r.injected.as_ref())
            .map(|i| i.by.clone())
            .or_else(|| crate::domain::facet::injected(&pod, &c.name).map(|i| i.by)),
    };
    Ok(PodFacts {
        cluster: key.cluster.clone(),
        context,
        pod,
        failing,
        owner_doubt,
    })
}

/// The failing pods that share `pod`'s controller (this one included).
async fn failing_siblings(client: &Client, pod: &Pod) -> Vec<String> {
    let me = pod.name_any();
    let Some(owner) = pod
        .metadata
        .owner_references
        .as_deref()
        .and_then(owners::controller)
    else {
        return vec![me];
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
    let list = match pods.list(&ListParams::default()).await {
        Ok(l) => l.items,
        Err(_) => return vec![me],
    };
    let mut out = vec![me.clone()];
    for p in list {
        let same = p
            .metadata
            .owner_references
            .as_deref()
            .and_then(owners::controller)
            .is_some_and(|o| o.uid == owner.uid);
        if same
            && p.name_any() != me
            && p.metadata.deletion_timestamp.is_none()
            && !failing_containers(&p).is_empty()
        {
            out.push(p.name_any());
        }
    }
    out
}
