//! Ages as kubectl prints them, from an explicit clock.

use jiff::Timestamp;

/// kubectl-style age: `45s`, `3m`, `5h`, `2d`; `?` when unknown.
pub fn age(now: Timestamp, since: Option<Timestamp>) -> String {
    let Some(since) = since else {
        return "?".into();
    };
    let secs = now.as_second().saturating_sub(since.as_second()).max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}
