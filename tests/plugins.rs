//! The plugin files kept in the repository stay valid: the krew manifest
//! (`plugins/pulltui.yaml`: krew's schema, the platforms, the binary it
//! names, the version) and the k9s snippet (`plugins/k9s-plugins.yaml`:
//! k9s's plugin shape, and each command line parsed by pulltui's own
//! flags once k9s has filled in its variables).

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use clap::Parser;
use pulltui::cli::Cli;
use serde_json::Value;
use support::Pulltui;
use support::cli::BIN;

fn yaml(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"))
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn subset(v: &Value, allowed: &[&str], what: &str) {
    let extra: Vec<&str> = keys(v)
        .into_iter()
        .filter(|k| !allowed.contains(k))
        .collect();
    assert!(
        extra.is_empty(),
        "{what}: fields krew/k9s do not know: {extra:?}"
    );
}

/// The binary's name (Cargo's `[[bin]]`): what krew links as kubectl-pulltui.
fn bin_name() -> &'static str {
    Path::new(BIN)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("binary name")
}

#[test]
fn the_krew_manifest_has_krews_schema_the_platforms_and_names_the_binary() {
    let m = yaml("plugins/pulltui.yaml");
    subset(&m, &["apiVersion", "kind", "metadata", "spec"], "manifest");
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    // The plugin's name is what follows `kubectl `.
    assert_eq!(m["metadata"]["name"], "pulltui");
    let spec = &m["spec"];
    subset(
        spec,
        &[
            "version",
            "homepage",
            "shortDescription",
            "description",
            "caveats",
            "platforms",
        ],
        "spec",
    );
    assert_eq!(
        spec["version"],
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "the manifest follows Cargo.toml's version"
    );
    let short = spec["shortDescription"].as_str().expect("shortDescription");
    assert!(!short.is_empty() && short.len() <= 50, "{short:?}");
    assert!(
        spec["description"]
            .as_str()
            .is_some_and(|d| d.contains("kubectl pulltui"))
    );
    assert!(
        spec["homepage"]
            .as_str()
            .is_some_and(|h| h.starts_with("https://"))
    );

    let platforms = spec["platforms"].as_array().expect("platforms");
    let mut seen = BTreeSet::new();
    for p in platforms {
        subset(
            p,
            &["selector", "uri", "sha256", "files", "bin"],
            "platform",
        );
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().expect("os"),
            labels["arch"].as_str().expect("arch"),
        );
        assert!(seen.insert((os, arch)), "{os}/{arch} twice");
        let triple = match (os, arch) {
            ("linux", "amd64") => "x86_64-unknown-linux-gnu",
            ("linux", "arm64") => "aarch64-unknown-linux-gnu",
            ("darwin", "amd64") => "x86_64-apple-darwin",
            ("darwin", "arm64") => "aarch64-apple-darwin",
            other => panic!("a platform pulltui is not built for: {other:?}"),
        };
        let uri = p["uri"].as_str().expect("uri");
        let archive = format!("pulltui-v{}-{triple}.tar.gz", env!("CARGO_PKG_VERSION"));
        assert!(
            uri.starts_with("https://") && uri.ends_with(&archive),
            "{uri}"
        );
        let sha = p["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64
                && sha
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "sha256 {sha:?}"
        );
        // `bin` is the binary as the files place it: the crate's binary.
        let bin = p["bin"].as_str().expect("bin");
        assert_eq!(bin, bin_name(), "{os}/{arch}");
        let files = p["files"].as_array().expect("files");
        assert!(
            files.iter().any(|f| f["from"] == bin && f["to"] == "."),
            "{os}/{arch}: the files do not place {bin}: {files:?}"
        );
        for f in files {
            subset(f, &["from", "to"], "files entry");
        }
    }
    for needed in [
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
    ] {
        assert!(seen.contains(&needed), "no {needed:?} platform");
    }
}

/// k9s's variables as its plugin runner fills them in.
const K9S_VARS: [&str; 9] = [
    "$NAMESPACE",
    "$NAME",
    "$CONTAINER",
    "$FILTER",
    "$KUBECONFIG",
    "$CLUSTER",
    "$CONTEXT",
    "$USER",
    "$GROUPS",
];

#[test]
fn the_k9s_snippet_has_k9s_plugin_shape_and_its_commands_parse() {
    let v = yaml("plugins/k9s-plugins.yaml");
    subset(&v, &["plugins"], "k9s-plugins.yaml");
    let plugins = v["plugins"].as_object().expect("plugins map");
    assert!(plugins.contains_key("pulltui") && plugins.contains_key("pulltui-pod"));
    let shortcut = regex::Regex::new(r"^(?:(?:Shift|Ctrl|Alt)-[A-Z0-9]|[a-z0-9])$").expect("re");
    let mut shortcuts = BTreeSet::new();
    for (name, p) in plugins {
        subset(
            p,
            &[
                "shortCut",
                "description",
                "scopes",
                "command",
                "background",
                "args",
                "confirm",
                "dangerous",
                "override",
                "overwriteOutput",
            ],
            name,
        );
        let sc = p["shortCut"].as_str().expect("shortCut");
        assert!(shortcut.is_match(sc), "{name}: shortcut {sc:?}");
        assert!(shortcuts.insert(sc), "{name}: shortcut {sc} twice");
        assert!(p["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            p["scopes"].as_array().is_some_and(|s| !s.is_empty()),
            "{name}"
        );
        assert_eq!(p["command"], bin_name(), "{name}");
        // The console needs the terminal: k9s must not run it in the background.
        assert_eq!(p["background"], false, "{name}");
        let args: Vec<String> = p["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("string arg").to_string())
            .collect();
        let filled: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with('$') {
                    assert!(
                        K9S_VARS.contains(&a.as_str()),
                        "{name}: {a} is not a k9s variable"
                    );
                    format!("value-of-{}", a.trim_start_matches('$').to_lowercase())
                } else {
                    a.clone()
                }
            })
            .collect();
        let cli = Cli::try_parse_from(std::iter::once("pulltui".to_string()).chain(filled))
            .unwrap_or_else(|e| panic!("{name}: pulltui {args:?}: {e}"));
        assert!(cli.command.is_none(), "{name}: opens the console");
        assert_eq!(
            cli.cluster.context.as_deref(),
            Some("value-of-context"),
            "{name}"
        );
        assert_eq!(
            cli.cluster.namespace.as_deref(),
            Some("value-of-namespace"),
            "{name}"
        );
        // On a cluster-wide view (nodes, namespaces) k9s's $NAMESPACE is
        // empty: every namespace, not a namespace named "".
        let empty_ns: Vec<String> = args
            .iter()
            .map(|a| {
                if a == "$NAMESPACE" {
                    String::new()
                } else {
                    a.clone()
                }
            })
            .collect();
        let wide = Cli::try_parse_from(std::iter::once("pulltui".to_string()).chain(empty_ns))
            .unwrap_or_else(|e| panic!("{name} with an empty $NAMESPACE: {e}"));
        assert_eq!(
            wide.cluster.scope(),
            pulltui::domain::scope::Scope::All,
            "{name}"
        );
        if name == "pulltui-pod" {
            assert_eq!(p["scopes"][0], "pods");
            assert_eq!(cli.pod.as_deref(), Some("value-of-name"));
        }
    }
}

/// The plugin as kubectl runs it: named `kubectl-pulltui`, it speaks as
/// `kubectl pulltui` and takes the same flags.
#[test]
fn run_as_kubectl_pulltui_its_usage_says_kubectl_pulltui() {
    let dir = tempfile::tempdir().expect("tmp");
    let link = dir.path().join("kubectl-pulltui");
    std::os::unix::fs::symlink(BIN, &link).expect("symlink");
    let help = Pulltui::new().program(&link).arg("--help").run();
    assert_eq!(help.code, Some(0), "{help:?}");
    let help = help.stdout;
    assert!(help.contains("Usage: kubectl pulltui"), "{help}");
    for flag in [
        "--context",
        "--namespace",
        "--all-namespaces",
        "--kubeconfig",
        "--pod",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    let out = Pulltui::new().program(&link).arg("--version").run();
    assert_eq!(
        out.stdout.trim(),
        format!("pulltui {}", env!("CARGO_PKG_VERSION"))
    );
}
