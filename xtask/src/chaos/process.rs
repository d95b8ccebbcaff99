//! The daemon as a process: finding (or building) the `panosd` binary, signalling a child by
//! its pid, and waiting for it to exit with a bound.

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A child process that is killed (SIGKILL) and reaped when dropped, so an early return
/// never leaves a daemon running.
pub struct Running(pub Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Sends `signal` to `child` (ignored when it is gone already).
pub fn signal(child: &Child, signal: Signal) {
    let _ = kill(Pid::from_raw(child.id() as i32), signal);
}

/// Waits up to `limit` for `child` to exit; `None` if it is still running.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => return None,
        }
    }
}

/// SIGKILL and reap.
pub fn kill_now(child: &mut Child) -> Option<ExitStatus> {
    signal(child, Signal::SIGKILL);
    wait_exit(child, Duration::from_secs(30))
}

/// Stops `child` with SIGTERM and waits up to 60 s: `Ok` when it exits 0; else the status it
/// ended with, or `None` when it did not stop (it is killed then).
pub fn stop(child: &mut Child) -> Result<(), Option<ExitStatus>> {
    signal(child, Signal::SIGTERM);
    match wait_exit(child, Duration::from_secs(60)) {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(Some(status)),
        None => {
            kill_now(child);
            Err(None)
        }
    }
}

/// The target directory cargo builds into.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root.join(p) } else { p })
        .unwrap_or_else(|| root.join("target"))
}

/// Builds `panosd` (`cargo build -p panosd`, with `--release` if asked) and returns its path.
pub fn build_panosd(root: &Path, release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["build", "--quiet", "-p", "panosd", "--bin", "panosd"])
        .current_dir(root);
    if release {
        command.arg("--release");
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo build -p panosd` failed ({status})"));
    }
    let path = target_dir(root)
        .join(if release { "release" } else { "debug" })
        .join("panosd");
    path.is_file()
        .then_some(path.clone())
        .ok_or_else(|| format!("{} is missing after the build", path.display()))
}

#[cfg(test)]
/// For tests: the `panosd` next to the running test binary (`target/debug/panosd`, which
/// `cargo test --workspace` builds), else built with cargo.
pub fn panosd_for_tests(root: &Path) -> Result<PathBuf, String> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("panosd")));
    match beside {
        Some(path) if path.is_file() => Ok(path),
        _ => build_panosd(root, false),
    }
}
