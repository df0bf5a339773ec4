//! One DNS A query over UDP to the harness's loopback DNS server, the way
//! Go's resolver sees the answer (NXDOMAIN, or anything else going wrong).

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::UdpSocket;

pub enum DnsError {
    NxDomain,
    Other(String),
}

pub async fn dns_query_a(server: SocketAddr, name: &str) -> Result<Ipv4Addr, DnsError> {
    let sock = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| DnsError::Other(e.to_string()))?;
    let id: u16 = (std::process::id() as u16) ^ 0x5a5a;
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        let l = label.as_bytes();
        if l.is_empty() || l.len() > 63 {
            return Err(DnsError::NxDomain);
        }
        q.push(l.len() as u8);
        q.extend_from_slice(l);
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    sock.send_to(&q, server)
        .await
        .map_err(|e| DnsError::Other(e.to_string()))?;
    let mut buf = [0u8; 1500];
    let (n, _) = sock
        .recv_from(&mut buf)
        .await
        .map_err(|e| DnsError::Other(e.to_string()))?;
    let r = &buf[..n];
    if r.len() < 12 || r[0..2] != id.to_be_bytes() {
        return Err(DnsError::Other("bad response".into()));
    }
    match r[3] & 0x0f {
        0 => {}
        3 => return Err(DnsError::NxDomain),
        c => return Err(DnsError::Other(format!("rcode {c}"))),
    }
    let ancount = u16::from_be_bytes([r[6], r[7]]);
    // Skip the question.
    let mut off = 12;
    while off < r.len() && r[off] != 0 {
        off += 1 + r[off] as usize;
    }
    off += 5;
    for _ in 0..ancount {
        if off + 12 > r.len() {
            break;
        }
        // Name: a pointer (2 bytes) or labels.
        if r[off] & 0xc0 == 0xc0 {
            off += 2;
        } else {
            while off < r.len() && r[off] != 0 {
                off += 1 + r[off] as usize;
            }
            off += 1;
        }
        if off + 10 > r.len() {
            break;
        }
        let typ = u16::from_be_bytes([r[off], r[off + 1]]);
        let len = u16::from_be_bytes([r[off + 8], r[off + 9]]) as usize;
        off += 10;
        if typ == 1 && len == 4 && off + 4 <= r.len() {
            return Ok(Ipv4Addr::new(r[off], r[off + 1], r[off + 2], r[off + 3]));
        }
        off += len;
    }
    Err(DnsError::NxDomain)
}
