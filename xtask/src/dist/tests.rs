//! Tests of `cargo xtask dist` without a release build: [`generate`] into a temporary
//! directory, then the bash completions loaded in bash, the zsh and fish files parsed where
//! those shells exist, the man pages rendered with groff; and the Debian package's description
//! (`[package.metadata.deb]` of crates/panosd and `deploy/debian/postinst`) checked against
//! the files it names, its postinst run into a temporary root when we are root.

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

/// `[package.metadata.deb]` of crates/panosd, as `cargo metadata` reads it.
fn deb_metadata(root: &Path) -> serde_json::Value {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed");
    let meta: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    meta["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "panosd"))
        .map(|panosd| panosd["metadata"]["deb"].clone())
        .expect("crates/panosd has [package.metadata.deb]")
}

#[test]
fn the_deb_package_names_files_that_exist_and_what_dist_writes() {
    let root = crate::tidy::workspace_root();
    let crate_dir = root.join("crates/panosd");
    let deb = deb_metadata(&root);
    assert_eq!(deb["name"], "panos-upgrade");
    let (dist, written) = generated();
    let assets = deb["assets"].as_array().expect("explicit assets");
    let mut destinations = Vec::new();
    for asset in assets {
        let [source, dest, _mode] = asset.as_array().map(Vec::as_slice).unwrap_or_default() else {
            panic!("asset {asset} is not [source, dest, mode]");
        };
        let (source, dest) = (source.as_str().unwrap(), dest.as_str().unwrap());
        destinations.push(dest.to_string());
        if let Some(generated) = source.strip_prefix("../../target/dist/") {
            // A glob of what `generate` writes, e.g. completions/bash/*.
            let dir = dist.path().join(generated.trim_end_matches("/*"));
            assert!(
                written
                    .iter()
                    .any(|path| path.parent() == Some(dir.as_path())),
                "{source}: cargo xtask dist writes nothing there"
            );
        } else if let Some(binary) = source.strip_prefix("target/release/") {
            assert!(BINARIES.iter().any(|(name, _)| *name == binary), "{source}");
        } else {
            assert!(crate_dir.join(source).is_file(), "{source} does not exist");
        }
    }
    for expected in [
        "usr/bin/",
        "usr/lib/sysusers.d/",
        "usr/lib/tmpfiles.d/",
        "etc/panos-upgrade/",
        "usr/share/bash-completion/completions/",
        "usr/share/man/man1/",
        "usr/share/man/man8/",
    ] {
        assert!(
            destinations.iter().any(|d| d == expected),
            "nothing goes to {expected}"
        );
    }
    let units = &deb["systemd-units"];
    let unit = crate_dir
        .join(units["unit-scripts"].as_str().expect("unit-scripts"))
        .join(format!(
            "{}.service",
            units["unit-name"].as_str().expect("unit-name")
        ));
    assert_eq!(
        fs::canonicalize(&unit).ok(),
        fs::canonicalize(root.join(crate::deploy::UNIT)).ok(),
        "systemd-units does not name deploy/systemd/panosd.service"
    );
    let scripts = crate_dir.join(deb["maintainer-scripts"].as_str().expect("scripts"));
    let postinst = read(&scripts.join("postinst"));
    // cargo-deb replaces every occurrence of its marker, comments included.
    assert_eq!(postinst.matches("#DEBHELPER#").count(), 1);
    let status = Command::new("sh")
        .arg("-n")
        .arg(scripts.join("postinst"))
        .status()
        .expect("sh runs");
    assert!(status.success(), "postinst does not parse");
}

/// The postinst, as cargo-deb assembles it for the user (its systemd fragments act on
/// the running host and are left out), run twice into a temporary root.
#[test]
fn the_postinst_makes_the_user_the_layout_and_keeps_config_json() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !(tool("systemd-sysusers").is_some()
        && tool("systemd-tmpfiles").is_some()
        && Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.trim_ascii() == b"0"))
    {
        eprintln!("skipped: needs root, systemd-sysusers and systemd-tmpfiles");
        return;
    }
    let root = crate::tidy::workspace_root();
    let target = tempfile::tempdir().expect("a temporary root");
    let t = target.path();
    for (source, dest) in [
        (
            "deploy/sysusers.d/panos-upgrade.conf",
            "usr/lib/sysusers.d/",
        ),
        (
            "deploy/tmpfiles.d/panos-upgrade.conf",
            "usr/lib/tmpfiles.d/",
        ),
        ("deploy/config/config.json", "usr/share/panos-upgrade/"),
        ("deploy/config/upgrade_paths.json", "etc/panos-upgrade/"),
    ] {
        let dir = t.join(dest);
        create_dir(&dir).unwrap();
        let name = Path::new(source).file_name().unwrap();
        fs::copy(root.join(source), dir.join(name)).unwrap();
    }
    let script = read(&root.join("deploy/debian/postinst")).replace(
        "#DEBHELPER#",
        "systemd-sysusers ${DPKG_ROOT:+--root=\"$DPKG_ROOT\"} panos-upgrade.conf",
    );
    let run = |args: &[&str]| {
        let output = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg("postinst")
            .args(args)
            .env("DPKG_ROOT", t)
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "postinst {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&["configure"]);
    let config = t.join("var/lib/panos-upgrade/config/config.json");
    let meta = fs::metadata(&config).expect("config.json is installed");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    let passwd = read(&t.join("etc/passwd"));
    let uid = passwd
        .lines()
        .find_map(|line| line.strip_prefix("panos-upgrade:x:"))
        .and_then(|rest| rest.split(':').next()?.parse::<u32>().ok())
        .expect("the panos-upgrade user is created");
    assert_eq!(meta.uid(), uid);
    let queue = fs::metadata(t.join("var/lib/panos-upgrade/queue/pending")).unwrap();
    assert_eq!(queue.permissions().mode() & 0o7777, 0o2770);
    // An upgrade keeps the operator's configuration.
    fs::write(&config, "{\"panorama\": {\"url\": \"https://p.example\"}}").unwrap();
    run(&["configure", "0.1.0-1"]);
    assert!(
        read(&config).contains("p.example"),
        "config.json was replaced"
    );
}
