//! The timeline screen (`t`): the journal drawn as one lane per registry ×
//! cause (and per cluster, in a fleet), ordered by first failure, with the
//! journal's changes as markers on them — first failures, changes of
//! cause, recoveries — the fixes applied, and what changed in the cluster
//! that fits the lane (`domain::changes`, read when the screen opens). `↑↓` pick a lane, `←→` a
//! marker, `+`/`-` zoom through fixed windows that end at the app clock.
//!
//! Lanes are computed when a journal changes ([`LaneCache`], keyed by each
//! cluster's journal), never per frame; the group bar's sparklines read the
//! same cache.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::{SignedDuration, Timestamp};

use super::cluster::ClusterView;
use super::keymap::Intent;
use super::msg::Effect;
use super::{Model, Overlay, Screen};
use crate::domain::journal::{Group, Lane, Record, lanes, sparkline};

/// The windows the zoom steps through: seconds, and how the header says it.
pub const SPANS: [(i64, &str); 5] = [
    (15 * 60, "15 min"),
    (3600, "1 h"),
    (6 * 3600, "6 h"),
    (24 * 3600, "24 h"),
    (7 * 24 * 3600, "7 d"),
];

/// Cells of a group bar sparkline, and the time it covers (to now).
pub const BAR_CELLS: usize = 8;
pub const BAR_SECS: i64 = 3600;

/// What one cluster's journal held when its lanes were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalKey {
    records: usize,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    fixes: usize,
    fix_last: Option<Timestamp>,
    changes: u64,
}

impl JournalKey {
    pub fn of(c: &ClusterView) -> JournalKey {
        JournalKey {
            records: c.journal.len(),
            first: c.journal.first().map(Record::at),
            last: c.journal.last().map(Record::at),
            fixes: c.fixes.len(),
            fix_last: c.fixes.last().map(|f| f.at),
            changes: c.changes_read,
        }
    }
}

/// Each cluster's lanes (`domain::journal::lanes`), computed again only
/// when that cluster's journal changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaneCache {
    keys: Vec<JournalKey>,
    /// By cluster index.
    pub clusters: Vec<Arc<Vec<Lane>>>,
}

impl LaneCache {
    /// Brings the lanes up to date with the clusters' journals; whether
    /// anything changed.
    pub fn refresh(&mut self, clusters: &[ClusterView]) -> bool {
        let keys: Vec<JournalKey> = clusters.iter().map(JournalKey::of).collect();
        if keys == self.keys && self.clusters.len() == clusters.len() {
            return false;
        }
        let lanes: Vec<Arc<Vec<Lane>>> = clusters
            .iter()
            .enumerate()
            .map(|(i, c)| match (self.keys.get(i), self.clusters.get(i)) {
                (Some(k), Some(l)) if *k == keys[i] => l.clone(),
                _ => Arc::new(lanes(&c.journal)),
            })
            .collect();
        self.keys = keys;
        self.clusters = lanes;
        true
    }

    /// Whether no cluster has a lane.
    pub fn is_empty(&self) -> bool {
        self.clusters.iter().all(|l| l.is_empty())
    }

    /// `cause registry`'s failing count over the last hour to `now`, summed
    /// over the clusters, as a short sparkline; `None` when the journal
    /// has no count of it in that hour.
    pub fn group_spark(&self, registry: &str, cause: &str, now: Timestamp) -> Option<String> {
        let series: Vec<&[(Timestamp, u32)]> = self
            .clusters
            .iter()
            .flat_map(|ls| ls.iter())
            .filter(|l| l.group.registry == registry && l.group.cause == cause)
            .map(|l| l.series.as_slice())
            .collect();
        if series.is_empty() {
            return None;
        }
        let from = now - SignedDuration::from_secs(BAR_SECS);
        let sum = summed(&series, from);
        let s = sparkline(&sum, from, now, BAR_CELLS);
        // A quiet stretch reads as a baseline, not a gap in the bar.
        (!s.trim().is_empty()).then(|| s.replace(' ', "·"))
    }
}

/// Several step series added up, from the count in force at `from` on.
pub fn summed(series: &[&[(Timestamp, u32)]], from: Timestamp) -> Vec<(Timestamp, u32)> {
    let mut events: Vec<(Timestamp, usize, u32)> = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let start = s.partition_point(|(t, _)| *t <= from).saturating_sub(1);
        events.extend(s[start..].iter().map(|(t, n)| (*t, k, *n)));
    }
    events.sort_by_key(|e| e.0);
    let mut current = vec![0u32; series.len()];
    let mut out: Vec<(Timestamp, u32)> = Vec::with_capacity(events.len());
    for (t, k, n) in events {
        current[k] = n;
        let total = current.iter().sum();
        match out.last_mut() {
            Some((last, v)) if *last == t => *v = total,
            _ => out.push((t, total)),
        }
    }
    out
}

/// What a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// A container's first failure (`Record::Failing`).
    Failing,
    /// A container's cause changed (`Record::Cause`).
    Cause,
    /// It no longer fails (`Record::Recovered`).
    Recovered,
    /// A fix pulltui applied (`ClusterView::fixes`).
    Fix,
    /// A change in the cluster that fits the lane (`ClusterView::changes`).
    Change,
}

impl MarkerKind {
    pub fn label(self) -> &'static str {
        match self {
            MarkerKind::Failing => "failing",
            MarkerKind::Cause => "cause changed",
            MarkerKind::Recovered => "recovered",
            MarkerKind::Fix => "fix",
            MarkerKind::Change => "what changed",
        }
    }

    /// Its glyph on the marker row.
    pub fn glyph(self) -> char {
        match self {
            MarkerKind::Failing => '●',
            MarkerKind::Cause => '◆',
            MarkerKind::Recovered => '○',
            MarkerKind::Fix => '✚',
            MarkerKind::Change => '▲',
        }
    }

    /// Which one a cell shows when several fall in it.
    pub fn weight(self) -> u8 {
        match self {
            MarkerKind::Change => 4,
            MarkerKind::Fix => 3,
            MarkerKind::Cause => 2,
            MarkerKind::Failing => 1,
            MarkerKind::Recovered => 0,
        }
    }
}

/// One marker: when, what, and where its story is (an index into the
/// cluster's journal or fixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub at: Timestamp,
    pub kind: MarkerKind,
    pub index: usize,
}

/// One lane of the screen: a group of one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLane {
    pub cluster: usize,
    /// Index into the cache's lanes of that cluster.
    pub lane: usize,
    pub group: Group,
    pub first: Timestamp,
    /// In time order.
    pub markers: Vec<Marker>,
}

/// The timeline screen's state (`Model::timeline`).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Index into [`SPANS`].
    pub zoom: usize,
    pub lanes: Vec<TimeLane>,
    /// The selected lane.
    pub selected: usize,
    /// The selected marker of that lane (index into its markers), always
    /// one inside the window.
    pub marker: Option<usize>,
    /// First lane shown.
    pub offset: usize,
    keys: Vec<JournalKey>,
}

/// The selected marker, told in full (`ui::timeline`'s bottom pane).
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerDetail {
    pub at: Timestamp,
    pub kind: MarkerKind,
    /// `cause registry`, or `from → to` for a change of cause.
    pub what: String,
    pub container: Option<String>,
    pub workload: Option<String>,
    pub image: Option<String>,
    /// The object a change is about, and who made it.
    pub object: Option<String>,
    pub evidence: Option<String>,
}

/// Lines one lane takes (its sparkline, then its marker row).
pub const LANE_LINES: usize = 2;
/// Lines of the marker pane at the bottom.
pub const DETAIL_LINES: u16 = 6;

/// The namespaces a fix's object names (`Kind ns/name`, several joined
/// with `; `).
fn fix_namespaces(object: &str) -> Vec<&str> {
    object
        .split("; ")
        .filter_map(|o| o.split_once(' ').map(|(_, rest)| rest))
        .filter_map(|r| r.split_once('/').map(|(ns, _)| ns))
        .collect()
}

/// Every cluster's lanes with their markers, ordered by first failure.
pub fn build(clusters: &[ClusterView], cache: &LaneCache) -> Vec<TimeLane> {
    let mut out = Vec::new();
    for (ix, c) in clusters.iter().enumerate() {
        let Some(lanes) = cache.clusters.get(ix) else {
            continue;
        };
        let start = out.len();
        let mut by: HashMap<&Group, usize> = HashMap::with_capacity(lanes.len());
        for (k, l) in lanes.iter().enumerate() {
            by.insert(&l.group, start + k);
            out.push(TimeLane {
                cluster: ix,
                lane: k,
                group: l.group.clone(),
                first: l.first,
                markers: Vec::new(),
            });
        }
        let mut namespaces: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); lanes.len()];
        let mark = |out: &mut Vec<TimeLane>, g: &Group, at, kind, index| {
            if let Some(&l) = by.get(g) {
                out[l].markers.push(Marker { at, kind, index });
                return Some(l - start);
            }
            None
        };
        for (i, r) in c.journal.iter().enumerate() {
            match r {
                Record::Failing {
                    at, subject, group, ..
                } => {
                    if let Some(l) = mark(&mut out, group, *at, MarkerKind::Failing, i) {
                        namespaces[l].insert(&subject.namespace);
                    }
                }
                Record::Cause {
                    at,
                    subject,
                    from,
                    to,
                    ..
                } => {
                    if let Some(l) = mark(&mut out, to, *at, MarkerKind::Cause, i) {
                        namespaces[l].insert(&subject.namespace);
                    }
                    if from != to {
                        mark(&mut out, from, *at, MarkerKind::Cause, i);
                    }
                }
                Record::Recovered { at, group, .. } => {
                    mark(&mut out, group, *at, MarkerKind::Recovered, i);
                }
                // Node and secret records are marked as changes, where they
                // fit a lane (`ClusterMsg::Changes`).
                _ => {}
            }
        }
        for (j, f) in c.fixes.iter().enumerate() {
            let ns = fix_namespaces(&f.object);
            let hit: Vec<usize> = (0..lanes.len())
                .filter(|&k| ns.iter().any(|n| namespaces[k].contains(n)))
                .collect();
            let targets = match hit.is_empty() {
                true => (0..lanes.len()).collect(),
                false => hit,
            };
            for k in targets {
                out[start + k].markers.push(Marker {
                    at: f.at,
                    kind: MarkerKind::Fix,
                    index: j,
                });
            }
        }
        if !c.changes.is_empty() {
            for (k, lane) in lanes.iter().enumerate() {
                let scope = crate::domain::postmortem::lane_scope(lane, &c.journal);
                for f in crate::domain::changes::rank(&scope, &c.changes, CHANGES_PER_LANE) {
                    out[start + k].markers.push(Marker {
                        // No time kept (a deletion): at the first failure.
                        at: f.change.at.unwrap_or(lane.first),
                        kind: MarkerKind::Change,
                        index: f.index,
                    });
                }
            }
        }
        for l in &mut out[start..] {
            l.markers.sort_by_key(|m| m.at);
        }
    }
    out.sort_by(|a, b| {
        a.first
            .cmp(&b.first)
            .then_with(|| a.group.cmp(&b.group))
            .then_with(|| a.cluster.cmp(&b.cluster))
    });
    out
}

/// The smallest window that holds every lane (at most the widest).
fn fitting_zoom(lanes: &[TimeLane], now: Timestamp) -> usize {
    let earliest = lanes
        .iter()
        .map(|l| l.first)
        .chain(lanes.iter().filter_map(|l| l.markers.first().map(|m| m.at)))
        .min();
    let needed = earliest.map_or(0, |e| now.duration_since(e).as_secs());
    SPANS
        .iter()
        .position(|(s, _)| *s >= needed)
        .unwrap_or(SPANS.len() - 1)
}

impl Timeline {
    /// The screen over `clusters`' journals at `now`, zoomed to the
    /// smallest window that holds them all (at most a week).
    pub fn open(clusters: &[ClusterView], cache: &LaneCache, now: Timestamp) -> Timeline {
        let lanes = build(clusters, cache);
        let zoom = fitting_zoom(&lanes, now);
        let mut t = Timeline {
            zoom,
            lanes,
            selected: 0,
            marker: None,
            offset: 0,
            keys: clusters.iter().map(JournalKey::of).collect(),
        };
        t.marker = t.first_marker(now);
        t
    }

    /// The journals changed: lanes again, the same lane and marker kept
    /// selected when they are still there.
    pub fn rebuild(&mut self, clusters: &[ClusterView], cache: &LaneCache, now: Timestamp) {
        let keys: Vec<JournalKey> = clusters.iter().map(JournalKey::of).collect();
        if keys == self.keys {
            return;
        }
        let was = self
            .lanes
            .get(self.selected)
            .map(|l| (l.cluster, l.group.clone()));
        let marker = self.selected_marker();
        let was_empty = self.lanes.is_empty();
        self.lanes = build(clusters, cache);
        self.keys = keys;
        // Opened before the journal was read: zoomed to fit it now.
        if was_empty {
            self.zoom = fitting_zoom(&self.lanes, now);
        }
        self.selected = was
            .and_then(|(c, g)| {
                self.lanes
                    .iter()
                    .position(|l| l.cluster == c && l.group == g)
            })
            .unwrap_or(0)
            .min(self.lanes.len().saturating_sub(1));
        self.marker = marker.and_then(|m| {
            self.lanes.get(self.selected).and_then(|l| {
                l.markers
                    .iter()
                    .position(|x| x.at == m.at && x.kind == m.kind)
            })
        });
        self.clamp(now);
    }

    /// The window: (from, to), ending at `now`.
    pub fn window(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let secs = SPANS.get(self.zoom).map_or(3600, |s| s.0);
        (now - SignedDuration::from_secs(secs), now)
    }

    /// The header's name of the window (`1 h`).
    pub fn span_label(&self) -> &'static str {
        SPANS.get(self.zoom).map_or("", |s| s.1)
    }

    /// The markers of lane `l` inside the window (a range of its indices).
    pub fn in_window(&self, l: usize, now: Timestamp) -> std::ops::Range<usize> {
        let Some(lane) = self.lanes.get(l) else {
            return 0..0;
        };
        let (from, to) = self.window(now);
        let a = lane.markers.partition_point(|m| m.at < from);
        let b = lane.markers.partition_point(|m| m.at <= to);
        a..b.max(a)
    }

    fn first_marker(&self, now: Timestamp) -> Option<usize> {
        let r = self.in_window(self.selected, now);
        (!r.is_empty()).then_some(r.start)
    }

    /// The selected marker.
    pub fn selected_marker(&self) -> Option<Marker> {
        let m = self.marker?;
        self.lanes.get(self.selected)?.markers.get(m).copied()
    }

    /// Keeps the selected marker inside the window (the clock moved, the
    /// window or the journal changed): the nearest one inside, the first
    /// when none was selected (the journal came after the screen opened),
    /// or none when the window has none.
    pub fn clamp(&mut self, now: Timestamp) {
        let r = self.in_window(self.selected, now);
        self.marker = match self.marker {
            _ if r.is_empty() => None,
            None => Some(r.start),
            Some(m) if m < r.start => Some(r.start),
            Some(m) if m >= r.end => Some(r.end - 1),
            Some(m) => Some(m),
        };
    }

    /// Lanes that fit in a screen `height` lines tall.
    pub fn viewport(height: u16) -> usize {
        (height.saturating_sub(3 + DETAIL_LINES) as usize / LANE_LINES).max(1)
    }

    fn select_lane(&mut self, to: usize, now: Timestamp, viewport: usize) {
        let n = self.lanes.len();
        if n == 0 {
            return;
        }
        let to = to.min(n - 1);
        if to != self.selected {
            self.selected = to;
            self.marker = self.first_marker(now);
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + viewport {
            self.offset = self.selected + 1 - viewport;
        }
        self.offset = self.offset.min(n.saturating_sub(viewport));
    }

    fn step_marker(&mut self, forward: bool, now: Timestamp) {
        let r = self.in_window(self.selected, now);
        if r.is_empty() {
            self.marker = None;
            return;
        }
        self.marker = Some(match (self.marker, forward) {
            (None, true) => r.start,
            (None, false) => r.end - 1,
            (Some(m), true) => (m + 1).min(r.end - 1),
            (Some(m), false) => m.saturating_sub(1).max(r.start),
        });
    }

    /// Zooms in (`true`) or out one window.
    fn zoom(&mut self, inward: bool, now: Timestamp) {
        self.zoom = match inward {
            true => self.zoom.saturating_sub(1),
            false => (self.zoom + 1).min(SPANS.len() - 1),
        };
        if self.marker.is_none() {
            self.marker = self.first_marker(now);
        }
        self.clamp(now);
    }
}

/// The selected marker's story, from the cluster's journal or fixes.
pub fn detail(model: &Model) -> Option<MarkerDetail> {
    let t = model.timeline.as_ref()?;
    let lane = t.lanes.get(t.selected)?;
    let m = t.selected_marker()?;
    let c = model.clusters.get(lane.cluster)?;
    let d = |what: String| MarkerDetail {
        at: m.at,
        kind: m.kind,
        what,
        container: None,
        workload: None,
        image: None,
        object: None,
        evidence: None,
    };
    if m.kind == MarkerKind::Change {
        let change = c.changes.get(m.index)?;
        let lane = model.lanes.clusters.get(lane.cluster)?.get(lane.lane)?;
        let scope = crate::domain::postmortem::lane_scope(lane, &c.journal);
        let fit = crate::domain::changes::fit(&scope, m.index, change)?;
        let mut out = d(change.summary.clone());
        out.object = Some(match &change.by {
            Some(by) => format!("{}  (by {by}, as it names itself)", change.object),
            None => change.object.clone(),
        });
        out.evidence = Some(fit.why.join("; "));
        return Some(out);
    }
    if m.kind == MarkerKind::Fix {
        let f = c.fixes.get(m.index).filter(|f| f.at == m.at)?;
        let mut out = d(format!(
            "{} on {}{}",
            f.fix,
            f.object,
            if f.dry_run { " (dry run)" } else { "" }
        ));
        out.evidence = Some(f.result.clone());
        return Some(out);
    }
    let r = c.journal.get(m.index).filter(|r| r.at() == m.at)?;
    Some(match r {
        Record::Failing {
            subject,
            workload,
            group,
            image,
            evidence,
            ..
        } => MarkerDetail {
            container: Some(subject.label()),
            workload: workload.clone(),
            image: Some(image.clone()),
            evidence: Some(evidence.clone()),
            ..d(group.label())
        },
        Record::Cause {
            subject,
            from,
            to,
            evidence,
            ..
        } => MarkerDetail {
            container: Some(subject.label()),
            evidence: Some(evidence.clone()),
            ..d(format!("{} → {}", from.label(), to.label()))
        },
        Record::Recovered { subject, group, .. } => MarkerDetail {
            container: Some(subject.label()),
            ..d(group.label())
        },
        _ => return None,
    })
}

/// `t` on home: opens the screen over the journals as they are now.
pub(super) fn open(model: &mut Model) -> Vec<Effect> {
    model.lanes.refresh(&model.clusters);
    let mut t = Timeline::open(&model.clusters, &model.lanes, model.now);
    let vp = Timeline::viewport(model.size.1);
    t.select_lane(0, model.now, vp);
    model.timeline = Some(t);
    model.screens.push(Screen::Timeline);
    ask_changes(model)
}

/// Change markers a lane shows at most (the best fits).
pub const CHANGES_PER_LANE: usize = 3;
/// How often, at most, what changed is read again while the screen is open.
pub const CHANGES_EVERY_SECS: i64 = 60;

/// Reads of what changed around each cluster's journal failures: when
/// none was asked yet, or a minute after the last one if the journal's
/// window moved since.
pub(super) fn ask_changes(model: &mut Model) -> Vec<Effect> {
    let now = model.now;
    let mut out = Vec::new();
    for c in &mut model.clusters {
        if let Some((at, _)) = &c.changes_asked
            && now.duration_since(*at).as_secs() < CHANGES_EVERY_SECS
        {
            continue;
        }
        let Some(window) = crate::domain::postmortem::changes_window(&c.journal) else {
            continue;
        };
        if c.changes_asked.as_ref().is_some_and(|(_, w)| *w == window) {
            continue;
        }
        let (from, to, namespaces) = window.clone();
        c.changes_asked = Some((now, window));
        out.push(
            super::msg::FetchEffect::Changes {
                session: c.session(),
                from,
                to,
                namespaces,
            }
            .into(),
        );
    }
    out
}

pub(super) fn close(model: &mut Model) -> Vec<Effect> {
    model.screens.retain(|s| *s != Screen::Timeline);
    model.timeline = None;
    Vec::new()
}

/// A key on the timeline screen. `j`/`k`/`h`/`l` move too, unless bound
/// to something the screen uses.
pub(super) fn key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let ours =
        |i: &Intent| *i == Intent::Timeline || Intent::on_screen(Screen::Timeline).contains(i);
    let intent = match model.keymap.resolve(&key).filter(ours) {
        Some(i) => i,
        None => match key.code {
            KeyCode::Char('j') => Intent::Down,
            KeyCode::Char('k') => Intent::Up,
            KeyCode::Char('h') => Intent::PrevMarker,
            KeyCode::Char('l') => Intent::NextMarker,
            _ => return Vec::new(),
        },
    };
    let now = model.now;
    let vp = Timeline::viewport(model.size.1);
    match intent {
        Intent::Quit => return super::keys::quit(model),
        Intent::Help => {
            model.overlay = Some(Overlay::Help);
            return Vec::new();
        }
        Intent::Back | Intent::Timeline => return close(model),
        _ => {}
    }
    let Some(t) = &mut model.timeline else {
        return Vec::new();
    };
    let cur = t.selected;
    let page = vp.max(1);
    match intent {
        Intent::Up => t.select_lane(cur.saturating_sub(1), now, vp),
        Intent::Down => t.select_lane(cur + 1, now, vp),
        Intent::PageUp => t.select_lane(cur.saturating_sub(page), now, vp),
        Intent::PageDown => t.select_lane(cur + page, now, vp),
        Intent::Top => t.select_lane(0, now, vp),
        Intent::Bottom => t.select_lane(usize::MAX, now, vp),
        Intent::PrevMarker => t.step_marker(false, now),
        Intent::NextMarker => t.step_marker(true, now),
        Intent::ZoomIn => t.zoom(true, now),
        Intent::ZoomOut => t.zoom(false, now),
        _ => {}
    }
    Vec::new()
}

impl Model {
    /// Brings the journal's derived state up to date: the lanes (when a
    /// journal changed), the open timeline, the group bar's sparklines.
    pub(super) fn settle_journal(&mut self) {
        let changed = self.lanes.refresh(&self.clusters);
        let now = self.now;
        if let Some(t) = &mut self.timeline {
            if changed {
                t.rebuild(&self.clusters, &self.lanes, now);
            }
            t.clamp(now);
        }
        if changed || self.home.sparks_at != Some(now) {
            let before = self.summary_height();
            for e in &mut self.home.summary {
                e.spark = self.lanes.group_spark(&e.registry, e.category.id(), now);
            }
            self.home.sparks_at = Some(now);
            if self.summary_height() != before {
                self.home.view_stale = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_mins(m)
    }

    #[test]
    fn series_add_up_from_the_count_in_force() {
        let a = [(at(0), 1), (at(20), 2), (at(30), 1)];
        let b = [(at(5), 4), (at(10), 1)];
        assert_eq!(
            summed(&[&a, &b], at(8)),
            [
                (at(0), 1),
                (at(5), 5),
                (at(10), 2),
                (at(20), 3),
                (at(30), 2)
            ]
        );
        assert!(summed(&[], at(0)).is_empty());
    }

    #[test]
    fn a_fix_names_its_namespaces() {
        assert_eq!(fix_namespaces("Deployment shop/web"), ["shop"]);
        assert_eq!(
            fix_namespaces("Secret pay/regcred; ServiceAccount pay/default"),
            ["pay", "pay"]
        );
        assert!(fix_namespaces("fix").is_empty());
    }
}
