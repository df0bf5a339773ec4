//! Credentials the API server refuses (401) are renewed as kubectl would:
//! the client is built again from the kubeconfig (an exec plugin runs
//! again, a token a login rewrote is read again) — on the context and
//! server the session started with, whatever `current-context` says now.

use std::time::Duration;

use super::{ApiError, ApiErrorKind, Connection, Target, bounded, connect};

/// Credentials refused with 401 are renewed at most this often (the
/// heartbeat and every watcher report each 401).
const RENEW_EVERY: Duration = Duration::from_secs(30);

/// What renewing the credentials gave.
pub(super) enum Renewed {
    /// A client built again from the kubeconfig, and the server accepts it.
    Now(Connection),
    /// Renewed less than `RENEW_EVERY` ago.
    NotYet,
    /// Renewing failed or the server refuses the new credentials too.
    Refused(ApiError),
}

/// Renews a session's credentials after a 401, as kubectl does: the client
/// is built again from the kubeconfig, which re-runs an exec plugin (whose
/// token may have been revoked or rotated before the expiry it gave, or
/// came with none) and re-reads tokens and OIDC refresh tokens a login in
/// another shell may have written.
/// The target a session renews its credentials with: the context it
/// started on, by name (not whatever `current-context` says later).
pub(super) fn pinned(target: &Target, conn: &Connection) -> Target {
    let in_cluster = target.context.is_none() && conn.context.as_deref() == Some("in-cluster");
    Target {
        context: if in_cluster {
            None
        } else {
            conn.context.clone().or(target.context.clone())
        },
        ..target.clone()
    }
}

pub(super) struct Renewal {
    last: Option<std::time::Instant>,
    /// The server the session started on.
    pub(super) server: String,
}

impl Renewal {
    /// A renewal for a session connected to `server`.
    pub(super) fn new(server: String) -> Self {
        Renewal { last: None, server }
    }

    pub(super) async fn renew(&mut self, target: &Target, what: &'static str) -> Renewed {
        if self.last.is_some_and(|t| t.elapsed() < RENEW_EVERY) {
            return Renewed::NotYet;
        }
        self.last = Some(std::time::Instant::now());
        tracing::info!(
            what,
            "the API server refused the credentials (401): building the client again from \
             the kubeconfig"
        );
        let refused = |message: String| ApiError::new(ApiErrorKind::Status(401), message);
        let built = {
            let target = target.clone();
            bounded(
                async move { connect(&target).await },
                "no new credentials — the kubeconfig's exec credential plugin is probably \
                 waiting for a login or hung",
            )
            .await
        };
        let fresh = match built {
            Ok(Ok(c)) if !self.server.is_empty() && c.server != self.server => {
                tracing::warn!(now = %c.server, was = %self.server, "the context names another server");
                return Renewed::Refused(refused(format!(
                    "the kubeconfig's context {} now names another server ({}, was {}): \
                     pulltui stays on the one it started with; press r to connect again \
                     as the kubeconfig says now",
                    c.context.as_deref().unwrap_or("?"),
                    c.server,
                    self.server
                )));
            }
            Ok(Ok(c)) => c,
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(error = %e, "renewing the credentials");
                return Renewed::Refused(refused(format!(
                    "renewing them from the kubeconfig failed ({e}) — log in again as kubectl \
                     would ask; pulltui tries again every {} s, r at once",
                    RENEW_EVERY.as_secs()
                )));
            }
        };
        let client = fresh.client.clone();
        let answer = bounded(
            async move { client.apiserver_version().await },
            "no answer with the renewed credentials",
        )
        .await;
        match answer {
            Ok(Err(kube::Error::Api(s))) if s.code == 401 => {
                tracing::warn!("the renewed credentials are refused too (401)");
                Renewed::Refused(refused(format!(
                    "the kubeconfig's credentials, read again, are refused too — log in again \
                     as kubectl would ask; pulltui tries again every {} s, r at once",
                    RENEW_EVERY.as_secs()
                )))
            }
            // Accepted, or no answer: the heartbeat tells a silent server.
            _ => Renewed::Now(fresh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(dir: &std::path::Path, current: &str) -> std::path::PathBuf {
        let p = dir.join("config");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {{server: 'https://127.0.0.1:9'}}\n\
             - name: b\n  cluster: {{server: 'https://127.0.0.2:9'}}\nusers:\n- name: u\n  user: {{token: t}}\n\
             contexts:\n- name: ops\n  context: {{cluster: a, user: u}}\n- name: other\n  context: {{cluster: b, user: u}}\n\
             current-context: {current}\n"
        );
        std::fs::write(&p, text).expect("kubeconfig");
        p
    }

    #[tokio::test]
    async fn renewal_stays_on_the_context_and_server_it_started_with() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = kubeconfig(dir.path(), "ops");
        let start = Target {
            kubeconfig: Some(path.clone()),
            context: None,
            non_interactive: true,
        };
        let conn = connect(&start).await.expect("connect");
        assert_eq!(conn.context.as_deref(), Some("ops"));
        let target = pinned(&start, &conn);
        assert_eq!(target.context.as_deref(), Some("ops"));
        // Someone runs `kubectl config use-context other` meanwhile.
        kubeconfig(dir.path(), "other");
        let mut renewal = Renewal::new(conn.server.clone());
        match renewal.renew(&target, "test").await {
            Renewed::Now(c) => {
                assert_eq!(c.context.as_deref(), Some("ops"));
                assert_eq!(c.server, conn.server);
            }
            _ => panic!("the pinned context renews"),
        }
        // Unpinned, the same renewal would have moved to the other server:
        // the server guard refuses it.
        let mut renewal = Renewal::new(conn.server.clone());
        match renewal.renew(&start, "test").await {
            Renewed::Refused(e) => assert!(e.message.contains("another server"), "{e:?}"),
            _ => panic!("a move to another server must be refused"),
        }
    }
}
