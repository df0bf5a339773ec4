//! How a template change is written: the strategic merge patch of an
//! annotation, a pull secret or an image on a pod template; the same change
//! applied to a Job that is re-created; and the set-image a template does
//! not allow (a container it does not list). Pure.

use serde_json::{Value, json};

use super::body::{annotation_after, names_of};
use super::types::TemplateChange;
use crate::domain::owners::{TemplatePath, WriteTarget};
use crate::domain::pod::container_list;

/// Labels the Job controller generates (dropped when a Job is recreated).
pub const JOB_GENERATED_LABELS: [&str; 4] = [
    "controller-uid",
    "job-name",
    // Kubernetes 1.27+ adds these beside the legacy ones; a Job created
    // with the old uid in them is refused.
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

/// The strategic merge patch of a template change on an object whose
/// template sits at `path`. `annotation_value` is the final value (after
/// merging with the current one). Pull secrets are appended by name (the
/// strategic merge key of `imagePullSecrets`; `$setElementOrder` keeps
/// the current entries first, else the server puts patched items first);
/// containers merge by name. `current` is the template as it is now.
pub fn template_patch(
    path: TemplatePath,
    change: &TemplateChange,
    annotation_value: &str,
    current: Option<&Value>,
) -> Value {
    let inner = match change {
        TemplateChange::Annotate { key, .. } => {
            json!({"metadata": {"annotations": {key: annotation_value}}})
        }
        TemplateChange::AddPullSecret { name } => {
            let mut order = names_of(current.and_then(|t| t.pointer("/spec/imagePullSecrets")));
            if order.is_empty() {
                json!({"spec": {"imagePullSecrets": [{"name": name}]}})
            } else {
                if !order.contains(name) {
                    order.push(name.clone());
                }
                let order: Vec<Value> = order.iter().map(|n| json!({"name": n})).collect();
                json!({"spec": {
                    "$setElementOrder/imagePullSecrets": order,
                    "imagePullSecrets": [{"name": name}],
                }})
            }
        }
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => {
            let list = container_list(*init);
            json!({"spec": {list: [{"name": container, "image": image}]}})
        }
        // Volumes merge by name; `image` is a map, so its pullPolicy stays.
        TemplateChange::SetVolumeImage { volume, image } => {
            json!({"spec": {"volumes": [{"name": volume, "image": {"reference": image}}]}})
        }
    };
    path.wrap(inner)
}

/// A set-image on a container the owner's template does not list is
/// refused, as `kubectl set image` refuses it: a strategic merge patch would
/// *add* that container to the template. Such a container is typically
/// injected into the pods by a mutating webhook (a sidecar injector); its
/// image is the injector's to change. `None` when the change may go ahead.
pub fn refuse_template_change(
    target: &WriteTarget,
    template: Option<&Value>,
    change: &TemplateChange,
) -> Option<String> {
    if let TemplateChange::SetVolumeImage { volume, .. } = change {
        if target.template == TemplatePath::Pod {
            return Some(format!(
                "a pod's volumes cannot be changed in place: recreate {target} from your \
                 manifest with volume {volume:?} pointing at an image that can be pulled"
            ));
        }
        return volume_entry(template, volume).is_none().then(|| {
            format!(
                "volume {volume:?} is not an image volume of {target}'s pod template: its \
                 pods got it elsewhere (a mutating webhook?); pulltui does not add volumes \
                 to a template"
            )
        });
    }
    let TemplateChange::SetImage {
        container, init, ..
    } = change
    else {
        return None;
    };
    if target.template == TemplatePath::Pod {
        // A bare pod: its own container list is the one written to.
        return None;
    }
    let listed = template
        .and_then(|t| template_container(t, *init, container))
        .is_some();
    (!listed).then(|| {
        format!(
            "container {container:?} is not in {target}'s pod template: its pods got it \
             elsewhere, typically from a mutating webhook (a sidecar injector); change its \
             image in the injector's configuration. pulltui does not add containers to a template"
        )
    })
}

/// Applies a template change to a pod-shaped JSON value (for a recreated Job).
pub fn apply_to_template(template: &mut Value, change: &TemplateChange) -> Result<(), String> {
    match change {
        TemplateChange::Annotate { key, value, merge } => {
            let meta = ensure_object(template, "metadata");
            let anns = ensure_object(meta, "annotations");
            let current = anns.get(key).and_then(Value::as_str).map(str::to_string);
            anns[key.as_str()] = annotation_after(current.as_deref(), value, *merge).into();
        }
        TemplateChange::AddPullSecret { name } => {
            let spec = ensure_object(template, "spec");
            let list = spec
                .as_object_mut()
                .ok_or("spec is not an object")?
                .entry("imagePullSecrets")
                .or_insert_with(|| json!([]));
            let arr = list
                .as_array_mut()
                .ok_or("imagePullSecrets is not a list")?;
            if !arr
                .iter()
                .any(|s| s.get("name").and_then(Value::as_str) == Some(name))
            {
                arr.push(json!({"name": name}));
            }
        }
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => {
            let c = template_container_mut(template, *init, container)
                .ok_or_else(|| format!("no container {container:?} in the template"))?;
            c["image"] = image.clone().into();
        }
        TemplateChange::SetVolumeImage { volume, image } => {
            let v = template
                .pointer_mut("/spec/volumes")
                .and_then(Value::as_array_mut)
                .and_then(|a| {
                    a.iter_mut().find(|v| {
                        v.get("name").and_then(Value::as_str) == Some(volume)
                            && v.get("image").is_some_and(Value::is_object)
                    })
                })
                .ok_or_else(|| format!("no image volume {volume:?} in the template"))?;
            v["image"]["reference"] = image.clone().into();
        }
    }
    Ok(())
}

/// The image volume `name` of a pod-shaped template, if it has one.
pub fn volume_entry<'t>(template: Option<&'t Value>, name: &str) -> Option<&'t Value> {
    template?
        .pointer("/spec/volumes")?
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
        .filter(|v| v.get("image").is_some_and(Value::is_object))
}

fn ensure_object<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = json!({});
    }
    &mut v[key]
}

/// The Job to create again from `job` (as JSON) with `change`, like
/// `kubectl replace --force` after removing what the API server generated:
/// the selector, the generated `controller-uid`/`job-name` labels (legacy
/// and `batch.kubernetes.io/`), status, and server-set metadata.
pub fn recreated_job(job: &Value, change: &TemplateChange) -> Result<Value, String> {
    let meta = job.get("metadata").ok_or("the Job has no metadata")?;
    let mut labels = meta.get("labels").cloned().unwrap_or(json!({}));
    if let Some(m) = labels.as_object_mut() {
        for l in JOB_GENERATED_LABELS {
            m.remove(l);
        }
    }
    let mut spec = job.get("spec").cloned().ok_or("the Job has no spec")?;
    let s = spec
        .as_object_mut()
        .ok_or("the Job's spec is not an object")?;
    s.remove("selector");
    s.remove("manualSelector");
    let template = s.get_mut("template").ok_or("the Job has no template")?;
    if let Some(m) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        for l in JOB_GENERATED_LABELS {
            m.remove(l);
        }
    }
    apply_to_template(template, change)?;
    let mut new_meta = serde_json::Map::new();
    new_meta.insert(
        "name".into(),
        meta.get("name").cloned().unwrap_or(Value::Null),
    );
    new_meta.insert(
        "namespace".into(),
        meta.get("namespace").cloned().unwrap_or(Value::Null),
    );
    new_meta.insert("labels".into(), labels);
    if let Some(a) = meta.get("annotations").cloned() {
        new_meta.insert("annotations".into(), a);
    }
    Ok(json!({
        "apiVersion": job.get("apiVersion").cloned().unwrap_or_else(|| "batch/v1".into()),
        "kind": "Job",
        "metadata": Value::Object(new_meta),
        "spec": spec,
    }))
}

/// The container named `name` in a pod template's (or pod's) `spec`:
/// `initContainers` when `init`, else `containers`.
pub fn template_container<'a>(template: &'a Value, init: bool, name: &str) -> Option<&'a Value> {
    template
        .pointer(&format!("/spec/{}", container_list(init)))?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

/// [`template_container`], to change it.
fn template_container_mut<'a>(
    template: &'a mut Value,
    init: bool,
    name: &str,
) -> Option<&'a mut Value> {
    template
        .pointer_mut(&format!("/spec/{}", container_list(init)))?
        .as_array_mut()?
        .iter_mut()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::owners::TemplatePath;

    #[test]
    fn pull_secret_patch_appends_by_name_under_the_template() {
        let p = template_patch(
            TemplatePath::Template,
            &TemplateChange::AddPullSecret { name: "x".into() },
            "",
            None,
        );
        assert_eq!(
            p,
            json!({"spec": {"template": {"spec": {"imagePullSecrets": [{"name": "x"}]}}}})
        );
        let current = json!({"spec": {"imagePullSecrets": [{"name": "a"}]}});
        let p = template_patch(
            TemplatePath::Template,
            &TemplateChange::AddPullSecret { name: "x".into() },
            "",
            Some(&current),
        );
        assert_eq!(
            p,
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/imagePullSecrets": [{"name": "a"}, {"name": "x"}],
                "imagePullSecrets": [{"name": "x"}]}}}})
        );
        let p = template_patch(
            TemplatePath::JobTemplate,
            &TemplateChange::Annotate {
                key: "k".into(),
                value: "ignored".into(),
                merge: true,
            },
            "v",
            None,
        );
        assert_eq!(
            p.pointer("/spec/jobTemplate/spec/template/metadata/annotations/k"),
            Some(&json!("v"))
        );
    }

    #[test]
    fn a_recreated_job_drops_generated_selector_and_labels() {
        let job = json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "j", "namespace": "n", "uid": "u1", "resourceVersion": "5",
                         "labels": {"app": "j", "controller-uid": "u1", "job-name": "j"}},
            "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}, "backoffLimit": 2,
                     "template": {"metadata": {"labels": {"app": "j", "controller-uid": "u1", "job-name": "j",
                                  "batch.kubernetes.io/controller-uid": "u1", "batch.kubernetes.io/job-name": "j"}},
                                  "spec": {"containers": [{"name": "app", "image": "old"}]}}},
            "status": {"failed": 1}
        });
        let out = recreated_job(
            &job,
            &TemplateChange::SetImage {
                container: "app".into(),
                init: false,
                image: "new".into(),
            },
        )
        .unwrap();
        assert_eq!(
            out["metadata"],
            json!({"name": "j", "namespace": "n", "labels": {"app": "j"}})
        );
        assert!(out["spec"].get("selector").is_none());
        assert!(out.get("status").is_none());
        assert_eq!(out["spec"]["backoffLimit"], 2);
        assert_eq!(
            out["spec"]["template"]["metadata"]["labels"],
            json!({"app": "j"})
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["image"],
            "new"
        );
        let missing = recreated_job(
            &job,
            &TemplateChange::SetImage {
                container: "nope".into(),
                init: false,
                image: "new".into(),
            },
        );
        assert!(missing.is_err());
    }
}
