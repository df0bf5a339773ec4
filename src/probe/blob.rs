//! The second leg of a pull: the tag's digest fetched by digest (a cache
//! that serves a stale tag is its own finding), then a blob of the node's
//! platform — its config, else its smallest layer — requested as a runtime
//! does, following at most `MAX_HOPS` redirects. A redirect to another
//! host gets no `Authorization` (as containerd and crane: the registry's
//! credentials stay with the registry), its own DNS, TCP and TLS, and the
//! same address rule as a token realm; the probe stops after the first
//! bytes of the blob.

use http_body_util::BodyExt as _;

use super::*;
use crate::domain::probe::blob::{
    BlobFacts, FIRST_BYTES, MAX_HOPS, Pick, Target, pick, resolve, valid_digest,
};

/// The `digest` step: GET of the manifest by the digest the tag resolved
/// to. Returns the step and, when it answered, the manifest's body.
pub(super) async fn digest(
    plan: &ProbePlan,
    conn: &mut Http,
    authorization: Option<&str>,
    facts: &ManifestFacts,
) -> (StepResult, Option<Bytes>) {
    let image = &plan.image;
    if image.is_docker_hub() {
        return (
            StepResult::skipped(
                Step::Digest,
                "not fetched: a GET of the manifest counts against Docker Hub's pull limit",
            ),
            None,
        );
    }
    let by_tag = image.manifest_reference().to_string();
    let (reference, named) = match facts.digest.as_deref().filter(|d| valid_digest(d)) {
        Some(d) => (d.to_string(), true),
        None => (by_tag.clone(), false),
    };
    let path = format!("/v2/{}/manifests/{reference}", image.repository);
    let headers = registry_headers(authorization, Some(MANIFEST_ACCEPT));
    let fail = |c: Category, d: String| (StepResult::fail(Step::Digest, 0, c, d), None);
    let resp = match conn.request("GET", &path, &headers).await {
        Ok(r) => r,
        Err(e) => return fail(Category::Unknown, format!("GET {path}: {e}")),
    };
    match resp.status {
        200 => {
            let detail = if named && reference != by_tag {
                format!("{by_tag} resolves to {reference}, which answers by digest too")
            } else if named {
                format!("{reference} answers")
            } else {
                format!("the registry sent no digest for {by_tag}: the manifest is fetched by tag")
            };
            (StepResult::ok(Step::Digest, 0, detail), Some(resp.body))
        }
        404 if named => fail(
            Category::ImageNotFound,
            format!(
                "tag and digest disagree: {by_tag} resolves to {reference}, but {reference} \
                 answers 404 — the registry (or a cache or proxy in front of it) serves a tag \
                 whose manifest it does not have"
            ),
        ),
        s => fail(status_category(s), format!("GET {path} answered {s}")),
    }
}

/// The `blob` step: the blob of the node's platform from where the
/// registry sends for it.
pub(super) async fn blob(leg: Leg<'_>, conn: &mut Http, manifest: Bytes) -> StepResult {
    let (plan, authorization) = (leg.plan, leg.authorization);
    let image = &plan.image;
    let headers = registry_headers(authorization, Some(MANIFEST_ACCEPT));
    let mut body = manifest;
    // An index leads to the platform's manifest (one more GET, by digest).
    let (digest, what) = loop {
        match pick(&body, &plan.platform) {
            Ok(Pick::Blob { digest, what, .. }) => break (digest, what),
            Ok(Pick::Manifest(d)) => {
                let path = format!("/v2/{}/manifests/{d}", image.repository);
                match conn.request("GET", &path, &headers).await {
                    Ok(r) if r.status == 200 && r.body != body => body = r.body,
                    Ok(r) => {
                        return blob_fail(
                            status_category(r.status),
                            format!("GET {path} answered {}", r.status),
                            BlobFacts::default(),
                        );
                    }
                    Err(e) => {
                        return blob_fail(
                            Category::Unknown,
                            format!("GET {path}: {e}"),
                            BlobFacts::default(),
                        );
                    }
                }
            }
            Err(e) => return blob_fail(Category::Unknown, e, BlobFacts::default()),
        }
    };
    let registry = Target {
        https: conn.https,
        host: plan.api_host().to_string(),
        port: plan.port(),
        path: format!("/v2/{}/blobs/{digest}", image.repository),
    };
    let facts = BlobFacts {
        blob: digest,
        what: what.to_string(),
        hosts: vec![registry.authority()],
        authorization_sent: vec![authorization.is_some()],
        ..BlobFacts::default()
    };
    let blob_headers = registry_headers(authorization, None);
    let first = match conn.send("GET", &registry.path, &blob_headers).await {
        Ok(r) => r,
        Err(e) => {
            let d = format!("GET of the {what} blob: {e}");
            return blob_fail(Category::Unknown, d, facts);
        }
    };
    let hops = Hops { leg, registry };
    hops.follow(first, facts).await
}

/// What the blob leg needs from the run.
pub(super) struct Leg<'a> {
    pub plan: &'a ProbePlan,
    pub opts: &'a Options,
    /// The registry's address: a redirect's host passes the realm rule
    /// against it.
    pub registry_ip: IpAddr,
    /// Sent again only to the registry itself.
    pub authorization: Option<&'a str>,
    pub verifier: Arc<dyn ServerCertVerifier>,
    pub t: Duration,
}

/// Following the redirects: the leg and where it started.
struct Hops<'a> {
    leg: Leg<'a>,
    registry: Target,
}

impl Hops<'_> {
    /// Reads the first bytes of a 200, or follows a redirect to its next hop.
    async fn follow(
        &self,
        mut resp: http::Response<hyper::body::Incoming>,
        mut facts: BlobFacts,
    ) -> StepResult {
        let (opts, t) = (self.leg.opts, self.leg.t);
        let mut at = self.registry.clone();
        // Held while its response body is read.
        let mut _hop_conn: Option<Http> = None;
        for hop in 0..=MAX_HOPS {
            let status = resp.status().as_u16();
            let here = at.authority();
            if (200..300).contains(&status) {
                facts.first_bytes = first_bytes(resp.into_body(), t).await;
                let from = if hop == 0 {
                    "the registry itself".to_string()
                } else {
                    format!(
                        "{here} (after {hop} redirect{})",
                        if hop > 1 { "s" } else { "" }
                    )
                };
                let detail = format!(
                    "the {} blob {} is served by {from}: first {} bytes read{}",
                    facts.what,
                    facts.blob,
                    facts.first_bytes,
                    proxy_note(opts, &at)
                );
                return StepResult::ok(Step::Blob, 0, detail).with_facts(Facts::Blob(facts));
            }
            if !(300..400).contains(&status) {
                let leg = if hop == 0 {
                    format!("the registry answers {status} for the {} blob", facts.what)
                } else {
                    format!(
                        "the manifest is reachable; layers come from {here}, which answers {status}"
                    )
                };
                return blob_fail(status_category(status), leg, facts);
            }
            if hop == MAX_HOPS {
                break;
            }
            let Some(location) = resp.headers().get("location").and_then(|v| v.to_str().ok())
            else {
                return blob_fail(
                    Category::RegistryServerError,
                    format!("{here} redirects ({status}) without a Location"),
                    facts,
                );
            };
            let next = match resolve(location, &at) {
                Ok(n) => n,
                Err(e) => return blob_fail(Category::Unknown, format!("{here}: {e}"), facts),
            };
            // The registry's credentials go only back to the registry.
            let auth = self
                .leg
                .authorization
                .filter(|_| next.same_origin(&self.registry));
            facts.hosts.push(next.authority());
            facts.authorization_sent.push(auth.is_some());
            let mut conn = match self.connect(&next, &mut facts).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let headers = registry_headers(auth, None);
            resp = match tokio::time::timeout(t, conn.send("GET", &next.path, &headers)).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    let d = leg_failure(&next, &format!("its GET failed: {e}"));
                    return blob_fail(Category::Unknown, d, facts);
                }
                Err(_) => {
                    let d = leg_failure(&next, "it does not answer the GET in time");
                    return blob_fail(Category::NetworkTimeout, d, facts);
                }
            };
            _hop_conn = Some(conn);
            at = next;
        }
        blob_fail(
            Category::RegistryServerError,
            format!("more than {MAX_HOPS} redirects for the blob: not followed further"),
            facts,
        )
    }

    /// DNS, the address rule, TCP and TLS to a redirect's host, each a reason
    /// that names the leg when it fails.
    async fn connect(&self, next: &Target, facts: &mut BlobFacts) -> Result<Http, StepResult> {
        let l = &self.leg;
        let (plan, registry_ip, verifier, t) = (l.plan, l.registry_ip, &l.verifier, l.t);
        // The node probe checks another host too: one that passed the
        // address rule here, or one that does not resolve here (split DNS:
        // layers on an internal endpoint; the node's answer is its own).
        let other = (!next.same_origin(&self.registry)).then(|| next.clone());
        let via = tunnel::via(l.opts, &next.host, next.port, next.https);
        let dns = dns::resolve(&next.host, next.port, plan.nameserver, t).await;
        let addrs = dns.addrs();
        let (status, category, detail) = dns.result(&next.host);
        // Through a proxy the proxy resolves the name; a local answer is
        // still held to the address rule.
        if status == Status::Fail && via.is_none() {
            facts.blob_host = other;
            let why = format!("its name does not resolve from this machine ({detail})");
            let c = category.unwrap_or(Category::NetworkDns);
            return Err(blob_fail(c, leg_failure(next, &why), facts.clone()));
        }
        if !addrs.is_empty() {
            facts.blob_addrs = Some(addrs_with_scope(&addrs));
        }
        let url = format!(
            "{}://{}",
            if next.https { "https" } else { "http" },
            next.authority()
        );
        if !addrs.is_empty()
            && let Some(refused) = realm_refusal(&url, &addrs, registry_ip)
        {
            let why = refused.replacen("the token realm", "the blob host", 1);
            return Err(blob_fail(Category::Unknown, why, facts.clone()));
        }
        facts.blob_host = other;
        let stream = match &via {
            Some(via) => match tunnel::dial(via, &next.host, next.port, next.https, t).await {
                Ok(tun) => tun.stream,
                Err((c, why)) => {
                    let why = format!("the proxy fails for it: {why}");
                    return Err(blob_fail(c, leg_failure(next, &why), facts.clone()));
                }
            },
            None => self.direct(next, &addrs, facts).await?,
        };
        let io: Box<dyn net::Io> = if next.https {
            let tls = net::handshake(stream, &next.host, verifier.clone(), t).await;
            match (tls.stream, tls.failure) {
                (Some(s), _) => s,
                (None, f) => {
                    let why = match &f {
                        Some(f) => format!("its TLS fails: {}", f.describe()),
                        None => "its TLS fails".to_string(),
                    };
                    let c = f.map_or(Category::Unknown, |f| f.category());
                    return Err(blob_fail(c, leg_failure(next, &why), facts.clone()));
                }
            }
        } else {
            Box::new(stream)
        };
        let mut conn = Http::new(io, next.authority(), next.https)
            .await
            .map_err(|e| blob_fail(Category::Unknown, leg_failure(next, &e), facts.clone()))?;
        if !next.https
            && let Some(via) = &via
        {
            conn.through_proxy(via.authorization());
        }
        Ok(conn)
    }

    /// TCP straight to a redirect's host.
    async fn direct(
        &self,
        next: &Target,
        addrs: &[IpAddr],
        facts: &BlobFacts,
    ) -> Result<tokio::net::TcpStream, StepResult> {
        let dialled = net::connect(addrs, next.port, self.leg.t).await;
        let Some(stream) = dialled.stream else {
            let words = match dialled.outcome {
                TcpOutcome::Timeout => "that host times out",
                TcpOutcome::Refused => "that host refuses the connection",
                TcpOutcome::Unreachable => "that host is unreachable",
                TcpOutcome::Reset => "that host resets the connection",
                _ => "that host cannot be connected to",
            };
            let why = format!("{words} from this machine ({})", dialled.detail);
            let c = dialled.outcome.category().unwrap_or(Category::Unknown);
            return Err(blob_fail(c, leg_failure(next, &why), facts.clone()));
        };
        Ok(stream)
    }
}

/// "the manifest is reachable; layers come from HOST and WHY".
fn leg_failure(next: &Target, why: &str) -> String {
    format!(
        "the manifest is reachable; layers come from {} and {why}",
        next.authority()
    )
}

fn blob_fail(c: Category, detail: String, facts: BlobFacts) -> StepResult {
    StepResult::fail(Step::Blob, 0, c, detail).with_facts(Facts::Blob(facts))
}

/// Which way the probe reached this host, as the runtime reads the variables.
fn proxy_note(opts: &Options, at: &Target) -> String {
    if let Some(note) = tunnel::forced_direct(opts, &at.host, at.port, at.https) {
        return format!("; {}: {note}", at.authority());
    }
    match proxy_use(&opts.proxy, &at.host, at.port, at.https) {
        ProxyUse::None => String::new(),
        ProxyUse::Applies { var, url } => format!("; {} via {var}={url}", at.authority()),
        ProxyUse::Exempt { entry } => {
            format!("; NO_PROXY exempts {} ({entry})", at.authority())
        }
    }
}

/// The headers of a request to the registry.
fn registry_headers(
    authorization: Option<&str>,
    accept: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if let Some(a) = accept {
        h.push(("Accept", a.to_string()));
    }
    if let Some(a) = authorization {
        h.push(("Authorization", a.to_string()));
    }
    h
}

fn status_category(status: u16) -> Category {
    match status {
        401 => Category::AuthNoCredentials,
        403 => Category::AuthDenied,
        404 => Category::ImageNotFound,
        429 => Category::RegistryRateLimit,
        500..=599 => Category::RegistryServerError,
        _ => Category::Unknown,
    }
}

/// Reads at most `FIRST_BYTES` of a body, within `t`; then stops.
async fn first_bytes(mut body: hyper::body::Incoming, t: Duration) -> usize {
    let mut n = 0;
    let read = async {
        while n < FIRST_BYTES {
            match body.frame().await {
                Some(Ok(f)) => {
                    if let Some(d) = f.data_ref() {
                        n += d.len();
                    }
                }
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(t, read).await;
    n.min(FIRST_BYTES)
}
