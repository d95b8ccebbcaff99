//! `panosctl`: the operator's command line for panos-upgrade. Everything is in the library
//! ([`panosctl::run`]): this file only hands it the process.

use std::process::ExitCode;

fn main() -> ExitCode {
    panosctl::run()
}
