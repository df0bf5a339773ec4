//! The laptop probe through the harness's forward proxies
//! (`scripts/harness_aux.py`): the registry reached through a `CONNECT`
//! tunnel, as the runtime does when `HTTPS_PROXY` applies (the proxy's log
//! shows the CONNECT); a proxy that wants credentials (407) and one that
//! refuses the host (403), each a `network.proxy` finding; `NO_PROXY` and
//! `--no-proxy`, which connect directly (the proxy sees nothing).

mod support;

use serde_json::Value;
use support::Harness;

struct Probed {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

/// `pulltui probe IMAGE --json` with `env` set (and no proxy variable of
/// the test's own).
fn probe(h: &Harness, image: &str, env: &[(&str, String)], extra: &[&str]) -> Probed {
    let mut p = h
        .pulltui()
        .no_proxy()
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for (k, v) in env {
        p = p.env(k, v);
    }
    let run = p
        .arg("probe")
        .args(&[
            image,
            "--json",
            "--timeout",
            "3",
            "--ca-file",
            h.var("PULLTUI_REG_CA"),
            "--nameserver",
            h.var("PULLTUI_DNS"),
        ])
        .args(extra)
        .run();
    let line = run
        .stdout
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string();
    let json: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", run.stdout, run.stderr));
    Probed {
        code: run.code,
        json,
        stderr: run.stderr,
    }
}

fn step<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["step"] == name))
        .unwrap_or_else(|| panic!("no {name} step in {j}"))
}

fn detail(j: &Value, name: &str) -> String {
    step(j, name)["detail"].as_str().unwrap_or("").to_string()
}

/// The proxies' log lines for `target`.
fn proxy_log(h: &Harness, target: &str) -> Vec<Value> {
    std::fs::read_to_string(h.var("PULLTUI_PROXY_LOG"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == target)
        .collect()
}

/// The anonymous image on the token registry, by a name (not a loopback
/// address: loopback is never proxied, as in Go).
fn named_image(h: &Harness) -> (String, String) {
    let reg = h.var("PULLTUI_REG_TOKEN_NAMED").to_string();
    (format!("{reg}/library/tiny:latest"), reg)
}

#[test]
fn the_registry_is_reached_through_the_proxy_that_https_proxy_names() {
    let Some(h) = support::harness() else { return };
    let (image, reg) = named_image(&h);
    let before = proxy_log(&h, &reg).len();
    let proxy = h.var("PULLTUI_PROXY").to_string();
    let r = probe(&h, &image, &[("HTTPS_PROXY", proxy.clone())], &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    let via = format!("via HTTPS_PROXY={proxy}");
    assert!(
        detail(j, "tcp").contains(&via)
            && detail(j, "tcp").contains(&format!("CONNECT {reg} answered 200")),
        "{j}"
    );
    assert!(
        detail(j, "dns").contains("the proxy resolves registry.localhost"),
        "{j}"
    );
    assert_eq!(step(j, "blob")["status"], "ok", "{j}");
    // Other tests of this binary go through the other proxies meanwhile:
    // this probe's CONNECT is one of the lines written since it started.
    let seen = proxy_log(&h, &reg);
    let since = seen.get(before..).unwrap_or_default();
    assert!(
        since
            .iter()
            .any(|l| l["method"] == "CONNECT" && l["proxy"] == "open" && l["status"] == 200),
        "the open proxy saw no CONNECT to {reg}: {since:?}"
    );
}

#[test]
fn a_proxy_that_wants_credentials_is_a_proxy_finding_and_its_credentials_are_sent_not_shown() {
    let Some(h) = support::harness() else { return };
    let (image, reg) = named_image(&h);
    let proxy = h.var("PULLTUI_PROXY_AUTH").to_string();
    let r = probe(&h, &image, &[("HTTPS_PROXY", proxy.clone())], &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(1), "{j}");
    assert_eq!(j["verdict"]["category"], "network.proxy", "{j}");
    assert!(
        detail(j, "tcp").contains("requires authentication (407"),
        "{j}"
    );
    // With the user and password in the URL: the tunnel opens.
    let pass = h.var("PULLTUI_PROXY_PASS");
    let with = proxy.replacen(
        "http://",
        &format!("http://{}:{pass}@", h.var("PULLTUI_PROXY_USER")),
        1,
    );
    let before = proxy_log(&h, &reg).len();
    let r = probe(&h, &image, &[("HTTPS_PROXY", with)], &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    let out = j.to_string();
    assert!(!out.contains(pass), "the proxy's password is shown: {out}");
    assert!(
        detail(j, "tcp").contains("via HTTPS_PROXY=http://***@"),
        "{j}"
    );
    // Other tests go through the other proxies meanwhile: look for this one.
    let seen = proxy_log(&h, &reg);
    let seen = seen.get(before..).unwrap_or_default();
    assert!(
        seen.iter().any(|l| l["proxy"] == "auth"
            && l["proxy_authorization"] == true
            && l["status"] == 200),
        "no CONNECT with credentials through the auth proxy: {seen:?}"
    );
}

#[test]
fn a_proxy_that_refuses_the_host_is_a_proxy_finding() {
    let Some(h) = support::harness() else { return };
    let (image, reg) = named_image(&h);
    let proxy = h.var("PULLTUI_PROXY_DENY").to_string();
    let r = probe(&h, &image, &[("HTTPS_PROXY", proxy)], &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(1), "{j}");
    assert_eq!(j["verdict"]["category"], "network.proxy", "{j}");
    assert!(
        detail(j, "tcp").contains(&format!("refuses to connect to {reg} (403)")),
        "{j}"
    );
    assert_eq!(step(j, "tls")["status"], "skipped", "{j}");
}

#[test]
fn no_proxy_and_the_no_proxy_flag_connect_directly() {
    let Some(h) = support::harness() else { return };
    let (image, _) = named_image(&h);
    // A proxy of this test's own (the harness's log is shared with the
    // tests running beside): it must see no connection at all.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    let env = [
        ("HTTPS_PROXY", proxy.clone()),
        ("NO_PROXY", ".localhost".to_string()),
    ];
    let r = probe(&h, &image, &env, &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    assert!(
        detail(j, "tcp").contains("NO_PROXY exempts this host (.localhost)"),
        "{j}"
    );
    let r = probe(&h, &image, &[("HTTPS_PROXY", proxy)], &["--no-proxy"]);
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    assert!(
        detail(j, "tcp").contains("--no-proxy: connected directly"),
        "{j}"
    );
    listener.set_nonblocking(true).expect("nonblocking");
    assert!(
        listener.accept().is_err(),
        "the proxy saw a connection that should have been direct"
    );
}

#[test]
fn an_unreachable_proxy_is_a_proxy_finding() {
    let Some(h) = support::harness() else { return };
    let (image, _) = named_image(&h);
    let closed = format!("http://{}", h.var("PULLTUI_REG_CLOSED"));
    let r = probe(&h, &image, &[("HTTPS_PROXY", closed)], &[]);
    let j = &r.json;
    assert_eq!(r.code, Some(1), "{j}");
    assert_eq!(j["verdict"]["category"], "network.proxy", "{j}");
    assert!(detail(j, "tcp").contains("is unreachable"), "{j}");
}

/// `probe IMAGE --from-node NODE` (no proxy on this side), its pod in `ns`.
fn node_probe(h: &Harness, image: &str, node: &str, ns: &str) -> Probed {
    let extra = [
        "--from-node",
        node,
        "--probe-image",
        h.var("PULLTUI_PROBE_IMAGE"),
        "--yes",
        "--probe-namespace",
        ns,
    ];
    probe(h, image, &[], &extra)
}

fn notes(j: &Value) -> Vec<String> {
    j["node"]["notes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The cache node's root has a containerd drop-in naming the harness's
/// authenticating proxy (scripts/test-cluster): the node probe reads it,
/// says so with the password redacted, and goes through that proxy (its
/// log shows the CONNECT with credentials). The main node has none.
#[tokio::test]
async fn the_node_probe_reads_the_runtimes_proxy_settings() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-proxy").await;
    let (image, reg) = named_image(&h);
    let before = proxy_log(&h, &reg).len();
    let (hh, img, n, node) = (
        h.clone(),
        image.clone(),
        ns.name.clone(),
        h.var("PULLTUI_SIM_NODE_CACHE").to_string(),
    );
    let r = tokio::task::spawn_blocking(move || node_probe(&hh, &img, &node, &n))
        .await
        .expect("probe");
    let j = &r.json;
    assert_eq!(r.code, Some(0), "{j}\n{}", r.stderr);
    let conf = h.var("PULLTUI_SIM_NODE_CACHE_PROXY_CONF");
    let proxy_port = h.var("PULLTUI_PROXY_AUTH").rsplit(':').next().unwrap_or("");
    let want = format!(
        "the runtime's proxy settings: {conf} sets HTTPS_PROXY=http://***@127.0.0.1:{proxy_port}"
    );
    let found = notes(j);
    assert!(found.iter().any(|n| n.starts_with(&want)), "{found:?}\n{j}");
    let out = j.to_string();
    assert!(
        !out.contains(h.var("PULLTUI_PROXY_PASS")),
        "password shown: {out}"
    );
    let tcp = j["node"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["step"] == "tcp"))
        .unwrap_or_else(|| panic!("no tcp step from the node: {j}"));
    assert!(
        tcp["detail"]
            .as_str()
            .is_some_and(|d| d.contains("via the runtime's HTTPS_PROXY=http://***@")),
        "{tcp}"
    );
    let seen = proxy_log(&h, &reg);
    assert!(
        seen[before.min(seen.len())..]
            .iter()
            .any(|e| e["proxy"] == "auth"
                && e["proxy_authorization"] == true
                && e["status"] == 200),
        "the node's CONNECT is not in the proxy's log: {seen:?}"
    );
    // The main node has no runtime proxy settings.
    let (hh, img, n, node) = (
        h.clone(),
        image,
        ns.name.clone(),
        h.var("PULLTUI_SIM_NODE").to_string(),
    );
    let r = tokio::task::spawn_blocking(move || node_probe(&hh, &img, &node, &n))
        .await
        .expect("probe");
    let found = notes(&r.json);
    assert!(
        found
            .iter()
            .any(|n| n.starts_with("no runtime proxy settings found on the node")),
        "{found:?}\n{}",
        r.json
    );
    ns.delete().await;
}

/// Where Pod Security forbids host access, the probe pod is recreated
/// without it and says the runtime's proxy settings could not be read.
#[tokio::test]
async fn without_host_access_the_runtimes_proxy_settings_are_not_read() {
    let Some(h) = support::harness() else { return };
    if !h.at_least(25, "Pod Security admission") {
        return;
    }
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let (image, _) = named_image(&h);
    let (hh, ns, node) = (
        h.clone(),
        h.var("PULLTUI_NS_PSA_BASELINE").to_string(),
        h.var("PULLTUI_SIM_NODE_CACHE").to_string(),
    );
    let r = tokio::task::spawn_blocking(move || node_probe(&hh, &image, &node, &ns))
        .await
        .expect("probe");
    let found = notes(&r.json);
    assert!(
        found.iter().any(|n| n.contains("policy forbids the host network"))
            && found.iter().any(|n| n.starts_with(
                "the runtime's proxy settings could not be read: the pod has no access to the node's /etc"
            )),
        "{found:?}\n{}",
        r.json
    );
}

/// Split DNS: the registry sends for its layers on a name this machine
/// cannot resolve. The laptop's blob leg names that host as the failing
/// leg, and the node probe is handed the host and checks it too (here the
/// node cannot resolve it either).
#[tokio::test]
async fn a_blob_host_this_machine_cannot_resolve_is_checked_from_the_node() {
    let Some(h) = support::harness() else { return };
    let client = h.admin().await;
    h.require_simulator(&client).await;
    let ns = h.namespace(&client, "probe-split").await;
    let image = format!("{}/legs/app:1.0", h.var("PULLTUI_REG_BLOBSPLIT"));
    let (hh, n, node) = (
        h.clone(),
        ns.name.clone(),
        h.var("PULLTUI_SIM_NODE").to_string(),
    );
    let user = h.var("PULLTUI_REG_BLOB_USER").to_string();
    let pass = h.var("PULLTUI_REG_BLOB_PASS").to_string();
    let r = tokio::task::spawn_blocking(move || {
        let extra = [
            "--from-node",
            node.as_str(),
            "--probe-image",
            hh.var("PULLTUI_PROBE_IMAGE"),
            "--yes",
            "--probe-namespace",
            n.as_str(),
            "--username",
            user.as_str(),
            "--password-stdin",
        ];
        let mut p = hh.pulltui().no_proxy();
        p = p.stdin(format!("{pass}\n"));
        let run = p
            .arg("probe")
            .args(&[
                image.as_str(),
                "--json",
                "--timeout",
                "2",
                "--ca-file",
                hh.var("PULLTUI_REG_CA"),
            ])
            .args(&extra)
            .run();
        serde_json::from_str::<Value>(run.stdout.lines().next().unwrap_or_default())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", run.stdout, run.stderr))
    })
    .await
    .expect("probe");
    let j = &r;
    assert_eq!(step(j, "blob")["status"], "fail", "{j}");
    assert!(
        detail(j, "blob").contains(
            "layers come from blobs.nx.invalid and its name does not resolve from this machine"
        ),
        "{j}"
    );
    let node_blob = j["node"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["step"] == "blob"))
        .unwrap_or_else(|| panic!("the node did not check the blob host: {j}"));
    assert!(
        node_blob["detail"]
            .as_str()
            .is_some_and(|d| d.contains("layers come from blobs.nx.invalid:443")),
        "{node_blob}"
    );
    ns.delete().await;
}
