//! Bounded fuzzing (issue 5) with proptest, run by `cargo test`: the duration parser, the
//! selector and glob parser, `--from-file` parsing, and the configuration files: dactl's config
//! and gc's (profiles), policy files (`plan -f`/`apply -f`) and fault files (`sandbox serve`). Each property runs `PROPTEST_CASES` cases (default 1,000
//! here); a failure is shrunk to a minimal input and saved under `proptest-regressions/`.
//!
//! Besides "never panics", each parser is checked against an independent oracle or an
//! invariant that a user would notice if it broke.

use dactl::duration::parse_timeout;
use dactl::selector::{parse_reference_lines, Selectors};
use genesys_client::Action;
use genesys_emulator::{parse_faults_json, parse_faults_toml, FaultRule};
use proptest::prelude::*;
use serde_json::json;

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 1_000;
    }
    c
}

// ------------------------------------------------------------------ durations

/// The documented grammar, written independently of the parser: optional whitespace, ASCII
/// digits, an optional unit (case-insensitive) with optional whitespace before it.
fn oracle(number: &str, unit: &str) -> Option<i64> {
    if number.len() > 12 {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let secs = match unit.to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => n,
        "ms" if n % 1000 == 0 => n / 1000,
        "m" | "min" | "mins" | "minute" | "minutes" => n.checked_mul(60)?,
        _ => return None,
    };
    (1..=60).contains(&secs).then_some(secs)
}

fn unit() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "", "s", "S", "sec", "secs", "second", "seconds", "ms", "MS", "m", "min", "mins", "minute",
        "minutes", "h", "us", "x", "sS", "mss",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn duration_never_panics_and_only_accepts_1_to_60(s in "\\PC{0,24}|[0-9smh. \\-+]{0,12}") {
        if let Ok(v) = parse_timeout(&s) {
            prop_assert!((1..=60).contains(&v), "{s:?} -> {v}");
        }
    }

    #[test]
    fn duration_matches_the_documented_grammar(
        lead in "[ \t]{0,2}",
        number in "[0-9]{1,14}",
        gap in "[ ]{0,1}",
        unit in unit(),
        trail in "[ \t]{0,2}",
    ) {
        let input = format!("{lead}{number}{gap}{unit}{trail}");
        let want = oracle(&number, &unit);
        prop_assert_eq!(parse_timeout(&input).ok(), want, "{:?}", input);
    }

    #[test]
    fn duration_near_misses_are_refused(
        n in 1i64..=60,
        unit in prop::sample::select(vec!["", "s", "ms"]),
        junk in prop::sample::select(vec![".", ".5", ",0", "-", "+", "e1", "\u{7}", "½", "\u{660}", "０"]),
        at_front in any::<bool>(),
    ) {
        let number = if unit == "ms" { (n * 1000).to_string() } else { n.to_string() };
        let input = if at_front { format!("{junk}{number}{unit}") } else { format!("{number}{junk}{unit}") };
        prop_assert!(parse_timeout(&input).is_err(), "{:?} accepted", input);
    }
}

// ------------------------------------------------------------------ selectors and globs

fn listing(names: &[String]) -> Vec<Action> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::from_value(json!({
                "id": format!("{:08x}-0000-4000-8000-{:012x}", i, i),
                "name": n,
                "category": if i % 2 == 0 { "Even" } else { "Odd" },
                "integrationId": format!("int-{}", i % 3),
            }))
            .unwrap()
        })
        .collect()
}

/// Names like the ones admins type, with the characters that matter to globs and lookalikes.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 _()\\-*?\\[\\]!.]{1,24}|\\PC{1,16}"
}

/// Swap the first Latin letter that has a Cyrillic twin.
fn lookalike(s: &str) -> Option<String> {
    let pairs = [
        ('a', 'а'),
        ('e', 'е'),
        ('o', 'о'),
        ('p', 'р'),
        ('c', 'с'),
        ('x', 'х'),
        ('A', 'А'),
        ('E', 'Е'),
        ('O', 'О'),
    ];
    let pos = s
        .char_indices()
        .find(|(_, c)| pairs.iter().any(|(l, _)| l == c))?;
    let to = pairs.iter().find(|(l, _)| *l == pos.1)?.1;
    Some(format!(
        "{}{}{}",
        &s[..pos.0],
        to,
        &s[pos.0 + pos.1.len_utf8()..]
    ))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_selector_text_is_validated_without_panicking(
        glob in "\\PC{0,40}|[\\[\\]*?!{}\\\\-]{0,12}",
        text in "\\PC{0,20}|[\t\r\n\u{0}-\u{1f}]{1,3}",
        names in prop::collection::vec(name(), 0..8),
    ) {
        let s = Selectors { name: Some(glob), category: Some(text.clone()), integration: Some(text.clone()),
            actions: vec![text.clone()], ids: vec![text], ..Selectors::default() };
        if s.validate().is_ok() {
            let _ = s.select(&listing(&names));
        }
    }

    #[test]
    fn an_escaped_name_glob_selects_exactly_the_equal_names(
        names in prop::collection::vec(name(), 1..10),
        pick in any::<prop::sample::Index>(),
    ) {
        let l = listing(&names);
        let target = &names[pick.index(names.len())];
        let s = Selectors { name: Some(glob::Pattern::escape(target)), ..Selectors::default() };
        prop_assume!(s.validate().is_ok());
        let selected = s.select(&l).unwrap();
        let got: Vec<&str> = selected.iter().map(|a| a.name.as_str()).collect();
        // Case-insensitive for ASCII only: a lookalike never matches.
        let want: Vec<&str> = names.iter().map(String::as_str).filter(|n| n.eq_ignore_ascii_case(target)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn star_selects_everything(names in prop::collection::vec(name(), 0..10)) {
        let s = Selectors { name: Some("*".into()), ..Selectors::default() };
        prop_assert_eq!(s.select(&listing(&names)).unwrap().len(), names.len());
    }

    #[test]
    fn an_exact_name_resolves_to_its_actions_and_a_lookalike_to_none(
        names in prop::collection::vec(name(), 1..10),
        pick in any::<prop::sample::Index>(),
    ) {
        let l = listing(&names);
        let target = names[pick.index(names.len())].clone();
        let s = Selectors { actions: vec![target.clone()], ..Selectors::default() };
        prop_assume!(s.validate().is_ok());
        let same = names.iter().filter(|n| **n == target).count();
        let trimmed_same = names.iter().filter(|n| n.trim() == target.trim()).count();
        match s.select(&l) {
            Ok(v) => {
                prop_assert_eq!(v.len(), 1);
                prop_assert!(v[0].name == target || v[0].name.trim() == target.trim());
            }
            Err(e) => prop_assert!(same > 1 || trimmed_same > 1, "{}", e.message),
        }
        if let Some(fake) = lookalike(&target) {
            prop_assume!(!names.iter().any(|n| n.trim() == fake.trim()));
            let s = Selectors { actions: vec![fake], ..Selectors::default() };
            let r = s.select(&l);
            prop_assert!(r.is_err(), "a lookalike resolved to {:?}", r.map(|v| v[0].name.clone()));
        }
    }
}

// ------------------------------------------------------------------ --from-file

proptest! {
    #![proptest_config(config())]

    #[test]
    fn from_file_lines_are_clean_unique_and_ending_agnostic(
        lines in prop::collection::vec("[ \t]{0,2}(#?[A-Za-z0-9 _\\-]{0,12}|\\PC{0,8})[ \t]{0,2}", 0..40),
        bom in any::<bool>(),
    ) {
        let lf = lines.join("\n");
        let crlf = format!("{}{}", if bom { "\u{feff}" } else { "" }, lines.join("\r\n"));
        let a = parse_reference_lines(&lf);
        let b = parse_reference_lines(&crlf);
        prop_assert_eq!(&a, &b, "CRLF and a BOM change nothing");
        let mut seen = std::collections::HashSet::new();
        for l in &a {
            prop_assert!(!l.is_empty() && l.trim() == l && !l.contains('\r') && !l.starts_with('#'));
            prop_assert!(seen.insert(l.clone()), "duplicate {:?}", l);
        }
        // Every meaningful line is kept, in first-seen order.
        let mut want: Vec<String> = Vec::new();
        for l in &lines {
            let t = l.trim();
            if !t.is_empty() && !t.starts_with('#') && !want.iter().any(|w| w == t) {
                want.push(t.to_string());
            }
        }
        prop_assert_eq!(a, want);
    }

    #[test]
    fn from_file_never_panics_on_any_text(text in "\\PC{0,200}|[\r\n\u{feff}#\t ]{0,20}") {
        let _ = parse_reference_lines(&text);
    }
}

// ------------------------------------------------------------------ configuration files

fn rule() -> impl Strategy<Value = FaultRule> {
    let trigger = prop_oneof![
        Just(json!({"type": "always"})),
        (1u64..100).prop_map(|n| json!({"type": "nth", "n": n})),
        (1u64..100).prop_map(|n| json!({"type": "every", "n": n})),
        // (Thousandths: the toml crate does not round-trip every f64 to the last bit.)
        (0u32..=1000, any::<u32>()).prop_map(
            |(p, s)| json!({"type": "probability", "p": f64::from(p) / 1000.0, "seed": s})
        ),
    ];
    let action = prop_oneof![
        (400u16..600, prop::option::of(0u64..200))
            .prop_map(|(s, r)| json!({"type": "status", "status": s, "retry_after": r})),
        (0u64..5000).prop_map(|ms| json!({"type": "latency", "ms": ms})),
        Just(json!({"type": "drop"})),
        Just(json!({"type": "expire_token"})),
        prop::sample::select(vec!["other", "timeout"])
            .prop_map(|f| json!({"type": "concurrent_edit", "field": f})),
    ];
    (
        prop::option::of("[a-z0-9-]{1,10}"),
        prop::option::of(prop::sample::select(vec!["GET", "PATCH", "POST"])),
        "(/[a-z*]{1,8}){1,4}",
        trigger,
        action,
        prop::option::of(1u64..10),
    )
        .prop_map(|(name, method, path, trigger, action, times)| {
            serde_json::from_value(json!({"name": name, "method": method, "path": path,
                "trigger": trigger, "action": action, "times": times}))
            .unwrap()
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fault_files_never_panic_on_any_text(text in "\\PC{0,200}|[\\[\\]{}=\"a-z\n ]{0,60}") {
        let _ = parse_faults_toml(&text);
        let _ = parse_faults_json(&text);
    }

    #[test]
    fn fault_rules_survive_toml_and_json(rules in prop::collection::vec(rule(), 0..5)) {
        #[derive(serde::Serialize)]
        struct Doc<'a> { faults: &'a [FaultRule] }
        let toml_text = toml::to_string(&Doc { faults: &rules }).unwrap();
        prop_assert_eq!(&parse_faults_toml(&toml_text).unwrap(), &rules, "{}", toml_text);
        let json_text = serde_json::to_string(&rules).unwrap();
        prop_assert_eq!(&parse_faults_json(&json_text).unwrap(), &rules);
    }

    #[test]
    fn an_unknown_key_anywhere_in_a_fault_file_is_refused(
        r in rule(),
        key in "[a-z]{3,8}",
        level in 0usize..3,
    ) {
        let mut v = serde_json::to_value(&r).unwrap();
        prop_assume!(!["name", "method", "path", "trigger", "action", "times", "type", "n", "p",
            "seed", "status", "retry_after", "code", "message", "ms", "field"].contains(&key.as_str()));
        // Serde ignores extra keys next to the tag of a variant without fields (`always`,
        // `drop`, `expire_token`); everywhere else an unknown key is an error.
        let fieldless = |x: &serde_json::Value| x.as_object().is_some_and(|o| o.len() == 1);
        let level = if level > 0 && fieldless(if level == 1 { &v["trigger"] } else { &v["action"] }) {
            0
        } else {
            level
        };
        let target = match level {
            0 => &mut v,
            1 => &mut v["trigger"],
            _ => &mut v["action"],
        };
        target.as_object_mut().unwrap().insert(key.clone(), json!(1));
        let text = serde_json::to_string(&[v]).unwrap();
        prop_assert!(parse_faults_json(&text).is_err(), "accepted `{}`: {}", key, text);
    }
}

// ------------------------------------------------------------------ dactl's and gc's config

fn config_file(text: String) -> dactl::profiles::ConfigFile {
    dactl::profiles::ConfigFile {
        path: std::path::PathBuf::from("/cfg/config.toml"),
        text,
        mode: Some(0o600),
    }
}

/// A valid dactl config with one profile that keeps `secret` in plain text.
fn config_with_secret(name: &str, secret: &str) -> Vec<String> {
    vec![
        format!("[profiles.{name}]"),
        "region = \"eu-west-1\"".to_string(),
        "client_id = \"3f0c-client\"".to_string(),
        format!("client_secret = \"{secret}\""),
    ]
}

/// Whether `text` holds any 10-character piece of `secret`.
fn leaks(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(10)
        .any(|w| text.contains(&w.iter().collect::<String>()))
}

fn failure_text(f: &dactl::error::Failure) -> String {
    format!("{} {}", f.message, f.hints.join(" "))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn config_files_never_panic(text in "\\PC{0,200}|[\\[\\]=\"a-z_.\n ]{0,80}") {
        let env = dactl::settings::EnvVars::default();
        let _ = dactl::profiles::parse_dactl(&config_file(text.clone()), &env);
        let _ = dactl::profiles::parse_gc(&config_file(text));
    }

    /// Whatever is wrong with a config file, the error never quotes the secret in it.
    #[test]
    fn config_errors_never_quote_the_secret(
        name in "[a-z]{1,8}",
        secret in "[A-Za-z0-9]{24,40}",
        line in 0usize..4,
        edit in prop_oneof![
            Just("drop-quote"), Just("drop-bracket"), Just("retype"), Just("unknown-key"),
            Just("duplicate"), Just("garbage"),
        ],
    ) {
        let mut lines = config_with_secret(&name, &secret);
        match edit {
            "drop-quote" => lines[line] = lines[line].replacen('"', "", 1),
            "drop-bracket" => lines[line] = lines[line].replacen(']', "", 1),
            "retype" => lines[line] = lines[line].replacen('"', "[\"", 1),
            "unknown-key" => lines.push(format!("client_sercet = \"{secret}\"")),
            "duplicate" => { let l = lines[line].clone(); lines.push(l) }
            _ => lines.insert(line, "\u{0}= =".to_string()),
        }
        let text = lines.join("\n");
        let env = dactl::settings::EnvVars::default();
        if let Err(f) = dactl::profiles::parse_dactl(&config_file(text.clone()), &env) {
            prop_assert!(!leaks(&failure_text(&f), &secret), "{}", failure_text(&f));
        }
        // gc's layout: one table per profile.
        let gc = text.replace(&format!("[profiles.{name}]"), &format!("[{name}]"))
            .replace("region", "environment");
        if let Err(f) = dactl::profiles::parse_gc(&config_file(gc)) {
            prop_assert!(!leaks(&failure_text(&f), &secret), "{}", failure_text(&f));
        }
    }

    #[test]
    fn an_unknown_profile_key_is_refused(name in "[a-z]{1,8}", key in "[a-z_]{3,12}") {
        prop_assume!(!dactl::profiles::PROFILE_KEYS.contains(&key.as_str()));
        let text = format!("[profiles.{name}]\nregion = \"eu-west-1\"\n{key} = \"x\"\n");
        let env = dactl::settings::EnvVars::default();
        let r = dactl::profiles::parse_dactl(&config_file(text), &env);
        prop_assert!(r.is_err());
        let msg = r.unwrap_err().message;
        prop_assert!(msg.contains(&key), "{}", msg);
    }
}

// ------------------------------------------------------------------ policy files

/// One generated rule: (category, name glob, id) matchers (at least one) and a timeout.
type GenRule = (Option<String>, Option<String>, Option<usize>, i64);

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        prop::option::of(
            prop::sample::select(vec!["Even", "odd", "Other"]).prop_map(str::to_string),
        ),
        prop::option::of(
            prop::sample::select(vec!["*", "a*", "*b", "?b*", "[ab]*", "zz"])
                .prop_map(str::to_string),
        ),
        prop::option::of(0usize..6),
        1i64..=60,
    )
        .prop_filter("a matcher", |(c, n, i, _)| {
            c.is_some() || n.is_some() || i.is_some()
        })
}

fn policy_text(default: Option<i64>, rules: &[GenRule], ids: &[String]) -> String {
    let mut t = String::new();
    if let Some(d) = default {
        t.push_str(&format!("default = \"{d}s\"\n"));
    }
    for (c, n, i, timeout) in rules {
        t.push_str("\n[[rule]]\n");
        if let Some(c) = c {
            t.push_str(&format!("category = \"{c}\"\n"));
        }
        if let Some(n) = n {
            t.push_str(&format!("name = \"{n}\"\n"));
        }
        if let Some(i) = i {
            t.push_str(&format!("id = \"{}\"\n", ids[*i % ids.len()]));
        }
        t.push_str(&format!("timeout = {timeout}\n"));
    }
    t
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn policy_files_never_panic(text in "\\PC{0,200}|[\\[\\]=\"a-z_.0-9\n ]{0,80}") {
        let _ = dactl::policy::Policy::parse("p.toml", &text);
    }

    /// The first rule whose every matcher matches gives the timeout; else the default.
    #[test]
    fn policy_target_is_the_first_matching_rule(
        names in prop::collection::vec("[abz]{1,4}", 6),
        default in prop::option::of(1i64..=60),
        rules in prop::collection::vec(gen_rule(), 0..6),
    ) {
        prop_assume!(default.is_some() || !rules.is_empty());
        let actions = listing(&names);
        let ids: Vec<String> = actions.iter().map(|a| a.id.clone()).collect();
        let p = dactl::policy::Policy::parse("p.toml", &policy_text(default, &rules, &ids)).unwrap();
        for a in &actions {
            let want = rules.iter().find(|(c, n, i, _)| {
                c.as_ref().is_none_or(|c| a.category.as_deref().is_some_and(|ac| ac.eq_ignore_ascii_case(c)))
                    && n.as_ref().is_none_or(|n| glob::Pattern::new(n).unwrap().matches_with(&a.name, glob::MatchOptions { case_sensitive: false, ..Default::default() }))
                    && i.is_none_or(|i| a.id == ids[i % ids.len()])
            }).map(|r| r.3).or(default);
            prop_assert_eq!(p.target(a).map(|(t, _)| t), want, "{}", a.name);
        }
    }
}
