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

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{Model, Overlay, Screen};
use crate::domain::inert::inert;
pub use theme::Theme;

/// Draws the whole UI. The model must be settled (`Model::settle`).
pub fn render(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    match model.screen() {
        Screen::Home => home::render(model, theme, frame, area),
        Screen::Detail => detail::render(model, theme, frame, area),
        Screen::Probe => probe::render_screen(model, theme, frame, area),
    }
    match &model.overlay {
        Some(Overlay::Help) => help::render(model, theme, frame, area),
        Some(Overlay::Picker(p)) => palette::render(p, theme, frame, area),
        None => {}
    }
    action::render_toasts(model, theme, frame, area);
    action::render(model, theme, frame, area);
}

/// `s` cut to `width` columns, with `…` when it was longer.
pub fn truncate(s: &str, width: usize) -> String {
    // The last guard before the terminal: cells, notices and the selected
    // row's line all pass here (facts are inert already, `domain::inert`).
    let s = &*inert(s);
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut to `width` columns in the middle: `worker-7b8…-n6m4x`.
pub fn truncate_middle(s: &str, width: usize) -> String {
    let s = &*inert(s);
    if s.width() <= width || width < 5 {
        return truncate(s, width);
    }
    let chars: Vec<char> = s.chars().collect();
    let keep = width - 1;
    let tail = keep / 2;
    let head = keep - tail;
    // Pod names are ASCII; for wide characters fall back to the end cut.
    if chars.len() != s.width() {
        return truncate(s, width);
    }
    let h: String = chars[..head].iter().collect();
    let t: String = chars[chars.len() - tail..].iter().collect();
    format!("{h}…{t}")
}

pub use crate::domain::clock::age;

/// A box of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}
