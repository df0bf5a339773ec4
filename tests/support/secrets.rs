//! The test password must be nowhere: not in output, screens, the audit log,
//! log files or `Debug` text — neither it, its base64, nor base64 of
//! `user:password` (the `auth` field of a docker config), nor the password
//! inside the base64 of a longer text (a whole `.dockerconfigjson`, at any
//! of the three alignments), nor its bytes as `Debug` prints a `Vec<u8>`
//! (a `ByteString`).

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use super::Harness;
use super::workload::walk;

/// What to search for, each with a name for the failure message.
pub fn needles(user: &str, pass: &str) -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![
        (pass.to_string(), "the password".to_string()),
        (b64.encode(pass), "base64 of the password".to_string()),
        (
            b64.encode(format!("{user}:{pass}")),
            "base64 of user:password".to_string(),
        ),
    ];
    // Inside a longer base64 text the password starts at byte offset 0, 1
    // or 2 of a 3-byte group: keep the characters that depend on its bytes
    // only (whole groups after the first partial one).
    for shift in 0..3usize {
        let mut bytes = vec![b'"'; shift];
        bytes.extend_from_slice(pass.as_bytes());
        let enc = b64.encode(&bytes);
        let start = if shift == 0 { 0 } else { 4 };
        let end = 4 * (bytes.len() / 3);
        if end > start + 4 {
            out.push((
                enc[start..end].to_string(),
                format!("the password inside base64 (offset {shift})"),
            ));
        }
    }
    let debug_bytes = format!("{:?}", pass.as_bytes());
    out.push((
        debug_bytes
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        "the password's bytes as Debug prints them".to_string(),
    ));
    out
}

/// The first form of the password found in `text`, if any.
pub fn find_password(user: &str, pass: &str, text: &str) -> Option<String> {
    needles(user, pass)
        .into_iter()
        .find(|(n, _)| text.contains(n.as_str()))
        .map(|(_, what)| what)
}

/// Panics when `text` holds the harness registry's password in any form.
pub fn assert_no_password(h: &Harness, text: &str, what: &str) {
    assert_clean(h.reg_auth_user(), h.reg_auth_pass(), text, what);
}

/// Panics when `text` holds `pass` in any form (the text is not printed).
pub fn assert_clean(user: &str, pass: &str, text: &str, what: &str) {
    if let Some(form) = find_password(user, pass, text) {
        panic!("{what} contains {form}");
    }
}

/// Every file under `dir` (audit log, logs) is clean.
pub fn assert_files_clean(h: &Harness, dir: &Path) {
    for p in walk(dir) {
        let bytes = std::fs::read(&p).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
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
