//! The console's fixes, live: one task per action that reads what the fix
//! needs, answers with the preview, waits for the user's `y` (or `Esc`),
//! applies, writes the audit line, and follows the workload — the same
//! steps, in the same functions, as `pulltui fix` (`mutate::pod_facts` →
//! `domain::mutation::plan` → `mutate::prepare` → `mutate::apply` →
//! `audit::append` → `follow`).
//!
//! A group fix (several pods) prepares one change per distinct workload;
//! a pull secret is created once per namespace and attached to the rest.
//! The password only travels inside the typed mutation (`Redacted`); it is
//! never in a message back to the app.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use kube::Client;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::Connection;
use super::follow::{self, FollowEnd, NoFollow};
use super::mutate::{self, MutationError, Outcome, PodFacts, Prepared};
use crate::app::msg::{ActionId, ActionMsg, ClusterMsg, FixRequest, Msg, SessionKey};
use crate::audit;
use crate::domain::failing::PodKey;
use crate::domain::image::ImageRef;
use crate::domain::mutation::{AttachChoice, FixId, FixParams, Mutation, ObjectRef, Preview, plan};

/// How long the console follows a fix.
pub const FOLLOW_TIMEOUT: Duration = Duration::from_secs(180);

/// One prepared step: the pod it came from and the change.
pub struct Step {
    pub facts: PodFacts,
    pub prepared: Prepared,
    /// A group fix that writes credentials to several namespaces: all of
    /// them, for this step's audit line.
    pub spread: Vec<String>,
}

/// Reads one pod and prepares `fix` for it (nothing is written).
pub async fn prepare_step(
    client: &Client,
    pod: &PodKey,
    container: Option<&str>,
    fix: FixId,
    params: &FixParams,
    created: &[ObjectRef],
) -> Result<Step, MutationError> {
    let facts = mutate::pod_facts(client, pod, container).await?;
    let mutation = plan(&facts.context, fix, params)?;
    let mut prepared = mutate::prepare_after(client, mutation, created).await?;
    if let Some(why) = &facts.owner_doubt {
        prepared.preview.notes.insert(0, why.clone());
    }
    Ok(Step {
        facts,
        prepared,
        spread: Vec::new(),
    })
}

/// Prepares a request: one step, or one per distinct workload of a group.
/// For a group, a failing step is reported and skipped, unless all fail.
pub async fn prepare_request(
    client: &Client,
    req: &FixRequest,
) -> Result<(Vec<Step>, Vec<String>), MutationError> {
    if req.pods.len() <= 1 {
        let pod = req
            .pods
            .first()
            .ok_or_else(|| MutationError::Invalid("no pod selected".into()))?;
        let step = prepare_step(
            client,
            pod,
            req.container.as_deref(),
            req.fix,
            &req.params,
            &[],
        )
        .await?;
        return Ok((vec![step], Vec::new()));
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut skipped = Vec::new();
    let mut created: Vec<ObjectRef> = Vec::new();
    let mut first_error = None;
    for pod in &req.pods {
        // The secret is created once per namespace, then attached.
        let (fix, params) = match (req.fix, req.params.secret_name.as_ref()) {
            (FixId::CreatePullSecret, Some(name))
                if created
                    .iter()
                    .any(|c| c.namespace == pod.namespace && c.name == *name) =>
            {
                (
                    FixId::AttachPullSecret,
                    FixParams {
                        secret: Some(name.clone()),
                        attach: Some(match req.params.attach {
                            Some(AttachChoice::ServiceAccount) => AttachChoice::ServiceAccount,
                            _ => AttachChoice::Template,
                        }),
                        ..FixParams::default()
                    },
                )
            }
            _ => (req.fix, req.params.clone()),
        };
        // The group's container name may differ per workload: the failing one.
        match prepare_step(client, pod, None, fix, &params, &created).await {
            Ok(step) => {
                let target = &step.facts.context.target;
                if steps.iter().any(|s| s.facts.context.target == *target) {
                    continue;
                }
                if let Mutation::CreatePullSecret {
                    namespace, name, ..
                } = &step.prepared.mutation
                {
                    created.push(ObjectRef::new(namespace, name));
                }
                steps.push(step);
            }
            Err(e) => {
                skipped.push(format!("{pod}: {e}"));
                first_error.get_or_insert(e);
            }
        }
    }
    // Where the group's credentials go, for each step's audit line.
    let objects: Vec<String> = steps
        .iter()
        .flat_map(|s| s.prepared.preview.objects.clone())
        .collect();
    let spread = crate::domain::mutation::secret_namespaces(&objects);
    if spread.len() > 1 {
        for s in &mut steps {
            s.spread = spread.clone();
        }
    }
    match (steps.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok((steps, skipped)),
    }
}

/// The one preview of several steps.
pub fn combined_preview(steps: &[Step], skipped: &[String]) -> Preview {
    Preview::combine(
        steps.iter().map(|s| s.prepared.preview.clone()).collect(),
        skipped,
    )
}

/// What was written, for the log and the app.
pub struct Applied {
    pub outcome: Outcome,
    pub audit: Option<PathBuf>,
}

/// Applies one prepared step and writes its audit line. Returns the pods
/// that existed before (the follow-up's "new pods" are the others).
pub async fn apply_step(
    client: &Client,
    origin: &audit::Origin,
    step: &Step,
    dry_run: bool,
) -> (Result<Applied, MutationError>, Vec<String>) {
    let ctx = &step.facts.context;
    let target_before = mutate::get_object(client, &ctx.target).await.ok();
    let selector = follow::selector_for(&ctx.target, target_before.as_ref());
    let existing = follow::existing_pods(client, &ctx.target, selector.as_deref(), &ctx.name).await;
    let result = mutate::apply(client, &step.prepared, dry_run).await;
    let entry = mutate::audit_entry(
        jiff::Timestamp::now(),
        origin,
        &step.prepared.mutation,
        &step.spread,
        dry_run,
        &result,
    );
    let audit = match audit::append(&entry) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "could not write the audit log");
            None
        }
    };
    (result.map(|outcome| Applied { outcome, audit }), existing)
}

/// Follows one applied step to its end (or says why it is not followed).
pub async fn follow_step(
    client: &Client,
    step: &Step,
    outcome: &Outcome,
    existing: Vec<String>,
    progress: Option<mpsc::Sender<follow::Progress>>,
    timeout: Duration,
) -> Result<FollowEnd, NoFollow> {
    let ctx = &step.facts.context;
    let target_obj = mutate::get_object(client, &ctx.target).await.ok();
    let spec = follow::spec_for(
        &step.prepared.mutation,
        outcome,
        &ctx.name,
        &ctx.target,
        target_obj.as_ref(),
        existing,
        ctx.category,
    )?;
    Ok(follow::follow(client, &step.facts.cluster, &spec, timeout, progress).await)
}

/// The copy and attach offers for the credential form.
pub async fn candidates(client: &Client, pod: &PodKey, container: Option<&str>) -> ActionMsg {
    let facts = match mutate::pod_facts(client, pod, container).await {
        Ok(f) => f,
        Err(e) => {
            let m = e.to_string();
            return ActionMsg::Candidates {
                copy: Err(m.clone()),
                attach: Err(m),
            };
        }
    };
    let ctx = &facts.context;
    let attach = mutate::attachable_secrets(client, ctx)
        .await
        .map_err(|e| short(&e));
    let copy = match ImageRef::parse(&ctx.image) {
        Ok(image) => mutate::copy_candidates(client, &image, &ctx.namespace)
            .await
            .map_err(|e| short(&e)),
        Err(e) => Err(e.to_string()),
    };
    ActionMsg::Candidates { copy, attach }
}

fn short(e: &MutationError) -> String {
    match e.api_error() {
        Some(a) if a.is_forbidden() => "not allowed to list secrets".into(),
        _ => e.to_string(),
    }
}

/// The live actions: their tasks and the `y` each prepared one waits for.
#[derive(Default)]
pub struct Fixer {
    tasks: HashMap<ActionId, Running>,
    /// `--read-only` / `--dry-run`, enforced at `apply`.
    pub mode: super::WriteMode,
}

struct Running {
    task: JoinHandle<()>,
    confirm: Option<oneshot::Sender<bool>>,
}

impl Drop for Fixer {
    fn drop(&mut self) {
        for r in self.tasks.values() {
            r.task.abort();
        }
    }
}

impl Fixer {
    fn reap(&mut self) {
        self.tasks.retain(|_, r| !r.task.is_finished());
    }

    /// Starts an action: prepare, answer with the preview, wait for `y`.
    pub fn prepare(
        &mut self,
        session: SessionKey,
        action: ActionId,
        conn: Connection,
        kubeconfig: Option<PathBuf>,
        request: FixRequest,
        tx: mpsc::Sender<Msg>,
    ) {
        self.reap();
        let (confirm_tx, confirm_rx) = oneshot::channel();
        let task = tokio::spawn(run_action(
            session, action, conn, kubeconfig, request, tx, confirm_rx,
        ));
        self.tasks.insert(
            action,
            Running {
                task,
                confirm: Some(confirm_tx),
            },
        );
    }

    /// The user said `y`. Under `--read-only` nothing is applied (the
    /// prepared change is dropped); under `--dry-run` it is sent as a dry run
    /// whatever the request says.
    pub fn apply(&mut self, action: ActionId, dry_run: bool) {
        if self.mode == super::WriteMode::ReadOnly {
            tracing::warn!(?action, "read-only: an apply was asked for and refused");
            self.cancel(action);
            return;
        }
        let dry_run = dry_run || self.mode == super::WriteMode::DryRun;
        if let Some(r) = self.tasks.get_mut(&action)
            && let Some(c) = r.confirm.take()
        {
            let _ = c.send(dry_run);
        }
    }

    /// `Esc`: drop the prepared change (or stop following).
    pub fn cancel(&mut self, action: ActionId) {
        if let Some(r) = self.tasks.remove(&action) {
            r.task.abort();
        }
    }

    pub fn candidates(
        &mut self,
        session: SessionKey,
        action: ActionId,
        client: Client,
        pod: PodKey,
        container: Option<String>,
        tx: mpsc::Sender<Msg>,
    ) {
        tokio::spawn(async move {
            let msg = candidates(&client, &pod, container.as_deref()).await;
            send(&tx, &session, action, msg).await;
        });
    }

    pub fn stop(&mut self) {
        for (_, r) in self.tasks.drain() {
            r.task.abort();
        }
    }
}

async fn send(tx: &mpsc::Sender<Msg>, session: &SessionKey, action: ActionId, msg: ActionMsg) {
    let _ = tx
        .send(Msg::Cluster(
            session.clone(),
            ClusterMsg::Action {
                action,
                msg: Box::new(msg),
            },
        ))
        .await;
}

/// Whether an error is about the form's values (the form stays open).
fn is_input(e: &MutationError) -> bool {
    matches!(
        e,
        MutationError::Input(_) | MutationError::SecretExists { .. }
    )
}

async fn run_action(
    session: SessionKey,
    action: ActionId,
    conn: Connection,
    kubeconfig: Option<PathBuf>,
    request: FixRequest,
    tx: mpsc::Sender<Msg>,
    confirm: oneshot::Receiver<bool>,
) {
    let client = conn.client.clone();
    let (steps, skipped) = match prepare_request(&client, &request).await {
        Ok(s) => s,
        Err(e) => {
            let input = is_input(&e);
            send(
                &tx,
                &session,
                action,
                ActionMsg::Refused {
                    message: e.to_string(),
                    input,
                },
            )
            .await;
            return;
        }
    };
    drop(request);
    let preview = combined_preview(&steps, &skipped);
    send(
        &tx,
        &session,
        action,
        ActionMsg::Prepared {
            preview: Box::new(preview),
            live: true,
        },
    )
    .await;
    // Esc drops the sender: nothing is applied.
    let Ok(dry_run) = confirm.await else {
        return;
    };
    let origin = audit::Origin::new(
        &conn.cluster_id(),
        audit::kubeconfig_user(kubeconfig.as_deref(), conn.context.as_deref()),
    );
    let AppliedSteps {
        done,
        writes,
        mut notes,
        audit,
        failures,
    } = apply_steps(&client, &origin, &steps, dry_run).await;
    if done.is_empty() {
        send(
            &tx,
            &session,
            action,
            ActionMsg::Failed {
                message: failures.join("; "),
            },
        )
        .await;
        return;
    }
    for f in &failures {
        notes.push(format!("NOT done: {f}"));
    }
    send(
        &tx,
        &session,
        action,
        ActionMsg::Applied {
            dry_run,
            writes,
            notes,
            audit: audit.map(|p| p.display().to_string()),
        },
    )
    .await;
    if dry_run {
        return;
    }
    let end = follow_steps(&client, session.clone(), action, &tx, &steps, done).await;
    send(&tx, &session, action, end).await;
}

/// What applying the steps did: the steps done (with the pods that existed
/// before each), the writes and notes to show, the audit file, and the
/// steps that failed.
struct AppliedSteps {
    done: Vec<(usize, Outcome, Vec<String>)>,
    writes: Vec<String>,
    notes: Vec<String>,
    audit: Option<PathBuf>,
    failures: Vec<String>,
}

/// Applies every step in turn; a failed step does not stop the others.
async fn apply_steps(
    client: &Client,
    origin: &audit::Origin,
    steps: &[Step],
    dry_run: bool,
) -> AppliedSteps {
    let mut done: Vec<(usize, Outcome, Vec<String>)> = Vec::new();
    let mut writes = Vec::new();
    let mut notes = Vec::new();
    let mut audit = None;
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let (res, existing) = apply_step(client, origin, step, dry_run).await;
        match res {
            Ok(a) => {
                writes.extend(a.outcome.writes.iter().map(|w| w.describe_with_versions()));
                notes.extend(a.outcome.notes.iter().cloned());
                audit = a.audit.or(audit);
                done.push((i, a.outcome, existing));
            }
            Err(e) => failures.push(if steps.len() > 1 {
                format!("{}: {e}", step.prepared.preview.title)
            } else {
                e.to_string()
            }),
        }
    }
    AppliedSteps {
        done,
        writes,
        notes,
        audit,
        failures,
    }
}

/// Follows every applied step, progress lines to the status bar; the
/// message that ends the action.
async fn follow_steps(
    client: &Client,
    session: SessionKey,
    action: ActionId,
    tx: &mpsc::Sender<Msg>,
    steps: &[Step],
    done: Vec<(usize, Outcome, Vec<String>)>,
) -> ActionMsg {
    let (ptx, mut prx) = mpsc::channel::<follow::Progress>(16);
    let forward = {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(p) = prx.recv().await {
                send(&tx, &session, action, ActionMsg::Progress { line: p.line }).await;
            }
        })
    };
    let follows =
        done.into_iter().map(|(i, outcome, existing)| {
            let client = client.clone();
            let ptx = ptx.clone();
            let step = &steps[i];
            async move {
                follow_step(&client, step, &outcome, existing, Some(ptx), FOLLOW_TIMEOUT).await
            }
        });
    let ends = futures::future::join_all(follows).await;
    drop(ptx);
    let _ = forward.await;
    let mut summaries = Vec::new();
    let mut why = Vec::new();
    let mut resolved = true;
    for e in ends {
        match e {
            Ok(end) => {
                resolved &= end.resolved;
                summaries.push(end.summary);
            }
            Err(NoFollow(w)) => why.push(w),
        }
    }
    if summaries.is_empty() {
        return ActionMsg::NotFollowed {
            why: why.join("; "),
        };
    }
    summaries.extend(why.into_iter().map(|w| format!("not followed: {w}")));
    ActionMsg::Followed {
        resolved,
        summary: summaries.join("; "),
    }
}
