//! The `pulltui` binary: command line, logging to a file, then the library.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// glibc's malloc keeps a heap (arena) per thread: the watchers decode pages
/// of 500 pods on one tokio worker and free them on another, and the freed
/// pages stay resident in each arena. One arena, and big buffers always
/// mapped and given back (a fixed mmap threshold instead of glibc's rising
/// one), keep the peak RSS of 50,000 pods under 100 MB (the figures:
/// docs/performance.md). Set before any thread exists;
/// `MALLOC_*` variables are still honoured where they are given.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set = |param: libc::c_int, env: &str, value: libc::c_int| {
            if std::env::var_os(env).is_none() {
                // SAFETY: mallopt only changes allocator parameters; it is
                // called before the runtime starts any thread.
                unsafe {
                    libc::mallopt(param, value);
                }
            }
        };
        set(libc::M_ARENA_MAX, "MALLOC_ARENA_MAX", 1);
        set(libc::M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", 128 * 1024);
        set(libc::M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", 128 * 1024);
    }
}

/// Run as `kubectl-pulltui` (a symlink or copy on the PATH, or krew's):
/// kubectl started it for `kubectl pulltui …`, so usage and errors say that.
fn bin_name() -> Option<&'static str> {
    let argv0 = std::env::args_os().next()?;
    let name = std::path::Path::new(&argv0)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    (name == "kubectl-pulltui" || name == "kubectl-pulltui.exe").then_some("kubectl pulltui")
}

fn main() -> ExitCode {
    tune_malloc();
    let mut cmd = pulltui::cli::Cli::command();
    if let Some(name) = bin_name() {
        cmd = cmd.bin_name(name);
    }
    let cli = pulltui::cli::Cli::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit());
    pulltui::cli::run(cli)
}
