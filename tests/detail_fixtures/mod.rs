//! Models with the pod detail open, events and pull-secret replies, for the
//! app and ui tests of the detail screen (fixed clock from home_fixtures).
#![allow(dead_code)]

use k8s_openapi::api::core::v1::Pod;
use pulltui::app::detail::DocLine;
use pulltui::app::msg::{DetailMsg, Fetch};
use pulltui::app::{ClusterMsg, Effect, Model, Msg};
use pulltui::domain::facts::EventRow;
use pulltui::domain::facts::WatchEvent;
use pulltui::domain::node_credentials::ServiceAccountView;
use pulltui::domain::secrets::{AuthKey, SecretInfo, normalize_key};
use serde_json::json;

use super::home_fixtures::*;

/// The plain text of a line of the detail's document.
pub fn line_text(line: &DocLine) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

/// Filters the home table down to `filter` and opens the detail with Enter.
pub fn open(m: &mut Model, filter: &str) -> Vec<Effect> {
    let mut msgs = vec![key('/')];
    msgs.extend(filter.chars().map(key));
    msgs.push(code(crossterm::event::KeyCode::Enter));
    send(m, msgs);
    send(m, [code(crossterm::event::KeyCode::Enter)])
}

pub fn detail_msg(m: &Model, msg: DetailMsg) -> Msg {
    let id = m
        .detail
        .as_ref()
        .map_or(pulltui::app::DetailId(0), |d| d.id);
    cluster(
        m,
        ClusterMsg::Detail {
            detail: id,
            msg: Box::new(msg),
        },
    )
}

pub fn ev(
    name: &str,
    type_: &str,
    reason: &str,
    count: u32,
    first: &str,
    last: &str,
    message: &str,
) -> EventRow {
    EventRow {
        name: name.into(),
        type_: type_.into(),
        reason: reason.into(),
        count,
        first_seen: Some(ts(first)),
        last_seen: Some(ts(last)),
        source: "kubelet, node-a1".into(),
        message: message.into(),
        container: Some("app".into()),
    }
}

/// The initial list of the pod's events.
pub fn listed(m: &Model, events: Vec<EventRow>) -> Vec<Msg> {
    let mut v = vec![detail_msg(m, DetailMsg::Events(WatchEvent::Init))];
    for e in events {
        v.push(detail_msg(m, DetailMsg::Events(WatchEvent::InitApply(e))));
    }
    v.push(detail_msg(m, DetailMsg::Events(WatchEvent::InitDone)));
    v
}

pub fn sa(m: &Model, secrets: &[&str]) -> Msg {
    detail_msg(
        m,
        DetailMsg::ServiceAccount(Fetch::Found(ServiceAccountView::with_secrets(
            secrets.iter().copied(),
        ))),
    )
}

pub fn secret(m: &Model, name: &str, result: Fetch<SecretInfo>) -> Msg {
    detail_msg(
        m,
        DetailMsg::Secret {
            name: name.into(),
            result,
        },
    )
}

/// A parsed dockerconfigjson with these `auths` keys, all for user `deploy`.
pub fn hosts(keys: &[&str]) -> Fetch<SecretInfo> {
    Fetch::Found(SecretInfo::Parsed {
        entries: keys
            .iter()
            .map(|k| AuthKey {
                key: k.to_string(),
                normalized: normalize_key(k),
                username: Some("deploy".into()),
                expiry: None,
            })
            .collect(),
    })
}

/// `pod` with `imagePullSecrets`.
pub fn with_secrets(mut p: Pod, names: &[&str]) -> Pod {
    let spec = p.spec.get_or_insert_with(Default::default);
    spec.image_pull_secrets = Some(
        names
            .iter()
            .map(|n| serde_json::from_value(json!({ "name": n })).expect("ref"))
            .collect(),
    );
    spec.node_name = Some("node-a1".into());
    p
}

pub const WEB_FAILED: &str = "Failed to pull image \"selfsigned.example/shop/web:1.4\": rpc error: code = Unknown desc = failed to pull and unpack image \"selfsigned.example/shop/web:1.4\": failed to resolve reference \"selfsigned.example/shop/web:1.4\": failed to do request: Head \"https://selfsigned.example/v2/shop/web/manifests/1.4\": x509: certificate signed by unknown authority";

/// The events of `web` while it backs off: the cause-bearing Failed event
/// and the repeats that carry none.
pub fn web_events() -> Vec<EventRow> {
    vec![
        ev(
            "web.1",
            "Normal",
            "Pulling",
            7,
            "2024-05-01T10:07:00Z",
            "2024-05-01T10:09:30Z",
            "Pulling image \"selfsigned.example/shop/web:1.4\"",
        ),
        ev(
            "web.2",
            "Warning",
            "Failed",
            7,
            "2024-05-01T10:07:00Z",
            "2024-05-01T10:09:30Z",
            WEB_FAILED,
        ),
        ev(
            "web.3",
            "Warning",
            "Failed",
            7,
            "2024-05-01T10:07:00Z",
            "2024-05-01T10:09:30Z",
            "Error: ErrImagePull",
        ),
        ev(
            "web.4",
            "Normal",
            "BackOff",
            12,
            "2024-05-01T10:07:01Z",
            "2024-05-01T10:09:50Z",
            "Back-off pulling image \"selfsigned.example/shop/web:1.4\"",
        ),
        ev(
            "web.5",
            "Warning",
            "Failed",
            12,
            "2024-05-01T10:07:01Z",
            "2024-05-01T10:09:50Z",
            "Error: ImagePullBackOff",
        ),
    ]
}

/// The home model of one failing pod (plus the healthy ones).
pub fn one(p: Pod, size: (u16, u16)) -> Model {
    model_with(vec![failing(p)], size)
}
