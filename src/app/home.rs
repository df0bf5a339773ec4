//! The home screen's state: filter, grouping, sort, selection, scroll, and
//! the view (which rows, in which order, under which group headers) derived
//! from the inventory's rows.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::classify::Category;
use crate::domain::failing::{FailureRow, RowKey, stable_order};
use crate::domain::upstream::{Catalogue, GroupEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    None,
    Registry,
    Category,
    Namespace,
    /// A fleet: by context.
    Cluster,
}

impl Grouping {
    /// The next grouping of the `g` cycle (by cluster only in a fleet).
    pub fn next(self, fleet: bool) -> Self {
        match self {
            Grouping::None => Grouping::Registry,
            Grouping::Registry => Grouping::Category,
            Grouping::Category => Grouping::Namespace,
            Grouping::Namespace if fleet => Grouping::Cluster,
            Grouping::Namespace | Grouping::Cluster => Grouping::None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grouping::None => "none",
            Grouping::Registry => "registry",
            Grouping::Category => "category",
            Grouping::Namespace => "namespace",
            Grouping::Cluster => "cluster",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    /// A fleet: the context.
    Cluster,
    #[default]
    Namespace,
    Pod,
    Workload,
    Container,
    Registry,
    Reason,
    Cause,
    Age,
}

impl SortColumn {
    /// The next column of the `s` cycle (the cluster only in a fleet).
    pub fn next(self, fleet: bool) -> Self {
        match self {
            SortColumn::Cluster => SortColumn::Namespace,
            SortColumn::Namespace => SortColumn::Pod,
            SortColumn::Pod => SortColumn::Workload,
            SortColumn::Workload => SortColumn::Container,
            SortColumn::Container => SortColumn::Registry,
            SortColumn::Registry => SortColumn::Reason,
            SortColumn::Reason => SortColumn::Cause,
            SortColumn::Cause => SortColumn::Age,
            SortColumn::Age if fleet => SortColumn::Cluster,
            SortColumn::Age => SortColumn::Namespace,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Cluster => "CLUSTER",
            SortColumn::Namespace => "NAMESPACE",
            SortColumn::Pod => "POD",
            SortColumn::Workload => "WORKLOAD",
            SortColumn::Container => "CONTAINER",
            SortColumn::Registry => "REGISTRY",
            SortColumn::Reason => "REASON",
            SortColumn::Cause => "CAUSE",
            SortColumn::Age => "AGE",
        }
    }
}

/// A line of the table: a group header or a row (index into `Home::rows`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Group { label: String, count: usize },
    Row(usize),
}

/// `registry × category` with its count, for the summary bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryEntry {
    pub registry: String,
    pub category: Category,
    pub count: usize,
    /// In how many clusters (a fleet: "is it everywhere?").
    pub clusters: usize,
    /// The upstream event the group's rows match (`domain::upstream`).
    pub upstream: Option<GroupEvent>,
    /// Its failing count over the last hour, from the journal (summed over
    /// a fleet's clusters); `None` when the journal has none.
    pub spark: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Home {
    pub filter: String,
    pub filter_editing: bool,
    pub grouping: Grouping,
    pub sort: SortColumn,
    pub reverse: bool,
    /// All rows (unfiltered), in pod-key order.
    pub rows: Vec<Arc<FailureRow>>,
    /// What the table shows.
    pub items: Vec<Item>,
    /// Rows that pass the filter.
    pub shown: usize,
    pub summary: Vec<SummaryEntry>,
    pub selected: Option<RowKey>,
    /// Index into `items` of the selection.
    pub cursor: usize,
    /// First visible item.
    pub offset: usize,
    pub view_stale: bool,
    /// The upstream events named in the summary bar and the detail
    /// (`None`: the built-in table).
    pub upstream: Option<Arc<Catalogue>>,
    /// What the catalogue answered for the rows seen (`set_rows`).
    pub upstream_found: crate::domain::upstream::Found,
    /// The clock the summary's sparklines were drawn at (`None`: not yet).
    pub sparks_at: Option<jiff::Timestamp>,
    /// Per row, the credential in force for its image that expired or
    /// expires within a day (`app::radar`): the row's marker.
    pub cred: std::collections::HashMap<RowKey, crate::domain::secrets::SecretExpiry>,
    /// `cred` needs recomputing (rows or secrets changed).
    pub cred_stale: bool,
    /// Registry certificates' ends as this machine's probe saw them, by
    /// registry (as images name it): a row whose registry's certificate
    /// expired or ends within a week is marked.
    pub certs: std::collections::BTreeMap<String, jiff::Timestamp>,
}

impl Home {
    /// Replaces the rows (from the inventory) and rebuilds the summary.
    pub fn set_rows(&mut self, rows: Vec<Arc<FailureRow>>) {
        let mut counts: BTreeMap<(&str, Category), (usize, Vec<&str>)> = BTreeMap::new();
        for r in &rows {
            let (n, clusters) = counts.entry((r.registry_label(), r.category)).or_default();
            *n += 1;
            if !clusters.contains(&r.cluster.context()) {
                clusters.push(r.cluster.context());
            }
        }
        let mut events = self
            .catalogue()
            .group_events(rows.iter().map(|r| &**r), &mut self.upstream_found);
        let mut summary: Vec<SummaryEntry> = counts
            .into_iter()
            .map(|((registry, category), (count, clusters))| SummaryEntry {
                upstream: events.remove(&(registry.to_string(), category)),
                registry: registry.to_string(),
                category,
                count,
                clusters: clusters.len(),
                spark: None,
            })
            .collect();
        // Biggest first; ties in a fixed order so the bar does not shuffle.
        summary.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.registry.cmp(&b.registry))
                .then_with(|| a.category.id().cmp(b.category.id()))
        });
        self.summary = summary;
        self.sparks_at = None;
        self.rows = rows;
        self.view_stale = true;
    }

    /// The upstream events table in force.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.upstream.clone().unwrap_or_else(Catalogue::builtin)
    }

    /// Rebuilds `items` from rows, filter, sort and grouping, keeping the
    /// selection on the same row when it is still there.
    pub fn rebuild(&mut self, viewport: usize) {
        let needle = self.filter.to_lowercase();
        let mut idx: Vec<usize> = (0..self.rows.len())
            .filter(|&i| needle.is_empty() || matches(&self.rows[i], &needle))
            .collect();
        let rows = &self.rows;
        let sort = self.sort;
        let reverse = self.reverse;
        let grouping = self.grouping;
        idx.sort_by(|&a, &b| {
            let (ra, rb) = (&rows[a], &rows[b]);
            group_key(grouping, ra)
                .cmp(group_key(grouping, rb))
                .then_with(|| {
                    let o = compare(sort, ra, rb);
                    if reverse { o.reverse() } else { o }
                })
                .then_with(|| stable_order(ra, rb))
        });
        self.shown = idx.len();
        let mut items = Vec::with_capacity(idx.len() + 8);
        if grouping == Grouping::None {
            items.extend(idx.into_iter().map(Item::Row));
        } else {
            let mut i = 0;
            while i < idx.len() {
                let key = group_key(grouping, &rows[idx[i]]);
                let mut j = i;
                let mut clusters: Vec<&str> = Vec::new();
                while j < idx.len() && group_key(grouping, &rows[idx[j]]) == key {
                    let c = rows[idx[j]].cluster.context();
                    if !clusters.contains(&c) {
                        clusters.push(c);
                    }
                    j += 1;
                }
                // A group that spans clusters says how many.
                let label = match clusters.len() {
                    n if n > 1 => format!("{key} — {n} clusters"),
                    _ => key.to_string(),
                };
                items.push(Item::Group {
                    label,
                    count: j - i,
                });
                items.extend(idx[i..j].iter().map(|&k| Item::Row(k)));
                i = j;
            }
        }
        self.items = items;
        self.view_stale = false;
        self.reselect(viewport);
    }

    fn row_index_of(&self, key: &RowKey) -> Option<usize> {
        self.items.iter().position(|it| match it {
            Item::Row(i) => {
                let r = &self.rows[*i];
                r.cluster == key.pod.cluster
                    && r.namespace == key.pod.namespace
                    && r.pod == key.pod.name
                    && r.container == key.container
            }
            Item::Group { .. } => false,
        })
    }

    /// After the items changed: follow the selected row, or when it left,
    /// take the row now at its place.
    fn reselect(&mut self, viewport: usize) {
        let found = self.selected.as_ref().and_then(|k| self.row_index_of(k));
        let cursor = match found {
            Some(i) => i,
            None => self.cursor.min(self.items.len().saturating_sub(1)),
        };
        self.select_near(cursor, true, viewport);
    }

    /// Selects the row at `at`, or the nearest row in direction `forward`
    /// (then the other way) when `at` is a group header.
    fn select_near(&mut self, at: usize, forward: bool, viewport: usize) {
        if self.items.is_empty() {
            self.cursor = 0;
            self.offset = 0;
            self.selected = None;
            return;
        }
        let at = at.min(self.items.len() - 1);
        let is_row = |i: usize| matches!(self.items[i], Item::Row(_));
        let pick = if is_row(at) {
            Some(at)
        } else {
            let fwd = (at..self.items.len()).find(|&i| is_row(i));
            let back = (0..at).rev().find(|&i| is_row(i));
            if forward { fwd.or(back) } else { back.or(fwd) }
        };
        let Some(i) = pick else {
            self.selected = None;
            return;
        };
        self.cursor = i;
        if let Item::Row(r) = self.items[i] {
            self.selected = Some(self.rows[r].key());
        }
        self.scroll_into_view(viewport);
    }

    fn scroll_into_view(&mut self, viewport: usize) {
        let viewport = viewport.max(1);
        // Show the group header above the first row of a group.
        let top = if self.cursor > 0 && matches!(self.items[self.cursor - 1], Item::Group { .. }) {
            self.cursor - 1
        } else {
            self.cursor
        };
        if top < self.offset {
            self.offset = top;
        } else if self.cursor >= self.offset + viewport {
            self.offset = self.cursor + 1 - viewport;
        }
        let max_offset = self.items.len().saturating_sub(viewport);
        self.offset = self.offset.min(max_offset);
    }

    /// Moves the selection by `delta` rows (skipping headers).
    pub fn move_by(&mut self, delta: isize, viewport: usize) {
        if self.items.is_empty() {
            return;
        }
        let mut i = self.cursor as isize;
        let mut left = delta.unsigned_abs();
        let step = delta.signum();
        while left > 0 {
            let next = i + step;
            if next < 0 || next >= self.items.len() as isize {
                break;
            }
            i = next;
            if matches!(self.items[i as usize], Item::Row(_)) {
                left -= 1;
            }
        }
        self.select_near(i as usize, delta >= 0, viewport);
    }

    pub fn top(&mut self, viewport: usize) {
        self.select_near(0, true, viewport);
    }

    pub fn bottom(&mut self, viewport: usize) {
        self.select_near(self.items.len().saturating_sub(1), false, viewport);
    }

    pub fn selected_row(&self) -> Option<&FailureRow> {
        match self.items.get(self.cursor)? {
            Item::Row(i) => self.rows.get(*i).map(|r| &**r),
            Item::Group { .. } => None,
        }
    }
}

impl SummaryEntry {
    /// `auth.no-credentials ×3 private.example`, then in how many clusters
    /// (a fleet), the last hour from the journal and the upstream event.
    pub fn text(&self) -> String {
        format!(
            "{} ×{} {}{}{}{}",
            self.category.id(),
            self.count,
            self.registry,
            self.clusters_text(),
            self.spark_text(),
            self.upstream_text()
        )
    }

    /// ` ▁▂▅█` (the last hour) when the journal has the group, or nothing.
    pub fn spark_text(&self) -> String {
        self.spark
            .as_ref()
            .map_or(String::new(), |s| format!(" {s}"))
    }

    /// ` — 3 clusters` when the group spans several, or nothing.
    pub fn clusters_text(&self) -> String {
        match self.clusters {
            n if n > 1 => format!(" — {n} clusters"),
            _ => String::new(),
        }
    }

    /// ` ⚑ gcr.io shut down`, ` ⚑ gcr.io shut down (2 of 3)`, or nothing.
    pub fn upstream_text(&self) -> String {
        match &self.upstream {
            Some(u) if u.count < self.count => {
                format!(" ⚑ {} ({} of {})", u.short, u.count, self.count)
            }
            Some(u) => format!(" ⚑ {}", u.short),
            None => String::new(),
        }
    }
}

/// Separator between summary entries on one line.
pub const SUMMARY_SEP: &str = "  │ ";

/// Lays the summary out in at most `max_lines` lines of `width` columns:
/// the entry indices of each line, and how many entries did not fit (the
/// last line then keeps room for "… +N more").
pub fn summary_lines(
    entries: &[SummaryEntry],
    width: usize,
    max_lines: usize,
) -> (Vec<Vec<usize>>, usize) {
    use unicode_width::UnicodeWidthStr;
    const MORE: usize = 12;
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 1;
    for (i, e) in entries.iter().enumerate() {
        let w = e.text().width();
        let line_empty = lines.last().is_none_or(|l| l.is_empty());
        let need = if line_empty {
            w
        } else {
            SUMMARY_SEP.width() + w
        };
        let last_line = lines.len() == max_lines;
        let reserve = if last_line && i + 1 < entries.len() {
            MORE
        } else {
            0
        };
        if used + need + reserve <= width {
            if let Some(l) = lines.last_mut() {
                l.push(i);
            }
            used += need;
            continue;
        }
        if last_line || line_empty {
            return (lines, entries.len() - i);
        }
        lines.push(vec![i]);
        used = 1 + w;
        if used > width {
            return (lines, entries.len() - i);
        }
    }
    (lines, 0)
}

fn matches(r: &FailureRow, needle: &str) -> bool {
    let fields = [
        r.cluster.context(),
        r.namespace.as_str(),
        r.pod.as_str(),
        r.container.as_str(),
        r.registry_label(),
        r.reason.as_str(),
        r.category.id(),
        r.cause.as_str(),
        r.image.as_str(),
    ];
    fields.iter().any(|f| f.to_lowercase().contains(needle))
        || r.workload_label().to_lowercase().contains(needle)
        // The CONTAINER cell as shown (`(sandbox)`, `volume data`, ...).
        || r.container_label().to_lowercase().contains(needle)
        || r.facet.id().contains(needle)
}

fn group_key(g: Grouping, r: &FailureRow) -> &str {
    match g {
        Grouping::None => "",
        Grouping::Registry => r.registry_label(),
        Grouping::Category => r.category.id(),
        Grouping::Namespace => &r.namespace,
        Grouping::Cluster => r.cluster.context(),
    }
}

fn compare(c: SortColumn, a: &FailureRow, b: &FailureRow) -> Ordering {
    match c {
        SortColumn::Cluster => a.cluster.context().cmp(b.cluster.context()),
        SortColumn::Namespace => a.namespace.cmp(&b.namespace),
        SortColumn::Pod => a.pod.cmp(&b.pod),
        SortColumn::Workload => a.workload.cmp(&b.workload),
        SortColumn::Container => a.container_label().cmp(&b.container_label()),
        SortColumn::Registry => a.registry_label().cmp(b.registry_label()),
        SortColumn::Reason => a.reason.cmp(&b.reason),
        SortColumn::Cause => a.category.id().cmp(b.category.id()),
        // Youngest failure first; unknown start last.
        SortColumn::Age => match (a.since, b.since) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    }
}
