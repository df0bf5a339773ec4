//! What `pulltui check` found, live or from a snapshot: the same rows as the
//! console, in the console's stable order.

use jiff::Timestamp;

use super::failing::FailureRow;
use super::scope::Scope;
use super::secrets::SecretInfo;

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
    /// The pull secrets in force of each failing pod (by namespace and
    /// pod) that could be read, reduced to hosts, usernames and expiries.
    pub pull_secrets: PodSecrets,
}

/// `(namespace, pod)` → its pull secrets that were read, by name.
pub type PodSecrets = std::collections::BTreeMap<(String, String), Vec<(String, SecretInfo)>>;
