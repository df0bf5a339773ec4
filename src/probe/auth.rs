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
pub(super) async fn authenticate(
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
    registry_ip: IpAddr,
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
) -> Auth {
    let realm = match Realm::of(ch) {
        Ok(r) => r,
        Err((c, d)) => return auth_fail(c, d),
    };
    let realm_ip = match realm.address(registry_ip).await {
        Ok(ip) => ip,
        Err((c, d)) => return auth_fail(c, d),
    };
    let (creds, _) = plan.credentials_to_try();
    let untried = plan.untried_note();
    if (!realm.https || plain) && !creds.is_empty() && !plan.allow_plain_http_credentials {
        return (StepResult::skipped(Step::Auth, PLAIN_REFUSAL), None);
    }
    let scope = plan.pull_scope();
    let request = TokenRequest {
        addr: SocketAddr::new(realm_ip, realm.port),
        path: realm.token_path(ch.param("service"), &scope),
        authority: realm
            .uri
            .authority()
            .map(|a| a.to_string())
            .unwrap_or(realm.host.clone()),
        realm: &realm,
        verifier,
        t,
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
            Err(e) => return auth_fail(Category::Unknown, format!("token request to {url}: {e}")),
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
            format!("credentials valid (Bearer via {url}): {who}; {how}{untried}")
        } else {
            format!("anonymous token from {url}; {how}")
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

/// One realm's token request, asked once per credential.
struct TokenRequest<'a> {
    addr: SocketAddr,
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
    async fn ask(&self, c: Option<&Credential>, repository: &str) -> Result<TokenAnswer, String> {
        let headers: Vec<(&str, String)> = c
            .map(|c| vec![("Authorization", basic(c))])
            .unwrap_or_default();
        let resp = fetch(
            self.addr,
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
