//! What a fix key acts on: the selected pod (or the selected group's pods)
//! and the fix's form opened for it.

use super::*;

/// The pod an action is about: the open detail's (its container), or the
/// selected row's.
pub(super) fn subject(model: &Model) -> Option<Subject> {
    let (row, secret_states) = match (model.screen(), &model.detail) {
        (Screen::Detail, Some(d)) => {
            let row = d
                .rows
                .iter()
                .find(|r| r.container == d.container)
                .or(d.rows.first())?;
            let missing: Vec<String> = d
                .pod_secrets_missing()
                .into_iter()
                .map(str::to_string)
                .collect();
            (
                crate::domain::failing::FailureRow::clone(row),
                Some(missing),
            )
        }
        _ => (model.home.selected_row()?.clone(), None),
    };
    let ix = model.cluster_ix(&row.cluster)?;
    let pod = model.clusters[ix].inventory.failing.get(&row.pod_key())?;
    let pull_secrets = crate::domain::pod::pull_secret_names(&pod.pod);
    // The missing secret: what the detail found missing, or the referenced
    // name the kubelet's message names.
    let missing = match secret_states {
        Some(m) if !m.is_empty() => m.first().cloned(),
        _ if row.category == crate::domain::classify::Category::CredentialsSecretMissing => {
            pull_secrets
                .iter()
                .find(|n| row.message.contains(n.as_str()))
                .or(pull_secrets.first())
                .cloned()
        }
        _ => None,
    };
    Some(Subject::from_row(&row, missing, pull_secrets))
}

/// The same subject widened to its registry × cause group: one pod per
/// distinct workload, in the selected pod's cluster (a fix never spans
/// clusters unasked); in a fleet, the group's pods in the other clusters
/// too (`others`), which the form's "clusters" row may add.
pub(super) fn group_subject(model: &Model) -> Option<Subject> {
    let mut s = subject(model)?;
    let category = s.category?;
    let registry = s.registry.clone()?;
    let selected = s.pods.first().cloned()?;
    let cluster = model.cluster_ix(&selected.cluster)?;
    let mut pods = group_pods(model, cluster, category, &registry, Some(&selected));
    // The selected pod's workload first.
    if let Some(i) = pods.iter().position(|p| *p == selected) {
        let first = pods.remove(i);
        pods.insert(0, first);
    }
    if model.is_fleet() {
        s.others = (0..model.clusters.len())
            .filter(|&ix| ix != cluster)
            .flat_map(|ix| group_pods(model, ix, category, &registry, None))
            .collect();
    }
    s.group = Some(format!("{registry} × {}", category.id()));
    s.pods = pods;
    Some(s)
}

/// The pods of cluster `ix` failing with `category` at `registry`, one per
/// distinct workload (`selected` stands for its own workload).
fn group_pods(
    model: &Model,
    ix: usize,
    category: crate::domain::classify::Category,
    registry: &str,
    selected: Option<&crate::domain::failing::PodKey>,
) -> Vec<crate::domain::failing::PodKey> {
    let workload_of = |r: &crate::domain::failing::FailureRow| match &r.workload {
        Some(w) => format!("{}/{}/{}", r.namespace, w.kind, w.name),
        None => format!("{}/pod/{}", r.namespace, r.pod),
    };
    let mut seen: Vec<String> = Vec::new();
    let mut pods = Vec::new();
    for r in model.clusters[ix].inventory.rows() {
        if r.category != category || r.registry.as_deref() != Some(registry) {
            continue;
        }
        let key = r.pod_key();
        let w = workload_of(r);
        match seen.iter().position(|x| *x == w) {
            Some(i) if Some(&key) == selected => pods[i] = key,
            Some(_) => {}
            None => {
                seen.push(w);
                pods.push(key);
            }
        }
    }
    pods
}

/// `a`/`c`/`i`/`k` (and the group forms): opens the action on the subject.
pub(super) fn start_action(model: &mut Model, intent: Intent) -> Vec<Effect> {
    if let Some(why) = model.actions.disabled_reason() {
        let now = model.now;
        model.actions.toast(now, Level::Warning, why);
        return Vec::new();
    }
    if !model.connected() {
        let now = model.now;
        let text = match model.is_fleet() {
            true => format!(
                "{} is not connected: no fix can be prepared",
                model.cluster().name()
            ),
            false => "not connected: no fix can be prepared".to_string(),
        };
        model.actions.toast(now, Level::Warning, text);
        return Vec::new();
    }
    let (kind, group) = match intent {
        Intent::Annotate => (Kind::Annotate, false),
        Intent::Credential => (Kind::Credential, false),
        Intent::Image => (Kind::Image, false),
        Intent::Kick => (Kind::Kick, false),
        Intent::GroupAnnotate => (Kind::Annotate, true),
        Intent::GroupCredential => (Kind::Credential, true),
        _ => return Vec::new(),
    };
    let subject = if group {
        group_subject(model)
    } else {
        subject(model)
    };
    let Some(subject) = subject else {
        let now = model.now;
        model
            .actions
            .toast(now, Level::Warning, "select a failing pod first");
        return Vec::new();
    };
    let session = match subject.pods.first() {
        Some(p) => model.session_of(&p.cluster),
        None => model.cluster().session(),
    };
    let now = model.now;
    model.actions.open(kind, subject, session, now)
}
