//! The test password must be nowhere: not in output, screens, the audit log,
//! log files or `Debug` text — neither it, its base64, nor base64 of
//! `user:password` (the `auth` field of a docker config).

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use super::Harness;
use super::workload::walk;

/// Panics when `text` holds the harness registry's password in any form.
pub fn assert_no_password(h: &Harness, text: &str, what: &str) {
    let user = h.reg_auth_user();
    let pass = h.reg_auth_pass();
    let b64 = base64::engine::general_purpose::STANDARD;
    for needle in [
        pass.to_string(),
        b64.encode(pass),
        b64.encode(format!("{user}:{pass}")),
    ] {
        assert!(
            !text.contains(&needle),
            "{what} contains the test password or its base64"
        );
    }
}

/// Every file under `dir` (audit log, logs) is clean.
pub fn assert_files_clean(h: &Harness, dir: &Path) {
    for p in walk(dir) {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        assert_no_password(h, &text, &p.display().to_string());
    }
}

/// The audit log's lines under a data directory.
pub fn audit_lines(data_dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(data_dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}
