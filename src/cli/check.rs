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
use crate::domain::probe::{CertInfo, ProbePlan, cert_ends_soon};
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

/// One credential's expiry in `check --json`, or (`kind: certificate`,
/// with `--certificates`) the registry certificate's.
#[derive(Debug, Serialize)]
pub struct CheckExpiry {
    /// The pull secret (absent for a certificate).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// Its `auths` key that covers the image; for a certificate, the
    /// registry's `host:port`.
    pub key: String,
    /// `ecr-token`, `jwt`, `harbor-robot` or `certificate`.
    pub kind: ExpiryKind,
    /// Where it was read: `password`, `identitytoken` or `registrytoken`;
    /// `not-after` for a certificate.
    pub field: ExpiryField,
    /// When it stops working (RFC 3339); `null` when not in the secret.
    pub at: Option<String>,
    /// Whether it had expired when checked (a snapshot: when captured).
    pub expired: bool,
}

/// What expires: a credential of a pull secret, or the registry's certificate.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ExpiryKind {
    Credential(CredKind),
    /// `certificate`.
    Certificate(&'static str),
}

/// Where the expiry was read.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ExpiryField {
    Credential(CredField),
    /// `not-after`.
    Certificate(&'static str),
}

/// The registries' certificates (`--certificates`), by `host:port`: the
/// certificate served, or why none was.
pub type Certificates = std::collections::BTreeMap<String, Result<CertInfo, String>>;

/// The `host:port` a TLS handshake with the image's registry goes to.
fn registry_endpoint(image: &str) -> Option<(String, u16)> {
    let image = ImageRef::parse(image).ok()?;
    let plan = ProbePlan::new(image, crate::probe::this_platform());
    Some((plan.api_host().to_string(), plan.port()))
}

/// One TLS handshake per distinct registry of the rows (at most
/// `MAX_CERT_HOSTS`, at once, 5 s each), through the proxy the runtime
/// would use.
pub fn fetch_certificates(report: &Report) -> Certificates {
    const MAX_CERT_HOSTS: usize = 64;
    let hosts: std::collections::BTreeSet<(String, u16)> = report
        .rows
        .iter()
        .filter_map(|r| registry_endpoint(&r.image))
        .take(MAX_CERT_HOSTS)
        .collect();
    let Ok(rt) = tokio_runtime() else {
        return Certificates::new();
    };
    let opts = crate::probe::Options::from_env();
    let t = std::time::Duration::from_secs(5);
    rt.block_on(async {
        let asks = hosts.into_iter().map(|(h, p)| {
            let opts = &opts;
            async move {
                let c = crate::probe::certificate(&h, p, opts, t).await;
                (crate::probe::tunnel::authority(&h, p), c)
            }
        });
        futures::future::join_all(asks).await.into_iter().collect()
    })
}

impl<'a> CheckJson<'a> {
    /// Adds each pod's registry certificate's end to its `expires`.
    pub fn with_certificates(mut self, certs: &Certificates, now: Timestamp) -> Self {
        if certs.is_empty() {
            return self;
        }
        for p in &mut self.pods {
            let Some((h, port)) = registry_endpoint(p.image) else {
                continue;
            };
            let key = crate::probe::tunnel::authority(&h, port);
            let Some(Ok(c)) = certs.get(&key) else {
                continue;
            };
            let Ok(at) = c.not_after.parse::<Timestamp>() else {
                continue;
            };
            p.expires.push(CheckExpiry {
                secret: String::new(),
                key,
                kind: ExpiryKind::Certificate("certificate"),
                field: ExpiryField::Certificate("not-after"),
                at: Some(at.to_string()),
                expired: at <= now,
            });
        }
        self
    }

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
            kind: ExpiryKind::Credential(e.expiry.kind),
            field: ExpiryField::Credential(e.expiry.field),
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

pub fn run(args: &ClusterArgs, json: bool, replay: Option<&Path>, certificates: bool) -> ExitCode {
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
    let certs = if certificates {
        fetch_certificates(&report)
    } else {
        Certificates::new()
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = if json {
        let obj = CheckJson::new(&report, now).with_certificates(&certs, now);
        // Original values; DEL, C1, bidi and format characters as `\u` escapes.
        crate::domain::inert::json_to_writer(&mut out, &obj)
            .map_err(io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        write_table(&mut out, &report, now).and_then(|_| cert_lines(&mut out, &certs, now))
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

/// Below the table: each registry certificate that expired or ends within
/// a week, and each that could not be read.
fn cert_lines(out: &mut impl Write, certs: &Certificates, now: Timestamp) -> io::Result<()> {
    for (host, c) in certs {
        let line = match c {
            Ok(c) => match c.not_after.parse::<Timestamp>() {
                Ok(t) if cert_ends_soon(t, now) => c.expiry(now),
                _ => None,
            },
            Err(e) => Some(format!("no certificate read: {e}")),
        };
        if let Some(l) = line {
            writeln!(
                out,
                "{}: {}",
                inert_cut(host, MAX_FIELD),
                inert_cut(&l, 400)
            )?;
        }
    }
    Ok(())
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

    fn cert(not_after: &str) -> CertInfo {
        CertInfo {
            subject: "CN=reg".into(),
            issuer: "CN=ca".into(),
            sans: vec![],
            not_before: "2020-01-01T00:00:00Z".into(),
            not_after: not_after.into(),
        }
    }

    #[test]
    fn an_expired_or_soon_ending_certificate_is_named_below_the_table() {
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().expect("time");
        let mut certs = Certificates::new();
        certs.insert("old.example:443".into(), Ok(cert("2026-12-06T09:00:00Z")));
        certs.insert("soon.example:443".into(), Ok(cert("2026-12-08T12:00:00Z")));
        certs.insert("fine.example:443".into(), Ok(cert("2027-06-01T00:00:00Z")));
        certs.insert("down.example:443".into(), Err("connection refused".into()));
        let mut out = Vec::new();
        cert_lines(&mut out, &certs, now).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("old.example:443: the certificate expired 3 h ago"),
            "{text}"
        );
        assert!(
            text.contains("soon.example:443: the certificate expires in 2 d"),
            "{text}"
        );
        assert!(
            text.contains("down.example:443: no certificate read"),
            "{text}"
        );
        assert!(!text.contains("fine.example"), "{text}");
    }

    #[test]
    fn a_certificate_entry_joins_the_pods_expires() {
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().expect("time");
        let row = FailureRow {
            namespace: "ns".into(),
            pod: "p".into(),
            workload: None,
            container: "c".into(),
            image: "reg.example:5000/team/app:1.0".into(),
            registry: Some("reg.example:5000".into()),
            reason: "ErrImagePull".into(),
            ..FailureRow::sample()
        };
        let report = Report {
            context: None,
            server: None,
            scope: Scope::Namespace("ns".into()),
            fallback: None,
            pods_seen: 1,
            rows: vec![row],
            captured_at: None,
            pull_secrets: Default::default(),
        };
        let mut certs = Certificates::new();
        certs.insert("reg.example:5000".into(), Ok(cert("2026-12-06T09:00:00Z")));
        let j = CheckJson::new(&report, now).with_certificates(&certs, now);
        let v = serde_json::to_value(&j).expect("json");
        assert_eq!(
            v["pods"][0]["expires"],
            serde_json::json!([{"key": "reg.example:5000", "kind": "certificate",
                                "field": "not-after", "at": "2026-12-06T09:00:00Z",
                                "expired": true}])
        );
    }
}
