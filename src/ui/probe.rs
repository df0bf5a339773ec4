//! The probe pane: this machine's steps and the node's side by side, each
//! with its status, latency and detail, then the verdicts and what the
//! difference means. Renders a `domain::probe::ProbeView`; no state here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::domain::probe::{ProbeView, Status, StepResult};

fn status_style(theme: &Theme, s: &StepResult) -> Style {
    match s.status {
        Status::Ok => theme.ok(),
        Status::Fail => s.category.map_or(theme.error(), |c| theme.category(c)),
        Status::Skipped => theme.dim(),
    }
}

fn step_lines(theme: &Theme, steps: &[StepResult]) -> Vec<Line<'static>> {
    steps
        .iter()
        .map(|s| {
            let ms = if s.status == Status::Skipped {
                "-".to_string()
            } else {
                format!("{} ms", s.ms)
            };
            Line::from(vec![
                Span::styled(format!("{:<9}", s.step.id()), theme.title()),
                Span::styled(format!("{:<8}", s.status.id()), status_style(theme, s)),
                Span::styled(format!("{ms:>8}  "), theme.dim()),
                Span::raw(s.detail.clone()),
            ])
        })
        .collect()
}

fn side(
    theme: &Theme,
    title: String,
    steps: &[StepResult],
    notes: &[String],
    verdict: Option<(String, String)>,
    running: bool,
) -> Paragraph<'static> {
    let mut lines = step_lines(theme, steps);
    for n in notes {
        lines.push(Line::styled(format!("note: {n}"), theme.warning()));
    }
    if running {
        lines.push(Line::styled("… running", theme.dim()));
    }
    if let Some((id, summary)) = verdict {
        lines.push(Line::from(""));
        let style = if id == "ok" {
            theme.ok()
        } else {
            theme.error()
        };
        lines.push(Line::from(vec![
            Span::styled("verdict ", theme.title()),
            Span::styled(id, style),
            Span::raw(format!("  {summary}")),
        ]));
    }
    Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.title())),
    )
}

/// Draws the pane into `area`: two columns when the node side exists.
pub fn render(view: &ProbeView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let findings = view.findings();
    let [top, bottom] = area.layout(&Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(findings.len() as u16 + if findings.is_empty() { 0 } else { 2 }),
    ]));
    let laptop = side(
        theme,
        format!(" this machine → {} ", view.image),
        &view.laptop,
        &[],
        view.laptop_done.as_ref().map(|r| {
            let v = r.verdict();
            (v.id().to_string(), v.summary)
        }),
        view.laptop_done.is_none(),
    );
    match &view.node {
        Some(node) => {
            let [l, r] = top.layout(&Layout::horizontal([
                Constraint::Percentage(50),
                Constraint::Percentage(50),
            ]));
            frame.render_widget(laptop, l);
            let p = side(
                theme,
                format!(" node {node} "),
                &view.node_steps,
                &view.node_notes,
                view.node_done.as_ref().map(|r| {
                    let v = r.verdict();
                    (v.id().to_string(), v.summary)
                }),
                view.node_done.is_none(),
            );
            frame.render_widget(p, r);
        }
        None => frame.render_widget(laptop, top),
    }
    if !findings.is_empty() {
        let lines: Vec<Line> = findings
            .into_iter()
            .map(|f| Line::styled(f, theme.warning()))
            .collect();
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(" what it means ", theme.title())),
            ),
            bottom,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classify::Category;
    use crate::domain::image::ImageRef;
    use crate::domain::probe::{ProbeReport, Side, Step};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(view: &ProbeView, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| render(view, &Theme::plain(), f, f.area()))
            .expect("draw");
        let buf = t.backend().buffer().clone();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_pane_shows_both_sides_and_the_difference() {
        let img = ImageRef::parse("reg.example.com/team/app:1.0").expect("image");
        let mut v = ProbeView::new(&img);
        let mut laptop = ProbeReport::new(Side::Laptop, &img);
        laptop.steps = vec![
            StepResult::ok(Step::Tcp, 12, "connected"),
            StepResult::ok(Step::Tls, 30, "verified"),
        ];
        v.laptop_finished(laptop);
        v.node_started("n1");
        v.node_step(StepResult::ok(Step::Tcp, 3, "connected"));
        let running = screen(&v, 120, 12);
        assert!(running.contains("node n1"), "{running}");
        assert!(running.contains("… running"), "{running}");
        let mut node = ProbeReport::new(Side::Node("n1".into()), &img);
        node.steps = vec![
            StepResult::ok(Step::Tcp, 3, "connected"),
            StepResult::fail(Step::Tls, 5, Category::TlsUntrusted, "unknown authority"),
        ];
        v.node_finished(node);
        let done = screen(&v, 120, 14);
        assert!(
            done.contains("tls      fail        5 ms  unknown authority"),
            "{done}"
        );
        assert!(done.contains("verdict tls.untrusted"), "{done}");
        assert!(done.contains("node-ca:"), "{done}");
    }
}
