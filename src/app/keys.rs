//! Keys by screen and overlay: home, detail, the probe pane, the filter
//! and the pickers, each turning a key into an intent and the intent into
//! model changes and effects.

use super::*;

pub(super) fn pick_items(model: &Model, contexts: bool) -> Vec<PickItem> {
    let mut items = Vec::new();
    if contexts {
        items.extend(model.contexts.iter().cloned().map(PickItem::Context));
    }
    items.push(PickItem::Namespace(None));
    // A fleet: the namespaces of every cluster.
    let mut ns: Vec<String> = Vec::new();
    for c in &model.clusters {
        if c.namespaces.is_empty() {
            ns.extend(c.inventory.namespaces());
        } else {
            ns.extend(c.namespaces.iter().cloned());
        }
    }
    ns.sort();
    ns.dedup();
    items.extend(ns.into_iter().map(|n| PickItem::Namespace(Some(n))));
    items
}

pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c {
        model.quit = true;
        return vec![Effect::Quit];
    }
    layers::top(model).handle(model, key)
}

/// `p` / `P`: opens the probe pane on the subject pod (and asks for the
/// node probe's preview with `P`).
pub(super) fn open_probe(model: &mut Model, node_too: bool) -> Vec<Effect> {
    let row = match (model.screen(), &model.detail) {
        (Screen::Detail, Some(d)) => d
            .rows
            .iter()
            .find(|r| r.container == d.container)
            .or(d.rows.first())
            .map(|r| crate::domain::failing::FailureRow::clone(r)),
        _ => model.home.selected_row().cloned(),
    };
    let Some(row) = row else {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "select a failing pod first");
        return Vec::new();
    };
    if !model.connected_to(&row.cluster) {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "not connected: nothing to probe with");
        return Vec::new();
    }
    let key = row.pod_key();
    let node = model
        .cluster_ix(&row.cluster)
        .and_then(|ix| model.clusters[ix].inventory.failing.get(&key))
        .and_then(|f| f.pod.spec.as_ref().and_then(|s| s.node_name.clone()));
    model.probe_seq.0 += 1;
    let Some(mut pane) = probe::ProbePane::new(model.probe_seq, &row, node) else {
        let now = model.now;
        model.actions.toast(
            now,
            Level::Warning,
            format!(
                "{} is not a valid image reference: nothing to probe",
                row.image
            ),
        );
        return Vec::new();
    };
    let session = model.session_of(&row.cluster);
    pane.laptop_since = model.now;
    pane.node_since = model.now;
    let mut fx = vec![pane.start(session.clone())];
    if node_too {
        let ro = model.actions.read_only;
        fx.extend(pane.ask_node(session, ro));
    }
    model.probe = Some(pane);
    model.screens.push(Screen::Probe);
    fx
}

pub(super) fn probe_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    match model.keymap.resolve(&key) {
        Some(Intent::Quit) => return quit(model),
        Some(Intent::Help) => {
            model.overlay = Some(Overlay::Help);
            return Vec::new();
        }
        _ => {}
    }
    let session = match &model.probe {
        Some(p) => model.session_of(&p.pod.cluster),
        None => model.cluster().session(),
    };
    let ro = model.actions.read_only;
    let Some(p) = &mut model.probe else {
        return Vec::new();
    };
    let (fx, close) = p.key(key, session, ro);
    if close {
        model.probe = None;
        model.screens.retain(|s| *s != Screen::Probe);
    }
    fx
}

/// Opens the detail of the selected row's pod, focused on its container.
pub(super) fn open_detail(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model.home.selected_row() else {
        return Vec::new();
    };
    let key = row.key();
    let Some(ix) = model.cluster_ix(&key.pod.cluster) else {
        return Vec::new();
    };
    let Some(fp) = model.clusters[ix].inventory.failing.get(&key.pod) else {
        return Vec::new();
    };
    model.detail_seq.0 += 1;
    let mut d = Detail::new(
        model.detail_seq,
        key.pod.clone(),
        fp.pod.clone(),
        fp.rows.clone(),
        key.container.clone(),
    );
    d.recorded = model.replay.is_some();
    d.fix_keys = fix_keys(&model.keymap);
    d.probe_key = model.keymap.first(Intent::Probe).map(|k| k.to_string());
    d.probe_node_key = model.keymap.first(Intent::ProbeNode).map(|k| k.to_string());
    d.upstream = model.home.catalogue();
    let fx = if model.clusters[ix].is_connected() {
        d.requests(&model.clusters[ix].session())
    } else {
        Vec::new()
    };
    model.detail = Some(d);
    model.screens.push(Screen::Detail);
    fx
}

/// `--pod NAME`: once a row of that pod is listed, selects it and opens
/// its detail; once every cluster has listed its pods without one, says so
/// in the status line (the pod is healthy, or there is no such pod) and
/// stays on the table.
pub(super) fn open_pod(model: &mut Model) -> Vec<Effect> {
    let Some(name) = model.open_pod.clone() else {
        return Vec::new();
    };
    model.settle();
    let at = model.home.items.iter().position(|it| {
        matches!(it, super::home::Item::Row(i)
            if model.home.rows.get(*i).is_some_and(|r| r.pod == name))
    });
    if let Some(at) = at {
        model.open_pod = None;
        model.home.cursor = at;
        model.home.selected = model.home.selected_row().map(|r| r.key());
        return open_detail(model);
    }
    if model.clusters.iter().all(|c| c.inventory.synced) {
        model.open_pod = None;
        let exists = model
            .clusters
            .iter()
            .any(|c| c.inventory.has_pod_named(&name));
        let name = crate::domain::inert::inert(&name).into_owned();
        let text = if exists {
            format!(
                "--pod {name}: that pod is not failing to pull its images; showing the pods that are"
            )
        } else {
            format!(
                "--pod {name}: no pod of that name is listed here (check -n/--context); showing the pods that fail"
            )
        };
        model.notice = Some(Notice {
            text,
            warning: true,
        });
        model.dirty = true;
    }
    Vec::new()
}

/// Which key carries out each fix id (the detail's FIXES list names them).
pub(super) fn fix_keys(km: &Keymap) -> Vec<(crate::domain::mutation::FixId, String)> {
    use crate::domain::mutation::FixId;
    FixId::ALL
        .into_iter()
        .filter_map(|f| {
            let intent = match f {
                FixId::AnnotateSkipVerify | FixId::AnnotateHttpEndpoint | FixId::Annotate => {
                    Intent::Annotate
                }
                FixId::CreatePullSecret | FixId::CopyPullSecret | FixId::AttachPullSecret => {
                    Intent::Credential
                }
                FixId::SetImage => Intent::Image,
                FixId::Restart => Intent::Kick,
            };
            km.first(intent).map(|k| (f, k.to_string()))
        })
        .collect()
}

pub(super) fn close_detail(model: &mut Model) -> Vec<Effect> {
    model.screens.retain(|s| *s != Screen::Detail);
    model.detail = None;
    vec![WatchEffect::StopDetail.into()]
}

pub(super) fn detail_intent(model: &mut Model, intent: Intent) -> Vec<Effect> {
    let vp = model.detail_viewport();
    let width = model.size.0 as usize;
    let now = model.now;
    match intent {
        Intent::Quit => return quit(model),
        Intent::Help => model.overlay = Some(Overlay::Help),
        Intent::Back => return close_detail(model),
        Intent::Resync => return resync(model),
        i if i.mutates() => return start_action(model, i),
        Intent::Probe => return open_probe(model, false),
        Intent::ProbeNode => return open_probe(model, true),
        Intent::NextContainer | Intent::PrevContainer => {
            if let Some(d) = &mut model.detail {
                d.cycle(intent == Intent::NextContainer);
            }
        }
        Intent::Up
        | Intent::Down
        | Intent::PageUp
        | Intent::PageDown
        | Intent::Top
        | Intent::Bottom => {
            let Some(d) = &mut model.detail else {
                return Vec::new();
            };
            let max = d.document(now, width).len().saturating_sub(vp);
            let page = vp.saturating_sub(1).max(1);
            let cur = d.scroll.min(max);
            d.scroll = match intent {
                Intent::Up => cur.saturating_sub(1),
                Intent::Down => cur + 1,
                Intent::PageUp => cur.saturating_sub(page),
                Intent::PageDown => cur + page,
                Intent::Top => 0,
                _ => max,
            }
            .min(max);
        }
        _ => {}
    }
    Vec::new()
}

/// `r`: a new session for the focused cluster (the selected row's, in a
/// fleet); the others keep theirs.
pub(super) fn resync(model: &mut Model) -> Vec<Effect> {
    let ix = model.focus();
    let c = &model.clusters[ix];
    let (ctx, scope) = (c.context.clone(), c.scope.clone());
    model.connect(ix, ctx, scope)
}

pub(super) fn quit(model: &mut Model) -> Vec<Effect> {
    model.quit = true;
    vec![Effect::Quit]
}

pub(super) fn home_intent(model: &mut Model, intent: Intent) -> Vec<Effect> {
    let vp = model.viewport();
    let fleet = model.is_fleet();
    let h = &mut model.home;
    match intent {
        Intent::Quit => return quit(model),
        Intent::Help => model.overlay = Some(Overlay::Help),
        Intent::Back if !h.filter.is_empty() => {
            h.filter.clear();
            h.view_stale = true;
        }
        Intent::Palette => return open_picker(model, false),
        Intent::Namespace => return open_picker(model, true),
        Intent::Resync => return resync(model),
        Intent::Filter => h.filter_editing = true,
        Intent::Group => {
            h.grouping = h.grouping.next(fleet);
            h.view_stale = true;
        }
        Intent::Sort => {
            h.sort = h.sort.next(fleet);
            h.view_stale = true;
        }
        Intent::SortReverse => {
            h.reverse = !h.reverse;
            h.view_stale = true;
        }
        Intent::Up => h.move_by(-1, vp),
        Intent::Down => h.move_by(1, vp),
        Intent::PageUp => h.move_by(-(vp as isize), vp),
        Intent::PageDown => h.move_by(vp as isize, vp),
        Intent::Top => h.top(vp),
        Intent::Bottom => h.bottom(vp),
        Intent::Open => return open_detail(model),
        Intent::Timeline => return super::timeline::open(model),
        i if i.mutates() => return start_action(model, i),
        Intent::Probe => return open_probe(model, false),
        Intent::ProbeNode => return open_probe(model, true),
        _ => {}
    }
    model.settle();
    Vec::new()
}

pub(super) fn open_picker(model: &mut Model, namespaces_only: bool) -> Vec<Effect> {
    let items = pick_items(model, !namespaces_only);
    model.overlay = Some(Overlay::Picker(Picker {
        title: if namespaces_only {
            "namespace"
        } else {
            "context / namespace"
        },
        input: String::new(),
        items,
        selected: 0,
        namespaces_only,
        marked: Vec::new(),
    }));
    vec![
        FetchEffect::Namespaces {
            session: model.cluster().session(),
        }
        .into(),
    ]
}

pub(super) fn filter_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let h = &mut model.home;
    match key.code {
        KeyCode::Esc => {
            h.filter.clear();
            h.filter_editing = false;
        }
        KeyCode::Enter => h.filter_editing = false,
        KeyCode::Backspace => {
            h.filter.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            h.filter.push(c)
        }
        _ => return Vec::new(),
    }
    h.view_stale = true;
    model.settle();
    Vec::new()
}

pub(super) fn picker_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Picker(p)) = &mut model.overlay else {
        return Vec::new();
    };
    let n = p.visible().len();
    match key.code {
        KeyCode::Esc => model.overlay = None,
        KeyCode::Up => p.selected = p.selected.saturating_sub(1),
        KeyCode::Down => p.selected = (p.selected + 1).min(n.saturating_sub(1)),
        KeyCode::Backspace => {
            p.input.pop();
            p.selected = 0;
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            p.input.push(c);
            p.selected = 0;
        }
        // Marks the context under the cursor (several: a fleet).
        KeyCode::Tab => {
            if let Some(PickItem::Context(c)) = p.visible().get(p.selected).map(|i| (*i).clone()) {
                match p.marked.iter().position(|m| *m == c) {
                    Some(i) => {
                        p.marked.remove(i);
                    }
                    None => p.marked.push(c),
                }
                p.selected = (p.selected + 1).min(n.saturating_sub(1));
            }
        }
        KeyCode::Enter => {
            let choice = p.visible().get(p.selected).map(|i| (*i).clone());
            let marked = std::mem::take(&mut p.marked);
            model.overlay = None;
            if !marked.is_empty() {
                model.notice = None;
                return model.watch_contexts(marked.into_iter().map(Some).collect());
            }
            return match choice {
                Some(PickItem::Context(c)) if !model.is_fleet() => {
                    model.notice = None;
                    model.clusters[0].fallback = None;
                    model.connect(0, Some(c), Scope::All)
                }
                Some(PickItem::Context(c)) => {
                    model.notice = None;
                    model.watch_contexts(vec![Some(c)])
                }
                // Every cluster of a fleet shows the namespace.
                Some(PickItem::Namespace(ns)) => {
                    model.notice = None;
                    let scope = ns.map_or(Scope::All, Scope::Namespace);
                    (0..model.clusters.len())
                        .flat_map(|ix| {
                            model.clusters[ix].fallback = None;
                            let ctx = model.clusters[ix].context.clone();
                            model.connect(ix, ctx, scope.clone())
                        })
                        .collect()
                }
                None => Vec::new(),
            };
        }
        _ => {}
    }
    Vec::new()
}
