//! The probe pane (`p` from home or detail): this machine's probe of the
//! pod's registry, streamed step by step, and — with `P`, after a preview
//! and `y`, since it creates a pod — the same probe from the pod's node,
//! side by side, with what the difference means. Leaving the pane cancels
//! both; the probe pod is deleted on every path.

use crossterm::event::{KeyCode, KeyEvent};

use super::msg::{Effect, Generation, ProbeEffect, ProbeId, ProbeMsg};
use crate::domain::classify::classify;
use crate::domain::failing::{FailureRow, PodKey};
use crate::domain::image::ImageRef;
use crate::domain::probe::{ClusterError, ProbeView};

/// Where the node's side is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStage {
    /// Not asked for (`P` starts it).
    Idle,
    /// Building the preview of the probe pod.
    Preparing,
    /// The pod to create, waiting for `y`.
    Confirm {
        preview: String,
        scroll: usize,
    },
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
    pub container: String,
    /// The image whose registry is probed.
    pub image: String,
    /// The failing pod's node, when it is scheduled.
    pub node: Option<String>,
    pub view: ProbeView,
    pub node_stage: NodeStage,
    pub laptop_running: bool,
    pub scroll: usize,
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
            container: row.container.clone(),
            image: row.image.clone(),
            node,
            view,
            node_stage: NodeStage::Idle,
            laptop_running: true,
            scroll: 0,
        })
    }

    /// The laptop probe's request.
    pub fn start(&self, generation: Generation) -> Effect {
        ProbeEffect::Laptop {
            generation,
            probe: self.id,
            pod: self.pod.clone(),
            container: self.container.clone(),
        }
        .into()
    }

    /// `P`: the node probe's preview (refused in read-only mode).
    pub fn ask_node(&mut self, generation: Generation, read_only: bool) -> Vec<Effect> {
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
                generation,
                probe: self.id,
                pod: self.pod.clone(),
                namespace: self.pod.namespace.clone(),
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
        generation: Generation,
        read_only: bool,
    ) -> (Vec<Effect>, bool) {
        if let NodeStage::Confirm { scroll, .. } = &mut self.node_stage {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.node_stage = NodeStage::Running;
                    if let Some(n) = self.node.clone() {
                        self.view.node_started(&n);
                    }
                    (
                        vec![ProbeEffect::NodeStart { probe: self.id }.into()],
                        false,
                    )
                }
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => {
                    self.node_stage = NodeStage::Idle;
                    (
                        vec![ProbeEffect::NodeCancel { probe: self.id }.into()],
                        false,
                    )
                }
                KeyCode::Down => {
                    *scroll += 1;
                    (Vec::new(), false)
                }
                KeyCode::Up => {
                    *scroll = scroll.saturating_sub(1);
                    (Vec::new(), false)
                }
                _ => (Vec::new(), false),
            };
        }
        match key.code {
            KeyCode::Esc => (vec![ProbeEffect::Cancel { probe: self.id }.into()], true),
            KeyCode::Char('P') => (self.ask_node(generation, read_only), false),
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

    pub fn apply(&mut self, msg: ProbeMsg) {
        match msg {
            ProbeMsg::LaptopStep(s) => self.view.laptop_step(s),
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
            ProbeMsg::NodePreview(p) => {
                if self.node_stage == NodeStage::Preparing {
                    self.node_stage = NodeStage::Confirm {
                        preview: p,
                        scroll: 0,
                    };
                }
            }
            ProbeMsg::NodeCreated { name, host_network } => {
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
            ProbeMsg::NodeStep(s) => self.view.node_step(s),
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
