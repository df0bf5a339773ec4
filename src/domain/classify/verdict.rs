//! The verdict on one message: the category, the innermost cause and where
//! it stands, the registry and dialled address, the summary and fixes, and
//! how sure it is; and its JSON shape for `explain --json`.

use std::net::IpAddr;
use std::ops::Range;

use serde::Serialize;

use super::extract::registry_in;
use super::summary::summarise;
use crate::domain::fixes::{Fix, fixes_for};
use crate::domain::ipscope::IpScope;
use crate::domain::taxonomy::Category;

/// How strongly the message supports the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidence {
    /// A phrase that means one cause only (`x509: certificate signed by
    /// unknown authority`, `no basic auth credentials`).
    Strong,
    /// A phrase more than one cause produces (a bare `not found`, `context
    /// deadline exceeded`, Docker Hub's `pull access denied`): the verdict
    /// lists the other candidates and a probe settles it.
    Weak,
    /// Nothing in the message points at a cause.
    None,
}

impl Confidence {
    pub fn id(self) -> &'static str {
        match self {
            Confidence::Strong => "strong",
            Confidence::Weak => "weak",
            Confidence::None => "none",
        }
    }
}

impl Serialize for Confidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// The classifier's verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub category: Category,
    /// The innermost cause, as it stands in the message.
    pub cause: String,
    /// Byte range of `cause` in the message, for highlighting in place.
    pub cause_span: Option<Range<usize>>,
    /// Registry `host[:port]` the pull was for.
    pub registry: Option<String>,
    /// The address the node dialled, when the message shows it.
    pub ip: Option<IpAddr>,
    pub ip_scope: Option<IpScope>,
    pub summary: String,
    pub fixes: Vec<Fix>,
    /// The message cannot tell two causes apart (Docker Hub's
    /// "pull access denied ... may require 'docker login'").
    pub ambiguous: bool,
    /// How strongly the message supports `category`.
    pub confidence: Confidence,
    /// When the evidence is weak: the other categories it could be. A probe
    /// of the registry settles which.
    pub alternatives: Vec<Category>,
}

impl Classification {
    /// Whether the message carried a cause at all (a bare `Back-off pulling
    /// image` does not: the cause is in earlier events).
    pub fn has_cause(&self) -> bool {
        self.category != Category::Unknown || self.cause_span.is_some()
    }

    /// One sentence on how sure the verdict is, for the detail screen and
    /// `explain`: `None` when the evidence is strong.
    pub fn doubt(&self) -> Option<String> {
        match self.confidence {
            Confidence::Strong => None,
            Confidence::None => {
                Some("no known cause in the message; a probe of the registry finds one".to_string())
            }
            Confidence::Weak if self.alternatives.is_empty() => {
                Some("weak evidence; a probe of the registry settles it".to_string())
            }
            Confidence::Weak => {
                let alts: Vec<&str> = self.alternatives.iter().map(|c| c.id()).collect();
                Some(format!(
                    "weak evidence: could also be {}; a probe of the registry settles it",
                    alts.join(" or ")
                ))
            }
        }
    }
}

/// The JSON shape of `explain --json`, one object per message. The first
/// seven fields are the public contract of product.md; later ones are added.
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    pub category: Category,
    pub cause: &'a str,
    pub registry: Option<&'a str>,
    pub ip: Option<String>,
    pub ip_scope: Option<IpScope>,
    pub summary: &'a str,
    pub fixes: &'a [Fix],
    pub confidence: Confidence,
    pub alternatives: &'a [Category],
}

impl<'a> From<&'a Classification> for ExplainJson<'a> {
    fn from(c: &'a Classification) -> Self {
        ExplainJson {
            category: c.category,
            cause: &c.cause,
            registry: c.registry.as_deref(),
            ip: c.ip.map(|ip| ip.to_string()),
            ip_scope: c.ip_scope,
            summary: &c.summary,
            fixes: &c.fixes,
            confidence: c.confidence,
            alternatives: &c.alternatives,
        }
    }
}

impl Classification {
    /// Moves the cause's span by `offset` bytes: the verdict was given on a
    /// part of the message that starts there.
    pub(super) fn shift_span(&mut self, offset: usize) {
        self.cause_span = self
            .cause_span
            .take()
            .map(|r| r.start + offset..r.end + offset);
    }

    /// When the part that decided named no registry, the whole message's
    /// (see [`registry_in`]), with the summary and fixes recomputed for it.
    pub(super) fn registry_from_whole(&mut self, message: &str, reason: Option<&str>) {
        if self.registry.is_some() {
            return;
        }
        self.registry = registry_in(message);
        self.summary = summarise(
            self.category,
            self.ambiguous,
            self.registry.as_deref(),
            self.ip,
            self.ip_scope,
            self.cause_span.is_none(),
            reason,
        );
        self.fixes = fixes_for(
            self.category,
            self.ambiguous,
            self.registry.as_deref(),
            self.ip_scope,
        );
    }
}
