//! Upgrade orchestration for PAN-OS firewalls managed by Panorama.
//!
//! What this crate owns: the version paths (`upgrade_paths.json`, PAN-OS path rules, base
//! images), and the per-device upgrade state machine run against any [`panos_client::PanosApi`].
//!
//! What it must not do: touch the file system or know about the shared-directory protocol. It
//! reports progress through a sink; the daemon persists it.

pub mod path;
pub mod plan;

pub use path::{PathError, UpgradePath, UpgradePaths};
pub use plan::{HopPlan, PathProblem, PathProblemKind, plan_path, suggest_path};
