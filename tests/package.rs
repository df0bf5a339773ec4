//! How pulltui documents itself: `pulltui help categories` (from the
//! taxonomy table) and the man pages (`pulltui man`, rendered by `man -l`).

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
