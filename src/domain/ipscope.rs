//! Scope of a dialled address, as the taxonomy defines it: a public IP for a
//! registry that should be reached over a private link is the TKE/TCR finding.
//! Public means a host on the internet: the special-purpose ranges (IANA's
//! registries: unspecified, "this network", reserved, multicast,
//! benchmarking, documentation, NAT64, ...) are [`IpScope::Special`], which
//! matters where an address decides what may be dialled (a token realm).

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
    /// No host on the internet: `0.0.0.0`/8 and `::` (they reach this
    /// machine), 240/4, multicast, 198.18/15, 192.0.0/24, documentation
    /// ranges, NAT64 `64:ff9b::/96`, IPv4-compatible `::a.b.c.d`, ...
    Special,
}

impl IpScope {
    pub fn id(self) -> &'static str {
        match self {
            IpScope::Public => "public",
            IpScope::Private => "private",
            IpScope::Cgnat => "cgnat",
            IpScope::Loopback => "loopback",
            IpScope::LinkLocal => "link-local",
            IpScope::Special => "special",
        }
    }

    /// Scope of an address: RFC 1918 and fc00::/7 (and the deprecated
    /// site-local fec0::/10) are private, 100.64.0.0/10 is CGNAT, then
    /// loopback, link-local and the special-purpose ranges; else public.
    /// IPv4-mapped and 6to4 addresses are the IPv4 address they carry.
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
                } else if o[0] == 0 // "this network", 0.0.0.0 included
                    || o[0] >= 224 // multicast 224/4, reserved 240/4, broadcast
                    || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
                    || (o[0], o[1], o[2]) == (192, 0, 0) // IETF protocol assignments
                    || (o[0], o[1], o[2]) == (192, 0, 2) // documentation
                    || (o[0], o[1], o[2]) == (198, 51, 100)
                    || (o[0], o[1], o[2]) == (203, 0, 113)
                {
                    IpScope::Special
                } else {
                    IpScope::Public
                }
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return IpScope::of(IpAddr::V4(v4));
                }
                let s = v6.segments();
                if s[0] == 0x2002 {
                    // 6to4: what matters is the IPv4 address it reaches.
                    let [a, b] = s[1].to_be_bytes();
                    let [c, d] = s[2].to_be_bytes();
                    return IpScope::of(IpAddr::V4([a, b, c, d].into()));
                }
                if v6.is_loopback() {
                    IpScope::Loopback
                } else if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
                    IpScope::Private
                } else if (s[0] & 0xffc0) == 0xfe80 {
                    IpScope::LinkLocal
                } else if s[..6] == [0; 6] // ::, IPv4-compatible ::a.b.c.d
                    || (s[0] & 0xff00) == 0xff00 // multicast
                    || (s[0], s[1]) == (0x64, 0xff9b) // NAT64 64:ff9b::/96, 64:ff9b:1::/48
                    || s[..4] == [0x100, 0, 0, 0] // discard-only 100::/64
                    || (s[0], s[1]) == (0x2001, 0xdb8)
                // documentation
                {
                    IpScope::Special
                } else {
                    IpScope::Public
                }
            }
        }
    }
}

impl IpScope {
    /// An address of a local network: private, CGNAT, loopback or
    /// link-local (not public, not special-purpose).
    pub fn is_local(self) -> bool {
        matches!(
            self,
            IpScope::Private | IpScope::Cgnat | IpScope::Loopback | IpScope::LinkLocal
        )
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

    /// M4: addresses that are no host on the internet (unspecified, "this
    /// network", reserved, multicast, benchmarking, IETF protocol
    /// assignments, documentation, NAT64, IPv4-compatible) are not public.
    #[test]
    fn special_purpose_addresses_are_not_public() {
        for a in [
            "0.0.0.0",
            "0.1.2.3",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "198.18.0.1",
            "198.19.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "::",
            "ff02::1",
            "ff0e::1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "::a9fe:a9fe",
            "2001:db8::1",
            "100::1",
        ] {
            assert_eq!(scope(a), IpScope::Special, "{a}");
        }
        // Their neighbours are public.
        for a in [
            "1.0.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "64:ff9c::1",
            "2001:db9::1",
            "2606:4700::1111",
        ] {
            assert_eq!(scope(a), IpScope::Public, "{a}");
        }
        // 6to4 carries an IPv4 address: a local one is what it reaches.
        assert_eq!(scope("2002:7f00:1::1"), IpScope::Loopback);
        assert_eq!(scope("2002:a00:5::1"), IpScope::Private);
        assert_eq!(scope("2002:808:808::1"), IpScope::Public);
        assert_eq!(IpScope::Special.id(), "special");
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
