//! A probe's outcome: the [`ProbeReport`] of one side (this machine or a
//! node), its [`Verdict`] in the taxonomy, and the `probe --json` shapes.

use serde::Serialize;

use super::facts::{DnsFacts, TlsFailure};
use super::step::{Facts, Status, Step, StepResult};
use crate::domain::classify::Category;
use crate::domain::image::ImageRef;

/// Where a probe ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Side {
    Laptop,
    Node(String),
}

/// A probe's steps and what they mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub side: Side,
    pub image: String,
    pub registry: String,
    pub steps: Vec<StepResult>,
    /// Something stopped the probe before its first step (the probe pod
    /// could not pull its own image): that is the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<(Category, String)>,
}

/// The verdict: a taxonomy category, or ok (the image can be pulled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub category: Option<Category>,
    pub summary: String,
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        self.category.is_none()
    }

    pub fn id(&self) -> &'static str {
        self.category.map_or("ok", Category::id)
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Verdict", 2)?;
        st.serialize_field("category", self.id())?;
        st.serialize_field("summary", &self.summary)?;
        st.end()
    }
}

impl ProbeReport {
    pub fn new(side: Side, image: &ImageRef) -> Self {
        ProbeReport {
            side,
            image: image.canonical(),
            registry: image.registry.clone(),
            steps: vec![],
            blocked: None,
        }
    }

    /// The registry certificate's notAfter, when the TLS step saw one
    /// (verified or not: an expired certificate fails verification).
    pub fn certificate_end(&self) -> Option<jiff::Timestamp> {
        match self.step(Step::Tls).map(|s| &s.facts) {
            Some(Facts::Tls(t)) => t.chain.first()?.not_after.parse().ok(),
            _ => None,
        }
    }

    pub fn step(&self, step: Step) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.step == step)
    }

    pub fn dns(&self) -> Option<&DnsFacts> {
        match self.step(Step::Dns).map(|s| &s.facts) {
            Some(Facts::Dns(d)) => Some(d),
            _ => None,
        }
    }

    pub fn tls_failure(&self) -> Option<&TlsFailure> {
        match self.step(Step::Tls).map(|s| &s.facts) {
            Some(Facts::Tls(t)) => t.failure.as_ref(),
            _ => None,
        }
    }

    /// The host the blob leg was redirected to (the last one), if any.
    pub fn blob_host(&self) -> Option<&super::blob::Target> {
        match self.step(Step::Blob).map(|s| &s.facts) {
            Some(Facts::Blob(b)) => b.blob_host.as_ref(),
            _ => None,
        }
    }

    /// The first failure decides, as the innermost cause decides a message.
    /// A node probe that passed every step it ran says the path is open up
    /// to TLS, not that the image can be pulled.
    pub fn verdict(&self) -> Verdict {
        if let Some((c, why)) = &self.blocked {
            return Verdict {
                category: Some(*c),
                summary: why.clone(),
            };
        }
        if let Some(f) = self.steps.iter().find(|s| s.status == Status::Fail) {
            let category = f.category.unwrap_or(Category::Unknown);
            return Verdict {
                category: Some(category),
                summary: format!("{} failed: {}", f.step, f.detail),
            };
        }
        if self.steps.is_empty() {
            return Verdict {
                category: Some(Category::Unknown),
                summary: "the probe did not run".into(),
            };
        }
        match &self.side {
            Side::Node(n) => Verdict {
                category: None,
                summary: format!("from node {n}: DNS, TCP and TLS to {} work", self.registry),
            },
            Side::Laptop => {
                let manifest = self.step(Step::Manifest).filter(|m| m.status == Status::Ok);
                // The blob leg, when it ran, says where the layers come from.
                let blob = self
                    .step(Step::Blob)
                    .filter(|b| b.status == Status::Ok)
                    .map(|b| format!("; {}", b.detail))
                    .unwrap_or_default();
                match manifest {
                    Some(m) => Verdict {
                        category: None,
                        summary: format!("{} can be pulled: {}{blob}", self.image, m.detail),
                    },
                    None => Verdict {
                        category: Some(Category::Unknown),
                        summary: "the manifest was not checked".into(),
                    },
                }
            }
        }
    }
}

/// `probe --json`'s one object.
#[derive(Debug, Serialize)]
pub struct ProbeJson<'a> {
    pub image: &'a str,
    pub registry: &'a str,
    pub steps: &'a [StepResult],
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct NodeJson<'a> {
    pub name: String,
    pub steps: &'a [StepResult],
    pub verdict: Verdict,
    pub notes: &'a [String],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::probe::fixtures::{dns_step, report};

    #[test]
    fn the_first_failure_decides_the_verdict() {
        let r = report(
            Side::Laptop,
            vec![
                dns_step(&["10.0.3.7"]),
                StepResult::fail(Step::Tcp, 5000, Category::NetworkTimeout, "timed out"),
                StepResult::skipped(Step::Tls, "tcp failed"),
            ],
        );
        let v = r.verdict();
        assert_eq!(v.category, Some(Category::NetworkTimeout));
        assert_eq!(v.id(), "network.timeout");
        assert!(v.summary.starts_with("tcp failed"), "{}", v.summary);
    }

    #[test]
    fn a_laptop_verdict_is_ok_only_when_the_manifest_exists() {
        let mut steps = vec![dns_step(&["127.0.0.1"])];
        let r = report(Side::Laptop, steps.clone());
        assert_eq!(r.verdict().category, Some(Category::Unknown));
        steps.push(StepResult::ok(Step::Manifest, 3, "exists sha256:abc"));
        let r = report(Side::Laptop, steps);
        assert!(r.verdict().is_ok());
        let j = serde_json::to_value(r.verdict()).expect("json");
        assert_eq!(j["category"], "ok");
    }
}
