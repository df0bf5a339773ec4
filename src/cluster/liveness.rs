//! Is the API server still there? A watch on a quiet cluster carries no
//! bytes for minutes, and kube's client has no read timeout, so a server
//! that accepts connections and never answers (hung, partitioned, SIGSTOPed)
//! would leave the console showing a live table forever. A heartbeat asks
//! `GET /version` every few seconds, bounded; when it gets no answer the
//! console says "reconnecting", and when answers come back the session's
//! watchers start over from a fresh list (`Restart`), so whatever happened
//! meanwhile — a restarted API server, an etcd restored from a backup whose
//! resourceVersions went backwards, a watch cache that expired ours — is
//! read again instead of resumed from a position that may no longer exist.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kube::Client;
use kube::runtime::watcher;
use tokio::sync::mpsc;

use super::error::{ApiError, ApiErrorKind};
use crate::app::msg::{ClusterMsg, Msg, SessionKey};

/// How often the server is asked whether it is there.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(3);

/// The interval a `PULLTUI_HEARTBEAT_SECS` value asks for (the CLI reads
/// the variable): another interval, or `0` for none (a server that blocks
/// `/version`; the tests that exercise kube's own 410 relist). Unset or
/// unreadable: [`HEARTBEAT_EVERY`].
pub fn heartbeat_every(value: Option<&str>) -> Option<Duration> {
    match value.map(|v| v.trim().parse::<u64>()) {
        Some(Ok(0)) => None,
        Some(Ok(n)) => Some(Duration::from_secs(n)),
        Some(Err(_)) | None => Some(HEARTBEAT_EVERY),
    }
}
/// How long an answer may take.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(4);

/// Why the watchers start over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restart {
    /// The server answers again after `down_for` without answers.
    ServerBack { down_for: Duration },
    /// A watch asked for a resourceVersion the server has not reached:
    /// its storage was restored or recreated (resourceVersions went back).
    VersionAhead { what: &'static str },
    /// The server refused the session's credentials (401): a token revoked
    /// or rotated before the expiry its plugin gave, or one with no expiry.
    /// The session builds its client again from the kubeconfig (re-running
    /// an exec plugin, re-reading a refreshed file), as kubectl does on 401.
    Unauthorized { what: &'static str },
}

/// When a watch last delivered something: a server streaming a big list
/// is busy, not gone, even if `/version` is slow.
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Activity {
    pub fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// The API server's "Too large resource version" (504 with cause
/// `ResourceVersionTooLarge`): the watch asked for a future the server's
/// storage will reach only by chance. kube's watcher retries it forever.
pub fn version_ahead(e: &watcher::Error) -> bool {
    let status = match e {
        watcher::Error::WatchError(s) => Some(s.as_ref()),
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.as_ref()),
        _ => None,
    };
    status.is_some_and(|s| {
        s.message.contains("Too large resource version")
            || s.details.as_ref().is_some_and(|d| {
                d.causes
                    .iter()
                    .any(|c| c.reason == "ResourceVersionTooLarge")
            })
    })
}

/// The server refused the credentials (401) on a list or watch.
pub fn unauthorized(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::WatchError(s) => s.code == 401,
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.code == 401,
        _ => false,
    }
}

/// One heartbeat's verdict.
#[derive(Debug, Clone, PartialEq)]
enum Beat {
    Answered,
    /// An answer: 401, the credentials are refused.
    Unauthorized,
    /// No answer (refused, reset, TLS failure, or nothing in time).
    Silent(ApiError),
}

async fn beat(client: &Client, server: &str, activity: &Activity) -> Beat {
    match tokio::time::timeout(ANSWER_WITHIN, client.apiserver_version()).await {
        Ok(Ok(_)) => Beat::Answered,
        Ok(Err(kube::Error::Api(s))) if s.code == 401 => Beat::Unauthorized,
        // Any other HTTP answer (403, 500) is an answer.
        Ok(Err(kube::Error::Api(_))) => Beat::Answered,
        Ok(Err(e)) => Beat::Silent(ApiError::from(&e)),
        Err(_) if activity.quiet_for() < ANSWER_WITHIN => Beat::Answered,
        Err(_) => Beat::Silent(ApiError::new(
            ApiErrorKind::Timeout,
            format!(
                "no answer from {server} within {} s",
                ANSWER_WITHIN.as_secs()
            ),
        )),
    }
}

/// Runs until the app's channel closes, asking every `every` (`None`: no
/// heartbeat). Tells the app when the server goes silent
/// (`ClusterMsg::ServerSilent`, repeated with the time since), and asks the
/// session to restart its watchers when it answers again.
pub async fn heartbeat(
    session: SessionKey,
    every: Option<Duration>,
    conn: super::SharedConn,
    server: String,
    activity: Arc<Activity>,
    tx: mpsc::Sender<Msg>,
    restart: mpsc::Sender<Restart>,
) {
    let Some(every) = every else {
        // No heartbeat: the watchers' own retries are all there is.
        return std::future::pending().await;
    };
    let mut silent_since: Option<Instant> = None;
    let mut misses = 0u32;
    let mut wait = every;
    loop {
        tokio::time::sleep(wait).await;
        wait = every;
        let asked = Instant::now();
        // The session's current client: renewed credentials are used at once.
        let Some(client) = conn.client() else {
            continue;
        };
        let verdict = beat(&client, &server, &activity).await;
        if verdict == Beat::Unauthorized {
            // The session decides whether and when to renew (at most every
            // `RENEW_EVERY`); a full channel means it already knows.
            let _ = restart.try_send(Restart::Unauthorized { what: "heartbeat" });
        }
        match verdict {
            Beat::Answered | Beat::Unauthorized => {
                misses = 0;
                if let Some(since) = silent_since.take() {
                    let down_for = since.elapsed();
                    tracing::info!(?down_for, "API server answers again; resyncing");
                    if restart
                        .send(Restart::ServerBack { down_for })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Beat::Silent(error) => {
                misses += 1;
                // A refused or reset connection is unambiguous; a slow
                // answer is asked again at once and counts on the second.
                let down = misses >= 2 || error.kind == ApiErrorKind::Connect;
                if !down {
                    wait = Duration::ZERO;
                    continue;
                }
                let since = *silent_since.get_or_insert(asked);
                tracing::warn!(%error, silent_for = ?since.elapsed(), "API server silent");
                let msg = ClusterMsg::ServerSilent {
                    error,
                    for_secs: since.elapsed().as_secs(),
                };
                if tx.send(Msg::Cluster(session.clone(), msg)).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::{Status, response::StatusCause, response::StatusDetails};

    fn status(code: u16, message: &str, cause: Option<&str>) -> Box<Status> {
        let mut s = Status::failure(message, "Timeout").with_code(code);
        if let Some(c) = cause {
            s.details = Some(StatusDetails {
                name: String::new(),
                group: String::new(),
                kind: "pods".to_string(),
                uid: String::new(),
                causes: vec![StatusCause {
                    reason: c.to_string(),
                    message: message.to_string(),
                    field: String::new(),
                }],
                retry_after_seconds: 0,
            });
        }
        Box::new(s)
    }

    #[test]
    fn too_large_resource_versions_are_recognised_by_message_or_cause() {
        let msg = "Too large resource version: 5123, current: 310";
        assert!(version_ahead(&watcher::Error::WatchError(status(
            504, msg, None
        ))));
        assert!(version_ahead(&watcher::Error::WatchStartFailed(
            kube::Error::Api(status(
                504,
                "Timeout: request did not complete",
                Some("ResourceVersionTooLarge")
            ))
        )));
        assert!(!version_ahead(&watcher::Error::WatchError(status(
            410,
            "too old resource version: 1 (200)",
            None
        ))));
        assert!(!version_ahead(&watcher::Error::WatchStartFailed(
            kube::Error::Api(status(403, "pods is forbidden", None))
        )));
    }

    #[test]
    fn a_refused_list_or_watch_is_unauthorized_and_nothing_else_is() {
        let unauthorized = status(401, "Unauthorized", None);
        assert!(super::unauthorized(&watcher::Error::InitialListFailed(
            kube::Error::Api(unauthorized.clone())
        )));
        assert!(super::unauthorized(&watcher::Error::WatchError(
            unauthorized
        )));
        for (code, message) in [
            (403, "pods is forbidden"),
            (410, "too old resource version"),
        ] {
            assert!(!super::unauthorized(&watcher::Error::WatchStartFailed(
                kube::Error::Api(status(code, message, None))
            )));
        }
    }

    #[test]
    fn the_heartbeat_interval_is_the_variables_seconds_and_0_is_none() {
        assert_eq!(heartbeat_every(None), Some(HEARTBEAT_EVERY));
        assert_eq!(heartbeat_every(Some(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(heartbeat_every(Some("0")), None);
        assert_eq!(heartbeat_every(Some("soon")), Some(HEARTBEAT_EVERY));
    }

    #[test]
    fn activity_tells_how_long_the_watches_were_quiet() {
        let a = Activity::default();
        a.touch();
        assert!(a.quiet_for() < Duration::from_secs(1));
    }
}
