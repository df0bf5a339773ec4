//! The probe's blob leg against the harness's registry fronts
//! (`scripts/harness_aux.py`): blobs redirected to a blob host of their
//! own, whose log shows that no `Authorization` header ever reached it; a
//! blob host that times out, named as the failing leg from this machine
//! and from the node (the probe pod checks the host this machine was sent
//! to); a HEAD answered 405, resolved with GET.

mod support;

use serde_json::Value;
use support::probe::{Probed, args, ca, category, detail, node_args, pulltui_probe, step};
use support::{Harness, probe_pods};

/// `probe --json` of the blob-leg front `var`'s image, with its Basic
/// credentials (so the registry's requests carry an Authorization).
fn blob_front(h: &Harness, var: &str) -> Probed {
    let img = format!("{}/legs/app:1.0", h.var(var));
    let mut a = ca(h);
    a.extend([
        img,
        "--username".into(),
        h.var("PULLTUI_REG_BLOB_USER").into(),
        "--password-stdin".into(),
    ]);
    pulltui_probe(Some(h), &args(&a), Some(h.var("PULLTUI_REG_BLOB_PASS")))
}

/// The blob host's log: one JSON object per request it received.
fn blob_host_requests(h: &Harness) -> Vec<Value> {
    std::fs::read_to_string(h.var("PULLTUI_BLOBHOST_LOG"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn blobs_redirected_to_another_host_are_fetched_there_without_the_registrys_credentials() {
    let Some(h) = support::harness() else { return };
    let before = blob_host_requests(&h).len();
    let r = blob_front(&h, "PULLTUI_REG_BLOBFRONT");
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    assert_eq!(step(j, "auth")["status"], "ok", "{j}");
    assert_eq!(step(j, "digest")["status"], "ok", "{j}");
    let host = h.var("PULLTUI_REG_BLOBHOST");
    assert!(
        detail(j, "blob").contains(&format!("is served by {host} (after 1 redirect)")),
        "{j}"
    );
    assert_eq!(
        step(j, "blob")["facts"]["authorization_sent"],
        serde_json::json!([true, false])
    );
    // What the blob host received: the request, and no Authorization ever.
    let got = blob_host_requests(&h);
    assert!(got.len() > before, "the blob host saw no request: {got:?}");
    for req in &got {
        let headers = req["headers"].as_object().expect("headers");
        assert!(
            !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("authorization")),
            "an Authorization header reached the blob host: {req}"
        );
    }
    assert!(
        j["verdict"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains(&format!("served by {host}"))),
        "{j}"
    );
}

#[test]
fn a_blob_host_that_times_out_is_named_as_the_failing_leg() {
    let Some(h) = support::harness() else { return };
    let r = blob_front(&h, "PULLTUI_REG_BLOBDEAD");
    let j = &r.json;
    assert_eq!(r.code, Some(1), "{j}");
    assert_eq!(step(j, "manifest")["status"], "ok", "{j}");
    assert_eq!(category(j), "network.timeout", "{j}");
    let want = format!(
        "blob failed: the manifest is reachable; layers come from {} and that host times out \
         from this machine",
        h.reg_blackhole()
    );
    assert!(
        j["verdict"]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with(&want)),
        "{j}"
    );
}

#[test]
fn a_head_answered_405_is_resolved_with_get() {
    let Some(h) = support::harness() else { return };
    let r = blob_front(&h, "PULLTUI_REG_HEAD405");
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}");
    assert!(
        detail(j, "manifest").contains("(HEAD answered 405: resolved with GET, as runtimes do)"),
        "{j}"
    );
    assert!(step(j, "manifest")["facts"]["digest"].is_string(), "{j}");
    assert!(
        detail(j, "blob").contains("is served by the registry itself"),
        "{j}"
    );
}

/// The node probe checks the host this machine's blob leg was redirected
/// to: reachable from the node, then one that times out from it.
#[tokio::test]
async fn the_node_probe_names_the_blob_host_that_fails_from_the_node() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-blob").await;
    let ca = h.var("PULLTUI_REG_CA").to_string();
    let user = h.var("PULLTUI_REG_BLOB_USER").to_string();
    for (front, host, ok) in [
        ("PULLTUI_REG_BLOBFRONT", h.var("PULLTUI_REG_BLOBHOST"), true),
        ("PULLTUI_REG_BLOBDEAD", h.reg_blackhole(), false),
    ] {
        let img = format!("{}/legs/app:1.0", h.var(front));
        let extra = ["--ca-file", &ca, "--username", &user, "--password-stdin"];
        let a = node_args(&h, &ns.name, &img, &extra);
        let (hh, pass) = (h.clone(), h.var("PULLTUI_REG_BLOB_PASS").to_string());
        let r =
            tokio::task::spawn_blocking(move || pulltui_probe(Some(&hh), &args(&a), Some(&pass)))
                .await
                .expect("probe");
        let node = &r.json["node"];
        let blob = node["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["step"] == "blob"))
            .unwrap_or_else(|| panic!("no blob step from the node: {}\n{}", r.json, r.stderr));
        let d = blob["detail"].as_str().unwrap_or("");
        if ok {
            assert_eq!(blob["status"], "ok", "{node}");
            assert!(d.contains(&format!("layers come from {host}")), "{node}");
        } else {
            assert_eq!(node["verdict"]["category"], "network.timeout", "{node}");
            let want = format!(
                "blob failed: the registry is reachable from this node; layers come from {host} \
                 and that host times out from this node"
            );
            assert!(
                node["verdict"]["summary"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(&want)),
                "{node}"
            );
        }
    }
    assert!(probe_pods(&client, &ns.name).await.is_empty());
    ns.delete().await;
}
