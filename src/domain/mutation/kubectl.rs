//! The `kubectl` commands a preview offers as the equivalent of a write,
//! runnable as printed: quoted for a POSIX shell, the password as
//! `"$PASSWORD"`.

use serde_json::{Value, json};

use super::template_change::{JOB_GENERATED_LABELS, template_patch};
use super::types::{ObjectRef, TemplateChange};
use crate::domain::owners::WriteTarget;
use crate::domain::pod::container_list;

/// Shell-quotes for a POSIX shell (single quotes).
pub fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A YAML scalar: JSON's double-quoted string is valid YAML (and a jq
/// string literal).
pub(super) fn y(s: &str) -> String {
    Value::from(s).to_string()
}

pub(super) fn kubectl_patch(target: &WriteTarget, patch: &Value) -> String {
    format!(
        "kubectl -n {} patch {} --type strategic -p {}",
        sh(&target.namespace),
        sh(&target.kubectl_ref()),
        sh(&patch.to_string())
    )
}

/// `kubectl create secret docker-registry`, the password left to the shell.
pub(super) fn create_secret(
    namespace: &str,
    name: &str,
    server: &str,
    username: &str,
    email: Option<&str>,
) -> String {
    let mut cmd = format!(
        "kubectl -n {} create secret docker-registry {} --docker-server={} \
         --docker-username={} --docker-password=\"$PASSWORD\"",
        sh(namespace),
        sh(name),
        sh(server),
        sh(username)
    );
    if let Some(e) = email {
        cmd.push_str(&format!(" --docker-email={}", sh(e)));
    }
    cmd
}

/// A secret copied to another namespace with only its type and data.
pub(super) fn copy_secret(from: &ObjectRef, to: &ObjectRef) -> String {
    format!(
        "kubectl -n {} get secret {} -o json | jq '{{apiVersion, kind, type, data, \
         metadata: {{name: .metadata.name}}}}' | kubectl -n {} create -f -",
        sh(&from.namespace),
        sh(&from.name),
        sh(&to.namespace)
    )
}

pub(super) fn delete_pods(namespace: &str, pods: &[String]) -> String {
    format!(
        "kubectl -n {} delete pod {}",
        sh(namespace),
        pods.iter().map(|s| sh(s)).collect::<Vec<_>>().join(" ")
    )
}

/// A ServiceAccount's whole `imagePullSecrets` list set to `after`.
pub(super) fn patch_service_account(namespace: &str, name: &str, after: &[String]) -> String {
    let list: Vec<Value> = after.iter().map(|n| json!({"name": n})).collect();
    format!(
        "kubectl -n {} patch serviceaccount {} --type merge -p {}",
        sh(namespace),
        sh(name),
        sh(&json!({"imagePullSecrets": list}).to_string())
    )
}

pub(super) fn rollout_restart(target: &WriteTarget) -> String {
    format!(
        "kubectl -n {} rollout restart {}",
        sh(&target.namespace),
        sh(&target.kubectl_ref())
    )
}

/// A template change as kubectl writes it: `annotate` on a bare pod,
/// `set image` on a workload, else a strategic merge patch. `value`: the
/// annotation's final value; `template`: the template as it is now.
pub(super) fn template_command(
    target: &WriteTarget,
    change: &TemplateChange,
    value: &str,
    template: Option<&Value>,
) -> String {
    match (target.is_pod(), change) {
        (true, TemplateChange::Annotate { key, .. }) => format!(
            "kubectl -n {} annotate pod {} --overwrite {}",
            sh(&target.namespace),
            sh(&target.name),
            sh(&format!("{key}={value}"))
        ),
        (
            false,
            TemplateChange::SetImage {
                container, image, ..
            },
        ) => format!(
            "kubectl -n {} set image {} {}",
            sh(&target.namespace),
            sh(&target.kubectl_ref()),
            sh(&format!("{container}={image}"))
        ),
        _ => kubectl_patch(
            target,
            &template_patch(target.template, change, value, template),
        ),
    }
}

/// `kubectl replace --force` of a Job with the change applied by jq, after
/// dropping what the API server generated. `value`: the annotation's final
/// value.
pub(super) fn replace_job(target: &WriteTarget, change: &TemplateChange, value: &str) -> String {
    let mut jq = String::from(
        "del(.spec.selector, .spec.manualSelector, .status, .metadata.uid, \
         .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields",
    );
    for l in JOB_GENERATED_LABELS {
        jq.push_str(&format!(
            ", .metadata.labels[\"{l}\"], .spec.template.metadata.labels[\"{l}\"]"
        ));
    }
    jq.push(')');
    match change {
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => {
            let list = container_list(*init);
            jq.push_str(&format!(
                " | .spec.template.spec.{list} |= map(if .name == {} then .image = {} else . end)",
                y(container),
                y(image)
            ));
        }
        TemplateChange::SetVolumeImage { volume, image } => {
            jq.push_str(&format!(
                " | .spec.template.spec.volumes |= map(if .name == {} then .image.reference = {} else . end)",
                y(volume),
                y(image)
            ));
        }
        TemplateChange::Annotate { key, .. } => {
            jq.push_str(&format!(
                " | .spec.template.metadata.annotations[{}] = {}",
                y(key),
                y(value)
            ));
        }
        TemplateChange::AddPullSecret { name } => {
            jq.push_str(&format!(
                " | .spec.template.spec.imagePullSecrets += [{{\"name\": {}}}]",
                y(name)
            ));
        }
    }
    format!(
        "kubectl -n {} get job {} -o json | jq {} | kubectl replace --force -f -",
        sh(&target.namespace),
        sh(&target.name),
        sh(&jq)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(sh("plain-1.2"), "plain-1.2");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
