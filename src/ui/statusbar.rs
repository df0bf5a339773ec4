//! The top status bar (context, scope, sync state with the age of the last
//! event, counts) and the summary bar (failures by registry × category).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, age};
use crate::app::cluster::ClusterState;
use crate::app::home::{SUMMARY_SEP, summary_lines};
use crate::app::keymap::Intent;
use crate::app::text::truncate;
use crate::app::{ConnState, Model, ReplayBanner};

pub fn render_status(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let full = status_spans(model, theme, area.width as usize, false);
    let used: usize = full.iter().map(|s| s.content.width()).sum();
    let spans = if used > area.width as usize {
        status_spans(model, theme, area.width as usize, true)
    } else {
        full
    };
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}

/// " (last event 42s ago)": how old what the screen shows is.
fn last_event(model: &Model, compact: bool) -> String {
    match model.cluster().last_event {
        Some(t) if compact => format!(" ({} ago)", age(model.now, Some(t))),
        Some(t) => format!(" (last event {} ago)", age(model.now, Some(t))),
        None => String::new(),
    }
}

/// A fleet's clusters, each with how it stands: `fleet-a ● · fleet-b ↻
/// reconnecting · fleet-c ● forbidden (ns scoped)`; `compact`: names and
/// symbols only.
fn cluster_strip(model: &Model, theme: &Theme, compact: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, c) in model.clusters.iter().enumerate() {
        spans.push(Span::raw(if i == 0 { " " } else { " · " }));
        // Narrow: context names lose their middle (regions differ at the end).
        let name = match compact {
            true => crate::app::text::truncate_middle(c.name(), 14),
            false => c.name().to_string(),
        };
        spans.push(Span::styled(name, theme.title()));
        let state = c.state();
        let style = match state {
            ClusterState::Live | ClusterState::Forbidden => theme.ok(),
            ClusterState::Connecting | ClusterState::Syncing => theme.warning(),
            _ => theme.error(),
        };
        let text = match (state, &c.fallback) {
            // A recording: what was recorded, not a live state.
            (ClusterState::Live, _) if model.replay.is_some() => "⏺".to_string(),
            _ if compact => state.symbol().to_string(),
            (ClusterState::Live, _) => state.symbol().to_string(),
            (ClusterState::Forbidden, Some(ns)) => {
                format!("{} forbidden (ns {ns})", state.symbol())
            }
            _ => format!("{} {}", state.symbol(), state.label()),
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(text, style));
    }
    spans
}

/// The one cluster's connection: its symbol, its words, their style.
fn connection(model: &Model, theme: &Theme, compact: bool) -> (&'static str, String, Style) {
    let (dot, state, style) = match &model.cluster().conn {
        ConnState::Connecting => ("◌", "connecting".to_string(), theme.warning()),
        ConnState::Syncing if model.is_stale() => (
            "◌",
            format!("resyncing{}", last_event(model, compact)),
            theme.warning(),
        ),
        ConnState::Syncing => ("◌", "syncing".to_string(), theme.warning()),
        ConnState::Live => {
            let since = model
                .cluster()
                .last_event
                .map(|t| {
                    let a = age(model.now, Some(t));
                    if compact {
                        format!(" ({a} ago)")
                    } else {
                        format!(" (event {a} ago)")
                    }
                })
                .unwrap_or_default();
            ("●", format!("live{since}"), theme.ok())
        }
        ConnState::Reconnecting(_) => (
            "↻",
            format!("reconnecting{}", last_event(model, compact)),
            theme.error(),
        ),
        ConnState::Failed(_) => ("✕", "not connected".to_string(), theme.error()),
    };
    // A recording is never shown as live.
    match (&model.replay, &model.cluster().conn) {
        (Some(r), ConnState::Live) => ("⏺", replay_text(r, compact), theme.warning()),
        _ => (dot, state, style),
    }
}

/// A recording's banner: when it was captured (and, wide, its file).
fn replay_text(r: &ReplayBanner, compact: bool) -> String {
    let at = r.captured_at.strftime("%Y-%m-%d %H:%M:%SZ").to_string();
    if compact {
        format!("REPLAY {at}")
    } else {
        format!("REPLAY {} · captured {at}", r.file)
    }
}

/// The status bar's spans; `compact` for narrow terminals.
fn status_spans(model: &Model, theme: &Theme, width: usize, compact: bool) -> Vec<Span<'static>> {
    let ctx = model.cluster().name();
    let (dot, state, style) = connection(model, theme, compact);
    let rows = model.home.rows.len();
    let pods = model.failing_pods();
    let counts = if rows == pods {
        format!("{pods} failing of {} pods", group_digits(model.pod_count()))
    } else {
        format!(
            "{pods} failing ({rows} containers) of {} pods",
            group_digits(model.pod_count())
        )
    };
    let help = format!("{} help", model.keymap.label(Intent::Help));
    let mut spans = vec![Span::styled(
        if compact { "" } else { " pulltui " },
        theme.title(),
    )];
    if model.is_fleet() {
        // A recording is never shown as live.
        if let Some(r) = &model.replay {
            spans.push(Span::styled(
                format!(" ⏺ {} ", replay_text(r, compact)),
                theme.warning(),
            ));
        }
        spans.extend(cluster_strip(model, theme, compact));
    } else {
        spans.extend([
            Span::raw(" ctx "),
            Span::styled(ctx.to_string(), theme.title()),
            Span::raw("  "),
            Span::raw(model.cluster().scope.to_string()),
            Span::raw("  "),
            Span::styled(format!("{dot} {state}"), style),
        ]);
    }
    spans.extend([
        Span::raw(if compact { "  " } else { "   " }),
        Span::raw(counts),
    ]);
    if model.actions.read_only {
        spans.push(Span::styled("  READ-ONLY", theme.warning()));
    } else if model.actions.dry_run {
        spans.push(Span::styled("  DRY-RUN", theme.warning()));
    }
    // The newest follow-up of a fix.
    if let Some(f) = model.actions.following.last() {
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let room = width.saturating_sub(used + 4);
        if room > 12 {
            spans.push(Span::styled(
                format!("  ⟳ {}", truncate(&f.line, room)),
                theme.warning(),
            ));
        }
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    if used + help.width() + 2 <= width {
        spans.push(Span::raw(" ".repeat(width - used - help.width() - 1)));
        spans.push(Span::raw(help));
        spans.push(Span::raw(" "));
    }
    spans
}

pub fn render_summary(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let entries = &model.home.summary;
    if entries.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(" no failures", theme.dim()))),
            area,
        );
        return;
    }
    let (layout, left_out) =
        summary_lines(entries, area.width as usize, area.height.max(1) as usize);
    let n = layout.len();
    let lines: Vec<Line> = layout
        .into_iter()
        .enumerate()
        .map(|(li, idx)| {
            let mut spans = vec![Span::raw(" ")];
            for (k, i) in idx.into_iter().enumerate() {
                let e = &entries[i];
                if k > 0 {
                    spans.push(Span::styled(SUMMARY_SEP, theme.dim()));
                }
                spans.push(Span::styled(e.category.id(), theme.category(e.category)));
                spans.push(Span::raw(format!(
                    " ×{} {}{}",
                    e.count,
                    e.registry,
                    e.clusters_text()
                )));
                if e.spark.is_some() {
                    spans.push(Span::styled(e.spark_text(), theme.category(e.category)));
                }
                if e.upstream.is_some() {
                    spans.push(Span::styled(e.upstream_text(), theme.warning()));
                }
            }
            if li + 1 == n && left_out > 0 {
                spans.push(Span::styled(format!("  … +{left_out} more"), theme.dim()));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// `10030` → `10,030`.
pub fn group_digits(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_digits() {
        assert_eq!(super::group_digits(10030), "10,030");
        assert_eq!(super::group_digits(999), "999");
        assert_eq!(super::group_digits(1_000_000), "1,000,000");
    }
}
