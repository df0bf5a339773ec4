//! The snapshot loader on any text: never panics; a file it accepts
//! replays into `check`'s rows, and every text in them is inert (no control,
//! C1 or bidi character reaches a terminal).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pulltui::domain::inert::is_hostile;
use pulltui::snapshot::{Recorded, parse};

fuzz_target!(|text: &str| {
    let Ok(snapshot) = parse(text) else {
        return;
    };
    let report = Recorded::new(snapshot).report();
    let inert = |s: &str| !s.chars().any(is_hostile);
    for r in &report.rows {
        for s in [
            &r.namespace,
            &r.pod,
            &r.container,
            &r.image,
            &r.reason,
            &r.message,
            &r.cause,
        ] {
            assert!(inert(s), "{s:?}");
        }
        assert!(inert(&r.workload_label()));
        assert!(inert(r.registry_label()));
    }
    for s in [&report.context, &report.server, &report.fallback]
        .into_iter()
        .flatten()
    {
        assert!(inert(s), "{s:?}");
    }
});
