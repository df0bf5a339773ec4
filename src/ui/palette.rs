//! The palette (`:`, contexts and namespaces) and the namespace picker (`n`):
//! an input line over a filtered list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Theme, centered};
use crate::app::Picker;
use crate::app::text::truncate;

pub fn render(p: &Picker, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = area.width.saturating_sub(4).min(60);
    let list_h = area.height.saturating_sub(6).clamp(1, 14) as usize;
    let visible = p.visible();
    let h = (visible.len().clamp(1, list_h) + 4) as u16;
    let r = centered(area, w, h);
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme.key()),
            Span::raw(p.input.clone()),
            Span::styled("▏", theme.key()),
        ]),
        Line::from(Span::styled("─".repeat(inner_w), theme.dim())),
    ];
    // Keep the selection in view.
    let start = p.selected.saturating_sub(list_h.saturating_sub(1));
    for (i, item) in visible.iter().enumerate().skip(start).take(list_h) {
        let text = format!(
            " {:<w$}",
            truncate(&item.label(), inner_w - 1),
            w = inner_w - 1
        );
        let style = if i == p.selected {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    if visible.is_empty() {
        lines.push(Line::from(Span::styled(" no match", theme.dim())));
    }
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" {} — Enter choose, Esc close ", p.title))),
        r,
    );
}
