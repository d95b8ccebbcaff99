//! The sections of `config.json` the daemon owns (`panorama`, `workers`, `logging`, `paths`,
//! `daemon`), their defaults and their range checks. `validation` and `timing` belong to
//! panos-validation and panos-upgrade.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::secrets;

/// The largest `workers.max`.
pub const MAX_WORKERS: u32 = 50;

/// `panorama`: where Panorama is, how to authenticate and trust it, and the API limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanoramaConfig {
    /// Panorama's address (`https://panorama.example.com`). The one setting without default.
    pub url: Option<String>,
    /// The API key, **encrypted** (`panosctl config set panorama.api_key` encrypts it with
    /// `config/identity.age`). A plain-text key is refused.
    pub api_key: Option<String>,
    /// A file holding the API key (mode 0600, owned by the daemon's user).
    pub api_key_file: Option<PathBuf>,
    /// An administrator whose password is exchanged for an API key at start.
    pub username: Option<String>,
    /// That administrator's password, **encrypted** like `api_key`.
    pub password: Option<String>,
    /// A file holding the password (mode 0600).
    pub password_file: Option<PathBuf>,
    /// Verify Panorama's certificate (default true). False accepts any certificate: labs only.
    pub verify_tls: bool,
    /// A PEM bundle of the private CA that signed Panorama's certificate.
    pub ca_file: Option<PathBuf>,
    /// The SHA-256 of Panorama's certificate (hex, colons allowed): pins a self-signed one.
    pub tls_fingerprint_sha256: Option<String>,
    /// API requests per second for the whole daemon (default 10).
    pub rate_limit_per_second: u32,
    /// Requests that may go at once after a quiet period (default 5).
    pub rate_limit_burst: u32,
    /// API requests in flight at once (default 5; Palo Alto Networks advises at most 5).
    pub max_in_flight: usize,
    /// Time allowed to connect, in seconds (default 10).
    pub connect_timeout_secs: u64,
    /// Time allowed for one request, in seconds (default 60).
    pub request_timeout_secs: u64,
    /// The largest answer accepted from Panorama, in MiB (default 128). The inventory
    /// (`show devices all`) is the largest: a few KiB per managed firewall.
    pub max_response_mb: u32,
}

impl Default for PanoramaConfig {
    fn default() -> Self {
        Self {
            url: None,
            api_key: None,
            api_key_file: None,
            username: None,
            password: None,
            password_file: None,
            verify_tls: true,
            ca_file: None,
            tls_fingerprint_sha256: None,
            rate_limit_per_second: 10,
            rate_limit_burst: 5,
            max_in_flight: 5,
            connect_timeout_secs: 10,
            request_timeout_secs: 60,
            max_response_mb: 128,
        }
    }
}

impl PanoramaConfig {
    pub(crate) fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        for (key, value) in [
            ("panorama.api_key", &self.api_key),
            ("panorama.password", &self.password),
        ] {
            if let Some(value) = value
                && !secrets::is_encrypted(value)
            {
                return Err(ConfigError::PlainSecret {
                    file: file.to_path_buf(),
                    key,
                });
            }
        }
        if self.rate_limit_per_second == 0 {
            return Err(ConfigError::invalid(
                file,
                "panorama.rate_limit_per_second",
                "must be at least 1 (requests per second for the whole daemon; default 10)",
            ));
        }
        if self.rate_limit_burst == 0 {
            return Err(ConfigError::invalid(
                file,
                "panorama.rate_limit_burst",
                "must be at least 1 (default 5)",
            ));
        }
        if self.max_in_flight == 0 {
            return Err(ConfigError::invalid(
                file,
                "panorama.max_in_flight",
                "must be at least 1 (default 5)",
            ));
        }
        if self.max_response_mb == 0 {
            return Err(ConfigError::invalid(
                file,
                "panorama.max_response_mb",
                "must be at least 1 (MiB; default 128, enough for about 30,000 firewalls)",
            ));
        }
        if self.connect_timeout_secs == 0 || self.request_timeout_secs == 0 {
            return Err(ConfigError::invalid(
                file,
                "panorama.connect_timeout_secs / panorama.request_timeout_secs",
                "must be at least 1 second",
            ));
        }
        self.check_with_client(file)?;
        let trust = [
            self.ca_file.is_some(),
            self.tls_fingerprint_sha256.is_some(),
            !self.verify_tls,
        ];
        if trust.iter().filter(|set| **set).count() > 1 {
            return Err(ConfigError::invalid(
                file,
                "panorama.ca_file / panorama.tls_fingerprint_sha256 / panorama.verify_tls",
                "choose one: a CA file, a certificate fingerprint, or verify_tls false",
            ));
        }
        Ok(())
    }
}

impl PanoramaConfig {
    /// Lets the client's own checks judge the URL and the fingerprint, and names the key.
    fn check_with_client(&self, file: &Path) -> Result<(), ConfigError> {
        use panos_client::{ClientConfig, Credentials};
        let placeholder = Credentials::ApiKey(secrecy::SecretString::from("-".to_owned()));
        if let Some(url) = self.url.as_deref().filter(|u| !u.trim().is_empty())
            && let Err(err) = ClientConfig::builder(url, placeholder.clone()).build()
        {
            return Err(ConfigError::invalid(
                file,
                "panorama.url",
                &format!(
                    "is not usable ({err}): write https://panorama.example.com (http only to \
                     a loopback address)"
                ),
            ));
        }
        if let Some(pin) = &self.tls_fingerprint_sha256
            && let Err(err) = ClientConfig::builder("https://panorama.invalid", placeholder)
                .tls_fingerprint_sha256(pin)
                .build()
        {
            return Err(ConfigError::invalid(
                file,
                "panorama.tls_fingerprint_sha256",
                &format!(
                    "is not usable ({err}): write the SHA-256 of Panorama's certificate in hex, \
                     e.g. `openssl x509 -noout -fingerprint -sha256 -in panorama.pem`"
                ),
            ));
        }
        Ok(())
    }
}

/// `workers`: how many upgrade jobs run at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkersConfig {
    /// Jobs at once, 1 to 50 (default 5). Changed live by SIGHUP.
    pub max: u32,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self { max: 5 }
    }
}

impl WorkersConfig {
    pub(crate) fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        if !(1..=MAX_WORKERS).contains(&self.max) {
            return Err(ConfigError::invalid(
                file,
                "workers.max",
                "must be between 1 and 50 (jobs upgraded at once; default 5)",
            ));
        }
        Ok(())
    }
}

/// `logging`: levels and log files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    /// A tracing filter: `info` (default), `debug`, `panosd=debug,info`, …
    pub level: String,
    /// Write `logs/structured/panos-upgrade-YYYYMMDD.json` (default true).
    pub json: bool,
    /// Write `logs/text/panos-upgrade-YYYYMMDD.log` (default true).
    pub text: bool,
    /// Daily files kept per kind (default 30); older ones are deleted.
    pub retention_days: usize,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            json: true,
            text: true,
            retention_days: 30,
        }
    }
}

impl LoggingConfig {
    pub(crate) fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        if tracing_subscriber::EnvFilter::try_new(&self.level).is_err() {
            return Err(ConfigError::invalid(
                file,
                "logging.level",
                "must be a level (error, warn, info, debug, trace) or a filter such as \
                 `panosd=debug,info`",
            ));
        }
        if self.retention_days == 0 {
            return Err(ConfigError::invalid(
                file,
                "logging.retention_days",
                "must be at least 1 (daily files kept; default 30)",
            ));
        }
        Ok(())
    }
}

/// `paths`: files the daemon reads besides `config.json`, relative to the state directory
/// unless absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsConfig {
    /// The version paths (default `config/upgrade_paths.json`). Reloaded by SIGHUP.
    pub upgrade_paths: PathBuf,
}

impl Default for PathsConfig {
    fn default() -> Self {
        Self {
            upgrade_paths: PathBuf::from("config/upgrade_paths.json"),
        }
    }
}

/// `daemon`: the daemon's own intervals, in seconds (divided by `timing.scale`), and its
/// metrics file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonSection {
    /// How often `status/daemon.json` and `status/workers.json` are rewritten (default 5).
    pub status_interval_secs: f64,
    /// How often `queue/pending/` and `commands/incoming/` are rescanned, besides the watcher
    /// (default 10).
    pub rescan_interval_secs: f64,
    /// How often the inventory is read from Panorama (default 900).
    pub inventory_interval_secs: f64,
    /// How long running jobs get to reach a recorded point on shutdown (default 30).
    pub shutdown_grace_secs: f64,
    /// The Prometheus metrics file (node_exporter's textfile collector), rewritten with
    /// `status/daemon.json`; relative to the state directory (default `status/panosd.prom`);
    /// `null` turns it off.
    pub metrics_file: Option<PathBuf>,
}

impl Default for DaemonSection {
    fn default() -> Self {
        Self {
            status_interval_secs: 5.0,
            rescan_interval_secs: 10.0,
            inventory_interval_secs: 900.0,
            shutdown_grace_secs: 30.0,
            metrics_file: Some(PathBuf::from("status/panosd.prom")),
        }
    }
}

impl DaemonSection {
    pub(crate) fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        for (key, value) in [
            ("daemon.status_interval_secs", self.status_interval_secs),
            ("daemon.rescan_interval_secs", self.rescan_interval_secs),
            (
                "daemon.inventory_interval_secs",
                self.inventory_interval_secs,
            ),
            ("daemon.shutdown_grace_secs", self.shutdown_grace_secs),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    file,
                    key,
                    "must be a number of seconds above 0",
                ));
            }
        }
        Ok(())
    }
}
