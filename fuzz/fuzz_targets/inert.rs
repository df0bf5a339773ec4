//! Inert text on any input: the output has no control, C1 or bidi
//! character, a second pass changes nothing, the bounded forms are bounded,
//! and the JSON form decodes to the original.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use pulltui::domain::inert::{inert, inert_cut, inert_message, is_hostile, json_to_string};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let s = String::from_utf8_lossy(rest);
    let out = inert(&s);
    assert!(
        !out.chars().any(|c| is_hostile(c) || c.is_control()),
        "{out:?}"
    );
    assert!(
        matches!(inert(&out), Cow::Borrowed(_)),
        "not idempotent: {out:?}"
    );
    if !s.chars().any(is_hostile) {
        assert!(matches!(out, Cow::Borrowed(_)));
    }
    let max = usize::from(n) + 1;
    let cut = inert_cut(&s, max);
    assert!(cut.chars().count() <= max && !cut.chars().any(is_hostile));
    let m = inert_message(&s, max + 8);
    assert!(m.len() <= max + 8 + " … ".len() + 3 && !m.chars().any(is_hostile));
    let j = json_to_string(s.as_ref()).expect("a string serialises");
    assert!(!j.chars().any(is_hostile), "{j:?}");
    let back: String = serde_json::from_str(&j).expect("valid JSON");
    assert_eq!(back, s);
});
