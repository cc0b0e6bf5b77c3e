//! `dactl completions SHELL` and `dactl man`: generated from the clap definitions, so they never
//! drift from the real command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::context::Context;
use crate::error::Exit;

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write dactl.1 and a page per subcommand into this folder
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `dactl completions SHELL`: the script for `cmd` (dactl's whole command line).
pub(crate) fn completions(
    ctx: &Context,
    args: CompletionsArgs,
    mut cmd: clap::Command,
) -> anyhow::Result<Exit> {
    let mut buf: Vec<u8> = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "dactl", &mut buf);
    ctx.printer.emit(&String::from_utf8_lossy(&buf))?;
    Ok(Exit::Ok)
}

/// `dactl man [--dir DIR]`: the man page of `cmd` (dactl's whole command line), or one page
/// per command written into DIR.
pub(crate) fn man(ctx: &Context, args: ManArgs, cmd: clap::Command) -> anyhow::Result<Exit> {
    match args.dir.as_deref() {
        None => {
            let mut buf: Vec<u8> = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            ctx.printer.emit(&String::from_utf8_lossy(&buf))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write man pages to `{}`", dir.display()))?;
            ctx.say(&format!(
                "wrote dactl.1 and one page per subcommand to {}",
                dir.display()
            ));
        }
    }
    Ok(Exit::Ok)
}
