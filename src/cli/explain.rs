//! `pulltui explain`: classify pull-error messages, one given as an argument
//! or one per line on stdin, as text or as one JSON object per message in
//! input order.
//!
//! Stdin is read as bytes: a line that is not valid UTF-8 (a log with a
//! stray Latin-1 byte) is decoded lossily and answered like any other, so one
//! bad byte never ends the run or shifts the answers. A line is held in
//! bounded memory: one longer than `MAX_LINE` is answered from its first and
//! last `MAX_LINE / 2` bytes (the innermost cause is at the end), and stderr
//! says so.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use crate::domain::classify::{Classification, ExplainJson, classify};
use crate::domain::failing::MAX_MESSAGE;
use crate::domain::image::ImageRef;
use crate::domain::inert::{self, inert, inert_message};

/// `explain --categories [--json]`: the catalogue of stable ids — every
/// category with its meaning and default fixes, every facet, every fix.
pub fn catalogue(json: bool) -> ExitCode {
    use crate::domain::classify::{Category, Fix, fixes_for};
    use crate::domain::facet::Facet;
    let categories: Vec<serde_json::Value> = Category::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id(),
                "explanation": c.explanation(),
                "fixes": fixes_for(*c, false, None, None),
            })
        })
        .collect();
    let facets: Vec<serde_json::Value> = Facet::ALL
        .iter()
        .map(|f| serde_json::json!({"id": f.id(), "note": f.note()}))
        .collect();
    let fixes: Vec<serde_json::Value> = Fix::ALL
        .iter()
        .map(|f| {
            serde_json::json!({"id": f.id(), "title": f.title(), "writes": f.is_cluster_change()})
        })
        .collect();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = if json {
        let v = serde_json::json!({"categories": categories, "facets": facets, "fixes": fixes});
        writeln!(out, "{v}")
    } else {
        (|| {
            writeln!(out, "CATEGORY                    MEANING")?;
            for c in Category::ALL {
                writeln!(out, "{:27} {}", c.id(), c.explanation())?;
            }
            writeln!(out, "\nFACET (what failed to pull)")?;
            for f in &facets {
                writeln!(out, "  {}", f["id"].as_str().unwrap_or_default())?;
            }
            writeln!(out, "\nFIX                         WHAT TO DO")?;
            for f in Fix::ALL {
                writeln!(out, "{:27} {}", f.id(), f.title())?;
            }
            Ok(())
        })()
    };
    match res.and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui explain: {e}");
            ExitCode::from(2)
        }
    }
}

pub fn run(message: Option<String>, reason: Option<&str>, json: bool) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let colour = !json && io::stdout().is_terminal() && !super::no_color();
    let result = match message {
        Some(m) => emit(&mut out, &m, reason, json, colour),
        None => {
            let stdin = io::stdin();
            each_line(stdin.lock(), |i, line, cut| {
                if let Some(total) = cut {
                    eprintln!(
                        "pulltui explain: line {} has {total} bytes; only its first and last {} \
                         bytes were read",
                        i + 1,
                        MAX_LINE / 2
                    );
                }
                if !json && i > 0 {
                    writeln!(out)?;
                }
                emit(&mut out, line, reason, json, colour)
            })
        }
    };
    match result.and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui explain: {e}");
            ExitCode::from(2)
        }
    }
}

/// The most of one input line held in memory.
pub const MAX_LINE: usize = 2 << 20;

/// Calls `f` with each line of `input` (without its `\n` or `\r\n`), decoded
/// lossily, its index, and — for a line longer than `MAX_LINE`, of which
/// only the first and last `MAX_LINE / 2` bytes are kept, joined by ` … ` —
/// its length in bytes.
fn each_line(
    mut input: impl BufRead,
    mut f: impl FnMut(usize, &str, Option<u64>) -> io::Result<()>,
) -> io::Result<()> {
    let half = MAX_LINE / 2;
    let mut head: Vec<u8> = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    let mut i = 0;
    loop {
        head.clear();
        tail.clear();
        let mut total: u64 = 0;
        let mut any = false;
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, used, ended) = match buf.iter().position(|b| *b == b'\n') {
                Some(n) => (&buf[..n], n + 1, true),
                None => (buf, buf.len(), false),
            };
            total += chunk.len() as u64;
            let to_head = chunk.len().min(half - head.len());
            head.extend_from_slice(&chunk[..to_head]);
            tail.extend_from_slice(&chunk[to_head..]);
            if tail.len() > 2 * half {
                tail.drain(..tail.len() - half);
            }
            input.consume(used);
            if ended {
                break;
            }
        }
        if !any {
            return Ok(());
        }
        let last = if tail.is_empty() {
            &mut head
        } else {
            &mut tail
        };
        let cr = last.last() == Some(&b'\r');
        if cr {
            last.pop();
        }
        if tail.len() > half {
            tail.drain(..tail.len() - half);
        }
        let kept = (head.len() + tail.len()) as u64 + u64::from(cr);
        let cut = (total > kept).then_some(total);
        if cut.is_some() {
            head.extend_from_slice(" … ".as_bytes());
        }
        head.extend_from_slice(&tail);
        f(i, &String::from_utf8_lossy(&head), cut)?;
        i += 1;
    }
}

fn emit(
    out: &mut impl Write,
    message: &str,
    reason: Option<&str>,
    json: bool,
    colour: bool,
) -> io::Result<()> {
    let c = classify(message, reason);
    if json {
        let j = ExplainJson::from(&c);
        // The original text, with C0 escaped by serde and the rest of inert's
        // characters as `\u` escapes: valid JSON, same values, no raw control.
        inert::json_to_writer(&mut *out, &j).map_err(io::Error::other)?;
        writeln!(out)
    } else {
        write_human(out, message, &c, colour)
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn cause(&self, s: &str) -> String {
        self.wrap("1;4;31", s)
    }
    fn category(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
}

/// The human answer. Everything taken from the message (the message, its
/// cause, the summary quoting it, the registry) is made inert, so the only
/// escape sequences written are pulltui's own colours; the classifier saw
/// the raw text (a `kubectl describe` paste needs its newlines).
fn write_human(
    out: &mut impl Write,
    message: &str,
    c: &Classification,
    colour: bool,
) -> io::Result<()> {
    let p = Paint { on: colour };
    let half = MAX_MESSAGE / 2;
    writeln!(
        out,
        "{}  {}",
        p.category(c.category.id()),
        inert_message(&c.summary, MAX_MESSAGE)
    )?;
    if let Some(reg) = &c.registry {
        let kind = match ImageRef::parse(&format!("{reg}/x")) {
            Ok(r) if r.is_docker_hub() => " (Docker Hub)",
            _ => "",
        };
        writeln!(
            out,
            "  {} {}{kind}",
            p.dim("registry:"),
            inert::inert_cut(reg, inert::MAX_FIELD)
        )?;
    }
    if let (Some(ip), Some(scope)) = (c.ip, c.ip_scope) {
        writeln!(out, "  {} {ip} ({scope})", p.dim("dialled: "))?;
    }
    match &c.cause_span {
        Some(span) => {
            // The message with the cause highlighted in place.
            // Each piece inert on its own: the span indexes the raw text.
            let before = message.get(..span.start).unwrap_or_default();
            let after = message.get(span.end..).unwrap_or_default();
            let cause = inert_message(&c.cause, MAX_MESSAGE);
            writeln!(
                out,
                "  {} {}{}{}",
                p.dim("message: "),
                inert_message(before, half),
                p.cause(&cause),
                inert_message(after, half)
            )?;
            if !colour {
                writeln!(out, "  {} {cause}", p.dim("cause:   "))?;
            }
        }
        None => {
            writeln!(
                out,
                "  {} {}",
                p.dim("message: "),
                inert_message(message, MAX_MESSAGE)
            )?;
        }
    }
    writeln!(out, "  {} {}", p.dim("why:     "), c.category.explanation())?;
    if let Some(doubt) = c.doubt() {
        writeln!(out, "  {} {}", p.dim("sure?:   "), inert(&doubt))?;
    }
    writeln!(out, "  {}", p.bold("what to do:"))?;
    for f in &c.fixes {
        writeln!(
            out,
            "    - {} {}",
            f.title(),
            p.dim(&format!("[{}]", f.id()))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> Vec<String> {
        let mut v = Vec::new();
        each_line(bytes, |_, l, _| {
            v.push(l.to_string());
            Ok(())
        })
        .expect("reading from a slice");
        v
    }

    #[test]
    fn an_invalid_utf8_line_is_decoded_lossily_and_kept_in_order() {
        let input = b"dial tcp 10.0.0.1:443: i/o timeout\nbad \xff byte: no such host\r\nlast";
        let v = lines_of(input);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0], "dial tcp 10.0.0.1:443: i/o timeout");
        assert_eq!(v[1], "bad \u{fffd} byte: no such host");
        assert_eq!(v[2], "last");
    }

    #[test]
    fn a_line_over_the_bound_keeps_its_head_and_tail_and_the_next_line_is_whole() {
        let long = format!(
            "Failed to pull image \"r.example/app:1\": {} dial tcp 10.0.0.1:443: i/o timeout",
            "x".repeat(5 << 20)
        );
        let input = format!("{long}\r\nnext line\n");
        let mut seen = Vec::new();
        each_line(input.as_bytes(), |_, l, cut| {
            seen.push((l.to_string(), cut));
            Ok(())
        })
        .expect("reading from a slice");
        assert_eq!(seen.len(), 2);
        let (first, cut) = &seen[0];
        assert!(first.len() <= (2 << 20) + 8, "{} bytes held", first.len());
        assert!(
            first.starts_with("Failed to pull image"),
            "the head is kept"
        );
        assert!(
            first.ends_with("dial tcp 10.0.0.1:443: i/o timeout"),
            "the tail is kept"
        );
        assert_eq!(
            *cut,
            Some(long.len() as u64 + 1),
            "the length is told (with its \\r)"
        );
        assert_eq!(seen[1], ("next line".to_string(), None));
    }

    #[test]
    fn every_line_gets_one_json_answer_in_order() {
        let input: &[u8] = b"no basic auth credentials\n\xfe\xff\npull QPS exceeded\n";
        let mut out = Vec::new();
        each_line(input, |_, l, _| emit(&mut out, l, None, true, false)).expect("emit");
        let text = String::from_utf8(out).expect("json is utf-8");
        let cats: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("one object per line");
                v["category"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        assert_eq!(
            cats,
            ["auth.no-credentials", "unknown", "node.pull-throttle"]
        );
    }

    /// pulltui's own colour codes, the only escape sequences it may write.
    const OWN: [&str; 5] = [
        "\x1b[1;33m",
        "\x1b[1;4;31m",
        "\x1b[2m",
        "\x1b[1m",
        "\x1b[0m",
    ];

    #[test]
    fn a_hostile_message_is_shown_inert_on_a_terminal() {
        let msg = "Failed to pull image \"r.example/app:1\": \x1b]0;PWNED\x07\x1b[31mred \u{9b}2J \
                   \u{202e}gnp.exe\u{202c} dial tcp 10.0.0.1:443: i/o timeout\x1b]2;t\x1b\\";
        for colour in [true, false] {
            let mut out = Vec::new();
            emit(&mut out, msg, None, false, colour).expect("emit");
            let mut text = String::from_utf8(out).expect("utf-8");
            assert!(
                text.contains("␛]0;PWNED␇␛[31mred \\u{9b}2J \\u{202e}gnp.exe"),
                "{text}"
            );
            assert!(text.contains("i/o timeout"), "{text}");
            for own in OWN {
                text = text.replace(own, "");
            }
            assert!(
                !text.chars().any(|c| inert::is_hostile(c) && c != '\n'),
                "colour {colour}: {text:?}"
            );
        }
    }

    #[test]
    fn json_keeps_the_message_and_writes_no_raw_control() {
        let msg =
            "\x7f\x1b]0;t\x07 \u{9b}2J \u{202e} x509: certificate signed by unknown authority";
        let mut out = Vec::new();
        emit(&mut out, msg, None, true, false).expect("emit");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.trim_end().chars().any(inert::is_hostile), "{text:?}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["category"], "tls.untrusted");
        // The cause is quoted from the message as it was.
        assert_eq!(v["cause"], "x509: certificate signed by unknown authority");
    }

    #[test]
    fn weak_evidence_says_what_else_it_could_be() {
        let mut out = Vec::new();
        let msg = "Error response from daemon: pull access denied for foo/bar, repository does \
                   not exist or may require 'docker login'";
        emit(&mut out, msg, None, false, false).expect("emit");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("could also be image.not-found"), "{text}");
        assert!(text.contains("probe"), "{text}");
    }
}
