//! The DNS step: the system resolver (getaddrinfo through tokio, as the
//! runtime's libc would see /etc/hosts and a VPN's split DNS) and the
//! hickory resolver library asking DNS itself (resolv.conf, or the server
//! given with `--nameserver`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use crate::domain::probe::{DnsFacts, Resolution};

/// Resolves `host`. With `nameserver`, only that server is asked.
pub async fn resolve(
    host: &str,
    port: u16,
    nameserver: Option<SocketAddr>,
    timeout: Duration,
) -> DnsFacts {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return DnsFacts {
            system: Some(Resolution::Addrs { addrs: vec![ip] }),
            literal: true,
            ..DnsFacts::default()
        };
    }
    // Each resolver gets the whole step budget minus a margin; they run at once.
    let budget = timeout.mul_f64(0.9);
    match nameserver {
        Some(ns) => DnsFacts {
            library: Some(library(host, Some(ns), budget).await),
            nameserver: Some(ns.to_string()),
            ..DnsFacts::default()
        },
        None => {
            let (s, l) = tokio::join!(system(host, port, budget), library(host, None, budget));
            DnsFacts {
                system: Some(s),
                library: Some(l),
                ..DnsFacts::default()
            }
        }
    }
}

async fn system(host: &str, port: u16, budget: Duration) -> Resolution {
    match tokio::time::timeout(budget, tokio::net::lookup_host((host, port))).await {
        Err(_) => Resolution::Failed {
            reason: format!("timed out after {} ms", budget.as_millis()),
        },
        Ok(Ok(addrs)) => {
            let mut v: Vec<IpAddr> = vec![];
            for a in addrs {
                if !v.contains(&a.ip()) {
                    v.push(a.ip());
                }
            }
            if v.is_empty() {
                Resolution::NxDomain
            } else {
                Resolution::Addrs { addrs: v }
            }
        }
        Ok(Err(e)) => {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            // getaddrinfo's EAI_NONAME / EAI_NODATA.
            if lower.contains("not known") || lower.contains("no address associated") {
                Resolution::NxDomain
            } else {
                Resolution::Failed { reason: text }
            }
        }
    }
}

async fn library(host: &str, nameserver: Option<SocketAddr>, budget: Duration) -> Resolution {
    let builder = match nameserver {
        Some(ns) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = ns.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = ns.port();
            let mut server = NameServerConfig::udp(ns.ip());
            server.connections = vec![udp, tcp];
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => match TokioResolver::builder_tokio() {
            Ok(b) => b,
            Err(e) => {
                return Resolution::Failed {
                    reason: format!("cannot read the resolver configuration: {e}"),
                };
            }
        },
    };
    let mut builder = builder;
    {
        let o = builder.options_mut();
        o.timeout = budget.mul_f64(0.45);
        o.attempts = 1;
        o.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        // DNS itself: /etc/hosts is the system resolver's business.
        o.use_hosts_file = ResolveHosts::Never;
        o.cache_size = 0;
    }
    let resolver = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            return Resolution::Failed {
                reason: format!("resolver: {e}"),
            };
        }
    };
    // A fully qualified name: no search domains (the registry's name is absolute).
    let fqdn = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    match tokio::time::timeout(budget, resolver.lookup_ip(fqdn.as_str())).await {
        Err(_) => Resolution::Failed {
            reason: format!("timed out after {} ms", budget.as_millis()),
        },
        Ok(Ok(lookup)) => {
            let mut v: Vec<IpAddr> = vec![];
            for ip in lookup.iter() {
                if !v.contains(&ip) {
                    v.push(ip);
                }
            }
            if v.is_empty() {
                Resolution::NxDomain
            } else {
                Resolution::Addrs { addrs: v }
            }
        }
        Ok(Err(e)) if e.is_nx_domain() => Resolution::NxDomain,
        Ok(Err(e)) if e.is_no_records_found() => Resolution::Failed {
            reason: "no A/AAAA records".to_string(),
        },
        Ok(Err(e)) => Resolution::Failed {
            reason: e.to_string(),
        },
    }
}
