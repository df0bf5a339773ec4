//! The timeline of a week-long journal of a 50k-pod cluster: 500 failing
//! containers across 15 registry × cause groups churning (each fails and
//! recovers every 6 hours), counts every 30 s for a week (20,160 counts
//! records; ~48k records in all, under the console's `JOURNAL_KEPT`).
//! Measured: opening the timeline — `t`, which computes the lanes and
//! markers from nothing, then the first frame into a 200×50 `TestBackend`
//! (target: < 100 ms) — and one more frame of the open screen.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use pulltui::app::keymap::Keymap;
use pulltui::app::{ClusterMsg, Model, Msg, Scope, Screen, update};
use pulltui::domain::journal::{Group, Record, Subject};
use pulltui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONTAINERS: usize = 500;
const GROUPS: usize = 15;
const WEEK: i64 = 7 * 24 * 3600;
const CHURN: i64 = 6 * 3600;

fn group(g: usize) -> Group {
    const CAUSES: [&str; 5] = [
        "auth.no-credentials",
        "network.timeout",
        "tls.untrusted",
        "image.not-found",
        "registry.rate-limit",
    ];
    Group {
        registry: format!("reg{}.example", g / CAUSES.len()),
        cause: CAUSES[g % CAUSES.len()].to_string(),
    }
}

fn journal(now: Timestamp) -> Vec<Record> {
    let start = now - SignedDuration::from_secs(WEEK);
    let mut timed: Vec<(Timestamp, Record)> = Vec::new();
    for c in 0..CONTAINERS {
        let g = group(c % GROUPS);
        let subject = Subject {
            namespace: format!("ns{}", c % 40),
            pod: format!("app{}-7d9c8b6f5-{c:05}", c % 50),
            container: "app".into(),
        };
        // Each container's churn starts at its own offset.
        let mut t = (c as i64 * 97) % CHURN;
        while t + 2 * 3600 < WEEK {
            let at = start + SignedDuration::from_secs(t);
            timed.push((
                at,
                Record::Failing {
                    at,
                    since: None,
                    subject: subject.clone(),
                    workload: Some(format!("Deployment/app{}", c % 50)),
                    group: g.clone(),
                    image: format!("{}/app:1", g.registry),
                    evidence: format!(
                        "rpc error: code = Unknown desc = failed to pull and unpack image \"{}/app:1\": {}",
                        g.registry, g.cause
                    ),
                    node: None,
                },
            ));
            let back = start + SignedDuration::from_secs(t + 2 * 3600);
            timed.push((
                back,
                Record::Recovered {
                    at: back,
                    subject: subject.clone(),
                    group: g.clone(),
                },
            ));
            t += CHURN;
        }
    }
    let mut step = 0;
    while step * 30 < WEEK {
        let at = start + SignedDuration::from_secs(step * 30);
        let groups = (0..GROUPS)
            .map(|g| (group(g), ((step as usize + g * 37) % 40) as u32))
            .filter(|(_, n)| *n > 0)
            .collect();
        timed.push((at, Record::Counts { at, groups }));
        step += 1;
    }
    timed.sort_by_key(|(t, _)| *t);
    timed.into_iter().map(|(_, r)| r).collect()
}

fn model() -> Model {
    let now: Timestamp = "2024-05-08T10:00:00Z".parse().expect("ts");
    let mut m = Model::new(None, vec![], Scope::All, Keymap::default(), now);
    let _ = m.start();
    let g = m.cluster().session();
    let records = journal(now);
    assert!(
        records.len() <= pulltui::app::cluster::JOURNAL_KEPT,
        "{}",
        records.len()
    );
    update(&mut m, Msg::Resize(200, 50));
    update(
        &mut m,
        Msg::Cluster(
            g.clone(),
            ClusterMsg::Journal {
                records,
                fixes: Vec::new(),
            },
        ),
    );
    // As the console holds it before `t`: the journal in, nothing derived.
    m.lanes = Default::default();
    m
}

fn open_timeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("timeline");
    g.sample_size(10);
    let base = model();
    eprintln!(
        "journal: {} records, {} pods' worth of lanes",
        base.cluster().journal.len(),
        CONTAINERS
    );
    let theme = Theme::coloured();
    let t = KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE);
    g.bench_function("open_week_journal_500_containers_200x50", |b| {
        b.iter_batched(
            || {
                let term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
                (base.clone(), term)
            },
            |(mut m, mut term)| {
                update(&mut m, Msg::Key(t));
                m.settle();
                assert_eq!(m.screen(), Screen::Timeline);
                term.draw(|f| ui::render(&m, &theme, f)).expect("draw");
                (m, term)
            },
            BatchSize::LargeInput,
        )
    });
    let mut m = base.clone();
    update(&mut m, Msg::Key(t));
    m.settle();
    assert!(m.timeline.as_ref().is_some_and(|t| t.lanes.len() == GROUPS));
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    g.bench_function("frame_week_journal_200x50", |b| {
        b.iter(|| {
            term.draw(|f| ui::render(&m, &theme, f)).expect("draw");
        })
    });
    g.finish();
}

criterion_group!(benches, open_timeline);
criterion_main!(benches);
