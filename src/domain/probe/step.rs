//! The probe's steps and what each one found: [`Step`] (ids are public
//! API), [`Status`], and a step's [`StepResult`] with its structured
//! [`Facts`].

use std::fmt;

use serde::Serialize;

use super::blob::BlobFacts;
use super::facts::{Challenge, DnsFacts, ManifestFacts, TcpFacts, TlsFacts};
use crate::domain::classify::Category;

/// The steps, in the order they run. Ids are public API (`probe --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Dns,
    Tcp,
    Tls,
    Http,
    V2,
    Auth,
    Manifest,
    /// The tag's digest answers too (a cache can serve a stale tag).
    Digest,
    /// A blob of the node's platform, where the registry sends for it.
    Blob,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Dns,
        Step::Tcp,
        Step::Tls,
        Step::Http,
        Step::V2,
        Step::Auth,
        Step::Manifest,
        Step::Digest,
        Step::Blob,
    ];
    /// What the in-cluster probe pod checks.
    pub const NODE: [Step; 4] = [Step::Dns, Step::Tcp, Step::Tls, Step::Http];

    pub fn id(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Tls => "tls",
            Step::Http => "http",
            Step::V2 => "v2",
            Step::Auth => "auth",
            Step::Manifest => "manifest",
            Step::Digest => "digest",
            Step::Blob => "blob",
        }
    }

    pub fn from_id(id: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.id() == id)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Fail,
    Skipped,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// Structured facts of a step, for the verdict and the comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Facts {
    None,
    Dns(DnsFacts),
    Tcp(TcpFacts),
    Tls(TlsFacts),
    Challenge { challenges: Vec<Challenge> },
    Manifest(ManifestFacts),
    Blob(BlobFacts),
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    pub step: Step,
    pub status: Status,
    pub ms: u64,
    pub detail: String,
    /// What a failure means in the taxonomy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "is_none_facts")]
    pub facts: Facts,
}

fn is_none_facts(f: &Facts) -> bool {
    matches!(f, Facts::None)
}

impl StepResult {
    pub fn ok(step: Step, ms: u64, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Ok,
            ms,
            detail: detail.into(),
            category: None,
            facts: Facts::None,
        }
    }

    pub fn fail(step: Step, ms: u64, category: Category, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Fail,
            ms,
            detail: detail.into(),
            category: Some(category),
            facts: Facts::None,
        }
    }

    pub fn skipped(step: Step, detail: impl Into<String>) -> Self {
        StepResult {
            step,
            status: Status::Skipped,
            ms: 0,
            detail: detail.into(),
            category: None,
            facts: Facts::None,
        }
    }

    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    /// `dns       ok     3 ms  detail` — the text line `probe` prints.
    pub fn line(&self) -> String {
        let ms = if self.status == Status::Skipped {
            "-".to_string()
        } else {
            format!("{} ms", self.ms)
        };
        format!(
            "{:<9} {:<7} {:>8}  {}",
            self.step.id(),
            self.status.id(),
            ms,
            self.detail
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_are_the_public_contract() {
        let ids: Vec<&str> = Step::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(
            ids,
            [
                "dns", "tcp", "tls", "http", "v2", "auth", "manifest", "digest", "blob"
            ]
        );
        for s in Step::ALL {
            assert_eq!(Step::from_id(s.id()), Some(s));
        }
    }
}
