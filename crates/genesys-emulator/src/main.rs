//! `genesys-emulator`: serve the emulated Genesys Cloud integrations-actions API.
//!
//! Parses [`ServeArgs`], builds the emulator, prints the base URL and the default org's
//! credentials, and serves until Ctrl-C.

use clap::Parser;
use genesys_emulator::cli::ServeArgs;
use genesys_emulator::Emulator;

/// An offline emulator of the Genesys Cloud integrations-actions API.
#[derive(Debug, Parser)]
#[command(name = "genesys-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match cli.serve.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let emu = Emulator::new(config);
        let default_ca = std::env::temp_dir().join("genesys-emulator-ca.pem");
        let (running, ca) = match cli.serve.start(&emu, &default_ca).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot listen on `{}`: {e}", cli.serve.addr);
                return std::process::ExitCode::from(1);
            }
        };
        println!("genesys-emulator listening on {}", running.base_url);
        println!("client id:     {}", cli.serve.client_id);
        println!("client secret: {}", cli.serve.client_secret);
        if let Some(ca) = ca {
            println!("CA file:       {}", ca.display());
        }
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown();
        std::process::ExitCode::SUCCESS
    })
}
