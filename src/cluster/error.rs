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
                let text = super::chain(other);
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

impl From<kube::Error> for ApiError {
    fn from(e: kube::Error) -> Self {
        ApiError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
