//! The node's image store, kept only with `--keep-images` (a node of its
//! own in the harness: the default node pulls every time, so tests that
//! share it never see each other's images), and the kubelet's decision
//! whether a pod may use an image the node has, per version
//! (`pkg/kubelet/images/image_manager.go` `EnsureImageExists` and
//! `pullmanager.MustAttemptImagePull`):
//!
//! - before 1.35 (`KubeletEnsureSecretPulledImages` absent, or alpha and
//!   off in 1.33/1.34): a present image is used — `Container image "X"
//!   already present on machine` — whatever the pod's credentials;
//! - from 1.35 (beta, on; policy `NeverVerifyPreloadedImages`, and every
//!   image here was pulled by the kubelet): a present image is used only if
//!   it was pulled without credentials, or the pod has a pull secret that
//!   matches the image with the same credential hash or the same secret
//!   (namespace, name, uid) as a pull recorded for it — `… already present
//!   on machine and can be accessed by the pod`; otherwise `Never` says
//!   `Container image "X" is not present with pull policy of Never` and
//!   `IfNotPresent` pulls again with the pod's credentials.
//!
//! The images are published in `status.images` (largest first, at most 50,
//! as the kubelet's `nodeStatusMaxImages`).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use super::reference::ImageRef;
use super::registry::Credential;

/// Where a pull credential came from (kubelet's `TrackedAuthConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSource {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The credential's hash (`AuthConfigHash`).
    pub hash: u64,
}

impl SecretSource {
    pub fn new(namespace: &str, name: &str, uid: &str, cred: &Credential) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&cred.username, &cred.password).hash(&mut h);
        SecretSource {
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.into(),
            hash: h.finish(),
        }
    }
}

/// `ImagePullCredentials` of one image name (without tag or digest).
#[derive(Debug, Clone, Default)]
struct Access {
    node_pods_accessible: bool,
    secrets: Vec<SecretSource>,
}

#[derive(Debug)]
struct Stored {
    /// `domain/path@digest`: the image's id on the node.
    id: String,
    names: BTreeSet<String>,
    size: u64,
    /// `ImagePulledRecord.CredentialMapping`.
    access: BTreeMap<String, Access>,
}

#[derive(Debug, Default)]
pub struct Store {
    images: Mutex<Vec<Stored>>,
}

fn repo(image: &ImageRef) -> String {
    format!("{}/{}", image.domain, image.path)
}

/// The names a runtime lists for the reference (`GetImageRef` finds an
/// image by its tag or by its digest).
fn lookup_name(image: &ImageRef) -> String {
    match (&image.digest, &image.tag) {
        (Some(d), _) => format!("{}@{d}", repo(image)),
        (None, Some(t)) => format!("{}:{t}", repo(image)),
        (None, None) => format!("{}:latest", repo(image)),
    }
}

impl Store {
    /// The image's id, if the node has it.
    pub fn lookup(&self, image: &ImageRef) -> Option<String> {
        let name = lookup_name(image);
        let images = self.images.lock().ok()?;
        images
            .iter()
            .find(|s| s.names.contains(&name))
            .map(|s| s.id.clone())
    }

    /// `!MustAttemptImagePull`: whether a pod with `pod_secrets` (its pull
    /// secrets that match the image) may use the present image `id`.
    pub fn may_use(&self, id: &str, image: &ImageRef, pod_secrets: &[SecretSource]) -> bool {
        let Ok(images) = self.images.lock() else {
            return false;
        };
        let Some(access) = images
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.access.get(&repo(image)))
        else {
            return false;
        };
        access.node_pods_accessible
            || pod_secrets.iter().any(|p| {
                access.secrets.iter().any(|c| {
                    c.hash == p.hash
                        || (c.uid == p.uid && c.namespace == p.namespace && c.name == p.name)
                })
            })
    }

    /// `RecordImagePulled`: the image is on the node, pulled with `used`
    /// (`None`: without credentials, so any pod may use it).
    pub fn record(&self, image: &ImageRef, digest: &str, size: u64, used: Option<SecretSource>) {
        let Ok(mut images) = self.images.lock() else {
            return;
        };
        let id = format!("{}@{digest}", repo(image));
        let at = match images.iter().position(|s| s.id == id) {
            Some(i) => i,
            None => {
                images.push(Stored {
                    id: id.clone(),
                    names: BTreeSet::from([id.clone()]),
                    size,
                    access: BTreeMap::new(),
                });
                images.len() - 1
            }
        };
        let stored = &mut images[at];
        stored.names.insert(lookup_name(image));
        let access = stored.access.entry(repo(image)).or_default();
        match used {
            None => {
                access.node_pods_accessible = true;
                access.secrets.clear();
            }
            Some(s) if !access.node_pods_accessible && !access.secrets.contains(&s) => {
                access.secrets.push(s)
            }
            Some(_) => {}
        }
    }

    /// `status.images`: largest first, at most 50.
    pub fn status_images(&self) -> serde_json::Value {
        let Ok(images) = self.images.lock() else {
            return serde_json::json!([]);
        };
        let mut list: Vec<&Stored> = images.iter().collect();
        list.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.cmp(&b.id)));
        serde_json::Value::Array(
            list.into_iter()
                .take(50)
                .map(|s| serde_json::json!({"names": s.names, "sizeBytes": s.size}))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet_sim::reference::parse_normalized;

    fn cred(u: &str, p: &str) -> Credential {
        Credential {
            username: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn kubelet_s_record_decides_who_may_use_a_present_image() {
        let store = Store::default();
        let img = parse_normalized("127.0.0.1:5002/team/app:1.0").expect("ref");
        assert_eq!(store.lookup(&img), None);
        let a = SecretSource::new("a", "regcred", "uid-a", &cred("u", "p"));
        store.record(&img, "sha256:abc", 10, Some(a.clone()));
        let id = store.lookup(&img).expect("present");
        assert_eq!(id, "127.0.0.1:5002/team/app@sha256:abc");
        // The same secret; another secret with the same credentials.
        assert!(store.may_use(&id, &img, std::slice::from_ref(&a)));
        let same = SecretSource::new("b", "other", "uid-b", &cred("u", "p"));
        assert!(store.may_use(&id, &img, &[same]));
        // No secret, or other credentials: verify against the registry.
        assert!(!store.may_use(&id, &img, &[]));
        let other = SecretSource::new("b", "other", "uid-b", &cred("u", "wrong"));
        assert!(!store.may_use(&id, &img, &[other]));
        // Pulled once without credentials: anyone may use it.
        store.record(&img, "sha256:abc", 10, None);
        assert!(store.may_use(&id, &img, &[]));
        let names = store.status_images();
        assert_eq!(
            names[0]["names"],
            serde_json::json!([
                "127.0.0.1:5002/team/app:1.0",
                "127.0.0.1:5002/team/app@sha256:abc"
            ])
        );
    }
}
