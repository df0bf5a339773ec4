//! Upstream events recognised by name: a registry shutting down, a catalogue
//! moving, a new pull limit — things that break many pods at once for a
//! reason outside the cluster. The events are data, not code: one table,
//! `upstream_events.toml` next to this file (embedded, parsed once,
//! validated by a unit test), which a person extends; the config file may
//! add entries of the same shape (`[[upstream_events]]`), tried first.
//!
//! An entry matches a failing image by registry host (kubelet's host globs:
//! one `*` per DNS label; `docker.io` is Docker Hub however written), by
//! repository glob (`*` any run, `/` included) and, optionally, by
//! category; a failure that began before the entry's date is not matched.
//! Entries are tried in order and the first match names the event.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher as _;
use std::sync::{Arc, LazyLock};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use super::failing::FailureRow;
use super::image::ImageRef;
use super::inert::is_hostile;
use super::secrets::key_matches;
use super::taxonomy::Category;

/// The built-in table.
pub const BUILTIN_TOML: &str = include_str!("upstream_events.toml");

const MAX_ID: usize = 64;
const MAX_TITLE: usize = 120;
const MAX_SHORT: usize = 40;
const MAX_TEXT: usize = 1000;
const MAX_URL: usize = 300;
const MAX_PATTERNS: usize = 32;

/// One entry as written (the TOML table), before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub id: String,
    pub title: String,
    pub short: String,
    pub since: String,
    pub what_happened: String,
    pub what_to_do: String,
    pub source: String,
    #[serde(rename = "match")]
    pub matches: MatchSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    pub hosts: Vec<String>,
    #[serde(default)]
    pub repositories: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    event: Vec<EventSpec>,
}

/// A validated entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamEvent {
    pub id: String,
    pub title: String,
    pub short: String,
    pub since: Date,
    pub what_happened: String,
    pub what_to_do: String,
    pub source: String,
    pub hosts: Vec<String>,
    /// Empty: every repository.
    pub repositories: Vec<String>,
    /// Empty: any category.
    pub categories: Vec<Category>,
}

impl UpstreamEvent {
    /// Whether a failure of `image` (decided as `category`, begun at
    /// `began`) matches this entry.
    pub fn matches(
        &self,
        image: &ImageRef,
        category: Option<Category>,
        began: Option<Timestamp>,
    ) -> bool {
        if !self.hosts.iter().any(|h| key_matches(h, image)) {
            return false;
        }
        if !self.repositories.is_empty()
            && !self
                .repositories
                .iter()
                .any(|g| glob_matches(g, &image.repository))
        {
            return false;
        }
        if !self.categories.is_empty() && !category.is_some_and(|c| self.categories.contains(&c)) {
            return false;
        }
        match began {
            Some(t) => t.to_zoned(jiff::tz::TimeZone::UTC).date() >= self.since,
            None => true,
        }
    }

    /// Whether the registry host alone could match (a cheap first test).
    fn host_may_match(&self, registry: &str) -> bool {
        let r = registry.to_ascii_lowercase();
        self.hosts.iter().any(|h| h == &r || h.contains('*'))
    }
}

/// The table: built-in entries, after any from the config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    pub events: Vec<UpstreamEvent>,
}

static BUILTIN: LazyLock<Arc<Catalogue>> = LazyLock::new(|| {
    // The unit test `the_builtin_table_is_valid` holds this to Ok; should it
    // fail anyway, pulltui names no event rather than refusing to start.
    Arc::new(Catalogue {
        events: parse(BUILTIN_TOML).unwrap_or_default(),
    })
});

impl Catalogue {
    /// The built-in table, parsed once.
    pub fn builtin() -> Arc<Catalogue> {
        BUILTIN.clone()
    }

    /// The config file's entries first, then the built-in ones; an id used
    /// twice is an error.
    pub fn with_extra(extra: Vec<UpstreamEvent>) -> Result<Catalogue, String> {
        let mut events = extra;
        events.extend(BUILTIN.events.iter().cloned());
        check_unique(&events)?;
        Ok(Catalogue { events })
    }

    /// The first entry that matches.
    pub fn find(
        &self,
        image: &ImageRef,
        category: Option<Category>,
        began: Option<Timestamp>,
    ) -> Option<&UpstreamEvent> {
        self.events
            .iter()
            .find(|e| e.matches(image, category, began))
    }

    /// `find` for an image written as text, skipping the parse when no
    /// entry can match its registry.
    pub fn find_image(
        &self,
        registry: Option<&str>,
        image: &str,
        category: Option<Category>,
        began: Option<Timestamp>,
    ) -> Option<&UpstreamEvent> {
        let registry = registry?;
        if !self.events.iter().any(|e| e.host_may_match(registry)) {
            return None;
        }
        let r = ImageRef::parse(image).ok()?;
        self.find(&r, category, began)
    }
}

/// The event most rows of one `registry × category` group match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEvent {
    pub id: String,
    pub short: String,
    /// Rows of the group that match it.
    pub count: usize,
}

/// What one catalogue answered for each row shape (image, registry,
/// category, the UTC day the failure began: all an entry matches on), kept
/// across calls: a storm classifies the same rows again many times a
/// second, and parsing every image each time was most of the summary bar's
/// cost (`scripts/bench`'s storm). A new catalogue starts it afresh; it
/// holds at most `FOUND_KEPT` shapes (then it starts over), so pods a
/// tenant creates by the thousand cost one lookup each, never a scan.
#[derive(Debug, Clone, Default)]
pub struct Found {
    catalogue: Option<Arc<Catalogue>>,
    /// Keyed per process: a tenant cannot choose image names that collide.
    hasher: std::hash::RandomState,
    /// By the hash of a shape: the shapes that have it, each with its
    /// answer. Looked up from the row's own fields (nothing copied).
    shapes: HashMap<u64, Vec<(Shape, Option<usize>)>>,
    /// Shapes held.
    held: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    image: String,
    registry: Option<String>,
    category: Category,
    day: Option<i64>,
}

impl Shape {
    fn is(&self, r: &FailureRow, day: Option<i64>) -> bool {
        self.image == r.image
            && self.registry == r.registry
            && self.category == r.category
            && self.day == day
    }
}

/// Row shapes `Found` remembers at most.
const FOUND_KEPT: usize = 4096;

impl PartialEq for Found {
    /// A cache: any two are alike.
    fn eq(&self, _: &Found) -> bool {
        true
    }
}

impl Found {
    /// The index of the event of `catalogue` a row of this shape matches.
    fn index(&mut self, catalogue: &Arc<Catalogue>, r: &FailureRow) -> Option<usize> {
        if !self
            .catalogue
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, catalogue))
        {
            self.catalogue = Some(catalogue.clone());
            self.forget();
        }
        // Entries match on the UTC date the failure began.
        let day = r.since.map(|t| t.as_second().div_euclid(86_400));
        let hash = self
            .hasher
            .hash_one((r.image.as_str(), r.registry.as_deref(), r.category, day));
        if let Some((_, found)) = self
            .shapes
            .get(&hash)
            .and_then(|v| v.iter().find(|(shape, _)| shape.is(r, day)))
        {
            return *found;
        }
        let found = catalogue
            .find_image(r.registry.as_deref(), &r.image, Some(r.category), r.since)
            .and_then(|e| catalogue.events.iter().position(|x| x.id == e.id));
        if self.held >= FOUND_KEPT {
            self.forget();
        }
        let shape = Shape {
            image: r.image.clone(),
            registry: r.registry.clone(),
            category: r.category,
            day,
        };
        self.shapes.entry(hash).or_default().push((shape, found));
        self.held += 1;
        found
    }

    fn forget(&mut self) {
        self.shapes.clear();
        self.held = 0;
    }
}

impl Catalogue {
    /// Per `registry × category` group of `rows` (the home screen's summary
    /// bar), the event most of its rows match (ties: the earlier entry).
    pub fn group_events<'a>(
        self: &Arc<Self>,
        rows: impl IntoIterator<Item = &'a FailureRow>,
        found: &mut Found,
    ) -> BTreeMap<(String, Category), GroupEvent> {
        let mut hits: BTreeMap<(&str, Category), BTreeMap<usize, usize>> = BTreeMap::new();
        for r in rows {
            let found = found.index(self, r);
            if let Some(i) = found {
                *hits
                    .entry((r.registry_label(), r.category))
                    .or_default()
                    .entry(i)
                    .or_default() += 1;
            }
        }
        hits.into_iter()
            .filter_map(|(group, counts)| {
                let (i, count) = counts
                    .into_iter()
                    .max_by(|(ia, a), (ib, b)| a.cmp(b).then(ib.cmp(ia)))?;
                let e = self.events.get(i)?;
                Some((
                    (group.0.to_string(), group.1),
                    GroupEvent {
                        id: e.id.clone(),
                        short: e.short.clone(),
                        count,
                    },
                ))
            })
            .collect()
    }
}

/// Parses and validates a table (`[[event]]` entries).
pub fn parse(text: &str) -> Result<Vec<UpstreamEvent>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    let events = validate_all(file.event)?;
    Ok(events)
}

/// Validates entries (the config file's `[[upstream_events]]`).
pub fn validate_all(specs: Vec<EventSpec>) -> Result<Vec<UpstreamEvent>, String> {
    let events = specs
        .into_iter()
        .map(|s| {
            let id = s.id.clone();
            validate(s).map_err(|e| format!("upstream event {id:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(&events)?;
    Ok(events)
}

fn check_unique(events: &[UpstreamEvent]) -> Result<(), String> {
    for (i, e) in events.iter().enumerate() {
        if events[..i].iter().any(|o| o.id == e.id) {
            return Err(format!("upstream event id {:?} is used twice", e.id));
        }
    }
    Ok(())
}

fn text(field: &str, v: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if v.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if v.chars().any(is_hostile) {
        return Err(format!("{field} holds control or invisible characters"));
    }
    Ok(v.to_string())
}

fn validate(s: EventSpec) -> Result<UpstreamEvent, String> {
    let id = s.id.trim();
    if id.is_empty()
        || id.len() > MAX_ID
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || id.starts_with('-')
    {
        return Err("id must be 1-64 lowercase letters, digits and '-'".into());
    }
    let since: Date = s
        .since
        .trim()
        .parse()
        .map_err(|e| format!("since {:?} is not a date (YYYY-MM-DD): {e}", s.since))?;
    let source = text("source", &s.source, MAX_URL)?;
    if !source.starts_with("https://") || source.contains(char::is_whitespace) {
        return Err(format!("source {source:?} is not an https:// URL"));
    }
    let m = s.matches;
    if m.hosts.is_empty() {
        return Err("match.hosts is empty".into());
    }
    if m.hosts.len() + m.repositories.len() + m.categories.len() > MAX_PATTERNS {
        return Err(format!("more than {MAX_PATTERNS} patterns in match"));
    }
    let hosts = m
        .hosts
        .iter()
        .map(|h| host_pattern(h))
        .collect::<Result<Vec<_>, _>>()?;
    let repositories = m
        .repositories
        .iter()
        .map(|r| {
            let r = r.trim();
            let ok = !r.is_empty()
                && r.len() <= 255
                && r.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/*".contains(c)
                });
            if ok {
                Ok(r.to_string())
            } else {
                Err(format!(
                    "match.repositories {r:?}: lowercase letters, digits, '.', '_', '-', '/' and '*'"
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let categories = m
        .categories
        .iter()
        .map(|c| {
            Category::from_id(c.trim()).ok_or_else(|| {
                format!("match.categories {c:?} is not a category (pulltui help categories)")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UpstreamEvent {
        id: id.to_string(),
        title: text("title", &s.title, MAX_TITLE)?,
        short: text("short", &s.short, MAX_SHORT)?,
        since,
        what_happened: text("what_happened", &s.what_happened, MAX_TEXT)?,
        what_to_do: text("what_to_do", &s.what_to_do, MAX_TEXT)?,
        source,
        hosts,
        repositories,
        categories,
    })
}

/// A host glob: DNS labels (a label may be `*`), an optional `:port`.
fn host_pattern(h: &str) -> Result<String, String> {
    let h = h.trim().to_ascii_lowercase();
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (h.as_str(), None),
    };
    let label_ok = |l: &str| {
        l == "*"
            || (!l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if host.len() <= 253 && host.split('.').all(label_ok) && port_ok {
        Ok(h.clone())
    } else {
        Err(format!(
            "match.hosts {h:?}: a host name whose labels may be '*', with an optional :port"
        ))
    }
}

/// `*` matches any run of characters (`/` too); everything else itself.
fn glob_matches(glob: &str, text: &str) -> bool {
    super::secrets::wildcard(glob, text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).expect("test image")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn find(img: &str, c: Category, began: &str) -> Option<String> {
        Catalogue::builtin()
            .find(&image(img), Some(c), Some(ts(began)))
            .map(|e| e.id.clone())
    }

    #[test]
    fn the_builtin_table_is_valid() {
        let events = parse(BUILTIN_TOML).expect("upstream_events.toml is valid");
        assert!(events.len() >= 3);
        for id in [
            "gcr-shutdown",
            "bitnami-catalog-move",
            "docker-hub-pull-limits-2025",
        ] {
            assert!(events.iter().any(|e| e.id == id), "{id}");
        }
        assert_eq!(Catalogue::builtin().events, events);
    }

    #[test]
    fn the_three_events_of_2025_by_name() {
        let late = "2025-11-01T00:00:00Z";
        assert_eq!(
            find("gcr.io/shop-prod/web:1.4", Category::ImageNotFound, late).as_deref(),
            Some("gcr-shutdown")
        );
        assert_eq!(
            find("eu.gcr.io/shop-prod/web:1.4", Category::AuthDenied, late).as_deref(),
            Some("gcr-shutdown")
        );
        // The narrower entry comes first.
        assert_eq!(
            find("k8s.gcr.io/pause:3.2", Category::ImageNotFound, late).as_deref(),
            Some("k8s-gcr-io-frozen")
        );
        for img in [
            "bitnami/redis:7.2.4",
            "docker.io/bitnami/postgresql:16",
            "index.docker.io/bitnami/kafka:3.7",
        ] {
            assert_eq!(
                find(img, Category::ImageNotFound, late).as_deref(),
                Some("bitnami-catalog-move"),
                "{img}"
            );
        }
        assert_eq!(
            find("nginx:1.27", Category::RegistryRateLimit, late).as_deref(),
            Some("docker-hub-pull-limits-2025")
        );
        assert_eq!(
            find("bitnami/redis:7", Category::RegistryRateLimit, late).as_deref(),
            Some("docker-hub-pull-limits-2025")
        );
    }

    #[test]
    fn what_does_not_match() {
        let late = "2025-11-01T00:00:00Z";
        // Another category, another repository, another registry.
        assert_eq!(find("gcr.io/p/web:1", Category::NetworkTimeout, late), None);
        assert_eq!(
            find("bitnamilegacy/redis:7", Category::ImageNotFound, late),
            None
        );
        assert_eq!(
            find("quay.io/bitnami/redis:7", Category::ImageNotFound, late),
            None
        );
        assert_eq!(find("nginx:1", Category::ImageNotFound, late), None);
        assert_eq!(
            find("gcr.io.evil.example/p/web:1", Category::ImageNotFound, late),
            None
        );
        // A failure from before the event is not the event.
        assert_eq!(
            find(
                "bitnami/redis:7",
                Category::ImageNotFound,
                "2024-05-01T10:00:00Z"
            ),
            None
        );
        assert_eq!(
            find(
                "gcr.io/p/web:1",
                Category::ImageNotFound,
                "2025-04-21T23:59:59Z"
            ),
            None
        );
        assert!(
            find(
                "gcr.io/p/web:1",
                Category::ImageNotFound,
                "2025-04-22T00:00:00Z"
            )
            .is_some()
        );
        // Unknown start: the date cannot rule it out.
        assert!(
            Catalogue::builtin()
                .find(&image("gcr.io/p/web:1"), Some(Category::AuthDenied), None)
                .is_some()
        );
    }

    #[test]
    fn find_image_skips_registries_no_entry_names() {
        let c = Catalogue::builtin();
        assert!(
            c.find_image(
                Some("quay.io"),
                "quay.io/bitnami/redis:7",
                Some(Category::ImageNotFound),
                None
            )
            .is_none()
        );
        assert!(
            c.find_image(
                Some("docker.io"),
                "bitnami/redis:7",
                Some(Category::ImageNotFound),
                None
            )
            .is_some()
        );
        assert!(
            c.find_image(None, "Bad//Name", Some(Category::ImageInvalidName), None)
                .is_none()
        );
    }

    const ENTRY: &str = r#"
[[event]]
id = "mirror-retired"
title = "The team mirror was retired"
short = "mirror retired"
since = "2026-01-15"
what_happened = "mirror.example.com stopped serving."
what_to_do = "Use registry.example.com."
source = "https://wiki.example.com/mirror"
[event.match]
hosts = ["mirror.example.com", "*.mirror.example.com:5000"]
repositories = ["team/*"]
"#;

    #[test]
    fn an_entry_a_person_adds() {
        let extra = parse(ENTRY).expect("valid");
        let c = Catalogue::with_extra(extra).expect("no clash");
        assert_eq!(c.events[0].id, "mirror-retired");
        let hit = |img: &str| {
            c.find(&image(img), Some(Category::NetworkDns), None)
                .map(|e| e.id.as_str())
        };
        assert_eq!(hit("mirror.example.com/team/app:1"), Some("mirror-retired"));
        assert_eq!(
            hit("eu.mirror.example.com:5000/team/a/b:1"),
            Some("mirror-retired")
        );
        assert_eq!(hit("eu.mirror.example.com/team/app:1"), None);
        assert_eq!(hit("mirror.example.com/other/app:1"), None);
        // The built-in ids cannot be taken again.
        let clash = parse(&ENTRY.replace("mirror-retired", "gcr-shutdown")).expect("valid alone");
        assert!(Catalogue::with_extra(clash).is_err());
    }

    #[test]
    fn group_events_remember_answers_for_one_catalogue_only() {
        let row = |image: &str, registry: &str| FailureRow {
            image: image.into(),
            registry: Some(registry.into()),
            category: Category::NetworkDns,
            ..FailureRow::sample()
        };
        let rows = [
            row("mirror.example.com/team/app:1", "mirror.example.com"),
            row("mirror.example.com/team/app:1", "mirror.example.com"),
            row("mirror.example.com/other/app:1", "mirror.example.com"),
        ];
        let builtin = Catalogue::builtin();
        let ours = Arc::new(Catalogue::with_extra(parse(ENTRY).expect("valid")).expect("no clash"));
        let mut found = Found::default();
        for _ in 0..2 {
            let g = ours.group_events(rows.iter(), &mut found);
            let e = g
                .get(&("mirror.example.com".to_string(), Category::NetworkDns))
                .expect("the group matches");
            assert_eq!((e.id.as_str(), e.count), ("mirror-retired", 2));
        }
        // Pods of one image failing since different times of one day are
        // one shape.
        let many: Vec<FailureRow> = (0..1000)
            .map(|i| FailureRow {
                since: Some(Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs(i * 60)),
                ..rows[0].clone()
            })
            .collect();
        ours.group_events(many.iter(), &mut found);
        assert!(found.held <= 4, "{}", found.held);
        // Another catalogue is asked afresh, not answered from the first's.
        assert!(builtin.group_events(rows.iter(), &mut found).is_empty());
        let g = ours.group_events(rows.iter(), &mut found);
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn a_shape_is_its_own_row_only() {
        // Two rows whose hashes met would be told apart by every field.
        let r = FailureRow {
            image: "mirror.example.com/team/app:1".into(),
            registry: Some("mirror.example.com".into()),
            category: Category::NetworkDns,
            ..FailureRow::sample()
        };
        let shape = Shape {
            image: r.image.clone(),
            registry: r.registry.clone(),
            category: r.category,
            day: Some(3),
        };
        assert!(shape.is(&r, Some(3)));
        assert!(!shape.is(&r, Some(4)), "another day");
        assert!(!shape.is(&r, None));
        let other = |f: fn(&mut FailureRow)| {
            let mut o = r.clone();
            f(&mut o);
            shape.is(&o, Some(3))
        };
        assert!(!other(|o| o.image.push('x')), "another image");
        assert!(!other(|o| o.registry = None), "another registry");
        assert!(
            !other(|o| o.category = Category::ImageNotFound),
            "another cause"
        );
    }

    #[test]
    fn invalid_entries_say_what_is_wrong() {
        for (from, to, says) in [
            (
                "id = \"mirror-retired\"",
                "id = \"Mirror Retired\"",
                "id must be",
            ),
            (
                "since = \"2026-01-15\"",
                "since = \"last week\"",
                "not a date",
            ),
            (
                "source = \"https://wiki.example.com/mirror\"",
                "source = \"http://x\"",
                "https://",
            ),
            (
                "hosts = [\"mirror.example.com\", \"*.mirror.example.com:5000\"]",
                "hosts = []",
                "hosts is empty",
            ),
            (
                "hosts = [\"mirror.example.com\", \"*.mirror.example.com:5000\"]",
                "hosts = [\"a b\"]",
                "match.hosts",
            ),
            (
                "repositories = [\"team/*\"]",
                "repositories = [\"Team\"]",
                "repositories",
            ),
            (
                "repositories = [\"team/*\"]",
                "categories = [\"auth.nope\"]",
                "not a category",
            ),
            (
                "short = \"mirror retired\"",
                "short = \"mirror\\u001b[2J\"",
                "control",
            ),
            (
                "title = \"The team mirror was retired\"",
                "titel = \"x\"",
                "unknown field",
            ),
        ] {
            let text = ENTRY.replace(from, to);
            let e = parse(&text).expect_err(to);
            assert!(e.contains(says), "{to}: {e}");
        }
        let twice = format!("{ENTRY}{ENTRY}");
        assert!(parse(&twice).expect_err("twice").contains("used twice"));
    }

    #[test]
    fn repository_globs() {
        assert!(glob_matches("bitnami/*", "bitnami/redis"));
        assert!(glob_matches("bitnami/*", "bitnami/a/b"));
        assert!(!glob_matches("bitnami/*", "bitnamilegacy/redis"));
        assert!(glob_matches("*/nginx", "library/nginx"));
        assert!(glob_matches("library/nginx", "library/nginx"));
        assert!(!glob_matches("library/nginx", "library/nginx-x"));
    }
}
