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
mod tests {
    use super::*;

    /// Where a tool is on `PATH`, if it is.
    fn tool(name: &str) -> Option<PathBuf> {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    }

    fn generated() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let written = generate(dir.path()).expect("completions and man pages are written");
        (dir, written)
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// Runs a bash script with `args` as `$1…`; returns its standard output.
    fn bash(bash: &Path, script: &str, args: &[&Path]) -> String {
        let output = Command::new(bash)
            .arg("-c")
            .arg(script)
            .arg("bash")
            .args(args)
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "bash failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    #[test]
    fn writes_every_completion_and_man_page_and_reports_them() {
        let (dir, written) = generated();
        let out = dir.path();
        for expected in [
            "completions/bash/panosd",
            "completions/bash/panosctl",
            "completions/zsh/_panosd",
            "completions/zsh/_panosctl",
            "completions/fish/panosd.fish",
            "completions/fish/panosctl.fish",
            "man/man8/panosd.8",
            "man/man1/panosctl.1",
            "man/man1/panosctl-job.1",
            "man/man1/panosctl-job-submit.1",
            "man/man1/panosctl-daemon-start.1",
            "man/man1/panosctl-config-set.1",
        ] {
            let path = out.join(expected);
            assert!(
                written.contains(&path),
                "{expected} is not reported as written"
            );
            assert!(
                fs::metadata(&path).is_ok_and(|meta| meta.len() > 0),
                "{expected} is missing or empty"
            );
        }
        for path in &written {
            assert!(
                path.is_file(),
                "{} is reported but not written",
                path.display()
            );
        }
        // No page for clap's `help` subcommand.
        assert!(!out.join("man/man1/panosctl-help.1").exists());
    }

    #[test]
    fn bash_completions_register_and_complete_subcommands() {
        let Some(bash_path) = tool("bash") else {
            eprintln!("skipped: bash is not installed");
            return;
        };
        let (dir, _) = generated();
        let completions = dir.path().join("completions/bash");
        for name in ["panosctl", "panosd"] {
            let registered = bash(
                &bash_path,
                &format!("source \"$1\" && complete -p {name}"),
                &[&completions.join(name)],
            );
            assert!(
                registered.starts_with("complete ") && registered.trim_end().ends_with(name),
                "no completion registered for {name}: {registered:?}"
            );
        }
        // What `panosctl job s<TAB>` and `panosctl d<TAB>` offer.
        let offered = bash(
            &bash_path,
            "source \"$1\"
             COMP_WORDS=(panosctl job s); COMP_CWORD=2; _panosctl panosctl s job
             printf '%s\\n' \"${COMPREPLY[@]}\"; echo --
             COMP_WORDS=(panosctl d); COMP_CWORD=1; _panosctl panosctl d panosctl
             printf '%s\\n' \"${COMPREPLY[@]}\"",
            &[&completions.join("panosctl")],
        );
        let (job, top) = offered.split_once("--\n").expect("two answers");
        assert!(job.lines().any(|word| word == "submit"), "job s: {job:?}");
        assert!(
            job.lines().all(|word| word.starts_with('s')),
            "job s: {job:?}"
        );
        for word in ["daemon", "device", "demo"] {
            assert!(top.lines().any(|w| w == word), "d: {top:?} lacks {word}");
        }
        let daemon = bash(
            &bash_path,
            "source \"$1\"
             COMP_WORDS=(panosd --st); COMP_CWORD=1; _panosd panosd --st panosd
             printf '%s\\n' \"${COMPREPLY[@]}\"",
            &[&completions.join("panosd")],
        );
        assert_eq!(daemon.trim(), "--state-dir");
    }

    #[test]
    fn zsh_and_fish_completions_name_the_command_and_parse() {
        let (dir, _) = generated();
        let completions = dir.path().join("completions");
        for name in ["panosctl", "panosd"] {
            let zsh = completions.join("zsh").join(format!("_{name}"));
            let text = read(&zsh);
            assert!(
                text.starts_with(&format!("#compdef {name}")),
                "{}",
                zsh.display()
            );
            assert!(text.contains("--state-dir"), "{}", zsh.display());
            let fish = completions.join("fish").join(format!("{name}.fish"));
            let text = read(&fish);
            assert!(
                text.contains(&format!("complete -c {name} ")),
                "{}",
                fish.display()
            );
            assert!(text.contains("-l state-dir"), "{}", fish.display());
            for (shell, file) in [("zsh", &zsh), ("fish", &fish)] {
                let Some(shell_path) = tool(shell) else {
                    eprintln!("skipped: {shell} -n (not installed)");
                    continue;
                };
                let output = Command::new(shell_path)
                    .arg("-n")
                    .arg(file)
                    .output()
                    .expect("the shell runs");
                assert!(
                    output.status.success(),
                    "{shell} -n {}: {}",
                    file.display(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        assert!(read(&completions.join("fish/panosctl.fish")).contains("-a \"job\""));
    }

    #[test]
    fn man_pages_are_roff_with_their_section_and_subcommands() {
        let (dir, _) = generated();
        let man = dir.path().join("man");
        let panosctl = read(&man.join("man1/panosctl.1"));
        let title = panosctl
            .lines()
            .find(|line| line.starts_with(".TH "))
            .expect("a .TH header");
        assert!(title.starts_with(".TH panosctl 1 "), "{title}");
        assert!(title.contains("panos-upgrade"), "{title}");
        // Nothing but roff set-up before the header.
        assert!(
            panosctl
                .lines()
                .take_while(|line| !line.starts_with(".TH "))
                .all(|line| line.starts_with('.')),
            "text before .TH"
        );
        let subcommands = panosctl
            .split_once(".SH SUBCOMMANDS")
            .expect("a SUBCOMMANDS section")
            .1;
        for sub in ["daemon", "job", "device", "config", "path", "demo"] {
            assert!(
                subcommands.contains(&format!("panosctl\\-{sub}(1)")),
                "panosctl.1 does not list {sub}"
            );
        }
        let submit = read(&man.join("man1/panosctl-job-submit.1"));
        assert!(
            submit.contains(".TH panosctl-job-submit 1 "),
            "{}",
            &submit[..submit.len().min(300)]
        );
        assert!(submit.contains("\\-\\-dry\\-run"));
        let panosd = read(&man.join("man8/panosd.8"));
        assert!(panosd.contains(".TH panosd 8 "));
        assert!(panosd.contains("\\-\\-state\\-dir"));
        assert!(panosd.contains("\\-\\-foreground"));
    }

    #[test]
    fn man_pages_render_without_warnings() {
        let Some(groff) = tool("groff") else {
            eprintln!("skipped: groff is not installed");
            return;
        };
        let (dir, _) = generated();
        for page in [
            "man1/panosctl.1",
            "man1/panosctl-job-submit.1",
            "man8/panosd.8",
        ] {
            let output = Command::new(&groff)
                .args(["-man", "-Tutf8", "-ww"])
                .arg(dir.path().join("man").join(page))
                .env("GROFF_NO_SGR", "1")
                .output()
                .expect("groff runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stderr.is_empty(),
                "{page}: {stderr}"
            );
            // Undo overstriking (bold as `x\bx`, underline as `_\bx`), then check the text.
            let mut text = String::new();
            for c in String::from_utf8_lossy(&output.stdout).chars() {
                if c == '\u{8}' {
                    text.pop();
                } else {
                    text.push(c);
                }
            }
            assert!(
                text.contains("SYNOPSIS"),
                "{page} renders no SYNOPSIS: {text}"
            );
            if page == "man1/panosctl.1" {
                assert!(text.contains("SUBCOMMANDS") && text.contains("panosctl-job(1)"));
            }
        }
    }
}
