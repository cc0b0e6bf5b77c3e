//! The command line (DESIGN.md §3): clap definitions only. Commands live in [`crate::app`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::runs::VerifyMode;

const AFTER_HELP: &str = "\
Exit codes:
  0  success (including nothing to change)     3  some actions of a bulk run failed
  1  the operation failed                      4  authentication or permission
  2  usage, configuration or bad input         5  rate limit or transient errors exhausted
  130 interrupted (Ctrl-C)

Credentials: GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET / GENESYSCLOUD_REGION
(or GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET). State: DACTL_HOME (runs, backups, audit log).
Try it with no org at all: dactl --sandbox list";

/// Change the execution timeout of Genesys Cloud Data Actions safely: one action or ten
/// thousand, with backups, undo, and proof of what changed.
#[derive(Debug, Parser)]
#[command(name = "dactl", version, about, long_about = None, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Global options.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Profile to use (from dactl's config or the gc CLI's ~/.gc/config.toml)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Genesys Cloud region: `eu-west-1`, `eu_west_1` or a domain such as `mypurecloud.ie`
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// API base URL, e.g. `http://127.0.0.1:8080` for an emulator (https required off loopback)
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use the built-in sandbox org (an emulator inside dactl; no credentials needed)
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
    /// Do not ask for confirmation (needed for a write of several actions when not on a terminal)
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Print only data and errors
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// More logging on stderr (-v, -vv, -vvv); `DACTL_LOG` sets a filter
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Actions processed at once in a bulk run
    #[arg(long, global = true, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Request rate limit, in requests per minute, shared by all workers (the platform allows
    /// 300/min per client-credentials token by default)
    #[arg(long, global = true, default_value_t = 300, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: u32,
    /// No colour (also with NO_COLOR or when stdout is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// No progress bar (it is also hidden when stderr is not a terminal, and by --quiet)
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// Which actions to act on; combined with AND.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectorArgs {
    /// An action id (repeatable)
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// Action name glob, case-insensitive: `Salesforce*`, `*Lookup?`
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Category name (exact, case-insensitive)
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
    /// Integration id
    #[arg(long, value_name = "ID")]
    pub integration: Option<String>,
    /// A file with one action id or exact name a line (`-` reads stdin); blank lines and
    /// `#` comments are ignored
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<String>,
    /// Every action (combine with other selectors to narrow)
    #[arg(long)]
    pub all: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List actions with their effective timeout, kind and draft flag
    List {
        /// Which actions (default: all)
        #[command(flatten)]
        selectors: SelectorArgs,
    },
    /// Show one action; `-o json` prints the full action with template text inlined
    Get {
        /// Action id or exact name
        action: String,
    },
    /// Set or remove the execution timeout of actions
    #[command(subcommand)]
    Timeout(TimeoutCommand),
    /// Past runs: list, show, resume
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Restore the timeouts a run changed, where they are still what the run set
    Undo {
        /// Run id (or a unique prefix, or `last`)
        run: String,
        /// Show what would be restored; write nothing
        #[arg(long)]
        dry_run: bool,
        /// Restore even where the timeout changed since the run
        #[arg(long)]
        force: bool,
    },
    /// Save selected actions (config with template text inlined) as JSON files plus an index
    Backup {
        /// Which actions
        #[command(flatten)]
        selectors: SelectorArgs,
        /// Folder to write (created, mode 0700)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The built-in emulator of the Genesys Cloud API
    #[command(subcommand)]
    Sandbox(SandboxCommand),
}

/// `timeout` subcommands.
#[derive(Debug, Subcommand)]
pub enum TimeoutCommand {
    /// Set the timeout: `dactl timeout set 45s "Get Contact"` or with selectors
    #[command(
        after_help = "DURATION: 30, 30s, 30000ms or 1m; a whole number of seconds from 1 to 60."
    )]
    Set {
        /// New timeout, 1 to 60 seconds
        duration: String,
        /// Actions by id or exact name
        actions: Vec<String>,
        /// Which actions
        #[command(flatten)]
        selectors: SelectorArgs,
        /// Show the plan; write nothing
        #[arg(long)]
        dry_run: bool,
        /// Also set the timeout of an open draft (it is never published)
        #[arg(long)]
        also_draft: bool,
        /// Verification: `canary` re-reads the first action in full before writing others,
        /// `full` re-reads every action, `off` checks PATCH responses only
        #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
        verify: VerifyMode,
    },
    /// Remove the explicit timeout (the platform default of 60 s applies)
    Unset {
        /// Actions by id or exact name
        actions: Vec<String>,
        /// Which actions
        #[command(flatten)]
        selectors: SelectorArgs,
        /// Show the plan; write nothing
        #[arg(long)]
        dry_run: bool,
        /// Also remove the timeout of an open draft (it is never published)
        #[arg(long)]
        also_draft: bool,
        /// Verification mode
        #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
        verify: VerifyMode,
    },
}

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run, newest last
    List,
    /// One run: its plan and what happened to each action
    Show {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
    /// Continue a run that was interrupted or killed; finished actions are not written again
    Resume {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
}

/// `sandbox` subcommands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulator for any client; prints its base URL and credentials
    #[command(
        after_help = "Point any client at the printed base URL: dactl --base-url URL …, the official SDKs \
(login on the same host), or curl. Admin endpoints on loopback only: /__emulator/faults, /__emulator/reset, \
/__emulator/requests (the request journal), /__emulator/state."
    )]
    Serve(genesys_emulator::cli::ServeArgs),
    /// Throw away the sandbox's saved state (the next `--sandbox` command starts from the seed org)
    Reset,
}
