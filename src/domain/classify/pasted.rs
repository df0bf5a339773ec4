//! A pasted `kubectl describe` / `kubectl get events` with several event
//! rows: the newest row that carries a cause decides (see the module docs of
//! [`super`] for what "newest" means).

use std::ops::Range;

use super::extract::{When, event_rows};
use super::{Classification, classify_single};
use crate::domain::taxonomy::Category;

/// The verdict of the newest row with a cause, its span placed in the whole
/// message; `None` when `message` is not several event rows, or none of
/// them carries a cause.
pub(super) fn classify_events(message: &str, reason: Option<&str>) -> Option<Classification> {
    let rows = event_rows(message)?;
    let mut best: Option<(When, Range<usize>, Classification)> = None;
    for row in rows {
        let c = classify_single(&message[row.span.clone()], reason);
        if c.category == Category::Unknown {
            continue;
        }
        let newer = match &best {
            None => true,
            Some((when, _, _)) => row.when.is_at_least_as_new_as(when),
        };
        if newer {
            best = Some((row.when, row.span, c));
        }
    }
    let (_, span, mut c) = best?;
    c.shift_span(span.start);
    c.registry_from_whole(message, reason);
    Some(c)
}
