//! What a write sends, beside the template patches: the pull secret's
//! `.dockerconfigjson` and Secret object (kept in [`Redacted`]), the secret
//! name and `auths` key for a registry, merged annotation values, and the
//! `restartedAt` stamp.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::domain::redact::Redacted;

/// Docker Hub's key in a docker config, as `kubectl create secret docker-registry` writes it.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// Merges comma-separated `add` into `existing`, keeping order, dropping
/// duplicates; `all` (in either) wins.
pub fn merge_list(existing: Option<&str>, add: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for item in existing
        .unwrap_or("")
        .split(',')
        .chain(add.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if item.eq_ignore_ascii_case("all") {
            return "all".into();
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(item)) {
            out.push(item.to_string());
        }
    }
    out.join(",")
}

/// The annotation value after the change, given the current one.
pub fn annotation_after(current: Option<&str>, value: &str, merge: bool) -> String {
    if merge {
        merge_list(current, value)
    } else {
        value.to_string()
    }
}

/// A valid secret name for a registry: `regcred-<host>[-<port>]`, lowercased,
/// other characters as `-`, at most 63 characters.
pub fn secret_name_for(registry: &str) -> String {
    let mut s = String::from("regcred-");
    let mut dash = true;
    for c in registry.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
            dash = false;
        } else if !dash {
            s.push('-');
            dash = true;
        }
    }
    s.truncate(63);
    while s.ends_with('-') {
        s.pop();
    }
    s
}

/// The `auths` key for a registry, as `kubectl create secret docker-registry` uses.
pub fn docker_server(registry: &str) -> String {
    if registry == crate::domain::image::DOCKER_HUB {
        DOCKER_HUB_SERVER.into()
    } else {
        registry.into()
    }
}

/// The `.dockerconfigjson` payload: `{"auths": {server: {username,
/// password, email?, auth: base64(user:pass)}}}`, as kubectl writes it.
pub fn docker_config_json(
    server: &str,
    username: &str,
    password: &Redacted,
    email: Option<&str>,
) -> Redacted {
    let auth = Redacted::new(STANDARD.encode(format!("{username}:{}", password.expose())));
    let mut entry = serde_json::Map::new();
    entry.insert("username".into(), username.into());
    entry.insert("password".into(), password.expose().into());
    if let Some(e) = email {
        entry.insert("email".into(), e.into());
    }
    entry.insert("auth".into(), auth.expose().into());
    let v = json!({"auths": {server: Value::Object(entry)}});
    Redacted::new(v.to_string())
}

/// RFC 3339 in UTC to the second, as `kubectl rollout restart` writes it.
pub fn restarted_at(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(super) fn names_of(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mutation::validate_dns1123_subdomain;

    #[test]
    fn merging_a_host_list_keeps_order_and_drops_duplicates() {
        assert_eq!(merge_list(None, "a:1"), "a:1");
        assert_eq!(merge_list(Some("a:1, b"), "b,c"), "a:1,b,c");
        assert_eq!(merge_list(Some("A"), "a"), "A");
        assert_eq!(merge_list(Some(""), " x ,, "), "x");
    }

    #[test]
    fn all_wins_in_a_merged_host_list() {
        assert_eq!(merge_list(Some("a,all"), "b"), "all");
        assert_eq!(merge_list(Some("a"), "all"), "all");
    }

    #[test]
    fn a_secret_name_derived_from_a_registry_is_valid() {
        for r in [
            "127.0.0.1:5443",
            "Private.Example.COM",
            "[::1]:5000",
            "a".repeat(300).as_str(),
        ] {
            let n = secret_name_for(r);
            assert!(validate_dns1123_subdomain(&n).is_ok(), "{r} -> {n}");
            assert!(n.len() <= 63);
        }
        assert_eq!(secret_name_for("127.0.0.1:5443"), "regcred-127-0-0-1-5443");
    }

    #[test]
    fn dockerconfigjson_carries_base64_auth_and_debug_hides_it() {
        let pw = Redacted::new("s3cret");
        let c = docker_config_json("reg:5000", "bob", &pw, Some("b@x"));
        let v: Value = serde_json::from_str(c.expose()).unwrap();
        let e = &v["auths"]["reg:5000"];
        assert_eq!(e["username"], "bob");
        assert_eq!(e["password"], "s3cret");
        assert_eq!(e["email"], "b@x");
        assert_eq!(e["auth"], STANDARD.encode("bob:s3cret"));
        assert_eq!(format!("{c:?}"), "***");
    }

    #[test]
    fn restarted_at_is_rfc3339_to_the_second_in_utc() {
        let t: Timestamp = "2026-12-02T08:01:02.345Z".parse().unwrap();
        assert_eq!(restarted_at(t), "2026-12-02T08:01:02Z");
    }
}
