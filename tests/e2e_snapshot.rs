//! Snapshot and replay against the real API-server harness: a snapshot of the
//! scenario workloads, replayed, gives the same rows, categories, workloads
//! and detail evidence as the live console did; `check --replay` equals live
//! `check --json`; the registry password appears nowhere in the file.

mod support;

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use crossterm::event::KeyCode;
use pulltui::app::keymap::Keymap;
use pulltui::app::{Backend, ConnState, Model, Msg, Screen, update};
use support::screen::{drive, key, live_console};
use support::{Fixture, Pulltui, scenarios};
use tokio::sync::mpsc;

fn pulltui(kubeconfig: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let r = Pulltui::new().kubeconfig(kubeconfig).args(args).run();
    (r.code, r.stdout, r.stderr)
}

/// What a person compares between two consoles: per row, the pod, workload,
/// container, registry, category and cause; and the detail's evidence.
type View = Vec<(String, String, String, String, String, String, String)>;

/// The rows and, for each, the evidence the detail screen shows.
async fn view_of(
    model: &mut Model,
    backend: &mut dyn Backend,
    rx: &mut mpsc::Receiver<Msg>,
) -> View {
    drive(model, backend, rx, "live", Duration::from_secs(30), |m| {
        // The events list too: until it is in, a pod in back-off shows only
        // its status ("Back-off pulling image"), not the cause.
        m.cluster().conn == ConnState::Live
            && m.cluster().inventory.events_synced
            && m.cluster().inventory.owners_pending() == 0
    })
    .await;
    let n = model.home.rows.len();
    let mut out = Vec::new();
    for i in 0..n {
        // Select row i (the view order), open it, wait for its reads.
        let fx = update(model, key(KeyCode::Home));
        backend.dispatch_all(fx);
        for _ in 0..i {
            let fx = update(model, key(KeyCode::Down));
            backend.dispatch_all(fx);
        }
        let Some(row) = model.home.selected_row().cloned() else {
            continue;
        };
        let fx = update(model, key(KeyCode::Enter));
        backend.dispatch_all(fx);
        drive(
            model,
            backend,
            rx,
            "detail reads",
            Duration::from_secs(20),
            |m| {
                m.detail.as_ref().is_some_and(|d| {
                    d.events_state != pulltui::app::detail::EventsState::Loading
                        && d.sa != pulltui::app::msg::Fetch::Pending
                        && d.secrets
                            .values()
                            .all(|s| *s != pulltui::app::msg::Fetch::Pending)
                })
            },
        )
        .await;
        let ev = model
            .detail
            .as_ref()
            .and_then(|d| d.evidence())
            .expect("evidence");
        let secrets: Vec<String> = {
            let d = model.detail.as_ref().expect("detail");
            let img = pulltui::domain::image::ImageRef::parse(&row.image).ok();
            img.map(|img| {
                d.secret_lines(&img)
                    .iter()
                    .map(|l| {
                        format!(
                            "{}:{:?}",
                            l.name,
                            l.state.as_ref().map(|s| format!("{s:?}"))
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        out.push((
            format!("{}/{}", row.namespace, row.pod),
            row.workload_label(),
            row.container.clone(),
            row.registry_label().to_string(),
            row.category.id().to_string(),
            format!("{} | {}", ev.class.category.id(), ev.class.cause),
            secrets.join(","),
        ));
        let fx = update(model, key(KeyCode::Esc));
        backend.dispatch_all(fx);
        assert_eq!(model.screen(), Screen::Home);
    }
    out.sort();
    out
}

async fn live_view(kubeconfig: &Path, ns: &str) -> View {
    let (mut model, mut backend, mut rx) = live_console(kubeconfig, ns, (200, 60));
    let fx = model.start();
    backend.dispatch_all(fx);
    view_of(&mut model, &mut backend, &mut rx).await
}

async fn replay_view(file: &Path) -> View {
    let snap = pulltui::snapshot::load(file).expect("snapshot loads");
    let recorded = std::sync::Arc::new(pulltui::snapshot::Recorded::new(snap));
    let (tx, mut rx) = mpsc::channel(1024);
    let mut backend = pulltui::snapshot::Replay::new(recorded.clone(), tx);
    let mut model = Model::new(
        recorded.snapshot.context.clone(),
        vec![],
        recorded.snapshot.scope.clone(),
        Keymap::default(),
        recorded.snapshot.captured_at,
    );
    model.size = (200, 60);
    let fx = model.start();
    backend.dispatch_all(fx);
    view_of(&mut model, &mut backend, &mut rx).await
}

/// Per pod of the namespace: its resourceVersion and those of its events.
/// Equal before and after a capture means that pod did not change in
/// between (no A-B-A flips).
async fn fingerprint(
    client: &kube::Client,
    ns: &str,
) -> std::collections::BTreeMap<String, String> {
    use k8s_openapi::api::core::v1::{Event, Pod};
    use kube::api::{Api, ListParams};
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    let mut out: std::collections::BTreeMap<String, String> = pods
        .list(&ListParams::default())
        .await
        .expect("listing pods")
        .items
        .iter()
        .map(|p| {
            (
                p.metadata.name.clone().unwrap_or_default(),
                format!("pod {:?}", p.metadata.resource_version),
            )
        })
        .collect();
    let mut evs: Vec<(String, String)> = events
        .list(&ListParams::default())
        .await
        .expect("listing events")
        .items
        .iter()
        .map(|e| {
            (
                e.involved_object.name.clone().unwrap_or_default(),
                format!(
                    " event {:?} {:?}",
                    e.metadata.name, e.metadata.resource_version
                ),
            )
        })
        .collect();
    evs.sort();
    for (pod, ev) in evs {
        out.entry(pod).or_default().push_str(&ev);
    }
    out
}

/// The pods that did not change between two fingerprints.
fn quiet(
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeSet<String> {
    before
        .iter()
        .filter(|(k, v)| after.get(*k) == Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// `check --json` output with only the named pods' entries.
fn only_pods(
    v: &serde_json::Value,
    names: &std::collections::BTreeSet<String>,
) -> serde_json::Value {
    let mut v = v.clone();
    if let Some(pods) = v.get_mut("pods").and_then(serde_json::Value::as_array_mut) {
        pods.retain(|p| p["name"].as_str().is_some_and(|n| names.contains(n)));
    }
    v
}

/// The failing pods' names in `check --json` output.
fn pod_names(v: &serde_json::Value) -> std::collections::BTreeSet<String> {
    v["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// The fields that differ, pod by pod (replayed vs live).
fn check_diff(replayed: &serde_json::Value, live: &serde_json::Value) -> String {
    let by_pod = |v: &serde_json::Value| -> std::collections::BTreeMap<String, serde_json::Value> {
        v["pods"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    format!(
                        "{}/{}",
                        p["name"].as_str().unwrap_or("?"),
                        p["container"].as_str().unwrap_or("?")
                    ),
                    p.clone(),
                )
            })
            .collect()
    };
    let (r, l) = (by_pod(replayed), by_pod(live));
    let mut out = Vec::new();
    for k in r
        .keys()
        .chain(l.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (r.get(k), l.get(k)) {
            (Some(a), Some(b)) if a != b => {
                let fields: Vec<String> = a
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(f, v)| b.get(f.as_str()) != Some(*v))
                    .map(|(f, v)| format!("{f}: replayed {v} live {}", b[f.as_str()]))
                    .collect();
                out.push(format!("{k}: {}", fields.join("; ")));
            }
            (Some(_), None) => out.push(format!("{k}: only replayed")),
            (None, Some(_)) => out.push(format!("{k}: only live")),
            _ => {}
        }
    }
    let top: Vec<String> = replayed
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(f, v)| f.as_str() != "pods" && live.get(f.as_str()) != Some(*v))
        .map(|(f, v)| format!("{f}: replayed {v} live {}", live[f.as_str()]))
        .collect();
    out.extend(top);
    out.join(" | ")
}

fn normalise_check(v: &str) -> serde_json::Value {
    serde_json::from_str(v.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_replays_as_the_live_console_showed_it() {
    let Some(f) = Fixture::new("e2e-snap").await else {
        return;
    };
    f.apply_all().await;
    let (h, admin, ns) = (&f.h, &f.c, &f.ns);
    let kc_path = h.kubeconfig();
    let kc = kc_path.to_str().expect("utf-8 path");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("incident.yaml");
    let file_s = file.to_str().expect("utf-8");

    // Pods alternate ErrImagePull / ImagePullBackOff: in each capture,
    // compare the pods that did not change during it (pod and events), until
    // every failing pod has been compared in some quiet window. On a loaded
    // machine a whole namespace is rarely quiet for a check and a snapshot.
    let mut covered = std::collections::BTreeSet::new();
    let mut all_failing = std::collections::BTreeSet::new();
    let mut mismatches: Vec<String> = Vec::new();
    for attempt in 0..30 {
        let fp = fingerprint(admin, &ns.name).await;
        let (_, before, _) = pulltui(
            kc,
            &["check", "--json", "--context", "admin", "-n", &ns.name],
        );
        let (code, _, err) = pulltui(
            kc,
            &[
                "snapshot",
                "-o",
                file_s,
                "--context",
                "admin",
                "-n",
                &ns.name,
            ],
        );
        assert_eq!(code, Some(0), "snapshot failed: {err}");
        assert!(err.contains("failing"), "progress on stderr: {err}");
        let still = quiet(&fp, &fingerprint(admin, &ns.name).await);
        let (rcode, replayed, rerr) = pulltui(kc, &["check", "--replay", file_s, "--json"]);
        assert_eq!(rcode, Some(1), "failing pods in the replay: {rerr}");
        let (r, b) = (normalise_check(&replayed), normalise_check(&before));
        // The same pods fail (back-off flips change no pod's failing).
        assert_eq!(pod_names(&r), pod_names(&b), "the same failing pods");
        all_failing = pod_names(&b);
        let compared: std::collections::BTreeSet<String> =
            all_failing.intersection(&still).cloned().collect();
        let (rq, bq) = (only_pods(&r, &compared), only_pods(&b, &compared));
        if rq == bq {
            covered.extend(compared);
            if covered.is_superset(&all_failing) {
                break;
            }
        } else {
            // Pods and events were unchanged, but owners and the servers' own
            // bookkeeping are not in the fingerprint: say what differed.
            mismatches.push(format!("attempt {attempt}: {}", check_diff(&rq, &bq)));
            eprintln!("{}", mismatches.last().map(String::as_str).unwrap_or(""));
        }
        eprintln!(
            "attempt {attempt}: {} of {} failing pods compared so far",
            covered.len(),
            all_failing.len()
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(
        !all_failing.is_empty() && covered.is_superset(&all_failing),
        "check --replay never equalled live check --json for {:?}: {mismatches:#?}",
        all_failing.difference(&covered).collect::<Vec<_>>()
    );
    assert!(
        mismatches.len() <= 2,
        "check --replay differed from live check --json in quiet windows: {mismatches:#?}"
    );

    // The registry password and its base64 forms appear nowhere.
    let text = std::fs::read_to_string(&file).expect("snapshot readable");
    let pass = h.reg_auth_pass();
    let user = h.reg_auth_user();
    let b64 = base64::engine::general_purpose::STANDARD;
    for needle in [
        pass.to_string(),
        b64.encode(pass),
        b64.encode(format!("{user}:{pass}")),
    ] {
        assert!(!needle.is_empty());
        assert!(!text.contains(&needle), "snapshot leaks a credential form");
    }
    assert!(text.contains("kind: PulltuiSnapshot"));
    assert!(text.contains(&format!("version: {}", pulltui::snapshot::format::VERSION)));

    // The console, live and replayed, shows the same rows and evidence:
    // compared, as above, pod by pod over the pods quiet during a capture.
    let failing = scenarios::ALL
        .iter()
        .filter(|s| matches!(s.expect, scenarios::Expect::Failing { .. }))
        .count();
    let pod_of = |row: &(String, String, String, String, String, String, String)| {
        row.0.rsplit('/').next().unwrap_or_default().to_string()
    };
    let mut covered = std::collections::BTreeSet::new();
    for attempt in 0..20 {
        let fp = fingerprint(admin, &ns.name).await;
        let live_before = live_view(&kc_path, &ns.name).await;
        let (code, _, err) = pulltui(
            kc,
            &[
                "snapshot",
                "-o",
                file_s,
                "--context",
                "admin",
                "-n",
                &ns.name,
            ],
        );
        assert_eq!(code, Some(0), "snapshot failed: {err}");
        let still = quiet(&fp, &fingerprint(admin, &ns.name).await);
        let replayed = replay_view(&file).await;
        assert_eq!(
            live_before.len(),
            failing,
            "one row per failing scenario: {live_before:#?}"
        );
        let categories: std::collections::BTreeSet<&str> =
            live_before.iter().map(|r| r.4.as_str()).collect();
        assert!(categories.len() >= 6, "many causes: {categories:?}");
        let keep = |v: &View| -> View {
            v.iter()
                .filter(|r| still.contains(&pod_of(r)))
                .cloned()
                .collect()
        };
        assert_eq!(
            replayed.iter().map(pod_of).collect::<Vec<_>>(),
            live_before.iter().map(pod_of).collect::<Vec<_>>(),
            "the same rows in the same order"
        );
        assert_eq!(
            keep(&replayed),
            keep(&live_before),
            "replay shows what the live console showed"
        );
        covered.extend(keep(&live_before).iter().map(pod_of));
        eprintln!(
            "attempt {attempt}: {} of {} rows replayed identically so far: {categories:?}",
            covered.len(),
            live_before.len()
        );
        if covered.len() == live_before.len() {
            break;
        }
    }
    assert_eq!(
        covered.len(),
        failing,
        "every row compared in a quiet window"
    );
    f.delete().await;
}
