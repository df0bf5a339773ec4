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

use super::error::ApiError;
use crate::domain::facet::Facet;
use crate::domain::failing::{CauseEvent, FailureRow, NoOwners, failing_containers, failure_rows};
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
            tracing::debug!(error = %super::describe(&e), "listing pod events");
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
pub async fn classify_pod(client: &Client, pod: &Pod) -> Vec<FailureRow> {
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
    namespace: &str,
    name: &str,
    container: Option<&str>,
) -> Result<PodFacts, MutationError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = pods
        .get(name)
        .await
        .map_err(|e| MutationError::api("reading", format!("Pod {namespace}/{name}"), e))?;
    let (target, owner_doubt) = super::owner_target::resolve_target(client, &pod).await?;
    let failing = classify_pod(client, &pod).await;
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
    // The template the mutation (or its attach step) changes.
    let template_target: Option<(WriteTarget, TemplateChange)> = match &mutation {
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
    };
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
    let sa = match &mutation {
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
    };
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
    // The secret to create must not exist; the one to attach or copy must.
    match &mutation {
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

/// One write that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Write {
    pub action: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub resource_version_before: Option<String>,
    pub resource_version_after: Option<String>,
}

impl Write {
    pub fn describe(&self) -> String {
        format!(
            "{} {} {}/{}",
            self.action, self.kind, self.namespace, self.name
        )
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

fn patch_params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

/// Sends the prepared mutation. With `dry_run`, every request carries
/// `dryRun=All` and nothing is persisted.
pub async fn apply(
    client: &Client,
    prepared: &Prepared,
    dry_run: bool,
) -> Result<Outcome, MutationError> {
    let mut out = Outcome {
        dry_run,
        writes: Vec::new(),
        notes: prepared.preview.notes.clone(),
        applied_at: None,
    };
    let res = run(client, prepared, dry_run, &mut out).await;
    out.applied_at = Some(Timestamp::now());
    match res {
        Ok(()) => Ok(out),
        Err(e) if out.writes.is_empty() => Err(e),
        Err(e) => Err(MutationError::Partial {
            done: out.writes.iter().map(Write::describe).collect(),
            failed: "the next step".into(),
            error: Box::new(e),
        }),
    }
}

async fn run(
    client: &Client,
    prepared: &Prepared,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    match &prepared.mutation {
        Mutation::CreatePullSecret {
            namespace,
            name,
            server,
            username,
            password,
            email,
            attach,
        } => {
            let config = docker_config_json(server, username, password, email.as_deref());
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    ..ObjectMeta::default()
                },
                type_: Some(DOCKER_CONFIG_JSON_TYPE.into()),
                data: Some(BTreeMap::from([(
                    DOCKER_CONFIG_JSON_KEY.to_string(),
                    ByteString(config.expose().as_bytes().to_vec()),
                )])),
                ..Secret::default()
            };
            drop(config);
            create_secret(client, namespace, name, secret, dry_run, out).await?;
            if let Some(a) = attach {
                attach_step(client, prepared, name, a, dry_run, out).await?;
            }
        }
        Mutation::CopyPullSecret { from, to, attach } => {
            let src: Api<Secret> = Api::namespaced(client.clone(), &from.namespace);
            let s = src
                .get(&from.name)
                .await
                .map_err(|e| MutationError::api("reading", format!("Secret {from}"), e))?;
            let copy = Secret {
                metadata: ObjectMeta {
                    name: Some(to.name.clone()),
                    namespace: Some(to.namespace.clone()),
                    annotations: Some(BTreeMap::from([(
                        "pulltui.dev/copied-from".to_string(),
                        from.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                type_: s.type_.clone(),
                data: s.data.clone(),
                ..Secret::default()
            };
            drop(s);
            create_secret(client, &to.namespace, &to.name, copy, dry_run, out).await?;
            if let Some(a) = attach {
                attach_step(client, prepared, &to.name, a, dry_run, out).await?;
            }
        }
        Mutation::AttachPullSecret { secret, to } => {
            attach_step(client, prepared, secret, to, dry_run, out).await?;
        }
        Mutation::DeletePods {
            namespace, pods, ..
        } => {
            super::deletes::delete_pods(client, namespace, pods, &prepared.pod_uids, dry_run, out)
                .await?;
        }
        m => {
            let Some((target, change)) = m.template_change() else {
                return Err(MutationError::Invalid("nothing to do".into()));
            };
            change_template(client, prepared, target, &change, dry_run, out).await?;
        }
    }
    Ok(())
}

async fn create_secret(
    client: &Client,
    ns: &str,
    name: &str,
    secret: Secret,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    match api.create(&pp(dry_run), &secret).await {
        Ok(s) => {
            out.writes.push(Write {
                action: "created".into(),
                kind: "Secret".into(),
                namespace: ns.into(),
                name: name.into(),
                resource_version_before: None,
                resource_version_after: s.resource_version(),
            });
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Err(MutationError::SecretExists {
            namespace: ns.into(),
            name: name.into(),
        }),
        Err(e) => Err(MutationError::api(
            "creating",
            format!("Secret {ns}/{name}"),
            e,
        )),
    }
}

async fn attach_step(
    client: &Client,
    prepared: &Prepared,
    secret: &str,
    to: &AttachTo,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    match to {
        AttachTo::Template { target } => {
            let change = TemplateChange::AddPullSecret {
                name: secret.to_string(),
            };
            change_template(client, prepared, target, &change, dry_run, out).await
        }
        AttachTo::ServiceAccount { namespace, name } => {
            attach_to_service_account(client, namespace, name, secret, dry_run, out).await
        }
    }
}

/// Read-modify-write of the ServiceAccount's `imagePullSecrets` (the field
/// has no merge key: a patch would replace the list), guarded by
/// `resourceVersion` and retried on 409.
async fn attach_to_service_account(
    client: &Client,
    ns: &str,
    name: &str,
    secret: &str,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let object = format!("ServiceAccount {ns}/{name}");
    for attempt in 0..5 {
        let mut sa = api
            .get(name)
            .await
            .map_err(|e| MutationError::api("reading", &object, e))?;
        let before = sa.resource_version();
        let list = sa.image_pull_secrets.get_or_insert_with(Vec::new);
        if list.iter().any(|s| s.name == secret) {
            out.notes
                .push(format!("{object} already lists {secret}: not changed"));
            return Ok(());
        }
        list.push(k8s_openapi::api::core::v1::LocalObjectReference {
            name: secret.to_string(),
        });
        match api.replace(name, &pp(dry_run), &sa).await {
            Ok(after) => {
                out.writes.push(Write {
                    action: "updated".into(),
                    kind: "ServiceAccount".into(),
                    namespace: ns.into(),
                    name: name.into(),
                    resource_version_before: before,
                    resource_version_after: after.resource_version(),
                });
                return Ok(());
            }
            Err(kube::Error::Api(s)) if s.code == 409 && attempt < 4 => {
                tracing::debug!(%object, "conflict, retrying");
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
            }
            Err(e) => return Err(MutationError::api("updating", &object, e)),
        }
    }
    Err(MutationError::Invalid(format!(
        "{object} kept changing: gave up after 5 attempts"
    )))
}

/// Changes one field of the template of `target` (or the bare pod), after
/// checking that the field is still what the preview showed. The write
/// carries the resourceVersion it was computed from; a 409 means the object
/// moved on (status, other fields): read again and, only if this field is
/// still as previewed, write again.
async fn change_template(
    client: &Client,
    prepared: &Prepared,
    target: &WriteTarget,
    change: &TemplateChange,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api = dyn_api(client, target);
    let mut attempt = 0;
    let (before, after) = loop {
        attempt += 1;
        let obj = get_json(client, target).await?;
        let template = target.template.get(&obj);
        if let Some(why) = refuse_template_change(target, template, change) {
            return Err(MutationError::Invalid(why));
        }
        let now = field_value(template, change);
        if now != prepared.field_before {
            return Err(MutationError::Changed {
                object: target.to_string(),
                field: field_name(target, change),
                was: show(&prepared.field_before),
                now: show(&now),
            });
        }
        let before = rv_of(&obj);
        if target.kind == "Job" {
            return super::deletes::recreate_job(client, target, &obj, change, dry_run, out).await;
        }
        let value = match change {
            TemplateChange::Annotate { value, merge, .. } => {
                annotation_after(now.as_str(), value, *merge)
            }
            _ => String::new(),
        };
        let mut patch = template_patch(target.template, change, &value, template);
        if let Some(rv) = &before {
            patch["metadata"]["resourceVersion"] = json!(rv);
        }
        match api
            .patch(
                &target.name,
                &patch_params(dry_run),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(o) => break (before, o.resource_version()),
            Err(kube::Error::Api(s)) if s.code == 409 && attempt < 5 => {
                tracing::debug!(object = %target, "conflict; reading again");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                return Err(MutationError::Changed {
                    object: target.to_string(),
                    field: "metadata.resourceVersion".into(),
                    was: before.unwrap_or_default(),
                    now: "newer at every attempt (it keeps changing)".into(),
                });
            }
            Err(e) => return Err(MutationError::api("patching", object_name(target), e)),
        }
    };
    out.writes.push(Write {
        action: "patched".into(),
        kind: target.kind.clone(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        resource_version_before: before,
        resource_version_after: after,
    });
    if !prepared.stuck_pods.is_empty() && target.kind == "StatefulSet" {
        super::deletes::delete_pods(
            client,
            &target.namespace,
            &prepared.stuck_pods,
            &prepared.pod_uids,
            dry_run,
            out,
        )
        .await?;
    }
    Ok(())
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(unset)".into(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
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
        referenced.extend(sa.image_pull_secrets.into_iter().flatten().map(|s| s.name));
    }
    Ok(attachable(&infos, &image, &referenced))
}
