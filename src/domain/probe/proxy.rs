//! Whether an HTTP(S) proxy carries a connection to the registry, by the
//! rules containerd follows (Go's `httpproxy`). The environment is read by
//! the caller.

use std::net::IpAddr;

use serde::Serialize;

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
        url: url.clone(),
    }
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
