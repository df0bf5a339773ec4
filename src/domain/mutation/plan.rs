//! From a fix and its parameters to a validated [`Mutation`]: the
//! annotation presets, where a pull secret is attached, which facets refuse
//! which fixes, and what a restart means for each kind of owner.

use jiff::Timestamp;

use super::body::{docker_server, secret_name_for};
use super::types::{
    ANN_HTTP_ENDPOINT, ANN_SKIP_VERIFY, AttachChoice, AttachTo, FixId, FixParams, InputError,
    Mutation, ObjectRef, PodContext, TemplateChange,
};
use super::validate::{normalise_hosts, validate_annotation, validate_dns1123_subdomain};
use crate::domain::classify::Category;
use crate::domain::facet::Facet;
use crate::domain::image::ImageRef;

/// An annotation preset of the `a` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub fix: FixId,
    pub key: &'static str,
}

const SKIP_VERIFY: Preset = Preset {
    fix: FixId::AnnotateSkipVerify,
    key: ANN_SKIP_VERIFY,
};
const HTTP_ENDPOINT: Preset = Preset {
    fix: FixId::AnnotateHttpEndpoint,
    key: ANN_HTTP_ENDPOINT,
};

/// The annotation presets, the one that fits the cause first.
pub fn presets(category: Option<Category>) -> [Preset; 2] {
    match category {
        Some(Category::ProtocolHttpRegistry) => [HTTP_ENDPOINT, SKIP_VERIFY],
        _ => [SKIP_VERIFY, HTTP_ENDPOINT],
    }
}

/// The value a preset is prefilled with: the image's registry `host[:port]`
/// (with the port whenever the image names one).
pub fn preset_value(image: &str) -> Result<String, InputError> {
    ImageRef::parse(image)
        .map(|r| r.registry)
        .map_err(|e| InputError::Image {
            image: image.to_string(),
            reason: e.to_string(),
        })
}

/// Turns a fix and its parameters into a validated mutation of `pod`'s target.
pub fn plan(pod: &PodContext, fix: FixId, p: &FixParams) -> Result<Mutation, InputError> {
    if let Some(why) = refused_for_facet(pod, fix) {
        return Err(InputError::NotApplicable(why));
    }
    match fix {
        FixId::AnnotateSkipVerify => plan_preset(pod, ANN_SKIP_VERIFY, p),
        FixId::AnnotateHttpEndpoint => plan_preset(pod, ANN_HTTP_ENDPOINT, p),
        FixId::Annotate => plan_annotate(pod, p),
        FixId::CreatePullSecret => plan_create_secret(pod, p),
        FixId::CopyPullSecret => plan_copy_secret(pod, p),
        FixId::AttachPullSecret => plan_attach_secret(pod, p),
        FixId::SetImage => plan_set_image(pod, p),
        FixId::Restart => plan_restart(pod, p.now),
    }
}

/// The mutation that makes `change` to the pod's template: a Job's
/// template is immutable, so the Job is recreated with it.
fn template_mutation(pod: &PodContext, change: TemplateChange) -> Mutation {
    let target = pod.target.clone();
    if target.kind == "Job" {
        return Mutation::RecreateJob { target, change };
    }
    match change {
        TemplateChange::Annotate { key, value, merge } => Mutation::AnnotateTemplate {
            target,
            key,
            value,
            merge,
        },
        TemplateChange::SetImage {
            container,
            init,
            image,
        } => Mutation::SetImage {
            target,
            container,
            init,
            image,
        },
        TemplateChange::SetVolumeImage { volume, image } => Mutation::SetVolumeImage {
            target,
            volume,
            image,
        },
        TemplateChange::AddPullSecret { name } => Mutation::AttachPullSecret {
            secret: name,
            to: AttachTo::Template { target },
        },
    }
}

/// A registry annotation preset (`key`): the hosts given, else the image's
/// registry, merged into the current list.
fn plan_preset(pod: &PodContext, key: &str, p: &FixParams) -> Result<Mutation, InputError> {
    let value = match &p.value {
        Some(v) => normalise_hosts(v)?,
        None => preset_value(&pod.image)?,
    };
    validate_annotation(key, &value)?;
    Ok(template_mutation(
        pod,
        TemplateChange::Annotate {
            key: key.into(),
            value,
            merge: true,
        },
    ))
}

fn plan_annotate(pod: &PodContext, p: &FixParams) -> Result<Mutation, InputError> {
    let key = p
        .key
        .clone()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .ok_or(InputError::Missing("--key KEY"))?;
    let value = p
        .value
        .clone()
        .ok_or(InputError::Missing("--value VALUE"))?;
    validate_annotation(&key, &value)?;
    // The presets' keys take comma lists: merge, never replace.
    let merge = key == ANN_SKIP_VERIFY || key == ANN_HTTP_ENDPOINT;
    let value = if merge {
        normalise_hosts(&value)?
    } else {
        value
    };
    Ok(template_mutation(
        pod,
        TemplateChange::Annotate { key, value, merge },
    ))
}

fn plan_create_secret(pod: &PodContext, p: &FixParams) -> Result<Mutation, InputError> {
    let name = match (&p.secret_name, &pod.missing_secret) {
        (Some(n), _) => n.clone(),
        (None, Some(missing)) => missing.clone(),
        (None, None) => secret_name_for(&preset_value(&pod.image)?),
    };
    validate_dns1123_subdomain(&name).map_err(|reason| InputError::SecretName {
        name: name.clone(),
        reason,
    })?;
    let username = p
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or(InputError::Missing("--username"))?;
    let password = p
        .password
        .clone()
        .filter(|pw| !pw.is_empty())
        .ok_or(InputError::Missing("a password (--password-stdin)"))?;
    let attach = attach_to(pod, &name, p.attach)?;
    let server = match p.server.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => {
            if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(InputError::NotApplicable(format!(
                    "invalid registry server {s:?}: no spaces or control characters"
                )));
            }
            s.to_string()
        }
        _ => docker_server(&preset_value(&pod.image)?),
    };
    Ok(Mutation::CreatePullSecret {
        namespace: pod.namespace.clone(),
        name,
        server,
        username,
        password,
        email: p.email.clone().filter(|e| !e.is_empty()),
        attach,
    })
}

fn plan_copy_secret(pod: &PodContext, p: &FixParams) -> Result<Mutation, InputError> {
    let from = p
        .from
        .clone()
        .ok_or(InputError::Missing("--from NS/NAME"))?;
    if from.namespace == pod.namespace {
        return Err(InputError::NotApplicable(format!(
            "{from} is already in the pod's namespace: use --fix attach-pull-secret --secret {}",
            from.name
        )));
    }
    validate_dns1123_subdomain(&from.name).map_err(|reason| InputError::SecretName {
        name: from.name.clone(),
        reason,
    })?;
    let attach = attach_to(pod, &from.name, p.attach)?;
    Ok(Mutation::CopyPullSecret {
        to: ObjectRef::new(&pod.namespace, &from.name),
        from,
        attach,
    })
}

fn plan_attach_secret(pod: &PodContext, p: &FixParams) -> Result<Mutation, InputError> {
    let secret = p
        .secret
        .clone()
        .ok_or(InputError::Missing("--secret NAME"))?;
    validate_dns1123_subdomain(&secret).map_err(|reason| InputError::SecretName {
        name: secret.clone(),
        reason,
    })?;
    match p.attach.unwrap_or(default_attach(pod)) {
        AttachChoice::Template if pod.injected.is_some() => {
            Err(InputError::NotApplicable(injected_template(pod)))
        }
        AttachChoice::None => Err(InputError::NotApplicable(
            "attach-pull-secret needs --attach template or serviceaccount".into(),
        )),
        AttachChoice::Template => {
            if pod.pull_secrets.contains(&secret) {
                return Err(InputError::NotApplicable(format!(
                    "the pod already references {secret:?}: attaching it again changes nothing"
                )));
            }
            Ok(template_mutation(
                pod,
                TemplateChange::AddPullSecret { name: secret },
            ))
        }
        AttachChoice::ServiceAccount => Ok(Mutation::AttachPullSecret {
            secret,
            to: AttachTo::ServiceAccount {
                namespace: pod.namespace.clone(),
                name: pod.service_account.clone(),
            },
        }),
    }
}

fn plan_set_image(pod: &PodContext, p: &FixParams) -> Result<Mutation, InputError> {
    let image = p.image.clone().ok_or(InputError::Missing("--image REF"))?;
    ImageRef::parse(&image).map_err(|e| InputError::Image {
        image: image.clone(),
        reason: e.to_string(),
    })?;
    if image == pod.image {
        return Err(InputError::NotApplicable(format!(
            "container {} already has image {image}",
            pod.container
        )));
    }
    if pod.facet == Facet::ImageVolume {
        let volume = pod
            .volume
            .clone()
            .ok_or(InputError::Missing("the image volume"))?;
        return Ok(template_mutation(
            pod,
            TemplateChange::SetVolumeImage { volume, image },
        ));
    }
    Ok(template_mutation(
        pod,
        TemplateChange::SetImage {
            container: pod.container.clone(),
            init: pod.init,
            image,
        },
    ))
}

/// Where a pull secret goes by default: the template, or the
/// ServiceAccount for an injected container (its injector, not the
/// workload, decides what it pulls).
fn default_attach(pod: &PodContext) -> AttachChoice {
    if pod.injected.is_some() {
        AttachChoice::ServiceAccount
    } else {
        AttachChoice::Template
    }
}

fn injected_template(pod: &PodContext) -> String {
    format!(
        "container {} was injected by {}: its pull secret belongs on the namespace's \
         ServiceAccount (--attach serviceaccount) or in the injector's configuration, not in \
         the workload's template",
        pod.container,
        pod.injected.as_deref().unwrap_or("a webhook")
    )
}

/// Why `fix` cannot apply to a failure of this facet: the sandbox image is
/// the node's (no write to the pod or its workload helps); an ephemeral
/// container can be neither changed nor removed; an injected container's
/// image is the injector's.
fn refused_for_facet(pod: &PodContext, fix: FixId) -> Option<String> {
    match pod.facet {
        Facet::Sandbox => Some(format!(
            "pod {}/{} cannot create its sandbox: the node's container runtime pulls the \
             sandbox (pause) image with its own configuration and credentials, so no change \
             to the pod, its pull secrets or its workload helps; fix the runtime's sandbox \
             image setting or the node's access to its registry",
            pod.namespace, pod.name
        )),
        Facet::EphemeralContainer => Some(format!(
            "{} is an ephemeral container (kubectl debug): it can be neither changed nor \
             removed, and no template holds it; run kubectl debug again with an image the \
             node can pull",
            pod.container
        )),
        _ if fix == FixId::SetImage && pod.injected.is_some() => Some(format!(
            "container {} was injected by {}: its image comes from the injector's \
             configuration, not from the workload's template; change it there",
            pod.container,
            pod.injected.as_deref().unwrap_or("a webhook")
        )),
        _ => None,
    }
}

fn plan_restart(pod: &PodContext, now: Option<Timestamp>) -> Result<Mutation, InputError> {
    let target = &pod.target;
    match target.kind.as_str() {
        "Pod" => Err(InputError::NotApplicable(format!(
            "{}/{} is a bare pod: no controller would recreate it if it were deleted. \
             Fix its image or pull secrets in place, or recreate it from your manifest",
            pod.namespace, pod.name
        ))),
        "Deployment" if pod.paused => Err(InputError::NotApplicable(format!(
            "Deployment/{} is paused: a restart would not roll out until it is resumed \
             (kubectl -n {} rollout resume deployment/{})",
            target.name, target.namespace, target.name
        ))),
        "Deployment" | "StatefulSet" | "DaemonSet" => Ok(Mutation::Restart {
            target: target.clone(),
            at: now.ok_or(InputError::Missing("the current time"))?,
        }),
        _ => {
            let mut pods = pod.failing_pods.clone();
            if !pods.contains(&pod.name) {
                pods.insert(0, pod.name.clone());
            }
            Ok(Mutation::DeletePods {
                owner: target.clone(),
                namespace: pod.namespace.clone(),
                pods,
            })
        }
    }
}

/// `--attach`: the choice, defaulting to the template, or to none when the
/// pod already references a secret of that name (creating it is the fix).
fn attach_to(
    pod: &PodContext,
    secret: &str,
    choice: Option<AttachChoice>,
) -> Result<Option<AttachTo>, InputError> {
    let referenced = pod.pull_secrets.iter().any(|s| s == secret);
    let choice = choice.unwrap_or(if referenced {
        AttachChoice::None
    } else {
        default_attach(pod)
    });
    Ok(match choice {
        AttachChoice::None => None,
        AttachChoice::Template if pod.injected.is_some() && !referenced => {
            return Err(InputError::NotApplicable(injected_template(pod)));
        }
        AttachChoice::Template if referenced => None,
        AttachChoice::Template => {
            if pod.target.kind == "Job" {
                return Err(InputError::NotApplicable(format!(
                    "Job/{}'s pod template cannot change: attach to the ServiceAccount \
                     (--attach serviceaccount) and restart, or recreate the Job",
                    pod.target.name
                )));
            }
            Some(AttachTo::Template {
                target: pod.target.clone(),
            })
        }
        AttachChoice::ServiceAccount => Some(AttachTo::ServiceAccount {
            namespace: pod.namespace.clone(),
            name: pod.service_account.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mutation::fixtures::{ctx, deployment, params_image};
    use crate::domain::mutation::{Current, template_patch};
    use crate::domain::owners::{TemplatePath, WriteTarget};
    use serde_json::json;

    #[test]
    fn the_sandbox_and_an_ephemeral_container_refuse_every_write() {
        for facet in [Facet::Sandbox, Facet::EphemeralContainer] {
            let pod = PodContext {
                facet,
                ..ctx(deployment())
            };
            for fix in [
                FixId::SetImage,
                FixId::Restart,
                FixId::AttachPullSecret,
                FixId::AnnotateSkipVerify,
            ] {
                let p = FixParams {
                    image: Some("127.0.0.1:5443/team/app:2.0".into()),
                    secret: Some("regcred".into()),
                    now: Some(Timestamp::UNIX_EPOCH),
                    ..Default::default()
                };
                match plan(&pod, fix, &p) {
                    Err(InputError::NotApplicable(why)) => {
                        assert!(
                            why.contains("sandbox") || why.contains("ephemeral"),
                            "{why}"
                        )
                    }
                    other => panic!("{facet:?} {fix:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn set_image_on_an_image_volume_changes_the_volumes_reference() {
        let pod = PodContext {
            facet: Facet::ImageVolume,
            volume: Some("data".into()),
            image: "127.0.0.1:5443/team/data:1".into(),
            ..ctx(deployment())
        };
        let m = plan(
            &pod,
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/data:2"),
        );
        let Ok(Mutation::SetVolumeImage { volume, image, .. }) = &m else {
            panic!("{m:?}");
        };
        assert_eq!(
            (volume.as_str(), image.as_str()),
            ("data", "127.0.0.1:5443/team/data:2")
        );
        let Some((t, change)) = m.as_ref().ok().and_then(|m| m.template_change()) else {
            panic!("a template change");
        };
        let patch = template_patch(t.template, &change, "", None);
        assert_eq!(
            patch,
            json!({"spec": {"template": {"spec": {"volumes": [
                {"name": "data", "image": {"reference": "127.0.0.1:5443/team/data:2"}}]}}}})
        );
        // A Job is re-created with the volume changed.
        let job = WriteTarget {
            kind: "Job".into(),
            ..deployment()
        };
        let m = plan(
            &PodContext {
                target: job,
                ..pod.clone()
            },
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/data:2"),
        );
        assert!(matches!(
            m,
            Ok(Mutation::RecreateJob {
                change: TemplateChange::SetVolumeImage { .. },
                ..
            })
        ));
    }

    #[test]
    fn an_injected_containers_image_and_secret_stay_off_the_template() {
        let pod = PodContext {
            injected: Some("istio".into()),
            container: "istio-proxy".into(),
            ..ctx(deployment())
        };
        let m = plan(
            &pod,
            FixId::SetImage,
            &params_image("127.0.0.1:5443/team/app:2.0"),
        );
        assert!(
            matches!(&m, Err(InputError::NotApplicable(w)) if w.contains("injector")),
            "{m:?}"
        );
        // A pull secret goes on the ServiceAccount by default, never the template.
        let p = FixParams {
            secret: Some("regcred".into()),
            ..Default::default()
        };
        let m = plan(&pod, FixId::AttachPullSecret, &p);
        assert!(
            matches!(
                &m,
                Ok(Mutation::AttachPullSecret {
                    to: AttachTo::ServiceAccount { .. },
                    ..
                })
            ),
            "{m:?}"
        );
        let p = FixParams {
            attach: Some(AttachChoice::Template),
            ..p
        };
        let m = plan(&pod, FixId::AttachPullSecret, &p);
        assert!(matches!(m, Err(InputError::NotApplicable(_))), "{m:?}");
    }

    #[test]
    fn preset_order_follows_the_cause() {
        assert_eq!(
            presets(Some(Category::TlsUntrusted))[0].key,
            ANN_SKIP_VERIFY
        );
        assert_eq!(
            presets(Some(Category::ProtocolHttpRegistry))[0].key,
            ANN_HTTP_ENDPOINT
        );
        assert_eq!(presets(None)[0].fix, FixId::AnnotateSkipVerify);
    }

    #[test]
    fn preset_value_is_the_registry_with_its_port() {
        assert_eq!(
            preset_value("127.0.0.1:5000/a/b:1").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(preset_value("reg.example/a").unwrap(), "reg.example");
        assert_eq!(preset_value("nginx").unwrap(), "docker.io");
        assert!(preset_value("Bad/Name").is_err());
    }

    #[test]
    fn planning_skip_verify_defaults_to_the_image_registry() {
        let m = plan(
            &ctx(deployment()),
            FixId::AnnotateSkipVerify,
            &FixParams::default(),
        )
        .unwrap();
        assert_eq!(
            m,
            Mutation::AnnotateTemplate {
                target: deployment(),
                key: ANN_SKIP_VERIFY.into(),
                value: "127.0.0.1:5443".into(),
                merge: true
            }
        );
        let p = FixParams {
            value: Some(" a, a ,b".into()),
            ..Default::default()
        };
        let Mutation::AnnotateTemplate { value, .. } =
            plan(&ctx(deployment()), FixId::AnnotateHttpEndpoint, &p).unwrap()
        else {
            panic!()
        };
        assert_eq!(value, "a,b");
    }

    #[test]
    fn create_pull_secret_uses_the_missing_name_and_does_not_attach_it_again() {
        let mut c = ctx(deployment());
        c.pull_secrets = vec!["does-not-exist".into()];
        c.missing_secret = Some("does-not-exist".into());
        let p = FixParams {
            username: Some("u".into()),
            password: Some("pw".into()),
            ..Default::default()
        };
        let m = plan(&c, FixId::CreatePullSecret, &p).unwrap();
        let Mutation::CreatePullSecret {
            name,
            attach,
            server,
            ..
        } = &m
        else {
            panic!()
        };
        assert_eq!(name, "does-not-exist");
        assert_eq!(attach, &None);
        assert_eq!(server, "127.0.0.1:5443");
        // Without a missing name: derived, attached to the template.
        let m = plan(&ctx(deployment()), FixId::CreatePullSecret, &p).unwrap();
        let Mutation::CreatePullSecret { name, attach, .. } = &m else {
            panic!()
        };
        assert_eq!(name, "regcred-127-0-0-1-5443");
        assert_eq!(
            attach,
            &Some(AttachTo::Template {
                target: deployment()
            })
        );
        assert!(!format!("{m:?}").contains("pw\""));
        assert!(!m.audit_change().to_string().contains("pw"));
    }

    #[test]
    fn create_pull_secret_requires_credentials() {
        let e = plan(
            &ctx(deployment()),
            FixId::CreatePullSecret,
            &FixParams::default(),
        )
        .unwrap_err();
        assert_eq!(e, InputError::Missing("--username"));
        let p = FixParams {
            username: Some("u".into()),
            secret_name: Some("Bad_Name".into()),
            password: Some("x".into()),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::CreatePullSecret, &p),
            Err(InputError::SecretName { .. })
        ));
    }

    #[test]
    fn set_image_validates_the_reference_and_a_job_is_recreated() {
        let p = FixParams {
            image: Some("Bad:Ref:x".into()),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::SetImage, &p),
            Err(InputError::Image { .. })
        ));
        let job = WriteTarget {
            kind: "Job".into(),
            api_version: "batch/v1".into(),
            namespace: "shop".into(),
            name: "once".into(),
            template: TemplatePath::Template,
        };
        let p = FixParams {
            image: Some("127.0.0.1:5443/team/app:1.0-fixed".into()),
            ..Default::default()
        };
        let m = plan(&ctx(job), FixId::SetImage, &p).unwrap();
        assert!(matches!(m, Mutation::RecreateJob { .. }), "{m:?}");
        let pv = m.preview(&Current::default());
        assert!(pv.notes.iter().any(|n| n.contains("immutable")), "{pv}");
        assert!(pv.kubectl[0].contains("replace --force"), "{pv}");
    }

    #[test]
    fn restart_rolls_out_refuses_bare_and_paused_and_deletes_otherwise() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let p = FixParams {
            now: Some(now),
            ..Default::default()
        };
        assert!(matches!(
            plan(&ctx(deployment()), FixId::Restart, &p).unwrap(),
            Mutation::Restart { .. }
        ));
        let mut paused = ctx(deployment());
        paused.paused = true;
        let e = plan(&paused, FixId::Restart, &p).unwrap_err();
        assert!(e.to_string().contains("paused"), "{e}");
        let bare = ctx(WriteTarget::pod("shop", "web-1"));
        let e = plan(&bare, FixId::Restart, &p).unwrap_err();
        assert!(e.to_string().contains("bare pod"), "{e}");
        let mut rs = ctx(WriteTarget {
            kind: "ReplicaSet".into(),
            api_version: "apps/v1".into(),
            namespace: "shop".into(),
            name: "rs".into(),
            template: TemplatePath::Template,
        });
        rs.failing_pods = vec!["other-pod".into()];
        let Mutation::DeletePods { pods, .. } = plan(&rs, FixId::Restart, &p).unwrap() else {
            panic!()
        };
        assert_eq!(pods, vec!["web-1".to_string(), "other-pod".into()]);
    }
}
