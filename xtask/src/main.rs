//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask ci`: what CI runs: `cargo fmt --check`, clippy with `-D warnings`, the tests.
//! - `cargo xtask tidy`: the crate dependency rules of DESIGN.md and the module-doc rule (the
//!   same check runs as a test under plain `cargo test`).
//! - `cargo xtask schema [--check]`: regenerates `docs/schema/*.json` from the Rust types.
//! - `cargo xtask bench [--quick]`: the performance figures of issue #10 (docs/benchmarks.md).
//! - `cargo xtask deploy`: checks `deploy/` (the systemd unit with `systemd-analyze`, the
//!   tmpfiles.d layout, the example configuration and upgrade paths); also a test.
//! - `cargo xtask chaos [--quick]`: the reliability suite (crash loop, fault matrix, bad
//!   input, secrets) against panos-sim and the real `panosd`; `--quick` also runs as a test.
//! - `cargo xtask dist`: the release binaries, shell completions and man pages in
//!   `target/dist/` (what `cargo deb -p panosd --no-build` packages; deploy/README.md).

mod bench;
mod chaos;
mod deploy;
mod dist;
mod schema;
mod tidy;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench::run(&tidy::workspace_root(), &args[1..]),
        Some("tidy") => tidy::check(&tidy::workspace_root()).map_err(|problems| {
            for problem in &problems {
                eprintln!("tidy: {problem}");
            }
            format!("{} tidy problem(s)", problems.len())
        }),
        Some("deploy") => deploy::run(&tidy::workspace_root()),
        Some("chaos") => chaos::run(&args[1..]),
        Some("dist") => dist::run(&tidy::workspace_root()),
        Some("schema") => schema::run(&tidy::workspace_root(), args.iter().any(|a| a == "--check")),
        _ => {
            eprintln!("usage: cargo xtask <ci|tidy|deploy|dist|schema [--check]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result<(), String> {
    let root = tidy::workspace_root();
    let steps: [&[&str]; 3] = [
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &["test", "--workspace", "--locked"],
    ];
    for step in steps {
        eprintln!("xtask ci: cargo {}", step.join(" "));
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(step)
            .current_dir(&root)
            .status()
            .map_err(|err| format!("cannot run cargo: {err}"))?;
        if !status.success() {
            return Err(format!("`cargo {}` failed ({status})", step.join(" ")));
        }
    }
    Ok(())
}
