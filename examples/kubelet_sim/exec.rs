//! Running pulltui's probe pods for real: a pod labelled
//! `app.kubernetes.io/managed-by=pulltui` whose image was pulled gets its
//! container's command executed on this machine, as the node would run it:
//! in a private mount namespace where `/etc/resolv.conf` is the node's
//! (dnsPolicy Default: the harness DNS), hostPath volumes come from the
//! simulated node's root, and `/dev` is a minimal one with the
//! `terminationMessagePath` file, as a container runtime gives. The network
//! is this machine's loopback: what the node sees.
//!
//! The result goes where kubelet puts it: the container's terminated state
//! (exit code, reason, the termination message, or the log tail under
//! FallbackToLogsOnError), phase Succeeded/Failed. `activeDeadlineSeconds`
//! kills the command (phase Failed, reason DeadlineExceeded). No kubelet log
//! endpoint is served: pulltui reads the termination message.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use tokio::io::AsyncReadExt as _;
use tokio::sync::watch;

use super::node::NODE_IP;

pub const MANAGED_BY_KEY: &str = "app.kubernetes.io/managed-by";

/// Whether the simulator runs this pod's command (pulltui's probe pods only).
pub fn runs_command(pod: &Pod) -> bool {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY_KEY))
        .is_some_and(|v| v == "pulltui")
}

fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

struct Outcome {
    exit_code: i32,
    reason: &'static str,
    message: String,
    deadline: bool,
}

/// Runs the first container's command; writes the terminated status.
/// Returns when done, or when the pod goes away (the command is killed).
pub async fn run(
    client: &kube::Client,
    node_root: Option<&Path>,
    pod: &Pod,
    rx: &mut watch::Receiver<Pod>,
) -> anyhow::Result<()> {
    let spec = pod.spec.as_ref().context("pod without spec")?;
    let c = spec.containers.first().context("pod without containers")?;
    let mut argv: Vec<String> = c.command.clone().unwrap_or_default();
    argv.extend(c.args.clone().unwrap_or_default());
    anyhow::ensure!(!argv.is_empty(), "container without a command");
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let work = std::env::temp_dir().join(format!("kubelet-sim-{uid}"));
    std::fs::create_dir_all(&work)?;
    let term_log = work.join("termination-log");
    std::fs::write(&term_log, b"")?;
    // kubelet makes it writable by any container user.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&term_log, std::fs::Permissions::from_mode(0o666))?;
    }
    let host_dev = work.join("hostdev");
    std::fs::create_dir_all(&host_dev)?;

    // The container's view: mounts set up in a private namespace, then exec.
    let mut prelude = String::from("set -e\n");
    let node_file = |p: &str| -> Option<PathBuf> {
        let root = node_root?;
        let f = root.join(p.trim_start_matches('/'));
        f.exists().then_some(f)
    };
    let host_network = spec.host_network == Some(true);
    // kubelet gives dnsPolicy Default (and ClusterFirst on the host
    // network without ClusterFirstWithHostNet) the node's resolv.conf; the
    // simulated cluster has no cluster DNS, so every pod gets the node's.
    if let Some(r) = node_file("/etc/resolv.conf") {
        prelude.push_str(&format!(
            "mount --bind {} /etc/resolv.conf\n",
            sq(&r.to_string_lossy())
        ));
    }
    for m in c.volume_mounts.iter().flatten() {
        let Some(v) = spec.volumes.iter().flatten().find(|v| v.name == m.name) else {
            continue;
        };
        let Some(hp) = &v.host_path else { continue };
        // The node's file system is the simulated root; nothing of this
        // machine's own is exposed.
        let Some(src) = node_file(&hp.path) else {
            continue;
        };
        let ro = if m.read_only == Some(true) {
            " -o ro"
        } else {
            ""
        };
        prelude.push_str(&format!(
            "mount --bind{ro} {} {}\n",
            sq(&src.to_string_lossy()),
            sq(&m.mount_path)
        ));
    }
    let term_path = c
        .termination_message_path
        .clone()
        .unwrap_or_else(|| "/dev/termination-log".to_string());
    // A minimal /dev (as runtimes give containers) holding the termination file.
    prelude.push_str(&format!(
        "mount --rbind /dev {hd}\nmount -t tmpfs -o mode=755 tmpfs /dev\n\
         for n in null zero full random urandom tty; do touch /dev/$n; mount --bind {hd}/$n /dev/$n; done\n\
         ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr\n",
        hd = sq(&host_dev.to_string_lossy())
    ));
    if term_path.starts_with("/dev/") {
        prelude.push_str(&format!(
            "touch {tp}; mount --bind {tl} {tp}\n",
            tp = sq(&term_path),
            tl = sq(&term_log.to_string_lossy())
        ));
    }
    let user = c
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user)
        .or_else(|| spec.security_context.as_ref().and_then(|s| s.run_as_user));
    // Drop to the container's user after the mounts.
    match user {
        Some(u) if u != 0 => prelude.push_str(&format!(
            "exec setpriv --reuid {u} --regid {u} --clear-groups -- \"$@\"\n"
        )),
        _ => prelude.push_str("exec \"$@\"\n"),
    }
    let mut cmd = tokio::process::Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(&prelude)
        .arg("pulltui-sim-exec")
        .args(&argv)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/")
        .env(
            "HOSTNAME",
            if host_network {
                "sim-node".to_string()
            } else {
                pod.metadata.name.clone().unwrap_or_default()
            },
        )
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for e in c.env.iter().flatten() {
        if let Some(v) = &e.value {
            cmd.env(&e.name, v);
        }
    }
    let started = now();
    let deadline = Duration::from_secs(spec.active_deadline_seconds.unwrap_or(600).max(1) as u64);
    tracing::info!("running the command of probe pod {}", key(pod));
    let mut child = cmd.spawn().context("spawning unshare")?;
    let mut stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let collect = async {
        let _ = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        child.wait().await
    };
    let gone = async { while rx.changed().await.is_ok() {} };
    let outcome = tokio::select! {
        r = tokio::time::timeout(deadline, collect) => match r {
            Ok(Ok(st)) => Outcome {
                exit_code: st.code().unwrap_or(137),
                reason: if st.success() { "Completed" } else { "Error" },
                message: String::new(),
                deadline: false,
            },
            Ok(Err(e)) => Outcome { exit_code: 128, reason: "Error", message: format!("wait: {e}"), deadline: false },
            Err(_) => Outcome { exit_code: 137, reason: "Error", message: String::new(), deadline: true },
        },
        _ = gone => {
            tracing::info!("probe pod {} deleted while running: command killed", key(pod));
            let _ = std::fs::remove_dir_all(&work);
            return Ok(());
        }
    };
    // (dropping `collect` killed the child on a deadline)
    let mut message = std::fs::read(&term_log).unwrap_or_default();
    message.truncate(4096);
    let mut message = String::from_utf8_lossy(&message).into_owned();
    if message.trim().is_empty()
        && outcome.exit_code != 0
        && c.termination_message_policy.as_deref() == Some("FallbackToLogsOnError")
    {
        // kubelet: the last 80 lines / 2048 bytes of the log.
        let text = String::from_utf8_lossy(&out).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(80)..].join("\n");
        let mut start = tail.len().saturating_sub(2048);
        while !tail.is_char_boundary(start) {
            start += 1;
        }
        message = tail[start..].to_string();
    }
    if !outcome.message.is_empty() {
        message = outcome.message.clone();
    }
    let stderr_text = String::from_utf8_lossy(&err);
    if !stderr_text.trim().is_empty() {
        tracing::info!("probe pod {} stderr: {}", key(pod), stderr_text.trim());
    }
    let _ = std::fs::remove_dir_all(&work);
    write_terminated(client, pod, &started, outcome, message).await
}

fn key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn write_terminated(
    client: &kube::Client,
    pod: &Pod,
    started: &str,
    o: Outcome,
    message: String,
) -> anyhow::Result<()> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().context("pod without name")?;
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let spec = pod.spec.as_ref().context("pod without spec")?;
    let finished = now();
    let statuses: Vec<serde_json::Value> = spec
        .containers
        .iter()
        .map(|c| {
            let old = pod
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .and_then(|l| l.iter().find(|s| s.name == c.name));
            let mut term = serde_json::json!({
                "exitCode": o.exit_code, "reason": o.reason,
                "startedAt": started, "finishedAt": finished,
            });
            if !message.is_empty() {
                term["message"] = message.clone().into();
            }
            if let Some(cid) = old.and_then(|s| s.container_id.clone()) {
                term["containerID"] = cid.into();
            }
            serde_json::json!({
                "name": c.name, "image": c.image, "ready": false, "restartCount": 0, "started": false,
                "imageID": old.map(|s| s.image_id.clone()).unwrap_or_default(),
                "state": {"terminated": term},
            })
        })
        .collect();
    let phase = if o.exit_code == 0 && !o.deadline {
        "Succeeded"
    } else {
        "Failed"
    };
    let mut status = serde_json::json!({
        "phase": phase,
        "hostIP": NODE_IP,
        "containerStatuses": statuses,
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "PodCompleted", "lastTransitionTime": finished},
            {"type": "ContainersReady", "status": "False", "reason": "PodCompleted", "lastTransitionTime": finished},
        ],
    });
    if o.deadline {
        status["reason"] = "DeadlineExceeded".into();
        status["message"] = "Pod was active on the node longer than the specified deadline".into();
    }
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let patch = serde_json::json!({"metadata": {"uid": uid}, "status": status});
    match api
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => {
            tracing::info!("probe pod {ns}/{name}: {phase} (exit {})", o.exit_code);
            Ok(())
        }
        Err(kube::Error::Api(e)) if matches!(e.code, 404 | 409 | 422) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("updating status of {ns}/{name}")),
    }
}
