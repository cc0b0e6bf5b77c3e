//! The command line (DESIGN.md §3): the clap definitions of `dactl` and its commands, and the
//! one dispatch from a parsed command to its module under [`crate::commands`]. Each command's
//! arguments live with the command; the groups every command shares live in [`crate::args`].

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

pub use crate::args::{GlobalArgs, OutputArg, SelectorArgs};
use crate::commands::{
    auth, backup, flows, get, list, meta, policy, probe, profiles, report, restore, runs, sandbox,
    timeout, undo,
};
use crate::context::{Context, Terminal};
use crate::error::Exit;
use crate::settings::EnvVars;

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
    List(list::ListArgs),
    /// Show one action; `-o json` prints the full action with template text inlined
    #[command(after_help = "\
`-o json` prints the action exactly as the API holds it, with the text of its Velocity templates
inlined in place of their URIs: a complete, restorable document (`dactl restore FILE`).

Examples:
  dactl get \"Lookup Order Status\"
  dactl get 3f0c6a1e-... -o json > lookup.json      # later: dactl restore lookup.json")]
    Get(get::GetArgs),
    /// Set or remove the execution timeout of actions
    #[command(
        subcommand,
        after_help = "\
Every write backs the action up first, sends its full config (templates inlined) with only the
timeout changed, verifies the result and journals it: `dactl undo RUN` puts it back."
    )]
    Timeout(timeout::TimeoutCommand),
    /// Past runs: list, show, resume
    #[command(
        subcommand,
        after_help = "\
Runs live in $DACTL_HOME/runs/<run-id>/: plan.json, journal.ndjson, backups/ (pre-images, 0600).
RUN is an id, a unique prefix of one, or `last` (for `resume`: the newest run against the target
that --sandbox/--base-url/--region/--profile and the environment choose)."
    )]
    Runs(runs::RunsCommand),
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
    Undo(undo::UndoArgs),
    /// Save selected actions (config with template text inlined) as JSON files plus an index
    #[command(after_help = "\
Writes DIR/<action-id>.json (the same document as `dactl get -o json`) and DIR/index.json, all
mode 0600. `dactl restore DIR` writes them back.

Examples:
  dactl backup --all --out backup-$(date +%F)
  dactl backup --category Orders --out orders")]
    Backup(backup::BackupArgs),
    /// The built-in emulator of the Genesys Cloud API
    #[command(
        subcommand,
        after_help = "\
`dactl --sandbox COMMAND` runs any command against an emulator inside dactl (state kept in
$DACTL_HOME/sandbox/). `dactl sandbox serve` serves it for any client, e.g. the gc CLI or an SDK."
    )]
    Sandbox(sandbox::SandboxCommand),
    /// Run an action's test N times, time each call and recommend a timeout (p99 × 3)
    #[command(after_help = PROBE_HELP)]
    Probe(probe::ProbeArgs),
    /// List the Architect flows that use an action (dependency tracking; advisory)
    #[command(after_help = FLOWS_HELP)]
    Flows(flows::FlowsArgs),
    /// Show what a policy file (timeouts as code) would change in the org; writes nothing
    #[command(after_help = PLAN_HELP)]
    Plan(policy::PlanArgs),
    /// Apply a policy file as a bulk run (confirmation, backups, resume and undo as usual)
    #[command(after_help = APPLY_HELP)]
    Apply(policy::ApplyArgs),
    /// Write a self-contained HTML page about every action's timeout (and stored probes)
    #[command(after_help = REPORT_HELP)]
    Report(report::ReportArgs),
    /// Check the credentials: get a token, list one action, probe the edit permission
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Profiles from dactl's config and the gc CLI's ~/.gc/config.toml
    #[command(subcommand, after_help = PROFILES_HELP)]
    Profiles(profiles::ProfilesCommand),
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
    Restore(restore::RestoreArgs),
    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  dactl completions bash > ~/.local/share/bash-completion/completions/dactl
  dactl completions zsh > \"${fpath[1]}/_dactl\"
  dactl completions fish > ~/.config/fish/completions/dactl.fish
  dactl completions powershell >> $PROFILE")]
    Completions(meta::CompletionsArgs),
    /// Print the man page (or write one page per command with --dir)
    #[command(after_help = "\
Examples:
  dactl man | man -l -
  dactl man --dir /usr/local/share/man/man1")]
    Man(meta::ManArgs),
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

/// Run a parsed command line. Returns the exit code for a handled outcome; errors are rendered
/// by the caller.
pub async fn run(
    cli: Cli,
    env: EnvVars,
    term: Terminal,
    stop: Arc<AtomicBool>,
    command_line: String,
) -> anyhow::Result<Exit> {
    let ctx = Context::new(cli.global, env, term, stop, command_line)?;
    cli.command.run(&ctx).await
}

impl Command {
    /// Run this command: the one dispatch, each command to its module's `run`.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<Exit> {
        match self {
            Command::List(a) => list::run(ctx, a).await,
            Command::Get(a) => get::run(ctx, a).await,
            Command::Timeout(a) => timeout::run(ctx, a).await,
            Command::Runs(a) => runs::run(ctx, a).await,
            Command::Undo(a) => undo::run(ctx, a).await,
            Command::Backup(a) => backup::run(ctx, a).await,
            Command::Sandbox(a) => sandbox::run(ctx, a).await,
            Command::Probe(a) => probe::run(ctx, a).await,
            Command::Flows(a) => flows::run(ctx, a).await,
            Command::Plan(a) => policy::plan(ctx, a).await,
            Command::Apply(a) => policy::apply(ctx, a).await,
            Command::Report(a) => report::run(ctx, a).await,
            Command::Auth(a) => auth::run(ctx, a).await,
            Command::Profiles(a) => profiles::run(ctx, a).await,
            Command::Restore(a) => restore::run(ctx, a).await,
            Command::Completions(a) => meta::completions(ctx, a, Cli::command()),
            Command::Man(a) => meta::man(ctx, a, Cli::command()),
        }
    }
}
