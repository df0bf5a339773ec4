//! Every pod of a cluster, as the counts need it: a 128-bit digest of each
//! pod's namespace and name in one table, and the pods per namespace.
//!
//! A healthy pod is a table slot, not two small strings: strings kept for
//! every pod stayed pinned among the pages their list was decoded from,
//! so a cluster's heap grew by about 1.4 KB per healthy pod (10 × 10k
//! pods: the fleet's peak RSS). The digest is two SipHash-1-3 sums: a
//! collision (two pods counted as one) needs about 2^64 chosen names.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use super::pod::PodKey;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct PodSet {
    keys: HashSet<u128>,
    namespaces: BTreeMap<String, u32>,
}

fn digest(key: &PodKey) -> u128 {
    digest_of(&key.namespace, &key.name)
}

fn digest_of(namespace: &str, name: &str) -> u128 {
    let half = |seed: u8| {
        let mut h = DefaultHasher::new();
        seed.hash(&mut h);
        namespace.hash(&mut h);
        name.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

impl PodSet {
    /// Adds the pod; whether it was new.
    pub fn insert(&mut self, key: &PodKey) -> bool {
        let new = self.keys.insert(digest(key));
        if new {
            match self.namespaces.get_mut(&key.namespace) {
                Some(n) => *n += 1,
                None => {
                    self.namespaces.insert(key.namespace.clone(), 1);
                }
            }
        }
        new
    }

    /// Removes the pod; whether it was there.
    pub fn remove(&mut self, key: &PodKey) -> bool {
        let was = self.keys.remove(&digest(key));
        if was && let Some(n) = self.namespaces.get_mut(&key.namespace) {
            *n -= 1;
            if *n == 0 {
                self.namespaces.remove(&key.namespace);
            }
        }
        was
    }

    pub fn contains(&self, key: &PodKey) -> bool {
        self.keys.contains(&digest(key))
    }

    /// Whether a pod of that name is in any namespace.
    pub fn has_named(&self, name: &str) -> bool {
        self.namespaces
            .keys()
            .any(|ns| self.keys.contains(&digest_of(ns, name)))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The namespaces that have pods, sorted.
    pub fn namespaces(&self) -> Vec<String> {
        self.namespaces.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cluster_id::ClusterId;

    #[test]
    fn counts_pods_and_namespaces_through_inserts_and_removes() {
        let c = ClusterId::new("ctx", "https://x");
        let k = |ns: &str, n: &str| PodKey::new(&c, ns, n);
        let mut s = PodSet::default();
        assert!(s.insert(&k("a", "p")));
        assert!(!s.insert(&k("a", "p")), "the same pod twice is one");
        assert!(s.insert(&k("a", "q")));
        assert!(s.insert(&k("b", "p")));
        // The name and namespace are told apart ("a"/"bc" is not "ab"/"c").
        assert!(s.insert(&k("ab", "c")));
        assert!(s.insert(&k("a", "bc")));
        assert_eq!(s.len(), 5);
        assert_eq!(s.namespaces(), ["a", "ab", "b"]);
        assert!(s.contains(&k("b", "p")) && !s.contains(&k("b", "q")));
        assert!(s.has_named("bc") && s.has_named("q") && !s.has_named("zz"));
        assert!(s.remove(&k("b", "p")));
        assert!(!s.remove(&k("b", "p")), "removed once");
        assert_eq!(s.namespaces(), ["a", "ab"]);
        assert!(s.remove(&k("ab", "c")));
        assert_eq!(s.namespaces(), ["a"]);
        assert_eq!(s.len(), 3);
    }
}
