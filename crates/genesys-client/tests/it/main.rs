//! The integration tests of the client, in one binary (each module was its own binary; one
//! link of wiremock, reqwest and hyper instead of six). Wire-level tests run against wiremock
//! on 127.0.0.1 with a manual clock; `roundtrip` holds the property tests of the models.
//!
//! `tests/logging.rs` stays a binary of its own: it installs a tracing subscriber, and
//! tracing's callsite interest cache is process-wide.
#![allow(clippy::unwrap_used)]

mod common;
mod insights;
mod listing;
mod pool;
mod roundtrip;
mod token_store;
mod wire;
