//! What to say when the selectors match nothing: the nearest known category, name or
//! integration for each selector that alone matches nothing, or how many each matches when they
//! only fail together.

use genesys_client::Action;

use crate::text::{nearest, or_list, shorten};

use super::Selectors;

/// What to say when the selectors match nothing in `listing` (the whole org): for each of
/// `--category`, `--name` and `--integration` that alone matches nothing, the nearest known
/// values; when each matches on its own but not together, how many each matches.
pub fn no_match_hints(sel: &Selectors, listing: &[Action]) -> Vec<String> {
    let mut hints = Vec::new();
    let mut alone: Vec<(String, usize)> = Vec::new();
    let only = |f: &dyn Fn(&mut Selectors)| {
        let mut one = Selectors::default();
        f(&mut one);
        one.select(listing).map(|v| v.len()).unwrap_or(0)
    };
    let mut categories: Vec<&str> = listing
        .iter()
        .filter_map(|a| a.category.as_deref())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    if let Some(c) = &sel.category {
        let n = only(&|s| s.category = Some(c.clone()));
        if n == 0 {
            let near = nearest(c, categories.iter().copied(), 3);
            hints.push(if near.is_empty() {
                format!(
                    "no category is called `{}`; `dactl list` shows the categories",
                    shorten(c)
                )
            } else {
                format!(
                    "no category is called `{}`; did you mean {}?",
                    shorten(c),
                    or_list(&near)
                )
            });
        }
        alone.push((format!("`--category {}`", shorten(c)), n));
    }
    if let Some(g) = &sel.name {
        let n = only(&|s| s.name = Some(g.clone()));
        if n == 0 {
            let plain: String = g.chars().filter(|c| !"*?[]".contains(*c)).collect();
            let mut near = nearest(&plain, listing.iter().map(|a| a.name.as_str()), 3);
            if near.is_empty() && g.ends_with('*') {
                // `Lookup Ordr*`: compare with the start of each name.
                let len = plain.chars().count();
                let heads: Vec<String> = listing
                    .iter()
                    .map(|a| a.name.chars().take(len).collect())
                    .collect();
                near = nearest(&plain, heads.iter().map(String::as_str), 3)
                    .into_iter()
                    .map(|h| format!("{h}*"))
                    .collect();
            }
            if !near.is_empty() {
                hints.push(format!(
                    "no name matches `{}`; did you mean {}?",
                    shorten(g),
                    or_list(&near)
                ));
            } else {
                let cats = nearest(&plain, categories.iter().copied(), 3);
                hints.push(if cats.is_empty() {
                    format!(
                        "no name matches `{}`; `dactl list` shows every action",
                        shorten(g)
                    )
                } else {
                    format!(
                        "no name matches `{}`; a category is called {}: `--category`",
                        shorten(g),
                        or_list(&cats)
                    )
                });
            }
        }
        alone.push((format!("`--name {}`", shorten(g)), n));
    }
    if let Some(i) = &sel.integration {
        let n = only(&|s| s.integration = Some(i.clone()));
        if n == 0 {
            let mut ids: Vec<&str> = listing
                .iter()
                .filter_map(|a| a.integration_id.as_deref())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let near = nearest(i, ids.iter().copied(), 3);
            hints.push(if near.is_empty() {
                format!(
                    "no action belongs to integration `{}`; `dactl list -o json` shows each action's `integration_id`",
                    shorten(i)
                )
            } else {
                format!(
                    "no action belongs to integration `{}`; did you mean {}?",
                    shorten(i),
                    or_list(&near)
                )
            });
        }
        alone.push((format!("`--integration {}`", shorten(i)), n));
    }
    if hints.is_empty() && alone.len() > 1 {
        let parts: Vec<String> = alone
            .iter()
            .map(|(what, n)| format!("{what} matches {n}"))
            .collect();
        hints.push(format!(
            "each selector matches on its own ({}), but no action matches them all",
            parts.join(", ")
        ));
    }
    if hints.is_empty() {
        hints.push("`dactl list` shows every action, its category and its id".to_string());
    }
    hints
}
