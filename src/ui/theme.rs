//! Colours and text styles. Only the terminal's own ANSI palette (never RGB,
//! never a fixed background), so each terminal theme keeps them readable on
//! dark and light backgrounds; emphasis that must survive without colour
//! (`NO_COLOR`) is carried by bold / reverse / underline.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::classify::Category;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub colour: bool,
}

impl Theme {
    /// Colour unless `no_color` (the CLI reads `NO_COLOR`: the UI reads no environment).
    pub const fn new(no_color: bool) -> Self {
        Theme { colour: !no_color }
    }

    pub const fn plain() -> Self {
        Theme { colour: false }
    }

    pub const fn coloured() -> Self {
        Theme { colour: true }
    }

    fn fg(&self, c: Color) -> Style {
        if self.colour {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The status bar: reverse video reads on any background.
    pub fn bar(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn group(&self) -> Style {
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.colour {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new()
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    pub fn reason(&self) -> Style {
        self.fg(Color::Red)
    }

    /// Category colours by family.
    pub fn category(&self, c: Category) -> Style {
        let colour = match c.family() {
            "network" => Color::Yellow,
            "tls" | "protocol" => Color::Magenta,
            "auth" | "credentials" => Color::Red,
            "image" | "policy" => Color::Cyan,
            "registry" | "node" => Color::Blue,
            _ => return Style::new(),
        };
        self.fg(colour).add_modifier(Modifier::BOLD)
    }
}
