//! One job's task (`device_worker`): marks its devices queued, runs the engine with the
//! job's sink, and files the job with its result, or, when the daemon is stopping, leaves it
//! in `queue/active/` with its checkpoint so the next start resumes it.

use std::sync::Arc;

use chrono::Utc;
use panos_client::PanosApi;
use panos_queue::{ActiveJob, DeviceState as QState, DeviceStatus, Job, JobOutcome};
use panos_upgrade::{JobReport, ResumeState};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::convert::{failed_result, job_result, upgrade_job};
use super::shared::Shared;
use super::sink::JobSink;
use crate::store::PreSnapshotRef;

/// Everything a job's task needs.
pub struct JobRun<A> {
    /// The daemon's shared state.
    pub shared: Arc<Shared>,
    /// The one API client.
    pub api: Arc<A>,
    /// The claimed job.
    pub active: ActiveJob,
    /// Where it resumes from.
    pub resume: ResumeState,
    /// Its pre-flight snapshot files.
    pub pre_refs: Vec<PreSnapshotRef>,
    /// Cancels it (a child of the daemon's stop token).
    pub cancel: CancellationToken,
    /// The daemon is stopping.
    pub stop: CancellationToken,
    /// Its worker slot.
    pub permit: OwnedSemaphorePermit,
}

/// Runs one job to its end (see the module doc).
pub async fn device_worker<A: PanosApi + 'static>(run: JobRun<A>) {
    let job_id = run.active.job.job_id;
    let span = tracing::info_span!(
        "job",
        job_id = %job_id,
        devices = %run.active.job.devices.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
    );
    run_inner(run).instrument(span).await;
}

async fn run_inner<A: PanosApi + 'static>(run: JobRun<A>) {
    let JobRun {
        shared,
        api,
        active,
        resume,
        pre_refs,
        cancel,
        stop,
        permit,
    } = run;
    let job = active.job.clone();
    let job_id = job.job_id;
    let started_at = active.started_at;
    let resumed = resume.checkpoint.is_some();
    tracing::info!(resumed, dry_run = job.dry_run, "job started");

    let engine_job = match upgrade_job(&job) {
        Ok(engine_job) => engine_job,
        Err(reason) => {
            tracing::error!(%reason, "job refused");
            file(&shared, job, failed_result(started_at, reason)).await;
            shared.end_job(job_id);
            drop(permit);
            return;
        }
    };
    let devices = initial_statuses(&shared, &job).await;
    let sink = JobSink::new(
        Arc::clone(&shared),
        job_id,
        job.submitted_by.clone(),
        devices,
        job.pair_name(),
        resume.checkpoint.clone(),
        pre_refs,
    );
    sink.write_all().await;

    let live = shared.live();
    let mut engine = live.engine.clone();
    if let Some(secs) = job.options.reboot_timeout_secs {
        engine.timing.reboot_timeout_secs = secs;
    }
    // Restart times learned from the daemon's earlier jobs: polls wait until the device can
    // be back.
    let resume = ResumeState {
        learned: shared.learned.clone(),
        ..resume
    };
    let report: JobReport = sink
        .drive(panos_upgrade::run_job(
            &*api,
            &sink,
            &engine,
            &live.paths,
            &engine_job,
            resume,
            cancel.clone(),
        ))
        .await;
    // The last progress may be held back; it is written before the devices are released.
    sink.flush().await;

    let user_cancel = shared.cancelled_by_user(job_id);
    if stop.is_cancelled() && !user_cancel && report.outcome == panos_upgrade::JobOutcome::Cancelled
    {
        sink.flush_checkpoint().await;
        tracing::info!(
            "daemon stopping: the job stays in queue/active/ and resumes from its checkpoint at the next start"
        );
        shared.end_job(job_id);
        drop(permit);
        return;
    }
    let cancelled_by = shared.end_job(job_id).flatten();
    let mut result = job_result(&report, started_at, cancelled_by);
    let roles = sink.roles().await;
    for device in &mut result.devices {
        device.ha_role = roles.get(device.serial.as_str()).cloned();
    }
    tracing::info!(outcome = ?result.outcome, error = result.error.as_deref(), "job ended");
    file(&shared, job, result).await;
    shared.store.remove_checkpoint(job_id).await;
    drop(permit);
}

/// The status files a job starts from: each device's current file (hostname, model,
/// version from the inventory) marked queued for this job.
async fn initial_statuses(shared: &Shared, job: &Job) -> Vec<DeviceStatus> {
    let serials = job.devices.clone();
    let existing = shared
        .store
        .io(move |dir| {
            Ok(serials
                .iter()
                .map(|s| (s.clone(), dir.read_device_status(s).ok().flatten()))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap_or_default();
    let peers: Vec<_> = job.devices.clone();
    existing
        .into_iter()
        .map(|(serial, status)| {
            let mut status = status
                .unwrap_or_else(|| DeviceStatus::new(serial.clone(), QState::Queued, Utc::now()));
            status.state = QState::Queued;
            status.job_id = Some(job.job_id);
            status.dry_run = job.dry_run;
            status.step = None;
            status.progress = 0;
            status.error = None;
            status.manual_action = None;
            status.path = Vec::new();
            status.hop = None;
            status.target_version = job.target_version.clone();
            status.message = Some("queued".to_owned());
            if peers.len() == 2 {
                status.ha_peer = peers.iter().find(|p| **p != serial).cloned();
            }
            status.updated_at = Utc::now();
            status
        })
        .collect()
}

/// Files a claimed job that was not run as failed, with `reason`.
pub(super) async fn file_unrun(shared: &Shared, job: Job, reason: String) {
    file(shared, job, failed_result(Utc::now(), reason)).await;
}

/// Files the job with its result and counts it.
async fn file(shared: &Shared, mut job: Job, result: panos_queue::JobResult) {
    let outcome = result.outcome;
    if !job.dry_run {
        if outcome == JobOutcome::Completed
            && let Some(started) = result.started_at
        {
            shared.job_took((result.finished_at - started).as_seconds_f64());
        }
        let count = |o: panos_queue::DeviceOutcome| {
            result.devices.iter().filter(|d| d.outcome == o).count() as u64
        };
        let (upgraded, failed) = (
            count(panos_queue::DeviceOutcome::Upgraded),
            count(panos_queue::DeviceOutcome::Failed),
        );
        shared.count(|c| {
            c.devices_upgraded += upgraded;
            c.devices_failed += failed;
        });
    }
    job.result = Some(result);
    let job_id = job.job_id;
    match shared.store.io(move |dir| dir.finish_job(&job)).await {
        Ok(path) => tracing::info!(file = %path.display(), "job filed"),
        Err(err) => tracing::error!(%job_id, %err, "cannot file the finished job"),
    }
    shared.count(|c| match outcome {
        JobOutcome::Completed => c.jobs_completed += 1,
        JobOutcome::Failed => c.jobs_failed += 1,
        JobOutcome::Cancelled => c.jobs_cancelled += 1,
    });
}
