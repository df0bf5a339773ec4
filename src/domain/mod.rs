//! Pure domain logic: no async, no terminal, no clock, no environment.
//! Kubernetes types in, plain values out.

pub mod api_error;
pub mod audit;
pub mod changes;
pub mod classify;
pub mod clock;
pub mod cluster_id;
pub mod cred_expiry;
pub mod evidence;
pub mod facet;
pub mod facts;
pub mod failing;
pub mod fixes;
pub mod history;
pub mod image;
pub mod inert;
pub mod inventory;
pub mod ipscope;
pub mod journal;
pub mod kubelet;
pub mod mutation;
pub mod node_credentials;
pub mod owners;
pub mod pod;
pub mod podset;
pub mod postmortem;
pub mod probe;
pub mod realm;
pub mod redact;
pub mod report;
pub mod reverify;
pub mod scope;
pub mod secrets;
pub mod taxonomy;
pub mod upstream;

pub use mutation::template_change;
