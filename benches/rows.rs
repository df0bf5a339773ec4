//! Rows and rendering at scale: for 1k, 10k and 50k pods with 1%
//! failing — the initial list through the inventory into rows, the whole
//! app path from watcher messages to a settled model, one pod update in a
//! storm (apply + settle: incremental), and one home-screen frame with every
//! pod in the store. Plus re-sorting/filtering and drawing 1,000 rows.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use pulltui::app::keymap::Keymap;
use pulltui::app::{ClusterMsg, Model, Msg, Scope, update};
use pulltui::domain::facts::{PodFact, WatchEvent};
use pulltui::domain::inventory::Inventory;
use pulltui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const MESSAGES: [(&str, &str); 4] = [
    (
        "ErrImagePull",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"reg{n}.example/app:1\": failed to resolve reference \"reg{n}.example/app:1\": failed to do request: Head \"https://reg{n}.example/v2/app/manifests/1\": dial tcp 43.1.2.3:443: i/o timeout",
    ),
    (
        "ErrImagePull",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"reg{n}.example/app:1\": failed to resolve reference \"reg{n}.example/app:1\": pulling from host reg{n}.example failed with status code [manifests 1]: 401 Unauthorized",
    ),
    (
        "ErrImagePull",
        "rpc error: code = Unknown desc = failed to pull and unpack image \"reg{n}.example/app:1\": failed to resolve reference \"reg{n}.example/app:1\": failed to do request: Head \"https://reg{n}.example/v2/app/manifests/1\": x509: certificate signed by unknown authority",
    ),
    (
        "ImagePullBackOff",
        "Back-off pulling image \"reg{n}.example/app:1\"",
    ),
];

fn pod(i: usize) -> Pod {
    pod_every(i, 10)
}

/// Pod `i`; one pod in `every` fails.
fn pod_every(i: usize, every: usize) -> Pod {
    let failing = i.is_multiple_of(every);
    let n = i % 7;
    let image = format!("reg{n}.example/app:1");
    let state = if failing {
        let (reason, msg) = MESSAGES[(i / every) % MESSAGES.len()];
        json!({"waiting": {"reason": reason, "message": msg.replace("{n}", &n.to_string())}})
    } else {
        json!({"running": {"startedAt": "2024-05-01T10:00:00Z"}})
    };
    serde_json::from_value(json!({
        "metadata": {"name": format!("app{}-7d9c8b6f5-{i:05}", i % 50), "namespace": format!("ns{}", i % 40),
            "uid": format!("uid-{i}"), "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": {"pod-template-hash": "7d9c8b6f5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("app{}-7d9c8b6f5", i % 50), "uid": "rs", "controller": true}]},
        "spec": {"containers": [{"name": "app", "image": image}]},
        "status": {"startTime": "2024-05-01T10:00:00Z", "containerStatuses": [
            {"name": "app", "image": image, "imageID": "", "ready": !failing, "restartCount": 0, "state": state}]}
    }))
    .expect("pod")
}

fn initial_list(pods: &[Pod]) -> Inventory {
    let mut inv = Inventory::default();
    inv.apply_pod(WatchEvent::Init);
    for p in pods {
        inv.apply_pod(WatchEvent::InitApply(PodFact::from_pod(
            &cluster(),
            p.clone(),
        )));
    }
    inv.apply_pod(WatchEvent::InitDone);
    inv.refresh();
    inv
}

fn model(pods: &[Pod], size: (u16, u16)) -> Model {
    let now: Timestamp = "2024-05-01T10:10:00Z".parse().expect("ts");
    let mut m = Model::new(None, vec![], Scope::All, Keymap::default(), now);
    let _ = m.start();
    let g = m.cluster().session();
    let mut msgs = vec![
        Msg::Resize(size.0, size.1),
        Msg::Cluster(g.clone(), ClusterMsg::Pods(WatchEvent::Init)),
    ];
    msgs.extend(pods.iter().map(|p| {
        Msg::Cluster(
            g.clone(),
            ClusterMsg::Pods(WatchEvent::InitApply(PodFact::from_pod(
                &cluster(),
                p.clone(),
            ))),
        )
    }));
    msgs.push(Msg::Cluster(
        g.clone(),
        ClusterMsg::Pods(WatchEvent::InitDone),
    ));
    for msg in msgs {
        update(&mut m, msg);
    }
    m.settle();
    m
}

fn scale(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 50_000] {
        let pods: Vec<Pod> = (0..n).map(|i| pod_every(i, 100)).collect();
        g.bench_function(format!("initial_list_{n}_pods_1pct_failing"), |b| {
            b.iter(|| std::hint::black_box(initial_list(&pods).rows().count()))
        });
        g.bench_function(format!("watch_to_settled_model_{n}_pods"), |b| {
            b.iter(|| std::hint::black_box(model(&pods, (160, 45)).home.rows.len()))
        });
        let mut m = model(&pods, (160, 45));
        assert_eq!(m.home.rows.len(), n / 100);
        let g0 = m.cluster().session();
        // A storm step: one failing pod's status changes (ErrImagePull <->
        // ImagePullBackOff), the model settles, a frame is drawn.
        let flip: Vec<PodFact> = (0..2)
            .map(|k| {
                let mut p = pod_every(0, 100);
                if k == 1
                    && let Some(cs) = p
                        .status
                        .as_mut()
                        .and_then(|s| s.container_statuses.as_mut())
                    && let Some(w) = cs[0].state.as_mut().and_then(|s| s.waiting.as_mut())
                {
                    w.reason = Some("ImagePullBackOff".into());
                    w.message = Some("Back-off pulling image \"reg0.example/app:1\"".into());
                }
                PodFact::from_pod(&cluster(), p)
            })
            .collect();
        let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
        let theme = Theme::coloured();
        let mut k = 0;
        g.bench_function(format!("storm_update_settle_draw_{n}_pods"), |b| {
            b.iter(|| {
                k += 1;
                let fact = flip[k % 2].clone();
                update(
                    &mut m,
                    Msg::Cluster(g0.clone(), ClusterMsg::Pods(WatchEvent::Apply(fact))),
                );
                m.settle();
                term.draw(|f| ui::render(&m, &theme, f)).expect("draw");
            })
        });
        g.bench_function(format!("render_home_{n}_pods_160x45"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(&m, &theme, f)).expect("draw");
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let pods: Vec<Pod> = (0..10_000).map(pod).collect();
    let mut g = c.benchmark_group("rows");
    g.sample_size(20);
    g.bench_function("initial_list_10k_pods_1k_failing", |b| {
        b.iter(|| std::hint::black_box(initial_list(&pods).rows().count()))
    });
    let mut m = model(&pods, (160, 45));
    assert_eq!(m.home.rows.len(), 1000);
    g.bench_function("resort_and_filter_1k_rows", |b| {
        b.iter(|| {
            m.home.sort = m.home.sort.next(false);
            m.home.filter = if m.home.filter.is_empty() {
                "timeout".into()
            } else {
                String::new()
            };
            m.home.rebuild(40);
            std::hint::black_box(m.home.items.len())
        })
    });
    m.home.filter.clear();
    m.home.rebuild(40);
    let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let theme = Theme::coloured();
    g.bench_function("render_home_1k_rows_160x45", |b| {
        b.iter(|| {
            term.draw(|f| ui::render(&m, &theme, f)).expect("draw");
        })
    });
    g.finish();
}

criterion_group!(benches, bench, scale);
criterion_main!(benches);

fn cluster() -> pulltui::domain::cluster_id::ClusterId {
    pulltui::domain::cluster_id::ClusterId::new("test", "https://test")
}
