//! Properties: `classify` never panics, and what it reports is consistent
//! with the input (the cause stands at its span), whatever the input.

use proptest::prelude::*;
use pulltui::domain::classify::classify;
use pulltui::domain::image::ImageRef;

fn vocabulary() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "Failed to pull image \"",
        "\": ",
        "rpc error: code = Unknown desc = ",
        "failed to resolve reference ",
        "dial tcp ",
        "[::1]:",
        "10.0.0.1:443",
        ": i/o timeout",
        "lookup ",
        " on 10.96.0.10:53: ",
        "x509: ",
        "certificate is valid for ",
        ", not ",
        "401 Unauthorized",
        "denied: ",
        "pull access denied for ",
        ", repository does not exist or may require 'docker login'",
        "manifest unknown",
        "not found",
        "\\n",
        "\n",
        "é",
        "日本",
        "\"",
        "(",
        ")",
        "->",
        "read tcp ",
        "[",
        "]",
        ", ",
        "rpc error: ",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn classify_never_panics_on_arbitrary_text(s in any::<String>(), r in proptest::option::of(any::<String>())) {
        let c = classify(&s, r.as_deref());
        if let Some(span) = c.cause_span {
            prop_assert_eq!(&s[span], c.cause.as_str());
        }
    }

    #[test]
    fn classify_never_panics_on_error_vocabulary(s in vocabulary()) {
        let c = classify(&s, Some("Failed"));
        if let Some(span) = c.cause_span {
            prop_assert_eq!(&s[span], c.cause.as_str());
        }
        prop_assert!(!c.summary.is_empty());
    }

    #[test]
    fn image_parse_never_panics(s in any::<String>()) {
        let _ = ImageRef::parse(&s);
    }

    #[test]
    fn valid_references_round_trip(
        host in "[a-z][a-z0-9]{0,8}\\.[a-z]{2,5}(:[0-9]{2,5})?",
        repo in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}",
        tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}",
    ) {
        let s = format!("{host}/{repo}:{tag}");
        let r = ImageRef::parse(&s).map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert_eq!(&r.registry, &host);
        prop_assert_eq!(&r.repository, &repo);
        prop_assert_eq!(r.tag.as_deref(), Some(tag.as_str()));
        prop_assert_eq!(ImageRef::parse(&r.canonical()), Ok(r.clone()));
    }
}
