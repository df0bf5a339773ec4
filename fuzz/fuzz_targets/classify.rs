//! The classifier on any message (lossy UTF-8) and any reason: never
//! panics, and the cause span, when there is one, is the cause's place in
//! the message (the detail screen and `explain` slice the message with it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pulltui::domain::classify::classify;

const REASONS: [Option<&str>; 8] = [
    None,
    Some("ErrImagePull"),
    Some("ImagePullBackOff"),
    Some("Failed"),
    Some("InvalidImageName"),
    Some("ErrImageNeverPull"),
    Some("CreateContainerConfigError"),
    Some("FailedToRetrieveImagePullSecret"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&r, rest)) = data.split_first() else {
        return;
    };
    let message = String::from_utf8_lossy(rest);
    let c = classify(&message, REASONS[usize::from(r) % REASONS.len()]);
    if let Some(span) = &c.cause_span {
        let Some(text) = message.get(span.clone()) else {
            panic!(
                "cause span {span:?} is not a char range of a {}-byte message",
                message.len()
            );
        };
        assert_eq!(text, c.cause, "span {span:?}");
    }
    let _ = c.doubt();
    let _ = c.has_cause();
});
