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
    limit_malloc_arenas();
    color_eyre::install()?;
    let args = Args::parse();
    // The signal handlers first: a SIGTERM while the configuration is read (systemd stopping
    // a daemon it just started) ends the daemon cleanly instead of killing it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ASYNC_THREADS)
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let signals = {
        let _entered = runtime.enter();
        Signals::listen()
    };
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
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(signals.stop_on_first(shutdown.clone()));
        let result = panosd::run(daemon, shutdown).await;
        signals.abort();
        result.wrap_err("panosd stopped with an error")
    })
}

/// Threads that run the daemon's tasks (file writes run beside them, on the runtime's
/// blocking threads). The daemon waits on Panorama and on devices: in the 10,000-device
/// benchmark its 50 jobs keep well under one core busy, and a second thread, one per core
/// on two cores, cost a fifth more CPU per upgrade in wake-ups between the two. A long piece of
/// work (reading a route table of 200,000 routes, comparing it) delays the other jobs' next
/// poll by that long, a fraction of a second.
const ASYNC_THREADS: usize = 1;

/// Holds glibc's allocator to two arenas. By default a thread that meets contention gets an
/// arena of its own, up to eight per core, and each arena keeps the memory it once held: with
/// the runtime's blocking threads (one per file write in flight, about 70 under 50 workers)
/// 10,000 upgrades peaked at 196 MB resident for some 36 MB in use; with two arenas, at 80 MB.
/// Called first, while the process has one thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    /// `M_ARENA_MAX` of glibc's `<malloc.h>`.
    const M_ARENA_MAX: std::ffi::c_int = -8;
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    // SAFETY: mallopt only sets a parameter of the allocator, which it locks for that.
    unsafe {
        mallopt(M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

/// SIGTERM and SIGINT, listened for from the start.
struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    /// Installs the handlers (within the runtime).
    fn listen() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Self(Some((term, int))),
            _ => {
                eprintln!("panosd: cannot listen for SIGTERM/SIGINT; stop it with SIGKILL");
                Self(None)
            }
        }
    }

    /// Fires `shutdown` on the first SIGTERM or SIGINT (one received before counts).
    async fn stop_on_first(self, shutdown: CancellationToken) {
        let Some((mut term, mut int)) = self.0 else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        shutdown.cancel();
    }
}
