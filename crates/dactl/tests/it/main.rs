//! dactl's integration tests, in one binary (ripgrep's `tests/tests.rs` layout): linking
//! axum, hyper and reqwest once instead of once per file is most of the build time saved.
//!
//! Every module runs the real `dactl` binary (or the library's parsers, in `fuzz`) against an
//! emulator of its own on `127.0.0.1:0`, with a private `DACTL_HOME`; none sets environment
//! variables, the current directory or any other process-wide state, so they share this
//! process safely. `common` holds the harness and the helpers the modules share.
//!
//! `../fixtures` stays beside this folder: the library's unit tests include it too. The
//! round-trip tests have a binary of their own (`../roundtrips.rs`: they need a quiet machine).
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

mod admin;
mod bulk;
mod chaos;
mod cli_snapshots;
mod flows;
mod functions;
mod fuzz;
mod hostile_input;
mod hostile_server;
mod interrupt;
mod policy;
mod probe;
mod report;
mod sandbox;
mod secrets;
mod single;
mod tls;
mod token_cache;
mod tokens;
