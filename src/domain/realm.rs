//! Where a token realm may send this machine. A registry names its token
//! server in its `WWW-Authenticate` challenge, and the probe asks that
//! server for a token, with the user's credentials when a pull secret
//! covers the registry. A registry must not be able to steer this machine
//! to its own services or into a local network (request forgery):
//! [`realm_refusal`] is the one rule, applied to every address the realm's
//! host resolves to (the connection then goes to an address it checked).

use std::net::IpAddr;

use super::ipscope::IpScope;

/// Whether the token realm `realm`, on `realm_ips`, may be asked for a
/// token by a probe of the registry at `registry_ip`. `Some(reason)` means
/// refused, no request sent. Every address must pass:
///
/// - a special-purpose address ([`IpScope::Special`]: `0.0.0.0` and `::`
///   reach this machine, the rest is no token server): never;
/// - a public address: always;
/// - the registry's own address (a token server beside it): always;
/// - another private or CGNAT address: only when the realm is a host
///   *name* and the registry is itself on a private or CGNAT address (a
///   self-managed GitLab's `registry.gitlab.corp` and `gitlab.corp`, Harbor
///   on split hosts). An IP literal is refused, as go-containerregistry
///   refuses private realm literals; a public registry never leads this
///   machine into a private network;
/// - another loopback or link-local address (this machine's services, a
///   cloud metadata service): never.
///
/// No address at all (a resolver may answer so) is refused too: nothing
/// was checked, so nothing may be dialled.
pub fn realm_refusal(realm: &str, realm_ips: &[IpAddr], registry_ip: IpAddr) -> Option<String> {
    if realm_ips.is_empty() {
        return Some(format!(
            "refused: the token realm {realm} resolved to no address; no request sent"
        ));
    }
    let registry_ip = registry_ip.to_canonical();
    let registry_private = matches!(IpScope::of(registry_ip), IpScope::Private | IpScope::Cgnat);
    let named = !realm_host_is_literal(realm);
    realm_ips.iter().find_map(|ip| {
        let ip = ip.to_canonical();
        let scope = IpScope::of(ip);
        let why = match scope {
            IpScope::Special => {
                "a special-purpose address (it reaches this machine, or no host at all)".to_string()
            }
            IpScope::Public => return None,
            _ if ip == registry_ip => return None,
            IpScope::Private | IpScope::Cgnat if !named => format!(
                "which is not the registry ({registry_ip}), and a realm in a private network is \
                 followed only when it is a host name"
            ),
            IpScope::Private | IpScope::Cgnat if !registry_private => format!(
                "and the registry ({registry_ip}) is not in a private network: it may not lead \
                 this machine into one"
            ),
            IpScope::Private | IpScope::Cgnat => return None,
            IpScope::Loopback | IpScope::LinkLocal => {
                format!("which is not the registry ({registry_ip})")
            }
        };
        Some(format!(
            "refused: the token realm {realm} is on {ip} ({scope}), {why}; no request sent"
        ))
    })
}

/// Whether the realm URL's host is an address rather than a name: an IP
/// literal (`[v6]` too), or a numeric form the system resolver reads as an
/// IPv4 address (`2130706433`, `0x7f.1`). Unparseable counts as literal
/// (the stricter side).
fn realm_host_is_literal(realm: &str) -> bool {
    let Some((_, rest)) = realm.split_once("://") else {
        return true;
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        return v6
            .split_once(']')
            .is_none_or(|(h, _)| h.parse::<IpAddr>().is_ok());
    } else {
        hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
    };
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return true;
    }
    // inet_aton's forms: 1 to 4 dot-separated decimal, octal or 0x-hex parts.
    let parts: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    parts.len() <= 4
        && parts.iter().all(|p| {
            let hex = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"));
            match hex {
                Some(h) => h.chars().all(|c| c.is_ascii_hexdigit()),
                None => !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_realm_in_the_local_network_that_is_not_the_registry_is_refused() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let reg = ip("43.1.2.3");
        assert!(realm_refusal("https://x/token", &[ip("169.254.169.254")], reg).is_some());
        assert!(realm_refusal("https://x/token", &[ip("10.0.0.5")], reg).is_some());
        assert!(realm_refusal("https://x/token", &[ip("127.0.0.1")], reg).is_some());
        assert!(realm_refusal("https://x/token", &[ip("52.1.1.1")], reg).is_none());
        let local = ip("10.0.0.5");
        assert!(realm_refusal("https://x/token", &[local], local).is_none());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    /// M4: special-purpose addresses are never a realm's target, by
    /// literal or by name, whatever the registry: `0.0.0.0` and `::` reach
    /// this machine, the rest is no token server.
    #[test]
    fn a_realm_on_a_special_purpose_address_is_refused() {
        for reg in ["127.0.0.1", "10.0.0.5", "43.1.2.3"] {
            let reg = ip(reg);
            for a in [
                "0.0.0.0",
                "0.1.2.3",
                "::",
                "240.0.0.1",
                "255.255.255.255",
                "224.0.0.1",
                "ff02::1",
                "198.18.0.1",
                "192.0.0.8",
                "64:ff9b::7f00:1",
            ] {
                let host = if a.contains(':') {
                    format!("[{a}]")
                } else {
                    a.to_string()
                };
                let literal = format!("http://{host}:8765/pwned");
                assert!(
                    realm_refusal(&literal, &[ip(a)], reg).is_some(),
                    "{literal} from {reg}"
                );
                let named = "http://token.example/pwned";
                assert!(
                    realm_refusal(named, &[ip("52.1.1.1"), ip(a)], reg).is_some(),
                    "{named} on {a} from {reg}"
                );
            }
        }
    }

    /// L1: a private registry whose token server is another private host
    /// (self-managed GitLab: registry.gitlab.corp and gitlab.corp; Harbor
    /// on split hosts) works when the realm is a name. A private IP
    /// literal stays refused, as go-containerregistry refuses it; a public
    /// registry never leads into a private network; loopback and
    /// link-local stay refused unless they are the registry's own address.
    #[test]
    fn a_named_realm_on_another_private_host_of_a_private_registry_is_allowed() {
        let gitlab = "https://gitlab.corp/jwt/auth";
        assert_eq!(
            realm_refusal(gitlab, &[ip("10.0.0.6")], ip("10.0.0.5")),
            None
        );
        assert_eq!(
            realm_refusal(gitlab, &[ip("172.16.3.4"), ip("fd00::6")], ip("10.0.0.5")),
            None
        );
        assert_eq!(
            realm_refusal(gitlab, &[ip("10.0.0.6")], ip("100.64.0.7")),
            None
        );
        assert_eq!(
            realm_refusal(gitlab, &[ip("100.100.1.1")], ip("192.168.1.9")),
            None
        );
        // A literal private realm other than the registry: refused.
        let literal = "https://10.0.0.6/jwt/auth";
        assert!(realm_refusal(literal, &[ip("10.0.0.6")], ip("10.0.0.5")).is_some());
        assert!(realm_refusal("https://[fd00::6]/t", &[ip("fd00::6")], ip("10.0.0.5")).is_some());
        // A public registry: no private, CGNAT, loopback or link-local realm.
        for a in [
            "10.0.0.6",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "fd00::1",
        ] {
            assert!(
                realm_refusal(gitlab, &[ip(a)], ip("43.1.2.3")).is_some(),
                "{a}"
            );
        }
        // A private registry: no loopback or link-local realm by name.
        for a in ["127.0.0.1", "::1", "169.254.169.254", "fe80::1"] {
            assert!(
                realm_refusal(gitlab, &[ip(a)], ip("10.0.0.5")).is_some(),
                "{a}"
            );
        }
        // A loopback registry (a port-forward): its own address only.
        assert!(realm_refusal(gitlab, &[ip("10.0.0.6")], ip("127.0.0.1")).is_some());
        assert!(
            realm_refusal(
                "http://localhost:5001/t",
                &[ip("127.0.0.2")],
                ip("127.0.0.1")
            )
            .is_some()
        );
        assert_eq!(
            realm_refusal(
                "http://localhost:5001/t",
                &[ip("127.0.0.1")],
                ip("127.0.0.1")
            ),
            None
        );
        // Public realms are always fine.
        assert_eq!(
            realm_refusal(gitlab, &[ip("52.1.1.1")], ip("10.0.0.5")),
            None
        );
    }

    /// S2: a resolver may answer Ok with no address; nothing was checked,
    /// so nothing may be dialled, and there is no first address to take.
    #[test]
    fn a_realm_with_no_address_is_refused() {
        let why = realm_refusal("https://token.example/t", &[], ip("10.0.0.5"));
        assert!(
            why.as_deref().is_some_and(|w| w.contains("no address")),
            "{why:?}"
        );
    }

    #[test]
    fn numeric_hosts_are_literals_names_are_not() {
        for r in [
            "http://10.0.0.6/t",
            "https://10.0.0.6:5443/t",
            "http://[fd00::1]:80/t",
            "http://167772166/t",
            "http://0x0a.0.0.6/t",
            "http://u@10.0.0.6/t",
            "not a url",
        ] {
            assert!(realm_host_is_literal(r), "{r}");
        }
        for r in [
            "https://gitlab.corp/jwt/auth",
            "https://beef.cafe:5443/t",
            "http://localhost/t",
            "https://auth.10.0.0.6.nip.io/t",
        ] {
            assert!(!realm_host_is_literal(r), "{r}");
        }
    }
}
