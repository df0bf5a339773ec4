//! One error message (not a paste of event rows, not an aggregate of
//! attempts) to its verdict, in steps: every rule's matches; the strongest
//! tier's innermost match (or the cannot-tell-which message around it); the
//! category it names, or the reason's when nothing matched; how sure that
//! is; then the cause, address, summary and fixes.

use std::ops::Range;

use super::extract::{dialled_ip, fallback_cause, registry_in, widen};
use super::rules::{self, ENGINE, Engine, GENERIC_DENIAL};
use super::summary::summarise;
use super::{Classification, Confidence};
use crate::domain::fixes::fixes_for;
use crate::domain::ipscope::IpScope;
use crate::domain::taxonomy::Category;

/// The rules that match, by index into the engine's table, each with its
/// matches in message order.
type Hits = Vec<(usize, Vec<Range<usize>>)>;

/// What the matches say, before the confidence and the derived parts.
struct Finding {
    category: Category,
    ambiguous: bool,
    /// The cause's bytes in the message; `None` when no rule matched.
    span: Option<Range<usize>>,
    alternatives: Vec<Category>,
}

pub(super) fn classify_one(message: &str, reason: Option<&str>) -> Classification {
    let engine = &*ENGINE;
    let hits = rule_hits(engine, message);
    let best = strongest_innermost(engine, &hits)
        .map(|(idx, range)| ambiguous_around(engine, &hits, idx, range));
    let mut finding = match best {
        Some((idx, range)) => {
            let rule = &engine.rules[idx];
            Finding {
                category: rule.category,
                ambiguous: rule.ambiguous,
                span: Some(widen(message, range, rule.category, engine, &hits)),
                alternatives: rule.alternatives.to_vec(),
            }
        }
        None => Finding {
            category: category_from_reason(reason),
            ambiguous: false,
            span: None,
            alternatives: Vec::new(),
        },
    };
    generic_denial_is_ambiguous(engine, &hits, message, &mut finding);
    let confidence = confidence_of(&finding, reason);
    if confidence != Confidence::Weak {
        finding.alternatives.clear();
    }
    verdict(message, reason, finding, confidence)
}

/// Every rule's matches, once. Each rule's literal prefilter makes a miss
/// cheap, which most rules are for any one message.
fn rule_hits(engine: &Engine, message: &str) -> Hits {
    engine
        .regexes
        .iter()
        .enumerate()
        .filter_map(|(idx, re)| {
            let v: Vec<Range<usize>> = re.find_iter(message).map(|m| m.range()).collect();
            (!v.is_empty()).then_some((idx, v))
        })
        .collect()
}

/// The strongest tier's innermost (rightmost) match: the rule and its range.
fn strongest_innermost(engine: &Engine, hits: &Hits) -> Option<(usize, Range<usize>)> {
    let mut best: Option<(usize, Range<usize>)> = None;
    for (idx, ranges) in hits {
        let rule = &engine.rules[*idx];
        let Some(m) = ranges.last() else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((bi, br)) => {
                let bt = engine.rules[*bi].tier;
                rule.tier < bt
                    || (rule.tier == bt && m.start > br.start)
                    || (rule.tier == bt && m.start == br.start && m.end > br.end)
            }
        };
        if better {
            best = Some((*idx, m.clone()));
        }
    }
    best
}

/// The cannot-tell-which messages contain "access denied", "not found" or
/// "unauthorized": when the winner (rule `idx` at `range`) lies inside one
/// of the same tier, the message is the ambiguous one.
fn ambiguous_around(
    engine: &Engine,
    hits: &Hits,
    idx: usize,
    range: Range<usize>,
) -> (usize, Range<usize>) {
    let amb = engine.ambiguous();
    if idx != amb
        && engine.rules[idx].tier == engine.rules[amb].tier
        && let Some(m) = hits
            .iter()
            .filter(|(i, _)| *i == amb)
            .flat_map(|(_, v)| v.iter())
            .find(|m| m.start <= range.start && range.end <= m.end)
    {
        return (amb, m.clone());
    }
    (idx, range)
}

/// The same message with only a generic denial after it (containerd:
/// "...: server message: insufficient_scope: authorization failed") is
/// what an anonymous pull of a repository that does not exist gets too.
fn generic_denial_is_ambiguous(engine: &Engine, hits: &Hits, message: &str, f: &mut Finding) {
    let amb = engine.ambiguous();
    if f.category == Category::AuthDenied
        && !f.ambiguous
        && let Some(r) = &f.span
        && hits.iter().any(|(i, _)| *i == amb)
        && GENERIC_DENIAL.is_match(&message[r.clone()])
    {
        f.ambiguous = true;
        f.alternatives = rules::AMBIGUOUS_ALTERNATIVES.to_vec();
    }
}

fn confidence_of(f: &Finding, reason: Option<&str>) -> Confidence {
    match (&f.span, f.category) {
        (_, Category::Unknown) => Confidence::None,
        (None, _) => reason_confidence(reason),
        _ if f.ambiguous || !f.alternatives.is_empty() => Confidence::Weak,
        _ => Confidence::Strong,
    }
}

/// The finding with what follows from it: the cause's text, the registry,
/// the dialled address and its scope, the summary and the fixes.
fn verdict(
    message: &str,
    reason: Option<&str>,
    f: Finding,
    confidence: Confidence,
) -> Classification {
    let registry = registry_in(message);
    let cause = match &f.span {
        Some(r) => message[r.clone()].to_string(),
        None => fallback_cause(message),
    };
    let ip = dialled_ip(message, f.span.as_ref());
    let ip_scope = ip.map(IpScope::of);
    let summary = summarise(
        f.category,
        f.ambiguous,
        registry.as_deref(),
        ip,
        ip_scope,
        f.span.is_none(),
        reason,
    );
    let fixes = fixes_for(f.category, f.ambiguous, registry.as_deref(), ip_scope);
    Classification {
        category: f.category,
        cause,
        cause_span: f.span,
        registry,
        ip,
        ip_scope,
        summary,
        fixes,
        ambiguous: f.ambiguous,
        confidence,
        alternatives: f.alternatives,
    }
}

fn category_from_reason(reason: Option<&str>) -> Category {
    match reason.unwrap_or("") {
        "InvalidImageName" => Category::ImageInvalidName,
        "ErrImageNeverPull" => Category::PolicyNeverPull,
        "SignatureValidationFailed" => Category::PolicySignature,
        "FailedToRetrieveImagePullSecret" => Category::CredentialsSecretMissing,
        "ImageInspectError" => Category::NodeRuntime,
        _ => Category::Unknown,
    }
}

/// The kubelet's own reasons are verdicts; an inspect error is a guess.
fn reason_confidence(reason: Option<&str>) -> Confidence {
    match reason.unwrap_or("") {
        "InvalidImageName" | "ErrImageNeverPull" | "FailedToRetrieveImagePullSecret" => {
            Confidence::Strong
        }
        _ => Confidence::Weak,
    }
}
