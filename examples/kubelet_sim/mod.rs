//! The kubelet simulator's parts: image references, registry resolution with
//! containerd's error texts, pull credentials, event correlation, the Node,
//! the kubelet's version and runtime (their words), the pod workers, one
//! pod sync and the status it leaves, and the image store of a node that
//! keeps its images.

pub mod creds;
pub mod dns;
pub mod events;
pub mod exec;
pub mod images;
pub mod kubelet;
pub mod node;
pub mod pods;
pub mod reference;
pub mod registry;
pub mod status;
pub mod sync;
