//! Each metric's contribution to a comparison: session counters against their margins, table
//! differences against their allowances, missing parts, and the facts reported for the record
//! (free disk, versions, HA). Every result says what was seen, what was allowed, and what to do.

use super::report::{MetricResult, Outcome};
use super::thresholds::{ChangeRule, SessionRule, SessionThresholds, Thresholds, percent_of};
use crate::snapshot::{HaSummary, Part, SessionCounts, Snapshot};

pub(super) fn metric(
    metric: String,
    outcome: Outcome,
    observed: String,
    allowed: String,
    message: String,
) -> MetricResult {
    MetricResult {
        metric,
        outcome,
        observed,
        allowed,
        message,
    }
}

pub(super) fn missing(
    name: &str,
    part: Part,
    pre: &Snapshot,
    post: &Snapshot,
    thresholds: &Thresholds,
) -> MetricResult {
    let side = |s: &Snapshot, label: &str| {
        s.missing_reason(part)
            .map(|reason| format!("{label}: {reason}"))
            .unwrap_or_else(|| format!("{label}: not in the snapshot"))
    };
    let mut why = Vec::new();
    let (pre_has, post_has) = match part {
        Part::Sessions => (pre.sessions.is_some(), post.sessions.is_some()),
        Part::Routes => (pre.routes.is_some(), post.routes.is_some()),
        _ => (pre.arp.is_some(), post.arp.is_some()),
    };
    if !pre_has {
        why.push(side(pre, "pre-flight"));
    }
    if !post_has {
        why.push(side(post, "post-flight"));
    }
    metric(
        name.to_owned(),
        Outcome::from_level(thresholds.missing_data),
        "not compared".to_owned(),
        "both snapshots must have it".to_owned(),
        format!(
            "the {part} could not be compared ({}); check the device by hand \
             (`show {}`) or take the snapshot again",
            why.join("; "),
            match part {
                Part::Sessions => "session info",
                Part::Routes => "routing route",
                _ => "arp entry name='all'",
            }
        ),
    )
}

pub(super) fn session_metrics(
    pre: &SessionCounts,
    post: &SessionCounts,
    rules: &SessionThresholds,
    out: &mut Vec<MetricResult>,
) {
    let counters = [
        ("total", pre.total, post.total, &rules.total),
        ("tcp", pre.tcp, post.tcp, &rules.tcp),
        ("udp", pre.udp, post.udp, &rules.udp),
    ];
    for (name, before, after, rule) in counters {
        if !rule.enabled {
            continue;
        }
        out.push(session_metric(
            name,
            before,
            after,
            rule,
            rules.min_baseline,
        ));
    }
}

pub(super) fn session_metric(
    name: &str,
    before: u64,
    after: u64,
    rule: &SessionRule,
    min_baseline: u64,
) -> MetricResult {
    let change = if before == 0 {
        None
    } else {
        Some((after as f64 - before as f64) * 100.0 / before as f64)
    };
    let observed = match change {
        Some(pct) => format!("{before} -> {after} ({pct:+.1} %)"),
        None => format!("{before} -> {after}"),
    };
    let mut allowed = format!("drop up to {} %", rule.max_drop_percent);
    if let Some(up) = rule.max_increase_percent {
        allowed.push_str(&format!(", rise up to {up} %"));
    }
    let metric_name = format!("sessions.{name}");
    let (outcome, message) = match change {
        None if after == 0 => (Outcome::Pass, "no sessions before or after".to_owned()),
        None => (
            Outcome::Info,
            format!("no {name} sessions before the upgrade, {after} after; nothing to compare"),
        ),
        Some(pct) if -pct > rule.max_drop_percent => {
            let mut outcome = Outcome::from_level(rule.drop_level);
            let mut note = String::new();
            if before < min_baseline && outcome > Outcome::Warn {
                outcome = Outcome::Warn;
                note = format!(
                    " (only a warning: fewer than {min_baseline} sessions before, too few to judge)"
                );
            }
            (
                outcome,
                format!(
                    "{name} sessions dropped {:.1} %, more than the {} % allowed{note}; check that \
                     traffic reaches the firewall (interfaces up, routes, HA state) before \
                     accepting the upgrade",
                    -pct, rule.max_drop_percent
                ),
            )
        }
        Some(pct) if rule.max_increase_percent.is_some_and(|up| pct > up) => (
            Outcome::from_level(rule.increase_level),
            format!(
                "{name} sessions rose {pct:.1} %, more than the {} % allowed; look for \
                 asymmetric traffic or a failover",
                rule.max_increase_percent.unwrap_or_default()
            ),
        ),
        Some(_) if before == after => (Outcome::Pass, "unchanged".to_owned()),
        Some(_) => (Outcome::Pass, "within the margin".to_owned()),
    };
    metric(metric_name, outcome, observed, allowed, message)
}

pub(super) fn table_metric(
    table: &str,
    what: &str,
    count: u64,
    base: u64,
    rule: &ChangeRule,
) -> MetricResult {
    let observed = match percent_of(count, base) {
        Some(pct) => format!("{count} of {base} ({pct:.2} %)"),
        None => format!("{count} (none before)"),
    };
    let noun = match (table, count) {
        ("routes", 1) => "route",
        ("routes", _) => "routes",
        (_, 1) => "ARP entry",
        _ => "ARP entries",
    };
    let (outcome, message) = match (count, rule.judge(count, base)) {
        (0, _) => (Outcome::Pass, format!("no {noun} {what}")),
        (_, None) => (
            Outcome::Info,
            format!("{count} {noun} {what}, within the allowance"),
        ),
        (_, Some(level)) => (
            Outcome::from_level(level),
            format!(
                "{count} {noun} {what}, beyond the allowance ({}); see the list below and check \
                 them on the device (`show {}`) before accepting the upgrade",
                rule.describe(),
                if table == "routes" {
                    "routing route"
                } else {
                    "arp entry name='all'"
                }
            ),
        ),
    };
    metric(
        format!("{table}.{what}"),
        outcome,
        observed,
        rule.describe(),
        message,
    )
}

pub(super) fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}

pub(super) fn disk_metric(pre: &Snapshot, post: &Snapshot) -> MetricResult {
    let free = |s: &Snapshot| s.disk.as_ref().map(|d| gib(d.free_bytes));
    let observed = format!(
        "{} -> {}",
        free(pre).unwrap_or_else(|| "unknown".into()),
        free(post).unwrap_or_else(|| "unknown".into())
    );
    let mut message = "free space on /opt/panrepo; old images can be deleted with \
                       `delete software version <v>` when it runs low"
        .to_owned();
    for (side, snap) in [("pre-flight", pre), ("post-flight", post)] {
        if let Some(reason) = snap.missing_reason(Part::Disk) {
            message.push_str(&format!("; {side} not read: {reason}"));
        }
    }
    metric(
        "disk.panrepo_free".to_owned(),
        Outcome::Info,
        observed,
        "reported only".to_owned(),
        message,
    )
}

pub(super) fn version_metric(pre: &Snapshot, post: &Snapshot) -> MetricResult {
    let text = |s: &Snapshot| {
        s.sw_version
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string)
    };
    let app = |s: &Snapshot| s.app_version.clone().unwrap_or_else(|| "unknown".into());
    metric(
        "version".to_owned(),
        Outcome::Info,
        format!(
            "{} -> {} (content {} -> {})",
            text(pre),
            text(post),
            app(pre),
            app(post)
        ),
        "reported only".to_owned(),
        "the running PAN-OS and content versions".to_owned(),
    )
}

pub(super) fn ha_metric(
    pre: &Snapshot,
    post: &Snapshot,
    thresholds: &Thresholds,
) -> Option<MetricResult> {
    let (a, b) = (pre.ha.as_ref()?, post.ha.as_ref()?);
    if !a.enabled && !b.enabled {
        return None;
    }
    let show = |h: &HaSummary| {
        format!(
            "{} / {}",
            h.local_state
                .as_deref()
                .unwrap_or(if h.enabled { "unknown" } else { "disabled" }),
            h.config_sync.as_deref().unwrap_or("sync unknown")
        )
    };
    let observed = format!("{} -> {}", show(a), show(b));
    let synced = |h: &HaSummary| h.config_sync.as_deref() == Some("synchronized");
    let (outcome, message) = if synced(a) && !synced(b) {
        (
            Outcome::from_level(thresholds.ha_sync_lost),
            "HA configuration was synchronized before and is not now; wait for \
             `show high-availability state` to say synchronized, or run \
             `request high-availability sync-to-remote running-config`"
                .to_owned(),
        )
    } else if a.local_state != b.local_state {
        (
            Outcome::Info,
            "this member's HA state changed (expected when the pair failed over)".to_owned(),
        )
    } else {
        (Outcome::Pass, "HA state unchanged".to_owned())
    };
    Some(metric(
        "ha".to_owned(),
        outcome,
        observed,
        "config stays synchronized".to_owned(),
        message,
    ))
}
