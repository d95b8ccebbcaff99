//! Upgrade orchestration for PAN-OS firewalls managed by Panorama.
//!
//! What this crate owns: the version paths (`upgrade_paths.json`, PAN-OS path rules, base
//! images), and the per-device upgrade state machine run against any [`panos_client::PanosApi`]:
//! standalone firewalls and HA pairs, cancellation, dry runs, and resumption from a checkpoint
//! without sending a changing command twice.
//!
//! What it must not do: touch the file system or know about the shared-directory protocol. It
//! reports progress, checkpoints and audit records through a [`ProgressSink`]; the daemon
//! persists them.

pub mod checks;
pub mod engine;
pub mod error;
pub mod event;
pub mod ha;
mod ha_state;
pub mod job;
pub mod learned;
mod member;
pub mod path;
pub mod plan;
mod reboot;
mod run;
mod steps;
pub mod timing;

pub use checks::{PreSnapshot, PreSnapshots};
pub use engine::{EngineConfig, ResumeState, run_job};
pub use error::UpgradeFailure;
pub use event::{
    Action, AuditRecord, DeviceCheckpoint, DeviceProgress, DeviceState, Event, JobCheckpoint,
    MemorySink, NullSink, ProgressSink, Step,
};
pub use job::{
    DeviceOutcome, DeviceReport, JobKind, JobOutcome, JobReport, PostflightPolicy, UpgradeJob,
    UpgradeOptions,
};
pub use learned::{LearnedWait, LearnedWaits};
pub use path::{PathError, UpgradePath, UpgradePaths};
pub use plan::{HopPlan, PathProblem, PathProblemKind, plan_path, suggest_path};
pub use timing::Timing;
