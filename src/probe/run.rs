//! The probe's run, one method per step in the order they depend on each
//! other: DNS gives the addresses, TCP the stream, TLS (or plain HTTP) the
//! connection, `GET /v2/` the challenges, authentication the header the
//! manifest's `HEAD` sends. A step that fails skips the rest.

use super::*;

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
    // `None`: a step failed and the rest are marked skipped.
    let _: Option<()> = r.steps(opts).await;
    r.report
}

struct Run<'a, F: FnMut(&StepResult)> {
    plan: &'a ProbePlan,
    report: ProbeReport,
    on_step: F,
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
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

    /// Skips the rest and stops the run.
    fn stop<T>(&mut self, why: &str) -> Option<T> {
        self.skip_rest(why);
        None
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.plan.step_timeout_ms.max(1))
    }

    async fn steps(&mut self, opts: &Options) -> Option<()> {
        let t = self.timeout();
        let host = self.plan.api_host().to_string();
        let port = self.plan.port();
        let via = tunnel::via(opts, &host, port, true);
        let addrs = self.dns(&host, port, via.as_ref(), t).await?;
        let (stream, dialled) = self.tcp(opts, &addrs, &host, port, via.as_ref(), t).await?;
        // Through a proxy, the registry's address is the local answer (the
        // realm and blob-host rules compare against it), if any.
        let addr = match (&via, addrs.first()) {
            (Some(_), Some(ip)) => SocketAddr::new(*ip, port),
            _ => dialled,
        };
        let verifier = match net::platform_verifier(&opts.extra_roots) {
            Ok(v) => v,
            Err(e) => {
                self.push(StepResult::fail(Step::Tls, 0, Category::Unknown, e));
                return self.stop("no trusted roots");
            }
        };
        let tls = self
            .tls(stream, &host, via.as_ref(), verifier.clone(), t)
            .await;
        let mut conn = self.http(tls, opts, &addrs, t).await?;
        let challenges = self.v2(&mut conn, t).await?;
        let reach = auth::Reach {
            opts,
            registry_ip: addr.ip(),
            verifier: verifier.clone(),
            t,
        };
        let authorization = self.auth(&mut conn, &challenges, &reach).await?;
        let facts = self
            .manifest(&mut conn, authorization.as_deref(), t)
            .await?;
        let body = self
            .digest(&mut conn, authorization.as_deref(), &facts, t)
            .await?;
        let started = Instant::now();
        let leg = blob::Leg {
            plan: self.plan,
            opts,
            registry_ip: addr.ip(),
            authorization: authorization.as_deref(),
            verifier,
            t,
        };
        let leg = blob::blob(leg, &mut conn, body);
        // Each hop has its own timeouts; the whole leg is bounded too.
        let mut res = match tokio::time::timeout(t * 4, leg).await {
            Ok(r) => r,
            Err(_) => StepResult::fail(
                Step::Blob,
                0,
                Category::NetworkTimeout,
                format!(
                    "the blob leg did not finish within {} ms",
                    (t * 4).as_millis()
                ),
            ),
        };
        res.ms = ms(started);
        self.push(res);
        Some(())
    }

    /// The manifest by the digest the tag resolved to.
    async fn digest(
        &mut self,
        conn: &mut Http,
        authorization: Option<&str>,
        facts: &ManifestFacts,
        t: Duration,
    ) -> Option<Bytes> {
        let started = Instant::now();
        let fut = blob::digest(self.plan, conn, authorization, facts);
        let (mut res, body) = match tokio::time::timeout(t, fut).await {
            Ok(r) => r,
            Err(_) => (
                StepResult::fail(
                    Step::Digest,
                    0,
                    Category::NetworkTimeout,
                    format!(
                        "GET of the manifest by digest: no answer within {} ms",
                        t.as_millis()
                    ),
                ),
                None,
            ),
        };
        res.ms = ms(started);
        let skipped = res.status == Status::Skipped;
        let failed = res.status == Status::Fail;
        self.push(res);
        match body {
            Some(b) => Some(b),
            None if skipped => self.stop("the manifest was not fetched"),
            None if failed => self.stop("the digest does not answer"),
            None => self.stop("no manifest"),
        }
    }

    /// The registry host's addresses. Through a proxy the proxy resolves
    /// the name: the local answer is shown, and does not stop the run.
    async fn dns(
        &mut self,
        host: &str,
        port: u16,
        via: Option<&tunnel::Via>,
        t: Duration,
    ) -> Option<Vec<IpAddr>> {
        let started = Instant::now();
        let facts = dns::resolve(host, port, self.plan.nameserver, t).await;
        let (mut status, mut category, mut detail) = facts.result(host);
        if let Some(via) = via {
            detail = format!(
                "the proxy resolves {host} ({}): the runtime does not resolve it itself; \
                 here: {detail}",
                via.describe()
            );
            (status, category) = (Status::Ok, None);
        }
        let addrs = facts.addrs();
        self.push(StepResult {
            step: Step::Dns,
            status,
            ms: ms(started),
            detail,
            category,
            facts: Facts::Dns(facts),
        });
        if status == Status::Fail {
            return self.stop("DNS failed");
        }
        Some(addrs)
    }

    /// A connection to one of `addrs`, or through the proxy `via` (its
    /// address then stands for the registry's), and the address that
    /// answered.
    async fn tcp(
        &mut self,
        opts: &Options,
        addrs: &[IpAddr],
        host: &str,
        port: u16,
        via: Option<&tunnel::Via>,
        t: Duration,
    ) -> Option<(tokio::net::TcpStream, SocketAddr)> {
        let proxy = proxy_use(&opts.proxy, host, port, true);
        let started = Instant::now();
        if let Some(via) = via {
            return self.tcp_via(via, proxy, host, port, t).await;
        }
        let net::Dialled {
            outcome,
            addr,
            stream,
            mut detail,
            attempts,
        } = net::connect(addrs, port, t).await;
        if let Some(note) = tunnel::forced_direct(opts, host, port, true) {
            detail.push_str(&format!("; {note}"));
        } else if let ProxyUse::Exempt { entry } = &proxy {
            detail.push_str(&format!(
                "; a proxy is set but NO_PROXY exempts this host ({entry})"
            ));
        }
        let category = outcome.category();
        self.push(StepResult {
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
        });
        match (stream, addr) {
            (Some(stream), Some(addr)) => Some((stream, addr)),
            _ => self.stop("TCP connect failed"),
        }
    }

    /// The TCP step through a proxy: the tunnel to the registry.
    async fn tcp_via(
        &mut self,
        via: &tunnel::Via,
        proxy: ProxyUse,
        host: &str,
        port: u16,
        t: Duration,
    ) -> Option<(tokio::net::TcpStream, SocketAddr)> {
        let started = Instant::now();
        let dialled = tunnel::dial(via, host, port, true, t).await;
        let (status, category, detail, addr, outcome) = match &dialled {
            Ok(tun) => (
                Status::Ok,
                None,
                tun.detail.clone(),
                Some(tun.proxy_addr),
                TcpOutcome::Connected,
            ),
            Err((c, why)) => (Status::Fail, Some(*c), why.clone(), None, TcpOutcome::Other),
        };
        self.push(StepResult {
            step: Step::Tcp,
            status,
            ms: ms(started),
            detail,
            category,
            facts: Facts::Tcp(TcpFacts {
                outcome,
                addr,
                proxy,
                attempts: vec![],
            }),
        });
        match dialled {
            Ok(tun) => Some((tun.stream, tun.proxy_addr)),
            Err(_) => self.stop("the proxy gave no tunnel"),
        }
    }

    /// The TLS handshake; its failure decides the next step.
    async fn tls(
        &mut self,
        stream: tokio::net::TcpStream,
        host: &str,
        via: Option<&tunnel::Via>,
        verifier: Arc<dyn ServerCertVerifier>,
        t: Duration,
    ) -> net::TlsResult {
        let started = Instant::now();
        let tls = net::handshake(stream, host, verifier, t).await;
        let facts = TlsFacts {
            failure: tls.failure.clone(),
            chain: tls.chain.clone(),
        };
        let (status, mut category, mut detail) = facts.result(tls.protocol.as_deref());
        // Through a proxy, a handshake closed at once is the tunnel closing.
        if let (Some(via), Some(TlsFailure::Other(why))) = (via, &tls.failure)
            && why == net::CLOSED_IN_HANDSHAKE
        {
            category = Some(Category::NetworkProxy);
            detail = format!(
                "the tunnel through the proxy ({}) closed during the TLS handshake with {host}",
                via.describe()
            );
        } else if let Some(via) = via {
            detail.push_str(&format!(" (inside the tunnel {})", via.describe()));
        }
        // The certificate's end, beside the credentials' (auth step).
        if let Some(e) = facts
            .chain
            .first()
            .and_then(|c| c.expiry(jiff::Timestamp::now()))
        {
            detail.push_str(&format!("; {e}"));
        }
        self.push(StepResult {
            step: Step::Tls,
            status,
            ms: ms(started),
            detail,
            category,
            facts: Facts::Tls(facts),
        });
        tls
    }

    /// An HTTP connection: over TLS, or plain when the port speaks plain
    /// HTTP (the `Http` step detects that).
    async fn http(
        &mut self,
        tls: net::TlsResult,
        opts: &Options,
        addrs: &[IpAddr],
        t: Duration,
    ) -> Option<Http> {
        let authority = self.plan.authority();
        match (tls.stream, &tls.failure) {
            (Some(s), _) => {
                self.push(StepResult::skipped(Step::Http, "the port speaks TLS"));
                match Http::new(s, authority, true).await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        self.push(StepResult::fail(Step::V2, 0, Category::Unknown, e));
                        self.stop("no HTTP connection")
                    }
                }
            }
            (None, Some(TlsFailure::PlainHttp)) => {
                let started = Instant::now();
                let (host, port) = (self.plan.api_host(), self.plan.port());
                // Plain HTTP is proxied by HTTP_PROXY, in absolute form.
                let via = tunnel::via(opts, host, port, false);
                let addr = addrs.first().map(|ip| SocketAddr::new(*ip, port));
                match plain_v2(addr, via.as_ref(), host, &authority, t).await {
                    Ok((c, status)) => {
                        let through = via
                            .map(|v| format!(", {}", v.describe()))
                            .unwrap_or_default();
                        self.push(StepResult::ok(
                            Step::Http,
                            ms(started),
                            format!(
                                "the port speaks plain HTTP (GET /v2/ answered {status}{through}); \
                                 runtimes need it configured as an insecure / HTTP registry"
                            ),
                        ));
                        Some(c)
                    }
                    Err(e) => {
                        self.push(StepResult::fail(
                            Step::Http,
                            ms(started),
                            Category::Unknown,
                            e,
                        ));
                        self.stop("no HTTP answer")
                    }
                }
            }
            (None, _) => {
                self.push(StepResult::skipped(
                    Step::Http,
                    "TLS failed (the port did not answer in plain HTTP either)",
                ));
                self.stop("TLS failed")
            }
        }
    }

    /// `GET /v2/`: the challenges the registry sends.
    async fn v2(&mut self, conn: &mut Http, t: Duration) -> Option<Vec<Challenge>> {
        let started = Instant::now();
        let resp = match tokio::time::timeout(t, conn.request("GET", "/v2/", &[])).await {
            Err(_) => {
                self.push(StepResult::fail(
                    Step::V2,
                    ms(started),
                    Category::NetworkTimeout,
                    format!("GET /v2/: no answer within {} ms", t.as_millis()),
                ));
                return self.stop("GET /v2/ failed");
            }
            Ok(Err(e)) => {
                self.push(StepResult::fail(
                    Step::V2,
                    ms(started),
                    Category::Unknown,
                    format!("GET /v2/: {e}"),
                ));
                return self.stop("GET /v2/ failed");
            }
            Ok(Ok(resp)) => resp,
        };
        let challenges = resp
            .header("www-authenticate")
            .map(parse_challenges)
            .unwrap_or_default();
        let v2 = v2_result(resp.status, &challenges, ms(started)).with_facts(Facts::Challenge {
            challenges: challenges.clone(),
        });
        let failed = v2.status == Status::Fail;
        self.push(v2);
        if failed {
            return self.stop("GET /v2/ failed");
        }
        Some(challenges)
    }

    /// Authentication as the challenges ask: the `Authorization` header the
    /// manifest's request sends, if any.
    async fn auth(
        &mut self,
        conn: &mut Http,
        challenges: &[Challenge],
        reach: &auth::Reach<'_>,
    ) -> Option<Option<String>> {
        let started = Instant::now();
        let plain = !conn.https;
        let t = reach.t;
        let auth =
            tokio::time::timeout(t, authenticate(self.plan, conn, challenges, plain, reach)).await;
        let (result, authorization) = match auth {
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
        let ok = result.status == Status::Ok;
        let skipped = result.status == Status::Skipped;
        self.push(result);
        if !ok {
            return self.stop(if skipped {
                "no credentials may be sent"
            } else {
                "authentication failed"
            });
        }
        Some(authorization)
    }

    /// `HEAD` of the exact manifest; its facts when it exists.
    async fn manifest(
        &mut self,
        conn: &mut Http,
        authorization: Option<&str>,
        t: Duration,
    ) -> Option<ManifestFacts> {
        let started = Instant::now();
        let res = tokio::time::timeout(t, manifest(self.plan, conn, authorization)).await;
        let mut res = match res {
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
        res.ms = ms(started);
        let facts = match (&res.status, &res.facts) {
            (Status::Ok, Facts::Manifest(f)) => Some(f.clone()),
            _ => None,
        };
        self.push(res);
        match facts {
            Some(f) => Some(f),
            None => self.stop("the manifest cannot be pulled"),
        }
    }
}

/// The `V2` step's verdict on the answer's status.
fn v2_result(status: u16, challenges: &[Challenge], took: u64) -> StepResult {
    match status {
        200 => StepResult::ok(
            Step::V2,
            took,
            "200: the registry API answers without authentication",
        ),
        401 if !challenges.is_empty() => {
            let described = challenges
                .iter()
                .map(Challenge::describe)
                .collect::<Vec<_>>()
                .join(", ");
            StepResult::ok(
                Step::V2,
                took,
                format!("401: authentication required: {described}"),
            )
        }
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
}

/// A fresh plain-HTTP connection (direct to `addr`, or to the proxy
/// `via`) and `GET /v2/` on it.
async fn plain_v2(
    addr: Option<SocketAddr>,
    via: Option<&tunnel::Via>,
    host: &str,
    authority: &str,
    t: Duration,
) -> Result<(Http, u16), String> {
    let fut = async {
        let (tcp, proxied) = match (via, addr) {
            (Some(via), _) => {
                let tun = tunnel::dial(via, host, 0, false, t)
                    .await
                    .map_err(|(_, why)| why)?;
                (tun.stream, true)
            }
            (None, Some(addr)) => {
                let tcp = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(|e| format!("reconnecting to {addr}: {e}"))?;
                (tcp, false)
            }
            (None, None) => return Err(format!("{host} has no address here")),
        };
        let mut c = Http::new(Box::new(tcp), authority.to_string(), false).await?;
        if proxied {
            c.through_proxy(via.and_then(tunnel::Via::authorization));
        }
        let resp = c.request("GET", "/v2/", &[]).await?;
        Ok::<_, String>((c, resp.status))
    };
    tokio::time::timeout(t, fut)
        .await
        .map_err(|_| format!("no plain-HTTP answer within {} ms", t.as_millis()))?
}
