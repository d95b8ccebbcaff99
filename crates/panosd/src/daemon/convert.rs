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
            // Absent in the file: the configuration decides (`validation.postflight_failure`).
            postflight_failure: job.options.postflight_failure.map(|policy| match policy {
                panos_queue::PostflightPolicy::Warn => PostflightPolicy::Warn,
                panos_queue::PostflightPolicy::Fail => PostflightPolicy::Fail,
            }),
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

#[cfg(test)]
mod tests {
    use panos_upgrade::{DeviceReport, Step, UpgradeFailure};

    use super::*;

    fn serial(s: &str) -> Serial {
        s.parse().unwrap()
    }

    #[test]
    fn a_failed_device_keeps_its_step_error_and_manual_action() {
        let failure = UpgradeFailure::new(
            &serial("0001"),
            Some(&"10.2.10".parse().unwrap()),
            Step::Install,
            "the install job failed",
            "check the device's system log",
        );
        let report = JobReport {
            job_id: "j".into(),
            outcome: JobOutcome::Failed,
            devices: vec![DeviceReport {
                serial: serial("0001"),
                hostname: Some("fw1".into()),
                from_version: Some("10.1.9".parse().unwrap()),
                to_version: None,
                path: vec!["10.2.10".parse().unwrap()],
                outcome: DeviceOutcome::Failed { failure },
                warnings: vec!["w".into()],
            }],
        };
        let result = job_result(&report, Utc::now(), Some("someone".into()));
        assert_eq!(result.outcome, QJobOutcome::Failed);
        assert_eq!(
            result.cancelled_by, None,
            "only cancelled jobs name who cancelled"
        );
        assert!(result.error.as_deref().unwrap().contains("step install"));
        assert_eq!(
            result.manual_action.as_deref(),
            Some("check the device's system log")
        );
        let device = &result.devices[0];
        assert_eq!(device.outcome, QOutcome::Failed);
        assert_eq!(device.step.as_deref(), Some("install"));
        assert_eq!(device.from_version.as_ref().unwrap().as_str(), "10.1.9");
        assert_eq!(device.path.len(), 1);
        assert_eq!(device.warnings, ["w"]);
    }

    #[test]
    fn job_files_map_to_engine_jobs() {
        let mut job = Job::new(
            panos_queue::JobId::new_random(),
            panos_queue::JobKind::HaPair,
            vec!["0001".parse().unwrap(), "0002".parse().unwrap()],
        );
        job.target_version = Some("11.1.6".parse().unwrap());
        job.options.postflight_failure = Some(panos_queue::PostflightPolicy::Warn);
        let engine = upgrade_job(&job).unwrap();
        assert!(matches!(engine.kind, JobKind::HaPair { .. }));
        assert_eq!(engine.job_id, job.job_id.to_string());
        assert_eq!(engine.target_version.unwrap().to_string(), "11.1.6");
        assert_eq!(
            engine.options.postflight_failure,
            Some(PostflightPolicy::Warn)
        );
        job.options.postflight_failure = Some(panos_queue::PostflightPolicy::Fail);
        assert_eq!(
            upgrade_job(&job).unwrap().options.postflight_failure,
            Some(PostflightPolicy::Fail),
            "an explicit `fail` overrides a configuration that says `warn`"
        );
        job.options.postflight_failure = None;
        assert_eq!(upgrade_job(&job).unwrap().options.postflight_failure, None);
    }
}
