//! What one upgrade job asks for ([`UpgradeJob`]) and what it ended as ([`JobReport`]).

use std::fmt;

use panos_client::{Serial, SoftwareVersion};
use serde::{Deserialize, Serialize};

use crate::error::UpgradeFailure;
use crate::plan::HopPlan;

/// Which devices a job upgrades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// One standalone firewall.
    Standalone {
        /// The firewall.
        serial: Serial,
    },
    /// The two members of an HA pair, upgraded one after the other (passive first).
    HaPair {
        /// One member (order does not matter: roles are read from the devices).
        a: Serial,
        /// The other member.
        b: Serial,
    },
}

impl JobKind {
    /// The serials of the job's devices.
    pub fn serials(&self) -> Vec<Serial> {
        match self {
            Self::Standalone { serial } => vec![serial.clone()],
            Self::HaPair { a, b } => vec![a.clone(), b.clone()],
        }
    }
}

pub use panos_validation::PostflightPolicy;

/// Per-job choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpgradeOptions {
    /// Suspend the passive member before upgrading it, so it cannot take over mid-upgrade.
    pub suspend_passive_first: bool,
    /// Before upgrading the active member, suspend it so the upgraded peer takes over
    /// gracefully. When false, its restart causes the failover.
    pub failover: bool,
    /// What a failed post-upgrade comparison does; `None` follows the configuration
    /// (`validation.postflight_failure`).
    pub postflight_failure: Option<PostflightPolicy>,
}

impl Default for UpgradeOptions {
    fn default() -> Self {
        Self {
            suspend_passive_first: false,
            failover: true,
            postflight_failure: None,
        }
    }
}

/// One upgrade job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeJob {
    /// The job's id (the daemon's, for events and messages).
    pub job_id: String,
    /// The devices.
    pub kind: JobKind,
    /// Read everything, change nothing, report the plan.
    pub dry_run: bool,
    /// The version to end on; without it, `upgrade_paths.json` decides.
    pub target_version: Option<SoftwareVersion>,
    /// Per-job choices.
    pub options: UpgradeOptions,
}

/// How one device ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeviceOutcome {
    /// Upgraded along its whole path.
    Upgraded,
    /// Already on the target: nothing sent.
    AlreadyOnTarget,
    /// Not upgraded, by rule (no path for its version, …).
    Skipped {
        /// Why.
        reason: String,
    },
    /// Dry run: what would be done.
    Planned {
        /// The hops, checked.
        hops: Vec<HopPlan>,
        /// Expected duration in seconds (unscaled).
        expected_secs: u64,
    },
    /// Stopped by a failure.
    Failed {
        /// What failed, where, and what to do.
        failure: UpgradeFailure,
    },
    /// Stopped by a cancel request.
    Cancelled {
        /// Where it stopped and what the operator must do, if anything.
        manual_action: Option<String>,
    },
}

impl DeviceOutcome {
    /// A short word for tables and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Upgraded => "upgraded",
            Self::AlreadyOnTarget => "already_on_target",
            Self::Skipped { .. } => "skipped",
            Self::Planned { .. } => "planned",
            Self::Failed { .. } => "failed",
            Self::Cancelled { .. } => "cancelled",
        }
    }
}

/// One device's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// The device.
    pub serial: Serial,
    /// Its hostname, when read.
    pub hostname: Option<String>,
    /// The version it ran when the job started (when read).
    pub from_version: Option<SoftwareVersion>,
    /// The version it runs at the end (when read).
    pub to_version: Option<SoftwareVersion>,
    /// The path followed (or planned).
    pub path: Vec<SoftwareVersion>,
    /// How it ended.
    pub outcome: DeviceOutcome,
    /// Warnings collected on the way (post-flight differences under a warn policy, …).
    pub warnings: Vec<String>,
}

/// How a whole job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// Every device upgraded, already on target, skipped or planned (dry run).
    Completed,
    /// At least one device failed.
    Failed,
    /// Cancelled before the end.
    Cancelled,
}

impl fmt::Display for JobOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        })
    }
}

/// The result of [`crate::run_job`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    /// The job's id.
    pub job_id: String,
    /// How it ended.
    pub outcome: JobOutcome,
    /// Per device.
    pub devices: Vec<DeviceReport>,
}

impl JobReport {
    /// The first failure, for a one-line job error.
    pub fn first_failure(&self) -> Option<&UpgradeFailure> {
        self.devices.iter().find_map(|d| match &d.outcome {
            DeviceOutcome::Failed { failure } => Some(failure),
            _ => None,
        })
    }
}
