//! Following a fix: after an apply, watch the workload's pods until the new
//! ones run or a timeout, and say so ("Deployment/web: 2/2 new pods Running
//! after 3.4 s ✓", or "new pod still failing: auth.denied (was
//! auth.no-credentials)").
//!
//! Typed progress values go to an optional channel (the TUI's toast and
//! status bar); the returned [`FollowEnd`] is the last word (the CLI's
//! result line). Pods are polled (list by label selector, twice a second):
//! a short-lived, bounded follow, no watch to keep alive.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::mutate::{Outcome, classify_pod, selector_of};
use crate::domain::classify::Category;
use crate::domain::cluster_id::ClusterId;
use crate::domain::failing::failing_containers;
use crate::domain::mutation::{AttachTo, Mutation};
use crate::domain::owners::WriteTarget;

/// Which pods tell whether the fix worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watch {
    /// Pods that did not exist before the apply (a rollout, recreated pods).
    NewPods { existing: Vec<String> },
    /// The same pods, fixed in place (a bare pod, a created missing secret).
    InPlace,
}

/// What to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowSpec {
    /// The workload (or bare pod) whose pods are followed.
    pub target: WriteTarget,
    /// Label selector of its pods (`None`: the bare pod `pod`).
    pub selector: Option<String>,
    pub pod: String,
    pub watch: Watch,
    /// How many pods should run.
    pub desired: u32,
    /// The category the pod failed with before the fix.
    pub was: Option<Category>,
}

/// A progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub running: u32,
    pub desired: u32,
    pub elapsed_ms: u64,
    /// Followed pods that fail, with their current category.
    pub failing: Vec<(String, Option<Category>)>,
    /// A line for a status bar.
    pub line: String,
}

/// How the follow ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowEnd {
    pub resolved: bool,
    pub running: u32,
    pub desired: u32,
    pub elapsed_ms: u64,
    /// The category the followed pods still fail with, if any.
    #[serde(serialize_with = "ser_category")]
    pub category: Option<Category>,
    #[serde(serialize_with = "ser_category")]
    pub was: Option<Category>,
    /// The result line.
    pub summary: String,
}

fn ser_category<S: serde::Serializer>(c: &Option<Category>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.id()),
        None => s.serialize_none(),
    }
}

/// Why a fix is not followed (nothing will change by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFollow(pub String);

fn pods_word(n: u32) -> &'static str {
    if n == 1 { "pod" } else { "pods" }
}

/// Decides what to follow after `outcome` of `mutation` on the pod `pod`
/// (whose write target object is `target_obj`, as read after the apply).
pub fn spec_for(
    mutation: &Mutation,
    outcome: &Outcome,
    pod: &str,
    target: &WriteTarget,
    target_obj: Option<&Value>,
    existing: Vec<String>,
    was: Option<Category>,
) -> Result<FollowSpec, NoFollow> {
    if outcome.dry_run {
        return Err(NoFollow("dry run: nothing changed".into()));
    }
    let sa_only = matches!(
        mutation,
        Mutation::AttachPullSecret {
            to: AttachTo::ServiceAccount { .. },
            ..
        } | Mutation::CreatePullSecret {
            attach: Some(AttachTo::ServiceAccount { .. }),
            ..
        } | Mutation::CopyPullSecret {
            attach: Some(AttachTo::ServiceAccount { .. }),
            ..
        }
    );
    if sa_only && !target.is_pod() {
        return Err(NoFollow(format!(
            "a ServiceAccount's pull secrets reach only new pods: restart {target} \
             (--fix restart) to use them"
        )));
    }
    if target.kind == "CronJob" && !matches!(mutation, Mutation::DeletePods { .. }) {
        return Err(NoFollow(format!(
            "{target} uses the new template for its next Job; nothing to follow now"
        )));
    }
    let in_place = target.is_pod()
        || matches!(
            mutation,
            Mutation::CreatePullSecret { attach: None, .. }
                | Mutation::CopyPullSecret { attach: None, .. }
        );
    let selector = selector_for(target, target_obj);
    let desired = desired_of(target, target_obj);
    Ok(FollowSpec {
        target: target.clone(),
        selector,
        pod: pod.to_string(),
        watch: if in_place {
            Watch::InPlace
        } else {
            Watch::NewPods { existing }
        },
        desired,
        was,
    })
}

/// The label selector of a target's pods (`None` for a bare pod). A Job's
/// pods carry `job-name`, which survives the Job's re-creation.
pub fn selector_for(target: &WriteTarget, obj: Option<&Value>) -> Option<String> {
    if target.is_pod() {
        None
    } else if target.kind == "Job" {
        Some(format!("job-name={}", target.name))
    } else {
        obj.and_then(selector_of)
    }
}

fn desired_of(target: &WriteTarget, obj: Option<&Value>) -> u32 {
    let get = |p: &str| {
        obj.and_then(|o| o.pointer(p))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    match target.kind.as_str() {
        "Pod" => 1,
        "DaemonSet" => get("/status/desiredNumberScheduled").unwrap_or(1),
        "Job" => get("/spec/parallelism").unwrap_or(1),
        _ => get("/spec/replicas").unwrap_or(1),
    }
}

/// The pods of the target right now (not being deleted).
pub async fn list_pods(client: &Client, spec: &FollowSpec) -> Result<Vec<Pod>, kube::Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), &spec.target.namespace);
    let lp = match &spec.selector {
        Some(s) => ListParams::default().labels(s),
        None => ListParams::default().fields(&format!("metadata.name={}", spec.pod)),
    };
    Ok(api
        .list(&lp)
        .await?
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect())
}

/// Names of the target's current pods (call before the apply, for [`Watch::NewPods`]).
pub async fn existing_pods(
    client: &Client,
    target: &WriteTarget,
    selector: Option<&str>,
    pod: &str,
) -> Vec<String> {
    let spec = FollowSpec {
        target: target.clone(),
        selector: selector.map(str::to_string),
        pod: pod.to_string(),
        watch: Watch::InPlace,
        desired: 1,
        was: None,
    };
    list_pods(client, &spec)
        .await
        .map(|ps| ps.iter().filter_map(|p| p.uid()).collect())
        .unwrap_or_default()
}

fn running(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            !cs.is_empty()
                && cs
                    .iter()
                    .all(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
        })
}

/// Follows until the followed pods run (`desired` of them) or `timeout`;
/// `cluster` is the one `client` reads (the rows of pods still failing
/// are that cluster's).
pub async fn follow(
    client: &Client,
    cluster: &ClusterId,
    spec: &FollowSpec,
    timeout: Duration,
    progress: Option<mpsc::Sender<Progress>>,
) -> FollowEnd {
    let start = Instant::now();
    let new_word = match spec.watch {
        Watch::NewPods { .. } => "new ",
        Watch::InPlace => "",
    };
    let mut last_failing: Option<Category> = None;
    let mut last_running: u32;
    loop {
        let elapsed = start.elapsed();
        let (run, failing) = look(client, cluster, spec).await;
        last_running = run;
        if let Some(c) = failing.iter().find_map(|(_, c)| *c) {
            last_failing = Some(c);
        }
        let resolved = run >= spec.desired && failing.is_empty();
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if resolved {
            return FollowEnd {
                resolved: true,
                running: run,
                desired: spec.desired,
                elapsed_ms,
                category: None,
                was: spec.was,
                summary: format!(
                    "{}: {run}/{} {new_word}{} Running after {:.1} s ✓",
                    spec.target,
                    spec.desired,
                    pods_word(spec.desired),
                    elapsed.as_secs_f64()
                ),
            };
        }
        if elapsed >= timeout {
            break;
        }
        if let Some(tx) = &progress {
            let line = match failing.iter().find_map(|(_, c)| *c) {
                Some(c) => failing_line(spec, new_word, c),
                None => format!(
                    "{}: {run}/{} {new_word}{} Running ({:.0} s)…",
                    spec.target,
                    spec.desired,
                    pods_word(spec.desired),
                    elapsed.as_secs_f64()
                ),
            };
            let _ = tx
                .send(Progress {
                    running: run,
                    desired: spec.desired,
                    elapsed_ms,
                    failing: failing.clone(),
                    line,
                })
                .await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let elapsed = start.elapsed();
    let summary = match last_failing {
        Some(c) => failing_line(spec, new_word, c),
        None => format!(
            "{}: {last_running}/{} {new_word}{} Running after {:.0} s: gave up waiting",
            spec.target,
            spec.desired,
            pods_word(spec.desired),
            elapsed.as_secs_f64()
        ),
    };
    FollowEnd {
        resolved: false,
        running: last_running,
        desired: spec.desired,
        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        category: last_failing,
        was: spec.was,
        summary,
    }
}

/// One look at the followed pods: how many run, and the failing ones with
/// the cause of their first failing row.
async fn look(
    client: &Client,
    cluster: &ClusterId,
    spec: &FollowSpec,
) -> (u32, Vec<(String, Option<Category>)>) {
    let pods = match list_pods(client, spec).await {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %super::describe(&e), "follow: listing pods");
            Vec::new()
        }
    };
    let followed: Vec<&Pod> = pods
        .iter()
        .filter(|p| match &spec.watch {
            Watch::NewPods { existing } => p.uid().is_none_or(|u| !existing.contains(&u)),
            Watch::InPlace => true,
        })
        .collect();
    let run = u32::try_from(followed.iter().filter(|p| running(p)).count()).unwrap_or(u32::MAX);
    let mut failing = Vec::new();
    for p in followed
        .iter()
        .filter(|p| !failing_containers(p).is_empty())
    {
        let cat = classify_pod(client, cluster, p)
            .await
            .first()
            .map(|r| r.category);
        failing.push((p.name_any(), cat));
    }
    (run, failing)
}

fn failing_line(spec: &FollowSpec, new_word: &str, c: Category) -> String {
    let was = match spec.was {
        Some(w) => format!(" (was {})", w.id()),
        None => String::new(),
    };
    format!(
        "{}: {new_word}pod still failing: {}{was} ✗",
        spec.target,
        c.id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::owners::TemplatePath;
    use serde_json::json;

    fn target(kind: &str) -> WriteTarget {
        WriteTarget {
            kind: kind.into(),
            api_version: "apps/v1".into(),
            namespace: "ns".into(),
            name: "w".into(),
            template: if kind == "Pod" {
                TemplatePath::Pod
            } else {
                TemplatePath::Template
            },
        }
    }

    fn outcome(dry_run: bool) -> Outcome {
        Outcome {
            dry_run,
            writes: vec![],
            notes: vec![],
            applied_at: None,
        }
    }

    fn annotate(t: &WriteTarget) -> Mutation {
        Mutation::AnnotateTemplate {
            target: t.clone(),
            key: "k".into(),
            value: "v".into(),
            merge: true,
        }
    }

    #[test]
    fn a_template_change_follows_new_pods_of_the_selector_and_replicas() {
        let t = target("Deployment");
        let obj = json!({"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "w"}}}});
        let s = spec_for(
            &annotate(&t),
            &outcome(false),
            "w-1",
            &t,
            Some(&obj),
            vec!["uid-1".into()],
            Some(Category::TlsUntrusted),
        )
        .unwrap();
        assert_eq!(s.selector.as_deref(), Some("app=w"));
        assert_eq!(s.desired, 3);
        assert_eq!(
            s.watch,
            Watch::NewPods {
                existing: vec!["uid-1".into()]
            }
        );
    }

    #[test]
    fn a_bare_pod_and_a_created_missing_secret_are_followed_in_place() {
        let p = target("Pod");
        let s = spec_for(&annotate(&p), &outcome(false), "w", &p, None, vec![], None).unwrap();
        assert_eq!((s.watch, s.selector, s.desired), (Watch::InPlace, None, 1));
        let d = target("Deployment");
        let m = Mutation::CreatePullSecret {
            namespace: "ns".into(),
            name: "missing".into(),
            server: "r".into(),
            username: "u".into(),
            password: "p".into(),
            email: None,
            attach: None,
        };
        let obj = json!({"spec": {"selector": {"matchLabels": {"app": "w"}}}});
        let s = spec_for(&m, &outcome(false), "w-1", &d, Some(&obj), vec![], None).unwrap();
        assert_eq!(s.watch, Watch::InPlace);
    }

    #[test]
    fn dry_runs_service_account_attaches_and_cronjobs_are_not_followed() {
        let d = target("Deployment");
        assert!(spec_for(&annotate(&d), &outcome(true), "p", &d, None, vec![], None).is_err());
        let sa = Mutation::AttachPullSecret {
            secret: "s".into(),
            to: AttachTo::ServiceAccount {
                namespace: "ns".into(),
                name: "default".into(),
            },
        };
        let e = spec_for(&sa, &outcome(false), "p", &d, None, vec![], None).unwrap_err();
        assert!(e.0.contains("restart"), "{e:?}");
        let c = target("CronJob");
        assert!(spec_for(&annotate(&c), &outcome(false), "p", &c, None, vec![], None).is_err());
    }

    #[test]
    fn a_job_is_followed_by_job_name_which_survives_its_recreation() {
        let j = target("Job");
        let obj = json!({"spec": {"parallelism": 2, "selector": {"matchLabels": {"controller-uid": "x"}}}});
        let s = spec_for(
            &annotate(&j),
            &outcome(false),
            "p",
            &j,
            Some(&obj),
            vec![],
            None,
        )
        .unwrap();
        assert_eq!(s.selector.as_deref(), Some("job-name=w"));
        assert_eq!(s.desired, 2);
    }
}
