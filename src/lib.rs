//! pulltui: a terminal console for Kubernetes image-pull failures.
//!
//! Layering (see `shared/design/architecture.md`): `domain` is pure,
//! `app` holds state and update, `ui` renders, `cluster`/`probe`/`snapshot`
//! do I/O, `runtime` drives the loop; `cli` is the command line.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod logging;
pub mod probe;
pub mod runtime;
pub mod ui;
