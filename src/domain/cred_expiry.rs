//! Credential expiry radar: what can be told locally about when a pull
//! secret's credential stops working, without showing or keeping it.
//!
//! Read from one docker config `auths` entry, in the order a runtime uses
//! them: a JWT in `registrytoken` (a bearer token) or `identitytoken` (an
//! OAuth2 refresh token), then the password (from `password`, else from
//! `auth` after its first `:`): an ECR authorization token (base64 JSON
//! with an `expiration` epoch), else a JWT's `exp`. A Harbor robot account
//! is told by its name (`robot$...`, Harbor's default prefix).
//!
//! Only the kind, the field it was found in and the expiry time leave this
//! module; every decoded buffer is zeroed when dropped, and nothing here
//! formats or logs a token.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Tokens longer than this are not decoded (an ECR token is ~2 KiB, a JWT
/// a few KiB): a hostile secret cannot make the console decode megabytes.
const MAX_TOKEN: usize = 16 * 1024;

/// An expiry this close (a day) is worth a warning: the detail draws it
/// amber and the home table marks the row.
pub const SOON_SECS: i64 = 86_400;

/// What kind of credential an entry holds, as far as it can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredKind {
    /// An ECR authorization token (`AWS:` + base64 JSON with `expiration`).
    EcrToken,
    /// A JSON Web Token with an `exp` claim.
    Jwt,
    /// A Harbor robot account (`robot$...`); its expiry is known only when
    /// its secret is itself a JWT.
    HarborRobot,
}

impl CredKind {
    pub fn label(self) -> &'static str {
        match self {
            CredKind::EcrToken => "ECR token",
            CredKind::Jwt => "JWT",
            CredKind::HarborRobot => "Harbor robot account",
        }
    }
}

/// Which field of the `auths` entry the credential was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredField {
    Password,
    Identitytoken,
    Registrytoken,
}

impl CredField {
    pub fn id(self) -> &'static str {
        match self {
            CredField::Password => "password",
            CredField::Identitytoken => "identitytoken",
            CredField::Registrytoken => "registrytoken",
        }
    }
}

/// What was decoded from one `auths` entry: never the credential itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredExpiry {
    pub kind: CredKind,
    pub field: CredField,
    /// When the credential stops working; `None` when the kind is known
    /// but carries no expiry (a robot account's opaque secret).
    pub expires: Option<Timestamp>,
}

impl CredExpiry {
    /// Whether it had expired at `now`.
    pub fn expired_at(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }

    /// `ECR token: expired 3 h ago`, `JWT in identitytoken: expires in 40
    /// min`, `Harbor robot account: no expiry in the secret`.
    pub fn describe(&self, now: Timestamp) -> String {
        let what = match (self.kind, self.field) {
            (CredKind::Jwt, f) => format!("JWT in {}", f.id()),
            (k, _) => k.label().to_string(),
        };
        format!("{what}: {}", self.when(now))
    }

    /// `expired 3 h ago` / `expires in 40 min` / `no expiry in the secret`.
    pub fn when(&self, now: Timestamp) -> String {
        match self.expires {
            None => "no expiry in the secret".to_string(),
            Some(t) if t <= now => format!("expired {} ago", span(now, t)),
            Some(t) => format!("expires in {}", span(t, now)),
        }
    }
}

/// `later - earlier` in words: `45 s`, `40 min`, `3 h`, `2 d`.
pub fn span(later: Timestamp, earlier: Timestamp) -> String {
    let s = later.as_second().saturating_sub(earlier.as_second()).max(0);
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86400),
    }
}

/// The expiry (or kind) of one `auths` entry, if anything can be told.
/// `username` is the entry's username as already read (`username` or the
/// user part of `auth`).
pub fn decode_entry(entry: &serde_json::Value, username: Option<&str>) -> Option<CredExpiry> {
    let robot = username.is_some_and(is_harbor_robot);
    let text = |k: &str| {
        entry
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    for (k, field) in [
        ("registrytoken", CredField::Registrytoken),
        ("identitytoken", CredField::Identitytoken),
    ] {
        if let Some(exp) = text(k).and_then(jwt_exp) {
            return Some(CredExpiry {
                kind: if robot {
                    CredKind::HarborRobot
                } else {
                    CredKind::Jwt
                },
                field,
                expires: Some(exp),
            });
        }
    }
    let password = password_of(entry);
    if let Some(p) = password.as_deref() {
        if let Some(exp) = ecr_expiration(p) {
            return Some(CredExpiry {
                kind: CredKind::EcrToken,
                field: CredField::Password,
                expires: Some(exp),
            });
        }
        if let Some(exp) = jwt_exp(p) {
            return Some(CredExpiry {
                kind: if robot {
                    CredKind::HarborRobot
                } else {
                    CredKind::Jwt
                },
                field: CredField::Password,
                expires: Some(exp),
            });
        }
    }
    robot.then_some(CredExpiry {
        kind: CredKind::HarborRobot,
        field: CredField::Password,
        expires: None,
    })
}

/// Harbor names robot accounts `robot$name` (system) or
/// `robot$project+name` (project); `robot$` is its default prefix.
pub fn is_harbor_robot(username: &str) -> bool {
    username
        .strip_prefix("robot$")
        .is_some_and(|rest| !rest.is_empty())
}

/// The password: `password`, else `auth` (base64 `user:password`) after
/// its first `:`. Zeroed when dropped.
fn password_of(entry: &serde_json::Value) -> Option<Zeroizing<String>> {
    if let Some(p) = entry.get("password").and_then(|v| v.as_str())
        && !p.is_empty()
    {
        return Some(Zeroizing::new(p.to_string()));
    }
    let auth = entry.get("auth")?.as_str()?.trim();
    if auth.len() > MAX_TOKEN * 2 {
        return None;
    }
    let decoded = Zeroizing::new(STANDARD.decode(auth).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (_, pass) = text.split_once(':')?;
    (!pass.is_empty()).then(|| Zeroizing::new(pass.to_string()))
}

/// An ECR authorization token's password is standard base64 of
/// `{"payload":…,"datakey":…,"version":"2","type":"DATA_KEY","expiration":N}`.
fn ecr_expiration(password: &str) -> Option<Timestamp> {
    if password.len() > MAX_TOKEN {
        return None;
    }
    let decoded = Zeroizing::new(STANDARD.decode(password.trim()).ok()?);
    #[derive(Deserialize)]
    struct Ecr {
        #[serde(rename = "type")]
        ty: Option<String>,
        expiration: serde_json::Number,
    }
    // Only these two fields are kept: serde skips the rest unread into values.
    let ecr: Ecr = serde_json::from_slice(&decoded).ok()?;
    if ecr.ty.as_deref().is_some_and(|t| t != "DATA_KEY") {
        return None;
    }
    epoch(&ecr.expiration)
}

/// A compact JWS (`header.payload.signature`, base64url) whose payload has
/// a numeric `exp` (RFC 7519 NumericDate, seconds). Not verified: only
/// read for its expiry.
fn jwt_exp(token: &str) -> Option<Timestamp> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let mut parts = token.trim().split('.');
    let (header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    #[derive(Deserialize)]
    struct Header {
        alg: String,
    }
    let h = Zeroizing::new(URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?);
    serde_json::from_slice::<Header>(&h)
        .ok()
        .filter(|h| !h.alg.is_empty())?;
    #[derive(Deserialize)]
    struct Claims {
        exp: serde_json::Number,
    }
    let p = Zeroizing::new(URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?);
    let claims: Claims = serde_json::from_slice(&p).ok()?;
    epoch(&claims.exp)
}

/// Seconds since the epoch (integer or fractional) as a timestamp.
fn epoch(n: &serde_json::Number) -> Option<Timestamp> {
    let secs = match n.as_i64() {
        Some(s) => s,
        None => {
            let f = n.as_f64()?;
            if !f.is_finite() || f.abs() > 1e15 {
                return None;
            }
            f.floor() as i64
        }
    };
    Timestamp::from_second(secs).ok()
}

/// The earliest-expiring of several (expired first), for a one-line marker.
pub fn most_urgent<'a>(it: impl IntoIterator<Item = &'a CredExpiry>) -> Option<&'a CredExpiry> {
    it.into_iter()
        .filter(|e| e.expires.is_some())
        .min_by_key(|e| e.expires)
}

#[cfg(test)]
#[path = "cred_expiry_tests.rs"]
mod tests;
