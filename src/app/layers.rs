//! The input stack: the layers open on the console, top first, derived from
//! the model — a fix's form, the preview of a cluster write (a fix or the
//! probe pod) waiting for `y`, a picker, the help overlay, the filter's
//! text input, the probe pane, and the screen under them all. The top layer owns every key (as a
//! compositor's top component does in helix): what it does not use is
//! dropped, never passed down, so a key typed into a form can never act on
//! the table behind it.

use super::keys::{detail_intent, filter_key, home_intent, picker_key, probe_key, quit};
use super::*;

/// One input layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// A fix's form, or the preview of a cluster write (`Model::actions`).
    Action,
    /// The `:` palette or the `n` namespace picker.
    Picker,
    Help,
    /// The home table's filter being typed.
    Filter,
    /// The probe pane.
    Probe,
    /// Home or detail.
    Screen,
}

/// The open layers, top first; `Screen` is always last.
pub fn stack(model: &Model) -> Vec<Layer> {
    let mut v = Vec::with_capacity(3);
    if model.actions.current.is_some() {
        v.push(Layer::Action);
    }
    match &model.overlay {
        Some(Overlay::Picker(_)) => v.push(Layer::Picker),
        Some(Overlay::Help) => v.push(Layer::Help),
        None if model.home.filter_editing => v.push(Layer::Filter),
        None => {}
    }
    if model.screen() == Screen::Probe {
        v.push(Layer::Probe);
    }
    v.push(Layer::Screen);
    v
}

/// The layer that receives keys now.
pub fn top(model: &Model) -> Layer {
    stack(model).first().copied().unwrap_or(Layer::Screen)
}

impl Layer {
    /// Handles one key (Ctrl-C is handled before any layer).
    pub(super) fn handle(self, model: &mut Model, key: KeyEvent) -> Vec<Effect> {
        match self {
            Layer::Action => {
                let mut session = model.cluster().session();
                let mut routes = Vec::new();
                if let Some(a) = model.actions.current.as_ref() {
                    if let Some(p) = a.subject.pods.first() {
                        session = model.session_of(&p.cluster);
                    }
                    // The sessions of the clusters a widened fix may reach.
                    for p in &a.subject.others {
                        if !routes.iter().any(|(c, _)| *c == p.cluster)
                            && model.connected_to(&p.cluster)
                        {
                            routes.push((p.cluster.clone(), model.session_of(&p.cluster)));
                        }
                    }
                }
                let now = model.now;
                let fx = model.actions.key_routed(key, session, &routes, now);
                // The probe pod's confirmation: the pane follows its answer.
                if let Some(p) = &mut model.probe {
                    p.confirmed(&fx, now);
                }
                fx
            }
            Layer::Picker => picker_key(model, key),
            Layer::Filter => filter_key(model, key),
            Layer::Probe => probe_key(model, key),
            Layer::Help => match model.keymap.resolve(&key) {
                Some(Intent::Help | Intent::Back) => {
                    model.overlay = None;
                    Vec::new()
                }
                Some(Intent::Quit) => quit(model),
                _ => Vec::new(),
            },
            Layer::Screen => {
                if model.screen() == Screen::Timeline {
                    return super::timeline::key(model, key);
                }
                let Some(intent) = model.keymap.resolve(&key) else {
                    return Vec::new();
                };
                match model.screen() {
                    Screen::Home => home_intent(model, intent),
                    Screen::Detail => detail_intent(model, intent),
                    Screen::Probe | Screen::Timeline => Vec::new(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::new(
            None,
            vec![],
            Scope::All,
            Keymap::default(),
            Timestamp::UNIX_EPOCH,
        )
    }

    #[test]
    fn the_top_layer_is_the_one_drawn_on_top() {
        let mut m = model();
        assert_eq!(stack(&m), vec![Layer::Screen]);
        m.home.filter_editing = true;
        assert_eq!(stack(&m), vec![Layer::Filter, Layer::Screen]);
        // Help over a filter being typed: the filter waits underneath.
        m.overlay = Some(Overlay::Help);
        assert_eq!(stack(&m), vec![Layer::Help, Layer::Screen]);
        m.overlay = None;
        m.home.filter_editing = false;
        m.screens.push(Screen::Probe);
        assert_eq!(stack(&m), vec![Layer::Probe, Layer::Screen]);
        m.overlay = Some(Overlay::Help);
        assert_eq!(top(&m), Layer::Help);
    }

    #[test]
    fn a_key_the_top_layer_does_not_use_never_reaches_the_screen() {
        let mut m = model();
        m.overlay = Some(Overlay::Help);
        // `q` under help quits (help's own key); `/` (the screen's filter) does nothing.
        let slash = KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE);
        assert!(Layer::Help.handle(&mut m, slash).is_empty());
        assert!(!m.home.filter_editing);
        assert_eq!(m.overlay, Some(Overlay::Help));
    }
}
