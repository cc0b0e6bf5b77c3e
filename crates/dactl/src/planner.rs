//! The one planner of every write (DESIGN.md §4.5): `timeout set/unset`, `apply`, `restore`
//! and `undo` (of timeout runs and of restore runs) describe, per action, the state they want
//! ([`Desired`]: a timeout, or a whole document) and optionally a guard (the state the action
//! must still be in: for `undo`, the state the run left). [`plan_row`] turns that and the live
//! action into a [`PlanRow`]: `skip` for actions that cannot take a write, `unchanged` where
//! the live action already is what is wanted, `skip` where the guard no longer holds (unless
//! forced), `change` otherwise. The engine then runs every row through one write loop.

use genesys_client::Action;

use crate::actions::{self, describe_timeout, explicit_timeout};
use crate::runs::{PlanRow, Verdict};

/// The state a plan wants for one action.
#[derive(Debug, Clone, PartialEq)]
pub enum Desired {
    /// This explicit timeout (`None`: unset, the platform default); everything else as it is.
    Timeout(Option<i64>),
    /// This whole document: name, category and config, template text inlined.
    Document(Box<Action>),
}

impl Desired {
    /// The timeout this state has.
    pub fn timeout(&self) -> Option<i64> {
        match self {
            Desired::Timeout(t) => *t,
            Desired::Document(d) => explicit_timeout(d),
        }
    }

    /// Whether the action (templates inlined, for a document) is in this state.
    pub fn reached(&self, a: &Action) -> bool {
        match self {
            Desired::Timeout(t) => explicit_timeout(a) == *t,
            Desired::Document(d) => same_document(a, d),
        }
    }

    /// The whole action to write, computed from its live state `pre` (templates inlined): the
    /// live action with the timeout changed, or the document at the live id and version.
    pub fn apply_to(&self, pre: &Action) -> Action {
        match self {
            Desired::Timeout(t) => {
                let mut a = pre.clone();
                if let Some(c) = a.config.as_mut() {
                    c.timeout_seconds = *t;
                }
                a
            }
            Desired::Document(d) => {
                let mut a = (**d).clone();
                a.id = pre.id.clone();
                a.version = pre.version;
                a
            }
        }
    }

    /// Where the action differs from this state, in words.
    pub fn difference(&self, a: &Action) -> String {
        match self {
            Desired::Timeout(t) => format!(
                "the timeout is {}, not {}",
                describe_timeout(explicit_timeout(a)),
                describe_timeout(*t)
            ),
            Desired::Document(d) => describe_diff(&differing_fields(d, a)),
        }
    }
}

/// True when two inlined actions have the same name, category and config (templates by text).
pub fn same_document(a: &Action, b: &Action) -> bool {
    a.name == b.name
        && a.category == b.category
        && serde_json::to_value(&a.config).ok() == serde_json::to_value(&b.config).ok()
}

/// Paths (`config.request.requestTemplate`, `name`) where two documents differ, sorted.
pub fn differing_fields(a: &Action, b: &Action) -> Vec<String> {
    fn doc(x: &Action) -> serde_json::Value {
        serde_json::json!({"name": x.name, "category": x.category, "config": x.config})
    }
    crate::jsondiff::differing_keys(&doc(a), &doc(b))
        .into_iter()
        .map(|path| path.join("."))
        .collect()
}

/// `differs at `a`, `b`, `c` and 2 more`.
pub fn describe_diff(fields: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = fields
        .iter()
        .take(SHOWN)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if fields.len() > SHOWN {
        s.push_str(&format!(" and {} more", fields.len() - SHOWN));
    }
    format!("differs at {s}")
}

/// What one action should become.
#[derive(Debug, Clone)]
pub struct Intent<'a> {
    /// The live action (templates inlined when `desired` or `guard` is a document).
    pub current: &'a Action,
    /// What the plan wants.
    pub desired: Desired,
    /// Write only while the action is still in this state (`undo`: the state the run left).
    pub guard: Option<Desired>,
    /// Write even where the guard no longer holds (`undo --force`).
    pub force: bool,
    /// Why nothing is written when the action is already in the desired state.
    pub unchanged: &'a str,
    /// Whether the action has an unpublished draft, and the warning to give when it changes.
    pub draft: Option<String>,
}

/// The plan row of one action.
pub fn plan_row(i: Intent<'_>) -> PlanRow {
    let a = i.current;
    let kind = actions::kind(a);
    let guard_broken = i.guard.as_ref().filter(|g| !g.reached(a));
    let (verdict, reason) = if let Some(r) = kind.refusal() {
        (Verdict::Skip, Some(r.to_string()))
    } else if i.desired.reached(a) {
        (Verdict::Unchanged, Some(i.unchanged.to_string()))
    } else if let (Some(g), false) = (guard_broken, i.force) {
        (
            Verdict::Skip,
            Some(format!(
                "changed since the run: {}; use --force to overwrite",
                moved(g, a)
            )),
        )
    } else {
        let mut why = match &i.desired {
            Desired::Document(d) => Some(describe_diff(&differing_fields(a, d))),
            Desired::Timeout(_) => None,
        };
        if let Some(g) = guard_broken {
            let note = format!("changed since the run ({}); --force", moved(g, a));
            why = Some(match why {
                Some(w) => format!("{w}; {note}"),
                None => note,
            });
        }
        (Verdict::Change, why)
    };
    let draft = i.draft.is_some();
    let warning = i.draft.filter(|_| verdict == Verdict::Change);
    PlanRow {
        id: a.id.clone(),
        name: a.name.clone(),
        category: a.category.clone(),
        integration_id: a.integration_id.clone(),
        kind,
        old_timeout: explicit_timeout(a),
        new_timeout: i.desired.timeout(),
        verdict,
        reason,
        draft,
        warning,
        version: a.version,
        flows: None,
        function_timeout_seconds: None,
        effective_timeout_seconds: None,
    }
}

/// How the action moved away from the state the run left.
fn moved(left: &Desired, a: &Action) -> String {
    match left {
        Desired::Timeout(t) => format!(
            "now {}, the run set {}",
            describe_timeout(explicit_timeout(a)),
            describe_timeout(*t)
        ),
        Desired::Document(d) => describe_diff(&differing_fields(d, a)),
    }
}

/// A row for an action the plan cannot look at (gone from the org, or its backup missing).
pub fn skip_row(base: &PlanRow, reason: &str) -> PlanRow {
    PlanRow {
        verdict: Verdict::Skip,
        reason: Some(reason.to_string()),
        warning: None,
        draft: false,
        ..base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(v: serde_json::Value) -> Action {
        serde_json::from_value(v).unwrap()
    }

    fn intent<'a>(a: &'a Action, desired: Desired, guard: Option<Desired>) -> Intent<'a> {
        Intent {
            current: a,
            desired,
            guard,
            force: false,
            unchanged: "already there",
            draft: None,
        }
    }

    #[test]
    fn timeouts_and_guards() {
        let a = action(json!({"id":"a","name":"A","version":3,"config":{"timeoutSeconds":20}}));
        let r = plan_row(intent(&a, Desired::Timeout(Some(30)), None));
        assert_eq!(
            (r.verdict, r.old_timeout, r.new_timeout),
            (Verdict::Change, Some(20), Some(30))
        );
        let r = plan_row(intent(&a, Desired::Timeout(Some(20)), None));
        assert_eq!(r.verdict, Verdict::Unchanged);
        assert_eq!(r.reason.as_deref(), Some("already there"));
        // undo: the run set 25, the action is at 20 now: someone else changed it.
        let r = plan_row(intent(
            &a,
            Desired::Timeout(None),
            Some(Desired::Timeout(Some(25))),
        ));
        assert_eq!(r.verdict, Verdict::Skip);
        assert!(r
            .reason
            .unwrap()
            .contains("changed since the run: now 20, the run set 25"));
        let mut forced = intent(&a, Desired::Timeout(None), Some(Desired::Timeout(Some(25))));
        forced.force = true;
        let r = plan_row(forced);
        assert_eq!(r.verdict, Verdict::Change);
        assert!(r.reason.unwrap().contains("--force"));
        let r = plan_row(intent(
            &a,
            Desired::Timeout(None),
            Some(Desired::Timeout(Some(20))),
        ));
        assert_eq!((r.verdict, r.reason), (Verdict::Change, None));
        let b = action(json!({"id":"static_x","name":"B","config":{}}));
        assert_eq!(
            plan_row(intent(&b, Desired::Timeout(Some(5)), None)).verdict,
            Verdict::Skip
        );
    }

    #[test]
    fn documents() {
        let a = action(
            json!({"id":"a","name":"A","version":3,"config":{"timeoutSeconds":20,"request":{"requestTemplate":"x"}}}),
        );
        let doc = action(
            json!({"id":"a","name":"A","config":{"timeoutSeconds":20,"request":{"requestTemplate":"y"}}}),
        );
        let r = plan_row(intent(&a, Desired::Document(Box::new(doc.clone())), None));
        assert_eq!(r.verdict, Verdict::Change);
        assert_eq!(
            r.reason.as_deref(),
            Some("differs at `config.request.requestTemplate`")
        );
        let want = Desired::Document(Box::new(doc)).apply_to(&a);
        assert_eq!((want.id.as_str(), want.version), ("a", Some(3)));
        assert!(Desired::Document(Box::new(a.clone())).reached(&a));
        let t = Desired::Timeout(Some(9)).apply_to(&a);
        assert_eq!(explicit_timeout(&t), Some(9));
        assert!(same_document(&Desired::Timeout(Some(20)).apply_to(&a), &a));
    }

    #[test]
    fn differing_fields_name_paths() {
        let a = action(
            json!({"id":"a","name":"A","category":"C","config":{"timeoutSeconds":20,"request":{"requestTemplate":"x","headers":{"h":"1"}}}}),
        );
        let b = action(
            json!({"id":"a","name":"A","category":"C","config":{"request":{"requestTemplate":"y","headers":{"h":"1"}}}}),
        );
        assert_eq!(
            differing_fields(&a, &b),
            vec!["config.request.requestTemplate", "config.timeoutSeconds"]
        );
        assert!(same_document(&a, &a));
        assert!(!same_document(&a, &b));
        assert_eq!(
            describe_diff(&["a".into(), "b".into(), "c".into(), "d".into()]),
            "differs at `a`, `b`, `c` and 1 more"
        );
    }
}
