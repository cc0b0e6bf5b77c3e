//! Explicit references (a positional ACTION, `--id`, a line of `--from-file`): each resolves to
//! exactly one action of the listing, by id or by exact name; an unknown one is an error, and a
//! name shared by several actions is an error that lists them with their ids.

use std::collections::{BTreeSet, HashMap};

use genesys_client::Action;

use crate::error::Failure;
use crate::text::shorten;

/// Whether a reference looks like an action id rather than a name.
pub fn looks_like_id(s: &str) -> bool {
    let s = s.trim();
    if s.starts_with("static_") || s.starts_with("customAuth_") {
        return true;
    }
    // UUID: 8-4-4-4-12 hex digits.
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

pub(super) struct Index<'a> {
    listing: &'a [Action],
    integration_names: &'a HashMap<String, String>,
    pub(super) by_id: HashMap<&'a str, usize>,
    by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    pub(super) fn new(
        listing: &'a [Action],
        integration_names: &'a HashMap<String, String>,
    ) -> Self {
        let mut by_id = HashMap::new();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, a) in listing.iter().enumerate() {
            by_id.insert(a.id.as_str(), i);
            by_name.entry(a.name.as_str()).or_default().push(i);
        }
        Index {
            listing,
            integration_names,
            by_id,
            by_name,
        }
    }

    pub(super) fn resolve_all(
        &self,
        refs: &[String],
        source: &str,
    ) -> Result<BTreeSet<usize>, Failure> {
        let mut set = BTreeSet::new();
        let mut missing = Vec::new();
        for r in refs {
            let r_trim = r.trim();
            if let Some(&i) = self.by_id.get(r_trim) {
                set.insert(i);
                continue;
            }
            match self
                .by_name
                .get(r.as_str())
                .or_else(|| self.by_name.get(r_trim))
            {
                Some(v) if v.len() == 1 => {
                    set.insert(v[0]);
                }
                Some(v) => {
                    let mut f = Failure::usage(format!(
                        "the name `{}` matches {} actions; give an id instead",
                        shorten(r),
                        v.len()
                    ));
                    for &i in v {
                        let a = &self.listing[i];
                        let integration = a.integration_id.as_deref().unwrap_or("?");
                        let integration = match self.integration_names.get(integration) {
                            Some(name) => format!("`{name}` ({integration})"),
                            None => format!("`{integration}`"),
                        };
                        f = f.hint(format!(
                            "`{}` in integration {integration} (category `{}`)",
                            a.id,
                            a.category.as_deref().unwrap_or("?")
                        ));
                    }
                    return Err(f);
                }
                None => missing.push(r.clone()),
            }
        }
        if !missing.is_empty() {
            let mut f = not_found(&missing, source);
            if missing.len() == 1 {
                let near = crate::text::nearest(
                    &missing[0],
                    self.listing.iter().map(|a| a.name.as_str()),
                    3,
                );
                if !near.is_empty() {
                    f.hints
                        .insert(0, format!("did you mean {}?", crate::text::or_list(&near)));
                }
            }
            return Err(f);
        }
        Ok(set)
    }
}

pub(super) fn not_found(missing: &[String], source: &str) -> Failure {
    let shown: Vec<String> = missing
        .iter()
        .take(5)
        .map(|m| format!("`{}`", shorten(m)))
        .collect();
    let more = if missing.len() > 5 {
        format!(" and {} more", missing.len() - 5)
    } else {
        String::new()
    };
    let what = if missing.len() == 1 {
        "action"
    } else {
        "actions"
    };
    Failure::usage(format!(
        "no {what} with the id or name {}{more} ({source})",
        shown.join(", ")
    ))
    .hint("`dactl list` shows every action with its id; names must match exactly")
}
