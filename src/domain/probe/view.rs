//! The probe pane's state: this machine's steps and the node's, side by
//! side, filled in as results arrive, and what they mean together.

use super::compare::{ClusterError, compare_sides, compare_with_cluster};
use super::report::ProbeReport;
use super::step::StepResult;
use crate::domain::image::ImageRef;

/// What the probe pane shows: this machine's steps and the node's, side by
/// side, filled in as results arrive. Pure state: the app feeds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeView {
    pub image: String,
    pub laptop: Vec<StepResult>,
    pub laptop_done: Option<ProbeReport>,
    /// Sentences about this machine's probe (why it could not run, where a
    /// replayed one comes from).
    pub laptop_notes: Vec<String>,
    /// This machine's probe will not report: it is not shown as running.
    pub laptop_stopped: bool,
    pub node: Option<String>,
    pub node_steps: Vec<StepResult>,
    pub node_notes: Vec<String>,
    pub node_done: Option<ProbeReport>,
    /// The cluster's own error, to compare with.
    pub cluster: Option<ClusterError>,
}

impl ProbeView {
    pub fn new(image: &ImageRef) -> Self {
        ProbeView {
            image: image.canonical(),
            ..ProbeView::default()
        }
    }

    pub fn laptop_step(&mut self, s: StepResult) {
        self.laptop.retain(|x| x.step != s.step);
        self.laptop.push(s);
    }

    pub fn laptop_finished(&mut self, r: ProbeReport) {
        self.laptop = r.steps.clone();
        self.laptop_done = Some(r);
    }

    pub fn laptop_note(&mut self, n: String) {
        self.laptop_notes.push(n);
    }

    /// This machine's probe could not run: why, and it is over.
    pub fn laptop_failed(&mut self, why: String) {
        self.laptop_notes.push(why);
        self.laptop_stopped = true;
    }

    /// Results may still come from this machine's probe.
    pub fn laptop_running(&self) -> bool {
        self.laptop_done.is_none() && !self.laptop_stopped
    }

    pub fn node_started(&mut self, node: &str) {
        self.node = Some(node.to_string());
        self.node_steps.clear();
        self.node_notes.clear();
        self.node_done = None;
    }

    pub fn node_step(&mut self, s: StepResult) {
        self.node_steps.retain(|x| x.step != s.step);
        self.node_steps.push(s);
    }

    pub fn node_note(&mut self, n: String) {
        self.node_notes.push(n);
    }

    pub fn node_finished(&mut self, r: ProbeReport) {
        self.node_steps = r.steps.clone();
        self.node_done = Some(r);
    }

    /// What the two sides (and the cluster's error) mean together.
    pub fn findings(&self) -> Vec<String> {
        let mut out = vec![];
        if let (Some(l), Some(n)) = (&self.laptop_done, &self.node_done)
            && let Some((d, why)) = compare_sides(l, n)
        {
            out.push(format!("{}: {why}", d.id()));
        }
        if let (Some(l), Some(c)) = (&self.laptop_done, &self.cluster) {
            out.extend(compare_with_cluster(l, c));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::probe::fixtures::{dns_step, image, report};
    use crate::domain::probe::{Side, Step, parse_node_line};

    #[test]
    fn the_view_fills_in_and_compares_both_sides() {
        let img = image("reg.example.com/team/app:1.0");
        let mut v = ProbeView::new(&img);
        v.laptop_step(dns_step(&["10.0.3.7"]));
        v.laptop_step(StepResult::ok(Step::Tcp, 1, "connected"));
        assert_eq!(v.laptop.len(), 2);
        assert!(
            v.findings().is_empty(),
            "nothing to compare before both sides end"
        );
        v.laptop_finished(report(Side::Laptop, vec![dns_step(&["10.0.3.7"])]));
        v.node_started("n1");
        v.node_finished(report(
            Side::Node("n1".into()),
            vec![
                parse_node_line("PULLTUI-PROBE step=dns status=ok ms=4 addrs=43.137.1.5 detail=x")
                    .expect("line"),
            ],
        ));
        let f = v.findings();
        assert!(f[0].starts_with("private-link:"), "{f:?}");
    }
}
