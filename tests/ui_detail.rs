//! The pod detail rendered into a `TestBackend` at fixed sizes and a fixed
//! clock, one snapshot per category family (tests/snapshots/).

mod detail_fixtures;
mod home_fixtures;
mod support;

use crossterm::event::KeyCode;
use detail_fixtures::*;
use home_fixtures::*;
use pulltui::app::Model;
use pulltui::app::msg::{DetailMsg, Fetch};
use pulltui::domain::secrets::SecretInfo;
use pulltui::ui::Theme;
use ratatui::style::Modifier;
use support::screen::{draw, screen};

/// The text drawn with the highlight (reverse + underline) of the cause.
fn highlighted(model: &Model) -> String {
    let t = draw(model, Theme::plain());
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        for x in 0..buf.area.width {
            if let Some(c) = buf.cell((x, y))
                && c.modifier
                    .contains(Modifier::REVERSED | Modifier::UNDERLINED)
                && y > 0
            {
                out.push_str(c.symbol());
            }
        }
    }
    out.trim_end().to_string()
}

fn web_detail(size: (u16, u16)) -> Model {
    let mut m = one(with_secrets(web(), &[]), size);
    open(&mut m, "web");
    let mut msgs = listed(&m, web_events());
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    m
}

#[test]
fn tls_from_the_failed_event() {
    let m = web_detail((120, 40));
    assert_eq!(
        highlighted(&m),
        "x509: certificate signed by unknown authority"
    );
    insta::assert_snapshot!("detail_tls", screen(&m));
}

#[test]
fn tls_at_80x24() {
    let m = web_detail((80, 24));
    insta::assert_snapshot!("detail_tls_80x24", screen(&m));
}

#[test]
fn network_timeout_to_a_public_ip() {
    let mut m = one(with_secrets(timeout_pod(), &[]), (120, 32));
    open(&mut m, "agent");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    assert_eq!(highlighted(&m), "dial tcp 43.1.2.3:5000: i/o timeout");
    let s = screen(&m);
    assert!(s.contains("[public IP]"), "{s}");
    insta::assert_snapshot!("detail_network", s);
}

/// The probes in the FIXES list carry their keys as the fix keys do, and
/// the footer offers the keys that apply to this container.
#[test]
fn the_probe_fixes_carry_their_keys_and_the_footer_offers_them() {
    let mut m = one(with_secrets(timeout_pod(), &[]), (120, 32));
    open(&mut m, "agent");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    let s = screen(&m);
    assert!(
        s.contains("• [p] Probe the registry from this machine"),
        "{s}"
    );
    assert!(s.contains("• [P] Probe from the failing pod's node"), "{s}");
    let footer = s.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains(" p probe "), "{footer}");
    assert!(footer.contains(" P probe from node "), "{footer}");
    // A TLS failure: the annotate fix's key and the restart's too.
    let t = screen(&web_detail((160, 40)));
    let footer = t.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains(" a annotate "), "{footer}");
    assert!(footer.contains(" p probe "), "{footer}");
    // --read-only: the keys that write (and the node probe, which creates
    // a pod) are not offered; the probe is.
    let mut ro = web_detail((160, 40));
    ro.actions.read_only = true;
    let r = screen(&ro);
    let footer = r.lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains(" a annotate "), "{footer}");
    assert!(!footer.contains("probe from node"), "{footer}");
    assert!(footer.contains(" p probe "), "{footer}");
}

#[test]
fn protocol_plain_http_registry() {
    let img = "10.0.0.5:5000/team/api:3";
    let p = deploy_pod(
        "team",
        "api",
        "h7p2q",
        img,
        "ErrImagePull",
        &format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": failed to do request: Head \"https://10.0.0.5:5000/v2/team/api/manifests/3\": http: server gave HTTP response to HTTPS client"
        ),
    );
    let mut m = one(with_secrets(p, &[]), (120, 32));
    open(&mut m, "api");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    assert_eq!(highlighted(&m), "server gave HTTP response to HTTPS client");
    insta::assert_snapshot!("detail_protocol", screen(&m));
}

/// An upstream event by name: the gcr.io pod of the 2025 incident.
#[test]
fn upstream_event_in_the_detail() {
    let mut m = upstream_incident((120, 40));
    open(&mut m, "e5r1t");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    let s = screen(&m);
    assert!(
        s.contains(" UPSTREAM ⚑ Google Container Registry (gcr.io) shut down  (since 2025-04-22)"),
        "{s}"
    );
    insta::assert_snapshot!("detail_upstream", s);
}

fn worker_detail(secrets: &[&str], replies: Vec<(&str, Fetch<SecretInfo>)>) -> Model {
    let mut m = one(with_secrets(worker("n6m4x"), secrets), (120, 30));
    open(&mut m, "n6m4x");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    for (name, r) in replies {
        msgs.push(secret(&m, name, r));
    }
    send(&mut m, msgs);
    m
}

#[test]
fn auth_without_any_secret() {
    let m = worker_detail(&[], vec![]);
    assert_eq!(highlighted(&m), "401 Unauthorized");
    insta::assert_snapshot!("detail_auth_nosecret", screen(&m));
}

#[test]
fn auth_with_a_secret_for_another_host() {
    let m = worker_detail(
        &["regcred"],
        vec![("regcred", hosts(&["https://private.example:5000/v1/"]))],
    );
    insta::assert_snapshot!("detail_auth_wronghost", screen(&m));
}

#[test]
fn auth_with_a_covering_secret_still_refused() {
    let m = worker_detail(
        &["regcred", "gone", "opaque"],
        vec![
            ("regcred", hosts(&["private.example", "docker.io"])),
            ("gone", Fetch::Missing),
            (
                "opaque",
                Fetch::Found(SecretInfo::WrongType {
                    secret_type: "Opaque".into(),
                }),
            ),
        ],
    );
    insta::assert_snapshot!("detail_auth_covered", screen(&m));
}

#[test]
fn auth_for_a_read_only_user() {
    let mut m = worker_detail(&["regcred"], vec![("regcred", Fetch::Forbidden)]);
    let msg = detail_msg(&m, DetailMsg::ServiceAccount(Fetch::Forbidden));
    send(&mut m, [msg]);
    let s = screen(&m);
    assert!(s.contains("cannot check (forbidden)"), "{s}");
    insta::assert_snapshot!("detail_auth_forbidden", s);
}

#[test]
fn image_not_found_with_the_right_secret() {
    let img = "private.example/pay/worker:9.9";
    let p = deploy_pod(
        "pay",
        "worker",
        "t4g8s",
        img,
        "ErrImagePull",
        &format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": {img}: not found"
        ),
    );
    let mut m = one(with_secrets(p, &["regcred"]), (120, 30));
    open(&mut m, "t4g8s");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    msgs.push(secret(&m, "regcred", hosts(&["private.example"])));
    send(&mut m, msgs);
    insta::assert_snapshot!("detail_image", screen(&m));
}

#[test]
fn credentials_secret_missing() {
    let img = "private.example/pay/worker:2.0";
    let p = deploy_pod(
        "pay",
        "worker",
        "m1s5g",
        img,
        "ImagePullBackOff",
        &backoff(img),
    );
    let mut m = one(with_secrets(p, &["regcred"]), (120, 30));
    open(&mut m, "m1s5g");
    let events = vec![
        ev(
            "w.1",
            "Normal",
            "BackOff",
            9,
            "2024-05-01T10:02:00Z",
            "2024-05-01T10:09:40Z",
            &backoff(img),
        ),
        ev(
            "w.2",
            "Warning",
            "FailedToRetrieveImagePullSecret",
            9,
            "2024-05-01T10:02:00Z",
            "2024-05-01T10:09:40Z",
            "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
        ),
    ];
    let mut msgs = listed(&m, events);
    msgs.push(sa(&m, &[]));
    msgs.push(secret(&m, "regcred", Fetch::Missing));
    send(&mut m, msgs);
    insta::assert_snapshot!("detail_credentials", screen(&m));
}

#[test]
fn expired_events_offer_the_probe() {
    let mut m = one(with_secrets(web(), &[]), (120, 30));
    open(&mut m, "web");
    let backoff_only = web_events()
        .into_iter()
        .filter(|e| e.reason == "BackOff")
        .collect();
    let mut msgs = listed(&m, backoff_only);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    insta::assert_snapshot!("detail_expired", screen(&m));
}

#[test]
fn help_on_the_detail() {
    let mut m = web_detail((100, 30));
    send(&mut m, [key('?')]);
    let s = screen(&m);
    let detail = pulltui::app::Screen::Detail;
    for intent in pulltui::app::keymap::Intent::on_screen(detail) {
        assert!(
            s.contains(intent.describe_on(detail)),
            "help lacks {intent:?}:\n{s}"
        );
    }
    assert!(
        !s.contains("cycle grouping"),
        "home keys are not listed:\n{s}"
    );
    insta::assert_snapshot!("detail_help", s);
}

#[test]
fn scrolled_to_the_events() {
    let mut m = web_detail((100, 24));
    send(&mut m, [code(KeyCode::End)]);
    insta::assert_snapshot!("detail_scrolled", screen(&m));
}

/// A pod whose sandbox (pause) image cannot be pulled: only its
/// `FailedCreatePodSandBox` event says so. The detail names the facet, says
/// pod pull secrets are irrelevant, and offers node guidance only.
#[test]
fn sandbox_image_offers_node_guidance_only() {
    use pulltui::app::msg::ClusterMsg;
    use pulltui::domain::facts::{EventFact, WatchEvent};
    use pulltui::domain::failing::PodKey;
    let mut p = deploy_pod(
        "shop",
        "cart",
        "sb1xz",
        "private.example/shop/cart:3",
        "ContainerCreating",
        "",
    );
    if let Some(spec) = p.spec.as_mut() {
        spec.runtime_class_name = Some("kata".into());
    }
    let mut m = one(with_secrets(p, &["regcred"]), (120, 34));
    let msg = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"pause.example/kata/pause:3.10\": failed to pull image \"pause.example/kata/pause:3.10\": failed to pull and unpack image \"pause.example/kata/pause:3.10\": failed to resolve reference \"pause.example/kata/pause:3.10\": failed to do request: Head \"https://pause.example/v2/kata/pause/manifests/3.10\": dial tcp 10.0.0.9:443: i/o timeout";
    let fact = EventFact {
        pod: PodKey::new(
            &pulltui::domain::cluster_id::ClusterId::new("test", "https://test"),
            "shop",
            "cart-7d9c8b6f5-sb1xz",
        ),
        pod_uid: Some("uid-cart-sb1xz".into()),
        container: None,
        message: msg.into(),
        first_seen: None,
        last_seen: None,
        count: 4,
        secret_missing: false,
        sandbox: true,
    };
    let watched = cluster(&m, ClusterMsg::Events(WatchEvent::Apply(fact)));
    send(&mut m, [watched]);
    let home = screen(&m);
    assert!(home.contains("(sandbox)"), "{home}");
    open(&mut m, "sb1xz");
    let events = vec![ev(
        "c.1",
        "Warning",
        "FailedCreatePodSandBox",
        4,
        "2024-05-01T10:02:00Z",
        "2024-05-01T10:09:40Z",
        msg,
    )];
    let mut msgs = listed(&m, events);
    msgs.push(sa(&m, &[]));
    msgs.push(secret(&m, "regcred", hosts(&["private.example"])));
    send(&mut m, msgs);
    let s = screen(&m);
    assert!(s.contains("the pod's sandbox image"), "{s}");
    assert!(s.contains("pod pull secrets"), "{s}");
    // No write is offered: no fix key's bullet (the probe's [p] is not a write).
    for k in ["a", "c", "i", "k"] {
        assert!(!s.contains(&format!("• [{k}]")), "{s}");
    }
    insta::assert_snapshot!("detail_sandbox", s);
}

/// An injected istio sidecar: the detail says where its image and its pull
/// secret come from, and set-image is not offered.
#[test]
fn an_injected_sidecar_routes_the_fix_to_the_injector() {
    let img = "mesh.example/istio/proxyv2:1.27.1";
    let mut p = deploy_pod(
        "shop",
        "web",
        "inj42",
        img,
        "ErrImagePull",
        &format!(
            "failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        ),
    );
    if let Some(spec) = p.spec.as_mut() {
        spec.containers[0].name = "istio-proxy".into();
    }
    if let Some(st) = p.status.as_mut()
        && let Some(cs) = st.container_statuses.as_mut()
    {
        cs[0].name = "istio-proxy".into();
    }
    p.metadata.annotations = Some(
        [(
            "sidecar.istio.io/status".to_string(),
            "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"]}".to_string(),
        )]
        .into(),
    );
    let mut m = one(with_secrets(p, &[]), (120, 34));
    let home = screen(&m);
    assert!(home.contains("istio-proxy [istio]"), "{home}");
    open(&mut m, "inj42");
    let mut msgs = listed(&m, vec![]);
    msgs.push(sa(&m, &[]));
    send(&mut m, msgs);
    let s = screen(&m);
    assert!(s.contains("injected by istio"), "{s}");
    assert!(!s.contains("Set the image"), "{s}");
    insta::assert_snapshot!("detail_injected", s);
}
