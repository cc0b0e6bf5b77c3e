//! Everything dactl writes for people: the output format, quiet mode, colour and width, the
//! confirmation prompt and the progress bar (as uv's and xh's `printer.rs`).

use std::collections::HashSet;

use crate::engine::{Outcome, Reporter, Status};
use crate::output;

/// The rate is this attempt's finished writes over its elapsed time: a running mean, which
/// neither jumps between samples nor counts what an earlier attempt did; it is rounded to a
/// whole number (one decimal below 10/s), and the ETA is derived from it. Actions finished
/// before a resume are shown apart (`+877 done before`) and are not in the bar.
pub(crate) struct ProgressReporter {
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
    pub(crate) fn new(total: u64, done_before: HashSet<String>, show: bool, ndjson: bool) -> Self {
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
            if !self.done_before.contains(&o.id)
                && (!matches!(o.status, Status::Unchanged | Status::Skipped)
                    || o.message.as_deref() == Some("already at the target when read"))
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
