//! Realism settings: how the emulator answers where the platform's contract is silent
//! (genesys-api.md §7), as data, per org.
//!
//! [`Config::realism`](crate::Config::realism) is every org's setting at start; an org's own
//! can be read and replaced at run time with the admin endpoint `/__emulator/realism`
//! (`?clientId=ID` picks the org; the default org without it), so that one emulator can serve a
//! test under the default and under the pessimistic answer. Each field has the answer the
//! emulator gave before it existed as its default; unknown keys are refused, and omitted keys
//! keep their default. Serialized form (JSON, or TOML through the same names):
//!
//! ```json
//! {"rate_limit_scope": "client"}
//! ```
//!
//! | field | unknown | values |
//! |---|---|---|
//! | `rate_limit_scope` | U19: does the limit of `--rate-limit` requests a minute count per access token or per OAuth client? | `token` (default): each token has its own window; `client`: every token of the client shares one |

use serde::{Deserialize, Serialize};

/// The realism settings of one org (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Realism {
    /// Whose requests the rate limit counts together (U19).
    pub rate_limit_scope: RateLimitScope,
}

/// Whose requests the rate limit counts together (genesys-api.md U19: the limit is named
/// `client.credentials.token.rate.per.minute`, and whether it counts per token or per OAuth
/// client is not published).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitScope {
    /// Each access token has its own window (the emulator's behaviour before the setting).
    #[default]
    Token,
    /// Every token of one OAuth client shares one window: more tokens bring no more requests.
    Client,
}

impl Realism {
    /// Parse a JSON document of realism settings.
    pub fn from_json(text: &str) -> Result<Realism, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_strict_parsing() {
        assert_eq!(Realism::default().rate_limit_scope, RateLimitScope::Token);
        assert_eq!(Realism::from_json("{}").expect("parse"), Realism::default());
        assert_eq!(
            Realism::from_json(r#"{"rate_limit_scope":"client"}"#)
                .expect("parse")
                .rate_limit_scope,
            RateLimitScope::Client
        );
        assert!(Realism::from_json(r#"{"rate_limit_scope":"org"}"#).is_err());
        assert!(Realism::from_json(r#"{"rate_limit_scop":"client"}"#).is_err());
        assert_eq!(
            serde_json::to_value(Realism::default()).expect("json"),
            serde_json::json!({"rate_limit_scope": "token"})
        );
    }
}
