//! The layers' promises, checked on the source: `domain`, `app` and `ui` do
//! no I/O and read no clock or environment (the runtime injects the clock,
//! the CLI reads the environment); `domain` imports nothing above it, and
//! the domain modules that depend one way do not import back; text is cut
//! to a terminal width in one module.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).expect("read");
            out.push((p.display().to_string(), text));
        }
    }
}

/// Code lines (comments dropped).
fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

#[test]
fn pure_layers_do_no_io_and_read_no_clock_or_environment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden = [
        "std::fs",
        "std::env",
        "TcpStream",
        "UdpSocket",
        "ToSocketAddrs",
        "lookup_host",
        "std::process",
        "tokio",
        "Timestamp::now",
        "Instant::now",
        "SystemTime",
        "std::io::stdin",
        "std::io::stdout",
        "println!",
        "eprintln!",
        "kube::Client",
        "Api::<",
        "spawn(",
    ];
    let mut bad = Vec::new();
    for layer in ["domain", "app", "ui"] {
        let mut files = Vec::new();
        sources(&root.join(layer), &mut files);
        assert!(!files.is_empty(), "{layer} has sources");
        for (path, text) in &files {
            for (n, line) in code(text) {
                for f in forbidden {
                    if line.contains(f) {
                        bad.push(format!("{path}:{n}: {f}: {}", line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "I/O, clock or environment in a pure layer:\n{}",
        bad.join("\n")
    );
}

#[test]
fn domain_imports_nothing_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root.join("domain"), &mut files);
    let mut bad = Vec::new();
    for (path, text) in &files {
        for (n, line) in code(text) {
            for up in [
                "crate::app",
                "crate::ui",
                "crate::cluster",
                "crate::runtime",
                "crate::cli",
                "crate::snapshot",
            ] {
                if line.contains(up) {
                    bad.push(format!("{path}:{n}: {}", line.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "domain reaches up:\n{}", bad.join("\n"));
}

#[test]
fn app_and_ui_do_not_import_the_backends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for layer in ["app", "ui"] {
        let mut files = Vec::new();
        sources(&root.join(layer), &mut files);
        for (path, text) in &files {
            for (n, line) in code(text) {
                for up in [
                    "crate::cluster",
                    "crate::runtime",
                    "crate::cli",
                    "crate::snapshot",
                ] {
                    if line.contains(up) {
                        bad.push(format!("{path}:{n}: {}", line.trim()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The audit log lives below the cluster layer: its record is a domain
/// type (`domain::audit::Entry`) and `src/audit.rs` only appends it, so the
/// cluster layer, the CLI and the console all write one schema.
#[test]
fn the_audit_log_imports_no_backend() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/audit.rs");
    let text = std::fs::read_to_string(&path).expect("src/audit.rs");
    let bad: Vec<String> = code(&text)
        .filter(|(_, line)| {
            [
                "crate::cluster",
                "crate::app",
                "crate::snapshot",
                "crate::cli",
            ]
            .iter()
            .any(|up| line.contains(up))
        })
        .map(|(n, line)| format!("src/audit.rs:{n}: {}", line.trim()))
        .collect();
    assert!(
        bad.is_empty(),
        "the audit log reaches up:\n{}",
        bad.join("\n")
    );
}

/// The domain modules (under `src/domain`) that another may not import,
/// because the dependency runs the other way: the rows (`failing`) call the
/// evidence decision, which reads only the pod (`pod`).
const ONE_WAY: [(&str, &str); 1] = [("evidence.rs", "failing")];

/// Whether `line` holds the path `path` whole (not a longer name it begins).
fn names_path(line: &str, path: &str) -> bool {
    line.match_indices(path).any(|(i, _)| {
        !line[i + path.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// The lines of `text` that name domain module `module` by path, in an
/// expression or in a `use` (also inside a `use super::{..}` group).
fn uses_of(text: &str, module: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut statement: Option<(usize, String)> = None;
    for (n, line) in code(text) {
        let t = line.trim();
        if names_path(t, &format!("super::{module}")) || names_path(t, &format!("domain::{module}"))
        {
            out.push((n, t.to_string()));
            continue;
        }
        if statement.is_none() && (t.starts_with("use ") || t.starts_with("pub use ")) {
            statement = Some((n, String::new()));
        }
        if let Some((start, s)) = &mut statement {
            s.push_str(t);
            s.push(' ');
            if t.ends_with(';') {
                let rooted = s.contains("super::") || s.contains("crate::domain::");
                let named = s
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| w == module);
                if rooted && named {
                    out.push((*start, s.trim().to_string()));
                }
                statement = None;
            }
        }
    }
    out
}

#[test]
fn one_way_domain_modules_do_not_import_back() {
    let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut bad = Vec::new();
    for (file, module) in ONE_WAY {
        let path = domain.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        for (n, line) in uses_of(&text, module) {
            bad.push(format!("{}:{n}: imports {module}: {line}", path.display()));
        }
    }
    assert!(bad.is_empty(), "an import cycle:\n{}", bad.join("\n"));
}

#[test]
fn an_import_back_is_seen_in_every_form() {
    for text in [
        "use super::failing::FailingContainer;",
        "use super::{classify, failing};",
        "use crate::domain::{\n    failing::PodKey,\n    kubelet,\n};",
        "let k = crate::domain::failing::PodKey::new(a, b);",
    ] {
        assert_eq!(uses_of(text, "failing").len(), 1, "{text}");
    }
    for text in [
        "use super::pod::FailingContainer;",
        "// use super::failing::X;",
        "use super::pod::failing_containers;",
        "let f = super::failing_rows(pod);",
    ] {
        assert!(uses_of(text, "failing").is_empty(), "{text}");
    }
}

/// Text is cut and wrapped to a terminal width in one module,
/// `app/text.rs` (`wrap`, `truncate`, `clip`): measuring characters one by
/// one anywhere else is a second wrapper.
#[test]
fn text_is_cut_to_a_width_in_one_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let home = root.join("app").join("text.rs");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut bad = Vec::new();
    for (path, text) in &files {
        if Path::new(path) == home {
            continue;
        }
        for (n, line) in code(text) {
            for f in ["UnicodeWidthChar", "textwrap"] {
                if line.contains(f) {
                    bad.push(format!("{path}:{n}: {f}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "text cut to a width outside app/text.rs:\n{}",
        bad.join("\n")
    );
}

/// The longest a function may run (its lines from `fn` to the closing
/// brace) without a reason: a `// long: <reason>` comment right above it
/// (above its attributes and doc comment) says why it stays whole.
const LONGEST_FN: usize = 100;

/// The functions in `text` longer than `LONGEST_FN` lines and not exempted,
/// as (line of the `fn`, name, lines). Reads rustfmt'd code: a body closes
/// on the first line holding only `}` at the indent of its `fn` line.
fn long_fns(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let Some(name) = fn_name(t) else { continue };
        let indent = &line[..line.len() - t.len()];
        let close = format!("{indent}}}");
        // A declaration without a body (a trait's) ends in `;` before `{`.
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].split("//").next().unwrap_or("");
            l.contains('{') || l.trim_end().ends_with(';')
        }) else {
            continue;
        };
        let opener = lines[open].split("//").next().unwrap_or("");
        if !opener.contains('{') {
            continue;
        }
        let end = if opener.trim_end().ends_with('}') && opener.trim_start() != "}" {
            open
        } else {
            match (open + 1..lines.len()).find(|&j| lines[j] == close) {
                Some(j) => j,
                None => continue,
            }
        };
        let len = end - i + 1;
        if len > LONGEST_FN && !exempt(&lines, i) {
            out.push((i + 1, name.to_string(), len));
        }
    }
    out
}

/// The name of the function `t` (a trimmed line) declares, if it declares one.
fn fn_name(t: &str) -> Option<&str> {
    let mut rest = t;
    loop {
        let word = rest.split([' ', '(']).next().unwrap_or("");
        match word {
            "pub" | "pub(crate)" | "pub(super)" | "async" | "const" | "unsafe" | "extern" => {
                rest = rest[word.len()..].trim_start();
            }
            _ if word.starts_with("pub(") => rest = rest[word.len()..].trim_start(),
            "fn" => {
                let name = rest[2..].trim_start();
                let end = name
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(name.len());
                return (end > 0).then(|| &name[..end]);
            }
            _ => return None,
        }
    }
}

/// Whether a `// long:` comment sits right above the function at line
/// `i` (its attributes and doc comment in between).
fn exempt(lines: &[&str], i: usize) -> bool {
    for l in lines[..i].iter().rev() {
        let t = l.trim_start();
        if t.starts_with("// long:") {
            return true;
        }
        if !(t.starts_with("#[") || t.starts_with("///") || t.starts_with("//")) {
            return false;
        }
    }
    false
}

#[test]
fn no_function_runs_over_a_hundred_lines_without_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for (path, text) in &files {
        for (n, name, len) in long_fns(text) {
            bad.push(format!("{path}:{n}: fn {name}: {len} lines"));
        }
    }
    assert!(
        bad.is_empty(),
        "functions over {LONGEST_FN} lines with no `// long: <reason>` above:\n{}",
        bad.join("\n")
    );
}

#[test]
fn a_long_function_is_seen_and_a_reason_exempts_it() {
    let body = "    let x = 1;\n".repeat(LONGEST_FN);
    let long = format!("pub async fn big(a: u8) -> u8 {{\n{body}    x\n}}\n");
    assert_eq!(
        long_fns(&long),
        vec![(1, "big".to_string(), LONGEST_FN + 3)]
    );
    let nested = format!("impl A {{\n    fn big(&self) {{\n{body}    }}\n}}\n");
    assert_eq!(long_fns(&nested).len(), 1, "a method");
    let exempted = format!("// long: one table\n/// Doc.\n#[must_use]\n{long}");
    assert!(long_fns(&exempted).is_empty());
    let short = "fn small() {\n    1\n}\nfn decl();\nfn one() { 2 }\n";
    assert!(long_fns(short).is_empty());
    let under = "    let x = 1;\n".repeat(LONGEST_FN - 2);
    assert!(long_fns(&format!("fn fits() {{\n{under}}}\n")).is_empty());
}
