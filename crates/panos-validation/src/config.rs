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

impl ValidationConfig {
    /// Values that parse but make no sense (negative or non-finite percentages, a fail bound
    /// below its allowance), each naming the key and the fix. Empty when the configuration
    /// is usable; the daemon refuses to start otherwise.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let t = &self.thresholds;
        let mut percent = |key: String, value: Option<f64>| {
            if let Some(v) = value
                && (!v.is_finite() || v < 0.0)
            {
                problems.push(format!(
                    "validation.thresholds.{key} = {v}: must be a percentage of 0 or more"
                ));
            }
        };
        for (name, rule) in [
            ("total", &t.sessions.total),
            ("tcp", &t.sessions.tcp),
            ("udp", &t.sessions.udp),
        ] {
            percent(
                format!("sessions.{name}.max_drop_percent"),
                Some(rule.max_drop_percent),
            );
            percent(
                format!("sessions.{name}.max_increase_percent"),
                rule.max_increase_percent,
            );
        }
        let rules = [
            ("routes.removed", &t.routes.removed),
            ("routes.added", &t.routes.added),
            ("routes.changed", &t.routes.changed),
            ("arp.removed", &t.arp.removed),
            ("arp.added", &t.arp.added),
            ("arp.changed", &t.arp.changed),
        ];
        for (name, rule) in rules {
            percent(format!("{name}.max_percent"), rule.max_percent);
            percent(format!("{name}.fail_max_percent"), rule.fail_max_percent);
        }
        for (name, rule) in rules {
            let below =
                |allow: Option<f64>, fail: Option<f64>| allow.zip(fail).is_some_and(|(a, f)| f < a);
            if below(rule.max.map(|m| m as f64), rule.fail_max.map(|m| m as f64))
                || below(rule.max_percent, rule.fail_max_percent)
            {
                problems.push(format!(
                    "validation.thresholds.{name}: the fail bound is below the allowance; raise \
                     fail_max/fail_max_percent or lower max/max_percent"
                ));
            }
        }
        problems
    }
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
        assert!(config.problems().is_empty(), "{:?}", config.problems());
    }

    #[test]
    fn nonsense_values_are_named() {
        let json = r#"{"thresholds":{
            "sessions":{"tcp":{"max_drop_percent":-1}},
            "arp":{"removed":{"max":10,"level":"warn","fail_max":5}}}}"#;
        let config: ValidationConfig = serde_json::from_str(json).unwrap();
        let problems = config.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("sessions.tcp.max_drop_percent = -1"));
        assert!(problems[1].contains("arp.removed: the fail bound is below"));
    }
}
