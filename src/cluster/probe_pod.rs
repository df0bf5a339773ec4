//! The in-cluster probe: a short-lived pod on the failing pod's node that
//! checks DNS, TCP and TLS (with a verifying client: curl) the way the node
//! sees the network, its result read back, the pod deleted on every path.
//!
//! - The pod: `nodeName` (no scheduler), tolerates every taint,
//!   `restartPolicy: Never`, `activeDeadlineSeconds`, host network with
//!   `dnsPolicy: Default` and the node's `/etc/ssl/certs` (read-only) so DNS,
//!   `/etc/hosts` and the trusted roots are the node's, as the runtime sees
//!   them. Where policy forbids host network / hostPath (PodSecurity), it is
//!   created again on the pod network and the report says so.
//! - Output: result lines (`PULLTUI-PROBE ...`) are followed from the pod's
//!   log while it runs and, as the final word, read from its termination
//!   message (which needs no kubelet log endpoint).
//! - Cleanup: a drop guard deletes the pod (grace 0: a broken node must not
//!   leave it Terminating) when the future is dropped (cancel, quit, error);
//!   the normal path awaits the delete. Label
//!   `app.kubernetes.io/managed-by=pulltui` and the expiry annotation let
//!   [`sweep`] remove leftovers at start.
//! - It is a cluster write: [`preview`] gives the YAML and the kubectl
//!   equivalent, [`audit`] appends a JSON line to the audit log.

mod follow;
mod manifest;
mod preview;
pub use manifest::*;
pub use preview::pod_preview;

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams, Preconditions};

use crate::cluster::error::ApiError;
use crate::domain::audit::{Action, Entry, Origin, Write};
use crate::domain::image::ImageRef;
use crate::domain::probe::{ProbeReport, Side, StepResult};

pub const MANAGED_BY_KEY: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "pulltui";
pub const COMPONENT_KEY: &str = "app.kubernetes.io/component";
pub const COMPONENT: &str = "registry-probe";
/// RFC 3339 time after which a probe pod is a leftover.
pub const EXPIRES_KEY: &str = "pulltui.dev/expires-at";
/// The default probe image: curl (verifying TLS client) on a busybox shell,
/// pinned by the digest of its multi-platform index (a tag can be moved;
/// `--probe-image` or the config's `probe_image` names a mirror).
pub const DEFAULT_PROBE_IMAGE: &str = "docker.io/curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69";
/// Where probe pods run unless the user names another namespace
/// (`--probe-namespace`, the config's `probe_namespace`): a namespace of
/// pulltui's own, created and labelled when missing, never a tenant's.
pub const PROBE_NAMESPACE: &str = "pulltui-probe";
const CONTAINER: &str = "probe";

/// Where probe pods run and what they pull: the flags, else the config
/// file, else the defaults above (resolved once, in `cli::ProbePodFlags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub image: String,
    pub namespace: String,
    /// A pull secret (in `namespace`) for the probe image.
    pub pull_secret: Option<String>,
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            image: DEFAULT_PROBE_IMAGE.to_string(),
            namespace: PROBE_NAMESPACE.to_string(),
            pull_secret: None,
        }
    }
}

/// What to create.
#[derive(Debug, Clone)]
pub struct ProbePodRequest {
    pub namespace: String,
    pub node: String,
    pub probe_image: String,
    /// The image whose registry is probed.
    pub target: ImageRef,
    /// Seconds per step.
    pub step_timeout_s: u64,
    pub host_network: bool,
    /// A pull secret (in the probe namespace) for the probe image itself.
    pub pull_secret: Option<String>,
    /// The host the registry sends blob requests to, as this machine's
    /// probe found (`host`, `port`): the node checks DNS, TCP and TLS to it.
    pub blob_host: Option<(String, u16)>,
    /// The cluster and user, for the audit records.
    pub origin: Origin,
}

impl ProbePodRequest {
    /// The pod's deadline: every step's timeout plus room for the image pull.
    pub fn deadline_s(&self) -> i64 {
        (self.step_timeout_s * 6 + 30) as i64
    }
}

/// What happens while the probe pod lives.
#[derive(Debug, Clone, PartialEq)]
pub enum PodEvent {
    Created {
        name: String,
        host_network: bool,
    },
    /// Something the report must say (fallback to the pod network, ...).
    Note(String),
    Step(StepResult),
    Deleted {
        name: String,
    },
}

/// The node's side of the probe.
#[derive(Debug, Clone)]
pub struct NodeProbe {
    pub pod: String,
    pub report: ProbeReport,
    pub notes: Vec<String>,
}

/// What became of a probe pod write, for its audit record.
enum Done<'a> {
    /// `created` or `deleted`: the write that was sent.
    Sent(&'static str),
    /// The server refused it (in a dry run: asked first): nothing was written.
    Refused { error: &'a ApiError, dry_run: bool },
}

/// Appends the probe pod's record to the audit log (`crate::audit`).
fn audit(action: Action, pod: &Pod, origin: &Origin, done: Done<'_>, now: Timestamp) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let writes = match done {
        Done::Sent(verb) => vec![Write {
            action: verb.into(),
            kind: "Pod".into(),
            namespace: namespace.clone(),
            name: name.clone(),
            resource_version_before: None,
            resource_version_after: pod.metadata.resource_version.clone(),
        }],
        Done::Refused { .. } => Vec::new(),
    };
    let change = serde_json::json!({
        "node": pod.spec.as_ref().and_then(|s| s.node_name.clone()),
    });
    let mut entry = Entry::new(
        now,
        origin,
        action,
        ("Pod".into(), namespace, name),
        writes,
        change,
    );
    if let Done::Refused { error, dry_run } = done {
        entry.dry_run = dry_run;
        entry = entry.failed("refused", error.to_string());
    }
    if let Err(e) = crate::audit::append(&entry) {
        tracing::warn!(error = %e, "could not write the audit log");
    }
}

/// Deletes the pod when dropped (unless disarmed after an awaited delete).
struct DeleteGuard {
    api: Api<Pod>,
    name: String,
    armed: bool,
}

impl Drop for DeleteGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let api = self.api.clone();
        let name = std::mem::take(&mut self.name);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                match api.delete(&name, &force()).await {
                    Ok(_) => {}
                    // Never created (the create was refused, or not sent).
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => {
                        tracing::warn!(pod = name, error = %e, "deleting the probe pod after a cancel")
                    }
                }
            });
        }
    }
}

/// Deletes the probe pod `name` now and waits for the answer (bounded):
/// for a cancel, whose drop guard only spawns its delete. A pod that is
/// not there is fine.
pub async fn delete_now(client: &Client, namespace: &str, name: &str) -> Result<(), ApiError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match tokio::time::timeout(Duration::from_secs(5), api.delete(name, &force())).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
        Ok(Err(e)) => Err(ApiError::from(&e)),
        Err(_) => Err(ApiError::new(
            crate::cluster::error::ApiErrorKind::Timeout,
            format!("no answer to deleting pod {namespace}/{name} within 5 s"),
        )),
    }
}

fn force() -> DeleteParams {
    DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    }
}

/// Whether an API refusal is policy forbidding host access (PodSecurity,
/// an admission webhook, a PSP).
fn policy_forbids_host(e: &ApiError) -> bool {
    let m = e.message.to_ascii_lowercase();
    (e.is_forbidden() || e.is_status(422) || e.is_status(400))
        && (m.contains("hostnetwork")
            || m.contains("host network")
            || m.contains("hostpath")
            || m.contains("podsecurity")
            || m.contains("violates"))
}

/// Why the default probe namespace may not be used: it exists, but
/// pulltui did not make it (no `managed-by: pulltui` label). Whoever made
/// it may exec into a pod there, and the probe pod has the node's network;
/// a namespace the user names (`--probe-namespace`) is the user's choice.
pub fn foreign_default_namespace(
    namespace: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<String> {
    let ours = labels
        .and_then(|l| l.get(MANAGED_BY_KEY))
        .is_some_and(|v| v == MANAGED_BY);
    (namespace == PROBE_NAMESPACE && !ours).then(|| {
        format!(
            "namespace {namespace} exists but is not pulltui's (no label \
             {MANAGED_BY_KEY}={MANAGED_BY}): the probe pod has the node's network, so it \
             goes only where you choose: name a namespace with --probe-namespace, or label \
             this one if it is yours"
        )
    })
}

/// Creates the probe namespace when it is missing, labelled as pulltui's.
async fn ensure_namespace(client: &Client, namespace: &str) -> Result<(), ApiError> {
    use k8s_openapi::api::core::v1::Namespace;
    let api: Api<Namespace> = Api::all(client.clone());
    match api.get_metadata_opt(namespace).await {
        Ok(Some(ns)) => {
            return match foreign_default_namespace(namespace, ns.metadata.labels.as_ref()) {
                None => Ok(()),
                Some(why) => Err(ApiError::new(
                    crate::domain::api_error::ApiErrorKind::Other,
                    why,
                )),
            };
        }
        Ok(None) => {}
        // Not readable: the create below says whether the pod may go there.
        Err(kube::Error::Api(s)) if s.code == 403 => return Ok(()),
        Err(e) => return Err(ApiError::from(&e)),
    }
    let ns: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": {"name": namespace, "labels": {MANAGED_BY_KEY: MANAGED_BY}}
    }))
    .map_err(|e| {
        ApiError::new(
            crate::domain::api_error::ApiErrorKind::Other,
            format!("namespace object: {e}"),
        )
    })?;
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => {
            let err = ApiError::from(&e);
            Err(ApiError::new(
                err.kind.clone(),
                format!(
                    "the probe namespace {namespace} does not exist and cannot be created ({}): \
                     create it, or name another with --probe-namespace",
                    err.message
                ),
            ))
        }
    }
}

/// Creates the probe pod, follows it, reads its result and deletes it.
/// Dropping the future deletes the pod too (a spawned delete).
pub async fn run(
    client: &Client,
    req: &ProbePodRequest,
    now: Timestamp,
    mut on_event: impl FnMut(PodEvent),
) -> Result<NodeProbe, ApiError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
    let name = pod_name(&req.node, now);
    let mut notes = vec![];
    let mut req = req.clone();
    // Armed before the create is sent: a cancel while it is in flight (the
    // pod may exist before its answer is read) still deletes the pod.
    let mut guard = DeleteGuard {
        api: api.clone(),
        name: name.clone(),
        armed: true,
    };
    ensure_namespace(client, &req.namespace).await?;
    let created = create(
        &api,
        &mut req,
        &name,
        now,
        &mut guard,
        &mut notes,
        &mut on_event,
    )
    .await?;
    audit(
        Action::CreateProbePod,
        &created,
        &req.origin,
        Done::Sent("created"),
        now,
    );
    on_event(PodEvent::Created {
        name: name.clone(),
        host_network: req.host_network,
    });
    let mut report = ProbeReport::new(Side::Node(req.node.clone()), &req.target);
    let wait = Duration::from_secs(req.deadline_s() as u64 + 15);
    let outcome = tokio::time::timeout(
        wait,
        follow::follow(&api, &name, &mut report, &mut notes, &mut on_event),
    )
    .await;
    if outcome.is_err() {
        let n = format!("the probe pod gave no result within {} s", wait.as_secs());
        on_event(PodEvent::Note(n.clone()));
        notes.push(n);
    }
    // The normal path awaits the delete, so "gone" is true when we return.
    match api.delete(&name, &force()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => {
            tracing::warn!(pod = name, error = %e, "deleting the probe pod");
            return Err(ApiError::from(&e));
        }
    }
    guard.armed = false;
    audit(
        Action::DeleteProbePod,
        &created,
        &req.origin,
        Done::Sent("deleted"),
        Timestamp::now(),
    );
    on_event(PodEvent::Deleted { name: name.clone() });
    Ok(NodeProbe {
        pod: name,
        report,
        notes,
    })
}

/// Creates the probe pod: on the host network unless policy forbids it (a
/// dry-run create asks first; then the pod network, and a note says so).
/// The guard is disarmed when the server refused: nothing exists.
async fn create(
    api: &Api<Pod>,
    req: &mut ProbePodRequest,
    name: &str,
    now: Timestamp,
    guard: &mut DeleteGuard,
    notes: &mut Vec<String>,
    on_event: &mut impl FnMut(PodEvent),
) -> Result<Pod, ApiError> {
    // Pod Security first, with a dry-run create: a policy that forbids the
    // host network is learnt before anything exists, and the pod network
    // is tried (and validated) instead.
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    if req.host_network
        && let Err(e) = api.create(&dry, &build_pod(req, name, now)).await
    {
        let err = ApiError::from(&e);
        if !policy_forbids_host(&err) {
            guard.armed = false;
            return Err(err);
        }
        audit(
            Action::CreateProbePod,
            &build_pod(req, name, now),
            &req.origin,
            Done::Refused {
                error: &err,
                dry_run: true,
            },
            now,
        );
        let place = format!("in namespace {}", req.namespace);
        to_pod_network(req, &place, &err, notes, on_event);
    }
    match api
        .create(&PostParams::default(), &build_pod(req, name, now))
        .await
    {
        Ok(p) => Ok(p),
        Err(e) => {
            let err = ApiError::from(&e);
            if req.host_network && policy_forbids_host(&err) {
                to_pod_network(req, "here", &err, notes, on_event);
                api.create(&PostParams::default(), &build_pod(req, name, now))
                    .await
                    .map_err(|e| {
                        if matches!(e, kube::Error::Api(_)) {
                            guard.armed = false;
                        }
                        ApiError::from(&e)
                    })
            } else {
                audit(
                    Action::CreateProbePod,
                    &build_pod(req, name, now),
                    &req.origin,
                    Done::Refused {
                        error: &err,
                        dry_run: false,
                    },
                    now,
                );
                // Refused by the server: nothing was created. (A timeout
                // keeps the guard: the pod may exist.)
                if matches!(e, kube::Error::Api(_)) {
                    guard.armed = false;
                }
                Err(err)
            }
        }
    }
}

/// Policy forbids the host network (`place`: where): the probe goes on
/// from the pod network, and a note says what that changes.
fn to_pod_network(
    req: &mut ProbePodRequest,
    place: &str,
    err: &ApiError,
    notes: &mut Vec<String>,
    on_event: &mut impl FnMut(PodEvent),
) {
    let note = format!(
        "policy forbids the host network {place} ({}): probing from the pod network \
         instead, with the probe image's CA bundle and the cluster's DNS, not the node's",
        err.message
    );
    on_event(PodEvent::Note(note.clone()));
    notes.push(note);
    req.host_network = false;
}

/// Deletes probe pods whose expiry has passed, in every namespace we may list
/// (falls back to `namespace` when listing all is forbidden). Returns the
/// `ns/name`s deleted.
pub async fn sweep(
    client: &Client,
    namespace: &str,
    origin: &Origin,
    now: Timestamp,
) -> Result<Vec<String>, ApiError> {
    let lp = ListParams::default().labels(&format!(
        "{MANAGED_BY_KEY}={MANAGED_BY},{COMPONENT_KEY}={COMPONENT}"
    ));
    // Only pulltui's own probe namespace: labels anyone may set do not make
    // a pod elsewhere pulltui's to delete.
    let list = Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&lp)
        .await
        .map_err(|e| ApiError::from(&e))?;
    let mut gone = vec![];
    for p in list.items {
        // An expiry that is missing or unreadable is not an expiry.
        let expired = p
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(EXPIRES_KEY))
            .and_then(|t| t.parse::<Timestamp>().ok())
            .is_some_and(|t| t <= now);
        if !expired {
            continue;
        }
        let name = p.metadata.name.clone().unwrap_or_default();
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                uid: p.metadata.uid.clone(),
                resource_version: None,
            }),
            ..force()
        };
        match Api::<Pod>::namespaced(client.clone(), namespace)
            .delete(&name, &dp)
            .await
        {
            Ok(_) => {
                audit(
                    Action::SweepProbePod,
                    &p,
                    origin,
                    Done::Sent("deleted"),
                    now,
                );
                gone.push(format!("{namespace}/{name}"));
            }
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
            Err(e) => return Err(ApiError::from(&e)),
        }
    }
    Ok(gone)
}

/// What a spawned node probe reports.
#[derive(Debug)]
pub enum NodeEvent {
    Pod(PodEvent),
    Done(Result<NodeProbe, ApiError>),
}

/// A running node probe (the TUI's `P`). Dropping it or [`cancel`] aborts
/// the task, whose drop guard deletes the pod; [`shutdown`] (for quit) also
/// awaits that delete, so it happens before the runtime ends.
///
/// [`cancel`]: NodeProbeHandle::cancel
/// [`shutdown`]: NodeProbeHandle::shutdown
pub struct NodeProbeHandle {
    rx: tokio::sync::mpsc::Receiver<NodeEvent>,
    task: tokio::task::JoinHandle<()>,
    api: Api<Pod>,
    pod: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

/// Starts the in-cluster probe; its events arrive on the handle.
pub fn spawn(client: Client, req: ProbePodRequest, now: Timestamp) -> NodeProbeHandle {
    let (tx, rx) = tokio::sync::mpsc::channel(32);
    // The name is known before the create is sent, so shutdown can delete
    // a pod whose create was in flight.
    let pod = std::sync::Arc::new(std::sync::Mutex::new(Some(pod_name(&req.node, now))));
    let seen = pod.clone();
    let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
    let task = tokio::spawn(async move {
        let ev_tx = tx.clone();
        let res = run(&client, &req, now, |ev| {
            if let PodEvent::Created { name, .. } = &ev
                && let Ok(mut p) = seen.lock()
            {
                *p = Some(name.clone());
            }
            let _ = ev_tx.try_send(NodeEvent::Pod(ev));
        })
        .await;
        let _ = tx.send(NodeEvent::Done(res)).await;
    });
    NodeProbeHandle { rx, task, api, pod }
}

impl NodeProbeHandle {
    pub async fn next(&mut self) -> Option<NodeEvent> {
        self.rx.recv().await
    }

    /// Stops the probe; the pod is deleted by a spawned request.
    pub fn cancel(self) {
        self.task.abort();
    }

    /// Stops the probe and waits until the pod's delete was sent (quit).
    pub async fn shutdown(self) {
        self.task.abort();
        let name = self.pod.lock().ok().and_then(|p| p.clone());
        if let Some(name) = name {
            match self.api.delete(&name, &force()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => tracing::warn!(pod = name, error = %e, "deleting the probe pod at quit"),
            }
        }
    }
}

impl Drop for NodeProbeHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> ProbePodRequest {
        ProbePodRequest {
            blob_host: None,
            pull_secret: None,
            namespace: "default".into(),
            node: "Sim_Node.1".into(),
            probe_image: DEFAULT_PROBE_IMAGE.into(),
            target: ImageRef::parse("127.0.0.1:5000/team/app:1.0").expect("image"),
            step_timeout_s: 3,
            host_network: true,
            origin: Origin::default(),
        }
    }

    #[test]
    fn the_probe_pod_is_pinned_tolerant_short_lived_and_labelled() {
        let now: Timestamp = "2026-12-02T08:00:00Z".parse().expect("time");
        let name = pod_name("Sim_Node.1", now);
        assert!(name.starts_with("pulltui-probe-sim-node-1-"), "{name}");
        let pod = build_pod(&req(), &name, now);
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("Sim_Node.1"));
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        assert_eq!(spec.active_deadline_seconds, Some(48));
        assert_eq!(spec.host_network, Some(true));
        assert_eq!(spec.dns_policy.as_deref(), Some("Default"));
        let tol = spec.tolerations.as_ref().expect("tolerations");
        assert_eq!(tol[0].operator.as_deref(), Some("Exists"));
        assert_eq!(tol[0].key, None);
        let labels = pod.metadata.labels.as_ref().expect("labels");
        assert_eq!(
            labels.get(MANAGED_BY_KEY).map(String::as_str),
            Some("pulltui")
        );
        let exp = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(EXPIRES_KEY))
            .expect("expiry");
        assert_eq!(exp, "2026-12-02T08:02:48Z");
        let cmd = spec.containers[0].command.as_ref().expect("command");
        assert_eq!(&cmd[4..], ["127.0.0.1", "5000", "3"]);
        // The blob host this machine was redirected to: two more arguments.
        let with_blob = ProbePodRequest {
            blob_host: Some(("layers.example".into(), 443)),
            ..req()
        };
        let pod = build_pod(&with_blob, &name, now);
        let cmd = pod.spec.expect("spec").containers[0]
            .command
            .clone()
            .expect("command");
        assert_eq!(
            &cmd[4..],
            ["127.0.0.1", "5000", "3", "layers.example", "443"]
        );
    }

    #[test]
    fn without_host_network_the_pod_has_no_host_mounts() {
        let mut r = req();
        r.host_network = false;
        let pod = build_pod(&r, "p", Timestamp::UNIX_EPOCH);
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(spec.host_network, None);
        assert!(spec.volumes.is_none());
    }

    #[test]
    fn the_preview_is_yaml_with_the_kubectl_equivalent() {
        let pod = build_pod(&req(), "pulltui-probe-x", Timestamp::UNIX_EPOCH);
        let p = preview(&pod);
        assert!(p.contains("  name: pulltui-probe-x\n"), "{p}");
        assert!(p.contains("  hostNetwork: true\n"), "{p}");
        assert!(p.contains("app.kubernetes.io/managed-by: pulltui"), "{p}");
        assert!(
            p.contains("kubectl -n default delete pod pulltui-probe-x"),
            "{p}"
        );
    }

    #[test]
    fn podsecurity_refusals_are_recognised() {
        let e = ApiError {
            kind: crate::cluster::error::ApiErrorKind::Status(403),
            reason: "Forbidden".into(),
            message: "pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)".into(),
        };
        assert!(policy_forbids_host(&e));
        let other = ApiError {
            message: "pods is forbidden: User cannot create".into(),
            ..e
        };
        assert!(!policy_forbids_host(&other));
    }

    #[test]
    fn the_default_probe_namespace_is_used_only_when_pulltui_made_it() {
        let ours: std::collections::BTreeMap<String, String> =
            [(MANAGED_BY_KEY.to_string(), MANAGED_BY.to_string())].into();
        assert_eq!(
            foreign_default_namespace(PROBE_NAMESPACE, Some(&ours)),
            None
        );
        assert!(foreign_default_namespace(PROBE_NAMESPACE, None).is_some());
        assert!(foreign_default_namespace(PROBE_NAMESPACE, Some(&Default::default())).is_some());
        // A namespace the user names is the user's choice.
        assert_eq!(foreign_default_namespace("ops-tools", None), None);
    }
}
