//! Recent classifications, bounded in bytes; cleared when full.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{LazyLock, Mutex};

use super::Classification;

/// Longer messages are classified every time (and are rare).
const MAX_MESSAGE: usize = 8 * 1024;
/// Bytes of remembered messages (plus a fixed cost per entry).
const MAX_BYTES: usize = 4 << 20;
const ENTRY_COST: usize = 512;

struct Entry {
    message: Box<str>,
    reason: Option<Box<str>>,
    class: Classification,
}

#[derive(Default)]
struct Memo {
    map: HashMap<u64, Entry>,
    bytes: usize,
}

static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);

fn key(message: &str, reason: Option<&str>) -> u64 {
    let mut h = DefaultHasher::new();
    message.hash(&mut h);
    reason.hash(&mut h);
    h.finish()
}

pub(super) fn get_or(
    message: &str,
    reason: Option<&str>,
    compute: impl FnOnce() -> Classification,
) -> Classification {
    if message.len() > MAX_MESSAGE {
        return compute();
    }
    let k = key(message, reason);
    if let Ok(m) = MEMO.lock()
        && let Some(e) = m.map.get(&k)
        && &*e.message == message
        && e.reason.as_deref() == reason
    {
        return e.class.clone();
    }
    let class = compute();
    if let Ok(mut m) = MEMO.lock() {
        let cost = message.len() + ENTRY_COST;
        if m.bytes + cost > MAX_BYTES {
            m.map.clear();
            m.bytes = 0;
        }
        let old = m.map.insert(
            k,
            Entry {
                message: message.into(),
                reason: reason.map(Into::into),
                class: class.clone(),
            },
        );
        m.bytes += cost;
        if let Some(o) = old {
            m.bytes = m.bytes.saturating_sub(o.message.len() + ENTRY_COST);
        }
    }
    class
}

#[cfg(test)]
mod tests {
    use super::super::classify;

    #[test]
    fn a_remembered_answer_is_the_computed_one() {
        let msgs = [
            "dial tcp: lookup reg.example: no such host",
            "x509: certificate signed by unknown authority",
            "manifest unknown",
        ];
        for m in msgs {
            let first = classify(m, Some("Failed"));
            let again = classify(m, Some("Failed"));
            assert_eq!(first, again);
            assert_eq!(first, super::super::classify_single(m, Some("Failed")));
        }
    }

    #[test]
    fn the_reason_is_part_of_the_key() {
        // A message with no cause: the reason alone decides.
        let m = "Back-off pulling image \"reg.example/app:1\" (memo test)";
        let failed = classify(m, Some("Failed"));
        let never = classify(m, Some("ErrImageNeverPull"));
        assert_ne!(failed.category, never.category);
        assert_eq!(classify(m, Some("Failed")).category, failed.category);
    }
}
