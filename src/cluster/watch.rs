//! A session's watchers: the failing pods first, then every pod, and the
//! kubelet's events that carry causes (three narrow field selectors), all
//! restarted from a fresh list when the server says so.

use super::lean_pod::LeanPod;
use super::*;

/// Every watch asks the server to end it after this long (the watcher
/// resumes at once): shorter than `READ_TIMEOUT`, so a quiet watch is never
/// mistaken for a dead connection.
pub const WATCH_TIMEOUT_SECS: u32 = 55;

/// No byte for this long on a connection is a dead connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(70);

/// Field selector of the events watcher: the kubelet's `Failed` events about pods.
pub const EVENT_FIELDS: &str = "involvedObject.kind=Pod,reason=Failed";

/// kubelet's warning for a pull secret that does not exist (one field
/// selector cannot OR two reasons: a second, equally narrow watch).
pub const SECRET_EVENT_FIELDS: &str =
    "involvedObject.kind=Pod,reason=FailedToRetrieveImagePullSecret";

/// kubelet's warning for a pod sandbox it could not create (kept when its
/// pause image failed to pull: `facet::sandbox_image`).
pub const SANDBOX_EVENT_FIELDS: &str = "involvedObject.kind=Pod,reason=FailedCreatePodSandBox";

/// How long a session's full pod list keeps its turn (`FULL_LISTS`) before
/// it lets the next cluster's start beside it: a slow cluster never holds
/// the fleet back for longer.
pub const FULL_LIST_TURN: Duration = Duration::from_secs(3);

/// How long the first full pod list waits for the failing pods listed
/// first (which it would otherwise compete with) before it starts anyway.
const FAILING_FIRST_WAIT: Duration = Duration::from_secs(5);

/// A session's settings.
pub(super) struct Settings {
    pub mode: WriteMode,
    /// Where pulltui's probe pods run (swept at start).
    pub probe_ns: String,
    pub heartbeat: Option<Duration>,
    /// The fleet's turns for full pod lists.
    pub full_lists: Arc<Semaphore>,
}

pub(super) async fn run_session(
    session: SessionKey,
    target: Target,
    scope: Scope,
    cell: SharedConn,
    tx: mpsc::Sender<Msg>,
    settings: Settings,
) {
    let Settings {
        mode,
        probe_ns,
        heartbeat,
        full_lists,
    } = settings;
    // Until it connects, the session names its cluster by the context
    // asked for; then by the context and server reached.
    let asked = session;
    let send = |m: ClusterMsg| {
        let (tx, session) = (tx.clone(), asked.clone());
        async move { tx.send(Msg::Cluster(session, m)).await.is_ok() }
    };
    // Building the client runs an exec credential plugin, synchronously:
    // bounded, so a plugin that hangs is said, not waited on.
    let built = bounded(
        {
            let target = target.clone();
            async move { connect(&target).await }
        },
        "no client — the kubeconfig's exec credential plugin is probably waiting for a \
         login or hung; log in from a shell (as kubectl would ask), then press r to retry",
    )
    .await;
    let conn = match built {
        Ok(Ok(c)) => c,
        Ok(Err(e)) | Err(e) => {
            tracing::warn!(error = %e, "connect failed");
            send(ClusterMsg::ConnectFailed(e)).await;
            return;
        }
    };
    cell.set(conn.clone());
    let mut conn = conn;
    let session = SessionKey::new(conn.cluster_id(), asked.generation);
    let send = |m: ClusterMsg| {
        let (tx, session) = (tx.clone(), session.clone());
        async move { tx.send(Msg::Cluster(session, m)).await.is_ok() }
    };
    // Probe pods left by an earlier run that could not delete them: only
    // pulltui's own probe namespace, and never when nothing may be written.
    if mode == WriteMode::Write {
        let client = conn.client.clone();
        let ns = probe_ns;
        let cluster = conn.cluster_id();
        let (kubeconfig, context) = (target.kubeconfig.clone(), conn.context.clone());
        tokio::spawn(async move {
            let user = crate::audit::kubeconfig_user(kubeconfig.as_deref(), context.as_deref());
            let origin = crate::audit::Origin::new(&cluster, user);
            match probe_pod::sweep(&client, &ns, &origin, jiff::Timestamp::now()).await {
                Ok(gone) if !gone.is_empty() => {
                    tracing::info!(pods = ?gone, "removed expired probe pods")
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "sweeping probe pods"),
            }
        });
    }
    tracing::info!(context = ?conn.context, server = %conn.server, %scope, "connected");
    if !send(ClusterMsg::Connected {
        context: conn.context.clone(),
        server: conn.server.clone(),
        default_namespace: conn.default_namespace.clone(),
        scope: scope.clone(),
    })
    .await
    {
        return;
    }
    // The first request also runs the credential plugin: bounded, and said.
    let first = {
        let (client, scope) = (conn.client.clone(), scope.clone());
        bounded(
            async move { check_scope(&client, &scope).await },
            &format!(
                "no answer from {} — a kubeconfig exec credential plugin may be waiting for \
                 a login or hung (its messages: stderr.log beside pulltui.log); press r to retry",
                conn.server
            ),
        )
        .await
    };
    let first = match first {
        Ok(r) => r,
        Err(e) => {
            send(ClusterMsg::ConnectFailed(e)).await;
            return;
        }
    };
    if scope == Scope::All {
        match first {
            Ok(ScopeCheck::Allowed) => {}
            Ok(ScopeCheck::Forbidden(message)) => {
                send(ClusterMsg::ScopeForbidden {
                    default_namespace: conn.default_namespace.clone(),
                    message,
                })
                .await;
                return;
            }
            // Unreachable: say so now; the watchers keep retrying with back-off.
            Err(e) => {
                send(ClusterMsg::ConnectFailed(ApiError::from(&e))).await;
            }
        }
    }
    // The watchers, started over from a fresh list whenever the server
    // comes back from silence or asks for a resourceVersion it has not
    // reached (`liveness`); the table stays (marked stale) meanwhile.
    let activity = Arc::new(liveness::Activity::default());
    let (restart_tx, mut restart_rx) = mpsc::channel::<liveness::Restart>(4);
    let beat = liveness::heartbeat(
        session.clone(),
        heartbeat,
        cell.clone(),
        conn.server.clone(),
        activity.clone(),
        tx.clone(),
        restart_tx.clone(),
    );
    tokio::pin!(beat);
    let mut last_restart: Option<std::time::Instant> = None;
    // Renewal stays on the context and server chosen at start: a kubeconfig
    // whose `current-context` changed meanwhile (`kubectl config
    // use-context`) must not move the session to another cluster or user.
    let mut renewal = renewal::Renewal::new(conn.server.clone());
    let target = renewal::pinned(&target, &conn);
    let mut first = true;
    loop {
        let w = Arc::new(Watch {
            session: session.clone(),
            client: conn.client.clone(),
            scope: scope.clone(),
            tx: tx.clone(),
            activity: activity.clone(),
            restart: restart_tx.clone(),
            events_listed: Arc::new(AtomicU8::new(0)),
            full_lists: full_lists.clone(),
            failing_listed: Arc::new(tokio::sync::Notify::new()),
        });
        let early = first;
        first = false;
        // One task each: a busy events watch (a storm of back-offs) neither
        // holds the pods watch's next change behind its own nor shares its
        // budget. The set aborts them when dropped (the session's end); a
        // restart waits for them to stop, so none of the old ones speaks
        // after it.
        let mut set = tokio::task::JoinSet::new();
        {
            let w = w.clone();
            set.spawn(async move { failing_first(&w, early).await });
        }
        {
            let w = w.clone();
            set.spawn(async move { watch_pods(&w, early).await });
        }
        for (fields, bit) in [
            (EVENT_FIELDS, 0b001),
            (SECRET_EVENT_FIELDS, 0b010),
            (SANDBOX_EVENT_FIELDS, 0b100),
        ] {
            let w = w.clone();
            set.spawn(async move { watch_events(&w, fields, bit).await });
        }
        {
            let w = w.clone();
            set.spawn(async move {
                super::history::watch(&w.client, &w.scope, &w.session, &w.tx).await
            });
        }
        let why = loop {
            let why = tokio::select! {
                _ = &mut beat => return,
                ended = set.join_next() => match ended {
                    // All of them ended: the session is over.
                    None => return,
                    // A watcher's bug ends the session as it did when they
                    // were joined in one task.
                    Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Some(_) => continue,
                },
                why = restart_rx.recv() => why,
            };
            let Some(why) = why else { return };
            let liveness::Restart::Unauthorized { what } = why else {
                break why;
            };
            match renewal.renew(&target, what).await {
                renewal::Renewed::Now(fresh) => {
                    cell.set(fresh.clone());
                    conn = fresh;
                    if !send(ClusterMsg::CredentialsRenewed).await {
                        return;
                    }
                    break why;
                }
                renewal::Renewed::NotYet => {}
                renewal::Renewed::Refused(error) => {
                    if !send(ClusterMsg::CredentialsRefused(error)).await {
                        return;
                    }
                }
            }
        };
        set.shutdown().await;
        // A storage restored twice in a row must not become a tight loop.
        if let Some(t) = last_restart
            && t.elapsed() < Duration::from_secs(2)
        {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        last_restart = Some(std::time::Instant::now());
        while restart_rx.try_recv().is_ok() {}
        match why {
            liveness::Restart::ServerBack { down_for } => tracing::info!(
                ?down_for,
                "the API server answers again: restarting the watchers from a fresh list"
            ),
            liveness::Restart::VersionAhead { what } => tracing::info!(
                what,
                "a watch asked for a resourceVersion the server has not reached (storage \
                 restored or recreated): restarting the watchers from a fresh list"
            ),
            liveness::Restart::Unauthorized { what } => tracing::info!(
                what,
                "credentials renewed from the kubeconfig after a 401: restarting the \
                 watchers with them"
            ),
        }
        if !send(ClusterMsg::Resync).await {
            return;
        }
    }
}

/// What every watcher of a session needs.
struct Watch {
    /// The session, and the cluster the facts are about (every pod key
    /// carries it).
    session: SessionKey,
    client: Client,
    scope: Scope,
    tx: mpsc::Sender<Msg>,
    activity: Arc<liveness::Activity>,
    restart: mpsc::Sender<liveness::Restart>,
    /// One bit per events watcher that has completed its list.
    events_listed: Arc<AtomicU8>,
    /// The fleet's turns for full pod lists.
    full_lists: Arc<Semaphore>,
    /// Told when the failing pods listed first are in (or could not be).
    failing_listed: Arc<tokio::sync::Notify>,
}

impl Watch {
    /// A watch error that needs a fresh list, not a retry.
    fn check(&self, what: &'static str, e: &watcher::Error) {
        if liveness::version_ahead(e) {
            let _ = self
                .restart
                .try_send(liveness::Restart::VersionAhead { what });
        } else if liveness::unauthorized(e) {
            let _ = self
                .restart
                .try_send(liveness::Restart::Unauthorized { what });
        }
    }
}

pub(crate) fn map_event<K, T>(
    ev: watcher::Event<K>,
    f: impl Fn(K) -> Option<T>,
) -> Option<WatchEvent<T>> {
    Some(match ev {
        watcher::Event::Init => WatchEvent::Init,
        watcher::Event::InitDone => WatchEvent::InitDone,
        watcher::Event::InitApply(k) => WatchEvent::InitApply(f(k)?),
        watcher::Event::Apply(k) => WatchEvent::Apply(f(k)?),
        watcher::Event::Delete(k) => WatchEvent::Delete(f(k)?),
    })
}

/// The failing pods before all the others: a pod that cannot pull its
/// image is `Pending` (the kubelet starts no container without its image),
/// so one list by `status.phase=Pending`, served from the API server's
/// watch cache, has the table's rows while the full list of a big cluster
/// (every healthy pod, for the counts) is still arriving. The app uses it
/// only until that full list is in (`ClusterMsg::FailingFirst`); a running
/// pod whose replaced image fails arrives with the full list.
async fn failing_first(w: &Watch, enabled: bool) {
    if !enabled {
        return;
    }
    // However it ends, the full list may start.
    struct Listed<'a>(&'a tokio::sync::Notify);
    impl Drop for Listed<'_> {
        fn drop(&mut self) {
            self.0.notify_one();
        }
    }
    let _listed = Listed(&w.failing_listed);
    let api: Api<LeanPod> = scoped(&w.client, &w.scope);
    let lp = ListParams::default()
        .fields("status.phase=Pending")
        .match_any();
    let mut facts = Vec::new();
    match api.list(&lp).await {
        Ok(list) => {
            for p in list.items {
                let mut p = p.into_pod();
                strip(&mut p);
                let fact = PodFact::from_pod(&w.session.cluster, p);
                if matches!(fact, PodFact::Failing(..)) {
                    facts.push(fact);
                }
            }
            tracing::debug!(failing = facts.len(), "failing pods listed first");
            let _ =
                w.tx.send(Msg::Cluster(
                    w.session.clone(),
                    ClusterMsg::FailingFirst(facts),
                ))
                .await;
        }
        Err(e) => tracing::debug!(error = %ApiError::from(&e), "listing pending pods first"),
    }
}

/// Every pod: the failing ones listed first go ahead (`first`), then the
/// full list waits for its turn among the fleet's (`FULL_LISTS`), which it
/// keeps until its list is in or `FULL_LIST_TURN` has passed.
async fn watch_pods(w: &Watch, first: bool) {
    if first {
        let _ = tokio::time::timeout(FAILING_FIRST_WAIT, w.failing_listed.notified()).await;
    }
    let mut turn = tokio::time::timeout(FULL_LIST_TURN, w.full_lists.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok);
    let turn_ends = tokio::time::sleep(FULL_LIST_TURN);
    tokio::pin!(turn_ends);
    // Decoded without their managedFields (`LeanPod`).
    let api: Api<LeanPod> = scoped(&w.client, &w.scope);
    let cfg = watcher::Config::default()
        .page_size(500)
        .timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = &mut turn_ends, if turn.is_some() => {
                turn = None;
                continue;
            }
        };
        let Some(item) = item else { break };
        if matches!(item, Ok(watcher::Event::InitDone)) {
            turn = None;
        }
        let msg = match item {
            Ok(ev) => {
                w.activity.touch();
                let fact = |p: LeanPod| {
                    let mut p = p.into_pod();
                    strip(&mut p);
                    Some(PodFact::from_pod(&w.session.cluster, p))
                };
                match map_event(ev, fact) {
                    Some(e) => ClusterMsg::Pods(e),
                    None => continue,
                }
            }
            Err(e) => {
                w.check("pods", &e);
                let error = watch_error(&e);
                tracing::warn!(%error, "pods watch");
                ClusterMsg::WatchError {
                    what: "pods",
                    error,
                }
            }
        };
        if w.tx
            .send(Msg::Cluster(w.session.clone(), msg))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Watches one kind of event (`bit` names it among the events watchers):
/// the app hears `InitDone` once every events watcher has listed.
async fn watch_events(w: &Watch, fields: &'static str, bit: u8) {
    let api: Api<Event> = scoped(&w.client, &w.scope);
    let cfg = watcher::Config::default()
        .fields(fields)
        .page_size(500)
        .timeout(WATCH_TIMEOUT_SECS);
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    let mut told = false;
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(ev) => {
                w.activity.touch();
                match map_event(ev, |e| {
                    EventFact::from_event(&w.session.cluster, &e, jiff::Timestamp::now())
                }) {
                    Some(WatchEvent::InitDone) => {
                        let all = w.events_listed.fetch_or(bit, Ordering::Relaxed) | bit;
                        if all != 0b111 {
                            continue;
                        }
                        ClusterMsg::Events(WatchEvent::InitDone)
                    }
                    Some(e) => ClusterMsg::Events(e),
                    None => continue,
                }
            }
            Err(e) => {
                w.check("events", &e);
                // Events only refine causes; a failing events watch must not
                // mark the whole console as reconnecting. A 403 is said once.
                let error = watch_error(&e);
                tracing::warn!(%error, "events watch");
                if error.is_forbidden() && !told {
                    told = true;
                    ClusterMsg::EventsForbidden(error)
                } else {
                    continue;
                }
            }
        };
        if w.tx
            .send(Msg::Cluster(w.session.clone(), msg))
            .await
            .is_err()
        {
            return;
        }
    }
}
