//! The console drawn headless: a model rendered into ratatui's
//! `TestBackend`, the buffer read back as text, keys as the terminal
//! delivers them.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use pulltui::app::Model;
use pulltui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A key press without modifiers, as the terminal's event stream yields it.
pub fn press(c: KeyCode) -> std::io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

/// `model` rendered with `theme` at its own size.
pub fn draw(model: &Model, theme: Theme) -> Terminal<TestBackend> {
    let (w, h) = model.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| ui::render(model, &theme, f)).expect("draw");
    t
}

/// The plain rendering as `TestBackend` prints it (one quoted line a row).
pub fn screen(model: &Model) -> String {
    draw(model, Theme::plain()).backend().to_string()
}

/// Every cell's symbol, row by row.
pub fn cells(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
