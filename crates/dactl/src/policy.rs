//! Timeouts as code: the policy file of `dactl plan -f` / `dactl apply -f` (DESIGN.md §3).
//!
//! ```toml
//! default = 20                 # optional: actions no rule matches (omit: leave them alone)
//!
//! [[rule]]                     # rules are tried in order; the first that matches wins
//! category = "Genesys Cloud Data Actions"   # exact, case-insensitive
//! timeout = 5
//!
//! [[rule]]
//! name = "Get Contact*"        # glob (`*`, `?`, `[...]`), case-insensitive
//! integration = "9b1e…"        # integration id
//! timeout = "8s"               # whole seconds 1..=60: 8, "8s", "8000ms", "1m"
//! optional = true              # may match no action (otherwise that is an error)
//! ```
//!
//! A rule matches an action when every matcher it gives (`category`, `name`, `integration`,
//! `id`) matches. Validation is strict and happens before any request: an unknown key, a
//! timeout outside 1..=60 or not whole seconds, an empty string, a bad glob, a rule with no
//! matcher or no `timeout`, and a file with neither rules nor `default` are all errors that
//! name the file and line (exit 2). Against the org, a rule that matches no action is an error
//! (exit 2, with the nearest category or name: a misspelt `category = "Order"` must not pass
//! CI while doing nothing) unless the rule says `optional = true`; a rule whose every action
//! an earlier rule already took is a warning (see [`Policy::check_matches`]).

use std::ops::Range;

use genesys_client::Action;
use serde::Deserialize;
use toml::Spanned;

use crate::duration::parse_timeout;
use crate::error::Failure;

/// Where a policy timeout came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Rule number (1-based).
    Rule(usize),
    /// The top-level `default`.
    Default,
}

/// One validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based position in the file.
    pub number: usize,
    /// Line of its `[[rule]]` header.
    pub line: usize,
    /// Category, exact and case-insensitive.
    pub category: Option<String>,
    /// Name glob, case-insensitive.
    pub name: Option<glob::Pattern>,
    /// Integration id.
    pub integration: Option<String>,
    /// Action id.
    pub id: Option<String>,
    /// Timeout in seconds.
    pub timeout: i64,
    /// `optional = true`: the rule may match no action (otherwise that is an error).
    pub optional: bool,
}

impl Rule {
    /// Whether every matcher of the rule matches the action.
    pub fn matches(&self, a: &Action) -> bool {
        let opts = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        self.category.as_deref().is_none_or(|c| {
            a.category
                .as_deref()
                .is_some_and(|ac| ac.eq_ignore_ascii_case(c))
        }) && self
            .name
            .as_ref()
            .is_none_or(|p| p.matches_with(&a.name, opts))
            && self
                .integration
                .as_deref()
                .is_none_or(|i| a.integration_id.as_deref() == Some(i))
            && self.id.as_deref().is_none_or(|i| a.id == i)
    }

    /// `rule 2 (line 9)`.
    pub fn label(&self) -> String {
        format!("rule {} (line {})", self.number, self.line)
    }
}

/// A validated policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file as named on the command line.
    pub file: String,
    /// The top-level `default`, with its line.
    pub default: Option<(i64, usize)>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    default: Option<Spanned<toml::Value>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    category: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    integration: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    timeout: Option<Spanned<toml::Value>>,
    optional: Option<bool>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .unwrap_or("")
        .matches('\n')
        .count()
        + 1
}

impl Policy {
    /// Parse and validate a policy. `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Policy, Failure> {
        let at = |span: Range<usize>| format!("{file}:{}", line_of(text, span.start));
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(at)
                .unwrap_or_else(|| file.to_string());
            let message = e.message().trim().replace('\n', " ");
            let mut f = Failure::usage(format!("{place}: {message}"));
            if message.contains("unknown field") {
                f = f.hint("a policy has a top-level `default = SECONDS` and `[[rule]]` tables with `category`, `name`, `integration`, `id`, `timeout` and `optional`");
            }
            f
        })?;
        let timeout_of = |v: &Spanned<toml::Value>, what: &str| -> Result<i64, Failure> {
            let place = at(v.span());
            let bad = |why: String| {
                Failure::usage(format!("{place}: {what}: {why}"))
                    .hint("a timeout is a whole number of seconds from 1 to 60: `30`, `\"30s\"`, `\"30000ms\"` or `\"1m\"`")
            };
            match v.get_ref() {
                toml::Value::Integer(i) => {
                    parse_timeout(&i.to_string()).map_err(|e| bad(e.to_string()))
                }
                toml::Value::String(s) => parse_timeout(s).map_err(|e| bad(e.to_string())),
                toml::Value::Float(x) => {
                    Err(bad(format!("`{x}` is not a whole number of seconds")))
                }
                other => Err(bad(format!(
                    "expected a number of seconds, found a {}",
                    other.type_str()
                ))),
            }
        };
        let default = match &raw.default {
            Some(v) => Some((timeout_of(v, "`default`")?, line_of(text, v.span().start))),
            None => None,
        };
        let mut rules = Vec::new();
        for (i, spanned) in raw.rule.iter().enumerate() {
            let number = i + 1;
            let line = line_of(text, spanned.span().start);
            let place = format!("{file}:{line}");
            let r = spanned.get_ref();
            let text_field =
                |v: &Option<Spanned<String>>, key: &str| -> Result<Option<String>, Failure> {
                    match v {
                        None => Ok(None),
                        Some(s) if crate::selector::text_problem(s.get_ref()).is_some() => {
                            Err(Failure::usage(format!(
                                "{}: rule {number}: `{key}` {}",
                                at(s.span()),
                                crate::selector::text_problem(s.get_ref()).unwrap_or_default()
                            )))
                        }
                        Some(s) => Ok(Some(s.get_ref().trim().to_string())),
                    }
                };
            let category = text_field(&r.category, "category")?;
            let integration = text_field(&r.integration, "integration")?;
            let id = text_field(&r.id, "id")?;
            let name = match text_field(&r.name, "name")? {
                None => None,
                Some(n) => Some(glob::Pattern::new(&n).map_err(|e| {
                    let place = r.name.as_ref().map(|s| at(s.span())).unwrap_or(place.clone());
                    Failure::usage(format!("{place}: rule {number}: invalid `name` pattern: {e}"))
                        .hint("use `*` for any text and `?` for one character, e.g. `name = \"Salesforce*\"`")
                })?),
            };
            if category.is_none() && name.is_none() && integration.is_none() && id.is_none() {
                return Err(Failure::usage(format!(
                    "{place}: rule {number} has no matcher"
                ))
                .hint("give `category`, `name`, `integration` or `id`; the top-level `default` covers every action no rule matches"));
            }
            let timeout = match &r.timeout {
                Some(v) => timeout_of(v, &format!("rule {number}: `timeout`"))?,
                None => {
                    return Err(
                        Failure::usage(format!("{place}: rule {number} has no `timeout`"))
                            .hint("add `timeout = SECONDS` (1 to 60)"),
                    )
                }
            };
            rules.push(Rule {
                number,
                line,
                category,
                name,
                integration,
                id,
                timeout,
                optional: r.optional.unwrap_or(false),
            });
        }
        if rules.is_empty() && default.is_none() {
            return Err(Failure::usage(format!(
                "{file}: the policy has no rules and no `default`"
            ))
            .hint("add `[[rule]]` tables, or `default = SECONDS` for every action"));
        }
        Ok(Policy {
            file: file.to_string(),
            default,
            rules,
        })
    }

    /// The timeout the policy gives an action, and where it comes from; `None` when no rule
    /// matches and there is no default (the action is left alone).
    pub fn target(&self, a: &Action) -> Option<(i64, Source)> {
        self.rules
            .iter()
            .find(|r| r.matches(a))
            .map(|r| (r.timeout, Source::Rule(r.number)))
            .or_else(|| self.default.map(|(t, _)| (t, Source::Default)))
    }

    /// How a source reads in plans: `rule 2 (line 9)` or `default (line 1)`.
    pub fn describe(&self, s: Source) -> String {
        match s {
            Source::Rule(n) => self
                .rules
                .get(n - 1)
                .map(Rule::label)
                .unwrap_or_else(|| format!("rule {n}")),
            Source::Default => match self.default {
                Some((_, line)) => format!("default (line {line})"),
                None => "default".to_string(),
            },
        }
    }

    /// Check the rules against the org's `actions`: a rule that matches no action is an
    /// error unless it is `optional` (the error names every such rule, with the nearest
    /// categories or names); a rule whose every match an earlier rule takes is a warning
    /// (returned).
    pub fn check_matches(&self, actions: &[Action]) -> Result<Vec<String>, Failure> {
        let mut warnings = Vec::new();
        let mut unmatched: Vec<&Rule> = Vec::new();
        for r in &self.rules {
            let matching: Vec<&Action> = actions.iter().filter(|a| r.matches(a)).collect();
            if matching.is_empty() {
                if !r.optional {
                    unmatched.push(r);
                }
            } else if matching
                .iter()
                .all(|a| self.target(a).map(|(_, s)| s) != Some(Source::Rule(r.number)))
            {
                warnings.push(format!(
                    "{}:{}: rule {} never applies: an earlier rule takes every action it matches",
                    self.file, r.line, r.number
                ));
            }
        }
        let Some(first) = unmatched.first() else {
            return Ok(warnings);
        };
        let mut f = Failure::usage(if unmatched.len() == 1 {
            format!(
                "{}:{}: rule {} matches no action",
                self.file, first.line, first.number
            )
        } else {
            let labels: Vec<String> = unmatched
                .iter()
                .map(|r| format!("{} (line {})", r.number, r.line))
                .collect();
            format!("{}: rules {} match no action", self.file, labels.join(", "))
        });
        let mut categories: Vec<&str> = actions
            .iter()
            .filter_map(|a| a.category.as_deref())
            .collect();
        categories.sort_unstable();
        categories.dedup();
        for r in &unmatched {
            let mut near = Vec::new();
            if let Some(c) = &r.category {
                if !actions.iter().any(|a| {
                    a.category
                        .as_deref()
                        .is_some_and(|ac| ac.eq_ignore_ascii_case(c))
                }) {
                    near = crate::suggest::nearest(c, categories.iter().copied(), 3)
                        .into_iter()
                        .map(|n| format!("category = \"{n}\""))
                        .collect();
                }
            }
            if near.is_empty() {
                if let Some(p) = &r.name {
                    let plain: String = p
                        .as_str()
                        .chars()
                        .filter(|c| !"*?[]".contains(*c))
                        .collect();
                    near =
                        crate::suggest::nearest(&plain, actions.iter().map(|a| a.name.as_str()), 3)
                            .into_iter()
                            .map(|n| format!("name = \"{n}\""))
                            .collect();
                }
            }
            if !near.is_empty() {
                f = f.hint(format!(
                    "rule {}: did you mean {}?",
                    r.number,
                    crate::suggest::or_list(&near)
                ));
            }
        }
        Err(f.hint("a rule that may match nothing says so: add `optional = true` to it"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    fn action(id: &str, name: &str, category: &str, integration: &str) -> Action {
        Action {
            id: id.into(),
            name: name.into(),
            category: Some(category.into()),
            integration_id: Some(integration.into()),
            ..Action::default()
        }
    }

    fn err(text: &str) -> String {
        let e = Policy::parse("t.toml", text).unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        e.message
    }

    const GOOD: &str = r#"
default = 20

[[rule]]
category = "Telephony"
timeout = 5

[[rule]]
name = "get contact*"
integration = "int-1"
timeout = "8s"

[[rule]]
id = "a-9"
timeout = "1m"
"#;

    #[test]
    fn first_matching_rule_wins_then_default() {
        let p = Policy::parse("t.toml", GOOD).unwrap();
        assert_eq!(p.default, Some((20, 2)));
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[1].line, 8);
        let tel = action("a-1", "Get Contact By Phone", "telephony", "int-1");
        assert_eq!(p.target(&tel), Some((5, Source::Rule(1))));
        let contact = action("a-2", "Get Contact By Phone", "CRM", "int-1");
        assert_eq!(p.target(&contact), Some((8, Source::Rule(2))));
        let other_int = action("a-3", "Get Contact By Phone", "CRM", "int-2");
        assert_eq!(p.target(&other_int), Some((20, Source::Default)));
        let by_id = action("a-9", "Anything", "CRM", "int-2");
        assert_eq!(p.target(&by_id), Some((60, Source::Rule(3))));
        assert_eq!(p.describe(Source::Rule(2)), "rule 2 (line 8)");
        assert_eq!(p.describe(Source::Default), "default (line 2)");
    }

    #[test]
    fn without_default_unmatched_actions_are_left_alone() {
        let p = Policy::parse("t.toml", "[[rule]]\nid = \"x\"\ntimeout = 3\n").unwrap();
        assert_eq!(p.target(&action("y", "Y", "C", "I")), None);
        assert_eq!(
            p.target(&action("x", "X", "C", "I")),
            Some((3, Source::Rule(1)))
        );
    }

    #[test]
    fn strict_validation_names_file_and_line() {
        let m = err("default = 20\n[[rule]]\ncategory = \"A\"\ntimeout = 61\n");
        assert!(m.starts_with("t.toml:4: rule 1: `timeout`"), "{m}");
        assert!(m.contains("61"), "{m}");
        let m = err("default = 0\n");
        assert!(m.starts_with("t.toml:1: `default`"), "{m}");
        let m = err("default = 2.5\n");
        assert!(m.contains("not a whole number"), "{m}");
        let m = err("default = \"1500ms\"\n");
        assert!(m.starts_with("t.toml:1:"), "{m}");
        let m = err("default = true\n");
        assert!(m.contains("found a boolean"), "{m}");
        let m = err("default = 5\n\n[[rule]]\ncategory = \"A\"\ntimeout = 5\ncolour = \"red\"\n");
        assert!(
            m.starts_with("t.toml:6:") && m.contains("unknown field `colour`"),
            "{m}"
        );
        let m = err("defualt = 5\n");
        assert!(
            m.starts_with("t.toml:1:") && m.contains("unknown field `defualt`"),
            "{m}"
        );
        let m = err("[[rules]]\nid = \"x\"\ntimeout = 5\n");
        assert!(m.contains("unknown field `rules`"), "{m}");
        let m = err("default = 5\n[[rule]]\ntimeout = 5\n");
        assert_eq!(m, "t.toml:2: rule 1 has no matcher");
        let m = err("[[rule]]\nname = \"A*\"\n");
        assert_eq!(m, "t.toml:1: rule 1 has no `timeout`");
        let m = err("[[rule]]\nname = \"\"\ntimeout = 5\n");
        assert_eq!(m, "t.toml:2: rule 1: `name` is empty");
        let m = err("[[rule]]\nname = \"[abc\"\ntimeout = 5\n");
        assert!(
            m.starts_with("t.toml:2: rule 1: invalid `name` pattern"),
            "{m}"
        );
        let m = err("");
        assert_eq!(m, "t.toml: the policy has no rules and no `default`");
        let m = err("[[rule]\nid = \"x\"\n");
        assert!(m.starts_with("t.toml:1:"), "{m}");
        let m = err("[rule]\nid = \"x\"\ntimeout = 5\n");
        assert!(m.starts_with("t.toml:"), "{m}");
        let m = err("[[rule]]\nid = 5\ntimeout = 5\n");
        assert!(m.starts_with("t.toml:2:"), "{m}");
    }

    #[test]
    fn unused_rules_are_reported() {
        let p = Policy::parse(
            "t.toml",
            "[[rule]]\ncategory = \"A\"\ntimeout = 5\n\n[[rule]]\nname = \"x*\"\ncategory = \"A\"\ntimeout = 6\n\n[[rule]]\nid = \"nope\"\ntimeout = 7\noptional = true\n",
        )
        .unwrap();
        let actions = vec![action("1", "x1", "A", "i"), action("2", "y", "B", "i")];
        let w = p.check_matches(&actions).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("t.toml:5: rule 2 never applies"), "{w:?}");
    }

    #[test]
    fn a_rule_matching_nothing_is_an_error_with_the_nearest_category() {
        let p = Policy::parse("t.toml", "[[rule]]\ncategory = \"Order\"\ntimeout = 5\n").unwrap();
        let actions = vec![
            action("1", "x1", "Orders", "i"),
            action("2", "y", "CRM", "i"),
        ];
        let e = p.check_matches(&actions).unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        assert_eq!(e.message, "t.toml:1: rule 1 matches no action");
        assert_eq!(e.hints[0], "rule 1: did you mean `category = \"Orders\"`?");
        assert!(e.hints[1].contains("optional = true"));
    }
}
