//! The config file, `<config dir>/pulltui/config.toml`: key bindings for now.
//!
//! ```toml
//! probe_image = "registry.example.com/tools/curl:8"   # the in-cluster probe's image
//! probe_namespace = "pulltui-probe"                    # where probe pods run (default)
//! probe_pull_secret = "mirror-cred"                     # its pull secret there
//! [keys]
//! quit = ["q", "ctrl-c"]
//! filter = "/"
//! resync = "ctrl-r"
//!
//! [[upstream_events]]                                   # more upstream events, tried
//! id = "mirror-retired"                                 # before the built-in ones
//! title = "The team mirror was retired"                 # (fields: src/domain/upstream_events.toml)
//! short = "mirror retired"
//! since = "2026-01-15"
//! what_happened = "mirror.example.com stopped serving."
//! what_to_do = "Use registry.example.com."
//! source = "https://wiki.example.com/mirror"
//! match = { hosts = ["mirror.example.com"] }
//! ```
//!
//! An invalid file is an error that names the file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::app::keymap::{Intent, KeySpec, Keymap};
use crate::domain::upstream::{Catalogue, EventSpec, validate_all};

#[derive(Debug, Default)]
pub struct Config {
    pub keymap: Keymap,
    /// Image of the in-cluster probe pod (`probe_image`); needs `sh` and `curl`.
    pub probe_image: Option<String>,
    /// The namespace probe pods run in (`probe_namespace`).
    pub probe_namespace: Option<String>,
    /// A pull secret for the probe image, in that namespace (`probe_pull_secret`).
    pub probe_pull_secret: Option<String>,
    /// The upstream events table with the file's `[[upstream_events]]`
    /// first (`None`: the file adds none).
    pub upstream: Option<Arc<Catalogue>>,
    /// How much each cluster's journal keeps (`[journal]`).
    pub journal: crate::journal::Limits,
    /// The file it came from, when there was one.
    pub path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    probe_image: Option<String>,
    #[serde(default)]
    probe_namespace: Option<String>,
    #[serde(default)]
    probe_pull_secret: Option<String>,
    #[serde(default)]
    keys: BTreeMap<String, toml::Spanned<Keys>>,
    #[serde(default)]
    upstream_events: Vec<EventSpec>,
    #[serde(default)]
    journal: Option<JournalFile>,
}

/// `[journal]`: how long and how much of each cluster's journal is kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalFile {
    /// Days (fractions allowed); default 7.
    max_age_days: Option<f64>,
    /// Megabytes per cluster; default 50.
    max_mb: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

/// Where the config file lives by default.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pulltui").map(|d| d.config_dir().join("config.toml"))
}

/// Loads `path` (or the default path). A missing default file is the
/// default config; a missing file named explicitly is an error.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Config::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Config::default());
        }
        Err(e) => {
            return Err(ConfigError {
                path: path.display().to_string(),
                message: format!("cannot read: {e}"),
            });
        }
    };
    let err = |message| ConfigError {
        path: path.display().to_string(),
        message,
    };
    let keymap = parse(&text).map_err(err)?;
    let probe_image = parse_probe_image(&text).map_err(err)?;
    let (probe_namespace, probe_pull_secret) = parse_probe_names(&text).map_err(err)?;
    let upstream = parse_upstream_events(&text).map_err(err)?;
    let journal = parse_journal(&text).map_err(err)?;
    Ok(Config {
        keymap,
        probe_image,
        probe_namespace,
        probe_pull_secret,
        upstream,
        journal,
        path: Some(path),
    })
}

/// Parses the file's text into a keymap (defaults overridden).
pub fn parse(text: &str) -> Result<Keymap, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        let msg = e.message().trim().to_string();
        if line > 0 {
            format!("line {line}, column {col}: {msg}")
        } else {
            msg
        }
    })?;
    let mut keymap = Keymap::default();
    for (name, spanned) in file.keys {
        let (line, col) = line_col(text, spanned.span().start);
        let at = |m: String| format!("line {line}, column {col}: {m}");
        let Some(intent) = Intent::from_id(&name) else {
            let known: Vec<&str> = Intent::ALL.iter().map(|i| i.id()).collect();
            return Err(at(format!(
                "unknown action {name:?} in [keys]; known: {}",
                known.join(", ")
            )));
        };
        let specs = match spanned.into_inner() {
            Keys::One(s) => vec![s],
            Keys::Many(v) => v,
        };
        let mut keys = Vec::with_capacity(specs.len());
        for s in specs {
            keys.push(KeySpec::parse(&s).map_err(|e| at(format!("{name}: {e}")))?);
        }
        keymap.bind(intent, keys);
    }
    Ok(keymap)
}

/// The `probe_namespace` and `probe_pull_secret` keys, validated as the API
/// server validates those names.
pub fn parse_probe_names(text: &str) -> Result<(Option<String>, Option<String>), String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    if let Some(ns) = &file.probe_namespace {
        crate::domain::mutation::validate_dns1123_label(ns)
            .map_err(|e| format!("probe_namespace {ns:?}: {e}"))?;
    }
    if let Some(s) = &file.probe_pull_secret {
        crate::domain::mutation::validate_dns1123_subdomain(s)
            .map_err(|e| format!("probe_pull_secret {s:?}: {e}"))?;
    }
    Ok((file.probe_namespace, file.probe_pull_secret))
}

/// The `[[upstream_events]]` entries, validated as the built-in table is,
/// put before it (an id the table has already is an error).
pub fn parse_upstream_events(text: &str) -> Result<Option<Arc<Catalogue>>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    if file.upstream_events.is_empty() {
        return Ok(None);
    }
    let extra = validate_all(file.upstream_events)?;
    Catalogue::with_extra(extra).map(|c| Some(Arc::new(c)))
}

/// The `[journal]` limits (the defaults for what is not given).
pub fn parse_journal(text: &str) -> Result<crate::journal::Limits, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    let mut limits = crate::journal::Limits::default();
    let Some(j) = file.journal else {
        return Ok(limits);
    };
    if let Some(d) = j.max_age_days {
        if !(d.is_finite() && d > 0.0 && d <= 3650.0) {
            return Err(format!(
                "[journal] max_age_days = {d}: give a number of days in (0, 3650]"
            ));
        }
        limits.max_age_secs = (d * 86_400.0) as i64;
    }
    if let Some(mb) = j.max_mb {
        if !(mb.is_finite() && (0.1..=100_000.0).contains(&mb)) {
            return Err(format!(
                "[journal] max_mb = {mb}: give megabytes in [0.1, 100000]"
            ));
        }
        limits.max_bytes = (mb * 1024.0 * 1024.0) as u64;
    }
    Ok(limits)
}

/// The `probe_image` key (validated as an image reference).
pub fn parse_probe_image(text: &str) -> Result<Option<String>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    match file.probe_image {
        Some(img) => crate::domain::image::ImageRef::parse(&img)
            .map(|_| Some(img.clone()))
            .map_err(|e| format!("probe_image {img:?}: {e}")),
        None => Ok(None),
    }
}

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_keys() {
        let km = parse("[keys]\nquit = [\"x\", \"ctrl-c\"]\nresync = \"ctrl-r\"\n").expect("valid");
        assert_eq!(
            km.keys(Intent::Quit),
            &[KeySpec::plain('x'), KeySpec::ctrl('c')]
        );
        assert_eq!(km.keys(Intent::Resync), &[KeySpec::ctrl('r')]);
        assert_eq!(km.keys(Intent::Help), &[KeySpec::plain('?')]);
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = parse("[keys]\nquit = \"q\"\nhelp = \n").expect_err("invalid");
        assert!(e.starts_with("line 3"), "{e}");
    }

    #[test]
    fn unknown_action_names_the_line() {
        let e = parse("[keys]\n\nfly = \"f\"\n").expect_err("invalid");
        assert!(e.starts_with("line 3"), "{e}");
        assert!(e.contains("fly"), "{e}");
    }

    #[test]
    fn bad_key_names_the_line() {
        let e = parse("[keys]\nquit = \"hyper-q\"\n").expect_err("invalid");
        assert!(e.starts_with("line 2"), "{e}");
    }

    #[test]
    fn probe_image_is_read_and_validated() {
        let t = "probe_image = \"reg.example.com/tools/curl:8\"\n[keys]\nquit = \"q\"\n";
        assert_eq!(
            parse_probe_image(t).expect("valid"),
            Some("reg.example.com/tools/curl:8".to_string())
        );
        assert!(parse(t).is_ok());
        assert!(parse_probe_image("probe_image = \"team/App:1\"\n").is_err());
        assert_eq!(parse_probe_image("").expect("empty"), None);
    }

    #[test]
    fn upstream_events_are_added_before_the_built_in_ones() {
        let t = r#"
[[upstream_events]]
id = "mirror-retired"
title = "The team mirror was retired"
short = "mirror retired"
since = "2026-01-15"
what_happened = "mirror.example.com stopped serving."
what_to_do = "Use registry.example.com."
source = "https://wiki.example.com/mirror"
match = { hosts = ["mirror.example.com"], categories = ["network.dns"] }
"#;
        assert!(parse(t).is_ok(), "the keymap parser accepts the section");
        let c = parse_upstream_events(t).expect("valid").expect("some");
        assert_eq!(c.events[0].id, "mirror-retired");
        assert!(c.events.iter().any(|e| e.id == "gcr-shutdown"));
        assert_eq!(parse_upstream_events("").expect("empty"), None);
        let e = parse_upstream_events(&t.replace("network.dns", "network.nope"))
            .expect_err("unknown category");
        assert!(
            e.contains("mirror-retired") && e.contains("network.nope"),
            "{e}"
        );
        let e = parse_upstream_events(&t.replace("mirror-retired", "bitnami-catalog-move"))
            .expect_err("built-in id");
        assert!(e.contains("used twice"), "{e}");
    }

    #[test]
    fn unknown_section_is_an_error() {
        let e = parse("[keyz]\nquit = \"q\"\n").expect_err("invalid");
        assert!(e.contains("keyz"), "{e}");
    }
}
