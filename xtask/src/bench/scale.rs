//! The scale part: thousands of simulated devices (10,000; 1,000 with `--quick`) upgraded one
//! hop each through the real daemon, 50 workers, twice (state directory in memory, then on
//! disk; see [`run`]); reports the daemon's peak RSS (`VmHWM`) and its CPU seconds (user +
//! system) per device upgraded, read from `/proc` before it stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use panos_queue::{QueueFolder, StateDir};

use serde_json::json;

use super::Bench;
use super::figures::{Figure, Target};
use super::fleet::{Batch, fleet_jobs, one_hop_fleet, paths, run_jobs, tune};
use super::lab::{Daemon, Lab, proc_usage, rss_bytes};

/// Simulated seconds per real second: devices are quick, so the daemon and the API carry the
/// load.
const SCALE: f64 = 5000.0;
/// Requests per real second allowed to the daemon.
const RATE: u32 = 5000;

/// Runs the scale part: with the state directory in memory (`/dev/shm`) when there is one,
/// for the figure with the target, then again on the temporary directory's disk.
///
/// Why two: on a disk, part of the daemon's system time is the file system's, and on some it
/// is not the daemon's doing. ext4 without a journal (this project's benchmark machines)
/// skips, for each new file, every inode freed in the last minutes by anyone on the file
/// system, so the same run costs more after another program deleted many files. In memory,
/// the figure is the daemon's own and repeats; the disk's follows it, without a target.
pub fn run(bench: &mut Bench) -> Result<(), String> {
    let devices = if bench.quick { 1_000 } else { 10_000 };
    let ram = ram_dir();
    let main = pass(bench, devices, ram.as_deref())?;
    let disk = match ram {
        Some(_) => Some(pass(bench, devices, None)?),
        None => None,
    };
    let label = if bench.quick { "1k" } else { "10k" };
    bench.report(Figure::new(
        format!("scale.devices_{label}"),
        main.batch.upgraded as f64,
        "devices",
    ));
    bench.report(
        Figure::new(
            "scale.rss_peak",
            main.usage.rss_peak_bytes as f64 / 1_048_576.0,
            "MB",
        )
        .with_target(Target::AtMost(150.0)),
    );
    bench.report(
        Figure::new("scale.cpu_per_device", main.cpu_per_device_ms(), "ms")
            .with_target(Target::AtMost(5.0)),
    );
    if let Some(disk) = &disk {
        bench.report(Figure::new(
            "scale.cpu_per_device_disk",
            disk.cpu_per_device_ms(),
            "ms",
        ));
    }
    bench.report(Figure::new(
        "scale.wall",
        main.batch.makespan.as_secs_f64(),
        "s",
    ));
    let mut details = main.details(devices);
    details["disk"] = disk
        .as_ref()
        .map_or(serde_json::Value::Null, |d| d.details(devices));
    bench.detail("scale", details);
    main.batch.all_upgraded()?;
    disk.map_or(Ok(()), |d| d.batch.all_upgraded())
}

/// What one pass measured.
struct Pass {
    batch: Batch,
    usage: super::lab::Usage,
    at_start: super::lab::Usage,
    api_calls: u64,
    by_op: serde_json::Map<String, serde_json::Value>,
    inventory_warnings: Vec<String>,
    samples: Vec<serde_json::Value>,
    filesystem: String,
}

impl Pass {
    fn cpu_per_device_ms(&self) -> f64 {
        self.usage.cpu_secs * 1000.0 / self.batch.upgraded.max(1) as f64
    }

    fn details(&self, devices: usize) -> serde_json::Value {
        json!({
            "devices": devices, "workers": 50, "time_scale": SCALE, "rate_limit_per_second": RATE,
            "state_dir_filesystem": self.filesystem,
            "upgraded": self.batch.upgraded, "not_upgraded": self.batch.not_upgraded,
            "makespan_secs": self.batch.makespan.as_secs_f64(), "api_calls": self.api_calls,
            "api_calls_per_device": self.api_calls.max(1) as f64 / devices as f64,
            "api_calls_per_device_by_op": self.by_op,
            "cpu_per_device_ms": self.cpu_per_device_ms(),
            "rss_peak_bytes": self.usage.rss_peak_bytes, "cpu_secs": self.usage.cpu_secs,
            "system_cpu_secs": self.usage.system_secs,
            "rss_peak_bytes_at_start": self.at_start.rss_peak_bytes,
            "cpu_secs_at_start": self.at_start.cpu_secs,
            "inventory_warnings": self.inventory_warnings,
            "samples": self.samples,
        })
    }
}

/// `/dev/shm` when it is a memory file system this user can write to.
fn ram_dir() -> Option<PathBuf> {
    let dir = PathBuf::from("/dev/shm");
    let memory = matches!(filesystem_of(&dir).as_str(), "tmpfs" | "ramfs");
    (memory && tempfile::tempdir_in(&dir).is_ok()).then_some(dir)
}

/// The type of the file system `path` is on (from `/proc/mounts`), or `unknown`.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, at, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(at).then(|| (at.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".to_owned(), |(_, kind)| kind)
}

/// Upgrades `devices` devices through the daemon with its state directory under `parent`.
fn pass(bench: &Bench, devices: usize, parent: Option<&Path>) -> Result<Pass, String> {
    let lab = Lab::start_in(
        &bench.runtime,
        one_hop_fleet(devices, 0, 11),
        SCALE,
        &paths(),
        |c| tune(c, SCALE, 50, RATE, 50),
        parent,
    )?;
    let filesystem = filesystem_of(lab.root());
    // Jobs do not need the inventory: the run starts once the daemon is up, whether or not
    // its inventory of thousands of devices succeeds (the details say).
    let mut daemon = Daemon::start(&bench.panosd, &lab, 0, Duration::from_secs(60))?;
    let at_start = daemon.usage()?;
    let jobs = fleet_jobs(&lab);
    lab.sim.reset_requests();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample(daemon.pid(), lab.dir(), Arc::clone(&stop));
    let batch = run_jobs(&lab, &jobs, Duration::from_secs(3600));
    let usage = daemon.usage();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    daemon.stop();
    let counters = lab.sim.counters();
    // Requests per device upgraded, by operation: where the calls go.
    let by_op: serde_json::Map<String, serde_json::Value> = counters
        .by_op
        .iter()
        .map(|(op, n)| (format!("{op:?}"), json!(*n as f64 / devices as f64)))
        .collect();
    let inventory_warnings = lab.log_lines_containing("inventory not refreshed");
    lab.shutdown(&bench.runtime);
    let (batch, usage) = (batch?, usage?);
    Ok(Pass {
        batch,
        usage,
        at_start,
        api_calls: counters.total,
        by_op,
        inventory_warnings,
        samples,
        filesystem,
    })
}

/// Every two seconds until `stop`: seconds since the start, the daemon's resident set (MB) and
/// CPU seconds, and the jobs in `pending/` and in the final folders, to see what the memory
/// and the CPU time follow.
fn sample(pid: u32, dir: StateDir, stop: Arc<AtomicBool>) -> JoinHandle<Vec<serde_json::Value>> {
    std::thread::spawn(move || {
        let start = Instant::now();
        let count =
            |folder: QueueFolder| std::fs::read_dir(dir.queue_dir(folder)).map_or(0, |e| e.count());
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let cpu = proc_usage(pid).map(|u| u.cpu_secs).ok();
            samples.push(json!({
                "secs": start.elapsed().as_secs(),
                "rss_mb": rss_bytes(pid).map(|b| b / 1_048_576),
                "cpu_secs": cpu,
                "pending": count(QueueFolder::Pending),
                "finished": count(QueueFolder::Completed) + count(QueueFolder::Failed),
            }));
            for _ in 0..20 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        samples
    })
}
