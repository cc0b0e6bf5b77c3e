//! The `dactl` binary: parse, run, render errors, exit with the documented code.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};
use dactl::cli::Cli;
use dactl::env::{self as vars, EnvVars};
use dactl::error::{self, Exit};
use dactl::printer::Terminal;

fn main() {
    let code = real_main();
    std::process::exit(code);
}

fn real_main() -> i32 {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let cli = match parsed {
        Ok((mut c, m)) => {
            c.global.concurrency_given =
                m.value_source("concurrency") == Some(clap::parser::ValueSource::CommandLine);
            c
        }
        Err(e) => {
            // `plan --detailed-exitcode` keeps 2 for "changes present": a usage error is 1.
            let detailed = std::env::args().any(|a| a == "--detailed-exitcode");
            let code = match (e.use_stderr(), detailed) {
                (false, _) => 0,
                (true, true) => Exit::Failed.code(),
                (true, false) => Exit::Usage.code(),
            };
            let _ = e.print();
            return code;
        }
    };
    let env = EnvVars::from_pairs(
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
    );
    // Logs go to stderr; colour only on a terminal, never with NO_COLOR or --no-color.
    let log_ansi = std::io::stderr().is_terminal()
        && !cli.global.no_color
        && env.raw(vars::NO_COLOR).is_none_or(str::is_empty);
    init_logging(
        cli.global.verbose,
        cli.global.quiet,
        env.raw(vars::DACTL_LOG),
        log_ansi,
    );
    // Test hook (as DACTL_TEST_CRASH_AT): `DACTL_TEST_TTY=1` makes the transcript tests see
    // what a terminal shows (fitted tables, summaries, the prompt), with COLUMNS as the width.
    let fake_tty = env.raw(vars::DACTL_TEST_TTY) == Some("1");
    let term = Terminal {
        stdin_tty: fake_tty || std::io::stdin().is_terminal(),
        stdout_tty: fake_tty || std::io::stdout().is_terminal(),
        stderr_tty: fake_tty || std::io::stderr().is_terminal(),
        width: terminal_width(&env),
    };
    let command_line = redacted_command_line();
    // Started only after parsing (`--help` and `--version` never start it). dactl waits on the
    // network far more than it computes: a few workers are plenty, and a machine with many
    // cores should not pay for one thread per core at every start.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Failed.code();
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let result = runtime.block_on(async {
        let s = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                s.store(true, Ordering::SeqCst);
                eprintln!("\ninterrupted: finishing the writes in flight (Ctrl-C again to abort)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(Exit::Interrupted.code());
                }
            }
        });
        dactl::cli::run(cli, env, term, stop.clone(), command_line).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            eprint!("{}", error::render(&e));
            error::exit_code_for(&e).code()
        }
    }
}

/// `COLUMNS` when set, else the terminal's width (comfy-table asks the terminal), else 120.
/// Only used when stdout is a terminal.
fn terminal_width(env: &EnvVars) -> Option<u16> {
    env.raw(vars::COLUMNS)
        .and_then(|c| c.trim().parse().ok())
        .filter(|w: &u16| *w >= 20)
        .or_else(|| comfy_table::Table::new().width())
        .or(Some(120))
}

/// The command line for plans and journals. Flags never carry secrets (they come from the
/// environment or a profile), but a `--client-secret` of `sandbox serve` is masked anyway.
fn redacted_command_line() -> String {
    let mut out = Vec::new();
    let mut mask_next = false;
    for a in std::env::args().skip(1) {
        if mask_next {
            out.push("***".to_string());
            mask_next = false;
            continue;
        }
        if a == "--client-secret" {
            mask_next = true;
        }
        if a.starts_with("--client-secret=") {
            out.push("--client-secret=***".to_string());
            continue;
        }
        out.push(if a.contains(' ') {
            format!("\"{a}\"")
        } else {
            a
        });
    }
    format!("dactl {}", out.join(" "))
}

/// `-v`: dactl's steps (the resolved target and where its parts came from); `-vv`: every HTTP
/// request with its status and `ININ-Correlation-ID`; `-vvv`: everything, including the HTTP
/// stack. `DACTL_LOG` (a tracing filter such as `genesys_client=debug`) replaces the level.
/// Secrets and tokens are never logged at any level.
fn init_logging(verbose: u8, quiet: bool, filter: Option<&str>, ansi: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info,dactl=info,genesys_client=info",
        (false, 2) => "info,dactl=debug,genesys_client=debug",
        (false, _) => "debug,dactl=trace,genesys_client=trace,hyper=info,reqwest=debug",
    };
    let filter = filter
        .filter(|f| !f.trim().is_empty())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(verbose >= 2)
        .try_init();
}
