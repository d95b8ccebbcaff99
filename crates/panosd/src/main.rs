//! `panosd`: parses the command line, reads the configuration, and runs the daemon until
//! SIGTERM or SIGINT. Everything else is in the library ([`panosd::run`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};
use panosd::cli::Args;
use panosd::logging::Console;
use panosd::{DaemonConfig, config};
use tokio_util::sync::CancellationToken;

fn main() -> Result<()> {
    color_eyre::install()?;
    let args = Args::parse();
    let state_dir = config::state_dir_from(args.state_dir, std::env::var_os(config::HOME_ENV));
    let mut daemon =
        DaemonConfig::load(&state_dir, args.config.as_deref()).wrap_err("cannot start panosd")?;
    daemon.credentials_dir = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    daemon.console = if std::env::var_os("JOURNAL_STREAM").is_some() {
        Console::Journal
    } else if args.foreground || std::io::stderr().is_terminal() {
        Console::Terminal
    } else {
        Console::Off
    };
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(stop_on_signal(shutdown.clone()));
        let result = panosd::run(daemon, shutdown).await;
        signals.abort();
        result.wrap_err("panosd stopped with an error")
    })
}

/// Fires `shutdown` on the first SIGTERM or SIGINT.
async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("panosd: cannot listen for SIGTERM/SIGINT; stop it with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    shutdown.cancel();
}
