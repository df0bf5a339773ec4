//! `update`: a message in, the model changed, effects out; the cluster's
//! replies routed to the parts of the model they concern.

use super::probe::NodeStage;
use super::*;

/// Applies one message. Pure: no I/O; effects say what to do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            // Key repeat/release events from terminals with the kitty protocol.
            if key.kind == KeyEventKind::Release {
                return Vec::new();
            }
            model.settle();
            model.dirty = true;
            on_key(model, key)
        }
        Msg::Paste(text) => {
            model.settle();
            model.dirty = true;
            paste::on_paste(model, text.expose())
        }
        Msg::Resize(w, h) => {
            model.size = (w, h);
            model.home.view_stale = true;
            model.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => {
            model.now = now;
            model.actions.expire(now);
            // Ages and "event 2s ago" change with the clock.
            model.dirty = true;
            let mut fx = radar_reads(model, now);
            // The open timeline's change markers follow the journal.
            if model.timeline.is_some() {
                fx.extend(super::timeline::ask_changes(model));
            }
            fx
        }
        Msg::Shutdown => {
            model.quit = true;
            vec![Effect::Quit]
        }
        Msg::Cluster(session, m) => {
            let Some(ix) = model.session_ix(&session) else {
                return Vec::new();
            };
            model.dirty = true;
            let mut fx = on_cluster(model, ix, m);
            if model.open_pod.is_some() {
                fx.extend(keys::open_pod(model));
            }
            fx
        }
    }
}

/// The failing pods' pull secrets the expiry radar reads now.
fn radar_reads(model: &mut Model, now: jiff::Timestamp) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in &mut model.clusters {
        if !c.inventory.synced && c.inventory.failing.is_empty() {
            continue;
        }
        let session = c.session();
        for (namespace, name) in c.pull_secrets.wanted(&c.inventory, now) {
            fx.push(
                FetchEffect::PullSecret {
                    session: session.clone(),
                    namespace,
                    name,
                }
                .into(),
            );
        }
    }
    fx
}

/// A notice's sentence about cluster `ix`: in a fleet it names the context.
fn about(model: &Model, ix: usize, sentence: String) -> String {
    if model.is_fleet() {
        format!("{}: {sentence}", model.clusters[ix].name())
    } else {
        sentence
    }
}

/// Whether the open detail is about cluster `ix`.
fn detail_on(model: &Model, ix: usize) -> bool {
    model
        .detail
        .as_ref()
        .is_some_and(|d| !model.is_fleet() || d.key.cluster == model.clusters[ix].id)
}

/// Reads of the owners `wanted`, on `cluster`'s session.
fn owner_reads(
    cluster: &super::cluster::ClusterView,
    wanted: impl IntoIterator<Item = crate::domain::facts::OwnerKey>,
) -> Vec<Effect> {
    let session = cluster.session();
    wanted
        .into_iter()
        .map(|owner| {
            FetchEffect::Owner {
                session: session.clone(),
                owner,
            }
            .into()
        })
        .collect()
}

pub(super) fn on_cluster(model: &mut Model, ix: usize, m: ClusterMsg) -> Vec<Effect> {
    let detail_here = detail_on(model, ix);
    let cluster = &mut model.clusters[ix];
    match m {
        ClusterMsg::Connected {
            context,
            server,
            default_namespace,
            scope,
        } => {
            cluster.connected(context, server, default_namespace, scope);
            let session = cluster.session();
            match &mut model.detail {
                Some(d) if detail_here => d.requests(&session),
                _ => Vec::new(),
            }
        }
        ClusterMsg::ScopeForbidden {
            default_namespace,
            message,
        } => {
            cluster.fallback = Some(default_namespace.clone());
            let ctx = cluster.context.clone();
            let text = about(
                model,
                ix,
                format!(
                    "not allowed to list pods in all namespaces ({message}); showing namespace {default_namespace} — press n for another"
                ),
            );
            model.notice = Some(Notice {
                text,
                warning: true,
            });
            model.home.view_stale = true;
            model.connect(ix, ctx, Scope::Namespace(default_namespace))
        }
        ClusterMsg::ConnectFailed(e) => {
            cluster.conn = ConnState::Failed(e.to_string());
            Vec::new()
        }
        ClusterMsg::Pods(ev) => {
            cluster.last_event = Some(model.now);
            let done = matches!(ev, WatchEvent::InitDone);
            let steady = matches!(ev, WatchEvent::Apply(_) | WatchEvent::Delete(_));
            let wanted = cluster.inventory.apply_pod(ev);
            if done || (steady && cluster.inventory.synced) {
                cluster.conn = ConnState::Live;
            }
            owner_reads(cluster, wanted)
        }
        ClusterMsg::FailingFirst(facts) => {
            // Once the full list is in, it is the truth: a late early list
            // must not bring back a pod that has recovered since.
            if cluster.inventory.synced {
                return Vec::new();
            }
            let mut wanted = Vec::new();
            for f in facts {
                wanted.extend(cluster.inventory.apply_pod(WatchEvent::Apply(f)));
            }
            owner_reads(cluster, wanted)
        }
        ClusterMsg::Events(ev) => {
            cluster.last_event = Some(model.now);
            cluster.inventory.apply_event(ev);
            Vec::new()
        }
        ClusterMsg::EventsForbidden(e) => {
            cluster.events_forbidden = true;
            let sentence = about(
                model,
                ix,
                format!(
                    "not allowed to read events ({}): causes come from the pods' status only",
                    e.message
                ),
            );
            let text = match model.notice.take() {
                Some(n) if n.text.contains(&sentence) => n.text,
                // Both sentences: what is shown, and why causes may be missing.
                Some(n) => format!("{sentence}; {}", n.text),
                None => sentence,
            };
            model.notice = Some(Notice {
                text,
                warning: true,
            });
            model.home.view_stale = true;
            Vec::new()
        }
        ClusterMsg::Journal { records, fixes } => {
            cluster.fixes.extend(fixes);
            cluster.journal.extend(records);
            let extra = cluster
                .journal
                .len()
                .saturating_sub(super::cluster::JOURNAL_KEPT);
            cluster.journal.drain(..extra);
            Vec::new()
        }
        ClusterMsg::WatchError { what, error } => {
            cluster.conn = ConnState::Reconnecting(format!("{what}: {error}"));
            Vec::new()
        }
        ClusterMsg::ServerSilent { error, for_secs } => {
            cluster.conn = ConnState::Reconnecting(format!("{error} (silent for {for_secs} s)"));
            Vec::new()
        }
        ClusterMsg::CredentialsRefused(e) => {
            cluster.credentials_refused = true;
            cluster.conn = ConnState::Reconnecting(e.to_string());
            // One sentence: "; " separates the notice's sentences.
            let sentence = about(
                model,
                ix,
                format!("{CREDENTIALS_REFUSED}: {}", e.message.replace("; ", ", ")),
            );
            let head = about(model, ix, CREDENTIALS_REFUSED.to_string());
            let text = match model.notice.take() {
                Some(n) if n.text.starts_with(&head) => match n.text.split_once("; ") {
                    Some((_, rest)) => format!("{sentence}; {rest}"),
                    None => sentence,
                },
                Some(n) => format!("{sentence}; {}", n.text),
                None => sentence,
            };
            model.notice = Some(Notice {
                text,
                warning: true,
            });
            Vec::new()
        }
        ClusterMsg::CredentialsRenewed => {
            cluster.credentials_refused = false;
            let head = about(model, ix, CREDENTIALS_REFUSED.to_string());
            let refused = model
                .notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with(&head));
            if refused && let Some(n) = model.notice.take() {
                model.notice = n.text.split_once("; ").map(|(_, rest)| Notice {
                    text: rest.to_string(),
                    warning: n.warning,
                });
            }
            Vec::new()
        }
        ClusterMsg::Resync => {
            // The table stays until the fresh list replaces it; the open
            // detail reads its events, ServiceAccount and secrets again.
            cluster.conn = ConnState::Syncing;
            model.home.view_stale = true;
            match &mut model.detail {
                Some(d) if detail_here => {
                    model.detail_seq.0 += 1;
                    d.restart(model.detail_seq);
                    d.requests(&cluster.session())
                }
                _ => Vec::new(),
            }
        }
        ClusterMsg::History(facts) => {
            cluster.facts.extend(facts);
            let over = cluster
                .facts
                .len()
                .saturating_sub(crate::app::cluster::FACTS_HELD);
            cluster.facts.drain(..over);
            Vec::new()
        }
        ClusterMsg::Owner(key, lookup) => {
            cluster.inventory.apply_owner(key, lookup);
            Vec::new()
        }
        ClusterMsg::Changes(changes) => {
            // With what the journal saw of nodes and pull secrets.
            cluster.changes = crate::domain::history::merged(&changes, &cluster.journal);
            cluster.changes_read += 1;
            Vec::new()
        }
        ClusterMsg::PullSecret {
            namespace,
            name,
            result,
        } => {
            cluster.pull_secrets.apply(namespace, name, result);
            model.home.cred_stale = true;
            Vec::new()
        }
        ClusterMsg::Namespaces(res) => {
            let mut list = match res {
                Ok(l) => l,
                Err(_) => cluster.inventory.namespaces(),
            };
            list.sort();
            list.dedup();
            cluster.namespaces = list;
            let contexts = match &model.overlay {
                Some(Overlay::Picker(p)) => Some(!p.namespaces_only),
                _ => None,
            };
            if let Some(contexts) = contexts {
                let items = pick_items(model, contexts);
                if let Some(Overlay::Picker(p)) = &mut model.overlay {
                    p.items = items;
                }
            }
            Vec::new()
        }
        ClusterMsg::Detail { detail, msg } => match &mut model.detail {
            Some(d) if d.id == detail => d.apply(&cluster.session(), *msg),
            _ => Vec::new(),
        },
        ClusterMsg::Action { action, msg } => {
            let mut msg = *msg;
            // An applied fix is a marker of the cluster's timeline.
            if let ActionMsg::Applied {
                dry_run: false,
                writes,
                ..
            } = &msg
            {
                let c = &model.clusters[ix];
                let id = c.journal_id();
                let fix = model
                    .actions
                    .current
                    .as_ref()
                    .and_then(|a| a.fix)
                    .map_or("fix".to_string(), |f| f.id().to_string());
                let note = crate::domain::postmortem::FixNote {
                    at: model.now,
                    context: id
                        .as_ref()
                        .map(|i| i.context().to_string())
                        .unwrap_or_default(),
                    server: id
                        .as_ref()
                        .map(|i| i.server().to_string())
                        .unwrap_or_default(),
                    fix,
                    object: writes.join("; "),
                    dry_run: false,
                    result: "ok".into(),
                };
                model.clusters[ix].fixes.push(note);
            }
            // A fleet: the preview says which cluster it writes to.
            if let ActionMsg::Prepared { preview, .. } = &mut msg
                && model.is_fleet()
            {
                let c = &model.clusters[ix];
                preview.on_cluster(c.name(), c.server.as_deref().unwrap_or("?"));
            }
            model.actions.apply_msg(action, msg, model.now)
        }
        ClusterMsg::Probe { probe, msg } => {
            let Some(p) = model.probe.as_mut().filter(|p| p.id == probe) else {
                return Vec::new();
            };
            // The certificate's end goes to the pod's detail (SECRETS).
            if let ProbeMsg::LaptopDone(r) = msg.as_ref()
                && let Some(at) = r.certificate_end()
            {
                model.home.certs.insert(r.registry.clone(), at);
                model.home.view_stale = true;
                if let Some(d) = &mut model.detail
                    && d.key == p.pod
                {
                    d.registry_cert = Some((r.registry.clone(), at));
                }
            }
            match *msg {
                // The probe pod is confirmed where every cluster write is.
                ProbeMsg::NodePreview(preview) => {
                    if p.node_stage == NodeStage::Preparing {
                        p.node_stage =
                            match model
                                .actions
                                .confirm_probe_pod(probe, p.subject.clone(), preview)
                            {
                                Ok(()) => NodeStage::Confirming,
                                Err(why) => NodeStage::Refused(why),
                            };
                    }
                }
                msg => p.apply(msg, model.now),
            }
            Vec::new()
        }
    }
}
