//! The kubelet's event and waiting reasons this product reads, named once.

/// Event: a pull (or another container step) failed; carries the cause.
pub const FAILED: &str = "Failed";
/// Event: kubelet backs off before the next pull.
pub const BACK_OFF: &str = "BackOff";
/// Event: a pod's `imagePullSecrets` names a secret that cannot be read.
pub const FAILED_TO_RETRIEVE_PULL_SECRET: &str = "FailedToRetrieveImagePullSecret";
/// Waiting reason: kubelet waits before retrying; the message carries no cause.
pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
/// Waiting reason: the last pull failed; the message carries the cause.
pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
/// Event type of failures.
pub const WARNING: &str = "Warning";
