//! The probe pane for real: `p` on a failing pod probes its registry from
//! this machine, step by step; `P` previews the probe pod in the overlay
//! every cluster write is confirmed in, `y` creates it on the pod's node,
//! and its results appear beside the laptop's. The pod is
//! gone afterwards — after the probe ends, after `Esc` mid-run and after
//! `q` — verified through the API.

mod support;

use std::time::{Duration, Instant};

use support::tmux::{Tmux, exit_line};
use support::workload::{W, failing_pod};
use support::{Fixture, probe_pods};

const SCREEN: Duration = Duration::from_secs(30);

/// The confirmation overlay's title for the probe pod (the one every
/// cluster write is confirmed in).
const CONFIRM: &str = "create the probe pod —";

/// Waits until no probe pod is left in `ns`.
async fn wait_no_probe_pods(client: &kube::Client, ns: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = probe_pods(client, ns).await;
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: probe pods left: {:?}",
            left.iter()
                .map(|p| p.metadata.name.clone())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p_probes_from_here_and_p_from_the_node_and_the_pod_is_gone_on_every_path() {
    let Some(f) = Fixture::with_tmux("tui-probe").await else {
        return;
    };
    let (h, c, ns) = (&f.h, &f.c, &f.ns);
    W::new(
        "Deployment",
        "web",
        format!("{}/team/app:1.0", h.reg_selfsigned()),
    )
    .create(c, &ns.name)
    .await;
    failing_pod(c, &ns.name, "web").await;

    let t = Tmux::start("tui-probe", 160, 45);
    let launch = |extra: &[&str]| {
        t.launch(
            f.pulltui()
                .no_color()
                .context("admin")
                .args(&["-n", f.ns(), "--probe-image", h.var("PULLTUI_PROBE_IMAGE")])
                .args(extra),
        );
    };
    launch(&[]);
    t.wait("the failing row", SCREEN, |s| s.contains("tls.untrusted"));
    t.send(&["p"]);
    let s = t.wait("the laptop verdict", SCREEN, |s| {
        s.contains("this machine →") && s.contains("verdict tls.untrusted")
    });
    assert!(s.contains("tls "), "{s}");
    // P: the preview first, nothing created until y.
    t.send(&["P"]);
    let preview = t.wait("the probe pod preview", SCREEN, |s| {
        s.contains(CONFIRM) && s.contains("host network")
    });
    assert!(probe_pods(c, &ns.name).await.is_empty(), "created before y");
    // The pod created is the pod previewed: the same name.
    let previewed = regex::Regex::new(r"create pod [a-z0-9-]+/(pulltui-probe-[a-z0-9-]+)")
        .expect("regex")
        .captures(&preview)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no pod name in the preview:\n{preview}"));
    t.send(&["y"]);
    let node = h.var("PULLTUI_SIM_NODE").to_string();
    let s = t.wait("the node's side", Duration::from_secs(90), |s| {
        s.contains(&format!("node {node}")) && s.contains("node probe done")
    });
    assert!(s.contains("verdict"), "{s}");
    assert!(
        s.contains(&format!("pod {previewed} created")),
        "created another pod than {previewed}:\n{s}"
    );
    wait_no_probe_pods(c, &ns.name, "after the node probe ended").await;

    // Esc while the node probe runs: stopped, pod deleted.
    t.send(&["P"]);
    t.wait("the preview again", SCREEN, |s| s.contains(CONFIRM));
    t.send(&["y"]);
    t.wait("the node probe running", SCREEN, |s| {
        s.contains("probing from the node")
    });
    t.send(&["Escape"]);
    t.wait("back on the table", SCREEN, |s| s.contains("NAMESPACE"));
    wait_no_probe_pods(c, &ns.name, "after Esc").await;

    // q while the node probe runs: the console deletes it before exiting.
    t.send(&["P"]);
    t.wait("the preview, from home", SCREEN, |s| s.contains(CONFIRM));
    t.send(&["y"]);
    t.wait("the node probe running", SCREEN, |s| {
        s.contains("probing from the node")
    });
    t.send(&["q"]);
    t.wait("the shell after q", SCREEN, |s| {
        exit_line(s) == Some("PULLTUI-EXIT=0")
    });
    wait_no_probe_pods(c, &ns.name, "after q").await;

    // --read-only: P is refused with the reason.
    launch(&["--read-only"]);
    t.wait("the failing row", SCREEN, |s| s.contains("tls.untrusted"));
    t.send(&["P"]);
    t.wait("the read-only refusal", SCREEN, |s| {
        s.contains("read-only mode")
    });
    assert!(probe_pods(c, &ns.name).await.is_empty());
    t.send(&["q"]);
    f.delete().await;
}

/// While a step runs the pane names it with its elapsed time, and the time
/// moves: the laptop's TCP connect to a blackholed port takes the step's
/// whole timeout (5 s), shown as "tcp … 1.2 s", "… 2.0 s", then the verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_pane_shows_the_step_in_progress_and_its_elapsed_time() {
    let Some(f) = Fixture::with_tmux("tui-probe-clock").await else {
        return;
    };
    let (h, c, ns) = (&f.h, &f.c, &f.ns);
    W::new(
        "Deployment",
        "slow",
        format!("{}/team/app:1.0", h.reg_blackhole()),
    )
    .create(c, &ns.name)
    .await;
    failing_pod(c, &ns.name, "slow").await;
    let t = Tmux::start("tui-probe-clock", 160, 45);
    t.launch(
        f.pulltui()
            .no_color()
            .context("admin")
            .args(&["-n", f.ns()]),
    );
    t.wait("the failing row", SCREEN, |s| s.contains("Deployment/slow"));
    t.send(&["p"]);
    let elapsed = |s: &str| -> Option<f64> {
        regex::Regex::new(r"tcp … (\d+\.\d) s")
            .expect("regex")
            .captures(s)
            .and_then(|c| c[1].parse().ok())
    };
    let first = t.wait("tcp in progress, past a second", SCREEN, |s| {
        elapsed(s).is_some_and(|e| e >= 1.0)
    });
    let at = elapsed(&first).unwrap_or_default();
    let later = t.wait("the clock moving", SCREEN, |s| {
        elapsed(s).is_some_and(|e| e >= at + 0.5) || s.contains("verdict")
    });
    assert!(
        elapsed(&later).is_some_and(|e| e > at),
        "the elapsed time did not move from {at}:\n{later}"
    );
    let done = t.wait("the verdict", SCREEN, |s| {
        s.contains("verdict network.timeout")
    });
    assert!(
        elapsed(&done).is_none(),
        "no step in progress once done:\n{done}"
    );
    t.send(&["q"]);
    t.wait("exit", SCREEN, |s| exit_line(s) == Some("PULLTUI-EXIT=0"));
    f.delete().await;
}
