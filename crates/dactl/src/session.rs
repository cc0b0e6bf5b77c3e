//! A connection to the API for one command: the client, and the in-process sandbox emulator
//! when `--sandbox` is used.
//!
//! The sandbox is the emulator running on 127.0.0.1 inside this process, with its state loaded
//! from and saved to `$DACTL_HOME/sandbox/state.json`, so that successive commands see earlier
//! changes. It uses the emulator's built-in sandbox credentials; no real credentials are needed
//! or read.

use std::path::{Path, PathBuf};

use anyhow::Context;
use genesys_client::{Client, Credentials, Environment, Secret};
use genesys_emulator::Emulator;

use crate::fsutil;
use crate::settings::{Settings, Target};

/// Run-to-run variation of the sandbox's test-execution latency (σ of a log-normal factor),
/// so that `dactl probe` meets a realistic spread instead of one exact figure.
pub const SANDBOX_JITTER: f64 = 0.2;

/// The in-process emulator of `--sandbox`.
pub struct Sandbox {
    emulator: Emulator,
    running: Option<genesys_emulator::Running>,
    state_file: PathBuf,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("state_file", &self.state_file)
            .finish()
    }
}

/// The sandbox state file under `home`.
pub fn sandbox_state_file(home: &Path) -> PathBuf {
    home.join("sandbox").join("state.json")
}

impl Sandbox {
    /// Start the sandbox, loading its saved state if there is one.
    pub async fn start(home: &Path) -> anyhow::Result<Sandbox> {
        let emulator = Emulator::new(genesys_emulator::Config {
            execution_jitter: SANDBOX_JITTER,
            ..genesys_emulator::Config::default()
        });
        let state_file = sandbox_state_file(home);
        match std::fs::read(&state_file) {
            Ok(bytes) => {
                let doc: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| {
                    format!(
                        "the sandbox state `{}` is damaged; `dactl sandbox reset` starts afresh",
                        state_file.display()
                    )
                })?;
                emulator.load_state(doc).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot load the sandbox state: {e}; `dactl sandbox reset` starts afresh"
                    )
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read `{}`", state_file.display()))
            }
        }
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
        let running = emulator
            .serve(addr)
            .await
            .context("cannot start the sandbox emulator")?;
        Ok(Sandbox {
            emulator,
            running: Some(running),
            state_file,
        })
    }

    /// Base URL of the running emulator.
    pub fn base_url(&self) -> String {
        self.running
            .as_ref()
            .map(|r| r.base_url.clone())
            .unwrap_or_default()
    }

    /// Save the state to disk.
    pub fn save(&self) -> anyhow::Result<()> {
        let doc = self.emulator.state();
        fsutil::write_private(&self.state_file, &serde_json::to_vec(&doc)?).with_context(|| {
            format!(
                "cannot save the sandbox state to `{}`",
                self.state_file.display()
            )
        })
    }

    /// Stop serving and save the state.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.save()?;
        if let Some(r) = self.running.take() {
            r.shutdown();
        }
        Ok(())
    }
}

/// An open connection.
pub struct Session {
    /// The API client.
    pub client: Client,
    /// The sandbox, when `--sandbox`.
    pub sandbox: Option<Sandbox>,
    /// The API base URL, for plans and messages.
    pub api_base: String,
    /// The versions earlier commands saw (not for the sandbox); saved on close.
    pub seen: Option<crate::seen::Seen>,
    /// The integrations listing that tells function data actions apart, read once per
    /// command alongside the first actions read (see [`crate::functions`]).
    pub integrations: crate::functions::IntegrationsPrefetch,
}

impl Session {
    /// Connect as the settings say: the sandbox, or a remote org with the settings' client
    /// options, keeping the access token between commands as `settings.token_cache` says
    /// (never for the sandbox, whose tokens die with the process). The only way to open a
    /// session; the secret must have been read ([`Settings::read_secret`]).
    pub async fn open(settings: &Settings) -> anyhow::Result<Session> {
        let home = settings.common.home.as_path();
        let keep = settings.token_cache;
        let target = settings.target()?;
        let mut opts = settings.client_options();
        match &target {
            Target::Sandbox => {
                let sandbox = Sandbox::start(home).await?;
                let environment = Environment::from_base_url(&sandbox.base_url())?;
                let credentials = Credentials {
                    client_id: genesys_emulator::DEFAULT_CLIENT_ID.to_string(),
                    client_secret: Secret::new(genesys_emulator::DEFAULT_CLIENT_SECRET),
                    source: "the built-in sandbox".to_string(),
                };
                let client = Client::new(environment, credentials, opts)?;
                Ok(Session {
                    client,
                    api_base: "sandbox".to_string(),
                    sandbox: Some(sandbox),
                    seen: None,
                    integrations: Default::default(),
                })
            }
            Target::Remote {
                environment,
                credentials,
            } => {
                if keep != crate::token_cache::Keep::Off {
                    opts.token_store = Some(std::sync::Arc::new(
                        crate::token_cache::FileTokenStore::new(
                            home,
                            environment,
                            credentials,
                            keep == crate::token_cache::Keep::ReadWrite,
                        ),
                    ));
                }
                let client = Client::new(environment.clone(), credentials.clone(), opts)?;
                Ok(Session {
                    client,
                    api_base: environment.api_base.clone(),
                    sandbox: None,
                    seen: Some(crate::seen::Seen::load(
                        home,
                        &environment.api_base,
                        &credentials.client_id,
                    )),
                    integrations: Default::default(),
                })
            }
        }
    }

    /// Save sandbox state (if any) now, e.g. after each write.
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        if let Some(s) = &self.sandbox {
            s.save()?;
        }
        Ok(())
    }

    /// Close the session (saves the sandbox state).
    pub fn close(self) -> anyhow::Result<()> {
        // The next command takes over the token with its rate budget as this one leaves it.
        self.client.save_token_usage();
        if let Some(seen) = &self.seen {
            seen.save();
        }
        if let Some(s) = self.sandbox {
            s.finish()?;
        }
        Ok(())
    }
}
