//! What the user confirms before a write: the [`Preview`] of a [`Mutation`]
//! (the objects written, a YAML diff of the affected fields, notes) against
//! the [`Current`] objects, with the equivalent `kubectl` commands
//! (`kubectl`). Previews never hold a credential.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::body::{annotation_after, names_of};
use super::kubectl::{self, kubectl_patch, y};
use super::template_change::{template_patch, volume_entry};
use super::types::{AttachTo, Mutation, TemplateChange};
use crate::domain::owners::WriteTarget;
use crate::domain::pod::container_list;
use crate::domain::secrets::DOCKER_CONFIG_JSON_TYPE;

/// The namespaces a preview's objects create a pull secret in (created or
/// copied), sorted: where the credentials end up.
pub fn secret_namespaces(objects: &[String]) -> Vec<String> {
    let mut out: Vec<String> = objects
        .iter()
        .filter(|o| o.contains("(new"))
        .filter_map(|o| o.strip_prefix("Secret "))
        .filter_map(|rest| rest.split_once('/').map(|(ns, _)| ns.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the user confirms: the object, the field diff, the kubectl equivalent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// One line: what changes, e.g. "annotate Deployment/web in shop".
    pub title: String,
    /// The objects written, in order (`Deployment shop/web`).
    pub objects: Vec<String>,
    /// YAML diff lines (` `, `-`, `+` prefixed), with `# Kind ns/name` headers.
    pub diff: Vec<String>,
    /// Equivalent kubectl commands, runnable as printed.
    pub kubectl: Vec<String>,
    /// What else to know (new pods only, Job recreated, pods deleted and why).
    pub notes: Vec<String>,
}

impl Preview {
    /// One preview of several changes, applied in order (a group fix);
    /// `skipped`: what could not be prepared, and why. One change and
    /// nothing skipped: that change's own preview.
    pub fn combine(mut previews: Vec<Preview>, skipped: &[String]) -> Preview {
        if previews.len() == 1 && skipped.is_empty() {
            return previews.remove(0);
        }
        let mut all = Preview {
            title: format!("{} changes, applied in this order:", previews.len()),
            objects: Vec::new(),
            diff: Vec::new(),
            kubectl: Vec::new(),
            notes: Vec::new(),
        };
        for (i, p) in previews.into_iter().enumerate() {
            all.objects.extend(p.objects);
            all.diff.push(format!("# ({}) {}", i + 1, p.title));
            all.diff.extend(p.diff);
            all.kubectl.extend(p.kubectl);
            all.notes.extend(p.notes);
        }
        all.notes
            .extend(skipped.iter().map(|s| format!("skipped {s}")));
        let spread = secret_namespaces(&all.objects);
        if spread.len() > 1 {
            all.notes.insert(
                0,
                format!(
                    "the same credentials are written to {} namespaces: {} — whoever may read \
                     secrets in any of them can read them",
                    spread.len(),
                    spread.join(", ")
                ),
            );
        }
        all
    }
}

impl Preview {
    /// The preview of a change to one cluster among several (a fleet): the
    /// title names the context and its server, and every kubectl command
    /// names the context, so that running it reaches the same cluster.
    pub fn on_cluster(&mut self, context: &str, server: &str) {
        let ctx = super::kubectl::sh(context);
        self.title = format!("context {context} ({server}): {}", self.title);
        for k in &mut self.kubectl {
            *k = with_context(k, &ctx);
        }
    }
}

/// `line` with `--context CTX` after each `kubectl` that starts a command
/// (the line's start, or after a pipe), never inside a quoted argument.
fn with_context(line: &str, ctx: &str) -> String {
    const KUBECTL: &str = "kubectl ";
    let mut out = String::with_capacity(line.len() + 32);
    let mut quoted = false;
    let mut command_start = true;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if !quoted && command_start && rest.starts_with(KUBECTL) {
            out.push_str(KUBECTL);
            out.push_str("--context ");
            out.push_str(ctx);
            out.push(' ');
            rest = &rest[KUBECTL.len()..];
            command_start = false;
            continue;
        }
        command_start = match c {
            '\'' => {
                quoted = !quoted;
                false
            }
            '|' => !quoted,
            ' ' => command_start,
            _ => false,
        };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod context_tests {
    use super::with_context;

    #[test]
    fn the_context_goes_after_each_kubectl_that_starts_a_command() {
        assert_eq!(
            with_context("kubectl -n shop delete pod web", "fleet-a"),
            "kubectl --context fleet-a -n shop delete pod web"
        );
        assert_eq!(
            with_context(
                "kubectl -n a get job j -o json | jq '{x: \"| kubectl \"}' | kubectl replace --force -f -",
                "'b c'"
            ),
            "kubectl --context 'b c' -n a get job j -o json | jq '{x: \"| kubectl \"}' | kubectl --context 'b c' replace --force -f -"
        );
        // Inside quotes it is text, not a command.
        assert_eq!(
            with_context("kubectl -n a annotate pod p 'x=kubectl y'", "c"),
            "kubectl --context c -n a annotate pod p 'x=kubectl y'"
        );
    }
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        for l in &self.diff {
            writeln!(f, "  {l}")?;
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "note: {n}")?;
            }
        }
        writeln!(f)?;
        writeln!(f, "equivalent kubectl:")?;
        for k in &self.kubectl {
            writeln!(f, "  {k}")?;
        }
        Ok(())
    }
}

/// The current state the preview is computed from (fetched by the I/O layer).
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The write target (pod template owner or pod), as JSON.
    pub target: Option<Value>,
    /// The ServiceAccount, when the mutation attaches to it.
    pub service_account: Option<Value>,
    /// StatefulSet OrderedReady: the stuck pods that will be deleted too.
    pub stuck_pods: Vec<String>,
}

fn header(kind: &str, ns: &str, name: &str) -> String {
    format!("# {kind} {ns}/{name}")
}

impl Mutation {
    /// The preview of this mutation against the current objects.
    pub fn preview(&self, cur: &Current) -> Preview {
        let mut p = Preview {
            title: String::new(),
            objects: Vec::new(),
            diff: Vec::new(),
            kubectl: Vec::new(),
            notes: Vec::new(),
        };
        match self {
            Mutation::CreatePullSecret {
                namespace,
                name,
                server,
                username,
                email,
                attach,
                ..
            } => {
                p.title = format!("create pull secret {namespace}/{name} for {server}");
                p.objects.push(format!("Secret {namespace}/{name} (new)"));
                p.diff.push(header("Secret", namespace, name));
                p.diff
                    .push(format!("+ type: {}", y(DOCKER_CONFIG_JSON_TYPE)));
                p.diff.push(format!(
                    "+ data: {{.dockerconfigjson: auths {} username {} password ***}}",
                    y(server),
                    y(username)
                ));
                p.kubectl.push(kubectl::create_secret(
                    namespace,
                    name,
                    server,
                    username,
                    email.as_deref(),
                ));
                if let Some(a) = attach {
                    preview_attach(&mut p, name, a, cur);
                }
            }
            Mutation::CopyPullSecret { from, to, attach } => {
                p.title = format!("copy pull secret {from} to {to}");
                p.objects
                    .push(format!("Secret {to} (new, copied from {from})"));
                p.diff.push(header("Secret", &to.namespace, &to.name));
                p.diff
                    .push(format!("+ copy of {from}: type and data (not shown)"));
                p.kubectl.push(kubectl::copy_secret(from, to));
                if let Some(a) = attach {
                    preview_attach(&mut p, &to.name, a, cur);
                }
            }
            Mutation::AttachPullSecret { secret, to } => {
                p.title = format!("attach pull secret {secret}");
                preview_attach(&mut p, secret, to, cur);
            }
            Mutation::DeletePods {
                owner,
                namespace,
                pods,
            } => preview_delete_pods(&mut p, owner, namespace, pods),
            _ => {
                if let Some((target, change)) = self.template_change() {
                    preview_template(&mut p, self, target, &change, cur);
                }
            }
        }
        p
    }
}

fn preview_delete_pods(p: &mut Preview, owner: &WriteTarget, namespace: &str, pods: &[String]) {
    p.title = format!(
        "delete {} pod(s) of {owner} in {namespace} so that it recreates them",
        pods.len()
    );
    for pod in pods {
        p.objects.push(format!("Pod {namespace}/{pod} (deleted)"));
        p.diff.push(format!("- Pod {namespace}/{pod}"));
    }
    p.kubectl.push(kubectl::delete_pods(namespace, pods));
    if owner.kind != "Deployment" && owner.kind != "StatefulSet" && owner.kind != "DaemonSet" {
        p.notes.push(format!(
            "{owner} cannot be rollout-restarted: its failing pods are deleted and \
             it creates new ones"
        ));
    }
}

fn template_of<'a>(cur: &'a Current, target: &WriteTarget) -> Option<&'a Value> {
    cur.target.as_ref().and_then(|t| target.template.get(t))
}

/// The annotation `key` of the template as it is now.
fn annotation_now<'a>(tpl: Option<&'a Value>, key: &str) -> Option<&'a str> {
    tpl.and_then(|t| t.pointer("/metadata/annotations"))
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// The final value of an annotation change (merged with the current one);
/// empty for other changes.
fn annotation_value(change: &TemplateChange, tpl: Option<&Value>) -> String {
    match change {
        TemplateChange::Annotate { key, value, merge } => {
            annotation_after(annotation_now(tpl, key), value, *merge)
        }
        _ => String::new(),
    }
}

fn preview_attach(p: &mut Preview, secret: &str, to: &AttachTo, cur: &Current) {
    match to {
        AttachTo::Template { target } => {
            let change = TemplateChange::AddPullSecret {
                name: secret.to_string(),
            };
            preview_template_change(p, target, &change, cur);
            p.kubectl.push(kubectl_patch(
                target,
                &template_patch(target.template, &change, "", template_of(cur, target)),
            ));
            stuck_note(p, target, cur);
        }
        AttachTo::ServiceAccount { namespace, name } => {
            p.objects.push(format!("ServiceAccount {namespace}/{name}"));
            let before = names_of(
                cur.service_account
                    .as_ref()
                    .and_then(|s| s.get("imagePullSecrets")),
            );
            p.diff.push(header("ServiceAccount", namespace, name));
            p.diff.push("  imagePullSecrets:".into());
            for b in &before {
                p.diff.push(format!("    - name: {}", y(b)));
            }
            let mut after = before.clone();
            if !before.iter().any(|b| b == secret) {
                p.diff.push(format!("+   - name: {}", y(secret)));
                after.push(secret.to_string());
            }
            p.kubectl
                .push(kubectl::patch_service_account(namespace, name, &after));
            p.notes.push(format!(
                "a ServiceAccount's pull secrets reach only pods created after the change: \
                 restart the workload (pulltui fix ... --fix restart, or `k`) so that new pods \
                 get {secret}"
            ));
        }
    }
}

fn stuck_note(p: &mut Preview, target: &WriteTarget, cur: &Current) {
    if target.kind == "StatefulSet" && !cur.stuck_pods.is_empty() {
        let ns = &target.namespace;
        for pod in &cur.stuck_pods {
            p.objects.push(format!("Pod {ns}/{pod} (deleted)"));
            p.diff.push(format!("- Pod {ns}/{pod}"));
        }
        p.kubectl.push(kubectl::delete_pods(ns, &cur.stuck_pods));
        p.notes.push(format!(
            "StatefulSet/{} uses podManagementPolicy OrderedReady: it never replaces a pod that \
             is not Ready after a template change, so the stuck pod(s) {} are deleted too and \
             recreated from the new template",
            target.name,
            cur.stuck_pods.join(", ")
        ));
    }
}

/// The diff lines of a template change on `target` (no kubectl, no notes).
fn preview_template_change(
    p: &mut Preview,
    target: &WriteTarget,
    change: &TemplateChange,
    cur: &Current,
) {
    let tpl = template_of(cur, target);
    p.objects.push(format!(
        "{} {}/{}",
        target.kind, target.namespace, target.name
    ));
    p.diff
        .push(header(&target.kind, &target.namespace, &target.name));
    match change {
        TemplateChange::Annotate { key, value, merge } => {
            let before = annotation_now(tpl, key);
            let after = annotation_after(before, value, *merge);
            p.diff.push(format!(
                "  {}:",
                target.template.field("metadata.annotations")
            ));
            match before {
                Some(b) if b == after => {
                    p.diff
                        .push(format!("    {}: {}  (unchanged)", y(key), y(b)))
                }
                Some(b) => {
                    p.diff.push(format!("-   {}: {}", y(key), y(b)));
                    p.diff.push(format!("+   {}: {}", y(key), y(&after)));
                }
                None => p.diff.push(format!("+   {}: {}", y(key), y(&after))),
            }
        }
        TemplateChange::AddPullSecret { name } => {
            let before = names_of(tpl.and_then(|t| t.pointer("/spec/imagePullSecrets")));
            p.diff.push(format!(
                "  {}:",
                target.template.field("spec.imagePullSecrets")
            ));
            for b in &before {
                p.diff.push(format!("    - name: {}", y(b)));
            }
            if !before.contains(name) {
                p.diff.push(format!("+   - name: {}", y(name)));
            }
        }
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => {
            let list = container_list(*init);
            let before = tpl
                .and_then(|t| super::template_change::template_container(t, *init, container))
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            p.diff.push(format!(
                "  {}:",
                target.template.field(&format!("spec.{list}"))
            ));
            p.diff.push(format!("    - name: {}", y(container)));
            p.diff.push(format!("-     image: {}", y(before)));
            p.diff.push(format!("+     image: {}", y(image)));
        }
        TemplateChange::SetVolumeImage { volume, image } => {
            let before = volume_entry(tpl, volume)
                .and_then(|v| v.pointer("/image/reference"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            p.diff
                .push(format!("  {}:", target.template.field("spec.volumes")));
            p.diff.push(format!("    - name: {}", y(volume)));
            p.diff.push("      image:".to_string());
            p.diff.push(format!("-       reference: {}", y(before)));
            p.diff.push(format!("+       reference: {}", y(image)));
        }
    }
}

fn preview_template(
    p: &mut Preview,
    m: &Mutation,
    target: &WriteTarget,
    change: &TemplateChange,
    cur: &Current,
) {
    let what = match (m, change) {
        (Mutation::Restart { .. }, _) => "restart",
        (_, TemplateChange::Annotate { .. }) => "annotate",
        (_, TemplateChange::AddPullSecret { .. }) => "attach a pull secret to",
        (_, TemplateChange::SetImage { .. }) => "set the image of",
        (_, TemplateChange::SetVolumeImage { .. }) => "set an image volume of",
    };
    p.title = format!("{what} {target} in namespace {}", target.namespace);
    preview_template_change(p, target, change, cur);
    let value = annotation_value(change, template_of(cur, target));
    match m {
        Mutation::RecreateJob { .. } => {
            p.title = format!(
                "recreate {target} in namespace {} ({what} its template)",
                target.namespace
            );
            p.notes.push(format!(
                "a Job's pod template is immutable: {target} is deleted (with its pods) and \
                 created again from its spec with this change, without the generated selector \
                 and controller-uid/job-name labels (like kubectl replace --force)"
            ));
            p.kubectl.push(kubectl::replace_job(target, change, &value));
        }
        Mutation::Restart { .. } => {
            p.kubectl.push(kubectl::rollout_restart(target));
            stuck_note(p, target, cur);
        }
        _ => {
            p.kubectl.push(kubectl::template_command(
                target,
                change,
                &value,
                template_of(cur, target),
            ));
            if target.kind == "CronJob" {
                p.notes.push(format!(
                    "{target}'s next Jobs use the new template; Jobs it already created keep \
                     theirs (restart deletes their failing pods, recreate a Job with set-image)"
                ));
            }
            stuck_note(p, target, cur);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mutation::fixtures::{ctx, deployment};
    use crate::domain::mutation::{ANN_SKIP_VERIFY, AttachChoice, FixId, FixParams, plan};
    use crate::domain::owners::TemplatePath;
    use serde_json::json;

    #[test]
    fn annotate_preview_shows_the_merged_value_and_a_runnable_patch() {
        let m = plan(
            &ctx(deployment()),
            FixId::AnnotateSkipVerify,
            &FixParams::default(),
        )
        .unwrap();
        let cur = Current {
            target: Some(json!({"spec": {"template": {"metadata": {"annotations": {
                ANN_SKIP_VERIFY: "other.example", "keep": "me"}}}}})),
            ..Default::default()
        };
        let p = m.preview(&cur);
        let text = p.to_string();
        assert!(
            text.contains(&format!("-   \"{ANN_SKIP_VERIFY}\": \"other.example\"")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "+   \"{ANN_SKIP_VERIFY}\": \"other.example,127.0.0.1:5443\""
            )),
            "{text}"
        );
        assert!(!text.contains("keep"), "only affected fields: {text}");
        assert_eq!(
            p.kubectl,
            vec![format!(
                "kubectl -n shop patch deployment/web --type strategic -p '{{\"spec\":{{\"template\":{{\"metadata\":{{\"annotations\":{{\"{ANN_SKIP_VERIFY}\":\"other.example,127.0.0.1:5443\"}}}}}}}}}}'"
            )]
        );
    }

    #[test]
    fn create_secret_preview_shows_dollar_password_never_the_password() {
        let p = FixParams {
            username: Some("bob".into()),
            password: Some("hunter2".into()),
            attach: Some(AttachChoice::ServiceAccount),
            ..Default::default()
        };
        let m = plan(&ctx(deployment()), FixId::CreatePullSecret, &p).unwrap();
        let pv = m.preview(&Current {
            service_account: Some(json!({"imagePullSecrets": [{"name": "keep"}]})),
            ..Default::default()
        });
        let text = pv.to_string();
        assert!(text.contains("--docker-password=\"$PASSWORD\""), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("+   - name: \"regcred-127-0-0-1-5443\""),
            "{text}"
        );
        assert!(text.contains("only pods created after"), "{text}");
        assert!(
            pv.kubectl[1].contains(r#"[{"name":"keep"},{"name":"regcred-127-0-0-1-5443"}]"#),
            "{text}"
        );
    }

    #[test]
    fn statefulset_preview_says_why_the_stuck_pod_is_deleted() {
        let sts = WriteTarget {
            kind: "StatefulSet".into(),
            api_version: "apps/v1".into(),
            namespace: "shop".into(),
            name: "db".into(),
            template: TemplatePath::Template,
        };
        let p = FixParams {
            image: Some("127.0.0.1:5443/team/app:1.0".into()),
            ..Default::default()
        };
        let mut c = ctx(sts);
        c.image = "127.0.0.1:5443/team/app:9".into();
        let m = plan(&c, FixId::SetImage, &p).unwrap();
        let pv = m.preview(&Current {
            stuck_pods: vec!["db-0".into()],
            ..Default::default()
        });
        assert!(pv.notes.iter().any(|n| n.contains("OrderedReady")), "{pv}");
        assert!(
            pv.kubectl
                .iter()
                .any(|k| k == "kubectl -n shop delete pod db-0"),
            "{pv}"
        );
        assert!(
            pv.kubectl[0].starts_with("kubectl -n shop set image statefulset/db app="),
            "{pv}"
        );
    }

    #[test]
    fn a_group_preview_names_every_namespace_that_receives_the_credentials() {
        let step = |ns: &str| Preview {
            title: format!("create pull secret {ns}/regcred-x"),
            objects: vec![
                format!("Secret {ns}/regcred-x (new)"),
                format!("Deployment {ns}/web"),
            ],
            diff: vec![],
            kubectl: vec![],
            notes: vec![],
        };
        let all = Preview::combine(vec![step("shop"), step("tenant-a")], &[]);
        assert!(
            all.notes[0].contains("2 namespaces: shop, tenant-a"),
            "{:?}",
            all.notes
        );
        assert_eq!(
            secret_namespaces(&[
                "Secret b/x (new, copied from a/x)".into(),
                "Secret a/y".into()
            ]),
            vec!["b".to_string()]
        );
        let one = Preview::combine(vec![step("shop"), step("shop")], &[]);
        assert!(!one.notes.iter().any(|n| n.contains("namespaces:")));
    }
}
