//! Connecting: the kubeconfig (no interactive prompts), the context, the
//! first answer bounded in time, and kube errors in words.

use super::*;

/// Which kubeconfig and context to use.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// The console owns the terminal: exec credential plugins must not read
    /// the keyboard (`interactiveMode: Never`: their stdin is closed, so a
    /// prompt fails with its message instead of stealing keys).
    pub non_interactive: bool,
}

/// Exec plugins of the console never get the terminal.
pub(super) fn no_prompts(kc: &mut Kubeconfig) {
    for a in &mut kc.auth_infos {
        if let Some(exec) = a.auth_info.as_mut().and_then(|i| i.exec.as_mut()) {
            exec.interactive_mode = Some(kube::config::ExecInteractiveMode::Never);
        }
    }
}

/// A connected client and what it connected to.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    pub context: Option<String>,
    pub server: String,
    pub default_namespace: String,
}

impl Connection {
    /// The cluster this connection reaches: its context and server.
    pub fn cluster_id(&self) -> ClusterId {
        ClusterId::new(
            self.context.clone().unwrap_or_default(),
            self.server.clone(),
        )
    }
}

/// How long the session's first request may take (it also runs an exec
/// credential plugin).
pub(super) const FIRST_ANSWER: Duration = Duration::from_secs(20);

/// Runs `fut` on a task of its own and waits at most `FIRST_ANSWER`: kube
/// runs exec credential plugins synchronously, so one that hangs blocks the
/// thread it runs on, and only a timeout on another task can notice.
pub(super) async fn bounded<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
    timed_out: &str,
) -> Result<T, ApiError> {
    match tokio::time::timeout(FIRST_ANSWER, tokio::spawn(fut)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(join)) => Err(ApiError::new(ApiErrorKind::Other, join.to_string())),
        Err(_) => Err(ApiError::new(
            ApiErrorKind::Timeout,
            format!("after {} s: {timed_out}", FIRST_ANSWER.as_secs()),
        )),
    }
}

/// The annotation `kubectl apply` leaves on objects: a whole copy of the
/// spec, useless here.
pub(super) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub(super) fn config_error(message: String) -> ApiError {
    ApiError::new(ApiErrorKind::Config, message)
}

pub(super) fn read_kubeconfig(path: Option<&PathBuf>) -> Result<Kubeconfig, ApiError> {
    match path {
        Some(p) => Kubeconfig::read_from(p)
            .map_err(|e| config_error(format!("cannot read {}: {}", p.display(), chain(&e)))),
        None => Kubeconfig::read().map_err(|e| config_error(format!("cannot read: {}", chain(&e)))),
    }
}

/// Context names of the kubeconfig (for the palette); empty when unreadable.
pub fn contexts(target: &Target) -> Vec<String> {
    read_kubeconfig(target.kubeconfig.as_ref())
        .map(|kc| kc.contexts.into_iter().map(|c| c.name).collect())
        .unwrap_or_default()
}

/// Builds a client. Errors are sentences a person can act on.
pub async fn connect(target: &Target) -> Result<Connection, ApiError> {
    let opts = KubeConfigOptions {
        context: target.context.clone(),
        ..Default::default()
    };
    // The kubeconfig named, else the default one; without any and without
    // a context asked for, the in-cluster config (pulltui runs in a pod).
    let read: Result<Kubeconfig, String> = match &target.kubeconfig {
        Some(_) => Ok(read_kubeconfig(target.kubeconfig.as_ref())?),
        None => match Kubeconfig::read() {
            Ok(kc) => Ok(kc),
            Err(e) if target.context.is_none() => Err(chain(&e)),
            Err(e) => return Err(config_error(format!("cannot read: {}", chain(&e)))),
        },
    };
    let (mut config, context) = match read {
        Ok(mut kc) => {
            if target.non_interactive {
                no_prompts(&mut kc);
            }
            let ctx = target.context.clone().or(kc.current_context.clone());
            let cfg = Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| config_error(chain(&e)))?;
            (cfg, ctx)
        }
        Err(why) => {
            let cfg = Config::incluster().map_err(|_| {
                config_error(format!(
                    "no kubeconfig found ({why}); set KUBECONFIG or pass --kubeconfig"
                ))
            })?;
            (cfg, Some("in-cluster".to_string()))
        }
    };
    // Fail fast on unreachable clusters (the TLS handshake included), and
    // on a server that stops answering mid-response: watches end on the
    // server's side before the read timeout (`WATCH_TIMEOUT_SECS`).
    config.connect_timeout = Some(Duration::from_secs(8));
    config.read_timeout = Some(READ_TIMEOUT);
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| {
        let text = chain(&e);
        ApiError::new(
            ApiErrorKind::Config,
            error::exec_failure(&text).unwrap_or_else(|| format!("client: {text}")),
        )
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
    })
}

/// The error and its sources, on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// A kube error, readably (the API's own message for API errors).
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => chain(other),
    }
}

pub fn watch_error(e: &watcher::Error) -> ApiError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => ApiError::from(e),
        watcher::Error::WatchError(status) => ApiError {
            kind: ApiErrorKind::Status(status.code),
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
        other => ApiError::new(ApiErrorKind::Other, other.to_string()),
    }
}
