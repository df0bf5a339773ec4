//! How pulltui documents and installs itself: `pulltui help categories`
//! (from the taxonomy table), the man pages (`pulltui man`, rendered by
//! `man -l`), and the Debian package `scripts/deb` builds from Cargo.toml's
//! metadata — its contents, and the binary run from a test root it is
//! unpacked into. The package is made from the debug binary the tests run
//! (stripped), not a release build: the same files, at a test's cost.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use pulltui::domain::classify::{Category, fixes_for};
use support::cli::BIN;
use support::{Pulltui, Run};

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What `pulltui ARGS` printed; it must succeed.
fn pulltui(args: &[&str]) -> String {
    succeeded(Pulltui::new().args(args).run())
}

fn succeeded(run: Run) -> String {
    assert_eq!(run.code, Some(0), "{run:?}");
    run.stdout
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn help_categories_prints_each_category_with_its_evidence_and_fixes() {
    let text = pulltui(&["help", "categories"]);
    let flat = words(&text);
    for c in Category::ALL {
        assert!(
            text.lines().any(|l| l == c.id()),
            "no heading {}:\n{text}",
            c.id()
        );
        assert!(flat.contains(&words(c.explanation())), "{}", c.id());
        for (reason, message) in c.typical_evidence() {
            assert!(
                flat.contains(&words(&format!("{reason}: {message}"))),
                "{}: evidence {message}",
                c.id()
            );
        }
        for f in fixes_for(c, false, None, None) {
            assert!(
                flat.contains(&words(&format!("{}: {}", f.id(), f.title()))),
                "{}: fix {}",
                c.id(),
                f.id()
            );
        }
    }
    // The older spelling of a command's help still works.
    assert!(pulltui(&["help", "check"]).contains("--json"));
    let out = Pulltui::new().args(&["help", "no-such-topic"]).run();
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("categories"), "{out:?}");
}

/// The page as `man` shows it (or groff, where man-db is not installed).
fn render_man(page: &Path) -> String {
    let out = if Path::new("/usr/bin/man").exists() {
        Command::new("man")
            .arg("-l")
            .arg(page)
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MAN_KEEP_FORMATTING", "0")
            .output()
    } else {
        Command::new("groff")
            .args(["-man", "-Tutf8", "-ww"])
            .arg(page)
            .output()
    }
    .expect("man or groff (scripts/test-cluster install installs man-db)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("warning") && !stderr.contains("error"),
        "{}: {stderr}",
        page.display()
    );
    // Bold and underline as man's overstrikes, removed.
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut text = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    text
}

#[test]
fn man_pulltui_renders_every_flag_and_the_categories() {
    let dir = tempfile::tempdir().expect("tmp");
    let page = dir.path().join("pulltui.1");
    std::fs::write(&page, pulltui(&["man"])).expect("write page");
    let text = render_man(&page);
    for want in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "--context",
        "--namespace",
        "--all-namespaces",
        "--kubeconfig",
        "--pod",
        "--demo",
        "check",
        "FAILURE CATEGORIES",
        "network.timeout",
        "SEE ALSO",
        "pulltui-check(1)",
    ] {
        assert!(
            text.contains(want),
            "{want} missing from man pulltui:\n{text}"
        );
    }
    // Every page --list names renders, and names its command's flags.
    let pages = pulltui(&["man", "--list"]);
    assert!(pages.lines().count() > 8, "{pages}");
    for name in pages.lines().skip(1) {
        let p = dir.path().join(format!("{name}.1"));
        std::fs::write(&p, pulltui(&["man", name])).expect("write page");
        let text = render_man(&p);
        assert!(text.contains(name), "{name}:\n{text}");
    }
    let check = render_man(&dir.path().join("pulltui-check.1"));
    assert!(check.contains("--json"), "{check}");
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    String::from_utf8(run(Command::new("dpkg-deb").args(args).arg(deb)).stdout).expect("utf-8")
}

#[test]
fn the_deb_holds_the_binary_man_pages_and_completions_and_runs_from_a_test_root() {
    if !Path::new("/usr/bin/dpkg-deb").exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but dpkg-deb is missing (scripts/test-cluster install installs it)"
        );
        eprintln!("SKIPPED: no dpkg-deb");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let out = run(
        Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/deb"))
            .args(["--binary", BIN, "--out"])
            .arg(dir.path()),
    );
    let deb = String::from_utf8(out.stdout).expect("utf-8");
    let deb = Path::new(deb.trim());
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        deb.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&format!("pulltui_{version}_")) && n.ends_with(".deb")),
        "{}",
        deb.display()
    );
    let fields = dpkg_deb(&["-f"], deb);
    assert!(fields.contains("Package: pulltui\n"), "{fields}");
    assert!(
        fields.contains(&format!("Version: {version}\n")),
        "{fields}"
    );
    assert!(fields.contains("Depends: libc6"), "{fields}");

    let listing = dpkg_deb(&["-c"], deb);
    let entry = |path: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" ./{path}")))
            .unwrap_or_else(|| panic!("{path} not in the package:\n{listing}"))
            .to_string()
    };
    let bin = entry("usr/bin/pulltui");
    assert!(bin.starts_with("-rwxr-xr-x root/root"), "{bin}");
    for path in [
        "usr/share/man/man1/pulltui.1.gz",
        "usr/share/man/man1/pulltui-check.1.gz",
        "usr/share/bash-completion/completions/pulltui",
        "usr/share/zsh/vendor-completions/_pulltui",
        "usr/share/fish/vendor_completions.d/pulltui.fish",
        "usr/share/doc/pulltui/copyright",
        "usr/share/doc/pulltui/README.md",
        "usr/share/doc/pulltui/docs/install.md",
    ] {
        let e = entry(path);
        assert!(e.starts_with("-rw-r--r-- root/root"), "{e}");
    }

    // Installed into a test root, it runs and its man page renders.
    let root = dir.path().join("root");
    run(Command::new("dpkg").arg("-x").arg(deb).arg(&root));
    let out = succeeded(
        Pulltui::new()
            .program(root.join("usr/bin/pulltui"))
            .arg("--version")
            .run(),
    );
    assert_eq!(out.trim(), format!("pulltui {version}"));
    let man = render_man(&root.join("usr/share/man/man1/pulltui.1.gz"));
    assert!(man.contains("FAILURE CATEGORIES"), "{man}");
    let bash = std::fs::read_to_string(root.join("usr/share/bash-completion/completions/pulltui"))
        .expect("bash completion");
    assert!(bash.contains("--pod"), "the completions know the flags");
}

/// The test hooks (`PULLTUI_TEST_PANIC`, the `test-hooks` feature) are in
/// the builds that compile the tests and in no other: the feature is not a
/// default one, only the package's dev-dependency on itself turns it on
/// (cargo leaves a dev-dependency's features out of `cargo build --release`
/// and `cargo install`), and every read of a `PULLTUI_TEST_*` variable in
/// `src/` is under `#[cfg(feature = "test-hooks")]`.
#[test]
fn test_hooks_are_compiled_into_test_builds_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    // The package's own features in a build with (`all`) or without
    // (`no-dev`) its dev-dependencies.
    let features = |edges: &str| {
        let out = run(Command::new(&cargo).current_dir(root).args([
            "tree",
            "--offline",
            "--depth",
            "0",
            "-f",
            "{p} [{f}]",
            "-e",
            edges,
        ]));
        let text = String::from_utf8(out.stdout).expect("utf-8");
        text.lines().next().unwrap_or_default().to_string()
    };
    let release = features("no-dev");
    assert!(release.starts_with("pulltui "), "{release}");
    assert!(!release.contains("test-hooks"), "{release}");
    let tests = features("all");
    assert!(tests.contains("test-hooks"), "{tests}");

    let gate = "#[cfg(feature = \"test-hooks\")]";
    let mut reads = 0;
    for file in rust_files(&root.join("src")) {
        let text = std::fs::read_to_string(&file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.contains("env::var") && line.contains("\"PULLTUI_TEST_")) {
                continue;
            }
            reads += 1;
            // The gate on the statement, or on the function it is the first line of.
            let above = &lines[i.saturating_sub(3)..i];
            assert!(
                above.iter().any(|l| l.trim() == gate),
                "{}:{}: a PULLTUI_TEST_ read outside {gate}",
                file.display(),
                i + 1
            );
        }
    }
    assert!(
        reads > 0,
        "no PULLTUI_TEST_ read found: the scan reads nothing"
    );
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
