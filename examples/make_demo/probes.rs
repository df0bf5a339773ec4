//! The probes recorded with the demo incident, so `p` and `P` in `--demo`
//! show what a probe shows: shop/web from this machine (on the office VPN:
//! the registry's private address, the image can be pulled) and from its
//! node (the public address, TCP times out: no private link), and
//! shop/checkout from this machine (the self-signed certificate, as the
//! cluster says). Other pods have none: the pane says so.

use k8s_openapi::api::core::v1::Pod;
use pulltui::snapshot::format::{RecordedProbe, RecordedStep};

fn step(step: &str, status: &str, ms: u64, detail: &str) -> RecordedStep {
    RecordedStep {
        step: step.into(),
        status: status.into(),
        ms,
        detail: detail.into(),
        category: None,
        addrs: Vec::new(),
    }
}

fn fail(s: &str, ms: u64, category: &str, detail: &str) -> RecordedStep {
    RecordedStep {
        category: Some(category.into()),
        ..step(s, "fail", ms, detail)
    }
}

fn dns(ms: u64, addr: &str, scope: &str) -> RecordedStep {
    RecordedStep {
        addrs: addr.parse().into_iter().collect(),
        ..step(
            "dns",
            "ok",
            ms,
            &format!("system resolver: {addr} ({scope}); hickory (resolv.conf): {addr} ({scope})"),
        )
    }
}

/// The first failing pod of `app` in `ns`: its name and container.
fn first(pods: &[Pod], ns: &str, app: &str) -> Option<(String, String)> {
    pods.iter().find_map(|p| {
        let m = &p.metadata;
        let ok = m.namespace.as_deref() == Some(ns)
            && m.labels
                .as_ref()
                .and_then(|l| l.get("app"))
                .map(String::as_str)
                == Some(app);
        let c = p.spec.as_ref()?.containers.first()?.name.clone();
        ok.then(|| (m.name.clone().unwrap_or_default(), c))
    })
}

fn probe(
    ns: &str,
    pod: &(String, String),
    node: Option<&str>,
    steps: Vec<RecordedStep>,
) -> RecordedProbe {
    RecordedProbe {
        namespace: ns.into(),
        pod: pod.0.clone(),
        container: Some(pod.1.clone()),
        node: node.map(str::to_string),
        recorded_at: Some(super::at(1)),
        steps,
    }
}

pub fn recorded(pods: &[Pod]) -> Vec<RecordedProbe> {
    let mut out = Vec::new();
    let tcr = "shopreg.tencentcloudcr.com";
    if let Some(web) = first(pods, "shop", "web") {
        out.push(probe("shop", &web, None, vec![
            dns(4, "172.21.0.15", "private"),
            step("tcp", "ok", 9, "connected to 172.21.0.15:443 (no proxy)"),
            step("tls", "ok", 31, &format!(
                "TLSv1.3, verified against the platform's roots; served: subject CN={tcr}, issuer \
                 CN=DigiCert Secure Site OV G2 TLS CN RSA4096 SHA256 2022 CA1, SANs DNS:{tcr}, \
                 DNS:*.tencentcloudcr.com, valid 2026-03-02T00:00:00Z to 2027-03-31T23:59:59Z"
            )),
            step("http", "skipped", 0, "the port speaks TLS"),
            step("v2", "ok", 22, &format!(
                "401: authentication required: Bearer realm=\"https://{tcr}/service/token\" \
                 service=\"harbor-registry\""
            )),
            step("auth", "ok", 48, &format!(
                "token granted for repository:shop/web:pull (user 100012345678 from secret \
                 shop/tcr-pull ({tcr}))"
            )),
            step("manifest", "ok", 26, "sha256:5f1c0e4b9d2a7c3e8f6b1a0d4c9e2f7a3b8d1c6e0f5a2b9c4d7e1f3a6b0c8d2e \
                 (application/vnd.oci.image.index.v1+json; linux/amd64 present)"),
        ]));
        out.push(probe(
            "shop",
            &web,
            Some(super::TKE_NODE),
            vec![
                dns(2, "43.137.1.5", "public"),
                fail(
                    "tcp",
                    5000,
                    "network.timeout",
                    "connect to 43.137.1.5:443: timed out after 5 s",
                ),
                step("tls", "skipped", 0, "no connection"),
                step("http", "skipped", 0, "no connection"),
            ],
        ));
    }
    if let Some(checkout) = first(pods, "shop", "checkout") {
        let harbor = "harbor.shop.example";
        out.push(probe("shop", &checkout, None, vec![
            dns(3, "10.0.4.17", "private"),
            step("tcp", "ok", 6, "connected to 10.0.4.17:443 (no proxy)"),
            fail("tls", 12, "tls.untrusted", &format!(
                "self-signed certificate; served: subject CN={harbor}, issuer CN={harbor}, SANs \
                 DNS:{harbor}, valid 2025-06-01T00:00:00Z to 2027-06-01T00:00:00Z"
            )),
            step("http", "skipped", 0, "the port speaks TLS"),
            step("v2", "skipped", 0, "TLS failed"),
            step("auth", "skipped", 0, "TLS failed"),
            step("manifest", "skipped", 0, "TLS failed"),
        ]));
    }
    out
}
