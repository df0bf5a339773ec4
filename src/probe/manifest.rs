//! The manifest leg: the HEAD/GET of the image's manifest with the
//! credential the auth leg settled on, and the platform it lists.

use super::*;

/// One request on a fresh connection (the token realm), directly or
/// through the proxy (a failure there is `network.proxy`).
#[allow(clippy::too_many_arguments)]
pub(super) async fn fetch(
    route: &auth::Route,
    host: &str,
    authority: &str,
    https: bool,
    path: &str,
    headers: &[(&str, String)],
    verifier: Arc<dyn ServerCertVerifier>,
    t: Duration,
) -> Result<net::Response, (Category, String)> {
    let other = |e: String| (Category::Unknown, e);
    let (tcp, absolute) = match route {
        auth::Route::Direct(addr) => {
            let tcp = tokio::time::timeout(t, tokio::net::TcpStream::connect(*addr))
                .await
                .map_err(|_| other(format!("connect to {addr} timed out")))?
                .map_err(|e| other(format!("connect to {addr}: {e}")))?;
            (tcp, None)
        }
        auth::Route::Proxy { via, port } => {
            let tun = tunnel::dial(via, host, *port, https, t).await?;
            // Plain HTTP through a proxy: requests in absolute form.
            (tun.stream, (!https).then(|| via.authorization()))
        }
    };
    let io: Box<dyn net::Io> = if https {
        let tls = net::handshake(tcp, host, verifier, t).await;
        match (tls.stream, tls.failure) {
            (Some(s), _) => s,
            (None, Some(f)) => return Err(other(format!("TLS: {}", f.describe()))),
            (None, None) => return Err(other("TLS failed".into())),
        }
    } else {
        Box::new(tcp)
    };
    let mut c = Http::new(io, authority.to_string(), https)
        .await
        .map_err(other)?;
    if let Some(authorization) = absolute {
        c.through_proxy(authorization);
    }
    let resp = c.request("GET", path, headers).await.map_err(other)?;
    if (300..400).contains(&resp.status) {
        return Err(other(format!(
            "redirected ({}) to {}: not followed, credentials stay with the realm",
            resp.status,
            resp.header("location").unwrap_or("?")
        )));
    }
    Ok(resp)
}

/// `HEAD` of the exact manifest; on 404 the tag list tells tag from repository.
pub(super) async fn manifest(
    plan: &ProbePlan,
    conn: &mut Http,
    authorization: Option<&str>,
) -> StepResult {
    let image = &plan.image;
    let reference = image.manifest_reference();
    let path = format!("/v2/{}/manifests/{}", image.repository, reference);
    let mut headers = vec![("Accept", MANIFEST_ACCEPT.to_string())];
    if let Some(a) = authorization {
        headers.push(("Authorization", a.to_string()));
    }
    let resp = match conn.request("HEAD", &path, &headers).await {
        Ok(r) => r,
        Err(e) => return fail(Category::Unknown, format!("HEAD {path}: {e}")),
    };
    // Some proxies answer HEAD 405/501: the runtime resolves with GET then.
    let head_refused = matches!(resp.status, 405 | 501).then_some(resp.status);
    let resp = match head_refused {
        Some(_) => match conn.request("GET", &path, &headers).await {
            Ok(r) => r,
            Err(e) => return fail(Category::Unknown, format!("GET {path}: {e}")),
        },
        None => resp,
    };
    match resp.status {
        200..=299 => {
            let mut r = found(plan, conn, &resp, &headers).await;
            if let Some(s) = head_refused {
                r.detail.push_str(&format!(
                    " (HEAD answered {s}: resolved with GET, as runtimes do)"
                ));
            }
            r
        }
        404 => not_found(plan, conn, authorization).await,
        401 => unauthorized(plan, &resp, authorization),
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

fn fail(c: Category, d: String) -> StepResult {
    StepResult::fail(Step::Manifest, 0, c, d)
}

/// The manifest exists: its digest and media type, and for an index (not
/// on Docker Hub) whether it lists the node's platform.
async fn found(
    plan: &ProbePlan,
    conn: &mut Http,
    resp: &net::Response,
    headers: &[(&str, String)],
) -> StepResult {
    let image = &plan.image;
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
            let by = digest.as_deref().unwrap_or(image.manifest_reference());
            let get = format!("/v2/{}/manifests/{}", image.repository, by);
            if let Err(missing) =
                index_platforms_into(plan, conn, &get, headers, &mut detail, &mut facts).await
            {
                return fail(Category::ImagePlatform, missing).with_facts(Facts::Manifest(facts));
            }
        }
    }
    StepResult::ok(Step::Manifest, 0, detail).with_facts(Facts::Manifest(facts))
}

/// `GET` of the index at `get`: the platforms it lists go into `facts`
/// and `detail`; `Err` with the step's detail when the node's platform is
/// not among them.
async fn index_platforms_into(
    plan: &ProbePlan,
    conn: &mut Http,
    get: &str,
    headers: &[(&str, String)],
    detail: &mut String,
    facts: &mut ManifestFacts,
) -> Result<(), String> {
    match conn.request("GET", get, headers).await {
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
                    return Err(format!(
                        "{detail}; an index for {list}: no image for the node's platform {}",
                        plan.platform
                    ));
                }
                detail.push_str(&format!(
                    "; index for {list} (the node's {} is there)",
                    plan.platform
                ));
            }
            Err(e) => detail.push_str(&format!("; index unreadable: {e}")),
        },
        Ok(r) => detail.push_str(&format!("; GET of the index answered {}", r.status)),
        Err(e) => detail.push_str(&format!("; GET of the index: {e}")),
    }
    Ok(())
}

/// A 404: the tag list tells an unknown tag from an unknown repository.
async fn not_found(plan: &ProbePlan, conn: &mut Http, authorization: Option<&str>) -> StepResult {
    let image = &plan.image;
    let reference = image.manifest_reference();
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

/// A 401 on the manifest: the credentials lack the scope (the challenge
/// says `insufficient_scope`, or credentials were sent), or none were sent.
fn unauthorized(plan: &ProbePlan, resp: &net::Response, authorization: Option<&str>) -> StepResult {
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
                plan.image.repository
            ),
        )
    } else {
        fail(
            Category::AuthNoCredentials,
            "401: credentials needed".to_string(),
        )
    }
}
