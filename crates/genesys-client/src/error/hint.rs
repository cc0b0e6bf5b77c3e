//! Hints: how a user gets past each [`Error`], in words that name the fix (the missing
//! permission of a 403, where the credentials came from, the trust or proxy setting of a
//! connection problem).

use super::{status_is_version_conflict, ConnectProblem, Error, ErrorKind};

fn connect_hint(problem: &ConnectProblem, proxy: Option<&str>, source: Option<&str>) -> String {
    match problem {
        ConnectProblem::Certificate(_) | ConnectProblem::Tls(_) => {
            let via = proxy
                .map(|p| format!(" (requests go through the proxy `{p}`, which may re-sign them)"))
                .unwrap_or_default();
            format!(
                "a proxy or firewall that inspects TLS signs with its own CA{via}: trust that CA by \
                 installing it in the operating system's store, or by pointing `SSL_CERT_FILE` \
                 (or `SSL_CERT_DIR`) or `--ca-file` (profile key `ca_file`) at its PEM file"
            )
        }
        ConnectProblem::Dns => match proxy {
            Some(_) => "check the proxy URL in `HTTPS_PROXY` / `ALL_PROXY`".to_string(),
            None => {
                let from = source
                    .map(|s| format!("the host comes from {s}; "))
                    .unwrap_or_default();
                format!(
                    "{from}check the region (`--region`, `GENESYSCLOUD_REGION`, a profile) or \
                     `--base-url`; on a network that reaches the internet only through a proxy, \
                     set `HTTPS_PROXY`"
                )
            }
        },
        ConnectProblem::ProxyAuth => "the proxy takes its credentials from its URL: check or \
             add them, e.g. `HTTPS_PROXY=http://USER:PASSWORD@proxy.example:8080` (they are never \
             printed), or ask the network team which proxy to use"
            .to_string(),
    }
}

/// Permission names (`domain:entity:action`) mentioned in a 403 message.
fn permissions_in(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in message.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '[' | ']' | '(' | ')' | '"' | '\'' | '`')
    }) {
        let token = raw.trim_end_matches(['.', ':']);
        let parts: Vec<&str> = token.split(':').collect();
        let looks_like_permission = parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '_')
            });
        if looks_like_permission && !out.iter().any(|p| p == token) {
            out.push(token.to_string());
        }
    }
    out
}

impl Error {
    /// A proxy answered the `CONNECT` with something other than 200 or 407 (its status is not
    /// kept by the HTTP stack): it may be passing, so it is retried, but the hint names it.
    fn is_refused_tunnel(&self) -> bool {
        matches!(self, Error::Transport { message, .. } if message.contains("tunnel error"))
    }

    /// A human hint on how to get past this error, when there is a useful one.
    ///
    /// A 403 names the missing permission(s) found in the message; an authentication failure
    /// names where the credentials came from; exhausted 429s suggest `--rate` /
    /// `--concurrency`.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config { hint, .. } => hint.clone(),
            Error::Connect {
                problem,
                proxy,
                endpoint_source,
                ..
            } => Some(connect_hint(
                problem,
                proxy.as_deref(),
                endpoint_source.as_deref(),
            )),
            Error::Api { status, body, .. } => match *status {
                403 => {
                    let msg = body
                        .as_ref()
                        .map(|b| {
                            let mut m = b.message.clone().unwrap_or_default();
                            if let Some(params) = &b.message_params {
                                for v in params.values() {
                                    if let Some(s) = v.as_str() {
                                        m.push(' ');
                                        m.push_str(s);
                                    }
                                }
                            }
                            m
                        })
                        .unwrap_or_default();
                    let perms = permissions_in(&msg);
                    if perms.is_empty() {
                        Some(
                            "the OAuth client's role lacks a permission for this operation \
                             (reading needs `integrations:action:view`, changing needs \
                             `integrations:action:edit`)"
                                .to_string(),
                        )
                    } else {
                        let list = perms
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        Some(format!(
                            "grant the OAuth client's role the missing permission {list}"
                        ))
                    }
                }
                401 => Some("the access token was refused; check the OAuth client".to_string()),
                404 => {
                    Some("check the id; the object does not exist in this org/region".to_string())
                }
                s if status_is_version_conflict(s, body.as_ref()) => Some(
                    "the object changed since it was read; re-read it and apply the change again"
                        .to_string(),
                ),
                _ => None,
            },
            Error::Auth {
                credential_source, ..
            } => Some(format!(
                "check the client id and secret from {credential_source}, and that the OAuth \
                 client uses the client-credentials grant in this region"
            )),
            Error::RetryAfterTooLong { .. } => Some(
                "the platform's rate limit is exhausted for a long time; try again later, or \
                 lower --rate / --concurrency"
                    .to_string(),
            ),
            Error::Exhausted { last, .. } => match last.kind() {
                ErrorKind::RateLimited => {
                    Some("the rate limit kept being hit; lower --rate or --concurrency".to_string())
                }
                _ if last.is_refused_tunnel() => last.hint(),
                _ => Some("the service kept failing; try again later".to_string()),
            },
            Error::Transport { .. } if self.is_refused_tunnel() => Some(
                "the proxy (`HTTPS_PROXY` / `ALL_PROXY`) would not open a connection to the host: \
                 check that it allows the region's `api.` and `login.` hosts, or list them in \
                 `NO_PROXY` if they are reached directly"
                    .to_string(),
            ),
            Error::Transport { .. } => {
                Some("check the network connection and the region / base URL".to_string())
            }
            Error::Decode { .. } | Error::Protocol { .. } => None,
        }
    }
}
