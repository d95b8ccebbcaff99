//! A typed, safe client for Panorama's XML API, and through Panorama (`target=<serial>`) for
//! each managed firewall.
//!
//! What this crate owns: the transport (one HTTP client per Panorama, rustls, a rate limiter and
//! an in-flight cap shared by every call), the wire formats of the responses (parsed with
//! roxmltree into [`model`] types by [`parse`]), the error classification ([`ClientError`]) and
//! the newtypes every other crate passes around ([`Serial`], [`SoftwareVersion`], [`JobId`]).
//!
//! What it must not do: decide anything about upgrades, or depend on another panos crate.
//!
//! # Example
//!
//! ```no_run
//! use panos_client::{ClientConfig, Credentials, PanoramaClient, PanosApi, Serial};
//! use secrecy::SecretString;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::builder(
//!     "panorama.example.com",
//!     Credentials::ApiKey(SecretString::from(std::env::var("PANOS_API_KEY")?)),
//! )
//! // Panorama's usual certificate is self-signed: pin it.
//! .tls_fingerprint_sha256("3A:1F:…:9C")
//! .rate_limit(10, 5)
//! .max_in_flight(5)
//! .build()?;
//! let client = PanoramaClient::new(config)?;
//!
//! let firewall: Serial = "007951000123456".parse()?;
//! let info = client.system_info(&firewall).await?;
//! println!("{} runs {}", info.hostname, info.sw_version);
//!
//! let catalog = client.software_info(&firewall).await?;
//! if let Some(image) = catalog.images.last() {
//!     println!("newest known image: {}", image.version);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Safety rules the client keeps
//!
//! * The API key travels only in the `X-PAN-KEY` header (marked sensitive), never in a URL, an
//!   error message or a `Debug` output.
//! * Read-only operations are retried with exponential backoff and jitter ([`RetryPolicy`]);
//!   operations that start something (download, install, restart, HA suspend/functional, raw
//!   [`PanoramaClient::op`]) are sent once. When one fails with
//!   [`ClientError::may_have_been_applied`], check the device before sending it again.
//! * Every value put into a command is a validated newtype and is XML-escaped.

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
