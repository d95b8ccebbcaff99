//! A Panorama simulator with a managed firewall fleet, served over HTTP and HTTPS on loopback.
//!
//! It answers the PAN-OS XML API (`/api/`, GET or POST, `key=`/`X-PAN-KEY`, `target=`) in the
//! formats of the real samples: keygen, system info, HA state, the software catalog, download
//! and install jobs that progress over scaled simulated time, restarts with a `not connected`
//! window, HA suspend/functional with failover and sync, sessions, routes, ARP, disk space and
//! Panorama's `show devices`. Faults can be injected per device and per operation, requests are
//! recorded and counted, and everything is driven from [`start`] and the [`SimHandle`] it returns.
//!
//! Simulated time is derived from `tokio::time::Instant` and computed lazily on each request, so
//! a 10,000-device fleet costs nothing while idle and tests under `tokio::time::pause()` are
//! deterministic.
//!
//! The simulator renders its own XML and never uses panos-client's parsing or types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), panos_sim::SimError> {
//! use panos_sim::{FaultRule, Fault, Op, SimConfig, generate_fleet, FleetShape};
//! let fleet = generate_fleet(&FleetShape { devices: 20, ha_pairs: 4, seed: 7 });
//! let sim = panos_sim::start(SimConfig::new(fleet).with_tls().with_time_scale(60.0)).await?;
//! let serial = sim.serials()[0].clone();
//! sim.inject_fault(&serial, FaultRule::times(Fault::SoftwareManagerBusy, 1).on(Op::SoftwareInstall))?;
//! println!("{} key {}", sim.url(), sim.api_key());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod catalog;
mod clock;
mod command;
mod error;
mod faults;
mod fleet;
mod generator;
mod ha;
mod handle;
mod jobs;
mod limit;
mod model;
mod ops;
mod record;
mod render;
mod server;
mod tls;
mod world;

pub use auth::Credentials;
pub use catalog::{Catalog, CatalogEntry, PLATFORMS, PanVersion, Platform};
pub use command::{Command, CommandError, Op, parse as parse_command};
pub use error::SimError;
pub use faults::{Fault, FaultRule};
pub use fleet::{DeviceSpec, FleetSpec, HaSpec, PanoramaHaSpec, PanoramaSpec, Timings};
pub use generator::{FleetShape, generate_fleet, upgrade_paths, upgrade_target};
pub use ha::HaState;
pub use handle::{DeviceEdit, SimHandle};
pub use limit::{OverLimit, RateLimit};
pub use model::{DeviceSnapshot, HaSnapshot, JobSnapshot};
pub use record::{RequestCounters, RequestRecord, ResponseKind};
pub use server::{SimConfig, start};
pub use tls::TlsOptions;
