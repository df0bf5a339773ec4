use super::*;
use crate::domain::classify::Category;
use crate::domain::failing::FailureRow;

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).expect("time")
}

fn row(pod: &str, category: Category, message: &str) -> FailureRow {
    FailureRow {
        pod: pod.into(),
        category,
        message: message.into(),
        since: Some(at(-60)),
        ..FailureRow::sample()
    }
}

/// Each record's kind, in order (the journal's tests read them).
pub(crate) fn kinds(records: &[Record]) -> Vec<&'static str> {
    records
        .iter()
        .map(|r| match r {
            Record::Watching { .. } => "watching",
            Record::Counts { .. } => "counts",
            Record::Failing { .. } => "failing",
            Record::Cause { .. } => "cause",
            Record::Recovered { .. } => "recovered",
            _ => "history",
        })
        .collect()
}

#[test]
fn a_pod_fails_changes_cause_and_recovers_once_each() {
    let mut r = Recorder::default();
    let a = row("web-1", Category::AuthNoCredentials, "pull access denied");
    let out = r.observe([&a], None, at(0));
    assert_eq!(kinds(&out), ["failing", "counts"]);
    // The same look again: nothing.
    assert!(r.observe([&a], None, at(1)).is_empty());
    let b = row("web-1", Category::AuthDenied, "401 Unauthorized");
    let out = r.observe([&b], None, at(2));
    assert_eq!(kinds(&out), ["cause"], "counts wait {COUNTS_EVERY_SECS} s");
    match &out[0] {
        Record::Cause { from, to, .. } => {
            assert_eq!(from.cause, "auth.no-credentials");
            assert_eq!(to.cause, "auth.denied");
        }
        other => panic!("{other:?}"),
    }
    // Counts come when due, with what is in force then.
    let out = r.observe([&b], None, at(40));
    assert_eq!(kinds(&out), ["counts"]);
    let out = r.observe(std::iter::empty(), None, at(80));
    assert_eq!(kinds(&out), ["recovered", "counts"]);
    assert_eq!(r.failing(), 0);
}

#[test]
fn a_recorder_resumed_from_its_records_does_not_say_a_pod_failed_anew() {
    let mut first = Recorder::default();
    let a = row("web-1", Category::AuthNoCredentials, "denied");
    let b = row("web-2", Category::AuthNoCredentials, "denied");
    let mut written = first.observe([&a, &b], None, at(0));
    // The line round trip, as the file does it.
    let lines: Vec<String> = written.iter().map(Record::line).collect();
    written = lines.iter().filter_map(|l| Record::parse(l)).collect();
    assert_eq!(written.len(), 3);
    let mut again = Recorder::resume(&written);
    assert_eq!(again.failing(), 2);
    // web-2 recovered while nobody watched; web-1 still fails.
    let out = again.observe([&a], None, at(100));
    assert_eq!(kinds(&out), ["recovered", "counts"]);
}

#[test]
fn a_look_at_one_namespace_says_nothing_of_the_others() {
    let mut r = Recorder::default();
    let a = row("web-1", Category::AuthNoCredentials, "denied");
    r.observe([&a], None, at(0));
    let out = r.observe(std::iter::empty::<&FailureRow>(), Some("other"), at(50));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(r.failing(), 1);
}

#[test]
fn evidence_is_inert_and_cut() {
    let mut r = Recorder::default();
    let long = format!("\u{1b}]0;pwned\u{7} {}", "x".repeat(1000));
    let a = row("web-1", Category::AuthDenied, &long);
    let out = r.observe([&a], None, at(0));
    match &out[0] {
        Record::Failing { evidence, .. } => {
            assert!(!evidence.contains('\u{1b}'), "{evidence}");
            assert!(
                evidence.chars().count() <= EVIDENCE_MAX + 1,
                "{}",
                evidence.len()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lanes_tell_first_last_peak_and_the_series() {
    let mut r = Recorder::default();
    let a = row("web-1", Category::AuthNoCredentials, "denied");
    let b = row("web-2", Category::AuthNoCredentials, "denied");
    let mut all = r.observe([&a], None, at(0));
    all.extend(r.observe([&a, &b], None, at(40)));
    all.extend(r.observe(std::iter::empty::<&FailureRow>(), None, at(90)));
    let lanes = lanes(&all);
    assert_eq!(lanes.len(), 1);
    let l = &lanes[0];
    assert_eq!(l.first, at(-60), "the pod's own start");
    assert_eq!(l.last, at(90));
    assert_eq!((l.peak, l.now, l.subjects), (2, 0, 2));
    assert_eq!(
        l.series.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1, 2, 0]
    );
    let spark = sparkline(&l.series, at(0), at(100), 10);
    assert_eq!(spark.chars().count(), 10);
    assert!(spark.contains('█') && spark.ends_with(' '), "{spark:?}");
}

#[test]
fn a_torn_line_is_skipped() {
    assert!(Record::parse("{\"kind\":\"failing\",\"at\":").is_none());
    assert!(Record::parse("not json").is_none());
}
