//! The argument groups shared by every command (global options, output formats, selectors):
//! clap definitions only, with no dependency on the commands, so that settings, the context
//! and the commands can all use them (DESIGN.md §3).

use clap::Args;

use crate::output::Format;

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
