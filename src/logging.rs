//! Tracing to a file in the state (or cache) directory, never the terminal.
//! `PULLTUI_LOG` sets the filter (default `info`).

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where the log goes: `<state dir>/pulltui/pulltui.log`, else the cache dir.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "pulltui")?;
    Some(
        dirs.state_dir()
            .map(|d| d.to_path_buf())
            .unwrap_or_else(|| dirs.cache_dir().to_path_buf()),
    )
}

/// Starts file logging; keep the guard alive until exit. Logging problems
/// never stop the program. The file is private (0600, `crate::files`).
pub fn init() -> Option<WorkerGuard> {
    let file = crate::files::append(&log_dir()?.join("pulltui.log")).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("PULLTUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
