//! Colours, and how the UI still reads without them: every state also has
//! its own text (`ok`, `FAIL`, `wait`) and a modifier (bold, reversed), so
//! a monochrome terminal or `NO_COLOR` (https://no-color.org) loses nothing.

use ratatui::style::{Color, Modifier, Style};

use super::model::Badge;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn badge(&self, b: Badge) -> Style {
        match b {
            Badge::Ok => self.fg(Color::Green),
            Badge::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Badge::Wait => self.fg(Color::Yellow).add_modifier(Modifier::ITALIC),
            Badge::Absent => self.dim(),
        }
    }

    pub fn failed(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn waiting(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The row or event under the cursor.
    pub fn cursor(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// Calls chosen with Space.
    pub fn chosen(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// An arrow of the ladder by protocol.
    pub fn protocol(&self, p: &str) -> Style {
        self.fg(match p {
            "SIP" => Color::Green,
            "STUN" => Color::Cyan,
            "TURN" => Color::Blue,
            "DTLS" => Color::Magenta,
            "RTP" => Color::Yellow,
            "TCP" | "TLS" => Color::White,
            "ICMP" => Color::Red,
            _ => Color::Reset,
        })
    }
}
