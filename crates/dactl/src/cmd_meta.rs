//! `dactl completions SHELL` and `dactl man`: generated from the clap definitions, so they never
//! drift from the real command line.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::app::App;
use crate::cli::Cli;
use crate::error::Exit;
use crate::output;

impl App {
    pub(crate) fn completions(&self, shell: clap_complete::Shell) -> anyhow::Result<Exit> {
        let mut cmd = Cli::command();
        let mut buf: Vec<u8> = Vec::new();
        clap_complete::generate(shell, &mut cmd, "dactl", &mut buf);
        output::emit(&String::from_utf8_lossy(&buf))?;
        Ok(Exit::Ok)
    }

    pub(crate) fn man(&self, dir: Option<&Path>) -> anyhow::Result<Exit> {
        let cmd = Cli::command();
        match dir {
            None => {
                let mut buf: Vec<u8> = Vec::new();
                clap_mangen::Man::new(cmd).render(&mut buf)?;
                output::emit(&String::from_utf8_lossy(&buf))?;
            }
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
                clap_mangen::generate_to(cmd, dir)
                    .with_context(|| format!("cannot write man pages to `{}`", dir.display()))?;
                self.say(&format!(
                    "wrote dactl.1 and one page per subcommand to {}",
                    dir.display()
                ));
            }
        }
        Ok(Exit::Ok)
    }
}
