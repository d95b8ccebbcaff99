//! [`run_job`]: runs one upgrade job (a standalone firewall or an HA pair) to its end, resuming
//! from a checkpoint when given one.

use panos_client::model::{SoftwareCatalog, SystemInfo};
use panos_client::{PanosApi, Serial, SoftwareVersion};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::checks::PreSnapshots;
use crate::error::UpgradeFailure;
use crate::event::{DeviceCheckpoint, DeviceState, JobCheckpoint, ProgressSink, Step};
use crate::job::{DeviceOutcome, DeviceReport, JobKind, JobOutcome, JobReport, UpgradeJob};
use crate::learned::LearnedWaits;
use crate::path::{UpgradePath, UpgradePaths};
use crate::plan::{HopPlan, plan_path, suggest_path};
use crate::run::{Fresh, Run, Stop};
use crate::timing::Timing;

/// Settings of the engine (from the daemon's config).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Poll intervals, timeouts, expected durations.
    pub timing: Timing,
    /// Readiness checks, comparison thresholds, post-flight policy.
    pub validation: panos_validation::ValidationConfig,
}

/// What a job starts from: when it resumes, its last checkpoint and the pre-upgrade snapshots
/// already taken (so the comparison after the reboot still has its baseline); and what earlier
/// jobs learned of how long restarts take.
#[derive(Debug, Clone, Default)]
pub struct ResumeState {
    /// The last checkpoint emitted by the engine for this job.
    pub checkpoint: Option<JobCheckpoint>,
    /// Pre-upgrade snapshots by device and hop.
    pub pre_snapshots: PreSnapshots,
    /// The restart and chassis-ready times seen by model, shared with the other jobs (the
    /// default learns from this job alone); the job adds what its devices show.
    pub learned: LearnedWaits,
}

/// Runs `job` to its end and reports how every device ended. Never panics on device
/// behaviour; every failure is in the report with its device, hop, step and manual action.
pub async fn run_job<A: PanosApi, S: ProgressSink>(
    api: &A,
    sink: &S,
    config: &EngineConfig,
    paths: &UpgradePaths,
    job: &UpgradeJob,
    resume: ResumeState,
    cancel: CancellationToken,
) -> JobReport {
    let checkpoint = resume
        .checkpoint
        .filter(|cp| cp.job_id == job.job_id)
        .unwrap_or_else(|| JobCheckpoint {
            job_id: job.job_id.clone(),
            devices: Vec::new(),
            ha: None,
        });
    let mut run = Run {
        api,
        sink,
        timing: &config.timing,
        validation: &config.validation,
        job,
        cancel,
        cp: checkpoint,
        hostnames: Vec::new(),
        models: Default::default(),
        learned: resume.learned,
        pre: resume.pre_snapshots,
        fresh: Default::default(),
    };
    let devices = match &job.kind {
        JobKind::Standalone { serial } => vec![run_standalone(&mut run, paths, serial).await],
        JobKind::HaPair { a, b } => crate::ha::run_pair(&mut run, paths, a, b).await,
    };
    let outcome = if devices
        .iter()
        .any(|d| matches!(d.outcome, DeviceOutcome::Failed { .. }))
    {
        JobOutcome::Failed
    } else if devices
        .iter()
        .any(|d| matches!(d.outcome, DeviceOutcome::Cancelled { .. }))
    {
        JobOutcome::Cancelled
    } else {
        JobOutcome::Completed
    };
    JobReport {
        job_id: job.job_id.clone(),
        outcome,
        devices,
    }
}

/// A device read and its path decided.
pub(crate) struct Prepared {
    pub info: SystemInfo,
    pub path: UpgradePath,
    pub plans: Vec<HopPlan>,
    /// The catalog the plans were made from (until [`keep_prepared`] takes it).
    pub catalog: Option<SoftwareCatalog>,
}

/// Reads a device and decides its path; `Err` is how it ends without an upgrade.
pub(crate) async fn prepare<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    i: usize,
    paths: &UpgradePaths,
) -> Result<Prepared, (Option<SystemInfo>, DeviceOutcome)> {
    let mut prepared = read_and_plan(run, i, paths).await;
    keep_prepared(run, i, &mut prepared);
    prepared
}

/// Records what [`read_and_plan`] read of device `i`: its hostname, and its system info and
/// catalog for the steps that follow at once.
pub(crate) fn keep_prepared<A, S>(
    run: &mut Run<'_, A, S>,
    i: usize,
    prepared: &mut Result<Prepared, (Option<SystemInfo>, DeviceOutcome)>,
) {
    match prepared {
        Ok(prepared) => {
            run.hostnames[i] = Some(prepared.info.hostname.clone());
            run.models.insert(i, prepared.info.model.clone());
            run.fresh.insert(
                i,
                Fresh {
                    info: Some(prepared.info.clone()),
                    catalog: prepared.catalog.take(),
                },
            );
        }
        Err((Some(info), _)) => run.hostnames[i] = Some(info.hostname.clone()),
        Err((None, _)) => {}
    }
}

/// The reads of [`prepare`]; nothing is recorded, so both members of a pair are read at
/// once.
pub(crate) async fn read_and_plan<A: PanosApi, S: ProgressSink>(
    run: &Run<'_, A, S>,
    i: usize,
    paths: &UpgradePaths,
) -> Result<Prepared, (Option<SystemInfo>, DeviceOutcome)> {
    let serial = run.serial(i);
    let info = match run
        .read(i, Step::Preflight, "read the device's system info", || {
            run.api.system_info(&serial)
        })
        .await
    {
        Ok(info) => info,
        Err(stop) => return Err((None, outcome_from_stop(stop))),
    };
    // Refresh the catalog from the update server; a device that cannot reach it still has
    // the list it knows.
    let catalog = match run.api.software_check(&serial).await {
        Ok(catalog) => catalog,
        Err(error) => {
            tracing::warn!(%serial, "software check failed ({error}); using the cached catalog");
            match run
                .read(i, Step::Preflight, "read the software catalog", || {
                    run.api.software_info(&serial)
                })
                .await
            {
                Ok(catalog) => catalog,
                Err(stop) => return Err((Some(info), outcome_from_stop(stop))),
            }
        }
    };
    let current = info.sw_version.clone();
    let path = match resolve_path(paths, run.job.target_version.as_ref(), &current, &catalog) {
        Ok(path) => path,
        Err(outcome) => return Err((Some(info), outcome)),
    };
    if path.hops.is_empty() {
        return Err((Some(info), DeviceOutcome::AlreadyOnTarget));
    }
    match plan_path(&path, &catalog) {
        Ok(plans) => Ok(Prepared {
            info,
            path,
            plans,
            catalog: Some(catalog),
        }),
        Err(problems) => {
            let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
            let failure = UpgradeFailure::new(
                &serial,
                path.hops.first(),
                Step::Preflight,
                format!("the path {path} cannot be used: {}", messages.join("; ")),
                "fix upgrade_paths.json (panosctl path validate shows the problems), or \
                 refresh the device's catalog, then resubmit",
            );
            Err((Some(info), DeviceOutcome::Failed { failure }))
        }
    }
}

/// The path for a device on `current`: from the paths file, cut at the job's target, or
/// suggested from the catalog when the file has none for a target.
pub(crate) fn resolve_path(
    paths: &UpgradePaths,
    target: Option<&SoftwareVersion>,
    current: &SoftwareVersion,
    catalog: &SoftwareCatalog,
) -> Result<UpgradePath, DeviceOutcome> {
    let from_file = paths.path_for(current);
    let Some(target) = target else {
        return from_file.ok_or_else(|| DeviceOutcome::Skipped {
            reason: format!(
                "version {current} is not in upgrade_paths.json: add an entry for it, or \
                 submit the job with a target_version"
            ),
        });
    };
    if current == target {
        return Ok(UpgradePath {
            from: current.clone(),
            hops: Vec::new(),
        });
    }
    if current > target {
        return Err(DeviceOutcome::Skipped {
            reason: format!(
                "the device runs {current}, newer than the target {target}: downgrades are \
                 not done"
            ),
        });
    }
    if let Some(path) = from_file
        && let Some(at) = path.hops.iter().position(|h| h == target)
    {
        return Ok(UpgradePath {
            from: path.from,
            hops: path.hops[..=at].to_vec(),
        });
    }
    suggest_path(current, target, catalog).map_err(|problems| {
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        DeviceOutcome::Skipped {
            reason: format!(
                "no path from {current} to {target}: {}",
                messages.join("; ")
            ),
        }
    })
}

pub(crate) fn outcome_from_stop(stop: Stop) -> DeviceOutcome {
    match stop {
        Stop::Failed(failure) => DeviceOutcome::Failed { failure: *failure },
        Stop::Cancelled { manual_action } => DeviceOutcome::Cancelled { manual_action },
    }
}

/// The expected duration of a plan (unscaled seconds), for dry runs.
pub(crate) fn expected_secs(timing: &Timing, plans: &[HopPlan]) -> u64 {
    plans
        .iter()
        .map(|p| {
            let downloads =
                u64::from(!p.downloaded) + u64::from(p.base_image.is_some() && !p.base_downloaded);
            downloads * timing.expected_download_secs
                + timing.expected_install_secs
                + timing.expected_reboot_secs
        })
        .sum()
}

/// Adds device `serial` to the run (or finds it in a resumed checkpoint); returns its index
/// and whether it was resumed.
pub(crate) fn device_index<A, S>(run: &mut Run<'_, A, S>, serial: &Serial) -> (usize, bool) {
    if let Some(i) = run.cp.devices.iter().position(|d| &d.serial == serial) {
        while run.hostnames.len() <= i {
            run.hostnames.push(None);
        }
        return (i, true);
    }
    run.cp
        .devices
        .push(DeviceCheckpoint::new(serial.clone(), None, Vec::new()));
    run.hostnames.push(None);
    (run.cp.devices.len() - 1, false)
}

async fn run_standalone<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    paths: &UpgradePaths,
    serial: &Serial,
) -> DeviceReport {
    let (i, resumed) = device_index(run, serial);
    let mut report = DeviceReport {
        serial: serial.clone(),
        hostname: None,
        from_version: run.cp.devices[i].from_version.clone(),
        to_version: None,
        path: run.cp.devices[i].path.clone(),
        outcome: DeviceOutcome::Upgraded,
        warnings: Vec::new(),
    };
    if !resumed || run.cp.devices[i].path.is_empty() {
        run.enter(i, Step::Preflight, "reading the device").await;
        let prepared = match prepare(run, i, paths).await {
            Ok(prepared) => prepared,
            Err((info, outcome)) => return finish_early(run, i, report, info, outcome).await,
        };
        report.hostname = Some(prepared.info.hostname.clone());
        report.from_version = Some(prepared.info.sw_version.clone());
        report.path = prepared.path.hops.clone();
        {
            let dev = run.dev(i);
            dev.from_version = Some(prepared.info.sw_version.clone());
            dev.path = prepared.path.hops.clone();
        }
        if run.job.dry_run {
            return dry_run_device(run, i, report, &prepared).await;
        }
        run.save().await;
    }
    match upgrade_hops(run, i, &mut report.warnings).await {
        Ok(info) => {
            report.hostname = Some(info.hostname.clone());
            report.to_version = Some(info.sw_version.clone());
            if let Err(failure) = verify_on_target(run, i, Some(&info.sw_version)) {
                return finish_early(run, i, report, None, DeviceOutcome::Failed { failure }).await;
            }
            run.dev(i).step = Step::Done;
            run.save().await;
            run.report_state(
                i,
                DeviceState::Done,
                Some(info.sw_version.clone()),
                format!("upgraded to {}", info.sw_version),
            )
            .await;
            report
        }
        Err(stop) => {
            let outcome = outcome_from_stop(stop);
            finish_early(run, i, report, None, outcome).await
        }
    }
}

/// The last check before a device is reported upgraded: it must run its path's target.
pub(crate) fn verify_on_target<A, S>(
    run: &Run<'_, A, S>,
    i: usize,
    running: Option<&SoftwareVersion>,
) -> Result<(), UpgradeFailure> {
    let dev = &run.cp.devices[i];
    let Some(target) = dev.path.last() else {
        return Ok(());
    };
    if running == Some(target) {
        return Ok(());
    }
    Err(UpgradeFailure::new(
        &dev.serial,
        Some(target),
        Step::Done,
        format!(
            "the upgrade ended but the device runs {} instead of {target}",
            running
                .map(ToString::to_string)
                .unwrap_or_else(|| "an unknown version".into())
        ),
        "check the device's version and its install history; resubmit the job to finish",
    ))
}

/// Records how a device ended without (completing) an upgrade, and reports its final state.
pub(crate) async fn finish_early<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    i: usize,
    mut report: DeviceReport,
    info: Option<SystemInfo>,
    outcome: DeviceOutcome,
) -> DeviceReport {
    if let Some(info) = info {
        report.hostname = Some(info.hostname.clone());
        report.from_version.get_or_insert(info.sw_version.clone());
        report.to_version = Some(info.sw_version);
        run.hostnames[i] = report.hostname.clone();
    }
    let (state, message) = match &outcome {
        DeviceOutcome::AlreadyOnTarget => (DeviceState::Done, "already on target".to_owned()),
        DeviceOutcome::Skipped { reason } => (DeviceState::Skipped, reason.clone()),
        DeviceOutcome::Failed { failure } => (DeviceState::Failed, failure.to_string()),
        DeviceOutcome::Cancelled { manual_action } => (
            DeviceState::Cancelled,
            manual_action
                .clone()
                .unwrap_or_else(|| "cancelled".to_owned()),
        ),
        DeviceOutcome::Planned { .. } | DeviceOutcome::Upgraded => {
            (DeviceState::Done, outcome.label().to_owned())
        }
    };
    run.report_state(i, state, report.to_version.clone(), message)
        .await;
    report.outcome = outcome;
    report
}

/// Dry run of one device: readiness and snapshot for real, the plan reported, nothing sent.
pub(crate) async fn dry_run_device<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    i: usize,
    mut report: DeviceReport,
    prepared: &Prepared,
) -> DeviceReport {
    let first = &prepared.plans[0];
    let outcome = match run.preflight(i, first, None).await {
        Ok(warnings) => {
            report.warnings.extend(warnings);
            DeviceOutcome::Planned {
                hops: prepared.plans.clone(),
                expected_secs: expected_secs(run.timing, &prepared.plans),
            }
        }
        Err(stop) => outcome_from_stop(stop),
    };
    report.to_version = Some(prepared.info.sw_version.clone());
    let message = match &outcome {
        DeviceOutcome::Planned { expected_secs, .. } => format!(
            "dry run: would upgrade {} (about {} min); nothing was sent",
            prepared.path,
            expected_secs / 60
        ),
        other => other.label().to_owned(),
    };
    let state = match outcome {
        DeviceOutcome::Planned { .. } => DeviceState::Done,
        DeviceOutcome::Failed { .. } => DeviceState::Failed,
        _ => DeviceState::Cancelled,
    };
    run.report_state(i, state, report.to_version.clone(), message)
        .await;
    report.outcome = outcome;
    report
}

/// Runs every remaining hop of device `i`; returns its final system info.
async fn upgrade_hops<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    i: usize,
    warnings: &mut Vec<String>,
) -> Result<SystemInfo, Stop> {
    // The device's system info as the last hop left it.
    let mut last_info = None;
    while let Some(hop) = run.hop(i) {
        let step = run.cp.devices[i].step;
        if step <= Step::Preflight {
            if let Some(info) = run.already_on_hop(i).await? {
                // Changed outside this job (or finished before a crash was recorded): nothing
                // to send, and no baseline to compare against.
                warnings.push(format!(
                    "{} already ran {hop} when its hop started; nothing was sent for it",
                    info.hostname
                ));
                last_info = Some(info);
                run.dev(i).next_hop();
                run.save().await;
                continue;
            }
            let plan = run.hop_plan(i).await?;
            warnings.extend(run.preflight(i, &plan, None).await?);
            run.download_hop(i, &plan).await?;
        } else if step <= Step::Download {
            // Resumed during the downloads: the device is up, read its plan again.
            let plan = run.hop_plan(i).await?;
            run.download_hop(i, &plan).await?;
        }
        let info = run.install_and_reboot(i).await?;
        warnings.extend(run.postflight(i).await?);
        last_info = Some(info);
        run.dev(i).next_hop();
        run.save().await;
    }
    if let Some(info) = last_info {
        return Ok(info);
    }
    let serial = run.serial(i);
    run.read(i, Step::Done, "read the device's system info", || {
        run.api.system_info(&serial)
    })
    .await
}
