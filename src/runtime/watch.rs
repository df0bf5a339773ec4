//! `pulltui watch`: the console's model and backend without a terminal —
//! the journal written as the console writes it, and one line per change
//! of state (a container failing, its cause changing, recovering; a
//! cluster going live, reconnecting, unreachable). Ends on SIGTERM, SIGINT
//! or SIGHUP, with the journal written.

use std::collections::HashMap;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::{CHANNEL, Clock, forward_signals, journal_look};
use crate::app::cluster::ClusterState;
use crate::app::{Backend, Msg, update};
use crate::domain::journal::Record;

/// A change of state, as `watch` prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A cluster's state (live, reconnecting, ...), with why when not live.
    Cluster {
        at: Timestamp,
        context: String,
        state: ClusterState,
        detail: Option<String>,
    },
    /// A journal record (counts are not printed).
    Record {
        context: String,
        record: Box<Record>,
    },
}

/// Runs until a signal (or the backend's channel closes); `out` gets each
/// change as it happens.
pub async fn watch<B, F>(
    mut model: crate::app::Model,
    make_backend: F,
    clock: &dyn Clock,
    mut journal: crate::journal::Journals,
    mut out: impl FnMut(Change),
) -> anyhow::Result<()>
where
    B: Backend,
    F: FnOnce(mpsc::Sender<Msg>) -> B,
{
    let (tx, mut rx) = mpsc::channel::<Msg>(CHANNEL);
    let signals = forward_signals(tx.clone())?;
    let mut backend = make_backend(tx);
    model.now = clock.now();
    let first = model.start();
    backend.dispatch_all(first);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut states: HashMap<usize, ClusterState> = HashMap::new();
    loop {
        let effects = tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => update(&mut model, m),
                None => break,
            },
            _ = tick.tick() => {
                let now = clock.now();
                let fx = update(&mut model, Msg::Tick(now));
                for (ix, c) in model.clusters.iter().enumerate() {
                    let state = c.state();
                    if states.insert(ix, state) != Some(state) {
                        let detail = match &c.conn {
                            crate::app::ConnState::Reconnecting(why)
                            | crate::app::ConnState::Failed(why) => Some(why.clone()),
                            _ => c.fallback.as_ref().map(|ns| format!("namespace {ns} only")),
                        };
                        out(Change::Cluster {
                            at: now,
                            context: c.name().to_string(),
                            state,
                            detail,
                        });
                    }
                }
                for (ix, records) in journal_look(&mut model, &mut journal, now) {
                    let context = model.clusters.get(ix).map(|c| c.name().to_string()).unwrap_or_default();
                    for record in records {
                        if record.is_change_of_state() {
                            out(Change::Record { context: context.clone(), record: Box::new(record) });
                        }
                    }
                }
                fx
            }
        };
        backend.dispatch_all(effects);
        if model.quit {
            break;
        }
    }
    signals.abort();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), backend.finish()).await;
    Ok(())
}
