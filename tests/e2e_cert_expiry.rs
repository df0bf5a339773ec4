//! The registry certificate's end (issue 25, point 4): `check --json
//! --certificates` gives it as an `expires` entry of kind `certificate`
//! (one TLS handshake per registry); the console's detail shows it in
//! SECRETS once this machine's probe (`p`) has seen it. Neither needs a
//! secret: a certificate is not secret data.

mod support;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulltui::app::keymap::Keymap;
use pulltui::app::{Backend, ConnState, Model, Msg, update};
use pulltui::domain::scope::Scope;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde_json::Value;
use support::workload::{W, failing_pod};
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(90);

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The notAfter of the certificate the basic-auth registry serves.
fn served_not_after(h: &support::Harness) -> String {
    let path = format!("{}/pki/registry-auth.crt", h.var("PULLTUI_HARNESS_DIR"));
    let pem = std::fs::read(&path).expect("the registry's certificate");
    let der = CertificateDer::pem_slice_iter(&pem)
        .next()
        .expect("a certificate")
        .expect("PEM");
    let info = pulltui::probe::net::cert_info(&der).expect("parses");
    let t: jiff::Timestamp = info.not_after.parse().expect("a time");
    t.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_certificates_end_shows_in_check_and_the_detail() {
    let Some(h) = support::harness() else { return };
    let admin = h.admin().await;
    h.require_simulator(&admin).await;
    let ns = h.namespace(&admin, "e2e-cert").await;
    let host = h.reg_auth().to_string();
    // No credentials: the registry answers 401, the pod fails.
    W::new("Pod", "nocreds", format!("{host}/team/app:1.0"))
        .create(&admin, &ns.name)
        .await;
    failing_pod(&admin, &ns.name, "nocreds").await;
    let at = served_not_after(&h);

    // Without --certificates: no handshake, no certificate entry.
    let r = h
        .pulltui()
        .no_proxy()
        .args(&["check", "--json", "-n", &ns.name])
        .run();
    assert!(!r.stdout.contains("\"certificate\""), "{}", r.stdout);
    let r = h
        .pulltui()
        .no_proxy()
        .args(&["check", "--json", "--certificates", "-n", &ns.name])
        .run();
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", r.stdout, r.stderr));
    let pod = &v["pods"][0];
    assert_eq!(
        pod["expires"],
        serde_json::json!([{"key": host, "kind": "certificate", "field": "not-after",
                            "at": at, "expired": false}]),
        "{v}"
    );

    // The console: the detail, then `p`; SECRETS names the certificate's end.
    let (tx, mut rx) = mpsc::channel(1024);
    let mut backend = pulltui::cluster::Cluster::new(Some(h.kubeconfig()), tx);
    let mut model = Model::new(
        Some("admin".into()),
        vec![],
        Scope::Namespace(ns.name.clone()),
        Keymap::default(),
        jiff::Timestamp::now(),
    );
    model.size = (200, 60);
    let fx = model.start();
    backend.dispatch_all(fx);
    let start = Instant::now();
    let mut step = 0;
    loop {
        model.settle();
        match step {
            0 if model.cluster().conn == ConnState::Live && model.home.rows.len() == 1 => {
                let fx = update(&mut model, key(KeyCode::Enter));
                backend.dispatch_all(fx);
                step = 1;
            }
            1 if model.detail.is_some() => {
                let fx = update(&mut model, key(KeyCode::Char('p')));
                backend.dispatch_all(fx);
                step = 2;
            }
            2 if model
                .detail
                .as_ref()
                .is_some_and(|d| d.registry_cert.is_some()) =>
            {
                break;
            }
            _ => {}
        }
        assert!(start.elapsed() < T, "timed out at step {step}");
        let fx = update(&mut model, Msg::Tick(jiff::Timestamp::now()));
        backend.dispatch_all(fx);
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            let fx = update(&mut model, m);
            backend.dispatch_all(fx);
        }
    }
    let d = model.detail.as_ref().expect("detail open");
    let text: String = d
        .document(model.now, 200)
        .iter()
        .map(|l| l.iter().map(|s| s.text.as_str()).collect::<String>() + "\n")
        .collect();
    let secrets = text
        .find("SECRETS")
        .unwrap_or_else(|| panic!("no SECRETS:\n{text}"));
    assert!(
        text[secrets..].contains("the registry's certificate expires in "),
        "{text}"
    );
    assert!(text[secrets..].contains(&format!("({at})")), "{text}");
    // The harness's certificates last three days: within a week, so the
    // row is marked too.
    let end = model
        .home
        .certs
        .get(&host)
        .copied()
        .expect("the probe's certificate");
    assert_eq!(end.to_string(), at);
    let marker = pulltui::app::radar::cert_marker(end, model.now).unwrap_or_default();
    assert!(marker.starts_with("cert expires "), "{marker}");
    ns.delete().await;
}
