//! pulltui's kubelet simulator: plays one node for the test harness.
//!
//! It registers a Ready Node, binds unscheduled pods to it, and for each pod
//! "pulls" every image by really resolving it against its registry on
//! loopback (TLS verified against the harness registry CA only; pull secrets,
//! Bearer/Basic auth and the TKE serverless annotations honoured), then writes
//! pod status and core/v1 Events exactly as kubelet + containerd would word
//! them: ErrImagePull → ImagePullBackOff with back-off, or Running.
//!
//! It speaks the version of the API server it joins (kubelet's wording of
//! that version; see `kubelet_sim::kubelet`) and acts as containerd, or as
//! CRI-O with `--runtime cri-o`.
//!
//! Usage: kubelet-sim --kubeconfig F --context node [--scheduler-context S]
//!        --registry-ca CA.pem [--node sim-node] [--dns 127.0.0.1:PORT]

mod kubelet_sim;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use kube::config::{KubeConfigOptions, Kubeconfig};

use kubelet_sim::kubelet::{Flavor, Runtime};
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
    /// Context in the kubeconfig: the node's identity (system:node:NAME in
    /// system:nodes), or any user allowed what a kubelet does.
    #[arg(long, default_value = "admin")]
    context: String,
    /// Context that binds pods to this node (the scheduler's identity);
    /// defaults to --context.
    #[arg(long)]
    scheduler_context: Option<String>,
    /// Bind only pods whose `kubernetes.io/hostname` node selector names
    /// this node (a second node); by default pods that name no node too.
    #[arg(long)]
    selected_only: bool,
    /// Container runtime: containerd or cri-o.
    #[arg(long, default_value = "containerd")]
    runtime: String,
    /// Registry (host[:port]) whose images the runtime's signature policy
    /// requires signed (CRI-O policy.json); repeatable.
    #[arg(long)]
    require_signatures: Vec<String>,
    /// HANDLER=IMAGE: the sandbox (pause) image of a RuntimeClass handler,
    /// pulled when a pod of that class starts; repeatable. The default
    /// handler's sandbox image is pinned (never pulled).
    #[arg(long)]
    sandbox_image: Vec<String>,
    /// Seconds without progress after which a layer download is cancelled
    /// (containerd's image_pull_progress_timeout, 5m by default there).
    #[arg(long, default_value_t = 300.0)]
    pull_progress_timeout: f64,
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
    /// Keep pulled images on the node (listed in its status.images) and use
    /// a present one as the kubelet of this version does: from 1.35 only
    /// after verifying the pod's credentials (KEP-2535). Without it every
    /// pull goes to the registry.
    #[arg(long)]
    keep_images: bool,
    /// The kubelet's version (`v1.34.2`), as a node of another version than
    /// the API server's (an upgrade is a restart with another one); its
    /// minor decides the kubelet's behaviour. By default the API server's.
    #[arg(long)]
    kubelet_version: Option<String>,
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
    let client = client_for(&args.kubeconfig, &args.context).await?;
    let scheduler = match &args.scheduler_context {
        Some(c) => client_for(&args.kubeconfig, c).await?,
        None => client.clone(),
    };
    let version = client
        .apiserver_version()
        .await
        .context("reading the API server's version")?;
    let git_version = args
        .kubelet_version
        .clone()
        .unwrap_or_else(|| version.git_version.clone());
    let minor_text = match &args.kubelet_version {
        Some(v) => v
            .trim_start_matches('v')
            .split('.')
            .nth(1)
            .unwrap_or_default(),
        None => version.minor.trim_end_matches('+'),
    };
    let minor: u32 = minor_text
        .parse()
        .with_context(|| format!("kubelet minor version {minor_text:?}"))?;
    let runtime = match args.runtime.as_str() {
        "containerd" => Runtime::Containerd,
        "cri-o" => Runtime::CriO,
        other => anyhow::bail!("--runtime {other}: containerd or cri-o"),
    };
    let mut sandbox_images = std::collections::HashMap::new();
    for s in &args.sandbox_image {
        let (h, i) = s
            .split_once('=')
            .with_context(|| format!("--sandbox-image {s}: HANDLER=IMAGE"))?;
        sandbox_images.insert(h.to_string(), i.to_string());
    }
    let flavor = Flavor {
        minor,
        git_version,
        runtime,
        require_signatures: args.require_signatures.clone(),
        sandbox_images,
        progress_timeout: Duration::from_secs_f64(args.pull_progress_timeout),
    };
    tracing::info!(
        "kubelet {} with {} (API server {})",
        flavor.git_version,
        flavor.runtime_version(),
        version.git_version
    );
    let ca = std::fs::read(&args.registry_ca)
        .with_context(|| format!("reading {}", args.registry_ca.display()))?;
    let registry = Registry::new(&ca, args.dns, Duration::from_secs_f64(args.timeout))?;

    node::register(&client, &args.node, &flavor).await?;
    tracing::info!("node {} registered and Ready", args.node);
    tokio::spawn(node::heartbeat_loop(
        client.clone(),
        args.node.clone(),
        flavor.clone(),
    ));

    // A kubelet publishes the images it has when it starts (none, for a
    // new store: a node after its images were collected).
    let images = args.keep_images.then(kubelet_sim::images::Store::default);
    if let Some(store) = &images {
        node::publish_images(&client, &args.node, store).await;
    }
    let ctx = Arc::new(pods::Ctx {
        client: client.clone(),
        scheduler,
        bind_unselected: !args.selected_only,
        flavor,
        node: args.node.clone(),
        registry,
        events: Recorder::new(client, args.node.clone()),
        backoff_initial: Duration::from_secs_f64(args.backoff_initial),
        backoff_max: Duration::from_secs_f64(args.backoff_max),
        node_root: args.node_root.clone(),
        images,
    });
    tokio::select! {
        r = pods::run(ctx) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

async fn client_for(path: &std::path::Path, context: &str) -> anyhow::Result<kube::Client> {
    let kubeconfig =
        Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .with_context(|| format!("loading kubeconfig context {context}"))?;
    kube::Client::try_from(config).context("building client")
}
