//! A typed, safe client for Panorama's XML API, and through Panorama (`target=<serial>`) for
//! each managed firewall.
//!
//! What this crate owns: the transport (one HTTP client per Panorama, rustls, a rate limiter and
//! an in-flight cap shared by every call), the wire formats of the responses (parsed with
//! roxmltree into [`model`] types), the error classification ([`ClientError`]) and the
//! newtypes every other crate passes around ([`Serial`], [`SoftwareVersion`], [`JobId`]).
//!
//! What it must not do: decide anything about upgrades, or depend on another panos crate.

pub mod api;
mod client;
mod command;
pub mod config;
pub mod error;
mod limit;
pub mod model;
mod operations;
pub mod parse;
pub mod retry;
mod tls;
pub mod types;

pub use api::PanosApi;
pub use client::PanoramaClient;
pub use config::{ClientConfig, ClientConfigBuilder, Credentials, TlsTrust};
pub use error::ClientError;
pub use limit::ClientStats;
pub use retry::RetryPolicy;
pub use types::{BuildKind, FeatureRelease, JobId, ParseError, Serial, SoftwareVersion};
