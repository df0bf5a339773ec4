//! Key bindings: what a key means (`Intent`), the default map, key specs as
//! written in the config file (`"ctrl-c"`, `"pgdown"`, `"?"`), and the help
//! entries generated from the map, so rebinding shows up in help.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Screen;

/// What a key means on the home screen (and globally).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    Quit,
    Help,
    Back,
    Palette,
    Resync,
    Filter,
    Group,
    Sort,
    SortReverse,
    Namespace,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected pod's detail.
    Open,
    NextContainer,
    PrevContainer,
    /// `a`: annotate the pod template (presets or free key/value).
    Annotate,
    /// `c`: a pull secret (create, copy or attach).
    Credential,
    /// `i`: change the failing container's image.
    Image,
    /// `k`: rollout restart, or delete the failing pods.
    Kick,
    /// The same annotation for every workload of the row's registry × cause group.
    GroupAnnotate,
    /// The same pull secret for every workload of the row's registry × cause group.
    GroupCredential,
    /// `p`: probe the registry from this machine.
    Probe,
    /// `P`: probe it from the pod's node too (a short-lived pod).
    ProbeNode,
    /// `t`: the timeline of the journal (one lane per registry × cause).
    Timeline,
    /// The timeline: a shorter window.
    ZoomIn,
    /// The timeline: a longer window.
    ZoomOut,
    /// The timeline: the lane's previous marker.
    PrevMarker,
    /// The timeline: the lane's next marker.
    NextMarker,
}

impl Intent {
    pub const ALL: [Intent; 32] = [
        Intent::Quit,
        Intent::Help,
        Intent::Back,
        Intent::Palette,
        Intent::Resync,
        Intent::Filter,
        Intent::Group,
        Intent::Sort,
        Intent::SortReverse,
        Intent::Namespace,
        Intent::Up,
        Intent::Down,
        Intent::PageUp,
        Intent::PageDown,
        Intent::Top,
        Intent::Bottom,
        Intent::Open,
        Intent::NextContainer,
        Intent::PrevContainer,
        Intent::Annotate,
        Intent::Credential,
        Intent::Image,
        Intent::Kick,
        Intent::GroupAnnotate,
        Intent::GroupCredential,
        Intent::Probe,
        Intent::ProbeNode,
        Intent::Timeline,
        Intent::ZoomIn,
        Intent::ZoomOut,
        Intent::PrevMarker,
        Intent::NextMarker,
    ];

    /// The keys that change the cluster (disabled by `--read-only`).
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Intent::Annotate
                | Intent::Credential
                | Intent::Image
                | Intent::Kick
                | Intent::GroupAnnotate
                | Intent::GroupCredential
        )
    }

    /// The intents that mean something on `screen`, in help order.
    pub fn on_screen(screen: Screen) -> &'static [Intent] {
        match screen {
            Screen::Home => &[
                Intent::Open,
                Intent::Probe,
                Intent::ProbeNode,
                Intent::Timeline,
                Intent::Annotate,
                Intent::Credential,
                Intent::Image,
                Intent::Kick,
                Intent::GroupAnnotate,
                Intent::GroupCredential,
                Intent::Filter,
                Intent::Group,
                Intent::Sort,
                Intent::SortReverse,
                Intent::Namespace,
                Intent::Palette,
                Intent::Resync,
                Intent::Up,
                Intent::Down,
                Intent::PageUp,
                Intent::PageDown,
                Intent::Top,
                Intent::Bottom,
                Intent::Back,
                Intent::Help,
                Intent::Quit,
            ],
            Screen::Timeline => &[
                Intent::Back,
                Intent::Up,
                Intent::Down,
                Intent::PrevMarker,
                Intent::NextMarker,
                Intent::ZoomIn,
                Intent::ZoomOut,
                Intent::PageUp,
                Intent::PageDown,
                Intent::Top,
                Intent::Bottom,
                Intent::Help,
                Intent::Quit,
            ],
            Screen::Probe => &[
                Intent::Back,
                Intent::ProbeNode,
                Intent::Up,
                Intent::Down,
                Intent::Help,
                Intent::Quit,
            ],
            Screen::Detail => &[
                Intent::Back,
                Intent::Probe,
                Intent::ProbeNode,
                Intent::Annotate,
                Intent::Credential,
                Intent::Image,
                Intent::Kick,
                Intent::NextContainer,
                Intent::PrevContainer,
                Intent::Up,
                Intent::Down,
                Intent::PageUp,
                Intent::PageDown,
                Intent::Top,
                Intent::Bottom,
                Intent::Resync,
                Intent::Help,
                Intent::Quit,
            ],
        }
    }

    /// One line for the help overlay of `screen`.
    pub fn describe_on(self, screen: Screen) -> &'static str {
        match (screen, self) {
            (Screen::Detail | Screen::Timeline, Intent::Back) => "back to the failing pods",
            (Screen::Timeline, Intent::Up) => "previous lane (also k)",
            (Screen::Timeline, Intent::Down) => "next lane (also j)",
            (Screen::Timeline, Intent::PageUp) => "a page of lanes up",
            (Screen::Timeline, Intent::PageDown) => "a page of lanes down",
            (Screen::Timeline, Intent::Top) => "first lane",
            (Screen::Timeline, Intent::Bottom) => "last lane",
            (Screen::Probe, Intent::Back) => "close the probe (stops it; the probe pod is deleted)",
            (Screen::Probe, Intent::ProbeNode) => {
                "probe from the pod's node too (creates a short-lived pod: preview, y)"
            }
            (Screen::Probe, Intent::Up) => "scroll up",
            (Screen::Probe, Intent::Down) => "scroll down",
            (Screen::Detail, Intent::Resync) => "resync: read this pod's events and secrets again",
            (Screen::Detail, Intent::Up) => "scroll up",
            (Screen::Detail, Intent::Down) => "scroll down",
            (Screen::Detail, Intent::Top) => "scroll to the top",
            (Screen::Detail, Intent::Bottom) => "scroll to the bottom (events)",
            _ => self.describe(),
        }
    }

    /// The name used in `[keys]` of the config file.
    pub fn id(self) -> &'static str {
        match self {
            Intent::Quit => "quit",
            Intent::Help => "help",
            Intent::Back => "back",
            Intent::Palette => "palette",
            Intent::Resync => "resync",
            Intent::Filter => "filter",
            Intent::Group => "group",
            Intent::Sort => "sort",
            Intent::SortReverse => "sort_reverse",
            Intent::Namespace => "namespace",
            Intent::Up => "up",
            Intent::Down => "down",
            Intent::PageUp => "page_up",
            Intent::PageDown => "page_down",
            Intent::Top => "top",
            Intent::Bottom => "bottom",
            Intent::Open => "open",
            Intent::NextContainer => "next_container",
            Intent::PrevContainer => "prev_container",
            Intent::Annotate => "annotate",
            Intent::Credential => "credential",
            Intent::Image => "image",
            Intent::Kick => "kick",
            Intent::GroupAnnotate => "group_annotate",
            Intent::GroupCredential => "group_credential",
            Intent::Probe => "probe",
            Intent::ProbeNode => "probe_node",
            Intent::Timeline => "timeline",
            Intent::ZoomIn => "zoom_in",
            Intent::ZoomOut => "zoom_out",
            Intent::PrevMarker => "prev_marker",
            Intent::NextMarker => "next_marker",
        }
    }

    pub fn from_id(id: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.id() == id)
    }

    /// One line for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Intent::Quit => "quit",
            Intent::Help => "this help",
            Intent::Back => "close overlay / clear filter",
            Intent::Palette => "palette: context or namespace (Tab marks several)",
            Intent::Resync => "resync: re-list from the API server (the row's cluster)",
            Intent::Filter => "filter rows (substring over all columns, live)",
            Intent::Group => "cycle grouping: none/registry/category/namespace/cluster",
            Intent::Sort => "cycle sort column",
            Intent::SortReverse => "reverse sort order",
            Intent::Namespace => "namespace picker",
            Intent::Up => "select previous row",
            Intent::Down => "select next row",
            Intent::PageUp => "page up",
            Intent::PageDown => "page down",
            Intent::Top => "first row",
            Intent::Bottom => "last row",
            Intent::Open => "pod detail: the evidence, events and pull secrets",
            Intent::NextContainer => "next failing container of the pod",
            Intent::PrevContainer => "previous failing container of the pod",
            Intent::Annotate => "annotate the pod template (TLS / HTTP presets, any key)",
            Intent::Credential => "pull secret: create, copy from a namespace, or attach",
            Intent::Image => "change the failing container's image",
            Intent::Kick => "kick: rollout restart, or delete the failing pods",
            Intent::GroupAnnotate => "annotate every workload of this registry × cause",
            Intent::GroupCredential => "one pull secret for every workload of this group",
            Intent::Probe => "probe the registry from this machine, step by step",
            Intent::ProbeNode => "probe from the pod's node too (a short-lived pod)",
            Intent::Timeline => "timeline: failing pods per registry × cause over time",
            Intent::ZoomIn => "zoom in: a shorter window (15 min … 7 d)",
            Intent::ZoomOut => "zoom out: a longer window",
            Intent::PrevMarker => "previous marker of the lane (also h)",
            Intent::NextMarker => "next marker of the lane (also l)",
        }
    }

    /// Short label for the footer hints (only the main ones have one).
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Intent::Open => "detail",
            Intent::Annotate => "annotate",
            Intent::Credential => "secret",
            Intent::Image => "image",
            Intent::Kick => "kick",
            Intent::Probe => "probe",
            Intent::Timeline => "timeline",
            Intent::Filter => "filter",
            Intent::Group => "group",
            Intent::Sort => "sort",
            Intent::Namespace => "namespace",
            Intent::Palette => "palette",
            Intent::Resync => "resync",
            Intent::Help => "help",
            Intent::Quit => "quit",
            _ => return None,
        })
    }
}

/// A key as written in the config file and shown in help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    pub code: KeyCodeSpec,
    pub ctrl: bool,
    pub alt: bool,
}

/// The key codes a binding may use (crossterm's `KeyCode` is not `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeSpec {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl KeySpec {
    pub const fn plain(c: char) -> Self {
        KeySpec {
            code: KeyCodeSpec::Char(c),
            ctrl: false,
            alt: false,
        }
    }
    pub const fn code(code: KeyCodeSpec) -> Self {
        KeySpec {
            code,
            ctrl: false,
            alt: false,
        }
    }
    pub const fn ctrl(c: char) -> Self {
        KeySpec {
            code: KeyCodeSpec::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// Parses `q`, `?`, `ctrl-c`, `alt-x`, `enter`, `esc`, `pgdown`, `f1`, `space`.
    pub fn parse(s: &str) -> Result<KeySpec, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 5 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 4 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeSpec::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCodeSpec::Enter,
                "esc" | "escape" => KeyCodeSpec::Esc,
                "tab" => KeyCodeSpec::Tab,
                "backtab" | "shift-tab" => KeyCodeSpec::BackTab,
                "backspace" => KeyCodeSpec::Backspace,
                "up" => KeyCodeSpec::Up,
                "down" => KeyCodeSpec::Down,
                "left" => KeyCodeSpec::Left,
                "right" => KeyCodeSpec::Right,
                "pgup" | "pageup" => KeyCodeSpec::PageUp,
                "pgdown" | "pagedown" | "pgdn" => KeyCodeSpec::PageDown,
                "home" => KeyCodeSpec::Home,
                "end" => KeyCodeSpec::End,
                "space" => KeyCodeSpec::Char(' '),
                f if f.starts_with('f') && f.len() <= 3 => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCodeSpec::F(n),
                    _ => return Err(format!("unknown key {s:?}")),
                },
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        Ok(KeySpec { code, ctrl, alt })
    }

    /// The spec a terminal key event matches, if it is one a binding can name.
    pub fn from_event(ev: &KeyEvent) -> Option<KeySpec> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeSpec::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => KeyCodeSpec::Enter,
            KeyCode::Esc => KeyCodeSpec::Esc,
            KeyCode::Tab => KeyCodeSpec::Tab,
            KeyCode::BackTab => KeyCodeSpec::BackTab,
            KeyCode::Backspace => KeyCodeSpec::Backspace,
            KeyCode::Up => KeyCodeSpec::Up,
            KeyCode::Down => KeyCodeSpec::Down,
            KeyCode::Left => KeyCodeSpec::Left,
            KeyCode::Right => KeyCodeSpec::Right,
            KeyCode::PageUp => KeyCodeSpec::PageUp,
            KeyCode::PageDown => KeyCodeSpec::PageDown,
            KeyCode::Home => KeyCodeSpec::Home,
            KeyCode::End => KeyCodeSpec::End,
            KeyCode::F(n) => KeyCodeSpec::F(n),
            _ => return None,
        };
        Some(KeySpec { code, ctrl, alt })
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeSpec::Char(' ') => f.write_str("Space"),
            KeyCodeSpec::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCodeSpec::Char(c) => write!(f, "{c}"),
            KeyCodeSpec::Enter => f.write_str("Enter"),
            KeyCodeSpec::Esc => f.write_str("Esc"),
            KeyCodeSpec::Tab => f.write_str("Tab"),
            KeyCodeSpec::BackTab => f.write_str("Shift-Tab"),
            KeyCodeSpec::Backspace => f.write_str("Backspace"),
            KeyCodeSpec::Up => f.write_str("↑"),
            KeyCodeSpec::Down => f.write_str("↓"),
            KeyCodeSpec::Left => f.write_str("←"),
            KeyCodeSpec::Right => f.write_str("→"),
            KeyCodeSpec::PageUp => f.write_str("PgUp"),
            KeyCodeSpec::PageDown => f.write_str("PgDn"),
            KeyCodeSpec::Home => f.write_str("Home"),
            KeyCodeSpec::End => f.write_str("End"),
            KeyCodeSpec::F(n) => write!(f, "F{n}"),
        }
    }
}

/// Intent → keys. Lookups go key → intent through `resolve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Intent, Vec<KeySpec>>,
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCodeSpec as K;
        let c = KeySpec::code;
        let p = KeySpec::plain;
        let defaults: [(Intent, Vec<KeySpec>); 32] = [
            (Intent::Quit, vec![p('q'), KeySpec::ctrl('c')]),
            (Intent::Help, vec![p('?')]),
            (Intent::Back, vec![c(K::Esc)]),
            (Intent::Palette, vec![p(':')]),
            (Intent::Resync, vec![p('r')]),
            (Intent::Filter, vec![p('/')]),
            (Intent::Group, vec![p('g')]),
            (Intent::Sort, vec![p('s')]),
            (Intent::SortReverse, vec![p('S')]),
            (Intent::Namespace, vec![p('n')]),
            (Intent::Up, vec![c(K::Up)]),
            (Intent::Down, vec![c(K::Down)]),
            (Intent::PageUp, vec![c(K::PageUp)]),
            (Intent::PageDown, vec![c(K::PageDown)]),
            (Intent::Top, vec![c(K::Home)]),
            (Intent::Bottom, vec![c(K::End), p('G')]),
            (Intent::Open, vec![c(K::Enter)]),
            (Intent::NextContainer, vec![c(K::Tab)]),
            (Intent::PrevContainer, vec![c(K::BackTab)]),
            (Intent::Annotate, vec![p('a')]),
            (Intent::Credential, vec![p('c')]),
            (Intent::Image, vec![p('i')]),
            (Intent::Kick, vec![p('k')]),
            (Intent::GroupAnnotate, vec![p('A')]),
            (Intent::GroupCredential, vec![p('C')]),
            (Intent::Probe, vec![p('p')]),
            (Intent::ProbeNode, vec![p('P')]),
            (Intent::Timeline, vec![p('t')]),
            (Intent::ZoomIn, vec![p('+'), p('=')]),
            (Intent::ZoomOut, vec![p('-')]),
            (Intent::PrevMarker, vec![c(K::Left)]),
            (Intent::NextMarker, vec![c(K::Right)]),
        ];
        Keymap {
            bindings: defaults.into_iter().collect(),
        }
    }
}

impl Keymap {
    /// Replaces the keys of `intent`. A key bound elsewhere is taken away
    /// from the other intent, so one key never means two things.
    pub fn bind(&mut self, intent: Intent, keys: Vec<KeySpec>) {
        for (other, ks) in self.bindings.iter_mut() {
            if *other != intent {
                ks.retain(|k| !keys.contains(k));
            }
        }
        self.bindings.insert(intent, keys);
    }

    pub fn keys(&self, intent: Intent) -> &[KeySpec] {
        self.bindings.get(&intent).map_or(&[], Vec::as_slice)
    }

    pub fn resolve(&self, ev: &KeyEvent) -> Option<Intent> {
        let spec = KeySpec::from_event(ev)?;
        // Shift is implied by the character itself (`?`, `G`), so match the
        // spec without caring about the SHIFT modifier.
        self.bindings
            .iter()
            .find(|(_, ks)| ks.contains(&spec))
            .map(|(i, _)| *i)
    }

    /// `q/Ctrl-C`: the keys of an intent for help and hints.
    pub fn label(&self, intent: Intent) -> String {
        let ks = self.keys(intent);
        if ks.is_empty() {
            return "(unbound)".into();
        }
        ks.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key of an intent, for the footer.
    pub fn first(&self, intent: Intent) -> Option<KeySpec> {
        self.keys(intent).first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(KeySpec::parse("q"), Ok(KeySpec::plain('q')));
        assert_eq!(KeySpec::parse("ctrl-c"), Ok(KeySpec::ctrl('c')));
        assert_eq!(KeySpec::parse("Ctrl-C"), Ok(KeySpec::ctrl('c')));
        assert_eq!(
            KeySpec::parse("pgdown"),
            Ok(KeySpec::code(KeyCodeSpec::PageDown))
        );
        assert_eq!(KeySpec::parse("f5"), Ok(KeySpec::code(KeyCodeSpec::F(5))));
        assert_eq!(KeySpec::parse("-"), Ok(KeySpec::plain('-')));
        assert!(KeySpec::parse("hyper-x").is_err());
        assert!(KeySpec::parse("f99").is_err());
    }

    #[test]
    fn rebinding_moves_a_key() {
        let mut km = Keymap::default();
        km.bind(Intent::Resync, vec![KeySpec::plain('g')]);
        let g = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE);
        assert_eq!(km.resolve(&g), Some(Intent::Resync));
        assert!(km.keys(Intent::Group).is_empty());
    }

    #[test]
    fn shifted_characters_resolve() {
        let km = Keymap::default();
        let q = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(km.resolve(&q), Some(Intent::Help));
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.resolve(&cc), Some(Intent::Quit));
    }
}
