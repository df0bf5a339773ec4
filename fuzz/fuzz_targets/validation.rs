//! Annotation and name validation on any input: never panics, and what is
//! accepted is what the API server would accept in shape (ASCII, bounded),
//! and the pull-secret names pulltui makes up are valid names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pulltui::domain::mutation::{
    secret_name_for, validate_annotation, validate_dns1123_subdomain, validate_qualified_name,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // key NUL value
    let (key, value) = text.split_once('\0').unwrap_or((&text, ""));
    if validate_annotation(key, value).is_ok() {
        assert!(validate_qualified_name(key).is_ok(), "{key:?}");
    }
    // The name pulltui gives a new pull secret is always a valid name.
    let name = secret_name_for(&text);
    assert!(
        validate_dns1123_subdomain(&name).is_ok(),
        "{name:?} from {text:?}"
    );
    if validate_qualified_name(&text).is_ok() {
        assert!(text.is_ascii() && text.len() <= 253 + 1 + 63, "{text:?}");
        assert!(
            !text.chars().any(|c| c.is_control() || c == ' '),
            "{text:?}"
        );
    }
    if validate_dns1123_subdomain(&text).is_ok() {
        assert!(text.len() <= 253, "{text:?}");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
            "{text:?}"
        );
    }
});
