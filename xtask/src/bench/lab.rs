//! A benchmark lab: the Panorama simulator in this process (release build), a temporary state
//! directory with a configuration pointing at it, and the real release `panosd` run as a child
//! process on that directory, so its peak memory and CPU time are its own. Reads the daemon's
//! usage from `/proc/<pid>/` before stopping it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use panos_queue::{Job, JobId, QueueFolder, StateDir};
use panos_sim::{FleetSpec, SimConfig, SimHandle, Timings};
use panosd::Config;
use tokio::runtime::Runtime;

/// The simulator, the state directory and its configuration.
pub struct Lab {
    /// The in-process simulator.
    pub sim: SimHandle,
    state: tempfile::TempDir,
    // Holds the API key file, outside the state directory.
    _secrets: tempfile::TempDir,
}

impl Lab {
    /// Starts the simulator with `fleet` at `scale` (default step durations) and writes
    /// `config.json` (changed by `tweak`) and `upgrade_paths.json`.
    pub fn start(
        runtime: &Runtime,
        fleet: FleetSpec,
        scale: f64,
        paths: &str,
        tweak: impl FnOnce(&mut Config),
    ) -> Result<Lab, String> {
        Self::start_in(runtime, fleet, scale, paths, tweak, None)
    }

    /// [`Lab::start`] with the state directory under `parent` (`None`: the system's temporary
    /// directory).
    pub fn start_in(
        runtime: &Runtime,
        fleet: FleetSpec,
        scale: f64,
        paths: &str,
        tweak: impl FnOnce(&mut Config),
        parent: Option<&Path>,
    ) -> Result<Lab, String> {
        let sim = runtime
            .block_on(panos_sim::start(
                SimConfig::new(fleet)
                    .with_time_scale(scale)
                    .with_timings(Timings::default()),
            ))
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let state = match parent {
            Some(parent) => tempfile::Builder::new()
                .prefix("panos-bench-state-")
                .tempdir_in(parent)
                .map_err(|e| format!("cannot create a directory in {}: {e}", parent.display()))?,
            None => tempdir("panos-bench-state-")?,
        };
        let secrets = tempdir("panos-bench-secrets-")?;
        let key_file = secrets.path().join("api.key");
        std::fs::write(&key_file, sim.api_key()).map_err(io("write the key file"))?;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
            .map_err(io("chmod the key file"))?;
        let mut config = Config::default();
        config.panorama.url = Some(sim.url().to_owned());
        config.panorama.api_key_file = Some(key_file);
        config.timing.scale = scale;
        tweak(&mut config);
        let dir = StateDir::new(state.path());
        dir.create()
            .map_err(|e| format!("cannot lay out the state directory: {e}"))?;
        let config_dir = dir.config_dir();
        std::fs::create_dir_all(&config_dir).map_err(io("create config/"))?;
        let text = serde_json::to_string_pretty(&config)
            .map_err(|e| format!("cannot encode the configuration: {e}"))?;
        Config::from_json(&text, &config_dir.join("config.json"))
            .map_err(|e| format!("the bench configuration is invalid: {e}"))?;
        std::fs::write(config_dir.join("config.json"), text).map_err(io("write config.json"))?;
        std::fs::write(config_dir.join("upgrade_paths.json"), paths)
            .map_err(io("write upgrade_paths.json"))?;
        Ok(Lab {
            sim,
            state,
            _secrets: secrets,
        })
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        self.state.path()
    }

    /// The state directory, typed.
    pub fn dir(&self) -> StateDir {
        StateDir::new(self.state.path())
    }

    /// Device status files written (the inventory's progress).
    pub fn devices_known(&self) -> usize {
        std::fs::read_dir(self.dir().devices_dir())
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// The finished job file, once the job is in a final folder.
    pub fn finished_job(&self, id: JobId) -> Option<Job> {
        let (folder, path) = self.dir().find_job(id)?;
        if matches!(folder, QueueFolder::Pending | QueueFolder::Active) {
            return None;
        }
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }

    /// The daemon's text log lines that contain `needle` (at most ten).
    pub fn log_lines_containing(&self, needle: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir().text_logs_dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .flat_map(|text| {
                text.lines()
                    .filter(|l| l.contains(needle))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .take(10)
            .collect()
    }

    /// Stops the simulator.
    pub fn shutdown(self, runtime: &Runtime) {
        runtime.block_on(self.sim.shutdown());
    }
}

/// What `/proc` says about a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// `VmHWM`: peak resident set, bytes.
    pub rss_peak_bytes: u64,
    /// `utime + stime`, seconds.
    pub cpu_secs: f64,
    /// `stime` alone (the kernel's share: file writes, fsync, sockets), seconds.
    pub system_secs: f64,
}

/// The real `panosd` running on a lab's state directory.
pub struct Daemon {
    child: Child,
    stderr: PathBuf,
}

impl Daemon {
    /// Starts `panosd` on `lab` and waits until it has written its status with its pid and
    /// its inventory lists `devices` devices.
    pub fn start(
        panosd: &Path,
        lab: &Lab,
        devices: usize,
        wait: Duration,
    ) -> Result<Daemon, String> {
        let stderr = lab.root().join("panosd.stderr");
        let child = Command::new(panosd)
            .env("PANOS_UPGRADE_HOME", lab.root())
            .env_remove("NOTIFY_SOCKET")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).map_err(io("create panosd.stderr"))?)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", panosd.display()))?;
        let mut daemon = Daemon { child, stderr };
        let pid = daemon.child.id();
        let ready = wait_until(wait, || {
            let running = lab
                .dir()
                .read_daemon_status()
                .ok()
                .flatten()
                .is_some_and(|s| s.pid == pid);
            running && lab.devices_known() >= devices
        });
        if let Ok(Some(status)) = daemon.child.try_wait() {
            return Err(format!(
                "panosd exited at start ({status}): {}",
                daemon.stderr_tail()
            ));
        }
        if !ready {
            let known = lab.devices_known();
            daemon.stop();
            return Err(format!(
                "panosd was not ready within {wait:?} ({known} of {devices} devices inventoried)"
            ));
        }
        Ok(daemon)
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The daemon's peak RSS and CPU time so far.
    pub fn usage(&self) -> Result<Usage, String> {
        proc_usage(self.child.id())
    }

    /// SIGTERM, then waits (SIGKILL after 60 s).
    pub fn stop(&mut self) {
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let stopped = wait_until(Duration::from_secs(60), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The last lines the daemon wrote to standard error.
    pub fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// Peak RSS (`VmHWM` of `/proc/<pid>/status`) and CPU time (`utime + stime` of
/// `/proc/<pid>/stat`) of a running process.
pub fn proc_usage(pid: u32) -> Result<Usage, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("cannot read /proc/{pid}/stat: {e}"))?;
    let rss_peak_bytes =
        vm_hwm_bytes(&status).ok_or_else(|| format!("no VmHWM in /proc/{pid}/status"))?;
    let (user, system) =
        cpu_ticks(&stat).ok_or_else(|| format!("cannot parse /proc/{pid}/stat"))?;
    let hz = clock_ticks_per_second();
    Ok(Usage {
        rss_peak_bytes,
        cpu_secs: (user + system) as f64 / hz,
        system_secs: system as f64 / hz,
    })
}

/// `VmHWM:  12345 kB` → bytes.
pub fn vm_hwm_bytes(status: &str) -> Option<u64> {
    status_kb(status, "VmHWM:").map(|kb| kb * 1024)
}

/// The current resident set (`VmRSS`) of a process, bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kb(&status, "VmRSS:").map(|kb| kb * 1024)
}

fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `utime` and `stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks. The
/// command name (field 2) may hold spaces and parentheses: fields are counted after its `)`.
pub fn cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, index 11 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime, stime))
}

/// `getconf CLK_TCK`, 100 when it cannot be asked (the value on every Linux platform).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Polls `ready` every 10 ms until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A temporary directory with `prefix`.
pub fn tempdir(prefix: &str) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> String {
    move |e| format!("cannot {what}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields_are_read_after_the_command_name() {
        let stat = "4242 (panosd (x) y) S 1 4242 4242 0 -1 4194560 2000 0 0 0 150 25 0 0 20 0 9 0";
        assert_eq!(cpu_ticks(stat), Some((150, 25)));
        assert_eq!(cpu_ticks("garbage"), None);
        let status = "Name:\tpanosd\nVmPeak:\t  900 kB\nVmHWM:\t   84000 kB\nVmRSS:\t 80000 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(84_000 * 1024));
        assert_eq!(status_kb(status, "VmRSS:"), Some(80_000));
    }

    #[test]
    fn this_process_has_a_usage() {
        let usage = proc_usage(std::process::id()).expect("own /proc entry");
        assert!(usage.rss_peak_bytes > 0);
        assert!(usage.cpu_secs >= 0.0);
    }
}
