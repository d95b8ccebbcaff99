//! [`QueueError`]: every way the shared-directory protocol can fail, naming the file involved
//! and what to do about it.
//!
//! A rejected *input* file (a bad job or command) is not an error of the queue: it is moved
//! aside with a [`crate::Rejection`] and the queue goes on. `QueueError` is for the daemon's
//! own I/O failing (a full disk, a missing permission) and for a second daemon on the same
//! state directory.

use std::path::PathBuf;

/// An error of the shared-directory protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A file-system operation failed.
    #[error(
        "{op} {path}: {source} (check the path exists and the daemon's user or group may write it)"
    )]
    Io {
        /// What was being done (`create directory`, `write`, `rename`, …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded as JSON (a bug: every protocol type serializes).
    #[error("encode {path} as json: {source}")]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A file the daemon reads for itself (a status or an active job) is not valid.
    #[error("invalid file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// Another process holds the state directory's lock.
    #[error(
        "state directory {} is locked by {} (lock file {}): stop that daemon first, or use another --state-dir",
        state_dir.display(),
        pid.map_or_else(|| "another process".to_owned(), |pid| format!("pid {pid}")),
        lock_file.display()
    )]
    Locked {
        /// The state directory.
        state_dir: PathBuf,
        /// The lock file.
        lock_file: PathBuf,
        /// The holder's pid, when the lock file names one.
        pid: Option<u32>,
    },
    /// A name given by a caller is not acceptable (a serial, an HA pair name, a job id).
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidName {
        /// What the name is (`serial`, `ha pair name`, …).
        what: &'static str,
        /// The rejected value, truncated.
        value: String,
        /// What a valid one looks like.
        reason: &'static str,
    },
    /// The file-system watcher could not be started.
    #[error("watch {path}: {source} (the daemon falls back to periodic rescans)")]
    Watch {
        /// The directory.
        path: PathBuf,
        /// The watcher's error.
        #[source]
        source: notify::Error,
    },
}

impl QueueError {
    /// An [`QueueError::Io`] for `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`QueueError`].
pub type Result<T, E = QueueError> = std::result::Result<T, E>;
