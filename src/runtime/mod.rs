//! The interactive loop: one task owns the terminal. Terminal events,
//! backend messages (bounded channel) and a 1 s clock tick go through
//! `update`; the loop drains what is queued, then draws once when something
//! changed, at most ~30 frames a second, inside a synchronized update.
//!
//! The loop is generic: over the app `Backend` (the live cluster, a recorded
//! snapshot, a test's script), the ratatui backend (crossterm, or
//! `TestBackend` headless), the `Clock` (the system's, or frozen at a
//! snapshot's capture time) and the input stream. `run` wires the real ones
//! and restores the terminal on every way out: return, error, panic, Ctrl-C,
//! SIGTERM/SIGHUP.

use std::io::{self, Stdout, Write};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream,
};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{Backend, Model, Msg, update};
use crate::ui::{self, Theme};

/// Frame cap for what the cluster changes: changes arriving meanwhile are
/// drawn together (an event storm is ten frames a second, not thirty).
/// Keys and resizes are drawn at once.
const FRAME: Duration = Duration::from_millis(100);
/// The clock of a running probe's step in progress.
const PROBE_TICK: Duration = Duration::from_millis(200);
/// At most this many queued messages are applied before a frame may be drawn.
const DRAIN_MAX: usize = 4096;
/// Capacity of the backend → app channel.
pub const CHANNEL: usize = 1024;

mod watch;
pub use watch::{Change, watch};

/// Where "now" comes from.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still (replay: ages read as they did at capture).
pub struct FrozenClock(pub Timestamp);

impl Clock for FrozenClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A ratatui backend the loop can draw on; the real terminal wraps frames
/// in synchronized updates so a frame never shows half drawn.
pub trait Screen: ratatui::backend::Backend {
    fn begin_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn end_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Screen for CrosstermBackend<Stdout> {
    fn begin_frame(&mut self) -> io::Result<()> {
        execute!(self, BeginSynchronizedUpdate)
    }
    fn end_frame(&mut self) -> io::Result<()> {
        execute!(self, EndSynchronizedUpdate)
    }
}

impl Screen for TestBackend {}

/// While the console owns the terminal, file descriptor 2 points at a file
/// (`<state dir>/pulltui/stderr.log`): whatever a child process (an exec
/// credential plugin) or a library writes there cannot garble the screen.
/// The real stderr comes back before anything else is printed.
struct StderrCapture {
    saved: libc::c_int,
}

/// The saved stderr while captured (the panic hook restores it too).
static SAVED_STDERR: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Where captured stderr goes.
pub fn stderr_log() -> Option<std::path::PathBuf> {
    crate::logging::log_dir().map(|d| d.join("stderr.log"))
}

impl StderrCapture {
    fn start() -> Option<StderrCapture> {
        use std::os::fd::AsRawFd;
        // Private (0600): a plugin's output can hold device codes or tokens.
        let file = crate::files::append(&stderr_log()?).ok()?;
        // SAFETY: dup/dup2 on fd 2 and a file we own; no memory is shared.
        let saved = unsafe { libc::dup(2) };
        if saved < 0 {
            return None;
        }
        // SAFETY: as above; `file` stays open until dup2 has returned.
        if unsafe { libc::dup2(file.as_raw_fd(), 2) } < 0 {
            // SAFETY: `saved` is our own duplicate.
            unsafe { libc::close(saved) };
            return None;
        }
        SAVED_STDERR.store(saved, std::sync::atomic::Ordering::SeqCst);
        Some(StderrCapture { saved })
    }
}

/// Points fd 2 back at the terminal's stderr (idempotent).
fn restore_stderr() {
    let saved = SAVED_STDERR.swap(-1, std::sync::atomic::Ordering::SeqCst);
    if saved >= 0 {
        // SAFETY: `saved` is the duplicate made by `StderrCapture::start`.
        unsafe {
            libc::dup2(saved, 2);
            libc::close(saved);
        }
    }
}

impl Drop for StderrCapture {
    fn drop(&mut self) {
        let _ = self.saved;
        restore_stderr();
    }
}

/// Restores the terminal when dropped (and from the panic hook).
struct TerminalGuard {
    _stderr: Option<StderrCapture>,
}

impl TerminalGuard {
    fn enter() -> io::Result<(TerminalGuard, Terminal<CrosstermBackend<Stdout>>)> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            restore_stderr();
            prev(info);
        }));
        enable_raw_mode()?;
        let guard = TerminalGuard {
            _stderr: StderrCapture::start(),
        };
        let mut out = io::stdout();
        // Bracketed paste: a paste arrives as one text event, never as keys.
        execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok((guard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        restore_stderr();
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// Forwards SIGTERM, SIGHUP and SIGINT as `Msg::Shutdown`.
fn forward_signals(tx: mpsc::Sender<Msg>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut hup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
                _ = int.recv() => {}
            }
            if tx.send(Msg::Shutdown).await.is_err() {
                return;
            }
        }
    }))
}

/// Runs the console in the real terminal. `make_backend` builds the app
/// backend on the channel its replies go to.
pub async fn run<B, F>(
    mut model: Model,
    make_backend: F,
    clock: &dyn Clock,
    theme: &Theme,
    mut journal: Option<crate::journal::Journals>,
) -> anyhow::Result<()>
where
    B: Backend,
    F: FnOnce(mpsc::Sender<Msg>) -> B,
{
    let (tx, rx) = mpsc::channel::<Msg>(CHANNEL);
    let signals = forward_signals(tx.clone())?;
    let mut backend = make_backend(tx);
    let (_guard, mut terminal) = TerminalGuard::enter().context("setting up the terminal")?;
    // For the terminal-safety test only: a panic with the console on screen.
    #[cfg(feature = "test-hooks")]
    if std::env::var_os("PULLTUI_TEST_PANIC").is_some() && !test_panic_on_key() {
        let _ = terminal.draw(|f| ui::render(&model, theme, f));
        panic!("PULLTUI_TEST_PANIC is set: panicking with the terminal in raw mode");
    }
    let res = run_loop(
        &mut model,
        &mut backend,
        &mut terminal,
        EventStream::new(),
        rx,
        clock,
        theme,
        journal.as_mut(),
    )
    .await;
    signals.abort();
    // Deleting a probe pod must finish before the runtime ends (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(5), backend.finish()).await;
    drop(backend);
    res
}

/// For the secrets test only (`PULLTUI_TEST_PANIC=key`): F12 panics mid-run,
/// the model's `Debug` in the message — what a panic that formats the state
/// would print, after a password was typed. Test builds only (the
/// `test-hooks` feature); the release binary has no such hook.
#[cfg(feature = "test-hooks")]
fn test_panic_on_key() -> bool {
    std::env::var("PULLTUI_TEST_PANIC").as_deref() == Ok("key")
}

/// The loop itself, headless-capable: returns when the model quits or the
/// input ends. (Each argument is a separate input of the loop: the model,
/// where effects go, where frames go, the keys, the replies, the clock, the
/// look, the journal.)
#[allow(clippy::too_many_arguments)]
pub async fn run_loop<B, S, I>(
    model: &mut Model,
    backend: &mut B,
    terminal: &mut Terminal<S>,
    mut input: I,
    mut rx: mpsc::Receiver<Msg>,
    clock: &dyn Clock,
    theme: &Theme,
    mut journal: Option<&mut crate::journal::Journals>,
) -> anyhow::Result<()>
where
    B: Backend + ?Sized,
    S: Screen,
    S::Error: Send + Sync + 'static,
    I: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    model.now = clock.now();
    if let Ok(size) = terminal.size() {
        update(model, Msg::Resize(size.width, size.height));
    }
    let first = model.start();
    backend.dispatch_all(first);

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // While a probe runs, its step's elapsed time moves by tenths.
    let mut probe_tick = tokio::time::interval(PROBE_TICK);
    probe_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_draw: Option<Instant> = None;
    let mut trace = FrameTrace::from_env();
    // A key press is answered by the next frame at once, not at the cap.
    let mut urgent = false;
    #[cfg(feature = "test-hooks")]
    let panic_on_key = test_panic_on_key();

    loop {
        let wait = match (model.dirty, last_draw) {
            (false, _) => Duration::from_secs(3600),
            (true, None) => Duration::ZERO,
            (true, Some(t)) => FRAME.saturating_sub(t.elapsed()),
        };
        let mut effects = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(msg) = terminal_msg(ev) {
                        #[cfg(feature = "test-hooks")]
                        if panic_on_key
                            && matches!(&msg, Msg::Key(k) if k.code == crossterm::event::KeyCode::F(12))
                        {
                            panic!("PULLTUI_TEST_PANIC=key: F12 pressed; the model: {model:?}");
                        }
                        if let (Some(t), Msg::Key(_)) = (&mut trace, &msg) {
                            t.keys += 1;
                        }
                        urgent = true;
                        effects = update(model, msg);
                    }
                }
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => break,
            },
            Some(msg) = rx.recv() => effects = drain(model, msg, &mut rx),
            _ = tick.tick() => {
                effects = update(model, Msg::Tick(clock.now()));
                if let Some(j) = journal.as_deref_mut() {
                    journal_look(model, j, clock.now());
                }
            }
            _ = probe_tick.tick(), if model.probing() => {
                effects = update(model, Msg::Tick(clock.now()));
            }
            _ = tokio::time::sleep(wait), if model.dirty => {}
        }
        backend.dispatch_all(effects);
        if model.quit {
            break;
        }
        let due = urgent || last_draw.is_none_or(|t| t.elapsed() >= FRAME);
        if model.dirty && due {
            urgent = false;
            let start = Instant::now();
            model.settle();
            draw(terminal, model, theme)?;
            model.dirty = false;
            last_draw = Some(Instant::now());
            if let Some(t) = &mut trace {
                t.frame(model, start.elapsed());
            }
        }
    }
    Ok(())
}

/// A terminal event as the model's message: keys, pastes, resizes.
fn terminal_msg(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) => Some(Msg::Key(k)),
        TermEvent::Paste(text) => Some(Msg::Paste(text.into())),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// `first` and the replies already waiting behind it (at most `DRAIN_MAX`
/// in all), applied to the model before the next frame.
fn drain(model: &mut Model, first: Msg, rx: &mut mpsc::Receiver<Msg>) -> Vec<crate::app::Effect> {
    let mut effects = update(model, first);
    let mut n = 1;
    while n < DRAIN_MAX {
        let Ok(m) = rx.try_recv() else { break };
        effects.extend(update(model, m));
        n += 1;
    }
    effects
}

/// One look of the journal at every live cluster; what it read back and
/// wrote goes to the model (the timeline).
pub fn journal_look(
    model: &mut Model,
    journal: &mut crate::journal::Journals,
    now: Timestamp,
) -> crate::journal::Written {
    // The rows as the pods and events have them now.
    model.settle();
    let crate::journal::Look {
        written,
        opened,
        took_facts,
    } = journal.look(model, now);
    for ix in took_facts {
        if let Some(c) = model.clusters.get_mut(ix) {
            c.facts.clear();
        }
    }
    let opened = opened.into_iter().map(|(ix, records)| {
        let fixes = match model.clusters.get(ix).and_then(|c| c.journal_id()) {
            Some(id) => crate::audit::fixes()
                .into_iter()
                .filter(|f| crate::journal::same_cluster(f, &id))
                .collect(),
            None => Vec::new(),
        };
        (ix, records, fixes)
    });
    let fresh = written.iter().map(|(ix, r)| (*ix, r.clone(), Vec::new()));
    let all: Vec<_> = opened.chain(fresh).collect();
    for (ix, records, fixes) in all {
        if let Some(c) = model.clusters.get(ix) {
            let session = c.session();
            let msg = crate::app::ClusterMsg::Journal { records, fixes };
            update(model, Msg::Cluster(session, msg));
        }
    }
    written
}

/// A development instrument for the benchmarks (`scripts/bench`): with
/// `PULLTUI_FRAME_TRACE=FILE`, one JSON line per drawn frame — wall-clock
/// time, how long settling and drawing took, the store's counts, key presses
/// so far, and which failing pods appeared or went since the previous
/// frame (pod keys only: names are not secret). Off, it costs nothing.
struct FrameTrace {
    out: io::BufWriter<std::fs::File>,
    shown: std::collections::HashSet<crate::domain::failing::PodKey>,
    keys: u64,
}

impl FrameTrace {
    fn from_env() -> Option<FrameTrace> {
        let path = std::env::var_os("PULLTUI_FRAME_TRACE")?;
        match std::fs::File::create(&path) {
            Ok(f) => Some(FrameTrace {
                out: io::BufWriter::new(f),
                shown: Default::default(),
                keys: 0,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "PULLTUI_FRAME_TRACE: cannot create the file");
                None
            }
        }
    }

    fn frame(&mut self, model: &Model, took: Duration) {
        let fleet = model.is_fleet();
        // A fleet's pods are named with their context.
        let name = |k: &crate::domain::failing::PodKey| match fleet {
            true => format!("{}/{}/{}", k.cluster.context(), k.namespace, k.name),
            false => format!("{}/{}", k.namespace, k.name),
        };
        let failing = || {
            model
                .clusters
                .iter()
                .flat_map(|c| c.inventory.failing.keys())
        };
        let added: Vec<String> = failing()
            .filter(|k| !self.shown.contains(*k))
            .map(name)
            .collect();
        let removed: Vec<String> = self
            .shown
            .iter()
            .filter(|k| {
                !model
                    .clusters
                    .iter()
                    .any(|c| c.inventory.failing.contains_key(*k))
            })
            .map(name)
            .collect();
        if !added.is_empty() || !removed.is_empty() {
            self.shown = failing().cloned().collect();
        }
        let clusters: Vec<serde_json::Value> = model
            .clusters
            .iter()
            .map(|c| {
                serde_json::json!({
                    "context": c.name(),
                    "pods": c.inventory.pod_count(),
                    "failing": c.inventory.failing.len(),
                    "synced": c.inventory.synced,
                    "state": c.state().label(),
                })
            })
            .collect();
        let t_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let line = serde_json::json!({
            "t_ms": t_ms,
            "frame_us": took.as_micros() as u64,
            "pods": model.pod_count(),
            "failing": model.clusters.iter().map(|c| c.inventory.failing.len()).sum::<usize>(),
            "rows": model.home.rows.len(),
            "synced": model.clusters.iter().all(|c| c.inventory.synced),
            "owners_pending": model.clusters.iter().map(|c| c.inventory.owners_pending()).sum::<usize>(),
            "clusters": clusters,
            "keys": self.keys,
            "added": added,
            "removed": removed,
        });
        let _ = writeln!(self.out, "{line}").and_then(|_| self.out.flush());
    }
}

fn draw<S>(terminal: &mut Terminal<S>, model: &Model, theme: &Theme) -> anyhow::Result<()>
where
    S: Screen,
    S::Error: Send + Sync + 'static,
{
    terminal.backend_mut().begin_frame()?;
    let res = terminal.draw(|f| ui::render(model, theme, f)).map(|_| ());
    terminal.backend_mut().end_frame()?;
    res.context("drawing")?;
    Ok(())
}
