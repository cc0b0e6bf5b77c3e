//! dactl: change the execution timeout (`config.timeoutSeconds`) of Genesys Cloud Data Actions
//! without losing a byte of their configuration, at the speed the rate limit allows, with a
//! backup before every write, undo, and a journal that proves what was done.
//!
//! The binary (`main.rs`) only parses, calls [`cli::run`], renders errors and maps them to exit
//! codes. Everything else lives here.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod actions;
pub mod args;
pub mod cli;
pub mod commands;
pub mod context;
pub mod duration;
pub mod engine;
pub mod env;
pub mod error;
pub mod fanout;
mod fastpath;
pub mod fsutil;
pub mod functions;
pub mod jsondiff;
pub mod net;
pub mod output;
pub mod planner;
pub mod policy;
pub mod printer;
pub mod probe;
pub mod profiles;
pub mod report;
mod run_ref;
pub mod runs;
pub mod screen;
pub mod seen;
mod selection;
pub mod selector;
pub mod session;
pub mod settings;
pub mod suggest;
pub mod text;
pub mod token_cache;
