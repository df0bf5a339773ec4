//! Cluster writes as values: the typed [`Mutation`] a fix becomes, the pure
//! builders of its request bodies, validation as the API server does it, and
//! the [`Preview`] (a YAML diff of the affected fields and the equivalent
//! `kubectl` commands) shown before anything is sent.
//!
//! Pure: no I/O, no clock (`now` is a parameter), no env. The cluster layer
//! (`cluster::mutate`) fetches the current objects, asks this module for the
//! preview and the bodies, and sends them. Credentials stay in
//! [`Redacted`](crate::domain::redact::Redacted): previews, audit records and
//! `Debug` output never hold them; the kubectl equivalents say `"$PASSWORD"`.
//!
//! - `types`: the fix ids, parameters, pod context, mutations, input errors;
//! - `plan`: a fix and its parameters → a validated mutation;
//! - `validate`: names and annotations as the API server checks them;
//! - `body`: secret payloads, secret names, merged annotation values;
//! - `template_change`: template patches, the recreated Job;
//! - `candidates`: secrets that cover an image (to copy or attach);
//! - `preview` and `kubectl`: what is confirmed, and the kubectl equivalent.

mod body;
mod candidates;
#[cfg(test)]
mod fixtures;
mod kubectl;
mod plan;
mod preview;
pub mod template_change;
mod types;
mod validate;

pub use body::{
    DOCKER_HUB_SERVER, annotation_after, docker_config_json, docker_server, merge_list,
    restarted_at, secret_name_for,
};
pub use candidates::{Candidate, attachable, covering};
pub use kubectl::sh;
pub use plan::{Preset, plan, preset_value, presets};
pub use preview::{Current, Preview, secret_namespaces};
pub use template_change::{
    JOB_GENERATED_LABELS, apply_to_template, recreated_job, refuse_template_change, template_patch,
};
pub use types::{
    ANN_HTTP_ENDPOINT, ANN_RESTARTED_AT, ANN_SKIP_VERIFY, AttachChoice, AttachTo, FIELD_MANAGER,
    FixId, FixParams, InputError, Mutation, ObjectRef, PodContext, TemplateChange,
};
pub use validate::{
    validate_annotation, validate_dns1123_label, validate_dns1123_subdomain,
    validate_qualified_name,
};
