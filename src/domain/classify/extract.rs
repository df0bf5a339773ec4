//! Reading a message: where the innermost cause starts and ends, which address
//! was dialled, which registry the pull was for, the parts of an aggregated
//! kubelet error, and the event rows of a pasted `kubectl describe`.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::rules::Engine;
use crate::domain::image::ImageRef;
use crate::domain::taxonomy::Category;

/// Phrases that lead into a cause and belong to it (`dial tcp IP:443: ` before
/// `i/o timeout`). Matched against the text just before the cause.
pub(super) static LEAD_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?:proxyconnect )?(?:dial|read|write) (?:tcp|udp)[46]?(?: [^\s]+)?: |lookup [^\s]+(?: on [^\s]+)?: |connect: |read: |write: |x509: |tls: failed to verify certificate: |remote error: |net/http: |Container image \\?\x22[^\x22\\]*\\?\x22 )$",
    )
    .expect("static regex")
});

pub(super) static DIAL_IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:dial|connect) (?:tcp|udp)[46]? (?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):\d+",
    )
    .expect("static regex")
});
pub(super) static READ_REMOTE_IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:read|write) (?:tcp|udp)[46]? [^\s]+->(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):\d+")
        .expect("static regex")
});

/// Where messages name the image: `Failed to pull image "X"` and friends.
pub(super) static IMAGE_IN_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:pull image|pulling image|unpack image|resolve reference|sandbox image|container image|PullImage|default image tag|parse image reference|image)\s*\\?"([^"\\\s]+)\\?""#,
    )
    .expect("static regex")
});
pub(super) static IMAGE_UNQUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:pull access denied for |manifest for |Error reading manifest [^\s]+ in )([^\s,:]+(?::\d+)?[^\s,:]*)")
        .expect("static regex")
});
pub(super) static URL_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)https?://([^/\s"\\]+)/v2/"#).expect("static regex"));

/// kubelet tries each credential in turn and reports every failure at once:
/// `[rpc error: ...: not found, rpc error: ...: 401 Unauthorized]`. The parts
/// of such an aggregate, as byte ranges.
pub(super) fn aggregate_parts(message: &str) -> Option<Vec<Range<usize>>> {
    const MARK: &str = "rpc error: ";
    let open = message.find('[')?;
    let close = message.rfind(']').filter(|c| *c > open)?;
    let inner = &message[open + 1..close];
    let starts: Vec<usize> = inner
        .match_indices(MARK)
        .map(|(i, _)| open + 1 + i)
        .collect();
    if starts.len() < 2 {
        return None;
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(close);
        let text = message[start..end].trim_end_matches([',', ' ']);
        parts.push(start..start + text.len());
    }
    Some(parts)
}

/// Grows the deciding match into the whole innermost cause: joins overlapping
/// matches of the same category, takes in lead-ins such as `dial tcp IP:443: `
/// and runs to the end of the line (everything right of the innermost cause is
/// its own detail).
pub(super) fn widen(
    message: &str,
    mut range: Range<usize>,
    category: Category,
    engine: &Engine,
    hits: &[(usize, Vec<Range<usize>>)],
) -> Range<usize> {
    // Same-category phrases in the same clause belong together
    // ("certificate has expired or is not yet valid").
    let mut same: Vec<Range<usize>> = Vec::new();
    for (idx, ranges) in hits {
        if engine.rules[*idx].category == category {
            same.extend(ranges.iter().cloned());
        }
    }
    loop {
        let before = range.clone();
        for m in &same {
            let touches = m.start < range.end && m.end > range.start;
            let joins_left = m.end <= range.start && {
                let gap = &message[m.end..range.start];
                gap.len() <= 12 && !gap.contains(": ") && !gap.contains('\n')
            };
            if touches || joins_left {
                range.start = range.start.min(m.start);
                range.end = range.end.max(m.end);
            }
        }
        if range == before {
            break;
        }
    }
    while let Some(m) = LEAD_IN.find(&message[..range.start]) {
        if m.start() == range.start {
            break;
        }
        range.start = m.start();
    }
    let line_end = message[range.end..]
        .find('\n')
        .map_or(message.len(), |i| range.end + i);
    // Don't run past a closing quote that ends an enclosing quoted error
    // (`error="...: cause"`), nor keep trailing escapes or punctuation.
    let tail = &message[range.end..line_end];
    let mut end = range.end + tail.find('"').unwrap_or(tail.len());
    let trimmed = message[range.start..end]
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '"' | ',' | ']' | ';'))
        .trim_end_matches("\\n")
        .trim_end_matches('\\');
    end = range.start + trimmed.len();
    range.start..end.max(range.start)
}

pub(super) fn fallback_cause(message: &str) -> String {
    let line = message.lines().last().unwrap_or("").trim();
    // The innermost part of an unknown wrapped error is after the last ": ".
    match line.rfind(": ") {
        Some(i) if i + 2 < line.len() => line[i + 2..].to_string(),
        _ => line.to_string(),
    }
}

pub(super) fn dialled_ip(message: &str, span: Option<&Range<usize>>) -> Option<IpAddr> {
    let find = |text: &str| -> Option<IpAddr> {
        let from_dial = DIAL_IP
            .captures_iter(text)
            .filter_map(|c| c.get(1).or(c.get(2))?.as_str().parse::<IpAddr>().ok())
            .last();
        from_dial.or_else(|| {
            READ_REMOTE_IP
                .captures_iter(text)
                .filter_map(|c| c.get(1).or(c.get(2))?.as_str().parse::<IpAddr>().ok())
                .last()
        })
    };
    span.and_then(|r| find(&message[r.clone()]))
        .or_else(|| find(message))
}

/// The images a message names in quotes (`Failed to pull image "X"`,
/// `Back-off pulling image "X"`, `sandbox image "X"`), in order.
pub fn images_in(message: &str) -> Vec<&str> {
    IMAGE_IN_MESSAGE
        .captures_iter(message)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect()
}

/// The registry the pull was for: from the image the message names, else
/// from the `/v2/` URL it dialled.
pub fn registry_in(message: &str) -> Option<String> {
    let images = IMAGE_IN_MESSAGE
        .captures_iter(message)
        .chain(IMAGE_UNQUOTED.captures_iter(message))
        .filter_map(|c| c.get(1).map(|m| m.as_str()));
    let mut raw_fallback = None;
    for img in images {
        match ImageRef::parse(img) {
            Ok(r) => return Some(r.registry),
            Err(_) => {
                // `<acrname>.azurecr.io/<repo:tag>`: still say which host.
                if raw_fallback.is_none()
                    && let Some((first, _)) = img.split_once('/')
                    && (first.contains('.') || first.contains(':') || first == "localhost")
                {
                    raw_fallback = Some(first.to_string());
                }
            }
        }
    }
    raw_fallback.or_else(|| {
        URL_HOST
            .captures(message)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    })
}

/// When an event row was last seen, as far as the paste says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// `kubectl describe` / `get events` age column: seconds ago.
    Age(u64),
    /// A time of day (dashboards print `3:05:26 PM`): seconds since midnight.
    Clock(u32),
    /// The row carries no time: its position decides.
    Unknown,
}

impl When {
    /// Ties and rows without comparable times go to the later row, because
    /// `kubectl describe` lists events oldest first.
    pub fn is_at_least_as_new_as(&self, other: &When) -> bool {
        match (self, other) {
            (When::Age(a), When::Age(b)) => a <= b,
            (When::Clock(a), When::Clock(b)) => a >= b,
            _ => true,
        }
    }
}

pub(super) struct EventRow {
    pub span: Range<usize>,
    pub when: When,
}

/// An age as kubectl prints it: `2m6s`, `25m`, `3h`, `2d5h`, `0s`.
const AGE: &str = r"(?:\d+[smhdy])+";

/// `  Warning  Failed  2m (x4 over 3m)  kubelet  ...` (describe), with an
/// optional `> ` when quoted.
static DESCRIBE_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^\s*(?:>\s*)?(?:Normal|Warning)\s+[A-Za-z]+\s+({AGE}|<unknown>)(?:\s+\(x\d+ over [^)]*\))?\s"
    ))
    .expect("static regex")
});
/// `42m   Warning   Failed   pod/x   ...` (get events).
static GET_EVENTS_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^\s*(?:>\s*)?({AGE})\s+(?:Normal|Warning)\s+[A-Za-z]+\s"
    ))
    .expect("static regex")
});
/// `18m\t\t2m\t\t8\t{kubelet ...}` (old describe: first seen, last seen, count).
static OLD_DESCRIBE_ROW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*{AGE}\t+({AGE})\t+\d+\t")).expect("static regex"));
/// `3:05:26 PM  Warning  Failed ...`.
static CLOCK_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d{1,2}):(\d\d):(\d\d)(?: ?([AaPp])[Mm])?\s+(?:Normal|Warning)\s")
        .expect("static regex")
});
static AGE_PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+)([smhdy])").expect("static regex"));

fn age_secs(age: &str) -> Option<u64> {
    let mut total: u64 = 0;
    for c in AGE_PART.captures_iter(age) {
        let n: u64 = c.get(1)?.as_str().parse().ok()?;
        let unit = match c.get(2)?.as_str() {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => 365 * 86_400,
        };
        total = total.saturating_add(n.saturating_mul(unit));
    }
    Some(total)
}

fn row_when(line: &str) -> Option<When> {
    for re in [&*DESCRIBE_ROW, &*GET_EVENTS_ROW, &*OLD_DESCRIBE_ROW] {
        if let Some(c) = re.captures(line) {
            let age = c.get(1).map_or("", |m| m.as_str());
            return Some(age_secs(age).map_or(When::Unknown, When::Age));
        }
    }
    let c = CLOCK_ROW.captures(line)?;
    let num = |i: usize| -> Option<u32> { c.get(i)?.as_str().parse().ok() };
    let (mut h, m, s) = (num(1)?, num(2)?, num(3)?);
    match c.get(4).map(|m| m.as_str()) {
        Some("p" | "P") if h < 12 => h += 12,
        Some("a" | "A") if h == 12 => h = 0,
        _ => {}
    }
    Some(When::Clock(h * 3600 + m * 60 + s))
}

/// The event rows of a pasted `kubectl describe` or `kubectl get events`
/// (two or more), each with when it was last seen; `None` for any other
/// message.
pub(super) fn event_rows(message: &str) -> Option<Vec<EventRow>> {
    if !message.contains('\n') {
        return None;
    }
    let mut rows = Vec::new();
    let mut offset = 0;
    for line in message.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if let Some(when) = row_when(text) {
            rows.push(EventRow {
                span: offset..offset + text.len(),
                when,
            });
        }
        offset += line.len();
    }
    (rows.len() >= 2).then_some(rows)
}
