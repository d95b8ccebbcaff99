//! The job file (`queue/pending/<job_id>.json`) and the result the daemon adds when the job
//! ends (`queue/{completed,failed,cancelled}/<job_id>.json`).
//!
//! Jobs are written by the web application, so [`Job`] refuses unknown fields: a typo such as
//! `"dry-run"` or `"taget_version"` must not silently run a real upgrade to the wrong version.
//! [`JobResult`] is written by the daemon and read by others, so it tolerates fields a newer
//! daemon may add.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{JobId, PairName, SchemaVersion, Serial, Version};

/// Which devices a job upgrades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// One standalone firewall: `devices` holds exactly one serial.
    Standalone,
    /// The two members of an HA pair, upgraded one after the other (passive first):
    /// `devices` holds exactly two different serials, in any order.
    HaPair,
}

/// What a failed post-upgrade comparison does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostflightPolicy {
    /// Fail the device (for an HA pair's first member: stop before the second).
    #[default]
    Fail,
    /// Record a warning in the result and carry on.
    Warn,
}

/// Per-job choices. Every field is optional in the file; the defaults are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JobOptions {
    /// HA pairs: suspend the passive member before upgrading it, so it cannot take over
    /// mid-upgrade. Default `false`.
    pub suspend_passive_first: bool,
    /// HA pairs: before upgrading the active member, suspend it so the upgraded peer takes
    /// over gracefully; when false its restart causes the failover. Default `true`.
    pub failover: bool,
    /// What a failed post-upgrade comparison does: `fail` or `warn`; without it the daemon's
    /// configuration decides (`validation.postflight_failure`, `fail` unless changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postflight_failure: Option<PostflightPolicy>,
    /// How long to wait for a device to come back after its restart, in seconds; without it
    /// the daemon's configuration decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reboot_timeout_secs: Option<u64>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            suspend_passive_first: false,
            failover: true,
            postflight_failure: None,
            reboot_timeout_secs: None,
        }
    }
}

/// A job file: one upgrade of one standalone firewall or one HA pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = job_rules)]
pub struct Job {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The job's id; the file is named `<job_id>.json`.
    pub job_id: JobId,
    /// `standalone` or `ha_pair`.
    pub kind: JobKind,
    /// The serials: one for `standalone`, two for `ha_pair`.
    pub devices: Vec<Serial>,
    /// Read everything, change nothing, report the plan.
    pub dry_run: bool,
    /// The version to end on; without it, the configured upgrade path decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<Version>,
    /// Who asked (a user name, for the audit trail; at most 256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
    /// When it was submitted; orders the queue (the file's modification time when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// Higher runs first; default 0. Jobs of equal priority run in submission order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Do not start before this time (RFC 3339); the job waits in `pending/` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
    /// HA pairs: the name of the pair's status file `status/devices/ha_pairs/<name>.json`;
    /// default `<serial>-<serial>` (sorted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_pair_name: Option<PairName>,
    /// Per-job choices.
    #[serde(default)]
    pub options: JobOptions,
    /// Added by the daemon when the job ends; never set it when submitting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<JobResult>,
}

impl Job {
    /// A job with the required fields and defaults for the rest.
    pub fn new(job_id: JobId, kind: JobKind, devices: Vec<Serial>) -> Self {
        Self {
            schema_version: SchemaVersion,
            job_id,
            kind,
            devices,
            dry_run: false,
            target_version: None,
            submitted_by: None,
            submitted_at: None,
            priority: None,
            not_before: None,
            ha_pair_name: None,
            options: JobOptions::default(),
            result: None,
        }
    }

    /// The job as submitted: without the daemon's `result`.
    pub fn as_submitted(&self) -> Self {
        Self {
            result: None,
            ..self.clone()
        }
    }

    /// The rules the types cannot express; the reason when one is broken.
    pub fn check(&self) -> Result<(), String> {
        match (self.kind, self.devices.as_slice()) {
            (JobKind::Standalone, [_]) => {}
            (JobKind::Standalone, _) => {
                return Err(format!(
                    "a standalone job has exactly one serial in devices, this one has {}",
                    self.devices.len()
                ));
            }
            (JobKind::HaPair, [a, b]) if a != b => {}
            (JobKind::HaPair, _) => {
                return Err("an ha_pair job has exactly two different serials in devices".into());
            }
        }
        if self.kind == JobKind::Standalone && self.ha_pair_name.is_some() {
            return Err("ha_pair_name is only for ha_pair jobs".into());
        }
        if self
            .submitted_by
            .as_ref()
            .is_some_and(|s| s.chars().count() > 256)
        {
            return Err("submitted_by is longer than 256 characters".into());
        }
        Ok(())
    }

    /// The HA pair's status-file name: `ha_pair_name`, else the two serials sorted, joined
    /// by `-`. `None` for a standalone job.
    pub fn pair_name(&self) -> Option<PairName> {
        if self.kind != JobKind::HaPair {
            return None;
        }
        if let Some(name) = &self.ha_pair_name {
            return Some(name.clone());
        }
        let mut serials: Vec<&str> = self.devices.iter().map(Serial::as_str).collect();
        serials.sort_unstable();
        serials.join("-").parse().ok()
    }

    /// Priority with its default (0).
    pub fn effective_priority(&self) -> i32 {
        self.priority.unwrap_or(0)
    }

    /// Whether the job may start at `now` (`not_before` absent or reached).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.not_before.is_none_or(|t| t <= now)
    }
}

/// The JSON Schema form of [`Job::check`]'s rules on `devices`.
fn job_rules(schema: &mut schemars::Schema) {
    let rules = serde_json::json!([
        {
            "if": {"properties": {"kind": {"const": "standalone"}}, "required": ["kind"]},
            "then": {
                "properties": {"devices": {"minItems": 1, "maxItems": 1}},
                "not": {"required": ["ha_pair_name"]}
            }
        },
        {
            "if": {"properties": {"kind": {"const": "ha_pair"}}, "required": ["kind"]},
            "then": {"properties": {"devices": {"minItems": 2, "maxItems": 2, "uniqueItems": true}}}
        }
    ]);
    schema.insert("allOf".into(), rules);
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// Every device upgraded, already on target, skipped by rule, or planned (dry run).
    /// The file is in `queue/completed/`.
    Completed,
    /// At least one device failed. The file is in `queue/failed/`.
    Failed,
    /// Cancelled, before it started or on the way. The file is in `queue/cancelled/`.
    Cancelled,
}

impl JobOutcome {
    /// The folder under `queue/` a job with this outcome ends in.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How one device ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceOutcome {
    /// Upgraded along its whole path.
    Upgraded,
    /// Already on the target: nothing was sent.
    AlreadyOnTarget,
    /// Not upgraded, by rule (no path for its version, …); see `message`.
    Skipped,
    /// Dry run: what would be done is in `plan`.
    Planned,
    /// Stopped by a failure; see `error`, `step` and `manual_action`.
    Failed,
    /// Stopped by a cancel request.
    Cancelled,
    /// Never started (the job stopped before reaching it, e.g. the first HA member failed).
    NotStarted,
}

/// One device's part of a job result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceResult {
    /// The device.
    pub serial: Serial,
    /// How it ended.
    pub outcome: DeviceOutcome,
    /// Its hostname, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// HA pairs: `active` or `passive` when the job started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_role: Option<String>,
    /// The version it ran when the job started, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<Version>,
    /// The version it ran at the end, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_version: Option<Version>,
    /// The path followed or planned (the versions installed, in order).
    #[serde(default)]
    pub path: Vec<Version>,
    /// The step it stopped at, when it failed or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// What failed, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What an operator must do by hand, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_action: Option<String>,
    /// A note for people (why it was skipped, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Warnings (post-flight differences under the `warn` policy, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Dry runs: the plan (hops, checks, expected durations), as the daemon reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<serde_json::Value>,
}

impl DeviceResult {
    /// A result with only the serial and outcome set.
    pub fn new(serial: Serial, outcome: DeviceOutcome) -> Self {
        Self {
            serial,
            outcome,
            hostname: None,
            ha_role: None,
            from_version: None,
            to_version: None,
            path: Vec::new(),
            step: None,
            error: None,
            manual_action: None,
            message: None,
            warnings: Vec::new(),
            plan: None,
        }
    }
}

/// What the daemon adds to a job file when the job ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobResult {
    /// How the job ended; it also names the folder the file is in.
    pub outcome: JobOutcome,
    /// When the daemon claimed it; absent when it was cancelled while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// The first failure, in one line, naming the device and the step (failed jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What an operator must do by hand, if anything (e.g. a member left suspended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_action: Option<String>,
    /// Who cancelled it (the cancel command's `submitted_by`), for cancelled jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    /// Per device, in the order they were handled.
    #[serde(default)]
    pub devices: Vec<DeviceResult>,
}
