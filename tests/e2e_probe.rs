//! `pulltui probe` against the harness registries: each case named by the
//! laptop probe within its step timeout; the in-cluster probe pod on the
//! simulated node (result shown, the pod gone afterwards, also after a
//! cancel); and credentials that never go over plain HTTP unless confirmed
//! (against a local fake registry, no harness needed).

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use support::probe::{
    Probed, args, ca, category, detail, node_args, pulltui_probe, step, within_timeouts,
};
use support::registry::{Fake, respond};
use support::workload::{self, create};
use support::{Harness, Pulltui, probe_pods};

#[test]
fn json_has_the_public_shape_and_every_step() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_http());
    let r = pulltui_probe(Some(&h), &[img.as_str()], None);
    let j = &r.json;
    assert_eq!(j["image"], img.as_str());
    assert_eq!(j["registry"], h.reg_http());
    let ids: Vec<&str> = j["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        [
            "dns", "tcp", "tls", "http", "v2", "auth", "manifest", "digest", "blob"
        ]
    );
    for s in j["steps"].as_array().expect("steps") {
        assert!(
            matches!(s["status"].as_str(), Some("ok" | "fail" | "skipped")),
            "{s}"
        );
        assert!(s["ms"].is_u64() && s["detail"].is_string(), "{s}");
    }
    assert!(j["verdict"]["summary"].is_string());
}

#[test]
fn self_signed_registry_is_tls_untrusted_and_its_issuer_is_shown() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_selfsigned());
    let r = pulltui_probe(Some(&h), &[img.as_str()], None);
    assert_eq!(category(&r.json), "tls.untrusted", "{}", r.json);
    assert_eq!(r.code, Some(1));
    let d = detail(&r.json, "tls");
    assert!(d.contains("self-signed"), "{d}");
    assert!(d.contains("issuer CN=127.0.0.1"), "{d}");
    assert!(d.contains("SANs IP:127.0.0.1"), "{d}");
    within_timeouts(&r.json);
}

#[test]
fn plain_http_registry_is_named_and_still_probed() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_http());
    let r = pulltui_probe(Some(&h), &[img.as_str()], None);
    assert_eq!(category(&r.json), "protocol.http-registry", "{}", r.json);
    assert_eq!(step(&r.json, "http")["status"], "ok");
    assert!(detail(&r.json, "http").contains("plain HTTP"));
    assert_eq!(step(&r.json, "manifest")["status"], "ok", "{}", r.json);
    assert_eq!(r.code, Some(1));
    within_timeouts(&r.json);
}

#[test]
fn auth_registry_without_credentials_needs_credentials() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_auth());
    let mut a = vec![img];
    a.extend(ca(&h));
    let r = pulltui_probe(Some(&h), &args(&a), None);
    assert_eq!(category(&r.json), "auth.no-credentials", "{}", r.json);
    assert!(
        detail(&r.json, "v2").contains("Basic realm=\"pulltui-harness\""),
        "{}",
        r.json
    );
    assert!(detail(&r.json, "auth").contains("none were given"));
    assert_eq!(r.code, Some(1));
    within_timeouts(&r.json);
}

async fn pull_secret(h: &Harness, ns: &str, name: &str, host: &str, user: &str, pass: &str) {
    let entry = serde_json::json!({"username": user, "password": pass});
    let _: Secret = create(
        &h.admin().await,
        ns,
        workload::pull_secret(name, host, entry),
    )
    .await;
}

#[tokio::test]
async fn valid_credentials_from_a_pull_secret_can_pull() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    let ns = h.namespace(&client, "probe-secret").await;
    pull_secret(
        &h,
        &ns.name,
        "reg",
        h.reg_auth(),
        h.reg_auth_user(),
        h.reg_auth_pass(),
    )
    .await;
    let img = format!("{}/team/app:1.0", h.reg_auth());
    let sec = format!("{}/reg", ns.name);
    let mut a = vec![img, "--secret".into(), sec];
    a.extend(ca(&h));
    let pass = h.reg_auth_pass().to_string();
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&h), &args(&a), None))
        .await
        .expect("probe");
    assert_eq!(category(&r.json), "ok", "{}\n{}", r.json, r.stderr);
    assert_eq!(r.code, Some(0));
    assert!(
        detail(&r.json, "auth").contains("credentials valid (Basic)"),
        "{}",
        r.json
    );
    assert!(
        detail(&r.json, "manifest").starts_with("exists: sha256:"),
        "{}",
        r.json
    );
    let text = r.json.to_string();
    assert!(!text.contains(&pass), "the password leaked");
    within_timeouts(&r.json);
    ns.delete().await;
}

/// Two covering secrets with stale passwords (L9).
/// By default the first is tried and the other named as not tried; with
/// --try-all-credentials both are tried. Names only, never the passwords.
#[tokio::test]
async fn one_covering_secret_is_tried_unless_all_are_asked_for() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    let ns = h.namespace(&client, "probe-one-cred").await;
    for name in ["old", "older"] {
        let pass = format!("stale-{name}-pw");
        pull_secret(&h, &ns.name, name, h.reg_auth(), h.reg_auth_user(), &pass).await;
    }
    let img = format!("{}/team/app:1.0", h.reg_auth());
    let (old, older) = (format!("{}/old", ns.name), format!("{}/older", ns.name));
    let mut a = vec![
        img,
        "--secret".into(),
        old.clone(),
        "--secret".into(),
        older.clone(),
    ];
    a.extend(ca(&h));
    let (h2, a2) = (h.clone(), a.clone());
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&h2), &args(&a2), None))
        .await
        .expect("probe");
    let d = detail(&r.json, "auth");
    assert_eq!(category(&r.json), "auth.no-credentials", "{}", r.json);
    assert!(d.contains(&format!("from secret {old} (")), "{d}");
    assert!(d.contains(&format!("not tried: secret {older} (")), "{d}");
    assert_eq!(d.matches(": 401").count(), 1, "{d}");

    a.push("--try-all-credentials".into());
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&h), &args(&a), None))
        .await
        .expect("probe");
    let d = detail(&r.json, "auth");
    assert!(
        d.contains(&format!("from secret {old} ("))
            && d.contains(&format!("from secret {older} (")),
        "{d}"
    );
    assert_eq!(d.matches(": 401").count(), 2, "{d}");
    assert!(
        !d.contains("not tried") && !r.json.to_string().contains("stale-"),
        "{d}"
    );
    ns.delete().await;
}

#[test]
fn a_wrong_password_is_invalid_credentials() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_auth());
    let mut a = vec![
        img,
        "--username".into(),
        h.reg_auth_user().into(),
        "--password-stdin".into(),
    ];
    a.extend(ca(&h));
    let r = pulltui_probe(Some(&h), &args(&a), Some("not-the-password"));
    assert_eq!(category(&r.json), "auth.no-credentials", "{}", r.json);
    assert!(
        detail(&r.json, "auth").contains("credentials invalid"),
        "{}",
        r.json
    );
    assert!(!r.json.to_string().contains("not-the-password"));
    assert_eq!(r.code, Some(1));
}

#[test]
fn token_registry_valid_credentials_without_pull_scope_are_auth_denied() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.var("PULLTUI_REG_TOKEN"));
    let mut a = vec![
        img,
        "--username".into(),
        h.var("PULLTUI_REG_TOKEN_NOSCOPE_USER").into(),
        "--password-stdin".into(),
    ];
    a.extend(ca(&h));
    let r = pulltui_probe(
        Some(&h),
        &args(&a),
        Some(h.var("PULLTUI_REG_TOKEN_NOSCOPE_PASS")),
    );
    assert_eq!(category(&r.json), "auth.denied", "{}", r.json);
    let d = detail(&r.json, "auth");
    assert!(d.contains("valid but without pull scope"), "{d}");
    assert!(d.contains("repository:team/app:pull"), "{d}");
    assert!(
        detail(&r.json, "v2").contains("Bearer realm="),
        "{}",
        r.json
    );
    within_timeouts(&r.json);
}

#[test]
fn token_registry_valid_credentials_with_pull_scope_can_pull() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.var("PULLTUI_REG_TOKEN"));
    let mut a = vec![
        img,
        "--username".into(),
        h.var("PULLTUI_REG_TOKEN_USER").into(),
        "--password-stdin".into(),
    ];
    a.extend(ca(&h));
    let r = pulltui_probe(Some(&h), &args(&a), Some(h.var("PULLTUI_REG_TOKEN_PASS")));
    assert_eq!(category(&r.json), "ok", "{}", r.json);
    assert!(
        detail(&r.json, "auth").contains("the token grants repository:team/app:pull"),
        "{}",
        r.json
    );
    assert_eq!(r.code, Some(0));
}

fn with_auth(h: &Harness, image: String) -> Probed {
    let mut a = vec![
        image,
        "--username".into(),
        h.reg_auth_user().into(),
        "--password-stdin".into(),
    ];
    a.extend(ca(h));
    a.extend(["--platform".to_string(), "linux/amd64".to_string()]);
    pulltui_probe(Some(h), &args(&a), Some(h.reg_auth_pass()))
}

#[test]
fn an_unknown_tag_is_image_not_found_and_lists_the_tags() {
    let Some(h) = support::harness() else { return };
    let r = with_auth(&h, format!("{}/team/app:9.9", h.reg_auth()));
    assert_eq!(category(&r.json), "image.not-found", "{}", r.json);
    let d = detail(&r.json, "manifest");
    assert!(d.starts_with("tag unknown"), "{d}");
    assert!(d.contains("tags: 1.0"), "{d}");
    within_timeouts(&r.json);
}

#[test]
fn an_unknown_repository_is_image_not_found() {
    let Some(h) = support::harness() else { return };
    let r = with_auth(&h, format!("{}/team/nothing-here:1.0", h.reg_auth()));
    assert_eq!(category(&r.json), "image.not-found", "{}", r.json);
    assert!(
        detail(&r.json, "manifest").starts_with("repository unknown"),
        "{}",
        r.json
    );
}

#[test]
fn an_index_without_the_nodes_platform_is_image_platform() {
    let Some(h) = support::harness() else { return };
    let r = with_auth(
        &h,
        h.var("PULLTUI_IMAGE_INDEX_NO_NODE_PLATFORM").to_string(),
    );
    assert_eq!(category(&r.json), "image.platform", "{}", r.json);
    let d = detail(&r.json, "manifest");
    assert!(d.contains("an index for linux/arm64"), "{d}");
    assert!(d.contains("linux/amd64"), "{d}");
    assert_eq!(r.code, Some(1));
}

#[test]
fn a_blackholed_port_times_out_within_the_step_timeout() {
    let Some(h) = support::harness() else { return };
    let started = Instant::now();
    let r = pulltui_probe(
        Some(&h),
        &[format!("{}/team/app:1.0", h.reg_blackhole()).as_str()],
        None,
    );
    assert_eq!(category(&r.json), "network.timeout", "{}", r.json);
    let ms = step(&r.json, "tcp")["ms"].as_u64().expect("ms");
    assert!((1900..=2500).contains(&ms), "tcp took {ms} ms");
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[test]
fn a_closed_port_is_refused() {
    let Some(h) = support::harness() else { return };
    let r = pulltui_probe(
        Some(&h),
        &[format!("{}/team/app:1.0", h.reg_closed()).as_str()],
        None,
    );
    assert_eq!(category(&r.json), "network.refused", "{}", r.json);
    assert!(detail(&r.json, "tcp").contains("refused"));
    within_timeouts(&r.json);
}

#[test]
fn nxdomain_from_the_given_nameserver_is_network_dns() {
    let Some(h) = support::harness() else { return };
    let img = format!("{}/team/app:1.0", h.reg_nxdomain());
    let r = pulltui_probe(
        Some(&h),
        &[img.as_str(), "--nameserver", h.var("PULLTUI_DNS")],
        None,
    );
    assert_eq!(category(&r.json), "network.dns", "{}", r.json);
    let d = detail(&r.json, "dns");
    assert!(
        d.contains(&format!("nameserver {}", h.var("PULLTUI_DNS"))),
        "{d}"
    );
    assert!(d.contains("NXDOMAIN"), "{d}");
    within_timeouts(&r.json);
}

#[test]
fn usage_errors_exit_2() {
    let run = Pulltui::new().args(&["probe", "Not A Valid Image"]).run();
    assert_eq!(run.code, Some(2), "{run:?}");
    let run = Pulltui::new()
        .args(&["probe", "127.0.0.1:5000/x:1", "--nameserver", "dns.example"])
        .run();
    assert_eq!(run.code, Some(2), "{run:?}");
    // The probe pod's flags, refused before any probe or request.
    for (flag, value) in [
        ("--probe-image", "Not An Image"),
        ("--probe-namespace", "Ops_Probe"),
        ("--probe-pull-secret", "../cred"),
    ] {
        let run = Pulltui::new()
            .args(&["probe", "127.0.0.1:5000/x:1", flag, value])
            .run();
        assert_eq!(run.code, Some(2), "{flag}: {run:?}");
        assert!(run.stderr.contains(flag), "{flag}: {run:?}");
        // The console's `P`: the same flags, the same refusal.
        let run = Pulltui::new().args(&[flag, value]).run();
        assert_eq!(run.code, Some(2), "console {flag}: {run:?}");
        assert!(run.stderr.contains(flag), "console {flag}: {run:?}");
    }
}

// ------------------------------------------------ plain-HTTP credentials ----

/// A fake plain-HTTP registry on loopback that asks for Basic credentials
/// (and records every request, with its Authorization header).
fn fake_plain_registry() -> Fake {
    Fake::start(0, |req| {
        if !req.line.starts_with("GET") && !req.line.starts_with("HEAD") {
            respond("400 Bad Request", &[("Connection", "close")], "")
        } else if req.authorization.is_some() {
            respond("200 OK", &[], "{}")
        } else {
            respond(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"fake\"")],
                "",
            )
        }
    })
}

#[test]
fn credentials_never_go_over_plain_http_unless_confirmed() {
    let fake = fake_plain_registry();
    let img = format!("{}/team/app:1.0", fake.addr);
    let a = [img.as_str(), "--username", "u", "--password-stdin"];
    let r = pulltui_probe(None, &a, Some("secret-pw"));
    assert_eq!(step(&r.json, "http")["status"], "ok", "{}", r.json);
    assert_eq!(step(&r.json, "auth")["status"], "skipped", "{}", r.json);
    assert!(
        detail(&r.json, "auth").contains("credentials not sent"),
        "{}",
        r.json
    );
    assert!(
        fake.seen().iter().all(|r| r.authorization.is_none()),
        "credentials were sent over plain HTTP: {:?}",
        fake.seen()
    );

    let mut confirmed = a.to_vec();
    confirmed.push("--allow-plain-http-credentials");
    let r = pulltui_probe(None, &confirmed, Some("secret-pw"));
    assert_eq!(step(&r.json, "auth")["status"], "ok", "{}", r.json);
    let got = fake.seen();
    assert!(
        got.iter().any(|r| r
            .authorization
            .as_ref()
            .is_some_and(|a| a.to_ascii_lowercase().starts_with("basic "))),
        "{got:?}"
    );
}

// ------------------------------------------------------ in-cluster probe ----

#[tokio::test]
async fn the_node_probe_runs_on_the_node_and_its_pod_is_gone_afterwards() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-node").await;
    let img = format!("{}/team/app:1.0", h.reg_auth());
    let ca = h.var("PULLTUI_REG_CA").to_string();
    let a = node_args(&h, &ns.name, &img, &["--ca-file", &ca]);
    let hh = h.clone();
    let started = Instant::now();
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&hh), &args(&a), None))
        .await
        .expect("probe");
    let took = started.elapsed();
    let node = &r.json["node"];
    assert_eq!(
        node["name"],
        h.var("PULLTUI_SIM_NODE"),
        "{}\n{}",
        r.json,
        r.stderr
    );
    let nsteps: Vec<&str> = node["steps"]
        .as_array()
        .expect("node steps")
        .iter()
        .map(|s| s["step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&nsteps[..3], ["dns", "tcp", "tls"], "{node}");
    let tls = &node["steps"][2];
    assert_eq!(tls["status"], "ok", "{node}");
    assert!(
        tls["detail"]
            .as_str()
            .unwrap_or("")
            .contains("verified by curl"),
        "{node}"
    );
    assert_eq!(node["verdict"]["category"], "ok", "{node}");
    // The laptop side is still there, side by side.
    assert_eq!(category(&r.json), "auth.no-credentials");
    assert!(
        r.stderr.contains("hostNetwork: true"),
        "the preview is shown: {}",
        r.stderr
    );
    assert!(
        probe_pods(&client, &ns.name).await.is_empty(),
        "the probe pod is left over"
    );
    eprintln!("node probe round trip: {took:?}");
    ns.delete().await;
}

#[tokio::test]
async fn node_and_laptop_disagreeing_on_the_ca_is_named_node_ca() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-nodeca").await;
    // This machine trusts the self-signed certificate; the node does not.
    let cert = format!(
        "{}/pki/registry-selfsigned.crt",
        h.var("PULLTUI_HARNESS_DIR")
    );
    let img = format!("{}/team/app:1.0", h.reg_selfsigned());
    let a = node_args(&h, &ns.name, &img, &["--ca-file", &cert]);
    let hh = h.clone();
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&hh), &args(&a), None))
        .await
        .expect("probe");
    assert_eq!(step(&r.json, "tls")["status"], "ok", "{}", r.json);
    let node = &r.json["node"];
    assert_eq!(node["verdict"]["category"], "tls.untrusted", "{node}");
    assert!(
        node["steps"][2]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("self-signed"),
        "{node}"
    );
    let f = r.json["findings"].as_array().expect("findings");
    assert!(
        f.iter()
            .any(|x| x.as_str().unwrap_or("").starts_with("node-ca:")),
        "{f:?}"
    );
    assert_eq!(r.code, Some(1));
    assert!(probe_pods(&client, &ns.name).await.is_empty());
    ns.delete().await;
}

#[tokio::test]
async fn the_probe_pods_own_pull_failure_is_a_finding() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-pull").await;
    let img = format!("{}/team/app:1.0", h.reg_http());
    let bad = format!("{}/library/tiny:latest", h.reg_selfsigned());
    let mut a = node_args(&h, &ns.name, &img, &[]);
    let i = a.iter().position(|x| x == "--probe-image").expect("flag") + 1;
    a[i] = bad;
    let hh = h.clone();
    let r = tokio::task::spawn_blocking(move || pulltui_probe(Some(&hh), &args(&a), None))
        .await
        .expect("probe");
    let node = &r.json["node"];
    assert_eq!(node["verdict"]["category"], "tls.untrusted", "{node}");
    let notes = node["notes"].to_string();
    assert!(notes.contains("could not pull its own image"), "{notes}");
    assert!(probe_pods(&client, &ns.name).await.is_empty());
    ns.delete().await;
}

#[tokio::test]
async fn a_cancelled_node_probe_deletes_its_pod() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-cancel").await;
    // The blackhole keeps the pod busy (connect timeout) while we cancel.
    let img = format!("{}/team/app:1.0", h.reg_blackhole());
    let a = node_args(&h, &ns.name, &img, &["--timeout", "8"]);
    let probe = h.pulltui().arg("probe").args(&args(&a));
    let mut child = probe
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pulltui probe");
    // Wait for the pod to exist.
    let start = Instant::now();
    loop {
        if !probe_pods(&client, &ns.name).await.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the probe pod never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().to_string();
    let st = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert_eq!(status.code(), Some(1));
    let start = Instant::now();
    loop {
        if probe_pods(&client, &ns.name).await.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the probe pod survived the cancel"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("probe pod gone {:?} after the cancel", start.elapsed());
    ns.delete().await;
}
