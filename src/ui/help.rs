//! The help overlay: every key of the current screen, generated from the
//! keymap (so rebound keys show as bound), the keys of text inputs, and the
//! legend of cause colours.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Theme, centered};
use crate::app::keymap::Intent;
use crate::app::text::truncate;
use crate::app::{Model, Screen};
use crate::domain::classify::Category;

/// The help lines (also used by tests to check every key is listed).
pub fn lines(model: &Model, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let screen = model.screen();
    let title = match screen {
        Screen::Home => "Failing pods — keys",
        Screen::Detail => "Pod detail — keys",
        Screen::Probe => "Registry probe — keys",
        Screen::Timeline => "Timeline — keys",
    };
    out.push(Line::from(Span::styled(title, theme.title())));
    let intents = Intent::on_screen(screen);
    let key_w = intents
        .iter()
        .map(|i| model.keymap.label(*i).chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 16);
    let desc_w = width.saturating_sub(key_w + 3);
    for &intent in intents {
        let keys = model.keymap.label(intent);
        let desc = intent.describe_on(screen);
        let desc = if intent.mutates() && model.actions.read_only {
            format!("disabled (--read-only): {desc}")
        } else if intent.mutates() && model.actions.replay {
            format!("{desc} (replay: preview only, nothing is sent)")
        } else {
            desc.to_string()
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {:<key_w$} ", truncate(&keys, key_w)), theme.key()),
            Span::raw(truncate(&desc, desc_w)),
        ]));
    }
    if model.actions.read_only {
        out.push(Line::from(Span::styled(
            " read-only mode: started with --read-only, pulltui changes nothing in the cluster",
            theme.warning(),
        )));
    } else if model.actions.dry_run {
        out.push(Line::from(Span::styled(
            " dry-run mode: fixes are sent with dryRun=All; the server validates, nothing is persisted",
            theme.warning(),
        )));
    }
    if screen == Screen::Home {
        section(
            &mut out,
            theme,
            "In the filter and pickers",
            &[
                ("Enter", "keep the filter / choose"),
                ("Tab", "palette: mark a context (several: a fleet)"),
                ("Esc", "clear the filter / close"),
                ("Backspace", "delete a character"),
            ],
            (key_w, desc_w),
        );
    }
    if screen == Screen::Timeline {
        section(
            &mut out,
            theme,
            "Markers",
            &[
                ("j k h l", "lanes and markers, as ↓ ↑ ← →"),
                ("●", "a container's first failure"),
                ("◆", "its cause changed (from → to)"),
                ("○", "it recovered"),
                ("✚", "a fix pulltui applied"),
            ],
            (key_w, desc_w),
        );
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("CAUSE colours", theme.title())));
    let mut legend: Vec<Span> = vec![Span::raw(" ")];
    let mut used = 1;
    let mut seen: Vec<&str> = Vec::new();
    for c in Category::ALL {
        if seen.contains(&c.family()) {
            continue;
        }
        seen.push(c.family());
        let w = c.family().len() + 1;
        if used + w > width && used > 1 {
            out.push(Line::from(std::mem::replace(
                &mut legend,
                vec![Span::raw(" ")],
            )));
            used = 1;
        }
        legend.push(Span::styled(c.family().to_string(), theme.category(c)));
        legend.push(Span::raw(" "));
        used += w;
    }
    out.push(Line::from(legend));
    out
}

/// A titled block of fixed key rows, after a blank line.
fn section(
    out: &mut Vec<Line<'static>>,
    theme: &Theme,
    title: &'static str,
    rows: &[(&str, &str)],
    (key_w, desc_w): (usize, usize),
) {
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(title, theme.title())));
    for (k, d) in rows {
        out.push(Line::from(vec![
            Span::styled(format!(" {k:<key_w$} "), theme.key()),
            Span::raw(truncate(d, desc_w)),
        ]));
    }
}

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = area.width.saturating_sub(4).min(72);
    let body = lines(model, theme, w.saturating_sub(2) as usize);
    let h = (body.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let title = format!(" help — {} closes ", model.keymap.label(Intent::Help));
    frame.render_widget(
        Paragraph::new(body).block(Block::bordered().title(title)),
        r,
    );
}
