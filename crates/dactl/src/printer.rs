//! Everything dactl writes for people and scripts, in one place (as uv's and xh's
//! `printer.rs`): the output format, quiet mode, colour and width, the one confirmation prompt,
//! the progress bar, and the renders shared by several commands (a plan, a run's results).
//!
//! Data goes to stdout in the chosen format (a closed pipe is not an error); messages, warnings,
//! the prompt and the progress bar go to stderr.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::actions::describe_timeout;
use crate::args::GlobalArgs;
use crate::engine::{Outcome, Reporter, Status};
use crate::error::Failure;
use crate::output::{self, Format, Style, Table};
use crate::runs::{Plan, Summary};
use crate::screen;
use crate::settings::Common;

/// Facts about the terminal, measured by the binary and injected.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// stdin is a terminal (confirmation prompts are possible).
    pub stdin_tty: bool,
    /// stdout is a terminal.
    pub stdout_tty: bool,
    /// stderr is a terminal (progress bars are possible).
    pub stderr_tty: bool,
    /// Terminal width.
    pub width: Option<u16>,
}

/// The output settings of one command line, and every way of writing with them.
#[derive(Debug, Clone)]
pub struct Printer {
    /// The format of data on stdout (`-o wide` is a table with `style.wide`).
    pub(crate) format: Format,
    /// Colour, width and `--wide`, for tables.
    pub(crate) style: Style,
    /// `--quiet`: data and errors only.
    quiet: bool,
    /// `--yes`: every confirmation is given.
    yes: bool,
    /// A prompt can be asked and answered (stdin and stderr are terminals).
    can_prompt: bool,
    /// A progress bar is shown (stderr is a terminal, no `--quiet`, no `--no-progress`).
    progress: bool,
}

impl Printer {
    /// The printer of a command line: colour only on a terminal, never with `NO_COLOR` or
    /// `--no-color`; tables fitted to the terminal's width unless `--wide` (or `-o wide`).
    pub fn new(global: &GlobalArgs, common: &Common, term: &Terminal) -> Printer {
        Printer {
            // `-o wide` is a table with nothing left out; commands only ever see `Format::Table`.
            format: common.format,
            style: Style {
                color: term.stdout_tty && common.color,
                width: if term.stdout_tty { term.width } else { None },
                wide: common.wide,
            },
            quiet: global.quiet,
            yes: global.yes,
            can_prompt: term.stdin_tty && term.stderr_tty,
            progress: term.stderr_tty && !global.quiet && !global.no_progress,
        }
    }

    /// A message on stderr (not with `--quiet`).
    pub(crate) fn say(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// A `warning:` line on stderr (shown even with `--quiet`).
    pub(crate) fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }

    /// A line on stderr that a script must see too (shown even with `--quiet`): what was
    /// cancelled, and the actions a run failed on.
    pub(crate) fn line(&self, msg: &str) {
        eprintln!("{msg}");
    }

    /// Rendered data on stdout.
    pub(crate) fn emit(&self, text: &str) -> std::io::Result<()> {
        output::emit(text)
    }

    /// Records in the chosen format: `table` for a table or CSV, `records` for JSON and NDJSON.
    pub(crate) fn records<T: Serialize>(&self, table: &Table, records: &[T]) -> anyhow::Result<()> {
        self.emit(&output::render(self.format, self.style, table, records)?)?;
        Ok(())
    }

    /// One JSON document, pretty-printed.
    pub(crate) fn json<T: Serialize + ?Sized>(&self, doc: &T) -> anyhow::Result<()> {
        self.emit(&format!("{}\n", serde_json::to_string_pretty(doc)?))?;
        Ok(())
    }

    /// A table as CSV, or rendered as a table (for the formats that show no records).
    pub(crate) fn table_text(&self, t: &Table) -> String {
        if self.format == Format::Csv {
            t.to_csv()
        } else {
            format!("{}\n", t.render(self.style))
        }
    }

    /// Whether a table of `n` rows is summarised to one screen (see [`crate::screen`]).
    pub(crate) fn summarise(&self, n: usize) -> bool {
        self.format == Format::Table
            && self.style.width.is_some()
            && !self.style.wide
            && n > screen::SCREEN_ROWS
    }

    /// Whether `--yes` was given.
    pub(crate) fn yes(&self) -> bool {
        self.yes
    }

    /// The one confirmation prompt: `question [y/N]` on a terminal, `Ok(false)` unless the
    /// answer is yes; always yes with `--yes`; elsewhere `refusal` (no one can answer).
    pub(crate) fn confirm(&self, question: &str, refusal: Failure) -> anyhow::Result<bool> {
        if self.yes {
            return Ok(true);
        }
        if self.can_prompt {
            eprint!("{question} [y/N] ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            return Ok(matches!(
                line.trim().to_ascii_lowercase().as_str(),
                "y" | "yes"
            ));
        }
        Err(refusal.into())
    }

    /// The progress of a run of `total` writes, `done_before` of them by an earlier attempt.
    pub(crate) fn progress(&self, total: u64, done_before: HashSet<String>) -> ProgressReporter {
        ProgressReporter::new(
            total,
            done_before,
            self.progress,
            self.format == Format::Ndjson,
        )
    }

    /// A plan: the whole plan as JSON, one screen of it on a terminal (with the folder its
    /// run will have, unless a dry run: `home`), else its table or records.
    pub(crate) fn plan(&self, plan: &Plan, home: Option<&Path>) -> anyhow::Result<()> {
        let s = match self.format {
            Format::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"plan": plan}))?
            ),
            Format::Table if self.summarise(plan.rows.len()) => {
                screen::summarised_plan(plan, self.style, home)
            }
            _ => output::render(
                self.format,
                self.style,
                &screen::plan_table(&plan.rows, None, |_| true),
                &plan.rows,
            )?,
        };
        self.emit(&s)?;
        Ok(())
    }

    /// A run's results: the summary line (NDJSON, after the per-action lines), the whole run
    /// (JSON), or the outcome table, one screen of it on a terminal (`every_row` says how to
    /// see the rest).
    pub(crate) fn results(
        &self,
        plan: &Plan,
        outcomes: &[Outcome],
        summary: &Summary,
        every_row: &str,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Ndjson => {
                // Per-action lines were printed as they finished; close with the summary.
                self.emit(&format!(
                    "{}\n",
                    serde_json::to_string(&json!({"run_id": plan.run_id, "summary": summary}))?
                ))?;
            }
            Format::Json => {
                self.json(&json!({"run_id": plan.run_id, "plan": plan, "results": outcomes, "summary": summary}))?;
            }
            Format::Table | Format::Csv => {
                let mut t = Table::new(&["NAME", "ID", "OLD", "NEW", "STATUS", "DETAIL"]);
                // A table never lists the rows Ctrl-C left `not started` (they are counted and
                // resumed); on a terminal it shows one screen of rows.
                let table = self.format == Format::Table;
                let (shown, left) = if table {
                    screen::outcome_rows(outcomes, self.summarise(outcomes.len()))
                } else {
                    (outcomes.iter().collect(), 0)
                };
                if table && (left > 0 || shown.len() < outcomes.len()) {
                    self.emit(&format!("results: {}\n", screen::outcome_counts(outcomes)))?;
                }
                for o in shown {
                    t.row(vec![
                        o.name.clone(),
                        o.id.clone(),
                        describe_timeout(o.old_timeout),
                        describe_timeout(o.new_timeout),
                        o.status.as_str().to_string(),
                        o.message.clone().unwrap_or_default(),
                    ]);
                }
                let s = if table && t.rows.is_empty() {
                    String::new()
                } else {
                    self.table_text(&t)
                };
                self.emit(&s)?;
                if left > 0 {
                    self.emit(&format!(
                        "{} of {} rows shown (failed first); every row: {every_row}\n",
                        screen::thousands(t.rows.len()),
                        screen::thousands(t.rows.len() + left),
                    ))?;
                }
            }
        }
        Ok(())
    }
}

/// Progress bar on stderr (when it is a terminal) and NDJSON result lines on stdout.
///
/// The rate is this attempt's finished writes over its elapsed time: a running mean, which
/// neither jumps between samples nor counts what an earlier attempt did; it is rounded to a
/// whole number (one decimal below 10/s), and the ETA is derived from it. Actions finished
/// before a resume are shown apart (`+877 done before`) and are not in the bar.
pub struct ProgressReporter {
    bar: Option<indicatif::ProgressBar>,
    done_before: HashSet<String>,
    ndjson: bool,
}

/// `51/s`, `2.5/s`.
fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "–/s".to_string()
    } else if per_sec >= 10.0 {
        format!("{:.0}/s", per_sec)
    } else {
        format!("{:.1}/s", per_sec)
    }
}

/// `1m 05s`, `42s`.
fn eta_text(secs: f64) -> String {
    if !secs.is_finite() {
        return "–".to_string();
    }
    let s = secs.round() as u64;
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Mean rate of a bar since it started.
fn mean_rate(state: &indicatif::ProgressState) -> f64 {
    let secs = state.elapsed().as_secs_f64();
    if secs < 0.5 {
        return f64::NAN;
    }
    state.pos() as f64 / secs
}

impl ProgressReporter {
    fn new(total: u64, done_before: HashSet<String>, show: bool, ndjson: bool) -> Self {
        let bar = show.then(|| {
            let before = done_before.len() as u64;
            let b = indicatif::ProgressBar::new(total.saturating_sub(before));
            let template = if before > 0 {
                format!("{{bar:30}} {{pos}}/{{len}} actions (+{before} done before the resume)  {{rate}}  ETA {{eta_mean}}  {{msg}}")
            } else {
                "{bar:30} {pos}/{len} actions  {rate}  ETA {eta_mean}  {msg}".to_string()
            };
            b.set_style(
                indicatif::ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .with_key(
                        "rate",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&rate_text(mean_rate(s)));
                        },
                    )
                    .with_key(
                        "eta_mean",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let left = s.len().unwrap_or(0).saturating_sub(s.pos()) as f64;
                            let _ = w.write_str(&eta_text(left / mean_rate(s)));
                        },
                    ),
            );
            b
        });
        ProgressReporter {
            bar,
            done_before,
            ndjson,
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Reporter for ProgressReporter {
    fn finished(&self, o: &Outcome) {
        if let Some(b) = &self.bar {
            // A planned write that the read before it found needless (the timeout at its
            // target, or the action already matching its document) is work done too.
            if !self.done_before.contains(&o.id)
                && (!matches!(o.status, Status::Unchanged | Status::Skipped) || o.found.is_some())
            {
                b.inc(1);
            }
            if o.status == Status::Failed {
                b.set_message(format!("failed: {}", o.name));
            }
        }
        if self.ndjson {
            if let Ok(line) = serde_json::to_string(o) {
                let _ = output::emit(&format!("{line}\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_are_rounded() {
        assert_eq!(rate_text(51.2291), "51/s");
        assert_eq!(rate_text(2.46), "2.5/s");
        assert_eq!(rate_text(f64::NAN), "–/s");
        assert_eq!(eta_text(65.4), "1m 05s");
        assert_eq!(eta_text(9.6), "10s");
        assert_eq!(eta_text(f64::INFINITY), "–");
    }
}
