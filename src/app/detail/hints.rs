//! Which key carries out each remedy of the detail's FIXES list (the fix
//! keys `a`/`c`/`i`/`k` and the probes `p`/`P`, as the keymap has them),
//! and the footer's hints of the keys that apply to the focused container.

use super::Detail;
use crate::domain::classify::Fix;
use crate::domain::facet::fixes_for_facet;
use crate::domain::image::ImageRef;
use crate::domain::mutation::FixId;

impl Detail {
    /// The key that carries out `fix` from this screen, if any.
    pub fn key_for(&self, fix: Fix) -> Option<String> {
        match fix {
            Fix::Probe => self.probe_key.clone(),
            Fix::ProbeFromNode => self.probe_node_key.clone(),
            _ => FixId::for_fix(fix)
                .and_then(|id| self.fix_keys.iter().find(|(f, _)| *f == id))
                .map(|(_, k)| k.clone()),
        }
    }

    /// The footer's keys for the focused container: each fix of its FIXES
    /// list that a key carries out (once per key, in the list's order), the
    /// probe, and the node probe when the pod is on a node. `read_only`:
    /// the keys that write (and the node probe, which creates a pod) are
    /// off, so not offered.
    pub fn key_hints(&self, read_only: bool) -> Vec<(String, &'static str)> {
        let Some(ev) = self.evidence() else {
            return Vec::new();
        };
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let fixes = fixes_for_facet(&ev.class.fixes, ev.facet, ev.injected.is_some());
        for fix in fixes {
            let label = match FixId::for_fix(fix) {
                _ if read_only => continue,
                Some(FixId::AnnotateSkipVerify | FixId::AnnotateHttpEndpoint | FixId::Annotate) => {
                    "annotate"
                }
                Some(FixId::CreatePullSecret | FixId::CopyPullSecret | FixId::AttachPullSecret) => {
                    "pull secret"
                }
                Some(FixId::SetImage) => "image",
                Some(FixId::Restart) => "restart",
                None => continue,
            };
            if let Some(k) = self.key_for(fix)
                && !out.iter().any(|(o, _)| *o == k)
            {
                out.push((k, label));
            }
        }
        if ImageRef::parse(&ev.image).is_ok() {
            if let Some(k) = &self.probe_key {
                out.push((k.clone(), "probe"));
            }
            if !read_only
                && self.node_name().is_some()
                && let Some(k) = &self.probe_node_key
            {
                out.push((k.clone(), "probe from node"));
            }
        }
        out
    }
}
