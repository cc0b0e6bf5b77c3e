//! The emulator's integration tests, in one binary: every module below would otherwise link
//! axum, hyper and reqwest into a binary of its own. `common` holds the shared helpers (an
//! emulator on 127.0.0.1:0 and a small client); `binary` and `determinism` run the
//! `genesys-emulator` executable as a child process.

mod common;

mod api;
mod architect;
mod binary;
mod contract;
mod determinism;
mod ops;
mod realism;
