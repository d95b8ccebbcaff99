//! Translations between the protocol's file types (panos-queue: text identifiers, the web
//! app's job file and result) and the engine's (panos-client newtypes, [`UpgradeJob`],
//! [`JobReport`]).

use chrono::{DateTime, Utc};
use panos_client::{Serial, SoftwareVersion};
use panos_queue::{
    DeviceOutcome as QOutcome, DeviceResult, Job, JobOutcome as QJobOutcome, JobResult,
};
use panos_upgrade::{
    DeviceOutcome, JobKind, JobOutcome, JobReport, PostflightPolicy, UpgradeJob, UpgradeOptions,
};

/// The protocol's serial for a client serial.
pub fn queue_serial(serial: &Serial) -> Option<panos_queue::Serial> {
    serial.to_string().parse().ok()
}

/// The protocol's version for a client version.
pub fn queue_version(version: &SoftwareVersion) -> Option<panos_queue::Version> {
    version.to_string().parse().ok()
}

/// The engine's job for a job file; the reason when a value is not acceptable to the client.
pub fn upgrade_job(job: &Job) -> Result<UpgradeJob, String> {
    let serials: Vec<Serial> = job
        .devices
        .iter()
        .map(|s| {
            s.as_str()
                .parse::<Serial>()
                .map_err(|e| format!("serial {s}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let kind = match (job.kind, serials.as_slice()) {
        (panos_queue::JobKind::Standalone, [serial]) => JobKind::Standalone {
            serial: serial.clone(),
        },
        (panos_queue::JobKind::HaPair, [a, b]) => JobKind::HaPair {
            a: a.clone(),
            b: b.clone(),
        },
        _ => return Err("the job's devices do not fit its kind".to_owned()),
    };
    let target_version = job
        .target_version
        .as_ref()
        .map(|v| {
            v.as_str()
                .parse::<SoftwareVersion>()
                .map_err(|e| format!("target_version {v}: {e}"))
        })
        .transpose()?;
    Ok(UpgradeJob {
        job_id: job.job_id.to_string(),
        kind,
        dry_run: job.dry_run,
        target_version,
        options: UpgradeOptions {
            suspend_passive_first: job.options.suspend_passive_first,
            failover: job.options.failover,
            // The file's default is `fail`; only an explicit `warn` overrides the
            // configuration (`validation.postflight_failure`).
            postflight_failure: match job.options.postflight_failure {
                panos_queue::PostflightPolicy::Warn => Some(PostflightPolicy::Warn),
                panos_queue::PostflightPolicy::Fail => None,
            },
        },
    })
}

/// The result written into the job file for the engine's report.
pub fn job_result(
    report: &JobReport,
    started_at: DateTime<Utc>,
    cancelled_by: Option<String>,
) -> JobResult {
    let outcome = match report.outcome {
        JobOutcome::Completed => QJobOutcome::Completed,
        JobOutcome::Failed => QJobOutcome::Failed,
        JobOutcome::Cancelled => QJobOutcome::Cancelled,
    };
    let devices: Vec<DeviceResult> = report.devices.iter().filter_map(device_result).collect();
    let manual_action = devices.iter().find_map(|d| d.manual_action.clone());
    JobResult {
        outcome,
        started_at: Some(started_at),
        finished_at: Utc::now(),
        error: report.first_failure().map(ToString::to_string),
        manual_action,
        cancelled_by: if outcome == QJobOutcome::Cancelled {
            cancelled_by
        } else {
            None
        },
        devices,
    }
}

fn device_result(d: &panos_upgrade::DeviceReport) -> Option<DeviceResult> {
    let serial = queue_serial(&d.serial)?;
    let outcome = match &d.outcome {
        DeviceOutcome::Upgraded => QOutcome::Upgraded,
        DeviceOutcome::AlreadyOnTarget => QOutcome::AlreadyOnTarget,
        DeviceOutcome::Skipped { .. } => QOutcome::Skipped,
        DeviceOutcome::Planned { .. } => QOutcome::Planned,
        DeviceOutcome::Failed { .. } => QOutcome::Failed,
        DeviceOutcome::Cancelled { .. } => QOutcome::Cancelled,
    };
    let mut result = DeviceResult::new(serial, outcome);
    result.hostname = d.hostname.clone();
    result.from_version = d.from_version.as_ref().and_then(queue_version);
    result.to_version = d.to_version.as_ref().and_then(queue_version);
    result.path = d.path.iter().filter_map(queue_version).collect();
    result.warnings = d.warnings.clone();
    match &d.outcome {
        DeviceOutcome::Skipped { reason } => result.message = Some(reason.clone()),
        DeviceOutcome::Planned {
            hops,
            expected_secs,
        } => {
            result.plan = Some(serde_json::json!({
                "hops": hops,
                "expected_secs": expected_secs,
            }));
        }
        DeviceOutcome::Failed { failure } => {
            result.step = Some(failure.step.to_string());
            result.error = Some(failure.to_string());
            result.manual_action = Some(failure.manual_action.clone());
        }
        DeviceOutcome::Cancelled { manual_action } => {
            result.manual_action = manual_action.clone();
        }
        DeviceOutcome::Upgraded | DeviceOutcome::AlreadyOnTarget => {}
    }
    Some(result)
}

/// A failed result for a job that could not start (`reason` says why).
pub fn failed_result(started_at: DateTime<Utc>, reason: String) -> JobResult {
    JobResult {
        outcome: QJobOutcome::Failed,
        started_at: Some(started_at),
        finished_at: Utc::now(),
        error: Some(reason),
        manual_action: None,
        cancelled_by: None,
        devices: Vec::new(),
    }
}
