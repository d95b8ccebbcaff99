//! `cargo xtask dist`: what a package or a hand install ships besides the deploy files. It
//! builds the release binaries (`cargo build --release --locked -p panosd -p panosctl`) and
//! writes into `target/dist/`:
//!
//! - `bin/panosd`, `bin/panosctl`: copies of the release binaries;
//! - `completions/bash/{panosd,panosctl}`, `completions/zsh/_{panosd,panosctl}`,
//!   `completions/fish/{panosd,panosctl}.fish`: shell completions (clap_complete);
//! - `man/man8/panosd.8`, `man/man1/panosctl.1` and one `panosctl-<subcommand>.1` page per
//!   subcommand (clap_mangen).
//!
//! The completions and man pages come from the binaries' own command lines
//! (`panosd::cli::command()`, `panosctl::command()`), so they never drift from `--help`.
//! [`generate`] writes them alone into any directory (the tests use a temporary one);
//! [`run`] adds the release build. `deploy/README.md` ("Packages and completions") says where
//! they are installed, and `[package.metadata.deb]` of `crates/panosd` packages them.
//!
//! It writes only under the target directory's `dist/` (which it replaces) or the directory
//! given to [`generate`]; it never installs anything.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap_complete::Shell;
use clap_mangen::Man;

/// The binaries, with the man page section of each (8: a daemon, 1: a user command).
const BINARIES: [(&str, &str); 2] = [("panosd", "8"), ("panosctl", "1")];

/// The shells with completions, and the folder of each under `completions/`.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "bash"),
    (Shell::Zsh, "zsh"),
    (Shell::Fish, "fish"),
];

/// The `clap::Command` of one of [`BINARIES`].
fn command_of(name: &str) -> clap::Command {
    match name {
        "panosd" => panosd::cli::command(),
        _ => panosctl::command(),
    }
}

/// The completion file of `shell` for the command `name`, relative to `completions/<shell>/`.
fn completion_file(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name.to_string(),
    }
}

/// `cargo xtask dist`: the release build, then `target/dist/` (bin, completions, man pages).
/// Prints every file written.
///
/// # Errors
/// The build failing, or a file that cannot be written, as one line.
pub fn run(root: &Path) -> Result<(), String> {
    let built = build_release(root)?;
    let dist = target_dir(root)?.join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist)
            .map_err(|err| format!("cannot clear {}: {err}", dist.display()))?;
    }
    let bin = dist.join("bin");
    create_dir(&bin)?;
    let mut written = Vec::new();
    for (name, _) in BINARIES {
        let source = built
            .iter()
            .find(|path| path.file_name().is_some_and(|file| file == name))
            .ok_or_else(|| format!("cargo build did not report the {name} binary"))?;
        let dest = bin.join(name);
        fs::copy(source, &dest).map_err(|err| {
            format!(
                "cannot copy {} to {}: {err}",
                source.display(),
                dest.display()
            )
        })?;
        written.push(dest);
    }
    written.extend(generate(&dist)?);
    let shown = dist.strip_prefix(root).unwrap_or(&dist);
    println!(
        "xtask dist: wrote {} files under {}/",
        written.len(),
        shown.display()
    );
    for path in &written {
        println!("  {}", path.strip_prefix(&dist).unwrap_or(path).display());
    }
    println!("Package them with: cargo deb -p panosd --no-build (deploy/README.md)");
    Ok(())
}

/// Writes the shell completions and man pages of both binaries under `out`
/// (`completions/<shell>/…`, `man/man<section>/…`), creating the directories; returns every
/// file written.
///
/// # Errors
/// A directory or file that cannot be written.
pub fn generate(out: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (name, section) in BINARIES {
        for (shell, dir) in SHELLS {
            let dir = out.join("completions").join(dir);
            create_dir(&dir)?;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command_of(name), name, &mut script);
            let path = dir.join(completion_file(shell, name));
            write(&path, &script)?;
            written.push(path);
        }
        let dir = out.join("man").join(format!("man{section}"));
        create_dir(&dir)?;
        // As clap_mangen::generate_to does: `build` names each subcommand `panosctl-job-…`,
        // and no page for the `help` subcommand.
        let mut cmd = command_of(name).disable_help_subcommand(true);
        cmd.build();
        man_pages(&cmd, section, &dir, &mut written)?;
    }
    Ok(written)
}

/// The man page of `cmd` and, recursively, of each visible subcommand.
fn man_pages(
    cmd: &clap::Command,
    section: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    // The workspace version: a subcommand's own would read "submit 0.1.0".
    let man = Man::new(cmd.clone())
        .section(section)
        .source(format!("panos-upgrade {}", env!("CARGO_PKG_VERSION")))
        .manual("panos-upgrade");
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|err| format!("cannot render {}: {err}", path.display()))?;
    write(&path, &page)?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        man_pages(sub, section, dir, written)?;
    }
    Ok(())
}

/// `cargo build --release --locked -p panosd -p panosctl`; returns the executables it built.
fn build_release(root: &Path) -> Result<Vec<PathBuf>, String> {
    let args = [
        "build",
        "--release",
        "--locked",
        "-p",
        "panosd",
        "-p",
        "panosctl",
        "--message-format=json-render-diagnostics",
    ];
    eprintln!("xtask dist: cargo {}", args[..7].join(" "));
    let mut child = Command::new(cargo())
        .args(args)
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executables = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|err| format!("cannot read cargo's output: {err}"))?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && let Some(executable) = message["executable"].as_str()
        {
            executables.push(PathBuf::from(executable));
        }
    }
    let status = child
        .wait()
        .map_err(|err| format!("cannot wait for cargo: {err}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }
    Ok(executables)
}

/// The workspace's target directory (`target/`, or what `CARGO_TARGET_DIR` and the cargo
/// configuration say).
fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cannot run cargo metadata: {err}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed ({})", output.status));
    }
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|err| format!("cannot parse cargo metadata: {err}"))?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata has no target_directory".to_string())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))
}

fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    fs::write(path, contents).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

#[cfg(test)]
mod tests;
