//! The journal's files (issue 24): one per cluster, JSON lines
//! (`domain::journal::Record`), private (0600), in `<data dir>/journal/`,
//! bounded in age and size (`[journal]` in the config). The console and
//! `pulltui watch` append to them as they watch; a console opened later,
//! `report` and `snapshot` read them back.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::Model;
use crate::app::cluster::ClusterState;
use crate::domain::cluster_id::ClusterId;
use crate::domain::failing::FailureRow;
use crate::domain::journal::{Record, Recorder};

/// How much a journal keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records older than this are dropped.
    pub max_age_secs: i64,
    /// A file larger than this is compacted (oldest counts first).
    pub max_bytes: u64,
}

impl Default for Limits {
    /// A week, 50 MB per cluster.
    fn default() -> Self {
        Limits {
            max_age_secs: 7 * 24 * 3600,
            max_bytes: 50 * 1024 * 1024,
        }
    }
}

/// The journals' directory.
pub fn dir() -> Option<PathBuf> {
    crate::audit::data_dir().map(|d| d.join("journal"))
}

/// The file of a cluster: its context, made a file name, and a hash of its
/// server (two kubeconfigs may use one context name for two clusters).
pub fn file_name(id: &ClusterId) -> String {
    let ctx: String = id
        .context()
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
            true => c,
            false => '_',
        })
        .take(80)
        .collect();
    // FNV-1a: stable across runs and builds (std's hasher is not).
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.server().trim_end_matches('/').bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    let ctx = match ctx.is_empty() {
        true => "in-cluster".to_string(),
        false => ctx,
    };
    format!("{ctx}-{:08x}.jsonl", h as u32)
}

/// The records of a file, oldest first (torn lines skipped); none when it
/// does not exist.
pub fn read(path: &Path) -> io::Result<Vec<Record>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for line in io::BufReader::new(f).lines() {
        if let Some(r) = Record::parse(&line?) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Every journal of the directory: (file, records).
pub fn read_all(dir: &Path) -> io::Result<Vec<(PathBuf, Vec<Record>)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for e in entries {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            let records = read(&p)?;
            out.push((p, records));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The records to keep of `records` at `now`: none older than the limit,
/// and under three quarters of the size limit (the oldest counts go
/// first, then the oldest records of any kind).
pub fn bounded(mut records: Vec<Record>, limits: Limits, now: Timestamp) -> Vec<Record> {
    let oldest = now.as_second() - limits.max_age_secs;
    records.retain(|r| r.at().as_second() >= oldest);
    let target = limits.max_bytes / 4 * 3;
    let size = |rs: &[Record]| rs.iter().map(|r| r.line().len() as u64 + 1).sum::<u64>();
    let mut total = size(&records);
    if total <= target {
        return records;
    }
    let mut keep = vec![true; records.len()];
    for (i, r) in records.iter().enumerate() {
        if total <= target {
            break;
        }
        if matches!(r, Record::Counts { .. }) {
            keep[i] = false;
            total -= r.line().len() as u64 + 1;
        }
    }
    for (i, r) in records.iter().enumerate() {
        if total <= target {
            break;
        }
        if keep[i] {
            keep[i] = false;
            total -= r.line().len() as u64 + 1;
        }
    }
    let mut k = keep.into_iter();
    records.retain(|_| k.next().unwrap_or(false));
    records
}

/// What a snapshot of cluster `id` over `scope` carries: its journal (a
/// namespace's records only, without the cluster-wide counts, when the
/// scope is one namespace) and the fixes pulltui applied to it there.
pub fn of_cluster(
    id: &ClusterId,
    scope: &crate::domain::scope::Scope,
) -> (Vec<Record>, Vec<crate::domain::postmortem::FixNote>) {
    let records = dir()
        .and_then(|d| read(&d.join(file_name(id))).ok())
        .unwrap_or_default();
    let ns = match scope {
        crate::domain::scope::Scope::All => None,
        crate::domain::scope::Scope::Namespace(ns) => Some(ns.as_str()),
    };
    let records = match ns {
        None => records,
        Some(ns) => in_namespace(records, ns),
    };
    let fixes = crate::audit::fixes()
        .into_iter()
        .filter(|f| same_cluster(f, id))
        .filter(|f| ns.is_none_or(|ns| fix_in(f, ns)))
        .collect();
    (records, fixes)
}

/// The records of `ns`'s containers (and the session marks), without the
/// cluster-wide counts.
pub fn in_namespace(records: Vec<Record>, ns: &str) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| match r {
            Record::Failing { subject, .. }
            | Record::Cause { subject, .. }
            | Record::Recovered { subject, .. } => subject.namespace == ns,
            Record::SecretDeleted { namespace, .. } => namespace == ns,
            // The nodes are every namespace's.
            Record::Watching { .. } | Record::Kubelet { .. } | Record::ImagesGone { .. } => true,
            Record::Counts { .. } => false,
        })
        .collect()
}

/// Whether a fix wrote to namespace `ns` (its object is `Kind ns/name`).
pub fn fix_in(f: &crate::domain::postmortem::FixNote, ns: &str) -> bool {
    f.object
        .split_once(' ')
        .is_some_and(|(_, o)| o.split_once('/').is_some_and(|(n, _)| n == ns))
}

/// Whether a fix was applied to cluster `id` (its context and server).
pub fn same_cluster(f: &crate::domain::postmortem::FixNote, id: &ClusterId) -> bool {
    f.context == id.context() && f.server.trim_end_matches('/') == id.server().trim_end_matches('/')
}

/// One cluster's journal, open for appending.
pub struct Journal {
    path: PathBuf,
    file: File,
    bytes: u64,
    limits: Limits,
    recorder: Recorder,
    /// The nodes' kubelet versions it holds.
    known: crate::domain::history::Known,
    /// The rows of the last look and its scope (`Journal::look`).
    looked: Option<(Option<String>, Vec<Arc<FailureRow>>)>,
}

impl Journal {
    /// Opens (creating) the journal of `id` in `dir`, bounded at `now`;
    /// the records it holds, oldest first.
    pub fn open(
        dir: &Path,
        id: &ClusterId,
        limits: Limits,
        now: Timestamp,
    ) -> io::Result<(Journal, Vec<Record>)> {
        crate::files::create_dir(dir)?;
        let path = dir.join(file_name(id));
        let all = read(&path)?;
        let before = all.len();
        let kept = bounded(all, limits, now);
        if kept.len() != before {
            rewrite(&path, &kept)?;
        }
        let file = crate::files::append(&path)?;
        let bytes = file.metadata()?.len();
        let recorder = Recorder::resume(&kept);
        let known = crate::domain::history::Known::resume(&kept);
        let mut j = Journal {
            path,
            file,
            bytes,
            limits,
            recorder,
            known,
            looked: None,
        };
        j.append(&[Record::Watching {
            at: now,
            context: id.context().to_string(),
            server: id.server().to_string(),
        }])?;
        Ok((j, kept))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One look at the cluster's failing rows: the records written.
    pub fn observe<'a>(
        &mut self,
        rows: impl IntoIterator<Item = &'a FailureRow>,
        within: Option<&str>,
        now: Timestamp,
    ) -> io::Result<Vec<Record>> {
        let records = self.recorder.observe(rows, within, now);
        self.write(records, now)
    }

    /// One look at the rows an inventory shares: the very rows of the last
    /// look (the same allocations: an inventory replaces a row that
    /// changed), in the same scope, with no count due, would record
    /// nothing, and are not looked through again — the console looks once a
    /// second at a cluster that is mostly quiet.
    pub fn look<'a>(
        &mut self,
        rows: impl IntoIterator<Item = &'a Arc<FailureRow>>,
        within: Option<&str>,
        now: Timestamp,
    ) -> io::Result<Vec<Record>> {
        let rows: Vec<&Arc<FailureRow>> = rows.into_iter().collect();
        let same = self.looked.as_ref().is_some_and(|(scope, last)| {
            scope.as_deref() == within
                && last.len() == rows.len()
                && last.iter().zip(&rows).all(|(a, b)| Arc::ptr_eq(a, b))
        });
        if same && !self.recorder.counts_due() {
            return Ok(Vec::new());
        }
        self.looked = Some((
            within.map(str::to_owned),
            rows.iter().map(|r| Arc::clone(r)).collect(),
        ));
        self.observe(rows.into_iter().map(|r| &**r), within, now)
    }

    /// Nodes and pull secrets seen change (in `within`, or all): the
    /// records written.
    pub fn note(
        &mut self,
        facts: &[crate::domain::history::Fact],
        within: Option<&str>,
        now: Timestamp,
    ) -> io::Result<Vec<Record>> {
        let records = self.known.records(facts, within);
        self.write(records, now)
    }

    /// Appends `records`, and bounds the file when it grew past its size.
    fn write(&mut self, records: Vec<Record>, now: Timestamp) -> io::Result<Vec<Record>> {
        if !records.is_empty() {
            self.append(&records)?;
        }
        if self.bytes > self.limits.max_bytes {
            let kept = bounded(read(&self.path)?, self.limits, now);
            rewrite(&self.path, &kept)?;
            self.file = crate::files::append(&self.path)?;
            self.bytes = self.file.metadata()?.len();
        }
        Ok(records)
    }

    fn append(&mut self, records: &[Record]) -> io::Result<()> {
        let mut buf = String::new();
        for r in records {
            buf.push_str(&r.line());
            buf.push('\n');
        }
        self.file.write_all(buf.as_bytes())?;
        self.bytes += buf.len() as u64;
        Ok(())
    }
}

/// Replaces the file with `records`, atomically (a private temporary file
/// renamed over it).
fn rewrite(path: &Path, records: &[Record]) -> io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = crate::files::create_new(&tmp)?;
    let mut buf = String::new();
    for r in records {
        buf.push_str(&r.line());
        buf.push('\n');
    }
    f.write_all(buf.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The journals of the clusters a console or `watch` looks at: each
/// cluster's opened when it is first live, fed its rows on every look.
pub struct Journals {
    dir: PathBuf,
    limits: Limits,
    open: HashMap<ClusterId, Journal>,
    /// When a cluster's pods were first seen listed while its events were
    /// not yet: the journal waits for them (see `EVENTS_WAIT_SECS`).
    listed_at: HashMap<ClusterId, Timestamp>,
    /// Said once: the journal could not be written (a full disk).
    failed: bool,
}

/// How long the journal waits, once a cluster's pods are listed, for its
/// events to be listed too: a pod's cause often comes from its latest
/// event (the waiting message of a back-off names none), and a first
/// record with the cause still unknown would stand in the timeline. An
/// events watch that never lists (and is not refused) delays the journal
/// no longer than this.
pub const EVENTS_WAIT_SECS: i64 = 15;

/// What one look wrote, per cluster (its index in the model).
pub type Written = Vec<(usize, Vec<Record>)>;

/// What one look did: the records written, a cluster's earlier records
/// when its journal was opened now, and the clusters whose node and secret
/// facts it took.
#[derive(Debug, Default)]
pub struct Look {
    pub written: Written,
    pub opened: Written,
    pub took_facts: Vec<usize>,
}

impl Journals {
    pub fn new(dir: PathBuf, limits: Limits) -> Journals {
        Journals {
            dir,
            limits,
            open: HashMap::new(),
            listed_at: HashMap::new(),
            failed: false,
        }
    }

    /// The default place (`None`: no data directory).
    pub fn default_place(limits: Limits) -> Option<Journals> {
        dir().map(|d| Journals::new(d, limits))
    }

    /// Looks at every live, listed cluster of `model` (a replay is never
    /// journaled): the records written, and a cluster's earlier records
    /// when its journal was opened now (`opened`).
    pub fn look(&mut self, model: &Model, now: Timestamp) -> Look {
        let mut look = Look::default();
        if model.actions.replay {
            return look;
        }
        for (ix, c) in model.clusters.iter().enumerate() {
            let live = matches!(c.state(), ClusterState::Live | ClusterState::Forbidden);
            let Some(id) = c.journal_id() else { continue };
            let events_known = c.inventory.events_synced || c.events_forbidden;
            if !live || !c.inventory.synced || events_known {
                // A wait starts afresh each time (a new session of the
                // cluster lists its pods and events again).
                self.listed_at.remove(&id);
            }
            if !live || !c.inventory.synced {
                continue;
            }
            if !events_known {
                let since = *self.listed_at.entry(id.clone()).or_insert(now);
                if now.duration_since(since).as_secs() < EVENTS_WAIT_SECS {
                    continue;
                }
            }
            if !self.open.contains_key(&id) {
                match Journal::open(&self.dir, &id, self.limits, now) {
                    Ok((j, earlier)) => {
                        self.open.insert(id.clone(), j);
                        look.opened.push((ix, earlier));
                    }
                    Err(e) => {
                        self.fail(&e);
                        continue;
                    }
                }
            }
            let within = match (&c.fallback, &c.scope) {
                (Some(ns), _) => Some(ns.as_str()),
                (None, crate::domain::scope::Scope::Namespace(ns)) => Some(ns.as_str()),
                (None, crate::domain::scope::Scope::All) => None,
            };
            let Some(j) = self.open.get_mut(&id) else {
                continue;
            };
            let mut records = match j.look(c.inventory.rows(), within, now) {
                Ok(records) => records,
                Err(e) => {
                    self.fail(&e);
                    continue;
                }
            };
            match j.note(&c.facts, within, now) {
                Ok(noted) => {
                    records.extend(noted);
                    look.took_facts.push(ix);
                }
                Err(e) => self.fail(&e),
            }
            if !records.is_empty() {
                look.written.push((ix, records));
            }
        }
        look
    }

    fn fail(&mut self, e: &io::Error) {
        if !self.failed {
            self.failed = true;
            tracing::warn!(error = %e, dir = %self.dir.display(), "the journal cannot be written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("time")
    }

    /// A cluster of one live, listed model (`events`: its events listed).
    fn listed(events: bool) -> Model {
        let mut m = Model::new(
            Some("prod".into()),
            vec!["prod".into()],
            crate::domain::scope::Scope::All,
            crate::app::keymap::Keymap::default(),
            at(0),
        );
        let c = &mut m.clusters[0];
        c.server = Some("https://prod.example:6443".into());
        c.conn = crate::app::ConnState::Live;
        c.inventory.synced = true;
        c.inventory.events_synced = events;
        m
    }

    #[test]
    fn the_journal_waits_for_the_events_a_while_unless_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut js = Journals::new(dir.path().to_path_buf(), Limits::default());
        let mut m = listed(false);
        // Pods listed, events not yet: no journal opened, for a while.
        assert!(js.look(&m, at(0)).opened.is_empty());
        assert!(js.look(&m, at(EVENTS_WAIT_SECS - 1)).opened.is_empty());
        // The events listed: it opens.
        m.clusters[0].inventory.events_synced = true;
        assert_eq!(js.look(&m, at(EVENTS_WAIT_SECS - 1)).opened.len(), 1);

        // An events watch that never lists delays it no longer than the wait.
        let mut js = Journals::new(dir.path().join("b"), Limits::default());
        let m = listed(false);
        assert!(js.look(&m, at(100)).opened.is_empty());
        assert_eq!(js.look(&m, at(100 + EVENTS_WAIT_SECS)).opened.len(), 1);

        // Events refused (403): nothing to wait for.
        let mut js = Journals::new(dir.path().join("c"), Limits::default());
        let mut m = listed(false);
        m.clusters[0].events_forbidden = true;
        assert_eq!(js.look(&m, at(0)).opened.len(), 1);
        // Listed with the pods: at once.
        let mut js = Journals::new(dir.path().join("d"), Limits::default());
        let mut m = listed(true);
        assert_eq!(js.look(&m, at(0)).opened.len(), 1);
        // A new session of the cluster (another namespace, say) lists
        // again: its records wait for its events anew, however long ago
        // the first wait was.
        m.clusters[0].inventory = Default::default();
        js.look(&m, at(50));
        assert!(js.listed_at.is_empty());
        m.clusters[0].inventory.synced = true;
        js.look(&m, at(100));
        assert_eq!(
            js.listed_at.get(&m.clusters[0].journal_id().expect("id")),
            Some(&at(100))
        );
        m.clusters[0].inventory.events_synced = true;
        js.look(&m, at(101));
        assert!(js.listed_at.is_empty());
    }

    #[test]
    fn the_file_name_is_safe_and_tells_servers_apart() {
        let a = file_name(&ClusterId::new("arn:aws:eks:x/prod", "https://a"));
        let b = file_name(&ClusterId::new("arn:aws:eks:x/prod", "https://b"));
        assert!(a.starts_with("arn_aws_eks_x_prod-"), "{a}");
        assert_ne!(a, b);
        assert!(!file_name(&ClusterId::new("../../etc", "s")).contains('/'));
    }

    #[test]
    fn old_records_go_then_the_oldest_counts() {
        let counts = |s| Record::Counts {
            at: at(s),
            groups: vec![],
        };
        let watching = |s| Record::Watching {
            at: at(s),
            context: "c".into(),
            server: "s".into(),
        };
        let limits = Limits {
            max_age_secs: 100,
            max_bytes: 10_000,
        };
        let kept = bounded(vec![counts(0), watching(150), counts(160)], limits, at(200));
        assert_eq!(kept.len(), 2, "the one older than 100 s went");
        let many: Vec<Record> = (0..400)
            .map(|i| {
                if i % 2 == 0 {
                    counts(150)
                } else {
                    watching(150)
                }
            })
            .collect();
        let kept = bounded(many, limits, at(200));
        let size: usize = kept.iter().map(|r| r.line().len() + 1).sum();
        assert!(size as u64 <= limits.max_bytes / 4 * 3, "{size}");
        assert!(
            kept.iter().all(|r| matches!(r, Record::Watching { .. })),
            "counts go first"
        );
    }

    #[test]
    fn a_journal_is_private_and_resumes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = ClusterId::new("ctx", "https://x");
        let (mut j, earlier) =
            Journal::open(dir.path(), &id, Limits::default(), at(0)).expect("open");
        assert!(earlier.is_empty());
        j.append(&[Record::Counts {
            at: at(1),
            groups: vec![],
        }])
        .expect("append");
        let path = j.path().to_path_buf();
        drop(j);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (_j, earlier) = Journal::open(dir.path(), &id, Limits::default(), at(2)).expect("open");
        assert_eq!(earlier.len(), 2, "{earlier:?}");
    }

    #[test]
    fn a_look_at_the_same_rows_skips_only_what_would_record_nothing() {
        use crate::domain::classify::Category;
        let dir = tempfile::tempdir().expect("tempdir");
        let id = ClusterId::new("ctx", "https://x");
        let (mut j, _) = Journal::open(dir.path(), &id, Limits::default(), at(0)).expect("open");
        let row = |pod: &str, category| {
            Arc::new(FailureRow {
                pod: pod.into(),
                namespace: "team".into(),
                category,
                ..FailureRow::sample()
            })
        };
        use crate::domain::journal::tests::kinds;
        let a = row("a", Category::NetworkTimeout);
        let b = row("b", Category::AuthDenied);
        let c = Arc::new(FailureRow {
            namespace: "other".into(),
            ..FailureRow::clone(&row("c", Category::AuthDenied))
        });
        let rows = vec![a.clone(), b.clone(), c.clone()];
        let first = j.look(&rows, None, at(1)).expect("look");
        assert_eq!(kinds(&first), ["failing", "failing", "failing", "counts"]);
        assert!(j.look(&rows, None, at(2)).expect("look").is_empty());
        // A row the inventory replaced (another allocation) is looked at.
        let b2 = row("b", Category::ImageNotFound);
        let rows = vec![a.clone(), b2.clone(), c.clone()];
        let changed = j.look(&rows, None, at(3)).expect("look");
        assert_eq!(kinds(&changed), ["cause"]);
        // The same rows again: the counts that changed at 3 s are still
        // written once their spacing has passed.
        assert!(j.look(&rows, None, at(4)).expect("look").is_empty());
        let later = 3 + crate::domain::journal::COUNTS_EVERY_SECS;
        let counts = j.look(&rows, None, at(later)).expect("look");
        assert_eq!(kinds(&counts), ["counts"]);
        assert!(j.look(&rows, None, at(later + 1)).expect("look").is_empty());
        // One namespace looked at (its rows unchanged): the other
        // namespace's pod is no news; the same rows looked at whole, that
        // pod recovered.
        let team = vec![a.clone(), b2.clone()];
        let scoped = j.look(&team, Some("team"), at(later + 2)).expect("look");
        assert!(scoped.is_empty(), "{scoped:?}");
        let whole = j.look(&team, None, at(later + 3)).expect("look");
        assert_eq!(kinds(&whole), ["recovered"]);
    }
}
