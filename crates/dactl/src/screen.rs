//! Big runs on one screen: what a terminal shows instead of a table of thousands of rows.
//!
//! On a terminal (stdout is one, the format is `table`), a plan or a result of more than
//! [`SCREEN_ROWS`] rows is summarised: counts by verdict (or status), by category, the drafts
//! as one line with a count, then at most [`SCREEN_ROWS`] rows (the ones worth reading first:
//! skipped and failed before changed before unchanged), then where the whole list is. Piped
//! output (`| less`, `> plan.txt`), `-o json|csv|ndjson` and `--wide` keep every row.
//!
//! A run stopped by Ctrl-C never lists its `not started` rows: they are counted, and the
//! resume command is printed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::actions::describe_timeout;
use crate::engine::{Outcome, Status};
use crate::output::Style;
use crate::output::{effective_cell, Table};
use crate::runs::{Plan, PlanRow, Verdict};

/// Rows shown on a terminal before the rest is summarised.
pub const SCREEN_ROWS: usize = 20;

/// `2031` → `2,031`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `Orders 336, CRM 210, … and 12 more categories` (largest first, at most six named, and
/// no more than fit in `room` characters).
fn by_category<'a>(cats: impl Iterator<Item = Option<&'a str>>, room: usize) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in cats {
        *counts.entry(c.unwrap_or("(none)")).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = Vec::new();
    let mut used = 0;
    for (c, n) in v.iter().take(6) {
        let p = format!("{c} {}", thousands(*n));
        // Keep room for ", and NN more categories".
        if !parts.is_empty() && used + p.len() + 2 + 24 > room {
            break;
        }
        used += p.len() + 2;
        parts.push(p);
    }
    if v.len() > parts.len() {
        parts.push(format!("and {} more categories", v.len() - parts.len()));
    }
    parts.join(", ")
}

/// The counts of a plan: `2,029 to change, 2 unchanged, 0 skipped`.
pub fn plan_counts(rows: &[PlanRow]) -> String {
    let n = |v: Verdict| thousands(rows.iter().filter(|r| r.verdict == v).count());
    format!(
        "{} to change, {} unchanged, {} skipped",
        n(Verdict::Change),
        n(Verdict::Unchanged),
        n(Verdict::Skip)
    )
}

/// The draft line of a plan, or `None` when no action to change has a draft.
pub fn drafts_line(rows: &[PlanRow], also_draft: bool) -> Option<String> {
    let n = rows
        .iter()
        .filter(|r| r.draft && r.verdict == Verdict::Change)
        .count();
    (n > 0).then(|| {
        let who = if n == 1 {
            "1 action to change has".to_string()
        } else {
            format!("{} actions to change have", thousands(n))
        };
        if also_draft {
            format!("{who} an unpublished draft: its timeout is set too (never published)")
        } else {
            format!("{who} an unpublished draft: publishing it later would bring its own timeout back (`--also-draft` sets the draft's timeout too)")
        }
    })
}

/// The head of a summarised plan (before its first rows): the counts, by category, drafts.
pub fn plan_head(rows: &[PlanRow], also_draft: bool, width: usize) -> String {
    let mut out = format!(
        "plan: {} actions: {}\n",
        thousands(rows.len()),
        plan_counts(rows)
    );
    let changing = rows.iter().filter(|r| r.verdict == Verdict::Change);
    out.push_str(&format!(
        "to change by category: {}\n",
        by_category(
            changing.map(|r| r.category.as_deref()),
            width.saturating_mul(2).saturating_sub(23)
        )
    ));
    if let Some(d) = drafts_line(rows, also_draft) {
        out.push_str(&format!("drafts: {d}\n"));
    }
    out
}

/// The rows to show on one screen: skipped first, then changes, then unchanged; at most
/// [`SCREEN_ROWS`].
pub fn plan_screen_rows(rows: &[PlanRow]) -> Vec<PlanRow> {
    let rank = |v: Verdict| match v {
        Verdict::Skip => 0,
        Verdict::Change => 1,
        Verdict::Unchanged => 2,
    };
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    idx.sort_by_key(|&i| (rank(rows[i].verdict), i));
    idx.into_iter()
        .take(SCREEN_ROWS)
        .map(|i| rows[i].clone())
        .collect()
}

/// A plan summarised to one screen: [`plan_head`], at most [`SCREEN_ROWS`] rows, and where
/// the whole plan is (also in the run folder under `home` once confirmed; `None` for a dry
/// run, which keeps nothing).
pub fn summarised_plan(plan: &Plan, style: Style, home: Option<&Path>) -> String {
    let width = style.width.map(usize::from).unwrap_or(usize::MAX);
    let mut out = plan_head(&plan.rows, plan.also_draft, width);
    let mut shown = plan_screen_rows(&plan.rows);
    for r in &mut shown {
        // The drafts line above says what a draft means; a row says only that it has one.
        if r.draft && r.warning.is_some() {
            r.warning = Some("unpublished draft".to_string());
        }
    }
    out.push_str(&plan_table(&shown, None, |_| true).render(style));
    out.push('\n');
    out.push_str(&format!(
        "{} of {} rows shown, skipped first, then changes. The whole plan:\n  this command with `--dry-run -o json` (or piped to `less`)",
        shown.len(),
        thousands(plan.rows.len()),
    ));
    match home {
        Some(home) => out.push_str(&format!(
            "; once confirmed, {}\n",
            crate::runs::runs_root(home)
                .join(&plan.run_id)
                .join("plan.json")
                .display()
        )),
        None => out.push('\n'),
    }
    out
}

/// Counts of outcomes by status: `1,200 changed, 3 failed, 828 not started`.
pub fn outcome_counts(outcomes: &[Outcome]) -> String {
    let order = [
        Status::Changed,
        Status::Failed,
        Status::Unchanged,
        Status::Skipped,
        Status::NotStarted,
    ];
    order
        .iter()
        .map(|s| (s, outcomes.iter().filter(|o| o.status == *s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{} {}", thousands(n), s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The outcomes worth a row: never `not started`; on a terminal (`cap`) at most
/// [`SCREEN_ROWS`], failed first. Returns the rows and how many were left out.
pub fn outcome_rows(outcomes: &[Outcome], cap: bool) -> (Vec<&Outcome>, usize) {
    let rank = |s: Status| match s {
        Status::Failed => 0,
        Status::Changed => 1,
        Status::Skipped => 2,
        Status::Unchanged => 3,
        Status::NotStarted => 4,
    };
    let mut v: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != Status::NotStarted)
        .collect();
    if cap {
        v.sort_by_key(|o| rank(o.status));
    }
    let total = v.len();
    if cap && total > SCREEN_ROWS {
        v.truncate(SCREEN_ROWS);
    }
    let left = total - v.len();
    (v, left)
}

/// The one plan table: NAME, ID, OLD, NEW, then the RULE that decided each row (a policy's
/// plan, `rules` by action id) or else EFFECTIVE when a function data action is among the rows,
/// VERDICT, USED BY with `--show-flows`, NOTE. The columns are chosen over all `rows`; the
/// table lists those `shown` accepts.
pub(crate) fn plan_table(
    rows: &[PlanRow],
    rules: Option<&HashMap<String, String>>,
    shown: impl Fn(&PlanRow) -> bool,
) -> Table {
    let flows = rows.iter().any(|r| r.flows.is_some());
    let functions = rules.is_none() && rows.iter().any(|r| r.function_timeout_seconds.is_some());
    let mut headers = vec!["NAME", "ID", "OLD", "NEW"];
    if rules.is_some() {
        headers.push("RULE");
    }
    if functions {
        headers.push("EFFECTIVE");
    }
    headers.push("VERDICT");
    if flows {
        headers.push("USED BY");
    }
    headers.push("NOTE");
    let mut t = Table::new(&headers);
    for r in rows.iter().filter(|r| shown(r)) {
        let verdict = match (&r.verdict, &r.reason) {
            (Verdict::Skip, Some(reason)) => format!("skip: {reason}"),
            (v, _) => v.as_str().to_string(),
        };
        let mut cells = vec![
            r.name.clone(),
            r.id.clone(),
            describe_timeout(r.old_timeout),
            describe_timeout(r.new_timeout),
        ];
        if let Some(rules) = rules {
            cells.push(rules.get(&r.id).cloned().unwrap_or_default());
        }
        if functions {
            cells.push(effective_cell(r.new_timeout, r.function_timeout_seconds));
        }
        cells.push(verdict);
        if flows {
            cells.push(crate::output::used_by(r.flows));
        }
        cells.push(
            r.warning
                .clone()
                .or_else(|| {
                    // A restore explains what differs in `reason`.
                    (r.verdict == Verdict::Change)
                        .then(|| r.reason.clone())
                        .flatten()
                })
                .unwrap_or_default(),
        );
        t.row(cells);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_plan() -> Plan {
        let cats = [
            "Orders", "CRM", "Billing", "Loyalty", "Shipping", "Returns", "Support", "HR",
        ];
        let rows = (0..2000)
            .map(|i| {
                let verdict = match i {
                    0..=2 => Verdict::Skip,
                    3..=9 => Verdict::Unchanged,
                    _ => Verdict::Change,
                };
                PlanRow {
                    id: format!("{:08x}-0000-4000-8000-{:012x}", i, i),
                    name: format!("Action number {i} with a rather long descriptive name"),
                    category: Some(cats[i % cats.len()].to_string()),
                    integration_id: None,
                    kind: crate::actions::Kind::Regular,
                    old_timeout: Some(40),
                    new_timeout: Some(25),
                    verdict,
                    reason: (verdict == Verdict::Skip)
                        .then(|| "built-in action (read-only)".to_string()),
                    draft: i % 45 == 11,
                    warning: None,
                    version: Some(1),
                    flows: None,
                    function_timeout_seconds: None,
                    effective_timeout_seconds: None,
                }
            })
            .collect();
        Plan {
            run_id: "20250301T021500123Z-3fa2".into(),
            created_at: "2025-03-01T02:15:00.123Z".into(),
            command: "dactl timeout set 25s --all".into(),
            operation: crate::runs::Operation::Set { timeout: 25 },
            target: "sandbox".into(),
            also_draft: false,
            verify: crate::runs::VerifyMode::Canary,
            require_old: false,
            rows,
        }
    }

    #[test]
    fn a_plan_of_2000_actions_fits_one_screen() {
        let plan = big_plan();
        for width in [80u16, 160] {
            let text = summarised_plan(
                &plan,
                Style {
                    color: false,
                    width: Some(width),
                    wide: false,
                },
                Some(Path::new("/home/admin/.local/share/dactl")),
            );
            assert!(text.lines().count() <= 40, "{text}");
            assert!(
                text.lines()
                    .all(|l| l.chars().count() <= usize::from(width) || !l.starts_with('│')),
                "{text}"
            );
            insta::assert_snapshot!(format!("summarised_plan_{width}"), text);
        }
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2031), "2,031");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
