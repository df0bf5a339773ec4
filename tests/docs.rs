//! The README documents every stable id: each category, each facet and
//! each fix id appears in it (the catalogue `explain --categories` prints
//! is the same list), so an id added in code cannot go undocumented.

use pulltui::domain::classify::{Category, Fix};
use pulltui::domain::facet::Facet;

const README: &str = include_str!("../README.md");

#[test]
fn every_category_is_a_row_of_the_readme_table() {
    for c in Category::ALL {
        let row = format!("| `{}` |", c.id());
        assert!(README.contains(&row), "README has no table row {row}");
    }
}

#[test]
fn every_facet_is_documented() {
    for f in Facet::ALL {
        let row = format!("| `{}` |", f.id());
        assert!(README.contains(&row), "README has no facet row {row}");
    }
}

#[test]
fn every_fix_id_is_named_in_the_readme() {
    for f in Fix::ALL {
        let id = format!("`{}`", f.id());
        assert!(README.contains(&id), "README never names fix {id}");
    }
}
