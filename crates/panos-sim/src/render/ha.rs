//! `show high-availability state`: a firewall's (`result/group/...`), HA disabled, and
//! Panorama's (the same children directly under `result`, states `primary-active`…).

use std::fmt::Write as _;

use super::{field, success};
use crate::clock::SimInstant;
use crate::fleet::PanoramaHaSpec;
use crate::model::Firewall;

/// HA not enabled.
pub fn disabled() -> String {
    success(
        "        <enabled>no</enabled>\n        <local-info>\n            <encrypt-imported>no</encrypt-imported>\n        </local-info>\n",
    )
}

/// A firewall pair member's view. `peer` is `None` when the peer is not reachable.
pub fn firewall(
    fw: &Firewall,
    peer: Option<&Firewall>,
    running_sync: &str,
    now: SimInstant,
) -> String {
    let Some(me) = fw.ha.as_ref() else {
        return disabled();
    };
    let mut s = String::with_capacity(4000);
    s.push_str("        <enabled>yes</enabled>\n        <group>\n");
    field(&mut s, 12, "mode", "Active-Passive");
    s.push_str("            <local-info>\n");
    let i = 16;
    let peer_version = peer.map(|p| p.sw_version.as_str());
    let compat = |mine: &str, theirs: Option<&str>| match theirs {
        Some(t) if t == mine => "Match",
        Some(_) => "Mismatch",
        None => "Unknown",
    };
    field(&mut s, i, "url-compat", "Match");
    field(&mut s, i, "app-version", &fw.app_version);
    field(&mut s, i, "gpclient-version", "Not Installed");
    field(&mut s, i, "build-rel", &fw.sw_version);
    field(&mut s, i, "av-compat", "Match");
    field(&mut s, i, "av-version", "5169-5689");
    field(&mut s, i, "ha1-gateway", "169.254.1.1");
    field(&mut s, i, "url-version", "20250601.20332");
    field(&mut s, i, "platform-model", &fw.model);
    field(&mut s, i, "vpnclient-compat", "Match");
    field(&mut s, i, "ha1-ipaddr", &format!("{}/24", ha1_ip(fw)));
    field(&mut s, i, "monitor-fail-holdup", "0");
    field(&mut s, i, "priority", &me.priority.to_string());
    field(&mut s, i, "preempt-hold", "1");
    field(&mut s, i, "state", me.state.as_str());
    field(&mut s, i, "version", "1");
    field(&mut s, i, "promotion-hold", "2000");
    field(&mut s, i, "threat-compat", "Match");
    field(&mut s, i, "gpclient-compat", "Match");
    field(&mut s, i, "state-sync", "Complete");
    field(&mut s, i, "addon-master-holdup", "500");
    field(&mut s, i, "heartbeat-interval", "2000");
    field(&mut s, i, "ha1-link-mon-intv", "3000");
    field(&mut s, i, "hello-interval", "8000");
    field(&mut s, i, "ha1-port", "management");
    field(&mut s, i, "ha1-encrypt-imported", "no");
    field(&mut s, i, "mgmt-ip", &format!("{}/24", fw.ip_address));
    field(&mut s, i, "vpnclient-version", "Not Installed");
    field(&mut s, i, "preempt-flap-cnt", "0");
    field(&mut s, i, "nonfunc-flap-cnt", "0");
    field(&mut s, i, "threat-version", &fw.app_version);
    field(
        &mut s,
        i,
        "state-duration",
        &now.since(me.state_since).as_secs().to_string(),
    );
    field(&mut s, i, "max-flaps", "3");
    field(&mut s, i, "ha1-encrypt-enable", "no");
    field(&mut s, i, "mgmt-ipv6", "");
    if let Some((state, reason)) = me.last_error {
        field(&mut s, i, "last-error-state", state);
        field(&mut s, i, "last-error-reason", reason);
    }
    field(
        &mut s,
        i,
        "preemptive",
        if me.preemptive { "yes" } else { "no" },
    );
    field(&mut s, i, "mode", "Active-Passive");
    field(
        &mut s,
        i,
        "build-compat",
        compat(&fw.sw_version, peer_version),
    );
    field(
        &mut s,
        i,
        "app-compat",
        compat(&fw.app_version, peer.map(|p| p.app_version.as_str())),
    );
    s.push_str("            </local-info>\n            <peer-info>\n");
    match peer.and_then(|p| p.ha.as_ref().map(|h| (p, h))) {
        Some((p, ph)) => {
            field(&mut s, i, "app-version", &p.app_version);
            field(&mut s, i, "gpclient-version", "Not Installed");
            field(&mut s, i, "url-version", "20250601.20332");
            field(&mut s, i, "build-rel", &p.sw_version);
            field(&mut s, i, "platform-model", &p.model);
            field(&mut s, i, "priority", &ph.priority.to_string());
            field(&mut s, i, "state", ph.state.as_str());
            field(&mut s, i, "version", "1");
            if let Some((state, reason)) = ph.last_error {
                field(&mut s, i, "last-error-reason", reason);
                field(&mut s, i, "last-error-state", state);
            }
            field(&mut s, i, "conn-status", "up");
            field(&mut s, i, "av-version", "5169-5689");
            field(&mut s, i, "vpnclient-version", "Not Installed");
            field(&mut s, i, "mgmt-ip", &format!("{}/24", p.ip_address));
            field(&mut s, i, "threat-version", &p.app_version);
            s.push_str("                <conn-ha1>\n                    <conn-status>up</conn-status>\n                    <conn-primary>yes</conn-primary>\n                    <conn-desc>heartbeat status</conn-desc>\n                </conn-ha1>\n");
            field(
                &mut s,
                i,
                "state-duration",
                &now.since(ph.state_since).as_secs().to_string(),
            );
            field(&mut s, i, "ha1-ipaddr", &ha1_ip(p));
            field(&mut s, i, "mgmt-ipv6", "");
            field(
                &mut s,
                i,
                "preemptive",
                if ph.preemptive { "yes" } else { "no" },
            );
            field(&mut s, i, "mode", "Active-Passive");
        }
        None => {
            field(&mut s, i, "state", "unknown");
            field(&mut s, i, "conn-status", "down");
            s.push_str("                <conn-ha1>\n                    <conn-status>down</conn-status>\n                    <conn-primary>yes</conn-primary>\n                    <conn-desc>heartbeat status</conn-desc>\n                </conn-ha1>\n");
            field(&mut s, i, "mode", "Active-Passive");
        }
    }
    s.push_str("            </peer-info>\n");
    s.push_str("            <link-monitoring>\n                <failure-condition>any</failure-condition>\n                <enabled>yes</enabled>\n                <groups/>\n            </link-monitoring>\n");
    s.push_str("            <path-monitoring>\n                <virtual-wire/>\n                <failure-condition>any</failure-condition>\n                <enabled>yes</enabled>\n                <vlan/>\n                <virtual-router/>\n            </path-monitoring>\n");
    field(&mut s, 12, "running-sync", running_sync);
    field(&mut s, 12, "running-sync-enabled", "yes");
    s.push_str("        </group>\n");
    success(&s)
}

fn peer_ip(ip: &str) -> String {
    match ip.rsplit_once('.') {
        Some((net, last)) => format!(
            "{net}.{}",
            last.parse::<u8>().map_or(2, |n| n.wrapping_add(1))
        ),
        None => ip.to_string(),
    }
}

fn ha1_ip(fw: &Firewall) -> String {
    let last = fw.ip_address.rsplit('.').next().unwrap_or("1");
    format!("169.254.1.{last}")
}

/// Panorama's own HA state (no `<group>`).
pub fn panorama(ha: &PanoramaHaSpec, sw_version: &str, ip: &str) -> String {
    let mut s = String::with_capacity(2500);
    s.push_str("        <enabled>yes</enabled>\n        <local-info>\n");
    let i = 12;
    let (local_prio, peer_prio) = if ha.local_state.starts_with("primary") {
        ("primary", "secondary")
    } else {
        ("secondary", "primary")
    };
    field(&mut s, i, "version", "1");
    field(&mut s, i, "state", &ha.local_state);
    field(&mut s, i, "state-duration", "218028");
    field(&mut s, i, "mgmt-ip", &format!("{ip}/24"));
    field(&mut s, i, "mgmt-ipv6", "");
    field(&mut s, i, "preemptive", "no");
    field(&mut s, i, "promotion-hold", "2000");
    field(&mut s, i, "hello-interval", "8000");
    field(&mut s, i, "heartbeat-interval", "2000");
    field(&mut s, i, "preempt-hold", "1");
    field(&mut s, i, "monitor-fail-holdup", "0");
    field(&mut s, i, "addon-master-holdup", "7000");
    field(&mut s, i, "encrypt-imported", "no");
    field(&mut s, i, "mgmt-macaddr", "00:0c:29:31:bf:8b");
    field(&mut s, i, "encrypt-enable", "no");
    field(&mut s, i, "link-mon-intv", "3000");
    field(&mut s, i, "priority", local_prio);
    field(&mut s, i, "build-rel", sw_version);
    field(&mut s, i, "app-version", "8971-9419");
    field(&mut s, i, "build-compat", "Match");
    field(&mut s, i, "app-compat", "Match");
    s.push_str("        </local-info>\n        <peer-info>\n");
    s.push_str("            <conn-ha1>\n                <conn-status>up</conn-status>\n                <conn-primary>yes</conn-primary>\n                <conn-desc>heartbeat status</conn-desc>\n            </conn-ha1>\n");
    field(&mut s, i, "conn-status", "up");
    field(&mut s, i, "version", "1");
    field(&mut s, i, "state", &ha.peer_state);
    field(&mut s, i, "state-duration", "132146");
    field(&mut s, i, "mgmt-ip", &peer_ip(ip));
    field(&mut s, i, "preemptive", "no");
    field(&mut s, i, "priority", peer_prio);
    field(&mut s, i, "build-rel", sw_version);
    field(&mut s, i, "app-version", "8971-9419");
    s.push_str("        </peer-info>\n");
    s.push_str("        <path-monitoring>\n            <enabled>yes</enabled>\n            <failure-condition>any</failure-condition>\n            <groups/>\n        </path-monitoring>\n");
    let _ = writeln!(
        s,
        "        <running-sync>{}</running-sync>",
        super::escape(&ha.running_sync)
    );
    s.push_str("        <running-sync-enabled>yes</running-sync-enabled>\n");
    success(&s)
}
