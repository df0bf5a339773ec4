//! Tokens built exactly as their issuers shape them.

use super::*;

const NOW: i64 = 1_790_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).expect("a time")
}

/// `aws ecr get-login-password`: standard base64 of the token JSON
/// (`GetAuthorizationToken`'s `authorizationToken` is base64 of
/// `AWS:<this>`).
fn ecr_password(expiration: i64) -> String {
    let json = format!(
        r#"{{"payload":"r9D8+xVwz7MPXLyn3yugWNjhBADfsPfwcSnEBgzZ-S3CRET-PAYLOAD","datakey":"AQEBAHijEFXGwF1cipVOacG8qRmJ-S3CRET-KEY","version":"2","type":"DATA_KEY","expiration":{expiration}}}"#
    );
    STANDARD.encode(json)
}

fn ecr_authorization_token(expiration: i64) -> String {
    STANDARD.encode(format!("AWS:{}", ecr_password(expiration)))
}

/// A compact JWS as an OAuth2 server issues it (base64url, no padding).
fn jwt(claims: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"K1"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims);
    let s = URL_SAFE_NO_PAD.encode([0xA5u8; 256]);
    format!("{h}.{p}.{s}")
}

fn entry(v: serde_json::Value) -> serde_json::Value {
    v
}

#[test]
fn ecr_token_from_password_and_from_auth() {
    let exp = NOW - 3 * 3600;
    // `kubectl create secret docker-registry --docker-username=AWS
    // --docker-password=$(aws ecr get-login-password)` writes all three.
    let e = entry(serde_json::json!({
        "username": "AWS",
        "password": ecr_password(exp),
        "auth": ecr_authorization_token(exp),
    }));
    let got = decode_entry(&e, Some("AWS")).expect("decoded");
    assert_eq!(got.kind, CredKind::EcrToken);
    assert_eq!(got.expires, Timestamp::from_second(exp).ok());
    assert!(got.expired_at(now()));
    assert_eq!(got.describe(now()), "ECR token: expired 3 h ago");
    // A controller that copies `authorizationToken` into `auth` only.
    let exp = NOW + 40 * 60;
    let e = entry(serde_json::json!({ "auth": ecr_authorization_token(exp) }));
    let got = decode_entry(&e, Some("AWS")).expect("decoded");
    assert_eq!(got.kind, CredKind::EcrToken);
    assert_eq!(got.when(now()), "expires in 40 min");
    assert!(!got.expired_at(now()));
}

#[test]
fn jwt_in_password_identitytoken_and_registrytoken() {
    // An access token used as a password (username a null GUID).
    let e = entry(serde_json::json!({
        "username": "00000000-0000-0000-0000-000000000000",
        "password": jwt(&format!(r#"{{"jti":"x","sub":"u","iat":{},"exp":{}}}"#, NOW - 7200, NOW - 3600)),
    }));
    let got = decode_entry(&e, Some("00000000-0000-0000-0000-000000000000")).expect("jwt");
    assert_eq!((got.kind, got.field), (CredKind::Jwt, CredField::Password));
    assert_eq!(got.describe(now()), "JWT in password: expired 60 min ago");
    // `docker login` with an OAuth2 refresh token keeps it in identitytoken.
    let e = entry(serde_json::json!({
        "auth": STANDARD.encode("00000000-0000-0000-0000-000000000000:"),
        "identitytoken": jwt(&format!(r#"{{"exp":{}.5,"grant_type":"refresh_token"}}"#, NOW + 2 * 86400)),
    }));
    let got = decode_entry(&e, None).expect("jwt");
    assert_eq!(got.field, CredField::Identitytoken);
    assert_eq!(got.when(now()), "expires in 2 d");
    let e = entry(serde_json::json!({
        "registrytoken": jwt(&format!(r#"{{"exp":{}}}"#, NOW + 30)),
    }));
    let got = decode_entry(&e, None).expect("jwt");
    assert_eq!(got.field, CredField::Registrytoken);
    assert_eq!(got.when(now()), "expires in 30 s");
}

#[test]
fn harbor_robot_by_name_with_and_without_a_jwt() {
    let e = entry(serde_json::json!({
        "username": "robot$team+ci",
        "password": "Xk2qW9pLmN4vB7cR1tY6uI3oP0aSdFgH",
    }));
    let got = decode_entry(&e, Some("robot$team+ci")).expect("robot");
    assert_eq!((got.kind, got.expires), (CredKind::HarborRobot, None));
    assert_eq!(
        got.describe(now()),
        "Harbor robot account: no expiry in the secret"
    );
    // Harbor 1.x robot tokens are JWTs with `exp`.
    let e = entry(serde_json::json!({
        "username": "robot$ci",
        "password": jwt(&format!(r#"{{"name":"robot$ci","iss":"harbor-token-issuer","exp":{}}}"#, NOW + 86400 * 3)),
    }));
    let got = decode_entry(&e, Some("robot$ci")).expect("robot");
    assert_eq!(got.kind, CredKind::HarborRobot);
    assert_eq!(got.when(now()), "expires in 3 d");
    assert!(!is_harbor_robot("robot$") && !is_harbor_robot("robotic"));
}

#[test]
fn plain_passwords_and_malformed_tokens_tell_nothing() {
    for e in [
        serde_json::json!({"username": "alice", "password": "hunter2"}),
        serde_json::json!({"auth": STANDARD.encode("alice:hunter2")}),
        serde_json::json!({"password": STANDARD.encode(r#"{"type":"DATA_KEY"}"#)}),
        serde_json::json!({"password": STANDARD.encode(r#"{"type":"OTHER","expiration":1}"#)}),
        serde_json::json!({"password": "a.b.c"}),
        serde_json::json!({"password": jwt(r#"{"sub":"no-exp"}"#)}),
        serde_json::json!({"password": jwt(r#"{"exp":"soon"}"#)}),
        serde_json::json!({"password": jwt(r#"{"exp":1e300}"#)}),
        serde_json::json!({"identitytoken": "opaque-refresh-token"}),
        serde_json::json!({"password": format!("{}.x", jwt(r#"{"exp":1}"#))}),
    ] {
        assert_eq!(decode_entry(&e, Some("alice")), None, "{e}");
    }
    // Oversized tokens are not decoded.
    let big = jwt(&format!(
        r#"{{"exp":{NOW},"pad":"{}"}}"#,
        "x".repeat(MAX_TOKEN)
    ));
    assert_eq!(
        decode_entry(&serde_json::json!({"password": big}), None),
        None
    );
}

#[test]
fn only_kind_field_and_time_come_out() {
    let e = entry(serde_json::json!({
        "username": "AWS",
        "password": ecr_password(NOW),
        "identitytoken": jwt(&format!(r#"{{"exp":{NOW},"secret":"S3CRET-CLAIM"}}"#)),
    }));
    let got = decode_entry(&e, Some("AWS")).expect("decoded");
    let shown = format!(
        "{got:?}{}{}",
        serde_json::to_string(&got).expect("json"),
        got.describe(now())
    );
    for needle in ["S3CRET", "payload", "datakey", "AQEB", "eyJ"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
    assert_eq!(
        serde_json::to_value(&got).expect("json"),
        serde_json::json!({"kind": "jwt", "field": "identitytoken", "expires": "2026-09-21T14:13:20Z"})
    );
}

#[test]
fn most_urgent_is_the_earliest() {
    let at = |s| CredExpiry {
        kind: CredKind::Jwt,
        field: CredField::Password,
        expires: Timestamp::from_second(s).ok(),
    };
    let robot = CredExpiry {
        kind: CredKind::HarborRobot,
        field: CredField::Password,
        expires: None,
    };
    let all = [robot, at(NOW + 10), at(NOW - 10)];
    assert_eq!(most_urgent(&all), Some(&all[2]));
}
