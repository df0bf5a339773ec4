//! pulltui: a terminal console for Kubernetes image-pull failures.
//!
//! Layering: `domain` is pure, `app` holds state and update (and the
//! `Backend` contract), `ui` renders, `cluster` (live) and `snapshot`
//! (recorded) are backends doing the I/O, `runtime` drives the loop; `cli`
//! is the command line.

pub mod app;
pub mod audit;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod files;
pub mod journal;
pub mod logging;
pub mod probe;
pub mod process;
pub mod runtime;
pub mod snapshot;
pub mod ui;
