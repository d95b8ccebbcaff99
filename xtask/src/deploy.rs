//! `cargo xtask deploy`: the checks of the files in `deploy/` (the same run as a test under
//! plain `cargo test`).
//!
//! - The systemd unit has the directives the daemon relies on (notify, watchdog, reload, the
//!   state, configuration and logs directories, the API key credential, the hardening), passes
//!   `systemd-analyze verify`, and `systemd-analyze security` rates it "OK" or better. Without
//!   `systemd-analyze` those two are skipped with a notice.
//! - `tmpfiles.d` creates every directory of panos-queue's layout, with the protocol's modes;
//!   where `systemd-sysusers` and `systemd-tmpfiles` exist and we are root, `install.sh` is run
//!   into a temporary root (twice) and the result is checked.
//! - `config/config.json` loads with panosd's own loader and lists every key panosd reads.
//! - `config/upgrade_paths.json` loads with `panos_upgrade::UpgradePaths` and no path breaks a
//!   rule that needs no catalog (no skipped feature release, hops ascending).
//!
//! It only reads `deploy/`; anything it runs works on copies in a temporary directory.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use panos_upgrade::{PathProblemKind, UpgradePaths, plan_path};

/// The unit file, relative to the workspace root.
pub const UNIT: &str = "deploy/systemd/panosd.service";
/// The state directory the deployment uses.
pub const STATE_DIR: &str = "/var/lib/panos-upgrade";

/// What the checks found that is not a problem: skipped checks, the exposure score.
#[derive(Debug, Default)]
pub struct Notes {
    /// One line per note.
    pub lines: Vec<String>,
}

/// Runs every check of `deploy/` under `root`.
///
/// # Errors
/// Every problem found, one line each.
pub fn check(root: &Path) -> Result<Notes, Vec<String>> {
    let mut notes = Notes::default();
    let mut problems = Vec::new();
    let read = |rel: &str, problems: &mut Vec<String>| match fs::read_to_string(root.join(rel)) {
        Ok(text) => Some(text),
        Err(err) => {
            problems.push(format!("{rel}: cannot read it: {err}"));
            None
        }
    };
    if let Some(unit) = read(UNIT, &mut problems) {
        check_unit_text(&unit, &mut problems);
        run_systemd_analyze(&unit, &mut notes, &mut problems);
    }
    if let Some(tmpfiles) = read("deploy/tmpfiles.d/panos-upgrade.conf", &mut problems) {
        check_tmpfiles(&tmpfiles, &mut problems);
    }
    apply_sysusers_and_tmpfiles(root, &mut notes, &mut problems);
    if let Some(config) = read("deploy/config/config.json", &mut problems) {
        check_config(&config, &mut problems);
    }
    if let Some(paths) = read("deploy/config/upgrade_paths.json", &mut problems) {
        check_upgrade_paths(&paths, &mut problems);
    }
    if problems.is_empty() {
        Ok(notes)
    } else {
        Err(problems)
    }
}

/// `Key=value` lines of the unit, in order (comments and section headers left out).
fn directives(unit: &str) -> Vec<(&str, &str)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// The directives the daemon and the deployment rely on.
fn check_unit_text(unit: &str, problems: &mut Vec<String>) {
    let found = directives(unit);
    let values = |key: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .collect()
    };
    // The name the daemon reads the key under.
    let credential = panosd::secrets::API_KEY_CREDENTIAL;
    let exact: &[(&str, &str)] = &[
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Restart", "on-failure"),
        ("User", "panos-upgrade"),
        ("Group", "panos-upgrade"),
        ("StateDirectory", "panos-upgrade"),
        ("StateDirectoryMode", "2770"),
        ("ConfigurationDirectory", "panos-upgrade"),
        ("LogsDirectory", "panos-upgrade"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
        ("SystemCallArchitectures", "native"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictRealtime", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("ProcSubset", "pid"),
        ("ProtectProc", "invisible"),
    ];
    for (key, want) in exact {
        let got = values(key);
        if !got.contains(want) {
            problems.push(format!(
                "{UNIT}: needs `{key}={want}` (found {})",
                if got.is_empty() {
                    "none".to_owned()
                } else {
                    got.iter()
                        .map(|v| format!("`{key}={v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
    if values("WatchdogSec").is_empty() {
        problems.push(format!(
            "{UNIT}: needs `WatchdogSec=` (the daemon pings while its scheduler turns)"
        ));
    }
    let umask = values("UMask");
    if !umask
        .iter()
        .any(|u| u32::from_str_radix(u, 8).is_ok_and(|m| m & 0o007 == 0o007))
    {
        problems.push(format!(
            "{UNIT}: needs a `UMask=` that closes files to others (0007 or 0027)"
        ));
    }
    if !values("LoadCredentialEncrypted")
        .iter()
        .any(|v| v.split(':').next() == Some(credential))
    {
        problems.push(format!(
            "{UNIT}: needs `LoadCredentialEncrypted={credential}` (the credential panosd reads)"
        ));
    }
    let exec = values("ExecStart");
    let state_flag = format!("--state-dir {STATE_DIR}");
    if !exec
        .iter()
        .any(|e| e.starts_with("/usr/bin/panosd ") && e.contains(&state_flag))
    {
        problems.push(format!(
            "{UNIT}: needs `ExecStart=/usr/bin/panosd {state_flag}` (found {exec:?})"
        ));
    }
    if STATE_DIR != panos_queue::DEFAULT_STATE_DIR {
        problems.push(format!(
            "the deployment's state directory {STATE_DIR} is not panos-queue's default {}",
            panos_queue::DEFAULT_STATE_DIR
        ));
    }
}

/// Parses the `Overall exposure level for X: 1.2 OK` line of `systemd-analyze security`.
fn exposure(output: &str) -> Option<(f64, String)> {
    let line = output
        .lines()
        .find(|l| l.contains("Overall exposure level"))?;
    let rest = line.rsplit_once(':')?.1;
    let mut words = rest.split_whitespace();
    let score = words.next()?.parse().ok()?;
    let level = words.next()?.to_owned();
    Some((score, level))
}

/// A temporary directory removed on drop (xtask keeps its dependencies few).
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> std::io::Result<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "xtask-{label}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// `systemd-analyze verify` and `security` on a copy of the unit whose `ExecStart` names a
/// binary that exists (the real one is installed as `/usr/bin/panosd`).
fn run_systemd_analyze(unit: &str, notes: &mut Notes, problems: &mut Vec<String>) {
    if !have("systemd-analyze") {
        notes.lines.push(
            "systemd-analyze not found: skipped `verify` and `security` of the unit".to_owned(),
        );
        return;
    }
    let stand_in = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            problems.push(format!(
                "cannot find a binary to stand in for panosd: {err}"
            ));
            return;
        }
    };
    let dir = match TempDir::new("unit") {
        Ok(dir) => dir,
        Err(err) => {
            problems.push(format!("cannot make a temporary directory: {err}"));
            return;
        }
    };
    let copy = dir.0.join("panosd.service");
    let text = unit.replace(
        "ExecStart=/usr/bin/panosd ",
        &format!("ExecStart={} ", stand_in.display()),
    );
    if let Err(err) = fs::write(&copy, text) {
        problems.push(format!("cannot write {}: {err}", copy.display()));
        return;
    }
    match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
    {
        Ok(out) if out.status.success() && out.stderr.is_empty() => {
            notes
                .lines
                .push("systemd-analyze verify: no findings".to_owned());
        }
        Ok(out) => problems.push(format!(
            "systemd-analyze verify {UNIT} ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(err) => problems.push(format!("cannot run systemd-analyze verify: {err}")),
    }
    match Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&copy)
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            match exposure(&text) {
                Some((score, level)) if matches!(level.as_str(), "PERFECT" | "SAFE" | "OK") => {
                    notes.lines.push(format!(
                        "systemd-analyze security: exposure {score:.1} {level}"
                    ));
                }
                Some((score, level)) => problems.push(format!(
                    "{UNIT}: systemd-analyze security rates it {score:.1} {level}; it must be OK \
                     or better"
                )),
                None => problems.push(format!(
                    "systemd-analyze security gave no exposure level: {text}{}",
                    String::from_utf8_lossy(&out.stderr)
                )),
            }
        }
        Err(err) => problems.push(format!("cannot run systemd-analyze security: {err}")),
    }
}

/// One `d` line of tmpfiles.d: path and mode.
fn tmpfiles_dirs(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            match fields.as_slice() {
                ["d", path, mode, ..] => {
                    Some(((*path).to_owned(), u32::from_str_radix(mode, 8).ok()?))
                }
                _ => None,
            }
        })
        .collect()
}

/// The directory a layout directory is made as: logs live under /var/log/panos-upgrade.
fn deployed_path(dir: &Path) -> PathBuf {
    let logs = Path::new(STATE_DIR).join("logs");
    match dir.strip_prefix(&logs) {
        Ok(rest) => Path::new("/var/log/panos-upgrade").join(rest),
        Err(_) => dir.to_path_buf(),
    }
}

/// The mode the deployment gives `dir` of the layout.
fn expected_mode(dir: &Path) -> u32 {
    let state = Path::new(STATE_DIR);
    if dir == state.join("checkpoints") {
        0o700
    } else if dir == state.join("config") || dir.starts_with("/var/log/panos-upgrade") {
        0o2750
    } else {
        0o2770
    }
}

fn check_tmpfiles(text: &str, problems: &mut Vec<String>) {
    let dirs = tmpfiles_dirs(text);
    let layout = panos_queue::StateDir::new(STATE_DIR).directories();
    for dir in layout {
        let path = deployed_path(&dir);
        let want = expected_mode(&path);
        match dirs.iter().find(|(p, _)| Path::new(p) == path) {
            None => problems.push(format!(
                "deploy/tmpfiles.d: no `d` line for {} (panos-queue's layout has it)",
                path.display()
            )),
            Some((_, mode)) if *mode != want => problems.push(format!(
                "deploy/tmpfiles.d: {} has mode {mode:o}, the protocol needs {want:o}",
                path.display()
            )),
            Some(_) => {}
        }
    }
    let link = format!("{STATE_DIR}/logs");
    let links_logs = text.lines().any(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        fields.first() == Some(&"L")
            && fields.get(1) == Some(&link.as_str())
            && fields.last() == Some(&"/var/log/panos-upgrade")
    });
    if !links_logs {
        problems.push(format!(
            "deploy/tmpfiles.d: needs `L {link} … /var/log/panos-upgrade` (the logs directory)"
        ));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `deploy/install.sh` into a temporary root (with stand-in binaries) and checks what it
/// made: the user and group, the layout with its modes, the files, the configuration owned
/// by the daemon's user; then runs it again and checks it kept an edited configuration.
fn apply_sysusers_and_tmpfiles(root: &Path, notes: &mut Notes, problems: &mut Vec<String>) {
    if !(have("systemd-sysusers") && have("systemd-tmpfiles") && is_root()) {
        notes.lines.push(
            "systemd-sysusers/systemd-tmpfiles not found or not root: skipped running \
             deploy/install.sh into a temporary root"
                .to_owned(),
        );
        return;
    }
    let (dir, bins) = match (TempDir::new("root"), TempDir::new("bin")) {
        (Ok(dir), Ok(bins)) => (dir, bins),
        (Err(err), _) | (_, Err(err)) => {
            problems.push(format!("cannot make a temporary directory: {err}"));
            return;
        }
    };
    let fake = &dir.0;
    let stand_in = std::env::current_exe();
    for name in ["panosd", "panosctl"] {
        if let Err(err) = stand_in
            .as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
            .and_then(|exe| fs::copy(exe, bins.0.join(name)))
        {
            problems.push(format!("cannot make a stand-in {name}: {err}"));
            return;
        }
    }
    let install = || {
        Command::new("sh")
            .arg(root.join("deploy/install.sh"))
            .arg("--bindir")
            .arg(&bins.0)
            .arg("--destdir")
            .arg(fake)
            .output()
    };
    match install() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            problems.push(format!(
                "deploy/install.sh --destdir: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
            return;
        }
        Err(err) => {
            problems.push(format!("cannot run deploy/install.sh: {err}"));
            return;
        }
    }
    let id_of = |file: &str| {
        fs::read_to_string(fake.join(file))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("panos-upgrade:"))
            .and_then(|l| l.split(':').nth(2))
            .and_then(|id| id.parse::<u32>().ok())
    };
    let (Some(uid), Some(gid)) = (id_of("etc/passwd"), id_of("etc/group")) else {
        problems.push("deploy/sysusers.d: made no panos-upgrade user and group".to_owned());
        return;
    };
    for dir in panos_queue::StateDir::new(STATE_DIR).directories() {
        let path = deployed_path(&dir);
        let made = fake.join(path.strip_prefix("/").unwrap_or(&path));
        match fs::metadata(&made) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o7777;
                if mode != expected_mode(&path) || meta.uid() != uid || meta.gid() != gid {
                    problems.push(format!(
                        "tmpfiles.d made {} with mode {mode:o}, uid {}, gid {}",
                        path.display(),
                        meta.uid(),
                        meta.gid()
                    ));
                }
            }
            Err(err) => problems.push(format!("tmpfiles.d did not make {}: {err}", path.display())),
        }
    }
    let link = fake.join(STATE_DIR.trim_start_matches('/')).join("logs");
    match fs::read_link(&link) {
        Ok(target) if target == Path::new("/var/log/panos-upgrade") => {}
        other => problems.push(format!(
            "tmpfiles.d: {STATE_DIR}/logs is not a link to /var/log/panos-upgrade ({other:?})"
        )),
    }
    for file in [
        "usr/bin/panosd",
        "usr/bin/panosctl",
        "etc/systemd/system/panosd.service",
        "etc/panos-upgrade/upgrade_paths.json",
        "usr/share/doc/panos-upgrade/protocol.md",
    ] {
        if !fake.join(file).is_file() {
            problems.push(format!("deploy/install.sh did not install /{file}"));
        }
    }
    let config = fake
        .join(STATE_DIR.trim_start_matches('/'))
        .join("config/config.json");
    match fs::metadata(&config) {
        Ok(meta)
            if meta.permissions().mode() & 0o777 == 0o640
                && meta.uid() == uid
                && meta.gid() == gid => {}
        Ok(meta) => problems.push(format!(
            "deploy/install.sh made config.json with mode {:o}, uid {}, gid {} (want 640, \
             the daemon's user and group)",
            meta.permissions().mode() & 0o777,
            meta.uid(),
            meta.gid()
        )),
        Err(err) => problems.push(format!("deploy/install.sh made no config.json: {err}")),
    }
    // Run again over an edited configuration: it must stay as the administrator left it.
    let edited = "{\"workers\": {\"max\": 7}}\n";
    if fs::write(&config, edited).is_ok() {
        match install() {
            Ok(out) if out.status.success() => {
                if fs::read_to_string(&config).ok().as_deref() != Some(edited) {
                    problems.push("deploy/install.sh run again replaced config.json".to_owned());
                }
            }
            Ok(out) => problems.push(format!(
                "deploy/install.sh run a second time failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(err) => problems.push(format!("cannot run deploy/install.sh again: {err}")),
        }
    }
    notes.lines.push(
        "deploy/install.sh run twice into a temporary root: user, layout and modes as the \
         protocol says, configuration installed once and then kept"
            .to_owned(),
    );
}

/// Every leaf key of a JSON object, in dot notation.
fn leaves(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(child, &path, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

fn check_config(text: &str, problems: &mut Vec<String>) {
    let file = Path::new("deploy/config/config.json");
    let config = match panosd::Config::from_json(text, file) {
        Ok(config) => config,
        Err(err) => {
            problems.push(format!("{}: panosd refuses it: {err}", file.display()));
            return;
        }
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return; // from_json parsed it already
    };
    let mut present = BTreeSet::new();
    leaves(&value, "", &mut present);
    for key in panosd::config::known_keys() {
        if !present.contains(&key) {
            problems.push(format!(
                "{}: does not list `{key}` (the example shows every key panosd reads)",
                file.display()
            ));
        }
    }
    let panorama = &config.panorama;
    if panorama.api_key.is_some() || panorama.password.is_some() {
        problems.push(format!(
            "{}: an example must not carry a secret, even encrypted: leave panorama.api_key \
             and panorama.password null (the unit's credential holds the key)",
            file.display()
        ));
    }
    if panorama
        .url
        .as_deref()
        .is_none_or(|u| !u.contains("example"))
    {
        problems.push(format!(
            "{}: panorama.url should be a placeholder (https://panorama.example.com)",
            file.display()
        ));
    }
    if !config.panorama.verify_tls {
        problems.push(format!("{}: must keep verify_tls true", file.display()));
    }
    if config.timing.scale != 1.0 {
        problems.push(format!("{}: timing.scale must be 1", file.display()));
    }
    if config.paths.upgrade_paths != Path::new("/etc/panos-upgrade/upgrade_paths.json") {
        problems.push(format!(
            "{}: paths.upgrade_paths should be /etc/panos-upgrade/upgrade_paths.json (where \
             deploy/README.md installs it)",
            file.display()
        ));
    }
}

/// The problems of `text` (an `upgrade_paths.json`) that need no catalog.
pub fn upgrade_path_problems(text: &str) -> Vec<String> {
    let paths = match UpgradePaths::from_json(text) {
        Ok(paths) => paths,
        Err(err) => return vec![err.to_string()],
    };
    if paths.is_empty() {
        return vec!["lists no version".to_owned()];
    }
    let no_catalog = Default::default();
    let mut problems = Vec::new();
    for path in paths.iter() {
        let Err(found) = plan_path(&path, &no_catalog) else {
            continue;
        };
        for problem in found {
            // Without a catalog every hop is "not in the catalog" and has no known base
            // image; the other rules hold whatever the catalog says.
            if matches!(
                problem.kind,
                PathProblemKind::NotInCatalog | PathProblemKind::BaseImageUnknown { .. }
            ) {
                continue;
            }
            problems.push(format!("path {path}: {problem}"));
        }
    }
    problems
}

fn check_upgrade_paths(text: &str, problems: &mut Vec<String>) {
    problems.extend(
        upgrade_path_problems(text)
            .into_iter()
            .map(|p| format!("deploy/config/upgrade_paths.json: {p}")),
    );
}

/// `cargo xtask deploy`.
pub fn run(root: &Path) -> Result<(), String> {
    match check(root) {
        Ok(notes) => {
            for line in notes.lines {
                eprintln!("deploy: {line}");
            }
            eprintln!("deploy: every check passed");
            Ok(())
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("deploy: {problem}");
            }
            Err(format!("{} deploy problem(s)", problems.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tidy::workspace_root;

    #[test]
    fn deploy_files_pass_every_check() {
        match check(&workspace_root()) {
            Ok(notes) => {
                for line in &notes.lines {
                    eprintln!("deploy: {line}");
                }
                assert!(!notes.lines.is_empty());
            }
            Err(problems) => panic!("deploy problems:\n{}", problems.join("\n")),
        }
    }

    #[test]
    fn a_unit_without_notify_or_credential_is_reported() {
        let unit = fs::read_to_string(workspace_root().join(UNIT)).unwrap();
        let broken = unit
            .replace("Type=notify", "Type=simple")
            .replace("LoadCredentialEncrypted=panorama-api-key", "");
        let mut problems = Vec::new();
        check_unit_text(&broken, &mut problems);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("Type=notify"));
        assert!(problems[1].contains("LoadCredentialEncrypted=panorama-api-key"));
    }

    #[test]
    fn a_skipped_feature_release_is_reported() {
        let problems = upgrade_path_problems(r#"{"10.1.9-h1": ["11.0.6", "11.1.6"]}"#);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("skips feature release 10.2"),
            "{problems:?}"
        );
        assert!(upgrade_path_problems(r#"{"10.1.9-h1": ["10.2.13-h1"]}"#).is_empty());
        assert!(!upgrade_path_problems(r#"{"10.1.9": ["10.1.9"]}"#).is_empty());
    }

    #[test]
    fn reads_the_exposure_line() {
        let out = "✗ UMask= …  0.1\n\n→ Overall exposure level for panosd.service: 1.2 OK 🙂\n";
        assert_eq!(exposure(out), Some((1.2, "OK".to_owned())));
        assert_eq!(exposure("nothing"), None);
    }

    #[test]
    fn tmpfiles_missing_a_protocol_directory_is_reported() {
        let text =
            fs::read_to_string(workspace_root().join("deploy/tmpfiles.d/panos-upgrade.conf"))
                .unwrap();
        let broken: String = text
            .lines()
            .filter(|l| !l.contains("commands/incoming"))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut problems = Vec::new();
        check_tmpfiles(&broken, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("commands/incoming"));
    }
}
