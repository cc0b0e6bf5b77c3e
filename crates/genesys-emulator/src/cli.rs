//! Command-line settings of the emulator, reusable by other binaries.
//!
//! [`ServeArgs`] is a `clap::Args` group: the `genesys-emulator` binary flattens it, and so can
//! `dactl sandbox serve`. [`ServeArgs::to_config`] turns it into a [`Config`]; fault files are
//! read with [`crate::load_faults`] (TOML or JSON).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    Config, ConflictStatus, OrgCredentials, PatchResponse, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, DEFAULT_ORG_NAME,
};

/// The default listen address of the binary.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8765";

/// Flags of `genesys-emulator` (and `dactl sandbox serve`).
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Client id of the default org.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Client secret of the default org.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Number of synthetic actions added to the realistic seed org.
    #[arg(long, default_value_t = 0)]
    pub actions: usize,
    /// Seed of the synthetic actions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// Requests per minute per token (0 or absent: unlimited); see --rate-limit-scope.
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Whose requests the rate limit counts together: each access token's (`token`) or all
    /// tokens of the OAuth client (`client`); the platform does not say (U19).
    #[arg(long, value_enum, default_value_t = crate::RateLimitScope::Token, value_name = "SCOPE")]
    pub rate_limit_scope: crate::RateLimitScope,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl: u64,
    /// Fault rules to load (TOML or JSON).
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Largest page size honoured by listings.
    #[arg(long, default_value_t = crate::DEFAULT_MAX_PAGE_SIZE)]
    pub max_page_size: u32,
    /// Factor applied to the simulated duration of test/execute calls (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Run-to-run variation of test/execute latency: σ of a log-normal factor (0 = exact).
    #[arg(long, default_value_t = 0.0, value_name = "SIGMA")]
    pub jitter: f64,
    /// Grant the OAuth client only these permissions (repeatable; `*` matches a segment, e.g.
    /// `integrations:action:view`); absent: every permission. Others get the platform's 403.
    #[arg(long = "permission", value_name = "PERM")]
    pub permissions: Vec<String>,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1) with a throwaway CA made at start; its PEM is written
    /// to `--ca-out` and the path printed. The certificate names loopback and every region's
    /// `api.` and `login.` hosts.
    #[arg(long)]
    pub tls: bool,
    /// Where `--tls` writes the CA's PEM (the CA's key is never written).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca_out: Option<PathBuf>,
    /// One network round trip in milliseconds, added per accepted connection for its TCP
    /// handshake and once more for its TLS handshake (with `--latency`, what a first command
    /// pays on a real network).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub handshake_latency: u64,
    /// How a test execution whose remote call timed out is answered: `body` (HTTP 200, the
    /// timeout in the result), `http504` or `http408` (the platform does not say; U18).
    #[arg(long, default_value = "body", value_name = "HOW")]
    pub test_timeout: crate::TestTimeout,
    /// What a successful PATCH answers with: the action with its config (`full`), without it
    /// (`bare`), or an empty body (`empty`); the platform does not document it.
    #[arg(long, value_enum, default_value = "full", value_name = "ANSWER")]
    pub patch_response: PatchResponse,
    /// How a write with a stale version is refused: 409 `request.conflict` or 400 "…does not
    /// match … version"; the platform does not document it.
    #[arg(long, value_enum, default_value = "409", value_name = "STATUS")]
    pub conflict_status: ConflictStatus,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            addr: DEFAULT_ADDR
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8765))),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            actions: 0,
            seed: 42,
            latency: 0,
            rate_limit: None,
            rate_limit_scope: crate::RateLimitScope::Token,
            token_ttl: 86_400,
            faults: None,
            max_page_size: crate::DEFAULT_MAX_PAGE_SIZE,
            time_scale: 1.0,
            jitter: 0.0,
            permissions: Vec::new(),
            tls: false,
            ca_out: None,
            handshake_latency: 0,
            test_timeout: crate::TestTimeout::default(),
            patch_response: PatchResponse::Full,
            conflict_status: ConflictStatus::Conflict409,
        }
    }
}

impl ServeArgs {
    /// The emulator configuration these flags describe (reads the fault file).
    pub fn to_config(&self) -> Result<Config, String> {
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err("client id and secret must not be empty".into());
        }
        if !(self.time_scale.is_finite() && self.time_scale >= 0.0) {
            return Err("--time-scale must be a number of at least 0".into());
        }
        if !(self.jitter.is_finite() && (0.0..=2.0).contains(&self.jitter)) {
            return Err("--jitter must be a number from 0 to 2".into());
        }
        if self.token_ttl == 0 {
            return Err("--token-ttl must be at least 1 second".into());
        }
        let faults = match &self.faults {
            Some(path) => crate::load_faults(path)?,
            None => Vec::new(),
        };
        Ok(Config {
            seed: self.seed,
            synthetic_actions: self.actions,
            latency: Duration::from_millis(self.latency),
            rate_limit_per_minute: self.rate_limit.filter(|n| *n > 0),
            token_ttl: Duration::from_secs(self.token_ttl),
            max_page_size: self.max_page_size.max(1),
            orgs: vec![OrgCredentials {
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
                name: DEFAULT_ORG_NAME.to_owned(),
                permissions: (!self.permissions.is_empty()).then(|| self.permissions.clone()),
                realism: crate::Realism {
                    test_timeout: self.test_timeout,
                    rate_limit_scope: self.rate_limit_scope,
                    patch_response: self.patch_response,
                    conflict_status: self.conflict_status,
                },
            }],
            faults,
            execution_time_scale: self.time_scale,
            execution_jitter: self.jitter,
            handshake_latency: Duration::from_millis(self.handshake_latency),
        })
    }

    /// Serve `emu` as these flags say: plain HTTP, or HTTPS with a throwaway CA whose PEM is
    /// written to `--ca-out` (else `default_ca_out`); returns the server and the PEM's path.
    pub async fn start(
        &self,
        emu: &crate::Emulator,
        default_ca_out: &std::path::Path,
    ) -> std::io::Result<(crate::Running, Option<PathBuf>)> {
        if !self.tls {
            return Ok((emu.serve(self.addr).await?, None));
        }
        let identity = crate::TlsIdentity::generate(crate::tls::default_names())?;
        let path = self
            .ca_out
            .clone()
            .unwrap_or_else(|| default_ca_out.to_path_buf());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, identity.ca_pem.as_bytes()).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot write the CA file `{}`: {e}", path.display()),
            )
        })?;
        let running = emu.serve_tls(self.addr, &identity).await?;
        Ok((running, Some(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn flags_become_a_config() {
        let cli = Cli::try_parse_from([
            "x",
            "--actions",
            "10",
            "--seed",
            "7",
            "--latency",
            "15",
            "--rate-limit",
            "300",
            "--token-ttl",
            "60",
            "--client-id",
            "a",
            "--client-secret",
            "b",
            "--time-scale",
            "0.5",
        ])
        .expect("parse");
        let c = cli.serve.to_config().expect("config");
        assert_eq!((c.synthetic_actions, c.seed), (10, 7));
        assert_eq!(c.latency, Duration::from_millis(15));
        assert_eq!(c.rate_limit_per_minute, Some(300));
        assert_eq!(c.token_ttl, Duration::from_secs(60));
        assert_eq!(c.orgs[0].client_id, "a");
        assert_eq!(c.execution_time_scale, 0.5);
        assert_eq!(c.orgs[0].realism.test_timeout, crate::TestTimeout::Body);
        let t = Cli::try_parse_from(["x", "--test-timeout", "http504"]).expect("parse");
        let c = t.serve.to_config().expect("config");
        assert_eq!(c.orgs[0].realism.test_timeout, crate::TestTimeout::Http504);
        assert!(Cli::try_parse_from(["x", "--test-timeout", "http500"]).is_err());
        assert_eq!(
            c.orgs[0].realism.rate_limit_scope,
            crate::RateLimitScope::Token
        );
        let s = Cli::try_parse_from(["x", "--rate-limit-scope", "client"]).expect("parse");
        let sc = s.serve.to_config().expect("config");
        assert_eq!(
            sc.orgs[0].realism.rate_limit_scope,
            crate::RateLimitScope::Client
        );
        assert!(Cli::try_parse_from(["x", "--rate-limit-scope", "org"]).is_err());
        let p = Cli::try_parse_from(["x", "--patch-response", "bare", "--conflict-status", "400"])
            .expect("parse");
        let r = p.serve.to_config().expect("config").orgs[0].realism;
        assert_eq!(r, crate::Realism::pessimistic());
        assert!(Cli::try_parse_from(["x", "--conflict-status", "412"]).is_err());
        let d = Cli::try_parse_from(["x", "--rate-limit", "0"]).expect("parse");
        let c = d.serve.to_config().expect("config");
        assert_eq!(c.rate_limit_per_minute, None);
        assert_eq!(c.orgs[0].client_id, DEFAULT_CLIENT_ID);
        assert_eq!(ServeArgs::default().addr, d.serve.addr);
        assert!(Cli::try_parse_from(["x", "--token-ttl", "0"])
            .expect("parse")
            .serve
            .to_config()
            .is_err());
    }

    #[test]
    fn permission_flags_limit_the_org() {
        let cfg = Cli::try_parse_from(["x"])
            .expect("parse")
            .serve
            .to_config()
            .expect("config");
        assert_eq!(cfg.orgs[0].permissions, None);
        let cfg = Cli::try_parse_from([
            "x",
            "--permission",
            "integrations:action:view",
            "--permission",
            "bridge:*:*",
        ])
        .expect("parse")
        .serve
        .to_config()
        .expect("config");
        assert_eq!(
            cfg.orgs[0].permissions,
            Some(vec![
                "integrations:action:view".to_string(),
                "bridge:*:*".to_string()
            ])
        );
    }
}
