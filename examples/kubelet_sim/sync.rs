//! One kubelet pod sync, in the order `kuberuntime_manager.go` SyncPod runs
//! it: pull secrets; the sandbox (its pause image, for a RuntimeClass whose
//! handler has one of its own); image volumes; ephemeral containers; init
//! containers (a failing restartable one — a native sidecar — is skipped and
//! the next one tried, a failing plain one stops the rest); then the
//! containers, each pulling its image, or failing with the image volume it
//! mounts ("we fail late here to populate ErrImagePull and ImagePullBackOff
//! correctly"). Events go where kubelet puts them: a container's under its
//! field path, an image volume's and the sandbox's on the pod. A node that
//! keeps its images (`images`) uses a present one as the kubelet of its
//! version does, re-verifying credentials from 1.35 (KEP-2535).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use k8s_openapi::api::node::v1::RuntimeClass;
use kube::api::Api;

use super::creds::matching_credentials;
use super::images::SecretSource;
use super::kubelet::Failure;
use super::pods::{ANN_HTTP, ANN_SKIP_VERIFY, Ctx, key};
use super::reference::{ImageRef, parse_normalized};
use super::registry::{Credential, HostPolicy, PullError};

/// Which list of the pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Init,
    /// An init container with `restartPolicy: Always` (native sidecar).
    Sidecar,
    Container,
    Ephemeral,
}

impl Part {
    pub fn field_path(self, name: &str) -> String {
        match self {
            Part::Init | Part::Sidecar => format!("spec.initContainers{{{name}}}"),
            Part::Container => format!("spec.containers{{{name}}}"),
            Part::Ephemeral => format!("spec.ephemeralContainers{{{name}}}"),
        }
    }
}

/// What happened to one container on the last sync.
#[derive(Clone, Debug)]
pub enum PullResult {
    Ok {
        image_id: String,
    },
    /// The pull failed; `image` is what the back-off names (the container's
    /// image, or the image volume it mounts).
    Failed {
        failure: Failure,
        image: String,
        volume: bool,
    },
    Invalid(String),
    NeverPull(String),
    /// Not tried: waiting for the sandbox or for init containers.
    Waiting(&'static str),
}

#[derive(Clone, Debug)]
pub struct ContainerResult {
    pub name: String,
    pub image: String,
    pub part: Part,
    pub result: PullResult,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    /// The sandbox could not be created (its image failed to pull).
    pub sandbox_failed: bool,
    pub containers: Vec<ContainerResult>,
}

impl Outcome {
    pub fn all_ok(&self) -> bool {
        !self.sandbox_failed
            && self
                .containers
                .iter()
                .all(|r| matches!(r.result, PullResult::Ok { .. }))
    }
}

/// An image volume's pull: its defaulted image and the failure, if any.
struct VolumePull {
    name: String,
    image: String,
    failure: Option<Failure>,
}

/// kubelet's `applyDefaultImageTag` as its messages show the image (from
/// 1.32 the defaulted reference; before, the one written in the spec).
fn shown_image(ctx: &Ctx, image: &str, parsed: Option<&ImageRef>) -> String {
    let untagged = parsed.is_some_and(|p| {
        p.digest.is_none() && !image.ends_with(&format!(":{}", p.tag.as_deref().unwrap_or("")))
    });
    if ctx.flavor.minor >= 32 && untagged {
        format!("{image}:latest")
    } else {
        image.to_string()
    }
}

pub fn host_policy(pod: &Pod, image: &ImageRef) -> HostPolicy {
    let listed = |key: &str| {
        pod.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(|v| {
                v.split(',').map(str::trim).any(|h| {
                    h == "all"
                        || h.eq_ignore_ascii_case(&image.domain)
                        || h.eq_ignore_ascii_case(image.api_host())
                        || image
                            .domain
                            .rsplit_once(':')
                            .is_some_and(|(host, _)| h.eq_ignore_ascii_case(host))
                })
            })
            .unwrap_or(false)
    };
    HostPolicy {
        plain_http: listed(ANN_HTTP),
        skip_verify: listed(ANN_SKIP_VERIFY),
    }
}

pub async fn record(
    ctx: &Ctx,
    pod: &Pod,
    field_path: Option<&str>,
    t: &str,
    reason: &str,
    msg: &str,
) {
    if let Err(e) = ctx.events.record(pod, field_path, t, reason, msg).await {
        let text = format!("{e:#}");
        if text.contains("is being terminated") {
            // Namespace deletion races the pod's deletion: nothing to report.
            tracing::debug!("event for {}: {text}", key(pod));
        } else {
            tracing::warn!("event for {}: {text}", key(pod));
        }
    }
}

/// A pull secret as the node reads it. The Node authorizer allows a node
/// the secrets of pods bound to it, learnt from a watch of its own: right
/// after binding it may still say 403, so that is asked again briefly.
async fn read_secret(api: &Api<Secret>, name: &str) -> Result<Option<Secret>, kube::Error> {
    let mut tries = 0;
    loop {
        match api.get_opt(name).await {
            Err(kube::Error::Api(e)) if e.code == 403 && tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            other => return other,
        }
    }
}

/// One kubelet sync of `pod`: pull what it needs, write its events and status.
pub async fn sync(ctx: &Ctx, pod: &Pod) -> anyhow::Result<Outcome> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let spec = pod.spec.as_ref().context("pod without spec")?;
    // Pull secrets, like kubelet's getPullSecretsForPod.
    let secrets_api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let mut secrets = vec![];
    let mut missing = vec![];
    for r in spec.image_pull_secrets.iter().flatten() {
        if r.name.is_empty() {
            continue;
        }
        match read_secret(&secrets_api, &r.name).await {
            Ok(Some(s)) => secrets.push(s),
            Ok(None) => missing.push(r.name.clone()),
            Err(e) => {
                tracing::warn!("reading secret {ns}/{}: {e}", r.name);
                missing.push(r.name.clone());
            }
        }
    }
    if !missing.is_empty() {
        let msg = format!(
            "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
            missing.join(", ")
        );
        record(
            ctx,
            pod,
            None,
            "Warning",
            "FailedToRetrieveImagePullSecret",
            &msg,
        )
        .await;
    }

    let mut results = vec![];
    let inits: Vec<(&Container, Part)> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| {
            let part = if c.restart_policy.as_deref() == Some("Always") {
                Part::Sidecar
            } else {
                Part::Init
            };
            (c, part)
        })
        .collect();

    // The sandbox: its pause image, pulled with the node's own credentials.
    if sandbox_fails(ctx, pod).await {
        for (c, part) in &inits {
            results.push(waiting(c, *part, "PodInitializing"));
        }
        for c in &spec.containers {
            results.push(waiting(c, Part::Container, "ContainerCreating"));
        }
        return Ok(Outcome {
            sandbox_failed: true,
            containers: results,
        });
    }

    // Image volumes (on by default from 1.35), before any container.
    let mut volumes = vec![];
    if ctx.flavor.minor >= 35 {
        for v in spec.volumes.iter().flatten() {
            let Some(iv) = &v.image else { continue };
            let image = iv.reference.clone().unwrap_or_default();
            let failure =
                match pull_image(ctx, pod, None, &image, iv.pull_policy.as_deref(), &secrets).await
                {
                    PullResult::Failed { failure, .. } => Some(failure),
                    PullResult::Invalid(m) | PullResult::NeverPull(m) => Some(Failure {
                        reason: "ErrImagePull",
                        message: m,
                    }),
                    _ => None,
                };
            let parsed = parse_normalized(&image).ok();
            volumes.push(VolumePull {
                name: v.name.clone(),
                image: shown_image(ctx, &image, parsed.as_ref()),
                failure,
            });
        }
    }
    let volume_failure = |c: &Container| -> Option<(String, Failure)> {
        c.volume_mounts.iter().flatten().find_map(|m| {
            volumes
                .iter()
                .find(|v| v.name == m.name)
                .and_then(|v| v.failure.clone().map(|f| (v.image.clone(), f)))
        })
    };

    // Ephemeral containers start before init containers and block nothing.
    for ec in spec.ephemeral_containers.iter().flatten() {
        let image = ec.image.clone().unwrap_or_default();
        let fp = Part::Ephemeral.field_path(&ec.name);
        let result = pull_image(
            ctx,
            pod,
            Some(&fp),
            &image,
            ec.image_pull_policy.as_deref(),
            &secrets,
        )
        .await;
        failed_event(ctx, pod, &fp, &result).await;
        results.push(ContainerResult {
            name: ec.name.clone(),
            image,
            part: Part::Ephemeral,
            result,
        });
    }

    // Init containers in order; the containers wait for them.
    let mut blocked = false;
    for (c, part) in &inits {
        if blocked {
            results.push(waiting(c, *part, "PodInitializing"));
            continue;
        }
        let result = container_pull(ctx, pod, c, *part, &secrets, volume_failure(c)).await;
        if !matches!(result.result, PullResult::Ok { .. }) {
            // A restartable init container that fails is skipped (the next
            // one is tried); the containers still wait for it to start.
            blocked = *part == Part::Init;
        }
        results.push(result);
    }
    let inits_ok = results
        .iter()
        .filter(|r| matches!(r.part, Part::Init | Part::Sidecar))
        .all(|r| matches!(r.result, PullResult::Ok { .. }));
    for c in &spec.containers {
        if !inits_ok {
            results.push(waiting(c, Part::Container, "PodInitializing"));
            continue;
        }
        let r = container_pull(ctx, pod, c, Part::Container, &secrets, volume_failure(c)).await;
        results.push(r);
    }
    Ok(Outcome {
        sandbox_failed: false,
        containers: results,
    })
}

fn waiting(c: &Container, part: Part, reason: &'static str) -> ContainerResult {
    ContainerResult {
        name: c.name.clone(),
        image: c.image.clone().unwrap_or_default(),
        part,
        result: PullResult::Waiting(reason),
    }
}

/// A container's start: its image volumes, then its own image.
async fn container_pull(
    ctx: &Ctx,
    pod: &Pod,
    c: &Container,
    part: Part,
    secrets: &[Secret],
    volume_failure: Option<(String, Failure)>,
) -> ContainerResult {
    let image = c.image.clone().unwrap_or_default();
    let fp = part.field_path(&c.name);
    let result = if let Some((vimage, failure)) = volume_failure {
        // toKubeContainerImageVolumes: "Error: <reason>" on the container.
        record(
            ctx,
            pod,
            Some(&fp),
            "Warning",
            "Failed",
            &format!("Error: {}", failure.reason),
        )
        .await;
        PullResult::Failed {
            failure,
            image: vimage,
            volume: true,
        }
    } else {
        let r = pull_image(
            ctx,
            pod,
            Some(&fp),
            &image,
            c.image_pull_policy.as_deref(),
            secrets,
        )
        .await;
        failed_event(ctx, pod, &fp, &r).await;
        if matches!(r, PullResult::Ok { .. }) {
            let name = &c.name;
            record(
                ctx,
                pod,
                Some(&fp),
                "Normal",
                "Created",
                &format!("Created container {name}"),
            )
            .await;
            record(
                ctx,
                pod,
                Some(&fp),
                "Normal",
                "Started",
                &format!("Started container {name}"),
            )
            .await;
        }
        r
    };
    ContainerResult {
        name: c.name.clone(),
        image,
        part,
        result,
    }
}

/// startContainer's `Error: <reason>` event for a container whose pull failed.
async fn failed_event(ctx: &Ctx, pod: &Pod, fp: &str, r: &PullResult) {
    let reason = match r {
        PullResult::Failed { failure, .. } => failure.reason,
        PullResult::Invalid(_) => "InvalidImageName",
        PullResult::NeverPull(_) => "ErrImageNeverPull",
        _ => return,
    };
    record(
        ctx,
        pod,
        Some(fp),
        "Warning",
        "Failed",
        &format!("Error: {reason}"),
    )
    .await;
}

/// EnsureImageExists: inspect, pull (with each matching credential), and
/// its events under `field_path` (the pod itself when `None`).
pub async fn pull_image(
    ctx: &Ctx,
    pod: &Pod,
    field_path: Option<&str>,
    image: &str,
    pull_policy: Option<&str>,
    secrets: &[Secret],
) -> PullResult {
    let parsed = match parse_normalized(image) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!(
                "Failed to apply default image tag \"{image}\": couldn't parse image reference \"{image}\": {e}"
            );
            record(ctx, pod, field_path, "Warning", "InspectFailed", &msg).await;
            return PullResult::Invalid(msg);
        }
    };
    let shown = shown_image(ctx, image, Some(&parsed));
    // The pod's credentials for this image, each with the secret it is from.
    let creds: Vec<(Credential, SecretSource)> = secrets
        .iter()
        .flat_map(|s| {
            let data = s.data.clone().unwrap_or_default();
            let m = &s.metadata;
            matching_credentials(s.type_.as_deref(), &data, &parsed)
                .into_iter()
                .map(|c| {
                    let source = SecretSource::new(
                        m.namespace.as_deref().unwrap_or_default(),
                        m.name.as_deref().unwrap_or_default(),
                        m.uid.as_deref().unwrap_or_default(),
                        &c,
                    );
                    (c, source)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // An image the node has (with --keep-images): used, or, from 1.35,
    // its credentials verified first (`images`).
    if let Some(store) = &ctx.images
        && matches!(pull_policy, Some("IfNotPresent" | "Never"))
        && let Some(id) = store.lookup(&parsed)
    {
        let sources: Vec<SecretSource> = creds.iter().map(|(_, s)| s.clone()).collect();
        let present = if ctx.flavor.minor < 35 {
            Some(format!(
                "Container image \"{image}\" already present on machine"
            ))
        } else if store.may_use(&id, &parsed, &sources) {
            Some(format!(
                "Container image \"{image}\" already present on machine and can be accessed by the pod"
            ))
        } else {
            None
        };
        if let Some(msg) = present {
            record(ctx, pod, field_path, "Normal", "Pulled", &msg).await;
            return PullResult::Ok { image_id: id };
        }
        tracing::info!("{} {image}: present, credentials to be verified", key(pod));
    }
    if pull_policy == Some("Never") {
        let msg = format!("Container image \"{image}\" is not present with pull policy of Never");
        record(ctx, pod, field_path, "Warning", "ErrImageNeverPull", &msg).await;
        return PullResult::NeverPull(msg);
    }
    record(
        ctx,
        pod,
        field_path,
        "Normal",
        "Pulling",
        &format!("Pulling image \"{shown}\""),
    )
    .await;
    let started = Instant::now();
    let policy = host_policy(pod, &parsed);
    let timeout = ctx.flavor.progress_timeout;
    let mut errors: Vec<PullError> = vec![];
    let mut pulled = None;
    let tries: Vec<Option<&(Credential, SecretSource)>> = if creds.is_empty() {
        vec![None]
    } else {
        creds.iter().map(Some).collect()
    };
    for tried in tries {
        match ctx
            .registry
            .pull(&parsed, policy, tried.map(|(c, _)| c), timeout)
            .await
        {
            Ok(p) => {
                pulled = Some((p, tried.map(|(_, s)| s.clone())));
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    let refused = pulled.as_ref().and(ctx.flavor.signature_refused(&parsed));
    if let (Some((p, used)), None) = (&pulled, &refused) {
        let msg = ctx.flavor.pulled_message(&shown, started.elapsed(), p.size);
        record(ctx, pod, field_path, "Normal", "Pulled", &msg).await;
        if let Some(store) = &ctx.images {
            store.record(&parsed, &p.digest, p.size, used.clone());
            super::node::publish_images(&ctx.client, &ctx.node, store).await;
        }
        return PullResult::Ok {
            image_id: format!("{}/{}@{}", parsed.domain, parsed.path, p.digest),
        };
    }
    // utilerrors.NewAggregate: one error prints as itself, more as a list.
    let err = match refused {
        Some(r) => r,
        None => {
            let texts: Vec<String> = errors
                .iter()
                .map(|e| ctx.flavor.runtime_error(&parsed, e))
                .collect();
            if texts.len() == 1 {
                texts[0].clone()
            } else {
                format!("[{}]", texts.join(", "))
            }
        }
    };
    record(
        ctx,
        pod,
        field_path,
        "Warning",
        "Failed",
        &format!("Failed to pull image \"{shown}\": {err}"),
    )
    .await;
    tracing::info!("{} {shown}: {err}", key(pod));
    PullResult::Failed {
        failure: ctx.flavor.eval_pull_error(&shown, &err),
        image: shown,
        volume: false,
    }
}

/// Whether the pod's sandbox cannot be created: its RuntimeClass's handler
/// has a sandbox image of its own that fails to pull (with no pod
/// credentials: the runtime pulls it with the node's configuration).
async fn sandbox_fails(ctx: &Ctx, pod: &Pod) -> bool {
    let Some(class) = pod
        .spec
        .as_ref()
        .and_then(|s| s.runtime_class_name.as_deref())
    else {
        return false;
    };
    let api: Api<RuntimeClass> = Api::all(ctx.client.clone());
    let handler = match api.get_opt(class).await {
        Ok(Some(rc)) => rc.handler,
        _ => return false,
    };
    let Some(image) = ctx.flavor.sandbox_images.get(&handler) else {
        return false;
    };
    let Ok(parsed) = parse_normalized(image) else {
        return false;
    };
    let timeout = ctx.flavor.progress_timeout;
    let Err(e) = ctx
        .registry
        .pull(&parsed, HostPolicy::default(), None, timeout)
        .await
    else {
        return false;
    };
    // RunPodSandbox's error keeps its gRPC code in every version.
    let desc = format!(
        "failed to get sandbox image \"{image}\": failed to pull image \"{image}\": {}",
        e.message
    );
    let msg = format!("Failed to create pod sandbox: rpc error: code = Unknown desc = {desc}");
    record(ctx, pod, None, "Warning", "FailedCreatePodSandBox", &msg).await;
    true
}

/// The sync after a failed pull, inside the back-off window: the BackOff
/// event (bare, in every version) where the pull's events went, and
/// `Error: ImagePullBackOff` on the container.
pub async fn back_off(ctx: &Ctx, pod: &Pod, outcome: &Outcome) {
    for r in &outcome.containers {
        if let PullResult::Failed { image, volume, .. } = &r.result {
            let fp = r.part.field_path(&r.name);
            let msg = format!("Back-off pulling image \"{image}\"");
            let pull_fp = if *volume { None } else { Some(fp.as_str()) };
            record(ctx, pod, pull_fp, "Normal", "BackOff", &msg).await;
            record(
                ctx,
                pod,
                Some(&fp),
                "Warning",
                "Failed",
                "Error: ImagePullBackOff",
            )
            .await;
        }
    }
}
