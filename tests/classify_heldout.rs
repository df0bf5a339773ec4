//! Held-out accuracy: real messages the rules were not written from.
//!
//! `tests/fixtures/corpus_heldout.jsonl` holds real pull-error messages copied
//! verbatim from public issue threads and vendor pages (each record names its
//! source). They were labelled by hand from the taxonomy before the classifier
//! was run on them, and the rules are not allowed to quote them: a rule keys on
//! the error vocabulary (Go's `net`, `crypto/x509`, `net/http`, registry error
//! codes, runtime wrappers), never on a corpus string.
//!
//! Print the figure with:
//!
//! ```text
//! cargo test --test classify_heldout -- --nocapture --test-threads 1
//! ```

use std::collections::BTreeMap;

use pulltui::domain::classify::{Category, classify};

#[derive(serde::Deserialize)]
struct Entry {
    id: String,
    message: String,
    reason: String,
    category: String,
    source: String,
    /// The message alone cannot decide (fresh7 on): the label must be the
    /// answer or one of its alternatives.
    #[serde(default)]
    ambiguous: bool,
}

fn corpus(text: &str) -> Vec<Entry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
        .collect()
}

fn heldout() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_heldout.jsonl"))
}

/// Messages collected after the rules were last changed (8f24c0e) and
/// labelled before the classifier saw them: the honest held-out figure.
fn fresh() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh.jsonl"))
}

/// A second slice collected after the first fresh one was tuned on (42b119c),
/// labelled and committed (1c3ba12) before the classifier ran on it.
fn fresh2() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh2.jsonl"))
}

/// A third slice (112 messages) collected after fresh2 was tuned on,
/// labelled and committed (1a6b136) before the classifier ran on it.
fn fresh3() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh3.jsonl"))
}

/// A fourth slice (110 messages, 109 sources) collected after fresh3 was
/// tuned on, labelled and committed (9ebc3d4) before the classifier ran on it.
fn fresh4() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh4.jsonl"))
}

/// A fifth slice (111 messages, 108 sources) collected after fresh4 was
/// tuned on, labelled and committed (ec032b2) before the classifier ran on it.
fn fresh5() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh5.jsonl"))
}

/// A sixth slice (139 messages, 133 sources, 84 from pods' events) collected
/// after fresh5 was tuned on, labelled and committed (756d768) before the
/// classifier ran on it.
fn fresh6() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh6.jsonl"))
}

/// A seventh slice (111 messages, 98 sources, 41 marked ambiguous; 16
/// kubelet 1.32+ back-off messages, containerd 2.x, CRI-O 1.30+ and Podman
/// 5 wording), labelled and committed (5e2a71a) before the classifier ran
/// on it.
fn fresh7() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh7.jsonl"))
}

/// An eighth slice (116 messages, 115 sources, 35 marked ambiguous)
/// collected after fresh7 was tuned on, labelled and committed (af44a2f)
/// before the classifier ran on it.
fn fresh8() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh8.jsonl"))
}

/// A ninth slice (51 messages, 51 sources, 17 marked ambiguous), collected
/// after fresh8 was tuned on, labelled and committed (2c7b7b3) before the
/// classifier ran on it.
fn fresh9() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh9.jsonl"))
}

fn fresh10() -> Vec<Entry> {
    corpus(include_str!("fixtures/corpus_fresh10.jsonl"))
}

/// The minimum share of ambiguous entries whose label is the answer or one
/// of its alternatives, in percent.
const AMBIGUOUS_FLOOR: f64 = 95.0;

/// The minimum held-out accuracy, in percent.
const FLOOR: f64 = 98.0;

#[test]
fn heldout_accuracy_is_at_least_98_percent() {
    let entries = heldout();
    assert!(
        entries.len() >= 300,
        "held-out corpus has {}",
        entries.len()
    );
    measure("held-out (rules tuned on its misses)", &entries);
}

#[test]
fn fresh_accuracy_is_at_least_98_percent() {
    let entries = fresh();
    assert!(entries.len() >= 30, "fresh corpus has {}", entries.len());
    measure("fresh (never seen when the rules were written)", &entries);
}

#[test]
fn fresh2_accuracy_is_at_least_98_percent() {
    let entries = fresh2();
    assert!(entries.len() >= 80, "fresh2 corpus has {}", entries.len());
    measure("fresh2 (second unseen slice)", &entries);
}

#[test]
fn fresh3_accuracy_is_at_least_98_percent() {
    let entries = fresh3();
    assert!(entries.len() >= 100, "fresh3 corpus has {}", entries.len());
    measure("fresh3 (third unseen slice)", &entries);
}

#[test]
fn fresh4_accuracy_is_at_least_98_percent() {
    let entries = fresh4();
    assert!(entries.len() >= 100, "fresh4 corpus has {}", entries.len());
    measure("fresh4 (fourth unseen slice)", &entries);
}

#[test]
fn fresh5_accuracy_is_at_least_98_percent() {
    let entries = fresh5();
    assert!(entries.len() >= 100, "fresh5 corpus has {}", entries.len());
    measure("fresh5 (fifth unseen slice)", &entries);
}

#[test]
fn fresh6_accuracy_is_at_least_98_percent() {
    let entries = fresh6();
    assert!(entries.len() >= 100, "fresh6 corpus has {}", entries.len());
    measure("fresh6 (sixth unseen slice)", &entries);
}

/// fresh7 on marks the entries whose message alone cannot decide: the
/// strict figure is over the others (the ambiguous ones are measured by
/// whether the label is the answer or an alternative). The strict figure
/// over all entries is printed too.
fn measure_decidable(name: &str, all: Vec<Entry>) {
    assert!(all.len() >= 50, "{name} has {}", all.len());
    let all_right = all
        .iter()
        .filter(|e| {
            Category::from_id(&e.category) == Some(classify(&e.message, Some(&e.reason)).category)
        })
        .count();
    println!(
        "{name} strict over every entry (ambiguous ones included): {all_right}/{} = {:.1}%",
        all.len(),
        100.0 * all_right as f64 / all.len() as f64
    );
    let decidable: Vec<Entry> = all.into_iter().filter(|e| !e.ambiguous).collect();
    assert!(
        decidable.len() >= 30,
        "{} decidable entries",
        decidable.len()
    );
    measure(&format!("{name} (decidable entries)"), &decidable);
}

/// Honest about doubt: where the message alone cannot decide, the label a
/// person gave is the answer or one of the alternatives it names.
fn measure_ambiguous(name: &str, all: Vec<Entry>) {
    let entries: Vec<Entry> = all.into_iter().filter(|e| e.ambiguous).collect();
    assert!(entries.len() >= 15, "{} ambiguous entries", entries.len());
    let mut missed = Vec::new();
    let mut weak = 0;
    for e in &entries {
        let want = Category::from_id(&e.category);
        let got = classify(&e.message, Some(&e.reason));
        if got.confidence != pulltui::domain::classify::Confidence::Strong {
            weak += 1;
        }
        let named =
            want == Some(got.category) || want.is_some_and(|w| got.alternatives.contains(&w));
        if !named {
            missed.push(format!(
                "{} want {} got {} alternatives {:?} {}",
                e.id,
                e.category,
                got.category,
                got.alternatives.iter().map(|c| c.id()).collect::<Vec<_>>(),
                e.source
            ));
        }
    }
    let n = entries.len();
    let ok = n - missed.len();
    let pct = 100.0 * ok as f64 / n as f64;
    println!(
        "{name} ambiguous: label is the answer or an alternative in {ok}/{n} = {pct:.1}%; not strong in {weak}/{n}"
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    assert!(
        pct >= AMBIGUOUS_FLOOR,
        "{pct:.1}% < {AMBIGUOUS_FLOOR}%:\n{}",
        missed.join("\n")
    );
}

#[test]
fn fresh7_accuracy_is_at_least_98_percent() {
    measure_decidable("fresh7 (seventh unseen slice, issue 21)", fresh7());
}

#[test]
fn fresh7_ambiguous_labels_are_the_answer_or_an_alternative() {
    measure_ambiguous("fresh7", fresh7());
}

#[test]
fn fresh8_accuracy_is_at_least_98_percent() {
    measure_decidable("fresh8 (eighth unseen slice, issue 21)", fresh8());
}

#[test]
fn fresh8_ambiguous_labels_are_the_answer_or_an_alternative() {
    measure_ambiguous("fresh8", fresh8());
}

#[test]
fn fresh9_accuracy_is_at_least_98_percent() {
    measure_decidable("fresh9 (ninth unseen slice, issue 21)", fresh9());
}

#[test]
fn fresh9_ambiguous_labels_are_the_answer_or_an_alternative() {
    measure_ambiguous("fresh9", fresh9());
}

#[test]
fn fresh10_accuracy_is_at_least_98_percent() {
    measure_decidable("fresh10 (tenth unseen slice, issue 21)", fresh10());
}

#[test]
fn fresh10_ambiguous_labels_are_the_answer_or_an_alternative() {
    measure_ambiguous("fresh10", fresh10());
}

fn measure(name: &str, entries: &[Entry]) {
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for e in entries {
        let want = Category::from_id(&e.category);
        let got = classify(&e.message, Some(&e.reason));
        let ok = want == Some(got.category);
        let slot = per.entry(e.category.clone()).or_default();
        slot.0 += 1;
        if ok {
            slot.1 += 1;
        } else {
            wrong.push(format!(
                "{} want {} got {} (cause {:?}) {}",
                e.id, e.category, got.category, got.cause, e.source
            ));
        }
    }
    let right = entries.len() - wrong.len();
    let pct = 100.0 * right as f64 / entries.len() as f64;
    println!("{name} accuracy: {right}/{} = {pct:.1}%", entries.len());
    for (cat, (n, ok)) in &per {
        println!("  {cat:28} {ok:3}/{n:<3}");
    }
    for w in &wrong {
        println!("  wrong: {w}");
    }
    assert!(
        pct >= FLOOR,
        "held-out accuracy {pct:.1}% is below {FLOOR}%:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_heldout_label_is_a_taxonomy_id() {
    for e in heldout()
        .into_iter()
        .chain(fresh())
        .chain(fresh2())
        .chain(fresh3())
        .chain(fresh7())
        .chain(fresh8())
        .chain(fresh9())
        .chain(fresh10())
    {
        assert!(
            Category::from_id(&e.category).is_some(),
            "{}: {} is not a category id",
            e.id,
            e.category
        );
    }
}

#[test]
fn every_heldout_entry_names_its_source() {
    for e in heldout()
        .into_iter()
        .chain(fresh())
        .chain(fresh2())
        .chain(fresh3())
    {
        assert!(
            e.source.starts_with("https://"),
            "{}: source {:?} is not a URL",
            e.id,
            e.source
        );
    }
}

#[test]
fn heldout_covers_every_category_five_times() {
    let entries = heldout();
    // The held-out slice predates these categories: they are not measured
    // on it.
    let later = [
        Category::PolicySignature,
        Category::NetworkStalled,
        Category::AuthUpstream,
    ];
    for cat in Category::ALL.into_iter().filter(|c| !later.contains(c)) {
        let n = entries.iter().filter(|e| e.category == cat.id()).count();
        assert!(n >= 4, "held-out corpus has {n} examples of {cat}");
    }
}

#[test]
fn heldout_does_not_repeat_the_training_corpus() {
    let train = corpus(include_str!("fixtures/corpus_train.jsonl"));
    let tuned = heldout();
    for e in heldout()
        .into_iter()
        .chain(fresh())
        .chain(fresh2())
        .chain(fresh3())
    {
        assert!(
            !train.iter().any(|t| t.message == e.message),
            "{} is also in the training corpus",
            e.id
        );
    }
    for e in fresh() {
        assert!(
            !tuned.iter().any(|t| t.message == e.message),
            "{} is also in the held-out corpus",
            e.id
        );
    }
    let earlier: Vec<Entry> = heldout().into_iter().chain(fresh()).collect();
    for e in fresh2().into_iter().chain(fresh3()) {
        assert!(
            !earlier.iter().any(|t| t.message == e.message),
            "{} is also in an earlier corpus",
            e.id
        );
    }
}
