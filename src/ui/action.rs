//! The fix overlay (form, preview to confirm, waiting) and the toasts.
//! A password field is drawn masked (ratatui-textarea's mask character when
//! focused, bullets otherwise); its text is never put in a cell.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Theme, centered, wrap_lines};
use crate::app::Model;
use crate::app::action::{
    Action, Field, Form, Kind, Level, Offers, PRESET_CUSTOM, Row, Stage, attach_label,
};
use crate::app::text::{Flow, truncate};
use crate::domain::classify::Category;
use crate::domain::inert::inert;
use crate::domain::mutation::{FixId, Preview};

const LABEL_W: usize = 12;

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(a) = &model.actions.current else {
        return;
    };
    match &a.stage {
        Stage::Form(form) => render_form(model, a, form, theme, frame, area),
        Stage::Confirm { .. } => render_confirm(model, a, theme, frame, area),
        Stage::Preparing | Stage::Applying => {
            let text = if a.stage == Stage::Preparing {
                "reading the objects for the preview… (Esc cancels)"
            } else if model.actions.dry_run {
                "sending with dryRun=All…"
            } else {
                "applying…"
            };
            let w = (text.width() as u16 + 4).min(area.width);
            let r = centered(area, w, 3);
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(Line::from(Span::raw(text)))
                    .block(Block::bordered().title(format!(" {} ", a.kind.title()))),
                r,
            );
        }
    }
}

/// The preview to confirm, scrolled, with the keys and the mode (replay,
/// dry run) in the border.
fn render_confirm(model: &Model, a: &Action, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Stage::Confirm {
        preview,
        live,
        scroll,
    } = &a.stage
    else {
        return;
    };
    let w = area.width.saturating_sub(4).max(20);
    let inner_w = w.saturating_sub(2) as usize;
    let wrapped = preview_lines(preview, theme, inner_w.max(10));
    let body_h = area.height.saturating_sub(4).max(3) as usize;
    let max_scroll = wrapped.len().saturating_sub(body_h);
    let top = (*scroll).min(max_scroll);
    let shown: Vec<Line> = wrapped.into_iter().skip(top).take(body_h).collect();
    let h = (shown.len() as u16 + 3).min(area.height);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let probe_pod = matches!(a.kind, Kind::ProbePod(_));
    let mode = if !*live {
        " REPLAY: y closes, nothing is sent "
    } else if model.actions.dry_run && probe_pod {
        " DRY RUN: the probe pod is not created "
    } else if model.actions.dry_run {
        " DRY RUN: y sends with dryRun=All "
    } else {
        ""
    };
    let title = format!(" {} — {} ", a.kind.title(), a.subject.label());
    let more = if max_scroll > top { " ↓ more" } else { "" };
    let footer = Line::from(vec![
        Span::styled(" y ", theme.key()),
        Span::raw(match (*live, probe_pod) {
            (false, _) => "close  ",
            (true, true) => "create  ",
            (true, false) => "apply  ",
        }),
        Span::styled(" Esc ", theme.key()),
        Span::raw("cancel  "),
        Span::styled(" ↑/↓ ", theme.key()),
        Span::raw("scroll"),
        Span::styled(more, theme.dim()),
        Span::styled(mode, theme.warning()),
    ]);
    let block = Block::bordered()
        .title(truncate(&title, inner_w))
        .title_bottom(footer);
    frame.render_widget(Paragraph::new(shown).block(block), r);
}

/// The preview's lines at `width` columns: title, objects, diff, notes,
/// then the kubectl equivalent.
fn preview_lines(preview: &Preview, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::from(Span::styled(
        preview.title.clone(),
        theme.title(),
    )));
    if !preview.objects.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("changes ", theme.dim()),
            Span::raw(inert(&preview.objects.join(", ")).into_owned()),
        ]));
    }
    lines.push(Line::from(""));
    for d in &preview.diff {
        let style = if d.starts_with('+') {
            theme.ok()
        } else if d.starts_with('-') {
            theme.error()
        } else if d.starts_with('#') {
            theme.title()
        } else {
            theme.dim()
        };
        lines.push(Line::from(Span::styled(inert(d).into_owned(), style)));
    }
    if !preview.notes.is_empty() {
        lines.push(Line::from(""));
        for n in &preview.notes {
            lines.push(Line::from(vec![
                Span::styled("note ", theme.warning()),
                Span::raw(inert(n).into_owned()),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "equivalent kubectl (runnable as printed):",
        theme.dim(),
    )));
    let mut wrapped = wrap_lines(lines, Flow::anywhere(4), width);
    // Commands wrap with no indent: selected across lines, they
    // are the command as printed.
    for k in &preview.kubectl {
        wrapped.push(Line::from(""));
        let command = Line::from(k.clone());
        wrapped.extend(wrap_lines(vec![command], Flow::anywhere(0), width));
    }
    wrapped
}

fn render_form(
    model: &Model,
    a: &Action,
    form: &Form,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let w = area.width.saturating_sub(4).clamp(20, 96);
    let inner_w = w.saturating_sub(2) as usize;
    let rows = a.rows(form);
    let focus_row = rows
        .get(form.focus.min(rows.len().saturating_sub(1)))
        .copied();
    // Lines of text; field rows are drawn over with their inputs after.
    let mut lines: Vec<Line> = Vec::new();
    let mut inputs: Vec<(usize, usize)> = Vec::new(); // (line index, field index)
    let context = match (a.subject.category, &a.subject.registry) {
        (Some(c), Some(r)) => format!("{} · {r} · {}", a.subject.image, c.id()),
        _ => a.subject.image.clone(),
    };
    lines.push(Line::from(Span::styled(
        truncate(&context, inner_w),
        theme.dim(),
    )));
    lines.push(Line::from(""));
    for row in shown_rows(a, form, &rows) {
        let focused = focus_row == Some(row);
        match row {
            Row::Preset => lines.push(preset_line(a, form, focused, theme)),
            Row::Source => lines.extend(source_lines(form, focused, theme, inner_w)),
            Row::Attach => {
                let mut spans = vec![label("attach to", focused, theme)];
                spans.extend(choice(
                    attach_label(form.attach).to_string(),
                    focused,
                    theme,
                ));
                lines.push(Line::from(spans));
            }
            Row::Scope => {
                let clusters = a.subject.clusters();
                let text = match form.widen {
                    false => format!(
                        "this cluster only ({})",
                        clusters.first().copied().unwrap_or("?")
                    ),
                    true => format!("all {} clusters ({})", clusters.len(), clusters.join(", ")),
                };
                let mut spans = vec![label("clusters", focused, theme)];
                spans.extend(choice(
                    truncate(&text, inner_w.saturating_sub(LABEL_W + 4)),
                    focused,
                    theme,
                ));
                lines.push(Line::from(spans));
            }
            Row::Field(i) => {
                inputs.push((lines.len(), i));
                lines.push(field_line(&form.fields[i], focused, theme, inner_w));
            }
        }
    }
    lines.push(Line::from(""));
    let hint = form_hint(a.kind);
    if !hint.is_empty() {
        lines.push(Line::from(Span::styled(
            truncate(hint, inner_w),
            theme.dim(),
        )));
    }
    if let Some(e) = &form.error {
        let error = Line::from(Span::styled(format!("✕ {e}"), theme.error()));
        let flow = Flow::words_from_margin(0);
        lines.extend(wrap_lines(vec![error], flow, inner_w.max(10)));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let title = format!(" {} — {} ", a.kind.title(), a.subject.label());
    let block = Block::bordered()
        .title(truncate(&title, inner_w))
        .title_bottom(form_footer(model, theme));
    let inner = block.inner(r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
    // The focused input is the real text area (cursor, editing); the
    // password's is masked by the widget itself.
    if let Some(Row::Field(fi)) = focus_row
        && let Some((li, _)) = inputs.iter().find(|(_, i)| *i == fi)
    {
        let y = inner.y + *li as u16;
        if y < inner.y + inner.height {
            let x = inner.x + LABEL_W as u16;
            let wdt = inner.width.saturating_sub(LABEL_W as u16);
            let rect = Rect::new(x, y, wdt, 1);
            frame.render_widget(Clear, rect);
            frame.render_widget(&form.fields[fi].input, rect);
        }
    }
}

/// The rows the form shows: the focusable ones, and locked fields too.
fn shown_rows(a: &Action, form: &Form, rows: &[Row]) -> Vec<Row> {
    match a.kind {
        Kind::Annotate => {
            let mut v = vec![Row::Preset];
            v.extend((0..form.fields.len()).map(Row::Field));
            v.extend(rows.iter().filter(|r| **r == Row::Scope));
            v
        }
        _ => {
            let mut v = rows.to_vec();
            // Locked fields are shown even though they take no focus.
            for (i, f) in form.fields.iter().enumerate() {
                if f.locked && !v.contains(&Row::Field(i)) {
                    v.insert(0, Row::Field(i));
                }
            }
            v
        }
    }
}

/// A row's label, in the key colour when the row has the focus.
fn label(s: &str, focused: bool, theme: &Theme) -> Span<'static> {
    Span::styled(
        format!("{:<LABEL_W$}", truncate(s, LABEL_W - 1)),
        if focused { theme.key() } else { theme.dim() },
    )
}

/// A choice, between arrows when the row has the focus.
fn choice(text: String, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
    if focused {
        vec![
            Span::styled("◂ ", theme.key()),
            Span::styled(text, theme.title()),
            Span::styled(" ▸", theme.key()),
        ]
    } else {
        vec![Span::raw(format!("  {text}"))]
    }
}

/// The annotation preset, and whether it fits the cause.
fn preset_line(a: &Action, form: &Form, focused: bool, theme: &Theme) -> Line<'static> {
    let text = match form.preset {
        2 => PRESET_CUSTOM.to_string(),
        i => match form.preset_fixes[i] {
            FixId::AnnotateHttpEndpoint => "http-endpoint (pull over plain HTTP)".to_string(),
            _ => "insecure-skip-verify (skip TLS verification)".to_string(),
        },
    };
    let mut spans = vec![label("preset", focused, theme)];
    spans.extend(choice(text, focused, theme));
    let fits = matches!(
        (a.subject.category, form.preset_fixes.get(form.preset)),
        (
            Some(Category::TlsUntrusted | Category::TlsHostname | Category::TlsExpired),
            Some(FixId::AnnotateSkipVerify)
        ) | (
            Some(Category::ProtocolHttpRegistry),
            Some(FixId::AnnotateHttpEndpoint)
        )
    );
    if fits {
        spans.push(Span::styled("  fits the cause", theme.dim()));
    }
    Line::from(spans)
}

/// The credential's source (new, or an existing secret to use), and what
/// the search for existing secrets found.
fn source_lines(form: &Form, focused: bool, theme: &Theme, inner_w: usize) -> [Line<'static>; 2] {
    let mut spans = vec![label("use", focused, theme)];
    spans.extend(choice(
        truncate(
            &form.current_source().label(),
            inner_w.saturating_sub(LABEL_W + 6),
        ),
        focused,
        theme,
    ));
    let more = match &form.offers {
        Offers::Loading => "looking for secrets that cover this registry…".to_string(),
        Offers::Failed(e) => format!("cannot look for secrets to reuse: {e}"),
        Offers::Loaded if form.sources.len() > 1 => format!(
            "{} existing secrets cover this registry: ←/→ to use one (data never shown)",
            form.sources.len() - 1
        ),
        Offers::Loaded => "no readable secret covers this registry".to_string(),
    };
    [
        Line::from(spans),
        Line::from(vec![
            Span::raw(" ".repeat(LABEL_W)),
            Span::styled(
                truncate(&more, inner_w.saturating_sub(LABEL_W)),
                theme.dim(),
            ),
        ]),
    ]
}

/// A text field's row: its label and value (a password as bullets); the
/// focused one is drawn over by its input.
fn field_line(f: &Field, focused: bool, theme: &Theme, inner_w: usize) -> Line<'static> {
    let shown = if f.secret {
        "•".repeat(f.chars())
    } else {
        f.value()
    };
    let style = if f.locked {
        theme.dim()
    } else {
        Style::default()
    };
    Line::from(vec![
        label(f.label, focused, theme),
        Span::styled(truncate(&shown, inner_w.saturating_sub(LABEL_W)), style),
    ])
}

/// What the fix writes, in one line.
fn form_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Annotate => {
            "merged into an existing comma list; every other annotation and field stays"
        }
        Kind::Credential => {
            "kubernetes.io/dockerconfigjson in the pod's namespace; an existing secret is never overwritten"
        }
        Kind::Image => "the container's image in the pod template (a Job is recreated)",
        Kind::Kick | Kind::ProbePod(_) => "",
    }
}

fn form_footer(model: &Model, theme: &Theme) -> Line<'static> {
    let ro = if model.actions.dry_run {
        " DRY RUN "
    } else {
        ""
    };
    Line::from(vec![
        Span::styled(" Enter ", theme.key()),
        Span::raw("preview  "),
        Span::styled(" Tab ", theme.key()),
        Span::raw("next  "),
        Span::styled(" ←/→ ", theme.key()),
        Span::raw("choose  "),
        Span::styled(" Esc ", theme.key()),
        Span::raw("cancel"),
        Span::styled(ro, theme.warning()),
    ])
}

/// The toasts, newest at the bottom, above the footer line.
pub fn render_toasts(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let toasts = &model.actions.toasts;
    if toasts.is_empty() || area.height < 6 {
        return;
    }
    let w = (area.width as usize * 3 / 4)
        .clamp(20, 100)
        .min(area.width as usize);
    let inner = w.saturating_sub(2);
    let mut blocks: Vec<Vec<Line>> = Vec::new();
    for t in toasts {
        let (mark, style) = match t.level {
            Level::Ok => ("✓ ", theme.ok()),
            Level::Info => ("• ", Style::default()),
            Level::Warning => ("! ", theme.warning()),
            Level::Error => ("✕ ", theme.error()),
        };
        let text = format!("{mark}{}", t.text);
        let flow = Flow::words_from_margin(0);
        let mut ls = wrap_lines(
            vec![Line::from(Span::styled(text, style))],
            flow,
            inner.max(10),
        );
        ls.truncate(3);
        blocks.push(ls);
    }
    let total: usize = blocks.iter().map(Vec::len).sum();
    let max_h = area.height.saturating_sub(3) as usize;
    let mut lines: Vec<Line> = blocks.into_iter().flatten().collect();
    if total > max_h.saturating_sub(2) {
        let drop = total - max_h.saturating_sub(2);
        lines.drain(..drop.min(lines.len()));
    }
    let h = lines.len() as u16 + 2;
    let x = area.x + area.width.saturating_sub(w as u16 + 1);
    let y = area.y + area.height.saturating_sub(h + 1);
    let r = Rect::new(x, y, w as u16, h);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().border_style(theme.dim())),
        r,
    );
}
