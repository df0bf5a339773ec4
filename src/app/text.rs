//! Text laid out to a terminal width, for every screen: the detail's
//! document (segments tagged with how they are shown), the fix overlay and
//! the toasts (segments with a ratatui style). One [`wrap`] and one
//! [`truncate`]; both measure display columns (a CJK character takes two)
//! and make control characters inert first.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::domain::classify::Category;
use crate::domain::inert::inert;

/// How a piece of text is shown; `ui::detail` maps tags to styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tag {
    #[default]
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

/// A piece of text and how it is shown: a [`Tag`] in documents, a style
/// (`S`) where the caller draws directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg<S = Tag> {
    pub text: String,
    pub tag: S,
}

pub fn seg<S>(text: impl Into<String>, tag: S) -> Seg<S> {
    Seg {
        text: text.into(),
        tag,
    }
}

pub type DocLine = Vec<Seg>;

/// Width of the section label column (` SECRETS  `).
pub const LABEL_W: usize = 10;

/// Terminal-safe text: control, C1 and bidi characters (escape sequences,
/// newlines from the cluster) become visible placeholders
/// (`domain::inert`). Facts are inert already; this is the last guard for
/// whatever else a screen shows (secret hosts and usernames, API errors).
fn clean(s: &str) -> Cow<'_, str> {
    inert(s)
}

/// Where [`wrap`] may break a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaks {
    /// Between words. A word that does not fit moves to the next line when
    /// it fits there whole; a longer one is cut, starting where the line
    /// stands. Lines lose their trailing spaces (the documents).
    Words,
    /// Between words, as [`Breaks::Words`], except that a word that does
    /// not fit always starts the next line, and is cut there when longer
    /// than a line (a long URL or image starts at the margin), and no
    /// continuation line starts with spaces (messages in the toasts and
    /// the form).
    WordsFromMargin,
    /// At any character, every space kept: what is selected across the
    /// lines is the text as given (the preview's diff and commands).
    Anywhere,
}

/// How [`wrap`] lays text out: where lines break, and how many spaces
/// start each continuation line (none when that would leave fewer than 8
/// columns of text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub breaks: Breaks,
    pub indent: usize,
}

impl Flow {
    pub fn words(indent: usize) -> Flow {
        Flow {
            breaks: Breaks::Words,
            indent,
        }
    }

    pub fn words_from_margin(indent: usize) -> Flow {
        Flow {
            breaks: Breaks::WordsFromMargin,
            indent,
        }
    }

    pub fn anywhere(indent: usize) -> Flow {
        Flow {
            breaks: Breaks::Anywhere,
            indent,
        }
    }
}

/// Lays `segs` out in lines of `width` columns, made inert ([`clean`]):
/// the first line starts with `first`, the next ones with the flow's
/// indent (in the default style). Neighbouring pieces of one style are
/// joined. Text that is empty gives one line, `first` alone.
pub fn wrap<S: Copy + PartialEq + Default>(
    first: Vec<Seg<S>>,
    segs: Vec<Seg<S>>,
    flow: Flow,
    width: usize,
) -> Vec<Vec<Seg<S>>> {
    let indent = if flow.indent + 8 > width {
        0
    } else {
        flow.indent
    };
    let mut out = Lines::new(first, indent, flow.breaks != Breaks::Anywhere);
    for s in segs {
        let text = clean(&s.text);
        match flow.breaks {
            Breaks::Words | Breaks::WordsFromMargin => {
                for word in text.split_inclusive(' ') {
                    out.place_word(word, s.tag, flow.breaks, width);
                }
            }
            Breaks::Anywhere => {
                for (i, ch) in text.char_indices() {
                    let w = ch.width().unwrap_or(0);
                    out.place_char(&text[i..i + ch.len_utf8()], w, s.tag, width);
                }
            }
        }
    }
    out.done()
}

/// The lines [`wrap`] has laid out so far, and the one it is filling.
struct Lines<S> {
    lines: Vec<Vec<Seg<S>>>,
    line: Vec<Seg<S>>,
    /// Columns used on `line`.
    used: usize,
    /// Columns `line` started with (its first-line prefix or indent).
    start: usize,
    indent: usize,
    /// Whether finished lines lose their trailing spaces.
    trim: bool,
}

impl<S: Copy + PartialEq + Default> Lines<S> {
    fn new(first: Vec<Seg<S>>, indent: usize, trim: bool) -> Self {
        let used = first.iter().map(|s| s.text.width()).sum();
        Lines {
            lines: Vec::new(),
            line: first,
            used,
            start: used,
            indent,
            trim,
        }
    }

    fn push(&mut self, text: &str, tag: S) {
        if text.is_empty() {
            return;
        }
        match self.line.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(text),
            _ => self.line.push(seg(text, tag)),
        }
    }

    /// Ends the line and starts the next at the indent.
    fn newline(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.lines.push(self.finish(line));
        if self.indent > 0 {
            self.line.push(seg(" ".repeat(self.indent), S::default()));
        }
        self.used = self.indent;
        self.start = self.indent;
    }

    /// Places one word (with its trailing space, which may hang past the
    /// width).
    fn place_word(&mut self, mut word: &str, tag: S, breaks: Breaks, width: usize) {
        loop {
            let continued = !self.lines.is_empty() && self.used == self.start;
            if breaks == Breaks::WordsFromMargin && continued && word.trim_matches(' ').is_empty() {
                return;
            }
            let w = word.width();
            let w_bare = word.trim_end_matches(' ').width();
            if self.used + w_bare <= width {
                self.push(word, tag);
                self.used += w;
                return;
            }
            let to_next =
                breaks == Breaks::WordsFromMargin || w_bare <= width.saturating_sub(self.indent);
            if self.used > self.start && to_next {
                self.newline();
                continue;
            }
            // Longer than a line: cut it.
            let cut = prefix_len(word, width.saturating_sub(self.used).max(1));
            self.push(&word[..cut], tag);
            word = &word[cut..];
            self.newline();
            if word.is_empty() {
                return;
            }
        }
    }

    /// Places one character (`ch`, as text, `w` columns wide) for
    /// [`Breaks::Anywhere`].
    fn place_char(&mut self, ch: &str, w: usize, tag: S, width: usize) {
        if self.used + w > width && self.used > self.start {
            self.newline();
        }
        self.push(ch, tag);
        self.used += w;
    }

    fn done(mut self) -> Vec<Vec<Seg<S>>> {
        let keep = !self.trim
            || self.lines.is_empty()
            || self.line.iter().any(|s| !s.text.trim().is_empty());
        if keep {
            let line = std::mem::take(&mut self.line);
            let line = self.finish(line);
            self.lines.push(line);
        }
        self.lines
    }

    /// A finished line loses its trailing spaces (and segments left empty)
    /// when the flow trims.
    fn finish(&self, mut line: Vec<Seg<S>>) -> Vec<Seg<S>> {
        if !self.trim {
            return line;
        }
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
}

/// The byte length of `s`'s longest start of at most `width` columns, and
/// at least its first character.
fn prefix_len(s: &str, width: usize) -> usize {
    let cut = clip(s, width).len();
    if cut == 0 {
        s.chars().next().map_or(s.len(), char::len_utf8)
    } else {
        cut
    }
}

/// The longest start of `s` that takes at most `width` columns.
pub fn clip(s: &str, width: usize) -> &str {
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            return &s[..i];
        }
        used += w;
    }
    s
}

/// `s` made inert and cut to `width` columns, with `…` when it was longer.
pub fn truncate(s: &str, width: usize) -> String {
    let s = &*clean(s);
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    format!("{}…", clip(s, width - 1))
}

/// `s` made inert and cut to `width` columns in the middle:
/// `worker-7b8…-n6m4x`. Text with wide characters is cut at the end.
pub fn truncate_middle(s: &str, width: usize) -> String {
    let s = &*clean(s);
    if s.width() <= width || width < 5 {
        return truncate(s, width);
    }
    let chars: Vec<char> = s.chars().collect();
    let keep = width - 1;
    let tail = keep / 2;
    let head = keep - tail;
    // Pod names are ASCII; for wide characters fall back to the end cut.
    if chars.len() != s.width() {
        return truncate(s, width);
    }
    let h: String = chars[..head].iter().collect();
    let t: String = chars[chars.len() - tail..].iter().collect();
    format!("{h}…{t}")
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
            Flow::words(10),
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
            Flow::words(0),
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
            Flow::words(0),
            40,
        );
        assert_eq!(text(&l), vec!["a␛[2Jb␊c\\u{202e}"]);
    }

    fn plain<S>(lines: &[Vec<Seg<S>>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_message_starts_a_long_word_at_the_margin_and_drops_the_spaces_at_a_break() {
        let l = wrap(
            vec![],
            vec![seg("✕ denied:  https://reg.example/v2/app/manifests/1", ())],
            Flow::words_from_margin(0),
            20,
        );
        assert_eq!(
            plain(&l),
            vec!["✕ denied:", "https://reg.example/", "v2/app/manifests/1"]
        );
    }

    #[test]
    fn anywhere_keeps_every_space_and_indents_continuations() {
        let l = wrap(
            vec![],
            vec![seg("kubectl  annotate pod/web a=b", Tag::Plain)],
            Flow::anywhere(4),
            18,
        );
        assert_eq!(plain(&l), vec!["kubectl  annotate ", "    pod/web a=b"]);
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let l = wrap(vec![], vec![seg("中文中文中文", ())], Flow::words(0), 9);
        assert_eq!(plain(&l), vec!["中文中文", "中文"]);
        assert_eq!(truncate("中文中文", 5), "中文…");
        assert_eq!(clip("中文中文", 5), "中文");
    }

    #[test]
    fn truncate_makes_text_inert_and_marks_the_cut() {
        assert_eq!(truncate("a\u{1b}[2Jb", 20), "a␛[2Jb");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcdef", 0), "");
        assert_eq!(truncate_middle("worker-7b8d9c-n6m4x", 11), "worke…n6m4x");
    }
}
