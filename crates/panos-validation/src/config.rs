//! [`ValidationConfig`]: the `validation` section of the daemon configuration, grouping the
//! readiness settings, the comparison thresholds and what a failed post-flight comparison does
//! to the job.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compare::Thresholds;
use crate::readiness::ReadinessConfig;

/// What a failed post-flight comparison does to the device's upgrade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostflightPolicy {
    /// The device's upgrade fails (default): the operator must look before the next hop or the
    /// HA peer is touched.
    #[default]
    Fail,
    /// The failure is recorded as a warning and the upgrade goes on.
    Warn,
}

/// The `validation` section of the daemon configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    /// Readiness checks before a device is touched.
    pub readiness: ReadinessConfig,
    /// Allowed differences between the pre- and post-flight snapshots.
    pub thresholds: Thresholds,
    /// What a `fail` verdict of the post-flight comparison does to the job.
    pub postflight_failure: PostflightPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_gives_the_cautious_defaults() {
        let config: ValidationConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, ValidationConfig::default());
        assert_eq!(config.postflight_failure, PostflightPolicy::Fail);
        let warn: ValidationConfig =
            serde_json::from_str(r#"{"postflight_failure":"warn"}"#).unwrap();
        assert_eq!(warn.postflight_failure, PostflightPolicy::Warn);
        assert!(serde_json::from_str::<ValidationConfig>(r#"{"threshold":{}}"#).is_err());
    }
}
