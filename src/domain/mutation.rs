//! Cluster writes as values: the typed [`Mutation`] a fix becomes, the pure
//! builders of its request bodies, validation as the API server does it, and
//! the [`Preview`] (a YAML diff of the affected fields and the equivalent
//! `kubectl` commands) shown before anything is sent.
//!
//! Pure: no I/O, no clock (`now` is a parameter), no env. The cluster layer
//! (`cluster::mutate`) fetches the current objects, asks this module for the
//! preview and the bodies, and sends them. Credentials stay in
//! [`Redacted`]: previews, audit records and `Debug` output never hold them;
//! the kubectl equivalents say `"$PASSWORD"`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::classify::Category;
use super::facet::Facet;
use super::image::ImageRef;
use super::owners::WriteTarget;
use super::redact::Redacted;
use super::secrets::{SecretInfo, check_info};

/// TKE serverless: skip TLS verification for these registries (comma list or `all`).
pub const ANN_SKIP_VERIFY: &str = "eks.tke.cloud.tencent.com/registry-insecure-skip-verify";
/// TKE serverless: pull from these registries over plain HTTP (comma list or `all`).
pub const ANN_HTTP_ENDPOINT: &str = "eks.tke.cloud.tencent.com/registry-http-endpoint";
/// What `kubectl rollout restart` sets on the pod template.
pub const ANN_RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The field manager of every write.
pub const FIELD_MANAGER: &str = "pulltui";
/// Labels the Job controller generates (dropped when a Job is recreated).
pub const JOB_GENERATED_LABELS: [&str; 4] = [
    "controller-uid",
    "job-name",
    // Kubernetes 1.27+ adds these beside the legacy ones; a Job created
    // with the old uid in them is refused.
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];
/// Docker Hub's key in a docker config, as `kubectl create secret docker-registry` writes it.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

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
    pub fn for_fix(f: super::classify::Fix) -> Option<FixId> {
        use super::classify::Fix;
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

/// An annotation preset of the `a` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub fix: FixId,
    pub key: &'static str,
}

const SKIP_VERIFY: Preset = Preset {
    fix: FixId::AnnotateSkipVerify,
    key: ANN_SKIP_VERIFY,
};
const HTTP_ENDPOINT: Preset = Preset {
    fix: FixId::AnnotateHttpEndpoint,
    key: ANN_HTTP_ENDPOINT,
};

/// The annotation presets, the one that fits the cause first.
pub fn presets(category: Option<Category>) -> [Preset; 2] {
    match category {
        Some(Category::ProtocolHttpRegistry) => [HTTP_ENDPOINT, SKIP_VERIFY],
        _ => [SKIP_VERIFY, HTTP_ENDPOINT],
    }
}

/// The value a preset is prefilled with: the image's registry `host[:port]`
/// (with the port whenever the image names one).
pub fn preset_value(image: &str) -> Result<String, InputError> {
    ImageRef::parse(image)
        .map(|r| r.registry)
        .map_err(|e| InputError::Image {
            image: image.to_string(),
            reason: e.to_string(),
        })
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

/// Turns a fix and its parameters into a validated mutation of `pod`'s target.
pub fn plan(pod: &PodContext, fix: FixId, p: &FixParams) -> Result<Mutation, InputError> {
    if let Some(why) = refused_for_facet(pod, fix) {
        return Err(InputError::NotApplicable(why));
    }
    let target = pod.target.clone();
    let is_job = target.kind == "Job";
    let template_mutation = |change: TemplateChange| -> Mutation {
        if is_job {
            return Mutation::RecreateJob {
                target: target.clone(),
                change,
            };
        }
        match change {
            TemplateChange::Annotate { key, value, merge } => Mutation::AnnotateTemplate {
                target: target.clone(),
                key,
                value,
                merge,
            },
            TemplateChange::SetImage {
                container,
                init,
                image,
            } => Mutation::SetImage {
                target: target.clone(),
                container,
                init,
                image,
            },
            TemplateChange::SetVolumeImage { volume, image } => Mutation::SetVolumeImage {
                target: target.clone(),
                volume,
                image,
            },
            TemplateChange::AddPullSecret { name } => Mutation::AttachPullSecret {
                secret: name,
                to: AttachTo::Template {
                    target: target.clone(),
                },
            },
        }
    };
    match fix {
        FixId::AnnotateSkipVerify | FixId::AnnotateHttpEndpoint => {
            let key = if fix == FixId::AnnotateSkipVerify {
                ANN_SKIP_VERIFY
            } else {
                ANN_HTTP_ENDPOINT
            };
            let value = match &p.value {
                Some(v) => normalise_hosts(v)?,
                None => preset_value(&pod.image)?,
            };
            validate_annotation(key, &value)?;
            Ok(template_mutation(TemplateChange::Annotate {
                key: key.into(),
                value,
                merge: true,
            }))
        }
        FixId::Annotate => {
            let key = p
                .key
                .clone()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .ok_or(InputError::Missing("--key KEY"))?;
            let value = p
                .value
                .clone()
                .ok_or(InputError::Missing("--value VALUE"))?;
            validate_annotation(&key, &value)?;
            // The presets' keys take comma lists: merge, never replace.
            let merge = key == ANN_SKIP_VERIFY || key == ANN_HTTP_ENDPOINT;
            let value = if merge {
                normalise_hosts(&value)?
            } else {
                value
            };
            Ok(template_mutation(TemplateChange::Annotate {
                key,
                value,
                merge,
            }))
        }
        FixId::CreatePullSecret => {
            let name = match (&p.secret_name, &pod.missing_secret) {
                (Some(n), _) => n.clone(),
                (None, Some(missing)) => missing.clone(),
                (None, None) => secret_name_for(&preset_value(&pod.image)?),
            };
            validate_dns1123_subdomain(&name).map_err(|reason| InputError::SecretName {
                name: name.clone(),
                reason,
            })?;
            let username = p
                .username
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or(InputError::Missing("--username"))?;
            let password = p
                .password
                .clone()
                .filter(|pw| !pw.is_empty())
                .ok_or(InputError::Missing("a password (--password-stdin)"))?;
            let attach = attach_to(pod, &name, p.attach)?;
            Ok(Mutation::CreatePullSecret {
                namespace: pod.namespace.clone(),
                name,
                server: match p.server.as_deref().map(str::trim) {
                    Some(s) if !s.is_empty() => {
                        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                            return Err(InputError::NotApplicable(format!(
                                "invalid registry server {s:?}: no spaces or control characters"
                            )));
                        }
                        s.to_string()
                    }
                    _ => docker_server(&preset_value(&pod.image)?),
                },
                username,
                password,
                email: p.email.clone().filter(|e| !e.is_empty()),
                attach,
            })
        }
        FixId::CopyPullSecret => {
            let from = p
                .from
                .clone()
                .ok_or(InputError::Missing("--from NS/NAME"))?;
            if from.namespace == pod.namespace {
                return Err(InputError::NotApplicable(format!(
                    "{from} is already in the pod's namespace: use --fix attach-pull-secret --secret {}",
                    from.name
                )));
            }
            validate_dns1123_subdomain(&from.name).map_err(|reason| InputError::SecretName {
                name: from.name.clone(),
                reason,
            })?;
            let attach = attach_to(pod, &from.name, p.attach)?;
            Ok(Mutation::CopyPullSecret {
                to: ObjectRef::new(&pod.namespace, &from.name),
                from,
                attach,
            })
        }
        FixId::AttachPullSecret => {
            let secret = p
                .secret
                .clone()
                .ok_or(InputError::Missing("--secret NAME"))?;
            validate_dns1123_subdomain(&secret).map_err(|reason| InputError::SecretName {
                name: secret.clone(),
                reason,
            })?;
            match p.attach.unwrap_or(default_attach(pod)) {
                AttachChoice::Template if pod.injected.is_some() => {
                    Err(InputError::NotApplicable(injected_template(pod)))
                }
                AttachChoice::None => Err(InputError::NotApplicable(
                    "attach-pull-secret needs --attach template or serviceaccount".into(),
                )),
                AttachChoice::Template => {
                    if pod.pull_secrets.contains(&secret) {
                        return Err(InputError::NotApplicable(format!(
                            "the pod already references {secret:?}: attaching it again changes nothing"
                        )));
                    }
                    Ok(template_mutation(TemplateChange::AddPullSecret {
                        name: secret,
                    }))
                }
                AttachChoice::ServiceAccount => Ok(Mutation::AttachPullSecret {
                    secret,
                    to: AttachTo::ServiceAccount {
                        namespace: pod.namespace.clone(),
                        name: pod.service_account.clone(),
                    },
                }),
            }
        }
        FixId::SetImage => {
            let image = p.image.clone().ok_or(InputError::Missing("--image REF"))?;
            ImageRef::parse(&image).map_err(|e| InputError::Image {
                image: image.clone(),
                reason: e.to_string(),
            })?;
            if image == pod.image {
                return Err(InputError::NotApplicable(format!(
                    "container {} already has image {image}",
                    pod.container
                )));
            }
            if pod.facet == Facet::ImageVolume {
                let volume = pod
                    .volume
                    .clone()
                    .ok_or(InputError::Missing("the image volume"))?;
                return Ok(template_mutation(TemplateChange::SetVolumeImage {
                    volume,
                    image,
                }));
            }
            Ok(template_mutation(TemplateChange::SetImage {
                container: pod.container.clone(),
                init: pod.init,
                image,
            }))
        }
        FixId::Restart => plan_restart(pod, p.now),
    }
}

/// Where a pull secret goes by default: the template, or the
/// ServiceAccount for an injected container (its injector, not the
/// workload, decides what it pulls).
fn default_attach(pod: &PodContext) -> AttachChoice {
    if pod.injected.is_some() {
        AttachChoice::ServiceAccount
    } else {
        AttachChoice::Template
    }
}

fn injected_template(pod: &PodContext) -> String {
    format!(
        "container {} was injected by {}: its pull secret belongs on the namespace's \
         ServiceAccount (--attach serviceaccount) or in the injector's configuration, not in \
         the workload's template",
        pod.container,
        pod.injected.as_deref().unwrap_or("a webhook")
    )
}

/// Why `fix` cannot apply to a failure of this facet: the sandbox image is
/// the node's (no write to the pod or its workload helps); an ephemeral
/// container can be neither changed nor removed; an injected container's
/// image is the injector's.
fn refused_for_facet(pod: &PodContext, fix: FixId) -> Option<String> {
    match pod.facet {
        Facet::Sandbox => Some(format!(
            "pod {}/{} cannot create its sandbox: the node's container runtime pulls the \
             sandbox (pause) image with its own configuration and credentials, so no change \
             to the pod, its pull secrets or its workload helps; fix the runtime's sandbox \
             image setting or the node's access to its registry",
            pod.namespace, pod.name
        )),
        Facet::EphemeralContainer => Some(format!(
            "{} is an ephemeral container (kubectl debug): it can be neither changed nor \
             removed, and no template holds it; run kubectl debug again with an image the \
             node can pull",
            pod.container
        )),
        _ if fix == FixId::SetImage && pod.injected.is_some() => Some(format!(
            "container {} was injected by {}: its image comes from the injector's \
             configuration, not from the workload's template; change it there",
            pod.container,
            pod.injected.as_deref().unwrap_or("a webhook")
        )),
        _ => None,
    }
}

fn plan_restart(pod: &PodContext, now: Option<Timestamp>) -> Result<Mutation, InputError> {
    let target = &pod.target;
    match target.kind.as_str() {
        "Pod" => Err(InputError::NotApplicable(format!(
            "{}/{} is a bare pod: no controller would recreate it if it were deleted. \
             Fix its image or pull secrets in place, or recreate it from your manifest",
            pod.namespace, pod.name
        ))),
        "Deployment" if pod.paused => Err(InputError::NotApplicable(format!(
            "Deployment/{} is paused: a restart would not roll out until it is resumed \
             (kubectl -n {} rollout resume deployment/{})",
            target.name, target.namespace, target.name
        ))),
        "Deployment" | "StatefulSet" | "DaemonSet" => Ok(Mutation::Restart {
            target: target.clone(),
            at: now.ok_or(InputError::Missing("the current time"))?,
        }),
        _ => {
            let mut pods = pod.failing_pods.clone();
            if !pods.contains(&pod.name) {
                pods.insert(0, pod.name.clone());
            }
            Ok(Mutation::DeletePods {
                owner: target.clone(),
                namespace: pod.namespace.clone(),
                pods,
            })
        }
    }
}

/// `--attach`: the choice, defaulting to the template, or to none when the
/// pod already references a secret of that name (creating it is the fix).
fn attach_to(
    pod: &PodContext,
    secret: &str,
    choice: Option<AttachChoice>,
) -> Result<Option<AttachTo>, InputError> {
    let referenced = pod.pull_secrets.iter().any(|s| s == secret);
    let choice = choice.unwrap_or(if referenced {
        AttachChoice::None
    } else {
        default_attach(pod)
    });
    Ok(match choice {
        AttachChoice::None => None,
        AttachChoice::Template if pod.injected.is_some() && !referenced => {
            return Err(InputError::NotApplicable(injected_template(pod)));
        }
        AttachChoice::Template if referenced => None,
        AttachChoice::Template => {
            if pod.target.kind == "Job" {
                return Err(InputError::NotApplicable(format!(
                    "Job/{}'s pod template cannot change: attach to the ServiceAccount \
                     (--attach serviceaccount) and restart, or recreate the Job",
                    pod.target.name
                )));
            }
            Some(AttachTo::Template {
                target: pod.target.clone(),
            })
        }
        AttachChoice::ServiceAccount => Some(AttachTo::ServiceAccount {
            namespace: pod.namespace.clone(),
            name: pod.service_account.clone(),
        }),
    })
}

/// A comma list of hosts, trimmed, without empty items or duplicates.
fn normalise_hosts(v: &str) -> Result<String, InputError> {
    let items: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(InputError::AnnotationValue("empty host list".into()));
    }
    Ok(merge_list(None, &items.join(",")))
}

/// Merges comma-separated `add` into `existing`, keeping order, dropping
/// duplicates; `all` (in either) wins.
pub fn merge_list(existing: Option<&str>, add: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for item in existing
        .unwrap_or("")
        .split(',')
        .chain(add.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if item.eq_ignore_ascii_case("all") {
            return "all".into();
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(item)) {
            out.push(item.to_string());
        }
    }
    out.join(",")
}

/// The annotation value after the change, given the current one.
pub fn annotation_after(current: Option<&str>, value: &str, merge: bool) -> String {
    if merge {
        merge_list(current, value)
    } else {
        value.to_string()
    }
}

const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Validates an annotation as the API server does: the key is a qualified
/// name (optional DNS-1123 subdomain prefix `/` name of ≤ 63 characters),
/// all annotations together ≤ 256 KiB.
pub fn validate_annotation(key: &str, value: &str) -> Result<(), InputError> {
    validate_qualified_name(key).map_err(|reason| InputError::AnnotationKey {
        key: key.to_string(),
        reason,
    })?;
    if key.len() + value.len() > MAX_ANNOTATIONS_BYTES {
        return Err(InputError::AnnotationValue(format!(
            "annotations must be at most {MAX_ANNOTATIONS_BYTES} bytes in total"
        )));
    }
    Ok(())
}

/// `[prefix/]name`: apimachinery's `IsQualifiedName`.
pub fn validate_qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => {
            if n.contains('/') {
                return Err(
                    "a qualified name must consist of an optional DNS subdomain prefix, \
                     one '/', and a name"
                        .into(),
                );
            }
            (Some(p), n)
        }
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err("prefix part must be non-empty".into());
        }
        validate_dns1123_subdomain(p).map_err(|e| format!("prefix part {e}"))?;
    }
    if name.is_empty() {
        return Err("name part must be non-empty".into());
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters".into());
    }
    let b = name.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let ok = alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter()
            .all(|&c| alnum(c) || c == b'-' || c == b'_' || c == b'.');
    if !ok {
        return Err(
            "name part must consist of alphanumeric characters, '-', '_' or '.', \
             and must start and end with an alphanumeric character"
                .into(),
        );
    }
    Ok(())
}

/// apimachinery's `IsDNS1123Subdomain` (names of secrets and most objects).
pub fn validate_dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must be non-empty".into());
    }
    if s.len() > 253 {
        return Err("must be no more than 253 characters".into());
    }
    for label in s.split('.') {
        if !is_dns1123_label(label) {
            return Err(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
                 characters, '-' or '.', and must start and end with an alphanumeric character"
                    .into(),
            );
        }
    }
    Ok(())
}

/// apimachinery's `IsDNS1123Label` (namespace names).
pub fn validate_dns1123_label(s: &str) -> Result<(), String> {
    if is_dns1123_label(s) {
        Ok(())
    } else {
        Err(
            "a lowercase RFC 1123 label must consist of at most 63 lower case alphanumeric \
             characters or '-', and must start and end with an alphanumeric character"
                .into(),
        )
    }
}

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let an = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && an(b[0])
        && an(b[b.len() - 1])
        && b.iter().all(|&c| an(c) || c == b'-')
}

/// A valid secret name for a registry: `regcred-<host>[-<port>]`, lowercased,
/// other characters as `-`, at most 63 characters.
pub fn secret_name_for(registry: &str) -> String {
    let mut s = String::from("regcred-");
    let mut dash = true;
    for c in registry.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
            dash = false;
        } else if !dash {
            s.push('-');
            dash = true;
        }
    }
    s.truncate(63);
    while s.ends_with('-') {
        s.pop();
    }
    s
}

/// The `auths` key for a registry, as `kubectl create secret docker-registry` uses.
pub fn docker_server(registry: &str) -> String {
    if registry == super::image::DOCKER_HUB {
        DOCKER_HUB_SERVER.into()
    } else {
        registry.into()
    }
}

/// The `.dockerconfigjson` payload: `{"auths": {server: {username,
/// password, email?, auth: base64(user:pass)}}}`, as kubectl writes it.
pub fn docker_config_json(
    server: &str,
    username: &str,
    password: &Redacted,
    email: Option<&str>,
) -> Redacted {
    let auth = Redacted::new(STANDARD.encode(format!("{username}:{}", password.expose())));
    let mut entry = serde_json::Map::new();
    entry.insert("username".into(), username.into());
    entry.insert("password".into(), password.expose().into());
    if let Some(e) = email {
        entry.insert("email".into(), e.into());
    }
    entry.insert("auth".into(), auth.expose().into());
    let v = json!({"auths": {server: Value::Object(entry)}});
    Redacted::new(v.to_string())
}

/// RFC 3339 in UTC to the second, as `kubectl rollout restart` writes it.
pub fn restarted_at(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub use super::template_change::{
    apply_to_template, recreated_job, refuse_template_change, template_patch,
};

/// A pull-secret candidate from another namespace (never its data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub namespace: String,
    pub name: String,
    pub username: Option<String>,
}

/// The namespaces a preview's objects create a pull secret in (created or
/// copied), sorted: where the credentials end up.
pub fn secret_namespaces(objects: &[String]) -> Vec<String> {
    let mut out: Vec<String> = objects
        .iter()
        .filter(|o| o.contains("(new"))
        .filter_map(|o| o.strip_prefix("Secret "))
        .filter_map(|rest| rest.split_once('/').map(|(ns, _)| ns.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The secrets (namespace, name, summary) that cover `image`, by
/// kubelet's matching, with the username of the covering entry.
pub fn covering(secrets: &[(String, String, SecretInfo)], image: &ImageRef) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = secrets
        .iter()
        .filter_map(|(ns, name, info)| match check_info(info, image) {
            super::secrets::SecretState::Parsed {
                entries,
                covers: true,
            } => Some(Candidate {
                namespace: ns.clone(),
                name: name.clone(),
                username: entries
                    .into_iter()
                    .find(|e| e.covers)
                    .and_then(|e| e.username),
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

/// "Attach what is there": secrets of the pod's namespace that cover the
/// image but are referenced neither by the pod nor by its ServiceAccount.
pub fn attachable(
    namespace_secrets: &[(String, String, SecretInfo)],
    image: &ImageRef,
    referenced: &[String],
) -> Vec<Candidate> {
    covering(namespace_secrets, image)
        .into_iter()
        .filter(|c| !referenced.contains(&c.name))
        .collect()
}

/// What the user confirms: the object, the field diff, the kubectl equivalent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// One line: what changes, e.g. "annotate Deployment/web in shop".
    pub title: String,
    /// The objects written, in order (`Deployment shop/web`).
    pub objects: Vec<String>,
    /// YAML diff lines (` `, `-`, `+` prefixed), with `# Kind ns/name` headers.
    pub diff: Vec<String>,
    /// Equivalent kubectl commands, runnable as printed.
    pub kubectl: Vec<String>,
    /// What else to know (new pods only, Job recreated, pods deleted and why).
    pub notes: Vec<String>,
}

impl Preview {
    /// One preview of several changes, applied in order (a group fix);
    /// `skipped`: what could not be prepared, and why. One change and
    /// nothing skipped: that change's own preview.
    pub fn combine(mut previews: Vec<Preview>, skipped: &[String]) -> Preview {
        if previews.len() == 1 && skipped.is_empty() {
            return previews.remove(0);
        }
        let mut all = Preview {
            title: format!("{} changes, applied in this order:", previews.len()),
            objects: Vec::new(),
            diff: Vec::new(),
            kubectl: Vec::new(),
            notes: Vec::new(),
        };
        for (i, p) in previews.into_iter().enumerate() {
            all.objects.extend(p.objects);
            all.diff.push(format!("# ({}) {}", i + 1, p.title));
            all.diff.extend(p.diff);
            all.kubectl.extend(p.kubectl);
            all.notes.extend(p.notes);
        }
        all.notes
            .extend(skipped.iter().map(|s| format!("skipped {s}")));
        let spread = secret_namespaces(&all.objects);
        if spread.len() > 1 {
            all.notes.insert(
                0,
                format!(
                    "the same credentials are written to {} namespaces: {} — whoever may read \
                     secrets in any of them can read them",
                    spread.len(),
                    spread.join(", ")
                ),
            );
        }
        all
    }
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        for l in &self.diff {
            writeln!(f, "  {l}")?;
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "note: {n}")?;
            }
        }
        writeln!(f)?;
        writeln!(f, "equivalent kubectl:")?;
        for k in &self.kubectl {
            writeln!(f, "  {k}")?;
        }
        Ok(())
    }
}

/// The current state the preview is computed from (fetched by the I/O layer).
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The write target (pod template owner or pod), as JSON.
    pub target: Option<Value>,
    /// The ServiceAccount, when the mutation attaches to it.
    pub service_account: Option<Value>,
    /// StatefulSet OrderedReady: the stuck pods that will be deleted too.
    pub stuck_pods: Vec<String>,
}

/// A YAML scalar: JSON's double-quoted string is valid YAML.
fn y(s: &str) -> String {
    Value::from(s).to_string()
}

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

pub(super) fn names_of(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn kubectl_patch(target: &WriteTarget, patch: &Value) -> String {
    format!(
        "kubectl -n {} patch {} --type strategic -p {}",
        sh(&target.namespace),
        sh(&target.kubectl_ref()),
        sh(&patch.to_string())
    )
}

fn header(kind: &str, ns: &str, name: &str) -> String {
    format!("# {kind} {ns}/{name}")
}

impl Mutation {
    /// The preview of this mutation against the current objects.
    pub fn preview(&self, cur: &Current) -> Preview {
        let mut p = Preview {
            title: String::new(),
            objects: Vec::new(),
            diff: Vec::new(),
            kubectl: Vec::new(),
            notes: Vec::new(),
        };
        match self {
            Mutation::CreatePullSecret {
                namespace,
                name,
                server,
                username,
                email,
                attach,
                ..
            } => {
                p.title = format!("create pull secret {namespace}/{name} for {server}");
                p.objects.push(format!("Secret {namespace}/{name} (new)"));
                p.diff.push(header("Secret", namespace, name));
                p.diff.push(format!(
                    "+ type: {}",
                    y(super::secrets::DOCKER_CONFIG_JSON_TYPE)
                ));
                p.diff.push(format!(
                    "+ data: {{.dockerconfigjson: auths {} username {} password ***}}",
                    y(server),
                    y(username)
                ));
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
                p.kubectl.push(cmd);
                if let Some(a) = attach {
                    preview_attach(&mut p, name, a, cur);
                }
            }
            Mutation::CopyPullSecret { from, to, attach } => {
                p.title = format!("copy pull secret {from} to {to}");
                p.objects
                    .push(format!("Secret {to} (new, copied from {from})"));
                p.diff.push(header("Secret", &to.namespace, &to.name));
                p.diff
                    .push(format!("+ copy of {from}: type and data (not shown)"));
                p.kubectl.push(format!(
                    "kubectl -n {} get secret {} -o json | jq '{{apiVersion, kind, type, data, \
                     metadata: {{name: .metadata.name}}}}' | kubectl -n {} create -f -",
                    sh(&from.namespace),
                    sh(&from.name),
                    sh(&to.namespace)
                ));
                if let Some(a) = attach {
                    preview_attach(&mut p, &to.name, a, cur);
                }
            }
            Mutation::AttachPullSecret { secret, to } => {
                p.title = format!("attach pull secret {secret}");
                preview_attach(&mut p, secret, to, cur);
            }
            Mutation::DeletePods {
                owner,
                namespace,
                pods,
            } => {
                p.title = format!(
                    "delete {} pod(s) of {owner} in {namespace} so that it recreates them",
                    pods.len()
                );
                for pod in pods {
                    p.objects.push(format!("Pod {namespace}/{pod} (deleted)"));
                    p.diff.push(format!("- Pod {namespace}/{pod}"));
                }
                p.kubectl.push(format!(
                    "kubectl -n {} delete pod {}",
                    sh(namespace),
                    pods.iter().map(|s| sh(s)).collect::<Vec<_>>().join(" ")
                ));
                if owner.kind != "Deployment"
                    && owner.kind != "StatefulSet"
                    && owner.kind != "DaemonSet"
                {
                    p.notes.push(format!(
                        "{owner} cannot be rollout-restarted: its failing pods are deleted and \
                         it creates new ones"
                    ));
                }
            }
            _ => {
                if let Some((target, change)) = self.template_change() {
                    preview_template(&mut p, self, target, &change, cur);
                }
            }
        }
        p
    }
}

fn template_of<'a>(cur: &'a Current, target: &WriteTarget) -> Option<&'a Value> {
    cur.target.as_ref().and_then(|t| target.template.get(t))
}

fn preview_attach(p: &mut Preview, secret: &str, to: &AttachTo, cur: &Current) {
    match to {
        AttachTo::Template { target } => {
            let change = TemplateChange::AddPullSecret {
                name: secret.to_string(),
            };
            preview_template_change(p, target, &change, cur);
            p.kubectl.push(kubectl_patch(
                target,
                &template_patch(target.template, &change, "", template_of(cur, target)),
            ));
            stuck_note(p, target, cur);
        }
        AttachTo::ServiceAccount { namespace, name } => {
            p.objects.push(format!("ServiceAccount {namespace}/{name}"));
            let before = names_of(
                cur.service_account
                    .as_ref()
                    .and_then(|s| s.get("imagePullSecrets")),
            );
            p.diff.push(header("ServiceAccount", namespace, name));
            p.diff.push("  imagePullSecrets:".into());
            for b in &before {
                p.diff.push(format!("    - name: {}", y(b)));
            }
            let mut after = before.clone();
            if !before.iter().any(|b| b == secret) {
                p.diff.push(format!("+   - name: {}", y(secret)));
                after.push(secret.to_string());
            }
            let list: Vec<Value> = after.iter().map(|n| json!({"name": n})).collect();
            p.kubectl.push(format!(
                "kubectl -n {} patch serviceaccount {} --type merge -p {}",
                sh(namespace),
                sh(name),
                sh(&json!({"imagePullSecrets": list}).to_string())
            ));
            p.notes.push(format!(
                "a ServiceAccount's pull secrets reach only pods created after the change: \
                 restart the workload (pulltui fix ... --fix restart, or `k`) so that new pods \
                 get {secret}"
            ));
        }
    }
}

fn stuck_note(p: &mut Preview, target: &WriteTarget, cur: &Current) {
    if target.kind == "StatefulSet" && !cur.stuck_pods.is_empty() {
        let ns = &target.namespace;
        for pod in &cur.stuck_pods {
            p.objects.push(format!("Pod {ns}/{pod} (deleted)"));
            p.diff.push(format!("- Pod {ns}/{pod}"));
        }
        p.kubectl.push(format!(
            "kubectl -n {} delete pod {}",
            sh(ns),
            cur.stuck_pods
                .iter()
                .map(|s| sh(s))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        p.notes.push(format!(
            "StatefulSet/{} uses podManagementPolicy OrderedReady: it never replaces a pod that \
             is not Ready after a template change, so the stuck pod(s) {} are deleted too and \
             recreated from the new template",
            target.name,
            cur.stuck_pods.join(", ")
        ));
    }
}

/// The diff lines of a template change on `target` (no kubectl, no notes).
fn preview_template_change(
    p: &mut Preview,
    target: &WriteTarget,
    change: &TemplateChange,
    cur: &Current,
) {
    let tpl = template_of(cur, target);
    p.objects.push(format!(
        "{} {}/{}",
        target.kind, target.namespace, target.name
    ));
    p.diff
        .push(header(&target.kind, &target.namespace, &target.name));
    match change {
        TemplateChange::Annotate { key, value, merge } => {
            let before = tpl
                .and_then(|t| t.pointer("/metadata/annotations"))
                .and_then(|a| a.get(key))
                .and_then(Value::as_str);
            let after = annotation_after(before, value, *merge);
            p.diff.push(format!(
                "  {}:",
                target.template.field("metadata.annotations")
            ));
            match before {
                Some(b) if b == after => {
                    p.diff
                        .push(format!("    {}: {}  (unchanged)", y(key), y(b)))
                }
                Some(b) => {
                    p.diff.push(format!("-   {}: {}", y(key), y(b)));
                    p.diff.push(format!("+   {}: {}", y(key), y(&after)));
                }
                None => p.diff.push(format!("+   {}: {}", y(key), y(&after))),
            }
        }
        TemplateChange::AddPullSecret { name } => {
            let before = names_of(tpl.and_then(|t| t.pointer("/spec/imagePullSecrets")));
            p.diff.push(format!(
                "  {}:",
                target.template.field("spec.imagePullSecrets")
            ));
            for b in &before {
                p.diff.push(format!("    - name: {}", y(b)));
            }
            if !before.contains(name) {
                p.diff.push(format!("+   - name: {}", y(name)));
            }
        }
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => {
            let list = if *init {
                "initContainers"
            } else {
                "containers"
            };
            let before = tpl
                .and_then(|t| t.pointer(&format!("/spec/{list}")))
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
                })
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            p.diff.push(format!(
                "  {}:",
                target.template.field(&format!("spec.{list}"))
            ));
            p.diff.push(format!("    - name: {}", y(container)));
            p.diff.push(format!("-     image: {}", y(before)));
            p.diff.push(format!("+     image: {}", y(image)));
        }
        TemplateChange::SetVolumeImage { volume, image } => {
            let before = super::template_change::volume_entry(tpl, volume)
                .and_then(|v| v.pointer("/image/reference"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            p.diff
                .push(format!("  {}:", target.template.field("spec.volumes")));
            p.diff.push(format!("    - name: {}", y(volume)));
            p.diff.push("      image:".to_string());
            p.diff.push(format!("-       reference: {}", y(before)));
            p.diff.push(format!("+       reference: {}", y(image)));
        }
    }
}

fn preview_template(
    p: &mut Preview,
    m: &Mutation,
    target: &WriteTarget,
    change: &TemplateChange,
    cur: &Current,
) {
    let what = match (m, change) {
        (Mutation::Restart { .. }, _) => "restart",
        (_, TemplateChange::Annotate { .. }) => "annotate",
        (_, TemplateChange::AddPullSecret { .. }) => "attach a pull secret to",
        (_, TemplateChange::SetImage { .. }) => "set the image of",
        (_, TemplateChange::SetVolumeImage { .. }) => "set an image volume of",
    };
    p.title = format!("{what} {target} in namespace {}", target.namespace);
    preview_template_change(p, target, change, cur);
    match m {
        Mutation::RecreateJob { .. } => {
            p.title = format!(
                "recreate {target} in namespace {} ({what} its template)",
                target.namespace
            );
            p.notes.push(format!(
                "a Job's pod template is immutable: {target} is deleted (with its pods) and \
                 created again from its spec with this change, without the generated selector \
                 and controller-uid/job-name labels (like kubectl replace --force)"
            ));
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
                    let list = if *init {
                        "initContainers"
                    } else {
                        "containers"
                    };
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
                TemplateChange::Annotate { key, value, merge } => {
                    let before = template_of(cur, target)
                        .and_then(|t| t.pointer("/metadata/annotations"))
                        .and_then(|a| a.get(key))
                        .and_then(Value::as_str);
                    jq.push_str(&format!(
                        " | .spec.template.metadata.annotations[{}] = {}",
                        y(key),
                        y(&annotation_after(before, value, *merge))
                    ));
                }
                TemplateChange::AddPullSecret { name } => {
                    jq.push_str(&format!(
                        " | .spec.template.spec.imagePullSecrets += [{{\"name\": {}}}]",
                        y(name)
                    ));
                }
            }
            p.kubectl.push(format!(
                "kubectl -n {} get job {} -o json | jq {} | kubectl replace --force -f -",
                sh(&target.namespace),
                sh(&target.name),
                sh(&jq)
            ));
        }
        Mutation::Restart { .. } => {
            p.kubectl.push(format!(
                "kubectl -n {} rollout restart {}",
                sh(&target.namespace),
                sh(&target.kubectl_ref())
            ));
            stuck_note(p, target, cur);
        }
        _ => {
            let value = match change {
                TemplateChange::Annotate { key, value, merge } => {
                    let before = template_of(cur, target)
                        .and_then(|t| t.pointer("/metadata/annotations"))
                        .and_then(|a| a.get(key))
                        .and_then(Value::as_str);
                    annotation_after(before, value, *merge)
                }
                _ => String::new(),
            };
            match (target.is_pod(), change) {
                (true, TemplateChange::Annotate { key, .. }) => p.kubectl.push(format!(
                    "kubectl -n {} annotate pod {} --overwrite {}",
                    sh(&target.namespace),
                    sh(&target.name),
                    sh(&format!("{key}={value}"))
                )),
                (
                    false,
                    TemplateChange::SetImage {
                        container, image, ..
                    },
                ) => p.kubectl.push(format!(
                    "kubectl -n {} set image {} {}",
                    sh(&target.namespace),
                    sh(&target.kubectl_ref()),
                    sh(&format!("{container}={image}"))
                )),
                _ => p.kubectl.push(kubectl_patch(
                    target,
                    &template_patch(target.template, change, &value, template_of(cur, target)),
                )),
            }
            if target.kind == "CronJob" {
                p.notes.push(format!(
                    "{target}'s next Jobs use the new template; Jobs it already created keep \
                     theirs (restart deletes their failing pods, recreate a Job with set-image)"
                ));
            }
            stuck_note(p, target, cur);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::owners::TemplatePath;
    use crate::domain::secrets::AuthKey;

    fn deployment() -> WriteTarget {
        WriteTarget {
            kind: "Deployment".into(),
            api_version: "apps/v1".into(),
            namespace: "shop".into(),
            name: "web".into(),
            template: TemplatePath::Template,
        }
    }

    fn ctx(target: WriteTarget) -> PodContext {
        PodContext {
            namespace: "shop".into(),
            name: "web-1".into(),
            container: "app".into(),
            init: false,
            image: "127.0.0.1:5443/team/app:1.0".into(),
            pull_secrets: vec!["other".into()],
            service_account: "default".into(),
            target,
            category: None,
            missing_secret: None,
            failing_pods: vec![],
            paused: false,
            facet: Facet::Container,
            volume: None,
            injected: None,
        }
    }

    fn params_image(image: &str) -> FixParams {
        FixParams {
            image: Some(image.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_sandbox_and_an_ephemeral_container_refuse_every_write() {
        for facet in [Facet::Sandbox, Facet::EphemeralContainer] {
            let pod = PodContext {
                facet,
                ..ctx(deployment())
            };
            for fix in [
                FixId::SetImage,
                FixId::Restart,
                FixId::AttachPullSecret,
                FixId::AnnotateSkipVerify,
            ] {
                let p = FixParams {
                    image: Some("127.0.0.1:5443/team/app:2.0".into()),
                    secret: Some("regcred".into()),
                    now: Some(Timestamp::UNIX_EPOCH),
                    ..Default::default()
                };
                match plan(&pod, fix, &p) {
                    Err(InputError::NotApplicable(why)) => {
                        assert!(
                            why.contains("sandbox") || why.contains("ephemeral"),
                            "{why}"
                        )
                    }
                    other => panic!("{facet:?} {fix:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn set_image_on_an_image_volume_changes_the_volumes_reference() {
        let pod = PodContext {
            facet: Facet::ImageVolume,
            volume: Some("data".into()),
            image: "127.0.0.1:5443/team/data:1".into(),
            ..ctx(deployment())
        };
        let m = plan(
            &pod,
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/data:2"),
        );
        let Ok(Mutation::SetVolumeImage { volume, image, .. }) = &m else {
            panic!("{m:?}");
        };
        assert_eq!(
            (volume.as_str(), image.as_str()),
            ("data", "127.0.0.1:5443/team/data:2")
        );
        let Some((t, change)) = m.as_ref().ok().and_then(|m| m.template_change()) else {
            panic!("a template change");
        };
        let patch = super::super::template_change::template_patch(t.template, &change, "", None);
        assert_eq!(
            patch,
            json!({"spec": {"template": {"spec": {"volumes": [
                {"name": "data", "image": {"reference": "127.0.0.1:5443/team/data:2"}}]}}}})
        );
        // A Job is re-created with the volume changed.
        let job = WriteTarget {
            kind: "Job".into(),
            ..deployment()
        };
        let m = plan(
            &PodContext {
                target: job,
                ..pod.clone()
            },
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/data:2"),
        );
        assert!(matches!(
            m,
            Ok(Mutation::RecreateJob {
                change: TemplateChange::SetVolumeImage { .. },
                ..
            })
        ));
    }

    #[test]
    fn an_injected_containers_image_and_secret_stay_off_the_template() {
        let pod = PodContext {
            injected: Some("istio".into()),
            container: "istio-proxy".into(),
            ..ctx(deployment())
        };
        let m = plan(
            &pod,
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/app:2.0"),
        );
        assert!(
            matches!(&m, Err(InputError::NotApplicable(w)) if w.contains("injector")),
            "{m:?}"
        );
        // A pull secret goes on the ServiceAccount by default, never the template.
        let p = FixParams {
            secret: Some("regcred".into()),
            ..Default::default()
        };
        let m = plan(&pod, FixId::AttachPullSecret, &p);
        assert!(
            matches!(
                &m,
                Ok(Mutation::AttachPullSecret {
                    to: AttachTo::ServiceAccount { .. },
                    ..
                })
            ),
            "{m:?}"
        );
        let p = FixParams {
            attach: Some(AttachChoice::Template),
            ..p
        };
        let m = plan(&pod, FixId::AttachPullSecret, &p);
        assert!(matches!(m, Err(InputError::NotApplicable(_))), "{m:?}");
    }

    #[test]
    fn merging_a_host_list_keeps_order_and_drops_duplicates() {
        assert_eq!(merge_list(None, "a:1"), "a:1");
        assert_eq!(merge_list(Some("a:1, b"), "b,c"), "a:1,b,c");
        assert_eq!(merge_list(Some("A"), "a"), "A");
        assert_eq!(merge_list(Some(""), " x ,, "), "x");
    }

    #[test]
    fn all_wins_in_a_merged_host_list() {
        assert_eq!(merge_list(Some("a,all"), "b"), "all");
        assert_eq!(merge_list(Some("a"), "all"), "all");
    }

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

    #[test]
    fn preset_order_follows_the_cause() {
        assert_eq!(
            presets(Some(Category::TlsUntrusted))[0].key,
            ANN_SKIP_VERIFY
        );
        assert_eq!(
            presets(Some(Category::ProtocolHttpRegistry))[0].key,
            ANN_HTTP_ENDPOINT
        );
        assert_eq!(presets(None)[0].fix, FixId::AnnotateSkipVerify);
    }

    #[test]
    fn preset_value_is_the_registry_with_its_port() {
        assert_eq!(
            preset_value("127.0.0.1:5000/a/b:1").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(preset_value("reg.example/a").unwrap(), "reg.example");
        assert_eq!(preset_value("nginx").unwrap(), "docker.io");
        assert!(preset_value("Bad/Name").is_err());
    }

    #[test]
    fn annotation_keys_are_validated_like_the_api_server() {
        assert!(validate_qualified_name(ANN_SKIP_VERIFY).is_ok());
        assert!(validate_qualified_name("simple").is_ok());
        assert!(validate_qualified_name("a/b/c").is_err());
        assert!(validate_qualified_name("/x").is_err());
        assert!(validate_qualified_name("Upper.Case/x").is_err());
        assert!(validate_qualified_name("ok.example/-x").is_err());
        assert!(validate_qualified_name(&"x".repeat(64)).is_err());
        assert!(validate_qualified_name(&"x".repeat(63)).is_ok());
        assert!(validate_qualified_name(&format!("{}/x", "a".repeat(254))).is_err());
    }

    #[test]
    fn secret_names_are_dns1123_subdomains() {
        assert!(validate_dns1123_subdomain("regcred").is_ok());
        assert!(validate_dns1123_subdomain("a.b-c").is_ok());
        assert!(validate_dns1123_subdomain("Reg").is_err());
        assert!(validate_dns1123_subdomain("a_b").is_err());
        assert!(validate_dns1123_subdomain("-a").is_err());
        assert!(validate_dns1123_subdomain("").is_err());
    }

    #[test]
    fn a_secret_name_derived_from_a_registry_is_valid() {
        for r in [
            "127.0.0.1:5443",
            "Private.Example.COM",
            "[::1]:5000",
            "a".repeat(300).as_str(),
        ] {
            let n = secret_name_for(r);
            assert!(validate_dns1123_subdomain(&n).is_ok(), "{r} -> {n}");
            assert!(n.len() <= 63);
        }
        assert_eq!(secret_name_for("127.0.0.1:5443"), "regcred-127-0-0-1-5443");
    }

    #[test]
    fn dockerconfigjson_carries_base64_auth_and_debug_hides_it() {
        let pw = Redacted::new("s3cret");
        let c = docker_config_json("reg:5000", "bob", &pw, Some("b@x"));
        let v: Value = serde_json::from_str(c.expose()).unwrap();
        let e = &v["auths"]["reg:5000"];
        assert_eq!(e["username"], "bob");
        assert_eq!(e["password"], "s3cret");
        assert_eq!(e["email"], "b@x");
        assert_eq!(e["auth"], STANDARD.encode("bob:s3cret"));
        assert_eq!(format!("{c:?}"), "***");
    }

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
    fn restarted_at_is_rfc3339_to_the_second_in_utc() {
        let t: Timestamp = "2026-12-02T08:01:02.345Z".parse().unwrap();
        assert_eq!(restarted_at(t), "2026-12-02T08:01:02Z");
    }

    #[test]
    fn planning_skip_verify_defaults_to_the_image_registry() {
        let m = plan(
            &ctx(deployment()),
            FixId::AnnotateSkipVerify,
            &FixParams::default(),
        )
        .unwrap();
        assert_eq!(
            m,
            Mutation::AnnotateTemplate {
                target: deployment(),
                key: ANN_SKIP_VERIFY.into(),
                value: "127.0.0.1:5443".into(),
                merge: true
            }
        );
        let p = FixParams {
            value: Some(" a, a ,b".into()),
            ..Default::default()
        };
        let Mutation::AnnotateTemplate { value, .. } =
            plan(&ctx(deployment()), FixId::AnnotateHttpEndpoint, &p).unwrap()
        else {
            panic!()
        };
        assert_eq!(value, "a,b");
    }

    #[test]
    fn create_pull_secret_uses_the_missing_name_and_does_not_attach_it_again() {
        let mut c = ctx(deployment());
        c.pull_secrets = vec!["does-not-exist".into()];
        c.missing_secret = Some("does-not-exist".into());
        let p = FixParams {
            username: Some("u".into()),
            password: Some("pw".into()),
            ..Default::default()
        };
        let m = plan(&c, FixId::CreatePullSecret, &p).unwrap();
        let Mutation::CreatePullSecret {
            name,
            attach,
            server,
            ..
        } = &m
        else {
            panic!()
        };
        assert_eq!(name, "does-not-exist");
        assert_eq!(attach, &None);
        assert_eq!(server, "127.0.0.1:5443");
        // Without a missing name: derived, attached to the template.
        let m = plan(&ctx(deployment()), FixId::CreatePullSecret, &p).unwrap();
        let Mutation::CreatePullSecret { name, attach, .. } = &m else {
            panic!()
        };
        assert_eq!(name, "regcred-127-0-0-1-5443");
        assert_eq!(
            attach,
            &Some(AttachTo::Template {
                target: deployment()
            })
        );
        assert!(!format!("{m:?}").contains("pw\""));
        assert!(!m.audit_change().to_string().contains("pw"));
    }

    #[test]
    fn create_pull_secret_requires_credentials() {
        let e = plan(
            &ctx(deployment()),
            FixId::CreatePullSecret,
            &FixParams::default(),
        )
        .unwrap_err();
        assert_eq!(e, InputError::Missing("--username"));
        let p = FixParams {
            username: Some("u".into()),
            secret_name: Some("Bad_Name".into()),
            password: Some("x".into()),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::CreatePullSecret, &p),
            Err(InputError::SecretName { .. })
        ));
    }

    #[test]
    fn set_image_validates_the_reference_and_a_job_is_recreated() {
        let p = FixParams {
            image: Some("Bad:Ref:x".into()),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::SetImage, &p),
            Err(InputError::Image { .. })
        ));
        let job = WriteTarget {
            kind: "Job".into(),
            api_version: "batch/v1".into(),
            namespace: "shop".into(),
            name: "once".into(),
            template: TemplatePath::Template,
        };
        let p = FixParams {
            image: Some("127.0.0.1:5443/team/app:1.0-fixed".into()),
            ..Default::default()
        };
        let m = plan(&ctx(job), FixId::SetImage, &p).unwrap();
        assert!(matches!(m, Mutation::RecreateJob { .. }), "{m:?}");
        let pv = m.preview(&Current::default());
        assert!(pv.notes.iter().any(|n| n.contains("immutable")), "{pv}");
        assert!(pv.kubectl[0].contains("replace --force"), "{pv}");
    }

    #[test]
    fn restart_rolls_out_refuses_bare_and_paused_and_deletes_otherwise() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let p = FixParams {
            now: Some(now),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::Restart, &p).unwrap(),
            Mutation::Restart { .. }
        ));
        let mut paused = ctx(deployment());
        paused.paused = true;
        let e = plan(&paused, FixId::Restart, &p).unwrap_err();
        assert!(e.to_string().contains("paused"), "{e}");
        let bare = ctx(WriteTarget::pod("shop", "web-1"));
        let e = plan(&bare, FixId::Restart, &p).unwrap_err();
        assert!(e.to_string().contains("bare pod"), "{e}");
        let mut rs = ctx(WriteTarget {
            kind: "ReplicaSet".into(),
            api_version: "apps/v1".into(),
            namespace: "shop".into(),
            name: "rs".into(),
            template: TemplatePath::Template,
        });
        rs.failing_pods = vec!["other-pod".into()];
        let Mutation::DeletePods { pods, .. } = plan(&rs, FixId::Restart, &p).unwrap() else {
            panic!()
        };
        assert_eq!(pods, vec!["web-1".to_string(), "other-pod".into()]);
    }

    #[test]
    fn annotate_preview_shows_the_merged_value_and_a_runnable_patch() {
        let m = plan(
            &ctx(deployment()),
            FixId::AnnotateSkipVerify,
            &FixParams::default(),
        )
        .unwrap();
        let cur = Current {
            target: Some(json!({"spec": {"template": {"metadata": {"annotations": {
                ANN_SKIP_VERIFY: "other.example", "keep": "me"}}}}})),
            ..Default::default()
        };
        let p = m.preview(&cur);
        let text = p.to_string();
        assert!(
            text.contains(&format!("-   \"{ANN_SKIP_VERIFY}\": \"other.example\"")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "+   \"{ANN_SKIP_VERIFY}\": \"other.example,127.0.0.1:5443\""
            )),
            "{text}"
        );
        assert!(!text.contains("keep"), "only affected fields: {text}");
        assert_eq!(
            p.kubectl,
            vec![format!(
                "kubectl -n shop patch deployment/web --type strategic -p '{{\"spec\":{{\"template\":{{\"metadata\":{{\"annotations\":{{\"{ANN_SKIP_VERIFY}\":\"other.example,127.0.0.1:5443\"}}}}}}}}}}'"
            )]
        );
    }

    #[test]
    fn create_secret_preview_shows_dollar_password_never_the_password() {
        let p = FixParams {
            username: Some("bob".into()),
            password: Some("hunter2".into()),
            attach: Some(AttachChoice::ServiceAccount),
            ..Default::default()
        };
        let m = plan(&ctx(deployment()), FixId::CreatePullSecret, &p).unwrap();
        let pv = m.preview(&Current {
            service_account: Some(json!({"imagePullSecrets": [{"name": "keep"}]})),
            ..Default::default()
        });
        let text = pv.to_string();
        assert!(text.contains("--docker-password=\"$PASSWORD\""), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("+   - name: \"regcred-127-0-0-1-5443\""),
            "{text}"
        );
        assert!(text.contains("only pods created after"), "{text}");
        assert!(
            pv.kubectl[1].contains(r#"[{"name":"keep"},{"name":"regcred-127-0-0-1-5443"}]"#),
            "{text}"
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

    #[test]
    fn covering_and_attachable_secrets_by_kubelet_matching() {
        let image = ImageRef::parse("reg.example:5000/team/app:1").unwrap();
        let info = |key: &str, user: &str| SecretInfo::Parsed {
            entries: vec![AuthKey {
                key: key.into(),
                normalized: crate::domain::secrets::normalize_key(key),
                username: Some(user.into()),
            }],
        };
        let secrets = vec![
            (
                "b".to_string(),
                "good".to_string(),
                info("reg.example:5000", "u1"),
            ),
            (
                "a".to_string(),
                "other-host".to_string(),
                info("elsewhere", "u2"),
            ),
            (
                "a".to_string(),
                "good2".to_string(),
                info("https://reg.example:5000/v2/", "u3"),
            ),
        ];
        let c = covering(&secrets, &image);
        assert_eq!(
            c.iter()
                .map(|c| (c.namespace.as_str(), c.name.as_str(), c.username.as_deref()))
                .collect::<Vec<_>>(),
            vec![("a", "good2", Some("u3")), ("b", "good", Some("u1"))]
        );
        let a = attachable(&secrets, &image, &["good2".to_string()]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "good");
    }

    #[test]
    fn statefulset_preview_says_why_the_stuck_pod_is_deleted() {
        let sts = WriteTarget {
            kind: "StatefulSet".into(),
            api_version: "apps/v1".into(),
            namespace: "shop".into(),
            name: "db".into(),
            template: TemplatePath::Template,
        };
        let p = FixParams {
            image: Some("127.0.0.1:5443/team/app:1.0".into()),
            ..Default::default()
        };
        let mut c = ctx(sts);
        c.image = "127.0.0.1:5443/team/app:9".into();
        let m = plan(&c, FixId::SetImage, &p).unwrap();
        let pv = m.preview(&Current {
            stuck_pods: vec!["db-0".into()],
            ..Default::default()
        });
        assert!(pv.notes.iter().any(|n| n.contains("OrderedReady")), "{pv}");
        assert!(
            pv.kubectl
                .iter()
                .any(|k| k == "kubectl -n shop delete pod db-0"),
            "{pv}"
        );
        assert!(
            pv.kubectl[0].starts_with("kubectl -n shop set image statefulset/db app="),
            "{pv}"
        );
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(sh("plain-1.2"), "plain-1.2");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_group_preview_names_every_namespace_that_receives_the_credentials() {
        let step = |ns: &str| Preview {
            title: format!("create pull secret {ns}/regcred-x"),
            objects: vec![
                format!("Secret {ns}/regcred-x (new)"),
                format!("Deployment {ns}/web"),
            ],
            diff: vec![],
            kubectl: vec![],
            notes: vec![],
        };
        let all = Preview::combine(vec![step("shop"), step("tenant-a")], &[]);
        assert!(
            all.notes[0].contains("2 namespaces: shop, tenant-a"),
            "{:?}",
            all.notes
        );
        assert_eq!(
            secret_namespaces(&[
                "Secret b/x (new, copied from a/x)".into(),
                "Secret a/y".into()
            ]),
            vec!["b".to_string()]
        );
        let one = Preview::combine(vec![step("shop"), step("shop")], &[]);
        assert!(!one.notes.iter().any(|n| n.contains("namespaces:")));
    }
}
