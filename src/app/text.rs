//! Tagged text for document-like screens: segments with a style tag,
//! wrapped to a width, control characters made inert, cut with an ellipsis.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::domain::classify::Category;

/// How a piece of text is shown; `ui::detail` maps tags to styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Plain,
    Dim,
    Title,
    /// Section labels (`IMAGE`, `ERROR`, ...) and table headers.
    Label,
    Good,
    Bad,
    Unsure,
    /// A category id.
    Category(Category),
    /// The innermost cause, highlighted inside the message.
    Cause(Category),
    /// A waiting reason.
    Reason,
    /// `Warning` events.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    pub text: String,
    pub tag: Tag,
}

pub fn seg(text: impl Into<String>, tag: Tag) -> Seg {
    Seg {
        text: text.into(),
        tag,
    }
}

pub type DocLine = Vec<Seg>;

/// Terminal-safe text: control, C1 and bidi characters (escape sequences,
/// newlines from the cluster) become visible placeholders
/// (`domain::inert`). Facts are inert already; this is the last guard for
/// whatever else a document shows (secret hosts and usernames, API errors).
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    crate::domain::inert::inert(s)
}

/// Lays `segs` out in lines of `width` columns: the first line starts with
/// `first`, the next ones with `indent` spaces. Words move to the next line
/// whole when they fit there; longer ones are cut.
pub fn wrap(first: Vec<Seg>, segs: Vec<Seg>, indent: usize, width: usize) -> Vec<DocLine> {
    let indent = if indent + 8 > width { 0 } else { indent };
    let mut lines: Vec<DocLine> = Vec::new();
    let mut used: usize = first.iter().map(|s| s.text.width()).sum();
    let mut line: DocLine = first;
    let mut start = used;
    let push = |line: &mut DocLine, text: &str, tag: Tag| {
        if text.is_empty() {
            return;
        }
        match line.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(text),
            _ => line.push(seg(text, tag)),
        }
    };
    for s in segs {
        let text = clean(&s.text);
        for word in text.split_inclusive(' ') {
            let mut word: &str = word;
            loop {
                let w = word.width();
                let w_bare = word.trim_end_matches(' ').width();
                if used + w_bare <= width {
                    push(&mut line, word, s.tag);
                    used += w;
                    break;
                }
                if used > start && w_bare <= width.saturating_sub(indent) {
                    lines.push(finish(std::mem::take(&mut line)));
                    if indent > 0 {
                        line.push(seg(" ".repeat(indent), Tag::Plain));
                    }
                    used = indent;
                    start = indent;
                    continue;
                }
                // Longer than a line: cut it.
                let room = width.saturating_sub(used).max(1);
                let mut cut = 0;
                let mut cw = 0;
                for (i, ch) in word.char_indices() {
                    let chw = ch.width().unwrap_or(0);
                    if cw + chw > room {
                        break;
                    }
                    cw += chw;
                    cut = i + ch.len_utf8();
                }
                if cut == 0 {
                    cut = word.chars().next().map_or(word.len(), char::len_utf8);
                }
                push(&mut line, &word[..cut], s.tag);
                word = &word[cut..];
                lines.push(finish(std::mem::take(&mut line)));
                if indent > 0 {
                    line.push(seg(" ".repeat(indent), Tag::Plain));
                }
                used = indent;
                start = indent;
                if word.is_empty() {
                    break;
                }
            }
        }
    }
    if line.iter().any(|s| !s.text.trim().is_empty()) || lines.is_empty() {
        lines.push(finish(line));
    }
    lines
}

/// A finished line loses its trailing spaces (and segments left empty).
fn finish(mut line: DocLine) -> DocLine {
    loop {
        let n = line.len();
        let Some(last) = line.last_mut() else { break };
        let trimmed = last.text.trim_end_matches(' ').len();
        if trimmed == 0 && n > 1 {
            line.pop();
            continue;
        }
        last.text.truncate(trimmed);
        break;
    }
    line
}

/// Width of the section label column (` SECRETS  `).
pub const LABEL_W: usize = 10;

/// `s` cut to `width` columns, with `…` when longer.
pub fn cut(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[DocLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn wrap_keeps_words_and_indent() {
        let l = wrap(
            vec![seg(" ERROR    ", Tag::Label)],
            vec![seg("alpha beta gamma delta", Tag::Plain)],
            10,
            22,
        );
        assert_eq!(
            text(&l),
            vec![" ERROR    alpha beta", "          gamma delta"]
        );
    }

    #[test]
    fn wrap_cuts_long_words_and_keeps_tags() {
        let l = wrap(
            vec![],
            vec![
                seg("ab ", Tag::Plain),
                seg("0123456789abcdef", Tag::Cause(Category::Unknown)),
            ],
            0,
            10,
        );
        assert_eq!(text(&l), vec!["ab 0123456", "789abcdef"]);
        assert!(l[1].iter().all(|s| s.tag == Tag::Cause(Category::Unknown)));
    }

    #[test]
    fn wrap_shows_control_characters_inert() {
        let l = wrap(
            vec![],
            vec![seg("a\u{1b}[2Jb\nc\u{202e}", Tag::Plain)],
            0,
            40,
        );
        assert_eq!(text(&l), vec!["a␛[2Jb␊c\\u{202e}"]);
    }
}
