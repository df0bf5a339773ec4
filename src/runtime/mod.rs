//! The interactive loop: one task owns the terminal. Terminal events, cluster
//! messages (bounded channel) and a 1 s clock tick go through `update`; the
//! loop drains what is queued, then draws once when something changed, at
//! most ~30 frames a second, inside a synchronized update. The terminal is
//! restored on every way out: return, error, panic, Ctrl-C, SIGTERM/SIGHUP.

use std::io::{self, Stdout, Write};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{Event as TermEvent, EventStream};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::keymap::Keymap;
use crate::app::{Effect, Model, Msg, Scope, update};
use crate::cluster::{self, Cluster, Target};
use crate::ui::{self, Theme};

/// Frame cap.
const FRAME: Duration = Duration::from_millis(33);
/// At most this many queued messages are applied before a frame may be drawn.
const DRAIN_MAX: usize = 4096;

pub struct Options {
    pub target: Target,
    pub scope: Scope,
    pub keymap: Keymap,
    pub theme: Theme,
}

/// Restores the terminal when dropped (and from the panic hook).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<(TerminalGuard, Terminal<CrosstermBackend<Stdout>>)> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            prev(info);
        }));
        enable_raw_mode()?;
        let guard = TerminalGuard;
        let mut out = io::stdout();
        execute!(out, EnterAlternateScreen, cursor::Hide)?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok((guard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let contexts = cluster::contexts(&opts.target);
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let mut cluster = Cluster::new(opts.target.kubeconfig.clone(), tx.clone());
    let mut model = Model::new(
        opts.target.context.clone(),
        contexts,
        opts.scope.clone(),
        opts.keymap,
        Timestamp::now(),
    );
    let mut term_signals = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut hup_signals = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut int_signals = signal(SignalKind::interrupt()).context("SIGINT handler")?;

    let (_guard, mut terminal) = TerminalGuard::enter().context("setting up the terminal")?;
    if let Ok(size) = terminal.size() {
        update(&mut model, Msg::Resize(size.width, size.height));
    }
    let first = model.start();
    dispatch(&mut cluster, first);

    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw: Option<Instant> = None;

    loop {
        let wait = match (model.dirty, last_draw) {
            (false, _) => Duration::from_secs(3600),
            (true, None) => Duration::ZERO,
            (true, Some(t)) => FRAME.saturating_sub(t.elapsed()),
        };
        let mut effects = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(k))) => effects = update(&mut model, Msg::Key(k)),
                Some(Ok(TermEvent::Resize(w, h))) => effects = update(&mut model, Msg::Resize(w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => break,
            },
            Some(msg) = rx.recv() => {
                effects = update(&mut model, msg);
                let mut n = 1;
                while n < DRAIN_MAX {
                    let Ok(m) = rx.try_recv() else { break };
                    effects.extend(update(&mut model, m));
                    n += 1;
                }
            }
            _ = tick.tick() => effects = update(&mut model, Msg::Tick(Timestamp::now())),
            _ = term_signals.recv() => effects = update(&mut model, Msg::Shutdown),
            _ = hup_signals.recv() => effects = update(&mut model, Msg::Shutdown),
            _ = int_signals.recv() => effects = update(&mut model, Msg::Shutdown),
            _ = tokio::time::sleep(wait), if model.dirty => {}
        }
        dispatch(&mut cluster, effects);
        if model.quit {
            break;
        }
        let due = last_draw.is_none_or(|t| t.elapsed() >= FRAME);
        if model.dirty && due {
            model.settle();
            draw(&mut terminal, &model, &opts.theme)?;
            model.dirty = false;
            last_draw = Some(Instant::now());
        }
    }
    drop(cluster);
    Ok(())
}

fn draw(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    model: &Model,
    theme: &Theme,
) -> anyhow::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let res = terminal.draw(|f| ui::render(model, theme, f)).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    res.context("drawing")?;
    Ok(())
}

fn dispatch(cluster: &mut Cluster, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::Connect {
                generation,
                context,
                scope,
            } => cluster.connect(generation, context, scope),
            Effect::ResolveOwner { generation, owner } => cluster.resolve_owner(generation, owner),
            Effect::ListNamespaces { generation } => cluster.list_namespaces(generation),
            Effect::WatchPodEvents {
                generation,
                detail,
                pod,
                uid,
            } => cluster.watch_pod_events(generation, detail, pod, uid),
            Effect::GetServiceAccount {
                generation,
                detail,
                namespace,
                name,
            } => cluster.get_service_account(generation, detail, namespace, name),
            Effect::GetSecret {
                generation,
                detail,
                namespace,
                name,
            } => cluster.get_secret(generation, detail, namespace, name),
            Effect::StopDetail => cluster.stop_detail(),
            Effect::Quit => {}
        }
    }
}
