//! The home screen: status bar, summary bar, the failing-pods table (with
//! group headers), a notice line, and the footer (key hints or the filter
//! input). Columns fit the width: they shrink, and the least useful ones go
//! first on narrow terminals.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::statusbar::{render_status, render_summary};
use super::{Theme, age};
use crate::app::home::{Item, SortColumn};
use crate::app::keymap::Intent;
use crate::app::radar::marker;
use crate::app::text::{clip, truncate, truncate_middle};
use crate::app::{ConnState, Model};
use crate::domain::failing::{CauseSource, FailureRow};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    /// A fleet only: the context.
    Cluster,
    Namespace,
    Pod,
    Workload,
    Container,
    Registry,
    Reason,
    Cause,
    Age,
    Count,
}

impl Col {
    const ALL: [Col; 10] = [
        Col::Cluster,
        Col::Namespace,
        Col::Pod,
        Col::Workload,
        Col::Container,
        Col::Registry,
        Col::Reason,
        Col::Cause,
        Col::Age,
        Col::Count,
    ];
    /// The sort column this table column shows (all but the count).
    fn sort_column(self) -> Option<SortColumn> {
        Some(match self {
            Col::Cluster => SortColumn::Cluster,
            Col::Namespace => SortColumn::Namespace,
            Col::Pod => SortColumn::Pod,
            Col::Workload => SortColumn::Workload,
            Col::Container => SortColumn::Container,
            Col::Registry => SortColumn::Registry,
            Col::Reason => SortColumn::Reason,
            Col::Cause => SortColumn::Cause,
            Col::Age => SortColumn::Age,
            Col::Count => return None,
        })
    }
    fn header(self) -> &'static str {
        self.sort_column().map_or("#", SortColumn::label)
    }
    fn is_sorted_by(self, sort: SortColumn) -> bool {
        self.sort_column() == Some(sort)
    }
    /// Narrowest useful width.
    fn min(self) -> usize {
        match self {
            Col::Age => 4,
            Col::Count => 3,
            Col::Namespace | Col::Cluster => 7,
            Col::Reason => 12,
            Col::Cause => 12,
            Col::Pod => 12,
            Col::Container => 6,
            Col::Workload | Col::Registry => 10,
        }
    }
    /// REASON and CAUSE are what the screen is for: they shrink last.
    fn shrinks_last(self) -> bool {
        matches!(self, Col::Reason | Col::Cause)
    }
    /// Widest it is worth being.
    fn max(self) -> usize {
        match self {
            Col::Age | Col::Count => 5,
            Col::Namespace => 16,
            Col::Cluster => 24,
            // `istio-proxy [istio]`, `FailedCreatePodSandBox`.
            Col::Container | Col::Reason => 22,
            // `auth.no-credentials · cred expired 3h`.
            Col::Cause => 38,
            Col::Pod => 40,
            _ => 30,
        }
    }
    /// Dropped first when the terminal is narrow.
    /// (column, terminal width below which it is dropped).
    fn drop_order() -> [(Col, usize); 4] {
        [
            // The registry stays in the summary bar, the grouping and the
            // selected-row line.
            (Col::Registry, 100),
            (Col::Count, 110),
            (Col::Container, 120),
            (Col::Namespace, 64),
        ]
    }
}

/// Below this width, workload kinds use kubectl's short names.
const NARROW: u16 = 140;

fn short_kind(kind: &str) -> &str {
    match kind {
        "Deployment" => "deploy",
        "StatefulSet" => "sts",
        "DaemonSet" => "ds",
        "ReplicaSet" => "rs",
        "CronJob" => "cj",
        "Job" => "job",
        other => other,
    }
}

fn cell(model: &Model, r: &FailureRow, c: Col) -> String {
    match c {
        Col::Cluster => r.cluster.context().to_string(),
        Col::Namespace => r.namespace.clone(),
        Col::Pod => r.pod.clone(),
        Col::Workload => match &r.workload {
            Some(w) if model.size.0 < NARROW => format!("{}/{}", short_kind(&w.kind), w.name),
            _ => r.workload_label(),
        },
        Col::Container => r.container_label(),
        Col::Registry => r.registry_label().to_string(),
        Col::Reason => r.reason.clone(),
        Col::Cause => {
            let cause = match r.cause_source {
                CauseSource::Missing => format!("{} (no event)", r.category.id()),
                _ => r.category.id().to_string(),
            };
            // The credential expiry radar's marker, else the registry
            // certificate's (as the probe saw it).
            let cert = || {
                if model.home.certs.is_empty() {
                    return None;
                }
                let registry = crate::domain::image::ImageRef::parse(&r.image)
                    .ok()?
                    .registry;
                let at = *model.home.certs.get(&registry)?;
                crate::app::radar::cert_marker(at, model.now)
            };
            match model
                .home
                .cred
                .get(&r.key())
                .and_then(|e| marker(e, model.now))
                .or_else(cert)
            {
                Some(m) => format!("{cause} · {m}"),
                None => cause,
            }
        }
        Col::Age => age(model.now, r.since),
        Col::Count => {
            if r.count > 0 {
                r.count.to_string()
            } else {
                String::new()
            }
        }
    }
}

/// Chooses the columns and their widths for `width` terminal columns.
fn layout_columns(model: &Model, rows: &[&FailureRow], width: usize) -> Vec<(Col, usize)> {
    let fleet = model.is_fleet();
    let mut cols: Vec<(Col, usize)> = Col::ALL
        .iter()
        // CLUSTER first, in a fleet only.
        .filter(|&&c| fleet || c != Col::Cluster)
        .map(|&c| {
            let content = rows
                .iter()
                .map(|r| cell(model, r, c).width())
                .max()
                .unwrap_or(0);
            let header = c.header().width() + usize::from(c.is_sorted_by(model.home.sort));
            (c, content.max(header).clamp(c.min(), c.max()))
        })
        .collect();
    // Narrow terminals: drop the least useful columns rather than squeeze all.
    for (victim, below) in Col::drop_order() {
        if width < below {
            cols.retain(|(c, _)| *c != victim);
        }
    }
    // Shrink the widest shrinkable column one step at a time.
    while total(&cols) > width {
        let any_first = cols.iter().any(|(c, w)| *w > c.min() && !c.shrinks_last());
        let Some(widest) = cols
            .iter_mut()
            .filter(|(c, w)| *w > c.min() && (c.shrinks_last() != any_first))
            .max_by_key(|(c, w)| (*w - c.min(), *w))
        else {
            break;
        };
        widest.1 -= 1;
    }
    // Give spare room to the last column so the highlight spans the line.
    let t = total(&cols);
    if t < width
        && let Some(last) = cols.last_mut()
    {
        last.1 += width - t;
    }
    cols
}

fn total(cols: &[(Col, usize)]) -> usize {
    cols.iter().map(|(_, w)| w).sum::<usize>() + cols.len().saturating_sub(1)
}

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let notice_h = u16::from(model.notice.is_some());
    let [status, summary, table, detail, notice, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(model.summary_height()),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(notice_h),
        Constraint::Length(1),
    ]));
    render_status(model, theme, frame, status);
    render_summary(model, theme, frame, summary);
    render_table(model, theme, frame, table);
    render_detail(model, theme, frame, detail);
    if let Some(n) = &model.notice {
        let style = if n.warning {
            theme.warning()
        } else {
            Style::new()
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                truncate(&format!(" {}", n.text), notice.width as usize),
                style,
            ))),
            notice,
        );
    }
    render_footer(model, theme, frame, footer);
}

fn render_table(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let h = &model.home;
    if h.items.is_empty() {
        render_empty(model, theme, frame, area);
        return;
    }
    let body_h = area.height.saturating_sub(1) as usize;
    let offset = if h.cursor >= h.offset + body_h {
        h.cursor + 1 - body_h
    } else {
        h.offset
    };
    let visible: Vec<&Item> = h.items.iter().skip(offset).take(body_h).collect();
    let rows: Vec<&FailureRow> = visible
        .iter()
        .filter_map(|it| match it {
            Item::Row(i) => h.rows.get(*i).map(|r| &**r),
            Item::Group { .. } => None,
        })
        .collect();
    let width = area.width as usize;
    let cols = layout_columns(model, &rows, width);

    let mut lines: Vec<Line> = Vec::with_capacity(body_h + 1);
    let mut header = table_header(model, &cols, theme);
    // Not live: the rows are dimmed and the header says since when.
    let stale = model.is_stale();
    if stale {
        header = mark_stale(model, header, width, theme);
    }
    lines.push(Line::from(header));
    for (n, it) in visible.iter().enumerate() {
        let idx = offset + n;
        match it {
            Item::Group { label, count } => {
                let text = format!("▾ {} {label}  ×{count}", model.home.grouping.label());
                lines.push(Line::from(Span::styled(
                    truncate(&text, width),
                    theme.group(),
                )));
            }
            Item::Row(i) => {
                let Some(r) = h.rows.get(*i) else { continue };
                let mut line = row_line(model, r, &cols, theme);
                if stale && model.row_stale(r) {
                    line = line.patch_style(theme.dim());
                }
                if idx == h.cursor {
                    line = line.patch_style(theme.selected());
                }
                lines.push(line);
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The column names, the sorted one with its direction.
fn table_header(model: &Model, cols: &[(Col, usize)], theme: &Theme) -> Vec<Span<'static>> {
    let h = &model.home;
    cols.iter()
        .enumerate()
        .flat_map(|(i, (c, w))| {
            let mut label = c.header().to_string();
            if c.is_sorted_by(h.sort) {
                label.push(if h.reverse { '↑' } else { '↓' });
            }
            let sep = if i == 0 { "" } else { " " };
            [
                Span::raw(sep),
                Span::styled(format!("{:<w$}", truncate(&label, *w)), theme.header()),
            ]
        })
        .collect()
}

/// The header with the STALE marker (and since when) at its right end;
/// the column names under it go.
fn mark_stale(
    model: &Model,
    header: Vec<Span<'static>>,
    width: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let mut header = header;
    let used: usize = header.iter().map(|s| s.content.width()).sum();
    // A fleet names the stale clusters (the oldest word first).
    let (names, last) = match model.is_fleet() {
        true => {
            let stale: Vec<_> = model.stale_clusters().collect();
            let names: Vec<&str> = stale.iter().map(|c| c.name()).collect();
            let last = stale.iter().filter_map(|c| c.last_event).min();
            (format!(" {}", names.join(", ")), last)
        }
        false => (String::new(), model.cluster().last_event),
    };
    let since = last
        .map(|t| format!(" STALE{names} · as of {} ago ", age(model.now, Some(t))))
        .unwrap_or_else(|| format!(" STALE{names} "));
    let since_w = since.width();
    if used + since_w < width {
        header.push(Span::raw(" ".repeat(width - used - since_w)));
        header.push(Span::styled(since, theme.error()));
        return header;
    }
    let room = width.saturating_sub(since_w);
    let mut kept: Vec<Span> = Vec::with_capacity(header.len() + 1);
    let mut w = 0;
    for sp in header {
        let sw = sp.content.width();
        if w + sw <= room {
            w += sw;
            kept.push(sp);
        } else {
            let cut = clip(&sp.content, room - w).to_string();
            w += cut.width();
            kept.push(Span::styled(cut, sp.style));
            break;
        }
    }
    kept.push(Span::raw(" ".repeat(room.saturating_sub(w))));
    kept.push(Span::styled(since, theme.error()));
    kept
}

/// One failing row's cells at the columns' widths.
fn row_line(model: &Model, r: &FailureRow, cols: &[(Col, usize)], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::with_capacity(cols.len() * 2);
    for (k, (c, w)) in cols.iter().enumerate() {
        if k > 0 {
            spans.push(Span::raw(" "));
        }
        let content = cell(model, r, *c);
        // Pod names differ at the end (replica hashes), context names
        // often too (regions): cut the middle.
        let cut = if matches!(c, Col::Pod | Col::Cluster) {
            truncate_middle(&content, *w)
        } else {
            truncate(&content, *w)
        };
        let text = format!("{cut:<w$}");
        let style = match c {
            Col::Cause => theme.category(r.category),
            Col::Reason => theme.reason(),
            Col::Age | Col::Count => theme.dim(),
            _ => Style::new(),
        };
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// One line about the selected row: its image and the innermost cause.
fn render_detail(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(r) = model.home.selected_row() else {
        return;
    };
    let width = area.width as usize;
    let head = format!(" ▸ {} ", r.image);
    let (text, style, tail) = match r.cause_source {
        CauseSource::Missing => (
            "no cause yet: no Failed event for this container (expired, or not seen yet)"
                .to_string(),
            theme.dim(),
            "",
        ),
        CauseSource::Event => (
            r.cause.clone(),
            theme.category(r.category),
            "  (from the latest Failed event)",
        ),
        CauseSource::Status => (r.cause.clone(), theme.category(r.category), ""),
    };
    let text = if text.is_empty() {
        r.message.clone()
    } else {
        text
    };
    // An expired (or soon expiring) credential in force comes first.
    let (text, style) = match model.home.cred.get(&r.key()) {
        Some(e) => (
            format!(
                "pull secret {}: {} — {text}",
                e.secret,
                e.expiry.describe(model.now)
            ),
            if e.expiry.expired_at(model.now) {
                theme.error()
            } else {
                style
            },
        ),
        None => (text, style),
    };
    let head = truncate(&head, width / 2);
    let rest = width.saturating_sub(head.width());
    let text = truncate(&text, rest);
    let tail = truncate(tail, rest.saturating_sub(text.width()));
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(head, theme.dim()),
            Span::styled(text, style),
            Span::styled(tail, theme.dim()),
        ])),
        area,
    );
}

/// A fleet with no row to show: one line per cluster, how it stands.
fn fleet_empty(model: &Model, theme: &Theme) -> (Style, Vec<String>) {
    use crate::app::cluster::ClusterState;
    if !model.home.filter.is_empty() && !model.home.rows.is_empty() {
        return (
            theme.dim(),
            vec![format!(
                "No row matches the filter \"{}\" ({} failing rows hidden).",
                model.home.filter,
                model.home.rows.len()
            )],
        );
    }
    let all_live = model.clusters.iter().all(|c| c.state().healthy());
    let mut text = vec![if all_live {
        format!(
            "✓ No pod is failing to pull its image in {} clusters ({} pods watched).",
            model.clusters.len(),
            super::statusbar::group_digits(model.pod_count())
        )
    } else {
        "No failing pod in the clusters that answer:".to_string()
    }];
    text.push(String::new());
    for c in &model.clusters {
        let state = c.state();
        let why = match (&c.conn, state) {
            (ConnState::Failed(e) | ConnState::Reconnecting(e), s) if !s.healthy() => {
                format!(": {e}")
            }
            (_, ClusterState::Live | ClusterState::Forbidden) => format!(
                ", {} pods in {}",
                super::statusbar::group_digits(c.inventory.pod_count()),
                c.scope
            ),
            _ => String::new(),
        };
        text.push(format!(
            "{} {} {}{why}",
            state.symbol(),
            c.name(),
            state.label()
        ));
    }
    let style = if all_live { theme.ok() } else { theme.dim() };
    (style, text)
}

fn render_empty(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ctx = model
        .cluster()
        .context_name()
        .unwrap_or("the current context");
    let resync = model.keymap.label(Intent::Resync);
    let palette = model.keymap.label(Intent::Palette);
    let (style, text): (Style, Vec<String>) = match &model.cluster().conn {
        _ if model.is_fleet() => fleet_empty(model, theme),
        ConnState::Connecting => (theme.dim(), vec![format!("Connecting to {ctx}…")]),
        ConnState::Failed(e) => (
            theme.error(),
            vec![
                format!("Cannot connect to {ctx}."),
                String::new(),
                e.clone(),
                String::new(),
                format!("{resync}: retry   {palette}: switch context"),
            ],
        ),
        ConnState::Syncing => (
            theme.dim(),
            vec![format!("Listing pods in {}…", model.cluster().scope)],
        ),
        ConnState::Reconnecting(e) if !model.cluster().inventory.synced => (
            theme.error(),
            vec![
                format!(
                    "Cannot list pods in {} of {ctx}; retrying.",
                    model.cluster().scope
                ),
                String::new(),
                e.clone(),
            ],
        ),
        _ if !model.home.filter.is_empty() && !model.home.rows.is_empty() => (
            theme.dim(),
            vec![format!(
                "No row matches the filter \"{}\" ({} failing rows hidden).",
                model.home.filter,
                model.home.rows.len()
            )],
        ),
        _ if model.is_stale() => (
            theme.dim(),
            vec![
                format!(
                    "No pod was failing to pull its image {} ({} pods in {}).",
                    model
                        .cluster()
                        .last_event
                        .map(|t| format!(
                            "{} ago, when the watch last spoke",
                            age(model.now, Some(t))
                        ))
                        .unwrap_or_else(|| "when the watch last spoke".to_string()),
                    super::statusbar::group_digits(model.cluster().inventory.pod_count()),
                    model.cluster().scope
                ),
                String::new(),
                match &model.cluster().conn {
                    ConnState::Reconnecting(e) => format!("Reconnecting: {e}"),
                    _ => "Reading everything again…".to_string(),
                },
            ],
        ),
        _ => (
            theme.ok(),
            vec![format!(
                "✓ No pod is failing to pull its image ({} pods watched in {}).",
                super::statusbar::group_digits(model.cluster().inventory.pod_count()),
                model.cluster().scope
            )],
        ),
    };
    let lines: Vec<Line> = text
        .into_iter()
        .map(|t| Line::from(Span::styled(t, style)))
        .collect();
    let h = lines.len() as u16;
    let top = area.height.saturating_sub(h) / 3;
    let inner = Rect {
        x: area.x + 1,
        y: area.y + top,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(top),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .alignment(ratatui::layout::Alignment::Center),
        inner,
    );
}

fn render_footer(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let h = &model.home;
    let width = area.width as usize;
    let line = if h.filter_editing {
        Line::from(vec![
            Span::styled(" / ", theme.key()),
            Span::raw(h.filter.clone()),
            Span::styled("▏", theme.key()),
            Span::styled(
                format!(
                    "   {} of {} rows   Enter keep  Esc clear",
                    h.shown,
                    h.rows.len()
                ),
                theme.dim(),
            ),
        ])
    } else {
        let mut spans = Vec::new();
        if !h.filter.is_empty() {
            spans.push(Span::styled(
                format!(" filter \"{}\" ", h.filter),
                theme.warning(),
            ));
            spans.push(Span::styled(
                format!("{}/{} ", h.shown, h.rows.len()),
                theme.dim(),
            ));
        }
        if h.grouping != crate::app::home::Grouping::None {
            spans.push(Span::styled(
                format!(" group: {} ", h.grouping.label()),
                theme.dim(),
            ));
        }
        let mut used: usize = spans.iter().map(|s| s.content.width()).sum();
        // The timeline's key once there is a journal to show.
        let journal = !model.lanes.is_empty();
        for intent in [
            Intent::Filter,
            Intent::Group,
            Intent::Sort,
            Intent::Namespace,
            Intent::Open,
            Intent::Timeline,
            Intent::Palette,
            Intent::Help,
            Intent::Quit,
            Intent::Annotate,
            Intent::Credential,
            Intent::Image,
            Intent::Kick,
            Intent::Resync,
        ] {
            if (intent.mutates() && model.actions.read_only)
                || (intent == Intent::Timeline && !journal)
            {
                continue;
            }
            let (Some(k), Some(hint)) = (model.keymap.first(intent), intent.hint()) else {
                continue;
            };
            let key = format!(" {k}");
            let label = format!(" {hint} ");
            if used + key.width() + label.width() > width {
                break;
            }
            used += key.width() + label.width();
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::raw(label));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}
