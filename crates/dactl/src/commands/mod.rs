//! The commands, one module per verb (as cargo's `src/bin/cargo/commands/`): each holds its
//! clap arguments and a `run(ctx, args) -> Result<Exit>` that turns them into library calls and
//! renders the result. [`crate::cli`] names the arguments and dispatches to them.
//!
//! Shared by several commands: [`crate::selection`] (selectors to actions) and [`change`] (the
//! plan, confirmation and write flow of every command that writes).

pub mod auth;
pub mod backup;
pub(crate) mod change;
pub mod flows;
pub mod get;
pub mod list;
pub mod meta;
pub mod policy;
pub mod probe;
pub mod profiles;
pub mod report;
pub mod restore;
pub mod runs;
pub mod sandbox;
pub mod timeout;
pub mod undo;
