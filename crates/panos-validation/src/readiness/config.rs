//! [`ReadinessConfig`]: which readiness checks run and how loud they are, read from
//! `validation.readiness` in the daemon configuration (every key optional, unknown keys
//! refused).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{CheckId, Severity};

/// Settings of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// Whether the check runs. Default true.
    pub enabled: bool,
    /// When set, every block or warn finding of the check gets this severity instead (info
    /// findings stay info). `warn` turns a blocking check into an advisory one.
    pub severity: Option<Severity>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: None,
        }
    }
}

/// Settings of the disk check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DiskCheckConfig {
    /// Whether the check runs. Default true.
    pub enabled: bool,
    /// Severity override, as for [`CheckConfig::severity`].
    pub severity: Option<Severity>,
    /// Space to keep free on `/opt/panrepo` beyond the images to download, in MiB.
    /// Default 1024 (the images are decompressed and loaded into the software manager next to
    /// the downloaded file).
    pub margin_mb: u64,
}

impl Default for DiskCheckConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: None,
            margin_mb: 1024,
        }
    }
}

/// Which readiness checks run and how severe their findings are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReadinessConfig {
    /// Free space on `/opt/panrepo`.
    pub disk: DiskCheckConfig,
    /// HA pair health.
    pub ha: CheckConfig,
    /// No running jobs.
    pub jobs: CheckConfig,
    /// Chassis ready.
    pub chassis: CheckConfig,
    /// Connected to Panorama.
    pub device: CheckConfig,
    /// Target (and base) image in the catalog.
    pub catalog: CheckConfig,
    /// Running version against the target.
    pub version: CheckConfig,
}

impl ReadinessConfig {
    /// Whether `check` runs, and its severity override.
    pub fn settings(&self, check: CheckId) -> (bool, Option<Severity>) {
        let plain = |c: &CheckConfig| (c.enabled, c.severity);
        match check {
            CheckId::Disk => (self.disk.enabled, self.disk.severity),
            CheckId::Ha => plain(&self.ha),
            CheckId::Jobs => plain(&self.jobs),
            CheckId::Chassis => plain(&self.chassis),
            CheckId::Device => plain(&self.device),
            CheckId::Catalog => plain(&self.catalog),
            CheckId::Version => plain(&self.version),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_everything_and_keys_are_checked() {
        let config: ReadinessConfig = serde_json::from_str("{}").unwrap();
        assert!(
            CheckId::ALL
                .iter()
                .all(|c| config.settings(*c) == (true, None))
        );
        assert_eq!(config.disk.margin_mb, 1024);
        let tuned: ReadinessConfig =
            serde_json::from_str(r#"{"jobs":{"severity":"warn"},"chassis":{"enabled":false}}"#)
                .unwrap();
        assert_eq!(tuned.settings(CheckId::Jobs), (true, Some(Severity::Warn)));
        assert_eq!(tuned.settings(CheckId::Chassis), (false, None));
        assert!(serde_json::from_str::<ReadinessConfig>(r#"{"job":{}}"#).is_err());
    }
}
