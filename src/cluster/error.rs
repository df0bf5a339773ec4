//! kube errors into typed `ApiError`s (the type is pure, in
//! `domain::api_error`, so the app can match on it): the HTTP status is kept
//! (401/403/404/409/422), timeouts and connection failures are told apart.

pub use crate::domain::api_error::{ApiError, ApiErrorKind};

impl From<&kube::Error> for ApiError {
    fn from(e: &kube::Error) -> Self {
        match e {
            kube::Error::Api(s) => ApiError {
                kind: ApiErrorKind::Status(s.code),
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            other => {
                let text =
                    exec_failure(&super::chain(other)).unwrap_or_else(|| super::chain(other));
                let lower = text.to_ascii_lowercase();
                let kind = if lower.contains("timed out")
                    || lower.contains("timeout")
                    || lower.contains("deadline")
                {
                    ApiErrorKind::Timeout
                } else if matches!(other, kube::Error::HyperError(_) | kube::Error::Service(_))
                    || lower.contains("connect")
                    || lower.contains("dns")
                    || lower.contains("refused")
                {
                    ApiErrorKind::Connect
                } else if matches!(other, kube::Error::InferConfig(_) | kube::Error::Auth(_)) {
                    ApiErrorKind::Config
                } else {
                    ApiErrorKind::Other
                };
                ApiError::new(kind, text)
            }
        }
    }
}

/// kube's report of a failed exec credential plugin, as a sentence: the
/// command, its exit status and what it printed on stderr (kube quotes the
/// whole `Output` and the `KUBERNETES_EXEC_INFO` it passed).
pub fn exec_failure(text: &str) -> Option<String> {
    let re = regex::Regex::new(
        r#"auth exec command '.*?"([^"]+)"' failed with status (.+?): Output \{.*?stderr: "((?:[^"\\]|\\.)*)""#,
    )
    .ok()?;
    let c = re.captures(text)?;
    let stderr = c[3]
        .replace("\\n", " ")
        .replace("\\\"", "\"")
        .trim()
        .to_string();
    let said = if stderr.is_empty() {
        "printed nothing on stderr".to_string()
    } else {
        format!("said: {stderr}")
    };
    Some(format!(
        "exec credential plugin {} failed ({}) and {said}",
        &c[1], &c[2]
    ))
}

impl From<kube::Error> for ApiError {
    fn from(e: kube::Error) -> Self {
        ApiError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_exec_plugin_is_one_sentence_with_its_own_words() {
        let kube_text = r#"client: auth error: auth exec command 'KUBERNETES_EXEC_INFO="{\"kind\":\"ExecCredential\"}" "/tmp/exec/fail.sh"' failed with status exit status: 1: Output { status: ExitStatus(unix_wait_status(256)), stdout: "", stderr: "error: token expired; run corp-login\n" }"#;
        assert_eq!(
            exec_failure(kube_text).as_deref(),
            Some(
                "exec credential plugin /tmp/exec/fail.sh failed (exit status: 1) \
                 and said: error: token expired; run corp-login"
            )
        );
        assert_eq!(exec_failure("connection refused"), None);
    }

    #[test]
    fn api_status_is_kept_with_reason() {
        let e = kube::Error::Api(
            kube::core::Status::failure("pods \"x\" is forbidden", "Forbidden")
                .with_code(403)
                .boxed(),
        );
        let a = ApiError::from(&e);
        assert!(a.is_forbidden());
        assert_eq!(a.reason, "Forbidden");
        assert!(a.to_string().starts_with("forbidden (403)"));
    }
}
