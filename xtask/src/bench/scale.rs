//! The scale part: thousands of simulated devices (10,000; 1,000 with `--quick`) upgraded one
//! hop each through the real daemon, 50 workers; reports the daemon's peak RSS (`VmHWM`) and
//! its CPU seconds (user + system) per device upgraded, read from `/proc` before it stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use panos_queue::{QueueFolder, StateDir};

use serde_json::json;

use super::Bench;
use super::figures::{Figure, Target};
use super::fleet::{fleet_jobs, one_hop_fleet, paths, run_jobs, tune};
use super::lab::{Daemon, Lab, proc_usage, rss_bytes};

/// Simulated seconds per real second: devices are quick, so the daemon and the API carry the
/// load.
const SCALE: f64 = 5000.0;
/// Requests per real second allowed to the daemon.
const RATE: u32 = 5000;

/// Runs the scale part.
pub fn run(bench: &mut Bench) -> Result<(), String> {
    let devices = if bench.quick { 1_000 } else { 10_000 };
    let lab = Lab::start(
        &bench.runtime,
        one_hop_fleet(devices, 0, 11),
        SCALE,
        &paths(),
        |c| tune(c, SCALE, 50, RATE, 50),
    )?;
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
    let api_calls = counters.total;
    // Requests per device upgraded, by operation: where the calls go.
    let per_device = counters.total.max(1) as f64 / devices as f64;
    let by_op: serde_json::Map<String, serde_json::Value> = counters
        .by_op
        .iter()
        .map(|(op, n)| (format!("{op:?}"), json!(*n as f64 / devices as f64)))
        .collect();
    let inventory_warnings = lab.log_lines_containing("inventory not refreshed");
    lab.shutdown(&bench.runtime);
    let (batch, usage) = (batch?, usage?);
    let per_device_ms = usage.cpu_secs * 1000.0 / batch.upgraded.max(1) as f64;
    let label = if bench.quick { "1k" } else { "10k" };
    bench.report(Figure::new(
        format!("scale.devices_{label}"),
        batch.upgraded as f64,
        "devices",
    ));
    bench.report(
        Figure::new(
            "scale.rss_peak",
            usage.rss_peak_bytes as f64 / 1_048_576.0,
            "MB",
        )
        .with_target(Target::AtMost(150.0)),
    );
    bench.report(
        Figure::new("scale.cpu_per_device", per_device_ms, "ms").with_target(Target::AtMost(5.0)),
    );
    bench.report(Figure::new("scale.wall", batch.makespan.as_secs_f64(), "s"));
    bench.detail(
        "scale",
        json!({
            "devices": devices, "workers": 50, "time_scale": SCALE, "rate_limit_per_second": RATE,
            "upgraded": batch.upgraded, "not_upgraded": batch.not_upgraded,
            "makespan_secs": batch.makespan.as_secs_f64(), "api_calls": api_calls,
            "api_calls_per_device": per_device, "api_calls_per_device_by_op": by_op,
            "rss_peak_bytes": usage.rss_peak_bytes, "cpu_secs": usage.cpu_secs, "system_cpu_secs": usage.system_secs,
            "rss_peak_bytes_at_start": at_start.rss_peak_bytes,
            "cpu_secs_at_start": at_start.cpu_secs,
            "inventory_warnings": inventory_warnings,
            "samples": samples,
        }),
    );
    batch.all_upgraded()
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
