//! `pulltui probe IMAGE`: the registry probe for scripts and people. One
//! line per step as it completes (or one JSON object with `--json`), the
//! verdict, and with `--from-node` the node's probe next to this machine's.
//! Exit 0 when the image can be pulled, 1 when not, 2 on usage errors.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::Api;

use crate::cli::ClusterArgs;
use crate::cluster::probe_pod::{self, PodEvent, ProbePodRequest};
use crate::domain::image::ImageRef;
use crate::domain::inert::inert;
use crate::domain::probe::{
    Credential, NodeJson, Platform, ProbeJson, ProbePlan, ProbeReport, compare_sides,
    credentials_from_secret,
};
use crate::domain::redact::Redacted;

/// The node probe's pod: the console's `P` and `probe --from-node`.
#[derive(Debug, Clone, Default, Args)]
pub struct ProbePodFlags {
    /// The in-cluster probe's image (needs sh and curl; default: the config
    /// file's probe_image, else curlimages/curl).
    #[arg(long, value_name = "IMAGE")]
    pub probe_image: Option<String>,
    /// The namespace node probe pods run in (default: the config file's
    /// probe_namespace, else pulltui-probe, created when missing). Never the
    /// failing pod's own: the probe pod has the node's network.
    #[arg(long, value_name = "NAMESPACE")]
    pub probe_namespace: Option<String>,
    /// A pull secret for the probe image, in the probe namespace (a mirror
    /// that needs credentials).
    #[arg(long, value_name = "SECRET")]
    pub probe_pull_secret: Option<String>,
}

impl ProbePodFlags {
    /// A flag the API server would refuse, as a usage error before any
    /// request (the config file's keys are checked by the same rules when
    /// the file is read): `--probe-image` an image reference,
    /// `--probe-namespace` a DNS-1123 label, `--probe-pull-secret` a
    /// DNS-1123 subdomain.
    pub fn check(&self) -> Result<(), String> {
        use crate::domain::mutation::{validate_dns1123_label, validate_dns1123_subdomain};
        if let Some(img) = &self.probe_image {
            ImageRef::parse(img).map_err(|e| format!("--probe-image {img:?}: {e}"))?;
        }
        if let Some(ns) = &self.probe_namespace {
            validate_dns1123_label(ns).map_err(|e| format!("--probe-namespace {ns:?}: {e}"))?;
        }
        if let Some(s) = &self.probe_pull_secret {
            validate_dns1123_subdomain(s).map_err(|e| format!("--probe-pull-secret {s:?}: {e}"))?;
        }
        Ok(())
    }

    /// Each flag, else the config file's key, else the default.
    pub fn placement(&self, config: &crate::config::Config) -> probe_pod::Placement {
        let default = probe_pod::Placement::default();
        probe_pod::Placement {
            image: (self.probe_image.clone())
                .or(config.probe_image.clone())
                .unwrap_or(default.image),
            namespace: (self.probe_namespace.clone())
                .or(config.probe_namespace.clone())
                .unwrap_or(default.namespace),
            pull_secret: (self.probe_pull_secret.clone()).or(config.probe_pull_secret.clone()),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// The image whose registry to probe (as in the pod spec).
    pub image: String,
    /// A pull secret to authenticate with, NAMESPACE/NAME (repeatable; the
    /// first entry covering the registry is tried, the others with
    /// --try-all-credentials).
    #[arg(long, value_name = "NS/NAME")]
    pub secret: Vec<String>,
    /// Try every covering credential in order until one is accepted
    /// (default: the first only, since each rejected one is a failed login
    /// on the registry's account).
    #[arg(long)]
    pub try_all_credentials: bool,
    /// Also probe from this node, with a short-lived pod (a cluster write).
    #[arg(long, value_name = "NODE")]
    pub from_node: Option<String>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Ask this DNS server (IP[:PORT]) instead of the system resolver.
    #[arg(long, value_name = "IP[:PORT]")]
    pub nameserver: Option<String>,
    /// A username for scripting (the password is read from stdin).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the password for --username from stdin (first line).
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Trust the CA certificates in this PEM file too (like a corporate CA).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The node's platform, for an index (default: the node's with
    /// --from-node, else linux/<this machine's architecture>).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Timeout of each step, seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Send credentials even when the registry speaks plain HTTP.
    #[arg(long)]
    pub allow_plain_http_credentials: bool,
    #[command(flatten)]
    pub probe_pod: ProbePodFlags,
    /// Create the probe pod without asking (the preview is still printed).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse cluster writes (the probe pod).
    #[arg(long)]
    pub read_only: bool,
    /// Connect directly even where HTTPS_PROXY / HTTP_PROXY apply (by
    /// default the probe goes through the proxy as the runtime does,
    /// NO_PROXY honoured).
    #[arg(long)]
    pub no_proxy: bool,
}

/// A message on stderr. Messages quote the API server, secrets' names and
/// keys: inert, like every line this command prints.
fn say(msg: impl std::fmt::Display) {
    eprintln!("pulltui probe: {}", inert(&msg.to_string()));
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    say(msg);
    ExitCode::from(2)
}

/// `IP` or `IP:PORT` (port 53 by default), `[v6]:port` too.
pub fn parse_nameserver(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let ip = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map_err(|_| format!("--nameserver {s:?}: not IP[:PORT]"))?;
    Ok(SocketAddr::new(ip, 53))
}

use crate::probe::this_platform;

/// What the command line asks for, checked before anything runs.
struct Parsed {
    image: ImageRef,
    nameserver: Option<SocketAddr>,
    platform: Option<Platform>,
    opts: crate::probe::Options,
    file_config: crate::config::Config,
    creds: Vec<Credential>,
}

pub fn run(cluster: &ClusterArgs, config: Option<&std::path::Path>, args: ProbeArgs) -> ExitCode {
    let parsed = match parse(config, &args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let rt = match super::tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui probe: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(probe(cluster, args, parsed))
}

/// The arguments checked, the options and credentials read (a password
/// from stdin).
fn parse(config: Option<&std::path::Path>, args: &ProbeArgs) -> Result<Parsed, ExitCode> {
    let image = ImageRef::parse(&args.image)
        .map_err(|e| usage(format!("invalid image {:?}: {e}", args.image)))?;
    if !(args.timeout > 0.0 && args.timeout <= 300.0) {
        return Err(usage("--timeout must be between 0 and 300 seconds"));
    }
    let nameserver = args
        .nameserver
        .as_deref()
        .map(parse_nameserver)
        .transpose()
        .map_err(usage)?;
    let platform = match args.platform.as_deref() {
        Some(p) => match Platform::parse(p) {
            Some(p) => Some(p),
            None => return Err(usage(format!("--platform {p:?}: not OS/ARCH[/VARIANT]"))),
        },
        None => None,
    };
    for s in &args.secret {
        if s.split_once('/')
            .is_none_or(|(a, b)| a.is_empty() || b.is_empty())
        {
            return Err(usage(format!("--secret {s:?}: not NAMESPACE/NAME")));
        }
    }
    args.probe_pod.check().map_err(usage)?;
    if args.from_node.is_some() && args.read_only {
        return Err(usage("--from-node creates a pod; refused with --read-only"));
    }
    let mut opts = crate::probe::Options::from_env();
    opts.direct = args.no_proxy;
    if let Some(ca) = &args.ca_file {
        opts.add_ca_file(ca)
            .map_err(|e| usage(format!("--ca-file: {e}")))?;
    }
    let file_config =
        crate::config::load(config).map_err(|e| usage(format!("invalid config file {e}")))?;
    let mut creds = vec![];
    if args.username.is_some() {
        let mut line = String::new();
        if let Err(e) = io::stdin().lock().read_line(&mut line) {
            return Err(usage(format!("reading the password from stdin: {e}")));
        }
        let pass = Redacted::new(line.trim_end_matches(['\r', '\n']).to_string());
        zeroize::Zeroize::zeroize(&mut line);
        creds.push(Credential {
            expiry: None,
            source: "--username".into(),
            username: args.username.clone().unwrap_or_default(),
            password: pass,
        });
    }
    Ok(Parsed {
        image,
        nameserver,
        platform,
        opts,
        file_config,
        creds,
    })
}

/// The probe from this machine, then (`--from-node`) from the node.
async fn probe(cluster: &ClusterArgs, args: ProbeArgs, parsed: Parsed) -> ExitCode {
    let Parsed {
        image,
        nameserver,
        platform,
        opts,
        file_config,
        mut creds,
    } = parsed;
    let needs_cluster = !args.secret.is_empty() || args.from_node.is_some();
    let conn = if needs_cluster {
        match crate::cluster::connect(&cluster.target()).await {
            Ok(c) => Some(c),
            Err(e) => return usage(format!("cluster: {e}")),
        }
    } else {
        None
    };
    let mut node_platform = None;
    if let Some(conn) = &conn {
        match from_cluster(conn, &args, &image).await {
            Ok((c, p)) => {
                creds.extend(c);
                node_platform = p;
            }
            Err(code) => return code,
        }
    }
    let platform = platform.or(node_platform).unwrap_or_else(this_platform);
    let mut plan = ProbePlan::new(image.clone(), platform);
    plan.credentials = creds;
    plan.nameserver = nameserver;
    plan.step_timeout_ms = (args.timeout * 1000.0) as u64;
    plan.allow_plain_http_credentials = args.allow_plain_http_credentials;
    plan.try_all_credentials = args.try_all_credentials;
    let laptop = laptop(&plan, &opts, &args).await;

    let mut node_side: Option<(String, ProbeReport, Vec<String>)> = None;
    let mut node_failed = false;
    if let (Some(conn), Some(node)) = (&conn, &args.from_node) {
        let req = node_request(cluster, conn, &args, &file_config, &image, &laptop, node);
        match from_node(conn, &args, &req, &laptop).await {
            Err(code) => return code,
            Ok(None) => node_failed = true,
            Ok(Some((report, notes))) => {
                node_failed = !report.verdict().is_ok();
                node_side = Some((node.clone(), report, notes));
            }
        }
    }
    if args.json && print_json(&laptop, node_side.as_ref()).is_err() {
        return ExitCode::from(2);
    }
    if laptop.verdict().is_ok() && !node_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The credentials of `--secret`s, and the platform of `--from-node`'s node.
async fn from_cluster(
    conn: &crate::cluster::Connection,
    args: &ProbeArgs,
    image: &ImageRef,
) -> Result<(Vec<Credential>, Option<Platform>), ExitCode> {
    let mut creds = vec![];
    for s in &args.secret {
        let (ns, name) = s.split_once('/').unwrap_or(("default", s));
        let api: Api<Secret> = Api::namespaced(conn.client.clone(), ns);
        match api.get(name).await {
            Ok(secret) => match credentials_from_secret(&secret, image) {
                Ok(c) if c.is_empty() => say(format!(
                    "secret {s} has no entry for {} (kubelet would not use it)",
                    image.registry
                )),
                Ok(c) => creds.extend(c),
                Err(e) => say(e),
            },
            Err(e) => {
                let e = crate::cluster::error::ApiError::from(&e);
                return Err(usage(format!("reading secret {s}: {e}")));
            }
        }
    }
    let Some(node) = &args.from_node else {
        return Ok((creds, None));
    };
    match Api::<Node>::all(conn.client.clone()).get(node).await {
        Ok(n) => {
            let platform = n
                .status
                .and_then(|s| s.node_info)
                .map(|i| Platform::new(&i.operating_system, &i.architecture));
            Ok((creds, platform))
        }
        Err(e) => {
            let e = crate::cluster::error::ApiError::from(&e);
            Err(usage(format!("node {node}: {e}")))
        }
    }
}

/// This machine's probe, each step printed as it completes (not with --json).
async fn laptop(plan: &ProbePlan, opts: &crate::probe::Options, args: &ProbeArgs) -> ProbeReport {
    let json = args.json;
    let image = &plan.image;
    let stdout = io::stdout();
    if !json {
        let mut o = stdout.lock();
        let _ = writeln!(
            o,
            "probing {} ({}) from this machine, {} s per step",
            image.registry, image, args.timeout
        );
    }
    let untried = plan.credentials_to_try().1.len();
    let laptop = crate::probe::run(plan, opts, |s| {
        if !json {
            let mut o = stdout.lock();
            let _ = writeln!(o, "  {}", inert(&s.line()));
            let _ = o.flush();
        }
    })
    .await;
    let verdict = laptop.verdict();
    if !json {
        let mut o = stdout.lock();
        let _ = writeln!(o, "verdict: {}  {}", verdict.id(), inert(&verdict.summary));
        if untried > 0 && !verdict.is_ok() {
            let _ = writeln!(
                o,
                "note: {untried} other covering credential(s) not tried; \
                 --try-all-credentials tries them in turn"
            );
        }
    }
    laptop
}

/// The probe pod's request: where it runs, its image, and what it checks
/// (the blob host this machine was sent to, even one it could not resolve).
fn node_request(
    cluster: &ClusterArgs,
    conn: &crate::cluster::Connection,
    args: &ProbeArgs,
    file_config: &crate::config::Config,
    image: &ImageRef,
    laptop: &ProbeReport,
    node: &str,
) -> ProbePodRequest {
    let placement = args.probe_pod.placement(file_config);
    ProbePodRequest {
        namespace: placement.namespace,
        pull_secret: placement.pull_secret,
        node: node.to_string(),
        probe_image: placement.image,
        target: image.clone(),
        blob_host: laptop.blob_host().map(|t| (t.host.clone(), t.port)),
        step_timeout_s: args.timeout.ceil() as u64,
        host_network: true,
        origin: crate::audit::Origin::new(
            &conn.cluster_id(),
            crate::audit::kubeconfig_user(cluster.kubeconfig.as_deref(), conn.context.as_deref()),
        ),
    }
}

/// The probe pod: old ones swept, the new one previewed and confirmed,
/// run, and deleted (on Ctrl-C too). `Ok(None)`: it could not run.
async fn from_node(
    conn: &crate::cluster::Connection,
    args: &ProbeArgs,
    req: &ProbePodRequest,
    laptop: &ProbeReport,
) -> Result<Option<(ProbeReport, Vec<String>)>, ExitCode> {
    let (namespace, node, json) = (&req.namespace, &req.node, args.json);
    let now = jiff::Timestamp::now();
    match probe_pod::sweep(&conn.client, namespace, &req.origin, now).await {
        Ok(gone) if !gone.is_empty() => {
            say(format!("removed expired probe pods: {}", gone.join(", ")))
        }
        Ok(_) => {}
        Err(e) => say(format!("sweeping old probe pods: {e}")),
    }
    let pod = probe_pod::build_pod(req, &probe_pod::pod_name(node, now), now);
    eprint!("{}", probe_pod::preview(&pod));
    if !args.yes {
        if !io::stdin().is_terminal() || args.username.is_some() {
            return Err(usage(
                "creating the probe pod needs a confirmation: pass --yes",
            ));
        }
        eprint!("create this pod? [y/N] ");
        let mut a = String::new();
        let _ = io::stdin().lock().read_line(&mut a);
        if !matches!(a.trim(), "y" | "Y" | "yes") {
            eprintln!("pulltui probe: not created");
            return Err(ExitCode::from(1));
        }
    }
    let stdout = io::stdout();
    if !json {
        let _ = writeln!(
            stdout.lock(),
            "probing from node {node} (pod in {namespace}):"
        );
    }
    let fut = probe_pod::run(&conn.client, req, now, |ev| {
        if json {
            return;
        }
        let mut o = stdout.lock();
        let _ = writeln!(o, "  {}", pod_event_line(&ev));
        let _ = o.flush();
    });
    // Ctrl-C: the future is dropped, and the pod (whose name is known
    // before its create is sent) deleted before we exit.
    let res = tokio::select! {
        r = fut => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    match res {
        None => {
            let name = probe_pod::pod_name(node, now);
            eprintln!("pulltui probe: cancelled; deleting the probe pod {namespace}/{name}");
            if let Err(e) = probe_pod::delete_now(&conn.client, namespace, &name).await {
                say(format!(
                    "could not delete pod {namespace}/{name}: {e}; \
                     kubectl -n {namespace} delete pod {name} --grace-period=0"
                ));
            }
            Err(ExitCode::from(1))
        }
        Some(Err(e)) => {
            say(format!("in-cluster probe: {e}"));
            Ok(None)
        }
        Some(Ok(np)) => {
            if !json {
                let mut o = stdout.lock();
                for line in node_verdict_lines(laptop, &np.report) {
                    let _ = writeln!(o, "{line}");
                }
            }
            Ok(Some((np.report, np.notes)))
        }
    }
}

/// `--json`: one object, both sides and the difference between them.
fn print_json(
    laptop: &ProbeReport,
    node_side: Option<&(String, ProbeReport, Vec<String>)>,
) -> io::Result<()> {
    let findings = node_side
        .and_then(|(_, r, _)| compare_sides(laptop, r))
        .map(|(d, why)| vec![format!("{}: {why}", d.id())])
        .unwrap_or_default();
    let obj = ProbeJson {
        image: &laptop.image,
        registry: &laptop.registry,
        steps: &laptop.steps,
        verdict: laptop.verdict(),
        node: node_side.map(|(n, r, notes)| NodeJson {
            name: n.clone(),
            steps: &r.steps,
            verdict: r.verdict(),
            notes,
        }),
        findings,
    };
    let stdout = io::stdout();
    let mut o = stdout.lock();
    // As `check --json`: the values kept, C1, bidi and invisible
    // characters as `\u` escapes.
    crate::domain::inert::json_to_writer(&mut o, &obj).map_err(io::Error::other)?;
    writeln!(o)
}

/// The line for an event of the node's probe pod. Notes carry the API
/// server's, a webhook's or the kubelet's words: inert, as every line.
fn pod_event_line(ev: &PodEvent) -> String {
    let line = match ev {
        PodEvent::Created { name, host_network } => format!(
            "pod {name} created ({})",
            if *host_network {
                "host network, the node's DNS and CA roots"
            } else {
                "pod network"
            }
        ),
        PodEvent::Note(n) => format!("note: {n}"),
        PodEvent::Step(s) => s.line(),
        PodEvent::Deleted { name } => format!("pod {name} deleted"),
    };
    inert(&line).into_owned()
}

/// After the node's steps: its verdict, and why the two sides disagree
/// (both quote the node's steps, curl's rendering of a certificate among
/// them): inert.
fn node_verdict_lines(laptop: &ProbeReport, node: &ProbeReport) -> Vec<String> {
    let v = node.verdict();
    let mut out = vec![format!("node verdict: {}  {}", v.id(), inert(&v.summary))];
    if let Some((d, why)) = compare_sides(laptop, node) {
        out.push(format!(
            "laptop and node disagree ({}): {}",
            d.id(),
            inert(&why)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classify::Category;
    use crate::domain::inert::is_hostile;
    use crate::domain::probe::{Side, Status, Step, StepResult};

    /// What a webhook, the kubelet or curl's rendering of a certificate
    /// can put in the node's text.
    const HOSTILE: &str = "\x1b]0;PWNED\x07 \u{9b}2J \u{202e}txt \u{200b}\u{e0041}\nnext";

    #[test]
    fn the_probe_pod_is_placed_by_the_flag_then_the_config_file_then_the_default() {
        let none = ProbePodFlags::default();
        assert_eq!(
            none.placement(&crate::config::Config::default()),
            probe_pod::Placement::default()
        );
        let config = crate::config::Config {
            probe_image: Some("mirror.example/tools/curl:8".into()),
            probe_namespace: Some("ops-probe".into()),
            probe_pull_secret: Some("mirror-cred".into()),
            ..Default::default()
        };
        let from_file = none.placement(&config);
        assert_eq!(from_file.image, "mirror.example/tools/curl:8");
        assert_eq!(from_file.namespace, "ops-probe");
        assert_eq!(from_file.pull_secret.as_deref(), Some("mirror-cred"));
        let flags = ProbePodFlags {
            probe_image: Some("other.example/curl:9".into()),
            probe_namespace: Some("flag-ns".into()),
            probe_pull_secret: Some("flag-cred".into()),
        };
        let from_flags = flags.placement(&config);
        assert_eq!(from_flags.image, "other.example/curl:9");
        assert_eq!(from_flags.namespace, "flag-ns");
        assert_eq!(from_flags.pull_secret.as_deref(), Some("flag-cred"));
    }

    #[test]
    fn a_probe_flag_the_api_server_would_refuse_is_a_usage_error() {
        assert_eq!(ProbePodFlags::default().check(), Ok(()));
        let good = ProbePodFlags {
            probe_image: Some("mirror.example/tools/curl:8".into()),
            probe_namespace: Some("ops-probe".into()),
            probe_pull_secret: Some("mirror.cred-1".into()),
        };
        assert_eq!(good.check(), Ok(()));
        let refused = |flags: ProbePodFlags, lead: &str| {
            let e = flags.check().expect_err("refused");
            assert!(e.starts_with(lead), "{e}");
        };
        refused(
            ProbePodFlags {
                probe_image: Some("Not An Image".into()),
                ..good.clone()
            },
            "--probe-image \"Not An Image\": ",
        );
        refused(
            ProbePodFlags {
                probe_namespace: Some("Ops_Probe".into()),
                ..good.clone()
            },
            "--probe-namespace \"Ops_Probe\": ",
        );
        refused(
            ProbePodFlags {
                probe_pull_secret: Some("../cred".into()),
                ..good.clone()
            },
            "--probe-pull-secret \"../cred\": ",
        );
    }

    fn report(side: Side, tls: StepResult) -> ProbeReport {
        let image = ImageRef::parse("reg.example/team/app:1").expect("image");
        let mut r = ProbeReport::new(side, &image);
        r.steps.push(StepResult::ok(
            Step::Dns,
            1,
            "reg.example: 10.0.0.5 (private)",
        ));
        r.steps.push(StepResult::ok(Step::Tcp, 1, "connected"));
        r.steps.push(tls);
        r
    }

    #[test]
    fn node_side_lines_are_inert() {
        let node = report(
            Side::Node(format!("n{HOSTILE}")),
            StepResult::fail(
                Step::Tls,
                1,
                Category::TlsUntrusted,
                format!("certificate signed by unknown authority; served: subject CN={HOSTILE}"),
            ),
        );
        let laptop = report(Side::Laptop, StepResult::ok(Step::Tls, 1, "verified"));
        let mut lines = node_verdict_lines(&laptop, &node);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].starts_with("laptop and node disagree (node-ca)"),
            "{lines:?}"
        );
        lines.push(pod_event_line(&PodEvent::Note(format!(
            "the API server said: admission webhook denied: {HOSTILE}"
        ))));
        lines.push(pod_event_line(&PodEvent::Created {
            name: format!("p{HOSTILE}"),
            host_network: true,
        }));
        lines.push(pod_event_line(&PodEvent::Deleted {
            name: format!("p{HOSTILE}"),
        }));
        for l in &lines {
            assert!(!l.chars().any(is_hostile), "{l:?}");
            assert!(l.contains("␛]0;PWNED␇") && l.contains("\\u{200b}"), "{l:?}");
        }
        assert_eq!(node.verdict().category, Some(Category::TlsUntrusted));
        assert_eq!(laptop.step(Step::Tls).map(|s| s.status), Some(Status::Ok));
    }

    #[test]
    fn nameserver_takes_ip_or_ip_and_port() {
        assert_eq!(
            parse_nameserver("10.0.0.2").expect("ip"),
            "10.0.0.2:53".parse().expect("sa")
        );
        assert_eq!(
            parse_nameserver("127.0.0.1:5353").expect("ip:port"),
            "127.0.0.1:5353".parse().expect("sa")
        );
        assert_eq!(
            parse_nameserver("[::1]:53").expect("v6"),
            "[::1]:53".parse().expect("sa")
        );
        assert!(parse_nameserver("dns.example").is_err());
    }
}
