//! Executes [`Mutation`]s against the API server: resolves the owner chain,
//! reads what the preview needs ([`prepare`]), then writes ([`apply`]) with
//! field manager `pulltui`, `dryRun=All` when asked, and typed errors.
//!
//! Safety rules owned here:
//! - template fields are changed by strategic merge patches of the one field
//!   (pull secrets appended by name, containers merged by name), each carrying
//!   the `resourceVersion` it was computed from (a comma-list annotation is a
//!   read-modify-write: the merged value depends on what was read);
//! - a field that changed between preview and apply is reported
//!   ([`MutationError::Changed`]), never overwritten; a 409 caused by other
//!   changes (status, other fields) is read again and retried only while the
//!   field is still as previewed;
//! - a ServiceAccount's `imagePullSecrets` is a read-modify-write with a
//!   `resourceVersion` precondition, retried on 409;
//! - an existing secret is never overwritten; a two-step change that half
//!   failed says what was done and what was not;
//! - StatefulSet OrderedReady: the stuck pods are deleted too; a Job is
//!   recreated from its spec (uid + resourceVersion preconditions on the delete).
//!
//! Credentials: the password is in `Redacted` until the request body; secret
//! data read for a copy goes straight into the new object and is never kept.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Event, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::{Client, ResourceExt};
use serde::Serialize;
use serde_json::{Value, json};

mod apply;
mod pod_facts;

pub use apply::*;
pub use pod_facts::*;

use super::error::ApiError;
use crate::domain::audit;
use crate::domain::cluster_id::ClusterId;
use crate::domain::facet::Facet;
use crate::domain::failing::{
    CauseEvent, FailureRow, NoOwners, PodKey, failing_containers, failure_rows,
};
use crate::domain::image::ImageRef;
use crate::domain::mutation::{
    AttachTo, Candidate, Current, FIELD_MANAGER, InputError, Mutation, PodContext, Preview,
    TemplateChange, annotation_after, attachable, covering, docker_config_json,
    refuse_template_change, template_patch,
};
use crate::domain::owners::{self, OwnerError, WriteTarget};
use crate::domain::secrets::{
    DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, SecretInfo, read_secret,
};

/// Why a mutation was not (fully) carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MutationError {
    /// The API server refused or failed a request.
    #[error("{action} {object}: {error}")]
    Api {
        action: String,
        object: String,
        error: ApiError,
    },
    /// The field changed between preview and apply: nothing was written.
    #[error(
        "{object} changed since the preview: {field} was {was}, is now {now}; nothing was \
         changed (look again and retry)"
    )]
    Changed {
        object: String,
        field: String,
        was: String,
        now: String,
    },
    /// A secret of that name exists: it is never overwritten.
    #[error(
        "a secret named {name} already exists in namespace {namespace}; pulltui never overwrites \
         it. Choose another name (--secret-name), or attach the existing one (--fix \
         attach-pull-secret --secret {name})"
    )]
    SecretExists { namespace: String, name: String },
    /// Some steps were done, then one failed.
    #[error("done: {}; NOT done: {failed}: {error}", done.join("; "))]
    Partial {
        done: Vec<String>,
        failed: String,
        error: Box<MutationError>,
    },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Owner(#[from] OwnerError),
    /// Something the fix needs is not there (no such container, ...).
    #[error("{0}")]
    Invalid(String),
}

impl MutationError {
    pub(super) fn api(action: &str, object: impl fmt::Display, e: kube::Error) -> Self {
        MutationError::Api {
            action: action.to_string(),
            object: object.to_string(),
            error: ApiError::from(&e),
        }
    }

    /// The innermost API error, if the server answered.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            MutationError::Api { error, .. } => Some(error),
            MutationError::Partial { error, .. } => error.api_error(),
            _ => None,
        }
    }

    /// Whether the server refused (or a precondition did) rather than the input.
    pub fn is_refusal(&self) -> bool {
        match self {
            MutationError::Api { error, .. } => error.status().is_some(),
            MutationError::Changed { .. }
            | MutationError::SecretExists { .. }
            | MutationError::Partial { .. } => true,
            _ => false,
        }
    }

    /// A short kind for JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            MutationError::Api { .. } => "api",
            MutationError::Changed { .. } => "changed",
            MutationError::SecretExists { .. } => "secret-exists",
            MutationError::Partial { .. } => "partial",
            MutationError::Input(_) => "input",
            MutationError::Owner(_) => "owner",
            MutationError::Invalid(_) => "invalid",
        }
    }
}

fn api_resource(t: &WriteTarget) -> ApiResource {
    let gvk = GroupVersionKind::gvk(t.group(), t.version(), &t.kind);
    ApiResource::from_gvk_with_plural(&gvk, &t.plural())
}

pub(super) fn dyn_api(client: &Client, t: &WriteTarget) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), &t.namespace, &api_resource(t))
}

pub(super) fn object_name(t: &WriteTarget) -> String {
    format!("{} {}/{}", t.kind, t.namespace, t.name)
}

/// The object `t` as JSON (without managedFields).
pub async fn get_object(client: &Client, t: &WriteTarget) -> Result<Value, MutationError> {
    get_json(client, t).await
}

async fn get_json(client: &Client, t: &WriteTarget) -> Result<Value, MutationError> {
    let obj = dyn_api(client, t)
        .get(&t.name)
        .await
        .map_err(|e| MutationError::api("reading", object_name(t), e))?;
    let mut v = serde_json::to_value(obj).map_err(|e| MutationError::Invalid(e.to_string()))?;
    if let Some(m) = v.pointer_mut("/metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    Ok(v)
}

pub(super) fn rv_of(v: &Value) -> Option<String> {
    v.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A mutation with what it was previewed against.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub mutation: Mutation,
    pub preview: Preview,
    /// The main object's resourceVersion at preview time.
    pub resource_version: Option<String>,
    /// The affected field's value at preview time (JSON), for the
    /// "changed since the preview" check.
    pub field_before: Value,
    /// StatefulSet OrderedReady: stuck pods deleted along with the change.
    pub stuck_pods: Vec<String>,
    /// The uid of each pod the preview names for deletion: a pod of that
    /// name that is another pod by the time of `y` is not deleted.
    pub pod_uids: std::collections::HashMap<String, String>,
}

/// The value of the field a template change touches.
fn field_value(template: Option<&Value>, change: &TemplateChange) -> Value {
    let Some(t) = template else {
        return Value::Null;
    };
    match change {
        TemplateChange::Annotate { key, .. } => t
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(key))
            .cloned()
            .unwrap_or(Value::Null),
        TemplateChange::AddPullSecret { .. } => t
            .pointer("/spec/imagePullSecrets")
            .cloned()
            .unwrap_or(Value::Null),
        TemplateChange::SetImage {
            container, init, ..
        } => {
            let list = if *init {
                "initContainers"
            } else {
                "containers"
            };
            t.pointer(&format!("/spec/{list}"))
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
                })
                .and_then(|c| c.get("image"))
                .cloned()
                .unwrap_or(Value::Null)
        }
        TemplateChange::SetVolumeImage { volume, .. } => {
            crate::domain::template_change::volume_entry(Some(t), volume)
                .and_then(|v| v.pointer("/image/reference"))
                .cloned()
                .unwrap_or(Value::Null)
        }
    }
}

fn field_name(target: &WriteTarget, change: &TemplateChange) -> String {
    match change {
        TemplateChange::Annotate { key, .. } => {
            format!("{}[{key}]", target.template.field("metadata.annotations"))
        }
        TemplateChange::AddPullSecret { .. } => target.template.field("spec.imagePullSecrets"),
        TemplateChange::SetImage {
            container, init, ..
        } => format!(
            "{}[{container}].image",
            target.template.field(if *init {
                "spec.initContainers"
            } else {
                "spec.containers"
            })
        ),
        TemplateChange::SetVolumeImage { volume, .. } => format!(
            "{}[{volume}].image.reference",
            target.template.field("spec.volumes")
        ),
    }
}

/// The pods of a StatefulSet with podManagementPolicy OrderedReady that
/// are not Ready: they would never be replaced after a template change.
async fn stuck_pods(client: &Client, target: &WriteTarget, sts: &Value) -> Vec<(String, String)> {
    if target.kind != "StatefulSet" {
        return Vec::new();
    }
    let policy = sts
        .pointer("/spec/podManagementPolicy")
        .and_then(Value::as_str)
        .unwrap_or("OrderedReady");
    if policy != "OrderedReady" {
        return Vec::new();
    }
    let Some(selector) = selector_of(sts) else {
        return Vec::new();
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let Ok(list) = pods.list(&ListParams::default().labels(&selector)).await else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = list
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && !failing_containers(p).is_empty())
        .filter_map(|p| Some((p.name_any(), p.metadata.uid.clone()?)))
        .collect();
    out.sort();
    out
}

/// `spec.selector.matchLabels` as a label selector string.
pub fn selector_of(obj: &Value) -> Option<String> {
    let m = obj.pointer("/spec/selector/matchLabels")?.as_object()?;
    let parts: Vec<String> = m
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Reads what the preview needs and computes it. Nothing is written.
pub async fn prepare(client: &Client, mutation: Mutation) -> Result<Prepared, MutationError> {
    prepare_after(client, mutation, &[]).await
}

/// [`prepare`] for a step of a group fix: the secrets in `created` are
/// made by an earlier step of the same apply, so they need not exist yet.
pub async fn prepare_after(
    client: &Client,
    mutation: Mutation,
    created: &[crate::domain::mutation::ObjectRef],
) -> Result<Prepared, MutationError> {
    let mut cur = Current::default();
    let mut rv = None;
    let mut field_before = Value::Null;
    let mut pod_uids = std::collections::HashMap::new();
    let template_target = template_target(&mutation);
    if let Some((target, change)) = &template_target {
        let obj = get_json(client, target).await?;
        if let Some(why) = refuse_template_change(target, target.template.get(&obj), change) {
            return Err(MutationError::Invalid(why));
        }
        rv = rv_of(&obj);
        field_before = field_value(target.template.get(&obj), change);
        let stuck = stuck_pods(client, target, &obj).await;
        cur.stuck_pods = stuck.iter().map(|(n, _)| n.clone()).collect();
        pod_uids.extend(stuck);
        cur.target = Some(obj);
    }
    let sa = service_account_target(&mutation);
    if let Some((ns, name)) = sa {
        let api: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
        let s = api
            .get(&name)
            .await
            .map_err(|e| MutationError::api("reading", format!("ServiceAccount {ns}/{name}"), e))?;
        if template_target.is_none() {
            rv = s.resource_version();
        }
        cur.service_account =
            Some(serde_json::to_value(&s).map_err(|e| MutationError::Invalid(e.to_string()))?);
    }
    check_secrets(client, &mutation, created).await?;
    if let Mutation::DeletePods {
        namespace, pods, ..
    } = &mutation
    {
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        for p in pods {
            if let Ok(Some(pod)) = api.get_opt(p).await
                && let Some(uid) = pod.metadata.uid
            {
                pod_uids.insert(p.clone(), uid);
            }
        }
    }
    let preview = mutation.preview(&cur);
    Ok(Prepared {
        stuck_pods: cur.stuck_pods.clone(),
        mutation,
        preview,
        resource_version: rv,
        field_before,
        pod_uids,
    })
}

/// The template the mutation (or its attach step) changes.
fn template_target(mutation: &Mutation) -> Option<(WriteTarget, TemplateChange)> {
    match mutation {
        Mutation::CreatePullSecret {
            attach: Some(AttachTo::Template { target }),
            name,
            ..
        } => Some((
            target.clone(),
            TemplateChange::AddPullSecret { name: name.clone() },
        )),
        Mutation::CopyPullSecret {
            attach: Some(AttachTo::Template { target }),
            to,
            ..
        } => Some((
            target.clone(),
            TemplateChange::AddPullSecret {
                name: to.name.clone(),
            },
        )),
        m => m.template_change().map(|(t, c)| (t.clone(), c)),
    }
}

/// The ServiceAccount the mutation (or its attach step) changes.
fn service_account_target(mutation: &Mutation) -> Option<(String, String)> {
    match mutation {
        Mutation::CreatePullSecret {
            attach: Some(AttachTo::ServiceAccount { namespace, name }),
            ..
        }
        | Mutation::CopyPullSecret {
            attach: Some(AttachTo::ServiceAccount { namespace, name }),
            ..
        }
        | Mutation::AttachPullSecret {
            to: AttachTo::ServiceAccount { namespace, name },
            ..
        } => Some((namespace.clone(), name.clone())),
        _ => None,
    }
}

/// The secret to create must not exist; the one to attach or copy must
/// (or be made by an earlier step of the same apply: `created`).
async fn check_secrets(
    client: &Client,
    mutation: &Mutation,
    created: &[crate::domain::mutation::ObjectRef],
) -> Result<(), MutationError> {
    match mutation {
        Mutation::CreatePullSecret {
            namespace, name, ..
        } => ensure_absent(client, namespace, name).await?,
        Mutation::CopyPullSecret { from, to, .. } => {
            ensure_absent(client, &to.namespace, &to.name).await?;
            let api: Api<Secret> = Api::namespaced(client.clone(), &from.namespace);
            match api.get_metadata_opt(&from.name).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(MutationError::Invalid(format!(
                        "secret {from} does not exist"
                    )));
                }
                Err(e) => return Err(MutationError::api("reading", format!("Secret {from}"), e)),
            }
        }
        Mutation::AttachPullSecret { secret, to } => {
            let ns = match to {
                AttachTo::Template { target } => &target.namespace,
                AttachTo::ServiceAccount { namespace, .. } => namespace,
            };
            let api: Api<Secret> = Api::namespaced(client.clone(), ns);
            let made_earlier = created
                .iter()
                .any(|c| c.namespace == *ns && c.name == *secret);
            if !made_earlier && let Ok(None) = api.get_metadata_opt(secret).await {
                return Err(MutationError::Invalid(format!(
                    "secret {ns}/{secret} does not exist: create it (--fix create-pull-secret \
                     --secret-name {secret}) or copy it (--fix copy-pull-secret)"
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

async fn ensure_absent(client: &Client, ns: &str, name: &str) -> Result<(), MutationError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    match api.get_metadata_opt(name).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(MutationError::SecretExists {
            namespace: ns.into(),
            name: name.into(),
        }),
        // Unreadable (viewer): the create will say.
        Err(_) => Ok(()),
    }
}

pub use crate::domain::audit::Write;

/// The audit record of one mutation's result (`crate::audit` appends it).
pub fn audit_entry(
    now: Timestamp,
    origin: &audit::Origin,
    mutation: &Mutation,
    spread: &[String],
    dry_run: bool,
    result: &Result<Outcome, MutationError>,
) -> audit::Entry {
    let writes = match result {
        Ok(o) => o.writes.clone(),
        Err(_) => Vec::new(),
    };
    let mut e = audit::Entry::new(
        now,
        origin,
        audit::Action::Fix,
        mutation.object(),
        writes,
        mutation.audit_change(),
    );
    e.dry_run = dry_run;
    e.secret_namespaces = spread.to_vec();
    match result {
        Ok(_) => e,
        Err(err) => e.failed(err.kind(), err.to_string()),
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub dry_run: bool,
    pub writes: Vec<Write>,
    pub notes: Vec<String>,
    /// When the apply finished (server-independent clock of this machine).
    #[serde(skip)]
    pub applied_at: Option<Timestamp>,
}

pub(super) fn pp(dry_run: bool) -> PostParams {
    PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    }
}

/// Pull secrets in other namespaces that cover `image` (namespace, name,
/// username; never data). Namespaces whose secrets cannot be listed are skipped.
pub async fn copy_candidates(
    client: &Client,
    image: &ImageRef,
    except_namespace: &str,
) -> Result<Vec<Candidate>, MutationError> {
    let api: Api<Secret> = Api::all(client.clone());
    let lp = ListParams::default().fields(&format!("type={DOCKER_CONFIG_JSON_TYPE}"));
    let list = api
        .list(&lp)
        .await
        .map_err(|e| MutationError::api("listing", "secrets in all namespaces", e))?;
    let infos: Vec<(String, String, SecretInfo)> = list
        .items
        .iter()
        .filter(|s| s.namespace().as_deref() != Some(except_namespace))
        .map(|s| {
            (
                s.namespace().unwrap_or_default(),
                s.name_any(),
                read_secret(s),
            )
        })
        .collect();
    Ok(covering(&infos, image))
}

/// "Attach what is there": secrets in the pod's namespace that cover the
/// image and are referenced neither by the pod nor by its ServiceAccount.
pub async fn attachable_secrets(
    client: &Client,
    ctx: &PodContext,
) -> Result<Vec<Candidate>, MutationError> {
    let image = ImageRef::parse(&ctx.image).map_err(|e| InputError::Image {
        image: ctx.image.clone(),
        reason: e.to_string(),
    })?;
    let api: Api<Secret> = Api::namespaced(client.clone(), &ctx.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| MutationError::api("listing", format!("secrets in {}", ctx.namespace), e))?;
    let infos: Vec<(String, String, SecretInfo)> = list
        .items
        .iter()
        .map(|s| (ctx.namespace.clone(), s.name_any(), read_secret(s)))
        .collect();
    let mut referenced = ctx.pull_secrets.clone();
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), &ctx.namespace);
    if let Ok(sa) = sas.get(&ctx.service_account).await {
        referenced.extend(crate::domain::pod::sa_pull_secret_names(&sa));
    }
    Ok(attachable(&infos, &image, &referenced))
}

#[cfg(test)]
mod audit_tests {
    use super::*;
    use crate::domain::audit::Origin;
    use crate::domain::mutation::AttachTo;
    use crate::domain::owners::{TemplatePath, WriteTarget};
    use crate::domain::redact::Redacted;

    #[test]
    fn an_audit_line_never_holds_the_password() {
        let m = Mutation::CreatePullSecret {
            namespace: "ns".into(),
            name: "regcred".into(),
            server: "reg:5000".into(),
            username: "bob".into(),
            password: Redacted::new("hunter2-secret"),
            email: None,
            attach: Some(AttachTo::Template {
                target: WriteTarget {
                    kind: "Deployment".into(),
                    api_version: "apps/v1".into(),
                    namespace: "ns".into(),
                    name: "web".into(),
                    template: TemplatePath::Template,
                },
            }),
        };
        let outcome = Outcome {
            dry_run: false,
            writes: vec![Write {
                action: "created".into(),
                kind: "Secret".into(),
                namespace: "ns".into(),
                name: "regcred".into(),
                resource_version_before: None,
                resource_version_after: Some("42".into()),
            }],
            notes: vec![],
            applied_at: None,
        };
        let origin = Origin {
            context: Some("admin".into()),
            server: "https://127.0.0.1:6443/".into(),
            user: Some("admin".into()),
        };
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let l = audit_entry(now, &origin, &m, &[], false, &Ok(outcome)).line();
        assert!(!l.contains("hunter2"), "{l}");
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["object"]["kind"], "Secret");
        assert_eq!(v["object"]["resource_version_after"], "42");
        assert_eq!(v["context"], "admin");
        assert_eq!(v["user"], "admin");
        assert_eq!(v["dry_run"], false);
        assert_eq!(v["result"], "ok");
        assert_eq!(v["change"]["username"], "bob");
        assert_eq!(v["time"], "2026-01-01T00:00:00Z");
    }
}
