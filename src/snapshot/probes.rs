//! Probes in a replay. A recording cannot reach a registry or create a
//! pod, so `p` and `P` are answered at once: from the probe results
//! recorded with the snapshot (`probes:`; the demo carries some), or with a
//! sentence saying none was recorded — never a pane left running. Recorded
//! text is made inert and bounded like any text of a snapshot file.

use super::Recorded;
use super::format::{RecordedProbe, RecordedStep};
use crate::app::msg::ProbeMsg;
use crate::domain::classify::Category;
use crate::domain::failing::{MAX_MESSAGE, PodKey};
use crate::domain::image::ImageRef;
use crate::domain::inert::{MAX_FIELD, inert_cut, inert_message};
use crate::domain::probe::{
    DnsFacts, Facts, ProbeReport, Resolution, Side, Status, Step, StepResult,
};

/// Why `p` shows no steps in a replay without a recorded probe.
pub const NO_LAPTOP_PROBE: &str = "this is a replay: no probe of this pod was recorded with the \
     snapshot, and a replay sends nothing; `pulltui probe IMAGE` probes the registry now";
/// Why `P` shows no node side in a replay without a recorded node probe.
pub const NO_NODE_PROBE: &str = "replay: no node probe of this pod was recorded with the \
     snapshot, and nothing is created from a recording";

/// One recorded step as the pane shows it; `None` for an unknown step or status.
fn step(s: &RecordedStep) -> Option<StepResult> {
    let step = Step::from_id(&s.step)?;
    let status = match s.status.as_str() {
        "ok" => Status::Ok,
        "fail" => Status::Fail,
        "skipped" => Status::Skipped,
        _ => return None,
    };
    let category = match status {
        Status::Fail => Some(
            s.category
                .as_deref()
                .and_then(Category::from_id)
                .unwrap_or(Category::Unknown),
        ),
        _ => None,
    };
    let facts = if step == Step::Dns && !s.addrs.is_empty() {
        Facts::Dns(DnsFacts {
            system: Some(Resolution::Addrs {
                addrs: s.addrs.clone(),
            }),
            ..DnsFacts::default()
        })
    } else {
        Facts::None
    };
    Some(StepResult {
        step,
        status,
        ms: s.ms,
        detail: inert_message(&s.detail, MAX_MESSAGE).into_owned(),
        category,
        facts,
    })
}

/// A recorded probe as a report: known steps, each at most once, in order.
fn report(p: &RecordedProbe, side: Side, image: &ImageRef) -> ProbeReport {
    let mut r = ProbeReport::new(side, image);
    for s in p.steps.iter().filter_map(step) {
        if r.steps.len() < Step::ALL.len() && r.step(s.step).is_none() {
            r.steps.push(s);
        }
    }
    r
}

impl Recorded {
    /// The recorded probe of `pod` (of `container` when it says): from this
    /// machine, or from a node.
    fn recorded_probe(
        &self,
        pod: &PodKey,
        container: Option<&str>,
        node: bool,
    ) -> Option<&RecordedProbe> {
        // `pod` is inert (see `PodFact::from_pod`): compare alike.
        let same = |s: &str, k: &str| inert_cut(s, MAX_FIELD) == k;
        self.snapshot.probes.iter().find(|p| {
            same(&p.namespace, &pod.namespace)
                && same(&p.pod, &pod.name)
                && p.node.is_some() == node
                && match (p.container.as_deref(), container) {
                    (Some(a), Some(b)) => same(a, b),
                    _ => true,
                }
        })
    }

    /// The image of `pod`'s `container` in the recording.
    fn image_of(&self, pod: &PodKey, container: &str) -> Option<ImageRef> {
        let same = |s: Option<&str>, k: &str| s.is_some_and(|s| inert_cut(s, MAX_FIELD) == k);
        let p = self.snapshot.pods.iter().find(|p| {
            same(p.metadata.namespace.as_deref(), &pod.namespace)
                && same(p.metadata.name.as_deref(), &pod.name)
        })?;
        let spec = p.spec.as_ref()?;
        spec.containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .find(|c| same(Some(&c.name), container))
            .and_then(|c| c.image.as_deref())
            .and_then(|i| ImageRef::parse(i).ok())
    }

    /// `p`: this machine's probe as recorded, or why there is none.
    pub fn laptop_probe(&self, pod: &PodKey, container: &str) -> Vec<ProbeMsg> {
        let recorded = self.recorded_probe(pod, Some(container), false);
        let (Some(p), Some(image)) = (recorded, self.image_of(pod, container)) else {
            return vec![ProbeMsg::LaptopFailed(NO_LAPTOP_PROBE.into())];
        };
        let when = p.recorded_at.unwrap_or(self.snapshot.captured_at);
        let r = report(p, Side::Laptop, &image);
        let mut out = vec![ProbeMsg::LaptopNote(format!(
            "recorded where the snapshot was taken, at {when}; not run now (a replay sends nothing)"
        ))];
        out.extend(r.steps.iter().cloned().map(ProbeMsg::LaptopStep));
        out.push(ProbeMsg::LaptopDone(Box::new(r)));
        out
    }

    /// `P`: the node probe as recorded, or why there is none.
    pub fn node_probe(&self, pod: &PodKey, image: &str) -> ProbeMsg {
        let recorded = self.recorded_probe(pod, None, true);
        match (recorded, ImageRef::parse(image)) {
            (Some(p), Ok(image)) => {
                let node = inert_cut(p.node.as_deref().unwrap_or_default(), MAX_FIELD).into_owned();
                ProbeMsg::NodeRecorded {
                    report: Box::new(report(p, Side::Node(node.clone()), &image)),
                    node,
                }
            }
            _ => ProbeMsg::NodeRefused(NO_NODE_PROBE.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(steps: Vec<RecordedStep>) -> RecordedProbe {
        RecordedProbe {
            namespace: "ns".into(),
            pod: "p".into(),
            container: None,
            node: None,
            recorded_at: None,
            steps,
        }
    }

    fn raw(step: &str, status: &str, detail: &str) -> RecordedStep {
        RecordedStep {
            step: step.into(),
            status: status.into(),
            ms: 1,
            detail: detail.into(),
            category: Some("no.such-category".into()),
            addrs: Vec::new(),
        }
    }

    #[test]
    fn a_hostile_recorded_probe_is_bounded_inert_and_known_steps_only() {
        let mut steps = vec![
            raw("dns", "ok", "\x1b]0;title\x07 \u{202e}x"),
            raw("bogus", "ok", "dropped"),
            raw("tcp", "maybe", "dropped"),
            raw("tcp", "fail", &"y".repeat(1 << 20)),
        ];
        steps.extend((0..1000).map(|_| raw("tls", "ok", "again")));
        let image = ImageRef::parse("r.example/a:1").expect("image");
        let r = report(&recorded(steps), Side::Laptop, &image);
        let ids: Vec<&str> = r.steps.iter().map(|s| s.step.id()).collect();
        assert_eq!(ids, ["dns", "tcp", "tls"]);
        assert!(
            !r.steps[0]
                .detail
                .chars()
                .any(crate::domain::inert::is_hostile)
        );
        assert!(r.steps[1].detail.len() <= MAX_MESSAGE + 16);
        assert_eq!(r.steps[1].category, Some(Category::Unknown));
    }
}
