//! Typed errors of API calls: the HTTP status is kept (401/403/404/409/422),
//! timeouts and connection failures are told apart, so the UI can say
//! "forbidden" or "changed since you looked" instead of echoing a string.
//! (`cluster::error` converts kube's errors into it.)

use std::fmt;

/// What went wrong, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The API server answered with this HTTP status (`Status.code`).
    Status(u16),
    /// The request timed out (connect or read).
    Timeout,
    /// The server could not be reached (refused, DNS, TLS).
    Connect,
    /// The kubeconfig or the client could not be set up.
    Config,
    /// Anything else (decoding, a bug on either side).
    Other,
}

/// An API call's failure: its kind, the server's (or the library's) message,
/// and, for API answers, the `reason` (`Forbidden`, `Conflict`, `Invalid`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub reason: String,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            reason: String::new(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ApiErrorKind::Status(c) => Some(c),
            _ => None,
        }
    }

    pub fn is_status(&self, code: u16) -> bool {
        self.status() == Some(code)
    }

    pub fn is_forbidden(&self) -> bool {
        self.is_status(403)
    }

    pub fn is_not_found(&self) -> bool {
        self.is_status(404)
    }

    /// A short, plain-words title for the kind ("forbidden", "conflict", ...).
    pub fn title(&self) -> &'static str {
        match self.kind {
            ApiErrorKind::Status(400) => "bad request",
            ApiErrorKind::Status(401) => "not authenticated (credentials expired or invalid)",
            ApiErrorKind::Status(403) => "forbidden",
            ApiErrorKind::Status(404) => "not found",
            ApiErrorKind::Status(409) => "conflict (the object changed or already exists)",
            ApiErrorKind::Status(410) => "gone (resource version expired)",
            ApiErrorKind::Status(422) => "invalid",
            ApiErrorKind::Status(429) => "too many requests",
            ApiErrorKind::Status(c) if c >= 500 => "server error",
            ApiErrorKind::Status(_) => "request failed",
            ApiErrorKind::Timeout => "timed out",
            ApiErrorKind::Connect => "cannot reach the API server",
            ApiErrorKind::Config => "kubeconfig",
            ApiErrorKind::Other => "error",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ApiErrorKind::Status(code) => write!(f, "{} ({code}): {}", self.title(), self.message),
            _ => write!(f, "{}: {}", self.title(), self.message),
        }
    }
}

impl std::error::Error for ApiError {}
