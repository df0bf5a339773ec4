//! Writes the demo incident that `pulltui --demo` replays:
//! `cargo run --example make-demo > assets/demo.yaml`.

#[path = "make_demo/incident.rs"]
mod incident;

fn main() -> std::process::ExitCode {
    match pulltui::snapshot::to_yaml(&incident::incident()) {
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
