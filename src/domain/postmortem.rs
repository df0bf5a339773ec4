//! `pulltui report`, pure: a Markdown postmortem of one or more clusters'
//! journals and the fixes pulltui applied — the groups with their first
//! and last failure, peak and evidence, then the timeline (first failures,
//! changes of cause, recoveries, fixes) — readable as is in a chat or a
//! ticket. Every text from the cluster is inert already (the journal's)
//! and is put in code spans, so Markdown never interprets it.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::changes::{Change, rank};
use super::journal::{Lane, Record, lanes};

/// A fix pulltui applied (from the audit log), as a report tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixNote {
    pub at: Timestamp,
    #[serde(default)]
    pub context: String,
    #[serde(default)]
    pub server: String,
    /// The fix id (`create-pull-secret`, ...), or the audit action.
    pub fix: String,
    /// `Deployment shop/web`.
    pub object: String,
    #[serde(default)]
    pub dry_run: bool,
    /// `ok`, or the failure's kind.
    pub result: String,
}

impl FixNote {
    /// A fix of an audit line (`None`: not a fix, or not a line of ours).
    pub fn from_audit(line: &Value) -> Option<FixNote> {
        if line.get("action")?.as_str()? != "fix" {
            return None;
        }
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let at: Timestamp = line.get("time")?.as_str()?.parse().ok()?;
        let object = line.get("object")?;
        let change = line.get("change");
        let fix = change
            .and_then(|c| c.get("fix").or(c.get("kind")))
            .and_then(Value::as_str)
            .unwrap_or("fix")
            .to_string();
        let cut = |t: String| super::inert::inert_cut(&t, 200).into_owned();
        Some(FixNote {
            at,
            context: cut(s(line.get("context"))),
            server: cut(s(line.get("server"))),
            fix: cut(fix),
            object: cut(format!(
                "{} {}/{}",
                s(object.get("kind")),
                s(object.get("namespace")),
                s(object.get("name"))
            )),
            dry_run: line
                .get("dry_run")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            result: cut(s(line.get("result"))),
        })
    }
}

/// One cluster's material for a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterStory {
    pub context: String,
    pub server: String,
    pub records: Vec<Record>,
    pub fixes: Vec<FixNote>,
    /// What changed near the groups' first failures, as read from the
    /// cluster; `Err`: why it could not be read.
    pub changes: Result<Vec<Change>, String>,
}

/// Changes listed per group at most.
pub const CHANGES_MAX: usize = 3;

/// The namespaces and registry of a lane, and its first failure: what a
/// change must fit.
pub fn lane_scope(lane: &Lane, records: &[Record]) -> super::changes::Scope {
    let mut namespaces = std::collections::BTreeSet::new();
    let mut images = std::collections::BTreeSet::new();
    let mut nodes = std::collections::BTreeSet::new();
    for r in records {
        match r {
            Record::Failing {
                subject,
                group,
                image,
                node,
                ..
            } if *group == lane.group => {
                namespaces.insert(subject.namespace.clone());
                images.insert(image.clone());
                nodes.extend(node.clone());
            }
            Record::Cause { subject, to, .. } if *to == lane.group => {
                namespaces.insert(subject.namespace.clone());
            }
            _ => {}
        }
    }
    super::changes::Scope {
        first: lane.first,
        registry: lane.group.registry.clone(),
        cause: lane.group.cause.clone(),
        namespaces,
        images,
        nodes,
        evidence: lane.evidence.clone(),
    }
}

/// The window and namespaces to read changes for, over every lane of
/// `records` (`None`: nothing failed).
pub fn changes_window(
    records: &[Record],
) -> Option<(Timestamp, Timestamp, std::collections::BTreeSet<String>)> {
    let ls = lanes(records);
    let first = ls.iter().map(|l| l.first).min()?;
    let last = ls.iter().map(|l| l.first).max()?;
    let mut namespaces = std::collections::BTreeSet::new();
    for l in &ls {
        namespaces.extend(lane_scope(l, records).namespaces);
    }
    Some((
        first - jiff::SignedDuration::from_secs(super::changes::BEFORE_SECS),
        last + jiff::SignedDuration::from_secs(super::changes::AFTER_SECS),
        namespaces,
    ))
}

/// What the report covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Timestamp,
    /// Where the material came from ("the journal", "snapshot FILE").
    pub source: String,
}

/// Timeline lines kept per cluster (the rest summed up in one line).
pub const TIMELINE_MAX: usize = 200;

/// The report.
pub fn markdown(stories: &[ClusterStory], window: &Window) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Image pull report");
    let _ = writeln!(out);
    let span = match window.since {
        Some(s) => format!("from {} to {}", short(s), short(window.until)),
        None => format!("everything kept, until {}", short(window.until)),
    };
    let _ = writeln!(
        out,
        "{span} · source: {} · generated by pulltui",
        window.source
    );
    let _ = writeln!(out);
    if stories.is_empty() {
        let _ = writeln!(
            out,
            "No journal for these clusters: pulltui has not watched them (run the console or `pulltui watch`)."
        );
        return out;
    }
    // The summary: every group of every cluster.
    let _ = writeln!(out, "## Groups");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| cluster | cause | registry | first failure | last seen | peak | now | containers |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let mut any = false;
    let mut per_cluster: Vec<(&ClusterStory, Vec<Record>, Vec<Lane>)> = Vec::new();
    for s in stories {
        let records: Vec<Record> = s
            .records
            .iter()
            .filter(|r| window.since.is_none_or(|t| r.at() >= t) && r.at() <= window.until)
            .cloned()
            .collect();
        let ls = lanes(&records);
        for l in &ls {
            any = true;
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {} | {} | {} | {} |",
                code(&s.context),
                l.group.cause,
                l.group.registry,
                short(l.first),
                short(l.last),
                l.peak.max(u32::from(l.subjects > 0)),
                l.now,
                l.subjects
            );
        }
        per_cluster.push((s, records, ls));
    }
    if !any {
        let _ = writeln!(out, "| — | nothing failed in this window | | | | | | |");
    }
    let _ = writeln!(out);
    for (s, records, ls) in &per_cluster {
        cluster_section(&mut out, s, records, ls, window);
    }
    out
}

/// One cluster's section: its groups, its timeline, the fixes applied.
fn cluster_section(
    out: &mut String,
    s: &ClusterStory,
    records: &[Record],
    ls: &[Lane],
    window: &Window,
) {
    let title = match s.server.is_empty() {
        true => s.context.clone(),
        false => format!("{} ({})", s.context, s.server),
    };
    let _ = writeln!(out, "## {}", code(&title));
    let _ = writeln!(out);
    if ls.is_empty() {
        let _ = writeln!(out, "No failing container in this window.");
    }
    for l in ls {
        let _ = writeln!(
            out,
            "- **`{}` at `{}`**: {} container(s) from {} to {}, peak {}, {} now.",
            l.group.cause,
            l.group.registry,
            l.subjects,
            short(l.first),
            short(l.last),
            l.peak,
            l.now
        );
        if !l.evidence.is_empty() {
            let _ = writeln!(out, "  Evidence: {}", code(&l.evidence));
        }
        what_changed(out, l, records, &s.changes);
    }
    let fixes: Vec<&FixNote> = s
        .fixes
        .iter()
        .filter(|f| window.since.is_none_or(|t| f.at >= t) && f.at <= window.until)
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "### Timeline");
    let _ = writeln!(out);
    let lines = timeline(records, &fixes);
    if lines.is_empty() {
        let _ = writeln!(out, "Nothing recorded in this window.");
    }
    for (i, (_, line)) in lines.iter().enumerate() {
        if i == TIMELINE_MAX {
            let _ = writeln!(out, "- … {} more", lines.len() - TIMELINE_MAX);
            break;
        }
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### Fixes applied");
    let _ = writeln!(out);
    if fixes.is_empty() {
        let _ = writeln!(out, "None recorded by pulltui in this window.");
    }
    for f in &fixes {
        let _ = writeln!(out, "- {}", fix_line(f, records));
    }
    let _ = writeln!(out);
}

/// The changes that fit a lane, or that none was found, or why none was read.
fn what_changed(
    out: &mut String,
    lane: &Lane,
    records: &[Record],
    changes: &Result<Vec<Change>, String>,
) {
    // With what the journal saw of nodes and pull secrets.
    let scope = lane_scope(lane, records);
    let fits = match changes {
        Ok(c) => rank(&scope, &super::history::merged(c, records), CHANGES_MAX),
        Err(why) => {
            let fits = rank(&scope, &super::history::changes(records), CHANGES_MAX);
            if fits.is_empty() {
                let _ = writeln!(out, "  What changed: not read ({}).", code(why));
                return;
            }
            let _ = writeln!(
                out,
                "  What changed: the cluster was not read ({}); the journal kept:",
                code(why)
            );
            fits
        }
    };
    if fits.is_empty() {
        let _ = writeln!(
            out,
            "  What changed: nothing found from 30 min before its first failure to 2 min \
             after (rollouts, pull secrets, ServiceAccounts, nodes, kubelets, node images)."
        );
        return;
    }
    if changes.is_ok() {
        let _ = writeln!(out, "  What changed, best fit first:");
    }
    for f in fits {
        let when = f.change.at.map_or("time unknown".to_string(), short);
        // The API server names a writer that gave no field manager "unknown".
        let by = match f.change.by.as_deref() {
            Some(b) if b != "unknown" => format!(" by {}", code(b)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  - {when}: {}{by} — {}",
            code(&f.change.summary),
            f.why.join(", ")
        );
    }
}

/// The timeline's lines, in time order.
fn timeline(records: &[Record], fixes: &[&FixNote]) -> Vec<(Timestamp, String)> {
    let mut out: Vec<(Timestamp, String)> = Vec::new();
    for r in records {
        let line = match r {
            Record::Watching { at, .. } => format!("{} pulltui started watching", short(*at)),
            Record::Counts { .. } => continue,
            Record::Failing {
                at,
                subject,
                group,
                evidence,
                ..
            } => format!(
                "{} failing: {} — `{}` `{}` — {}",
                short(*at),
                code(&subject.label()),
                group.cause,
                group.registry,
                code(evidence)
            ),
            Record::Cause {
                at,
                subject,
                from,
                to,
                ..
            } => format!(
                "{} cause changed: {} `{}` → `{}`",
                short(*at),
                code(&subject.label()),
                from.cause,
                to.cause
            ),
            Record::Recovered { at, subject, group } => format!(
                "{} recovered: {} (was `{}`)",
                short(*at),
                code(&subject.label()),
                group.cause
            ),
            // A node or a secret: said as the change it is (nothing for a
            // node's first kubelet version).
            _ => match super::history::changes(std::slice::from_ref(r)).pop() {
                Some(c) => format!("{} changed: {}", short(r.at()), code(&c.summary)),
                None => continue,
            },
        };
        out.push((r.at(), line));
    }
    for f in fixes {
        out.push((f.at, format!("{} **fix**: {}", short(f.at), fix_text(f))));
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

fn fix_text(f: &FixNote) -> String {
    let dry = if f.dry_run { " (dry run)" } else { "" };
    let result = match f.result.as_str() {
        "ok" => String::new(),
        r => format!(" — failed: {r}"),
    };
    format!("`{}` on {}{dry}{result}", f.fix, code(&f.object))
}

/// A fix and what followed in its namespace: recoveries after it.
fn fix_line(f: &FixNote, records: &[Record]) -> String {
    let ns = f
        .object
        .split_once(' ')
        .and_then(|(_, o)| o.split_once('/'))
        .map(|(ns, _)| ns.to_string())
        .unwrap_or_default();
    let after: Vec<&Record> = records
        .iter()
        .filter(|r| r.at() >= f.at)
        .filter(|r| match r {
            Record::Recovered { subject, .. } | Record::Failing { subject, .. } => {
                subject.namespace == ns
            }
            _ => false,
        })
        .collect();
    let recovered = after
        .iter()
        .filter(|r| matches!(r, Record::Recovered { .. }))
        .count();
    let failing = after
        .iter()
        .filter(|r| matches!(r, Record::Failing { .. }))
        .count();
    let follow = match (recovered, failing) {
        (0, 0) => "no change recorded after it".to_string(),
        (r, 0) => format!("then {r} container(s) of {ns} recovered"),
        (0, f) => format!("then {f} more container(s) of {ns} failed"),
        (r, f) => format!("then {r} recovered and {f} more failed in {ns}"),
    };
    format!("{} {} — {follow}", short(f.at), fix_text(f))
}

/// `2026-12-06 15:01:02Z`.
pub fn short(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// A code span that holds `s` whatever backticks it has.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace(['\n', '|'], " "))
}

#[cfg(test)]
mod tests;
