//! [`ComparisonReport`]: the outcome of comparing a pre-flight and a post-flight snapshot:
//! a [`Verdict`], each metric's contribution ([`MetricResult`]) and exactly what differs.
//!
//! The JSON form lists every difference; the text form ([`ComparisonReport::to_text`], in
//! `text.rs`) caps the listings but keeps the counts exact.

use std::fmt;

use chrono::{DateTime, Utc};
use panos_client::Serial;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compare::thresholds::Level;
use crate::snapshot::{ArpRecord, RouteEntry, SessionCounts};

/// The version of the comparison report file format.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The overall result of a comparison.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing beyond the thresholds.
    Pass,
    /// Something worth a look, nothing that fails.
    Warn,
    /// At least one metric failed.
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        })
    }
}

/// One metric's result. Ordered: `Pass < Info < Warn < Fail`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No difference.
    Pass,
    /// A difference within the allowance, or a fact for the record.
    Info,
    /// Beyond the allowance, configured as a warning.
    Warn,
    /// Beyond the allowance, configured as a failure.
    Fail,
}

impl Outcome {
    /// The outcome of a threshold level.
    pub fn from_level(level: Level) -> Self {
        match level {
            Level::Info => Self::Info,
            Level::Warn => Self::Warn,
            Level::Fail => Self::Fail,
        }
    }

    /// What this outcome makes of the verdict.
    pub fn verdict(self) -> Verdict {
        match self {
            Self::Pass | Self::Info => Verdict::Pass,
            Self::Warn => Verdict::Warn,
            Self::Fail => Verdict::Fail,
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
        }
    }
}

/// One metric's contribution to the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricResult {
    /// Stable name (`sessions.total`, `routes.removed`, `arp.changed`, `disk.panrepo_free`, …).
    pub metric: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// What was measured, in words (`3 of 200000 (0.0015 %)`).
    pub observed: String,
    /// The allowance it was judged against (`none`, `drop up to 10 %`).
    pub allowed: String,
    /// What it means and, when it is not a pass, what to do.
    pub message: String,
}

/// The comparison of two snapshots of one firewall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComparisonReport {
    /// File format version ([`REPORT_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The firewall.
    #[schemars(with = "String")]
    pub serial: Serial,
    /// When the pre-flight snapshot was taken.
    pub pre_taken_at: DateTime<Utc>,
    /// When the post-flight snapshot was taken.
    pub post_taken_at: DateTime<Utc>,
    /// Running version before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_version: Option<String>,
    /// Running version after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_version: Option<String>,
    /// The worst outcome of all metrics.
    pub verdict: Verdict,
    /// Every metric's contribution, in report order.
    pub metrics: Vec<MetricResult>,
    /// Session counters on both sides, when both were collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsDelta>,
    /// Route differences, when both tables were collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<RouteDiff>,
    /// ARP differences, when both tables were collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpDiff>,
}

impl ComparisonReport {
    /// Whether the verdict is `pass` or `warn` (nothing failed).
    pub fn passed(&self) -> bool {
        self.verdict != Verdict::Fail
    }

    /// The result of `metric`, when reported.
    pub fn metric(&self, metric: &str) -> Option<&MetricResult> {
        self.metrics.iter().find(|m| m.metric == metric)
    }

    /// One line for logs and status files: the verdict and each metric that warned or failed
    /// (`FAIL: sessions.total 2000 -> 1700 (-15.0 %); routes.removed 1 of 3 (33.33 %)`).
    pub fn summary(&self) -> String {
        let problems: Vec<String> = self
            .metrics
            .iter()
            .filter(|m| m.outcome >= Outcome::Warn)
            .map(|m| format!("{} {}", m.metric, m.observed))
            .collect();
        if problems.is_empty() {
            format!("{}: nothing beyond the thresholds", self.verdict)
        } else {
            format!("{}: {}", self.verdict, problems.join("; "))
        }
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
    }
}

/// Session counters before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionsDelta {
    /// Before.
    pub pre: SessionCounts,
    /// After.
    pub post: SessionCounts,
}

/// Exactly what differs between two route tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteDiff {
    /// Routes (router + destination) before.
    pub pre_count: u64,
    /// Routes after.
    pub post_count: u64,
    /// Routes only after.
    pub added: Vec<RouteEntry>,
    /// Routes only before.
    pub removed: Vec<RouteEntry>,
    /// Routes on both sides that differ.
    pub changed: Vec<RouteChange>,
}

/// A route present on both sides that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteChange {
    /// Before.
    pub before: RouteEntry,
    /// After.
    pub after: RouteEntry,
    /// What differs.
    pub fields: Vec<RouteField>,
}

/// The aspects of a route that can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RouteField {
    /// The set of next hops.
    Nexthops,
    /// The set of outgoing interfaces.
    Interfaces,
    /// The flags of a next hop (active, ECMP, protocol letters).
    Flags,
    /// The metric of a next hop.
    Metric,
    /// How next hops, interfaces and flags combine (same sets, paired differently).
    Paths,
}

/// Exactly what differs between two ARP tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArpDiff {
    /// Entries compared before (after leaving out incomplete ones, when configured).
    pub pre_count: u64,
    /// Entries compared after.
    pub post_count: u64,
    /// Entries only after.
    pub added: Vec<ArpRecord>,
    /// Entries only before.
    pub removed: Vec<ArpRecord>,
    /// Interface + ip pairs on both sides whose MAC (or status) differs.
    pub changed: Vec<ArpChange>,
}

/// An interface + ip present on both sides with a different MAC (or status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArpChange {
    /// Interface.
    pub interface: String,
    /// IP address.
    pub ip: String,
    /// The entries before (usually one).
    pub before: Vec<ArpRecord>,
    /// The entries after.
    pub after: Vec<ArpRecord>,
}
