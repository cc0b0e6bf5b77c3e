//! Regions and base URLs: where the Platform API and its login service live.
//!
//! A Genesys Cloud org lives in one of 17 official regions, each with an API host
//! `api.<domain>` and a login host `login.<domain>`. A region can be named by its AWS name
//! with `-` or `_` (`eu-west-1`, `eu_west_1`, any case), or by its domain (`mypurecloud.ie`,
//! also `api.mypurecloud.ie`); the domain form also reaches hosts that are not in the official
//! table (sovereign or internal environments). A base URL (`--base-url`) overrides both: the
//! login URL is the base URL with `//api.` replaced by `//login.`, or the same host when there
//! is no `api.` prefix (the emulator, a proxy on loopback).
//!
//! Plain `http://` is refused except on loopback (127.0.0.0/8, `::1`, `localhost`), because the
//! client secret and the bearer token travel in headers.

use std::net::IpAddr;

use crate::error::Error;

/// (canonical hyphen name, domain), all 17 official regions.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "mypurecloud.com"),
    ("us-east-2", "use2.us-gov-pure.cloud"),
    ("us-west-2", "usw2.pure.cloud"),
    ("ca-central-1", "cac1.pure.cloud"),
    ("sa-east-1", "sae1.pure.cloud"),
    ("mx-central-1", "mxc1.pure.cloud"),
    ("eu-west-1", "mypurecloud.ie"),
    ("eu-west-2", "euw2.pure.cloud"),
    ("eu-central-1", "mypurecloud.de"),
    ("eu-central-2", "euc2.pure.cloud"),
    ("me-central-1", "mec1.pure.cloud"),
    ("ap-south-1", "aps1.pure.cloud"),
    ("ap-southeast-1", "apse1.pure.cloud"),
    ("ap-southeast-2", "mypurecloud.com.au"),
    ("ap-northeast-1", "mypurecloud.jp"),
    ("ap-northeast-2", "apne2.pure.cloud"),
    ("ap-northeast-3", "apne3.pure.cloud"),
];

/// Where to send requests: the Platform API base and the login (token) base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// Platform API base, e.g. `https://api.mypurecloud.ie`, no trailing slash.
    pub api_base: String,
    /// Login base, e.g. `https://login.mypurecloud.ie`, no trailing slash.
    pub login_base: String,
}

fn valid_regions_hint() -> String {
    let names: Vec<String> = REGIONS
        .iter()
        .map(|(name, domain)| format!("{name} ({domain})"))
        .collect();
    format!(
        "valid regions (`-` or `_` both work, or give the domain): {}; any other host needs \
         --base-url",
        names.join(", ")
    )
}

fn is_domain_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// True for `localhost`, 127.0.0.0/8 and `::1` (host as written in a URL).
pub(crate) fn host_is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.octets()[0] == 127,
        Ok(IpAddr::V6(v6)) => v6.is_loopback(),
        Err(_) => false,
    }
}

fn config(message: String, hint: Option<String>) -> Error {
    Error::Config { message, hint }
}

/// Parse and check one base URL; returns it without a trailing slash.
fn checked_base(s: &str, what: &str) -> Result<(String, bool), Error> {
    let url = reqwest::Url::parse(s).map_err(|e| {
        config(
            format!("invalid {what} `{s}`: {e}"),
            Some("give an absolute URL such as `https://api.mypurecloud.ie`".to_string()),
        )
    })?;
    let host = url.host_str().unwrap_or("").to_string();
    if host.is_empty() {
        return Err(config(format!("{what} `{s}` has no host"), None));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            format!("{what} must not contain user information"),
            Some("credentials belong in the environment or a profile, never in a URL".to_string()),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config(
            format!("{what} `{s}` must not have a query string or fragment"),
            None,
        ));
    }
    let loopback = host_is_loopback(&host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(config(
                format!(
                    "refusing plain http for `{host}`: secrets and tokens would travel unencrypted"
                ),
                Some(
                    "use https, or plain http only on loopback (127.0.0.1, ::1, localhost)"
                        .to_string(),
                ),
            ))
        }
        other => {
            return Err(config(
                format!("unsupported scheme `{other}` in {what} `{s}`"),
                Some("use an https:// URL".to_string()),
            ))
        }
    }
    Ok((s.trim_end_matches('/').to_string(), loopback))
}

impl Environment {
    /// `eu-west-1`, `eu_west_1`, `mypurecloud.ie`, `api.mypurecloud.ie` (domain form) →
    /// Environment. Unknown → `Error::Config` whose hint lists every valid region.
    pub fn from_region(s: &str) -> Result<Environment, Error> {
        let t = s.trim().to_ascii_lowercase();
        if t.contains("://") {
            return Err(config(
                format!("`{s}` is a URL, not a region"),
                Some("pass URLs with --base-url".to_string()),
            ));
        }
        let t = t.trim_end_matches('/').trim_end_matches('.');
        if t.contains('.') {
            let domain = t
                .strip_prefix("api.")
                .or_else(|| t.strip_prefix("login."))
                .unwrap_or(t);
            if !is_domain_like(domain) || !domain.contains('.') {
                return Err(config(
                    format!("`{s}` is not a valid region or domain"),
                    Some(valid_regions_hint()),
                ));
            }
            return Ok(Environment {
                api_base: format!("https://api.{domain}"),
                login_base: format!("https://login.{domain}"),
            });
        }
        let hyphen = t.replace('_', "-");
        match REGIONS.iter().find(|(name, _)| *name == hyphen) {
            Some((_, domain)) => Ok(Environment {
                api_base: format!("https://api.{domain}"),
                login_base: format!("https://login.{domain}"),
            }),
            None => Err(config(
                format!("unknown region `{s}`"),
                Some(valid_regions_hint()),
            )),
        }
    }

    /// Any URL. https required unless the host is loopback (127.0.0.0/8, ::1, localhost) →
    /// else `Error::Config` with hint. `login_base` = `api_base` with `//api.` replaced by
    /// `//login.`; same host when there is no `api.` prefix.
    pub fn from_base_url(s: &str) -> Result<Environment, Error> {
        let (api_base, _) = checked_base(s.trim(), "base URL")?;
        let login_base = api_base.replacen("//api.", "//login.", 1);
        Ok(Environment {
            api_base,
            login_base,
        })
    }

    /// True when the API host is loopback (`localhost`, 127.0.0.0/8, `::1`).
    pub fn is_loopback(&self) -> bool {
        reqwest::Url::parse(&self.api_base)
            .ok()
            .and_then(|u| u.host_str().map(host_is_loopback))
            .unwrap_or(false)
    }

    /// Check both bases (absolute, https unless loopback); used by `Client::new` for
    /// environments built by hand.
    pub fn validate(&self) -> Result<(), Error> {
        checked_base(&self.api_base, "API base URL")?;
        checked_base(&self.login_base, "login base URL")?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn all_regions_in_every_spelling() {
        assert_eq!(REGIONS.len(), 17);
        for (name, domain) in REGIONS {
            let expected = Environment {
                api_base: format!("https://api.{domain}"),
                login_base: format!("https://login.{domain}"),
            };
            assert_eq!(Environment::from_region(name).unwrap(), expected, "{name}");
            let underscore = name.replace('-', "_");
            assert_eq!(Environment::from_region(&underscore).unwrap(), expected);
            assert_eq!(
                Environment::from_region(&name.to_ascii_uppercase()).unwrap(),
                expected
            );
            assert_eq!(Environment::from_region(domain).unwrap(), expected);
            assert_eq!(
                Environment::from_region(&format!("api.{domain}")).unwrap(),
                expected
            );
            assert!(!expected.is_loopback());
        }
    }

    #[test]
    fn known_examples() {
        let e = Environment::from_region("eu_west_1").unwrap();
        assert_eq!(e.api_base, "https://api.mypurecloud.ie");
        assert_eq!(e.login_base, "https://login.mypurecloud.ie");
        let e = Environment::from_region("us-east-2").unwrap();
        assert_eq!(e.login_base, "https://login.use2.us-gov-pure.cloud");
        let e = Environment::from_region("edee1.eusc-pure.cloud").unwrap();
        assert_eq!(e.api_base, "https://api.edee1.eusc-pure.cloud");
    }

    #[test]
    fn unknown_region_lists_valid_ones() {
        let err = Environment::from_region("eu-west-9").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        let hint = err.hint().unwrap();
        for (name, _) in REGIONS {
            assert!(hint.contains(name), "{name} missing from {hint}");
        }
        assert!(err.to_string().contains("eu-west-9"));
        assert!(Environment::from_region("").is_err());
        assert!(Environment::from_region("bad domain.com").is_err());
        assert!(Environment::from_region("https://api.mypurecloud.ie").is_err());
    }

    #[test]
    fn base_urls_and_login_derivation() {
        let e = Environment::from_base_url("https://api.mypurecloud.de/").unwrap();
        assert_eq!(e.api_base, "https://api.mypurecloud.de");
        assert_eq!(e.login_base, "https://login.mypurecloud.de");
        let e = Environment::from_base_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(e.login_base, "http://127.0.0.1:8080");
        assert!(e.is_loopback());
        let e = Environment::from_base_url("https://proxy.example.com/genesys").unwrap();
        assert_eq!(e.login_base, "https://proxy.example.com/genesys");
        assert!(!e.is_loopback());
        for ok in [
            "http://localhost:3000",
            "http://LOCALHOST",
            "http://127.5.6.7:1",
            "http://[::1]:8080",
        ] {
            let e = Environment::from_base_url(ok).unwrap();
            assert!(e.is_loopback(), "{ok}");
        }
    }

    #[test]
    fn plain_http_refused_off_loopback() {
        for bad in [
            "http://api.mypurecloud.ie",
            "http://10.0.0.1:8080",
            "http://128.0.0.1",
            "http://localhost.evil.com",
            "http://[::2]",
        ] {
            let err = Environment::from_base_url(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
            assert!(err.hint().unwrap().contains("loopback"), "{bad}");
        }
        assert!(Environment::from_base_url("ftp://127.0.0.1").is_err());
        assert!(Environment::from_base_url("not a url").is_err());
        assert!(Environment::from_base_url("https://u:p@api.mypurecloud.ie").is_err());
        assert!(Environment::from_base_url("https://api.mypurecloud.ie/?a=b").is_err());
        let hand = Environment {
            api_base: "http://example.com".into(),
            login_base: "https://login.example.com".into(),
        };
        assert!(hand.validate().is_err());
    }
}
