//! The rules: the error vocabulary of Go's `net`, `crypto/x509`, `net/http`,
//! the distribution / OCI error codes, the kubelet's own messages and the
//! runtimes' wrapper phrases, each mapped to a category. Rules sit in tiers
//! (lower is stronger: a DNS lookup that timed out is a DNS failure, a 500
//! that carries "no basic auth credentials" is a credentials failure); within
//! a tier the innermost (rightmost) match wins.
//!
//! A rule with alternatives is weak evidence: the phrase is shared by more
//! than one cause (a bare `not found`, `context deadline exceeded`, a generic
//! `x509:`), so the verdict says which other categories it could be.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::taxonomy::Category;

mod decisive;
mod registry;
mod transport;

pub(super) struct RuleDef {
    pub tier: u8,
    pub category: Category,
    pub pattern: &'static str,
    /// Empty for strong evidence; else the other categories it could be.
    pub alternatives: &'static [Category],
}

const fn rule(
    tier: u8,
    category: Category,
    pattern: &'static str,
    alternatives: &'static [Category],
) -> RuleDef {
    RuleDef {
        tier,
        category,
        pattern,
        alternatives,
    }
}

/// The table, in order: the three parts are read one after the other.
/// Patterns are case-insensitive unless they start with `(?-i)`.
fn table() -> impl Iterator<Item = &'static RuleDef> {
    decisive::RULES
        .iter()
        .chain(registry::RULES)
        .chain(transport::RULES)
}

/// Messages that cannot tell a missing repository from missing access:
/// Docker's "pull access denied ... may require 'docker login'", the older
/// "repository X not found: does not exist or no pull access", and the
/// distribution error list Docker Hub sends an anonymous pull of a private or
/// absent repository ("denied: requested access ..." then "unauthorized:
/// authentication required").
const AMBIGUOUS_PULL_ACCESS: &str = concat!(
    r"pull access denied(?: for [^\s,]+)?, repository does not exist or may require [^\n:]*(?:login)?'?",
    r"|repository [^\s]+ not found: does not exist or no pull access",
    r"|requested access to the resource is denied\s*unauthorized: authentication required",
);

/// What the Docker Hub ambiguity can be instead.
pub(super) const AMBIGUOUS_ALTERNATIVES: &[Category] =
    &[Category::ImageNotFound, Category::AuthNoCredentials];

pub(super) static GENERIC_DENIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:insufficient_scope|requested access to the resource is denied|authorization failed|denied: requested access)",
    )
    .expect("static regex")
});

pub(super) struct Rule {
    pub category: Category,
    /// Lower is stronger.
    pub tier: u8,
    /// Marks the cannot-tell-which messages.
    pub ambiguous: bool,
    pub alternatives: &'static [Category],
}

pub(super) struct Engine {
    pub regexes: Vec<Regex>,
    pub rules: Vec<Rule>,
}

impl Engine {
    /// The index of the ambiguity rule (always the last).
    pub fn ambiguous(&self) -> usize {
        self.rules.len() - 1
    }
}

/// Where a rule has a space, the text may have any run of spaces and tabs
/// with at most one line break in it: terminals and issue trackers wrap long
/// lines as they are copied (`server gave HTTP \nresponse to HTTPS client`),
/// and an inert message reads such a break as a second space. Spaces inside
/// a character class, and escaped ones, stay literal; `" ?"` stays optional.
fn wrap_tolerant(pattern: &str) -> String {
    const GAP: &str = r"(?:[ \t]+(?:\r?\n[ \t]*)?|\r?\n[ \t]*)";
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` right after the opening bracket is literal.
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    out.extend(chars.next());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            ' ' if !in_class => out.push_str(GAP),
            _ => out.push(c),
        }
    }
    out
}

pub(super) static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let mut patterns: Vec<String> = Vec::new();
    let mut rules = Vec::new();
    for def in table() {
        // ASCII word boundaries keep the rules on the fast DFA engines
        // (a Unicode `\b` forces the slow NFA simulation).
        let pat = wrap_tolerant(&def.pattern.replace(r"\b", r"(?-u:\b)"));
        patterns.push(format!("(?i){pat}"));
        rules.push(Rule {
            category: def.category,
            tier: def.tier,
            ambiguous: false,
            alternatives: def.alternatives,
        });
    }
    patterns.push(format!("(?i){}", wrap_tolerant(AMBIGUOUS_PULL_ACCESS)));
    rules.push(Rule {
        category: Category::AuthDenied,
        tier: 7,
        ambiguous: true,
        alternatives: AMBIGUOUS_ALTERNATIVES,
    });
    let regexes = patterns
        .iter()
        .map(|p| Regex::new(p).expect("classifier rule compiles"))
        .collect();
    Engine { regexes, rules }
});
