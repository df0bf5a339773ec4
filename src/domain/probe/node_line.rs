//! The probe pod's output: one `PULLTUI-PROBE` line per step, read back
//! into [`StepResult`]s, with curl's words for a failed TLS handshake.

use std::net::IpAddr;

use super::facts::{DnsFacts, Resolution, TlsFailure};
use super::step::{Facts, Status, Step, StepResult};
use crate::domain::classify::Category;

/// The marker of a result line of the probe pod.
pub const NODE_LINE: &str = "PULLTUI-PROBE";

/// A note line of the probe pod (`PULLTUI-PROBE note=proxy detail=...`):
/// what it found out beside the steps, e.g. the runtime's proxy settings.
pub fn parse_node_note(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(NODE_LINE)?.trim_start();
    let rest = rest.strip_prefix("note=")?;
    let (_, detail) = rest.split_once(" detail=")?;
    Some(detail.trim().to_string())
}

/// Parses one line the probe pod prints:
/// `PULLTUI-PROBE step=tls status=fail ms=12 category=tls.untrusted detail=...`
/// (`detail` runs to the end of the line; `addrs` is space-free, comma-separated).
pub fn parse_node_line(line: &str) -> Option<StepResult> {
    let rest = line.trim().strip_prefix(NODE_LINE)?.trim_start();
    let (head, detail) = match rest.find("detail=") {
        Some(i) => (&rest[..i], rest[i + "detail=".len()..].trim()),
        None => (rest, ""),
    };
    let mut step = None;
    let mut status = None;
    let mut ms = 0;
    let mut category = None;
    let mut addrs: Option<Vec<IpAddr>> = None;
    let mut nx = false;
    for kv in head.split_whitespace() {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        match k {
            "step" => step = Step::from_id(v),
            "status" => {
                status = match v {
                    "ok" => Some(Status::Ok),
                    "fail" => Some(Status::Fail),
                    "skipped" => Some(Status::Skipped),
                    _ => None,
                }
            }
            "ms" => ms = v.parse().unwrap_or(0),
            "category" => category = Category::from_id(v),
            "addrs" => {
                addrs = Some(v.split(',').filter_map(|a| a.parse().ok()).collect());
            }
            "nxdomain" => nx = v == "1",
            _ => {}
        }
    }
    let step = step?;
    let status = status?;
    let mut r = StepResult {
        step,
        status,
        ms,
        detail: detail.to_string(),
        category: if status == Status::Fail {
            // curl's words decide a TLS failure's category.
            Some(category.unwrap_or_else(|| {
                if step == Step::Tls {
                    tls_failure_from_curl(detail).category()
                } else {
                    Category::Unknown
                }
            }))
        } else {
            None
        },
        facts: Facts::None,
    };
    if step == Step::Dns {
        let res = match addrs {
            Some(a) if !a.is_empty() => Resolution::Addrs { addrs: a },
            _ if nx || status == Status::Fail => Resolution::NxDomain,
            _ => Resolution::Failed {
                reason: detail.to_string(),
            },
        };
        r.facts = Facts::Dns(DnsFacts {
            system: Some(res),
            ..DnsFacts::default()
        });
    }
    Some(r)
}

/// Reads what curl's stderr says about a failed TLS handshake.
pub fn tls_failure_from_curl(message: &str) -> TlsFailure {
    let m = message.to_ascii_lowercase();
    if m.contains("self-signed") || m.contains("self signed") {
        TlsFailure::SelfSigned
    } else if m.contains("unable to get local issuer")
        || m.contains("unknown ca")
        || m.contains("unable to get issuer")
    {
        TlsFailure::UnknownAuthority
    } else if m.contains("expired") {
        TlsFailure::Expired
    } else if m.contains("not yet valid") {
        TlsFailure::NotYetValid
    } else if m.contains("subject name") || m.contains("does not match") || m.contains("hostname") {
        TlsFailure::Hostname
    } else if m.contains("wrong version number") || m.contains("packet length too long") {
        TlsFailure::PlainHttp
    } else if m.contains("timed out") || m.contains("timeout") {
        TlsFailure::Timeout
    } else {
        TlsFailure::Other(message.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_lines_are_not_steps() {
        let l = "PULLTUI-PROBE note=proxy detail=the runtime's proxy settings: /etc/x sets HTTPS_PROXY=http://***@p:3128";
        assert_eq!(
            parse_node_note(l).as_deref(),
            Some("the runtime's proxy settings: /etc/x sets HTTPS_PROXY=http://***@p:3128")
        );
        assert!(parse_node_line(l).is_none());
        assert!(parse_node_note("PULLTUI-PROBE step=dns status=ok ms=1 detail=x").is_none());
    }

    #[test]
    fn curl_messages_name_the_tls_failure() {
        assert_eq!(
            tls_failure_from_curl("curl: (60) SSL certificate problem: self-signed certificate"),
            TlsFailure::SelfSigned
        );
        assert_eq!(
            tls_failure_from_curl(
                "curl: (60) SSL certificate problem: unable to get local issuer certificate"
            ),
            TlsFailure::UnknownAuthority
        );
        assert_eq!(
            tls_failure_from_curl(
                "curl: (60) SSL: no alternative certificate subject name matches target host name 'x'"
            ),
            TlsFailure::Hostname
        );
        assert_eq!(
            tls_failure_from_curl("curl: (60) SSL certificate problem: certificate has expired"),
            TlsFailure::Expired
        );
        assert_eq!(
            tls_failure_from_curl("curl: (35) error:0A00010B:SSL routines::wrong version number"),
            TlsFailure::PlainHttp
        );
    }
}
