//! Text helpers for messages, shared by every module that quotes what the user typed: the
//! nearest known values for a "did you mean" hint, a list of them joined with "or", and a
//! user-supplied value shortened and escaped for an error message.
//!
//! **Suggestions.** A misspelt name, category or region gets the nearest known values by
//! Damerau–Levenshtein distance on lower-cased text (the `strsim` crate, already in the build
//! through clap), as cargo does for commands: at most three, each within a third of the typed
//! length (at least 2 edits), nearest first. A known value that contains the typed text is a
//! suggestion too (`Orders` for `order`).
//!
//! A leaf: it uses no other dactl module, so that settings, profiles, selectors and policies
//! can all use it without reaching into each other.

/// The known values nearest to `typed`, nearest first, at most `max`.
pub fn nearest<'a, I>(typed: &str, known: I, max: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let t = typed.trim().to_lowercase();
    if t.is_empty() {
        return Vec::new();
    }
    let limit = (t.chars().count() / 3).max(2);
    let mut close: Vec<(usize, String)> = Vec::new();
    let mut containing: Vec<String> = Vec::new();
    for k in known {
        let kl = k.to_lowercase();
        if kl == t || close.iter().any(|(_, s)| s == k) || containing.iter().any(|s| s == k) {
            continue;
        }
        let d = strsim::damerau_levenshtein(&t, &kl);
        if d <= limit {
            close.push((d, k.to_string()));
        } else if t.chars().count() >= 3 && (kl.contains(&t) || t.contains(&kl)) {
            containing.push(k.to_string());
        }
    }
    close.sort();
    // Only the nearest: one edit more than the best at most.
    let best = close.first().map(|(d, _)| *d).unwrap_or(0);
    let mut out: Vec<String> = close
        .into_iter()
        .filter(|(d, _)| *d <= best + 1)
        .map(|(_, s)| s)
        .collect();
    containing.sort();
    out.extend(containing);
    out.truncate(max);
    out
}

/// `` `a`, `b` or `c` `` for a hint.
pub fn or_list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} or {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

/// Shorten a user-supplied value for an error message, escaping control characters.
pub fn shorten(s: &str) -> String {
    let esc: String = s.escape_debug().collect();
    if esc.chars().count() > 80 {
        let head: String = esc.chars().take(77).collect();
        format!("{head}...")
    } else {
        esc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names() {
        let known = [
            "Lookup Order Status",
            "Lookup Order History",
            "Get Contact",
            "Orders",
        ];
        assert_eq!(
            nearest("Lookup Order Stats", known, 3),
            vec!["Lookup Order Status".to_string()]
        );
        assert_eq!(nearest("order", known, 3)[0], "Orders");
        assert!(nearest("zzzzzzzz", known, 3).is_empty());
        assert_eq!(
            nearest("eu-weest-1", ["eu-west-1", "eu-west-2", "us-east-1"], 1),
            vec!["eu-west-1".to_string()]
        );
    }

    #[test]
    fn shorten_escapes_and_cuts() {
        assert_eq!(shorten("a\tb"), "a\\tb");
        assert_eq!(shorten(&"x".repeat(100)).chars().count(), 80);
    }
}
