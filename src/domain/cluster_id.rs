//! Which cluster a fact is about: the kubeconfig context's name and the API
//! server's URL, as one value. Every pod key, cluster reply, effect and audit
//! line carries one, so that facts of several clusters never mix.
//!
//! Cheap to clone (one pointer); equal, ordered and hashed by its contents,
//! but cheaply: every pod key holds one, and the keys of one session share
//! its allocation, so a comparison is a pointer's and a hash one `u64`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Clone)]
pub struct ClusterId(Arc<Parts>);

struct Parts {
    context: String,
    server: String,
    /// The two parts hashed once (fixed keys: equal parts, equal value).
    hash: u64,
}

impl PartialEq for ClusterId {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash
                && self.0.context == other.0.context
                && self.0.server == other.0.server)
    }
}

impl Eq for ClusterId {}

impl Ord for ClusterId {
    fn cmp(&self, other: &Self) -> Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return Ordering::Equal;
        }
        (self.context(), self.server()).cmp(&(other.context(), other.server()))
    }
}

impl PartialOrd for ClusterId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for ClusterId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl ClusterId {
    /// `context`: the kubeconfig context's name (empty when pulltui runs
    /// without one, e.g. in-cluster); `server`: the API server's URL (empty
    /// until known).
    pub fn new(context: impl Into<String>, server: impl Into<String>) -> Self {
        let (context, server) = (context.into(), server.into());
        // `DefaultHasher::new()` has fixed keys: the same parts give the same
        // value in every ClusterId of the process (the maps that hold pod
        // keys still hash this value with their own random keys).
        let mut h = std::hash::DefaultHasher::new();
        (&context, &server).hash(&mut h);
        ClusterId(Arc::new(Parts {
            context,
            server,
            hash: h.finish(),
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
    fn equal_apart_as_together_ordered_and_hashed_by_the_parts() {
        use std::collections::hash_map::RandomState;
        use std::hash::BuildHasher as _;
        let a = ClusterId::new("prod", "https://10.0.0.1:6443");
        let b = ClusterId::new("prod", "https://10.0.0.1:6443");
        let s = RandomState::new();
        // Two allocations of the same parts: one key.
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert_eq!(s.hash_one(&a), s.hash_one(&b));
        assert_eq!(s.hash_one(&a), s.hash_one(a.clone()));
        // Ordered by the context, then the server.
        let dev = ClusterId::new("dev", "https://10.0.0.9:6443");
        let other_server = ClusterId::new("prod", "https://10.0.0.2:6443");
        assert_eq!(dev.cmp(&a), Ordering::Less);
        assert_eq!(a.cmp(&other_server), Ordering::Less);
        assert_eq!(other_server.cmp(&a), Ordering::Greater);
        assert_ne!(s.hash_one(&a), s.hash_one(&other_server));
        // The parts are not run together: ("ab", "c") is not ("a", "bc").
        assert_ne!(ClusterId::new("ab", "c"), ClusterId::new("a", "bc"));
        assert_ne!(
            s.hash_one(ClusterId::new("ab", "c")),
            s.hash_one(ClusterId::new("a", "bc"))
        );
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
