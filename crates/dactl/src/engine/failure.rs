//! Why the write of one action failed, as a type: the CLI maps it to an exit code and hints
//! ([`crate::error::exit_for_failure`], [`crate::error::hints_for_failure`]); the engine only
//! journals and reports it.

use std::error::Error as StdError;

/// Why the write of one action failed. The text of the whole chain (see
/// [`ActionFailure::chain_text`]) is what the journal's `failed` line and the outcome say.
#[derive(Debug, thiserror::Error)]
pub enum ActionFailure {
    /// The action moved away from the state the plan was made from; not overwritten.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Version conflicts, one after the other, more than the engine retries.
    #[error("the action kept changing: {conflicts} version conflicts in a row")]
    KeptChanging {
        /// Conflicts in a row.
        conflicts: u32,
        /// The last conflict.
        #[source]
        source: genesys_client::Error,
    },
    /// The read-back does not show what was written.
    #[error("verification by re-reading failed: {0}")]
    VerifyFailed(String),
    /// The platform took the write, but its answer disagreed with it and the read-back failed.
    #[error("the write was taken (HTTP 2xx) but its answer disagreed ({problem})")]
    AnswerDisagreed {
        /// What the answer showed.
        problem: String,
        /// Why the read-back failed.
        #[source]
        source: Box<ActionFailure>,
    },
    /// The write's outcome stayed unknown (no usable answer) after every attempt.
    #[error(
        "the outcome of the write is unknown after {attempts} attempts \
         (`dactl runs resume` or `dactl undo` settle it by reading the action)"
    )]
    Unsettled {
        /// Writes sent.
        attempts: u32,
        /// The last error.
        #[source]
        source: genesys_client::Error,
    },
    /// The answer to a write could not be understood, and a read showed it had not landed.
    #[error(
        "the write's answer could not be understood, and the action read since shows \
         it did not land; not sent again"
    )]
    NotUnderstood(#[source] genesys_client::Error),
    /// A write found landed shows more than its own change.
    #[error("the write landed but the action differs from the state it was computed from: {0}")]
    LandedDiffers(String),
    /// No write can be made of the action (e.g. it has no version).
    #[error("{0}")]
    CannotWrite(String),
    /// The draft kept changing (`--also-draft`).
    #[error("the draft of `{id}` could not be updated after {attempts} attempts")]
    DraftKeptChanging {
        /// Action id.
        id: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The draft has no version to write at (`--also-draft`).
    #[error("the draft of `{id}` has no version")]
    DraftWithoutVersion {
        /// Action id.
        id: String,
    },
    /// A request failed (refused, not found, permission, …), with the client's error kept.
    #[error(transparent)]
    Client(#[from] genesys_client::Error),
    /// The run folder could not be written (journal, backup, pre-image).
    #[error(transparent)]
    RunFolder(#[from] anyhow::Error),
}

impl ActionFailure {
    /// The client error this failure carries, if any (its kind decides the exit code).
    pub fn client_error(&self) -> Option<&genesys_client::Error> {
        match self {
            ActionFailure::KeptChanging { source, .. }
            | ActionFailure::Unsettled { source, .. }
            | ActionFailure::NotUnderstood(source)
            | ActionFailure::Client(source) => Some(source),
            ActionFailure::AnswerDisagreed { source, .. } => source.client_error(),
            ActionFailure::RunFolder(e) => e.chain().find_map(|c| c.downcast_ref()),
            ActionFailure::Conflict(_)
            | ActionFailure::VerifyFailed(_)
            | ActionFailure::LandedDiffers(_)
            | ActionFailure::CannotWrite(_)
            | ActionFailure::DraftKeptChanging { .. }
            | ActionFailure::DraftWithoutVersion { .. } => None,
        }
    }

    /// The failure and its causes on one line, `: `-separated (as `anyhow`'s `{:#}`).
    pub fn chain_text(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_text_is_anyhows_alternate_form() {
        let inner = anyhow::anyhow!("disk full").context("cannot append to the run journal");
        let expected = format!("{inner:#}");
        assert_eq!(ActionFailure::RunFolder(inner).chain_text(), expected);
        let f = ActionFailure::AnswerDisagreed {
            problem: "timeout 5".into(),
            source: Box::new(ActionFailure::VerifyFailed("timeout is 5".into())),
        };
        assert_eq!(
            f.chain_text(),
            "the write was taken (HTTP 2xx) but its answer disagreed (timeout 5): \
             verification by re-reading failed: timeout is 5"
        );
        assert!(f.client_error().is_none());
    }
}
