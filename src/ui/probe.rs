//! The probe pane: this machine's steps and the node's side by side, each
//! with its status, latency and detail, then the verdicts and what the
//! difference means. Renders a `domain::probe::ProbeView`; no state here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::app::probe::Progress;
use crate::app::text::truncate;
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
                Span::raw(crate::domain::inert::inert(&s.detail).into_owned()),
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
    running: Option<String>,
) -> Paragraph<'static> {
    let mut lines = step_lines(theme, steps);
    for n in notes {
        lines.push(Line::styled(
            format!("note: {}", crate::domain::inert::inert(n)),
            theme.warning(),
        ));
    }
    if let Some(r) = running {
        lines.push(Line::styled(r, theme.dim()));
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
            Span::raw(format!("  {}", crate::domain::inert::inert(&summary))),
        ]));
    }
    Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.title())),
    )
}

/// Draws the pane into `area`: two columns when the node side exists; a
/// side still running says "… running".
pub fn render(view: &ProbeView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let running = Progress {
        laptop: view.laptop_running().then(|| "… running".to_string()),
        node: view.node_done.is_none().then(|| "… running".to_string()),
    };
    render_progress(view, &running, theme, frame, area);
}

/// `render`, each running side naming its step in progress and for how
/// long ("dns … 2.1 s").
pub fn render_progress(
    view: &ProbeView,
    progress: &Progress,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let findings = view.findings();
    let [top, bottom] = area.layout(&Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(findings.len() as u16 + if findings.is_empty() { 0 } else { 2 }),
    ]));
    let laptop = side(
        theme,
        format!(" this machine → {} ", view.image),
        &view.laptop,
        &view.laptop_notes,
        view.laptop_done.as_ref().map(|r| {
            let v = r.verdict();
            (v.id().to_string(), v.summary)
        }),
        progress.laptop.clone(),
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
                progress.node.clone(),
            );
            frame.render_widget(p, r);
        }
        None => frame.render_widget(laptop, top),
    }
    if !findings.is_empty() {
        let lines: Vec<Line> = findings
            .into_iter()
            .map(|f| {
                Line::styled(
                    crate::domain::inert::inert(&f).into_owned(),
                    theme.warning(),
                )
            })
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

/// The probe screen: status bar, the pane, the node's state, the footer
/// (the probe pod's preview is drawn over it by the confirmation overlay).
pub fn render_screen(model: &crate::app::Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    use crate::app::probe::NodeStage;
    let Some(p) = &model.probe else {
        return;
    };
    let [status, body, state, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ]));
    super::statusbar::render_status(model, theme, frame, status);
    render_progress(&p.view, &p.progress(model.now), theme, frame, body);
    let node_line = match &p.node_stage {
        NodeStage::Idle => match &p.node {
            Some(n) => format!(
                " P: probe from node {n} too (creates a short-lived pod in pulltui's probe \
                 namespace; the preview names it)"
            ),
            None => " the pod is not scheduled on a node: no node probe".to_string(),
        },
        NodeStage::Preparing => " building the probe pod…".to_string(),
        NodeStage::Confirming => {
            " the probe pod's preview is open: y creates it, Esc does not".to_string()
        }
        NodeStage::Running => {
            " probing from the node… (Esc stops it and deletes the pod)".to_string()
        }
        NodeStage::Done => " node probe done; its pod is deleted".to_string(),
        NodeStage::Recorded => {
            " node probe as recorded with the snapshot; nothing was created".to_string()
        }
        NodeStage::Refused(why) => format!(" node probe: {why}"),
    };
    let style = match &p.node_stage {
        NodeStage::Refused(_) => theme.warning(),
        _ => theme.dim(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(&node_line, state.width as usize),
            style,
        )),
        state,
    );
    let keys = format!(
        " {} close   {} node probe   {} help   {} quit   pod {} ({})",
        model.keymap.label(crate::app::keymap::Intent::Back),
        model.keymap.label(crate::app::keymap::Intent::ProbeNode),
        model.keymap.label(crate::app::keymap::Intent::Help),
        model.keymap.label(crate::app::keymap::Intent::Quit),
        p.pod,
        p.container
    );
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(&keys, footer.width as usize),
            theme.dim(),
        )),
        footer,
    );
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
