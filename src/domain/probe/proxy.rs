//! Whether an HTTP(S) proxy carries a connection to the registry, by the
//! rules containerd follows (Go's `httpproxy`). The environment is read by
//! the caller.

use std::net::IpAddr;

use serde::Serialize;

use crate::domain::classify::Category;
use crate::domain::redact::Redacted;

/// Whether an HTTP(S) proxy would carry the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "proxy", rename_all = "kebab-case")]
pub enum ProxyUse {
    None,
    /// `HTTPS_PROXY` (or `HTTP_PROXY` for plain HTTP) names a proxy for this host.
    Applies {
        var: String,
        url: String,
    },
    /// A proxy is set, but `NO_PROXY` exempts this host.
    Exempt {
        entry: String,
    },
}

/// Proxy variables as found in the environment (read by the caller).
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    pub https_proxy: Option<(String, String)>,
    pub http_proxy: Option<(String, String)>,
    pub no_proxy: Option<String>,
}

/// Go's `httpproxy` rules, which containerd follows: `NO_PROXY` entries are
/// hosts, `.domain`/`domain` suffixes, `*`, IPs and CIDRs, optionally with a port.
pub fn proxy_use(env: &ProxyEnv, host: &str, port: u16, https: bool) -> ProxyUse {
    let proxy = if https {
        env.https_proxy.as_ref()
    } else {
        env.http_proxy.as_ref()
    };
    let Some((var, url)) = proxy.filter(|(_, u)| !u.is_empty()) else {
        return ProxyUse::None;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return ProxyUse::Exempt {
            entry: "loopback (never proxied)".to_string(),
        };
    }
    for entry in env.no_proxy.as_deref().unwrap_or("").split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if no_proxy_matches(&entry, host, port) {
            return ProxyUse::Exempt { entry };
        }
    }
    ProxyUse::Applies {
        var: var.clone(),
        url: redact_proxy_url(url),
    }
}

/// A proxy as its URL names it, as Go's `httpproxy` reads the variable: a
/// URL without a scheme is `http://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAddr {
    pub host: String,
    pub port: u16,
    /// `Proxy-Authorization: Basic …` from the URL's userinfo (never shown).
    pub authorization: Option<Redacted>,
}

/// The proxy a variable's value names, or why the probe cannot use it.
pub fn parse_proxy_url(raw: &str) -> Result<ProxyAddr, String> {
    let shown = redact_proxy_url(raw);
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), raw),
    };
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" | "socks5" | "socks5h" => {
            return Err(format!(
                "{shown}: a {scheme} proxy (the probe speaks to HTTP proxies only; \
                 --no-proxy probes directly)"
            ));
        }
        _ => return Err(format!("{shown}: unknown proxy scheme {scheme:?}")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| format!("{shown}: invalid port {p:?}"))?;
            (h, port)
        }
        _ => (hostport, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{shown}: no host"));
    }
    let authorization = userinfo.map(|u| {
        use base64::Engine as _;
        let (user, pass) = u.split_once(':').unwrap_or((u, ""));
        let plain = format!("{}:{}", percent_decode(user), percent_decode(pass));
        Redacted::new(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(plain)
        ))
    });
    Ok(ProxyAddr {
        host: host.to_string(),
        port,
        authorization,
    })
}

/// A proxy URL as it may be shown: its userinfo (user and password) replaced.
pub fn redact_proxy_url(raw: &str) -> String {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), raw),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, hostport)) => format!("{scheme}***@{hostport}{}", &rest[end..]),
        None => raw.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The status of a proxy's answer to `CONNECT`, once its header is
/// complete: `None` while more bytes are needed.
pub fn connect_status(head: &[u8]) -> Option<Result<u16, String>> {
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&head[..end]);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    Some(match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(v), Some(Ok(s))) if v.starts_with("HTTP/1.") => Ok(s),
        _ => Err(format!(
            "the proxy's answer to CONNECT is not HTTP ({:?})",
            line.chars().take(40).collect::<String>()
        )),
    })
}

/// What a proxy's answer to `CONNECT target` means: `Ok` for a tunnel, else
/// the taxonomy's proxy category and why. `with_credentials`: the proxy URL
/// carried a user and password.
pub fn connect_verdict(
    status: u16,
    proxy: &str,
    target: &str,
    with_credentials: bool,
) -> Result<(), (Category, String)> {
    let why = match status {
        200..=299 => return Ok(()),
        407 if with_credentials => format!(
            "the proxy {proxy} rejects the credentials in its URL (407 Proxy Authentication \
                 Required for CONNECT {target})"
        ),
        407 => format!(
            "the proxy {proxy} requires authentication (407 for CONNECT {target}); the proxy \
                 URL has no user and password"
        ),
        403 => format!("the proxy {proxy} refuses to connect to {target} (403)"),
        s @ 502..=504 => format!(
            "the proxy {proxy} could not reach {target} ({s}: the proxy's own connection failed)"
        ),
        s => format!("the proxy {proxy} answered CONNECT {target} with {s}"),
    };
    Err((Category::NetworkProxy, why))
}

fn no_proxy_matches(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let host = host.to_ascii_lowercase();
    if let Some((net, bits)) = entry.split_once('/')
        && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>())
    {
        return host
            .parse::<IpAddr>()
            .is_ok_and(|ip| in_cidr(ip, net, bits));
    }
    let (name, eport) = match entry.rsplit_once(':') {
        Some((n, p)) if !n.contains(':') || n.ends_with(']') => (n, p.parse::<u16>().ok()),
        _ => (entry, None),
    };
    if eport.is_some_and(|p| p != port) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Some(suffix) = name.strip_prefix("*.") {
        return host.ends_with(&format!(".{suffix}"));
    }
    if let Some(suffix) = name.strip_prefix('.') {
        return host.ends_with(&format!(".{suffix}"));
    }
    host == name || host.ends_with(&format!(".{name}"))
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_parsed_and_redacted() {
        let p = parse_proxy_url("http://us%40er:p%3Ass@proxy.corp:3128/").expect("url");
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        // "us@er:p:ss" in base64.
        assert_eq!(
            p.authorization.as_ref().map(Redacted::expose),
            Some("Basic dXNAZXI6cDpzcw==")
        );
        let bare = parse_proxy_url("proxy.corp").expect("bare");
        assert_eq!((bare.port, bare.authorization), (80, None));
        assert_eq!(
            parse_proxy_url("http://[::1]:8080").expect("v6").host,
            "::1"
        );
        let e = parse_proxy_url("socks5://u:secret@proxy:1080").expect_err("socks");
        assert!(e.contains("socks5") && !e.contains("secret"), "{e}");
        assert_eq!(
            redact_proxy_url("http://user:secret@proxy:3128/x"),
            "http://***@proxy:3128/x"
        );
        assert_eq!(redact_proxy_url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(redact_proxy_url("u:p@proxy:3128"), "***@proxy:3128");
        let env = ProxyEnv {
            https_proxy: Some(("HTTPS_PROXY".into(), "http://u:secret@proxy:3128".into())),
            ..ProxyEnv::default()
        };
        let shown = format!("{:?}", proxy_use(&env, "reg.example", 443, true));
        assert!(
            !shown.contains("secret") && shown.contains("***@proxy"),
            "{shown}"
        );
    }

    #[test]
    fn connect_answers() {
        assert_eq!(
            connect_status(b"HTTP/1.1 200 Connection established\r\n"),
            None
        );
        assert_eq!(
            connect_status(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some(Ok(200))
        );
        assert_eq!(
            connect_status(b"HTTP/1.0 407 Proxy Auth\r\nProxy-Authenticate: Basic\r\n\r\n"),
            Some(Ok(407))
        );
        assert!(matches!(connect_status(b"SSH-2.0-x\r\n\r\n"), Some(Err(_))));
        let p = "http://proxy:3128";
        assert!(connect_verdict(200, p, "reg:443", false).is_ok());
        let (c, why) = connect_verdict(407, p, "reg:443", false).expect_err("407");
        assert_eq!(c, Category::NetworkProxy);
        assert!(
            why.contains("requires authentication")
                && why.contains("; the proxy URL has no user and password"),
            "{why}"
        );
        let (_, why) = connect_verdict(407, p, "reg:443", true).expect_err("407");
        assert!(why.contains("rejects the credentials"), "{why}");
        let (c, why) = connect_verdict(403, p, "reg:443", false).expect_err("403");
        assert_eq!(c, Category::NetworkProxy);
        assert!(why.contains("refuses to connect to reg:443"), "{why}");
    }

    #[test]
    fn no_proxy_follows_go_rules() {
        let env = ProxyEnv {
            https_proxy: Some(("HTTPS_PROXY".into(), "http://proxy:3128".into())),
            http_proxy: None,
            no_proxy: Some(".corp.example, 10.0.0.0/8, reg.other:5000".into()),
        };
        assert!(matches!(
            proxy_use(&env, "reg.example.com", 443, true),
            ProxyUse::Applies { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "a.corp.example", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "10.1.2.3", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "reg.other", 5000, true),
            ProxyUse::Exempt { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "reg.other", 443, true),
            ProxyUse::Applies { .. }
        ));
        assert!(matches!(
            proxy_use(&env, "127.0.0.1", 443, true),
            ProxyUse::Exempt { .. }
        ));
        assert_eq!(
            proxy_use(&env, "reg.example.com", 80, false),
            ProxyUse::None
        );
    }
}
