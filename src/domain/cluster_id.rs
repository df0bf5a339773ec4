//! Which cluster a fact is about: the kubeconfig context's name and the API
//! server's URL, as one value. Every pod key, cluster reply, effect and audit
//! line carries one, so that facts of several clusters never mix.
//!
//! Cheap to clone (one pointer); compared and hashed by its contents.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(Arc<Parts>);

#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Parts {
    context: String,
    server: String,
}

impl ClusterId {
    /// `context`: the kubeconfig context's name (empty when pulltui runs
    /// without one, e.g. in-cluster); `server`: the API server's URL (empty
    /// until known).
    pub fn new(context: impl Into<String>, server: impl Into<String>) -> Self {
        ClusterId(Arc::new(Parts {
            context: context.into(),
            server: server.into(),
        }))
    }

    pub fn context(&self) -> &str {
        &self.0.context
    }

    pub fn server(&self) -> &str {
        &self.0.server
    }

    /// Whether `other` can name the same cluster: each part equal, or not
    /// known yet on one side (a session names its cluster by the context
    /// asked for until it connects, then by the context and server reached).
    pub fn agrees(&self, other: &ClusterId) -> bool {
        let part = |a: &str, b: &str| a.is_empty() || b.is_empty() || a == b;
        Arc::ptr_eq(&self.0, &other.0)
            || (part(self.context(), other.context()) && part(self.server(), other.server()))
    }
}

impl fmt::Display for ClusterId {
    /// `context (server)`, or whichever of the two is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.context(), self.server()) {
            ("", "") => f.write_str("(unknown cluster)"),
            (c, "") => f.write_str(c),
            ("", s) => f.write_str(s),
            (c, s) => write!(f, "{c} ({s})"),
        }
    }
}

impl fmt::Debug for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClusterId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_by_contents_and_shown_with_what_is_known() {
        let a = ClusterId::new("prod", "https://10.0.0.1:6443");
        let b = ClusterId::new("prod", "https://10.0.0.1:6443");
        assert_eq!(a, b);
        assert_ne!(a, ClusterId::new("prod", "https://10.0.0.2:6443"));
        assert_eq!(a.to_string(), "prod (https://10.0.0.1:6443)");
        assert_eq!(ClusterId::new("dev", "").to_string(), "dev");
        assert_eq!(ClusterId::new("", "").to_string(), "(unknown cluster)");
    }

    #[test]
    fn agrees_as_far_as_both_are_known() {
        let full = ClusterId::new("prod", "https://10.0.0.1:6443");
        assert!(full.agrees(&ClusterId::new("prod", "")));
        assert!(ClusterId::new("", "").agrees(&full));
        assert!(full.agrees(&ClusterId::new("", "https://10.0.0.1:6443")));
        assert!(!full.agrees(&ClusterId::new("dev", "")));
        assert!(!full.agrees(&ClusterId::new("prod", "https://10.0.0.2:6443")));
    }
}
