//! The panos-upgrade daemon: runs upgrade jobs submitted as JSON files in the shared state
//! directory against Panorama, and writes their progress and results back as files.
//!
//! What this crate owns: the configuration ([`config`]), the credentials ([`secrets`]), the
//! logs ([`logging`]), the Prometheus metrics file ([`metrics`]), and the daemon itself
//! ([`run`]): scheduling jobs under `workers.max`, processing commands, status files, the
//! inventory, signals, systemd notification and recovery after a crash. It composes panos-queue (the files), panos-client (Panorama),
//! panos-validation and panos-upgrade (the engine).
//!
//! What it must not do: decide how a device is upgraded (panos-upgrade does), or write a
//! shared file other than through panos-queue's atomic writes.
//!
//! # Running the daemon in-process
//!
//! ```no_run
//! use panosd::DaemonConfig;
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn demo() -> Result<(), panosd::DaemonError> {
//! let config = DaemonConfig::load(std::path::Path::new("/var/lib/panos-upgrade"), None)?;
//! let shutdown = CancellationToken::new();
//! // Cancel `shutdown` (on SIGTERM, at the end of a test) to stop it gracefully.
//! panosd::run(config, shutdown).await
//! # }
//! ```
//!
//! # Editing the configuration (what `panosctl config set` does)
//!
//! ```
//! # fn demo() -> Result<(), panosd::ConfigError> {
//! let mut json = serde_json::json!({ "panorama": { "url": "https://panorama.example.com" } });
//! panosd::config::set(&mut json, "workers.max", "10")?;
//! assert_eq!(panosd::config::get(&json, "workers.max")?, 10);
//! assert_eq!(panosd::config::get(&json, "panorama.verify_tls")?, true); // a default
//! // Out of range or unknown: refused, naming the key, and `json` is left as it was.
//! assert!(panosd::config::set(&mut json, "workers.max", "80").is_err());
//! assert!(panosd::config::set(&mut json, "workers.maximum", "8").is_err());
//! # Ok(())
//! # }
//! # demo().unwrap();
//! ```

pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
mod daemon;
pub mod error;
pub mod journal;
pub mod logging;
pub mod metrics;
pub mod secrets;
pub mod store;

pub use config::{Config, DaemonConfig};
pub use daemon::{run, run_with_api};
pub use error::{ConfigError, DaemonError, SecretError};
