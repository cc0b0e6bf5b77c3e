//! Selecting actions: positional ACTIONs (an id or an exact name each), `--id`, `--name GLOB`,
//! `--category`, `--integration`, `--from-file FILE|-` and `--all`, combined with AND.
//!
//! Every explicit reference (positional, `--id`, a line of `--from-file`) must resolve to exactly
//! one action: an unknown one is an error, and a name shared by several actions is an error that
//! lists them with their ids. All of this is checked against one listing, before any write.

use std::collections::{BTreeSet, HashMap};

use genesys_client::{Action, ListQuery};
use serde::Serialize;

use crate::error::Failure;
pub use crate::text::shorten;

mod hints;
mod references;

pub use hints::no_match_hints;
pub use references::looks_like_id;
use references::{not_found, Index};

/// Longest action name the platform accepts.
pub const MAX_NAME_LEN: usize = 256;

/// The selectors given on the command line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selectors {
    /// Positional ACTION arguments.
    pub actions: Vec<String>,
    /// `--id` (repeatable).
    pub ids: Vec<String>,
    /// `--name GLOB` (case-insensitive; `*`, `?`, `[...]`).
    pub name: Option<String>,
    /// `--category NAME` (exact, case-insensitive).
    pub category: Option<String>,
    /// `--integration ID|NAME` (a name matches case-insensitively, through
    /// [`Selectors::integration_names`]).
    pub integration: Option<String>,
    /// Lines read from `--from-file` (already cleaned), with the file name for messages.
    pub from_file: Option<(String, Vec<String>)>,
    /// `--all`.
    pub all: bool,
    /// Integration names by id, when the command read them: `--integration` then takes a
    /// name, and messages name integrations. Empty: ids only.
    #[serde(skip)]
    pub integration_names: HashMap<String, String>,
}

impl Selectors {
    /// True when no selector at all was given.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
            && self.ids.is_empty()
            && self.name.is_none()
            && self.category.is_none()
            && self.integration.is_none()
            && self.from_file.is_none()
            && !self.all
    }

    /// Check the selectors themselves (before any request).
    pub fn validate(&self) -> Result<(), Failure> {
        for a in &self.actions {
            check_reference(a, "ACTION")?;
        }
        for i in &self.ids {
            check_reference(i, "--id")?;
        }
        if let Some(n) = &self.name {
            check_text(n, "--name")?;
            glob::Pattern::new(n).map_err(|e| {
                Failure::usage(format!("invalid `--name` pattern `{}`: {e}", shorten(n))).hint(
                    "use `*` for any text and `?` for one character, e.g. `--name 'Salesforce*'`",
                )
            })?;
        }
        if let Some(c) = &self.category {
            check_text(c, "--category")?;
        }
        if let Some(i) = &self.integration {
            check_text(i, "--integration")?;
        }
        if let Some((file, lines)) = &self.from_file {
            if lines.is_empty() {
                return Err(Failure::usage(format!("`{file}` lists no action"))
                    .hint("put one action id or exact name on each line"));
            }
            for l in lines {
                check_reference(l, "--from-file")?;
            }
        }
        Ok(())
    }

    /// A server-side filter that narrows the listing without changing the result (the
    /// client-side predicate is still applied).
    pub fn server_query(&self) -> ListQuery {
        let mut q = ListQuery {
            include_config: true,
            include_auth_actions: true,
            ..ListQuery::default()
        };
        if let Some(c) = &self.category {
            q.category = Some(c.clone());
        }
        // One explicit name and nothing else: the server's partial `name` match narrows it.
        if self.actions.len() == 1
            && self.ids.is_empty()
            && self.from_file.is_none()
            && self.name.is_none()
        {
            if !looks_like_id(&self.actions[0]) {
                q.name = Some(self.actions[0].clone());
            } else {
                q.ids = vec![self.actions[0].clone()];
            }
        } else if !self.ids.is_empty()
            && self.ids.len() <= 50
            && self.actions.is_empty()
            && self.from_file.is_none()
        {
            q.ids = self.ids.clone();
        }
        q
    }

    /// Apply the selectors to a listing. Returns the selected actions in listing order.
    pub fn select(&self, listing: &[Action]) -> Result<Vec<Action>, Failure> {
        let index = Index::new(listing, &self.integration_names);
        let mut keep: Option<BTreeSet<usize>> = None;
        let mut intersect = |set: BTreeSet<usize>| {
            keep = Some(match keep.take() {
                None => set,
                Some(k) => k.intersection(&set).copied().collect(),
            });
        };
        if !self.actions.is_empty() {
            intersect(index.resolve_all(&self.actions, "ACTION")?);
        }
        if !self.ids.is_empty() {
            let mut set = BTreeSet::new();
            let mut missing = Vec::new();
            for id in &self.ids {
                match index.by_id.get(id.trim()) {
                    Some(&i) => {
                        set.insert(i);
                    }
                    None => missing.push(id.clone()),
                }
            }
            if !missing.is_empty() {
                return Err(not_found(&missing, "--id"));
            }
            intersect(set);
        }
        if let Some((_, lines)) = &self.from_file {
            intersect(index.resolve_all(lines, "--from-file")?);
        }
        let pattern = self
            .name
            .as_deref()
            .map(glob::Pattern::new)
            .transpose()
            .map_err(|e| Failure::usage(format!("invalid `--name` pattern: {e}")))?;
        let opts = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        let mut out = Vec::new();
        for (i, a) in listing.iter().enumerate() {
            if let Some(k) = &keep {
                if !k.contains(&i) {
                    continue;
                }
            }
            if let Some(p) = &pattern {
                if !p.matches_with(&a.name, opts) {
                    continue;
                }
            }
            if let Some(c) = &self.category {
                if !a
                    .category
                    .as_deref()
                    .is_some_and(|ac| ac.eq_ignore_ascii_case(c.trim()))
                {
                    continue;
                }
            }
            if let Some(int) = &self.integration {
                let int = int.trim();
                let by_name = |id: &str| {
                    self.integration_names
                        .get(id)
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(int))
                };
                if !a
                    .integration_id
                    .as_deref()
                    .is_some_and(|id| id == int || by_name(id))
                {
                    continue;
                }
            }
            out.push(a.clone());
        }
        Ok(out)
    }
}

/// What is wrong with a name, id or category given by the user, if anything: empty, longer
/// than [`MAX_NAME_LEN`] characters, or holding a control character. Used by the selectors and
/// by policy files, so that both refuse the same values.
pub fn text_problem(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some("is empty".to_string());
    }
    let n = s.chars().count();
    if n > MAX_NAME_LEN {
        return Some(format!(
            "is {n} characters long; names are at most {MAX_NAME_LEN}"
        ));
    }
    if s.chars().any(char::is_control) {
        return Some(format!("contains a control character: `{}`", shorten(s)));
    }
    None
}

fn check_text(s: &str, flag: &str) -> Result<(), Failure> {
    match text_problem(s) {
        None => Ok(()),
        Some(p) if p.starts_with("contains a control") => {
            Err(Failure::usage(format!("`{flag}` {p}"))
                .hint("check for a stray tab or newline in the value"))
        }
        Some(p) => Err(Failure::usage(format!("`{flag}` {p}"))),
    }
}

fn check_reference(s: &str, flag: &str) -> Result<(), Failure> {
    check_text(s, flag)
}

/// Read `--from-file` content: one id or name a line; blank lines and `#` comments are ignored,
/// a UTF-8 BOM and CRLF line ends are accepted, duplicates are dropped.
pub fn parse_reference_lines(content: &str) -> Vec<String> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for line in content.lines() {
        let line = line.trim_end_matches('\r').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if seen.insert(line.to_string()) {
            out.push(line.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listing() -> Vec<Action> {
        let v = json!([
            {"id": "11111111-1111-1111-1111-111111111111", "name": "Salesforce - Get Contact", "category": "Salesforce", "integrationId": "sf"},
            {"id": "22222222-2222-2222-2222-222222222222", "name": "Salesforce - Update Case", "category": "Salesforce", "integrationId": "sf"},
            {"id": "33333333-3333-3333-3333-333333333333", "name": "Lookup Order", "category": "Web Services Data Actions", "integrationId": "ws1"},
            {"id": "44444444-4444-4444-4444-444444444444", "name": "Lookup Order", "category": "Web Services Data Actions", "integrationId": "ws2"},
            {"id": "static_abc", "name": "Get Queue", "category": "Genesys Cloud Data Actions", "integrationId": "gc"}
        ]);
        serde_json::from_value(v).unwrap()
    }

    fn ids(v: &[Action]) -> Vec<&str> {
        v.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn name_glob_and_category_and() {
        let s = Selectors {
            name: Some("salesforce*".into()),
            category: Some("Salesforce".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s.select(&listing()).unwrap()).len(), 2);
        let s = Selectors {
            name: Some("*Case".into()),
            category: Some("Salesforce".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&s.select(&listing()).unwrap()),
            vec!["22222222-2222-2222-2222-222222222222"]
        );
        let s = Selectors {
            name: Some("*Case".into()),
            category: Some("Web Services Data Actions".into()),
            ..Default::default()
        };
        assert!(s.select(&listing()).unwrap().is_empty());
    }

    #[test]
    fn integration_and_all() {
        let s = Selectors {
            integration: Some("ws2".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&s.select(&listing()).unwrap()),
            vec!["44444444-4444-4444-4444-444444444444"]
        );
        let s = Selectors {
            all: true,
            ..Default::default()
        };
        assert_eq!(s.select(&listing()).unwrap().len(), 5);
    }

    #[test]
    fn ambiguous_name_lists_matches() {
        let s = Selectors {
            actions: vec!["Lookup Order".into()],
            ..Default::default()
        };
        let e = s.select(&listing()).unwrap_err();
        assert!(e.message.contains("matches 2 actions"));
        assert_eq!(e.hints.len(), 2);
        assert!(e.hints[0].contains("33333333"));
    }

    #[test]
    fn unknown_name_and_id() {
        let s = Selectors {
            actions: vec!["Salesforce - Get Contac".into()],
            ..Default::default()
        };
        let e = s.select(&listing()).unwrap_err();
        assert!(e.message.contains("no action"), "{}", e.message);
        assert!(e
            .hints
            .iter()
            .any(|h| h.contains("Salesforce - Get Contact")));
        let s = Selectors {
            ids: vec!["nope".into()],
            ..Default::default()
        };
        assert!(s.select(&listing()).is_err());
    }

    #[test]
    fn positional_and_filter_intersect() {
        let s = Selectors {
            actions: vec!["Salesforce - Get Contact".into(), "static_abc".into()],
            category: Some("salesforce".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&s.select(&listing()).unwrap()),
            vec!["11111111-1111-1111-1111-111111111111"]
        );
    }

    #[test]
    fn from_file_lines() {
        let lines = parse_reference_lines("\u{feff}a\r\n\r\n  b  \n# c\na\n");
        assert_eq!(lines, vec!["a", "b"]);
    }

    #[test]
    fn validation() {
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(10_000)] {
            let s = Selectors {
                actions: vec![bad.to_string()],
                ..Default::default()
            };
            assert!(s.validate().is_err(), "{bad:?}");
        }
        let s = Selectors {
            name: Some("[".into()),
            ..Default::default()
        };
        assert!(s.validate().is_err());
    }

    #[test]
    fn ids_recognised() {
        assert!(looks_like_id("11111111-1111-1111-1111-111111111111"));
        assert!(looks_like_id("static_abc"));
        assert!(!looks_like_id("Lookup Order"));
    }

    proptest::proptest! {
        #[test]
        fn glob_validation_never_panics(s in "\\PC{0,40}") {
            let sel = Selectors { name: Some(s), ..Default::default() };
            let _ = sel.validate();
            let _ = sel.select(&listing());
        }
    }
}
