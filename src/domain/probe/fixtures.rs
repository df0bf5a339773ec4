//! Shared test fixtures: an image, a DNS step, a report of one side.

use std::net::IpAddr;

use super::{DnsFacts, Facts, ProbeReport, Resolution, Side, Step, StepResult};
use crate::domain::image::ImageRef;

pub fn image(s: &str) -> ImageRef {
    ImageRef::parse(s).expect("test image")
}

pub fn dns_step(addrs: &[&str]) -> StepResult {
    let addrs: Vec<IpAddr> = addrs.iter().map(|a| a.parse().expect("ip")).collect();
    StepResult::ok(Step::Dns, 2, "").with_facts(Facts::Dns(DnsFacts {
        system: Some(Resolution::Addrs { addrs }),
        ..DnsFacts::default()
    }))
}

pub fn report(side: Side, steps: Vec<StepResult>) -> ProbeReport {
    let mut r = ProbeReport::new(side, &image("reg.example.com/team/app:1.0"));
    r.steps = steps;
    r
}
