//! A Genesys Cloud Platform API client for integration actions ("Data Actions").
//!
//! This crate is what `dactl` uses to read and change `config.timeoutSeconds` safely. It
//! covers the whole path from a region name to a decoded action:
//!
//! - [`region`]: the 17 official regions, domain and base-URL forms, login URL derivation,
//!   https everywhere except loopback;
//! - [`auth`]: client-credentials login with a process-wide, single-flight token cache that
//!   refreshes before expiry and once on a 401, and a [`Secret`] type that never prints;
//! - the transport: one `reqwest::Client`, no redirects, a response size cap,
//!   `ININ-Correlation-ID` on every response and error, a [`ratelimit`]er per access token
//!   with a shared 429 pause (one token by default; a pool of up to [`MAX_TOKENS`] that falls
//!   back to one shared limiter when the platform counts per client), and the pure [`retry`]
//!   policy, all timed by an injected [`Clock`];
//! - connections: trust (the OS store, the bundled roots, `SSL_CERT_FILE`/`SSL_CERT_DIR` and
//!   [`ClientOptions::ca_file`]), proxies from the environment (never for loopback), the
//!   [`Error::Connect`] problems that are never retried (certificate, DNS, proxy 407), and the
//!   API pre-connect during a first login;
//! - [`models`]: lossless wire models (unknown fields survive a read-modify-write);
//! - [`paging`]: complete listings (echoed page size, concurrent pages, dedupe, `total` check);
//! - [`Client`]: the integrations-actions endpoints plus a raw JSON escape hatch;
//! - [`execution`]: timed test executions of an action; [`architect`]: the flows that use it;
//!   [`integrations`]: integration types and function settings (function data actions).
//!
//! Errors are one [`Error`] enum with a [`Error::kind`] classification shared by retries and
//! exit codes. Nothing in this crate logs or prints a client secret or an access token.
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]
// `Error::Api` carries the decoded `ErrorBody` inline, as the public contract with dactl
// specifies; errors are rare and cold, so their size does not matter.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod architect;
pub mod auth;
pub mod client;
pub mod clock;
mod connect;
pub mod error;
pub mod execution;
pub mod integrations;
pub mod models;
mod options;
pub mod paging;
mod pool;
pub mod ratelimit;
pub mod region;
pub mod retry;
mod stats;
mod transport;

pub use architect::{Consumers, Dependency, FlowFilter, DATA_ACTION, SECURE_ACTION};
pub use auth::{Credentials, Secret, StoredToken, TokenStore};
pub use client::{Client, ListQuery, Response};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ConnectProblem, Error, ErrorKind};
pub use execution::{error_is_timeout, TestExecutionResult, TimedTest};
pub use integrations::{
    Function, FunctionConfig, Integration, IntegrationType, FUNCTION_DEFAULT_TIMEOUT,
    FUNCTION_INTEGRATION_TYPE,
};
pub use models::{
    template_file_name, Action, ActionConfig, EntityListing, ErrorBody, RequestConfig,
    ResponseConfig, UpdateActionInput, UpdateDraftInput, REQUEST_TEMPLATE, SUCCESS_TEMPLATE,
};
pub use options::{ClientOptions, MAX_TOKENS};
pub use region::{Environment, REGIONS};
pub use retry::{parse_retry_after, Decision, Outcome, RetryPolicy};
pub use stats::RequestStats;

/// Re-export of the HTTP method type used by [`Client::request_json`].
pub use reqwest::Method;
