//! Snapshots: capture an incident to a file (`capture`), the file's format
//! (`format`; a fleet's: `fleet`), and the recorded backend that replays it
//! (`replay`).

pub mod capture;
pub mod fleet;
pub mod format;
pub mod probes;
pub mod replay;

pub use fleet::{FLEET_KIND, FleetSnapshot, fleet_to_yaml, load_any, parse_any};
pub use format::{LoadError, Snapshot, load, parse, to_yaml};
pub use replay::{Recorded, Replay};

/// The demo's first cluster (TKE Guangzhou), compiled into the binary.
pub const DEMO: &str = include_str!("../../assets/demo.yaml");

/// The demo's other clusters (a fleet file): the same registry's private
/// link broken in one more of them, the third healthy.
pub const DEMO_FLEET: &str = include_str!("../../assets/demo-fleet.yaml");

/// The incident `pulltui --demo` replays: every cluster of the demo.
pub fn demo() -> Result<Vec<Snapshot>, LoadError> {
    let mut clusters = vec![parse(DEMO)?];
    clusters.extend(parse_any(DEMO_FLEET)?);
    Ok(clusters)
}
