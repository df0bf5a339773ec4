//! `pulltui fix NAMESPACE/POD --fix ID ...`: one fix without the TUI, on the
//! same code path as the console's keys (`domain::mutation::plan` →
//! `cluster::mutate::prepare` → confirm → `apply` → audit → `follow`).
//!
//! Exit codes: 0 applied (or dry-run accepted), 1 refused by the server
//! (forbidden, invalid, conflict, changed since the preview, half done),
//! 2 usage or input error (including "no terminal to confirm on and no --yes").
//! The password is read only from stdin (`--password-stdin`).

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::ClusterArgs;
use crate::audit;
use crate::cluster::mutate::{self, MutationError, Outcome};
use crate::cluster::{fixer, follow};
use crate::domain::mutation::{AttachChoice, FixId, FixParams, ObjectRef};
use crate::domain::redact::Redacted;

#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    /// The failing pod, as NAMESPACE/POD.
    #[arg(value_name = "NAMESPACE/POD")]
    pub pod: String,
    /// annotate-skip-verify | annotate-http-endpoint | create-pull-secret |
    /// copy-pull-secret | attach-pull-secret | set-image | restart | annotate
    #[arg(long = "fix", value_name = "ID")]
    pub fix: String,
    /// The container to fix (default: the failing one).
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Send with dryRun=All: the server validates, nothing is persisted.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON result object on stdout (the preview goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// annotate-*: the hosts (comma-separated, or `all`; default: the image's
    /// host[:port]); annotate: the annotation's value.
    #[arg(long, value_name = "HOSTS")]
    pub value: Option<String>,
    /// annotate: the annotation key (a qualified name, e.g. example.com/flag).
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// create-pull-secret: the server key written in `auths` (default: the image's registry).
    #[arg(long, value_name = "SERVER")]
    pub server: Option<String>,
    /// create-pull-secret: the secret's name (default: the missing secret's, or regcred-<registry>).
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,
    /// create-pull-secret: the registry user.
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
    /// create-pull-secret: read the password from stdin (the only way to give it).
    #[arg(long)]
    pub password_stdin: bool,
    /// create-pull-secret: the email (optional).
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Where to attach the secret: template | serviceaccount | none
    /// (default: template, or none when the pod already references that name).
    #[arg(long, value_name = "WHERE")]
    pub attach: Option<String>,
    /// copy-pull-secret: the secret to copy, NS/NAME.
    #[arg(long, value_name = "NS/NAME")]
    pub from: Option<String>,
    /// attach-pull-secret: the secret of the pod's namespace to attach.
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// set-image: the new image reference.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Do not follow the workload after applying.
    #[arg(long)]
    pub no_follow: bool,
    /// How long to follow the workload, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 90)]
    pub follow_timeout: u64,
}

/// Exit status of a finished run.
const APPLIED: u8 = 0;
const REFUSED: u8 = 1;
const USAGE: u8 = 2;

struct Report {
    json: bool,
    obj: serde_json::Map<String, Value>,
}

impl Report {
    fn set(&mut self, k: &str, v: Value) {
        self.obj.insert(k.into(), v);
    }

    /// Human text: stdout normally, stderr in --json mode (stdout is the object).
    fn say(&self, s: &str) {
        // Server text (API errors, object values) is shown inert.
        let s = crate::domain::inert::inert(s);
        if self.json {
            eprintln!("{s}");
        } else {
            println!("{s}");
        }
    }

    fn fail(mut self, code: u8, e: &MutationError) -> ExitCode {
        let status = e.api_error().and_then(|a| a.status());
        self.set(
            "error",
            json!({"kind": e.kind(), "status": status, "message": e.to_string()}),
        );
        self.set("applied", json!(false));
        eprintln!(
            "pulltui fix: {}",
            crate::domain::inert::inert(&e.to_string())
        );
        self.finish(code)
    }

    fn usage(mut self, msg: &str) -> ExitCode {
        self.set(
            "error",
            json!({"kind": "usage", "status": null, "message": msg}),
        );
        self.set("applied", json!(false));
        eprintln!("pulltui fix: {msg}");
        self.finish(USAGE)
    }

    fn finish(self, code: u8) -> ExitCode {
        if self.json {
            let mut out = io::stdout().lock();
            let _ = serde_json::to_writer(&mut out, &Value::Object(self.obj));
            let _ = writeln!(out);
        }
        ExitCode::from(code)
    }
}

fn code_of(e: &MutationError) -> u8 {
    match e {
        MutationError::Input(_) | MutationError::Owner(_) | MutationError::Invalid(_) => USAGE,
        // Reading the pod: 404 is a wrong name (input), other statuses refusals.
        MutationError::Api { error, .. } if error.is_not_found() => USAGE,
        e if e.is_refusal() => REFUSED,
        _ => USAGE,
    }
}

pub fn run(cluster: &ClusterArgs, args: FixArgs) -> ExitCode {
    let mut r = Report {
        json: args.json,
        obj: serde_json::Map::new(),
    };
    r.set("pod", json!(args.pod));
    r.set("fix", json!(args.fix));
    r.set("dry_run", json!(args.dry_run));
    for k in [
        "target", "preview", "writes", "notes", "audit", "follow", "error",
    ] {
        r.set(k, Value::Null);
    }
    let Some(pod) = ObjectRef::parse(&args.pod) else {
        return r.usage(&format!("{:?} is not NAMESPACE/POD", args.pod));
    };
    let Some(fix) = FixId::from_id(&args.fix) else {
        let ids: Vec<&str> = FixId::ALL.iter().map(|f| f.id()).collect();
        return r.usage(&format!(
            "unknown fix {:?}; one of: {}",
            args.fix,
            ids.join(", ")
        ));
    };
    let attach = match args
        .attach
        .as_deref()
        .map(|a| (a, AttachChoice::from_id(a)))
    {
        None => None,
        Some((_, Some(a))) => Some(a),
        Some((a, None)) => {
            return r.usage(&format!(
                "--attach {a:?}: one of template, serviceaccount, none"
            ));
        }
    };
    let from = match args.from.as_deref().map(|f| (f, ObjectRef::parse(f))) {
        None => None,
        Some((_, Some(o))) => Some(o),
        Some((f, None)) => return r.usage(&format!("--from {f:?} is not NS/NAME")),
    };
    if args.password_stdin && fix != FixId::CreatePullSecret {
        return r.usage("--password-stdin is only for --fix create-pull-secret");
    }
    let password = if args.password_stdin {
        match read_password() {
            Ok(p) if !p.is_empty() => Some(p),
            Ok(_) => return r.usage("--password-stdin: stdin was empty"),
            Err(e) => return r.usage(&format!("--password-stdin: {e}")),
        }
    } else {
        None
    };
    let stdin_terminal = !args.password_stdin && io::stdin().is_terminal();
    let params = FixParams {
        value: args.value.clone(),
        secret_name: args.secret_name.clone(),
        username: args.username.clone(),
        password,
        email: args.email.clone(),
        attach,
        from,
        secret: args.secret.clone(),
        image: args.image.clone(),
        key: args.key.clone(),
        server: args.server.clone(),
        now: Some(jiff::Timestamp::now()),
    };
    let rt = match super::tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => return r.usage(&format!("cannot start: {e}")),
    };
    rt.block_on(run_async(
        cluster,
        &args,
        r,
        pod,
        fix,
        params,
        stdin_terminal,
    ))
}

fn read_password() -> io::Result<Redacted> {
    let mut s = String::new();
    let stdin = io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
        stdin.lock().read_line(&mut s)?;
    } else {
        stdin.lock().read_to_string(&mut s)?;
    }
    let trimmed = s.trim_end_matches(['\n', '\r']).to_string();
    let out = Redacted::new(trimmed);
    zeroize::Zeroize::zeroize(&mut s);
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn run_async(
    cluster: &ClusterArgs,
    args: &FixArgs,
    mut r: Report,
    pod: ObjectRef,
    fix: FixId,
    params: FixParams,
    stdin_terminal: bool,
) -> ExitCode {
    let target = cluster.target();
    let conn = match crate::cluster::connect(&target).await {
        Ok(c) => c,
        Err(e) => return r.usage(&e.to_string()),
    };
    let client = conn.client.clone();
    // The same steps as the console's keys (cluster::fixer).
    let key = crate::domain::failing::PodKey::new(&conn.cluster_id(), &pod.namespace, &pod.name);
    let step = match prepare(&client, &key, args, fix, &params, &mut r).await {
        Ok(s) => s,
        Err((code, e)) => return r.fail(code, &e),
    };
    drop(params);
    let ctx = &step.facts.context;
    r.set(
        "target",
        serde_json::to_value(&ctx.target).unwrap_or(Value::Null),
    );
    let prepared = &step.prepared;
    r.set(
        "preview",
        serde_json::to_value(&prepared.preview).unwrap_or(Value::Null),
    );
    let mode = if args.dry_run {
        " (dry run: dryRun=All, nothing is persisted)"
    } else {
        ""
    };
    r.say(&format!(
        "{}{mode}",
        prepared.preview.to_string().trim_end()
    ));
    if !args.yes {
        r = match confirm(stdin_terminal, r) {
            Ok(r) => r,
            Err(code) => return code,
        };
    }
    let origin = audit::Origin::new(
        &conn.cluster_id(),
        audit::kubeconfig_user(cluster.kubeconfig.as_deref(), conn.context.as_deref()),
    );
    let (result, existing) = fixer::apply_step(&client, &origin, &step, args.dry_run).await;
    let applied = match result {
        Ok(a) => a,
        Err(e) => {
            if let Some(p) = audit::log_path() {
                r.set("audit", json!(p.display().to_string()));
            }
            return r.fail(code_of(&e), &e);
        }
    };
    report_applied(&mut r, args, &applied);
    if args.dry_run || args.no_follow {
        return r.finish(APPLIED);
    }
    r.say(&format!("following {}…", ctx.target));
    match fixer::follow_step(
        &client,
        &step,
        &applied.outcome,
        existing,
        None,
        Duration::from_secs(args.follow_timeout),
    )
    .await
    {
        Ok(end) => {
            r.say(&end.summary);
            r.set("follow", serde_json::to_value(&end).unwrap_or(Value::Null));
        }
        Err(follow::NoFollow(why)) => {
            r.say(&format!("not following: {why}"));
        }
    }
    r.finish(APPLIED)
}

/// The fix's step, as the console's keys prepare it; or the exit code and
/// the error (for a missing secret, the report says what could be copied or
/// attached instead).
async fn prepare(
    client: &kube::Client,
    key: &crate::domain::failing::PodKey,
    args: &FixArgs,
    fix: FixId,
    params: &FixParams,
    r: &mut Report,
) -> Result<fixer::Step, (u8, MutationError)> {
    match fixer::prepare_step(client, key, args.container.as_deref(), fix, params, &[]).await {
        Ok(s) => Ok(s),
        Err(e @ MutationError::Input(_)) => {
            if let Ok(facts) = mutate::pod_facts(client, key, args.container.as_deref()).await {
                let ctx = &facts.context;
                r.set(
                    "target",
                    serde_json::to_value(&ctx.target).unwrap_or(Value::Null),
                );
                let hint = match fix {
                    FixId::CopyPullSecret if params.from.is_none() => {
                        candidates_hint(client, ctx, true).await
                    }
                    FixId::AttachPullSecret if params.secret.is_none() => {
                        candidates_hint(client, ctx, false).await
                    }
                    _ => None,
                };
                if let Some(h) = hint {
                    r.say(&h);
                }
            }
            Err((USAGE, e))
        }
        Err(e) => Err((code_of(&e), e)),
    }
}

/// Asks on the terminal whether to apply; the exit code when not.
fn confirm(stdin_terminal: bool, mut r: Report) -> Result<Report, ExitCode> {
    if !stdin_terminal {
        return Err(
            r.usage("not applied: no terminal to confirm on; pass --yes to apply without asking")
        );
    }
    eprint!("\napply this change to the cluster? [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    if io::stdin().lock().read_line(&mut answer).is_err()
        || !matches!(answer.trim(), "y" | "Y" | "yes")
    {
        eprintln!("not applied.");
        r.set("applied", json!(false));
        return Err(r.finish(USAGE));
    }
    Ok(r)
}

/// The report of what was written: the audit file, the writes, the notes.
fn report_applied(r: &mut Report, args: &FixArgs, applied: &fixer::Applied) {
    match &applied.audit {
        Some(p) => r.set("audit", json!(p.display().to_string())),
        None => eprintln!("pulltui fix: could not write the audit log"),
    }
    let outcome: &Outcome = &applied.outcome;
    r.set(
        "writes",
        serde_json::to_value(&outcome.writes).unwrap_or(Value::Null),
    );
    r.set("notes", json!(outcome.notes));
    r.set("applied", json!(!args.dry_run));
    r.say("");
    let prefix = if args.dry_run {
        "dry run, accepted: "
    } else {
        ""
    };
    for w in &outcome.writes {
        r.say(&format!("{prefix}{}", w.describe_with_versions()));
    }
    for n in &outcome.notes {
        r.say(&format!("note: {n}"));
    }
}

/// The secrets that cover the pod's registry: in other namespaces (copy) or,
/// unreferenced, in the pod's own (attach). Namespace, name, username only.
async fn candidates_hint(
    client: &kube::Client,
    ctx: &crate::domain::mutation::PodContext,
    copy: bool,
) -> Option<String> {
    let found = if copy {
        let image = crate::domain::image::ImageRef::parse(&ctx.image).ok()?;
        mutate::copy_candidates(client, &image, &ctx.namespace).await
    } else {
        mutate::attachable_secrets(client, ctx).await
    };
    let list = match found {
        Ok(l) => l,
        Err(e) => {
            return Some(format!(
                "(cannot look for secrets that cover the registry: {e})"
            ));
        }
    };
    if list.is_empty() {
        return Some(format!(
            "no {} secret covers the registry of {}",
            if copy { "readable" } else { "unreferenced" },
            ctx.image
        ));
    }
    let mut s = format!(
        "secrets that cover the registry of {}{}:",
        ctx.image,
        if copy {
            " (use --from NS/NAME)"
        } else {
            ", referenced neither by the pod nor by its ServiceAccount (use --secret NAME)"
        }
    );
    for c in list {
        s.push_str(&format!(
            "\n  {}/{}  user {}",
            c.namespace,
            c.name,
            c.username.as_deref().unwrap_or("?")
        ));
    }
    Some(s)
}
