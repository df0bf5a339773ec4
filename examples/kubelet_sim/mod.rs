//! The kubelet simulator's parts: image references, registry resolution with
//! containerd's error texts, pull credentials, event correlation, the Node,
//! and the pod workers.

pub mod creds;
pub mod events;
pub mod exec;
pub mod node;
pub mod pods;
pub mod reference;
pub mod registry;
