//! Pre/post comparison: [`compare`] two [`Snapshot`]s of one firewall against [`Thresholds`]
//! and get a [`ComparisonReport`] (a verdict, each metric's contribution, exactly what
//! differs). A failed comparison is an outcome in the report, never an error.

mod diff;
mod metrics;
mod report;
mod text;
mod thresholds;

pub use diff::{diff_arp, diff_routes};
pub use report::{
    ArpChange, ArpDiff, ComparisonReport, MetricResult, Outcome, REPORT_SCHEMA_VERSION,
    RouteChange, RouteDiff, RouteField, SessionsDelta, Verdict,
};
pub use text::DEFAULT_LISTING_LIMIT;
pub use thresholds::{
    ArpThresholds, ChangeRule, Level, RouteThresholds, SessionRule, SessionThresholds, Thresholds,
    percent_of,
};

use crate::snapshot::{Part, Snapshot};
use metrics::{
    disk_metric, ha_metric, metric, missing, session_metrics, table_metric, version_metric,
};

/// Compares the post-flight snapshot with the pre-flight one.
pub fn compare(pre: &Snapshot, post: &Snapshot, thresholds: &Thresholds) -> ComparisonReport {
    let mut metrics = Vec::new();
    if pre.serial != post.serial {
        metrics.push(metric(
            "serial".to_owned(),
            Outcome::Fail,
            format!("{} -> {}", pre.serial, post.serial),
            "the same device".to_owned(),
            "the snapshots are of two different devices; compare the post-flight snapshot \
             with the pre-flight snapshot of the same serial"
                .to_owned(),
        ));
    }
    let version = |s: &Snapshot| s.sw_version.as_ref().map(ToString::to_string);

    let sessions = match (&pre.sessions, &post.sessions) {
        (Some(a), Some(b)) => {
            session_metrics(a, b, &thresholds.sessions, &mut metrics);
            Some(SessionsDelta { pre: *a, post: *b })
        }
        _ => {
            metrics.push(missing("sessions", Part::Sessions, pre, post, thresholds));
            None
        }
    };

    let routes = match (&pre.routes, &post.routes) {
        (Some(a), Some(b)) => {
            if a.engine != b.engine {
                metrics.push(metric(
                    "routes.engine".to_owned(),
                    Outcome::Warn,
                    format!("{:?} -> {:?}", a.engine, b.engine).to_lowercase(),
                    "the same routing engine".to_owned(),
                    "the routing engine changed (legacy virtual routers vs advanced logical \
                     routers), so routes are matched by router names that may differ; compare \
                     `show routing route` with `show advanced-routing route` by hand"
                        .to_owned(),
                ));
            }
            let rules = &thresholds.routes;
            let diff = diff_routes(&a.entries, &b.entries, rules.compare_metric);
            let base = diff.pre_count;
            let counts = [
                ("removed", diff.removed.len(), &rules.removed),
                ("added", diff.added.len(), &rules.added),
                ("changed", diff.changed.len(), &rules.changed),
            ];
            for (what, count, rule) in counts {
                metrics.push(table_metric("routes", what, count as u64, base, rule));
            }
            Some(diff)
        }
        _ => {
            metrics.push(missing("routes", Part::Routes, pre, post, thresholds));
            None
        }
    };

    let arp = match (&pre.arp, &post.arp) {
        (Some(a), Some(b)) => {
            let rules = &thresholds.arp;
            let diff = diff_arp(
                &a.entries,
                &b.entries,
                rules.compare_status,
                rules.ignore_incomplete,
            );
            let base = diff.pre_count;
            let counts = [
                ("removed", diff.removed.len(), &rules.removed),
                ("added", diff.added.len(), &rules.added),
                ("changed", diff.changed.len(), &rules.changed),
            ];
            for (what, count, rule) in counts {
                metrics.push(table_metric("arp", what, count as u64, base, rule));
            }
            Some(diff)
        }
        _ => {
            metrics.push(missing("arp", Part::Arp, pre, post, thresholds));
            None
        }
    };

    metrics.push(disk_metric(pre, post));
    metrics.push(version_metric(pre, post));
    if let Some(metric) = ha_metric(pre, post, thresholds) {
        metrics.push(metric);
    }

    let verdict = metrics
        .iter()
        .map(|m| m.outcome.verdict())
        .max()
        .unwrap_or(Verdict::Pass);
    ComparisonReport {
        schema_version: REPORT_SCHEMA_VERSION,
        serial: post.serial.clone(),
        pre_taken_at: pre.taken_at,
        post_taken_at: post.taken_at,
        pre_version: version(pre),
        post_version: version(post),
        verdict,
        metrics,
        sessions,
        routes,
        arp,
    }
}
