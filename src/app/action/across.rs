//! A group fix widened to every cluster of its group (a fleet). The user
//! widens it on the form's "clusters" row; the fix is then prepared in
//! each cluster as a part of its own (its own id at the backend, so each
//! writes only to its cluster, through that cluster's session), the
//! previews are shown as one, and one `y` applies every part. A part that
//! cannot be prepared is listed as skipped; a refusal of the form's values
//! brings the form back for all.

use super::*;

/// One cluster's share of a widened fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its id at the backend (the fix's plan and follow-up).
    pub id: ActionId,
    pub cluster: ClusterId,
    pub state: PartState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PartState {
    Preparing,
    Ready {
        preview: Box<Preview>,
        live: bool,
    },
    /// Could not be prepared (a sentence): not applied.
    Skipped(String),
    Applying,
    Applied {
        writes: Vec<String>,
    },
    Failed(String),
}

impl Action {
    /// The ids the backend knows this action by.
    pub fn part_ids(&self) -> Vec<ActionId> {
        match self.parts.is_empty() {
            true => vec![self.id],
            false => self.parts.iter().map(|p| p.id).collect(),
        }
    }

    /// `y`: the ids to apply (the prepared parts, now applying).
    pub(super) fn start_parts(&mut self) -> Vec<ActionId> {
        if self.parts.is_empty() {
            return vec![self.id];
        }
        let mut out = Vec::new();
        for p in &mut self.parts {
            if matches!(p.state, PartState::Ready { .. }) {
                p.state = PartState::Applying;
                out.push(p.id);
            }
        }
        out
    }
}

/// Cancels every id (their plans are dropped at the backend).
pub(super) fn cancel_all(ids: &[ActionId]) -> Vec<Effect> {
    ids.iter()
        .map(|&action| MutateEffect::Cancel { action }.into())
        .collect()
}

/// Splits a valid request by cluster and asks each cluster's session for
/// its preview (the selected pod's cluster first).
pub(super) fn prepare_parts(
    actions: &mut Actions,
    request: FixRequest,
    session: SessionKey,
    routes: &[(ClusterId, SessionKey)],
    now: Timestamp,
) -> Vec<Effect> {
    let Some(action) = &mut actions.current else {
        return Vec::new();
    };
    let mut by_cluster: Vec<(ClusterId, Vec<PodKey>)> = Vec::new();
    for p in action.subject.pods.iter().chain(&action.subject.others) {
        match by_cluster.iter_mut().find(|(c, _)| *c == p.cluster) {
            Some((_, pods)) => pods.push(p.clone()),
            None => by_cluster.push((p.cluster.clone(), vec![p.clone()])),
        }
    }
    let mut fx = Vec::new();
    action.parts.clear();
    for (i, (cluster, pods)) in by_cluster.into_iter().enumerate() {
        let part_session = match routes.iter().find(|(c, _)| *c == cluster) {
            Some((_, s)) => s.clone(),
            None if i == 0 => session.clone(),
            // A cluster whose session is unknown: never sent elsewhere.
            None => {
                actions.seq.0 += 1;
                action.parts.push(Part {
                    id: actions.seq,
                    cluster,
                    state: PartState::Skipped("not connected".into()),
                });
                continue;
            }
        };
        actions.seq.0 += 1;
        let id = actions.seq;
        let mut part = request.clone();
        part.pods = pods;
        fx.push(prepare(part_session, id, part, now));
        action.parts.push(Part {
            id,
            cluster,
            state: PartState::Preparing,
        });
    }
    fx
}

/// An answer for a part of the open action: handled here (`Ok`), or given
/// back (`Err`) when `id` is no part of it (or is only being followed).
pub(super) fn part_msg(
    actions: &mut Actions,
    id: ActionId,
    msg: ActionMsg,
    now: Timestamp,
) -> Result<Vec<Effect>, ActionMsg> {
    let Some(action) = actions.current.as_mut() else {
        return Err(msg);
    };
    let Some(ix) = action.parts.iter().position(|p| p.id == id) else {
        return Err(msg);
    };
    let context = action.parts[ix].cluster.context().to_string();
    let preparing = action.parts[ix].state == PartState::Preparing;
    let applying = action.parts[ix].state == PartState::Applying;
    match msg {
        ActionMsg::Prepared { preview, live } if preparing => {
            action.parts[ix].state = PartState::Ready { preview, live };
        }
        ActionMsg::Refused { message, input } if preparing && input => {
            // The values are wrong for one cluster: back to the form, and
            // the other parts' plans are dropped.
            let others: Vec<ActionId> = action
                .parts
                .iter()
                .map(|p| p.id)
                .filter(|p| *p != id)
                .collect();
            action.parts.clear();
            if let Some(mut f) = action.form.take() {
                f.error = Some(format!("{context}: {message}"));
                action.stage = Stage::Form(f);
            }
            return Ok(cancel_all(&others));
        }
        ActionMsg::Refused { message, .. } | ActionMsg::Failed { message } if preparing => {
            action.parts[ix].state = PartState::Skipped(message);
        }
        ActionMsg::Applied { writes, notes, .. } if applying => {
            action.parts[ix].state = PartState::Applied { writes };
            for n in notes {
                actions.toast(now, Level::Info, format!("{context}: {n}"));
            }
        }
        ActionMsg::Refused { message, .. } | ActionMsg::Failed { message } if applying => {
            action.parts[ix].state = PartState::Failed(message);
        }
        other => return Err(other),
    }
    settle(actions, now);
    Ok(Vec::new())
}

/// When no part is waiting any more: the preview of all of them, or the
/// outcome of all of them.
fn settle(actions: &mut Actions, now: Timestamp) {
    let Some(action) = actions.current.as_mut() else {
        return;
    };
    let waiting = |s: &PartState| matches!(s, PartState::Preparing | PartState::Applying);
    if action.parts.iter().any(|p| waiting(&p.state)) {
        return;
    }
    match action.stage {
        Stage::Preparing => confirm_all(actions, now),
        Stage::Applying => applied_all(actions, now),
        _ => {}
    }
}

/// Every part is prepared or skipped: one preview of all, or (none
/// prepared) closed with why.
fn confirm_all(actions: &mut Actions, now: Timestamp) {
    let Some(action) = actions.current.as_mut() else {
        return;
    };
    let mut previews = Vec::new();
    let mut skipped = Vec::new();
    let mut live = true;
    for p in &action.parts {
        match &p.state {
            PartState::Ready { preview, live: l } => {
                previews.push(Preview::clone(preview));
                live &= l;
            }
            PartState::Skipped(why) => skipped.push(format!("{}: {why}", p.cluster.context())),
            _ => {}
        }
    }
    if previews.is_empty() {
        actions.current = None;
        actions.toast(
            now,
            Level::Error,
            format!("not changed in any cluster: {}", skipped.join("; ")),
        );
        return;
    }
    let n = previews.len();
    let mut preview = Preview::combine(previews, &skipped);
    preview.title = format!(
        "{n} clusters ({}), applied in this order:",
        action
            .parts
            .iter()
            .filter(|p| matches!(p.state, PartState::Ready { .. }))
            .map(|p| p.cluster.context())
            .collect::<Vec<_>>()
            .join(", ")
    );
    action.stage = Stage::Confirm {
        preview: Box::new(preview),
        live,
        scroll: 0,
    };
}

/// Every applied part has answered: closed, one toast per outcome, the
/// applied parts followed.
fn applied_all(actions: &mut Actions, now: Timestamp) {
    let Some(action) = actions.current.take() else {
        return;
    };
    let dry_run = actions.dry_run;
    for p in action.parts {
        let context = p.cluster.context().to_string();
        match p.state {
            PartState::Applied { writes } => {
                let what = match writes.is_empty() {
                    true => "nothing to write".to_string(),
                    false => writes.join("; "),
                };
                if dry_run {
                    actions.toast(
                        now,
                        Level::Info,
                        format!("{context}: dry run, accepted by the server: {what}"),
                    );
                } else {
                    actions.toast(now, Level::Ok, format!("{context}: applied: {what}"));
                    actions.following.push(Following {
                        id: p.id,
                        line: format!("{context}: following the workload…"),
                    });
                }
            }
            PartState::Failed(why) => {
                actions.toast(now, Level::Error, format!("{context}: not changed: {why}"));
            }
            _ => {}
        }
    }
}
