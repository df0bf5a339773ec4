//! The console drawn headless: a model rendered into ratatui's
//! `TestBackend`, the buffer read back as text, keys as the terminal
//! delivers them; and a model driven by a real backend (`live_console`,
//! `drive`) as the runtime would.

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use pulltui::app::keymap::Keymap;
use pulltui::app::{Backend, Model, Msg, update};
use pulltui::domain::scope::Scope;
use pulltui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

/// A key press without modifiers, as the terminal's event stream yields it.
pub fn press(c: KeyCode) -> std::io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

/// A key press without modifiers, as the model receives it.
pub fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The console on context `admin` of `kubeconfig`, namespace `ns`, at
/// `size`: the model (not started yet), its cluster backend and the
/// channel the backend's replies come on.
pub fn live_console(
    kubeconfig: &Path,
    ns: &str,
    size: (u16, u16),
) -> (Model, pulltui::cluster::Cluster, mpsc::Receiver<Msg>) {
    let (tx, rx) = mpsc::channel(1024);
    let backend = pulltui::cluster::Cluster::new(Some(kubeconfig.to_path_buf()), tx);
    let mut model = Model::new(
        Some("admin".into()),
        vec![],
        Scope::Namespace(ns.into()),
        Keymap::default(),
        jiff::Timestamp::now(),
    );
    model.size = size;
    (model, backend, rx)
}

/// Applies the backend's messages to `model` (its effects back to the
/// backend) until `done` holds; panics naming `what` after `timeout`.
pub async fn drive(
    model: &mut Model,
    backend: &mut dyn Backend,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Model) -> bool,
) {
    drive_with(model, backend, rx, what, timeout, false, done).await
}

/// `drive`, the clock ticking every half second as the runtime's does
/// (what a tick decides, such as a credential's expiry, is seen).
pub async fn drive_ticking(
    model: &mut Model,
    backend: &mut dyn Backend,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Model) -> bool,
) {
    drive_with(model, backend, rx, what, timeout, true, done).await
}

async fn drive_with(
    model: &mut Model,
    backend: &mut dyn Backend,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    timeout: Duration,
    ticks: bool,
    done: impl Fn(&Model) -> bool,
) {
    let start = Instant::now();
    let mut ticked = Instant::now();
    loop {
        model.settle();
        if done(model) {
            return;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        if ticks && ticked.elapsed() > Duration::from_millis(500) {
            ticked = Instant::now();
            let fx = update(model, Msg::Tick(jiff::Timestamp::now()));
            backend.dispatch_all(fx);
        }
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(m)) => {
                let fx = update(model, m);
                backend.dispatch_all(fx);
            }
            Ok(None) => panic!("backend channel closed"),
            Err(_) => {}
        }
    }
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
