//! Shared test fixtures: a Deployment target and the context of its pod.

use super::{FixParams, PodContext};
use crate::domain::facet::Facet;
use crate::domain::owners::{TemplatePath, WriteTarget};

pub fn deployment() -> WriteTarget {
    WriteTarget {
        kind: "Deployment".into(),
        api_version: "apps/v1".into(),
        namespace: "shop".into(),
        name: "web".into(),
        template: TemplatePath::Template,
    }
}

pub fn ctx(target: WriteTarget) -> PodContext {
    PodContext {
        namespace: "shop".into(),
        name: "web-1".into(),
        container: "app".into(),
        init: false,
        image: "127.0.0.1:5443/team/app:1.0".into(),
        pull_secrets: vec!["other".into()],
        service_account: "default".into(),
        target,
        category: None,
        missing_secret: None,
        failing_pods: vec![],
        paused: false,
        facet: Facet::Container,
        volume: None,
        injected: None,
    }
}

pub fn params_image(image: &str) -> FixParams {
    FixParams {
        image: Some(image.into()),
        ..Default::default()
    }
}
