//! The daemon's configuration, `config/config.json`: its sections and their defaults
//! ([`Config`]), loading and validation with errors that name the key and the fix, and where
//! the state directory is ([`DaemonConfig`]).
//!
//! Every setting has a default except `panorama.url`. Unknown keys are refused: a typo must
//! not silently leave a setting at its default. Dot-notation access for the CLI is in
//! [`get`] / [`set`]. Secrets are not resolved here (see [`crate::secrets`]); this module only checks
//! that no secret is stored in plain text.

mod keys;
mod sections;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use keys::{get, known_keys, set, set_value};
pub use sections::{
    DaemonSection, LoggingConfig, MAX_WORKERS, PanoramaConfig, PathsConfig, WorkersConfig,
};

use crate::error::ConfigError;

/// The environment variable naming the state directory when `--state-dir` is not given.
pub const HOME_ENV: &str = "PANOS_UPGRADE_HOME";
/// The state directory when neither `--state-dir` nor [`HOME_ENV`] is given.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/panos-upgrade";

/// `config/config.json`: every section, with defaults for everything but `panorama.url`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Panorama is, how to authenticate and trust it, and the API limits.
    pub panorama: PanoramaConfig,
    /// Concurrent upgrade jobs.
    pub workers: WorkersConfig,
    /// Readiness checks, comparison thresholds, post-flight policy.
    pub validation: panos_validation::ValidationConfig,
    /// Log files and levels.
    pub logging: LoggingConfig,
    /// Files the daemon reads besides this one.
    pub paths: PathsConfig,
    /// Poll intervals, waits and timeouts of upgrades (`timing.scale` divides them all).
    pub timing: panos_upgrade::Timing,
    /// The daemon's own intervals (status files, rescans, inventory, shutdown grace).
    pub daemon: DaemonSection,
}

impl Config {
    /// The configuration of a rehearsal against panos-sim at `scale` simulated seconds per
    /// real second (the demo's, the reliability suite's): Panorama at `url` with `api_key`
    /// (already encrypted for `config.json`), `workers` workers, an API budget of 5,000
    /// requests a second (bursts of 200, 50 in flight, 20 s per request), and the daemon's
    /// own intervals, which the scale divides too, kept near real seconds.
    pub fn rehearsal(url: &str, api_key: String, workers: u32, scale: f64) -> Config {
        let mut config = Config::default();
        config.panorama.url = Some(url.to_owned());
        config.panorama.api_key = Some(api_key);
        config.panorama.rate_limit_per_second = 5000;
        config.panorama.rate_limit_burst = 200;
        config.panorama.max_in_flight = 50;
        config.panorama.request_timeout_secs = 20;
        config.workers.max = workers;
        config.timing.scale = scale;
        config.daemon.status_interval_secs = scale;
        config.daemon.rescan_interval_secs = scale / 2.0;
        config.daemon.inventory_interval_secs = scale * 300.0;
        config.daemon.shutdown_grace_secs = scale * 10.0;
        config
    }

    /// Parses and validates the text of `config.json`; `file` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key and the fix: an unknown key, a value of the wrong type
    /// or out of range, a secret in plain text.
    pub fn from_json(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| ConfigError::Syntax {
                file: file.to_path_buf(),
                source,
            })?;
        Self::from_value(&value, file)
    }

    /// Validates a parsed `config.json` (see [`Config::from_json`]).
    ///
    /// # Errors
    /// As for [`Config::from_json`].
    pub fn from_value(value: &serde_json::Value, file: &Path) -> Result<Self, ConfigError> {
        if !value.is_object() {
            return Err(ConfigError::invalid(
                file,
                "(top level)",
                "the file must hold a JSON object of sections, e.g. {\"panorama\": {\"url\": \"…\"}}",
            ));
        }
        keys::reject_unknown(value, file)?;
        let config: Self = match serde_json::from_value(value.clone()) {
            Ok(config) => config,
            Err(err) => return Err(keys::locate_type_error(value, file, &err)),
        };
        config.validate(file)?;
        Ok(config)
    }

    /// Reads and validates `path`; a missing file gives the defaults.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file exists but cannot be read; else as for
    /// [`Config::from_json`].
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_json(&text, path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                file: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The rules the types cannot express.
    fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        self.panorama.validate(file)?;
        self.workers.validate(file)?;
        self.logging.validate(file)?;
        self.daemon.validate(file)?;
        let scale = self.timing.scale;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(ConfigError::invalid(
                file,
                "timing.scale",
                "must be a number above 0 (1 in production; e.g. 100 against a simulator \
                 running 100 times faster)",
            ));
        }
        Ok(())
    }

    /// `panorama.url`, or the error telling how to set it.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] when it is not set.
    pub fn panorama_url(&self, file: &Path) -> Result<&str, ConfigError> {
        match self.panorama.url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Ok(url),
            _ => Err(ConfigError::Missing {
                file: file.to_path_buf(),
                key: "panorama.url",
                fix: "set it with `panosctl config set panorama.url https://panorama.example.com`",
            }),
        }
    }

    /// The engine's settings: timing and validation.
    pub fn engine(&self) -> panos_upgrade::EngineConfig {
        panos_upgrade::EngineConfig {
            timing: self.timing.clone(),
            validation: self.validation.clone(),
        }
    }
}

/// What [`crate::run`] needs: the state directory and the configuration read from it.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The state directory (queue, status, logs, config).
    pub state_dir: PathBuf,
    /// The configuration file (`<state_dir>/config/config.json` unless `--config` says).
    pub config_file: PathBuf,
    /// The configuration read from it.
    pub config: Config,
    /// Console logging (a terminal, journald, or none).
    pub console: crate::logging::Console,
    /// The systemd credentials directory (`$CREDENTIALS_DIRECTORY`), when systemd gives one.
    pub credentials_dir: Option<PathBuf>,
}

impl DaemonConfig {
    /// Reads the configuration of the state directory `state_dir` (or `config_file` when
    /// given).
    ///
    /// # Errors
    /// As for [`Config::load`].
    pub fn load(state_dir: &Path, config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let config_file = config_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| default_config_file(state_dir));
        let config = Config::load(&config_file)?;
        Ok(Self {
            state_dir: state_dir.to_path_buf(),
            config_file,
            config,
            console: crate::logging::Console::Off,
            credentials_dir: None,
        })
    }

    /// A configuration for `state_dir` with the given settings (tests, embedding).
    pub fn new(state_dir: &Path, config: Config) -> Self {
        Self {
            state_dir: state_dir.to_path_buf(),
            config_file: default_config_file(state_dir),
            config,
            console: crate::logging::Console::Off,
            credentials_dir: None,
        }
    }

    /// The upgrade paths file, resolved against the state directory.
    pub fn upgrade_paths_file(&self) -> PathBuf {
        self.state_dir.join(&self.config.paths.upgrade_paths)
    }
}

/// The content of `config.json` as JSON (for [`get`] and [`set`]); `{}` when the file does
/// not exist.
///
/// # Errors
/// [`ConfigError::Read`] or [`ConfigError::Syntax`].
pub fn read_file(path: &Path) -> Result<serde_json::Value, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|source| ConfigError::Syntax {
            file: path.to_path_buf(),
            source,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Ok(serde_json::Value::Object(serde_json::Map::new()))
        }
        Err(source) => Err(ConfigError::Read {
            file: path.to_path_buf(),
            source,
        }),
    }
}

/// Validates `json` and writes it to `path` atomically (temp file, fsync, rename), mode
/// 0640. Nothing is written when it does not validate.
///
/// # Errors
/// The validation error, or [`ConfigError::Write`].
pub fn write_file(path: &Path, json: &serde_json::Value) -> Result<(), ConfigError> {
    Config::from_value(json, path)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            file: path.to_path_buf(),
            reason: source.to_string(),
        })?;
    }
    panos_queue::write_json(path, json).map_err(|err| ConfigError::Write {
        file: path.to_path_buf(),
        reason: err.to_string(),
    })
}

/// `<state_dir>/config/config.json`.
pub fn default_config_file(state_dir: &Path) -> PathBuf {
    state_dir.join("config").join("config.json")
}

/// The state directory: `--state-dir`, else [`HOME_ENV`], else [`DEFAULT_STATE_DIR`].
pub fn state_dir_from(flag: Option<PathBuf>, env: Option<std::ffi::OsString>) -> PathBuf {
    flag.or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR))
}

/// Reads `upgrade_paths.json`; a missing file gives no paths (jobs then need a target).
///
/// # Errors
/// [`ConfigError::Read`] or [`ConfigError::Paths`], naming the file.
pub fn load_upgrade_paths(path: &Path) -> Result<panos_upgrade::UpgradePaths, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            panos_upgrade::UpgradePaths::from_json(&text).map_err(|source| ConfigError::Paths {
                file: path.to_path_buf(),
                source,
            })
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            panos_upgrade::UpgradePaths::from_json("{}").map_err(|source| ConfigError::Paths {
                file: path.to_path_buf(),
                source,
            })
        }
        Err(source) => Err(ConfigError::Read {
            file: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
