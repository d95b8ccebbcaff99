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
pub mod error;
pub mod model;
pub mod parse;
pub mod types;

pub use api::PanosApi;
pub use error::ClientError;
pub use types::{BuildKind, FeatureRelease, JobId, ParseError, Serial, SoftwareVersion};
