//! Inert text: what the cluster, a snapshot file, standard input or the user
//! wrote, made safe to show on a terminal — shown, never interpreted.
//!
//! A pod's waiting message, an event, an image reference, a label value or a
//! name in a snapshot can carry anything: `ESC ] 0 ; title BEL` (sets the
//! window title), `ESC ] 8 ;; url ST` (a hidden hyperlink), `ESC [ 2 J` (clears
//! the screen), colour codes, C1 controls (`U+009B` is a one-character CSI
//! for terminals that honour C1), the bidi controls of "Trojan Source"
//! that make text read differently from what it is, or invisible format
//! characters that hide text or split a word so it reads the same and
//! compares differently (`unknown\u{200b} authority`, tag characters that
//! spell hidden ASCII). [`inert`] replaces every such character by a visible
//! placeholder:
//!
//! | input | shown as |
//! |---|---|
//! | TAB | a space |
//! | other C0 controls U+0000–U+001F (newline, ESC, BEL, ...) | its Control Picture: `␊`, `␛`, `␇` (U+2400 + code) |
//! | DEL U+007F | `␡` |
//! | C1 controls U+0080–U+009F | `\u{9b}` |
//! | bidi controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 | `\u{202e}` |
//! | invisible and format characters: soft hyphen U+00AD, U+180E, zero-width U+200B–U+200D, line and paragraph separators U+2028–U+2029, U+2060–U+206F (word joiner, invisible operators, deprecated format controls), BOM / zero-width no-break space U+FEFF, U+FFF9–U+FFFB, tag characters U+E0000–U+E007F | `\u{200b}` |
//!
//! That is what rustc does in its diagnostics (Control Pictures for C0 and
//! DEL) and what Rust's and Go's string escapes print for the rest (there
//! are no pictures for C1, bidi or format characters). An escape *sequence* is not
//! parsed: its ESC (or C1 introducer) and its BEL / ST terminator become
//! visible, and what lies between is plain printable text — so a hostile
//! message reads `␛]0;pwned␇` where a terminal would have retitled itself.
//! Replacing character by character keeps the map total, linear and
//! idempotent: the placeholders are printable, so `inert(inert(s)) ==
//! inert(s)`. (A message that literally contains the six characters
//! `\u{9b}` reads the same as one with the control; the text is for eyes.)
//!
//! JSON is different: a JSON value is data, and must keep the original
//! text. [`JsonFormatter`] writes the same characters as `\u` escapes, which
//! decode to the original string and leave no raw control in the output.
//!
//! Messages (waiting messages, events, `explain`'s input) are free text that
//! screens wrap: in them [`inert_message`] turns a line break (CR, LF) into
//! a space instead of `␊`, so a forged second line is impossible either way,
//! and the classifier reads multi-line runtime errors (CRI-O's
//! `errors:\ndenied: ...`) as it reads the raw text (a test holds this over
//! the whole corpus).
//!
//! Long values are bounded where they are shown: [`inert_cut`] cuts to a
//! number of characters with `…`; [`MAX_FIELD`] is the bound for names,
//! images and label values (a Kubernetes name is at most 253 bytes).
//!
//! Pure and fast: clean text is returned borrowed, with no allocation.

use std::borrow::Cow;
use std::io;

/// Longest name, image reference or label value shown, in characters.
pub const MAX_FIELD: usize = 512;

/// Whether the terminal could act on `c`, reorder text around it, or show
/// nothing for it (the module's table): the one rule for every text path.
pub fn is_hostile(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// Whether a character of `s` needs replacing. Looks at bytes first: every
/// hostile character is either a byte below 0x20, DEL, or starts with 0xC2
/// (C1, U+00AD), 0xD8 (U+061C), 0xE1 (U+180E), 0xE2 (U+200B..U+206F), 0xEF
/// (U+FEFF, U+FFF9..U+FFFB) or 0xF3 (tag characters).
fn needs_work(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (b < 0x20 || matches!(b, 0x7f | 0xc2 | 0xd8 | 0xe1 | 0xe2 | 0xef | 0xf3))
            && let Some(c) = s[i..].chars().next()
            && is_hostile(c)
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `s` with every control, DEL, C1, bidi control and invisible format
/// character replaced by a visible placeholder (see the module's table); borrowed when nothing changes.
pub fn inert(s: &str) -> Cow<'_, str> {
    inert_with(s, false)
}

fn inert_with(s: &str, breaks_as_space: bool) -> Cow<'_, str> {
    let Some(first) = needs_work(s) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        push_inert(&mut out, c, breaks_as_space);
    }
    Cow::Owned(out)
}

fn push_inert(out: &mut String, c: char, breaks_as_space: bool) {
    match c {
        '\t' => out.push(' '),
        '\n' | '\r' if breaks_as_space => out.push(' '),
        '\u{0}'..='\u{1f}' => {
            // U+2400 CONTROL PICTURE FOR NULL + the code: ␀ ... ␟.
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
        }
        '\u{7f}' => out.push('\u{2421}'),
        c if is_hostile(c) => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// [`inert`], then cut to at most `max` characters (the last one `…`).
pub fn inert_cut(s: &str, max: usize) -> Cow<'_, str> {
    let t = inert(s);
    match t.char_indices().nth(max) {
        None => t,
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = t.char_indices().nth(keep).map_or(t.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &t[..end]))
        }
    }
}

/// A message made inert, line breaks as spaces (see the module docs), then
/// bounded to about `max` bytes: a longer text keeps its first quarter and
/// its last three quarters around ` … `, since runtimes wrap errors
/// outside-in and the innermost cause is at the end.
pub fn inert_message(s: &str, max: usize) -> Cow<'_, str> {
    let t = inert_with(s, true);
    if t.len() <= max {
        return t;
    }
    let floor = |mut i: usize| {
        while !t.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let head = floor(max / 4);
    let tail = floor(t.len() - (max - max / 4));
    // `tail` on a boundary at or after `head` (max < len).
    let tail = tail.max(head);
    Cow::Owned(format!("{} … {}", &t[..head], &t[tail..]))
}

/// Makes `s` inert in place (no allocation when it already is), cut to
/// `max` characters.
pub fn make_inert_cut(s: &mut String, max: usize) {
    if let Cow::Owned(t) = inert_cut(s, max) {
        *s = t;
    }
}

/// A `serde_json` formatter (compact) that writes DEL, C1, bidi controls
/// and invisible format characters as `\uXXXX` escapes. serde_json already escapes C0; together no
/// raw control reaches the output, and the decoded value is the original.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonFormatter;

impl serde_json::ser::Formatter for JsonFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hostile(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                // A tag character (outside the BMP) is a surrogate pair.
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{:04x}", u)?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as one compact JSON text with [`JsonFormatter`].
pub fn json_to_writer<W: io::Write, T: ?Sized + serde::Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, JsonFormatter);
    value.serialize(&mut ser)
}

/// [`json_to_writer`] into a `String`.
pub fn json_to_string<T: ?Sized + serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    json_to_writer(&mut out, value)?;
    // serde_json writes UTF-8 only, and the escapes are ASCII.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for s in [
            "",
            "Failed to pull image \"nginx:1.25\": dial tcp 10.0.0.1:443: i/o timeout",
            "日本語 — ünïcödé ✓ ␛ already a picture",
            "arabic مرحبا and hebrew שלום without controls",
        ] {
            assert!(matches!(inert(s), Cow::Borrowed(x) if x == s), "{s:?}");
        }
    }

    #[test]
    fn osc_title_and_colour_codes_are_shown_not_run() {
        let hostile = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m \x1b]2;t\x1b\\";
        assert_eq!(inert(hostile), "␛]0;pwned␇␛[31mred␛[0m ␛]2;t␛\\");
    }

    #[test]
    fn osc8_hyperlink_and_dcs_are_shown_not_run() {
        let link = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\";
        assert_eq!(inert(link), "␛]8;;https://evil.example/␛\\click␛]8;;␛\\");
        assert_eq!(inert("\x1bP+q\x1b\\"), "␛P+q␛\\");
    }

    #[test]
    fn newlines_and_other_c0_become_pictures_tab_a_space() {
        assert_eq!(inert("a\nb\r\nc\td\0e\x08"), "a␊b␍␊c d␀e␈");
        assert_eq!(inert("\x7f"), "␡");
    }

    #[test]
    fn c1_controls_are_escaped() {
        assert_eq!(
            inert("x\u{9b}31mz\u{9d}0;t\u{9c}"),
            "x\\u{9b}31mz\\u{9d}0;t\\u{9c}"
        );
        assert_eq!(inert("\u{80}\u{9f}"), "\\u{80}\\u{9f}");
    }

    #[test]
    fn bidi_controls_are_escaped() {
        let s = "admin\u{202e}\u{2066}txt.exe\u{2069}\u{202c}\u{200e}\u{200f}\u{61c}";
        assert_eq!(
            inert(s),
            "admin\\u{202e}\\u{2066}txt.exe\\u{2069}\\u{202c}\\u{200e}\\u{200f}\\u{61c}"
        );
        for c in ['\u{202a}', '\u{202b}', '\u{202d}', '\u{2067}', '\u{2068}'] {
            assert!(!inert(&c.to_string()).contains(c));
        }
    }

    #[test]
    fn invisible_and_format_characters_are_escaped() {
        // A zero-width space inside a keyword, a soft hyphen, joiners, the
        // word joiner and invisible operators, a BOM, the Mongolian vowel
        // separator, line/paragraph separators and tag characters (which
        // spell hidden ASCII): none shows on a terminal, all hide or spoof.
        let s = "unknown\u{200b} authority \u{ad}\u{200c}\u{200d}\u{2060}\u{2064}\u{feff}\u{180e}\
                 \u{2028}\u{2029}\u{e0001}\u{e0041}\u{e007f}";
        assert_eq!(
            inert(s),
            "unknown\\u{200b} authority \\u{ad}\\u{200c}\\u{200d}\\u{2060}\\u{2064}\\u{feff}\\u{180e}\
             \\u{2028}\\u{2029}\\u{e0001}\\u{e0041}\\u{e007f}"
        );
        for c in ['\u{2061}', '\u{2062}', '\u{2063}', '\u{e0020}', '\u{e0060}'] {
            assert!(!inert(&c.to_string()).contains(c), "{c:?}");
            assert!(is_hostile(c), "{c:?}");
        }
        // In a message too, and in JSON (escaped, the value kept: a tag
        // character is outside the BMP, a surrogate pair).
        assert_eq!(inert_message("a\u{200b}b", 100), "a\\u{200b}b");
        let j = json_to_string(&"x\u{200b}\u{e0041}\u{feff}").expect("serialises");
        assert_eq!(j, "\"x\\u200b\\udb40\\udc41\\ufeff\"");
        let back: String = serde_json::from_str(&j).expect("valid JSON");
        assert_eq!(back, "x\u{200b}\u{e0041}\u{feff}");
    }

    #[test]
    fn neighbours_of_the_hostile_ranges_are_kept() {
        // Same lead bytes as the hostile ones (0xC2, 0xD8, 0xE1, 0xE2,
        // 0xEF, 0xF3), printable.
        let s = "\u{a0}\u{a9}\u{ac}\u{ae}\u{61b}\u{61d}\u{180d}\u{1810}\u{200a}\u{2010}\u{2027}\
                 \u{202f}\u{205f}\u{2070}€\u{fefe}\u{ff01}\u{fffd}\u{e0080}\u{e0100}\u{f0000}";
        assert!(matches!(inert(s), Cow::Borrowed(_)));
    }

    #[test]
    fn inert_cut_bounds_characters_with_an_ellipsis() {
        assert_eq!(inert_cut("abcdef", 4), "abc…");
        assert_eq!(inert_cut("abcd", 4), "abcd");
        assert_eq!(inert_cut("ééééé", 3), "éé…");
        assert_eq!(inert_cut("\x1b\x1b\x1b\x1b", 3), "␛␛…");
        assert!(matches!(inert_cut("abc", 3), Cow::Borrowed(_)));
    }

    #[test]
    fn inert_message_keeps_head_and_tail() {
        let long = format!(
            "Failed to pull image \"x\": {} dial tcp 1.2.3.4:443: i/o timeout",
            "y".repeat(10_000)
        );
        let b = inert_message(&long, 400);
        assert!(b.len() <= 400 + " … ".len() + 4, "{}", b.len());
        assert!(b.starts_with("Failed to pull image"));
        assert!(b.ends_with("dial tcp 1.2.3.4:443: i/o timeout"));
        assert!(b.contains(" … "));
        assert!(matches!(inert_message("short", 400), Cow::Borrowed(_)));
        assert_eq!(
            inert_message("errors:\r\ndenied\n\x1b[2J", 400),
            "errors:  denied ␛[2J"
        );
        // Multi-byte text is cut on character boundaries.
        let wide = "é".repeat(1000);
        assert!(inert_message(&wide, 101).len() <= 110);
    }

    #[test]
    fn json_escapes_controls_and_keeps_the_value() {
        let s = "\x1b]0;t\x07 \u{9b}2J \u{202e}x\u{7f}";
        let j = json_to_string(&serde_json::json!({ "m": s })).expect("serialises");
        assert!(!j.chars().any(is_hostile), "{j:?}");
        assert!(j.contains("\\u009b") && j.contains("\\u202e") && j.contains("\\u007f"));
        let back: serde_json::Value = serde_json::from_str(&j).expect("valid JSON");
        assert_eq!(back["m"], s);
    }

    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
            (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
            prop::sample::select(vec![
                '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
                '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            ]),
            prop::sample::select(vec![
                '\u{ad}',
                '\u{180e}',
                '\u{200b}',
                '\u{200c}',
                '\u{200d}',
                '\u{2028}',
                '\u{2029}',
                '\u{2060}',
                '\u{2064}',
                '\u{feff}',
                '\u{e0001}',
                '\u{e0041}',
                '\u{e007f}',
            ]),
        ]
    }

    /// Mostly text around hostile characters, some arbitrary Unicode.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                3 => hostile_char().prop_map(String::from),
                3 => "[a-z0-9 :/\\[\\];\\\\.\"]{0,8}",
                1 => any::<char>().prop_map(String::from),
                1 => Just("\x1b]8;;http://x/\x1b\\".to_string()),
            ],
            0..24,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn output_has_no_control_or_bidi_character(s in text()) {
            let out = inert(&s);
            prop_assert!(!out.chars().any(is_hostile), "{:?}", out);
            prop_assert!(!out.chars().any(char::is_control), "{:?}", out);
        }

        #[test]
        fn inert_is_idempotent(s in text()) {
            let once = inert(&s).into_owned();
            let twice = inert(&once);
            prop_assert!(matches!(twice, Cow::Borrowed(_)));
            prop_assert_eq!(twice.as_ref(), once.as_str());
        }

        #[test]
        fn clean_text_is_the_identity(s in any::<String>()) {
            let s: String = s.chars().filter(|c| !is_hostile(*c)).collect();
            prop_assert!(matches!(inert(&s), Cow::Borrowed(x) if x == s));
        }

        #[test]
        fn inert_cut_is_bounded_and_inert(s in text(), max in 1usize..40) {
            let out = inert_cut(&s, max);
            prop_assert!(out.chars().count() <= max);
            prop_assert!(!out.chars().any(is_hostile));
        }

        #[test]
        fn inert_message_is_bounded_and_inert(s in text(), max in 8usize..64) {
            let out = inert_message(&s, max);
            prop_assert!(out.len() <= max + " … ".len() + 3);
            prop_assert!(!out.chars().any(is_hostile));
        }

        #[test]
        fn json_keeps_the_value_and_has_no_raw_control(s in text()) {
            let j = json_to_string(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!j.chars().any(is_hostile), "{:?}", j);
            let back: String = serde_json::from_str(&j).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, s);
        }
    }
}
