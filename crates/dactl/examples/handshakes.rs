//! Round trips of a first command, handshakes included (issue 17, `bench/RESULTS.md`).
//!
//! A first `dactl timeout set` (a new `DACTL_HOME`: no kept token, no seen version) runs
//! against the HTTPS emulator, reached as `login.mypurecloud.ie` and `api.mypurecloud.ie`
//! through the test CONNECT proxy (loopback only, as in `tests/tls.rs`). The emulator adds `L`
//! to every request and, per accepted connection, `L` for the TCP handshake and `L` for the
//! TLS 1.3 handshake. The round trips on the critical path are then
//! `(median wall time at L − median wall time at 0) / L`: the local work cancels out.
//!
//! Run: `cargo build --release -p dactl --examples && target/release/examples/handshakes`
//! (it runs the `dactl` binary next to its own directory; `--runs N`, `--latency MS`).
#![allow(clippy::unwrap_used)]

#[path = "../tests/it/common/proxy.rs"]
mod proxy;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use genesys_emulator::{Config, Emulator, TlsIdentity};

const ACTION: &str = "Create Case";

fn dactl_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/examples/handshakes -> target/<profile>/dactl
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let p = dir.join(format!("dactl{}", std::env::consts::EXE_SUFFIX));
    assert!(
        p.exists(),
        "build the dactl binary first: cargo build --release -p dactl"
    );
    p
}

fn find_id(v: &serde_json::Value, name: &str) -> Option<String> {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("name").and_then(|n| n.as_str()) == Some(name) {
                if let Some(id) = m.get("id").and_then(|i| i.as_str()) {
                    return Some(id.to_string());
                }
            }
            m.values().find_map(|x| find_id(x, name))
        }
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_id(x, name)),
        _ => None,
    }
}

struct Run {
    wall: Duration,
    login_connects: usize,
    api_connects: usize,
    requests: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `runs` first commands at added latency `latency`; `preconnect` on or off.
fn measure(latency: Duration, preconnect: bool, runs: usize, dactl: &Path) -> Vec<Run> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = Emulator::new(Config {
        latency,
        handshake_latency: latency,
        ..Config::default()
    });
    let identity = TlsIdentity::generate(genesys_emulator::tls::default_names()).unwrap();
    let running = rt
        .block_on(emu.serve_tls(([127, 0, 0, 1], 0).into(), &identity))
        .unwrap();
    let proxy = proxy::ConnectProxy::start(&rt, running.addr, None);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &identity.ca_pem).unwrap();
    let id = find_id(&emu.state(), ACTION).expect("the seeded action");
    let mut out = Vec::new();
    for i in 0..runs {
        let home = tempfile::tempdir().unwrap();
        let before = proxy.connects().len();
        emu.clear_journal();
        let started = Instant::now();
        let o = std::process::Command::new(dactl)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DACTL_HOME", home.path())
            .env("HOME", home.path())
            .env(
                "GENESYSCLOUD_OAUTHCLIENT_ID",
                genesys_emulator::DEFAULT_CLIENT_ID,
            )
            .env(
                "GENESYSCLOUD_OAUTHCLIENT_SECRET",
                genesys_emulator::DEFAULT_CLIENT_SECRET,
            )
            .env("HTTPS_PROXY", proxy.url())
            .env("SSL_CERT_FILE", &ca)
            .env("DACTL_PRECONNECT", if preconnect { "1" } else { "0" })
            .args(["-q", "--region", "eu-west-1", "timeout", "set"])
            .arg(format!("{}s", 10 + (i % 2) * 5 + usize::from(preconnect)))
            .arg(&id)
            .output()
            .unwrap();
        let wall = started.elapsed();
        if std::env::var_os("HANDSHAKES_TIMELINE").is_some() && i + 1 == runs {
            // The last run's requests as the emulator saw them, in ms since the first.
            let j = emu.journal();
            let t0 = j.iter().map(|e| e.received_us).min().unwrap_or(0);
            for e in &j {
                eprintln!(
                    "{:>6.0} {:>6.0} {} {}",
                    (e.received_us - t0) as f64 / 1000.0,
                    (e.answered_us - t0) as f64 / 1000.0,
                    e.method,
                    e.path
                );
            }
            eprintln!("process wall {:.0} ms", wall.as_secs_f64() * 1000.0);
        }
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let connects = proxy.connects()[before..].to_vec();
        out.push(Run {
            wall,
            login_connects: connects.iter().filter(|c| c.starts_with("login.")).count(),
            api_connects: connects.iter().filter(|c| c.starts_with("api.")).count(),
            requests: emu.journal().len(),
        });
    }
    out
}

fn main() {
    let mut runs = 7usize;
    let mut latency_ms = 100u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--latency" => {
                latency_ms = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(latency_ms)
            }
            _ => {
                eprintln!("usage: handshakes [--runs N] [--latency MS]");
                std::process::exit(2);
            }
        }
    }
    let dactl = dactl_path();
    let l = Duration::from_millis(latency_ms);
    println!(
        "first `dactl timeout set` over HTTPS via a CONNECT proxy; L = {latency_ms} ms per request, \
         per TCP and per TLS handshake; {runs} runs each, medians"
    );
    println!("| pre-connect | wall at L=0 | wall at L | round trips (handshakes included) | connections login/API | requests seen |");
    println!("|---|---|---|---|---|---|");
    for preconnect in [false, true] {
        let base = measure(Duration::ZERO, preconnect, runs, &dactl);
        let lat = measure(l, preconnect, runs, &dactl);
        let t0 = median(base.iter().map(|r| r.wall).collect());
        let tl = median(lat.iter().map(|r| r.wall).collect());
        let rts = (tl.as_secs_f64() - t0.as_secs_f64()) / l.as_secs_f64();
        let each: Vec<String> = lat
            .iter()
            .map(|r| {
                format!(
                    "{:.2}",
                    (r.wall.as_secs_f64() - t0.as_secs_f64()) / l.as_secs_f64()
                )
            })
            .collect();
        let conns: Vec<String> = lat
            .iter()
            .map(|r| format!("{}/{}", r.login_connects, r.api_connects))
            .collect();
        let reqs: Vec<String> = lat.iter().map(|r| r.requests.to_string()).collect();
        println!(
            "| {} | {:.0} ms | {:.0} ms | {rts:.2} (each run: {}) | {} | {} |",
            if preconnect { "on" } else { "off" },
            t0.as_secs_f64() * 1000.0,
            tl.as_secs_f64() * 1000.0,
            each.join(", "),
            conns.join(", "),
            reqs.join(", ")
        );
    }
}
