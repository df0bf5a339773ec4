//! Pure domain logic: no async, no terminal. Kubernetes types in, plain values out.

pub mod classify;
pub mod clock;
pub mod failing;
pub mod image;
pub mod ipscope;
pub mod probe;
pub mod redact;
pub mod secrets;
