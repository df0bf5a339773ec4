//! The layers' promises, checked on the source: `domain`, `app` and `ui` do
//! no I/O and read no clock or environment (the runtime injects the clock,
//! the CLI reads the environment); `domain` imports nothing above it.

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
