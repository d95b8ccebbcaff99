//! Validation of PAN-OS firewall upgrades: readiness checks before a device is touched,
//! metrics snapshots, and the comparison of the snapshots taken before and after.
//!
//! - [`readiness::check`] turns collected facts ([`readiness::ReadinessInput`]) into a
//!   [`readiness::ReadinessReport`] of [`Finding`]s (block / warn / info, stable codes).
//! - [`Snapshot::builder`] turns the client's model types into a normalised [`Snapshot`]
//!   (sessions, routes, ARP, free disk, versions, HA), recording missing parts and why.
//! - [`compare()`] judges a post-flight snapshot against the pre-flight one with
//!   [`Thresholds`] and returns a [`ComparisonReport`] (verdict, per-metric contributions,
//!   exactly what differs; text and JSON).
//!
//! ```
//! use chrono::Utc;
//! use panos_client::model::{RouteTable, RoutingEngine, SessionInfo};
//! use panos_validation::{Snapshot, Thresholds, Verdict, compare};
//!
//! let serial = "007951000123456".parse().unwrap();
//! let routes = RouteTable { engine: RoutingEngine::Legacy, routes: vec![] };
//! let pre = Snapshot::builder(serial, Utc::now())
//!     .sessions(Ok::<_, String>(SessionInfo { num_active: 1000, ..SessionInfo::default() }))
//!     .routes(Ok::<_, String>(routes))
//!     .arp(Err("read timed out")) // recorded as missing, with the reason
//!     .build();
//! let mut post = pre.clone();
//! post.sessions.as_mut().unwrap().total = 500;
//!
//! let report = compare(&pre, &post, &Thresholds::default());
//! assert_eq!(report.verdict, Verdict::Fail); // -50 % sessions, and ARP not compared
//! println!("{report}"); // aligned text; report.to_json() lists every difference
//! ```
//!
//! What this crate must not do: I/O of any kind, or depend on any panos crate but
//! panos-client (for its model types). Validation returns reports, never errors: a blocked
//! upgrade or a failed comparison is an outcome.

pub mod compare;
pub mod config;
pub mod finding;
mod normalize;
pub mod readiness;
mod schema;
pub mod snapshot;

pub use compare::{ComparisonReport, Outcome, Thresholds, Verdict, compare};
pub use config::{PostflightPolicy, ValidationConfig};
pub use finding::{CheckId, Finding, FindingCode, Severity};
pub use normalize::normalize_flags;
pub use readiness::{ReadinessConfig, ReadinessInput, ReadinessReport};
pub use schema::schemas;
pub use snapshot::{MissingPart, Part, Snapshot, SnapshotBuilder};
