//! The one-line summary of a verdict, in words a person acts on.

use std::net::IpAddr;

use crate::domain::ipscope::IpScope;
use crate::domain::taxonomy::Category;

pub(super) fn summarise(
    category: Category,
    ambiguous: bool,
    registry: Option<&str>,
    ip: Option<IpAddr>,
    ip_scope: Option<IpScope>,
    no_evidence: bool,
    reason: Option<&str>,
) -> String {
    let reg = registry.unwrap_or("the registry");
    let at = match (ip, ip_scope) {
        (Some(ip), Some(scope)) => format!(" at {ip} ({scope} IP)"),
        _ => String::new(),
    };
    match category {
        Category::NetworkTimeout => {
            let hint = match ip_scope {
                Some(IpScope::Public) => {
                    ": the node dialled a public IP; if the registry should be reached \
                     privately, its private link or private DNS is missing"
                }
                Some(IpScope::Private) | Some(IpScope::Cgnat) => {
                    ": the node dialled a private address; check routes, security groups and the private link"
                }
                _ => "",
            };
            format!("Connecting to {reg}{at} timed out{hint}")
        }
        Category::NetworkRefused => {
            format!("{reg}{at} refused the connection: nothing listens on that port")
        }
        Category::NetworkDns => format!("The node cannot resolve {reg}"),
        Category::NetworkUnreachable => {
            format!("No route to {reg}{at}, or the connection was reset")
        }
        Category::NetworkProxy => format!("The node's proxy failed while connecting to {reg}"),
        Category::TlsUntrusted => {
            format!("The node does not trust {reg}'s certificate (self-signed or private CA)")
        }
        Category::TlsHostname => format!("{reg}'s certificate is for another name"),
        Category::TlsExpired => format!("{reg}'s certificate has expired or is not yet valid"),
        Category::ProtocolHttpRegistry => {
            format!("{reg} speaks plain HTTP; the runtime used HTTPS")
        }
        Category::AuthNoCredentials => {
            format!("{reg} requires credentials and the pull sent none that it accepted")
        }
        Category::AuthDenied if ambiguous => format!(
            "{reg} denied the pull: the repository does not exist, or it needs credentials this pod lacks (a probe settles which)"
        ),
        Category::AuthDenied => {
            format!("{reg} denied the pull: the credentials do not grant access to this repository")
        }
        Category::ImageNotFound => {
            format!("The image does not exist on {reg} (repository, tag or digest)")
        }
        Category::ImageInvalidName => {
            "The image reference is not valid; nothing was pulled".to_string()
        }
        Category::ImagePlatform => {
            format!("The image on {reg} has no variant for the node's platform")
        }
        Category::RegistryRateLimit => format!("{reg} is rate-limiting pulls"),
        Category::RegistryServerError => {
            format!("{reg} (or a proxy in front of it) returned a server error")
        }
        Category::NodeDisk => "The node ran out of disk space while storing the image".to_string(),
        Category::NodeRuntime => "Downloading or unpacking a layer failed on the node".to_string(),
        Category::NodePullThrottle => {
            "The kubelet's pull rate limit refused the pull; the registry was not contacted"
                .to_string()
        }
        Category::CredentialsSecretMissing => {
            "A pull secret the pod references does not exist".to_string()
        }
        Category::PolicyNeverPull => {
            "imagePullPolicy is Never and the image is not on the node (or, from kubelet 1.35, \
             not verified for this pod's credentials)"
                .to_string()
        }
        Category::PolicySignature => {
            format!("The node's signature policy refused the image from {reg}")
        }
        Category::NetworkStalled => {
            format!("The pull from {reg} started but made no progress and was cancelled")
        }
        Category::AuthUpstream => format!(
            "{reg} (a pull-through cache or proxy) could not authenticate to its upstream registry"
        ),
        Category::Unknown
            if no_evidence && matches!(reason, Some("ImagePullBackOff" | "BackOff")) =>
        {
            "Back-off only: the cause is in the pod's earlier Failed events".to_string()
        }
        Category::Unknown => format!("No known cause in the message for {reg}; probe the registry"),
    }
}
