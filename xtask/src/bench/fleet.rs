//! The fleet parts: the makespan of a generated fleet (every device one hop, 11.1.4 → 11.1.6,
//! nothing downloaded yet) through the real daemon, against the lower bound of [`super::bound`];
//! and the API calls of one standalone job and one HA pair job, counted by the simulator.
//! Also the jobs runner the scale part shares.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use panos_queue::{DeviceOutcome, Job, JobId, JobKind, QueueFolder};
use panos_sim::{FleetShape, FleetSpec, Timings, generate_fleet};
use panosd::Config;
use serde_json::json;

use super::Bench;
use super::bound::{self, lower_bound};
use super::figures::{Figure, Target};
use super::lab::{Daemon, Lab, wait_until};
use super::phases;

/// The version every device starts on, and its one hop.
pub const FROM: &str = "11.1.4";
/// The target: a maintenance release of the same feature release (no base image).
pub const TO: &str = "11.1.6";
/// Simulated seconds per real second for the fleet and API-call parts.
pub const SCALE: f64 = 200.0;
/// The API rate limit in requests per *simulated* second (the daemon's default, 10); the
/// daemon's real limit is this times the scale, so the rehearsal keeps the proportions of a
/// real run.
pub const RATE_SIM: f64 = 10.0;

/// `upgrade_paths.json` of every fleet part.
pub fn paths() -> String {
    format!(r#"{{"{FROM}": ["{TO}"]}}"#)
}

/// A generated fleet, every device on [`FROM`] with nothing downloaded.
pub fn one_hop_fleet(devices: usize, ha_pairs: usize, seed: u64) -> FleetSpec {
    let mut fleet = generate_fleet(&FleetShape {
        devices,
        ha_pairs,
        seed,
    });
    for device in &mut fleet.devices {
        device.sw_version = FROM.to_owned();
        device.downloaded.clear();
    }
    fleet
}

/// The daemon's configuration for a scaled rehearsal: `workers` workers, the API rate scaled
/// with the clock, timeouts `slack` times longer (requests queue behind the rate limit in real
/// time), and the daemon's own intervals near real seconds.
pub fn tune(config: &mut Config, scale: f64, workers: u32, rate: u32, slack: u64) {
    config.workers.max = workers;
    config.panorama.rate_limit_per_second = rate;
    config.panorama.rate_limit_burst = (rate / 20).clamp(5, 200);
    config.panorama.request_timeout_secs = 30;
    let t = &mut config.timing;
    for timeout in [
        &mut t.download_timeout_secs,
        &mut t.install_timeout_secs,
        &mut t.reboot_timeout_secs,
        &mut t.go_away_grace_secs,
        &mut t.chassis_ready_timeout_secs,
        &mut t.ha_timeout_secs,
        &mut t.read_retry_secs,
        &mut t.jobs_idle_timeout_secs,
    ] {
        *timeout *= slack;
    }
    config.daemon.status_interval_secs = scale;
    config.daemon.rescan_interval_secs = scale;
    config.daemon.inventory_interval_secs = scale * 3600.0;
    config.daemon.shutdown_grace_secs = scale * 10.0;
}

/// One job per standalone device and per HA pair of the simulator's fleet, pairs first (the
/// fleet order).
pub fn fleet_jobs(lab: &Lab) -> Vec<Job> {
    let pairs = lab.sim.ha_pairs();
    let in_pair: HashSet<&String> = pairs.iter().flat_map(|(a, b)| [a, b]).collect();
    let serial = |s: &str| s.parse().expect("the simulator's serials are valid");
    let mut jobs: Vec<Job> = pairs
        .iter()
        .map(|(a, b)| {
            Job::new(
                JobId::new_random(),
                JobKind::HaPair,
                vec![serial(a), serial(b)],
            )
        })
        .collect();
    let serials = lab.sim.serials();
    jobs.extend(
        serials
            .iter()
            .filter(|s| !in_pair.contains(s))
            .map(|s| Job::new(JobId::new_random(), JobKind::Standalone, vec![serial(s)])),
    );
    jobs
}

/// How a batch of jobs went.
pub struct Batch {
    /// From the first submission to the last `finished_at`.
    pub makespan: Duration,
    /// Devices the jobs upgraded.
    pub upgraded: usize,
    /// Devices that ended any other way, with why (the first few).
    pub not_upgraded: Vec<String>,
    /// Devices in all.
    pub devices: usize,
}

impl Batch {
    /// `Err` naming the devices that were not upgraded, when any was not: a part cannot
    /// measure an upgrade that did not happen.
    pub fn all_upgraded(&self) -> Result<(), String> {
        if self.upgraded == self.devices {
            return Ok(());
        }
        Err(format!(
            "{} of {} devices were not upgraded: {}",
            self.devices - self.upgraded,
            self.devices,
            self.not_upgraded.join("; ")
        ))
    }
}

/// Submits `jobs` as the web app does and waits (at most `limit`) until every one is filed.
pub fn run_jobs(lab: &Lab, jobs: &[Job], limit: Duration) -> Result<Batch, String> {
    let dir = lab.dir();
    let started: DateTime<Utc> = Utc::now();
    let clock = Instant::now();
    // Job files in the final folders.
    let filed = || -> usize {
        [
            QueueFolder::Completed,
            QueueFolder::Failed,
            QueueFolder::Cancelled,
        ]
        .into_iter()
        .map(|folder| {
            std::fs::read_dir(dir.queue_dir(folder))
                .map(|entries| {
                    entries
                        .flatten()
                        .filter(|e| {
                            let name = e.file_name();
                            let name = name.to_string_lossy();
                            name.ends_with(".json") && !name.ends_with(".reason.json")
                        })
                        .count()
                })
                .unwrap_or(0)
        })
        .sum()
    };
    let before = filed();
    for job in jobs {
        dir.submit_job(job)
            .map_err(|e| format!("cannot submit a job: {e}"))?;
    }
    let all_filed = wait_until(limit, || filed() >= before + jobs.len());
    if !all_filed {
        return Err(format!(
            "not every job finished within {limit:?} (the daemon's logs are in {})",
            dir.text_logs_dir().display()
        ));
    }
    let mut last = started;
    let mut batch = Batch {
        makespan: Duration::ZERO,
        upgraded: 0,
        not_upgraded: Vec::new(),
        devices: 0,
    };
    for job in jobs {
        let filed = lab
            .finished_job(job.job_id)
            .ok_or_else(|| format!("job {} is not readable in its folder", job.job_id))?;
        let result = filed
            .result
            .ok_or_else(|| format!("job {} has no result", job.job_id))?;
        last = last.max(result.finished_at);
        for device in &result.devices {
            batch.devices += 1;
            if device.outcome == DeviceOutcome::Upgraded {
                batch.upgraded += 1;
            } else if batch.not_upgraded.len() < 5 {
                batch.not_upgraded.push(format!(
                    "{} {:?} at {}: {}",
                    device.serial,
                    device.outcome,
                    device.step.as_deref().unwrap_or("-"),
                    device
                        .error
                        .as_deref()
                        .or(device.message.as_deref())
                        .unwrap_or("-")
                ));
            }
        }
    }
    // `finished_at` is the daemon's clock (the same machine); the poll above only bounds it.
    batch.makespan = (last - started)
        .to_std()
        .unwrap_or_else(|_| clock.elapsed());
    Ok(batch)
}

/// Fleet makespan against its lower bound.
pub fn makespan(bench: &mut Bench) -> Result<(), String> {
    let (devices, ha_pairs) = if bench.quick { (40, 4) } else { (230, 20) };
    let workers = 50;
    let rate = (RATE_SIM * SCALE) as u32;
    let lab = Lab::start(
        &bench.runtime,
        one_hop_fleet(devices, ha_pairs, 7),
        SCALE,
        &paths(),
        |c| tune(c, SCALE, workers, rate, 5),
    )?;
    let mut daemon = Daemon::start(&bench.panosd, &lab, devices, Duration::from_secs(120))?;
    let jobs = fleet_jobs(&lab);
    lab.sim.reset_requests();
    let batch = run_jobs(&lab, &jobs, Duration::from_secs(900));
    let usage = daemon.usage();
    daemon.stop();
    let counters = lab.sim.counters();
    let sim_elapsed = lab.sim.sim_elapsed();
    let serials: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| j.devices.iter().map(|s| s.as_str().to_owned()).collect())
        .collect();
    let phases = phases::phases(&lab.sim.requests(), &Timings::default(), &serials);
    lab.shutdown(&bench.runtime);
    let batch = batch?;
    let shape = bound::FleetShape {
        devices,
        ha_pairs,
        workers: workers as usize,
        scale: SCALE,
        api_calls: counters.total,
        rate_per_second: f64::from(rate),
    };
    let bound = lower_bound(&Timings::default(), &shape);
    let secs = batch.makespan.as_secs_f64();
    bench.report(Figure::new("fleet.makespan", secs, "s"));
    bench.report(Figure::new("fleet.lower_bound", bound.secs, "s"));
    bench.report(
        Figure::new("fleet.makespan_ratio", secs / bound.secs, "")
            .with_target(Target::AtMost(1.05)),
    );
    bench.report(Figure::new(
        "fleet.api_calls",
        counters.total as f64,
        "calls",
    ));
    bench.report(Figure::new(
        "fleet.upgraded",
        batch.upgraded as f64,
        "devices",
    ));
    bench.report(Figure::new(
        "fleet.standalone_job",
        phases.standalone_job_secs,
        "sim s",
    ));
    bench.report(Figure::new(
        "fleet.ha_pair_job",
        phases.pair_job_secs,
        "sim s",
    ));
    let by_op: BTreeMap<String, u64> = counters
        .by_op
        .iter()
        .map(|(op, n)| (format!("{op:?}"), *n))
        .collect();
    bench.detail(
        "fleet",
        json!({
            "devices": devices, "ha_pairs": ha_pairs, "jobs": jobs.len(), "workers": workers,
            "time_scale": SCALE, "rate_limit_per_sim_second": RATE_SIM,
            "rate_limit_per_second": rate, "from": FROM, "to": TO,
            "makespan_secs": secs, "makespan_sim_secs": secs * SCALE,
            "sim_elapsed_secs": sim_elapsed.as_secs_f64(),
            "bound": bound, "phases_sim_secs": phases, "upgraded": batch.upgraded, "devices_in_jobs": batch.devices,
            "not_upgraded": batch.not_upgraded, "api_calls_by_op": by_op,
            "daemon_cpu_secs": usage.as_ref().ok().map(|u| u.cpu_secs), "daemon_system_cpu_secs": usage.as_ref().ok().map(|u| u.system_secs),
            "daemon_rss_peak_bytes": usage.as_ref().ok().map(|u| u.rss_peak_bytes),
        }),
    );
    batch.all_upgraded()
}

/// API calls of one standalone one-hop job, then of one HA pair job, alone on the daemon.
pub fn api_calls(bench: &mut Bench) -> Result<(), String> {
    let rate = (RATE_SIM * SCALE) as u32;
    let lab = Lab::start(
        &bench.runtime,
        one_hop_fleet(3, 1, 7),
        SCALE,
        &paths(),
        |c| tune(c, SCALE, 5, rate, 5),
    )?;
    let mut daemon = Daemon::start(&bench.panosd, &lab, 3, Duration::from_secs(60))?;
    let jobs = fleet_jobs(&lab);
    let mut detail = serde_json::Map::new();
    let mut outcome = Ok(());
    // The standalone job first (it is last in fleet order), then the pair.
    for (name, job) in [
        ("api.standalone_one_hop", &jobs[1]),
        ("api.ha_pair", &jobs[0]),
    ] {
        lab.sim.reset_requests();
        let batch = match run_jobs(&lab, std::slice::from_ref(job), Duration::from_secs(120)) {
            Ok(batch) => batch,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        let counters = lab.sim.counters();
        let on_devices: u64 = job
            .devices
            .iter()
            .map(|s| counters.by_target.get(s.as_str()).copied().unwrap_or(0))
            .sum();
        let by_op: BTreeMap<String, u64> = counters
            .by_op
            .iter()
            .map(|(op, n)| (format!("{op:?}"), *n))
            .collect();
        bench.report(Figure::new(name, counters.total as f64, "calls"));
        detail.insert(
            name.to_owned(),
            json!({
                "total": counters.total, "to_the_devices": on_devices, "by_op": by_op,
                "seconds": batch.makespan.as_secs_f64(), "upgraded": batch.upgraded,
                "devices": batch.devices,
            }),
        );
        if batch.upgraded != batch.devices {
            outcome = Err(format!("{name}: {}", batch.not_upgraded.join("; ")));
            break;
        }
    }
    daemon.stop();
    lab.shutdown(&bench.runtime);
    bench.detail("api", serde_json::Value::Object(detail));
    outcome
}
