//! Credentials that come from the node rather than from a pull secret: the
//! kubelet's credential provider plugins (KEP-2133) and, since 1.33/1.34,
//! their ServiceAccount-token mode (KEP-4412), in which the kubelet hands
//! the plugin a token of the pod's ServiceAccount and the annotations of it
//! that the plugin's `tokenAttributes` name.
//!
//! Which plugins a node runs is in its kubelet's
//! `--image-credential-provider-config`, which the API server does not show:
//! a registry host that a well-known provider serves is an *inference* —
//! "may be covered by the node's credential provider", never "covered".
//!
//! The hosts and annotation keys are the providers' own (read in their
//! sources, 2026-08): cloud-provider-aws `cmd/ecr-credential-provider`
//! (`ecrPrivateHostPattern`, `eks.amazonaws.com/ecr-role-arn`),
//! cloud-provider-gcp `pkg/gcpcredential` (`containerRegistryUrls`,
//! `iam.gke.io/enable-wi-image-pull`), cloud-provider-azure
//! `pkg/credentialprovider` (`containerRegistryUrls`,
//! `kubernetes.azure.com/acr-client-id` / `acr-tenant-id`); Tencent's TCR
//! add-on on TKE serves its Enterprise instances without pull secrets in
//! the pod spec.
//!
//! ServiceAccount annotation values are written by whoever may edit the
//! ServiceAccount (a tenant): only the known keys are kept, their values
//! inert and bounded, and nothing here ever decides a write.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use k8s_openapi::api::core::v1::ServiceAccount;
use regex::Regex;

use super::image::ImageRef;
use super::inert::inert_cut;
use super::secrets::{Coverage, SecretCheck, coverage, key_matches};

/// Longest annotation value shown (an ARN is at most 2048; a client id 36).
pub const MAX_ANNOTATION_VALUE: usize = 256;

/// A node credential provider pulltui recognises by the hosts it serves.
#[derive(Debug, PartialEq, Eq)]
pub struct Provider {
    /// Stable id (`ecr`, `gcp`, `acr`, `tcr`).
    pub id: &'static str,
    /// The plugin or add-on, as a person would look for it.
    pub name: &'static str,
    /// The registry it serves, in words.
    pub registry: &'static str,
    /// Host globs, one `*` per DNS label (kubelet's `matchImages` rule).
    globs: &'static [&'static str],
    /// Where the node's own identity comes from when no ServiceAccount
    /// token is used.
    pub node_identity: &'static str,
}

/// The hosts of Amazon ECR private registries, as ecr-credential-provider
/// recognises them: `<account>.dkr.ecr[-fips].<region>.<partition suffix>`
/// and the dual-stack `dkr-ecr` form.
static ECR_PRIVATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\d{12}\.dkr[.\-]ecr(-fips)?\.[a-z0-9][a-z0-9\-_]*\.(amazonaws\.(com(\.cn)?|eu)|on\.(aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$",
    )
    .expect("static regex")
});

pub static PROVIDERS: [Provider; 4] = [
    Provider {
        id: "ecr",
        name: "ecr-credential-provider",
        registry: "Amazon ECR",
        globs: &[],
        node_identity: "the node's IAM role (instance profile)",
    },
    Provider {
        id: "gcp",
        name: "auth-provider-gcp",
        registry: "Artifact Registry / Container Registry",
        globs: &[
            "container.cloud.google.com",
            "gcr.io",
            "*.gcr.io",
            "*.pkg.dev",
        ],
        node_identity: "the node's Google service account",
    },
    Provider {
        id: "acr",
        name: "acr-credential-provider",
        registry: "Azure Container Registry",
        globs: &[
            "*.azurecr.io",
            "*.azurecr.cn",
            "*.azurecr.de",
            "*.azurecr.us",
        ],
        node_identity: "the kubelet identity (managed identity)",
    },
    Provider {
        id: "tcr",
        name: "the TCR add-on (tcr-assistant) on TKE",
        registry: "Tencent Container Registry",
        globs: &["*.tencentcloudcr.com"],
        node_identity: "the add-on's own pull credentials",
    },
];

impl Provider {
    /// Whether this provider serves the image's registry host.
    pub fn serves(&self, image: &ImageRef) -> bool {
        if self.id == "ecr" {
            return ECR_PRIVATE.is_match(&image.registry);
        }
        self.globs.iter().any(|g| key_matches(g, image))
    }

    /// The ServiceAccount annotations this provider reads, then the related
    /// ones of its cloud (not read for pulls).
    pub fn annotations(&self) -> impl Iterator<Item = &'static KnownAnnotation> {
        let id = self.id;
        KNOWN_ANNOTATIONS
            .iter()
            .filter(move |a| a.provider == id && a.read_for_pulls)
            .chain(
                KNOWN_ANNOTATIONS
                    .iter()
                    .filter(move |a| a.provider == id && !a.read_for_pulls),
            )
    }
}

/// The provider that serves the image's registry, if one does.
pub fn provider_for(image: &ImageRef) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.serves(image))
}

/// A ServiceAccount annotation a credential provider (or its cloud's
/// workload identity) reads.
#[derive(Debug, PartialEq, Eq)]
pub struct KnownAnnotation {
    pub key: &'static str,
    /// The `Provider::id` of its cloud.
    pub provider: &'static str,
    /// The provider reads it when it pulls with the ServiceAccount's token.
    pub read_for_pulls: bool,
    /// What it means, briefly.
    pub meaning: &'static str,
}

pub static KNOWN_ANNOTATIONS: [KnownAnnotation; 8] = [
    KnownAnnotation {
        key: "eks.amazonaws.com/ecr-role-arn",
        provider: "ecr",
        read_for_pulls: true,
        meaning: "the role ecr-credential-provider assumes with the ServiceAccount's token",
    },
    KnownAnnotation {
        key: "eks.amazonaws.com/role-arn",
        provider: "ecr",
        read_for_pulls: false,
        meaning: "IRSA: the pod's own AWS role; not read for image pulls",
    },
    KnownAnnotation {
        key: "iam.gke.io/enable-wi-image-pull",
        provider: "gcp",
        read_for_pulls: true,
        meaning: "\"true\": pulls use the ServiceAccount's Workload Identity, not the node's service account",
    },
    KnownAnnotation {
        key: "iam.gke.io/gcp-service-account",
        provider: "gcp",
        read_for_pulls: false,
        meaning: "Workload Identity for the pod's own calls; not read for image pulls",
    },
    KnownAnnotation {
        key: "kubernetes.azure.com/acr-client-id",
        provider: "acr",
        read_for_pulls: true,
        meaning: "the identity acr-credential-provider pulls as (with the tenant id)",
    },
    KnownAnnotation {
        key: "kubernetes.azure.com/acr-tenant-id",
        provider: "acr",
        read_for_pulls: true,
        meaning: "the tenant of that identity",
    },
    KnownAnnotation {
        key: "azure.workload.identity/client-id",
        provider: "acr",
        read_for_pulls: false,
        meaning: "Azure Workload Identity for the pod's own calls; not read for image pulls",
    },
    KnownAnnotation {
        key: "azure.workload.identity/tenant-id",
        provider: "acr",
        read_for_pulls: false,
        meaning: "Azure Workload Identity's tenant; not read for image pulls",
    },
];

/// One known annotation of a ServiceAccount, its value inert and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaAnnotation {
    pub key: String,
    pub value: String,
}

impl SaAnnotation {
    pub fn known(&self) -> Option<&'static KnownAnnotation> {
        KNOWN_ANNOTATIONS.iter().find(|k| k.key == self.key)
    }
}

/// What the detail keeps of a ServiceAccount: the names of its pull
/// secrets, and the annotations credential providers read (nothing else).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceAccountView {
    pub pull_secrets: Vec<String>,
    /// In `KNOWN_ANNOTATIONS` order.
    pub annotations: Vec<SaAnnotation>,
}

impl ServiceAccountView {
    /// A view with these pull secrets and no annotations (tests, replays
    /// of files that had none).
    pub fn with_secrets(names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ServiceAccountView {
            pull_secrets: names.into_iter().map(Into::into).collect(),
            annotations: Vec::new(),
        }
    }

    /// The annotations of the provider's cloud that this ServiceAccount
    /// has, those the provider reads first.
    pub fn annotations_for(&self, p: &Provider) -> Vec<(&SaAnnotation, &'static KnownAnnotation)> {
        p.annotations()
            .filter_map(|k| {
                self.annotations
                    .iter()
                    .find(|a| a.key == k.key)
                    .map(|a| (a, k))
            })
            .collect()
    }
}

/// Reduces a fetched ServiceAccount to its view.
pub fn service_account_view(sa: &ServiceAccount) -> ServiceAccountView {
    let pull_secrets = super::pod::sa_pull_secret_names(sa);
    ServiceAccountView {
        pull_secrets,
        annotations: known_annotations(sa.metadata.annotations.as_ref()),
    }
}

/// The known keys of `annotations`, values inert and bounded.
pub fn known_annotations(annotations: Option<&BTreeMap<String, String>>) -> Vec<SaAnnotation> {
    let Some(a) = annotations else {
        return Vec::new();
    };
    KNOWN_ANNOTATIONS
        .iter()
        .filter_map(|k| {
            a.get(k.key).map(|v| SaAnnotation {
                key: k.key.to_string(),
                value: inert_cut(v, MAX_ANNOTATION_VALUE).into_owned(),
            })
        })
        .collect()
}

/// The coverage verdict with the node's side: when no readable pull secret
/// covers the registry and a known provider serves its host, the verdict is
/// `Coverage::NodeProvider` instead of `NoSecrets` / `NotCovered`.
pub fn coverage_with_providers(checks: &[SecretCheck], image: &ImageRef) -> Coverage {
    match coverage(checks) {
        Coverage::NoSecrets | Coverage::NotCovered if provider_for(image).is_some() => {
            Coverage::NodeProvider
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secrets::{SecretSource, SecretState};

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).expect("test image")
    }

    fn provider(s: &str) -> Option<&'static str> {
        provider_for(&image(s)).map(|p| p.id)
    }

    #[test]
    fn cloud_registry_hosts_name_their_provider() {
        for (img, want) in [
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1",
                Some("ecr"),
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a:1",
                Some("ecr"),
            ),
            (
                "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a:1",
                Some("ecr"),
            ),
            ("123456789012.dkr-ecr.eu-west-1.on.aws/a:1", Some("ecr")),
            (
                "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/a:1",
                Some("ecr"),
            ),
            ("us-docker.pkg.dev/proj/repo/app:1", Some("gcp")),
            ("gcr.io/proj/app:1", Some("gcp")),
            ("eu.gcr.io/proj/app:1", Some("gcp")),
            ("demo.azurecr.io/app:1", Some("acr")),
            ("demo.azurecr.cn/app:1", Some("acr")),
            ("demo.azurecr.us/app:1", Some("acr")),
            ("demo-ns.tencentcloudcr.com/team/app:1", Some("tcr")),
            ("nginx:1", None),
            ("quay.io/a/b:1", None),
            // Not an account id; a deeper name; a look-alike suffix.
            ("shop.dkr.ecr.us-east-1.amazonaws.com/a:1", None),
            ("a.b.azurecr.io/app:1", None),
            ("gcr.io.evil.example/app:1", None),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/a:1",
                None,
            ),
            ("public.ecr.aws/nginx/nginx:1", None),
        ] {
            assert_eq!(provider(img), want, "{img}");
        }
    }

    #[test]
    fn only_known_annotations_are_kept_inert_and_bounded() {
        let mut a = BTreeMap::new();
        a.insert(
            "eks.amazonaws.com/ecr-role-arn".to_string(),
            "arn:aws:iam::123456789012:role/pull\u{1b}]0;pwned\u{7}".to_string(),
        );
        a.insert(
            "iam.gke.io/enable-wi-image-pull".to_string(),
            "x".repeat(5000),
        );
        a.insert(
            "team.example/secret-token".to_string(),
            "s3cret".to_string(),
        );
        let kept = known_annotations(Some(&a));
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].key, "eks.amazonaws.com/ecr-role-arn");
        assert!(!kept[0].value.contains('\u{1b}'), "{:?}", kept[0].value);
        assert!(kept[0].value.contains("␛]0;pwned␇"), "{:?}", kept[0].value);
        assert!(kept[1].value.chars().count() <= MAX_ANNOTATION_VALUE);
        assert!(!format!("{kept:?}").contains("s3cret"));
    }

    #[test]
    fn a_provider_lists_what_it_reads_first() {
        let sa: ServiceAccount = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "app", "annotations": {
                "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/app",
                "eks.amazonaws.com/ecr-role-arn": "arn:aws:iam::1:role/pull",
                "azure.workload.identity/client-id": "c"}},
            "imagePullSecrets": [{"name": "a"}, {"name": ""}]
        }))
        .expect("sa");
        let v = service_account_view(&sa);
        assert_eq!(v.pull_secrets, ["a"]);
        let ecr =
            provider_for(&image("123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1")).expect("ecr");
        let keys: Vec<(&str, bool)> = v
            .annotations_for(ecr)
            .iter()
            .map(|(a, k)| (a.key.as_str(), k.read_for_pulls))
            .collect();
        assert_eq!(
            keys,
            [
                ("eks.amazonaws.com/ecr-role-arn", true),
                ("eks.amazonaws.com/role-arn", false)
            ]
        );
    }

    #[test]
    fn a_provider_host_turns_none_into_may_be_covered() {
        let check = |state| SecretCheck {
            name: "s".into(),
            source: SecretSource::Pod,
            state,
        };
        let ecr = image("123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1");
        let hub = image("nginx:1");
        assert_eq!(coverage_with_providers(&[], &ecr), Coverage::NodeProvider);
        assert_eq!(coverage_with_providers(&[], &hub), Coverage::NoSecrets);
        let other = check(SecretState::Parsed {
            entries: vec![],
            covers: false,
        });
        assert_eq!(
            coverage_with_providers(std::slice::from_ref(&other), &ecr),
            Coverage::NodeProvider
        );
        // What a secret says, or cannot say, is not overridden.
        assert_eq!(
            coverage_with_providers(&[check(SecretState::Forbidden)], &ecr),
            Coverage::Unknown
        );
        let covering = check(SecretState::Parsed {
            entries: vec![],
            covers: true,
        });
        assert_eq!(
            coverage_with_providers(&[covering], &ecr),
            Coverage::Covered
        );
        assert_eq!(
            serde_json::to_string(&Coverage::NodeProvider).expect("json"),
            "\"node-provider\""
        );
    }
}
