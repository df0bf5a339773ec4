//! Table-driven: every entry of the pull-error corpus gets its category.
//! The corpus is copied from `shared/corpus/train.jsonl` so a clone tests alone.

use pulltui::domain::classify::{Category, classify};

#[derive(serde::Deserialize)]
struct Entry {
    id: String,
    message: String,
    reason: String,
    category: String,
}

fn corpus() -> Vec<Entry> {
    let text = include_str!("fixtures/corpus_train.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
        .collect()
}

#[test]
fn every_corpus_entry_gets_its_category() {
    let entries = corpus();
    assert!(entries.len() >= 50, "corpus has {} entries", entries.len());
    let mut wrong = Vec::new();
    for e in &entries {
        let want = Category::from_id(&e.category)
            .unwrap_or_else(|| panic!("{}: unknown category id {}", e.id, e.category));
        let got = classify(&e.message, Some(&e.reason));
        if got.category != want {
            wrong.push(format!(
                "{}: want {} got {} (cause {:?})",
                e.id, want, got.category, got.cause
            ));
        }
    }
    assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
}

#[test]
fn every_corpus_cause_is_a_substring_at_its_span() {
    for e in corpus() {
        let got = classify(&e.message, Some(&e.reason));
        if let Some(span) = got.cause_span.clone() {
            assert_eq!(&e.message[span], got.cause, "{}", e.id);
        }
        if got.category != Category::Unknown {
            assert!(!got.cause.is_empty(), "{}: empty cause", e.id);
            assert!(!got.fixes.is_empty(), "{}: no fixes", e.id);
        }
    }
}

/// The training split predates node.pull-throttle and stays as it was copied;
/// together with the held-out split every category has real examples.
#[test]
fn the_corpora_together_cover_every_category() {
    let mut entries = corpus();
    entries.extend(
        include_str!("fixtures/corpus_heldout.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Entry>(l).expect("corpus line is JSON")),
    );
    // The categories policy.signature, network.stalled and auth.upstream:
    // real messages, each with its source, collected while the rules were
    // written — examples, not an unseen measure.
    entries.extend(
        include_str!("fixtures/corpus_issue21.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Entry>(l).expect("corpus line is JSON")),
    );
    for cat in Category::ALL {
        assert!(
            entries.iter().any(|e| e.category == cat.id()),
            "corpus has no example of {cat}"
        );
    }
}

/// `tests/fixtures/corpus_train.jsonl` is a copy of the shared training
/// corpus; it must not drift from it.
#[test]
fn training_fixture_is_the_shared_corpus() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/train.jsonl");
    // Only checkable where the shared corpus sits next to the checkout.
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(text, include_str!("fixtures/corpus_train.jsonl"));
    }
}

/// Each example of policy.signature, network.stalled and auth.upstream
/// (`corpus_issue21.jsonl`) is read as labelled.
#[test]
fn the_issue_21_examples_are_read_as_labelled() {
    for l in include_str!("fixtures/corpus_issue21.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let e: Entry = serde_json::from_str(l).expect("corpus line is JSON");
        let reason = (!e.reason.is_empty()).then_some(e.reason.as_str());
        let got = pulltui::domain::classify::classify(&e.message, reason);
        assert_eq!(got.category.id(), e.category, "{}: {}", e.id, e.message);
    }
}
