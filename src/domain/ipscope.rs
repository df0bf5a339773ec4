//! Scope of a dialled address, as the taxonomy defines it: a public IP for a
//! registry that should be reached over a private link is the TKE/TCR finding.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpScope {
    Public,
    Private,
    Cgnat,
    Loopback,
    LinkLocal,
}

impl IpScope {
    pub fn id(self) -> &'static str {
        match self {
            IpScope::Public => "public",
            IpScope::Private => "private",
            IpScope::Cgnat => "cgnat",
            IpScope::Loopback => "loopback",
            IpScope::LinkLocal => "link-local",
        }
    }

    /// Scope of an address: RFC 1918 and fc00::/7 are private,
    /// 100.64.0.0/10 is CGNAT, then loopback and link-local, else public.
    pub fn of(ip: IpAddr) -> IpScope {
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                if v4.is_loopback() {
                    IpScope::Loopback
                } else if v4.is_private() {
                    IpScope::Private
                } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                    IpScope::Cgnat
                } else if v4.is_link_local() {
                    IpScope::LinkLocal
                } else {
                    IpScope::Public
                }
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return IpScope::of(IpAddr::V4(v4));
                }
                let seg0 = v6.segments()[0];
                if v6.is_loopback() {
                    IpScope::Loopback
                } else if (seg0 & 0xfe00) == 0xfc00 {
                    IpScope::Private
                } else if (seg0 & 0xffc0) == 0xfe80 {
                    IpScope::LinkLocal
                } else {
                    IpScope::Public
                }
            }
        }
    }
}

impl fmt::Display for IpScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> IpScope {
        IpScope::of(s.parse().expect("test address"))
    }

    #[test]
    fn ipv4_scopes() {
        assert_eq!(scope("43.137.1.5"), IpScope::Public);
        assert_eq!(scope("199.96.61.1"), IpScope::Public);
        assert_eq!(scope("10.15.122.12"), IpScope::Private);
        assert_eq!(scope("172.16.0.1"), IpScope::Private);
        assert_eq!(scope("172.31.255.255"), IpScope::Private);
        assert_eq!(scope("172.32.0.1"), IpScope::Public);
        assert_eq!(scope("192.168.1.1"), IpScope::Private);
        assert_eq!(scope("100.64.0.254"), IpScope::Cgnat);
        assert_eq!(scope("100.127.255.255"), IpScope::Cgnat);
        assert_eq!(scope("100.128.0.1"), IpScope::Public);
        assert_eq!(scope("127.0.0.1"), IpScope::Loopback);
        assert_eq!(scope("127.8.9.10"), IpScope::Loopback);
        assert_eq!(scope("169.254.169.254"), IpScope::LinkLocal);
    }

    #[test]
    fn ipv6_scopes() {
        assert_eq!(scope("::1"), IpScope::Loopback);
        assert_eq!(scope("fd00::1"), IpScope::Private);
        assert_eq!(scope("fc12::1"), IpScope::Private);
        assert_eq!(scope("fe80::1"), IpScope::LinkLocal);
        assert_eq!(scope("2606:4700::1111"), IpScope::Public);
        assert_eq!(scope("::ffff:10.0.0.1"), IpScope::Private);
    }
}
