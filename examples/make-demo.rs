//! Writes the demo incident that `pulltui --demo` replays: its first
//! cluster, `cargo run --example make-demo > assets/demo.yaml`, and its
//! other clusters as a fleet snapshot,
//! `cargo run --example make-demo -- --fleet > assets/demo-fleet.yaml`.

#[path = "make_demo/incident.rs"]
mod incident;

fn main() -> std::process::ExitCode {
    let fleet = std::env::args().nth(1).as_deref() == Some("--fleet");
    let text = if fleet {
        pulltui::snapshot::fleet_to_yaml(&incident::fleet())
    } else {
        pulltui::snapshot::to_yaml(&incident::incident())
    };
    match text {
        Ok(y) => {
            print!("{y}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("make-demo: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
