//! The image-reference parser on any string: never panics; an accepted
//! reference's canonical form parses again, to the same reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pulltui::domain::image::ImageRef;

fuzz_target!(|s: &str| {
    let Ok(r) = ImageRef::parse(s) else {
        return;
    };
    let _ = (
        r.host(),
        r.port(),
        r.is_docker_hub(),
        r.manifest_reference(),
    );
    let canonical = r.canonical();
    match ImageRef::parse(&canonical) {
        Ok(again) => assert_eq!(again.canonical(), canonical, "from {s:?}"),
        Err(e) => panic!("canonical {canonical:?} of {s:?} does not parse: {e:?}"),
    }
});
