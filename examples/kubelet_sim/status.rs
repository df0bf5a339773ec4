//! The pod status kubelet reports after a sync: a state per container (in
//! `initContainerStatuses`, `containerStatuses` and
//! `ephemeralContainerStatuses`), conditions and phase. After a failed pull
//! the waiting reason is the pull's (`ErrImagePull`, `RegistryUnavailable`,
//! …) and, on the next sync inside the back-off window, `ImagePullBackOff`
//! with the version's back-off message.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use sha2::Digest as _;

use super::node::NODE_IP;
use super::pods::Ctx;
use super::sync::{Outcome, Part, PullResult};

fn short_hash(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn pod_ip(uid: &str) -> String {
    let h = short_hash(&[uid]);
    let b = u16::from_str_radix(&h[..4], 16).unwrap_or(1);
    format!("10.244.{}.{}", (b >> 8) % 256, (b & 0xff).clamp(2, 254))
}

fn ts(t: &jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Status as kubelet reports it; `backoff` turns a failed pull into
/// ImagePullBackOff.
pub async fn write_status(
    ctx: &Ctx,
    pod: &Pod,
    outcome: &Outcome,
    backoff: bool,
) -> anyhow::Result<()> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().context("pod without name")?;
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let now = ts(&jiff::Timestamp::now());
    let old = pod.status.clone().unwrap_or_default();
    let start_time = old
        .start_time
        .as_ref()
        .map(|t| ts(&t.0))
        .unwrap_or_else(|| now.clone());
    let started_at = |cname: &str, part: Part| -> String {
        let list = match part {
            Part::Init | Part::Sidecar => old.init_container_statuses.as_ref(),
            Part::Container => old.container_statuses.as_ref(),
            Part::Ephemeral => old.ephemeral_container_statuses.as_ref(),
        };
        list.and_then(|l| l.iter().find(|s| s.name == cname))
            .and_then(|s| s.state.as_ref())
            .and_then(|st| st.running.as_ref())
            .and_then(|r| r.started_at.as_ref())
            .map(|t| ts(&t.0))
            .unwrap_or_else(|| now.clone())
    };
    let waiting = |reason: &str, message: Option<&str>| {
        let mut w = serde_json::json!({"reason": reason});
        if let Some(m) = message {
            w["message"] = serde_json::Value::String(m.to_string());
        }
        serde_json::json!({"waiting": w})
    };
    let mut lists: [Vec<serde_json::Value>; 3] = [vec![], vec![], vec![]];
    let mut not_init = vec![];
    let mut unready = vec![];
    for r in &outcome.containers {
        let (state, ready, image_id, container_id) = match &r.result {
            PullResult::Waiting(reason) => (waiting(reason, None), false, String::new(), None),
            PullResult::Ok { image_id } => {
                let cid = format!("containerd://{}", short_hash(&[uid, &r.name]));
                let state = if r.part == Part::Init {
                    serde_json::json!({"terminated": {"exitCode": 0, "reason": "Completed",
                        "startedAt": now, "finishedAt": now, "containerID": cid}})
                } else {
                    serde_json::json!({"running": {"startedAt": started_at(&r.name, r.part)}})
                };
                (state, true, image_id.clone(), Some(cid))
            }
            PullResult::Failed { failure, image, .. } => {
                if backoff {
                    let m = ctx.flavor.backoff_message(image, failure);
                    (
                        waiting("ImagePullBackOff", Some(&m)),
                        false,
                        String::new(),
                        None,
                    )
                } else {
                    (
                        waiting(failure.reason, Some(&failure.message)),
                        false,
                        String::new(),
                        None,
                    )
                }
            }
            PullResult::Invalid(msg) => (
                waiting("InvalidImageName", Some(msg)),
                false,
                String::new(),
                None,
            ),
            PullResult::NeverPull(msg) => (
                waiting("ErrImageNeverPull", Some(msg)),
                false,
                String::new(),
                None,
            ),
        };
        let started = ready && r.part != Part::Init;
        let mut s = serde_json::json!({
            "name": r.name, "image": r.image, "imageID": image_id,
            "ready": ready && r.part != Part::Ephemeral,
            "restartCount": 0, "started": started, "state": state,
        });
        if let Some(cid) = container_id {
            s["containerID"] = serde_json::Value::String(cid);
        }
        match r.part {
            Part::Init | Part::Sidecar => {
                if !ready {
                    not_init.push(r.name.clone());
                }
                lists[0].push(s);
            }
            Part::Container => {
                if !ready {
                    unready.push(r.name.clone());
                }
                lists[1].push(s);
            }
            Part::Ephemeral => lists[2].push(s),
        }
    }
    let inits_done = not_init.is_empty();
    let all_ready = unready.is_empty() && inits_done && !outcome.sandbox_failed;
    let cond = |t: &str, ok: bool, reason: &str, msg: String| {
        let status = if ok { "True" } else { "False" };
        let since = old
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == t && c.status == status)
            .and_then(|c| c.last_transition_time.as_ref())
            .map(|t| ts(&t.0))
            .unwrap_or_else(|| now.clone());
        let mut v = serde_json::json!({"type": t, "status": status, "lastProbeTime": null,
            "lastTransitionTime": since});
        if !ok && !reason.is_empty() {
            v["reason"] = serde_json::Value::String(reason.into());
            v["message"] = serde_json::Value::String(msg);
        }
        v
    };
    let list = |names: &[String]| format!("[{}]", names.join(" "));
    let mut conditions = vec![];
    if ctx.flavor.minor >= 29 {
        conditions.push(cond(
            "PodReadyToStartContainers",
            !outcome.sandbox_failed,
            "",
            String::new(),
        ));
    }
    conditions.extend([
        cond(
            "Initialized",
            inits_done,
            "ContainersNotInitialized",
            format!("containers with incomplete status: {}", list(&not_init)),
        ),
        cond(
            "Ready",
            all_ready,
            "ContainersNotReady",
            format!("containers with unready status: {}", list(&unready)),
        ),
        cond(
            "ContainersReady",
            all_ready,
            "ContainersNotReady",
            format!("containers with unready status: {}", list(&unready)),
        ),
        cond("PodScheduled", true, "", String::new()),
    ]);
    let mut status = serde_json::json!({
        "phase": if all_ready { "Running" } else { "Pending" },
        "conditions": conditions,
        "hostIP": NODE_IP,
        "startTime": start_time,
        "containerStatuses": lists[1],
        "qosClass": old.qos_class.clone().unwrap_or_else(|| "BestEffort".into()),
    });
    if !outcome.sandbox_failed {
        let ip = pod_ip(uid);
        status["podIP"] = serde_json::Value::String(ip.clone());
        status["podIPs"] = serde_json::json!([{"ip": ip}]);
    }
    if !lists[0].is_empty() {
        status["initContainerStatuses"] = serde_json::Value::Array(lists[0].clone());
    }
    if !lists[2].is_empty() {
        status["ephemeralContainerStatuses"] = serde_json::Value::Array(lists[2].clone());
    }
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    // The uid makes the patch fail on a newer pod of the same name.
    let patch = serde_json::json!({"metadata": {"uid": uid}, "status": status});
    match api
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if matches!(e.code, 404 | 409 | 422) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("updating status of {ns}/{name}")),
    }
}
