//! What a write that failed half-way leaves for the user to finish: the
//! Job that was deleted but could not be created again, in a file of the
//! user's own (its spec may hold literal env values, so it goes into no
//! message, log or audit line).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::domain::owners::WriteTarget;

/// Writes `job` to `<dir>/job-<namespace>-<name>-<time>.json`, created new
/// with mode 0600; returns its path.
pub fn keep_job(dir: &Path, target: &WriteTarget, job: &Value) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.fZ");
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let path = dir.join(format!(
        "job-{}-{}-{stamp}.json",
        safe(&target.namespace),
        safe(&target.name)
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    let text = serde_json::to_string_pretty(job).map_err(std::io::Error::other)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_kept_job_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut target = WriteTarget::pod("shop", "../once");
        target.kind = "Job".into();
        let job = serde_json::json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]}}}});
        let path = keep_job(&dir.path().join("recovery"), &target, &job).expect("kept");
        assert!(
            path.starts_with(dir.path().join("recovery")),
            "{}",
            path.display()
        );
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_eq!(back, job);
    }
}
