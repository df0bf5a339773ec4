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

pub(super) const PLAIN_REFUSAL: &str = "credentials not sent: the registry speaks plain HTTP (confirm with \
                             --allow-plain-http-credentials to send them anyway)";

pub(super) async fn bearer_flow(
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
