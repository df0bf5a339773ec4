//! Following the probe pod: its state from a watch, its result lines
//! from its log while it runs and, as the final word, from its termination
//! message; a failed pull of its own image is a finding.

use futures::{AsyncBufReadExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::runtime::watcher;

use super::{CONTAINER, PodEvent};
use crate::domain::classify::classify;
use crate::domain::probe::{ProbeReport, StepResult, parse_node_line, parse_node_note};

/// Follows the pod until its probe ended (or its own pull failed).
pub(super) async fn follow(
    api: &Api<Pod>,
    name: &str,
    report: &mut ProbeReport,
    notes: &mut Vec<String>,
    on_event: &mut impl FnMut(PodEvent),
) {
    let cfg = watcher::Config::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(super::super::WATCH_TIMEOUT_SECS);
    let mut pods = watcher::watcher(api.clone(), cfg).boxed();
    let mut logs: Option<futures::stream::BoxStream<'static, String>> = None;
    let mut log_tried = false;
    loop {
        tokio::select! {
            line = async {
                match logs.as_mut() {
                    Some(l) => l.next().await,
                    None => std::future::pending().await,
                }
            } => {
                match line {
                    Some(l) => {
                        if let Some(step) = parse_node_line(&l) {
                            push_step(report, step, on_event);
                        } else if let Some(n) = parse_node_note(&l) {
                            push_note(notes, n, on_event);
                        }
                    }
                    None => logs = None,
                }
            }
            ev = pods.next() => {
                let Some(ev) = ev else { return };
                let pod = match ev {
                    Ok(watcher::Event::Apply(p)) | Ok(watcher::Event::InitApply(p)) => p,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::debug!(error = %e, "probe pod watch");
                        continue;
                    }
                };
                match look(&pod, report, notes, on_event) {
                    Look::Ended(note) => {
                        if let Some(n) = note {
                            on_event(PodEvent::Note(n.clone()));
                            notes.push(n);
                        }
                        return;
                    }
                    Look::Running if !log_tried => {
                        log_tried = true;
                        let lp = LogParams {
                            container: Some(CONTAINER.to_string()),
                            follow: true,
                            ..LogParams::default()
                        };
                        // Logs go through the kubelet; where that fails the
                        // termination message still carries the result.
                        match api.log_stream(name, &lp).await {
                            Ok(s) => logs = Some(s.lines().filter_map(|l| async move { l.ok() }).boxed()),
                            Err(e) => tracing::debug!(error = %e, "probe pod logs unavailable"),
                        }
                    }
                    Look::Running | Look::Waiting => {}
                }
            }
        }
    }
}

/// What one look at the probe pod says.
enum Look {
    /// Its probe ended, or its own pull failed: stop following; the note
    /// says when it ended without a result.
    Ended(Option<String>),
    /// The probe container runs: its log can be followed.
    Running,
    Waiting,
}

/// Reads the probe pod's state: the steps and notes of its termination
/// message, a failed pull of its own image (a finding: `report.blocked`).
fn look(
    pod: &Pod,
    report: &mut ProbeReport,
    notes: &mut Vec<String>,
    on_event: &mut impl FnMut(PodEvent),
) -> Look {
    let status = pod.status.as_ref();
    let cs = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|l| l.iter().find(|c| c.name == CONTAINER));
    let state = cs.and_then(|c| c.state.as_ref());
    if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
        let reason = w.reason.as_deref().unwrap_or("");
        let msg = w.message.clone().unwrap_or_default();
        if crate::domain::pod::is_pull_failure(reason, &msg) {
            let c = classify(&msg, Some(reason));
            let why = format!(
                "the probe pod's image could not be pulled on the node: {}",
                c.summary
            );
            report.blocked = Some((c.category, why));
            return Look::Ended(Some(format!(
                "the probe pod could not pull its own image ({}): {msg} — that is a finding \
                 about this node's path to that registry",
                c.category
            )));
        }
    }
    if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        for line in t.message.as_deref().unwrap_or("").lines() {
            if let Some(step) = parse_node_line(line) {
                push_step(report, step, on_event);
            } else if let Some(n) = parse_node_note(line) {
                push_note(notes, n, on_event);
            }
        }
        return Look::Ended(report.steps.is_empty().then(|| {
            let why = t.reason.as_deref().unwrap_or("");
            format!(
                "the probe container ended (exit {}, {why}) without a result",
                t.exit_code
            )
        }));
    }
    let phase = status.and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Failed") | Some("Succeeded")) {
        let why = status.and_then(|s| s.reason.clone()).unwrap_or_default();
        let phase = phase.unwrap_or("");
        return Look::Ended(
            report
                .steps
                .is_empty()
                .then(|| format!("the probe pod ended ({phase}{why}) without a result")),
        );
    }
    if state.and_then(|s| s.running.as_ref()).is_some() {
        Look::Running
    } else {
        Look::Waiting
    }
}

/// Keeps one result per step (the log and the termination message repeat).
fn push_step(report: &mut ProbeReport, step: StepResult, on_event: &mut impl FnMut(PodEvent)) {
    if report.steps.iter().any(|s| s.step == step.step) {
        return;
    }
    on_event(PodEvent::Step(step.clone()));
    report.steps.push(step);
}

/// A note of the pod's (once: the log and the termination message repeat it).
fn push_note(notes: &mut Vec<String>, note: String, on_event: &mut impl FnMut(PodEvent)) {
    if notes.contains(&note) {
        return;
    }
    on_event(PodEvent::Note(note.clone()));
    notes.push(note);
}
