//! What every command needs, resolved once: the global options and the environment, dactl's
//! home, the session opener ([`Context::session`]) and the [`Printer`].

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use genesys_client::ClientOptions;

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
    /// Resolve the global options, the environment and the terminal into a context. Bad input
    /// (`--tokens`) is refused here, before any request.
    pub fn new(
        global: GlobalArgs,
        env: EnvVars,
        term: Terminal,
        stop: Arc<AtomicBool>,
        command_line: String,
    ) -> anyhow::Result<Context> {
        if let Some(n) = global.tokens {
            // Bad input is refused before anything else (no request is sent).
            settings::check_tokens(n, "`--tokens`")?;
        }
        let home = settings::resolve_home(&env)?;
        Ok(Context {
            printer: Printer::new(&global, &env, &term),
            crash: env.raw("DACTL_TEST_CRASH_AT").and_then(CrashPoint::parse),
            global,
            env,
            home,
            term,
            stop,
            command_line,
        })
    }

    pub(crate) fn client_options(&self) -> ClientOptions {
        let defaults = ClientOptions::default();
        ClientOptions {
            user_agent: format!("dactl/{}", env!("CARGO_PKG_VERSION")),
            rate_per_minute: self.global.rate,
            // Checked by `session()`; an invalid value never gets this far.
            request_timeout: crate::net::http_timeout(&self.env)
                .ok()
                .flatten()
                .unwrap_or(defaults.request_timeout),
            ..defaults
        }
    }

    /// [`Context::client_options`] for a resolved target: the extra CA (`--ca-file`, else the
    /// profile's `ca_file`), where the endpoint came from, and `DACTL_PRECONNECT`.
    pub(crate) fn connect_options(&self, res: &settings::Resolution) -> ClientOptions {
        let ca_file = self
            .global
            .ca_file
            .clone()
            .or_else(|| res.profile.as_ref().and_then(|(p, _)| p.ca_file.clone()));
        if let Some(f) = &ca_file {
            tracing::info!(file = %f.display(), "extra trusted CA");
        }
        ClientOptions {
            ca_file,
            endpoint_source: Some(res.endpoint_source.clone()),
            preconnect: crate::net::preconnect(&self.env),
            ..self.client_options()
        }
    }

    /// The connection flags of this command line.
    pub(crate) fn connection_flags(&self) -> ConnectionFlags {
        ConnectionFlags {
            region: self.global.region.clone(),
            base_url: self.global.base_url.clone(),
            sandbox: self.global.sandbox,
            profile: self.global.profile.clone(),
            ca_file: self.global.ca_file.clone(),
        }
    }

    /// Resolve flags, environment and profiles (DESIGN §3 precedence), print the warnings, and
    /// read the secret.
    pub(crate) fn resolve_settings(
        &self,
    ) -> anyhow::Result<(settings::Resolution, settings::Target)> {
        let flags = self.connection_flags();
        let files = if flags.sandbox {
            crate::profiles::ConfigFiles::default()
        } else {
            crate::profiles::load_files(&self.env)?
        };
        let res = settings::resolve(&flags, &self.env, &files)?;
        let (target, warnings) = settings::materialize(&res, &self.env)?;
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
        Ok((res, target))
    }

    pub(crate) async fn session(&self) -> anyhow::Result<Session> {
        let (res, target) = self.resolve_settings()?;
        crate::net::http_timeout(&self.env)?;
        let keep = if crate::token_cache::enabled(&self.env)? {
            crate::token_cache::Keep::ReadWrite
        } else {
            crate::token_cache::Keep::Off
        };
        let flag = self.global.tokens.and_then(|n| u32::try_from(n).ok());
        let opts = ClientOptions {
            tokens: settings::tokens(flag, &res),
            ..self.connect_options(&res)
        };
        Session::open(&target, &self.home, opts, keep).await
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
