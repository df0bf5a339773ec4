//! The `pulltui` binary: command line, logging to a file, then the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = pulltui::cli::Cli::parse();
    pulltui::cli::run(cli)
}
