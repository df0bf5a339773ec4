//! `pulltui snapshot -o FILE`: capture the failing pods and their evidence.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{ClusterArgs, tokio_runtime};

pub fn run(args: &ClusterArgs, output: &Path) -> ExitCode {
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui snapshot: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = |m: &str| eprintln!("pulltui snapshot: {m}");
    let snap = match rt.block_on(crate::snapshot::capture::capture(
        &args.target(),
        args.scope(),
        &progress,
    )) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pulltui snapshot: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(yaml) = save(output, crate::snapshot::to_yaml(&snap)) else {
        return ExitCode::from(2);
    };
    eprintln!(
        "pulltui snapshot: wrote {} ({} failing pods, {} events, {} bytes); open it with `pulltui --replay {}`",
        output.display(),
        snap.pods.len(),
        snap.events.len(),
        yaml.len(),
        output.display()
    );
    ExitCode::SUCCESS
}

/// Writes the file's text (or says why it cannot); the text written.
fn save(output: &Path, yaml: Result<String, String>) -> Option<String> {
    let yaml = match yaml {
        Ok(y) => y,
        Err(e) => {
            eprintln!("pulltui snapshot: cannot write YAML: {e}");
            return None;
        }
    };
    if let Err(e) = write_whole(output, &yaml) {
        eprintln!("pulltui snapshot: cannot write {}: {e}", output.display());
        return None;
    }
    Some(yaml)
}

/// Written next to the target and renamed: a failed run never leaves half
/// a file.
fn write_whole(output: &Path, text: &str) -> std::io::Result<()> {
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(text.as_bytes())?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, output)
}

/// `pulltui snapshot --all-contexts | --contexts … -o FILE`: every context
/// captured at once into one fleet file (`--replay` opens it as a fleet).
/// A context that cannot be captured is named; the others are written and
/// the exit code is 2.
pub fn run_fleet(args: &ClusterArgs, output: &Path) -> ExitCode {
    let contexts = args.fleet_contexts();
    if contexts.is_empty() {
        eprintln!(
            "pulltui snapshot: no context to capture (the kubeconfig has none, or none was named)"
        );
        return ExitCode::from(2);
    }
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulltui snapshot: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let captures = contexts.iter().map(|ctx| {
        let mut target = args.target();
        target.context = Some(ctx.clone());
        let scope = args.scope();
        let ctx = ctx.clone();
        async move {
            let progress = |m: &str| {
                eprintln!(
                    "pulltui snapshot: context {}: {m}",
                    crate::domain::inert::inert(&ctx)
                )
            };
            let res = crate::snapshot::capture::capture(&target, scope, &progress).await;
            (ctx.clone(), res)
        }
    });
    let results = rt.block_on(futures::future::join_all(captures));
    let mut clusters = Vec::new();
    let mut failed = 0;
    for (ctx, res) in results {
        match res {
            Ok(s) => clusters.push(s),
            Err(e) => {
                failed += 1;
                let ctx = crate::domain::inert::inert(&ctx);
                eprintln!("pulltui snapshot: context {ctx}: not captured: {e}");
            }
        }
    }
    if clusters.is_empty() {
        eprintln!("pulltui snapshot: no context could be captured; nothing written");
        return ExitCode::from(2);
    }
    let (pods, events) = clusters
        .iter()
        .fold((0, 0), |(p, e), s| (p + s.pods.len(), e + s.events.len()));
    let n = clusters.len();
    let fleet = crate::snapshot::FleetSnapshot::new(clusters);
    let Some(yaml) = save(output, crate::snapshot::fleet_to_yaml(&fleet)) else {
        return ExitCode::from(2);
    };
    eprintln!(
        "pulltui snapshot: wrote {} ({n} clusters, {pods} failing pods, {events} events, {} bytes); open it with `pulltui --replay {}`",
        output.display(),
        yaml.len(),
        output.display()
    );
    if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!(".pulltui-snapshot-{}-{i}.tmp", std::process::id()));
        // Private (0600): the file is renamed over the output as it is.
        match crate::files::create_new(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no temporary file name available"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_snapshot_is_written_private_whatever_the_umask() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _file) = super::tempfile_in(dir.path()).expect("temporary file");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path:?} is {mode:o}");
    }
}
