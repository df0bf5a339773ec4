//! What a probe says next to the cluster's own error, and next to the
//! node's probe: "it works from my laptop" is the finding, and the
//! [`Disagreement`] names why the node differs.

use std::net::IpAddr;

use serde::Serialize;

use super::facts::{DnsFacts, addrs_with_scope};
use super::report::ProbeReport;
use super::step::{Status, Step};
use crate::domain::classify::Category;
use crate::domain::ipscope::IpScope;

/// What the cluster reported for the pull (from the classified message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterError {
    pub category: Category,
    /// The address the node dialled, when the message shows it.
    pub dialled: Option<IpAddr>,
}

/// The probe next to the cluster's error.
pub fn compare_with_cluster(report: &ProbeReport, cluster: &ClusterError) -> Vec<String> {
    let mut out = vec![];
    let verdict = report.verdict();
    let resolved = report.dns().map(DnsFacts::addrs).unwrap_or_default();
    if let Some(ip) = cluster.dialled {
        let scope = IpScope::of(ip);
        if !resolved.is_empty() && !resolved.contains(&ip) {
            let laptop = addrs_with_scope(&resolved);
            let meaning = match (scope, resolved.iter().any(|a| IpScope::of(*a).is_local())) {
                (IpScope::Public, true) => {
                    ": the cluster's network lacks the private DNS zone or the private link \
                     (its resolver answers with the public address)"
                }
                _ => ": the two sides resolve the name differently (split DNS)",
            };
            out.push(format!(
                "the cluster dialled {ip}, {scope}; this machine resolves {laptop}{meaning}"
            ));
        } else if resolved.contains(&ip) {
            out.push(format!(
                "the cluster dialled {ip} ({scope}), the address this machine resolves too"
            ));
        }
    }
    match verdict.category {
        Some(c) if c == cluster.category => {
            out.push(format!("the probe agrees with the cluster's error ({c})"))
        }
        Some(c) => out.push(format!(
            "the probe finds {c}, the cluster reported {}",
            cluster.category
        )),
        None => out.push(format!(
            "from this machine the pull works, the cluster reported {}: the difference is the \
             cluster's network path{}",
            cluster.category,
            meaning_of(cluster.category)
        )),
    }
    out
}

fn meaning_of(c: Category) -> &'static str {
    match c {
        Category::NetworkTimeout => {
            " (no route, NAT allow-list, security group, or a missing private link)"
        }
        Category::NetworkDns => " (a private DNS zone the nodes cannot see)",
        Category::TlsUntrusted => " (the nodes lack the CA this machine trusts)",
        Category::NetworkProxy => " (the nodes' proxy)",
        Category::NetworkRefused => " (a different address behind the same name)",
        _ => "",
    }
}

/// What a disagreement between this machine and the node means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disagreement {
    /// The node resolves the public address where this machine resolves a private one.
    PrivateLink,
    /// The node cannot resolve the name at all.
    PrivateDns,
    /// Same address, this machine connects and the node does not.
    AllowList,
    /// TLS verifies here and not on the node.
    NodeCa,
    /// The node goes through a proxy that fails.
    NodeProxy,
}

impl Disagreement {
    pub fn id(self) -> &'static str {
        match self {
            Disagreement::PrivateLink => "private-link",
            Disagreement::PrivateDns => "private-dns",
            Disagreement::AllowList => "allow-list",
            Disagreement::NodeCa => "node-ca",
            Disagreement::NodeProxy => "node-proxy",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Disagreement::PrivateLink => {
                "the node resolves the registry to a public address where this machine gets a \
                 private one: the cluster's VPC lacks the private zone or private link"
            }
            Disagreement::PrivateDns => {
                "the name resolves here but not on the node: a private DNS zone the node's \
                 resolver cannot see"
            }
            Disagreement::AllowList => {
                "this machine connects and the node does not: a NAT gateway, allow-list or \
                 security group stops the node's traffic"
            }
            Disagreement::NodeCa => {
                "the certificate verifies here and not on the node: install the CA on the nodes \
                 (or the runtime's certs.d)"
            }
            Disagreement::NodeProxy => {
                "the node's proxy fails: check the runtime's HTTPS_PROXY / NO_PROXY"
            }
        }
    }
}

/// Compares this machine's probe with the node's (only DNS, TCP, TLS).
pub fn compare_sides(laptop: &ProbeReport, node: &ProbeReport) -> Option<(Disagreement, String)> {
    let status = |r: &ProbeReport, s: Step| r.step(s).map(|x| x.status);
    let here = laptop.dns().map(DnsFacts::addrs).unwrap_or_default();
    let there = node.dns().map(DnsFacts::addrs).unwrap_or_default();
    let detail =
        |d: Disagreement, extra: String| Some((d, format!("{}; {extra}", d.explanation())));
    if !here.is_empty() && status(node, Step::Dns) == Some(Status::Fail) {
        return detail(
            Disagreement::PrivateDns,
            format!(
                "here {}, on the node: {}",
                addrs_with_scope(&here),
                node.step(Step::Dns)
                    .map(|s| s.detail.as_str())
                    .unwrap_or("")
            ),
        );
    }
    let private = |a: &[IpAddr]| a.iter().any(|ip| IpScope::of(*ip).is_local());
    let public = |a: &[IpAddr]| a.iter().any(|ip| IpScope::of(*ip) == IpScope::Public);
    if !here.is_empty() && !there.is_empty() && private(&here) && public(&there) && !private(&there)
    {
        return detail(
            Disagreement::PrivateLink,
            format!(
                "here {}, on the node {}",
                addrs_with_scope(&here),
                addrs_with_scope(&there)
            ),
        );
    }
    let node_tcp = node.step(Step::Tcp);
    if let Some(t) = node_tcp
        && t.status == Status::Fail
        && status(laptop, Step::Tcp) == Some(Status::Ok)
    {
        if t.category == Some(Category::NetworkProxy) {
            return detail(Disagreement::NodeProxy, t.detail.clone());
        }
        return detail(
            Disagreement::AllowList,
            format!("on the node: {}", t.detail),
        );
    }
    if let Some(t) = node.step(Step::Tls)
        && t.status == Status::Fail
        && t.category == Some(Category::TlsUntrusted)
        && status(laptop, Step::Tls) == Some(Status::Ok)
    {
        return detail(Disagreement::NodeCa, format!("on the node: {}", t.detail));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::probe::fixtures::{dns_step, report};
    use crate::domain::probe::{Side, StepResult, parse_node_line};

    #[test]
    fn a_public_dial_next_to_a_private_resolution_means_a_missing_private_zone() {
        let r = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let out = compare_with_cluster(
            &r,
            &ClusterError {
                category: Category::NetworkTimeout,
                dialled: Some("43.137.1.5".parse().expect("ip")),
            },
        );
        assert!(
            out[0].contains(
                "the cluster dialled 43.137.1.5, public; this machine resolves 10.0.3.7 (private)"
            ),
            "{out:?}"
        );
        assert!(
            out[0].contains("private DNS zone or the private link"),
            "{out:?}"
        );
    }

    #[test]
    fn same_verdict_as_the_cluster_is_agreement() {
        let r = report(
            Side::Laptop,
            vec![StepResult::fail(
                Step::Tls,
                3,
                Category::TlsUntrusted,
                "self-signed",
            )],
        );
        let out = compare_with_cluster(
            &r,
            &ClusterError {
                category: Category::TlsUntrusted,
                dialled: None,
            },
        );
        assert_eq!(
            out,
            ["the probe agrees with the cluster's error (tls.untrusted)"]
        );
    }

    #[test]
    fn node_nxdomain_where_the_laptop_resolves_is_private_dns() {
        let laptop = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let node = report(
            Side::Node("n1".into()),
            vec![parse_node_line("PULLTUI-PROBE step=dns status=fail ms=4 category=network.dns nxdomain=1 detail=no such host").expect("line")],
        );
        let (d, _) = compare_sides(&laptop, &node).expect("disagree");
        assert_eq!(d, Disagreement::PrivateDns);
    }

    #[test]
    fn node_public_where_the_laptop_is_private_is_private_link() {
        let laptop = report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]);
        let node = report(
            Side::Node("n1".into()),
            vec![
                parse_node_line("PULLTUI-PROBE step=dns status=ok ms=4 addrs=43.137.1.5 detail=x")
                    .expect("line"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::PrivateLink)
        );
    }

    #[test]
    fn node_timeout_where_the_laptop_connects_is_an_allow_list() {
        let ok = |s| StepResult::ok(s, 1, "");
        let laptop = report(
            Side::Laptop,
            vec![dns_step(&["43.1.1.1"]), ok(Step::Tcp), ok(Step::Tls)],
        );
        let node = report(
            Side::Node("n1".into()),
            vec![
                dns_step(&["43.1.1.1"]),
                StepResult::fail(Step::Tcp, 5000, Category::NetworkTimeout, "timeout"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::AllowList)
        );
        let node = report(
            Side::Node("n1".into()),
            vec![
                dns_step(&["43.1.1.1"]),
                StepResult::ok(Step::Tcp, 1, ""),
                StepResult::fail(Step::Tls, 3, Category::TlsUntrusted, "unknown authority"),
            ],
        );
        assert_eq!(
            compare_sides(&laptop, &node).map(|x| x.0),
            Some(Disagreement::NodeCa)
        );
        assert_eq!(compare_sides(&laptop, &laptop), None);
    }
}
