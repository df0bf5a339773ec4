//! The documentation: the reference pages (`docs/*.md`) document every
//! stable id — each category and each facet has its table row, each fix id
//! is named (the catalogue `explain --categories` prints is the same list),
//! so an id added in code cannot go undocumented — and the README is a
//! front door: what pulltui does, its picture, the two set-up commands and
//! the links to every page, all on its first screen.

use std::path::Path;

use pulltui::domain::classify::{Category, Fix};
use pulltui::domain::facet::Facet;

const README: &str = include_str!("../README.md");
/// The category table.
const EXPLAIN: &str = include_str!("../docs/explain.md");
/// The facet table (`check --json`'s "facet").
const CHECK: &str = include_str!("../docs/check.md");

/// Every page of docs/, concatenated.
fn all_docs() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("a page"))
        .collect()
}

#[test]
fn every_category_is_a_row_of_the_category_table() {
    for c in Category::ALL {
        let row = format!("| `{}` |", c.id());
        assert!(
            EXPLAIN.contains(&row),
            "docs/explain.md has no table row {row}"
        );
    }
}

#[test]
fn every_facet_is_documented() {
    for f in Facet::ALL {
        let row = format!("| `{}` |", f.id());
        assert!(CHECK.contains(&row), "docs/check.md has no facet row {row}");
    }
}

#[test]
fn every_fix_id_is_named_in_the_docs() {
    let docs = all_docs();
    for f in Fix::ALL {
        let id = format!("`{}`", f.id());
        assert!(docs.contains(&id), "docs/ never names fix {id}");
    }
}

/// The README's first screen (60 lines) says what pulltui does, shows the
/// console, gives the two commands (the demo, the whole suite) as they have
/// always been, and links the reference.
#[test]
fn the_readme_first_screen_holds_the_picture_the_two_commands_and_the_links() {
    let lines: Vec<&str> = README.lines().collect();
    let at = |what: &str, pred: &dyn Fn(&str) -> bool| {
        lines
            .iter()
            .position(|l| pred(l))
            .unwrap_or_else(|| panic!("the README has no {what}"))
    };
    assert_eq!(lines.first(), Some(&"# pulltui"));
    assert!(
        lines[..12].join(" ").contains("cannot pull their images"),
        "what it does, first"
    );
    let picture = at("picture", &|l| {
        l.starts_with("![") && l.contains("(assets/console.png)")
    });
    let demo = at("demo command", &|l| l == "cargo run --release -- --demo");
    let suite = at("test command", &|l| l == "scripts/test");
    let docs = at("documentation heading", &|l| l == "## Documentation");
    for (what, line) in [
        ("picture", picture),
        ("demo", demo),
        ("suite", suite),
        ("docs", docs),
    ] {
        assert!(
            line < 60,
            "the {what} is on line {}: below the first screen",
            line + 1
        );
    }
    assert!(
        picture < demo && demo < suite,
        "picture, then the two commands"
    );
    assert!(
        lines.len() <= 80 && README.split_whitespace().count() <= 500,
        "read in two minutes: {} lines, {} words",
        lines.len(),
        README.split_whitespace().count()
    );
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/console.png")
            .is_file()
    );
}

/// Every page of docs/ is linked from the README (directly or from
/// docs/README.md), and every link to one leads to a file.
#[test]
fn every_reference_page_is_linked_and_every_link_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let index = std::fs::read_to_string(root.join("docs/README.md")).expect("docs/README.md");
    let link = regex::Regex::new(r"\]\(([^)#\s]+)\)").expect("re");
    for (file, text) in [
        ("README.md", README.to_string()),
        ("docs/README.md", index.clone()),
    ] {
        let base = root
            .join(file)
            .parent()
            .map(Path::to_path_buf)
            .expect("dir");
        for c in link.captures_iter(&text) {
            let target = &c[1];
            if target.starts_with("http") {
                continue;
            }
            assert!(
                base.join(target).exists(),
                "{file} links {target}: no such file"
            );
        }
    }
    for e in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name != "README.md" {
            let linked = format!("(docs/{name})");
            assert!(
                README.contains(&linked) && index.contains(&format!("({name})")),
                "docs/{name} is not linked from README.md and docs/README.md"
            );
        }
    }
}
