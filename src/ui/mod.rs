//! Rendering: `render(&Model, &Theme, &mut Frame)` draws the screen stack
//! and overlays from the model; no side effects, no state of its own.

pub mod action;
pub mod detail;
pub mod help;
pub mod home;
pub mod palette;
pub mod probe;
pub mod statusbar;
pub mod theme;
pub mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::text::{Flow, Seg, seg, wrap};
use crate::app::{Model, Overlay, Screen};
pub use theme::Theme;

/// Draws the whole UI. The model must be settled (`Model::settle`).
pub fn render(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    match model.screen() {
        Screen::Home => home::render(model, theme, frame, area),
        Screen::Detail => detail::render(model, theme, frame, area),
        Screen::Probe => probe::render_screen(model, theme, frame, area),
        Screen::Timeline => timeline::render(model, theme, frame, area),
    }
    match &model.overlay {
        Some(Overlay::Help) => help::render(model, theme, frame, area),
        Some(Overlay::Picker(p)) => palette::render(p, theme, frame, area),
        None => {}
    }
    action::render_toasts(model, theme, frame, area);
    action::render(model, theme, frame, area);
}

pub use crate::domain::clock::age;

/// A box of at most `w`×`h` in the middle of `area`.
/// Key hints as ` key label ` spans, as many as fit in `width` after
/// `used` columns (the first that does not fit ends them); the columns
/// used then.
pub fn hint_spans<K: AsRef<str>, L: AsRef<str>>(
    hints: impl IntoIterator<Item = (K, L)>,
    mut used: usize,
    width: usize,
    theme: &Theme,
) -> (Vec<Span<'static>>, usize) {
    use unicode_width::UnicodeWidthStr;
    let mut spans = Vec::new();
    for (k, label) in hints {
        let key = format!(" {}", k.as_ref());
        let label = format!(" {} ", label.as_ref());
        if used + key.width() + label.width() > width {
            break;
        }
        used += key.width() + label.width();
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(label));
    }
    (spans, used)
}

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// `lines` laid out to `width` columns by `app::text::wrap`, each on its
/// own; the pieces of a line keep its style, alignment and spans' styles.
pub fn wrap_lines(lines: Vec<Line<'static>>, flow: Flow, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let (style, alignment) = (l.style, l.alignment);
        out.extend(
            wrap(Vec::new(), segs_of(l), flow, width)
                .into_iter()
                .map(|segs| {
                    let mut line = line_of(segs).style(style);
                    line.alignment = alignment;
                    line
                }),
        );
    }
    out
}

fn segs_of(line: Line<'static>) -> Vec<Seg<Style>> {
    line.spans
        .into_iter()
        .map(|s| seg(s.content.into_owned(), s.style))
        .collect()
}

fn line_of(segs: Vec<Seg<Style>>) -> Line<'static> {
    Line::from(
        segs.into_iter()
            .map(|s| Span::styled(s.text, s.tag))
            .collect::<Vec<_>>(),
    )
}
