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
pub mod dns;
mod manifest;
pub mod net;
use auth::*;
use manifest::*;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use tokio::sync::mpsc;

use crate::domain::classify::Category;
use crate::domain::probe::{
    Challenge, Credential, Facts, INDEX_TYPES, MANIFEST_ACCEPT, ManifestFacts, ProbePlan,
    ProbeReport, ProxyEnv, ProxyUse, Side, Status, Step, StepResult, TcpFacts, TlsFacts,
    TlsFailure, index_platforms, parse_challenges, proxy_use, realm_refusal, token_grants_pull,
};
use net::Http;

/// What the probe needs from its surroundings (read by the caller).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra trusted roots (e.g. `--ca-file`), on top of the platform's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub proxy: ProxyEnv,
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

struct Run<'a, F: FnMut(&StepResult)> {
    plan: &'a ProbePlan,
    report: ProbeReport,
    on_step: F,
}

impl<F: FnMut(&StepResult)> Run<'_, F> {
    fn push(&mut self, r: StepResult) {
        (self.on_step)(&r);
        self.report.steps.push(r);
    }

    /// Marks every step after the last one pushed as skipped.
    fn skip_rest(&mut self, why: &str) {
        let done = self.report.steps.len();
        for s in Step::ALL.into_iter().skip(done) {
            self.push(StepResult::skipped(s, why.to_string()));
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.plan.step_timeout_ms.max(1))
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Runs the plan; `on_step` sees each result as soon as it is known.
pub async fn run(
    plan: &ProbePlan,
    opts: &Options,
    on_step: impl FnMut(&StepResult),
) -> ProbeReport {
    let mut r = Run {
        plan,
        report: ProbeReport::new(Side::Laptop, &plan.image),
        on_step,
    };
    let t = r.timeout();
    let host = plan.api_host().to_string();
    let port = plan.port();

    // ---- dns
    let started = Instant::now();
    let facts = dns::resolve(&host, port, plan.nameserver, t).await;
    let (status, category, detail) = facts.result(&host);
    let addrs = facts.addrs();
    r.push(StepResult {
        step: Step::Dns,
        status,
        ms: ms(started),
        detail,
        category,
        facts: Facts::Dns(facts),
    });
    if status == Status::Fail {
        r.skip_rest("DNS failed");
        return r.report;
    }

    // ---- tcp
    let proxy = proxy_use(&opts.proxy, &host, port, true);
    let started = Instant::now();
    let net::Dialled {
        outcome,
        addr,
        stream,
        mut detail,
        attempts,
    } = net::connect(&addrs, port, t).await;
    match &proxy {
        ProxyUse::None => {}
        ProxyUse::Applies { var, url } => detail.push_str(&format!(
            "; {var}={url} applies to this host: a runtime with that variable goes through the \
             proxy, this probe connects directly"
        )),
        ProxyUse::Exempt { entry } => detail.push_str(&format!(
            "; a proxy is set but NO_PROXY exempts this host ({entry})"
        )),
    }
    let category = outcome.category();
    let tcp = StepResult {
        step: Step::Tcp,
        status: if stream.is_some() {
            Status::Ok
        } else {
            Status::Fail
        },
        ms: ms(started),
        detail,
        category,
        facts: Facts::Tcp(TcpFacts {
            outcome: outcome.clone(),
            addr,
            proxy,
            attempts,
        }),
    };
    r.push(tcp);
    let (Some(stream), Some(addr)) = (stream, addr) else {
        r.skip_rest("TCP connect failed");
        return r.report;
    };

    // ---- tls
    let verifier = match net::platform_verifier(&opts.extra_roots) {
        Ok(v) => v,
        Err(e) => {
            r.push(StepResult::fail(Step::Tls, 0, Category::Unknown, e));
            r.skip_rest("no trusted roots");
            return r.report;
        }
    };
    let started = Instant::now();
    let tls = net::handshake(stream, &host, verifier.clone(), t).await;
    let facts = TlsFacts {
        failure: tls.failure.clone(),
        chain: tls.chain.clone(),
    };
    let (status, category, detail) = facts.result(tls.protocol.as_deref());
    r.push(StepResult {
        step: Step::Tls,
        status,
        ms: ms(started),
        detail,
        category,
        facts: Facts::Tls(facts),
    });

    // ---- http (plain-HTTP detection)
    let authority = plan.authority();
    let mut conn = match (tls.stream, &tls.failure) {
        (Some(s), _) => {
            r.push(StepResult::skipped(Step::Http, "the port speaks TLS"));
            match Http::new(s, authority.clone(), true).await {
                Ok(c) => c,
                Err(e) => {
                    r.push(StepResult::fail(Step::V2, 0, Category::Unknown, e));
                    r.skip_rest("no HTTP connection");
                    return r.report;
                }
            }
        }
        (None, Some(TlsFailure::PlainHttp)) => {
            let started = Instant::now();
            match plain_v2(addr, &authority, t).await {
                Ok((c, status)) => {
                    r.push(StepResult::ok(
                        Step::Http,
                        ms(started),
                        format!(
                            "the port speaks plain HTTP (GET /v2/ answered {status}); runtimes \
                             need it configured as an insecure / HTTP registry"
                        ),
                    ));
                    c
                }
                Err(e) => {
                    r.push(StepResult::fail(
                        Step::Http,
                        ms(started),
                        Category::Unknown,
                        e,
                    ));
                    r.skip_rest("no HTTP answer");
                    return r.report;
                }
            }
        }
        (None, _) => {
            r.push(StepResult::skipped(
                Step::Http,
                "TLS failed (the port did not answer in plain HTTP either)",
            ));
            r.skip_rest("TLS failed");
            return r.report;
        }
    };

    // ---- v2
    let started = Instant::now();
    let v2 = tokio::time::timeout(t, conn.request("GET", "/v2/", &[])).await;
    let resp = match v2 {
        Err(_) => {
            r.push(StepResult::fail(
                Step::V2,
                ms(started),
                Category::NetworkTimeout,
                format!("GET /v2/: no answer within {} ms", t.as_millis()),
            ));
            r.skip_rest("GET /v2/ failed");
            return r.report;
        }
        Ok(Err(e)) => {
            r.push(StepResult::fail(
                Step::V2,
                ms(started),
                Category::Unknown,
                format!("GET /v2/: {e}"),
            ));
            r.skip_rest("GET /v2/ failed");
            return r.report;
        }
        Ok(Ok(resp)) => resp,
    };
    let challenges = resp
        .header("www-authenticate")
        .map(parse_challenges)
        .unwrap_or_default();
    let described = challenges
        .iter()
        .map(Challenge::describe)
        .collect::<Vec<_>>()
        .join(", ");
    let took = ms(started);
    let v2 = match resp.status {
        200 => StepResult::ok(
            Step::V2,
            took,
            "200: the registry API answers without authentication",
        ),
        401 if !challenges.is_empty() => StepResult::ok(
            Step::V2,
            took,
            format!("401: authentication required: {described}"),
        ),
        401 => StepResult::fail(
            Step::V2,
            took,
            Category::AuthNoCredentials,
            "401 without a WWW-Authenticate challenge",
        ),
        429 => StepResult::fail(
            Step::V2,
            took,
            Category::RegistryRateLimit,
            "429: too many requests",
        ),
        s @ 500..=599 => StepResult::fail(
            Step::V2,
            took,
            Category::RegistryServerError,
            format!("{s}: server error"),
        ),
        404 => StepResult::fail(
            Step::V2,
            took,
            Category::Unknown,
            "404: no registry API (/v2/) on this port",
        ),
        s => StepResult::fail(
            Step::V2,
            took,
            Category::Unknown,
            format!("GET /v2/ answered {s}"),
        ),
    }
    .with_facts(Facts::Challenge {
        challenges: challenges.clone(),
    });
    let v2_failed = v2.status == Status::Fail;
    r.push(v2);
    if v2_failed {
        r.skip_rest("GET /v2/ failed");
        return r.report;
    }

    // ---- auth
    let started = Instant::now();
    let plain = !conn.https;
    let auth = tokio::time::timeout(
        t,
        authenticate(
            plan,
            &mut conn,
            &challenges,
            plain,
            addr.ip(),
            verifier.clone(),
            t,
        ),
    )
    .await;
    let (auth_result, authorization) = match auth {
        Err(_) => (
            StepResult::fail(
                Step::Auth,
                ms(started),
                Category::NetworkTimeout,
                format!("no answer within {} ms", t.as_millis()),
            ),
            None,
        ),
        Ok((mut res, authz)) => {
            res.ms = ms(started);
            (res, authz)
        }
    };
    let auth_ok = auth_result.status == Status::Ok;
    let auth_skipped = auth_result.status == Status::Skipped;
    r.push(auth_result);
    if !auth_ok {
        r.skip_rest(if auth_skipped {
            "no credentials may be sent"
        } else {
            "authentication failed"
        });
        return r.report;
    }

    // ---- manifest
    let started = Instant::now();
    let res = tokio::time::timeout(t, manifest(plan, &mut conn, authorization.as_deref())).await;
    let res = match res {
        Err(_) => StepResult::fail(
            Step::Manifest,
            0,
            Category::NetworkTimeout,
            format!(
                "HEAD of the manifest: no answer within {} ms",
                t.as_millis()
            ),
        ),
        Ok(r) => r,
    };
    let mut res = res;
    res.ms = ms(started);
    r.push(res);
    r.report
}

/// A fresh plain-HTTP connection and `GET /v2/` on it.
async fn plain_v2(addr: SocketAddr, authority: &str, t: Duration) -> Result<(Http, u16), String> {
    let fut = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("reconnecting to {addr}: {e}"))?;
        let mut c = Http::new(Box::new(tcp), authority.to_string(), false).await?;
        let resp = c.request("GET", "/v2/", &[]).await?;
        Ok::<_, String>((c, resp.status))
    };
    tokio::time::timeout(t, fut)
        .await
        .map_err(|_| format!("no plain-HTTP answer within {} ms", t.as_millis()))?
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
}
