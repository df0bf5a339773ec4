//! Pull secrets that could serve an image: those that cover it by
//! kubelet's matching (to copy from another namespace), and those of the
//! pod's namespace that nothing references yet (to attach). Never their data.

use serde::Serialize;

use crate::domain::image::ImageRef;
use crate::domain::secrets::{SecretInfo, SecretState, check_info};

/// A pull-secret candidate from another namespace (never its data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub namespace: String,
    pub name: String,
    pub username: Option<String>,
}

/// The secrets (namespace, name, summary) that cover `image`, by
/// kubelet's matching, with the username of the covering entry.
pub fn covering(secrets: &[(String, String, SecretInfo)], image: &ImageRef) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = secrets
        .iter()
        .filter_map(|(ns, name, info)| match check_info(info, image) {
            SecretState::Parsed {
                entries,
                covers: true,
            } => Some(Candidate {
                namespace: ns.clone(),
                name: name.clone(),
                username: entries
                    .into_iter()
                    .find(|e| e.covers)
                    .and_then(|e| e.username),
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

/// "Attach what is there": secrets of the pod's namespace that cover the
/// image but are referenced neither by the pod nor by its ServiceAccount.
pub fn attachable(
    namespace_secrets: &[(String, String, SecretInfo)],
    image: &ImageRef,
    referenced: &[String],
) -> Vec<Candidate> {
    covering(namespace_secrets, image)
        .into_iter()
        .filter(|c| !referenced.contains(&c.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secrets::AuthKey;

    #[test]
    fn covering_and_attachable_secrets_by_kubelet_matching() {
        let image = ImageRef::parse("reg.example:5000/team/app:1").unwrap();
        let info = |key: &str, user: &str| SecretInfo::Parsed {
            entries: vec![AuthKey {
                key: key.into(),
                normalized: crate::domain::secrets::normalize_key(key),
                username: Some(user.into()),
                expiry: None,
            }],
        };
        let secrets = vec![
            (
                "b".to_string(),
                "good".to_string(),
                info("reg.example:5000", "u1"),
            ),
            (
                "a".to_string(),
                "other-host".to_string(),
                info("elsewhere", "u2"),
            ),
            (
                "a".to_string(),
                "good2".to_string(),
                info("https://reg.example:5000/v2/", "u3"),
            ),
        ];
        let c = covering(&secrets, &image);
        assert_eq!(
            c.iter()
                .map(|c| (c.namespace.as_str(), c.name.as_str(), c.username.as_deref()))
                .collect::<Vec<_>>(),
            vec![("a", "good2", Some("u3")), ("b", "good", Some("u1"))]
        );
        let a = attachable(&secrets, &image, &["good2".to_string()]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "good");
    }
}
