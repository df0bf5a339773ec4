//! The probe's blob leg against fake registries on loopback (no harness):
//! the tag's digest fetched by digest, the config blob of the node's
//! platform requested as a runtime does, a redirect to a second host
//! followed without the registry's `Authorization` (asserted from that
//! host's record of what it received), the verdict naming the leg that
//! failed; a HEAD refused with 405 resolved with GET; a tag whose digest
//! answers 404 is its own finding. (The fakes speak plain HTTP, so the
//! verdict is the plain-HTTP finding; the steps carry the leg's own.)

mod support;

use base64::Engine as _;
use support::Pulltui;
use support::probe::step;
use support::registry::{Fake, Seen, respond};

const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CONFIG: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";

fn manifest() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CONFIG}","size":12}},"layers":[]}}"#
    )
}

/// How the fake registry behaves.
#[derive(Clone, Copy)]
struct Shape {
    /// HEAD of a manifest answers 405.
    head_405: bool,
    /// The digest the tag resolves to answers 404.
    digest_404: bool,
}

/// A registry with Basic auth whose blobs are redirected (307) to `blobs`.
fn registry(blobs: String, shape: Shape) -> Fake {
    Fake::start(0, move |req: &Seen| {
        let line = req.line.as_str();
        if req.authorization.is_none() {
            return respond(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"fake\"")],
                "",
            );
        }
        let head = line.starts_with("HEAD ");
        if line.contains(" /v2/ ") {
            return respond("200 OK", &[], "{}");
        }
        if line.contains("/manifests/1.0 ") {
            if head && shape.head_405 {
                return respond("405 Method Not Allowed", &[], "");
            }
            let body = if head { String::new() } else { manifest() };
            let mut r = respond(
                "200 OK",
                &[("Docker-Content-Digest", DIGEST), ("Content-Type", OCI)],
                &body,
            );
            if head {
                // The length of the body a GET would send.
                r = r.replace(
                    "Content-Length: 0",
                    &format!("Content-Length: {}", manifest().len()),
                );
            }
            return r;
        }
        if line.contains(&format!("/manifests/{DIGEST} ")) {
            if shape.digest_404 {
                return respond(
                    "404 Not Found",
                    &[],
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#,
                );
            }
            return respond("200 OK", &[("Content-Type", OCI)], &manifest());
        }
        if line.contains(&format!("/blobs/{CONFIG} ")) {
            let to = format!("{blobs}/bucket/config?X-Signature=s1g");
            return respond("307 Temporary Redirect", &[("Location", &to)], "");
        }
        respond("404 Not Found", &[], "")
    })
}

/// `pulltui probe IMAGE` with credentials (over plain HTTP, confirmed).
fn probe(image: &str) -> (Option<i32>, serde_json::Value) {
    let run = Pulltui::new()
        .env("PULLTUI_LOG", "off")
        .no_proxy()
        .arg("probe")
        .args(&[
            image,
            "--username",
            "u",
            "--password-stdin",
            "--allow-plain-http-credentials",
            "--json",
            "--timeout",
            "2",
        ])
        .stdin("blob-leg-pw\n")
        .run();
    (run.code, run.json())
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("u:blob-leg-pw")
    )
}

#[test]
fn the_blob_is_followed_to_its_host_without_the_registrys_authorization() {
    let blob_host = Fake::start(0, |_| respond("200 OK", &[], "config-bytes"));
    let reg = registry(
        format!("http://{}", blob_host.addr),
        Shape {
            head_405: false,
            digest_404: false,
        },
    );
    let (code, j) = probe(&format!("{}/team/app:1.0", reg.addr));
    // Plain HTTP is itself a finding (protocol.http-registry): exit 1.
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(step(&j, "digest")["status"], "ok", "{j}");
    let blob = step(&j, "blob");
    assert_eq!(blob["status"], "ok", "{j}");
    let detail = blob["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&format!(
            "is served by {} (after 1 redirect)",
            blob_host.addr
        )),
        "{detail}"
    );
    assert_eq!(
        blob["facts"]["authorization_sent"],
        serde_json::json!([true, false]),
        "{j}"
    );
    // What each server received.
    let at_blob = blob_host.seen();
    assert_eq!(at_blob.len(), 1, "{at_blob:?}");
    assert!(
        at_blob[0]
            .line
            .starts_with("GET /bucket/config?X-Signature=s1g ")
    );
    assert!(
        at_blob.iter().all(|s| s.authorization.is_none()),
        "the blob host received an Authorization header: {at_blob:?}"
    );
    assert!(
        reg.seen()
            .iter()
            .any(|s| s.line.contains("/blobs/") && s.authorization.as_deref() == Some(&basic())),
        "the registry's own request carries the credentials"
    );
}

#[test]
fn an_unreachable_blob_host_is_the_failing_leg() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let reg = registry(
        format!("http://{addr}"),
        Shape {
            head_405: false,
            digest_404: false,
        },
    );
    let (code, j) = probe(&format!("{}/team/app:1.0", reg.addr));
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(step(&j, "manifest")["status"], "ok", "{j}");
    let blob = step(&j, "blob");
    assert_eq!(blob["status"], "fail", "{j}");
    assert_eq!(blob["category"], "network.refused", "{j}");
    let want = format!(
        "the manifest is reachable; layers come from {addr} and that host refuses the connection from this machine"
    );
    assert!(
        blob["detail"].as_str().unwrap_or("").starts_with(&want),
        "{j}"
    );
}

#[test]
fn a_head_refused_with_405_is_resolved_with_get() {
    let blob_host = Fake::start(0, |_| respond("200 OK", &[], "config-bytes"));
    let reg = registry(
        format!("http://{}", blob_host.addr),
        Shape {
            head_405: true,
            digest_404: false,
        },
    );
    let (code, j) = probe(&format!("{}/team/app:1.0", reg.addr));
    // Plain HTTP is itself a finding (protocol.http-registry): exit 1.
    assert_eq!(code, Some(1), "{j}");
    let m = step(&j, "manifest");
    assert_eq!(m["status"], "ok", "{j}");
    assert!(
        m["detail"]
            .as_str()
            .unwrap_or("")
            .contains("HEAD answered 405: resolved with GET"),
        "{j}"
    );
    assert_eq!(m["facts"]["digest"], DIGEST, "{j}");
    assert_eq!(step(&j, "blob")["status"], "ok", "{j}");
}

#[test]
fn a_tag_whose_digest_answers_404_is_its_own_finding() {
    let blob_host = Fake::start(0, |_| respond("200 OK", &[], "config-bytes"));
    let reg = registry(
        format!("http://{}", blob_host.addr),
        Shape {
            head_405: false,
            digest_404: true,
        },
    );
    let (code, j) = probe(&format!("{}/team/app:1.0", reg.addr));
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(step(&j, "manifest")["status"], "ok", "{j}");
    let d = step(&j, "digest");
    assert_eq!(d["status"], "fail", "{j}");
    assert_eq!(d["category"], "image.not-found", "{j}");
    assert!(
        d["detail"].as_str().unwrap_or("").starts_with(&format!(
            "tag and digest disagree: 1.0 resolves to {DIGEST}"
        )),
        "{j}"
    );
    assert_eq!(step(&j, "blob")["status"], "skipped", "{j}");
    assert!(blob_host.seen().is_empty());
}
