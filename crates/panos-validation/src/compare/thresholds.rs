//! [`Thresholds`]: how much a post-flight snapshot may differ from the pre-flight one, read
//! from `validation.thresholds` in the daemon configuration.
//!
//! Every field has a default a cautious operator would pick (see the crate README); a
//! configuration only names what it changes. Unknown keys are refused so a typo cannot turn a
//! check off silently.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The level a comparison finding is raised to when a limit is crossed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Reported, does not change the verdict.
    Info,
    /// Makes the verdict at least `warn`.
    Warn,
    /// Makes the verdict `fail`.
    Fail,
}

/// All comparison thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Session counters.
    pub sessions: SessionThresholds,
    /// Route table.
    pub routes: RouteThresholds,
    /// ARP table.
    pub arp: ArpThresholds,
    /// Level when sessions, routes or ARP cannot be compared because one snapshot lacks them
    /// (default `fail`: a comparison that could not be made proves nothing).
    pub missing_data: Level,
    /// Level when HA config sync was `synchronized` before and is not after (default `warn`).
    pub ha_sync_lost: Level,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            sessions: SessionThresholds::default(),
            routes: RouteThresholds::default(),
            arp: ArpThresholds::default(),
            missing_data: Level::Fail,
            ha_sync_lost: Level::Warn,
        }
    }
}

/// Thresholds for the session counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SessionThresholds {
    /// All sessions (`num-active`). Default: a drop of more than 10 % fails.
    pub total: SessionRule,
    /// TCP sessions. Default: a drop of more than 10 % fails.
    pub tcp: SessionRule,
    /// UDP sessions. Default: a drop of more than 10 % warns (UDP sessions are short-lived,
    /// mostly DNS, and swing between two readings on their own).
    pub udp: SessionRule,
    /// Below this many sessions before the upgrade, a drop is at most a warning: a lab
    /// firewall with 12 sessions says nothing about traffic. Default 100.
    pub min_baseline: u64,
}

impl Default for SessionThresholds {
    fn default() -> Self {
        Self {
            total: SessionRule::default(),
            tcp: SessionRule::default(),
            udp: SessionRule {
                drop_level: Level::Warn,
                ..SessionRule::default()
            },
            min_baseline: 100,
        }
    }
}

/// A margin on one session counter, as a percentage of the pre-flight value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SessionRule {
    /// Whether this counter is compared.
    pub enabled: bool,
    /// A drop larger than this percentage is raised to `drop_level`. Default 10.
    pub max_drop_percent: f64,
    /// Level of a drop beyond the margin. Default `fail`.
    pub drop_level: Level,
    /// A rise larger than this percentage is raised to `increase_level`; unset (the default)
    /// means a rise is never a problem.
    pub max_increase_percent: Option<f64>,
    /// Level of a rise beyond its margin. Default `warn`.
    pub increase_level: Level,
}

impl Default for SessionRule {
    fn default() -> Self {
        Self {
            enabled: true,
            max_drop_percent: 10.0,
            drop_level: Level::Fail,
            max_increase_percent: None,
            increase_level: Level::Warn,
        }
    }
}

/// An allowance on a number of differing entries (added, removed or changed).
///
/// A difference is **within** the allowance when its count is at most `max` **or** its share
/// of the pre-flight table is at most `max_percent` (whichever is more generous); with neither
/// set, any count is within. Beyond the allowance it is raised to `level`; beyond the larger
/// `fail_max`/`fail_max_percent` bound (same rule) it fails.
///
/// A rule written in the configuration replaces the default rule as a whole, so `level` is
/// required there: `{ max = 3 }` alone would otherwise quietly change what happens beyond it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRule {
    /// Entries allowed, as a count.
    #[serde(default)]
    pub max: Option<u64>,
    /// Entries allowed, as a percentage of the pre-flight table.
    #[serde(default)]
    pub max_percent: Option<f64>,
    /// Level beyond the allowance.
    pub level: Level,
    /// Count beyond which the difference fails whatever `level` says.
    #[serde(default)]
    pub fail_max: Option<u64>,
    /// Percentage beyond which the difference fails whatever `level` says.
    #[serde(default)]
    pub fail_max_percent: Option<f64>,
}

impl ChangeRule {
    /// No entry allowed; any difference is raised to `level`.
    pub fn exact(level: Level) -> Self {
        Self {
            max: Some(0),
            max_percent: None,
            level,
            fail_max: None,
            fail_max_percent: None,
        }
    }

    /// Any number allowed; differences are reported as information.
    pub fn unlimited() -> Self {
        Self {
            max: None,
            max_percent: None,
            level: Level::Info,
            fail_max: None,
            fail_max_percent: None,
        }
    }
}

/// Thresholds for the route table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RouteThresholds {
    /// Routes present before and gone after. Default: none allowed, fail.
    pub removed: ChangeRule,
    /// Routes new after the upgrade. Default: any number, reported as information.
    pub added: ChangeRule,
    /// Routes whose next hops, interfaces, flags (or metric) differ. Default: none allowed,
    /// warn.
    pub changed: ChangeRule,
    /// Whether a metric change counts as a change. Default true.
    pub compare_metric: bool,
}

impl Default for RouteThresholds {
    fn default() -> Self {
        Self {
            removed: ChangeRule::exact(Level::Fail),
            added: ChangeRule::unlimited(),
            changed: ChangeRule::exact(Level::Warn),
            compare_metric: true,
        }
    }
}

/// Thresholds for the ARP table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArpThresholds {
    /// Entries gone after the upgrade. Default: 5 entries or 5 % allowed; beyond, warn;
    /// beyond 50 entries or 25 % (whichever is larger), fail.
    pub removed: ChangeRule,
    /// New entries. Default: any number, information.
    pub added: ChangeRule,
    /// Entries (interface + ip) whose MAC differs. Default: none allowed, warn.
    pub changed: ChangeRule,
    /// Whether a status change (`c` → `s`) alone counts as a change. Default false.
    pub compare_status: bool,
    /// Whether unresolved entries (status `i`, mac `(incomplete)`) are left out on both
    /// sides. Default true: they are not neighbours the firewall can reach anyway.
    pub ignore_incomplete: bool,
}

impl Default for ArpThresholds {
    fn default() -> Self {
        Self {
            removed: ChangeRule {
                max: Some(5),
                max_percent: Some(5.0),
                level: Level::Warn,
                fail_max: Some(50),
                fail_max_percent: Some(25.0),
            },
            added: ChangeRule::unlimited(),
            changed: ChangeRule::exact(Level::Warn),
            compare_status: false,
            ignore_incomplete: true,
        }
    }
}

/// `count` as a percentage of `base`; `None` when `base` is 0.
pub fn percent_of(count: u64, base: u64) -> Option<f64> {
    (base > 0).then(|| count as f64 * 100.0 / base as f64)
}

fn within(count: u64, base: u64, max: Option<u64>, max_percent: Option<f64>) -> bool {
    if count == 0 || (max.is_none() && max_percent.is_none()) {
        return true;
    }
    let by_count = max.is_some_and(|m| count <= m);
    let by_percent = max_percent
        .zip(percent_of(count, base))
        .is_some_and(|(limit, pct)| pct <= limit);
    by_count || by_percent
}

impl ChangeRule {
    /// The level of `count` differing entries out of `base`: `None` when within the allowance.
    pub fn judge(&self, count: u64, base: u64) -> Option<Level> {
        if within(count, base, self.max, self.max_percent) {
            return None;
        }
        let has_fail_bound = self.fail_max.is_some() || self.fail_max_percent.is_some();
        if has_fail_bound && !within(count, base, self.fail_max, self.fail_max_percent) {
            return Some(Level::Fail);
        }
        Some(self.level)
    }

    /// The allowance in words (`none`, `up to 5 or 5 %`, `any`).
    pub fn describe(&self) -> String {
        let allowance = match (self.max, self.max_percent) {
            (None, None) => return "any".to_owned(),
            (Some(0), None) => "none".to_owned(),
            (Some(n), None) => format!("up to {n}"),
            (None, Some(p)) => format!("up to {p} %"),
            (Some(n), Some(p)) => format!("up to {n} or {p} %"),
        };
        match (self.fail_max, self.fail_max_percent) {
            (None, None) => allowance,
            (Some(n), None) => format!("{allowance}; fail over {n}"),
            (None, Some(p)) => format!("{allowance}; fail over {p} %"),
            (Some(n), Some(p)) => format!("{allowance}; fail over {n} and {p} %"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_removed_default_has_three_bands() {
        let rule = ArpThresholds::default().removed;
        assert_eq!(rule.judge(0, 1000), None);
        assert_eq!(rule.judge(5, 10), None, "5 entries are allowed");
        assert_eq!(rule.judge(50, 1000), None, "5 % of 1000 is allowed");
        assert_eq!(rule.judge(51, 1000), Some(Level::Warn));
        assert_eq!(
            rule.judge(250, 1000),
            Some(Level::Warn),
            "25 % is the fail bound"
        );
        assert_eq!(rule.judge(251, 1000), Some(Level::Fail));
        assert_eq!(
            rule.judge(40, 40),
            Some(Level::Warn),
            "under 50 entries never fails"
        );
    }

    #[test]
    fn exact_and_unlimited_rules() {
        assert_eq!(
            ChangeRule::exact(Level::Fail).judge(1, 1_000_000),
            Some(Level::Fail)
        );
        assert_eq!(ChangeRule::unlimited().judge(1_000, 0), None);
        let pct_only = ChangeRule {
            max: None,
            max_percent: Some(5.0),
            ..ChangeRule::exact(Level::Warn)
        };
        assert_eq!(
            pct_only.judge(1, 0),
            Some(Level::Warn),
            "no base: any entry exceeds"
        );
    }

    #[test]
    fn unknown_keys_are_refused_and_defaults_fill_gaps() {
        let json = r#"{"routes":{"removed":{"max":3,"level":"warn"}}}"#;
        let t: Thresholds = serde_json::from_str(json).unwrap();
        assert_eq!(t.routes.removed.max, Some(3));
        assert_eq!(t.routes.removed.level, Level::Warn);
        assert_eq!(t.routes.changed, RouteThresholds::default().changed);
        assert_eq!(t.arp, ArpThresholds::default());
        let no_level = r#"{"routes":{"removed":{"max":3}}}"#;
        assert!(
            serde_json::from_str::<Thresholds>(no_level).is_err(),
            "level is required"
        );
        assert!(serde_json::from_str::<Thresholds>(r#"{"route":{}}"#).is_err());
        let typo = r#"{"arp":{"removed":{"maxx":1,"level":"warn"}}}"#;
        assert!(serde_json::from_str::<Thresholds>(typo).is_err());
    }
}
