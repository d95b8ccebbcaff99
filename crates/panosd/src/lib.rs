//! The panos-upgrade daemon: runs upgrade jobs submitted as JSON files in the shared state
//! directory against Panorama, and writes their progress and results back as files.
//!
//! What this crate owns: the configuration ([`config`]), the credentials ([`secrets`]), the
//! logs ([`logging`]), and the daemon itself ([`run`]): scheduling jobs under `workers.max`,
//! processing commands, status files, the inventory, signals, systemd notification and
//! recovery after a crash. It composes panos-queue (the files), panos-client (Panorama),
//! panos-validation and panos-upgrade (the engine).
//!
//! What it must not do: decide how a device is upgraded (panos-upgrade does), or write a
//! shared file other than through panos-queue's atomic writes.

pub mod api;
pub mod audit;
pub mod config;
mod daemon;
pub mod error;
pub mod logging;
pub mod secrets;
pub mod store;

pub use config::{Config, DaemonConfig};
pub use daemon::{notify as sd_notify_states, reload, run, run_with_api};
pub use error::{ConfigError, DaemonError, SecretError};
