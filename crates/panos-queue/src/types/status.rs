//! Status files the daemon writes and others poll: `status/devices/<serial>.json`
//! ([`DeviceStatus`]), `status/devices/ha_pairs/<name>.json` ([`HaPairStatus`]),
//! `status/daemon.json` ([`DaemonStatus`]) and `status/workers.json` ([`WorkersStatus`]).
//!
//! These are written only by the daemon, so they accept unknown fields: a newer daemon may add
//! fields without breaking an older reader.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{JobId, PairName, SchemaVersion, Serial, Version};

/// A device's state, as the web app shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Known from the inventory, no job.
    Idle,
    /// Not read yet, or not answering.
    Unknown,
    /// In a job that has not reached it yet.
    Queued,
    /// Readiness checks and the pre-upgrade snapshot.
    Preflight,
    /// Downloading images.
    Downloading,
    /// Installing (HA: includes suspending the member).
    Installing,
    /// Restarting, and waiting for it to come back.
    Rebooting,
    /// Back; waiting for chassis ready and HA sync.
    WaitingReady,
    /// Post-upgrade snapshot and comparison.
    Postflight,
    /// Finished its job (upgraded, already on target, or planned in a dry run).
    Done,
    /// Stopped by a failure; see `error` and `manual_action`.
    Failed,
    /// Stopped by a cancel request.
    Cancelled,
    /// Not upgraded, by rule; see `message`.
    Skipped,
}

impl DeviceState {
    /// Whether the device is in a job that has not ended.
    pub fn is_busy(self) -> bool {
        !matches!(
            self,
            Self::Idle
                | Self::Unknown
                | Self::Done
                | Self::Failed
                | Self::Cancelled
                | Self::Skipped
        )
    }
}

/// `status/devices/<serial>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceStatus {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The device (and the file's name).
    pub serial: Serial,
    /// Its hostname, when known.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Its model (`PA-3220`), when known.
    #[serde(default)]
    pub model: Option<String>,
    /// Where it is.
    pub state: DeviceState,
    /// The version it runs, as last read.
    #[serde(default)]
    pub current_version: Option<Version>,
    /// The version its job ends on.
    #[serde(default)]
    pub target_version: Option<Version>,
    /// The versions its job installs, in order (the hops).
    #[serde(default)]
    pub path: Vec<Version>,
    /// Index into `path` of the hop in progress (0-based).
    #[serde(default)]
    pub hop: Option<u32>,
    /// The step in detail (`download`, `install`, `wait_reboot`, `ha_sync`, …).
    #[serde(default)]
    pub step: Option<String>,
    /// Progress of the job on this device, 0 to 100.
    #[serde(default)]
    #[schemars(range(max = 100))]
    pub progress: u8,
    /// The job that holds it.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// HA: the peer's serial.
    #[serde(default)]
    pub ha_peer: Option<Serial>,
    /// HA: `active`, `passive`, `suspended`, … as last read.
    #[serde(default)]
    pub ha_role: Option<String>,
    /// Whether the job is a dry run.
    #[serde(default)]
    pub dry_run: bool,
    /// What failed (state `failed`).
    #[serde(default)]
    pub error: Option<String>,
    /// What an operator must do by hand (state `failed` or `cancelled`), if anything.
    #[serde(default)]
    pub manual_action: Option<String>,
    /// A line for people.
    #[serde(default)]
    pub message: Option<String>,
    /// When this file was written.
    pub updated_at: DateTime<Utc>,
}

impl DeviceStatus {
    /// A status with only the serial, state and time set.
    pub fn new(serial: Serial, state: DeviceState, updated_at: DateTime<Utc>) -> Self {
        Self {
            schema_version: SchemaVersion,
            serial,
            hostname: None,
            model: None,
            state,
            current_version: None,
            target_version: None,
            path: Vec::new(),
            hop: None,
            step: None,
            progress: 0,
            job_id: None,
            ha_peer: None,
            ha_role: None,
            dry_run: false,
            error: None,
            manual_action: None,
            message: None,
            updated_at,
        }
    }
}

/// A member of an HA pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HaMember {
    /// The member.
    pub serial: Serial,
    /// `active`, `passive`, `suspended`, `non-functional`, … as last read.
    #[serde(default)]
    pub role: Option<String>,
    /// Its device state.
    pub state: DeviceState,
    /// The version it runs, as last read.
    #[serde(default)]
    pub current_version: Option<Version>,
}

/// An HA pair's state as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HaPairState {
    /// Checking HA state, sync and readiness of both members.
    Preflight,
    /// Downloading images on both members.
    Downloading,
    /// Upgrading the first (passive) member.
    UpgradingFirst,
    /// Failing over to the upgraded member.
    FailingOver,
    /// Upgrading the second member.
    UpgradingSecond,
    /// Waiting for HA roles and configuration sync.
    Syncing,
    /// Both members done.
    Done,
    /// Stopped by a failure.
    Failed,
    /// Stopped by a cancel request.
    Cancelled,
}

/// `status/devices/ha_pairs/<name>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HaPairStatus {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The pair's name (and the file's name).
    pub name: PairName,
    /// Both members, the one upgraded first first.
    pub members: Vec<HaMember>,
    /// Where the pair is.
    pub state: HaPairState,
    /// The job.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// A line for people.
    #[serde(default)]
    pub message: Option<String>,
    /// When this file was written.
    pub updated_at: DateTime<Utc>,
}

/// The daemon's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DaemonState {
    /// Recovering active jobs, first scan.
    Starting,
    /// Claiming and running jobs.
    Running,
    /// Not claiming new jobs (a `pause` command); running jobs go on.
    Paused,
    /// Shutting down: not claiming, checkpointing running jobs.
    Stopping,
}

/// Files in each queue folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueueDepths {
    /// `queue/pending/`.
    pub pending: u64,
    /// `queue/active/`.
    pub active: u64,
    /// `queue/completed/`.
    pub completed: u64,
    /// `queue/failed/` (jobs, not reason files).
    pub failed: u64,
    /// `queue/cancelled/`.
    pub cancelled: u64,
}

/// Counters since the daemon started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DaemonCounters {
    /// Jobs completed.
    pub jobs_completed: u64,
    /// Jobs failed.
    pub jobs_failed: u64,
    /// Jobs cancelled.
    pub jobs_cancelled: u64,
    /// Files moved aside as malformed.
    pub files_rejected: u64,
    /// Commands processed.
    pub commands_processed: u64,
    /// Panorama API calls.
    pub api_calls: u64,
    /// Panorama API calls that failed (Panorama's "device not connected" answers, expected
    /// while a firewall restarts, are counted apart).
    pub api_errors: u64,
    /// Panorama's "device not connected" answers.
    #[serde(default)]
    pub api_device_not_connected: u64,
    /// API requests that waited for the rate limit.
    #[serde(default)]
    pub rate_limited_requests: u64,
    /// Total time API requests waited for the rate limit and the in-flight cap, in
    /// milliseconds.
    #[serde(default)]
    pub rate_limit_wait_ms: u64,
    /// Devices upgraded by finished jobs (not counting dry runs).
    #[serde(default)]
    pub devices_upgraded: u64,
    /// Devices failed in finished jobs.
    #[serde(default)]
    pub devices_failed: u64,
}

/// How long jobs took, as a cumulative histogram (the Prometheus kind).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DurationHistogram {
    /// Observations.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum_secs: f64,
    /// For each upper bound (seconds, ascending), the observations at or under it.
    pub buckets: Vec<HistogramBucket>,
}

/// One bucket of a [`DurationHistogram`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistogramBucket {
    /// The upper bound, in seconds.
    pub le_secs: f64,
    /// Observations at or under it (cumulative).
    pub count: u64,
}

impl DurationHistogram {
    /// An empty histogram with these upper bounds (seconds, ascending).
    pub fn with_bounds(bounds: &[f64]) -> Self {
        Self {
            count: 0,
            sum_secs: 0.0,
            buckets: bounds
                .iter()
                .map(|&le_secs| HistogramBucket { le_secs, count: 0 })
                .collect(),
        }
    }

    /// Records one observation.
    pub fn observe(&mut self, secs: f64) {
        self.count += 1;
        self.sum_secs += secs;
        for bucket in &mut self.buckets {
            if secs <= bucket.le_secs {
                bucket.count += 1;
            }
        }
    }
}

/// Worker slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WorkerCounts {
    /// Configured (1–50).
    pub configured: u32,
    /// Running a job.
    pub busy: u32,
}

/// `status/daemon.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DaemonStatus {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The daemon's process id.
    pub pid: u32,
    /// The daemon's version.
    pub version: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// What it is doing.
    pub state: DaemonState,
    /// Worker slots.
    pub workers: WorkerCounts,
    /// Queue folder sizes.
    pub queue: QueueDepths,
    /// Counters since start.
    pub counters: DaemonCounters,
    /// Known devices by state (from their status files: the inventory and the jobs).
    #[serde(default)]
    pub devices: BTreeMap<DeviceState, u64>,
    /// How long completed upgrade jobs took (claim to result, dry runs not counted), since
    /// start.
    #[serde(default)]
    pub job_durations: DurationHistogram,
    /// The last successful answer from Panorama.
    #[serde(default)]
    pub last_panorama_contact: Option<DateTime<Utc>>,
    /// When this file was written; a value much older than the status interval means the
    /// daemon is not running.
    pub updated_at: DateTime<Utc>,
}

/// One worker slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkerSlot {
    /// Slot number, from 0.
    pub id: u32,
    /// The job it runs, when busy.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// The device it is working on.
    #[serde(default)]
    pub serial: Option<Serial>,
    /// The step.
    #[serde(default)]
    pub step: Option<String>,
    /// Since when it has been in this step (or idle).
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
}

/// `status/workers.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkersStatus {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// Every slot, busy or not.
    pub workers: Vec<WorkerSlot>,
    /// When this file was written.
    pub updated_at: DateTime<Utc>,
}
