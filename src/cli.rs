//! Command line: clap definitions and the non-interactive subcommands.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::app::Scope;
use crate::cluster::Target;

use crate::domain::classify::{Classification, ExplainJson, classify};
use crate::domain::image::ImageRef;

mod probe;

#[derive(Debug, Parser)]
#[command(
    name = "pulltui",
    version,
    about = "See, explain and fix Kubernetes image-pull failures",
    long_about = "pulltui shows the pods that cannot pull their images, explains why each pull \
                  fails (network, DNS, TLS, plain-HTTP registry, credentials, missing image, ...), \
                  and fixes the common causes."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Config file (default: <config dir>/pulltui/config.toml).
    #[arg(long, global = true, value_name = "PATH", env = "PULLTUI_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Which cluster and namespaces (the console and `check`).
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArgs {
    /// Kubeconfig context (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Only this namespace.
    #[arg(
        short = 'n',
        long,
        global = true,
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// All namespaces (the default; falls back to the context's namespace when forbidden).
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
}

impl ClusterArgs {
    pub fn scope(&self) -> Scope {
        match &self.namespace {
            Some(ns) if !self.all_namespaces => Scope::Namespace(ns.clone()),
            _ => Scope::All,
        }
    }

    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List pods that cannot pull their images, with causes; exit 1 if any, 0 if none, 2 on error.
    Check {
        /// `{"pods": [...]}` on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Classify pull-error messages: one as an argument, or one per line on stdin.
    Explain {
        /// The message (kubelet event or pod status). Reads stdin when absent.
        message: Option<String>,
        /// The waiting or event reason, when known (e.g. ErrImagePull).
        #[arg(long)]
        reason: Option<String>,
        /// One JSON object per message, in input order.
        #[arg(long)]
        json: bool,
    },
    /// Probe an image's registry step by step (DNS, TCP, TLS, HTTP, /v2/, auth, manifest),
    /// from this machine and optionally from a node; exit 0 when it can be pulled, 1 when not.
    Probe(probe::ProbeArgs),
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Explain {
            message,
            reason,
            json,
        }) => explain(message, reason.as_deref(), json),
        Some(Command::Probe(args)) => {
            let _log = crate::logging::init();
            probe::run(&cli.cluster, cli.config.as_deref(), args)
        }
        Some(Command::Check { json }) => {
            let _log = crate::logging::init();
            check(&cli.cluster, json)
        }
        None => {
            let _log = crate::logging::init();
            console(&cli)
        }
    }
}

fn tokio_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

fn console(cli: &Cli) -> ExitCode {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        eprintln!("pulltui: the console needs a terminal; for scripts use `pulltui check`");
        return ExitCode::from(2);
    }
    let config = match crate::config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pulltui: invalid config file {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = crate::runtime::Options {
        target: cli.cluster.target(),
        scope: cli.cluster.scope(),
        keymap: config.keymap,
        theme: crate::ui::Theme::from_env(),
    };
    match rt.block_on(crate::runtime::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "console failed");
            eprintln!("pulltui: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &ClusterArgs, json: bool) -> ExitCode {
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui check: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match rt.block_on(crate::cluster::check::run(&args.target(), args.scope())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pulltui check: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(m) = &report.fallback {
        eprintln!(
            "pulltui check: not allowed to list pods in all namespaces ({m}); checked {} only",
            report.scope
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = if json {
        serde_json::to_writer(
            &mut out,
            &crate::cluster::check::CheckJson::new(&report.rows),
        )
        .map_err(io::Error::other)
        .and_then(|_| writeln!(out))
    } else {
        write_check_table(&mut out, &report)
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

fn write_check_table(
    out: &mut impl Write,
    report: &crate::cluster::check::Report,
) -> io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    let ctx = report.context.as_deref().unwrap_or("(current)");
    if report.rows.is_empty() {
        return writeln!(
            out,
            "no pod is failing to pull its image ({} pods in {}, context {ctx})",
            report.pods_seen, report.scope
        );
    }
    let now = jiff::Timestamp::now();
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
                r.namespace.clone(),
                r.pod.clone(),
                r.workload_label(),
                r.container.clone(),
                r.registry_label().to_string(),
                r.reason.clone(),
                r.category.id().to_string(),
                crate::ui::age(now, r.since),
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
        "\n{} failing pods of {} in {} (context {ctx})",
        pods.len(),
        report.pods_seen,
        report.scope
    )
}

fn explain(message: Option<String>, reason: Option<&str>, json: bool) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let colour = !json && io::stdout().is_terminal() && crate::ui::Theme::from_env().colour;
    let result = match message {
        Some(m) => emit(&mut out, &m, reason, json, colour),
        None => {
            let stdin = io::stdin();
            let mut first = true;
            let mut res = Ok(());
            for line in stdin.lock().lines() {
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                };
                if !json && !first {
                    let _ = writeln!(out);
                }
                first = false;
                if let Err(e) = emit(&mut out, &line, reason, json, colour) {
                    res = Err(e);
                    break;
                }
            }
            res
        }
    };
    match result.and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui explain: {e}");
            ExitCode::from(2)
        }
    }
}

fn emit(
    out: &mut impl Write,
    message: &str,
    reason: Option<&str>,
    json: bool,
    colour: bool,
) -> io::Result<()> {
    let c = classify(message, reason);
    if json {
        let j = ExplainJson::from(&c);
        serde_json::to_writer(&mut *out, &j).map_err(io::Error::other)?;
        writeln!(out)
    } else {
        write_human(out, message, &c, colour)
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn cause(&self, s: &str) -> String {
        self.wrap("1;4;31", s)
    }
    fn category(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
}

fn write_human(
    out: &mut impl Write,
    message: &str,
    c: &Classification,
    colour: bool,
) -> io::Result<()> {
    let p = Paint { on: colour };
    writeln!(out, "{}  {}", p.category(c.category.id()), c.summary)?;
    if let Some(reg) = &c.registry {
        let kind = match ImageRef::parse(&format!("{reg}/x")) {
            Ok(r) if r.is_docker_hub() => " (Docker Hub)",
            _ => "",
        };
        writeln!(out, "  {} {reg}{kind}", p.dim("registry:"))?;
    }
    if let (Some(ip), Some(scope)) = (c.ip, c.ip_scope) {
        writeln!(out, "  {} {ip} ({scope})", p.dim("dialled: "))?;
    }
    match &c.cause_span {
        Some(span) => {
            // The message with the cause highlighted in place.
            let before = &message[..span.start];
            let after = &message[span.end..];
            writeln!(
                out,
                "  {} {}{}{}",
                p.dim("message: "),
                before,
                p.cause(&c.cause),
                after
            )?;
            if !colour {
                writeln!(out, "  {} {}", p.dim("cause:   "), c.cause)?;
            }
        }
        None => {
            writeln!(out, "  {} {message}", p.dim("message: "))?;
        }
    }
    writeln!(out, "  {} {}", p.dim("why:     "), c.category.explanation())?;
    writeln!(out, "  {}", p.bold("what to do:"))?;
    for f in &c.fixes {
        writeln!(
            out,
            "    - {} {}",
            f.title(),
            p.dim(&format!("[{}]", f.id()))
        )?;
    }
    Ok(())
}
