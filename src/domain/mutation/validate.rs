//! Input checked as the API server checks it: annotation keys (qualified
//! names) and sizes, DNS-1123 names of secrets and namespaces, and the host
//! lists the registry annotations take.

use super::body::merge_list;
use super::types::InputError;

/// A comma list of hosts, trimmed, without empty items or duplicates.
pub(super) fn normalise_hosts(v: &str) -> Result<String, InputError> {
    let items: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(InputError::AnnotationValue("empty host list".into()));
    }
    Ok(merge_list(None, &items.join(",")))
}

const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Validates an annotation as the API server does: the key is a qualified
/// name (optional DNS-1123 subdomain prefix `/` name of ≤ 63 characters),
/// all annotations together ≤ 256 KiB.
pub fn validate_annotation(key: &str, value: &str) -> Result<(), InputError> {
    validate_qualified_name(key).map_err(|reason| InputError::AnnotationKey {
        key: key.to_string(),
        reason,
    })?;
    if key.len() + value.len() > MAX_ANNOTATIONS_BYTES {
        return Err(InputError::AnnotationValue(format!(
            "annotations must be at most {MAX_ANNOTATIONS_BYTES} bytes in total"
        )));
    }
    Ok(())
}

/// `[prefix/]name`: apimachinery's `IsQualifiedName`.
pub fn validate_qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => {
            if n.contains('/') {
                return Err(
                    "a qualified name must consist of an optional DNS subdomain prefix, \
                     one '/', and a name"
                        .into(),
                );
            }
            (Some(p), n)
        }
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err("prefix part must be non-empty".into());
        }
        validate_dns1123_subdomain(p).map_err(|e| format!("prefix part {e}"))?;
    }
    if name.is_empty() {
        return Err("name part must be non-empty".into());
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters".into());
    }
    let b = name.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let ok = alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter()
            .all(|&c| alnum(c) || c == b'-' || c == b'_' || c == b'.');
    if !ok {
        return Err(
            "name part must consist of alphanumeric characters, '-', '_' or '.', \
             and must start and end with an alphanumeric character"
                .into(),
        );
    }
    Ok(())
}

/// apimachinery's `IsDNS1123Subdomain` (names of secrets and most objects).
pub fn validate_dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must be non-empty".into());
    }
    if s.len() > 253 {
        return Err("must be no more than 253 characters".into());
    }
    for label in s.split('.') {
        if !is_dns1123_label(label) {
            return Err(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
                 characters, '-' or '.', and must start and end with an alphanumeric character"
                    .into(),
            );
        }
    }
    Ok(())
}

/// apimachinery's `IsDNS1123Label` (namespace names).
pub fn validate_dns1123_label(s: &str) -> Result<(), String> {
    if is_dns1123_label(s) {
        Ok(())
    } else {
        Err(
            "a lowercase RFC 1123 label must consist of at most 63 lower case alphanumeric \
             characters or '-', and must start and end with an alphanumeric character"
                .into(),
        )
    }
}

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let an = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && an(b[0])
        && an(b[b.len() - 1])
        && b.iter().all(|&c| an(c) || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mutation::ANN_SKIP_VERIFY;

    #[test]
    fn annotation_keys_are_validated_like_the_api_server() {
        assert!(validate_qualified_name(ANN_SKIP_VERIFY).is_ok());
        assert!(validate_qualified_name("simple").is_ok());
        assert!(validate_qualified_name("a/b/c").is_err());
        assert!(validate_qualified_name("/x").is_err());
        assert!(validate_qualified_name("Upper.Case/x").is_err());
        assert!(validate_qualified_name("ok.example/-x").is_err());
        assert!(validate_qualified_name(&"x".repeat(64)).is_err());
        assert!(validate_qualified_name(&"x".repeat(63)).is_ok());
        assert!(validate_qualified_name(&format!("{}/x", "a".repeat(254))).is_err());
    }

    #[test]
    fn secret_names_are_dns1123_subdomains() {
        assert!(validate_dns1123_subdomain("regcred").is_ok());
        assert!(validate_dns1123_subdomain("a.b-c").is_ok());
        assert!(validate_dns1123_subdomain("Reg").is_err());
        assert!(validate_dns1123_subdomain("a_b").is_err());
        assert!(validate_dns1123_subdomain("-a").is_err());
        assert!(validate_dns1123_subdomain("").is_err());
    }
}
