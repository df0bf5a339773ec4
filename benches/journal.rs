//! The journal (issue 24) under load: one look of the console's journal at
//! 1,000 failing containers (an event storm: nothing or a few causes
//! changing per look; the console looks once a second), and the journal a
//! 10-minute churn soak writes (the benchmark's soak: 5 pods a second, one
//! in ten failing until it goes 40 s later), its size printed.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use pulltui::domain::classify::Category;
use pulltui::domain::cluster_id::ClusterId;
use pulltui::domain::failing::{CauseSource, FailureRow, Workload};
use pulltui::journal::{Journal, Limits};

const CATEGORIES: [Category; 4] = [
    Category::NetworkTimeout,
    Category::AuthDenied,
    Category::TlsUntrusted,
    Category::ImageNotFound,
];

fn row(i: usize, category: Category) -> FailureRow {
    let n = i % 7;
    FailureRow {
        cluster: ClusterId::new("bench", "https://bench"),
        namespace: format!("ns{}", i % 40),
        pod: format!("app{}-7d9c8b6f5-{i:05}", i % 50),
        workload: Some(Workload::new("Deployment", format!("app{}", i % 50))),
        container: "app".into(),
        init: false,
        facet: Default::default(),
        volume: None,
        injected: None,
        image: format!("reg{n}.example/app:1"),
        registry: Some(format!("reg{n}.example")),
        reason: "ImagePullBackOff".into(),
        category,
        cause: "i/o timeout".into(),
        message: format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"reg{n}.example/app:1\": \
             failed to do request: Head \"https://reg{n}.example/v2/app/manifests/1\": dial tcp \
             43.1.2.3:443: i/o timeout"
        ),
        cause_source: CauseSource::Status,
        since: None,
        count: 3,
        node: None,
    }
}

fn start() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn storm(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = ClusterId::new("bench", "https://bench");
    let (mut j, _) = Journal::open(dir.path(), &id, Limits::default(), start()).expect("open");
    let rows: Vec<FailureRow> = (0..1000).map(|i| row(i, CATEGORIES[i % 4])).collect();
    let mut t = start();
    let _ = j.observe(rows.iter(), None, t);
    c.bench_function("journal look: 1,000 failing, none changed", |b| {
        b.iter(|| {
            t += SignedDuration::from_secs(1);
            j.observe(rows.iter(), None, t).expect("look")
        })
    });
    // The console's look: the inventory's rows, shared, none replaced.
    let shared: Vec<std::sync::Arc<FailureRow>> =
        rows.iter().cloned().map(std::sync::Arc::new).collect();
    let _ = j.look(&shared, None, t);
    c.bench_function(
        "journal look: 1,000 failing, the inventory's rows unchanged",
        |b| {
            b.iter(|| {
                t += SignedDuration::from_secs(1);
                j.look(&shared, None, t).expect("look")
            })
        },
    );
    // Ten causes change on every look (written), then change back.
    let mut flip = false;
    let other: Vec<FailureRow> = (0..1000)
        .map(|i| match i < 10 {
            true => row(i, CATEGORIES[(i + 1) % 4]),
            false => row(i, CATEGORIES[i % 4]),
        })
        .collect();
    c.bench_function("journal look: 1,000 failing, 10 causes changed", |b| {
        b.iter(|| {
            t += SignedDuration::from_secs(1);
            flip = !flip;
            let rows = if flip { &other } else { &rows };
            j.observe(rows.iter(), None, t).expect("look")
        })
    });
}

/// The benchmark's soak, looked at once a second: the journal's bytes.
fn soak_bytes() -> u64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = ClusterId::new("soak", "https://soak");
    let (mut j, _) = Journal::open(dir.path(), &id, Limits::default(), start()).expect("open");
    // 500 failing containers of the 50k-pod cluster stay all along.
    let steady: Vec<FailureRow> = (0..500).map(|i| row(i, CATEGORIES[i % 4])).collect();
    let mut churned: std::collections::VecDeque<(usize, i64)> = Default::default();
    let mut n = 0usize;
    for s in 0..600i64 {
        for _ in 0..5 {
            if n.is_multiple_of(10) {
                churned.push_back((10_000 + n, s));
            }
            n += 1;
        }
        while churned.front().is_some_and(|(_, born)| s - born >= 40) {
            churned.pop_front();
        }
        let extra: Vec<FailureRow> = churned
            .iter()
            .map(|(i, _)| row(*i, CATEGORIES[i % 4]))
            .collect();
        let now = start() + SignedDuration::from_secs(s);
        j.observe(steady.iter().chain(extra.iter()), None, now)
            .expect("look");
    }
    std::fs::metadata(j.path()).map(|m| m.len()).unwrap_or(0)
}

fn soak(c: &mut Criterion) {
    let bytes = soak_bytes();
    eprintln!(
        "journal of a 10-minute churn soak (50k pods, 500 failing, 5 pods/s churned, 1 in 10 failing): {:.2} MB",
        bytes as f64 / 1e6
    );
    let mut g = c.benchmark_group("journal soak");
    g.sample_size(10);
    g.bench_function("10 min of churn, looked at every second", |b| {
        b.iter(soak_bytes)
    });
    g.finish();
}

criterion_group!(benches, storm, soak);
criterion_main!(benches);
