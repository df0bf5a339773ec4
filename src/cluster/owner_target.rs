//! Which object a fix writes to: the pod's controller, followed through a
//! ReplicaSet or Job to its Deployment or CronJob, each owner believed only
//! when it is the object its reference names and selects the pod (a pod
//! anyone may create can name any controller). Reads only.

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::ResourceExt as _;
use serde_json::Value;

use super::mutate::{MutationError, dyn_api, object_name};
use crate::domain::owners::{self, Resolution, WriteTarget};

/// The write target of `pod`, following ReplicaSet / Job owners with GETs.
/// Each owner is believed only when it is the object its reference names
/// and selects the pod (`owners::owner_doubt`); otherwise the pod is
/// treated as bare, and the second value says why.
pub async fn resolve_target(
    client: &Client,
    pod: &Pod,
) -> Result<(WriteTarget, Option<String>), MutationError> {
    let ns = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let refs = pod.metadata.owner_references.clone().unwrap_or_default();
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let bare = |why: String| {
        Ok((
            WriteTarget::pod(&ns, &name),
            Some(format!(
                "{why}: pulltui treats pod {ns}/{name} as a bare pod and writes only to it"
            )),
        ))
    };
    let Some(reference) = owners::controller(&refs).cloned() else {
        return Ok((WriteTarget::pod(&ns, &name), None));
    };
    match owners::resolve_pod(&ns, &name, &refs)? {
        Resolution::Target(t) if t.is_pod() => Ok((t, None)),
        Resolution::Target(t) => {
            let Some(obj) = get_opt_json(client, &t).await? else {
                return bare(format!("{t}, named as its controller, does not exist"));
            };
            match owners::owner_doubt(&reference, &obj, true, &labels) {
                Some(why) => bare(why),
                None => Ok((t, None)),
            }
        }
        Resolution::Fetch(lookup) => {
            let middle = WriteTarget {
                kind: lookup.kind.clone(),
                api_version: lookup.api_version.clone(),
                namespace: lookup.namespace.clone(),
                name: lookup.name.clone(),
                template: owners::TemplatePath::Template,
            };
            let Some(obj) = get_opt_json(client, &middle).await? else {
                return bare(format!("{middle}, named as its controller, does not exist"));
            };
            if let Some(why) = owners::owner_doubt(&reference, &obj, true, &labels) {
                return bare(why);
            }
            let middle_refs: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference> =
                obj.pointer("/metadata/ownerReferences")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default();
            let target = owners::resolve_owner(&lookup, Some(&middle_refs))?;
            if target == middle {
                return Ok((target, None));
            }
            let Some(up) = owners::controller(&middle_refs).cloned() else {
                return Ok((middle, None));
            };
            let Some(top) = get_opt_json(client, &target).await? else {
                // The owner's owner is gone: the intermediate is the workload.
                return Ok((middle, None));
            };
            // A CronJob has no selector: its uid decides.
            let selects = target.kind != "CronJob";
            match owners::owner_doubt(&up, &top, selects, &labels) {
                Some(why) => bare(why),
                None => Ok((target, None)),
            }
        }
    }
}

async fn get_opt_json(client: &Client, t: &WriteTarget) -> Result<Option<Value>, MutationError> {
    match dyn_api(client, t).get_opt(&t.name).await {
        Ok(Some(obj)) => {
            let mut v =
                serde_json::to_value(obj).map_err(|e| MutationError::Invalid(e.to_string()))?;
            if let Some(m) = v.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                m.remove("managedFields");
            }
            Ok(Some(v))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(MutationError::api("reading", object_name(t), e)),
    }
}
