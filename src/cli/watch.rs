//! `pulltui watch [--context ..|--contexts ..|--all-contexts] [-n ..|-A]
//! [--json]`: the journal without the console (a tmux pane, a jump host, a
//! chat bot), one line per change of state. Writes nothing to any cluster.

use std::io::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::ClusterArgs;
use crate::domain::inert::{inert, json_to_string};
use crate::domain::journal::Record;
use crate::runtime::Change;

pub fn run(cluster: &ClusterArgs, config: &crate::config::Config, as_json: bool) -> ExitCode {
    let target = cluster.target();
    let model = if cluster.fleet() {
        let contexts = cluster.fleet_contexts();
        if contexts.is_empty() {
            eprintln!("pulltui watch: the kubeconfig has no context to watch");
            return ExitCode::from(2);
        }
        super::fleet_model(&target, contexts, cluster.scope(), config.keymap.clone())
    } else {
        super::live_model(&target, cluster.scope(), config.keymap.clone())
    };
    let Some(journal) = crate::journal::Journals::default_place(config.journal) else {
        eprintln!("pulltui watch: no data directory for the journal (set PULLTUI_DATA_DIR)");
        return ExitCode::from(2);
    };
    let rt = match super::tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui watch: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout();
    let res = rt.block_on(crate::runtime::watch(
        model,
        |tx| {
            crate::cluster::Cluster::new(target.kubeconfig.clone(), tx)
                .with_heartbeat(crate::cluster::liveness::heartbeat_every(
                    std::env::var("PULLTUI_HEARTBEAT_SECS").ok().as_deref(),
                ))
                .with_mode(crate::cluster::WriteMode::ReadOnly)
        },
        &crate::runtime::SystemClock,
        journal,
        |change| {
            let line = match as_json {
                true => json_line(&change),
                false => text_line(&change),
            };
            // A closed pipe (`| head`) ends nothing here: the journal goes on.
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
        },
    ));
    rt.shutdown_background();
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui watch: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// One change as a line of text (times to the second).
pub fn text_line(change: &Change) -> String {
    let line = match change {
        Change::Cluster {
            at,
            context,
            state,
            detail,
        } => match detail {
            Some(d) => format!("{}  {context}  {}: {d}", short(at), state.label()),
            None => format!("{}  {context}  {}", short(at), state.label()),
        },
        Change::Record { context, record } => match record.as_ref() {
            Record::Failing {
                at,
                subject,
                group,
                evidence,
                ..
            } => format!(
                "{}  {context}  failing    {}  {}  — {evidence}",
                short(at),
                subject.label(),
                group.label()
            ),
            Record::Cause {
                at,
                subject,
                from,
                to,
                evidence,
            } => format!(
                "{}  {context}  cause      {}  {} → {}  — {evidence}",
                short(at),
                subject.label(),
                from.label(),
                to.label()
            ),
            Record::Recovered { at, subject, group } => format!(
                "{}  {context}  recovered  {}  (was {})",
                short(at),
                subject.label(),
                group.label()
            ),
            Record::Watching { at, server, .. } => {
                format!("{}  {context}  journal    {server}", short(at))
            }
            Record::Counts { at, groups } => {
                format!("{}  {context}  counts     {}", short(at), groups.len())
            }
            // A node or a secret, as the change it is.
            other => {
                let what = crate::domain::history::changes(std::slice::from_ref(other))
                    .pop()
                    .map_or_else(|| "node seen".to_string(), |c| c.summary);
                format!("{}  {context}  changed    {what}", short(&other.at()))
            }
        },
    };
    inert(&line).into_owned()
}

fn short(t: &jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One change as a JSON object: the record's fields, `context`; a
/// cluster's state as `{"kind": "cluster", "state": ...}`.
pub fn json_line(change: &Change) -> String {
    let value = match change {
        Change::Cluster {
            at,
            context,
            state,
            detail,
        } => json!({
            "kind": "cluster",
            "at": at.to_string(),
            "context": context,
            "state": state.label(),
            "detail": detail,
        }),
        Change::Record { context, record } => {
            let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("context".into(), Value::String(context.clone()));
            }
            v
        }
    };
    json_to_string(&value).unwrap_or_default()
}
