//! The transport (mostly tiers 8-10): timeouts, refusals, resets, server errors,
//! and the generic TLS words, the weakest evidence.
//! A rule's tier, not its file, decides its strength; order within the
//! table is kept: at an equal tier and span the first
//! rule wins.

use super::{RuleDef, rule};
use crate::domain::taxonomy::Category;

pub(super) const RULES: &[RuleDef] = &[
    rule(8, Category::NetworkTimeout, r"i/o timeout", &[]),
    rule(8, Category::NetworkTimeout, r"connection timed out", &[]),
    rule(8, Category::NetworkTimeout, r"operation timed out", &[]),
    // Windows nodes: Go's net errors carry Winsock's own text
    // (WSAETIMEDOUT 10060, WSAENETUNREACH 10051, WSAEHOSTUNREACH 10065).
    rule(
        8,
        Category::NetworkTimeout,
        r"connected party did not properly respond after a period of time",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"a socket operation was attempted to an unreachable (?:network|host)",
        &[],
    ),
    // A bare `request canceled` is also how a pull cancelled for making no
    // progress ends (the docker-era kubelet's progress deadline).
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?request canceled while waiting for connection(?: \(Client\.Timeout exceeded[^)]*\))?",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?request canceled(?: \(Client\.Timeout exceeded[^)]*\))?",
        &[Category::NetworkStalled],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"Client\.Timeout exceeded[^)\n]*",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?:net/http: )?TLS handshake timeout",
        &[],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"timeout awaiting response headers",
        &[],
    ),
    // The kubelet or the runtime gave up on a pull that took too long (or
    // the pod went away): docker's hint "no credentials on this request" is
    // a hedge, not evidence, and is no rule at all.
    // A pull cancelled by the runtime (a stall past containerd's progress
    // timeout) reaches kubelet as `code = Canceled … context canceled`; the
    // same words follow a pod deleted mid-pull. Weak either way.
    rule(
        7,
        Category::NetworkStalled,
        r"code = Canceled desc = failed to pull and unpack image [^\n]*: context canceled",
        &[Category::NetworkTimeout, Category::Unknown],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"context canceled",
        &[Category::NetworkStalled, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"context deadline exceeded",
        &[Category::NetworkDns, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"(?-i)\bDeadlineExceeded\b",
        &[Category::NetworkDns, Category::NodeRuntime],
    ),
    rule(
        8,
        Category::NetworkTimeout,
        r"\btimed out\b",
        &[Category::NetworkDns],
    ),
    rule(8, Category::NetworkRefused, r"connection refused", &[]),
    rule(8, Category::NetworkRefused, r"actively refused", &[]),
    rule(8, Category::NetworkRefused, r"(?-i)\bECONNREFUSED\b", &[]),
    rule(
        8,
        Category::NetworkUnreachable,
        r"network is unreachable",
        &[],
    ),
    rule(8, Category::NetworkUnreachable, r"no route to host", &[]),
    rule(8, Category::NetworkUnreachable, r"host is unreachable", &[]),
    // EADDRNOTAVAIL: no local address can reach the registry's (an IPv6
    // address on a node without IPv6 routes).
    rule(
        8,
        Category::NetworkUnreachable,
        r"cannot assign requested address",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"connection reset(?: by peer)?",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"forcibly closed by the remote host",
        &[],
    ),
    rule(8, Category::NetworkUnreachable, r"broken pipe", &[]),
    rule(
        8,
        Category::NetworkUnreachable,
        r"(?-i)\b(?:ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b",
        &[],
    ),
    rule(
        8,
        Category::NetworkUnreachable,
        r"(?:Get|Head|Post|Put) \\?\x22?https?://[^\s\x22\\]+\\?\x22?: EOF\b",
        &[Category::NetworkProxy, Category::RegistryServerError],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"\b50[0-4] (?:internal server error|bad gateway|service unavailable|gateway time-?out)",
        &[],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"internal server error|bad gateway|service unavailable",
        &[],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"(?:http status|status code|status|api error \(|returned error)[: ]*5\d\d\b",
        &[],
    ),
    // `unexpected status code https://…/blobs/sha256:…: 503 <any phrase>`.
    rule(
        9,
        Category::RegistryServerError,
        r"unexpected status(?: code)?(?: from [A-Z]+ request to)? \\?\x22?https?://[^\s\x22\\]+\\?\x22?: 5\d\d\b[^\n]*",
        &[],
    ),
    // A registry (or the object store behind it) refusing the runtime's own
    // well-formed request with a 4xx that is not about access, existence or
    // rate (400, 405, 409, 411-418, 422, ...): Docker prints its non-JSON
    // body as "error parsing HTTP 400 response body".
    rule(
        9,
        Category::RegistryServerError,
        r"error parsing HTTP 4(?:0[05-9]|1\d|2[0-8]|[3-9]\d) response body",
        &[Category::NetworkProxy],
    ),
    rule(
        9,
        Category::RegistryServerError,
        r"\bhttp code:? 5\d\d\b",
        &[Category::NodeRuntime],
    ),
    rule(
        10,
        Category::NodeRuntime,
        r"unexpected EOF",
        &[Category::NetworkUnreachable, Category::RegistryServerError],
    ),
    rule(
        10,
        Category::TlsUntrusted,
        r"tls: failed to verify certificate(?:: [^\n]*)?",
        &[Category::TlsHostname, Category::TlsExpired],
    ),
    rule(
        10,
        Category::TlsUntrusted,
        r"x509: [^\n]*",
        &[Category::TlsHostname, Category::TlsExpired],
    ),
];
