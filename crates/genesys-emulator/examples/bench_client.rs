//! Load generator of the emulator benchmark (`scripts/emulator-bench/run.sh`): a second process
//! that drives an already running emulator over loopback and prints figures.
//!
//! - `list`: pages through every published action with `includeConfig=true`, sequentially as a
//!   client does, for each page size; checks that every action came exactly once; prints the
//!   median and best wall time of several passes.
//! - `rate`: an open-loop, fixed-rate schedule (request `i` is due at `start + i / rate`) of a
//!   dactl-like mix: 35 % single reads with config and contract, 30 % listing pages with
//!   config, 25 % template reads, 10 % PATCHes with the current version (real writes, each
//!   action written at most once). Latency runs from the *scheduled* send time to the last
//!   byte of the response, so a stalled server cannot hide its stall by slowing the
//!   generator (no coordinated omission). Any status other than 200, or a transport error,
//!   counts as an error. Bounded: at most 120 s and 2,000 requests in flight.
//!
//! ```text
//! cargo run --release -p genesys-emulator --example bench_client -- list URL ID SECRET
//! cargo run --release -p genesys-emulator --example bench_client -- rate URL ID SECRET --rate 1000 --seconds 15
//! ```
//!
//! Loopback only: the base URL must be `http://127.0.0.1:…` or `http://localhost:…`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::{json, Value};

type Error = Box<dyn std::error::Error + Send + Sync>;

const ACTIONS: &str = "/api/v2/integrations/actions";

/// Drive a running emulator and print figures.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Time listing every action with config.
    List {
        #[command(flatten)]
        target: Target,
        /// Page sizes to time.
        #[arg(long, value_delimiter = ',', default_value = "500,100,25")]
        page_sizes: Vec<u32>,
        /// Passes per page size (the median is printed).
        #[arg(long, default_value_t = 5)]
        passes: usize,
    },
    /// Serve a fixed request rate and print latency percentiles.
    Rate {
        #[command(flatten)]
        target: Target,
        /// Requests per second.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        /// Duration in seconds (at most 120).
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
}

#[derive(Debug, clap::Args)]
struct Target {
    /// Base URL of the emulator (loopback).
    base_url: String,
    client_id: String,
    client_secret: String,
}

fn main() -> Result<(), Error> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.mode {
            Mode::List {
                target,
                page_sizes,
                passes,
            } => list(&target, &page_sizes, passes.max(1)).await,
            Mode::Rate {
                target,
                rate,
                seconds,
            } => fixed_rate(&target, rate.max(1), seconds.clamp(1, 120)).await,
        }
    })
}

struct Session {
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn login(t: &Target) -> Result<Session, Error> {
    let base = t.base_url.trim_end_matches('/').to_owned();
    let url = reqwest::Url::parse(&base)?;
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.scheme() != "http" || !loopback {
        return Err(format!("refusing `{base}`: only http:// on loopback").into());
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()?;
    let resp: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&t.client_id, Some(&t.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = resp["access_token"]
        .as_str()
        .ok_or("no access_token in the token response")?
        .to_owned();
    Ok(Session { http, base, token })
}

/// One listing pass: (entities, pages, bytes).
async fn list_all(
    s: &Session,
    page_size: u32,
    config: bool,
) -> Result<(Vec<Value>, u64, u64), Error> {
    let mut entities = Vec::new();
    let (mut page, mut pages, mut bytes) = (1u64, 1u64, 0u64);
    let mut total = None;
    loop {
        let body = s
            .http
            .get(format!(
                "{}{ACTIONS}?pageSize={page_size}&pageNumber={page}&includeConfig={config}",
                s.base
            ))
            .bearer_auth(&s.token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        bytes += body.len() as u64;
        let doc: Value = serde_json::from_slice(&body)?;
        if page == 1 {
            pages = doc["pageCount"].as_u64().unwrap_or(1);
            total = doc["total"].as_u64();
        }
        if let Some(items) = doc["entities"].as_array() {
            entities.extend(items.iter().cloned());
        }
        if page >= pages {
            break;
        }
        page += 1;
    }
    let ids: HashSet<&str> = entities.iter().filter_map(|e| e["id"].as_str()).collect();
    if Some(entities.len() as u64) != total || ids.len() != entities.len() {
        return Err(format!(
            "listing is inconsistent: {} entities, {} distinct, total {total:?}",
            entities.len(),
            ids.len()
        )
        .into());
    }
    Ok((entities, pages, bytes))
}

async fn list(t: &Target, page_sizes: &[u32], passes: usize) -> Result<(), Error> {
    let s = login(t).await?;
    let mut first = true;
    for &size in page_sizes {
        let mut times = Vec::with_capacity(passes);
        let (mut count, mut pages, mut bytes) = (0, 0, 0);
        for _ in 0..passes {
            let t0 = Instant::now();
            let (entities, p, b) = list_all(&s, size, true).await?;
            times.push(t0.elapsed());
            (count, pages, bytes) = (entities.len(), p, b);
        }
        times.sort();
        if first {
            println!("listing {count} actions with includeConfig=true, pages fetched one after another ({passes} passes each):");
            first = false;
        }
        println!(
            "  pageSize {size:>3}: {pages:>3} pages, {:>5.1} MB, median {}, best {}",
            bytes as f64 / 1e6,
            ms(times[times.len() / 2]),
            ms(times[0]),
        );
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Get,
    List,
    Template,
    Patch,
}

struct ReadTarget {
    id: String,
    template: &'static str,
}

struct Writable {
    id: String,
    name: String,
    version: i64,
    config: Value,
}

async fn fixed_rate(t: &Target, rate: u32, seconds: u64) -> Result<(), Error> {
    let s = Arc::new(login(t).await?);
    // Reads go to one half of the actions, writes to the other, so that a PATCH (which
    // replaces config and may drop a template) never turns a later template read into a 404.
    let (entities, _, _) = list_all(&s, 500, true).await?;
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    for (i, e) in entities.iter().enumerate() {
        let id = e["id"].as_str().unwrap_or_default().to_owned();
        if id.starts_with("static") || id.starts_with("customAuth") {
            continue;
        }
        let template = if e["config"]["request"]["requestTemplateUri"].is_string() {
            "requesttemplate.vm"
        } else if e["config"]["response"]["successTemplateUri"].is_string() {
            "successtemplate.vm"
        } else {
            continue;
        };
        if i % 2 == 0 {
            reads.push(ReadTarget { id, template });
        } else {
            writes.push(Writable {
                id,
                name: e["name"].as_str().unwrap_or_default().to_owned(),
                version: e["version"].as_i64().unwrap_or(0),
                config: json!({ "timeoutSeconds": 1 + (i % 60) }),
            });
        }
    }
    if reads.is_empty() || writes.is_empty() {
        return Err("the emulator has too few actions with templates".into());
    }
    let pages = (entities.len() as u64).div_ceil(25).max(1);
    let reads = Arc::new(reads);
    let writes = Arc::new(Mutex::new(writes.into_iter()));
    let total = u64::from(rate) * seconds;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let results: Arc<Mutex<Vec<(Kind, Duration)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let mut tasks = tokio::task::JoinSet::new();
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        while tasks.len() >= 2_000 {
            tasks.join_next().await;
        }
        let roll = rng.u32(..100);
        let kind = match roll {
            0..=34 => Kind::Get,
            35..=64 => Kind::List,
            65..=89 => Kind::Template,
            _ => Kind::Patch,
        };
        let read = &reads[rng.usize(..reads.len())];
        let req = match kind {
            Kind::Get => s.http.get(format!(
                "{}{ACTIONS}/{}?includeConfig=true&expand=contract",
                s.base, read.id
            )),
            Kind::List => s.http.get(format!(
                "{}{ACTIONS}?pageSize=25&pageNumber={}&includeConfig=true",
                s.base,
                1 + rng.u64(..pages)
            )),
            Kind::Template => s.http.get(format!(
                "{}{ACTIONS}/{}/templates/{}",
                s.base, read.id, read.template
            )),
            Kind::Patch => {
                let next = writes.lock().map_err(|_| "poisoned")?.next();
                match next {
                    Some(w) => s
                        .http
                        .patch(format!("{}{ACTIONS}/{}", s.base, w.id))
                        .json(&json!({"name": w.name, "version": w.version, "config": w.config})),
                    // Every write target used once: read instead.
                    None => s.http.get(format!("{}{ACTIONS}/{}", s.base, read.id)),
                }
            }
        };
        let req = req.bearer_auth(&s.token);
        let (results, errors, first_error) = (results.clone(), errors.clone(), first_error.clone());
        tasks.spawn(async move {
            let outcome = match req.send().await {
                Ok(r) => {
                    let status = r.status();
                    match r.bytes().await {
                        Ok(_) if status.as_u16() == 200 => Ok(()),
                        Ok(_) => Err(format!("{kind:?}: HTTP {status}")),
                        Err(e) => Err(format!("{kind:?}: {e}")),
                    }
                }
                Err(e) => Err(format!("{kind:?}: {e}")),
            };
            let latency = due.elapsed();
            if let Err(why) = outcome {
                errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut f) = first_error.lock() {
                    f.get_or_insert(why);
                }
            }
            if let Ok(mut r) = results.lock() {
                r.push((kind, latency));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    let mut all: Vec<(Kind, Duration)> = results.lock().map_err(|_| "poisoned")?.clone();
    let errors = errors.load(Ordering::Relaxed);
    all.sort_by_key(|(_, d)| *d);
    let lat: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    let achieved = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "fixed rate {rate}/s for {seconds} s over {} actions (open loop; latency from the scheduled send to the last byte):",
        entities.len()
    );
    println!(
        "  requests {}, errors {errors}, achieved {achieved:.0}/s over {}",
        lat.len(),
        secs(elapsed)
    );
    println!(
        "  latency p50 {}, p90 {}, p99 {}, p99.9 {}, max {}",
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(pct(0.999)),
        ms(lat[lat.len() - 1])
    );
    for k in [Kind::Get, Kind::List, Kind::Template, Kind::Patch] {
        let mut d: Vec<Duration> = all
            .iter()
            .filter(|(kk, _)| *kk == k)
            .map(|(_, d)| *d)
            .collect();
        if d.is_empty() {
            continue;
        }
        d.sort();
        let p = |q: f64| d[((d.len() as f64 * q).ceil() as usize).clamp(1, d.len()) - 1];
        println!(
            "  {:<8} {:>6} requests, p50 {}, p99 {}",
            format!("{k:?}").to_lowercase(),
            d.len(),
            ms(p(0.5)),
            ms(p(0.99))
        );
    }
    if let Some(why) = first_error.lock().map_err(|_| "poisoned")?.as_ref() {
        println!("  first error: {why}");
    }
    let pass =
        errors == 0 && achieved >= f64::from(rate) * 0.98 && pct(0.99) < Duration::from_millis(20);
    println!(
        "  target {rate}/s with p99 < 20 ms and no errors: {}",
        if pass { "met" } else { "NOT met" }
    );
    if !pass {
        return Err("the rate target was not met".into());
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
