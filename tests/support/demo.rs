//! The bundled demo as a backend, without the runtime: effects answered
//! from the recording through the real `update`, until none are left.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulltui::app::keymap::Keymap;
use pulltui::app::{Effect, Model, Msg, Scope, update};
use pulltui::snapshot::{DEMO, Recorded, parse};

/// The demo's model at 160×45, started and answered.
pub fn demo() -> (Model, Recorded) {
    let recorded = Recorded::new(parse(DEMO).expect("demo parses"));
    let mut m = pulltui::cli::replay_model(&recorded, "demo".into(), Scope::All, Keymap::default());
    m.size = (160, 45);
    let fx = m.start();
    answer(&mut m, &recorded, fx);
    (m, recorded)
}

/// Answers effects from the recording until none are left; returns every
/// effect sent on the way.
pub fn answer(m: &mut Model, r: &Recorded, mut fx: Vec<Effect>) -> Vec<Effect> {
    let mut sent = Vec::new();
    while let Some(e) = fx.pop() {
        sent.push(e.clone());
        for msg in r.answer(&e) {
            fx.extend(update(m, msg));
        }
    }
    m.settle();
    sent
}

/// A key press (no modifiers), answered.
pub fn key(m: &mut Model, r: &Recorded, code: KeyCode) -> Vec<Effect> {
    let fx = update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    answer(m, r, fx)
}
