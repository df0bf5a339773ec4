//! The credential expiry radar of the home table: each failing pod's pull
//! secrets in force (its own `imagePullSecrets`, which the kubelet uses),
//! read once and again every minute, reduced to hosts, usernames and
//! expiries the moment they arrive (`domain::secrets::read_secret`); and
//! per row, the credential for its image that expired or expires soonest.
//! Secrets that cannot be read (forbidden, missing) give no marker.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::msg::Fetch;
use crate::domain::cred_expiry::SOON_SECS;
use crate::domain::failing::RowKey;
use crate::domain::image::ImageRef;
use crate::domain::inventory::Inventory;
use crate::domain::pod::pull_secret_names;
use crate::domain::secrets::{SecretExpiry, SecretInfo, expiries_for};

/// Distinct secrets one cluster's radar reads at most (a hostile tenant's
/// pods can name thousands).
pub const MAX_SECRETS: usize = 500;

/// A secret is read again after this long (a renewed token shows).
pub const REREAD_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub fetch: Fetch<SecretInfo>,
    pub asked: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Radar {
    /// By (namespace, name).
    pub read: BTreeMap<(String, String), Read>,
    /// The failing pods changed since the radar last looked.
    pub due: bool,
    /// When it last looked.
    pub scanned: Option<Timestamp>,
}

impl Radar {
    /// The secrets to read now: the failing pods' that were never asked
    /// for, and (once a minute) those asked for over a minute ago. Marks
    /// them asked.
    pub fn wanted(&mut self, inv: &Inventory, now: Timestamp) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let periodic = self
            .scanned
            .is_none_or(|t| now.as_second() - t.as_second() >= REREAD_SECS);
        if !self.due && !periodic {
            return out;
        }
        self.scanned = Some(now);
        // Secrets no failing pod names any more go: the bound is for the
        // pods failing now, not for every pod that ever failed.
        let named: std::collections::BTreeSet<(String, String)> = inv
            .failing
            .iter()
            .flat_map(|(key, fp)| {
                pull_secret_names(&fp.pod)
                    .into_iter()
                    .map(|n| (key.namespace.clone(), n))
            })
            .collect();
        self.read.retain(|k, _| named.contains(k));
        for (key, fp) in &inv.failing {
            for name in pull_secret_names(&fp.pod) {
                let k = (key.namespace.clone(), name);
                // A read still pending a minute on is asked again: its
                // answer may have gone with a session that reconnected.
                let ask = match self.read.get(&k) {
                    None => self.read.len() < MAX_SECRETS,
                    Some(r) => now.as_second() - r.asked.as_second() >= REREAD_SECS,
                };
                if ask && !out.contains(&k) {
                    let fetch = match self.read.remove(&k) {
                        // Keep what is known while it is read again.
                        Some(r) if !matches!(r.fetch, Fetch::Pending) => r.fetch,
                        _ => Fetch::Pending,
                    };
                    self.read.insert(k.clone(), Read { fetch, asked: now });
                    out.push(k);
                }
            }
        }
        self.due = false;
        out
    }

    /// A reply.
    pub fn apply(&mut self, namespace: String, name: String, result: Fetch<SecretInfo>) {
        if let Some(r) = self.read.get_mut(&(namespace, name)) {
            r.fetch = result;
        }
    }

    /// The pod's pull secrets `names` (in `namespace`) that were read.
    pub fn in_force(&self, namespace: &str, names: Vec<String>) -> Vec<(String, SecretInfo)> {
        names
            .into_iter()
            .filter_map(
                |n| match self.read.get(&(namespace.to_string(), n.clone())) {
                    Some(Read {
                        fetch: Fetch::Found(info),
                        ..
                    }) => Some((n, info.clone())),
                    _ => None,
                },
            )
            .collect()
    }

    /// Per failing row of `inv`, the credential for its image that expired
    /// or expires within a day at `now`, soonest first.
    pub fn markers(
        &self,
        inv: &Inventory,
        now: Timestamp,
        out: &mut HashMap<RowKey, SecretExpiry>,
    ) {
        // Only secrets with a decoded expiry can mark a row: most clusters
        // have none, and a storm of row changes then costs nothing here.
        let timed: std::collections::BTreeSet<&(String, String)> = self
            .read
            .iter()
            .filter(|(_, r)| match &r.fetch {
                Fetch::Found(SecretInfo::Parsed { entries }) => entries
                    .iter()
                    .any(|e| e.expiry.as_ref().is_some_and(|x| x.expires.is_some())),
                _ => false,
            })
            .map(|(k, _)| k)
            .collect();
        if timed.is_empty() {
            return;
        }
        for (key, fp) in &inv.failing {
            let names = pull_secret_names(&fp.pod);
            if !names
                .iter()
                .any(|n| timed.contains(&(key.namespace.clone(), n.clone())))
            {
                continue;
            }
            let in_force = self.in_force(&key.namespace, names);
            if in_force.is_empty() {
                continue;
            }
            for r in &fp.rows {
                let Ok(image) = ImageRef::parse(&r.image) else {
                    continue;
                };
                let soonest = expiries_for(&in_force, &image).into_iter().find(|e| {
                    e.expiry
                        .expires
                        .is_some_and(|t| t.as_second() - now.as_second() < SOON_SECS)
                });
                if let Some(e) = soonest {
                    out.insert(r.key(), e);
                }
            }
        }
    }
}

/// The table's marker for a row: `cred expired 3h` / `cred expires 40m`.
pub fn marker(e: &SecretExpiry, now: Timestamp) -> Option<String> {
    let t = e.expiry.expires?;
    Some(if t <= now {
        format!("cred expired {}", crate::domain::clock::age(now, Some(t)))
    } else {
        format!("cred expires {}", crate::domain::clock::age(t, Some(now)))
    })
}

/// The table's marker for a row whose registry's certificate (as the
/// probe saw it) expired or ends within a week: `cert expired 3h` /
/// `cert expires 2d`.
pub fn cert_marker(at: Timestamp, now: Timestamp) -> Option<String> {
    if !crate::domain::probe::cert_ends_soon(at, now) {
        return None;
    }
    Some(if at <= now {
        format!("cert expired {}", crate::domain::clock::age(now, Some(at)))
    } else {
        format!("cert expires {}", crate::domain::clock::age(at, Some(now)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cluster_id::ClusterId;
    use crate::domain::facts::{PodFact, WatchEvent};

    fn failing(name: &str, secret: &str) -> PodFact {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "uid": name},
            "spec": {"containers": [{"name": "app", "image": "reg.example/app:1"}],
                     "imagePullSecrets": [{"name": secret}]},
            "status": {"phase": "Pending", "containerStatuses": [{
                "name": "app", "image": "reg.example/app:1", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off"}}}]},
        }))
        .expect("pod");
        PodFact::from_pod(&ClusterId::new("c", "https://c"), pod)
    }

    #[test]
    fn a_certificate_marks_a_row_when_it_expired_or_ends_within_a_week() {
        let now = at(1_000_000);
        assert_eq!(
            cert_marker(at(1_000_000 - 3 * 3600), now).as_deref(),
            Some("cert expired 3h")
        );
        assert_eq!(
            cert_marker(at(1_000_000 + 2 * 86_400), now).as_deref(),
            Some("cert expires 2d")
        );
        assert_eq!(cert_marker(at(1_000_000 + 30 * 86_400), now), None);
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("time")
    }

    #[test]
    fn a_lost_read_is_asked_again_and_a_secret_no_pod_names_is_forgotten() {
        let mut inv = Inventory::default();
        inv.apply_pod(WatchEvent::Apply(failing("web-1", "regcred")));
        let mut r = Radar::default();
        let k = ("shop".to_string(), "regcred".to_string());
        assert_eq!(r.wanted(&inv, at(0)), vec![k.clone()]);
        // Pending, not answered: not asked again within the minute...
        r.due = true;
        assert!(r.wanted(&inv, at(30)).is_empty());
        // ...but at the next scan a minute on, as its answer may be lost.
        assert_eq!(r.wanted(&inv, at(91)), vec![k]);
        // The pod recovers: the secret is forgotten, and the room with it.
        inv.apply_pod(WatchEvent::Delete(failing("web-1", "regcred")));
        r.due = true;
        assert!(r.wanted(&inv, at(92)).is_empty());
        assert!(r.read.is_empty());
    }
}
