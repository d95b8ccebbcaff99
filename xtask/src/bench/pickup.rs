//! Pickup latency through the real daemon: a job prepared in `queue/pending/tmp/` is renamed
//! into `queue/pending/` and timed until the daemon's claim renames it out (into `active/`).
//! Dry-run jobs, one at a time, each left to finish before the next; then again with a backlog
//! of jobs scheduled for next year waiting in `pending/`, which every scan reads.

use std::path::Path;
use std::time::{Duration, Instant};

use panos_queue::{Job, JobId, JobKind, QueueFolder, StateDir};
use serde_json::json;

use super::Bench;
use super::figures::{Figure, Target, ms, percentile};
use super::fleet::{one_hop_fleet, paths};
use super::lab::{Daemon, Lab, wait_until};

/// Runs the pickup part.
pub fn run(bench: &mut Bench) -> Result<(), String> {
    let (rounds, backlog) = if bench.quick { (40, 200) } else { (300, 1000) };
    let devices = 20;
    // Real time on both sides; the daemon's defaults but for a rate that keeps dry runs short.
    let lab = Lab::start(
        &bench.runtime,
        one_hop_fleet(devices, 0, 3),
        1.0,
        &paths(),
        |c| {
            c.panorama.rate_limit_per_second = 1000;
            c.panorama.rate_limit_burst = 50;
        },
    )?;
    let daemon = Daemon::start(&bench.panosd, &lab, devices, Duration::from_secs(60))?;
    let serials = lab.sim.serials();
    let mut detail = serde_json::Map::new();
    let mut outcome = Ok(());
    for (label, waiting) in [("pickup", 0), ("pickup.backlog", backlog)] {
        for i in 0..waiting {
            let mut later = Job::new(
                JobId::new_random(),
                JobKind::Standalone,
                vec![format!("LATER{i:06}").parse().expect("serial")],
            );
            later.not_before = Some(chrono::Utc::now() + chrono::Duration::days(365));
            lab.dir()
                .submit_job(&later)
                .map_err(|e| format!("cannot submit a backlog job: {e}"))?;
        }
        let mut samples = Vec::with_capacity(rounds);
        for round in 0..rounds {
            match one_round(&lab, &serials[round % serials.len()]) {
                Ok(latency) => samples.push(latency),
                Err(e) => {
                    outcome = Err(format!("{label}: {e}"));
                    break;
                }
            }
        }
        if samples.is_empty() {
            break;
        }
        samples.sort();
        let p50 = percentile(&samples, 0.5).expect("samples");
        let p99 = percentile(&samples, 0.99).expect("samples");
        let max = *samples.last().expect("samples");
        bench.report(Figure::new(format!("{label}.p50"), ms(p50), "ms"));
        bench.report(
            Figure::new(format!("{label}.p99"), ms(p99), "ms").with_target(Target::AtMost(50.0)),
        );
        detail.insert(
            label.to_owned(),
            json!({
                "rounds": samples.len(), "waiting_in_pending": waiting,
                "p50_ms": ms(p50), "p90_ms": ms(percentile(&samples, 0.9).expect("samples")),
                "p99_ms": ms(p99), "max_ms": ms(max),
            }),
        );
        if outcome.is_err() {
            break;
        }
    }
    drop(daemon);
    lab.shutdown(&bench.runtime);
    bench.detail("pickup", serde_json::Value::Object(detail));
    outcome
}

/// One job: prepared, renamed into `pending/`, timed until claimed; then left to finish.
fn one_round(lab: &Lab, serial: &str) -> Result<Duration, String> {
    let dir = lab.dir();
    let mut job = Job::new(
        JobId::new_random(),
        JobKind::Standalone,
        vec![
            serial
                .parse()
                .map_err(|e| format!("serial {serial}: {e}"))?,
        ],
    );
    job.dry_run = true;
    let name = format!("{}.json", job.job_id);
    let prepared = dir.pending_tmp_dir().join(&name);
    let pending = dir.job_path(QueueFolder::Pending, &name);
    let bytes = serde_json::to_vec_pretty(&job).map_err(|e| format!("cannot encode a job: {e}"))?;
    std::fs::write(&prepared, bytes).map_err(|e| format!("cannot write a job: {e}"))?;
    std::fs::rename(&prepared, &pending).map_err(|e| format!("cannot rename a job: {e}"))?;
    let latency = wait_gone(&pending, Duration::from_secs(30))
        .ok_or_else(|| "a job was not claimed within 30 s".to_string())?;
    match dir.find_job(job.job_id).map(|(folder, _)| folder) {
        Some(QueueFolder::Failed) if !filed_with_result(&dir, &job) => {
            return Err("the daemon refused a job as malformed".into());
        }
        None => return Err("a claimed job is in no folder".into()),
        _ => {}
    }
    if !wait_until(Duration::from_secs(30), || {
        lab.finished_job(job.job_id).is_some()
    }) {
        return Err("a dry run did not finish within 30 s".into());
    }
    std::thread::sleep(Duration::from_millis(20));
    Ok(latency)
}

fn filed_with_result(dir: &StateDir, job: &Job) -> bool {
    dir.find_job(job.job_id)
        .and_then(|(_, path)| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<Job>(&text).ok())
        .is_some_and(|j| j.result.is_some())
}

/// Time until `path` no longer exists (from just after its rename), checked every 100 µs.
fn wait_gone(path: &Path, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if !path.exists() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}
