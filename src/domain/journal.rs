//! The journal (issue 24), pure: what pulltui records of one cluster while
//! it watches — failing pods per registry × cause over time, each failing
//! container's first and last failure with its cause and evidence, the
//! changes of cause, the recoveries — as records, one JSON line each
//! (`crate::journal` keeps the file). [`Recorder`] turns successive looks at
//! the failing rows into records; fed the records already written (after a
//! restart), it goes on where the last run stopped instead of saying every
//! pod failed anew.
//!
//! Evidence is the kubelet's message, made inert and cut (never a secret:
//! the rows carry none); the pod, container, registry and cause ids are the
//! row's.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::failing::FailureRow;

/// The longest evidence kept, in characters.
pub const EVIDENCE_MAX: usize = 300;

/// Counts are written when they change, at most this often.
pub const COUNTS_EVERY_SECS: i64 = 30;

/// A registry × cause group (`registry` as the table shows it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Group {
    pub registry: String,
    pub cause: String,
}

impl Group {
    pub fn of(r: &FailureRow) -> Group {
        Group {
            registry: r.registry_label().to_string(),
            cause: r.category.id().to_string(),
        }
    }

    /// `cause registry`, as the group bar says it.
    pub fn label(&self) -> String {
        format!("{} {}", self.cause, self.registry)
    }
}

/// One failing container (`ns/pod`, container).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub namespace: String,
    pub pod: String,
    /// Empty for the pod's sandbox.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
}

impl Subject {
    fn of(r: &FailureRow) -> Subject {
        Subject {
            namespace: r.namespace.clone(),
            pod: r.pod.clone(),
            container: r.container.clone(),
        }
    }

    /// `ns/pod` or `ns/pod (container)`.
    pub fn label(&self) -> String {
        match self.container.is_empty() {
            true => format!("{}/{}", self.namespace, self.pod),
            false => format!("{}/{} ({})", self.namespace, self.pod, self.container),
        }
    }
}

/// One line of a cluster's journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// pulltui started watching the cluster (a gap before it is a gap).
    Watching {
        at: Timestamp,
        context: String,
        server: String,
    },
    /// Failing containers per group (every group with at least one).
    Counts {
        at: Timestamp,
        groups: Vec<(Group, u32)>,
    },
    /// A container seen failing for the first time.
    Failing {
        at: Timestamp,
        /// When its failure began, as well as the pod tells.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Timestamp>,
        #[serde(flatten)]
        subject: Subject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workload: Option<String>,
        group: Group,
        image: String,
        evidence: String,
        /// The node it failed on (a record of an older pulltui has none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
    },
    /// Its cause changed.
    Cause {
        at: Timestamp,
        #[serde(flatten)]
        subject: Subject,
        from: Group,
        to: Group,
        evidence: String,
    },
    /// It no longer fails (pulled, or the pod went).
    Recovered {
        at: Timestamp,
        #[serde(flatten)]
        subject: Subject,
        group: Group,
    },
    /// A node's kubelet version: first seen (`from` none), or changed
    /// (`domain::history`).
    Kubelet {
        at: Timestamp,
        node: String,
        version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// When the journal last saw the version before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Timestamp>,
    },
    /// Images gone from a node's `status.images` since `since`.
    ImagesGone {
        at: Timestamp,
        since: Timestamp,
        node: String,
        images: Vec<String>,
        /// Images gone beyond those named.
        #[serde(default, skip_serializing_if = "is_zero")]
        more: usize,
        /// The kubelet's list was full (an image may have dropped off it).
        #[serde(default)]
        capped: bool,
    },
    /// A pull secret deleted.
    SecretDeleted {
        at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Timestamp>,
        namespace: String,
        name: String,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Record {
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Watching { at, .. }
            | Record::Counts { at, .. }
            | Record::Failing { at, .. }
            | Record::Cause { at, .. }
            | Record::Recovered { at, .. }
            | Record::Kubelet { at, .. }
            | Record::ImagesGone { at, .. }
            | Record::SecretDeleted { at, .. } => *at,
        }
    }

    /// Whether it tells a change of state (`pulltui watch` prints those):
    /// not the counts, not a node's first kubelet version.
    pub fn is_change_of_state(&self) -> bool {
        !matches!(
            self,
            Record::Counts { .. } | Record::Kubelet { from: None, .. }
        )
    }

    /// The record as one JSON line (its strings are inert already).
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A line of the file; `None` for a torn or foreign line.
    pub fn parse(line: &str) -> Option<Record> {
        serde_json::from_str(line).ok()
    }
}

/// What the recorder knows of a container it has seen failing.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    group: Group,
}

/// Turns looks at one cluster's failing rows into records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorder {
    failing: HashMap<Subject, Seen>,
    counts: BTreeMap<Group, u32>,
    counts_at: Option<Timestamp>,
    /// Counts changed since they were last written.
    counts_due: bool,
}

impl Recorder {
    /// A recorder that goes on from `records` (a journal read back).
    pub fn resume<'a>(records: impl IntoIterator<Item = &'a Record>) -> Recorder {
        let mut r = Recorder::default();
        for rec in records {
            match rec {
                Record::Failing { subject, group, .. } => {
                    r.failing.insert(
                        subject.clone(),
                        Seen {
                            group: group.clone(),
                        },
                    );
                }
                Record::Cause { subject, to, .. } => {
                    r.failing
                        .insert(subject.clone(), Seen { group: to.clone() });
                }
                Record::Recovered { subject, .. } => {
                    r.failing.remove(subject);
                }
                Record::Counts { at, groups } => {
                    r.counts = groups.iter().cloned().collect();
                    r.counts_at = Some(*at);
                }
                Record::Watching { .. }
                | Record::Kubelet { .. }
                | Record::ImagesGone { .. }
                | Record::SecretDeleted { .. } => {}
            }
        }
        r
    }

    /// The containers it holds as failing.
    pub fn failing(&self) -> usize {
        self.failing.len()
    }

    /// Counts changed and are not written yet (they wait for their spacing).
    pub fn counts_due(&self) -> bool {
        self.counts_due
    }

    /// One look at the cluster's failing rows (complete within `within`,
    /// a namespace or all: a container there not among them no longer
    /// fails): the records of what changed.
    pub fn observe<'a>(
        &mut self,
        rows: impl IntoIterator<Item = &'a FailureRow>,
        within: Option<&str>,
        now: Timestamp,
    ) -> Vec<Record> {
        let mut out = Vec::new();
        let mut present: HashMap<Subject, &FailureRow> = HashMap::new();
        for r in rows {
            present.insert(Subject::of(r), r);
        }
        for (subject, row) in &present {
            let group = Group::of(row);
            match self.failing.get_mut(subject) {
                None => {
                    out.push(Record::Failing {
                        at: now,
                        since: row.since,
                        subject: subject.clone(),
                        workload: row
                            .workload
                            .as_ref()
                            .map(|w| format!("{}/{}", w.kind, w.name)),
                        group: group.clone(),
                        image: super::inert::inert_cut(&row.image, EVIDENCE_MAX).into_owned(),
                        evidence: evidence(row),
                        node: row.node.clone(),
                    });
                    self.failing.insert(subject.clone(), Seen { group });
                }
                Some(seen) if seen.group != group => {
                    out.push(Record::Cause {
                        at: now,
                        subject: subject.clone(),
                        from: seen.group.clone(),
                        to: group.clone(),
                        evidence: evidence(row),
                    });
                    seen.group = group;
                }
                Some(_) => {}
            }
        }
        let mut gone: Vec<Subject> = self
            .failing
            .keys()
            .filter(|s| !present.contains_key(*s))
            .filter(|s| within.is_none_or(|ns| s.namespace == ns))
            .cloned()
            .collect();
        gone.sort();
        for subject in gone {
            if let Some(seen) = self.failing.remove(&subject) {
                out.push(Record::Recovered {
                    at: now,
                    subject,
                    group: seen.group,
                });
            }
        }
        // Pod records in a stable order (the map's is not).
        out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let mut counts: BTreeMap<Group, u32> = BTreeMap::new();
        for seen in self.failing.values() {
            *counts.entry(seen.group.clone()).or_default() += 1;
        }
        if counts != self.counts {
            self.counts = counts;
            self.counts_due = true;
        }
        let spaced = self
            .counts_at
            .is_none_or(|t| now.duration_since(t).as_secs() >= COUNTS_EVERY_SECS);
        if self.counts_due && spaced {
            self.counts_due = false;
            self.counts_at = Some(now);
            out.push(Record::Counts {
                at: now,
                groups: self.counts.iter().map(|(g, n)| (g.clone(), *n)).collect(),
            });
        }
        out
    }
}

fn sort_key(r: &Record) -> (u8, Option<&Subject>) {
    match r {
        Record::Failing { subject, .. } => (0, Some(subject)),
        Record::Cause { subject, .. } => (1, Some(subject)),
        Record::Recovered { subject, .. } => (2, Some(subject)),
        _ => (3, None),
    }
}

/// The row's evidence: its message (or cause), inert and cut.
fn evidence(r: &FailureRow) -> String {
    let text = match r.message.is_empty() {
        true => &r.cause,
        false => &r.message,
    };
    super::inert::inert_message(text, EVIDENCE_MAX).into_owned()
}

/// One group's story in a journal: first and last seen, the peak, and the
/// counts over time (for a sparkline or a lane).
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub group: Group,
    pub first: Timestamp,
    pub last: Timestamp,
    pub peak: u32,
    /// Failing containers now (as of the last record).
    pub now: u32,
    /// (time, count) as written.
    pub series: Vec<(Timestamp, u32)>,
    /// The evidence of its first failure.
    pub evidence: String,
    /// Distinct containers that failed in it.
    pub subjects: usize,
}

impl Lane {
    fn empty(group: &Group, at: Timestamp) -> Lane {
        Lane {
            group: group.clone(),
            first: at,
            last: at,
            peak: 0,
            now: 0,
            series: Vec::new(),
            evidence: String::new(),
            subjects: 0,
        }
    }
}

/// `subject` fails in `group` now: counted there, no longer where it was.
fn fails_in<'a>(
    current: &mut HashMap<&'a Subject, &'a Group>,
    failing_now: &mut HashMap<&'a Group, u32>,
    subject: &'a Subject,
    group: &'a Group,
) {
    if let Some(was) = current.insert(subject, group) {
        let n = failing_now.entry(was).or_default();
        *n = n.saturating_sub(1);
    }
    *failing_now.entry(group).or_default() += 1;
}

/// A counts record: every lane's series, peak and count now; a lane for a
/// group counted before any record of its own.
fn counts(by: &mut BTreeMap<Group, Lane>, at: Timestamp, groups: &[(Group, u32)]) {
    for l in by.values_mut() {
        let n = groups
            .iter()
            .find(|(g, _)| *g == l.group)
            .map_or(0, |(_, n)| *n);
        if l.series.last().is_none_or(|(_, last)| *last != n) {
            l.series.push((at, n));
        }
        l.now = n;
        l.peak = l.peak.max(n);
        if n > 0 {
            l.last = l.last.max(at);
        }
    }
    for (g, n) in groups {
        if !by.contains_key(g) {
            let mut l = Lane::empty(g, at);
            l.series.push((at, *n));
            l.now = *n;
            l.peak = *n;
            by.insert(g.clone(), l);
        }
    }
}

/// The lanes of a journal, one per group that ever failed, by first failure.
pub fn lanes(records: &[Record]) -> Vec<Lane> {
    let mut by: BTreeMap<Group, Lane> = BTreeMap::new();
    let mut subjects: HashMap<Group, std::collections::HashSet<&Subject>> = HashMap::new();
    // Which group each container fails in now, as the records tell it (the
    // counts are written at most every `COUNTS_EVERY_SECS`).
    let mut current: HashMap<&Subject, &Group> = HashMap::new();
    let mut failing_now: HashMap<&Group, u32> = HashMap::new();
    for r in records {
        match r {
            Record::Failing {
                at,
                since,
                subject,
                group,
                evidence,
                ..
            } => {
                let start = since.map_or(*at, |s| s.min(*at));
                let l = by
                    .entry(group.clone())
                    .or_insert_with(|| Lane::empty(group, start));
                l.first = l.first.min(start);
                l.last = l.last.max(*at);
                if l.evidence.is_empty() {
                    l.evidence = evidence.clone();
                }
                subjects.entry(group.clone()).or_default().insert(subject);
                fails_in(&mut current, &mut failing_now, subject, group);
            }
            Record::Cause {
                at,
                subject,
                to,
                evidence,
                ..
            } => {
                let l = by.entry(to.clone()).or_insert_with(|| Lane::empty(to, *at));
                l.last = l.last.max(*at);
                if l.evidence.is_empty() {
                    l.evidence = evidence.clone();
                }
                subjects.entry(to.clone()).or_default().insert(subject);
                fails_in(&mut current, &mut failing_now, subject, to);
            }
            Record::Recovered { at, subject, group } => {
                if let Some(l) = by.get_mut(group) {
                    l.last = l.last.max(*at);
                }
                if let Some(was) = current.remove(subject) {
                    let n = failing_now.entry(was).or_default();
                    *n = n.saturating_sub(1);
                }
            }
            Record::Counts { at, groups } => counts(&mut by, *at, groups),
            Record::Watching { .. }
            | Record::Kubelet { .. }
            | Record::ImagesGone { .. }
            | Record::SecretDeleted { .. } => {}
        }
        if let Record::Failing { group, .. } | Record::Cause { to: group, .. } = r
            && let Some(l) = by.get_mut(group)
        {
            l.peak = l.peak.max(failing_now.get(group).copied().unwrap_or(0));
        }
    }
    let mut out: Vec<Lane> = by
        .into_values()
        .map(|mut l| {
            l.subjects = subjects.get(&l.group).map_or(0, |s| s.len());
            // The records know better than the last counts.
            l.now = failing_now.get(&l.group).copied().unwrap_or(0);
            l
        })
        .collect();
    out.sort_by(|a, b| a.first.cmp(&b.first).then(a.group.cmp(&b.group)));
    out
}

/// `series` as a sparkline of `width` cells over [`from`, `to`]: each cell
/// the highest count written in its span (the count in force carries on).
pub fn sparkline(
    series: &[(Timestamp, u32)],
    from: Timestamp,
    to: Timestamp,
    width: usize,
) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if width == 0 || to <= from {
        return String::new();
    }
    let span = to.as_millisecond() - from.as_millisecond();
    let mut cells = vec![0u32; width];
    let mut current = series
        .iter()
        .take_while(|(t, _)| *t <= from)
        .last()
        .map_or(0, |(_, n)| *n);
    let mut i = 0;
    for (c, cell) in cells.iter_mut().enumerate() {
        let end = from.as_millisecond() + span * (c as i64 + 1) / width as i64;
        let mut high = current;
        while let Some((t, n)) = series.get(i) {
            if t.as_millisecond() > end {
                break;
            }
            if t.as_millisecond() > from.as_millisecond() {
                high = high.max(*n);
                current = *n;
            }
            i += 1;
        }
        *cell = high;
    }
    let max = cells.iter().copied().max().unwrap_or(0).max(1);
    cells
        .iter()
        .map(|&n| match n {
            0 => ' ',
            n => {
                BARS[((n as usize * BARS.len()).saturating_sub(1) / max as usize)
                    .min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
