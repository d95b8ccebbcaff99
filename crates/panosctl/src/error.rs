//! [`CtlError`]: how a `panosctl` command fails, and the exit code each failure maps to.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | ok |
//! | 1 | the operation failed, or what was named does not exist |
//! | 2 | usage or configuration error (a bad serial or version, an invalid config file) |
//! | 3 | the daemon is not running (for commands that need it) |

use std::path::PathBuf;

/// Exit code: the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the daemon is not running.
pub const EXIT_NOT_RUNNING: u8 = 3;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// A value given on the command line is not acceptable.
    #[error("{0}")]
    Usage(String),
    /// A configuration file is invalid.
    #[error(transparent)]
    Config(#[from] panosd::ConfigError),
    /// A secret could not be stored.
    #[error(transparent)]
    Secret(#[from] panosd::SecretError),
    /// The daemon is not running on this state directory.
    #[error(
        "panosd is not running on {}: start it with `panosctl daemon start` \
         (or `systemctl start panosd` where the unit is installed)",
        state_dir.display()
    )]
    NotRunning {
        /// The state directory.
        state_dir: PathBuf,
    },
    /// What was named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operation was tried and failed.
    #[error("{0}")]
    Failed(String),
    /// The state directory could not be read or written.
    #[error(transparent)]
    Queue(#[from] panos_queue::QueueError),
}

impl CtlError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Config(_) => EXIT_USAGE,
            Self::Queue(panos_queue::QueueError::InvalidName { .. }) => EXIT_USAGE,
            Self::NotRunning { .. } => EXIT_NOT_RUNNING,
            Self::Secret(_) | Self::NotFound(_) | Self::Failed(_) | Self::Queue(_) => EXIT_FAILED,
        }
    }
}

/// `Result` with [`CtlError`].
pub type Result<T, E = CtlError> = std::result::Result<T, E>;

/// A serial from the command line, or a usage error.
pub fn parse_serial(text: &str) -> Result<panos_queue::Serial> {
    text.trim()
        .parse()
        .map_err(|e: panos_queue::QueueError| CtlError::Usage(e.to_string()))
}

/// A version from the command line, or a usage error.
pub fn parse_version(text: &str) -> Result<panos_queue::Version> {
    text.trim()
        .parse()
        .map_err(|e: panos_queue::QueueError| CtlError::Usage(e.to_string()))
}
