//! The CLI part: `panosctl job list` over a state directory holding thousands of finished job
//! files (10,000; 1,000 with `--quick`) in every terminal folder, each a valid job with its
//! result, written with panos-queue's types; the median of several runs of the release binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use panos_queue::{
    DeviceOutcome, DeviceResult, Job, JobId, JobKind, JobOutcome, JobResult, QueueFolder, StateDir,
};
use serde_json::json;

use super::Bench;
use super::figures::{Figure, Target, median, ms};
use super::lab::tempdir;

/// Runs the CLI part.
pub fn run(bench: &mut Bench) -> Result<(), String> {
    let (files, runs) = if bench.quick { (1_000, 5) } else { (10_000, 9) };
    let dir = tempdir("panos-bench-cli-")?;
    write_finished_jobs(&StateDir::new(dir.path()), files)?;
    // One run to warm the page cache, as on a server where the files are read often.
    time_job_list(&bench.panosctl, dir.path())?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(time_job_list(&bench.panosctl, dir.path())?);
    }
    let median = median(&samples).expect("runs");
    let label = if bench.quick { "1k" } else { "10k" };
    bench.report(
        Figure::new(format!("cli.job_list_{label}"), ms(median), "ms")
            .with_target(Target::AtMost(150.0)),
    );
    bench.detail(
        "cli",
        json!({
            "job_files": files, "runs": runs,
            "samples_ms": samples.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

/// `panosctl --state-dir DIR job list`, output to a pipe that is read and dropped.
fn time_job_list(panosctl: &Path, root: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let output = Command::new(panosctl)
        .arg("--state-dir")
        .arg(root)
        .args(["job", "list"])
        .env_remove("PANOS_UPGRADE_HOME")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", panosctl.display()))?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        return Err(format!(
            "panosctl job list failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(elapsed)
}

/// `count` finished jobs, as the daemon files them: 70% completed, 20% failed, 10% cancelled;
/// one device in nine jobs out of ten, an HA pair in the others.
pub fn write_finished_jobs(state: &StateDir, count: usize) -> Result<(), String> {
    state
        .create()
        .map_err(|e| format!("cannot lay out the state directory: {e}"))?;
    let now = Utc::now();
    for i in 0..count {
        let outcome = match i % 10 {
            0..=6 => JobOutcome::Completed,
            7 | 8 => JobOutcome::Failed,
            _ => JobOutcome::Cancelled,
        };
        let serial = |k: usize| format!("0079{:011}", k).parse().expect("serial");
        let (kind, devices) = if i % 10 == 3 {
            (JobKind::HaPair, vec![serial(2 * i), serial(2 * i + 1)])
        } else {
            (JobKind::Standalone, vec![serial(2 * i)])
        };
        let mut job = Job::new(JobId::new_random(), kind, devices.clone());
        let submitted = now - chrono::Duration::seconds((count - i) as i64 * 60);
        job.submitted_at = Some(submitted);
        job.submitted_by = Some("bench".into());
        let device_outcome = match outcome {
            JobOutcome::Completed => DeviceOutcome::Upgraded,
            JobOutcome::Failed => DeviceOutcome::Failed,
            JobOutcome::Cancelled => DeviceOutcome::Cancelled,
        };
        let results = devices
            .into_iter()
            .map(|s| {
                let mut d = DeviceResult::new(s, device_outcome);
                d.from_version = Some("11.1.4".parse().expect("version"));
                d.to_version = Some("11.1.6".parse().expect("version"));
                d.path = vec!["11.1.6".parse().expect("version")];
                if device_outcome == DeviceOutcome::Failed {
                    d.step = Some("wait_reboot".into());
                    d.error = Some("the device did not come back within 60 minutes".into());
                    d.manual_action = Some("check the device on its console".into());
                }
                d
            })
            .collect();
        job.result = Some(JobResult {
            outcome,
            started_at: Some(submitted + chrono::Duration::seconds(5)),
            finished_at: submitted + chrono::Duration::seconds(1800),
            error: (outcome == JobOutcome::Failed)
                .then(|| "the device did not come back within 60 minutes".into()),
            manual_action: None,
            cancelled_by: (outcome == JobOutcome::Cancelled).then(|| "bench".into()),
            devices: results,
        });
        let folder = match outcome {
            JobOutcome::Completed => QueueFolder::Completed,
            JobOutcome::Failed => QueueFolder::Failed,
            JobOutcome::Cancelled => QueueFolder::Cancelled,
        };
        let path = state.job_path(folder, &format!("{}.json", job.job_id));
        let bytes =
            serde_json::to_vec_pretty(&job).map_err(|e| format!("cannot encode a job: {e}"))?;
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_jobs_are_valid_in_every_terminal_folder() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        write_finished_jobs(&state, 20).unwrap();
        for (folder, expected, outcome) in [
            (QueueFolder::Completed, 14, JobOutcome::Completed),
            (QueueFolder::Failed, 4, JobOutcome::Failed),
            (QueueFolder::Cancelled, 2, JobOutcome::Cancelled),
        ] {
            let jobs = state.read_jobs(folder).unwrap();
            assert_eq!(jobs.len(), expected, "{folder:?}");
            for (path, job) in jobs {
                let job = job.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                job.check().unwrap();
                assert_eq!(job.result.unwrap().outcome, outcome);
            }
        }
        assert!(state.read_jobs(QueueFolder::Pending).unwrap().is_empty());
    }
}
