//! `pulltui check`: the failing pods, live or from a snapshot, as a table or
//! `{"pods": [...]}`; exit 1 if any, 0 if none, 2 on error.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use jiff::Timestamp;
use serde::Serialize;

use super::{ClusterArgs, tokio_runtime};
use crate::domain::clock::age;
use crate::domain::cred_expiry::{CredField, CredKind};
use crate::domain::failing::{FailureRow, Workload};
use crate::domain::image::ImageRef;
use crate::domain::inert::{MAX_FIELD, inert_cut};
use crate::domain::report::{PodSecrets, Report};
use crate::domain::secrets::expiries_for;

/// `check --json`: `{"pods": [...]}`.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    pub pods: Vec<CheckPod<'a>>,
}

#[derive(Debug, Serialize)]
pub struct CheckPod<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub workload: Option<&'a Workload>,
    pub container: &'a str,
    pub image: &'a str,
    pub registry: Option<&'a str>,
    pub reason: &'a str,
    pub category: &'a str,
    pub message: &'a str,
    pub since: Option<String>,
    /// What failed to pull: `container`, `init-container`, `sidecar`,
    /// `ephemeral-container`, `image-volume` or `sandbox`.
    pub facet: &'static str,
    /// The image volume's name (`facet: image-volume`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<&'a str>,
    /// The sidecar injector that put the container there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_by: Option<&'a str>,
    /// The credentials in force for the image (the pod's pull secrets that
    /// cover its registry) whose kind or expiry could be decoded, soonest
    /// first; never the credential itself. Empty when none is known.
    pub expires: Vec<CheckExpiry>,
}

/// One credential's expiry in `check --json`.
#[derive(Debug, Serialize)]
pub struct CheckExpiry {
    /// The pull secret.
    pub secret: String,
    /// Its `auths` key that covers the image.
    pub key: String,
    /// `ecr-token`, `jwt` or `harbor-robot`.
    pub kind: CredKind,
    /// Where it was read: `password`, `identitytoken` or `registrytoken`.
    pub field: CredField,
    /// When it stops working (RFC 3339); `null` when not in the secret.
    pub at: Option<String>,
    /// Whether it had expired when checked (a snapshot: when captured).
    pub expired: bool,
}

impl<'a> CheckJson<'a> {
    pub fn new(report: &'a Report, now: Timestamp) -> Self {
        CheckJson {
            pods: report
                .rows
                .iter()
                .map(|r| CheckPod::of(r, &report.pull_secrets, now))
                .collect(),
        }
    }
}

/// The expiries of the credentials in force for a row's image.
pub fn row_expiries(r: &FailureRow, secrets: &PodSecrets, now: Timestamp) -> Vec<CheckExpiry> {
    let (Some(in_force), Ok(image)) = (
        secrets.get(&(r.namespace.clone(), r.pod.clone())),
        ImageRef::parse(&r.image),
    ) else {
        return Vec::new();
    };
    expiries_for(in_force, &image)
        .into_iter()
        .map(|e| CheckExpiry {
            expired: e.expiry.expired_at(now),
            at: e.expiry.expires.map(|t| t.to_string()),
            kind: e.expiry.kind,
            field: e.expiry.field,
            secret: e.secret,
            key: e.key,
        })
        .collect()
}

impl<'a> CheckPod<'a> {
    /// One row as `check --json` prints it, with its credentials' expiries
    /// at `now`.
    pub fn of(r: &'a FailureRow, secrets: &PodSecrets, now: Timestamp) -> Self {
        CheckPod {
            expires: row_expiries(r, secrets, now),
            namespace: &r.namespace,
            name: &r.pod,
            workload: r.workload.as_ref(),
            container: &r.container,
            image: &r.image,
            registry: r.registry.as_deref(),
            reason: &r.reason,
            category: r.category.id(),
            message: &r.message,
            since: r.since.map(|t| t.to_string()),
            facet: r.facet.id(),
            volume: r.volume.as_deref(),
            injected_by: r.injected.as_ref().map(|i| i.by.as_str()),
        }
    }
}

pub fn run(args: &ClusterArgs, json: bool, replay: Option<&Path>) -> ExitCode {
    let report = match replay {
        Some(path) => match crate::snapshot::load_any(path) {
            Ok(clusters) if clusters.len() > 1 => {
                return super::fleet_check::replay_fleet(clusters, json);
            }
            Ok(mut clusters) => {
                let Some(s) = clusters.pop() else {
                    eprintln!("pulltui check: {}: no cluster in the file", path.display());
                    return ExitCode::from(2);
                };
                if let Some(w) = s.completeness_warning() {
                    eprintln!("pulltui check: warning: {}: {w}", path.display());
                }
                crate::snapshot::Recorded::new(s).report()
            }
            Err(e) => {
                // A parse error can quote the file: inert.
                let e = crate::domain::inert::inert(&e.to_string()).into_owned();
                eprintln!("pulltui check: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => {
            let rt = match tokio_runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("pulltui check: cannot start: {e}");
                    return ExitCode::from(2);
                }
            };
            match rt.block_on(crate::cluster::check::run(&args.target(), args.scope())) {
                Ok(r) => r,
                Err(e) => {
                    // The API server's words.
                    let e = crate::domain::inert::inert(&e.to_string()).into_owned();
                    eprintln!("pulltui check: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    if let Some(m) = &report.fallback {
        let m = crate::domain::inert::inert(m);
        eprintln!(
            "pulltui check: not allowed to list pods in all namespaces ({m}); checked {} only",
            report.scope
        );
    }
    // Ages of a snapshot read as they did when it was taken.
    let now = report.captured_at.unwrap_or_else(Timestamp::now);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = if json {
        // Original values; DEL, C1, bidi and format characters as `\u` escapes.
        crate::domain::inert::json_to_writer(&mut out, &CheckJson::new(&report, now))
            .map_err(io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        write_table(&mut out, &report, now)
    };
    if let Err(e) = res.and_then(|_| out.flush())
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("pulltui check: {e}");
        return ExitCode::from(2);
    }
    if report.rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The table, with ages at `now`. Every value is made inert and cut to
/// `MAX_FIELD` characters: a snapshot file can hold anything.
pub fn write_table(out: &mut impl Write, report: &Report, now: Timestamp) -> io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    let field = |s: &str| inert_cut(s, MAX_FIELD).into_owned();
    let ctx = field(report.context.as_deref().unwrap_or("(current)"));
    let scope = field(&report.scope.to_string());
    if let Some(t) = report.captured_at {
        writeln!(out, "snapshot of context {ctx}, captured {t}")?;
    }
    if report.rows.is_empty() {
        return writeln!(
            out,
            "no pod is failing to pull its image ({} pods in {scope}, context {ctx})",
            report.pods_seen
        );
    }
    let header = [
        "NAMESPACE",
        "POD",
        "WORKLOAD",
        "CONTAINER",
        "REGISTRY",
        "REASON",
        "CAUSE",
        "AGE",
    ];
    let table: Vec<[String; 8]> = report
        .rows
        .iter()
        .map(|r| {
            [
                field(&r.namespace),
                field(&r.pod),
                field(&r.workload_label()),
                field(&r.container_label()),
                field(r.registry_label()),
                field(&r.reason),
                r.category.id().to_string(),
                age(now, r.since),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.width());
    for row in &table {
        for (w, c) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths.iter()).enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(w - c.width() + 2));
            }
        }
        s
    };
    writeln!(out, "{}", line(&header))?;
    for row in &table {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    let pods: std::collections::BTreeSet<(&str, &str)> = report
        .rows
        .iter()
        .map(|r| (r.namespace.as_str(), r.pod.as_str()))
        .collect();
    writeln!(
        out,
        "\n{} failing pods of {} in {scope} (context {ctx})",
        pods.len(),
        report.pods_seen
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inert::is_hostile;
    use crate::domain::scope::Scope;

    #[test]
    fn the_table_shows_hostile_values_inert_and_bounded() {
        let evil = "\x1b]0;PWNED\x07\u{9b}2J\u{202e}x\ny";
        let row = FailureRow {
            namespace: format!("ns{evil}"),
            pod: format!("pod{evil}"),
            workload: Some(Workload::new("Deployment", format!("web{evil}"))),
            container: format!("c{evil}"),
            image: "img".into(),
            registry: Some(format!("r{evil}")),
            reason: format!("ErrImagePull{evil}"),
            ..FailureRow::sample()
        };
        let long = FailureRow {
            pod: "p".repeat(10_000),
            ..row.clone()
        };
        let report = Report {
            context: Some(format!("ctx{evil}")),
            server: None,
            scope: Scope::Namespace(format!("ns{evil}")),
            fallback: None,
            pods_seen: 2,
            rows: vec![row, long],
            captured_at: Some(Timestamp::UNIX_EPOCH),
            pull_secrets: Default::default(),
        };
        let mut out = Vec::new();
        write_table(&mut out, &report, Timestamp::UNIX_EPOCH).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            !text.chars().any(|c| is_hostile(c) && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.contains("pod␛]0;PWNED␇\\u{9b}2J\\u{202e}x␊y"),
            "{text}"
        );
        assert!(text.contains("ctx␛]0;PWNED␇"), "{text}");
        assert!(
            text.lines().all(|l| l.chars().count() < 8 * MAX_FIELD),
            "bounded"
        );
    }
}
