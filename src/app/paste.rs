//! Bracketed paste (`Msg::Paste`): pasted text is text, never keys. It goes
//! into the focused text input — a form's field (unless locked), the home
//! filter, the palette's query — one line, without control characters, at
//! most `MAX_PASTE` characters; anywhere else it is dropped with a toast,
//! so a pasted `k`…`y` can never open and confirm a restart.

use zeroize::Zeroize;

use super::action::Level;
use super::layers::Layer;
use super::{Effect, Model, Overlay};
use crate::domain::inert::is_hostile;

/// The most characters one paste inserts.
pub const MAX_PASTE: usize = 4096;

/// What the toast says when a paste is dropped.
pub const IGNORED: &str =
    "paste ignored: pasted text is never taken as keys (paste into a text field)";

/// One line of text: line breaks, controls and bidi controls dropped.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !is_hostile(*c))
        .take(MAX_PASTE)
        .collect()
}

/// Applies a paste.
pub fn on_paste(model: &mut Model, text: &str) -> Vec<Effect> {
    let mut line = clean(text);
    let taken = insert(model, &line);
    // It may be a password: no copy is left behind.
    line.zeroize();
    if !taken && !text.is_empty() {
        let now = model.now;
        model.actions.toast(now, Level::Info, IGNORED);
    }
    Vec::new()
}

/// Inserts `line` into the top layer's text input; false when it has none.
fn insert(model: &mut Model, line: &str) -> bool {
    match super::layers::top(model) {
        Layer::Action => model.actions.paste(line),
        Layer::Filter => {
            model.home.filter.push_str(line);
            model.home.view_stale = true;
            model.settle();
            true
        }
        Layer::Picker => match &mut model.overlay {
            Some(Overlay::Picker(p)) => {
                p.input.push_str(line);
                p.selected = 0;
                true
            }
            _ => false,
        },
        Layer::Help | Layer::Probe | Layer::Screen => false,
    }
}
