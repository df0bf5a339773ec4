//! What the API server forgets, kept while pulltui watches (issue 24, "what
//! changed"): a node's kubelet version changing, images leaving a node's
//! `status.images` (garbage collection), a pull secret deleted. The cluster
//! layer sees nodes and pull secrets change ([`Fact`]s, from
//! `cluster::history`); the journal keeps them as records; [`changes`] turns
//! those records into the changes a group's failures are ranked against.
//!
//! Names come from the cluster (a tenant can name a secret or push an image
//! with any name): they are made inert and cut before they are kept.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::changes::{Change, Kind};
use super::inert::inert_cut;
use super::journal::Record;

/// The longest name kept (node, image, secret).
const NAME_MAX: usize = 200;
/// Images named per record at most (the rest are counted).
pub const IMAGES_MAX: usize = 20;
/// The kubelet lists at most this many images in `status.images` by
/// default (`nodeStatusMaxImages`, the largest first): at that length an
/// image can leave the list because a larger one came, not because it was
/// removed.
pub const KUBELET_LIST_MAX: usize = 50;
/// Kubelet versions from which cached images' pull credentials are checked
/// again (KEP-2535, on by default from 1.35).
const REVERIFY_FROM: (u32, u32) = (1, 35);

/// One thing seen change, at the time pulltui saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// A node's kubelet version, when a node is first seen or it changed.
    Kubelet {
        at: Timestamp,
        node: String,
        version: String,
    },
    /// Images gone from a node's `status.images` since it was last seen
    /// (`since`) with them.
    ImagesGone {
        at: Timestamp,
        since: Timestamp,
        node: String,
        images: Vec<String>,
        /// The list was at the kubelet's length limit before: an image may
        /// have dropped off it rather than been removed.
        capped: bool,
    },
    /// A pull secret deleted (`since`: when it was last seen, for a
    /// deletion found by a fresh list after a gap).
    PullSecretDeleted {
        at: Timestamp,
        since: Option<Timestamp>,
        namespace: String,
        name: String,
    },
}

impl Fact {
    /// The namespace it is about (none for a node).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Fact::PullSecretDeleted { namespace, .. } => Some(namespace),
            Fact::Kubelet { .. } | Fact::ImagesGone { .. } => None,
        }
    }
}

/// A name as kept: inert and cut.
pub fn kept(name: &str) -> String {
    inert_cut(name, NAME_MAX).into_owned()
}

/// One node as last seen: its kubelet and its images (each a hash of its
/// names; the names themselves are kept once for every node, in `names`).
#[derive(Debug, Clone, Default)]
struct NodeSeen {
    kubelet: String,
    images: Vec<u64>,
    at: Option<Timestamp>,
}

/// The nodes of one cluster as last seen, to tell what changed (pure; the
/// cluster layer feeds it every node it hears of).
#[derive(Debug, Default)]
pub struct Nodes {
    nodes: HashMap<String, NodeSeen>,
    /// Image hash → a name to say it by (a tag if it has one).
    names: HashMap<u64, String>,
}

impl Nodes {
    /// A node as it is now (`images`: each entry's names, as in
    /// `status.images`): what changed since it was last seen.
    pub fn observe(
        &mut self,
        node: &str,
        kubelet: &str,
        images: &[Vec<String>],
        now: Timestamp,
    ) -> Vec<Fact> {
        let mut hashes: Vec<u64> = Vec::with_capacity(images.len());
        for names in images {
            let Some(h) = image_hash(names) else { continue };
            hashes.push(h);
            self.names.entry(h).or_insert_with(|| say(names));
        }
        hashes.sort_unstable();
        hashes.dedup();
        let mut out = Vec::new();
        let node_name = kept(node);
        let seen = self.nodes.entry(node.to_string()).or_default();
        if seen.kubelet != kubelet && !kubelet.is_empty() {
            out.push(Fact::Kubelet {
                at: now,
                node: node_name.clone(),
                version: kept(kubelet),
            });
            seen.kubelet = kubelet.to_string();
        }
        if let Some(since) = seen.at {
            let gone: Vec<u64> = seen
                .images
                .iter()
                .filter(|h| hashes.binary_search(h).is_err())
                .copied()
                .collect();
            if !gone.is_empty() {
                let mut images: Vec<String> = gone
                    .iter()
                    .filter_map(|h| self.names.get(h).cloned())
                    .collect();
                images.sort();
                out.push(Fact::ImagesGone {
                    at: now,
                    since,
                    node: node_name,
                    images,
                    capped: seen.images.len() >= KUBELET_LIST_MAX,
                });
            }
        }
        seen.images = hashes;
        seen.at = Some(now);
        out
    }

    /// A node deleted: forgotten (a node that comes back is new).
    pub fn forget(&mut self, node: &str) {
        self.nodes.remove(node);
    }
}

/// An image entry's identity: its digest name if it has one, else its
/// first name (FNV-1a: stable and cheap).
fn image_hash(names: &[String]) -> Option<u64> {
    let id = names
        .iter()
        .find(|n| n.contains("@sha256:"))
        .or_else(|| names.first())?;
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    Some(h)
}

/// The name an image entry is said by: a tag when it has one (what a pod
/// names), else its digest name.
fn say(names: &[String]) -> String {
    let tagged = names.iter().find(|n| !n.contains("@sha256:"));
    kept(tagged.or(names.first()).map_or("", String::as_str))
}

/// What the journal remembers of nodes across runs: each node's last
/// kubelet version, and when it was seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    kubelets: HashMap<String, (String, Timestamp)>,
}

impl Known {
    /// The node records of a journal read back.
    pub fn resume<'a>(records: impl IntoIterator<Item = &'a Record>) -> Known {
        let mut k = Known::default();
        for r in records {
            if let Record::Kubelet {
                at, node, version, ..
            } = r
            {
                k.kubelets.insert(node.clone(), (version.clone(), *at));
            }
        }
        k
    }

    /// The records `facts` make (in namespace `within`, or all): a kubelet
    /// version the journal already holds for its node is not written again.
    pub fn records(&mut self, facts: &[Fact], within: Option<&str>) -> Vec<Record> {
        let mut out = Vec::new();
        for f in facts {
            if within.is_some_and(|ns| f.namespace().is_some_and(|n| n != ns)) {
                continue;
            }
            match f {
                Fact::Kubelet { at, node, version } => {
                    let before = self.kubelets.get(node).cloned();
                    if before.as_ref().is_some_and(|(v, _)| v == version) {
                        continue;
                    }
                    self.kubelets.insert(node.clone(), (version.clone(), *at));
                    out.push(Record::Kubelet {
                        at: *at,
                        node: node.clone(),
                        version: version.clone(),
                        from: before.as_ref().map(|(v, _)| v.clone()),
                        since: before.map(|(_, t)| t),
                    });
                }
                Fact::ImagesGone {
                    at,
                    since,
                    node,
                    images,
                    capped,
                } => out.push(Record::ImagesGone {
                    at: *at,
                    since: *since,
                    node: node.clone(),
                    more: images.len().saturating_sub(IMAGES_MAX),
                    images: images.iter().take(IMAGES_MAX).cloned().collect(),
                    capped: *capped,
                }),
                Fact::PullSecretDeleted {
                    at,
                    since,
                    namespace,
                    name,
                } => out.push(Record::SecretDeleted {
                    at: *at,
                    since: *since,
                    namespace: namespace.clone(),
                    name: name.clone(),
                }),
            }
        }
        out
    }
}

/// The changes the journal's node and secret records tell.
pub fn changes(records: &[Record]) -> Vec<Change> {
    let mut out = Vec::new();
    for r in records {
        match r {
            Record::Kubelet {
                at,
                node,
                version,
                from: Some(from),
                since,
            } => {
                let mut summary = format!("kubelet on node {node}: {from} → {version}");
                if let Some(s) = since {
                    summary.push_str(&between(*s, *at));
                }
                if reverifies(version) && !reverifies(from) {
                    summary.push_str(
                        "; from 1.35 a kubelet checks the pull credentials of the images \
                         it has cached (KEP-2535): a pod that ran on a cached image may \
                         need the registry again",
                    );
                }
                out.push(Change {
                    kind: Kind::Kubelet,
                    at: Some(*at),
                    object: format!("Node {node}"),
                    namespace: None,
                    registries: Vec::new(),
                    images: Vec::new(),
                    node: Some(node.clone()),
                    summary,
                    by: None,
                });
            }
            Record::ImagesGone {
                at,
                since,
                node,
                images,
                more,
                capped,
            } => {
                let mut summary = format!(
                    "{} gone from node {node}'s images{}",
                    list(images, *more),
                    between(*since, *at)
                );
                summary.push_str(match capped {
                    true => {
                        ": removed (image garbage collection), or dropped from the kubelet's \
                         list of its 50 largest"
                    }
                    false => ": removed (image garbage collection); the next pod there pulls",
                });
                out.push(Change {
                    kind: Kind::ImageGone,
                    at: Some(*at),
                    object: format!("Node {node}"),
                    namespace: None,
                    registries: Vec::new(),
                    images: images.clone(),
                    node: Some(node.clone()),
                    summary,
                    by: None,
                });
            }
            Record::SecretDeleted {
                at,
                since,
                namespace,
                name,
            } => out.push(Change {
                kind: Kind::PullSecretDeleted,
                at: Some(*at),
                object: format!("Secret {namespace}/{name}"),
                namespace: Some(namespace.clone()),
                registries: Vec::new(),
                images: Vec::new(),
                node: None,
                summary: match since {
                    Some(s) => {
                        format!("pull secret {namespace}/{name} deleted{}", between(*s, *at))
                    }
                    None => format!("pull secret {namespace}/{name} deleted"),
                },
                by: None,
            }),
            _ => {}
        }
    }
    out
}

/// The changes read from the cluster and those the journal kept, as one
/// list: a secret the cluster says is missing and the journal saw deleted
/// is said once, with its time.
pub fn merged(read: &[Change], records: &[Record]) -> Vec<Change> {
    let kept = changes(records);
    let deleted: BTreeMap<&str, ()> = kept
        .iter()
        .filter(|c| c.kind == Kind::PullSecretDeleted)
        .map(|c| (c.object.as_str(), ()))
        .collect();
    let mut out: Vec<Change> = read
        .iter()
        .filter(|c| !(c.kind == Kind::PullSecretMissing && deleted.contains_key(c.object.as_str())))
        .cloned()
        .collect();
    out.extend(kept);
    out
}

/// ` (between 10:02 and 10:05 UTC)` when the gap says the time is not
/// exact (over two minutes), else nothing.
fn between(since: Timestamp, at: Timestamp) -> String {
    match at.as_second() - since.as_second() > 120 {
        true => format!(
            " (seen between {} and {})",
            super::postmortem::short(since),
            super::postmortem::short(at)
        ),
        false => String::new(),
    }
}

/// `a, b and 3 more`.
fn list(images: &[String], more: usize) -> String {
    let mut s = images.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// Whether kubelet `version` (`v1.35.0`, `v1.35.0-eks-…`) checks cached
/// images' credentials by default.
fn reverifies(version: &str) -> bool {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    match (major, minor) {
        (Some(a), Some(b)) => (a, b) >= REVERIFY_FROM,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
