//! The writes that delete: pods (by `k`, and a StatefulSet's stuck pods),
//! each with the uid the preview showed as a precondition; and `kubectl
//! replace --force` for a Job, whose re-creation is validated by a dry-run
//! create before anything is deleted.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, DynamicObject, Preconditions};
use serde_json::Value;

use super::mutate::{MutationError, Outcome, Write, dyn_api, object_name, pp, rv_of};
use crate::domain::mutation::{TemplateChange, recreated_job};
use crate::domain::owners::WriteTarget;

/// Deletes the previewed pods, each with the uid it had in the preview as a
/// precondition: a pod of that name that is another pod by now (re-created
/// by its StatefulSet, or by a tenant) is left alone, and said so.
pub(super) async fn delete_pods(
    client: &Client,
    ns: &str,
    pods: &[String],
    uids: &std::collections::HashMap<String, String>,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    for p in pods {
        let Some(uid) = uids.get(p) else {
            // Gone before the preview read it: nothing to delete.
            out.notes.push(format!("pod {ns}/{p} was already gone"));
            continue;
        };
        let dp = DeleteParams {
            dry_run,
            preconditions: Some(Preconditions {
                uid: Some(uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(p, &dp).await {
            Ok(_) => {}
            // Gone already: the controller is on it.
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            // Another pod of that name by now: not the one previewed.
            Err(kube::Error::Api(s)) if s.code == 409 => {
                out.notes.push(format!(
                    "pod {ns}/{p} is not the pod the preview showed (it was replaced): not deleted"
                ));
                continue;
            }
            Err(e) => return Err(MutationError::api("deleting", format!("Pod {ns}/{p}"), e)),
        }
        out.writes.push(Write {
            action: "deleted".into(),
            kind: "Pod".into(),
            namespace: ns.into(),
            name: p.clone(),
            resource_version_before: None,
            resource_version_after: None,
        });
    }
    Ok(())
}

/// `kubectl replace --force` for a Job: delete it (preconditions: the uid
/// and resourceVersion that were read), wait until it is gone, create it
/// again from its spec with the change.
pub(super) async fn recreate_job(
    client: &Client,
    target: &WriteTarget,
    job: &Value,
    change: &TemplateChange,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let new_job = recreated_job(job, change).map_err(MutationError::Invalid)?;
    let api = dyn_api(client, target);
    let before = rv_of(job);
    // Nothing is deleted unless the Job to be created would be accepted: a
    // server-side dry run of its create (under a generated name, as the old
    // Job still holds its own) runs the same validation and admission.
    let mut probe = new_job.clone();
    if let Some(meta) = probe.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("name");
        meta.insert(
            "generateName".into(),
            Value::String(format!("{}-", target.name)),
        );
    }
    let probe: DynamicObject =
        serde_json::from_value(probe).map_err(|e| MutationError::Invalid(e.to_string()))?;
    if let Err(e) = api.create(&pp(true), &probe).await {
        return Err(MutationError::api(
            "validating (dry run, nothing deleted) the re-created",
            object_name(target),
            e,
        ));
    }
    let dp = DeleteParams {
        dry_run,
        propagation_policy: Some(kube::api::PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            uid: job
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            resource_version: before.clone(),
        }),
        ..DeleteParams::default()
    };
    match api.delete(&target.name, &dp).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {
            return Err(MutationError::Changed {
                object: target.to_string(),
                field: "metadata.resourceVersion".into(),
                was: before.unwrap_or_default(),
                now: "newer (changed while deleting)".into(),
            });
        }
        Err(e) => return Err(MutationError::api("deleting", object_name(target), e)),
    }
    out.writes.push(Write {
        action: "deleted".into(),
        kind: "Job".into(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        resource_version_before: before,
        resource_version_after: None,
    });
    if dry_run {
        out.notes.push(format!(
            "dry run: the delete of {target} was validated by the server; its re-creation was \
             not sent (the old Job still exists)"
        ));
        return Ok(());
    }
    let obj: DynamicObject = serde_json::from_value(new_job.clone())
        .map_err(|e| MutationError::Invalid(e.to_string()))?;
    let start = std::time::Instant::now();
    loop {
        match api.create(&pp(false), &obj).await {
            Ok(o) => {
                out.writes.push(Write {
                    action: "created".into(),
                    kind: "Job".into(),
                    namespace: target.namespace.clone(),
                    name: target.name.clone(),
                    resource_version_before: None,
                    resource_version_after: o.resource_version(),
                });
                return Ok(());
            }
            // The old Job is still being removed.
            Err(kube::Error::Api(s))
                if s.code == 409 && start.elapsed() < Duration::from_secs(30) =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                // The spec may hold literal env values: it goes to a file of
                // the user's own, never into the message or the audit log.
                let dir = crate::audit::data_dir().map(|d| d.join("recovery"));
                let kept = dir
                    .ok_or_else(|| std::io::Error::other("no data directory"))
                    .and_then(|d| super::recovery::keep_job(&d, target, &new_job));
                let failed = match kept {
                    Ok(path) => format!(
                        "creating it again; its spec is kept in {} (mode 0600): \
                         `kubectl create -f {}` creates it",
                        path.display(),
                        path.display()
                    ),
                    Err(why) => format!("creating it again; its spec could not be kept: {why}"),
                };
                return Err(MutationError::Partial {
                    done: vec![format!("deleted {}", object_name(target))],
                    failed,
                    error: Box::new(MutationError::api("creating", object_name(target), e)),
                });
            }
        }
    }
}
