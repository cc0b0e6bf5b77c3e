//! What every command needs, resolved once: the global options and the environment, dactl's
//! home, the session opener ([`Context::session`]) and the [`Printer`].

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::args::GlobalArgs;
use crate::engine::CrashPoint;
use crate::printer::Printer;
pub use crate::printer::Terminal;
use crate::session::Session;
use crate::settings::{self, ConnectionFlags, EnvVars};

/// Everything a command needs, resolved once. Commands are free functions over a `&Context`
/// (see [`crate::commands`]).
pub struct Context {
    pub(crate) global: GlobalArgs,
    pub(crate) env: EnvVars,
    pub(crate) home: PathBuf,
    pub(crate) printer: Printer,
    pub(crate) term: Terminal,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) crash: Option<CrashPoint>,
    pub(crate) command_line: String,
}

impl Context {
    /// Resolve the global options, the environment and the terminal into a context
    /// ([`settings::Common::resolve`]). Bad input (`--tokens`, the state folder) is refused
    /// here, before any request.
    pub fn new(
        global: GlobalArgs,
        env: EnvVars,
        term: Terminal,
        stop: Arc<AtomicBool>,
        command_line: String,
    ) -> anyhow::Result<Context> {
        let common = settings::Common::resolve(&global, &env)?;
        Ok(Context {
            printer: Printer::new(&global, &common, &term),
            crash: env
                .raw(crate::env::DACTL_TEST_CRASH_AT)
                .and_then(CrashPoint::parse),
            home: common.home,
            global,
            env,
            term,
            stop,
            command_line,
        })
    }

    /// The connection flags of this command line.
    pub(crate) fn connection_flags(&self) -> ConnectionFlags {
        ConnectionFlags::from_global(&self.global)
    }

    /// Resolve the settings of a command that connects (DESIGN §3 precedence; see
    /// [`settings::Settings::resolve`]), read the secret, and print the warnings.
    pub(crate) fn resolve_settings(&self) -> anyhow::Result<settings::Settings> {
        let files = if self.global.sandbox {
            crate::profiles::ConfigFiles::default()
        } else {
            crate::profiles::load_files(&self.env)?
        };
        let mut settings = settings::Settings::resolve(&self.global, &self.env, &files)?;
        let warnings = settings.read_secret(&self.env)?;
        let res = &settings.resolution;
        for w in res.warnings.iter().chain(&warnings) {
            self.warn(w);
        }
        if let settings::TargetSpec::Remote {
            environment,
            source,
            ..
        } = &res.target
        {
            tracing::info!(api = %environment.api_base, endpoint_from = %res.endpoint_source, credentials_from = %source, "target resolved");
        }
        Ok(settings)
    }

    /// Open a session on the resolved target ([`Session::open`], the only way to open one).
    pub(crate) async fn session(&self) -> anyhow::Result<Session> {
        Session::open(&self.resolve_settings()?).await
    }

    /// A next step to print: `dactl` with this command line's target flags, then `args`,
    /// shell-quoted (see [`crate::suggest`]).
    pub(crate) fn next_step(&self, args: &[&str]) -> String {
        crate::suggest::next_step(&self.connection_flags(), args)
    }

    /// A message on stderr (not with `--quiet`).
    pub(crate) fn say(&self, msg: &str) {
        self.printer.say(msg);
    }

    /// A `warning:` line on stderr (shown even with `--quiet`).
    pub(crate) fn warn(&self, msg: &str) {
        self.printer.warn(msg);
    }
}
