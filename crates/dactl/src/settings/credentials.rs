//! Client credentials from the environment: two pairs of variables, the official SDKs' names
//! (`GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET`) and the short ones (`GENESYS_CLIENT_ID`/`_SECRET`).
//! Each pair is all or nothing; when both pairs are set they must agree.

use genesys_client::{Credentials, Secret};

use crate::env::{self, EnvVars};
use crate::error::Failure;

/// The two pairs of variables, official names first.
const ENV_SETS: [(&str, &str); 2] = [
    (
        env::GENESYSCLOUD_OAUTHCLIENT_ID,
        env::GENESYSCLOUD_OAUTHCLIENT_SECRET,
    ),
    (env::GENESYS_CLIENT_ID, env::GENESYS_CLIENT_SECRET),
];

/// Read client credentials from the environment. `Ok(None)` when none are set.
pub fn credentials_from_env(env: &EnvVars) -> Result<Option<Credentials>, Failure> {
    let mut found: Vec<Credentials> = Vec::new();
    for (id_var, secret_var) in ENV_SETS {
        let id = env.non_empty(id_var)?;
        let secret = env.non_empty(secret_var)?;
        match (id, secret) {
            (Some(id), Some(secret)) => found.push(Credentials {
                client_id: id.trim().to_string(),
                client_secret: Secret::new(secret.to_string()),
                source: format!("environment variables `{id_var}`/`{secret_var}`"),
            }),
            (Some(_), None) => {
                return Err(
                    Failure::usage(format!("`{id_var}` is set but `{secret_var}` is not"))
                        .hint(format!("export `{secret_var}` too, or unset `{id_var}`")),
                )
            }
            (None, Some(_)) => {
                return Err(
                    Failure::usage(format!("`{secret_var}` is set but `{id_var}` is not"))
                        .hint(format!("export `{id_var}` too, or unset `{secret_var}`")),
                )
            }
            (None, None) => {}
        }
    }
    if found.len() == 2 {
        let same = found[0].client_id == found[1].client_id
            && found[0].client_secret.expose() == found[1].client_secret.expose();
        if !same {
            return Err(Failure::usage(
                "two different sets of client credentials are in the environment",
            )
            .hint("`GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET` and `GENESYS_CLIENT_ID`/`_SECRET` disagree; unset one pair"));
        }
    }
    Ok(found.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    #[test]
    fn credentials_sources() {
        let c = credentials_from_env(&env(&[
            ("GENESYS_CLIENT_ID", "id2"),
            ("GENESYS_CLIENT_SECRET", "s2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.client_id, "id2");
        assert!(c.source.contains("GENESYS_CLIENT_ID"));
        assert!(!c.source.contains("s2"));
        assert!(credentials_from_env(&env(&[])).unwrap().is_none());
        // half a pair
        assert!(credentials_from_env(&env(&[("GENESYS_CLIENT_ID", "a")])).is_err());
        // empty variable
        let e = credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", ""),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "x"),
        ]))
        .unwrap_err();
        assert!(e.message.contains("empty"));
        // both sets, different
        assert!(credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", "a"),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "b"),
            ("GENESYS_CLIENT_ID", "c"),
            ("GENESYS_CLIENT_SECRET", "d"),
        ]))
        .is_err());
        // both sets, same: fine, the official names win
        let c = credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", "a"),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "b"),
            ("GENESYS_CLIENT_ID", "a"),
            ("GENESYS_CLIENT_SECRET", "b"),
        ]))
        .unwrap()
        .unwrap();
        assert!(c.source.contains("GENESYSCLOUD_OAUTHCLIENT_ID"));
    }
}
