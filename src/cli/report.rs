//! `pulltui report [--since 2h] [--replay FILE] [-o FILE]`: the Markdown
//! postmortem (`domain::postmortem`) of the journals pulltui kept (the
//! current context's; `--context`, `--contexts`, `--all-contexts` choose)
//! or of a snapshot's, with the fixes of the audit log.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use jiff::Timestamp;

use super::ClusterArgs;
use crate::domain::journal::Record;
use crate::domain::postmortem::{ClusterStory, Window, markdown};

pub fn run(
    cluster: &ClusterArgs,
    since: Option<&str>,
    replay: Option<&Path>,
    output: Option<&Path>,
) -> ExitCode {
    let now = Timestamp::now();
    let back = match since.map(parse_since) {
        None => None,
        Some(Ok(secs)) => Some(jiff::SignedDuration::from_secs(secs)),
        Some(Err(e)) => {
            eprintln!("pulltui report: --since {e}");
            return ExitCode::from(2);
        }
    };
    let namespace = match cluster.scope() {
        crate::domain::scope::Scope::Namespace(ns) => Some(ns),
        crate::domain::scope::Scope::All => None,
    };
    let (mut stories, until, source) = match replay {
        Some(path) => match crate::snapshot::load_any(path) {
            Ok(snaps) => {
                let until = snaps.iter().map(|s| s.captured_at).max().unwrap_or(now);
                let stories = snaps
                    .into_iter()
                    .map(|s| ClusterStory {
                        context: s.context.clone().unwrap_or_default(),
                        server: s.server.clone().unwrap_or_default(),
                        records: s.journal,
                        fixes: s.fixes,
                        changes: Ok(s.changes),
                    })
                    .collect();
                let name = super::file_label(path);
                (stories, until, format!("snapshot `{name}`"))
            }
            Err(e) => {
                let e = crate::domain::inert::inert(&e.to_string()).into_owned();
                eprintln!("pulltui report: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => match live_stories(cluster, namespace.as_deref()) {
            Ok(s) => (s, now, "pulltui's journal".to_string()),
            Err(e) => {
                eprintln!("pulltui report: {e}");
                return ExitCode::from(2);
            }
        },
    };
    // `-n`: that namespace's containers only (and their groups).
    if let Some(ns) = &namespace {
        for s in &mut stories {
            s.records = crate::journal::in_namespace(std::mem::take(&mut s.records), ns);
            s.fixes.retain(|f| crate::journal::fix_in(f, ns));
        }
    }
    // The window ends now, or at a snapshot's capture.
    let since = back.map(|d| until - d);
    let text = markdown(
        &stories,
        &Window {
            since,
            until,
            source,
        },
    );
    match output {
        None => {
            let mut out = std::io::stdout();
            let _ = out.write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Some(path) => match write_private(path, &text) {
            Ok(()) => {
                eprintln!("pulltui report: wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("pulltui report: {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
    }
}

/// The journals of the contexts asked for (all of them with
/// `--all-contexts`; else those named, or the current context), with the
/// audit log's fixes of each.
fn live_stories(
    cluster: &ClusterArgs,
    namespace: Option<&str>,
) -> Result<Vec<ClusterStory>, String> {
    let dir = crate::journal::dir().ok_or("no data directory (set PULLTUI_DATA_DIR)")?;
    let all = crate::journal::read_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let wanted: Option<Vec<String>> = if cluster.all_contexts {
        None
    } else if !cluster.contexts.is_empty() {
        Some(cluster.fleet_contexts())
    } else if let Some(c) = &cluster.context {
        Some(vec![c.clone()])
    } else {
        current_context(cluster).map(|c| vec![c])
    };
    let fixes = crate::audit::fixes();
    let mut out = Vec::new();
    for (_, records) in all {
        let Some((context, server)) = records.iter().rev().find_map(|r| match r {
            Record::Watching {
                context, server, ..
            } => Some((context.clone(), server.clone())),
            _ => None,
        }) else {
            continue;
        };
        if wanted.as_ref().is_some_and(|w| !w.contains(&context)) {
            continue;
        }
        let id = crate::domain::cluster_id::ClusterId::new(&context, &server);
        let fixes = fixes
            .iter()
            .filter(|f| crate::journal::same_cluster(f, &id))
            .cloned()
            .collect();
        let records = match namespace {
            Some(ns) => crate::journal::in_namespace(records, ns),
            None => records,
        };
        let changes = read_changes(cluster, &context, &records);
        out.push(ClusterStory {
            context,
            server,
            records,
            fixes,
            changes,
        });
    }
    Ok(out)
}

/// What changed near the first failures of `records`, read from the
/// context's cluster now.
fn read_changes(
    cluster: &ClusterArgs,
    context: &str,
    records: &[Record],
) -> Result<Vec<crate::domain::changes::Change>, String> {
    let Some((from, to, namespaces)) = crate::domain::postmortem::changes_window(records) else {
        return Ok(Vec::new());
    };
    let target = crate::cluster::Target {
        kubeconfig: cluster.kubeconfig.clone(),
        context: Some(context.to_string()),
        non_interactive: true,
    };
    let rt = super::tokio_runtime().map_err(|e| e.to_string())?;
    let read = rt.block_on(async {
        let conn = crate::cluster::connect(&target)
            .await
            .map_err(|e| e.to_string())?;
        let changes = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            crate::cluster::changes::read(&conn.client, &namespaces, from, to),
        )
        .await
        .map_err(|_| "no answer within 60 s".to_string())?;
        Ok::<_, String>(changes)
    });
    rt.shutdown_background();
    read
}

fn current_context(cluster: &ClusterArgs) -> Option<String> {
    let kc = match &cluster.kubeconfig {
        Some(p) => kube::config::Kubeconfig::read_from(p).ok()?,
        None => kube::config::Kubeconfig::read().ok()?,
    };
    kc.current_context
}

/// `90s`, `30m`, `2h`, `7d` (a number and a unit) in seconds.
pub fn parse_since(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("{s:?}: give a number and a unit, e.g. 90s, 30m, 2h, 7d"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: the unit is s, m, h or d (e.g. 2h)")),
    };
    n.checked_mul(unit)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("{s:?}: out of range"))
}

/// Writes `text` to `path`, private (0600), through a temporary file
/// renamed over it.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("pulltui-tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = crate::files::create_new(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_number_and_a_unit() {
        assert_eq!(parse_since("2h"), Ok(7200));
        assert_eq!(parse_since("90s"), Ok(90));
        assert_eq!(parse_since("7d"), Ok(604_800));
        assert!(parse_since("2").is_err());
        assert!(parse_since("h").is_err());
        assert!(parse_since("0m").is_err());
        assert!(parse_since("99999999999999999d").is_err());
    }
}
