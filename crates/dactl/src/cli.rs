//! The command line (DESIGN.md §3): clap definitions only. Commands live in [`crate::app`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::runs::VerifyMode;

const AFTER_HELP: &str = "\
Examples:
  dactl --sandbox list                              try everything on the built-in sandbox org
  dactl auth check                                  can these credentials read and change actions?
  dactl list --category Orders                      actions, their timeouts, kind and draft flag
  dactl timeout set 45s --name 'Get Queue*' --dry-run
  dactl timeout set 45s --name 'Get Queue*' --yes   canary first, then the rest at the rate limit
  dactl undo last --yes                             put back what the last run changed
  dactl plan -f timeouts.toml --detailed-exitcode   timeouts as code; exit 2 when the org drifted

Exit codes:
  0  success (including nothing to change)     3  some actions of a bulk run failed
  1  the operation failed                      4  authentication or permission
  2  usage, configuration or bad input         5  rate limit or transient errors exhausted
  130 interrupted (Ctrl-C)

Credentials: GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET / GENESYSCLOUD_REGION
(or GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET), or a profile (--profile, DACTL_PROFILE; see
`dactl profiles --help`). Precedence: flag > environment > profile > default.
State: DACTL_HOME (runs, backups, probes, audit log). Logs: -v, -vv, -vvv or DACTL_LOG=FILTER on stderr.
Output field names: `-o json` / `-o csv` are documented in docs/output.md.";

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

/// Global options (listed under their own heading in every command's help).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile to use, from dactl's config or the gc CLI's ~/.gc/config.toml (`gc:NAME` picks
    /// gc's); default: `DACTL_PROFILE`, else a profile called `default`
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Genesys Cloud region: `eu-west-1`, `eu_west_1` or a domain such as `mypurecloud.ie`
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// API base URL, e.g. `http://127.0.0.1:8080` for an emulator (https required off loopback)
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// An extra trusted CA (PEM file), e.g. the CA of a TLS-inspecting corporate proxy; also
    /// profile key `ca_file`. The OS trust store, `SSL_CERT_FILE` and `SSL_CERT_DIR` are
    /// always read
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Use the built-in sandbox org (an emulator inside dactl; no credentials needed)
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Output format on stdout: a table, one JSON document, CSV with a header, or one JSON
    /// object a line (field names: docs/output.md)
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputArg>,
    /// Tables show every column and row, however wide (the same as `-o wide`)
    #[arg(long, global = true)]
    pub wide: bool,
    /// Do not ask for confirmation (needed for a write of several actions when not on a terminal)
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Print only data and errors
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// More logging on stderr (-v, -vv, -vvv); `DACTL_LOG` sets a filter
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Actions processed at once in a bulk run. Unless given, a run raises it above 4 when the
    /// rate and the latency measured while listing need more workers to use the whole rate
    #[arg(long, global = true, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Whether `--concurrency` was given on the command line (set by the binary from clap's
    /// value source; a default 4 may be raised, a given value never is).
    #[arg(skip)]
    pub concurrency_given: bool,
    /// Request rate limit, in requests per minute per access token, shared by all workers (the
    /// platform allows 300/min per client-credentials token by default)
    #[arg(long, global = true, default_value_t = 300, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: u32,
    /// Access tokens shared out among the workers, 1-10 (default 1, or the profile's `tokens`).
    /// Each has its own `--rate`: where the platform counts its limit per token, N tokens send
    /// N × `--rate`; where it counts per OAuth client, the first 429s show it and the run falls
    /// back to one shared `--rate`
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(i64))]
    pub tokens: Option<i64>,
    /// No colour (also with NO_COLOR or when stdout is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// No progress bar (it is also hidden when stderr is not a terminal, and by --quiet)
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// `-o`: the output formats, plus `wide` (a table with nothing left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// A human table, fitted to the terminal
    Table,
    /// A table with every column and row, however wide (the same as `--wide`)
    Wide,
    /// One JSON document
    Json,
    /// CSV with a header line
    Csv,
    /// One JSON object a line
    Ndjson,
}

impl OutputArg {
    /// The format commands render (`wide` is a table).
    pub fn format(self) -> Format {
        match self {
            OutputArg::Table | OutputArg::Wide => Format::Table,
            OutputArg::Json => Format::Json,
            OutputArg::Csv => Format::Csv,
            OutputArg::Ndjson => Format::Ndjson,
        }
    }
}

/// Which actions to act on; combined with AND.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectorArgs {
    /// An action id (repeatable)
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// Action name glob, case-insensitive: `Get*`, `*Order Status`
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Category name (exact, case-insensitive)
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
    /// Integration id, or its name (case-insensitive)
    #[arg(long, value_name = "ID|NAME")]
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
    #[command(after_help = "\
A timeout shown as `60s (default)` is unset: the platform default applies. KIND is `regular`,
`function`, `builtin` (read-only) or `custom-auth` (a timeout is invalid on it); a function data
action is one of an integration of type `function-data-actions`. EFFECTIVE is what stops the
action: its timeout, and for a function data action at most its function's own (1-15 s,
`10 (fn)`). DRAFT `yes` means an unpublished draft exists; publishing it later would
bring its own timeout back.

Examples:
  dactl list
  dactl list --name 'Get*' --category Orders
  dactl list --all -o csv > timeouts.csv
  dactl list -o json | jq '.[] | select(.timeout_seconds == null) | .name'")]
    List {
        /// Which actions (default: all)
        #[command(flatten)]
        selectors: SelectorArgs,
    },
    /// Show one action; `-o json` prints the full action with template text inlined
    #[command(after_help = "\
`-o json` prints the action exactly as the API holds it, with the text of its Velocity templates
inlined in place of their URIs: a complete, restorable document (`dactl restore FILE`).

Examples:
  dactl get \"Lookup Order Status\"
  dactl get 3f0c6a1e-... -o json > lookup.json      # later: dactl restore lookup.json")]
    Get {
        /// Action id or exact name
        action: String,
    },
    /// Set or remove the execution timeout of actions
    #[command(
        subcommand,
        after_help = "\
Every write backs the action up first, sends its full config (templates inlined) with only the
timeout changed, verifies the result and journals it: `dactl undo RUN` puts it back."
    )]
    Timeout(TimeoutCommand),
    /// Past runs: list, show, resume
    #[command(
        subcommand,
        after_help = "\
Runs live in $DACTL_HOME/runs/<run-id>/: plan.json, journal.ndjson, backups/ (pre-images, 0600).
RUN is an id, a unique prefix of one, or `last` (for `resume`: the newest run against the target
that --sandbox/--base-url/--region/--profile and the environment choose)."
    )]
    Runs(RunsCommand),
    /// Undo a run: put back what it changed, where the action is still what the run left
    #[command(after_help = "\
An action whose timeout changed since the run is reported as `changed since` and left alone
unless --force. Undo is itself a run (resumable, and undoable with --force, which re-applies
the change it put back). Undoing a `restore` run writes back the whole configuration each action
had before it. RUN `last` is the newest run against this target (--sandbox, --base-url,
--region, --profile and the environment choose it); an interrupted run is finished with
`dactl runs resume RUN`, not undone.

Examples:
  dactl undo last --dry-run
  dactl undo 20250301T021500123Z-3fa2 --yes")]
    Undo {
        /// Run id (or a unique prefix, or `last`: the newest run against this target)
        run: String,
        /// Show what would be restored; write nothing
        #[arg(long)]
        dry_run: bool,
        /// Restore even where the timeout changed since the run; also needed to undo an undo
        /// (which writes back what the undone run had set)
        #[arg(long)]
        force: bool,
    },
    /// Save selected actions (config with template text inlined) as JSON files plus an index
    #[command(after_help = "\
Writes DIR/<action-id>.json (the same document as `dactl get -o json`) and DIR/index.json, all
mode 0600. `dactl restore DIR` writes them back.

Examples:
  dactl backup --all --out backup-$(date +%F)
  dactl backup --category Orders --out orders")]
    Backup {
        /// Which actions
        #[command(flatten)]
        selectors: SelectorArgs,
        /// Folder to write (created, mode 0700)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The built-in emulator of the Genesys Cloud API
    #[command(
        subcommand,
        after_help = "\
`dactl --sandbox COMMAND` runs any command against an emulator inside dactl (state kept in
$DACTL_HOME/sandbox/). `dactl sandbox serve` serves it for any client, e.g. the gc CLI or an SDK."
    )]
    Sandbox(SandboxCommand),
    /// Run an action's test N times, time each call and recommend a timeout (p99 × 3)
    #[command(after_help = PROBE_HELP)]
    Probe {
        /// Action id or exact name: one action, since each execution calls its real backend
        action: Option<String>,
        /// The action's input as a JSON object, or @FILE (`@-` reads stdin)
        #[arg(long, value_name = "JSON|@FILE")]
        input: String,
        /// Number of test executions (at most 1000); `--concurrency` run at once
        #[arg(short = 'n', long = "count", default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Refused: probe runs one ACTION
        #[arg(long, hide = true)]
        all: bool,
        /// Refused: probe runs one ACTION
        #[arg(long, hide = true)]
        name: Option<String>,
        /// Refused: probe runs one ACTION
        #[arg(long, hide = true)]
        category: Option<String>,
        /// Refused: probe runs one ACTION
        #[arg(long, hide = true)]
        integration: Option<String>,
        /// Refused: probe runs one ACTION
        #[arg(long = "id", hide = true)]
        ids: Vec<String>,
        /// Refused: probe runs one ACTION
        #[arg(long, hide = true)]
        from_file: Option<String>,
    },
    /// List the Architect flows that use an action (dependency tracking; advisory)
    #[command(after_help = FLOWS_HELP)]
    Flows {
        /// Action id or exact name
        action: String,
        /// Only published flow versions
        #[arg(long)]
        published: bool,
    },
    /// Show what a policy file (timeouts as code) would change in the org; writes nothing
    #[command(after_help = PLAN_HELP)]
    Plan {
        /// The policy file
        #[arg(short = 'f', long = "file", value_name = "POLICY.toml")]
        file: PathBuf,
        /// Exit codes for CI, as Terraform's: 0 the org matches, 1 an error, 2 changes pending
        #[arg(long)]
        detailed_exitcode: bool,
        /// Show how many flows use each action (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
    /// Apply a policy file as a bulk run (confirmation, backups, resume and undo as usual)
    #[command(after_help = APPLY_HELP)]
    Apply {
        /// The policy file
        #[arg(short = 'f', long = "file", value_name = "POLICY.toml")]
        file: PathBuf,
        /// Also set the timeout of open drafts (they are never published)
        #[arg(long)]
        also_draft: bool,
        /// Verification mode
        #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
        verify: VerifyMode,
        /// Show how many flows use each action in the plan (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
    /// Write a self-contained HTML page about every action's timeout (and stored probes)
    #[command(after_help = REPORT_HELP)]
    Report {
        /// The page to write; `-` writes it to stdout
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
    },
    /// Check the credentials: get a token, list one action, probe the edit permission
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Profiles from dactl's config and the gc CLI's ~/.gc/config.toml
    #[command(subcommand, after_help = PROFILES_HELP)]
    Profiles(ProfilesCommand),
    /// Write whole action configurations back from `get -o json` or `backup` files
    #[command(after_help = "\
Each FILE is the output of `dactl get ACTION -o json`, a file of several such documents (a JSON
array or one a line), a backup's index.json, or a backup folder. Every document is checked
before any request (templates must be inlined; ids unique), compared with the action's current
state, and written through the same safe engine as a timeout change: pre-image backup, journal,
canary verification, `runs resume`, and `dactl undo RUN`. Restore writes name, category and
config of existing actions; it never creates or deletes actions, nor touches drafts or contracts.

Examples:
  dactl get \"Lookup Order Status\" -o json > lookup.json
  dactl restore lookup.json --dry-run
  dactl restore backup-2025-03-01 --yes")]
    Restore {
        /// Files or backup folders
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Show what would be restored; write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  dactl completions bash > ~/.local/share/bash-completion/completions/dactl
  dactl completions zsh > \"${fpath[1]}/_dactl\"
  dactl completions fish > ~/.config/fish/completions/dactl.fish
  dactl completions powershell >> $PROFILE")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (or write one page per command with --dir)
    #[command(after_help = "\
Examples:
  dactl man | man -l -
  dactl man --dir /usr/local/share/man/man1")]
    Man {
        /// Write dactl.1 and a page per subcommand into this folder
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const PROFILES_HELP: &str = "\
dactl's config: DACTL_CONFIG, else $XDG_CONFIG_HOME/dactl/config.toml, else
~/.config/dactl/config.toml:

  [profiles.prod]
  region = \"eu-west-1\"                     # or base_url = \"https://api.mypurecloud.ie\"
  client_id = \"3f0c...\"
  client_secret_env = \"PROD_GENESYS_SECRET\" # or client_secret_file = \"~/.config/dactl/prod.secret\"
                                            # or client_secret_keyring = true (--features keyring)

The gc CLI's ~/.gc/config.toml is read too (keys environment, client_credentials, client_secret);
dactl never writes it. Select with --profile NAME or DACTL_PROFILE; otherwise a profile called
`default` is used when one exists. Precedence, field by field: flag > environment > profile >
default. Unknown keys and wrong types are errors naming the file and key (exit 2).";

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Get a token, list one action (view permission) and probe the edit permission; changes nothing
    #[command(after_help = "\
The edit permission is probed with GET /api/v2/integrations/actions/{id}/draft/validation, a
read that the API guards with integrations:action:edit, on an action with an open draft when
there is one: 403 means missing, 200 granted; any other answer is `unknown`. Optional rows
follow for integrations:action:execute (probe), architect:dependencyTracking:view (flows),
integrations:integration:view and integrations:actionFunction:view (function data actions).
Nothing is written. A missing required permission is named, with a hint, and the exit code is
4; a missing optional one is named with what it disables.

Examples:
  dactl auth check
  dactl --profile prod auth check -o json")]
    Check,
    /// Delete the access tokens kept between commands (every profile); the next command logs in
    #[command(after_help = "\
After a login, dactl keeps the access token in $DACTL_HOME/tokens/, encrypted with a key derived
from the client secret, so that the next commands skip the login round trip. A kept token is used
only while it has at least two minutes to live; a refused one is discarded and replaced once.
DACTL_TOKEN_CACHE=off turns this off. `auth forget` deletes every kept token; rotating the client
secret makes the old ones unreadable anyway.

Examples:
  dactl auth forget")]
    Forget,
}

/// `profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every profile: where it came from, its region or base URL, client id, and secret source
    #[command(after_help = "\
The secret itself is never shown, only where it comes from. NOTE says which profile is in use
and flags secrets kept in plain text or in files others can read.

Examples:
  dactl profiles list
  dactl profiles list -o json")]
    List,
    /// Store a profile's client secret in the OS keyring (read from stdin; needs --features keyring)
    #[command(after_help = "\
The profile must set `client_secret_keyring = true`. The secret is stored under service `dactl`,
account NAME.

Example:
  printf %s \"$SECRET\" | dactl profiles set-secret prod")]
    SetSecret {
        /// Profile name (in dactl's config)
        name: String,
    },
}

const PROBE_HELP: &str = "\
Each execution is POST /api/v2/integrations/actions/{id}/test (needs integrations:action:execute),
timed on the client. Recommended timeout = p99 × 3, rounded up to whole seconds, within 1..60
(Genesys's guidance). A test calls the action's real backend: probe takes one ACTION, asks for
confirmation on a terminal and needs --yes elsewhere (the --sandbox asks nothing). When the first
execution fails for another reason than the timeout, no other is started. Results are kept in
$DACTL_HOME/probes/ (input keys only) and shown by `dactl report`.
Exit: 0 every execution succeeded, 3 some failed or timed out, 1 none succeeded.

Examples:
  dactl probe \"Lookup Order Status\" --input '{\"orderId\": \"A-1001\"}' -n 30
  dactl probe 219a61ba-c69d-433a-bdf7-df48b5193c64 --input @input.json --concurrency 2 --yes
  dactl --sandbox probe \"Get Loyalty Points Balance\" --input '{\"memberId\": \"M-1\"}' -o csv";

const FLOWS_HELP: &str = "\
Reads Architect's dependency tracking (GET /api/v2/architect/dependencytracking/consumingresources,
needs architect:dependencyTracking:view). The index may lag behind recent changes: advisory.
`--show-flows` on `timeout set|unset`, `plan -f` and `apply -f` adds \"used by N flows\" to a plan.

Examples:
  dactl flows \"Lookup Order Status\"
  dactl flows 219a61ba-c69d-433a-bdf7-df48b5193c64 --published -o json";

/// The policy format, shared by the help of `plan` and `apply`.
macro_rules! policy_help {
    () => {
        "\
POLICY.toml: an optional top-level `default = SECONDS` for actions no rule matches (omit it to
leave them alone), then [[rule]] tables with any of `category`, `name` (glob), `integration`,
`id`, a `timeout`, and `optional = true` when the rule may match no action (otherwise that is
an error, with the nearest category or name); the first matching rule wins. Errors name the
file and line (exit 2).
Example policy: docs/timeouts.example.toml"
    };
}

const PLAN_HELP: &str = concat!(
    policy_help!(),
    "

Examples:
  dactl plan -f timeouts.toml
  dactl plan -f timeouts.toml --detailed-exitcode    # in CI: 0 no drift, 1 error, 2 changes
  dactl plan -f timeouts.toml --show-flows -o json"
);

const APPLY_HELP: &str = concat!(
    policy_help!(),
    "

Examples:
  dactl apply -f timeouts.toml --yes
  dactl runs resume last                             # after an interruption
  dactl undo last --yes                              # put back what the apply changed"
);

const REPORT_HELP: &str = "\
One self-contained page (inline CSS and SVG, no script, no external asset): the distribution of
timeouts, the actions at the platform default, the timeouts that stand out (too tight, or far
above what the latency measured by `dactl probe` calls for), timeouts by category, the probe
results against this org, and every action. Written with mode 0600; `--html -` writes to stdout.

Examples:
  dactl report --html timeouts.html
  dactl report --html - | gzip > timeouts.html.gz
  dactl --sandbox report --html /tmp/sandbox.html -o json";

/// `timeout` subcommands.
#[derive(Debug, Subcommand)]
pub enum TimeoutCommand {
    /// Set the timeout: `dactl timeout set 45s "Get Contact"` or with selectors
    #[command(after_help = "\
DURATION: 30, 30s, 30000ms or 1m; a whole number of seconds from 1 to 60.

Built-in (`static*`) and custom-auth actions cannot take a timeout: named explicitly they are
refused (exit 1); in a selection they are skipped with the reason. A write of more than one
action asks for confirmation on a terminal and needs --yes elsewhere.

Examples:
  dactl timeout set 45s \"Lookup Order Status\"
  dactl timeout set 20 --category Orders --dry-run
  dactl timeout set 1m --name 'Get Queue*' --yes --also-draft
  dactl list --name 'Search*' -o json | jq -r '.[].id' | dactl timeout set 30s --from-file - --yes")]
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
        /// Show how many flows use each action in the plan (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
    /// Remove the explicit timeout (the platform default of 60 s applies)
    #[command(after_help = "\
Examples:
  dactl timeout unset \"Lookup Order Status\"
  dactl timeout unset --category Orders --yes")]
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
        /// Show how many flows use each action in the plan (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
}

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run, newest last
    #[command(after_help = "Example:\n  dactl runs list -o json")]
    List,
    /// One run: its plan and what happened to each action
    #[command(after_help = "Example:\n  dactl runs show last")]
    Show {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
    /// Continue a run that was interrupted or killed; finished actions are not written again
    #[command(after_help = "\
A write whose outcome is unknown (the process died after sending it) is settled by re-reading the
action first. Use the same --region/--base-url/--profile as the run.

Example:
  dactl runs resume last")]
    Resume {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
}

/// `sandbox` subcommands.
// Parsed once per process: the size of the serve flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulator for any client; prints its base URL and credentials
    #[command(after_help = "\
Point any client at the printed base URL: dactl --base-url URL …, the official SDKs (login on the
same host), or curl. Admin endpoints on loopback only: /__emulator/faults, /__emulator/reset,
/__emulator/requests (the request journal), /__emulator/state.
`--tls` serves HTTPS with a throwaway CA and prints the path of its PEM: pass it to dactl with
`--ca-file PATH` (or `SSL_CERT_FILE=PATH`).

Examples:
  dactl sandbox serve --addr 127.0.0.1:8080
  dactl sandbox serve --actions 10000 --rate-limit 300 --faults faults.toml
  dactl sandbox serve --tls --latency 100 --handshake-latency 100")]
    Serve(genesys_emulator::cli::ServeArgs),
    /// Throw away the sandbox's saved state (the next `--sandbox` command starts from the seed org)
    #[command(after_help = "Example:\n  dactl sandbox reset")]
    Reset,
}
