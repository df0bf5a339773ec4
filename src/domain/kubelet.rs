//! The kubelet's event and waiting reasons this product reads, named once.

/// Event: a pull (or another container step) failed; carries the cause.
pub const FAILED: &str = "Failed";
/// Event: kubelet backs off before the next pull.
pub const BACK_OFF: &str = "BackOff";
/// Event: a pod's `imagePullSecrets` names a secret that cannot be read.
pub const FAILED_TO_RETRIEVE_PULL_SECRET: &str = "FailedToRetrieveImagePullSecret";
/// Event: the pod's sandbox could not be created (its pause image, the
/// network plugin, the runtime handler, ...).
pub const FAILED_CREATE_POD_SANDBOX: &str = "FailedCreatePodSandBox";
/// Waiting reason: kubelet waits before retrying; the message carries no cause.
pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
/// Waiting reason: the last pull failed; the message carries the cause.
pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
/// Event type of failures.
pub const WARNING: &str = "Warning";

/// What the event correlator puts before a message once an object has had
/// many similar events (client-go's EventAggregate); not part of the cause.
pub const COMBINED_PREFIX: &str = "(combined from similar events): ";

/// An event message without the correlator's prefix.
pub fn event_message(message: &str) -> &str {
    message.strip_prefix(COMBINED_PREFIX).unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correlators_prefix_is_not_part_of_the_message() {
        assert_eq!(
            event_message("(combined from similar events): Failed to pull image \"x\": boom"),
            "Failed to pull image \"x\": boom"
        );
        assert_eq!(event_message("Error: ErrImagePull"), "Error: ErrImagePull");
    }
}
