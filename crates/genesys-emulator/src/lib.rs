//! An offline emulator of the Genesys Cloud integrations-actions API ("Data Actions").
//!
//! It serves `POST /oauth/token` (client credentials) and the `/api/v2/integrations/actions`
//! operations with the platform's wire formats (`ErrorBody`, paging envelope,
//! `ININ-Correlation-ID` on every response), seeded with a realistic org, and behaves
//! pessimistically where the real API is undocumented (genesys-api.md §7): PATCH replaces
//! `config`, templates are returned by URI only, every write bumps `version` by one, a stale
//! version is a 409, tokens expire and a per-token rate limit answers 429 with `Retry-After`.
//! Architect's dependency tracking answers which seeded flows use an action.
//! Faults can be injected as data ([`FaultRule`]). State is kept as raw JSON documents and can
//! be exported and re-imported ([`Emulator::state`], [`Emulator::load_state`]).
//!
//! The emulator never uses the client crate: two independent readings of the API keep each
//! other honest.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use genesys_emulator::{Config, Emulator};
//! let emu = Emulator::new(Config::default());
//! let running = emu.serve("127.0.0.1:0".parse().expect("addr")).await?;
//! println!("{}", running.base_url);
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod architect;
mod auth;
pub mod cli;
mod error;
mod faults;
mod http;
mod integrations;
mod jitter;
mod ops;
mod perms;
pub mod realism;
mod seed;
mod server;
mod store;
pub mod tls;
mod validate;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::faults::{
    load_faults, parse_faults_json, parse_faults_toml, path_matches, EditField, FaultAction,
    FaultRule, Trigger,
};
pub use crate::realism::{ConflictStatus, PatchResponse, RateLimitScope, Realism, TestTimeout};
pub use crate::server::Running;
pub use crate::tls::TlsIdentity;

use crate::auth::Tokens;
use crate::faults::FaultPlan;
use crate::store::OrgData;

/// The default org's client id (public: sandbox only).
pub const DEFAULT_CLIENT_ID: &str = "dactl-sandbox";
/// The default org's client secret (public: sandbox only).
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-secret-not-for-production";
/// The default org's name.
pub const DEFAULT_ORG_NAME: &str = "Sandbox Org";
/// Default cap on `pageSize` (the effective value is echoed in listings).
pub const DEFAULT_MAX_PAGE_SIZE: u32 = 500;
/// The journal keeps at most this many entries (the oldest are dropped).
pub const JOURNAL_CAPACITY: usize = 100_000;

/// Emulator configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of the synthetic actions (42).
    pub seed: u64,
    /// 0: only the realistic seed org; N: N extra generated actions, deterministic from `seed`.
    pub synthetic_actions: usize,
    /// Added to every API request (not to admin endpoints).
    pub latency: Duration,
    /// Requests per minute per token (or per client: [`Realism::rate_limit_scope`]);
    /// `None` = unlimited.
    pub rate_limit_per_minute: Option<u32>,
    /// Lifetime of an access token (86,400 s).
    pub token_ttl: Duration,
    /// Largest `pageSize` honoured; larger values are capped (and the cap echoed).
    pub max_page_size: u32,
    /// One org per client id; the first is the default org.
    pub orgs: Vec<OrgCredentials>,
    /// Initial fault rules.
    pub faults: Vec<FaultRule>,
    /// Multiplies the simulated latency of test/execute (1.0 = real time; tests use ~0.001).
    pub execution_time_scale: f64,
    /// Run-to-run variation of test/execute latency: σ of a log-normal factor (0 = exact;
    /// see the `jitter` module).
    pub execution_jitter: f64,
    /// One network round trip, added per accepted connection for its TCP handshake and once
    /// more for its TLS handshake (0 = none): with `latency`, what a first command pays.
    pub handshake_latency: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 42,
            synthetic_actions: 0,
            latency: Duration::ZERO,
            rate_limit_per_minute: None,
            token_ttl: Duration::from_secs(86_400),
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            orgs: vec![OrgCredentials::default()],
            faults: Vec::new(),
            execution_time_scale: 1.0,
            execution_jitter: 0.0,
            handshake_latency: Duration::ZERO,
        }
    }
}

/// Credentials (and name) of one emulated org.
#[derive(Clone, Debug)]
pub struct OrgCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    /// Permissions of the OAuth client's role: `None` grants every permission; `Some(list)`
    /// only those listed (`*` matches a segment), so that tests can simulate a client missing
    /// `integrations:action:edit` and get the platform's 403 `missing.permissions`.
    pub permissions: Option<Vec<String>>,
    /// How this org answers where the platform's contract is silent (see [`Realism`]).
    pub realism: Realism,
}

impl Default for OrgCredentials {
    fn default() -> Self {
        OrgCredentials {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            name: DEFAULT_ORG_NAME.to_owned(),
            permissions: None,
            realism: Realism::default(),
        }
    }
}

/// One request as the emulator saw it. Never holds the Authorization header, tokens or secrets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Status sent; 0 when a `Drop` fault closed the connection.
    pub status: u16,
    /// The request body when it was JSON.
    pub body: Option<serde_json::Value>,
    /// The client whose token (or Basic credentials, on `/oauth/token`) the request carried.
    pub client_id: Option<String>,
    pub correlation_id: String,
    /// The name of the fault rule that fired, if any.
    pub fault: Option<String>,
    /// When a `drop_after` or `status_after` fault replaced the answer: the status the handler
    /// had answered (2xx: the request was applied although the client never saw it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_status: Option<u16>,
    /// When the request arrived, in microseconds since the emulator was created.
    #[serde(default)]
    pub received_us: u64,
    /// When its response was ready (after the added latency and the handler), same clock.
    /// With a fixed added latency, `received_us`/`answered_us` show which requests a client
    /// sent in parallel and which waited for another's answer (benchmarks and round-trip tests).
    #[serde(default)]
    pub answered_us: u64,
}

/// One emulated org.
pub(crate) struct Org {
    pub creds: OrgCredentials,
    pub data: RwLock<OrgData>,
    seeded: OrgData,
    /// Architect's dependency index (which flows use which action), built from the seed.
    pub flows: architect::FlowIndex,
    /// The realism settings in force (from [`OrgCredentials::realism`], changeable at run time).
    realism: RwLock<Realism>,
}

impl Org {
    /// The realism settings in force.
    pub fn realism(&self) -> Realism {
        *self.realism.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn read(&self) -> RwLockReadGuard<'_, OrgData> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn write(&self) -> RwLockWriteGuard<'_, OrgData> {
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct Inner {
    pub config: Config,
    pub orgs: Vec<Org>,
    tokens: Mutex<Tokens>,
    faults: Mutex<FaultPlan>,
    journal: Mutex<VecDeque<JournalEntry>>,
    seq: AtomicU64,
    /// Origin of the journal's timestamps.
    epoch: std::time::Instant,
}

/// Shared, cheaply clonable handle to the emulator state.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("orgs", &self.inner.orgs.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Emulator {
    /// Builds the emulator and seeds every org.
    pub fn new(mut config: Config) -> Emulator {
        if config.orgs.is_empty() {
            config.orgs.push(OrgCredentials::default());
        }
        let seeded = seed::seed_org(config.seed, config.synthetic_actions);
        let flows = architect::FlowIndex::build(&seeded);
        let orgs = config
            .orgs
            .iter()
            .map(|creds| Org {
                creds: creds.clone(),
                data: RwLock::new(seeded.clone()),
                seeded: seeded.clone(),
                flows: flows.clone(),
                realism: RwLock::new(creds.realism),
            })
            .collect();
        let faults = FaultPlan::new(config.faults.clone());
        Emulator {
            inner: Arc::new(Inner {
                config,
                orgs,
                tokens: Mutex::new(Tokens::default()),
                faults: Mutex::new(faults),
                journal: Mutex::new(VecDeque::new()),
                seq: AtomicU64::new(0),
                epoch: std::time::Instant::now(),
            }),
        }
    }

    /// The configuration the emulator was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The axum app. Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so the
    /// admin endpoints can see the peer; [`Emulator::serve`] does that and also honours `Drop`
    /// faults (which plain `axum::serve` cannot: there a dropped request gets a bare 502).
    pub fn router(&self) -> axum::Router {
        api::router(self.clone())
    }

    /// Binds `addr` and serves in the background on the current tokio runtime.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<Running> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        self.serve_listener(listener)
    }

    /// Serves on an already bound listener.
    pub fn serve_listener(&self, listener: tokio::net::TcpListener) -> std::io::Result<Running> {
        server::serve(
            self.router(),
            listener,
            server::Accept {
                tls: None,
                handshake_latency: self.config().handshake_latency,
            },
        )
    }

    /// Binds `addr` and serves HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with `identity` in the
    /// background; the base URL is `https://IP:PORT`. See the `tls` module.
    pub async fn serve_tls(
        &self,
        addr: SocketAddr,
        identity: &TlsIdentity,
    ) -> std::io::Result<Running> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        server::serve(
            self.router(),
            listener,
            server::Accept {
                tls: Some(identity.clone()),
                handshake_latency: self.config().handshake_latency,
            },
        )
    }

    /// The default org's full state as one JSON document: `org`, `integrations`, `categories`,
    /// `actions` (published, templates as text, sorted by id), `drafts`, and emulator-only
    /// metadata under `x-emulator` (simulated latencies). Deterministic, no tokens, no secrets.
    pub fn state(&self) -> serde_json::Value {
        let org = &self.inner.orgs[0];
        org.read().to_state(&org.creds.name)
    }

    /// The state of the org of `client_id`.
    pub fn org_state(&self, client_id: &str) -> Option<serde_json::Value> {
        let org = self
            .inner
            .orgs
            .iter()
            .find(|o| o.creds.client_id == client_id)?;
        let state = org.read().to_state(&org.creds.name);
        Some(state)
    }

    /// Replaces the default org's state with a document produced by [`Emulator::state`].
    pub fn load_state(&self, doc: serde_json::Value) -> Result<(), String> {
        let data = OrgData::from_state(&doc)?;
        *self.inner.orgs[0].write() = data;
        Ok(())
    }

    /// Back to the seeded state (every org); clears the journal and the faults. Tokens stay valid.
    pub fn reset(&self) {
        for org in &self.inner.orgs {
            *org.write() = org.seeded.clone();
        }
        self.clear_journal();
        self.set_faults(Vec::new());
    }

    /// The realism settings of the org of `client_id` (the default org for `None`).
    pub fn realism(&self, client_id: Option<&str>) -> Option<Realism> {
        self.org_by_client(client_id).map(Org::realism)
    }

    /// Replaces the realism settings of the org of `client_id` (the default org for `None`);
    /// false when there is no such org.
    pub fn set_realism(&self, client_id: Option<&str>, realism: Realism) -> bool {
        match self.org_by_client(client_id) {
            Some(org) => {
                *org.realism.write().unwrap_or_else(|e| e.into_inner()) = realism;
                true
            }
            None => false,
        }
    }

    fn org_by_client(&self, client_id: Option<&str>) -> Option<&Org> {
        match client_id {
            None => self.inner.orgs.first(),
            Some(id) => self.inner.orgs.iter().find(|o| o.creds.client_id == id),
        }
    }

    /// Every API request received, in order (not the admin endpoints).
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.inner.journal).iter().cloned().collect()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        lock(&self.inner.journal).clear();
    }

    /// Replaces the fault rules (counters start again from zero).
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        *lock(&self.inner.faults) = FaultPlan::new(rules);
    }

    /// The current fault rules.
    pub fn faults(&self) -> Vec<FaultRule> {
        lock(&self.inner.faults).rules()
    }

    /// Every access token the emulator has issued (expired ones included, until they are
    /// pruned), so that tests can check that no token leaks into output or files.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens().all()
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.inner.tokens)
    }

    pub(crate) fn fault_plan(&self) -> MutexGuard<'_, FaultPlan> {
        lock(&self.inner.faults)
    }

    /// Microseconds since the emulator was created (the journal's clock).
    pub(crate) fn now_us(&self) -> u64 {
        u64::try_from(self.inner.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    pub(crate) fn record(&self, mut entry: JournalEntry) {
        entry.answered_us = self.now_us();
        let mut j = lock(&self.inner.journal);
        entry.seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        if j.len() >= JOURNAL_CAPACITY {
            j.pop_front();
        }
        j.push_back(entry);
    }
}
