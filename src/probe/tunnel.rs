//! Connections through an HTTP proxy, as the runtime makes them when
//! `HTTPS_PROXY` / `HTTP_PROXY` applies (Go's `http.Transport`, which
//! containerd and CRI-O use): TCP to the proxy, then `CONNECT host:port`
//! for HTTPS (TLS to the registry inside the tunnel), or requests in
//! absolute form for plain HTTP. The proxy's credentials come from its
//! URL's userinfo and are never shown. A failure at the proxy is the
//! taxonomy's `network.proxy`.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::*;
use crate::domain::probe::{ProxyAddr, connect_status, connect_verdict, parse_proxy_url};
use crate::domain::redact::Redacted;

/// The largest answer header to `CONNECT` we read.
const MAX_HEAD: usize = 8 * 1024;

/// The proxy a connection goes through, and the variable that named it.
#[derive(Debug, Clone)]
pub struct Via {
    pub var: String,
    /// The variable's value, userinfo redacted.
    pub url: String,
    pub proxy: Result<ProxyAddr, String>,
}

impl Via {
    /// `via HTTPS_PROXY=http://***@proxy:3128`
    pub fn describe(&self) -> String {
        format!("via {}={}", self.var, self.url)
    }

    /// `Proxy-Authorization` for requests in absolute form.
    pub fn authorization(&self) -> Option<Redacted> {
        self.proxy
            .as_ref()
            .ok()
            .and_then(|p| p.authorization.clone())
    }
}

/// The proxy for `host:port` as the runtime picks it (`NO_PROXY` and
/// loopback exempt), unless `--no-proxy` asked for direct connections.
pub fn via(opts: &Options, host: &str, port: u16, https: bool) -> Option<Via> {
    if opts.direct {
        return None;
    }
    let ProxyUse::Applies { var, url } = proxy_use(&opts.proxy, host, port, https) else {
        return None;
    };
    let raw = if https {
        opts.proxy.https_proxy.as_ref()
    } else {
        opts.proxy.http_proxy.as_ref()
    };
    let proxy = raw
        .map(|(_, u)| parse_proxy_url(u))
        .unwrap_or_else(|| Err(format!("{var} is not set")));
    Some(Via { var, url, proxy })
}

/// A note for a step whose host a proxy would carry while `--no-proxy`
/// forces a direct connection.
pub fn forced_direct(opts: &Options, host: &str, port: u16, https: bool) -> Option<String> {
    if !opts.direct {
        return None;
    }
    match proxy_use(&opts.proxy, host, port, https) {
        ProxyUse::Applies { var, url } => Some(format!(
            "--no-proxy: connected directly, although the runtime would go via {var}={url}"
        )),
        _ => None,
    }
}

/// A connection through the proxy: for HTTPS a tunnel to the target.
pub struct Tunnel {
    pub stream: TcpStream,
    pub proxy_addr: SocketAddr,
    pub detail: String,
}

/// `host:port` as a request target (IPv6 in brackets).
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// TCP to the proxy and, for HTTPS, `CONNECT host:port`; each part within `t`.
pub async fn dial(
    via: &Via,
    host: &str,
    port: u16,
    https: bool,
    t: Duration,
) -> Result<Tunnel, (Category, String)> {
    let proxy = via
        .proxy
        .as_ref()
        .map_err(|e| (Category::NetworkProxy, format!("{}: {e}", via.var)))?;
    let shown = &via.url;
    // The proxy's own name is resolved here, as the runtime resolves it.
    let addrs: Vec<IpAddr> = match proxy.host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let lookup = tokio::net::lookup_host((proxy.host.as_str(), proxy.port));
            match tokio::time::timeout(t, lookup).await {
                Ok(Ok(a)) => a.map(|s| s.ip()).collect(),
                Ok(Err(e)) => {
                    let why = format!("the proxy {shown} does not resolve: {e}");
                    return Err((Category::NetworkProxy, why));
                }
                Err(_) => {
                    let why = format!("the proxy {shown} does not resolve in time");
                    return Err((Category::NetworkProxy, why));
                }
            }
        }
    };
    let dialled = net::connect(&addrs, proxy.port, t).await;
    let (Some(mut stream), Some(proxy_addr)) = (dialled.stream, dialled.addr) else {
        let why = format!("the proxy {shown} is unreachable: {}", dialled.detail);
        return Err((Category::NetworkProxy, why));
    };
    if !https {
        let detail = format!(
            "connected to the proxy {proxy_addr} ({}); requests go in absolute form",
            via.describe()
        );
        return Ok(Tunnel {
            stream,
            proxy_addr,
            detail,
        });
    }
    let target = authority(host, port);
    let status = tokio::time::timeout(t, connect(&mut stream, &target, proxy)).await;
    let status = match status {
        Err(_) => Err(format!(
            "the proxy {shown} did not answer CONNECT {target} within {} ms",
            t.as_millis()
        )),
        Ok(r) => r.map_err(|e| format!("the proxy {shown}, CONNECT {target}: {e}")),
    }
    .map_err(|why| (Category::NetworkProxy, why))?;
    connect_verdict(status, shown, &target, proxy.authorization.is_some())?;
    let detail = format!(
        "connected to the proxy {proxy_addr} ({}); CONNECT {target} answered {status}",
        via.describe()
    );
    Ok(Tunnel {
        stream,
        proxy_addr,
        detail,
    })
}

/// Sends `CONNECT target` and reads the answer's header (byte by byte: the
/// tunnel's first bytes are the registry's).
async fn connect(stream: &mut TcpStream, target: &str, proxy: &ProxyAddr) -> Result<u16, String> {
    let mut req = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {}\r\n",
        concat!("pulltui/", env!("CARGO_PKG_VERSION"), " (probe)")
    );
    if let Some(a) = &proxy.authorization {
        req.push_str(&format!("Proxy-Authorization: {}\r\n", a.expose()));
    }
    req.push_str("\r\n");
    let sent = stream.write_all(req.as_bytes()).await;
    zeroize::Zeroize::zeroize(&mut req);
    sent.map_err(|e| format!("sending: {e}"))?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while head.len() < MAX_HEAD {
        let n = stream
            .read(&mut byte)
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        if n == 0 {
            return Err("the proxy closed the connection without answering".to_string());
        }
        head.push(byte[0]);
        if let Some(r) = connect_status(&head) {
            return r;
        }
    }
    Err(format!(
        "the answer's header is longer than {MAX_HEAD} bytes"
    ))
}

/// A proxy for tests: it takes one connection, answers its request with
/// `answer`, and reports the request's header lines.
#[cfg(test)]
pub(super) async fn one_shot_proxy(answer: String) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    use tokio::io::AsyncBufReadExt as _;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let Ok((s, _)) = l.accept().await else {
            return vec![];
        };
        let mut r = tokio::io::BufReader::new(s);
        let mut lines = vec![];
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            lines.push(line.trim_end().to_string());
        }
        let _ = r.get_mut().write_all(answer.as_bytes()).await;
        lines
    });
    (port, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn via_url(url: String) -> Via {
        Via {
            var: "HTTPS_PROXY".into(),
            url: crate::domain::probe::redact_proxy_url(&url),
            proxy: parse_proxy_url(&url),
        }
    }

    #[tokio::test]
    async fn connect_sends_the_target_and_the_proxy_credentials() {
        let (port, seen) =
            one_shot_proxy("HTTP/1.1 200 Connection established\r\n\r\n".into()).await;
        let via = via_url(format!("http://u:pw@127.0.0.1:{port}"));
        let t = dial(&via, "reg.example", 5000, true, Duration::from_secs(3))
            .await
            .expect("tunnel");
        assert!(
            t.detail.contains("CONNECT reg.example:5000 answered 200")
                && t.detail.contains("via HTTPS_PROXY=http://***@127.0.0.1")
                && !t.detail.contains("pw"),
            "{}",
            t.detail
        );
        let lines = seen.await.expect("proxy");
        assert_eq!(lines[0], "CONNECT reg.example:5000 HTTP/1.1");
        assert!(lines.contains(&"Proxy-Authorization: Basic dTpwdw==".to_string()));
    }

    #[tokio::test]
    async fn a_407_and_a_403_are_proxy_findings() {
        let (port, _) =
            one_shot_proxy("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n".into()).await;
        let via = via_url(format!("http://127.0.0.1:{port}"));
        let Err((c, why)) = dial(&via, "reg.example", 443, true, Duration::from_secs(3)).await
        else {
            panic!("407 accepted");
        };
        assert_eq!(c, Category::NetworkProxy);
        assert!(why.contains("requires authentication"), "{why}");
        let (port, _) = one_shot_proxy("HTTP/1.1 403 Forbidden\r\n\r\n".into()).await;
        let via = via_url(format!("http://127.0.0.1:{port}"));
        let Err((_, why)) = dial(&via, "reg.example", 443, true, Duration::from_secs(3)).await
        else {
            panic!("403 accepted");
        };
        assert!(
            why.contains("refuses to connect to reg.example:443"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_proxy_is_a_proxy_finding() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let via = via_url(format!("http://127.0.0.1:{port}"));
        let Err((c, why)) = dial(&via, "reg.example", 443, true, Duration::from_secs(2)).await
        else {
            panic!("connected to nothing");
        };
        assert_eq!(c, Category::NetworkProxy);
        assert!(why.contains("is unreachable"), "{why}");
    }
}
