//! The credential expiry radar on the harness (issue 25, point 4): pods
//! pulling from the password registry with pull secrets that carry an
//! ECR-style token and a JWT, one of each expired and one of each valid,
//! built as their issuers shape them. The registry refuses them all (they
//! are not its password), so every pod fails for credentials; then:
//!
//! - `check --json` gives each pod's `expires` (kind, field, time,
//!   expired), and no token text;
//! - the console (its model driven headless by the real cluster backend)
//!   marks the rows whose credential expired or expires within a day, and
//!   the detail of a pod with an expired token says so as the first line
//!   of CAUSE and beside the `auths` entry in SECRETS.

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use crossterm::event::KeyCode;
use k8s_openapi::api::core::v1::Secret;
use pulltui::app::msg::Fetch;
use pulltui::app::{Backend as _, ConnState, update};
use serde_json::{Value, json};
use support::screen::{drive_ticking, key, live_console};
use support::workload::{W, create, failing_pod, pull_secret};

const T: Duration = Duration::from_secs(90);

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `aws ecr get-login-password`: base64 of the token JSON.
fn ecr_password(expiration: i64) -> String {
    STANDARD.encode(format!(
        r#"{{"payload":"e2eS3CRETpayload","datakey":"e2eS3CRETdatakey","version":"2","type":"DATA_KEY","expiration":{expiration}}}"#
    ))
}

/// A compact JWS (base64url, unpadded), signed with nothing in particular.
fn jwt(exp: i64) -> String {
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"e2eS3CRETsub","exp":{exp}}}"#));
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]))
}

/// A dockerconfigjson secret with one `auths` entry for `host`.
async fn secret(c: &kube::Client, ns: &str, name: &str, host: &str, entry: Value) {
    let _: Secret = create(c, ns, pull_secret(name, host, entry)).await;
}

/// What no output may contain: the tokens' payload parts.
const SECRET_TEXT: &[&str] = &["S3CRET", "ZTJlUzNDUkVU", "eyJ"];

fn clean(text: &str, what: &str) {
    for n in SECRET_TEXT {
        assert!(!text.contains(n), "{what} shows token material {n}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_valid_tokens_show_in_check_the_table_and_the_detail() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let ns = h.namespace(&admin, "e2e-expiry").await;
    let host = h.reg_auth().to_string();
    let now = now_s();
    let (ecr_old, ecr_new) = (now - 3 * 3600 - 600, now + 5 * 3600 + 600);
    let (jwt_old, jwt_new) = (now - 2 * 3600 - 600, now + 2 * 86400 + 600);
    let ecr = |exp| {
        let pw = ecr_password(exp);
        json!({"username": "AWS", "password": pw, "auth": STANDARD.encode(format!("AWS:{pw}"))})
    };
    secret(&admin, &ns.name, "ecr-old", &host, ecr(ecr_old)).await;
    secret(&admin, &ns.name, "ecr-new", &host, ecr(ecr_new)).await;
    secret(
        &admin,
        &ns.name,
        "jwt-old",
        &host,
        json!({"username": "robot$team+ci", "password": jwt(jwt_old)}),
    )
    .await;
    secret(
        &admin,
        &ns.name,
        "jwt-new",
        &host,
        json!({"auth": STANDARD.encode("00000000-0000-0000-0000-000000000000:"), "identitytoken": jwt(jwt_new)}),
    )
    .await;
    let image = format!("{host}/team/app:1.0");
    for name in ["ecr-old", "ecr-new", "jwt-old", "jwt-new"] {
        let mut w = W::new("Pod", name, image.clone());
        let secrets = [name];
        w.pull_secrets = &secrets;
        w.create(&admin, &ns.name).await;
    }
    for name in ["ecr-old", "ecr-new", "jwt-old", "jwt-new"] {
        failing_pod(&admin, &ns.name, name).await;
    }

    // check --json: `expires` per pod.
    let r = h.pulltui().args(&["check", "--json", "-n", &ns.name]).run();
    clean(&r.stdout, "check --json");
    clean(&r.stderr, "check's stderr");
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", r.stdout, r.stderr));
    let pods = v["pods"].as_array().expect("pods");
    let expires = |pod: &str| -> Value {
        pods.iter()
            .find(|p| p["name"] == pod)
            .unwrap_or_else(|| panic!("no row for {pod}: {v}"))["expires"]
            .clone()
    };
    let at = |s: i64| jiff::Timestamp::from_second(s).expect("time").to_string();
    for (pod, kind, field, exp, expired) in [
        ("ecr-old", "ecr-token", "password", ecr_old, true),
        ("ecr-new", "ecr-token", "password", ecr_new, false),
        ("jwt-old", "harbor-robot", "password", jwt_old, true),
        ("jwt-new", "jwt", "identitytoken", jwt_new, false),
    ] {
        assert_eq!(
            expires(pod),
            json!([{"secret": pod, "key": host, "kind": kind, "field": field,
                    "at": at(exp), "expired": expired}]),
            "{pod}"
        );
        let row = pods.iter().find(|p| p["name"] == pod).expect("row");
        assert!(
            row["category"]
                .as_str()
                .is_some_and(|c| c.starts_with("auth.")),
            "{pod}: {row}"
        );
    }

    // The console: the row markers, then the detail of the expired ECR token.
    let (mut model, mut backend, mut rx) = live_console(&h.kubeconfig(), &ns.name, (200, 60));
    let fx = model.start();
    backend.dispatch_all(fx);
    drive_ticking(&mut model, &mut backend, &mut rx, "the markers", T, |m| {
        m.cluster().conn == ConnState::Live && m.home.rows.len() == 4 && m.home.cred.len() == 3
    })
    .await;
    let marker = |pod: &str| {
        let r = model.home.rows.iter().find(|r| r.pod == pod).expect("row");
        model
            .home
            .cred
            .get(&r.key())
            .and_then(|e| pulltui::app::radar::marker(e, model.now))
    };
    assert_eq!(marker("ecr-old").as_deref(), Some("cred expired 3h"));
    assert_eq!(marker("jwt-old").as_deref(), Some("cred expired 2h"));
    assert_eq!(marker("ecr-new").as_deref(), Some("cred expires 5h"));
    // Two days away: no marker in the table (the detail and check say it).
    assert_eq!(marker("jwt-new"), None);

    let mut keys = vec![key(KeyCode::Char('/'))];
    keys.extend("ecr-old".chars().map(|c| key(KeyCode::Char(c))));
    keys.push(key(KeyCode::Enter));
    keys.push(key(KeyCode::Enter));
    for k in keys {
        let fx = update(&mut model, k);
        backend.dispatch_all(fx);
        model.settle();
    }
    drive_ticking(
        &mut model,
        &mut backend,
        &mut rx,
        "the detail's reads",
        T,
        |m| {
            m.detail.as_ref().is_some_and(|d| {
                d.key.name == "ecr-old"
                    && d.secrets.values().all(|s| *s != Fetch::Pending)
                    && !d.secrets.is_empty()
                    && d.events_state != pulltui::app::detail::EventsState::Loading
            })
        },
    )
    .await;
    let d = model.detail.as_ref().expect("detail open");
    let lines: Vec<String> = d
        .document(model.now, 200)
        .iter()
        .map(|l| l.iter().map(|s| s.text.as_str()).collect::<String>())
        .collect();
    let text = lines.join("\n");
    clean(&text, "the detail");
    let cause = lines
        .iter()
        .position(|l| l.trim_start().starts_with("CAUSE"))
        .unwrap_or_else(|| panic!("no CAUSE:\n{text}"));
    assert!(
        lines[cause].contains("ecr-old (ECR token) expired 3 h ago"),
        "the first line of CAUSE: {}\n{text}",
        lines[cause]
    );
    assert!(
        lines[cause + 1..].iter().any(|l| l.contains("auth.")),
        "the category after it:\n{text}"
    );
    assert!(
        text.contains("ECR token: expired 3 h ago"),
        "SECRETS names the entry's expiry:\n{text}"
    );
    ns.delete().await;
}
