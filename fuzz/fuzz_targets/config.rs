//! The config file parser on any text: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = pulltui::config::parse(text);
    let _ = pulltui::config::parse_probe_image(text);
});
