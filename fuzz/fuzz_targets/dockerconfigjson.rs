//! The pull-secret reader on any payload, as `.dockerconfigjson` and as the
//! legacy `.dockercfg`: never panics; the keys it reports normalise and
//! match without panicking either.
#![no_main]

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use libfuzzer_sys::fuzz_target;
use pulltui::domain::image::ImageRef;
use pulltui::domain::secrets::{SecretInfo, key_matches, normalize_key, read_secret};

fn secret(ty: &str, key: &str, payload: &[u8]) -> Secret {
    Secret {
        type_: Some(ty.to_string()),
        data: Some(BTreeMap::from([(
            key.to_string(),
            ByteString(payload.to_vec()),
        )])),
        ..Secret::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let image = ImageRef::parse("registry.example.com:5000/team/app:1").ok();
    for (ty, key) in [
        ("kubernetes.io/dockerconfigjson", ".dockerconfigjson"),
        ("kubernetes.io/dockercfg", ".dockercfg"),
    ] {
        if let SecretInfo::Parsed { entries } = read_secret(&secret(ty, key, data)) {
            for e in entries {
                let n = normalize_key(&e.key);
                if let Some(image) = &image {
                    let _ = key_matches(&n, image);
                }
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let n = normalize_key(s);
        if let Some(image) = &image {
            let _ = key_matches(&n, image);
        }
    }
});
