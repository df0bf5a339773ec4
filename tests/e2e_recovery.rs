//! Watch recovery against a REAL API server that the test owns: its own
//! etcd and kube-apiserver (the harness's binaries and PKI, other ports),
//! so it can be stopped, started, compacted and wiped without disturbing
//! the other tests.
//!
//! - The API server stops mid-run: the status bar says reconnecting with
//!   the time since the last event, the table stays, marked STALE; when the
//!   server is back everything resyncs by itself (no key pressed), the open
//!   detail's events included.
//! - etcd is recreated (resourceVersions go backwards): pulltui recovers by
//!   itself and shows the new cluster, not the old one.
//! - The watch's resourceVersion expired (410 Gone, forced by an etcd
//!   compaction while pulltui could not watch): kube's relist replaces the
//!   table; a pod deleted meanwhile disappears.
//! - A server that accepts TCP and never answers is noticed within the
//!   heartbeat's timeouts, and recovered from when it answers again.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, Namespace, Pod, ServiceAccount};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::config::Kubeconfig;
use serde_json::json;
use support::tmux::{Tmux, tmux_available};
use support::{Dirs, Harness, Pulltui};

const NS: &str = "recovery";
const SCREEN: Duration = Duration::from_secs(45);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn stop(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// etcd + kube-apiserver of this test alone.
struct OwnCluster {
    dir: tempfile::TempDir,
    harness_dir: PathBuf,
    apiserver_bin: PathBuf,
    etcd_bin: PathBuf,
    /// The harness's Kubernetes minor version: its API server's flags.
    k8s_minor: u32,
    etcd_port: u16,
    peer_port: u16,
    api_port: u16,
    etcd: Option<Child>,
    api: Option<Child>,
    /// Data-directory generation: a wipe starts an empty etcd.
    etcd_gen: u32,
    admin_token: String,
}

impl OwnCluster {
    fn new(h: &Harness) -> OwnCluster {
        let harness_dir = PathBuf::from(h.var("PULLTUI_HARNESS_DIR"));
        let apiserver_bin = Path::new(h.var("PULLTUI_HARNESS_BIN")).join("kube-apiserver");
        let tokens =
            std::fs::read_to_string(harness_dir.join("pki/tokens.csv")).expect("tokens.csv");
        let admin_token = tokens
            .lines()
            .find(|l| l.contains("pulltui-admin"))
            .and_then(|l| l.split(',').next())
            .expect("admin token")
            .to_string();
        OwnCluster {
            dir: tempfile::tempdir().expect("tempdir"),
            harness_dir,
            apiserver_bin,
            etcd_bin: h
                .vars
                .get("PULLTUI_ETCD_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("etcd")),
            k8s_minor: h.k8s_minor(),
            etcd_port: free_port(),
            peer_port: free_port(),
            api_port: free_port(),
            etcd: None,
            api: None,
            etcd_gen: 0,
            admin_token,
        }
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("{name}.log")))
            .expect("log file")
    }

    fn start_etcd(&mut self) {
        let data = self.dir.path().join(format!("etcd-{}", self.etcd_gen));
        let client = format!("http://127.0.0.1:{}", self.etcd_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new(&self.etcd_bin)
            .args(["--name", "own", "--data-dir"])
            .arg(&data)
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("own={peer}")])
            .args(["--log-level", "warn"])
            .stdout(self.log("etcd"))
            .stderr(self.log("etcd"))
            .spawn()
            .expect("etcd starts");
        self.etcd = Some(child);
        let t0 = Instant::now();
        while self.etcd_call("/health", "").is_none() {
            assert!(t0.elapsed() < Duration::from_secs(60), "etcd healthy");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A call to etcd's JSON gateway (`/v3/kv/...`).
    fn etcd_call(&self, path: &str, body: &str) -> Option<serde_json::Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.etcd_port);
        let mut cmd = Command::new("curl");
        cmd.args(["-fsS", "--max-time", "5"]);
        if !body.is_empty() {
            cmd.args(["-X", "POST", "-d", body]);
        }
        let out = cmd.arg(&url).output().ok()?;
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    fn etcd_revision(&self) -> i64 {
        let v = self
            .etcd_call("/v3/kv/range", r#"{"key": "AA==", "limit": 1}"#)
            .expect("etcd range");
        v["header"]["revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .expect("revision")
    }

    /// The first start: a port picked by `free_port` may be taken by
    /// another test's socket before the server binds it, so a server that
    /// exits at once is started again on a new port (later starts keep
    /// the URL the kubeconfig names).
    fn start_first_api(&mut self) {
        for _ in 0..3 {
            if self.try_start_api() {
                return;
            }
            self.api_port = free_port();
        }
        panic!(
            "own kube-apiserver exited at start three times (log: {})",
            self.dir.path().join("kube-apiserver.log").display()
        );
    }

    fn start_api(&mut self) {
        assert!(
            self.try_start_api(),
            "own kube-apiserver exited at start (log: {})",
            self.dir.path().join("kube-apiserver.log").display()
        );
    }

    /// Starts the API server and waits until it is ready; false when it
    /// exits first.
    fn try_start_api(&mut self) -> bool {
        let d = &self.harness_dir;
        let pki = |f: &str| d.join("pki").join(f);
        // `--insecure-port` is gone since 1.24; 1.20 needs it off explicitly.
        let version_flags: &[&str] = if self.k8s_minor < 24 {
            &["--insecure-port", "0"]
        } else {
            &[]
        };
        let child = Command::new(&self.apiserver_bin)
            .args([
                "--etcd-servers",
                &format!("http://127.0.0.1:{}", self.etcd_port),
            ])
            .args([
                "--bind-address",
                "127.0.0.1",
                "--advertise-address",
                "127.0.0.1",
            ])
            .args(["--secure-port", &self.api_port.to_string()])
            .args(version_flags)
            .arg("--tls-cert-file")
            .arg(pki("apiserver.crt"))
            .arg("--tls-private-key-file")
            .arg(pki("apiserver.key"))
            .arg("--client-ca-file")
            .arg(pki("ca.crt"))
            .arg("--token-auth-file")
            .arg(pki("tokens.csv"))
            .args(["--authorization-mode", "RBAC"])
            .args([
                "--service-account-issuer",
                "https://kubernetes.default.svc.cluster.local",
            ])
            .arg("--service-account-key-file")
            .arg(pki("sa.pub"))
            .arg("--service-account-signing-key-file")
            .arg(pki("sa.key"))
            .args(["--service-cluster-ip-range", "10.97.0.0/16"])
            .args(["--endpoint-reconciler-type", "none"])
            .args(["--profiling=false", "--v", "1"])
            .arg("--cert-dir")
            .arg(self.dir.path().join("apiserver-certs"))
            .stdout(self.log("kube-apiserver"))
            .stderr(self.log("kube-apiserver"))
            .spawn()
            .expect("kube-apiserver starts");
        self.api = Some(child);
        let t0 = Instant::now();
        loop {
            if let Some(c) = self.api.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                eprintln!("own kube-apiserver exited at start: {status}");
                self.api = None;
                return false;
            }
            let ok = Command::new("curl")
                .args(["-fsS", "--max-time", "3", "--cacert"])
                .arg(pki("ca.crt"))
                .args([
                    "-H",
                    &format!("Authorization: Bearer {}", self.admin_token),
                    &format!("https://127.0.0.1:{}/readyz", self.api_port),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return true;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "own kube-apiserver ready (log: {})",
                self.dir.path().join("kube-apiserver.log").display()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn stop_api(&mut self) {
        stop(&mut self.api);
    }

    /// A new, empty etcd: resourceVersions start again from 1.
    fn wipe(&mut self) {
        self.stop_api();
        stop(&mut self.etcd);
        self.etcd_gen += 1;
        self.start_etcd();
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    /// The harness kubeconfig, pointed at `server`.
    fn kubeconfig(&self, h: &Harness, server: &str, name: &str) -> PathBuf {
        let text = std::fs::read_to_string(h.kubeconfig()).expect("kubeconfig");
        let text = text.replace(h.var("PULLTUI_API_SERVER"), server);
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write kubeconfig");
        p
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        stop(&mut self.api);
        stop(&mut self.etcd);
        if std::thread::panicking() {
            // Logs for the failure: pulltui's and the servers'.
            for f in ["state/pulltui/pulltui.log", "kube-apiserver.log"] {
                let text = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                eprintln!("--- {f} (last lines, newest first)\n{}", tail.join("\n"));
            }
        }
    }
}

async fn client(kubeconfig: &Path) -> kube::Client {
    let kc = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    support::client_of(kc, Some("admin")).await
}

/// The namespace and its default ServiceAccount (no controller-manager here).
async fn prepare(c: &kube::Client) {
    let t0 = Instant::now();
    let ns: Api<Namespace> = Api::all(c.clone());
    let body: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}})).expect("ns");
    loop {
        match ns.create(&PostParams::default(), &body).await {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.code == 409 => break,
            // RBAC and the namespace controller settle just after readyz.
            Err(e) => assert!(t0.elapsed() < Duration::from_secs(60), "namespace: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let sa: Api<ServiceAccount> = Api::namespaced(c.clone(), NS);
    let _ = sa
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "default"}})).expect("sa"),
        )
        .await;
}

/// A pod whose image cannot be pulled (status written as a kubelet would),
/// with the kubelet's `Failed` event carrying `cause`.
async fn failing_pod(c: &kube::Client, name: &str, cause: &str) {
    let image = format!("registry.recovery.example/team/{name}:1.0");
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"nodeName": "gone-node", "automountServiceAccountToken": false,
                 "containers": [{"name": "app", "image": image}]}
    }))
    .expect("pod");
    let created = pods
        .create(&PostParams::default(), &pod)
        .await
        .expect("create pod");
    let st = json!({"status": {"phase": "Pending", "containerStatuses": [{
        "name": "app", "ready": false, "restartCount": 0, "image": image, "imageID": "",
        "state": {"waiting": {"reason": "ImagePullBackOff",
                              "message": format!("Back-off pulling image \"{image}\"")}}}]}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&st))
        .await
        .expect("status");
    event(
        c,
        name,
        created.metadata.uid.as_deref().unwrap_or(""),
        &image,
        cause,
        "1",
    )
    .await;
}

async fn event(c: &kube::Client, pod: &str, uid: &str, image: &str, cause: &str, n: &str) {
    let events: Api<Event> = Api::namespaced(c.clone(), NS);
    let now = jiff::Timestamp::now().to_string();
    let now = format!("{}Z", &now[..19]);
    let ev: Event = serde_json::from_value(json!({
        "metadata": {"name": format!("{pod}.failed.{n}")},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": pod, "namespace": NS,
                           "uid": uid, "fieldPath": "spec.containers{app}"},
        "reason": "Failed", "type": "Warning",
        "message": format!("Failed to pull image \"{image}\": rpc error: code = Unknown desc = {cause}"),
        "source": {"component": "kubelet", "host": "gone-node"},
        "firstTimestamp": now, "lastTimestamp": now, "count": 1
    }))
    .expect("event");
    events
        .create(&PostParams::default(), &ev)
        .await
        .expect("create event");
}

async fn uid_of(c: &kube::Client, pod: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    pods.get(pod)
        .await
        .expect("pod")
        .metadata
        .uid
        .unwrap_or_default()
}

const DNS: &str = "dial tcp: lookup registry.recovery.example: no such host";
const REFUSED: &str = "dial tcp 10.9.9.9:443: connect: connection refused";

/// The console on `kubeconfig`'s cluster in namespace `NS`, `env` set,
/// writing beside the kubeconfig (`pulltui_log`).
fn launch(t: &Tmux, kubeconfig: &Path, env: &[(&str, &str)]) {
    let console = Pulltui::new()
        .kubeconfig(kubeconfig)
        .dir(kubeconfig.parent().expect("dir"))
        .no_color()
        .context("admin")
        .args(&["-n", NS]);
    t.launch(env.iter().fold(console, |c, (k, v)| c.env(k, v)));
}

/// An own cluster, up, with the test namespace; its kubeconfig and an
/// admin client. `None` (skipped) without the harness or tmux.
struct Own {
    h: Harness,
    own: OwnCluster,
    kc: PathBuf,
    c: kube::Client,
}

async fn own_cluster() -> Option<Own> {
    let h = support::harness()?;
    if !tmux_available() {
        return None;
    }
    let mut own = OwnCluster::new(&h);
    own.start_etcd();
    own.start_first_api();
    let kc = own.kubeconfig(&h, &own.url(), "kubeconfig");
    let c = client(&kc).await;
    prepare(&c).await;
    Some(Own { h, own, kc, c })
}

/// pulltui's log of a run started by `launch` with this kubeconfig.
fn pulltui_log(kubeconfig: &Path) -> String {
    Dirs::new(kubeconfig.parent().expect("dir")).log_text()
}

fn live(s: &str) -> bool {
    s.contains("● live")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_api_server_leaves_a_stale_table_and_everything_resyncs_when_it_is_back() {
    let Some(Own {
        h: _,
        mut own,
        kc,
        c,
    }) = own_cluster().await
    else {
        return;
    };
    failing_pod(&c, "web-1", DNS).await;
    failing_pod(&c, "web-2", REFUSED).await;

    let t = Tmux::start("recovery-stop", 160, 50);
    launch(&t, &kc, &[]);
    t.wait("both failing pods, live", SCREEN, |s| {
        live(s) && s.contains("web-1") && s.contains("web-2") && s.contains("network.dns")
    });

    // Stop the API server: reconnecting, with the age of the last event;
    // the rows stay, marked stale.
    let stopping = Instant::now();
    own.stop_api();
    let stopped = Instant::now();
    eprintln!(
        "kube-apiserver took {:.1} s to stop",
        stopping.elapsed().as_secs_f64()
    );
    let s = t.wait("reconnecting with a stale table", SCREEN, |s| {
        s.contains("reconnecting (last event") && s.contains("STALE · as of")
    });
    let noticed = stopped.elapsed();
    assert!(s.contains("web-1") && s.contains("web-2"), "rows kept: {s}");
    assert!(!live(&s), "not shown as live: {s}");
    eprintln!("outage noticed after {:.1} s", noticed.as_secs_f64());
    assert!(noticed < Duration::from_secs(15), "noticed in {noticed:?}");
    // The age keeps counting while the server is away.
    std::thread::sleep(Duration::from_secs(6));
    let s = t.capture();
    assert!(s.contains("reconnecting (last event"), "{s}");
    assert!(!s.contains("last event 0s ago"), "the age grows: {s}");

    // Open web-1's detail while the server is away.
    t.type_text("/web-1");
    t.send(&["Enter"]);
    t.send(&["Enter"]);
    t.wait("the detail of web-1", SCREEN, |s| {
        s.contains("web-1") && s.contains("EVENTS")
    });

    // Back: a new event for web-1 and a new failing pod, nothing pressed.
    own.start_api();
    let back = Instant::now();
    let uid = uid_of(&c, "web-1").await;
    event(
        &c,
        "web-1",
        &uid,
        "registry.recovery.example/team/web-1:1.0",
        "marker-after-restart: dial tcp: lookup registry.recovery.example: i/o timeout",
        "2",
    )
    .await;
    failing_pod(&c, "web-3", REFUSED).await;
    let s = t.wait(
        "the detail shows the event written after the restart",
        SCREEN,
        |s| s.contains("marker-after-restart") && live(s),
    );
    eprintln!(
        "live again {:.1} s after the server was ready",
        back.elapsed().as_secs_f64()
    );
    assert!(!s.contains("STALE"), "{s}");
    t.send(&["Escape"]);
    t.send(&["Escape"]);
    let s = t.wait("home shows the new pod, live", SCREEN, |s| {
        live(s) && s.contains("web-3") && !s.contains("STALE")
    });
    assert!(s.contains("web-1") && s.contains("web-2"), "{s}");
    t.send(&["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_etcd_whose_resource_versions_went_back_is_recovered_from_by_itself() {
    let Some(Own {
        h: _,
        mut own,
        kc,
        c,
    }) = own_cluster().await
    else {
        return;
    };
    failing_pod(&c, "old-1", DNS).await;
    failing_pod(&c, "old-2", REFUSED).await;
    // Push the resourceVersion well past what a new etcd reaches on boot.
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(c.clone(), NS);
    for i in 0..400 {
        let cm = serde_json::from_value(json!({"metadata": {"name": format!("filler-{i}")}}))
            .expect("cm");
        cms.create(&PostParams::default(), &cm).await.expect("cm");
    }
    let before = own.etcd_revision();

    let t = Tmux::start("recovery-wipe", 160, 30);
    launch(&t, &kc, &[]);
    t.wait("the old pods, live", SCREEN, |s| {
        live(s) && s.contains("old-1") && s.contains("old-2")
    });

    own.wipe();
    own.start_api();
    let c = client(&kc).await;
    prepare(&c).await;
    failing_pod(&c, "new-1", DNS).await;
    let after = own.etcd_revision();
    eprintln!("etcd revision {before} before the wipe, {after} after");
    assert!(
        after < before,
        "resourceVersions went back ({before} -> {after})"
    );
    let back = Instant::now();
    let s = t.wait(
        "the new cluster, live, without a key",
        Duration::from_secs(60),
        |s| live(s) && s.contains("new-1") && !s.contains("old-1") && !s.contains("STALE"),
    );
    eprintln!(
        "recovered {:.1} s after the new server was ready",
        back.elapsed().as_secs_f64()
    );
    assert!(!s.contains("old-2"), "{s}");
    t.send(&["q"]);
    let log = pulltui_log(&kc);
    assert!(
        log.contains("restarting the watchers from a fresh list"),
        "the watchers started over; log:\n{}",
        log.lines().rev().take(40).collect::<Vec<_>>().join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_resource_version_410_is_handled_by_relisting() {
    let Some(Own {
        h: _,
        mut own,
        kc,
        c,
    }) = own_cluster().await
    else {
        return;
    };
    failing_pod(&c, "keep-1", DNS).await;
    failing_pod(&c, "gone-1", REFUSED).await;

    // No heartbeat: only kube's watcher, resuming from its resourceVersion,
    // which the compaction below expires.
    let t = Tmux::start("recovery-410", 160, 30);
    launch(&t, &kc, &[("PULLTUI_HEARTBEAT_SECS", "0")]);
    t.wait("both pods, live", SCREEN, |s| {
        live(s) && s.contains("keep-1") && s.contains("gone-1")
    });
    own.stop_api();
    t.wait("reconnecting", SCREEN, |s| s.contains("reconnecting"));
    // While nobody can watch: gone-1 is deleted in storage, a write moves
    // the revision on, and history is compacted up to it.
    let key = base64_of(&format!("/registry/pods/{NS}/gone-1"));
    own.etcd_call("/v3/kv/deleterange", &format!(r#"{{"key": "{key}"}}"#))
        .expect("delete gone-1 in etcd");
    own.etcd_call(
        "/v3/kv/put",
        &format!(
            r#"{{"key": "{}", "value": "eA=="}}"#,
            base64_of("/test/bump")
        ),
    )
    .expect("put");
    let rev = own.etcd_revision();
    own.etcd_call(
        "/v3/kv/compaction",
        &format!(r#"{{"revision": "{rev}", "physical": true}}"#),
    )
    .expect("compact");
    own.start_api();
    let s = t.wait(
        "relisted: gone-1 gone, keep-1 kept, live",
        Duration::from_secs(60),
        |s| live(s) && s.contains("keep-1") && !s.contains("gone-1"),
    );
    assert!(!s.contains("STALE"), "{s}");
    t.send(&["q"]);
    let log = pulltui_log(&kc);
    // The watch error itself (not any "410" a port number may hold).
    let expired = log
        .lines()
        .any(|l| l.contains("pods watch") && l.to_lowercase().contains("too old resource version"));
    assert!(
        expired,
        "the server answered 410 and the watcher relisted; log:\n{}",
        log.lines().rev().take(40).collect::<Vec<_>>().join("\n")
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A TCP proxy that can freeze: connections stay open, nothing is passed
/// on, new ones are accepted and never answered.
struct FreezingProxy {
    port: u16,
    frozen: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl FreezingProxy {
    fn start(upstream: u16) -> FreezingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let conns: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let (f, cs) = (frozen.clone(), conns.clone());
        std::thread::spawn(move || {
            for down in listener.incoming().flatten() {
                if let Ok(c) = down.try_clone() {
                    cs.lock().expect("lock").push(c);
                }
                if f.load(Ordering::SeqCst) {
                    continue; // accepted, never answered
                }
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                if let Ok(c) = up.try_clone() {
                    cs.lock().expect("lock").push(c);
                }
                for (mut from, mut to) in [
                    (
                        down.try_clone().expect("clone"),
                        up.try_clone().expect("clone"),
                    ),
                    (up, down),
                ] {
                    let f = f.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            let n = match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            // Frozen: bytes are swallowed.
                            while f.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        FreezingProxy {
            port,
            frozen,
            conns,
        }
    }

    fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Thaws: the frozen connections are closed (as a partition's would
    /// be once noticed), new ones pass again.
    fn thaw(&self) {
        for c in self.conns.lock().expect("lock").drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        self.frozen.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_and_never_answers_is_noticed_and_recovered_from() {
    let Some(Own { h, own, kc: _, c }) = own_cluster().await else {
        return;
    };
    failing_pod(&c, "hang-1", DNS).await;
    let proxy = FreezingProxy::start(own.api_port);
    let kc = own.kubeconfig(
        &h,
        &format!("https://127.0.0.1:{}", proxy.port),
        "kubeconfig-proxy",
    );

    let t = Tmux::start("recovery-hang", 160, 30);
    launch(&t, &kc, &[]);
    t.wait("hang-1, live", SCREEN, |s| live(s) && s.contains("hang-1"));
    let frozen = Instant::now();
    proxy.freeze();
    let s = t.wait("the silence noticed", SCREEN, |s| {
        s.contains("reconnecting") && s.contains("STALE")
    });
    let noticed = frozen.elapsed();
    eprintln!(
        "a silent server noticed after {:.1} s",
        noticed.as_secs_f64()
    );
    assert!(noticed < Duration::from_secs(20), "noticed in {noticed:?}");
    assert!(s.contains("hang-1"), "{s}");

    // Answers again: a pod written meanwhile appears, nothing pressed.
    failing_pod(&c, "hang-2", REFUSED).await;
    let thawed = Instant::now();
    proxy.thaw();
    t.wait("recovered: hang-2 on screen, live", SCREEN, |s| {
        live(s) && s.contains("hang-2") && !s.contains("STALE")
    });
    eprintln!(
        "recovered {:.1} s after the server answered again",
        thawed.elapsed().as_secs_f64()
    );
    t.send(&["q"]);
}
