//! The simulator's error type.

/// What went wrong starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A file or socket operation failed.
    #[error("cannot {what}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The fleet description is invalid.
    #[error("invalid fleet: {0}")]
    Fleet(String),
    /// The TLS certificate or configuration could not be built.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// No managed device has this serial.
    #[error("no device with serial {0}")]
    UnknownDevice(String),
}
