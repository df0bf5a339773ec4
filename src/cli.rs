//! Command line: clap definitions, the console's start (live, replay,
//! demo) and the non-interactive subcommands (`cli/*.rs`).

mod check;
pub mod fix;
mod fleet_check;
mod report;
mod snapshot;
mod watch;

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::app::keymap::Keymap;
use crate::app::{Model, ReplayBanner};
use crate::cluster::Target;
use crate::domain::scope::Scope;

mod explain;
mod help;

mod probe;

#[derive(Debug, Parser)]
#[command(
    name = "pulltui",
    version,
    // `pulltui help TOPIC` is ours (help topics beside the commands' help).
    disable_help_subcommand = true,
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
    /// Open the console on a snapshot file (offline; nothing is sent to a cluster).
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    pub replay: Option<PathBuf>,
    /// Open the console on the bundled demo incident (no cluster needed).
    #[arg(long)]
    pub demo: bool,
    /// Open this pod's detail at start, once it is listed (with -n, in that
    /// namespace); when it is not failing, or not found, the status line
    /// says so and the table stays (the k9s plugin's pod shortcut).
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,
    /// The console changes nothing: the fix keys (a, c, i, k, A, C) are disabled.
    #[arg(long)]
    pub read_only: bool,
    /// Fixes are sent with dryRun=All: the server validates them, nothing is persisted.
    #[arg(long, conflicts_with = "read_only")]
    pub dry_run: bool,
    /// The node probe's pod (`P`).
    #[command(flatten)]
    pub probe_pod: probe::ProbePodFlags,
}

/// Which cluster and namespaces (the console and `check`).
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArgs {
    /// Kubeconfig context (default: the current context).
    #[arg(long, global = true, value_name = "NAME", conflicts_with_all = ["contexts", "all_contexts"])]
    pub context: Option<String>,
    /// Several contexts at once (a fleet: the console and `check`): `--contexts a,b,c`.
    #[arg(
        long,
        global = true,
        value_name = "NAMES",
        value_delimiter = ',',
        conflicts_with = "all_contexts"
    )]
    pub contexts: Vec<String>,
    /// Every context of the kubeconfig at once (a fleet: the console and `check`).
    #[arg(long, global = true)]
    pub all_contexts: bool,
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
            // `-n ""` is no namespace: every one (k9s's $NAMESPACE on a
            // cluster-wide view, such as nodes, is empty).
            Some(ns) if !self.all_namespaces && !ns.is_empty() => Scope::Namespace(ns.clone()),
            _ => Scope::All,
        }
    }

    /// Whether several contexts were asked for (`--contexts`, `--all-contexts`).
    pub fn fleet(&self) -> bool {
        self.all_contexts || !self.contexts.is_empty()
    }

    /// The contexts a fleet command reads: those named, or every context of
    /// the kubeconfig (in its order).
    pub fn fleet_contexts(&self) -> Vec<String> {
        if self.all_contexts {
            crate::cluster::contexts(&self.target())
        } else {
            let mut v: Vec<String> = Vec::new();
            for c in &self.contexts {
                if !c.is_empty() && !v.contains(c) {
                    v.push(c.clone());
                }
            }
            v
        }
    }

    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            non_interactive: false,
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
        /// Check a snapshot file instead of the cluster.
        #[arg(long, value_name = "FILE")]
        replay: Option<PathBuf>,
        /// Also one TLS handshake with each failing image's registry (5 s
        /// each, through the proxy the runtime would use): its
        /// certificate's end in "expires" (kind certificate), and below the
        /// table when it expired or ends within a week.
        #[arg(long, conflicts_with = "replay")]
        certificates: bool,
    },
    /// Capture the failing pods, their events, owners, ServiceAccounts and
    /// pull-secret metadata (never secret data) to a YAML file.
    Snapshot {
        /// The file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// The journal without the console: one line per change of state (a
    /// container failing, its cause changing, recovering; a cluster's
    /// connection), until SIGTERM or Ctrl-C. Writes nothing to the cluster.
    Watch {
        /// One JSON object per line (for chat bots and scripts).
        #[arg(long)]
        json: bool,
    },
    /// A Markdown postmortem: groups with first/last failure and evidence,
    /// the timeline, the fixes applied and what followed.
    Report {
        /// Only the last DURATION (90s, 30m, 2h, 7d); from a snapshot, the
        /// DURATION before its capture.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Report on a snapshot file (its journal) instead of this machine's journal.
        #[arg(long, value_name = "FILE")]
        replay: Option<PathBuf>,
        /// Write the report to FILE (private, 0600) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script: `pulltui completions bash > ...`.
    Completions { shell: clap_complete::Shell },
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
        /// Print the catalogue instead: every category id with what it
        /// means and its fixes, every facet and every fix id.
        #[arg(long, conflicts_with_all = ["message", "reason"])]
        categories: bool,
    },
    /// Apply one fix to a failing pod's workload: preview, confirm, apply, follow.
    Fix(Box<fix::FixArgs>),
    /// Probe an image's registry step by step (DNS, TCP, TLS, HTTP, /v2/, auth, manifest),
    /// from this machine and optionally from a node; exit 0 when it can be pulled, 1 when not.
    Probe(Box<probe::ProbeArgs>),
    /// Help on a topic or a command: `pulltui help categories` (why pulls
    /// fail: each category with typical evidence and fixes), `pulltui help check`.
    Help {
        /// `categories`, or a command's name; none: the overview and the topics.
        topic: Option<String>,
    },
    /// Print a man page (roff): `pulltui man > pulltui.1`, `pulltui man check`.
    Man {
        /// A command's page (`pulltui-check`); none: pulltui's own.
        command: Option<String>,
        /// Name every page this prints instead, one per line.
        #[arg(long, conflicts_with = "command")]
        list: bool,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    // Before any password is read or any secret fetched, for every command.
    // A sandbox that forbids it gets a warning, not a refusal.
    if let Err(e) = crate::process::protect_memory() {
        eprintln!("pulltui: warning: cannot turn core dumps off: {e}");
    }
    let one_cluster = matches!(cli.command, Some(Command::Fix(_) | Command::Probe(_)));
    if one_cluster && cli.cluster.fleet() {
        eprintln!(
            "pulltui: --contexts/--all-contexts work with the console, `pulltui check` and \
             `pulltui snapshot`; fix and probe act on one context (pass --context NAME)"
        );
        return ExitCode::from(2);
    }
    if cli.command.is_none() && cli.cluster.fleet() && (cli.demo || cli.replay.is_some()) {
        eprintln!("pulltui: --replay/--demo open a recording: drop --contexts/--all-contexts");
        return ExitCode::from(2);
    }
    match cli.command {
        Some(Command::Explain {
            categories: true,
            json,
            ..
        }) => explain::catalogue(json),
        Some(Command::Explain {
            message,
            reason,
            json,
            ..
        }) => explain::run(message, reason.as_deref(), json),
        Some(Command::Probe(args)) => {
            let _log = crate::logging::init();
            probe::run(&cli.cluster, cli.config.as_deref(), *args)
        }
        Some(Command::Fix(args)) => {
            let _log = crate::logging::init();
            fix::run(&cli.cluster, *args)
        }
        Some(Command::Check {
            json,
            replay,
            certificates,
        }) => {
            let _log = crate::logging::init();
            check_command(&cli.cluster, json, replay.as_deref(), certificates)
        }
        Some(Command::Snapshot { output }) => {
            let _log = crate::logging::init();
            match cli.cluster.fleet() {
                true => snapshot::run_fleet(&cli.cluster, &output),
                false => snapshot::run(&cli.cluster, &output),
            }
        }
        Some(Command::Watch { json }) => {
            let _log = crate::logging::init();
            match crate::config::load(cli.config.as_deref()) {
                Ok(config) => watch::run(&cli.cluster, &config, json),
                Err(e) => {
                    eprintln!("pulltui: invalid config file {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some(Command::Report {
            since,
            replay,
            output,
        }) => {
            let _log = crate::logging::init();
            report::run(
                &cli.cluster,
                since.as_deref(),
                replay.as_deref(),
                output.as_deref(),
            )
        }
        Some(Command::Help { topic }) => help::run(topic.as_deref()),
        Some(Command::Man { list: true, .. }) => help::list(),
        Some(Command::Man { command, .. }) => help::man(command.as_deref()),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut out = io::stdout();
            clap_complete::generate(shell, &mut cmd, "pulltui", &mut out);
            ExitCode::SUCCESS
        }
        None => {
            let _log = crate::logging::init();
            console(&cli)
        }
    }
}

/// `pulltui check`: one cluster, a replay, or every context asked for.
fn check_command(
    cluster: &ClusterArgs,
    json: bool,
    replay: Option<&std::path::Path>,
    certificates: bool,
) -> ExitCode {
    match (cluster.fleet(), replay) {
        (true, Some(_)) => {
            eprintln!("pulltui check: --replay reads one file: drop --contexts/--all-contexts");
            ExitCode::from(2)
        }
        (true, None) if certificates => {
            eprintln!(
                "pulltui check: --certificates checks one cluster: drop --contexts/--all-contexts"
            );
            ExitCode::from(2)
        }
        (true, None) => fleet_check::run_fleet(cluster, json),
        (false, replay) => check::run(cluster, json, replay, certificates),
    }
}

fn tokio_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
}

/// `NO_COLOR` set to anything non-empty (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Where the console's data comes from.
enum Source {
    Live,
    Recorded {
        /// One cluster, or a fleet's (in the file's order).
        recorded: Vec<Arc<crate::snapshot::Recorded>>,
        label: String,
    },
}

fn load_source(cli: &Cli) -> Result<Source, String> {
    if cli.demo {
        let clusters =
            crate::snapshot::demo().map_err(|e| format!("the bundled demo is broken: {e}"))?;
        return Ok(Source::Recorded {
            recorded: recorded(clusters),
            label: "demo".into(),
        });
    }
    if let Some(path) = &cli.replay {
        // A parse error can quote the file: inert.
        let clusters = crate::snapshot::load_any(path).map_err(|e| {
            let e = crate::domain::inert::inert(&e.to_string()).into_owned();
            format!("{}: {e}", path.display())
        })?;
        return Ok(Source::Recorded {
            recorded: recorded(clusters),
            label: file_label(path),
        });
    }
    Ok(Source::Live)
}

fn recorded(clusters: Vec<crate::snapshot::Snapshot>) -> Vec<Arc<crate::snapshot::Recorded>> {
    clusters
        .into_iter()
        .map(|s| Arc::new(crate::snapshot::Recorded::new(s)))
        .collect()
}

/// The REPLAY banner's file name (a received file's name can hold anything).
fn file_label(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    crate::domain::inert::inert_cut(&name, crate::domain::inert::MAX_FIELD).into_owned()
}

fn console(cli: &Cli) -> ExitCode {
    // The file is checked before the terminal: a bad file is exit 2 in scripts too.
    let source = match load_source(cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pulltui: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = cli.probe_pod.check() {
        eprintln!("pulltui: {e}");
        return ExitCode::from(2);
    }
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
    let theme = crate::ui::Theme::new(crate::cli::no_color());
    let res = match source {
        Source::Live => {
            let target = cli.cluster.target();
            let mut model = if cli.cluster.fleet() {
                let contexts = cli.cluster.fleet_contexts();
                if contexts.is_empty() {
                    eprintln!("pulltui: the kubeconfig has no context to watch");
                    return ExitCode::from(2);
                }
                fleet_model(
                    &target,
                    contexts,
                    cli.cluster.scope(),
                    config.keymap.clone(),
                )
            } else {
                live_model(&target, cli.cluster.scope(), config.keymap.clone())
            };
            apply_flags(&mut model, cli, &config);
            rt.block_on(crate::runtime::run(
                model,
                |tx| live_backend(cli, &config, target.kubeconfig.clone(), tx),
                &crate::runtime::SystemClock,
                &theme,
                crate::journal::Journals::default_place(config.journal),
            ))
        }
        Source::Recorded { recorded, label } => {
            let Some(first) = recorded.first() else {
                eprintln!("pulltui: the recording holds no cluster");
                return ExitCode::from(2);
            };
            let mut model = if recorded.len() > 1 {
                fleet_replay_model(&recorded, label, cli.cluster.scope(), config.keymap.clone())
            } else {
                replay_model(first, label, cli.cluster.scope(), config.keymap.clone())
            };
            apply_flags(&mut model, cli, &config);
            let clock = crate::runtime::FrozenClock(model.now);
            rt.block_on(crate::runtime::run(
                model,
                |tx| crate::snapshot::Replay::fleet(recorded.clone(), tx),
                &clock,
                &theme,
                None,
            ))
        }
    };
    // A worker stuck in a hung exec credential plugin (kube runs it
    // synchronously) must not keep the process alive after `q`.
    rt.shutdown_background();
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "console failed");
            eprintln!("pulltui: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// What the flags and the config file set on a console's model.
fn apply_flags(model: &mut Model, cli: &Cli, config: &crate::config::Config) {
    model.home.upstream = config.upstream.clone();
    model.actions.read_only = cli.read_only;
    model.actions.dry_run = cli.dry_run;
    model.open_pod = cli.pod.clone();
}

/// The live console's backend, as the flags and the config file set it
/// (a flag wins over the config).
fn live_backend(
    cli: &Cli,
    config: &crate::config::Config,
    kubeconfig: Option<PathBuf>,
    tx: tokio::sync::mpsc::Sender<crate::app::msg::Msg>,
) -> crate::cluster::Cluster {
    crate::cluster::Cluster::new(kubeconfig, tx)
        .with_heartbeat(crate::cluster::liveness::heartbeat_every(
            std::env::var("PULLTUI_HEARTBEAT_SECS").ok().as_deref(),
        ))
        .with_probe_placement(cli.probe_pod.placement(config))
        .with_mode(if cli.read_only {
            crate::cluster::WriteMode::ReadOnly
        } else if cli.dry_run {
            crate::cluster::WriteMode::DryRun
        } else {
            crate::cluster::WriteMode::Write
        })
}

/// The model of the live console.
pub fn live_model(target: &Target, scope: Scope, keymap: Keymap) -> Model {
    let contexts = crate::cluster::contexts(target);
    Model::new(
        target.context.clone(),
        contexts,
        scope,
        keymap,
        jiff::Timestamp::UNIX_EPOCH,
    )
}

/// The model of the live console on several contexts at once.
pub fn fleet_model(target: &Target, contexts: Vec<String>, scope: Scope, keymap: Keymap) -> Model {
    Model::fleet(
        contexts,
        crate::cluster::contexts(target),
        scope,
        keymap,
        jiff::Timestamp::UNIX_EPOCH,
    )
}

/// The model of a fleet's replay: one cluster per recorded context, the
/// banner, the clock of the latest capture.
pub fn fleet_replay_model(
    recorded: &[Arc<crate::snapshot::Recorded>],
    label: String,
    scope: Scope,
    keymap: Keymap,
) -> Model {
    let contexts: Vec<String> = recorded
        .iter()
        .map(|r| r.snapshot.context.clone().unwrap_or_default())
        .collect();
    let captured_at = recorded
        .iter()
        .map(|r| r.snapshot.captured_at)
        .max()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut m = Model::fleet(contexts.clone(), contexts, scope, keymap, captured_at);
    m.actions.replay = true;
    let warnings: Vec<String> = recorded
        .iter()
        .filter_map(|r| r.snapshot.completeness_warning())
        .collect();
    if let Some(w) = warnings.first() {
        m.notice = Some(crate::app::Notice {
            text: w.clone(),
            warning: true,
        });
    }
    m.replay = Some(ReplayBanner {
        file: label,
        context: None,
        captured_at,
    });
    m
}

/// The model of a replay: one context, the banner, the capture's clock.
pub fn replay_model(
    recorded: &crate::snapshot::Recorded,
    label: String,
    scope: Scope,
    keymap: Keymap,
) -> Model {
    let s = &recorded.snapshot;
    let scope = match scope {
        Scope::All => s.scope.clone(),
        other => other,
    };
    let mut m = Model::new(
        s.context.clone(),
        s.context.iter().cloned().collect(),
        scope,
        keymap,
        s.captured_at,
    );
    m.actions.replay = true;
    if let Some(w) = s.completeness_warning() {
        m.notice = Some(crate::app::Notice {
            text: w,
            warning: true,
        });
    }
    m.replay = Some(ReplayBanner {
        file: label,
        context: s.context.clone(),
        captured_at: s.captured_at,
    });
    m
}
