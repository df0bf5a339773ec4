//! Classifier throughput over the corpus (messages/second).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pulltui::domain::classify::classify;

fn corpus() -> Vec<(String, String)> {
    [
        include_str!("../tests/fixtures/corpus_train.jsonl"),
        include_str!("../tests/fixtures/corpus_heldout.jsonl"),
        include_str!("../tests/fixtures/corpus_fresh.jsonl"),
    ]
    .iter()
    .flat_map(|t| t.lines())
    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    .filter_map(|v| {
        Some((
            v.get("message")?.as_str()?.to_string(),
            v.get("reason")?.as_str()?.to_string(),
        ))
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    let msgs = corpus();
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("corpus", |b| {
        b.iter(|| {
            for (m, r) in &msgs {
                std::hint::black_box(classify(m, Some(r)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
