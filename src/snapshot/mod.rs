//! Snapshots: capture an incident to a file (`capture`), the file's format
//! (`format`), and the recorded backend that replays it (`replay`).

pub mod capture;
pub mod format;
pub mod probes;
pub mod replay;

pub use format::{LoadError, Snapshot, load, parse, to_yaml};
pub use replay::{Recorded, Replay};

/// The incident `pulltui --demo` replays, compiled into the binary.
pub const DEMO: &str = include_str!("../../assets/demo.yaml");
