//! Registry probes as pure values: the plan (what to ask, with which
//! credentials, for which platform), the result of each step, the verdict in
//! the taxonomy, and what the probe says next to the cluster's own error and
//! next to the node's probe ("it works from my laptop" is the finding).
//!
//! The I/O lives in `crate::probe` (laptop) and `crate::cluster::probe_pod`
//! (node); both produce [`StepResult`]s that are reduced here.
//!
//! - `plan`: the plan, the node's platform, credentials from pull secrets;
//! - `step`: the steps, their status, a step's result and facts;
//! - `facts` and `proxy`: what DNS, TCP, TLS and the registry said; proxies;
//! - `report`: one side's report and its verdict, `probe --json`;
//! - `compare`: the probe next to the cluster's error and to the node's;
//! - `view`: the probe pane's state;
//! - `node_line`: the probe pod's output lines.

pub mod blob;
mod compare;
mod facts;
#[cfg(test)]
mod fixtures;
mod node_line;
mod plan;
mod proxy;
mod report;
mod step;
mod view;

pub use crate::domain::realm::realm_refusal;
pub use compare::{ClusterError, Disagreement, compare_sides, compare_with_cluster};
pub use facts::{
    CERT_SOON_SECS, CertInfo, Challenge, DnsFacts, INDEX_TYPES, MANIFEST_ACCEPT, ManifestFacts,
    Resolution, TcpAttempt, TcpFacts, TcpOutcome, TlsFacts, TlsFailure, addrs_with_scope,
    cert_ends_soon, index_platforms, parse_challenges, token_grants_pull,
};
pub use node_line::{NODE_LINE, parse_node_line, parse_node_note, tls_failure_from_curl};
pub use plan::{Credential, Platform, ProbePlan, credentials_from_secret};
pub use proxy::{
    ProxyAddr, ProxyEnv, ProxyUse, connect_status, connect_verdict, parse_proxy_url, proxy_use,
    redact_proxy_url,
};
pub use report::{NodeJson, ProbeJson, ProbeReport, Side, Verdict};
pub use step::{Facts, Status, Step, StepResult};
pub use view::ProbeView;
