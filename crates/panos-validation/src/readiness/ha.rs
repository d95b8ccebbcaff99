//! The HA readiness check. For a pair: both members' HA state collected, HA enabled on both,
//! one active and one passive (and each member's view of its peer agreeing), configuration
//! synchronized, peer connection up; different PAN-OS versions are a warning. For a
//! standalone job: a warning when the device turns out to have an HA peer.

use panos_client::model::{ConfigSync, HaMemberInfo, HaStatus};

use super::ReadinessInput;
use crate::finding::{CheckId, Finding, FindingCode, Severity};
use crate::snapshot::{ha_state_text, sync_text};

fn finding(code: FindingCode, severity: Severity, message: String) -> Finding {
    Finding::new(CheckId::Ha, code, severity, message)
}

fn state_of(info: Option<&HaMemberInfo>) -> String {
    info.map_or_else(|| "unknown".to_owned(), |i| ha_state_text(&i.state))
}

/// Runs the HA check.
pub fn check(input: &ReadinessInput) -> Vec<Finding> {
    if !input.expect_ha_pair {
        return standalone(input);
    }
    let (Some(local), Some(peer)) = (&input.ha_local, &input.ha_peer) else {
        let which = match (&input.ha_local, &input.ha_peer) {
            (None, None) => "either member",
            (None, _) => "this member",
            _ => "the peer",
        };
        return vec![finding(
            FindingCode::HaUnknown,
            Severity::Block,
            format!(
                "the HA state of {which} was not read, so the pair cannot be checked; run \
                 `show high-availability state` on both members"
            ),
        )];
    };
    let mut findings = Vec::new();
    for (name, member) in [("this member", local), ("the peer", peer)] {
        if !member.enabled {
            findings.push(finding(
                FindingCode::HaNotEnabled,
                Severity::Block,
                format!(
                    "HA is not enabled on {name}, but the job upgrades the device as an HA pair; \
                     submit it as a standalone upgrade, or fix the HA configuration"
                ),
            ));
        }
    }
    if !findings.is_empty() {
        return findings;
    }
    roles(local, peer, &mut findings);
    for (name, member) in [("this member", local), ("the peer", peer)] {
        let sync = member.running_sync.as_ref();
        if sync != Some(&ConfigSync::Synchronized) {
            findings.push(finding(
                FindingCode::HaNotSynchronized,
                Severity::Block,
                format!(
                    "{name} reports configuration sync `{}`; synchronize the pair \
                     (`request high-availability sync-to-remote running-config` on the active \
                     member) and wait for `running-sync: synchronized`",
                    sync.map_or_else(|| "not reported".to_owned(), sync_text)
                ),
            ));
        }
        if let Some(conn) = member.peer.as_ref().and_then(|p| p.conn_status.as_deref())
            && !conn.eq_ignore_ascii_case("up")
        {
            findings.push(finding(
                FindingCode::HaPeerDown,
                Severity::Block,
                format!(
                    "{name} sees its peer's connection `{conn}`; restore the HA links \
                     (`show high-availability state`, HA1/HA2 interfaces) before upgrading"
                ),
            ));
        }
    }
    let version = |s: &HaStatus| s.local.as_ref().and_then(|l| l.build_rel.clone());
    if let (Some(a), Some(b)) = (version(local), version(peer))
        && a != b
    {
        findings.push(finding(
            FindingCode::HaVersionMismatch,
            Severity::Warn,
            format!(
                "the members run different versions ({a} here, {b} on the peer); a previous \
                 upgrade may have stopped half-way: check both before going on"
            ),
        ));
    }
    if findings.is_empty() {
        findings.push(finding(
            FindingCode::HaHealthy,
            Severity::Info,
            format!(
                "HA pair healthy: {} / {}, configuration synchronized, peer connection up",
                state_of(local.local.as_ref()),
                state_of(peer.local.as_ref())
            ),
        ));
    }
    findings
}

fn roles(local: &HaStatus, peer: &HaStatus, findings: &mut Vec<Finding>) {
    let (mine, theirs) = (local.local.as_ref(), peer.local.as_ref());
    let one_active_one_passive = match (mine, theirs) {
        (Some(a), Some(b)) => {
            (a.state.is_active() && b.state.is_passive())
                || (a.state.is_passive() && b.state.is_active())
        }
        _ => false,
    };
    if !one_active_one_passive {
        findings.push(finding(
            FindingCode::HaInconsistentRoles,
            Severity::Block,
            format!(
                "the pair is {} / {}, not one active and one passive; wait for the pair to \
                 settle (a suspended member: `request high-availability state functional`); \
                 active/active pairs are not upgraded by this workflow",
                state_of(mine),
                state_of(theirs)
            ),
        ));
        return;
    }
    // Each member's view of the other must agree with what the other says of itself.
    let views = [
        (local.peer.as_ref(), theirs, "this member"),
        (peer.peer.as_ref(), mine, "the peer"),
    ];
    for (view, actual, who) in views {
        if let (Some(view), Some(actual)) = (view, actual)
            && view.state != actual.state
        {
            findings.push(finding(
                FindingCode::HaInconsistentRoles,
                Severity::Block,
                format!(
                    "{who} sees its peer as {} but the peer reports {}; the members disagree \
                     about their roles: check the HA1 link and wait for them to agree",
                    ha_state_text(&view.state),
                    ha_state_text(&actual.state)
                ),
            ));
        }
    }
}

fn standalone(input: &ReadinessInput) -> Vec<Finding> {
    match &input.ha_local {
        Some(ha) if ha.enabled => vec![finding(
            FindingCode::HaUnexpectedPair,
            Severity::Warn,
            format!(
                "the device is an HA member ({}, peer {}) but the job upgrades it alone; \
                 submit the pair as an HA job so the peer is handled too",
                state_of(ha.local.as_ref()),
                state_of(ha.peer.as_ref())
            ),
        )],
        _ => Vec::new(),
    }
}
