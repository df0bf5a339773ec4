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

pub mod dns;
pub mod net;

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

fn basic(c: &Credential) -> String {
    let raw = format!("{}:{}", c.username, c.password.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    )
}

/// The auth step: which credentials work, and the `Authorization` value
/// the manifest request uses.
async fn authenticate(
    plan: &ProbePlan,
    conn: &mut Http,
    challenges: &[Challenge],
    plain: bool,
    registry_ip: IpAddr,
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
) -> (StepResult, Option<String>) {
    let (creds, _) = plan.credentials_to_try();
    let untried = plan.untried_note();
    let bearer = challenges.iter().find(|c| c.scheme == "bearer");
    let basic_ch = challenges.iter().find(|c| c.scheme == "basic");
    if bearer.is_none() && basic_ch.is_none() {
        if !challenges.is_empty() {
            let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
            return (
                StepResult::fail(
                    Step::Auth,
                    0,
                    Category::AuthNoCredentials,
                    format!("unsupported challenge scheme(s): {}", schemes.join(", ")),
                ),
                None,
            );
        }
        let d = if creds.is_empty() {
            "anonymous access (the registry asks for no credentials)".to_string()
        } else {
            "the registry asks for no credentials (none sent)".to_string()
        };
        return (StepResult::ok(Step::Auth, 0, d), None);
    }
    if let Some(ch) = bearer {
        return bearer_flow(plan, ch, plain, registry_ip, verifier, t).await;
    }
    // Basic.
    if creds.is_empty() {
        return (
            StepResult::fail(
                Step::Auth,
                0,
                Category::AuthNoCredentials,
                "the registry requires credentials (Basic) and none were given: no pull secret \
                 covers this host",
            ),
            None,
        );
    }
    if plain && !plan.allow_plain_http_credentials {
        return (StepResult::skipped(Step::Auth, PLAIN_REFUSAL), None);
    }
    let mut rejected = vec![];
    for c in creds {
        let value = basic(c);
        match conn
            .request("GET", "/v2/", &[("Authorization", value.clone())])
            .await
        {
            Ok(resp) if (200..300).contains(&resp.status) => {
                return (
                    StepResult::ok(
                        Step::Auth,
                        0,
                        format!(
                            "credentials valid (Basic): user {} from {}{untried}",
                            c.username, c.source
                        ),
                    ),
                    Some(value),
                );
            }
            Ok(resp) => rejected.push(format!(
                "user {} from {}: {}",
                c.username, c.source, resp.status
            )),
            Err(e) => rejected.push(format!("user {} from {}: {e}", c.username, c.source)),
        }
    }
    (
        StepResult::fail(
            Step::Auth,
            0,
            Category::AuthNoCredentials,
            format!(
                "credentials invalid (rejected): {}{untried}",
                rejected.join("; ")
            ),
        ),
        None,
    )
}

const PLAIN_REFUSAL: &str = "credentials not sent: the registry speaks plain HTTP (confirm with \
                             --allow-plain-http-credentials to send them anyway)";

async fn bearer_flow(
    plan: &ProbePlan,
    ch: &Challenge,
    plain: bool,
    registry_ip: IpAddr,
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
) -> (StepResult, Option<String>) {
    let fail = |c: Category, d: String| (StepResult::fail(Step::Auth, 0, c, d), None);
    let Some(realm) = ch.param("realm") else {
        return fail(
            Category::AuthNoCredentials,
            "Bearer challenge without a realm".into(),
        );
    };
    let Ok(uri) = realm.parse::<http::Uri>() else {
        return fail(Category::Unknown, format!("invalid realm {realm:?}"));
    };
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return fail(
                Category::Unknown,
                format!("realm {realm:?} is not an http(s) URL"),
            );
        }
    };
    let Some(rhost) = uri
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
    else {
        return fail(Category::Unknown, format!("realm {realm:?} has no host"));
    };
    let rport = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    // Where does the realm live? Refuse private / link-local / loopback
    // addresses other than the registry's own (a token realm must not
    // point our credentials into the local network).
    let ips: Vec<IpAddr> = match rhost.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => match tokio::net::lookup_host((rhost.as_str(), rport)).await {
            Ok(a) => a.map(|s| s.ip()).collect(),
            Err(e) => return fail(Category::NetworkDns, format!("realm host {rhost}: {e}")),
        },
    };
    if ips.is_empty() {
        return fail(
            Category::NetworkDns,
            format!("realm host {rhost}: the resolver answered with no address"),
        );
    }
    if let Some(why) = realm_refusal(realm, &ips, registry_ip) {
        return fail(Category::Unknown, why);
    }
    // Checked above: every address passed, and there is at least one.
    let Some(&realm_ip) = ips.first() else {
        return fail(
            Category::NetworkDns,
            format!("realm host {rhost}: no address"),
        );
    };
    let (creds, _) = plan.credentials_to_try();
    let untried = plan.untried_note();
    if (!https || plain) && !creds.is_empty() && !plan.allow_plain_http_credentials {
        return (StepResult::skipped(Step::Auth, PLAIN_REFUSAL), None);
    }
    let service = ch.param("service");
    let scope = plan.pull_scope();
    let mut query = vec![];
    if let Some(s) = service {
        query.push(format!("service={}", urlencode(s)));
    }
    query.push(format!("scope={}", urlencode(&scope)));
    let path = format!(
        "{}?{}",
        if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        },
        query.join("&")
    );
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or(rhost.clone());
    let addr = SocketAddr::new(realm_ip, rport);
    let mut tries: Vec<Option<&Credential>> = creds.iter().map(Some).collect();
    if tries.is_empty() {
        tries.push(None);
    }
    let mut rejected = vec![];
    let mut no_scope = vec![];
    for c in tries {
        let headers: Vec<(&str, String)> = c
            .map(|c| vec![("Authorization", basic(c))])
            .unwrap_or_default();
        let resp = match fetch(
            addr,
            &rhost,
            &authority,
            https,
            &path,
            &headers,
            verifier.clone(),
            t,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => return fail(Category::Unknown, format!("token request to {realm}: {e}")),
        };
        let who = c
            .map(|c| format!("user {} from {}", c.username, c.source))
            .unwrap_or_else(|| "anonymous".to_string());
        if resp.status != 200 {
            rejected.push(format!("{who}: {}", resp.status));
            continue;
        }
        let token = serde_json::from_slice::<serde_json::Value>(&resp.body)
            .ok()
            .and_then(|v| {
                v.get("token")
                    .or_else(|| v.get("access_token"))
                    .and_then(|t| t.as_str())
                    .map(crate::domain::redact::Redacted::new)
            });
        let Some(token) = token else {
            rejected.push(format!("{who}: no token or access_token in the answer"));
            continue;
        };
        match token_grants_pull(token.expose(), &plan.image.repository) {
            Some(false) => no_scope.push(who),
            grants => {
                let how = if grants == Some(true) {
                    format!("the token grants {scope}")
                } else {
                    "token issued (opaque: the manifest request tells whether it grants pull)"
                        .to_string()
                };
                let d = if c.is_some() {
                    format!("credentials valid (Bearer via {realm}): {who}; {how}{untried}")
                } else {
                    format!("anonymous token from {realm}; {how}")
                };
                return (
                    StepResult::ok(Step::Auth, 0, d),
                    Some(format!("Bearer {}", token.expose())),
                );
            }
        }
    }
    if creds.is_empty() {
        if !no_scope.is_empty() {
            return fail(
                Category::AuthNoCredentials,
                format!(
                    "the anonymous token grants no {scope}: credentials are needed and none were given"
                ),
            );
        }
        return fail(
            Category::AuthNoCredentials,
            format!(
                "the token server refused an anonymous token ({}): credentials needed",
                rejected.join("; ")
            ),
        );
    }
    if !no_scope.is_empty() {
        return fail(
            Category::AuthDenied,
            format!(
                "credentials valid but without pull scope: the token for {} grants no \
                 {scope}{untried}",
                no_scope.join(", ")
            ),
        );
    }
    fail(
        Category::AuthNoCredentials,
        format!(
            "credentials invalid (rejected by {realm}): {}{untried}",
            rejected.join("; ")
        ),
    )
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One request on a fresh connection (the token realm).
#[allow(clippy::too_many_arguments)]
async fn fetch(
    addr: SocketAddr,
    host: &str,
    authority: &str,
    https: bool,
    path: &str,
    headers: &[(&str, String)],
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
) -> Result<net::Response, String> {
    let tcp = tokio::time::timeout(t, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| format!("connect to {addr} timed out"))?
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    let io: Box<dyn net::Io> = if https {
        let tls = net::handshake(tcp, host, verifier, t).await;
        match (tls.stream, tls.failure) {
            (Some(s), _) => s,
            (None, Some(f)) => return Err(format!("TLS: {}", f.describe())),
            (None, None) => return Err("TLS failed".into()),
        }
    } else {
        Box::new(tcp)
    };
    let mut c = Http::new(io, authority.to_string(), https).await?;
    let resp = c.request("GET", path, headers).await?;
    if (300..400).contains(&resp.status) {
        return Err(format!(
            "redirected ({}) to {}: not followed, credentials stay with the realm",
            resp.status,
            resp.header("location").unwrap_or("?")
        ));
    }
    Ok(resp)
}

/// `HEAD` of the exact manifest; on 404 the tag list tells tag from repository.
async fn manifest(plan: &ProbePlan, conn: &mut Http, authorization: Option<&str>) -> StepResult {
    let image = &plan.image;
    let reference = image.manifest_reference();
    let path = format!("/v2/{}/manifests/{}", image.repository, reference);
    let mut headers = vec![("Accept", MANIFEST_ACCEPT.to_string())];
    if let Some(a) = authorization {
        headers.push(("Authorization", a.to_string()));
    }
    let fail = |c: Category, d: String| StepResult::fail(Step::Manifest, 0, c, d);
    let resp = match conn.request("HEAD", &path, &headers).await {
        Ok(r) => r,
        Err(e) => return fail(Category::Unknown, format!("HEAD {path}: {e}")),
    };
    match resp.status {
        200..=299 => {
            let digest = resp.header("docker-content-digest").map(str::to_string);
            let media_type = resp
                .header("content-type")
                .map(|m| m.split(';').next().unwrap_or(m).trim().to_string());
            let mut facts = ManifestFacts {
                digest: digest.clone(),
                media_type: media_type.clone(),
                platforms: vec![],
                platform_present: None,
            };
            let mut detail = format!(
                "exists: {} {}",
                digest.as_deref().unwrap_or("(no digest header)"),
                media_type.as_deref().unwrap_or("(no media type)")
            );
            let is_index = media_type
                .as_deref()
                .is_some_and(|m| INDEX_TYPES.contains(&m));
            if is_index {
                if image.is_docker_hub() {
                    detail.push_str(
                        "; an index (platforms not listed: a GET would count against Docker \
                         Hub's pull limit)",
                    );
                } else {
                    let by = digest.as_deref().unwrap_or(reference);
                    let get = format!("/v2/{}/manifests/{}", image.repository, by);
                    match conn.request("GET", &get, &headers).await {
                        Ok(r) if r.status == 200 => match index_platforms(&r.body) {
                            Ok(p) => {
                                let present = p.iter().any(|e| plan.platform.served_by(e));
                                let list = p
                                    .iter()
                                    .map(|x| x.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                facts.platforms = p;
                                facts.platform_present = Some(present);
                                if !present {
                                    return fail(
                                        Category::ImagePlatform,
                                        format!(
                                            "{detail}; an index for {list}: no image for the node's \
                                             platform {}",
                                            plan.platform
                                        ),
                                    )
                                    .with_facts(Facts::Manifest(facts));
                                }
                                detail.push_str(&format!(
                                    "; index for {list} (the node's {} is there)",
                                    plan.platform
                                ));
                            }
                            Err(e) => detail.push_str(&format!("; index unreadable: {e}")),
                        },
                        Ok(r) => {
                            detail.push_str(&format!("; GET of the index answered {}", r.status))
                        }
                        Err(e) => detail.push_str(&format!("; GET of the index: {e}")),
                    }
                }
            }
            StepResult::ok(Step::Manifest, 0, detail).with_facts(Facts::Manifest(facts))
        }
        404 => {
            let tags_path = format!("/v2/{}/tags/list", image.repository);
            let mut h = vec![];
            if let Some(a) = authorization {
                h.push(("Authorization", a.to_string()));
            }
            match conn.request("GET", &tags_path, &h).await {
                Ok(r) if r.status == 200 => {
                    let tags: Vec<String> = serde_json::from_slice::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|v| v.get("tags").cloned())
                        .and_then(|t| serde_json::from_value(t).ok())
                        .unwrap_or_default();
                    let shown: Vec<&str> = tags.iter().take(10).map(String::as_str).collect();
                    let more = if tags.len() > 10 {
                        format!(" (+{} more)", tags.len() - 10)
                    } else {
                        String::new()
                    };
                    fail(
                        Category::ImageNotFound,
                        format!(
                            "tag unknown: {reference} is not in {} (tags: {}{more})",
                            image.repository,
                            if shown.is_empty() {
                                "none".to_string()
                            } else {
                                shown.join(", ")
                            }
                        ),
                    )
                }
                Ok(r) if r.status == 404 => fail(
                    Category::ImageNotFound,
                    format!(
                        "repository unknown: {} does not exist in {}",
                        image.repository, image.registry
                    ),
                ),
                Ok(r) => fail(
                    Category::ImageNotFound,
                    format!(
                        "manifest unknown: {reference} (404); the tag list answered {}",
                        r.status
                    ),
                ),
                Err(e) => fail(
                    Category::ImageNotFound,
                    format!("manifest unknown: {reference} (404); the tag list: {e}"),
                ),
            }
        }
        401 => {
            let ch = resp
                .header("www-authenticate")
                .map(parse_challenges)
                .unwrap_or_default();
            let insufficient = ch
                .iter()
                .any(|c| c.param("error") == Some("insufficient_scope"));
            if insufficient || (authorization.is_some() && !plan.credentials.is_empty()) {
                fail(
                    Category::AuthDenied,
                    format!(
                        "401{}: the credentials are valid but grant no pull on {}",
                        if insufficient {
                            " insufficient_scope"
                        } else {
                            ""
                        },
                        image.repository
                    ),
                )
            } else {
                fail(
                    Category::AuthNoCredentials,
                    "401: credentials needed".to_string(),
                )
            }
        }
        403 => fail(
            Category::AuthDenied,
            format!("403: pull of {} denied", image.repository),
        ),
        429 => fail(Category::RegistryRateLimit, "429: too many requests".into()),
        s @ 300..=399 => fail(
            Category::Unknown,
            format!(
                "{s}: redirected to {} (not followed: credentials never go to another host)",
                resp.header("location").unwrap_or("?")
            ),
        ),
        s @ 500..=599 => fail(Category::RegistryServerError, format!("{s}: server error")),
        s => fail(Category::Unknown, format!("HEAD {path} answered {s}")),
    }
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
