//! `panosctl daemon start|stop|restart|status`: whether panosd runs on the state directory
//! (its lock is held and the pid in it is alive), starting it detached when systemd does not
//! manage it, and stopping it with SIGTERM to the pid in the lock file.

use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use panos_queue::{DaemonStatus, StateDir, read_lock_pid};
use serde::Serialize;

use crate::cli::DaemonCommand;
use crate::error::{CtlError, Result};
use crate::output::{self, print_json, state_cell, table, word};

/// Where a packaged unit file may be.
const UNIT_FILES: &[&str] = &[
    "/etc/systemd/system/panosd.service",
    "/usr/lib/systemd/system/panosd.service",
    "/lib/systemd/system/panosd.service",
];

/// Runs a `daemon` subcommand.
pub fn run(state: &StateDir, command: DaemonCommand) -> Result<()> {
    match command {
        DaemonCommand::Start { panosd } => start(state, panosd),
        DaemonCommand::Stop { timeout } => stop(state, timeout),
        DaemonCommand::Restart { panosd, timeout } => {
            if running_pid(state)?.is_some() {
                stop(state, timeout)?;
            }
            start(state, panosd)
        }
        DaemonCommand::Status(out) => status(state, out.json),
    }
}

/// The pid of the daemon running on `state`: the lock is held and the pid is alive.
pub fn running_pid(state: &StateDir) -> Result<Option<u32>> {
    Ok(read_lock_pid(state.root())?.filter(|pid| alive(*pid)))
}

/// Fails with [`CtlError::NotRunning`] unless a daemon runs on `state`.
pub fn require_running(state: &StateDir) -> Result<u32> {
    running_pid(state)?.ok_or_else(|| CtlError::NotRunning {
        state_dir: state.root().to_owned(),
    })
}

fn alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|pid| kill(Pid::from_raw(pid), None).is_ok())
}

/// Why systemd, not panosctl, should start the daemon, when it should.
fn systemd_reason() -> Option<String> {
    if std::env::var_os("INVOCATION_ID").is_some() {
        return Some("panosctl runs under systemd (INVOCATION_ID is set)".to_owned());
    }
    UNIT_FILES
        .iter()
        .find(|f| Path::new(f).exists())
        .map(|f| format!("the systemd unit {f} is installed"))
}

fn panosd_binary(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(CtlError::NotFound(format!(
                "no panosd binary at {}",
                path.display()
            )))
        };
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("panosd")))
        .filter(|p| p.is_file());
    if let Some(path) = sibling {
        return Ok(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("panosd"))
            .find(|p| p.is_file())
    });
    on_path.ok_or_else(|| {
        CtlError::NotFound(
            "no panosd binary next to panosctl or on PATH: build it (`cargo build --release -p \
             panosd`) or name it with --panosd"
                .to_owned(),
        )
    })
}

fn start(state: &StateDir, panosd: Option<PathBuf>) -> Result<()> {
    if let Some(pid) = running_pid(state)? {
        println!("panosd is already running (pid {pid})");
        return Ok(());
    }
    if let Some(reason) = systemd_reason() {
        return Err(CtlError::Usage(format!(
            "{reason}: use `systemctl start panosd` (and `systemctl status panosd`)"
        )));
    }
    let binary = panosd_binary(panosd)?;
    let mut stderr = tempfile::tempfile()
        .map_err(|e| CtlError::Failed(format!("cannot create a temporary file: {e}")))?;
    let err_handle = stderr
        .try_clone()
        .map_err(|e| CtlError::Failed(format!("cannot create a temporary file: {e}")))?;
    let mut child = std::process::Command::new(&binary)
        .arg("--state-dir")
        .arg(state.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_handle)
        .process_group(0)
        .spawn()
        .map_err(|e| CtlError::Failed(format!("cannot run {}: {e}", binary.display())))?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(pid) = running_pid(state)?
            && pid == child.id()
        {
            println!("panosd started (pid {pid}) on {}", state.root().display());
            return Ok(());
        }
        if let Ok(Some(exit)) = child.try_wait() {
            let mut text = String::new();
            let _ = stderr.rewind();
            let _ = stderr.read_to_string(&mut text);
            return Err(CtlError::Failed(format!(
                "panosd exited at once ({exit}): {}",
                text.trim()
            )));
        }
        if Instant::now() > deadline {
            return Err(CtlError::Failed(format!(
                "panosd (pid {}) did not take the lock of {} within 15 s; see its logs in {}",
                child.id(),
                state.root().display(),
                state.text_logs_dir().display()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(state: &StateDir, timeout: u64) -> Result<()> {
    let pid = require_running(state)?;
    if let Some(reason) = systemd_reason() {
        eprintln!("panosctl: note: {reason}; `systemctl stop panosd` is the usual way");
    }
    let raw = i32::try_from(pid)
        .map_err(|_| CtlError::Failed(format!("the lock file holds an invalid pid {pid}")))?;
    kill(Pid::from_raw(raw), Signal::SIGTERM)
        .map_err(|e| CtlError::Failed(format!("cannot signal panosd (pid {pid}): {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while running_pid(state)? == Some(pid) {
        if Instant::now() > deadline {
            return Err(CtlError::Failed(format!(
                "panosd (pid {pid}) did not stop within {timeout} s (running jobs reach a \
                 recorded point first); wait, or `kill -9 {pid}`: jobs resume on the next start"
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("panosd (pid {pid}) stopped");
    Ok(())
}

#[derive(Serialize)]
struct StatusView {
    running: bool,
    pid: Option<u32>,
    state_dir: PathBuf,
    status: Option<DaemonStatus>,
}

fn status(state: &StateDir, json: bool) -> Result<()> {
    let pid = running_pid(state)?;
    let daemon = state.read_daemon_status()?;
    let view = StatusView {
        running: pid.is_some(),
        pid,
        state_dir: state.root().to_owned(),
        status: daemon,
    };
    if json {
        print_json(&view);
    } else {
        print!("{}", status_text(&view));
    }
    match pid {
        Some(_) => Ok(()),
        None => Err(CtlError::NotRunning {
            state_dir: state.root().to_owned(),
        }),
    }
}

fn status_text(view: &StatusView) -> String {
    let mut t = table(&[]);
    let running = match view.pid {
        Some(pid) => format!("running (pid {pid}, lock held)"),
        None => "not running".to_owned(),
    };
    t.add_row(vec![
        comfy_table::Cell::new("daemon"),
        state_cell(if view.pid.is_some() {
            "running"
        } else {
            "not running"
        }),
    ]);
    t.add_row(vec!["liveness".to_owned(), running]);
    if let Some(s) = &view.status {
        let q = &s.queue;
        let c = &s.counters;
        t.add_row(vec!["state (daemon.json)".to_owned(), word(&s.state)]);
        t.add_row(vec!["version".to_owned(), s.version.clone()]);
        t.add_row(vec!["started".to_owned(), s.started_at.to_rfc3339()]);
        t.add_row(vec!["updated".to_owned(), s.updated_at.to_rfc3339()]);
        t.add_row(vec![
            "workers".to_owned(),
            format!("{} busy of {}", s.workers.busy, s.workers.configured),
        ]);
        t.add_row(vec![
            "queue".to_owned(),
            format!(
                "{} pending, {} active, {} completed, {} failed, {} cancelled",
                q.pending, q.active, q.completed, q.failed, q.cancelled
            ),
        ]);
        t.add_row(vec![
            "api calls".to_owned(),
            format!("{} ({} errors)", c.api_calls, c.api_errors),
        ]);
        t.add_row(vec![
            "last Panorama contact".to_owned(),
            output::or_dash(s.last_panorama_contact.map(|t| t.to_rfc3339())),
        ]);
    } else {
        t.add_row(vec![
            "daemon.json".to_owned(),
            "none yet (panosd has never run here)".to_owned(),
        ]);
    }
    output::render(&t)
}
