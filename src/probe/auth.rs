//! The auth leg of a laptop probe: Basic or the token flow the registry
//! asks for, one credential per probe unless told to try them all.

use super::*;

pub(super) fn basic(c: &Credential) -> String {
    let raw = format!("{}:{}", c.username, c.password.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    )
}

/// The auth step: which credentials work, and the `Authorization` value
/// the manifest request uses.
/// How the probe reaches hosts other than the registry (a token realm):
/// the proxy the runtime would use, the registry's address (the realm rule
/// compares against it), the trusted roots, the step's time.
pub(super) struct Reach<'a> {
    pub opts: &'a Options,
    pub registry_ip: IpAddr,
    pub verifier: Arc<dyn ServerCertVerifier>,
    pub t: Duration,
}

pub(super) async fn authenticate(
    plan: &ProbePlan,
    conn: &mut Http,
    challenges: &[Challenge],
    plain: bool,
    reach: &Reach<'_>,
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
        return bearer_flow(plan, ch, plain, reach).await;
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
                            "credentials valid (Basic): {}{untried}",
                            c.who(jiff::Timestamp::now())
                        ),
                    ),
                    Some(value),
                );
            }
            Ok(resp) => rejected.push(format!(
                "{}: {}",
                c.who(jiff::Timestamp::now()),
                resp.status
            )),
            Err(e) => rejected.push(format!("{}: {e}", c.who(jiff::Timestamp::now()))),
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

pub(super) const PLAIN_REFUSAL: &str = "credentials not sent: the registry speaks plain HTTP (confirm with \
                             --allow-plain-http-credentials to send them anyway)";

/// The auth step's result and the `Authorization` value it found.
type Auth = (StepResult, Option<String>);

fn auth_fail(c: Category, d: String) -> Auth {
    (StepResult::fail(Step::Auth, 0, c, d), None)
}

/// The token flow of a Bearer challenge: each credential (or an anonymous
/// request when there is none) asks the realm for a token with the pull
/// scope, until one is granted.
pub(super) async fn bearer_flow(
    plan: &ProbePlan,
    ch: &Challenge,
    plain: bool,
    reach: &Reach<'_>,
) -> Auth {
    let realm = match Realm::of(ch) {
        Ok(r) => r,
        Err((c, d)) => return auth_fail(c, d),
    };
    let route = match realm.route(reach).await {
        Ok(r) => r,
        Err((c, d)) => return auth_fail(c, d),
    };
    let (creds, _) = plan.credentials_to_try();
    let untried = plan.untried_note();
    if (!realm.https || plain) && !creds.is_empty() && !plan.allow_plain_http_credentials {
        return (StepResult::skipped(Step::Auth, PLAIN_REFUSAL), None);
    }
    let scope = plan.pull_scope();
    // Said with the answer: the token request went through the proxy.
    let via_note = match &route {
        Route::Proxy { via, .. } => format!(" ({})", via.describe()),
        Route::Direct(_) => String::new(),
    };
    let request = TokenRequest {
        route,
        path: realm.token_path(ch.param("service"), &scope),
        authority: realm
            .uri
            .authority()
            .map(|a| a.to_string())
            .unwrap_or(realm.host.clone()),
        realm: &realm,
        verifier: reach.verifier.clone(),
        t: reach.t,
    };
    let mut tries: Vec<Option<&Credential>> = creds.iter().map(Some).collect();
    if tries.is_empty() {
        tries.push(None);
    }
    let url = realm.url;
    let mut rejected = vec![];
    let mut no_scope = vec![];
    for c in tries {
        let who = c
            .map(|c| c.who(jiff::Timestamp::now()))
            .unwrap_or_else(|| "anonymous".to_string());
        let answer = match request.ask(c, &plan.image.repository).await {
            Ok(a) => a,
            Err((cat, e)) => {
                return auth_fail(cat, format!("token request to {url}{via_note}: {e}"));
            }
        };
        let (token, grants) = match answer {
            TokenAnswer::Refused(why) => {
                rejected.push(format!("{who}: {why}"));
                continue;
            }
            TokenAnswer::NoScope => {
                no_scope.push(who);
                continue;
            }
            TokenAnswer::Token(token, grants) => (token, grants),
        };
        let how = if grants == Some(true) {
            format!("the token grants {scope}")
        } else {
            "token issued (opaque: the manifest request tells whether it grants pull)".to_string()
        };
        let d = if c.is_some() {
            format!("credentials valid (Bearer via {url}{via_note}): {who}; {how}{untried}")
        } else {
            format!("anonymous token from {url}{via_note}; {how}")
        };
        return (
            StepResult::ok(Step::Auth, 0, d),
            Some(format!("Bearer {}", token.expose())),
        );
    }
    let anonymous = creds.is_empty();
    no_token(anonymous, &no_scope, &rejected, &scope, url, &untried)
}

/// The token realm a Bearer challenge names.
struct Realm<'a> {
    /// The realm as the challenge gives it.
    url: &'a str,
    uri: http::Uri,
    https: bool,
    host: String,
    port: u16,
}

impl<'a> Realm<'a> {
    fn of(ch: &'a Challenge) -> Result<Realm<'a>, (Category, String)> {
        let Some(url) = ch.param("realm") else {
            return Err((
                Category::AuthNoCredentials,
                "Bearer challenge without a realm".into(),
            ));
        };
        let Ok(uri) = url.parse::<http::Uri>() else {
            return Err((Category::Unknown, format!("invalid realm {url:?}")));
        };
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err((
                    Category::Unknown,
                    format!("realm {url:?} is not an http(s) URL"),
                ));
            }
        };
        let Some(host) = uri
            .host()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        else {
            return Err((Category::Unknown, format!("realm {url:?} has no host")));
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Realm {
            url,
            uri,
            https,
            host,
            port,
        })
    }

    /// Where the realm lives. Private, link-local and loopback addresses
    /// other than the registry's own are refused (a token realm must not
    /// point our credentials into the local network).
    async fn address(&self, registry_ip: IpAddr) -> Result<IpAddr, (Category, String)> {
        let host = &self.host;
        let ips: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::net::lookup_host((host.as_str(), self.port)).await {
                Ok(a) => a.map(|s| s.ip()).collect(),
                Err(e) => return Err((Category::NetworkDns, format!("realm host {host}: {e}"))),
            },
        };
        if ips.is_empty() {
            return Err((
                Category::NetworkDns,
                format!("realm host {host}: the resolver answered with no address"),
            ));
        }
        if let Some(why) = realm_refusal(self.url, &ips, registry_ip) {
            return Err((Category::Unknown, why));
        }
        // Checked above: every address passed, and there is at least one.
        ips.first().copied().ok_or_else(|| {
            (
                Category::NetworkDns,
                format!("realm host {host}: no address"),
            )
        })
    }

    /// How the token request goes: through the proxy the runtime would use
    /// for the realm (which resolves its name; an address it resolves to
    /// here, or an address literal, is still held to the realm rule), or
    /// directly to an address that passes the rule.
    async fn route(&self, reach: &Reach<'_>) -> Result<Route, (Category, String)> {
        let Some(via) = tunnel::via(reach.opts, &self.host, self.port, self.https) else {
            let ip = self.address(reach.registry_ip).await?;
            return Ok(Route::Direct(SocketAddr::new(ip, self.port)));
        };
        let local: Vec<IpAddr> = match self.host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => {
                let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
                match tokio::time::timeout(reach.t, lookup).await {
                    Ok(Ok(a)) => a.map(|s| s.ip()).collect(),
                    _ => Vec::new(),
                }
            }
        };
        if !local.is_empty()
            && let Some(why) = realm_refusal(self.url, &local, reach.registry_ip)
        {
            return Err((Category::Unknown, why));
        }
        Ok(Route::Proxy {
            via,
            port: self.port,
        })
    }

    /// The token request's path: the realm's, with the service and scope.
    fn token_path(&self, service: Option<&str>, scope: &str) -> String {
        let mut query = vec![];
        if let Some(s) = service {
            query.push(format!("service={}", urlencode(s)));
        }
        query.push(format!("scope={}", urlencode(scope)));
        let path = if self.uri.path().is_empty() {
            "/"
        } else {
            self.uri.path()
        };
        format!("{path}?{}", query.join("&"))
    }
}

/// How a request reaches its host: directly, or through the proxy (to
/// `port` of the host).
pub(super) enum Route {
    Direct(SocketAddr),
    Proxy { via: tunnel::Via, port: u16 },
}

/// One realm's token request, asked once per credential.
struct TokenRequest<'a> {
    route: Route,
    path: String,
    authority: String,
    realm: &'a Realm<'a>,
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
}

/// What the token server answered one credential (or none).
enum TokenAnswer {
    /// A token, and whether it names the pull scope of `repository`
    /// (`None`: it is opaque).
    Token(crate::domain::redact::Redacted, Option<bool>),
    /// A token without the pull scope.
    NoScope,
    /// No token: the status, or what the answer lacked.
    Refused(String),
}

impl TokenRequest<'_> {
    async fn ask(
        &self,
        c: Option<&Credential>,
        repository: &str,
    ) -> Result<TokenAnswer, (Category, String)> {
        let headers: Vec<(&str, String)> = c
            .map(|c| vec![("Authorization", basic(c))])
            .unwrap_or_default();
        let resp = fetch(
            &self.route,
            &self.realm.host,
            &self.authority,
            self.realm.https,
            &self.path,
            &headers,
            self.verifier.clone(),
            self.t,
        )
        .await?;
        if resp.status != 200 {
            return Ok(TokenAnswer::Refused(resp.status.to_string()));
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
            return Ok(TokenAnswer::Refused(
                "no token or access_token in the answer".to_string(),
            ));
        };
        Ok(match token_grants_pull(token.expose(), repository) {
            Some(false) => TokenAnswer::NoScope,
            grants => TokenAnswer::Token(token, grants),
        })
    }
}

/// The auth step when no token was granted: `no_scope` lists who got a
/// token without the pull scope, `rejected` who got none and why.
fn no_token(
    anonymous: bool,
    no_scope: &[String],
    rejected: &[String],
    scope: &str,
    realm: &str,
    untried: &str,
) -> Auth {
    if anonymous {
        if !no_scope.is_empty() {
            return auth_fail(
                Category::AuthNoCredentials,
                format!(
                    "the anonymous token grants no {scope}: credentials are needed and none were given"
                ),
            );
        }
        return auth_fail(
            Category::AuthNoCredentials,
            format!(
                "the token server refused an anonymous token ({}): credentials needed",
                rejected.join("; ")
            ),
        );
    }
    if !no_scope.is_empty() {
        return auth_fail(
            Category::AuthDenied,
            format!(
                "credentials valid but without pull scope: the token for {} grants no \
                 {scope}{untried}",
                no_scope.join(", ")
            ),
        );
    }
    auth_fail(
        Category::AuthNoCredentials,
        format!(
            "credentials invalid (rejected by {realm}): {}{untried}",
            rejected.join("; ")
        ),
    )
}

pub(super) fn urlencode(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `HTTP_PROXY` pointing at `port`, with credentials.
    fn proxied(port: u16) -> Options {
        Options {
            proxy: ProxyEnv {
                https_proxy: None,
                http_proxy: Some(("HTTP_PROXY".into(), format!("http://u:pw@127.0.0.1:{port}"))),
                no_proxy: None,
            },
            ..Options::default()
        }
    }

    fn reach(opts: &Options) -> Reach<'_> {
        Reach {
            opts,
            registry_ip: "8.8.8.8".parse().expect("ip"),
            verifier: net::platform_verifier(&[]).expect("roots"),
            t: Duration::from_secs(3),
        }
    }

    fn realm_challenge(realm: &str) -> Challenge {
        parse_challenges(&format!("Bearer realm=\"{realm}\",service=\"reg\""))
            .into_iter()
            .next()
            .expect("a challenge")
    }

    #[tokio::test]
    async fn the_token_request_goes_through_the_runtimes_proxy() {
        let body = r#"{"token":"t0k"}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (port, seen) = tunnel::one_shot_proxy(answer).await;
        let opts = proxied(port);
        let reach = reach(&opts);
        // A name only the proxy resolves.
        let ch = realm_challenge("http://auth.nx.invalid/token");
        let realm = Realm::of(&ch).expect("realm");
        let route = realm.route(&reach).await.expect("through the proxy");
        assert!(matches!(route, Route::Proxy { port: 80, .. }));
        let resp = fetch(
            &route,
            "auth.nx.invalid",
            "auth.nx.invalid",
            false,
            "/token?scope=x",
            &[],
            reach.verifier.clone(),
            reach.t,
        )
        .await
        .expect("the token server's answer");
        assert_eq!(resp.status, 200);
        let lines = seen.await.expect("proxy");
        assert_eq!(
            lines.first().map(String::as_str),
            Some("GET http://auth.nx.invalid/token?scope=x HTTP/1.1"),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.eq_ignore_ascii_case("proxy-authorization: Basic dTpwdw==")),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn a_realm_in_the_local_network_is_refused_through_a_proxy_too() {
        let opts = proxied(9);
        let reach = reach(&opts);
        let ch = realm_challenge("http://10.1.2.3/token");
        let realm = Realm::of(&ch).expect("realm");
        let why = match realm.route(&reach).await {
            Err((_, why)) => why,
            Ok(_) => panic!("a private realm literal was let through"),
        };
        assert!(why.starts_with("refused"), "{why}");
    }

    #[tokio::test]
    async fn an_unreachable_proxy_for_the_realm_is_a_proxy_finding() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let opts = proxied(port);
        let reach = reach(&opts);
        let ch = realm_challenge("http://auth.nx.invalid/token");
        let realm = Realm::of(&ch).expect("realm");
        let route = realm.route(&reach).await.expect("through the proxy");
        let got = fetch(
            &route,
            "auth.nx.invalid",
            "auth.nx.invalid",
            false,
            "/token",
            &[],
            reach.verifier.clone(),
            reach.t,
        )
        .await;
        let Err(err) = got else {
            panic!("no proxy listens, yet an answer came");
        };
        assert_eq!(err.0, Category::NetworkProxy, "{}", err.1);
    }
}
