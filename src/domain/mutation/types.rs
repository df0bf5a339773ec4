//! The fix vocabulary: which fixes exist ([`FixId`]), what a fix is given
//! ([`FixParams`]) and told about the pod ([`PodContext`]), the write it
//! becomes ([`Mutation`], [`TemplateChange`]), and the input errors that
//! stop it ([`InputError`]).

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::body::restarted_at;
use crate::domain::classify::Category;
use crate::domain::facet::Facet;
use crate::domain::owners::WriteTarget;
use crate::domain::redact::Redacted;

/// TKE serverless: skip TLS verification for these registries (comma list or `all`).
pub const ANN_SKIP_VERIFY: &str = "eks.tke.cloud.tencent.com/registry-insecure-skip-verify";
/// TKE serverless: pull from these registries over plain HTTP (comma list or `all`).
pub const ANN_HTTP_ENDPOINT: &str = "eks.tke.cloud.tencent.com/registry-http-endpoint";
/// What `kubectl rollout restart` sets on the pod template.
pub const ANN_RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The field manager of every write.
pub const FIELD_MANAGER: &str = "pulltui";

/// The fix ids `pulltui fix --fix` takes (stable API, like `explain --json` fixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixId {
    AnnotateSkipVerify,
    AnnotateHttpEndpoint,
    CreatePullSecret,
    CopyPullSecret,
    AttachPullSecret,
    SetImage,
    Restart,
    /// A free annotation of the pod template: `--key K --value V` (set, not merged).
    Annotate,
}

impl FixId {
    pub const ALL: [FixId; 8] = [
        FixId::AnnotateSkipVerify,
        FixId::AnnotateHttpEndpoint,
        FixId::CreatePullSecret,
        FixId::CopyPullSecret,
        FixId::AttachPullSecret,
        FixId::SetImage,
        FixId::Restart,
        FixId::Annotate,
    ];

    pub fn id(self) -> &'static str {
        match self {
            FixId::AnnotateSkipVerify => "annotate-skip-verify",
            FixId::AnnotateHttpEndpoint => "annotate-http-endpoint",
            FixId::CreatePullSecret => "create-pull-secret",
            FixId::CopyPullSecret => "copy-pull-secret",
            FixId::AttachPullSecret => "attach-pull-secret",
            FixId::SetImage => "set-image",
            FixId::Restart => "restart",
            FixId::Annotate => "annotate",
        }
    }

    pub fn from_id(id: &str) -> Option<FixId> {
        FixId::ALL.into_iter().find(|f| f.id() == id)
    }

    /// The fix a suggested remedy (`explain --json` `fixes`) is carried out by.
    pub fn for_fix(f: crate::domain::classify::Fix) -> Option<FixId> {
        use crate::domain::classify::Fix;
        match f {
            Fix::AnnotateSkipVerify => Some(FixId::AnnotateSkipVerify),
            Fix::AnnotateHttpEndpoint => Some(FixId::AnnotateHttpEndpoint),
            Fix::CreatePullSecret | Fix::FixSecretReference => Some(FixId::CreatePullSecret),
            Fix::FixImage => Some(FixId::SetImage),
            Fix::RetryPull => Some(FixId::Restart),
            _ => None,
        }
    }
}

impl fmt::Display for FixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Where a pull secret is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttachChoice {
    Template,
    ServiceAccount,
    None,
}

impl AttachChoice {
    pub fn from_id(s: &str) -> Option<AttachChoice> {
        match s {
            "template" => Some(AttachChoice::Template),
            "serviceaccount" => Some(AttachChoice::ServiceAccount),
            "none" => Some(AttachChoice::None),
            _ => None,
        }
    }
}

/// The object a pull secret is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum AttachTo {
    /// The pod template's `imagePullSecrets` (strategic merge: appended by name).
    Template { target: WriteTarget },
    /// The ServiceAccount's `imagePullSecrets` (read-modify-write; new pods only).
    ServiceAccount { namespace: String, name: String },
}

/// A namespaced name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectRef {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// `NS/NAME`.
    pub fn parse(s: &str) -> Option<ObjectRef> {
        let (ns, name) = s.split_once('/')?;
        (!ns.is_empty() && !name.is_empty() && !name.contains('/'))
            .then(|| ObjectRef::new(ns, name))
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A change to a pod template (or a bare pod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum TemplateChange {
    /// Set an annotation; `merge`: add to an existing comma list.
    Annotate {
        key: String,
        value: String,
        merge: bool,
    },
    /// Append a pull secret to `imagePullSecrets` (by name).
    AddPullSecret { name: String },
    /// Change one container's image.
    SetImage {
        container: String,
        init: bool,
        image: String,
    },
    /// Change an image volume's reference (`spec.volumes[].image.reference`).
    SetVolumeImage { volume: String, image: String },
}

/// A write to the cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Mutation {
    /// Annotate the pod template (a bare pod: its own metadata).
    AnnotateTemplate {
        target: WriteTarget,
        key: String,
        value: String,
        merge: bool,
    },
    /// Create a dockerconfigjson secret, then attach it.
    CreatePullSecret {
        namespace: String,
        name: String,
        server: String,
        username: String,
        #[serde(skip)]
        password: Redacted,
        email: Option<String>,
        attach: Option<AttachTo>,
    },
    /// Copy a pull secret from another namespace (data never shown), then attach it.
    CopyPullSecret {
        from: ObjectRef,
        to: ObjectRef,
        attach: Option<AttachTo>,
    },
    /// Attach an existing secret of the pod's namespace.
    AttachPullSecret { secret: String, to: AttachTo },
    /// Change a container's image in the template (a bare pod: in place).
    SetImage {
        target: WriteTarget,
        container: String,
        init: bool,
        image: String,
    },
    /// Change an image volume's reference in the template.
    SetVolumeImage {
        target: WriteTarget,
        volume: String,
        image: String,
    },
    /// A Job's template is immutable: delete the Job and create it again
    /// from its spec with the change (like `kubectl replace --force`).
    RecreateJob {
        target: WriteTarget,
        change: TemplateChange,
    },
    /// `kubectl rollout restart`: the template's `restartedAt` annotation.
    Restart { target: WriteTarget, at: Timestamp },
    /// Delete pods so their controller recreates them.
    DeletePods {
        /// The controller that recreates them.
        owner: WriteTarget,
        namespace: String,
        pods: Vec<String>,
    },
}

impl Mutation {
    /// The main object this mutation changes (or creates).
    pub fn object(&self) -> (String, String, String) {
        match self {
            Mutation::AnnotateTemplate { target, .. }
            | Mutation::SetImage { target, .. }
            | Mutation::SetVolumeImage { target, .. }
            | Mutation::RecreateJob { target, .. }
            | Mutation::Restart { target, .. } => (
                target.kind.clone(),
                target.namespace.clone(),
                target.name.clone(),
            ),
            Mutation::CreatePullSecret {
                namespace, name, ..
            } => ("Secret".into(), namespace.clone(), name.clone()),
            Mutation::CopyPullSecret { to, .. } => {
                ("Secret".into(), to.namespace.clone(), to.name.clone())
            }
            Mutation::AttachPullSecret { to, .. } => match to {
                AttachTo::Template { target } => (
                    target.kind.clone(),
                    target.namespace.clone(),
                    target.name.clone(),
                ),
                AttachTo::ServiceAccount { namespace, name } => {
                    ("ServiceAccount".into(), namespace.clone(), name.clone())
                }
            },
            Mutation::DeletePods {
                namespace, pods, ..
            } => (
                "Pod".into(),
                namespace.clone(),
                pods.first().cloned().unwrap_or_default(),
            ),
        }
    }

    /// The template this mutation changes, if any, with the change.
    pub fn template_change(&self) -> Option<(&WriteTarget, TemplateChange)> {
        match self {
            Mutation::AnnotateTemplate {
                target,
                key,
                value,
                merge,
            } => Some((
                target,
                TemplateChange::Annotate {
                    key: key.clone(),
                    value: value.clone(),
                    merge: *merge,
                },
            )),
            Mutation::SetImage {
                target,
                container,
                init,
                image,
            } => Some((
                target,
                TemplateChange::SetImage {
                    container: container.clone(),
                    init: *init,
                    image: image.clone(),
                },
            )),
            Mutation::SetVolumeImage {
                target,
                volume,
                image,
            } => Some((
                target,
                TemplateChange::SetVolumeImage {
                    volume: volume.clone(),
                    image: image.clone(),
                },
            )),
            Mutation::RecreateJob { target, change } => Some((target, change.clone())),
            Mutation::Restart { target, at } => Some((
                target,
                TemplateChange::Annotate {
                    key: ANN_RESTARTED_AT.into(),
                    value: restarted_at(*at),
                    merge: false,
                },
            )),
            Mutation::AttachPullSecret {
                secret,
                to: AttachTo::Template { target },
            } => Some((
                target,
                TemplateChange::AddPullSecret {
                    name: secret.clone(),
                },
            )),
            _ => None,
        }
    }

    /// What the audit log records: everything but credentials (the
    /// password is `#[serde(skip)]`, and `Redacted` prints `***` anyway).
    pub fn audit_change(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Input that the API server would refuse (or that makes no sense).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid annotation key {key:?}: {reason}")]
    AnnotationKey { key: String, reason: String },
    #[error("invalid annotation value: {0}")]
    AnnotationValue(String),
    #[error("invalid secret name {name:?}: {reason}")]
    SecretName { name: String, reason: String },
    #[error("invalid image {image:?}: {reason}")]
    Image { image: String, reason: String },
    #[error("{0} is required for this fix")]
    Missing(&'static str),
    #[error("{0}")]
    NotApplicable(String),
}

/// What `plan` needs to know about the pod (read by the I/O layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodContext {
    pub namespace: String,
    pub name: String,
    /// The container to fix (the failing one, or `--container`).
    pub container: String,
    pub init: bool,
    pub image: String,
    /// The pod's own `imagePullSecrets` names.
    pub pull_secrets: Vec<String>,
    pub service_account: String,
    /// The write target (`owners`).
    pub target: WriteTarget,
    /// The failure's category, when known.
    pub category: Option<Category>,
    /// A referenced pull secret that does not exist, if any.
    pub missing_secret: Option<String>,
    /// Names of the pods to delete for a restart that cannot roll out
    /// (the failing pods of the same controller, this one first).
    pub failing_pods: Vec<String>,
    /// A Deployment's `spec.paused`.
    pub paused: bool,
    /// What failed to pull (the fixes follow it).
    pub facet: Facet,
    /// The image volume whose pull failed (`facet == ImageVolume`).
    pub volume: Option<String>,
    /// The sidecar injector that put the container there (`istio`, ...).
    pub injected: Option<String>,
}

/// Everything a fix may be given (flags of `pulltui fix`, fields of the forms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixParams {
    pub value: Option<String>,
    pub secret_name: Option<String>,
    pub username: Option<String>,
    pub password: Option<Redacted>,
    pub email: Option<String>,
    pub attach: Option<AttachChoice>,
    pub from: Option<ObjectRef>,
    pub secret: Option<String>,
    pub image: Option<String>,
    /// annotate: the annotation key.
    pub key: Option<String>,
    /// create-pull-secret: the registry server written in `auths` (default:
    /// the image's registry as `kubectl create secret docker-registry` writes it).
    pub server: Option<String>,
    /// The clock, for `restartedAt`.
    pub now: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_fixes_map_to_fix_ids_with_the_same_name_where_they_exist() {
        use crate::domain::classify::Fix;
        for f in [
            Fix::AnnotateSkipVerify,
            Fix::AnnotateHttpEndpoint,
            Fix::CreatePullSecret,
        ] {
            assert_eq!(FixId::for_fix(f).map(FixId::id), Some(f.id()));
        }
        assert_eq!(FixId::for_fix(Fix::FixImage), Some(FixId::SetImage));
        assert_eq!(FixId::for_fix(Fix::Probe), None);
    }
}
