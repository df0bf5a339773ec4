//! The real runtime loop, headless: `runtime::run_loop` over ratatui's
//! `TestBackend`, driven by scripted key presses, with the recorded demo
//! backend and with a scripted backend that answers effects from a script.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::KeyCode;
use futures::channel::mpsc as fmpsc;
use pulltui::app::keymap::Keymap;
use pulltui::app::msg::{Backend, ClusterMsg, Effect, FetchEffect, Msg, WatchEffect};
use pulltui::app::{Model, Screen};
use pulltui::domain::facts::{PodFact, WatchEvent};
use pulltui::domain::scope::Scope;
use pulltui::runtime::{FrozenClock, run_loop};
use pulltui::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::screen::{cells, press};
use tokio::sync::mpsc;

/// Waits until the loop has taken every message from its channel and none
/// came for a while: the backend's answers are all in the model.
async fn idle(tx: &mpsc::Sender<Msg>) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut quiet = 0;
    while quiet < 10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if tx.capacity() == tx.max_capacity() {
            quiet += 1;
        } else {
            quiet = 0;
        }
    }
}

/// Runs the loop, sending the script's keys (each once the loop is idle),
/// then `q`; draws the final state once more, so the screen shows the model
/// however the frames were timed on a loaded machine.
async fn run_with_keys<B: Backend>(
    model: &mut Model,
    backend: &mut B,
    terminal: &mut Terminal<TestBackend>,
    (tx, rx): (mpsc::Sender<Msg>, mpsc::Receiver<Msg>),
    clock: &FrozenClock,
    keys: Vec<KeyCode>,
) {
    let (keys_tx, keys_rx) = fmpsc::unbounded();
    let idle_tx = tx.clone();
    drop(tx);
    let driver = async move {
        idle(&idle_tx).await;
        for k in keys {
            let _ = keys_tx.unbounded_send(press(k));
            idle(&idle_tx).await;
        }
        let _ = keys_tx.unbounded_send(press(KeyCode::Char('q')));
        // Keep the stream open: the loop must quit on `q`, not on end of input.
        tokio::time::sleep(Duration::from_secs(60)).await;
    };
    let theme = Theme::plain();
    {
        let run = run_loop(model, backend, terminal, keys_rx, rx, clock, &theme, None);
        tokio::select! {
            r = run => r.expect("the loop ends cleanly"),
            _ = driver => panic!("the loop did not quit on q"),
        }
    }
    model.settle();
    terminal
        .draw(|f| pulltui::ui::render(model, &theme, f))
        .expect("final draw");
}

/// The bundled demo in the real loop at `size`, driven by `keys`.
async fn run_demo(
    size: (u16, u16),
    keys: Vec<KeyCode>,
) -> (
    Model,
    Terminal<TestBackend>,
    Arc<pulltui::snapshot::Recorded>,
) {
    let snap = pulltui::snapshot::parse(pulltui::snapshot::DEMO).expect("the demo parses");
    let recorded = Arc::new(pulltui::snapshot::Recorded::new(snap));
    let mut model =
        pulltui::cli::replay_model(&recorded, "demo".into(), Scope::All, Keymap::default());
    let (tx, rx) = mpsc::channel(pulltui::runtime::CHANNEL);
    let mut backend = pulltui::snapshot::Replay::new(recorded.clone(), tx.clone());
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
    let clock = FrozenClock(recorded.snapshot.captured_at);
    run_with_keys(
        &mut model,
        &mut backend,
        &mut terminal,
        (tx, rx),
        &clock,
        keys,
    )
    .await;
    (model, terminal, recorded)
}

#[tokio::test]
async fn the_demo_runs_headless_in_the_real_loop_with_eight_cause_families_on_screen() {
    let (model, terminal, recorded) = run_demo((160, 45), vec![]).await;
    let screen = cells(&terminal);
    assert!(screen.contains("REPLAY demo"), "banner:\n{screen}");
    assert!(
        screen.contains("22 failing of 282 pods"),
        "counts:\n{screen}"
    );
    let families: BTreeSet<&str> = pulltui::domain::classify::Category::ALL
        .iter()
        .filter(|c| screen.contains(c.id()))
        .map(|c| c.id().split('.').next().unwrap_or(""))
        .collect();
    assert!(families.len() >= 8, "{families:?} on screen:\n{screen}");
    // The clock stood still at capture time: ages read as they did.
    assert_eq!(model.now, recorded.snapshot.captured_at);
}

#[tokio::test]
async fn keys_drive_the_demo_through_detail_help_filter_and_back() {
    use KeyCode::*;
    let mut keys = vec![Char('/')];
    keys.extend("ledger-0".chars().map(Char));
    keys.extend([Enter, Enter]);
    let (model, terminal, _) = run_demo((120, 40), keys).await;
    assert_eq!(
        model.screen(),
        Screen::Detail,
        "Enter opened the filtered row"
    );
    let d = model.detail.as_ref().expect("detail");
    assert_eq!(d.key.name, "ledger-0");
    let screen = cells(&terminal);
    assert!(screen.contains("protocol.http-registry"), "{screen}");
    assert!(
        screen.contains("recorded"),
        "events are not called live:\n{screen}"
    );
}

#[tokio::test]
async fn the_demos_probe_pane_answers_at_once_recorded_or_not() {
    use KeyCode::*;
    // shop/web: this machine's probe and its node's, as recorded.
    let mut keys = vec![Char('/')];
    keys.extend("web-".chars().map(Char));
    keys.extend([Enter, Char('p'), Char('P')]);
    let (model, terminal, _) = run_demo((160, 45), keys).await;
    assert_eq!(model.screen(), Screen::Probe);
    let screen = cells(&terminal);
    assert!(!screen.contains("… running"), "{screen}");
    assert!(screen.contains("verdict ok"), "{screen}");
    assert!(screen.contains("verdict network.timeout"), "{screen}");
    assert!(screen.contains("private-link"), "{screen}");
    assert!(screen.contains("recorded with the snapshot"), "{screen}");
    // The first row has none: a sentence, not a pane running forever.
    let (model, terminal, _) = run_demo((160, 45), vec![Char('p')]).await;
    assert_eq!(model.screen(), Screen::Probe);
    let screen = cells(&terminal);
    assert!(!screen.contains("… running"), "{screen}");
    assert!(
        screen.contains("no probe of this pod was recorded"),
        "{screen}"
    );
}

/// A backend that answers from a script and records what it was asked.
struct Scripted {
    tx: mpsc::Sender<Msg>,
    asked: Arc<Mutex<Vec<Effect>>>,
}

impl Backend for Scripted {
    fn dispatch(&mut self, effect: Effect) {
        self.asked.lock().expect("lock").push(effect.clone());
        let replies: Vec<Msg> = match &effect {
            Effect::Watch(WatchEffect::Connect {
                slot: 0,
                session,
                scope,
                ..
            }) => {
                let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": "typo", "namespace": "default", "uid": "u1"},
                    "spec": {"containers": [{"name": "typo", "image": "nginx:1.25:alpine"}]},
                    "status": {"containerStatuses": [{"name": "typo", "image": "", "imageID": "",
                        "ready": false, "restartCount": 0,
                        "state": {"waiting": {"reason": "InvalidImageName",
                            "message": "Failed to apply default image tag \"nginx:1.25:alpine\": couldn't parse image reference \"nginx:1.25:alpine\": invalid reference format"}}}]}
                }))
                .expect("pod");
                vec![
                    ClusterMsg::Connected {
                        context: Some("scripted".into()),
                        server: "https://scripted.invalid".into(),
                        default_namespace: "default".into(),
                        scope: scope.clone(),
                    },
                    ClusterMsg::Pods(WatchEvent::Init),
                    ClusterMsg::Pods(WatchEvent::InitApply(PodFact::from_pod(
                        &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
                        pod,
                    ))),
                    ClusterMsg::Pods(WatchEvent::InitDone),
                ]
                .into_iter()
                .map(|m| Msg::Cluster(session.clone(), m))
                .collect()
            }
            Effect::Fetch(FetchEffect::Namespaces { session }) => vec![Msg::Cluster(
                session.clone(),
                ClusterMsg::Namespaces(Ok(vec!["default".into()])),
            )],
            _ => Vec::new(),
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            for m in replies {
                let _ = tx.send(m).await;
            }
        });
    }
}

#[tokio::test]
async fn the_loop_dispatches_effects_to_any_backend_and_draws_its_answers() {
    let (tx, rx) = mpsc::channel(pulltui::runtime::CHANNEL);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let mut backend = Scripted {
        tx: tx.clone(),
        asked: asked.clone(),
    };
    let t0: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().expect("time");
    let mut model = Model::new(None, vec![], Scope::All, Keymap::default(), t0);
    let mut terminal = Terminal::new(TestBackend::new(100, 20)).expect("terminal");
    let clock = FrozenClock(t0);
    run_with_keys(
        &mut model,
        &mut backend,
        &mut terminal,
        (tx, rx),
        &clock,
        vec![KeyCode::Char('n'), KeyCode::Esc],
    )
    .await;
    let asked = asked.lock().expect("lock").clone();
    assert!(
        matches!(
            asked.first(),
            Some(Effect::Watch(WatchEffect::Connect { .. }))
        ),
        "first effect is Connect: {asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|e| matches!(e, Effect::Fetch(FetchEffect::Namespaces { .. })))
    );
    assert!(
        matches!(asked.last(), Some(Effect::Quit)),
        "q reaches the backend: {asked:?}"
    );
    let screen = cells(&terminal);
    assert!(screen.contains("image.invalid-name"), "{screen}");
    assert!(screen.contains("ctx scripted"), "{screen}");
    assert!(model.quit);
}
