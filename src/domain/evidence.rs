//! The one evidence decision: which message is the cause of a container's
//! pull failure, and where it came from. The home rows (`failing`), the
//! detail screen and `check` all call `decide`; nothing else chooses.
//!
//! The rules, in order:
//! 1. The container's waiting message decides when it carries a cause and is
//!    not ImagePullBackOff's bare "Back-off pulling image".
//! 2. Else the newest `Failed` event of the container with a cause; else the
//!    newest other warning with one (`FailedToRetrieveImagePullSecret`).
//! 3. Else a cause remembered from an event the console saw earlier.
//! 4. Else the waiting message, if it has a cause at all; else nothing
//!    (events not listed yet, or expired).
//!
//! Then: a credentials failure of a pod whose pull secret does not exist is
//! the missing secret's fault — kubelet's warning becomes the evidence.

use jiff::Timestamp;
use serde::Serialize;

use super::classify::{Category, Classification, classify};
use super::kubelet;
use super::pod::FailingContainer;

/// An event as the decision sees it (newest first in the slice given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventView<'a> {
    pub reason: &'a str,
    pub message: &'a str,
    /// `None`: about the whole pod (applies to every container).
    pub container: Option<&'a str>,
    pub warning: bool,
    pub last_seen: Option<Timestamp>,
    pub count: u32,
}

/// A cause the console saw in an event earlier (the row remembers it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remembered<'a> {
    pub message: &'a str,
    pub count: u32,
}

/// Where a row's cause came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseSource {
    /// The container's waiting message.
    Status,
    /// The pod's latest `Failed` event for the container.
    Event,
    /// Neither carries a cause (events expired, or not seen yet).
    Missing,
}

/// Where the pull error shown comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CauseFrom {
    /// The container's waiting message.
    Status,
    /// An event of the pod, listed now.
    Event {
        reason: String,
        last_seen: Option<Timestamp>,
        count: u32,
    },
    /// An event the console saw earlier that the pod's events no longer list.
    Remembered { count: u32 },
    /// No message carries a cause and the events that did have expired.
    Expired,
    /// The pod's events are not listed yet.
    Waiting,
}

impl CauseFrom {
    /// The coarse kind kept on rows (`FailureRow::cause_source`).
    pub fn source(&self) -> CauseSource {
        match self {
            CauseFrom::Status => CauseSource::Status,
            CauseFrom::Event { .. } | CauseFrom::Remembered { .. } => CauseSource::Event,
            CauseFrom::Expired | CauseFrom::Waiting => CauseSource::Missing,
        }
    }
}

/// The decision: the message, where it came from, and its classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The message the cause was found in (empty when none was).
    pub message: String,
    pub from: CauseFrom,
    pub class: Classification,
    /// The pull's own category, before a missing pull secret took the blame
    /// (equal to `class.category` otherwise).
    pub pull_category: Category,
}

/// Whether the pod's events have been listed (a missing cause is then
/// "expired", else "not listed yet").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsListed {
    Yes,
    NotYet,
}

/// Decides the evidence of one failing container. `events` are the pod's
/// events, newest first (a row passes the one latest cause event it keeps).
pub fn decide(
    fc: &FailingContainer<'_>,
    events: &[EventView<'_>],
    remembered: Option<Remembered<'_>>,
    listed: EventsListed,
) -> Decision {
    let d = decide_pull(fc, events, remembered, listed);
    let pull_category = d.class.category;
    if !matches!(
        d.class.category,
        Category::AuthNoCredentials | Category::AuthDenied
    ) {
        return d;
    }
    let secret = events.iter().find_map(|e| {
        (e.reason == kubelet::FAILED_TO_RETRIEVE_PULL_SECRET)
            .then(|| (e, classify(e.message, Some(e.reason))))
            .filter(|(_, c)| c.category == Category::CredentialsSecretMissing)
    });
    match secret {
        Some((e, class)) => Decision {
            message: e.message.to_string(),
            from: from_event(e),
            class,
            pull_category,
        },
        None => d,
    }
}

fn from_event(e: &EventView<'_>) -> CauseFrom {
    CauseFrom::Event {
        reason: e.reason.to_string(),
        last_seen: e.last_seen,
        count: e.count,
    }
}

fn decide_pull(
    fc: &FailingContainer<'_>,
    events: &[EventView<'_>],
    remembered: Option<Remembered<'_>>,
    listed: EventsListed,
) -> Decision {
    let from_status = classify(fc.message, Some(fc.reason));
    let status = |class: Classification| Decision {
        message: fc.message.to_string(),
        from: CauseFrom::Status,
        pull_category: class.category,
        class,
    };
    if from_status.has_cause() && fc.reason != kubelet::IMAGE_PULL_BACK_OFF {
        return status(from_status);
    }
    let find = |failed_only: bool| {
        events.iter().find_map(|e| {
            let mine = e.container.is_none_or(|c| c == fc.name);
            let wanted = if failed_only {
                e.reason == kubelet::FAILED
            } else {
                e.warning
            };
            if !mine || !wanted {
                return None;
            }
            let c = classify(e.message, Some(e.reason));
            c.has_cause().then_some((e, c))
        })
    };
    if let Some((e, class)) = find(true).or_else(|| find(false)) {
        return Decision {
            message: e.message.to_string(),
            from: from_event(e),
            pull_category: class.category,
            class,
        };
    }
    if let Some(r) = remembered {
        let class = classify(r.message, Some(kubelet::FAILED));
        if class.has_cause() {
            let from = match listed {
                // Not listed yet: it is most likely still there.
                EventsListed::NotYet => CauseFrom::Event {
                    reason: kubelet::FAILED.into(),
                    last_seen: None,
                    count: r.count,
                },
                EventsListed::Yes => CauseFrom::Remembered { count: r.count },
            };
            return Decision {
                message: r.message.to_string(),
                from,
                pull_category: class.category,
                class,
            };
        }
    }
    if from_status.has_cause() {
        return status(from_status);
    }
    Decision {
        message: String::new(),
        pull_category: from_status.category,
        from: match listed {
            EventsListed::NotYet => CauseFrom::Waiting,
            EventsListed::Yes => CauseFrom::Expired,
        },
        class: from_status,
    }
}
