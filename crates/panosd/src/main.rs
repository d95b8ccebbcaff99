//! `panosd`: parses the command line, reads the configuration, and runs the daemon until
//! SIGTERM or SIGINT. Everything else is in the library ([`panosd::run`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};
use panosd::logging::Console;
use panosd::{DaemonConfig, config};
use tokio_util::sync::CancellationToken;

/// The panos-upgrade daemon: upgrades PAN-OS firewalls through Panorama, driven by JSON files
/// in the state directory.
#[derive(Debug, Parser)]
#[command(name = "panosd", version)]
struct Args {
    /// The state directory [default: $PANOS_UPGRADE_HOME, else /var/lib/panos-upgrade].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// The configuration file [default: <state-dir>/config/config.json].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log to the console too (the default when standard error is a terminal).
    #[arg(long)]
    foreground: bool,
}

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
