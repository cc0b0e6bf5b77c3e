//! Connections: the one HTTP client's trust and proxy settings, the connection problems a
//! user must fix (certificate, DNS, proxy credentials), and the API pre-connect.
//!
//! **Trust.** rustls with the bundled webpki roots *and* the operating system's store. The
//! store is read by `rustls-native-certs`, which reads `SSL_CERT_FILE` and `SSL_CERT_DIR`
//! instead of the system locations when either is set (as OpenSSL does). A CA file from the
//! options (`--ca-file`, profile key `ca_file`) is added on top. Plain-http loopback targets
//! (the emulator, `--sandbox`) load no roots at all: they have no TLS.
//!
//! **Proxies.** reqwest reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or
//! lower case) for login and API traffic alike; loopback targets are never proxied. Which
//! proxy each host takes is logged at `info` (`-v`) by its host and port only: the proxy URL's
//! credentials never reach a log line or a message.
//!
//! **Problems that waiting does not fix.** A refused certificate, a host name that does not
//! resolve and a proxy asking for credentials fail the request at once (no retry), as
//! [`Error::Connect`] of kind `Config`, with a hint that names the fix.
//!
//! **Pre-connect.** A first command needs a token before its first API request. When the
//! login and API hosts differ (every real region: `login.` and `api.`), the client opens the
//! API connection while the token request is in flight, with one `HEAD` of the actions path
//! that carries no credentials: the platform answers it (401) without doing anything, and the
//! connection (TCP, TLS, HTTP/2 when offered) is then ready in the pool for the first real
//! request. That takes the API host's handshakes off the critical path: 2 round trips of a
//! first command. It is sent once per process, only when a token is fetched, and never to
//! loopback.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{ConnectProblem, Error};
use crate::options::ClientOptions;
use crate::region::Environment;

/// Path of the pre-connect `HEAD` (the actions listing, without credentials).
pub(crate) const PRECONNECT_PATH: &str = "/api/v2/integrations/actions";

/// `host` or `host:port` of a URL, for messages.
pub(crate) fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => "(no host)".to_string(),
        },
        Err(_) => "(no host)".to_string(),
    }
}

/// The proxy (as `host:port`, never its credentials) that requests to `url` go through,
/// decided by the matcher reqwest itself uses; `None` for a direct connection.
pub(crate) fn proxy_for(url: &str, env: &Environment) -> Option<String> {
    if env.is_loopback() {
        return None;
    }
    let uri: http::Uri = url.parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_system();
    let intercept = matcher.intercept(&uri)?;
    let p = intercept.uri();
    let host = p.host()?;
    Some(match p.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Message of a reqwest error and its sources, without the URL.
pub(crate) fn transport_message(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// Build the one `reqwest::Client`: timeouts, no redirects, trust and proxies.
pub(crate) fn build_http(
    env: &Environment,
    opts: &ClientOptions,
) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .user_agent(opts.user_agent.clone())
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.request_timeout)
        .redirect(reqwest::redirect::Policy::none());
    let plain_http = env.api_base.starts_with("http://") && env.login_base.starts_with("http://");
    if plain_http {
        // No TLS at all (loopback only): reading the trust store would only cost time.
        builder = builder.tls_built_in_root_certs(false);
    }
    if let Some(path) = &opts.ca_file {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| Error::Config {
            message: format!("cannot read the CA file `{shown}`: {e}"),
            hint: Some("give a PEM file (`--ca-file`, profile key `ca_file`)".to_string()),
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::Config {
                message: format!("the CA file `{shown}` holds no PEM certificate"),
                hint: Some(
                    "give a PEM file with one or more `-----BEGIN CERTIFICATE-----` blocks"
                        .to_string(),
                ),
            })?;
        tracing::debug!(file = %shown, certificates = certs.len(), "extra trusted CA");
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if env.is_loopback() {
        // A proxy from the environment must not capture loopback traffic.
        builder = builder.no_proxy();
    }
    for (what, base) in [("login", &env.login_base), ("API", &env.api_base)] {
        let host = host_of(base);
        match proxy_for(base, env) {
            Some(proxy) => tracing::info!("{what} requests to {host} go through the proxy {proxy}"),
            None => tracing::info!("{what} requests to {host} go directly (no proxy)"),
        }
    }
    builder.build().map_err(|e| Error::Config {
        message: format!("cannot build the HTTP client: {}", transport_message(e)),
        hint: Some(
            "check `SSL_CERT_FILE` / `SSL_CERT_DIR`: they must name readable PEM certificates"
                .to_string(),
        ),
    })
}

/// Describe a rustls certificate error in words a user can act on.
fn describe_certificate(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => {
            "it is signed by an unknown issuer (a CA this machine does not trust)".to_string()
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet (is the clock right?)".to_string()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not valid for this host name".to_string()
        }
        C::Revoked => "it has been revoked".to_string(),
        C::BadSignature => "its signature is invalid".to_string(),
        other => format!("it was refused ({other:?})"),
    }
}

/// The rustls error somewhere in an error's chain (rustls errors travel inside `io::Error`s,
/// whose `source()` skips them, so each `io::Error` is opened too).
fn find_rustls<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&'a (dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    return Some(r);
                }
                if let Some(r) = find_rustls(inner) {
                    return Some(r);
                }
            }
        }
        cur = err.source();
    }
    None
}

/// The problem behind a failed connection that waiting will not fix, if it is one.
pub(crate) fn classify(e: &(dyn StdError + 'static)) -> Option<ConnectProblem> {
    if let Some(r) = find_rustls(e) {
        return Some(match r {
            rustls::Error::InvalidCertificate(c) => {
                ConnectProblem::Certificate(describe_certificate(c))
            }
            other => ConnectProblem::Tls(other.to_string()),
        });
    }
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        // hyper-util's connector error ("dns error") and its CONNECT tunnel's 407
        // ("tunnel error: proxy authorization required"): their types are private.
        if text.starts_with("dns error") {
            return Some(ConnectProblem::Dns);
        }
        if text.contains("proxy authorization required") {
            return Some(ConnectProblem::ProxyAuth);
        }
        cur = err.source();
    }
    None
}

/// Open the API connection while the first token request is in flight (see the module
/// docs). Once per client; never for loopback or when login and API share a host.
pub(crate) fn preconnect(
    http: &reqwest::Client,
    env: &Environment,
    opts: &ClientOptions,
    done: &AtomicBool,
) {
    if !opts.preconnect || env.is_loopback() || done.swap(true, Ordering::Relaxed) {
        return;
    }
    let origin = |u: &str| {
        reqwest::Url::parse(u)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    if origin(&env.api_base) == origin(&env.login_base) {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let http = http.clone();
    let url = format!("{}{PRECONNECT_PATH}", env.api_base);
    let host = host_of(&env.api_base);
    handle.spawn(async move {
        // No Authorization header: there is no token yet, and none is needed to connect.
        match http.head(url).send().await {
            Ok(resp) => tracing::debug!(
                host = %host,
                status = resp.status().as_u16(),
                version = ?resp.version(),
                "API connection opened while the token is fetched"
            ),
            Err(e) => tracing::debug!(
                host = %host,
                error = %transport_message(e),
                "pre-connect to the API host failed (the first request will say why)"
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Option<Box<dyn StdError + Send + Sync>>);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    fn tls(e: rustls::Error) -> Wrap {
        Wrap(
            "client error (Connect)",
            Some(Box::new(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e,
            ))),
        )
    }

    #[test]
    fn certificate_problems_are_named() {
        use rustls::CertificateError as C;
        for (err, want) in [
            (C::UnknownIssuer, "unknown issuer"),
            (C::Expired, "expired"),
            (C::NotValidForName, "not valid for this host name"),
            (C::NotValidYet, "not valid yet"),
        ] {
            let e = tls(rustls::Error::InvalidCertificate(err));
            match classify(&e) {
                Some(ConnectProblem::Certificate(text)) => assert!(text.contains(want), "{text}"),
                other => panic!("{other:?}"),
            }
        }
        let e = tls(rustls::Error::General("handshake".into()));
        assert!(matches!(classify(&e), Some(ConnectProblem::Tls(_))));
    }

    #[test]
    fn dns_and_proxy_auth_are_named() {
        let dns = Wrap(
            "client error (Connect)",
            Some(Box::new(Wrap(
                "dns error",
                Some(Box::new(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))),
            ))),
        );
        assert_eq!(classify(&dns), Some(ConnectProblem::Dns));
        let auth = Wrap(
            "client error (Connect)",
            Some(Box::new(Wrap(
                "tunnel error: proxy authorization required",
                None,
            ))),
        );
        assert_eq!(classify(&auth), Some(ConnectProblem::ProxyAuth));
        let refused = Wrap(
            "client error (Connect)",
            Some(Box::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
        );
        assert_eq!(classify(&refused), None);
    }

    #[test]
    fn proxy_host_never_has_credentials() {
        // Built from a URL with user information: only the host and port are kept.
        let uri: http::Uri = "http://user:pw@proxy.example:3128".parse().unwrap();
        let m = hyper_util::client::proxy::matcher::Matcher::builder()
            .https(uri.to_string())
            .build();
        let i = m
            .intercept(&"https://api.mypurecloud.ie/".parse().unwrap())
            .unwrap();
        assert_eq!(i.uri().host(), Some("proxy.example"));
        assert!(!i.uri().to_string().contains("pw"));
    }
}
