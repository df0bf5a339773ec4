//! The laptop probe against fake registries on loopback (no harness): what
//! a registry may make this machine do. A token realm on a
//! special-purpose address is refused before anything is sent (M4); one
//! credential is tried per probe unless the user asks for all (L9).

mod support;

use std::sync::{Arc, Mutex};

use pulltui::domain::image::ImageRef;
use pulltui::domain::probe::{Credential, ProbePlan, Status, Step};
use pulltui::domain::redact::Redacted;
use support::Pulltui;
use support::probe::step;
use support::registry::{Fake, respond};

/// `pulltui probe IMAGE --json` and its one JSON line.
fn probe_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let run = probe().args(args).args(&["--json", "--timeout", "2"]).run();
    (run.code, run.json(), run.stderr)
}

/// `pulltui probe`, quiet, no proxy.
fn probe() -> Pulltui {
    Pulltui::new()
        .env("PULLTUI_LOG", "off")
        .no_proxy()
        .arg("probe")
}

/// M4: a registry answering `Bearer realm="http://0.0.0.0:PORT/..."` would
/// have this machine GET its own service on PORT (0.0.0.0 reaches the
/// local host). The realm is refused and the service sees nothing.
#[test]
fn a_realm_on_the_unspecified_address_is_refused_and_nothing_is_sent() {
    let victim = Fake::start(0, |_| respond("200 OK", &[], "{}"));
    let port = victim.addr.rsplit_once(':').map(|(_, p)| p).expect("port");
    let realm = format!("Bearer realm=\"http://0.0.0.0:{port}/pwned-by-realm\",service=\"x\"");
    let registry = Fake::start(0, move |_| {
        respond("401 Unauthorized", &[("WWW-Authenticate", &realm)], "")
    });
    let image = format!("{}/team/app:1", registry.addr);
    let (code, j, err) = probe_json(&[&image]);
    assert_eq!(code, Some(1), "{j}\n{err}");
    let auth = step(&j, "auth");
    assert_eq!(auth["status"], "fail", "{j}");
    let detail = auth["detail"].as_str().unwrap_or("");
    assert!(
        detail.starts_with("refused: the token realm http://0.0.0.0:")
            && detail.contains("(special)"),
        "{detail}"
    );
    assert!(
        victim.seen().is_empty(),
        "the realm was asked: {:?}",
        victim.seen()
    );
}

/// A registry asking for Basic credentials and refusing every one.
fn refusing_basic_registry() -> Fake {
    Fake::start(0, |_| {
        respond(
            "401 Unauthorized",
            &[("WWW-Authenticate", "Basic realm=\"fake\"")],
            "",
        )
    })
}

/// A registry whose token server (same address, `/token`) refuses every
/// credential.
fn refusing_bearer_registry() -> Fake {
    let port = Arc::new(Mutex::new(String::new()));
    let p = port.clone();
    let fake = Fake::start(0, move |req| {
        let addr = p.lock().map(|a| a.clone()).unwrap_or_default();
        if req.line.starts_with("GET /token") {
            respond("401 Unauthorized", &[], "")
        } else {
            let ch = format!("Bearer realm=\"http://{addr}/token\",service=\"fake\"");
            respond("401 Unauthorized", &[("WWW-Authenticate", &ch)], "")
        }
    });
    if let Ok(mut a) = port.lock() {
        *a = fake.addr.clone();
    }
    fake
}

fn plan_with_two_stale_secrets(registry: &str) -> ProbePlan {
    let image = ImageRef::parse(&format!("{registry}/team/app:1")).expect("image");
    let mut plan = ProbePlan::new(image, pulltui::probe::this_platform());
    plan.step_timeout_ms = 2000;
    // Plain HTTP: the user confirmed it, so the credentials are sent.
    plan.allow_plain_http_credentials = true;
    for (name, pass) in [("team/old", "stale-1"), ("team/older", "stale-2")] {
        plan.credentials.push(Credential {
            expiry: None,
            source: format!("secret {name} ({registry})"),
            username: "robot".into(),
            password: Redacted::new(pass),
        });
    }
    plan
}

async fn auth_detail(plan: &ProbePlan) -> (Status, String) {
    let report = pulltui::probe::run(plan, &pulltui::probe::Options::default(), |_| {}).await;
    let auth = report.step(Step::Auth).expect("an auth step");
    (auth.status, auth.detail.clone())
}

fn logins(fake: &Fake) -> usize {
    fake.seen()
        .iter()
        .filter(|s| s.authorization.is_some())
        .count()
}

/// L9: two covering secrets with stale passwords would be two failed
/// logins per probe (and an LDAP-backed robot account locked sooner). One
/// is tried, named, and the other is said to be untried; its password is
/// never sent. Basic and Bearer alike.
#[tokio::test]
async fn one_credential_is_tried_per_probe_and_the_others_are_named() {
    for fake in [refusing_basic_registry(), refusing_bearer_registry()] {
        let plan = plan_with_two_stale_secrets(&fake.addr);
        let (status, detail) = auth_detail(&plan).await;
        assert_eq!(status, Status::Fail, "{detail}");
        assert_eq!(logins(&fake), 1, "{:?}", fake.seen());
        assert!(detail.contains("secret team/old"), "{detail}");
        assert!(detail.contains("not tried: secret team/older"), "{detail}");
        assert!(!detail.contains("stale-"), "{detail}");
    }
}

/// The user's opt-in (`probe --try-all-credentials`): each covering
/// credential in turn, each rejection named.
#[tokio::test]
async fn every_credential_is_tried_when_the_user_asks() {
    for fake in [refusing_basic_registry(), refusing_bearer_registry()] {
        let mut plan = plan_with_two_stale_secrets(&fake.addr);
        plan.try_all_credentials = true;
        let (status, detail) = auth_detail(&plan).await;
        assert_eq!(status, Status::Fail, "{detail}");
        assert_eq!(logins(&fake), 2, "{:?}", fake.seen());
        assert!(
            detail.contains("secret team/old") && detail.contains("secret team/older"),
            "{detail}"
        );
        assert!(!detail.contains("not tried"), "{detail}");
    }
}

/// The flag on the command line: accepted, and with one credential there
/// is nothing left untried.
#[test]
fn the_command_takes_try_all_credentials() {
    let fake = refusing_basic_registry();
    let image = format!("{}/team/app:1", fake.addr);
    let run = probe()
        .args(&[&image, "--timeout", "2", "--try-all-credentials"])
        .args(&["--username", "robot", "--password-stdin"])
        .args(&["--allow-plain-http-credentials"])
        .stdin("stale\n")
        .run();
    let stdout = &run.stdout;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        stdout.contains("credentials invalid (rejected): user robot from --username: 401"),
        "{stdout}"
    );
    assert!(!stdout.contains("not tried"), "{stdout}");
    assert_eq!(logins(&fake), 1);
}
