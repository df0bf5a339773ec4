//! Registry probes from this machine: DNS, TCP, TLS, plain-HTTP detection,
//! `GET /v2/`, authentication, and `HEAD` of the exact manifest, each step
//! timed and bounded by the plan's timeout, each result streamed as it comes.
//!
//! Cancellation: [`run`] is a plain future (drop it and everything stops:
//! connection drivers abort with their owner); [`spawn`] returns a handle
//! that aborts the task when dropped or cancelled.
//!
//! Safety: credentials never go over plain HTTP unless the plan says the user
//! confirmed it, never to a host other than the registry and the token realm
//! it names (redirects are not followed, so no `Authorization` leaves for
//! blob storage), and the realm's addresses pass `domain::realm`'s rule
//! first (no special-purpose, loopback or link-local address other than the
//! registry's own; a private one only by name, from a private registry).

mod auth;
mod blob;
pub mod dns;
mod manifest;
pub mod net;
mod run;
pub mod tunnel;
use auth::*;
use manifest::*;
pub use run::run;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use tokio::sync::mpsc;

use crate::domain::classify::Category;
use crate::domain::probe::{
    Challenge, Credential, Facts, INDEX_TYPES, MANIFEST_ACCEPT, ManifestFacts, ProbePlan,
    ProbeReport, ProxyEnv, ProxyUse, Side, Status, Step, StepResult, TcpFacts, TcpOutcome,
    TlsFacts, TlsFailure, addrs_with_scope, index_platforms, parse_challenges, proxy_use,
    realm_refusal, token_grants_pull,
};
use net::Http;

/// What the probe needs from its surroundings (read by the caller).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra trusted roots (e.g. `--ca-file`), on top of the platform's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub proxy: ProxyEnv,
    /// `--no-proxy`: connect directly even where a proxy applies.
    pub direct: bool,
}

impl Options {
    /// Proxy variables from the environment, as Go's `httpproxy` reads them.
    pub fn from_env() -> Options {
        let var = |names: &[&str]| {
            names.iter().find_map(|n| {
                std::env::var(n)
                    .ok()
                    .filter(|v| !v.is_empty())
                    .map(|v| (n.to_string(), v))
            })
        };
        Options {
            extra_roots: vec![],
            direct: false,
            proxy: ProxyEnv {
                https_proxy: var(&["HTTPS_PROXY", "https_proxy"]),
                http_proxy: var(&["HTTP_PROXY", "http_proxy"]),
                no_proxy: var(&["NO_PROXY", "no_proxy"]).map(|(_, v)| v),
            },
        }
    }

    /// Adds the certificates of a PEM file to the trusted roots.
    pub fn add_ca_file(&mut self, path: &std::path::Path) -> Result<usize, String> {
        use rustls::pki_types::pem::PemObject as _;
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut n = 0;
        for c in CertificateDer::pem_slice_iter(&pem) {
            let c = c.map_err(|e| format!("{}: {e}", path.display()))?;
            self.extra_roots.push(c);
            n += 1;
        }
        if n == 0 {
            return Err(format!("{}: no certificate in the file", path.display()));
        }
        Ok(n)
    }
}

/// The certificate `host:port` serves, from one TLS handshake within `t`
/// (through the proxy the runtime would use): kept even when it does not
/// verify (an expired one does not). For `check --certificates`.
pub async fn certificate(
    host: &str,
    port: u16,
    opts: &Options,
    t: Duration,
) -> Result<crate::domain::probe::CertInfo, String> {
    let verifier = net::platform_verifier(&opts.extra_roots)?;
    let stream = match tunnel::via(opts, host, port, true) {
        Some(via) => {
            tunnel::dial(&via, host, port, true, t)
                .await
                .map_err(|(_, why)| why)?
                .stream
        }
        None => {
            let addrs = dns::resolve(host, port, None, t).await.addrs();
            // A pod's image names any host: one on a link-local or
            // special-purpose address (a cloud metadata endpoint) is not a
            // registry this check goes to unasked.
            if let Some(ip) = addrs.iter().copied().find(|ip| {
                matches!(
                    crate::domain::ipscope::IpScope::of(*ip),
                    crate::domain::ipscope::IpScope::LinkLocal
                        | crate::domain::ipscope::IpScope::Special
                )
            }) {
                return Err(format!(
                    "not contacted: {host} resolves to {ip} ({}); `pulltui probe` checks it \
                     when asked",
                    crate::domain::ipscope::IpScope::of(ip).id()
                ));
            }
            let dialled = net::connect(&addrs, port, t).await;
            dialled.stream.ok_or(dialled.detail)?
        }
    };
    let tls = net::handshake(stream, host, verifier, t).await;
    match (tls.chain.into_iter().next(), tls.failure) {
        (Some(c), _) => Ok(c),
        (None, Some(f)) => Err(f.describe()),
        (None, None) => Err("no certificate served".to_string()),
    }
}

/// This machine's platform, as a node would name it (`linux/amd64`).
pub fn this_platform() -> crate::domain::probe::Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    crate::domain::probe::Platform::new("linux", arch)
}

/// What a spawned probe reports.
#[derive(Debug, Clone)]
pub enum ProbeEvent {
    Step(StepResult),
    Done(ProbeReport),
}

/// A running probe. Dropping it (or [`ProbeHandle::cancel`]) stops it.
pub struct ProbeHandle {
    rx: mpsc::Receiver<ProbeEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl ProbeHandle {
    /// The next step or the final report; `None` once done or cancelled.
    pub async fn next(&mut self) -> Option<ProbeEvent> {
        self.rx.recv().await
    }

    pub fn cancel(self) {
        self.task.abort();
    }
}

impl Drop for ProbeHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a probe on the current runtime; its steps arrive on the handle.
pub fn spawn(plan: ProbePlan, opts: Options) -> ProbeHandle {
    let (tx, rx) = mpsc::channel(16);
    let task = tokio::spawn(async move {
        let step_tx = tx.clone();
        let report = run(&plan, &opts, |s| {
            // A full channel means nobody reads: drop the step, the report has it.
            let _ = step_tx.try_send(ProbeEvent::Step(s.clone()));
        })
        .await;
        let _ = tx.send(ProbeEvent::Done(report)).await;
    });
    ProbeHandle { rx, task }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_url_encoded() {
        assert_eq!(
            urlencode("repository:team/app:pull"),
            "repository%3Ateam%2Fapp%3Apull"
        );
    }

    #[tokio::test]
    async fn a_certificate_is_not_fetched_from_a_metadata_address() {
        let t = Duration::from_millis(500);
        for host in ["169.254.169.254", "fe80::1", "0.0.0.0"] {
            let got = certificate(host, 443, &Options::default(), t).await;
            let why = got.expect_err("refused");
            assert!(why.starts_with("not contacted"), "{host}: {why}");
        }
    }
}
