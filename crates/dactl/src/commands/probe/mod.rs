//! `dactl probe ACTION --input JSON|@FILE [-n N]`: timed test executions of one action and a
//! timeout recommended from their p99 (the statistics live in [`crate::probe`]).
//!
//! A test execution calls the action's real backend, so the command runs for exactly one
//! action (it refuses bulk selectors), asks for confirmation on a terminal and needs `--yes`
//! elsewhere (the built-in sandbox has no real backend and asks nothing). The input is parsed
//! and checked before any request. Executions run `--concurrency` at a time through the
//! client's shared rate limiter; an authentication, permission or bad-request error stops the
//! probe at once (the same call would fail N times), a transient error counts as a failed
//! execution. Ctrl-C stops starting new executions and reports what was measured.
//!
//! A test whose remote call ran past the timeout is a **timeout sample**, however the platform
//! reports it (a failed result that says so, HTTP 504 or HTTP 408: U18, see
//! `genesys_client::execution`); it is never retried, never stops the probe, and the advice
//! then says that the timeout is too tight, not that the input is wrong. For a function data
//! action the executions stop at the smaller of the action's and the function's timeout, so
//! the recommendation is capped at the function's timeout, and the probe says why.
//!
//! Exit codes: 0 when every execution succeeded, 3 when some failed or timed out, 1 when none
//! succeeded (no recommendation), 2 for bad input, 4 for a missing permission.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use genesys_client::ErrorKind;
use serde_json::{Map, Value};

use crate::actions::explicit_timeout;
use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::probe::{self, ProbeRecord, Sample, SampleOutcome};
use crate::selection;
use crate::selector;

mod render;

/// Arguments of `probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Action id or exact name: one action, since each execution calls its real backend
    pub action: Option<String>,
    /// The action's input as a JSON object, or @FILE (`@-` reads stdin)
    #[arg(long, value_name = "JSON|@FILE")]
    pub input: String,
    /// Number of test executions (at most 1000); `--concurrency` run at once
    #[arg(short = 'n', long = "count", default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub count: u32,
    /// Refused: probe runs one ACTION
    #[arg(long, hide = true)]
    pub all: bool,
    /// Refused: probe runs one ACTION
    #[arg(long, hide = true)]
    pub name: Option<String>,
    /// Refused: probe runs one ACTION
    #[arg(long, hide = true)]
    pub category: Option<String>,
    /// Refused: probe runs one ACTION
    #[arg(long, hide = true)]
    pub integration: Option<String>,
    /// Refused: probe runs one ACTION
    #[arg(long = "id", hide = true)]
    pub ids: Vec<String>,
    /// Refused: probe runs one ACTION
    #[arg(long, hide = true)]
    pub from_file: Option<String>,
}

/// `dactl probe ACTION --input JSON`: bulk selectors are refused, one ACTION is needed.
pub(crate) async fn run(ctx: &Context, args: ProbeArgs) -> anyhow::Result<Exit> {
    let ProbeArgs {
        action,
        input,
        count,
        all,
        name,
        category,
        integration,
        ids,
        from_file,
    } = args;
    let mut refused = Vec::new();
    for (given, flag) in [
        (all, "--all"),
        (name.is_some(), "--name"),
        (category.is_some(), "--category"),
        (integration.is_some(), "--integration"),
        (!ids.is_empty(), "--id"),
        (from_file.is_some(), "--from-file"),
    ] {
        if given {
            refused.push(flag);
        }
    }
    if refused.is_empty() && action.is_none() {
        return Err(Failure::usage("`probe` needs one ACTION")
            .hint("name the action by id or exact name: `dactl probe \"Get Contact\" --input '{}'`")
            .into());
    }
    probe(
        ctx,
        Request {
            action: action.unwrap_or_default(),
            input,
            count,
            refused,
        },
    )
    .await
}

/// Largest `--input` accepted, in bytes.
const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// What `probe` runs, once its arguments are checked.
pub(crate) struct Request {
    pub action: String,
    pub input: String,
    pub count: u32,
    /// Bulk selectors given by mistake (refused).
    pub refused: Vec<&'static str>,
}

/// Replace every input value (strings and numbers of 3 characters or more) found in a
/// platform message by `***`: messages are printed and stored, input values may be personal
/// data (a phone number, an account number).
pub(crate) fn redact(message: &str, input: &Map<String, Value>) -> String {
    let mut values: Vec<String> = input
        .values()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| s.chars().count() >= 3)
        .collect();
    // Longest first, so that a value containing another is replaced whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = message.to_string();
    for v in values {
        out = out.replace(&v, "***");
    }
    out
}

/// Parse `--input`: JSON text, `@FILE`, or `@-` for stdin; it must be a JSON object.
pub(crate) fn parse_input(
    raw: &str,
    read_file: &dyn Fn(&str) -> std::io::Result<Vec<u8>>,
) -> Result<Map<String, Value>, Failure> {
    let (text, source) = match raw.strip_prefix('@') {
        Some(path) if !path.is_empty() => {
            let bytes = read_file(path).map_err(|e| {
                Failure::usage(format!("cannot read `{}`: {e}", selector::shorten(path)))
            })?;
            if bytes.len() > MAX_INPUT_BYTES {
                return Err(Failure::usage(format!(
                    "`{}` is larger than 1 MiB",
                    selector::shorten(path)
                )));
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::usage(format!("`{}` is not UTF-8 text", selector::shorten(path)))
            })?;
            (text, format!("`{}`", selector::shorten(path)))
        }
        Some(_) => {
            return Err(Failure::usage("`--input @` needs a file name")
                .hint("use `--input @input.json`, or `--input @-` to read stdin"))
        }
        None => (raw.to_string(), "`--input`".to_string()),
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!("{source} is not valid JSON: {e}")).hint(
            "give the action's input as a JSON object, e.g. `--input '{\"phoneNumber\": \"+15551234567\"}'`",
        )
    })?;
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(
            Failure::usage(format!("{source} must be a JSON object of input values")).hint(
                "the test endpoint takes the action's input contract as an object: `{\"name\": value}`",
            ),
        ),
    }
}

pub(crate) async fn probe(ctx: &Context, a: Request) -> anyhow::Result<Exit> {
    if let Some(flag) = a.refused.first() {
        return Err(Failure::usage(format!(
            "`probe` runs one action; it does not take `{flag}`"
        ))
        .hint("each test execution calls the action's real backend: name one ACTION (an id or an exact name)")
        .into());
    }
    let input = parse_input(&a.input, &|p| {
        if p == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
            Ok(buf)
        } else {
            std::fs::read(p)
        }
    })?;
    let sel = selection::selectors(vec![a.action.clone()], SelectorArgs::default())?;
    let session = ctx.session().await?;
    let (found, _) = selection::load(&session, &sel).await?;
    let Some(action) = found.into_iter().next() else {
        return Err(Failure::usage("no such action").into());
    };
    let fx = selection::functions(ctx, &session, std::slice::from_ref(&action)).await;
    let kind = fx.kind(&action);
    let function_timeout = fx.function_timeout(&action);
    let effective = fx.effective(&action, explicit_timeout(&action));
    let sandbox = session.sandbox.is_some();
    let (name, id, count, target) = (&action.name, &action.id, a.count, &session.api_base);
    let question = format!(
        "Run {count} test executions of `{name}` ({id}) against its real backend via {target}?"
    );
    let refusal = Failure::usage(format!(
        "refusing to run {count} test executions of `{name}` without confirmation"
    ))
    .hint("each execution calls the action's real backend; pass `--yes` to go ahead");
    if !sandbox && !ctx.printer.confirm(&question, refusal)? {
        // Not an error: nothing failed (exit 1 all the same, as for a declined change).
        ctx.printer.line("cancelled; nothing was executed");
        return Ok(Exit::Failed);
    }

    let client = session.client.clone();
    client.authenticate().await?;
    let concurrency = (ctx.global.concurrency as usize)
        .min(a.count as usize)
        .max(1);
    ctx.say(&format!(
        "probing `{}` ({}): {} test executions, {} at a time",
        action.name, action.id, a.count, concurrency
    ));
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let abort = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let input = Arc::new(input);
    let mut set: tokio::task::JoinSet<Result<Sample, genesys_client::Error>> =
        tokio::task::JoinSet::new();
    let mut samples: Vec<Sample> = Vec::new();
    let mut fatal = None;
    for seq in 1..=a.count {
        let permit = sem.clone().acquire_owned().await?;
        if ctx.stop.load(Ordering::SeqCst) || abort.load(Ordering::SeqCst) {
            break;
        }
        if seq == 2 {
            // The first execution runs alone: when it fails for a reason other than the
            // timeout (typically an input the contract refuses), the others would fail
            // the same way, so none is started.
            if let Some(r) = set.join_next().await {
                match r? {
                    Ok(s) => {
                        let stop = s.outcome == SampleOutcome::Failed;
                        samples.push(s);
                        if stop {
                            break;
                        }
                    }
                    Err(e) => {
                        fatal = Some(e);
                        break;
                    }
                }
            }
        }
        let client = client.clone();
        let id = action.id.clone();
        let input = input.clone();
        let abort = abort.clone();
        set.spawn(async move {
            let _permit = permit;
            let r = client.test_action(&id, &input).await;
            match r {
                Ok(t) => {
                    let ms = t.elapsed.as_secs_f64() * 1000.0;
                    let outcome = if t.result.success {
                        SampleOutcome::Ok
                    } else if t.result.is_timeout() {
                        SampleOutcome::Timeout
                    } else {
                        SampleOutcome::Failed
                    };
                    Ok(Sample {
                        seq,
                        elapsed_ms: Some(ms),
                        outcome,
                        message: t.result.failure_reason(),
                    })
                }
                Err(e) if e.kind() == ErrorKind::Transient => Ok(Sample {
                    seq,
                    elapsed_ms: None,
                    outcome: SampleOutcome::Error,
                    message: Some(e.to_string()),
                }),
                Err(e) => {
                    abort.store(true, Ordering::SeqCst);
                    Err(e)
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        match r? {
            Ok(s) => samples.push(s),
            Err(e) => {
                if fatal.is_none() {
                    fatal = Some(e);
                }
            }
        }
    }
    session.close()?;
    if let Some(e) = fatal {
        let mut f = Failure::new(
            crate::error::exit_for_kind(e.kind()),
            format!(
                "the test execution of `{}` failed: {}",
                action.name,
                redact(&e.to_string(), &input)
            ),
        );
        match e.kind() {
            ErrorKind::Permission => {
                f = f.hint("test executions need the permission `integrations:action:execute`")
            }
            ErrorKind::BadRequest => {
                f = f.hint("the platform refused the test request; check `--input` against the action's input contract")
            }
            _ => {}
        }
        if let Some(h) = e.hint() {
            f = f.hint(h);
        }
        if let Some(id) = e.correlation_id() {
            f = f.hint(format!(
                "the request's ININ-Correlation-ID is `{id}` (quote it to Genesys support)"
            ));
        }
        return Err(f.into());
    }
    samples.sort_by_key(|s| s.seq);
    for s in &mut samples {
        if let Some(m) = s.message.take() {
            s.message = Some(redact(&m, &input));
        }
    }
    if samples.len() == 1 && a.count > 1 && samples[0].outcome == SampleOutcome::Failed {
        ctx.say("the first test execution failed (not a timeout), so no other was started");
    }
    let interrupted = ctx.stop.load(Ordering::SeqCst) && (samples.len() as u32) < a.count;
    let stats = probe::stats(&samples);
    let (recommended, capped) = match probe::recommendation(&stats) {
        Some(r) => {
            let (r, capped) = probe::cap_at_function(r, function_timeout);
            (Some(r), capped)
        }
        None => (None, false),
    };
    let mut input_keys: Vec<String> = input.keys().cloned().collect();
    input_keys.sort();
    let record = ProbeRecord {
        action_id: action.id.clone(),
        action_name: action.name.clone(),
        target: session_target(sandbox, &client),
        probed_at: crate::runs::now(),
        requested: a.count,
        concurrency: concurrency as u32,
        input_keys,
        timeout_seconds: explicit_timeout(&action),
        function_timeout_seconds: function_timeout,
        effective_timeout_seconds: Some(effective),
        stats: stats.clone(),
        recommended_timeout_seconds: recommended,
        samples,
    };
    if !record.samples.is_empty() {
        let path = probe::save(&ctx.home, &record)
            .with_context(|| "cannot save the probe result".to_string())?;
        tracing::info!(path = %path.display(), "probe saved");
    }
    render::emit_probe(ctx, &record, kind, capped)?;
    if interrupted {
        ctx.say("interrupted: the figures cover the executions that finished");
        return Ok(Exit::for_probe(true, stats.ok, stats.executions));
    }
    if stats.ok == 0 {
        let reason = record
            .samples
            .iter()
            .find_map(|s| s.message.clone())
            .unwrap_or_else(|| "no execution finished".to_string());
        let failed_otherwise = record
            .samples
            .iter()
            .any(|s| s.outcome == SampleOutcome::Failed);
        let mut f = Failure::new(
            Exit::Failed,
            format!("no test execution of `{}` succeeded: {reason}", action.name),
        );
        if stats.timeouts > 0 {
            f = f.hint(render::too_tight_advice(
                &record,
                &ctx.next_step(&["timeout", "set", "60s", &record.action_id]),
            ));
        }
        if failed_otherwise || stats.timeouts == 0 {
            f = f.hint("without a successful execution there is nothing to recommend; check `--input` against the action's input contract");
        }
        return Err(f.into());
    }
    Ok(Exit::for_probe(false, stats.ok, stats.executions))
}

/// The target recorded with a probe: `sandbox`, or the API base URL (as plans record it).
fn session_target(sandbox: bool, client: &genesys_client::Client) -> String {
    if sandbox {
        "sandbox".to_string()
    } else {
        client.environment().api_base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_file(_: &str) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ))
    }

    #[test]
    fn input_values_are_redacted_from_messages() {
        let input = parse_input(
            r#"{"phoneNumber": "+3225551234", "id": 12345, "flag": true, "cc": "BE"}"#,
            &no_file,
        )
        .unwrap();
        assert_eq!(
            redact("no contact for +3225551234 (account 12345) in BE", &input),
            "no contact for *** (account ***) in BE"
        );
        assert_eq!(redact("request.timeout", &input), "request.timeout");
    }

    #[test]
    fn input_must_be_a_json_object() {
        let m = parse_input(r#"{"phoneNumber": "+3212345678", "n": 1}"#, &no_file).unwrap();
        assert_eq!(m.len(), 2);
        for bad in ["[1,2]", "\"text\"", "42", "{nope", ""] {
            let e = parse_input(bad, &no_file).unwrap_err();
            assert_eq!(e.exit, Exit::Usage, "{bad}");
        }
        let e = parse_input("@missing.json", &no_file).unwrap_err();
        assert!(
            e.message.contains("cannot read `missing.json`"),
            "{}",
            e.message
        );
        let e = parse_input("@", &no_file).unwrap_err();
        assert!(e.message.contains("needs a file name"));
        let from_file = parse_input("@in.json", &|p| {
            assert_eq!(p, "in.json");
            Ok(br#"{"id": "42"}"#.to_vec())
        })
        .unwrap();
        assert_eq!(from_file["id"], "42");
    }
}
