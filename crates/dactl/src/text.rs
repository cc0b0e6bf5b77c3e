//! Small text helpers shared by modules that must not depend on each other.

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
