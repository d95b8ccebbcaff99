//! The validation record: `validation/{pre_flight,post_flight}/<serial>_<timestamp>.json`.
//!
//! The snapshot and report inside are `panos-validation`'s types; this crate keeps them as
//! opaque JSON so it depends on no other panos crate (their schemas are `snapshot.json`,
//! `readiness_report.json` and `comparison_report.json` in `docs/schema/`). A writer that
//! holds the snapshot typed may put it in as it is ([`ValidationRecord`]'s type parameter):
//! it is written straight from its type, with no JSON tree built first.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{JobId, SchemaVersion, Serial, Version};

/// When a record was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before an upgrade (or for a `collect_metrics` / `validate` command).
    PreFlight,
    /// After an upgrade.
    PostFlight,
}

impl Phase {
    /// The folder under `validation/`.
    pub fn folder(self) -> &'static str {
        match self {
            Self::PreFlight => "pre_flight",
            Self::PostFlight => "post_flight",
        }
    }
}

/// One validation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ValidationRecord")]
pub struct ValidationRecord<S = serde_json::Value> {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The device.
    pub serial: Serial,
    /// Before or after.
    pub phase: Phase,
    /// The job, when taken for one.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// The version the hop installs (post-flight) or starts from (pre-flight), when in a job.
    #[serde(default)]
    pub hop: Option<Version>,
    /// When the snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// The metrics snapshot (panos-validation's `Snapshot`).
    pub snapshot: S,
    /// The readiness report (pre-flight) or comparison report (post-flight), when made.
    #[serde(default)]
    pub report: Option<serde_json::Value>,
}
