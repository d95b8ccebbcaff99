//! `panosctl`: the operator's command line for panos-upgrade. It speaks the shared-directory
//! protocol of `docs/protocol.md` (the daemon is the one process that talks to Panorama), and
//! runs the demo (simulator + daemon in-process).
//!
//! The binary is [`run`]: it parses the arguments, dispatches to the module of each command,
//! and maps errors to exit codes (see `error.rs`). [`command`] is the same command line as a
//! [`clap::Command`], for generating shell completions and man pages (`cargo xtask dist`).
//! Everything else is private: this library exists for those two functions, not as an API.

mod cli;
mod commands;
mod config;
mod daemon;
mod demo;
mod device;
mod error;
mod job;
mod job_list;
mod job_view;
mod output;
mod paths;
mod select;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use panos_queue::StateDir;

use crate::cli::{Cli, Command};

/// The `panosctl` command line (every subcommand and option) as a [`clap::Command`], for shell
/// completions and man pages.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Runs `panosctl` with the process's arguments: parses them (printing help or a usage error
/// and exiting as clap does), runs the command, and returns its exit code (0 ok; 1 the
/// operation failed; 2 usage or configuration error; 3 the daemon is not running).
pub fn run() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("panosctl: {err}");
    }
    quiet_broken_pipe();
    let cli = Cli::parse();
    let state = StateDir::resolve(cli.state_dir);
    let result = match cli.command {
        Command::Daemon(c) => daemon::run(&state, c),
        Command::Job(c) => job::run(&state, c),
        Command::Device(c) => device::run(&state, c),
        Command::Config(c) => config::run(&state, c),
        Command::Path(c) => paths::run(&state, c),
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("panosctl: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// `panosctl job list | head` must end quietly when the reader goes away, not with a panic
/// report (Rust ignores SIGPIPE, so `println!` panics on a closed pipe).
fn quiet_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        previous(info);
    }));
}
