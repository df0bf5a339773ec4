//! Sending a prepared mutation: each write with the resourceVersion it was
//! computed from, `dryRun=All` on a dry run, a 409 read again and retried
//! only if the previewed field is unchanged; a secret is never overwritten.

use super::*;

fn patch_params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

/// Sends the prepared mutation. With `dry_run`, every request carries
/// `dryRun=All` and nothing is persisted.
pub async fn apply(
    client: &Client,
    prepared: &Prepared,
    dry_run: bool,
) -> Result<Outcome, MutationError> {
    let mut out = Outcome {
        dry_run,
        writes: Vec::new(),
        notes: prepared.preview.notes.clone(),
        applied_at: None,
    };
    let res = run(client, prepared, dry_run, &mut out).await;
    out.applied_at = Some(Timestamp::now());
    match res {
        Ok(()) => Ok(out),
        Err(e) if out.writes.is_empty() => Err(e),
        Err(e) => Err(MutationError::Partial {
            done: out.writes.iter().map(Write::describe).collect(),
            failed: "the next step".into(),
            error: Box::new(e),
        }),
    }
}

async fn run(
    client: &Client,
    prepared: &Prepared,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    match &prepared.mutation {
        Mutation::CreatePullSecret {
            namespace,
            name,
            server,
            username,
            password,
            email,
            attach,
        } => {
            let config = docker_config_json(server, username, password, email.as_deref());
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    ..ObjectMeta::default()
                },
                type_: Some(DOCKER_CONFIG_JSON_TYPE.into()),
                data: Some(BTreeMap::from([(
                    DOCKER_CONFIG_JSON_KEY.to_string(),
                    ByteString(config.expose().as_bytes().to_vec()),
                )])),
                ..Secret::default()
            };
            drop(config);
            create_secret(client, namespace, name, secret, dry_run, out).await?;
            if let Some(a) = attach {
                attach_step(client, prepared, name, a, dry_run, out).await?;
            }
        }
        Mutation::CopyPullSecret { from, to, attach } => {
            let src: Api<Secret> = Api::namespaced(client.clone(), &from.namespace);
            let s = src
                .get(&from.name)
                .await
                .map_err(|e| MutationError::api("reading", format!("Secret {from}"), e))?;
            let copy = Secret {
                metadata: ObjectMeta {
                    name: Some(to.name.clone()),
                    namespace: Some(to.namespace.clone()),
                    annotations: Some(BTreeMap::from([(
                        "pulltui.dev/copied-from".to_string(),
                        from.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                type_: s.type_.clone(),
                data: s.data.clone(),
                ..Secret::default()
            };
            drop(s);
            create_secret(client, &to.namespace, &to.name, copy, dry_run, out).await?;
            if let Some(a) = attach {
                attach_step(client, prepared, &to.name, a, dry_run, out).await?;
            }
        }
        Mutation::AttachPullSecret { secret, to } => {
            attach_step(client, prepared, secret, to, dry_run, out).await?;
        }
        Mutation::DeletePods {
            namespace, pods, ..
        } => {
            super::super::deletes::delete_pods(
                client,
                namespace,
                pods,
                &prepared.pod_uids,
                dry_run,
                out,
            )
            .await?;
        }
        m => {
            let Some((target, change)) = m.template_change() else {
                return Err(MutationError::Invalid("nothing to do".into()));
            };
            change_template(client, prepared, target, &change, dry_run, out).await?;
        }
    }
    Ok(())
}

async fn create_secret(
    client: &Client,
    ns: &str,
    name: &str,
    secret: Secret,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    match api.create(&pp(dry_run), &secret).await {
        Ok(s) => {
            out.writes.push(Write {
                action: "created".into(),
                kind: "Secret".into(),
                namespace: ns.into(),
                name: name.into(),
                resource_version_before: None,
                resource_version_after: s.resource_version(),
            });
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Err(MutationError::SecretExists {
            namespace: ns.into(),
            name: name.into(),
        }),
        Err(e) => Err(MutationError::api(
            "creating",
            format!("Secret {ns}/{name}"),
            e,
        )),
    }
}

async fn attach_step(
    client: &Client,
    prepared: &Prepared,
    secret: &str,
    to: &AttachTo,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    match to {
        AttachTo::Template { target } => {
            let change = TemplateChange::AddPullSecret {
                name: secret.to_string(),
            };
            change_template(client, prepared, target, &change, dry_run, out).await
        }
        AttachTo::ServiceAccount { namespace, name } => {
            attach_to_service_account(client, namespace, name, secret, dry_run, out).await
        }
    }
}

/// Read-modify-write of the ServiceAccount's `imagePullSecrets` (the field
/// has no merge key: a patch would replace the list), guarded by
/// `resourceVersion` and retried on 409.
async fn attach_to_service_account(
    client: &Client,
    ns: &str,
    name: &str,
    secret: &str,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let object = format!("ServiceAccount {ns}/{name}");
    for attempt in 0..5 {
        let mut sa = api
            .get(name)
            .await
            .map_err(|e| MutationError::api("reading", &object, e))?;
        let before = sa.resource_version();
        let list = sa.image_pull_secrets.get_or_insert_with(Vec::new);
        if list.iter().any(|s| s.name == secret) {
            out.notes
                .push(format!("{object} already lists {secret}: not changed"));
            return Ok(());
        }
        list.push(k8s_openapi::api::core::v1::LocalObjectReference {
            name: secret.to_string(),
        });
        match api.replace(name, &pp(dry_run), &sa).await {
            Ok(after) => {
                out.writes.push(Write {
                    action: "updated".into(),
                    kind: "ServiceAccount".into(),
                    namespace: ns.into(),
                    name: name.into(),
                    resource_version_before: before,
                    resource_version_after: after.resource_version(),
                });
                return Ok(());
            }
            Err(kube::Error::Api(s)) if s.code == 409 && attempt < 4 => {
                tracing::debug!(%object, "conflict, retrying");
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
            }
            Err(e) => return Err(MutationError::api("updating", &object, e)),
        }
    }
    Err(MutationError::Invalid(format!(
        "{object} kept changing: gave up after 5 attempts"
    )))
}

/// Changes one field of the template of `target` (or the bare pod), after
/// checking that the field is still what the preview showed. The write
/// carries the resourceVersion it was computed from; a 409 means the object
/// moved on (status, other fields): read again and, only if this field is
/// still as previewed, write again.
async fn change_template(
    client: &Client,
    prepared: &Prepared,
    target: &WriteTarget,
    change: &TemplateChange,
    dry_run: bool,
    out: &mut Outcome,
) -> Result<(), MutationError> {
    let api = dyn_api(client, target);
    let mut attempt = 0;
    let (before, after) = loop {
        attempt += 1;
        let obj = get_json(client, target).await?;
        let template = target.template.get(&obj);
        if let Some(why) = refuse_template_change(target, template, change) {
            return Err(MutationError::Invalid(why));
        }
        let now = field_value(template, change);
        if now != prepared.field_before {
            return Err(MutationError::Changed {
                object: target.to_string(),
                field: field_name(target, change),
                was: show(&prepared.field_before),
                now: show(&now),
            });
        }
        let before = rv_of(&obj);
        if target.kind == "Job" {
            return super::super::deletes::recreate_job(client, target, &obj, change, dry_run, out)
                .await;
        }
        let value = match change {
            TemplateChange::Annotate { value, merge, .. } => {
                annotation_after(now.as_str(), value, *merge)
            }
            _ => String::new(),
        };
        let mut patch = template_patch(target.template, change, &value, template);
        if let Some(rv) = &before {
            patch["metadata"]["resourceVersion"] = json!(rv);
        }
        match api
            .patch(
                &target.name,
                &patch_params(dry_run),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(o) => break (before, o.resource_version()),
            Err(kube::Error::Api(s)) if s.code == 409 && attempt < 5 => {
                tracing::debug!(object = %target, "conflict; reading again");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                return Err(MutationError::Changed {
                    object: target.to_string(),
                    field: "metadata.resourceVersion".into(),
                    was: before.unwrap_or_default(),
                    now: "newer at every attempt (it keeps changing)".into(),
                });
            }
            Err(e) => return Err(MutationError::api("patching", object_name(target), e)),
        }
    };
    out.writes.push(Write {
        action: "patched".into(),
        kind: target.kind.clone(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        resource_version_before: before,
        resource_version_after: after,
    });
    if !prepared.stuck_pods.is_empty() && target.kind == "StatefulSet" {
        super::super::deletes::delete_pods(
            client,
            &target.namespace,
            &prepared.stuck_pods,
            &prepared.pod_uids,
            dry_run,
            out,
        )
        .await?;
    }
    Ok(())
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(unset)".into(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
