//! How pulltui documents and installs itself: `pulltui help categories`
//! (from the taxonomy table), the man pages (`pulltui man`, rendered by
//! `man -l`), and the Debian package `scripts/deb` builds from Cargo.toml's
//! metadata — its contents, and the binary run from a test root it is
//! unpacked into. The package is made from the debug binary the tests run
//! (stripped), not a release build: the same files, at a test's cost.

use std::path::Path;
use std::process::{Command, Output};

use pulltui::domain::classify::{Category, fixes_for};

const BIN: &str = env!("CARGO_BIN_EXE_pulltui");

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

fn pulltui(args: &[&str]) -> String {
    String::from_utf8(run(Command::new(BIN).args(args)).stdout).expect("utf-8")
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
    let out = Command::new(BIN)
        .args(["help", "no-such-topic"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("categories"));
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
    let out = run(Command::new(root.join("usr/bin/pulltui")).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("pulltui {version}")
    );
    let man = render_man(&root.join("usr/share/man/man1/pulltui.1.gz"));
    assert!(man.contains("FAILURE CATEGORIES"), "{man}");
    let bash = std::fs::read_to_string(root.join("usr/share/bash-completion/completions/pulltui"))
        .expect("bash completion");
    assert!(bash.contains("--pod"), "the completions know the flags");
}
