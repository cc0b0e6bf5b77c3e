//! Errors and exit codes.
//!
//! Exit codes are an interface (DESIGN.md §3) and are chosen here only: [`exit_code_for`] for
//! an error, [`Exit::for_run`] for the result of a run of the engine (whose failures are typed:
//! [`ActionFailure`], mapped by [`exit_for_failure`]). Library code returns `anyhow::Error` whose
//! chain holds either a [`Failure`] (a dactl decision, with its exit code and hints) or a
//! [`genesys_client::Error`] (classified by its `kind()`).

use genesys_client::ErrorKind;

use crate::engine::{ActionFailure, Outcome};
use crate::runs::{FindRunError, Summary};

/// The documented process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Exit {
    /// Success, including "nothing to change".
    Ok,
    /// The operation failed.
    Failed,
    /// Usage, configuration or bad input.
    Usage,
    /// Some actions of a bulk run failed.
    Partial,
    /// Authentication or permission.
    Auth,
    /// Rate limit or transient errors exhausted the retries.
    Exhausted,
    /// Interrupted by Ctrl-C.
    Interrupted,
    /// `plan --detailed-exitcode`: changes are pending (2, as Terraform's `plan
    /// -detailed-exitcode`; an error is then 1, whatever its kind).
    Changes,
}

impl Exit {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage | Exit::Changes => 2,
            Exit::Partial => 3,
            Exit::Auth => 4,
            Exit::Exhausted => 5,
            Exit::Interrupted => 130,
        }
    }

    /// The exit code of a run of the engine: interrupted (130) if Ctrl-C stopped it; else,
    /// with failures, the failure's own code for a run of one action and partial (3) for a
    /// bulk run; else success. `outcomes` has one outcome per row of the plan.
    pub fn for_run(summary: &Summary, outcomes: &[Outcome]) -> Exit {
        if summary.interrupted {
            return Exit::Interrupted;
        }
        if summary.failed == 0 {
            return Exit::Ok;
        }
        match outcomes {
            [one] => one
                .failure
                .as_deref()
                .map_or(Exit::Failed, exit_for_failure),
            _ => Exit::Partial,
        }
    }

    /// The exit code of a probe whose executions did not all fail (that one is an error):
    /// interrupted (130) if Ctrl-C stopped it, partial (3) when some executions failed or
    /// timed out, else success.
    pub fn for_probe(interrupted: bool, succeeded: u32, executions: u32) -> Exit {
        if interrupted {
            Exit::Interrupted
        } else if succeeded < executions {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

/// A failure decided by dactl itself, with the exit code it maps to and hints for the user.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// Exit code.
    pub exit: Exit,
    /// One-line message, lower-case, no trailing period.
    pub message: String,
    /// Hints printed after the error.
    pub hints: Vec<String>,
    /// Lines printed after the hints as they are, indented (a small table, e.g. the
    /// regions); dactl's own text only, never a value from a server.
    pub details: Vec<String>,
}

impl Failure {
    /// A failure with no hint.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    /// Bad input or usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// Add a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Add a line to print, indented, after the hints.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }
}

/// Map an error chain to the exit code: the first [`Failure`] or client error found decides.
pub fn exit_code_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.exit;
        }
        if let Some(e) = cause.downcast_ref::<genesys_client::Error>() {
            return exit_for_kind(e.kind());
        }
        if let Some(e) = cause.downcast_ref::<crate::duration::DurationError>() {
            let _ = e;
            return Exit::Usage;
        }
        if cause.is::<FindRunError>() {
            return Exit::Usage;
        }
    }
    Exit::Failed
}

/// The exit code for a classified client error.
pub fn exit_for_kind(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::Config => Exit::Usage,
        ErrorKind::Auth | ErrorKind::Permission => Exit::Auth,
        ErrorKind::RateLimited | ErrorKind::Transient => Exit::Exhausted,
        ErrorKind::NotFound
        | ErrorKind::Conflict
        | ErrorKind::BadRequest
        | ErrorKind::Protocol
        | ErrorKind::Other => Exit::Failed,
    }
}

/// The exit code for the failure of one action in a run: its client error's kind decides.
pub fn exit_for_failure(failure: &ActionFailure) -> Exit {
    match failure {
        ActionFailure::RunFolder(e) => exit_code_for(e),
        f => f
            .client_error()
            .map_or(Exit::Failed, |e| exit_for_kind(e.kind())),
    }
}

/// Hints for an error chain: from a [`Failure`], and from a client error's own hint.
pub fn hints_for(err: &anyhow::Error) -> Vec<String> {
    let mut hints = Vec::new();
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            hints.extend(f.hints.iter().cloned());
        }
        if let Some(e) = cause.downcast_ref::<genesys_client::Error>() {
            client_hints(e, &mut hints);
        }
        if let Some(e) = cause.downcast_ref::<FindRunError>() {
            hints.extend(find_run_hint(e).map(str::to_string));
        }
    }
    hints.dedup();
    hints
}

/// Hints for the failure of one action in a run: its client error's own hint and correlation id.
pub fn hints_for_failure(failure: &ActionFailure) -> Vec<String> {
    match failure {
        ActionFailure::RunFolder(e) => hints_for(e),
        f => {
            let mut hints = Vec::new();
            if let Some(e) = f.client_error() {
                client_hints(e, &mut hints);
            }
            hints.dedup();
            hints
        }
    }
}

fn find_run_hint(e: &FindRunError) -> Option<&'static str> {
    match e {
        FindRunError::NoneGiven => Some(
            "give a run id (or a unique prefix of one, or `last`); `dactl runs list` shows them",
        ),
        FindRunError::NoSuchRun(_) => Some("`dactl runs list` shows the runs"),
        FindRunError::NoRuns | FindRunError::Ambiguous { .. } => None,
    }
}

fn client_hints(e: &genesys_client::Error, hints: &mut Vec<String>) {
    if let Some(h) = e.hint() {
        hints.push(h);
    }
    if let Some(id) = e.correlation_id() {
        hints.push(format!(
            "the request's ININ-Correlation-ID is `{id}` (quote it to Genesys support)"
        ));
    }
}

/// Render an error for stderr: `error: …`, then `Caused by:` lines, then `hint: …` lines.
pub fn render(err: &anyhow::Error) -> String {
    let mut out = format!("error: {}\n", one_line(&err.to_string()));
    let causes: Vec<String> = err
        .chain()
        .skip(1)
        .map(|c| one_line(&c.to_string()))
        .filter(|c| !c.is_empty())
        .collect();
    let mut last = one_line(&err.to_string());
    let mut printed_header = false;
    for c in causes {
        if c == last {
            continue;
        }
        if !printed_header {
            out.push_str("Caused by:\n");
            printed_header = true;
        }
        out.push_str(&format!("  {c}\n"));
        last = c;
    }
    for h in hints_for(err) {
        out.push_str(&format!("hint: {}\n", one_line(&h)));
    }
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            for d in &f.details {
                out.push_str(&format!("  {}\n", one_line(d)));
            }
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_is_partial_when_some_executions_fail_and_interrupted_first() {
        assert_eq!(Exit::for_probe(false, 20, 20), Exit::Ok);
        assert_eq!(Exit::for_probe(false, 19, 20), Exit::Partial);
        assert_eq!(Exit::for_probe(true, 20, 20), Exit::Interrupted);
        assert_eq!(Exit::for_probe(true, 3, 20), Exit::Interrupted);
    }

    #[test]
    fn codes_are_the_documented_ones() {
        let all = [
            (Exit::Ok, 0),
            (Exit::Failed, 1),
            (Exit::Usage, 2),
            (Exit::Partial, 3),
            (Exit::Auth, 4),
            (Exit::Exhausted, 5),
            (Exit::Interrupted, 130),
        ];
        for (e, c) in all {
            assert_eq!(e.code(), c);
        }
    }

    #[test]
    fn failure_in_context_chain_decides() {
        let e = anyhow::Error::new(Failure::usage("bad")).context("while doing x");
        assert_eq!(exit_code_for(&e), Exit::Usage);
        let r = render(&e);
        assert!(
            r.starts_with("error: while doing x\nCaused by:\n  bad\n"),
            "{r}"
        );
    }

    fn failed(failure: Option<ActionFailure>) -> Outcome {
        Outcome {
            id: "a".into(),
            name: "A".into(),
            status: crate::engine::Status::Failed,
            old_timeout: None,
            new_timeout: Some(30),
            from_version: Some(1),
            to_version: None,
            correlation_id: None,
            message: None,
            failure: failure.map(std::sync::Arc::new),
            found: None,
        }
    }

    fn transport() -> genesys_client::Error {
        genesys_client::Error::Transport {
            method: "PATCH".into(),
            path: "/x".into(),
            message: "connection reset".into(),
        }
    }

    #[test]
    fn a_run_exits_by_its_summary_and_the_failure_of_its_one_action() {
        let ok = Summary::default();
        let failed1 = Summary {
            failed: 1,
            ..Summary::default()
        };
        assert_eq!(Exit::for_run(&ok, &[]), Exit::Ok);
        let interrupted = Summary {
            interrupted: true,
            ..failed1.clone()
        };
        assert_eq!(
            Exit::for_run(&interrupted, &[failed(None)]),
            Exit::Interrupted
        );
        let unsettled = ActionFailure::Unsettled {
            attempts: 6,
            source: transport(),
        };
        assert_eq!(exit_for_failure(&unsettled), Exit::Exhausted);
        assert_eq!(
            Exit::for_run(&failed1, &[failed(Some(unsettled))]),
            Exit::Exhausted
        );
        let conflict = ActionFailure::Conflict("changed since".into());
        assert_eq!(
            Exit::for_run(&failed1, &[failed(Some(conflict))]),
            Exit::Failed
        );
        assert_eq!(Exit::for_run(&failed1, &[failed(None)]), Exit::Failed);
        assert_eq!(
            Exit::for_run(&failed1, &[failed(None), failed(None)]),
            Exit::Partial
        );
        let run_folder = ActionFailure::RunFolder(anyhow::Error::new(Failure::usage("x")));
        assert_eq!(exit_for_failure(&run_folder), Exit::Usage);
    }

    #[test]
    fn a_missing_run_is_usage_with_a_hint() {
        let e = anyhow::Error::new(FindRunError::NoSuchRun("zz".into()));
        assert_eq!(exit_code_for(&e), Exit::Usage);
        assert_eq!(
            render(&e),
            "error: no run `zz`\nhint: `dactl runs list` shows the runs\n"
        );
        let e = anyhow::Error::new(FindRunError::Ambiguous {
            prefix: "2026".into(),
            count: 3,
        });
        assert_eq!(
            render(&e),
            "error: `2026` matches 3 runs; give more of the id\n"
        );
    }

    #[test]
    fn renders_hints() {
        let e = anyhow::Error::new(Failure::new(Exit::Failed, "nope").hint("try this"));
        assert_eq!(render(&e), "error: nope\nhint: try this\n");
    }
}
