//! The probe pane (`p` from home or detail): this machine's probe of the
//! pod's registry, streamed step by step, and — with `P`, since it creates
//! a pod, after its preview is confirmed (`y`) in the overlay every cluster
//! write is confirmed in (`app::action`) — the same probe from the pod's
//! node, side by side, with what the difference means. Leaving the pane
//! cancels both; the probe pod is deleted on every path.

use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;

use super::action::Subject;
use super::msg::{Effect, ProbeEffect, ProbeId, ProbeMsg, SessionKey};
use crate::domain::classify::classify;
use crate::domain::failing::{FailureRow, PodKey};
use crate::domain::image::ImageRef;
use crate::domain::probe::{ClusterError, ProbeView, Step, StepResult};

/// Where the node's side is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStage {
    /// Not asked for (`P` starts it).
    Idle,
    /// Building the preview of the probe pod.
    Preparing,
    /// Its preview is open in the confirmation overlay, waiting for `y`.
    Confirming,
    Running,
    Done,
    /// A replay shows the node probe recorded with the snapshot.
    Recorded,
    /// Not possible (read-only, not scheduled, refused): why.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePane {
    pub id: ProbeId,
    pub pod: PodKey,
    /// What the probe pod's confirmation is about (the failing row's pod).
    pub subject: Subject,
    pub container: String,
    /// The image whose registry is probed.
    pub image: String,
    /// The failing pod's node, when it is scheduled.
    pub node: Option<String>,
    pub view: ProbeView,
    pub node_stage: NodeStage,
    pub laptop_running: bool,
    pub scroll: usize,
    /// When this machine's step in progress began (the probe's start, or
    /// the previous step's answer).
    pub laptop_since: Timestamp,
    /// When the node's step in progress began.
    pub node_since: Timestamp,
}

/// Each side's step in progress and for how long, as the pane says it
/// ("dns … 2.1 s"); `None`: that side is not running.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub laptop: Option<String>,
    pub node: Option<String>,
}

/// The first step of `order` without an answer yet, and how long it has
/// taken; "… running" when every step answered and the report is due.
fn in_progress(order: &[Step], done: &[StepResult], since: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(since).as_secs_f64().max(0.0);
    match order.iter().find(|s| !done.iter().any(|d| d.step == **s)) {
        Some(step) => format!("{} … {secs:.1} s", step.id()),
        None => format!("… running {secs:.1} s"),
    }
}

impl ProbePane {
    /// The pane for a failing row; `node` from the pod's spec.
    pub fn new(id: ProbeId, row: &FailureRow, node: Option<String>) -> Option<Self> {
        let image = ImageRef::parse(&row.image).ok()?;
        let mut view = ProbeView::new(&image);
        if !row.message.is_empty() {
            let c = classify(&row.message, Some(&row.reason));
            view.cluster = Some(ClusterError {
                category: row.category,
                dialled: c.ip,
            });
        }
        Some(ProbePane {
            id,
            pod: row.pod_key(),
            subject: Subject::from_row(row, None, Vec::new()),
            container: row.container.clone(),
            image: row.image.clone(),
            node,
            view,
            node_stage: NodeStage::Idle,
            laptop_running: true,
            scroll: 0,
            laptop_since: Timestamp::UNIX_EPOCH,
            node_since: Timestamp::UNIX_EPOCH,
        })
    }

    /// Whether a side is still probing (the pane's clock runs).
    pub fn running(&self) -> bool {
        self.view.laptop_running() || self.node_stage == NodeStage::Running
    }

    /// The step each side is on, timed from `now`.
    pub fn progress(&self, now: Timestamp) -> Progress {
        let laptop = self
            .view
            .laptop_running()
            .then(|| in_progress(&Step::ALL, &self.view.laptop, self.laptop_since, now));
        let node = (self.node_stage == NodeStage::Running && self.view.node_done.is_none())
            .then(|| in_progress(&Step::NODE, &self.view.node_steps, self.node_since, now));
        Progress { laptop, node }
    }

    /// The laptop probe's request.
    pub fn start(&self, session: SessionKey) -> Effect {
        ProbeEffect::Laptop {
            session,
            probe: self.id,
            pod: self.pod.clone(),
            container: self.container.clone(),
        }
        .into()
    }

    /// `P`: the node probe's preview (refused in read-only mode).
    pub fn ask_node(&mut self, session: SessionKey, read_only: bool) -> Vec<Effect> {
        if read_only {
            self.node_stage = NodeStage::Refused(
                "read-only mode (--read-only): the node probe creates a pod, so it is disabled"
                    .into(),
            );
            return Vec::new();
        }
        if matches!(self.node_stage, NodeStage::Running | NodeStage::Preparing) {
            return Vec::new();
        }
        let Some(node) = self.node.clone() else {
            self.node_stage = NodeStage::Refused(
                "the pod is not scheduled on a node: nothing to probe from".into(),
            );
            return Vec::new();
        };
        self.node_stage = NodeStage::Preparing;
        vec![
            ProbeEffect::NodePreview {
                session,
                probe: self.id,
                pod: self.pod.clone(),
                node,
                image: self.image.clone(),
                blob_host: self
                    .view
                    .laptop_done
                    .as_ref()
                    .and_then(|r| r.blob_host())
                    .map(|t| (t.host.clone(), t.port)),
            }
            .into(),
        ]
    }

    /// A key in the pane. Returns effects and whether the pane closes.
    pub fn key(
        &mut self,
        key: KeyEvent,
        session: SessionKey,
        read_only: bool,
    ) -> (Vec<Effect>, bool) {
        match key.code {
            KeyCode::Esc => (vec![ProbeEffect::Cancel { probe: self.id }.into()], true),
            KeyCode::Char('P') => (self.ask_node(session, read_only), false),
            KeyCode::Down => {
                self.scroll += 1;
                (Vec::new(), false)
            }
            KeyCode::Up => {
                self.scroll = self.scroll.saturating_sub(1);
                (Vec::new(), false)
            }
            _ => (Vec::new(), false),
        }
    }

    /// What the confirmation overlay answered for the probe pod: `y` starts
    /// the node side (timed from `now`), `Esc` leaves it not asked.
    pub fn confirmed(&mut self, effects: &[Effect], now: Timestamp) {
        for e in effects {
            match e {
                Effect::Probe(ProbeEffect::NodeStart { probe }) if *probe == self.id => {
                    self.node_stage = NodeStage::Running;
                    self.node_since = now;
                    if let Some(n) = self.node.clone() {
                        self.view.node_started(&n);
                    }
                }
                Effect::Probe(ProbeEffect::NodeCancel { probe }) if *probe == self.id => {
                    self.node_stage = NodeStage::Idle;
                }
                _ => {}
            }
        }
    }

    /// An answer of the probes, at `now` (which times the next step). The
    /// probe pod's preview goes to the confirmation overlay (`Model`), not
    /// here.
    pub fn apply(&mut self, msg: ProbeMsg, now: Timestamp) {
        match msg {
            ProbeMsg::LaptopStep(s) => {
                self.laptop_since = now;
                self.view.laptop_step(s)
            }
            ProbeMsg::LaptopDone(r) => {
                self.laptop_running = false;
                self.view.laptop_finished(*r);
            }
            ProbeMsg::LaptopFailed(e) => {
                self.laptop_running = false;
                self.view
                    .laptop_failed(format!("this machine's probe could not start: {e}"));
            }
            ProbeMsg::LaptopNote(n) => self.view.laptop_note(n),
            ProbeMsg::NodePreview(_) => {}
            ProbeMsg::NodeCreated { name, host_network } => {
                self.node_since = now;
                self.view.node_note(format!(
                    "pod {name} created ({})",
                    if host_network {
                        "host network: the node's DNS and /etc/hosts"
                    } else {
                        "pod network"
                    }
                ));
            }
            ProbeMsg::NodeNote(n) => self.view.node_note(n),
            ProbeMsg::NodeStep(s) => {
                self.node_since = now;
                self.view.node_step(s)
            }
            ProbeMsg::NodeDeleted { name } => self.view.node_note(format!("pod {name} deleted")),
            ProbeMsg::NodeDone(Ok(r)) => {
                self.node_stage = NodeStage::Done;
                self.view.node_finished(*r);
            }
            ProbeMsg::NodeDone(Err(e)) | ProbeMsg::NodeRefused(e) => {
                self.node_stage = NodeStage::Refused(e);
            }
            ProbeMsg::NodeRecorded { node, report } => {
                if self.node_stage == NodeStage::Preparing {
                    self.node_stage = NodeStage::Recorded;
                    self.view.node_started(&node);
                    self.view.node_note(
                        "recorded with the snapshot, not run now (nothing is created from a \
                         recording)"
                            .into(),
                    );
                    self.view.node_finished(*report);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classify::Category;

    fn row() -> FailureRow {
        FailureRow {
            workload: None,
            image: "registry.example:5000/team/app:1".into(),
            registry: Some("registry.example:5000".into()),
            reason: "ErrImagePull".into(),
            category: Category::NetworkTimeout,
            ..FailureRow::sample()
        }
    }

    fn at(secs: f64) -> Timestamp {
        Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs_f64(1_000.0 + secs)
    }

    #[test]
    fn the_pane_names_each_sides_step_in_progress_with_its_elapsed_time() {
        let mut p = ProbePane::new(ProbeId(1), &row(), Some("n1".into())).expect("pane");
        p.laptop_since = at(0.0);
        assert_eq!(p.progress(at(2.1)).laptop.as_deref(), Some("dns … 2.1 s"));
        assert_eq!(
            p.progress(at(2.1)).node,
            None,
            "the node side was not asked"
        );
        p.apply(
            ProbeMsg::LaptopStep(StepResult::ok(Step::Dns, 3, "10.0.0.1")),
            at(2.5),
        );
        assert_eq!(p.progress(at(3.0)).laptop.as_deref(), Some("tcp … 0.5 s"));
        // The node side, once it runs, has its own step and clock.
        p.node_stage = NodeStage::Running;
        p.view.node_started("n1");
        p.apply(
            ProbeMsg::NodeCreated {
                name: "pulltui-probe-x".into(),
                host_network: true,
            },
            at(4.0),
        );
        p.apply(
            ProbeMsg::NodeStep(StepResult::ok(Step::Dns, 1, "10.0.0.1")),
            at(5.0),
        );
        p.apply(
            ProbeMsg::NodeStep(StepResult::ok(Step::Tcp, 1, "connected")),
            at(6.0),
        );
        assert!(p.running());
        assert_eq!(p.progress(at(7.25)).node.as_deref(), Some("tls … 1.2 s"));
    }

    #[test]
    fn a_finished_side_has_no_step_in_progress() {
        let mut p = ProbePane::new(ProbeId(1), &row(), None).expect("pane");
        p.apply(ProbeMsg::LaptopFailed("no route".into()), at(1.0));
        assert_eq!(p.progress(at(3.0)), Progress::default());
        assert!(!p.running());
    }

    /// `P`'s probe pod is confirmed in the overlay every cluster write is
    /// confirmed in: the preview the backend built, as it built it; `y`
    /// creates it and the pane runs its side, `Esc` leaves it not created.
    #[test]
    fn the_probe_pod_is_confirmed_where_every_cluster_write_is() {
        use crate::app::action::{Kind, Stage};
        use crate::app::keymap::Keymap;
        use crate::app::layers::{Layer, top};
        use crate::app::{ClusterMsg, Model, Msg, Screen, update};
        use crate::domain::mutation::Preview;
        use crate::domain::scope::Scope;
        use crossterm::event::KeyModifiers;

        let mut m = Model::new(None, vec![], Scope::All, Keymap::default(), at(0.0));
        m.probe = ProbePane::new(ProbeId(1), &row(), Some("n1".into()));
        m.screens.push(Screen::Probe);
        let preview = Preview {
            title: "create pod pulltui-probe/pulltui-probe-n1-1 on node n1".into(),
            objects: vec!["Pod pulltui-probe/pulltui-probe-n1-1 (new)".into()],
            diff: vec![
                "# Pod pulltui-probe/pulltui-probe-n1-1".into(),
                "+ kind: Pod".into(),
            ],
            kubectl: Vec::new(),
            notes: Vec::new(),
        };
        let session = m.cluster().session();
        let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        for (answer, created) in [(KeyCode::Char('y'), true), (KeyCode::Esc, false)] {
            let mut sent = update(&mut m, key(KeyCode::Char('P')));
            assert!(
                matches!(
                    sent.as_slice(),
                    [Effect::Probe(ProbeEffect::NodePreview { .. })]
                ),
                "{sent:?}"
            );
            let previewed = ProbeMsg::NodePreview(Box::new(preview.clone()));
            update(
                &mut m,
                Msg::Cluster(
                    session.clone(),
                    ClusterMsg::Probe {
                        probe: ProbeId(1),
                        msg: Box::new(previewed),
                    },
                ),
            );
            let a = m
                .actions
                .current
                .as_ref()
                .expect("the confirmation overlay");
            assert_eq!(a.kind, Kind::ProbePod(ProbeId(1)));
            assert!(
                matches!(&a.stage, Stage::Confirm { preview: p, .. } if **p == preview),
                "{:?}",
                a.stage
            );
            assert_eq!(top(&m), Layer::Action, "the overlay owns the keys");
            let pane = m.probe.as_ref().expect("pane");
            assert_eq!(pane.node_stage, NodeStage::Confirming);
            sent = update(&mut m, key(answer));
            assert!(m.actions.current.is_none());
            let pane = m.probe.as_ref().expect("the pane stays");
            if created {
                assert_eq!(
                    sent,
                    vec![ProbeEffect::NodeStart { probe: ProbeId(1) }.into()]
                );
                assert_eq!(pane.node_stage, NodeStage::Running);
                assert!(pane.running());
                // Done, so that P asks again.
                m.probe.as_mut().expect("pane").node_stage = NodeStage::Done;
            } else {
                assert_eq!(
                    sent,
                    vec![ProbeEffect::NodeCancel { probe: ProbeId(1) }.into()]
                );
                assert_eq!(pane.node_stage, NodeStage::Idle);
            }
        }
    }
}
