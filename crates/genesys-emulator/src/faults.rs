//! Faults as data: rules that make the emulator misbehave on purpose.
//!
//! A [`FaultRule`] matches requests by method and a path glob (`*` = one segment or part of one,
//! `**` = any number of segments) and fires by a [`Trigger`]. Every rule counts the requests it
//! matches; the rules are looked at in order and the first non-latency rule that fires decides
//! the request (a [`FaultAction::Latency`] rule adds its delay and lets the request go on, so
//! latency combines with other faults). `times` caps how often a rule fires.
//!
//! Serialized form (TOML or JSON), tagged by `type`:
//! ```toml
//! [[faults]]
//! name = "patch-503"
//! method = "PATCH"
//! path = "/api/v2/integrations/actions/*"
//! trigger = { type = "nth", n = 2 }
//! action = { type = "status", status = 503, retry_after = 1 }
//! times = 1
//! ```
//! JSON accepts the same objects, as an array or as `{"faults": [...]}`. Variant names are
//! snake_case; the PascalCase spellings (`Nth`, `ConcurrentEdit`…) are accepted too.

use serde::{Deserialize, Serialize};

/// One fault rule. Unknown keys are refused (a misspelt `trigger` must not become `always`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Reported in the journal when the rule fires.
    #[serde(default)]
    pub name: Option<String>,
    /// HTTP method (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Glob over the request path (no query).
    pub path: String,
    /// When the rule fires among the requests it matches; `always` by default.
    #[serde(default)]
    pub trigger: Trigger,
    /// What happens when it fires.
    pub action: FaultAction,
    /// Fire at most this many times.
    #[serde(default)]
    pub times: Option<u64>,
}

/// When a matching rule fires.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Each matching request with probability `p`, from a generator seeded with `seed`
    /// (so a run is reproducible).
    #[serde(alias = "Probability")]
    Probability { p: f64, seed: u64 },
    /// Only the `n`th matching request (1-based).
    #[serde(alias = "Nth")]
    Nth { n: u64 },
    /// Every `n`th matching request (n, 2n, 3n…).
    #[serde(alias = "Every")]
    Every { n: u64 },
    /// Every matching request.
    #[default]
    #[serde(alias = "Always")]
    Always,
}

/// What a fired rule does.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status and an `ErrorBody` (code and message default per status),
    /// plus `Retry-After` when set. The request is not applied.
    #[serde(alias = "Status")]
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    /// Delay the request by `ms` milliseconds, then handle it normally.
    #[serde(alias = "Latency")]
    Latency { ms: u64 },
    /// Close the connection without writing a response (the request is not applied).
    #[serde(alias = "Drop")]
    Drop,
    /// Handle the request normally (a write lands), then close the connection without sending
    /// the answer: the client cannot know whether its write landed.
    #[serde(alias = "DropAfter")]
    DropAfter,
    /// Handle the request normally (a write lands), then answer with this status and an
    /// `ErrorBody` instead of the real answer (a gateway that timed out after the backend
    /// applied the write).
    #[serde(alias = "StatusAfter")]
    StatusAfter { status: u16 },
    /// Expire the request's bearer token now; the request gets 401 `authentication.required`.
    #[serde(alias = "ExpireToken")]
    ExpireToken,
    /// Another user edits the action named in the path just before the request is handled:
    /// `other` changes a request header of the stored action, `timeout` its `timeoutSeconds`;
    /// either way its version goes up by one, so a write that carries the version it read gets
    /// a 409. On a `/draft…` path the draft is edited instead.
    #[serde(alias = "ConcurrentEdit")]
    ConcurrentEdit {
        #[serde(default)]
        field: EditField,
    },
}

/// Which field a [`FaultAction::ConcurrentEdit`] changes.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum EditField {
    /// A field other than the timeout (a request header).
    #[default]
    #[serde(alias = "Other")]
    Other,
    /// `config.timeoutSeconds`.
    #[serde(alias = "Timeout")]
    Timeout,
}

impl FaultAction {
    fn is_latency(&self) -> bool {
        matches!(self, FaultAction::Latency { .. })
    }
}

/// Reads fault rules from a TOML or JSON file (by extension; content sniffed otherwise).
pub fn load_faults(path: &std::path::Path) -> Result<Vec<FaultRule>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read fault file `{}`: {e}", path.display()))?;
    let is_json = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("json") => true,
        Some(ext) if ext.eq_ignore_ascii_case("toml") => false,
        _ => {
            text.trim_start().starts_with(['[', '{'])
                && serde_json::from_str::<serde_json::Value>(&text).is_ok()
        }
    };
    let parsed = if is_json {
        parse_faults_json(&text)
    } else {
        parse_faults_toml(&text)
    };
    parsed.map_err(|e| format!("invalid fault file `{}`: {e}", path.display()))
}

/// Parses rules from JSON: an array of rules or `{"faults": [...]}`.
pub fn parse_faults_json(text: &str) -> Result<Vec<FaultRule>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        List(Vec<FaultRule>),
        Wrapped { faults: Vec<FaultRule> },
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let rules = match doc {
        Doc::List(r) | Doc::Wrapped { faults: r } => r,
    };
    validate(&rules)?;
    Ok(rules)
}

/// Parses rules from TOML: `[[faults]]` tables.
pub fn parse_faults_toml(text: &str) -> Result<Vec<FaultRule>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        faults: Vec<FaultRule>,
    }
    let doc: Doc = toml::from_str(text).map_err(|e| e.to_string())?;
    validate(&doc.faults)?;
    Ok(doc.faults)
}

fn validate(rules: &[FaultRule]) -> Result<(), String> {
    for (i, r) in rules.iter().enumerate() {
        let label = r.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
        if !r.path.starts_with('/') {
            return Err(format!("fault `{label}`: path must start with `/`"));
        }
        match r.trigger {
            Trigger::Nth { n: 0 } | Trigger::Every { n: 0 } => {
                return Err(format!("fault `{label}`: n must be at least 1"))
            }
            Trigger::Probability { p, .. } if !(0.0..=1.0).contains(&p) => {
                return Err(format!("fault `{label}`: p must be within 0..=1"))
            }
            _ => {}
        }
        if let FaultAction::Status { status, .. } | FaultAction::StatusAfter { status } = r.action {
            if !(100..=599).contains(&status) {
                return Err(format!(
                    "fault `{label}`: status {status} is not an HTTP status"
                ));
            }
        }
    }
    Ok(())
}

/// Whether `path` matches the glob `pattern` (segment-wise; see the module docs).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|skip| match_segments(rest, &segs[skip..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, srest)) => wildcard(p, s) && match_segments(rest, srest),
            None => false,
        },
    }
}

/// `*` inside a segment matches any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// A small deterministic generator (SplitMix64) for probability triggers and seed data.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n) (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A rule with its counters.
#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u64,
    rng: SplitMix,
}

/// What the fault plan decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Extra delay from latency rules, in ms.
    pub latency_ms: u64,
    /// The deciding fault, with the name reported in the journal.
    pub action: Option<(String, FaultAction)>,
    /// Names of every rule that fired (latency included).
    pub fired: Vec<String>,
}

/// The live fault plan: rules plus their counters.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    rules: Vec<RuleState>,
}

impl FaultPlan {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        FaultPlan {
            rules: rules
                .into_iter()
                .map(|rule| {
                    let seed = match rule.trigger {
                        Trigger::Probability { seed, .. } => seed,
                        _ => 0,
                    };
                    RuleState {
                        rule,
                        matched: 0,
                        fired: 0,
                        rng: SplitMix::new(seed),
                    }
                })
                .collect(),
        }
    }

    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }

    /// Counts the request against every matching rule and decides which fault applies.
    pub fn decide(&mut self, method: &str, path: &str) -> Decision {
        let mut decision = Decision::default();
        for (i, st) in self.rules.iter_mut().enumerate() {
            let r = &st.rule;
            if let Some(m) = &r.method {
                if !m.eq_ignore_ascii_case(method) {
                    continue;
                }
            }
            if !path_matches(&r.path, path) {
                continue;
            }
            st.matched += 1;
            let hit = match r.trigger {
                Trigger::Always => true,
                Trigger::Nth { n } => st.matched == n,
                Trigger::Every { n } => st.matched % n.max(1) == 0,
                Trigger::Probability { p, .. } => st.rng.chance(p),
            };
            let exhausted = r.times.is_some_and(|t| st.fired >= t);
            if !hit || exhausted {
                continue;
            }
            if !r.action.is_latency() && decision.action.is_some() {
                continue;
            }
            st.fired += 1;
            let name = r.name.clone().unwrap_or_else(|| format!("fault#{}", i + 1));
            decision.fired.push(name.clone());
            match &r.action {
                FaultAction::Latency { ms } => decision.latency_ms += ms,
                other => decision.action = Some((name, other.clone())),
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(path_matches(
            "/api/v2/integrations/actions/*",
            "/api/v2/integrations/actions/abc"
        ));
        assert!(!path_matches(
            "/api/v2/integrations/actions/*",
            "/api/v2/integrations/actions/abc/draft"
        ));
        assert!(path_matches(
            "/api/**",
            "/api/v2/integrations/actions/abc/draft"
        ));
        assert!(path_matches(
            "/api/**/draft",
            "/api/v2/integrations/actions/abc/draft"
        ));
        assert!(path_matches(
            "/api/v2/integrations/actions/static_*",
            "/api/v2/integrations/actions/static_1"
        ));
        assert!(!path_matches(
            "/api/v2/integrations/actions/static_*",
            "/api/v2/integrations/actions/x"
        ));
        assert!(path_matches("/**", "/oauth/token"));
    }

    #[test]
    fn triggers() {
        let rule = |trigger, times| FaultRule {
            name: None,
            method: Some("GET".into()),
            path: "/a".into(),
            trigger,
            action: FaultAction::Drop,
            times,
        };
        let mut plan = FaultPlan::new(vec![rule(Trigger::Nth { n: 2 }, None)]);
        let fired: Vec<bool> = (0..4)
            .map(|_| plan.decide("GET", "/a").action.is_some())
            .collect();
        assert_eq!(fired, [false, true, false, false]);
        let mut plan = FaultPlan::new(vec![rule(Trigger::Every { n: 2 }, Some(2))]);
        let fired: Vec<bool> = (0..8)
            .map(|_| plan.decide("get", "/a").action.is_some())
            .collect();
        assert_eq!(
            fired,
            [false, true, false, true, false, false, false, false]
        );
        let mut plan = FaultPlan::new(vec![rule(Trigger::Always, None)]);
        assert!(plan.decide("POST", "/a").action.is_none());
    }

    #[test]
    fn parses_toml_and_json() {
        let toml = r#"
            [[faults]]
            name = "n"
            method = "PATCH"
            path = "/api/**"
            trigger = { type = "nth", n = 1 }
            action = { type = "status", status = 503, retry_after = 2 }
            [[faults]]
            path = "/x"
            action = { type = "concurrent_edit", field = "timeout" }
        "#;
        let rules = parse_faults_toml(toml).expect("toml");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].trigger, Trigger::Always);
        assert_eq!(
            rules[1].action,
            FaultAction::ConcurrentEdit {
                field: EditField::Timeout
            }
        );
        let json = r#"[{"path":"/x","trigger":{"type":"Every","n":3},"action":{"type":"Drop"}}]"#;
        let rules = parse_faults_json(json).expect("json");
        assert_eq!(rules[0].trigger, Trigger::Every { n: 3 });
        assert!(
            parse_faults_json(r#"{"faults":[{"path":"x","action":{"type":"drop"}}]}"#).is_err()
        );
        // Misspelt keys are refused, not ignored.
        for bad in [
            "[[faults]]\npath = \"/x\"\ntigger = { type = \"nth\", n = 2 }\naction = { type = \"drop\" }\n",
            "[[faults]]\npath = \"/x\"\ntrigger = { type = \"nth\", m = 2 }\naction = { type = \"drop\" }\n",
            "[[faults]]\npath = \"/x\"\naction = { type = \"status\", staus = 503 }\n",
            "[[fault]]\npath = \"/x\"\naction = { type = \"drop\" }\n",
        ] {
            assert!(parse_faults_toml(bad).is_err(), "{bad}");
        }
    }
}
