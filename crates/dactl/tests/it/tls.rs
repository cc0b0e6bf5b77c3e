//! Corporate networks (issue 17): dactl through a CONNECT proxy to the HTTPS emulator, which
//! it reaches by a region's real host names (`api.mypurecloud.ie`, `login.mypurecloud.ie`)
//! that the test proxy maps to loopback. The emulator's certificate is signed by a throwaway
//! CA, like a TLS-inspecting proxy's: trusted through `SSL_CERT_FILE`, `--ca-file` or a
//! profile's `ca_file` the run succeeds; untrusted it fails at once (exit 2, one attempt) with
//! a message that names the problem and the host, and a hint that names the fix.

use std::path::PathBuf;

use crate::common::proxy::ConnectProxy;
use crate::common::*;
use genesys_emulator::{Config, Emulator, TlsIdentity};

const LOGIN: &str = "login.mypurecloud.ie:443";
const API: &str = "api.mypurecloud.ie:443";

/// A harness whose emulator serves HTTPS with a throwaway CA; returns it and the CA's PEM file.
fn tls_harness() -> (Harness, PathBuf) {
    tls_harness_with(Config::default())
}

fn tls_harness_with(config: Config) -> (Harness, PathBuf) {
    let rt = runtime();
    let emu = Emulator::new(config);
    let identity = TlsIdentity::generate(genesys_emulator::tls::default_names()).unwrap();
    let running = rt
        .block_on(emu.serve_tls(([127, 0, 0, 1], 0).into(), &identity))
        .unwrap();
    assert!(running.base_url.starts_with("https://127.0.0.1:"));
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("corp-ca.pem");
    std::fs::write(&ca, &identity.ca_pem).unwrap();
    (
        Harness {
            emu,
            running: Some(running),
            home,
            rt,
        },
        ca,
    )
}

fn emulator_addr(h: &Harness) -> std::net::SocketAddr {
    h.running.as_ref().unwrap().addr
}

/// `dactl --region eu-west-1 ARGS` through `proxy`.
fn via_proxy(h: &Harness, proxy_url: &str) -> std::process::Command {
    let mut c = h.cmd_without_url();
    c.env("HTTPS_PROXY", proxy_url)
        .arg("--region")
        .arg("eu-west-1");
    c
}

#[test]
fn a_private_ca_in_ssl_cert_file_is_trusted_through_the_proxy() {
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let o = via_proxy(&h, &proxy.url())
        .env("SSL_CERT_FILE", &ca)
        .args(["-v", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let rows = json_out(&o);
    assert!(!rows.as_array().unwrap().is_empty());
    // Login and API traffic both went through the proxy, by the region's host names.
    assert_eq!(proxy.count(LOGIN), 1, "{:?}", proxy.connects());
    assert!(proxy.count(API) >= 1, "{:?}", proxy.connects());
    assert!(h.journal().iter().any(|e| e.path == "/oauth/token"));
    // `-v` names the proxy by host and port.
    let err = stderr(&o);
    let proxy_host = proxy.addr.to_string();
    assert!(
        err.contains(&format!(
            "login requests to login.mypurecloud.ie go through the proxy {proxy_host}"
        )) && err.contains(&format!(
            "API requests to api.mypurecloud.ie go through the proxy {proxy_host}"
        )),
        "{err}"
    );
}

#[test]
fn ca_file_flag_and_profile_key_are_trusted() {
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let o = via_proxy(&h, &proxy.url())
        .arg("--ca-file")
        .arg(&ca)
        .args(["list", "-o", "json"])
        .output()
        .unwrap();
    assert_code(&o, 0);

    // The profile key, with a path relative to the config file; a fresh home (no kept token)
    // so that the login is made again.
    let (h2, ca2) = tls_harness();
    let proxy2 = ConnectProxy::start(&h2.rt, emulator_addr(&h2), None);
    let dir = h2.home().join("conf");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&ca2, dir.join("corp.pem")).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[profiles.default]\nregion = \"eu-west-1\"\nca_file = \"corp.pem\"\n",
    )
    .unwrap();
    let mut c = h2.cmd_without_url();
    c.env("HTTPS_PROXY", proxy2.url())
        .env("DACTL_CONFIG", &config)
        .args(["list", "-o", "json"]);
    let o = c.output().unwrap();
    assert_code(&o, 0);
    assert_eq!(proxy2.count(LOGIN), 1, "{:?}", proxy2.connects());
}

#[test]
fn an_untrusted_certificate_exits_2_after_one_attempt_with_the_fix() {
    let (h, _ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let started = std::time::Instant::now();
    let o = via_proxy(&h, &proxy.url()).args(["list"]).output().unwrap();
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("the TLS certificate of `login.mypurecloud.ie` is not trusted")
            && err.contains("unknown issuer"),
        "{err}"
    );
    assert!(
        err.contains("hint:") && err.contains("SSL_CERT_FILE") && err.contains("--ca-file"),
        "{err}"
    );
    assert!(!err.contains("gave up after"), "{err}");
    assert!(!err.contains("try again later"), "{err}");
    // One attempt: one CONNECT to the login host (the API host at most once, its pre-connect),
    // and no request reached the emulator.
    assert_eq!(proxy.count(LOGIN), 1, "{:?}", proxy.connects());
    assert!(proxy.count(API) <= 1, "{:?}", proxy.connects());
    assert!(h.journal().is_empty(), "{:?}", h.journal());
    // No backoff either (six attempts would sleep for seconds).
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_certificate_for_another_name_is_named() {
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let mut c = h.cmd_without_url();
    c.env("HTTPS_PROXY", proxy.url())
        .env("SSL_CERT_FILE", &ca)
        .args(["--base-url", "https://api.example.test", "list"]);
    let o = c.output().unwrap();
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("`login.example.test`") && err.contains("not valid for this host name"),
        "{err}"
    );
    assert_eq!(proxy.count("login.example.test:443"), 1);
}

#[test]
fn a_proxy_asking_for_credentials_is_named_and_they_never_print() {
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), Some("corp-user:Pr0xy-pw"));
    let host = proxy.addr.to_string();

    // Wrong credentials: a 407, named, exit 2, no retry.
    let o = via_proxy(&h, &format!("http://corp-user:wrong-pw@{host}"))
        .env("SSL_CERT_FILE", &ca)
        .args(["-vv", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("proxy credentials") && err.contains("407"),
        "{err}"
    );
    assert!(err.contains(&format!("`{host}`")), "{err}");
    assert!(!err.contains("wrong-pw"), "{err}");
    assert_eq!(proxy.count(LOGIN), 1, "{:?}", proxy.connects());

    // The right ones: through, and still never printed at any verbosity.
    let o = via_proxy(&h, &format!("http://corp-user:Pr0xy-pw@{host}"))
        .env("SSL_CERT_FILE", &ca)
        .args(["-vvv", "list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        !all.contains("Pr0xy-pw") && !all.contains("corp-user:"),
        "{all}"
    );
}

#[test]
fn loopback_is_never_proxied() {
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let o = h
        .cmd()
        .env("HTTPS_PROXY", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .env("https_proxy", proxy.url())
        .arg("--ca-file")
        .arg(&ca)
        .args(["-v", "list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(proxy.connects().is_empty(), "{:?}", proxy.connects());
    assert_contains(&stderr(&o), "go directly");
}

#[test]
fn a_missing_ca_file_is_a_usage_error() {
    let (h, _ca) = tls_harness();
    let o = h
        .cmd()
        .args(["--ca-file", "/nonexistent/ca.pem", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "cannot read the CA file");
    let empty = h.home().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let o = h
        .cmd()
        .arg("--ca-file")
        .arg(&empty)
        .arg("list")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "holds no PEM certificate");
    assert!(h.journal().is_empty());
}

#[test]
fn sandbox_serve_tls_writes_its_ca_and_serves_https() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dactl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DACTL_HOME", home.path())
        .args([
            "sandbox",
            "serve",
            "--tls",
            "--addr",
            "127.0.0.1:0",
            "-o",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        text.push_str(&line);
        if line.starts_with('}') {
            break;
        }
        line.clear();
    }
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let base = doc["base_url"].as_str().unwrap().to_string();
    let ca = PathBuf::from(doc["ca_file"].as_str().unwrap());
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    assert_eq!(ca, home.path().join("sandbox").join("ca.pem"));
    assert!(std::fs::read_to_string(&ca)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let run = |trust: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dactl"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DACTL_HOME", home.path().join("client"))
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", ID)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
            .args(["--base-url", &base, "list"]);
        if trust {
            c.arg("--ca-file").arg(&ca);
        }
        c.output().unwrap()
    };
    let untrusted = run(false);
    let trusted = run(true);
    let _ = child.kill();
    let _ = child.wait();
    assert_code(&untrusted, 2);
    assert_contains(&stderr(&untrusted), "unknown issuer");
    assert_code(&trusted, 0);
}

#[test]
fn a_first_command_opens_the_api_connection_during_the_login_and_keeps_http2() {
    // 50 ms per handshake and per request: the API connection (two handshakes) is ready before
    // the token (two handshakes and a request), so every API request can share it.
    let step = std::time::Duration::from_millis(50);
    let (h, ca) = tls_harness_with(Config {
        latency: step,
        handshake_latency: step,
        ..Config::default()
    });
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let o = via_proxy(&h, &proxy.url())
        .env("SSL_CERT_FILE", &ca)
        .args(["-vv", "list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let err = stderr(&o);
    // The pre-connect: a HEAD without credentials, answered over HTTP/2.
    let heads: Vec<_> = h
        .journal()
        .into_iter()
        .filter(|e| e.method == "HEAD")
        .collect();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(heads[0].client_id, None);
    assert!(
        err.contains("API connection opened while the token is fetched")
            && err.contains("HTTP/2.0"),
        "{err}"
    );
    // One connection per host: the listing and the drafts listing, sent at once, shared it.
    assert_eq!(proxy.count(LOGIN), 1, "{:?}", proxy.connects());
    assert_eq!(proxy.count(API), 1, "{:?}", proxy.connects());

    // Turned off: no HEAD.
    let (h, ca) = tls_harness();
    let proxy = ConnectProxy::start(&h.rt, emulator_addr(&h), None);
    let o = via_proxy(&h, &proxy.url())
        .env("SSL_CERT_FILE", &ca)
        .env("DACTL_PRECONNECT", "0")
        .args(["list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(h.journal().iter().all(|e| e.method != "HEAD"));
}
