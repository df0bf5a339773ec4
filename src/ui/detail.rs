//! The pod detail screen: the status bar, the document built by
//! `app::detail` (tags mapped to the theme's styles) from the scroll
//! position, and a footer with the screen's keys and the scroll position.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::Theme;
use super::statusbar::render_status;
use crate::app::Model;
use crate::app::detail::{DocLine, Tag};
use crate::app::keymap::Intent;

pub fn style(theme: &Theme, tag: Tag) -> Style {
    match tag {
        Tag::Plain => Style::new(),
        Tag::Dim => theme.dim(),
        Tag::Title | Tag::Label => theme.title(),
        Tag::Good => theme.ok(),
        Tag::Bad => theme.error(),
        Tag::Unsure | Tag::Warning => theme.warning(),
        Tag::Category(c) => theme.category(c),
        // In place in the message: colour, and bold + underline + reverse,
        // which survive NO_COLOR.
        Tag::Cause(c) => theme
            .category(c)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::REVERSED),
        Tag::Reason => theme.reason(),
    }
}

fn to_line(theme: &Theme, l: &DocLine) -> Line<'static> {
    Line::from(
        l.iter()
            .map(|s| Span::styled(s.text.clone(), style(theme, s.tag)))
            .collect::<Vec<_>>(),
    )
}

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [status, body, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ]));
    render_status(model, theme, frame, status);
    let Some(d) = &model.detail else {
        return;
    };
    let doc = d.document(model.now, body.width as usize);
    let vp = body.height as usize;
    let max = doc.len().saturating_sub(vp);
    let scroll = d.scroll.min(max);
    let lines: Vec<Line> = doc
        .iter()
        .skip(scroll)
        .take(vp)
        .map(|l| to_line(theme, l))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    render_footer(model, theme, frame, footer, scroll, doc.len(), vp);
}

fn render_footer(
    model: &Model,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    scroll: usize,
    total: usize,
    vp: usize,
) {
    let width = area.width as usize;
    let several = model.detail.as_ref().is_some_and(|d| d.rows.len() > 1);
    let mut hints: Vec<(String, &str)> = Vec::new();
    let first = |i: Intent| model.keymap.first(i).map(|k| k.to_string());
    if let Some(k) = first(Intent::Back) {
        hints.push((k, "back"));
    }
    if let (Some(u), Some(d)) = (first(Intent::Up), first(Intent::Down)) {
        hints.push((format!("{u}{d}"), "scroll"));
    }
    let mut rest: Vec<(String, &str)> = Vec::new();
    if several && let Some(k) = first(Intent::NextContainer) {
        rest.push((k, "next container"));
    }
    if let Some(k) = first(Intent::Help) {
        rest.push((k, "help"));
    }
    if let Some(k) = first(Intent::Quit) {
        rest.push((k, "quit"));
    }
    let position = if total > vp {
        let end = (scroll + vp).min(total);
        format!(" lines {}-{end} of {total} ", scroll + 1)
    } else {
        String::new()
    };
    // The fixes and probes that apply to the focused container, between
    // scrolling and help: as many as leave room for help and quit.
    let hint_w = |h: &[(String, &str)]| -> usize {
        h.iter()
            .map(|(k, l)| k.width() + l.width() + 3)
            .sum::<usize>()
    };
    let mut room = width.saturating_sub(position.width() + hint_w(&hints) + hint_w(&rest));
    if let Some(d) = &model.detail {
        for h in d.key_hints(model.actions.read_only) {
            let w = hint_w(std::slice::from_ref(&h));
            if w > room {
                break;
            }
            room -= w;
            hints.push(h);
        }
    }
    hints.extend(rest);
    let (mut spans, used) = super::hint_spans(hints, position.width(), width, theme);
    if !position.is_empty() {
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used))));
        spans.push(Span::styled(position, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
