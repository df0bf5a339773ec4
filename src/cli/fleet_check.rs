//! `pulltui check --contexts a,b,c | --all-contexts`: every context read at
//! once, each on its own task and bounded in time, so a cluster that is
//! down, slow or refuses never holds the others back. The same rows as
//! `check`, each with its `context`; exit 1 if any cluster has failing pods,
//! 2 if a cluster could not be read (stderr says which), 0 otherwise.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::check::{CheckPod, write_table};
use super::{ClusterArgs, tokio_runtime};
use crate::domain::inert::inert;
use crate::domain::report::Report;
use crate::domain::scope::Scope;

/// How long one cluster may take, connection included (an exec credential
/// plugin waiting for a login, a server that accepts and never answers).
const PER_CLUSTER: Duration = Duration::from_secs(120);

/// One context's outcome.
pub struct ClusterOutcome {
    pub context: String,
    pub result: Result<Report, String>,
}

/// `check --json` of a fleet: the pods with their `context`, and how each
/// cluster was read.
#[derive(Debug, Serialize)]
struct FleetJson<'a> {
    pods: Vec<FleetPod<'a>>,
    clusters: Vec<ClusterJson<'a>>,
}

#[derive(Debug, Serialize)]
struct FleetPod<'a> {
    context: &'a str,
    #[serde(flatten)]
    pod: CheckPod<'a>,
}

#[derive(Debug, Serialize)]
struct ClusterJson<'a> {
    context: &'a str,
    server: Option<&'a str>,
    /// `ok` or `error`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// The namespace read instead of all (listing all was forbidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    pods_seen: usize,
    failing_pods: usize,
}

/// Reads every context concurrently.
pub async fn read_all(args: &ClusterArgs, contexts: &[String]) -> Vec<ClusterOutcome> {
    let scope = args.scope();
    let reads = contexts.iter().map(|ctx| {
        let mut target = args.target();
        target.context = Some(ctx.clone());
        let scope = scope.clone();
        let ctx = ctx.clone();
        async move {
            let run = tokio::spawn(async move { crate::cluster::check::run(&target, scope).await });
            let result = match tokio::time::timeout(PER_CLUSTER, run).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => Err(format!("the read stopped: {e}")),
                Err(_) => Err(format!("no answer within {} s", PER_CLUSTER.as_secs())),
            };
            ClusterOutcome {
                context: ctx,
                result,
            }
        }
    });
    futures::future::join_all(reads).await
}

pub fn run_fleet(args: &ClusterArgs, json: bool) -> ExitCode {
    let contexts = args.fleet_contexts();
    if contexts.is_empty() {
        eprintln!("pulltui check: no context to read (the kubeconfig has none, or none was named)");
        return ExitCode::from(2);
    }
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui check: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let outcomes = rt.block_on(read_all(args, &contexts));
    print_fleet(&outcomes, json, Timestamp::now())
}

/// `check --replay` of a fleet snapshot: each cluster's rows as recorded.
pub fn replay_fleet(clusters: Vec<crate::snapshot::Snapshot>, json: bool) -> ExitCode {
    let now = clusters
        .iter()
        .map(|s| s.captured_at)
        .max()
        .unwrap_or_else(Timestamp::now);
    let outcomes: Vec<ClusterOutcome> = clusters
        .into_iter()
        .map(|s| ClusterOutcome {
            context: s.context.clone().unwrap_or_default(),
            result: Ok(crate::snapshot::Recorded::new(s).report()),
        })
        .collect();
    print_fleet(&outcomes, json, now)
}

/// Prints a fleet's rows (a table or JSON) and says which clusters could
/// not be read; the exit code of `check`.
fn print_fleet(outcomes: &[ClusterOutcome], json: bool, now: Timestamp) -> ExitCode {
    // Say which clusters could not be read, and which fell back to a namespace.
    for o in outcomes {
        match &o.result {
            Err(e) => eprintln!("pulltui check: context {}: {}", inert(&o.context), inert(e)),
            Ok(r) => {
                if let Some(m) = &r.fallback {
                    eprintln!(
                        "pulltui check: context {}: not allowed to list pods in all namespaces ({}); checked {} only",
                        inert(&o.context),
                        inert(m),
                        r.scope
                    );
                }
            }
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = if json {
        crate::domain::inert::json_to_writer(&mut out, &fleet_json(outcomes, now))
            .map_err(io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        write_fleet_table(&mut out, outcomes, now)
    };
    if let Err(e) = res.and_then(|_| out.flush())
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("pulltui check: {e}");
        return ExitCode::from(2);
    }
    exit_code(outcomes)
}

/// 2 when a cluster could not be read, else 1 when any has failing pods.
pub fn exit_code(outcomes: &[ClusterOutcome]) -> ExitCode {
    if outcomes.iter().any(|o| o.result.is_err()) {
        ExitCode::from(2)
    } else if outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|r| !r.rows.is_empty()))
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn fleet_json(outcomes: &[ClusterOutcome], now: Timestamp) -> FleetJson<'_> {
    let mut pods = Vec::new();
    let mut clusters = Vec::new();
    for o in outcomes {
        match &o.result {
            Ok(r) => {
                pods.extend(r.rows.iter().map(|row| FleetPod {
                    context: &o.context,
                    pod: CheckPod::of(row, &r.pull_secrets, now),
                }));
                let failing: std::collections::BTreeSet<(&str, &str)> = r
                    .rows
                    .iter()
                    .map(|x| (x.namespace.as_str(), x.pod.as_str()))
                    .collect();
                clusters.push(ClusterJson {
                    context: &o.context,
                    server: r.server.as_deref(),
                    status: "ok",
                    error: None,
                    namespace: match (&r.fallback, &r.scope) {
                        (Some(_), Scope::Namespace(ns)) => Some(ns),
                        _ => None,
                    },
                    pods_seen: r.pods_seen,
                    failing_pods: failing.len(),
                });
            }
            Err(e) => clusters.push(ClusterJson {
                context: &o.context,
                server: None,
                status: "error",
                error: Some(e),
                namespace: None,
                pods_seen: 0,
                failing_pods: 0,
            }),
        }
    }
    FleetJson { pods, clusters }
}

/// One table per cluster under its context's name, then one line each.
fn write_fleet_table(
    out: &mut impl Write,
    outcomes: &[ClusterOutcome],
    now: Timestamp,
) -> io::Result<()> {
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "== context {}", inert(&o.context))?;
        match &o.result {
            Ok(r) => write_table(out, r, now)?,
            Err(e) => writeln!(out, "could not be read: {}", inert(e))?,
        }
    }
    let read = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let failing = outcomes
        .iter()
        .filter(|o| o.result.as_ref().is_ok_and(|r| !r.rows.is_empty()))
        .count();
    writeln!(
        out,
        "\n{} contexts: {read} read, {} could not be read, {failing} with failing pods",
        outcomes.len(),
        outcomes.len() - read
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: usize) -> Report {
        use crate::domain::failing::FailureRow;
        let row = |i: usize| FailureRow {
            cluster: crate::domain::cluster_id::ClusterId::new("a", "https://a"),
            pod: format!("web-{i}"),
            workload: None,
            container: "app".into(),
            image: "img".into(),
            registry: None,
            reason: "ErrImagePull".into(),
            ..FailureRow::sample()
        };
        Report {
            context: Some("a".into()),
            server: Some("https://a".into()),
            scope: Scope::All,
            fallback: None,
            pods_seen: 10,
            rows: (0..rows).map(row).collect(),
            captured_at: None,
            pull_secrets: Default::default(),
        }
    }

    fn outcome(ctx: &str, result: Result<Report, String>) -> ClusterOutcome {
        ClusterOutcome {
            context: ctx.into(),
            result,
        }
    }

    #[test]
    fn a_cluster_that_could_not_be_read_is_exit_2_and_named() {
        let all = vec![
            outcome("a", Ok(report(1))),
            outcome("b", Err("connection refused".into())),
        ];
        assert_eq!(exit_code(&all), ExitCode::from(2));
        let v = serde_json::to_value(fleet_json(&all, Timestamp::now())).expect("json");
        assert_eq!(v["pods"][0]["context"], "a");
        assert_eq!(v["pods"][0]["name"], "web-0");
        assert_eq!(v["clusters"][1]["context"], "b");
        assert_eq!(v["clusters"][1]["status"], "error");
        assert_eq!(v["clusters"][1]["error"], "connection refused");
        assert_eq!(v["clusters"][0]["failing_pods"], 1);
        assert_eq!(exit_code(&all[..1]), ExitCode::from(1));
        assert_eq!(exit_code(&[outcome("a", Ok(report(0)))]), ExitCode::SUCCESS);
    }
}
