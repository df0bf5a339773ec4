//! pulltui's kubelet simulator: plays one node for the test harness.
//!
//! It registers a Ready Node, binds unscheduled pods to it, and for each pod
//! "pulls" every image by really resolving it against its registry on
//! loopback (TLS verified against the harness registry CA only; pull secrets,
//! Bearer/Basic auth and the TKE serverless annotations honoured), then writes
//! pod status and core/v1 Events exactly as kubelet + containerd would word
//! them: ErrImagePull → ImagePullBackOff with back-off, or Running.
//!
//! Usage: kubelet-sim --kubeconfig F --context admin --registry-ca CA.pem
//!        [--node sim-node] [--dns 127.0.0.1:PORT]

mod kubelet_sim;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use kube::config::{KubeConfigOptions, Kubeconfig};

use kubelet_sim::{events::Recorder, node, pods, registry::Registry};

#[derive(Parser, Debug)]
#[command(
    name = "kubelet-sim",
    about = "Simulated kubelet for pulltui's test harness"
)]
struct Args {
    /// Kubeconfig to use.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// Context in the kubeconfig (needs admin rights).
    #[arg(long, default_value = "admin")]
    context: String,
    /// PEM CA bundle the simulated node trusts for registries.
    #[arg(long)]
    registry_ca: PathBuf,
    /// Node name.
    #[arg(long, default_value = "sim-node")]
    node: String,
    /// DNS server (loopback only) for registry names; without it every name
    /// except localhost fails as `no such host` without any lookup.
    #[arg(long)]
    dns: Option<SocketAddr>,
    /// Dial / TLS / response timeout, seconds.
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
    /// First pull back-off, seconds.
    #[arg(long, default_value_t = 2.0)]
    backoff_initial: f64,
    /// Back-off cap, seconds.
    #[arg(long, default_value_t = 10.0)]
    backoff_max: f64,
    /// The simulated node's root (etc/resolv.conf, etc/ssl/certs): what
    /// pulltui's probe pods see of the node when their command runs here.
    #[arg(long)]
    node_root: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    if let Some(dns) = args.dns {
        anyhow::ensure!(dns.ip().is_loopback(), "--dns must be a loopback address");
    }
    let kubeconfig = Kubeconfig::read_from(&args.kubeconfig)
        .with_context(|| format!("reading {}", args.kubeconfig.display()))?;
    let options = KubeConfigOptions {
        context: Some(args.context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .context("loading kubeconfig")?;
    let client = kube::Client::try_from(config).context("building client")?;
    let ca = std::fs::read(&args.registry_ca)
        .with_context(|| format!("reading {}", args.registry_ca.display()))?;
    let registry = Registry::new(&ca, args.dns, Duration::from_secs_f64(args.timeout))?;

    node::register(&client, &args.node).await?;
    tracing::info!("node {} registered and Ready", args.node);
    tokio::spawn(node::heartbeat_loop(client.clone(), args.node.clone()));

    let ctx = Arc::new(pods::Ctx {
        client: client.clone(),
        node: args.node.clone(),
        registry,
        events: Recorder::new(client, args.node.clone()),
        backoff_initial: Duration::from_secs_f64(args.backoff_initial),
        backoff_max: Duration::from_secs_f64(args.backoff_max),
        node_root: args.node_root.clone(),
    });
    tokio::select! {
        r = pods::run(ctx) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
