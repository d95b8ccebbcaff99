//! The single-device readiness checks: Panorama connection, running version, catalog, free
//! disk on `/opt/panrepo`, running jobs and chassis readiness. Each returns its findings;
//! severity overrides are applied by the caller.

use panos_client::SoftwareVersion;
use panos_client::model::{JobOutcome, JobProgress, JobState, JobStatus};

use super::ReadinessInput;
use crate::finding::{CheckId, Finding, FindingCode, Severity};
use crate::snapshot::PANREPO;

/// Bytes as GiB with two decimals.
pub fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}

/// Panorama lists the device as connected.
pub fn device(input: &ReadinessInput) -> Vec<Finding> {
    let f =
        |code, severity, message: String| Finding::new(CheckId::Device, code, severity, message);
    match &input.managed {
        None => vec![f(
            FindingCode::DeviceUnknown,
            Severity::Warn,
            format!(
                "Panorama's device list was not read or has no entry for {}; check the serial \
                 with `show devices all` on Panorama",
                input.serial
            ),
        )],
        Some(device) if !device.connected => vec![f(
            FindingCode::DeviceNotConnected,
            Severity::Block,
            format!(
                "Panorama lists {}{} as not connected; restore its management connection to \
                 Panorama (`show devices connected`), then retry",
                input.serial,
                device
                    .hostname
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            ),
        )],
        Some(_) => Vec::new(),
    }
}

fn current_version(input: &ReadinessInput) -> Option<SoftwareVersion> {
    input
        .current_version
        .clone()
        .or_else(|| input.managed.as_ref().and_then(|m| m.sw_version.clone()))
        .or_else(|| {
            input
                .catalog
                .as_ref()
                .and_then(|c| c.current().map(|i| i.version.clone()))
        })
}

/// The running version against the target.
pub fn version(input: &ReadinessInput) -> Vec<Finding> {
    let f =
        |code, severity, message: String| Finding::new(CheckId::Version, code, severity, message);
    let target = &input.target;
    match current_version(input) {
        None => vec![f(
            FindingCode::VersionUnknown,
            Severity::Warn,
            "the running PAN-OS version is unknown (no system info, Panorama entry or catalog \
             `current` flag); check `show system info` on the device"
                .to_owned(),
        )],
        Some(current) if &current == target => vec![f(
            FindingCode::VersionAlreadyOnTarget,
            Severity::Info,
            format!("the device already runs {target}; nothing to install"),
        )],
        Some(current) if target < &current => vec![f(
            FindingCode::VersionDowngrade,
            Severity::Warn,
            format!(
                "the target {target} is older than the running {current}: this is a downgrade; \
                 check the job's target version"
            ),
        )],
        Some(_) => Vec::new(),
    }
}

/// The target (and base) image is in the catalog.
pub fn catalog(input: &ReadinessInput) -> Vec<Finding> {
    let f =
        |code, severity, message: String| Finding::new(CheckId::Catalog, code, severity, message);
    let Some(catalog) = &input.catalog else {
        return vec![f(
            FindingCode::CatalogUnknown,
            Severity::Warn,
            "the software catalog was not read, so the target cannot be confirmed; run \
             `request system software check` on the device"
                .to_owned(),
        )];
    };
    let latest = catalog
        .images
        .last()
        .map(|i| i.version.to_string())
        .unwrap_or_else(|| "none".into());
    let mut findings = Vec::new();
    if catalog.get(&input.target).is_none() {
        findings.push(f(
            FindingCode::CatalogTargetMissing,
            Severity::Block,
            format!(
                "{} is not in the device's software catalog ({} versions listed, newest {latest}); \
                 run `request system software check` on the device, or pick a listed version",
                input.target,
                catalog.images.len()
            ),
        ));
    }
    if let Some(base) = &input.base_image
        && catalog.get(base).is_none()
    {
        findings.push(f(
            FindingCode::CatalogBaseMissing,
            Severity::Block,
            format!(
                "the base image {base} that {} needs is not in the software catalog; run \
                 `request system software check`, or check the version path",
                input.target
            ),
        ));
    }
    findings
}

/// Enough free space on `/opt/panrepo` for the images still to download, plus the margin.
pub fn disk(input: &ReadinessInput, margin_mb: u64) -> Vec<Finding> {
    let f = |code, severity, message: String| Finding::new(CheckId::Disk, code, severity, message);
    let mut wanted = vec![input.target.clone()];
    wanted.extend(input.base_image.clone());
    // (version, size) of each image still to download; size None = unknown.
    let mut to_download: Vec<(SoftwareVersion, Option<u64>)> = Vec::new();
    for version in wanted {
        match input.catalog.as_ref().and_then(|c| c.get(&version)) {
            Some(image) if image.downloaded => {}
            Some(image) => to_download.push((version, image.size_bytes())),
            None => to_download.push((version, None)),
        }
    }
    let fs = input.disk.as_ref().and_then(|d| d.filesystem_for(PANREPO));
    let mut findings = Vec::new();
    if to_download.is_empty() {
        findings.push(f(
            FindingCode::DiskNothingToDownload,
            Severity::Info,
            format!(
                "every needed image is already downloaded{}",
                fs.map(|fs| format!("; {} free on {PANREPO}", gib(fs.avail_bytes)))
                    .unwrap_or_default()
            ),
        ));
        return findings;
    }
    let unknown: Vec<String> = to_download
        .iter()
        .filter(|(_, size)| size.is_none())
        .map(|(v, _)| v.to_string())
        .collect();
    if !unknown.is_empty() {
        findings.push(f(
            FindingCode::DiskSizeUnknown,
            Severity::Warn,
            format!(
                "the catalog gives no size for {}, so the space it needs is not counted; check \
                 `request system software info` on the device and the free space on {PANREPO}",
                unknown.join(", ")
            ),
        ));
    }
    let Some(fs) = fs else {
        findings.push(f(
            FindingCode::DiskUnknown,
            Severity::Warn,
            format!(
                "free space on {PANREPO} is unknown (disk space not read, or no filesystem holds \
                 it); check `show system disk-space` on the device"
            ),
        ));
        return findings;
    };
    let place = if fs.mounted_on == PANREPO {
        PANREPO.to_owned()
    } else {
        format!("{} (which holds {PANREPO})", fs.mounted_on)
    };
    let margin = margin_mb.saturating_mul(1024 * 1024);
    let images: u64 = to_download.iter().filter_map(|(_, s)| *s).sum();
    let needed = images.saturating_add(margin);
    let parts: Vec<String> = to_download
        .iter()
        .map(|(v, s)| format!("{v} {}", s.map_or_else(|| "size unknown".into(), gib)))
        .chain(std::iter::once(format!("margin {}", gib(margin))))
        .collect();
    if fs.avail_bytes < needed {
        let deletable: Vec<String> = input
            .catalog
            .iter()
            .flat_map(|c| &c.images)
            .filter(|i| i.downloaded && !i.current && i.version != input.target)
            .filter(|i| Some(&i.version) != input.base_image.as_ref())
            .map(|i| i.version.to_string())
            .collect();
        let hint = if deletable.is_empty() {
            String::new()
        } else {
            format!(" (downloaded, not running: {})", deletable.join(", "))
        };
        findings.push(f(
            FindingCode::DiskInsufficient,
            Severity::Block,
            format!(
                "{} free on {place}, {} needed ({}); free {} with \
                 `delete software version <version>` on old images{hint}, or lower \
                 validation.readiness.disk.margin_mb",
                gib(fs.avail_bytes),
                gib(needed),
                parts.join(" + "),
                gib(needed - fs.avail_bytes),
            ),
        ));
    } else {
        findings.push(f(
            FindingCode::DiskSufficient,
            Severity::Info,
            format!(
                "{} free on {place}, {} needed ({})",
                gib(fs.avail_bytes),
                gib(needed),
                parts.join(" + ")
            ),
        ));
    }
    findings
}

fn job_text(job: &JobStatus) -> String {
    let id = job
        .id
        .map_or_else(|| "(no id)".to_owned(), |id| id.to_string());
    let state = match &job.state {
        JobState::Active => "running".to_owned(),
        JobState::Pending => "pending".to_owned(),
        JobState::Finished => "finished".to_owned(),
        JobState::Other(text) => text.clone(),
    };
    let progress = match &job.progress {
        JobProgress::Percent(p) => format!(" {p} %"),
        _ => String::new(),
    };
    let kind = job.job_type.as_deref().unwrap_or("job");
    let outcome = match &job.outcome {
        JobOutcome::Fail => " (failed)",
        _ => "",
    };
    let state = if state.is_empty() {
        "status unknown".to_owned()
    } else {
        state
    };
    format!("{kind} {id} {state}{progress}{outcome}")
}

/// Whether a job still holds the device: anything not `FIN`, except the id-less, status-less
/// records of failed jobs that `show jobs all` keeps listing ("job failed because of configd
/// restart"): those never finish and must not block upgrades forever.
fn is_running(job: &JobStatus) -> bool {
    match &job.state {
        JobState::Finished => false,
        JobState::Other(text) if text.trim().is_empty() && job.id.is_none() => false,
        _ => true,
    }
}

/// No job running or pending.
pub fn jobs(input: &ReadinessInput) -> Vec<Finding> {
    let Some(jobs) = &input.jobs else {
        return vec![Finding::new(
            CheckId::Jobs,
            FindingCode::JobsUnknown,
            Severity::Warn,
            "the job list was not read; check `show jobs all` on the device for running jobs",
        )];
    };
    let running: Vec<String> = jobs
        .iter()
        .filter(|j| is_running(j))
        .map(job_text)
        .collect();
    if running.is_empty() {
        return Vec::new();
    }
    vec![Finding::new(
        CheckId::Jobs,
        FindingCode::JobsRunning,
        Severity::Block,
        format!(
            "{} job(s) not finished on the device: {}; wait for them (`show jobs all`) and \
             retry — a download or install now would fail with \"software manager busy\"",
            running.len(),
            running.join(", ")
        ),
    )]
}

/// `show chassis-ready` says yes.
pub fn chassis(input: &ReadinessInput) -> Vec<Finding> {
    let (code, severity, message) = match input.chassis_ready {
        Some(true) => return Vec::new(),
        Some(false) => (
            FindingCode::ChassisNotReady,
            Severity::Block,
            "`show chassis-ready` says no: the data plane is not up; wait for it (after a \
             reboot this can take minutes, up to an hour on large chassis) and retry",
        ),
        None => (
            FindingCode::ChassisUnknown,
            Severity::Warn,
            "chassis readiness was not read; check `show chassis-ready` on the device",
        ),
    };
    vec![Finding::new(CheckId::Chassis, code, severity, message)]
}
