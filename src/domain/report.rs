//! What `pulltui check` found, live or from a snapshot: the same rows as the
//! console, in the console's stable order.

use jiff::Timestamp;

use super::failing::FailureRow;
use super::scope::Scope;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub context: Option<String>,
    pub server: Option<String>,
    pub scope: Scope,
    /// Set when the requested scope was forbidden and the context's namespace was used.
    pub fallback: Option<String>,
    pub pods_seen: usize,
    pub rows: Vec<FailureRow>,
    /// A snapshot's capture time (`None`: live).
    pub captured_at: Option<Timestamp>,
}
