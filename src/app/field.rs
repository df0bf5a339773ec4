//! One text input of a fix's form (ratatui-textarea), and how a secret
//! one (the password) keeps its text: one buffer reserved up front, no undo
//! history, no cut buffer, zeroed when dropped or reset, never in `Debug`.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

/// One text input of a form. `Debug` never prints a secret field's text.
/// A secret field (the password) keeps its text in one buffer reserved up
/// front, so typing never leaves reallocated copies behind; it has no undo
/// history and no cut buffer (its keys are mapped here, not by the text
/// area); and its text is zeroed when the field is dropped or reset.
#[derive(Clone)]
pub struct Field {
    pub label: &'static str,
    pub input: TextArea<'static>,
    pub secret: bool,
    /// Greyed and not editable (a preset's key).
    pub locked: bool,
}

/// Bytes reserved for a secret field's text: longer passwords still work,
/// but a reallocation past this leaves a copy the wipe cannot reach.
pub const SECRET_CAPACITY: usize = 1024;

impl Field {
    pub(super) fn new(label: &'static str, value: &str) -> Self {
        let mut input = TextArea::new(vec![value.to_string()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        Field {
            label,
            input,
            secret: false,
            locked: false,
        }
    }

    pub(super) fn secret(label: &'static str) -> Self {
        Field {
            label,
            input: secret_input(),
            secret: true,
            locked: false,
        }
    }

    /// The text (one line).
    pub fn value(&self) -> String {
        self.input.lines().join("")
    }

    /// How many characters the text has (a secret's mask, without a copy).
    pub fn chars(&self) -> usize {
        self.input.lines().iter().map(|l| l.chars().count()).sum()
    }

    pub(super) fn set(&mut self, value: &str) {
        if self.secret {
            self.wipe();
            if !value.is_empty() {
                self.input.insert_str(value);
            }
            return;
        }
        self.input = TextArea::new(vec![value.to_string()]);
        self.input.move_cursor(ratatui_textarea::CursorMove::End);
    }

    /// A key on a secret field: plain editing, nothing kept elsewhere.
    pub(super) fn secret_key(&mut self, key: KeyEvent) {
        use ratatui_textarea::CursorMove;
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if plain => self.input.insert_char(c),
            KeyCode::Backspace => {
                self.input.delete_char();
            }
            KeyCode::Delete => {
                self.input.delete_next_char();
            }
            KeyCode::Left => self.input.move_cursor(CursorMove::Back),
            KeyCode::Right => self.input.move_cursor(CursorMove::Forward),
            KeyCode::Home => self.input.move_cursor(CursorMove::Head),
            KeyCode::End => self.input.move_cursor(CursorMove::End),
            _ => {}
        }
    }

    /// Zeroes a secret field's text and starts it empty again.
    fn wipe(&mut self) {
        zero(std::mem::replace(&mut self.input, secret_input()));
    }
}

/// Zeroes every byte of an input's text buffers, then frees them.
fn zero(input: TextArea<'static>) {
    for mut line in input.into_lines() {
        zeroize::Zeroize::zeroize(&mut line);
    }
}

/// A masked one-line input with its buffer reserved and no undo history.
fn secret_input() -> TextArea<'static> {
    let mut input = TextArea::new(vec![String::with_capacity(SECRET_CAPACITY)]);
    input.set_max_histories(0);
    input.set_mask_char('•');
    input
}

impl Drop for Field {
    fn drop(&mut self) {
        if self.secret {
            zero(std::mem::take(&mut self.input));
        }
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.secret {
            "***".to_string()
        } else {
            self.value()
        };
        write!(f, "Field({}: {v:?})", self.label)
    }
}

impl PartialEq for Field {
    fn eq(&self, o: &Self) -> bool {
        self.label == o.label
            && self.secret == o.secret
            && self.locked == o.locked
            && self.input.lines() == o.input.lines()
    }
}
