//! Load check: an in-process emulator with 10,000 synthetic actions, driven on 127.0.0.1 at a
//! fixed rate (default 1,000 requests/s for 5 s) with a read-heavy mix (list pages, single
//! reads with config, template reads, a few PATCHes). Prints throughput and latency
//! percentiles. Bounded in count and time; loopback only.
//!
//! `cargo run --release -p genesys-emulator --example load [RATE] [SECONDS]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_emulator::{Config, Emulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use serde_json::{json, Value};
use tokio::sync::Mutex;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let seconds: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(5)
        .min(60);
    let started = Instant::now();
    let emu = Emulator::new(Config {
        synthetic_actions: 10_000,
        ..Config::default()
    });
    println!("seeded 10,000 synthetic actions in {:?}", started.elapsed());
    let running = emu.serve("127.0.0.1:0".parse()?).await?;
    let base = running.base_url.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(10))
        .build()?;
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let state = emu.state();
    let ids: Vec<String> = state["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .filter(|i| !i.starts_with("static") && !i.starts_with("customAuth"))
                .collect()
        })
        .unwrap_or_default();
    let ids = Arc::new(ids);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let run_start = Instant::now();
    for i in 0..total {
        ticker.tick().await;
        let (http, base, token, ids, latencies, errors) = (
            http.clone(),
            base.clone(),
            token.clone(),
            ids.clone(),
            latencies.clone(),
            errors.clone(),
        );
        tasks.spawn(async move {
            let id = &ids[(i as usize * 7919) % ids.len()];
            let t0 = Instant::now();
            let req = match i % 20 {
                0..=7 => http.get(format!("{base}/api/v2/integrations/actions?pageSize=25&pageNumber={}&includeConfig=true", 1 + i % 400)),
                8..=15 => http.get(format!("{base}/api/v2/integrations/actions/{id}?expand=contract&includeConfig=true")),
                16..=18 => http.get(format!("{base}/api/v2/integrations/actions/{id}/templates/requesttemplate.vm")),
                _ => http.patch(format!("{base}/api/v2/integrations/actions/{id}")).json(&json!({"version": 0, "config": {}})),
            };
            let ok = match req.bearer_auth(&token).send().await {
                // Any response counts as served (the PATCHes are 409s by design).
                Ok(r) => r.bytes().await.is_ok(),
                Err(_) => false,
            };
            let dt = t0.elapsed();
            if !ok {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            latencies.lock().await.push(dt);
        });
        while tasks.len() > 2_000 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = run_start.elapsed();
    let mut l = latencies.lock().await.clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    println!(
        "{} requests in {:.2?} ({:.0}/s), transport errors {}: p50 {:?} p90 {:?} p99 {:?} max {:?}",
        l.len(),
        elapsed,
        l.len() as f64 / elapsed.as_secs_f64(),
        errors.load(std::sync::atomic::Ordering::Relaxed),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        l[l.len() - 1]
    );
    running.shutdown();
    Ok(())
}
