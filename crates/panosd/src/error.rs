//! The daemon's errors: [`ConfigError`] (the configuration files), [`SecretError`] (finding
//! and decrypting the API key) and [`DaemonError`] (what stops [`crate::run`]). Every
//! message names the file or key and the fix; none ever contains a secret.

use std::path::PathBuf;

/// A problem with `config.json` or `upgrade_paths.json`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {}: {source} (check it exists and the daemon's user may read it)", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{} is not valid JSON: {source} (fix the syntax, or run `panosctl config show` to see the defaults)", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A key the configuration does not have.
    #[error("{}: unknown key `{key}`: {fix}", file.display())]
    UnknownKey {
        /// The file.
        file: PathBuf,
        /// The key, in dot notation.
        key: String,
        /// What to do.
        fix: String,
    },
    /// A value of the wrong type or out of range.
    #[error("{}: `{key}` {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The key, in dot notation.
        key: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// A required setting is not set.
    #[error("{}: `{key}` is not set: {fix}", file.display())]
    Missing {
        /// The file.
        file: PathBuf,
        /// The key.
        key: &'static str,
        /// How to set it.
        fix: &'static str,
    },
    /// A secret stored in plain text.
    #[error(
        "{}: `{key}` holds a plain-text secret, which is refused: store it encrypted with \
         `panosctl config set {key}` (it encrypts with config/identity.age), or use a 0600 \
         key file or a systemd credential instead",
        file.display()
    )]
    PlainSecret {
        /// The file.
        file: PathBuf,
        /// The key.
        key: &'static str,
    },
    /// The file cannot be written.
    #[error("cannot write {}: {reason}", file.display())]
    Write {
        /// The file.
        file: PathBuf,
        /// What failed.
        reason: String,
    },
    /// `upgrade_paths.json` is not valid.
    #[error("{}: {source} (fix the file; `panosctl path validate` explains each entry)", file.display())]
    Paths {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        #[source]
        source: panos_upgrade::PathError,
    },
}

impl ConfigError {
    pub(crate) fn invalid(file: &std::path::Path, key: &str, reason: &str) -> Self {
        Self::Invalid {
            file: file.to_path_buf(),
            key: key.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// A problem finding or decrypting the Panorama credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No source gave a key or a username and password.
    #[error(
        "no Panorama credentials: provide the API key as the systemd credential \
         `panorama-api-key`, in a 0600 file named by `panorama.api_key_file`, or encrypted in \
         `panorama.api_key` (`panosctl config set panorama.api_key`); or set \
         `panorama.username` with a password from the same kinds of source"
    )]
    NoCredentials,
    /// A secret file is readable by others.
    #[error(
        "{} is readable by its group or others (mode {mode:o}): run `chmod 600 {}` and make \
         the daemon's user its owner",
        file.display(), file.display()
    )]
    TooOpen {
        /// The file.
        file: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A secret file or the identity cannot be read or written.
    #[error("{op} {}: {source}", file.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A secret file is empty.
    #[error("{} is empty: write the secret into it", file.display())]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// An encrypted value cannot be decrypted.
    #[error(
        "`{key}` cannot be decrypted with {}: {reason} (was it encrypted for another state \
         directory? set it again with `panosctl config set {key}`)",
        identity.display()
    )]
    Decrypt {
        /// The key.
        key: &'static str,
        /// The identity file.
        identity: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The identity file is not an age identity.
    #[error("{} is not an age identity: {reason} (move it away; a new one is made on the next `panosctl config set panorama.api_key`)", file.display())]
    BadIdentity {
        /// The file.
        file: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Encryption failed.
    #[error("cannot encrypt the secret: {0}")]
    Encrypt(String),
}

/// What stops the daemon.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The credentials are not usable.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The Panorama client cannot be built (bad URL, TLS settings).
    #[error("panorama settings in {}: {source}", file.display())]
    Client {
        /// The configuration file.
        file: PathBuf,
        /// The client's error.
        #[source]
        source: panos_client::ClientError,
    },
    /// The state directory cannot be used, or another daemon holds it.
    #[error(transparent)]
    Queue(#[from] panos_queue::QueueError),
    /// The log files cannot be opened.
    #[error("logs in {}: {source} (check the daemon's user may write there)", dir.display())]
    Logs {
        /// The log directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file-system operation of the daemon failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A background task panicked.
    #[error("internal error: {0}")]
    Internal(String),
}
