//! What the engine tells the outside world: progress, checkpoints for resumption, and an audit
//! record for every command that changes a device. It never writes files itself; the daemon
//! (or any [`ProgressSink`]) decides what to keep.
//!
//! A checkpoint is emitted **before** a changing command is sent (as an [`Intent`]) and again
//! once its job id is known, so a job resumed after a crash can tell "maybe sent" from "never
//! sent" and reconcile with the device instead of sending the command twice.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use panos_client::{JobId, Serial, SoftwareVersion};
use serde::{Deserialize, Serialize};

/// A step of a device's upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Readiness checks and the pre-upgrade snapshot.
    Preflight,
    /// Downloading the base image of a new feature release.
    DownloadBase,
    /// Downloading the hop's image.
    Download,
    /// Suspending the HA member before it is upgraded.
    Suspend,
    /// Installing the hop's image.
    Install,
    /// Sending the restart.
    Restart,
    /// Waiting for the device to go down and come back on the new version.
    WaitReboot,
    /// Waiting for `show chassis-ready`.
    WaitReady,
    /// Returning an HA member to functional.
    Functional,
    /// Waiting for HA roles and configuration sync.
    HaSync,
    /// Suspending the active member so the upgraded peer takes over.
    Failover,
    /// The post-upgrade snapshot and comparison.
    Postflight,
    /// Finished.
    Done,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Preflight => "preflight",
            Self::DownloadBase => "download_base",
            Self::Download => "download",
            Self::Suspend => "suspend",
            Self::Install => "install",
            Self::Restart => "restart",
            Self::WaitReboot => "wait_reboot",
            Self::WaitReady => "wait_ready",
            Self::Functional => "functional",
            Self::HaSync => "ha_sync",
            Self::Failover => "failover",
            Self::Postflight => "postflight",
            Self::Done => "done",
        })
    }
}

/// The coarse state of a device, as status files show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Waiting for its turn.
    Queued,
    /// Readiness checks and snapshot.
    Preflight,
    /// Downloading images.
    Downloading,
    /// Installing.
    Installing,
    /// Restarting, and waiting for it to come back.
    Rebooting,
    /// Back, waiting for chassis ready / HA sync.
    WaitingReady,
    /// Post-upgrade snapshot and comparison.
    Postflight,
    /// Finished.
    Done,
    /// Stopped by a failure.
    Failed,
    /// Stopped by a cancel request.
    Cancelled,
    /// Not upgraded, by rule.
    Skipped,
}

impl From<Step> for DeviceState {
    fn from(step: Step) -> Self {
        match step {
            Step::Preflight => Self::Preflight,
            Step::DownloadBase | Step::Download => Self::Downloading,
            Step::Suspend | Step::Install => Self::Installing,
            Step::Restart | Step::WaitReboot => Self::Rebooting,
            Step::WaitReady | Step::Functional | Step::HaSync | Step::Failover => {
                Self::WaitingReady
            }
            Step::Postflight => Self::Postflight,
            Step::Done => Self::Done,
        }
    }
}

/// A command that changes a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `request system software download`.
    Download,
    /// `request system software install`.
    Install,
    /// `request restart system`.
    Restart,
    /// `request high-availability state suspend`.
    Suspend,
    /// `request high-availability state functional`.
    Functional,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Download => "download",
            Self::Install => "install",
            Self::Restart => "restart",
            Self::Suspend => "suspend",
            Self::Functional => "functional",
        })
    }
}

/// A changing command about to be sent: recorded first, so a crash right after sending it is
/// recognised on resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The command.
    pub action: Action,
    /// Its version, for download and install.
    pub version: Option<SoftwareVersion>,
    /// The highest job id on the device just before sending: any job above it is ours.
    pub jobs_high_water: Option<JobId>,
}

/// A download job started for a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadJob {
    /// The version downloaded.
    pub version: SoftwareVersion,
    /// Panorama's job id on the device.
    pub job: JobId,
}

/// Where one device is, for resumption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCheckpoint {
    /// The device.
    pub serial: Serial,
    /// Its version when the job started.
    pub from_version: Option<SoftwareVersion>,
    /// The hops it installs.
    pub path: Vec<SoftwareVersion>,
    /// The hop in progress (index into `path`); `path.len()` when all are done.
    pub hop_index: usize,
    /// The step in progress within the hop.
    pub step: Step,
    /// A changing command recorded but not yet confirmed sent.
    pub intent: Option<Intent>,
    /// Download jobs started in this hop.
    pub downloads: Vec<DownloadJob>,
    /// The install job of this hop, once started.
    pub install_job: Option<JobId>,
    /// Whether this hop's install finished OK.
    pub installed: bool,
    /// Whether this hop's restart was sent.
    pub restart_sent: bool,
    /// When this hop's restart was first about to be sent (recorded with its intent): a
    /// resumed wait tells from the device's uptime whether it rebooted since, even while no
    /// daemon was watching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the engine suspended this HA member (and owes it a functional).
    pub suspended_by_us: bool,
}

impl DeviceCheckpoint {
    /// A fresh checkpoint at the start of a path.
    pub fn new(serial: Serial, from: Option<SoftwareVersion>, path: Vec<SoftwareVersion>) -> Self {
        Self {
            serial,
            from_version: from,
            path,
            hop_index: 0,
            step: Step::Preflight,
            intent: None,
            downloads: Vec::new(),
            install_job: None,
            installed: false,
            restart_sent: false,
            restart_at: None,
            suspended_by_us: false,
        }
    }

    /// Moves to the next hop, clearing the per-hop records.
    pub fn next_hop(&mut self) {
        self.hop_index += 1;
        self.step = Step::Preflight;
        self.intent = None;
        self.downloads.clear();
        self.install_job = None;
        self.installed = false;
        self.restart_sent = false;
        self.restart_at = None;
    }

    /// The hop in progress, if any.
    pub fn hop(&self) -> Option<&SoftwareVersion> {
        self.path.get(self.hop_index)
    }
}

/// Where an HA pair job is within a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HaPhase {
    /// Roles decided, images being downloaded on both members.
    Download,
    /// The first (passive) member is being upgraded.
    First,
    /// The first member is done; failing over to it.
    Failover,
    /// The second member is being upgraded.
    Second,
    /// The hop is done on both members.
    HopDone,
}

/// Where an HA pair job is, for resumption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaCheckpoint {
    /// The hop in progress (index into the pair's path).
    pub hop_index: usize,
    /// The member upgraded first in this hop (the passive one when the hop started).
    pub first: Serial,
    /// The member upgraded second.
    pub second: Serial,
    /// The phase within the hop.
    pub phase: HaPhase,
}

/// Everything needed to resume a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCheckpoint {
    /// The job's id.
    pub job_id: String,
    /// One per device, once its path is known.
    pub devices: Vec<DeviceCheckpoint>,
    /// For an HA pair job, once roles are decided.
    pub ha: Option<HaCheckpoint>,
}

/// A changing command, as sent (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The device.
    pub serial: Serial,
    /// The command.
    pub action: Action,
    /// Its version, for download and install.
    pub version: Option<SoftwareVersion>,
    /// The job it started, when it started one.
    pub job: Option<JobId>,
    /// What happened (`sent`, `accepted`, the error).
    pub detail: String,
}

/// A device's progress, for status files and progress bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProgress {
    /// The device.
    pub serial: Serial,
    /// Its hostname, when known.
    pub hostname: Option<String>,
    /// Coarse state.
    pub state: DeviceState,
    /// Fine step.
    pub step: Step,
    /// The hops of its path.
    pub path: Vec<SoftwareVersion>,
    /// The hop in progress (index into `path`).
    pub hop_index: usize,
    /// The version it runs, as last read.
    pub current_version: Option<SoftwareVersion>,
    /// The version it ends on.
    pub target_version: Option<SoftwareVersion>,
    /// 0–100 over the whole path.
    pub progress: u8,
    /// What is happening, for people.
    pub message: String,
}

/// Something the engine reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A device moved.
    Progress(DeviceProgress),
    /// Persist this to resume the job after a crash.
    Checkpoint(JobCheckpoint),
    /// A changing command was sent (or failed to be).
    Audit(AuditRecord),
    /// A snapshot was taken (keep pre-flight ones: a resumed job needs them back).
    Snapshot {
        /// The device.
        serial: Serial,
        /// The hop it belongs to (index into the device's path).
        hop_index: usize,
        /// Before or after the hop.
        phase: SnapshotPhase,
        /// The snapshot (shared with the engine, which keeps a pre-flight one to compare).
        snapshot: std::sync::Arc<panos_validation::Snapshot>,
    },
    /// Readiness checks ran.
    Readiness {
        /// The device.
        serial: Serial,
        /// The hop checked (index into the device's path).
        hop_index: usize,
        /// The report.
        report: Box<panos_validation::ReadinessReport>,
    },
    /// A post-flight comparison ran.
    Comparison {
        /// The device.
        serial: Serial,
        /// The hop compared (index into the device's path).
        hop_index: usize,
        /// The report.
        report: Box<panos_validation::ComparisonReport>,
    },
}

/// When a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotPhase {
    /// Before the hop.
    PreFlight,
    /// After the hop.
    PostFlight,
}

/// Receives the engine's events. `emit` is awaited before the engine goes on, so a sink that
/// persists checkpoints makes them durable before the command they announce is sent.
pub trait ProgressSink: Send + Sync {
    /// Handles one event.
    fn emit(&self, event: Event) -> impl Future<Output = ()> + Send;
}

/// A sink that drops everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl ProgressSink for NullSink {
    async fn emit(&self, _event: Event) {}
}

/// A sink that keeps every event in memory (tests, examples, small tools).
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<Event>>,
}

impl MemorySink {
    /// A copy of the events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The last checkpoint emitted, if any.
    pub fn last_checkpoint(&self) -> Option<JobCheckpoint> {
        self.events().into_iter().rev().find_map(|e| match e {
            Event::Checkpoint(cp) => Some(cp),
            _ => None,
        })
    }

    /// The audit records, in order.
    pub fn audits(&self) -> Vec<AuditRecord> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Audit(record) => Some(record),
                _ => None,
            })
            .collect()
    }
}

impl ProgressSink for MemorySink {
    async fn emit(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
    }
}
