//! The timeline screen: the status bar, the window, one lane per registry ×
//! cause (× cluster) — its label, a sparkline of the failing count over the
//! window, first and last seen and the count now, and under it a row of
//! markers — then the selected marker's story and the footer. Only the
//! visible lanes are drawn; the lanes themselves come computed
//! (`app::timeline`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::statusbar::render_status;
use super::{Theme, age, wrap_lines};
use crate::app::Model;
use crate::app::keymap::Intent;
use crate::app::text::{Flow, clip, truncate};
use crate::app::timeline::{DETAIL_LINES, LANE_LINES, Marker, MarkerKind, TimeLane, Timeline};
use crate::domain::classify::Category;
use crate::domain::journal::{Lane, sparkline};

/// The sentence of an empty journal.
pub const EMPTY: &str =
    "No journal yet: pulltui records one while the console or `pulltui watch` runs.";

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [status, header, body, detail, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(DETAIL_LINES),
        Constraint::Length(1),
    ]));
    render_status(model, theme, frame, status);
    render_footer(model, theme, frame, footer);
    let Some(t) = &model.timeline else {
        return;
    };
    render_header(model, t, theme, frame, header);
    if t.lanes.is_empty() {
        let top = body.height / 3;
        let inner = Rect {
            y: body.y + top,
            height: body.height.saturating_sub(top),
            ..body
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(EMPTY, theme.dim())))
                .wrap(Wrap { trim: false })
                .alignment(ratatui::layout::Alignment::Center),
            inner,
        );
        return;
    }
    render_lanes(model, t, theme, frame, body);
    render_detail(model, t, theme, frame, detail);
}

/// `09:41` for windows up to a day, `05-01 09:41` beyond.
fn clock(t: jiff::Timestamp, long: bool) -> String {
    match long {
        true => t.strftime("%m-%d %H:%M").to_string(),
        false => t.strftime("%H:%M").to_string(),
    }
}

fn long_window(t: &Timeline) -> bool {
    t.zoom + 1 >= crate::app::timeline::SPANS.len()
}

fn render_header(model: &Model, t: &Timeline, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (from, to) = t.window(model.now);
    let long = long_window(t);
    let first = |i: Intent| model.keymap.first(i).map(|k| k.to_string());
    let zoom = match (first(Intent::ZoomIn), first(Intent::ZoomOut)) {
        (Some(i), Some(o)) => format!("{i} / {o} zoom"),
        _ => String::new(),
    };
    let lanes = match t.lanes.len() {
        1 => "1 lane".to_string(),
        n => format!("{n} lanes"),
    };
    let text = format!(
        " last {} · {}–{} UTC · {lanes} · ",
        t.span_label(),
        clock(from, long),
        clock(to, long)
    );
    let width = area.width as usize;
    let mut spans = vec![Span::styled(truncate(&text, width), theme.title())];
    let used = spans[0].content.width();
    spans.push(Span::styled(
        truncate(&zoom, width.saturating_sub(used)),
        theme.dim(),
    ));
    let legend = "  ● failing ◆ cause ○ recovered ✚ fix ▲ changed";
    let used = used + zoom.width();
    if used + legend.width() <= width {
        spans.push(Span::styled(legend, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `cause registry` (and `· context` in a fleet), in `width` columns:
/// the group gives way before the context.
fn label(model: &Model, l: &TimeLane, width: usize) -> String {
    let g = l.group.label();
    match (model.is_fleet(), model.clusters.get(l.cluster)) {
        (true, Some(c)) => {
            let ctx = truncate(c.name(), width / 2);
            let room = width.saturating_sub(ctx.width() + 3);
            format!("{} · {ctx}", truncate(&g, room))
        }
        _ => truncate(&g, width),
    }
}

fn stats(lane: &Lane, long: bool) -> String {
    format!(
        "first {}  last {}  now {}",
        clock(lane.first, long),
        clock(lane.last, long),
        lane.now
    )
}

fn category_style(theme: &Theme, cause: &str) -> Style {
    Category::from_id(cause).map_or(Style::new(), |c| theme.category(c))
}

fn render_lanes(model: &Model, t: &Timeline, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let vp = (area.height as usize / LANE_LINES).max(1);
    let offset = if t.selected >= t.offset + vp {
        t.selected + 1 - vp
    } else {
        t.offset.min(t.selected)
    };
    let visible: Vec<(usize, &TimeLane)> =
        t.lanes.iter().enumerate().skip(offset).take(vp).collect();
    let lane_of = |l: &TimeLane| {
        model
            .lanes
            .clusters
            .get(l.cluster)
            .and_then(|ls| ls.get(l.lane))
    };
    let long = long_window(t);
    let label_w = visible
        .iter()
        .map(|(_, l)| label(model, l, usize::MAX).width())
        .max()
        .unwrap_or(0)
        .clamp(12, 48)
        .min(width * 2 / 5);
    let stats_w = visible
        .iter()
        .filter_map(|(_, l)| lane_of(l).map(|x| stats(x, long).width()))
        .max()
        .unwrap_or(0);
    // `▸ ` + label, a space, the sparkline, two spaces, the stats.
    let spark_w = width.saturating_sub(2 + label_w + 1 + 2 + stats_w).max(8);
    let (from, to) = t.window(model.now);
    let mut lines = Vec::with_capacity(vp * LANE_LINES);
    for (i, l) in visible {
        let selected = i == t.selected;
        let Some(lane) = lane_of(l) else { continue };
        let style = category_style(theme, &l.group.cause);
        let head = if selected { "▸ " } else { "  " };
        let name = format!("{:<label_w$}", label(model, l, label_w));
        let name_style = match selected {
            true => theme.selected(),
            false => Style::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(head, theme.key()),
            Span::styled(name, name_style),
            Span::raw(" "),
            Span::styled(sparkline(&lane.series, from, to, spark_w), style),
            Span::raw("  "),
            Span::styled(
                truncate(
                    &stats(lane, long),
                    width.saturating_sub(spark_w + label_w + 5),
                ),
                theme.dim(),
            ),
        ]));
        let range = t.in_window(i, model.now);
        let chosen = match selected {
            true => t.selected_marker(),
            false => None,
        };
        let mut row = marker_row(&l.markers[range], from, to, spark_w, chosen, theme);
        row.insert(0, Span::raw(" ".repeat(2 + label_w + 1)));
        lines.push(Line::from(row));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The markers in cells of the window: in each, the weightiest; the
/// selected marker's cell reversed.
fn marker_row(
    markers: &[Marker],
    from: jiff::Timestamp,
    to: jiff::Timestamp,
    width: usize,
    chosen: Option<Marker>,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let span = (to.as_millisecond() - from.as_millisecond()).max(1);
    let cell = |at: jiff::Timestamp| {
        let x = (at.as_millisecond() - from.as_millisecond()).max(0) as i128 * width as i128
            / span as i128;
        (x as usize).min(width.saturating_sub(1))
    };
    let mut cells: Vec<Option<MarkerKind>> = vec![None; width];
    for m in markers {
        let c = &mut cells[cell(m.at)];
        if c.is_none_or(|k| k.weight() < m.kind.weight()) {
            *c = Some(m.kind);
        }
    }
    let chosen_cell = chosen.map(|m| (cell(m.at), m.kind));
    cells
        .into_iter()
        .enumerate()
        .map(|(x, k)| match (k, chosen_cell) {
            (_, Some((cx, kind))) if cx == x => Span::styled(
                kind.glyph().to_string(),
                theme.selected().add_modifier(Modifier::BOLD),
            ),
            (Some(k), _) => Span::styled(k.glyph().to_string(), marker_style(theme, k)),
            (None, _) => Span::raw(" "),
        })
        .collect()
}

fn marker_style(theme: &Theme, k: MarkerKind) -> Style {
    match k {
        MarkerKind::Failing => theme.error(),
        MarkerKind::Cause => theme.warning(),
        MarkerKind::Recovered => theme.ok(),
        MarkerKind::Fix => theme.key(),
        MarkerKind::Change => theme.warning().add_modifier(Modifier::BOLD),
    }
}

/// The detail's rule: the lane, and which marker (or how many are in the
/// window).
fn detail_title(model: &Model, t: &Timeline, l: &TimeLane, width: usize) -> String {
    let range = t.in_window(t.selected, model.now);
    let position = match t.marker {
        Some(m) if range.contains(&m) => {
            format!(" marker {} of {} ", m - range.start + 1, range.len())
        }
        _ => format!(" {} markers in the window ", range.len()),
    };
    let title = format!("── {}{position}", label(model, l, width / 2));
    format!(
        "{}{}",
        truncate(&title, width),
        "─".repeat(width.saturating_sub(title.width()))
    )
}

/// The evidence (or a fix's result), word-wrapped into `room` lines, the
/// last cut with "…" when it does not fit.
fn evidence_lines(
    label: &str,
    e: String,
    theme: &Theme,
    width: usize,
    room: usize,
) -> Vec<Line<'static>> {
    let text = Line::from(vec![
        Span::styled(format!(" {label:<10}"), theme.title()),
        Span::styled(e, theme.dim()),
    ]);
    let mut wrapped = wrap_lines(vec![text], Flow::words(11), width);
    if wrapped.len() > room {
        wrapped.truncate(room);
        if let Some(last) = wrapped.last_mut() {
            let used: usize = last.spans.iter().map(|s| s.content.width()).sum();
            if used + 1 > width
                && let Some(sp) = last.spans.last_mut()
            {
                let keep = sp.content.width().saturating_sub(used + 1 - width);
                sp.content = clip(&sp.content, keep).to_string().into();
            }
            last.spans.push(Span::styled("…", theme.dim()));
        }
    }
    wrapped
}

fn render_detail(model: &Model, t: &Timeline, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let long = long_window(t);
    let Some(l) = t.lanes.get(t.selected) else {
        return;
    };
    let title = detail_title(model, t, l, width);
    let mut lines = vec![Line::from(Span::styled(title, theme.dim()))];
    // One line each (cut), but the evidence, which wraps into the rest.
    let field = |name: &str, value: String, style: Style| {
        Line::from(vec![
            Span::styled(format!(" {name:<10}"), theme.title()),
            Span::styled(truncate(&value, width.saturating_sub(11)), style),
        ])
    };
    let mut evidence = None;
    let mut evidence_label = "evidence";
    match crate::app::timeline::detail(model) {
        Some(d) => {
            let when = format!(
                "{} ({} ago)",
                d.at.strftime(if long {
                    "%Y-%m-%d %H:%M:%SZ"
                } else {
                    "%H:%M:%SZ"
                }),
                age(model.now, Some(d.at))
            );
            let head = format!(" {} ", d.kind.glyph());
            let kind = d.kind.label().to_string();
            let when = format!(" · {when} · ");
            let room = width.saturating_sub(head.width() + kind.width() + when.width());
            lines.push(Line::from(vec![
                Span::styled(head, marker_style(theme, d.kind)),
                Span::styled(kind, theme.title()),
                Span::raw(when),
                Span::styled(
                    truncate(&d.what, room),
                    category_style(theme, &l.group.cause),
                ),
            ]));
            if let Some(c) = d.container {
                let w = d.workload.map(|w| format!("  ({w})")).unwrap_or_default();
                lines.push(field("container", format!("{c}{w}"), Style::new()));
            }
            if let Some(i) = d.image {
                lines.push(field("image", i, Style::new()));
            }
            if let Some(o) = d.object {
                lines.push(field("object", o, Style::new()));
            }
            evidence = d.evidence;
            match d.kind {
                MarkerKind::Fix => evidence_label = "result",
                MarkerKind::Change => evidence_label = "fits",
                _ => {}
            }
        }
        None => {
            if let Some(lane) = model
                .lanes
                .clusters
                .get(l.cluster)
                .and_then(|ls| ls.get(l.lane))
            {
                lines.push(field(
                    "seen",
                    format!(
                        "{}; peak {}, {} containers in all",
                        stats(lane, true),
                        lane.peak,
                        lane.subjects
                    ),
                    Style::new(),
                ));
                if !lane.evidence.is_empty() {
                    evidence = Some(lane.evidence.clone());
                }
            }
            lines.push(Line::from(Span::styled(
                truncate(
                    " no marker of this lane in the window: zoom out to see earlier ones",
                    width,
                ),
                theme.dim(),
            )));
        }
    }
    let h = area.height as usize;
    if let Some(e) = evidence {
        let room = h.saturating_sub(lines.len()).max(1);
        lines.extend(evidence_lines(evidence_label, e, theme, width, room));
    }
    lines.truncate(h);
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_footer(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let k = |i: Intent| model.keymap.first(i).map(|k| k.to_string());
    let mut hints: Vec<(String, &str)> = Vec::new();
    if let Some(b) = k(Intent::Back) {
        hints.push((b, "back"));
    }
    if let (Some(u), Some(d)) = (k(Intent::Up), k(Intent::Down)) {
        hints.push((format!("{u}{d}"), "lane"));
    }
    if let (Some(p), Some(n)) = (k(Intent::PrevMarker), k(Intent::NextMarker)) {
        hints.push((format!("{p}{n}"), "marker"));
    }
    if let (Some(i), Some(o)) = (k(Intent::ZoomIn), k(Intent::ZoomOut)) {
        hints.push((format!("{i}/{o}"), "zoom"));
    }
    for (i, label) in [(Intent::Help, "help"), (Intent::Quit, "quit")] {
        if let Some(key) = k(i) {
            hints.push((key, label));
        }
    }
    let (spans, _) = super::hint_spans(hints, 0, width, theme);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
