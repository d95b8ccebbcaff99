//! Panorama `show devices all|connected`: one `<entry name="serial">` per firewall with the
//! fields of the 10.1 sample, `<ha>` for pair members (none for standalone devices), and, for
//! `connected`, the stray text `Total Connected Devices: N` after the last entry.

use std::fmt::Write as _;

use super::{escape, field};
use crate::clock::{SimInstant, uptime, ymd_hms};
use crate::model::Firewall;

/// One device entry.
fn entry(s: &mut String, fw: &Firewall, now: SimInstant) {
    let connected = fw.connected(now);
    let serial = escape(&fw.serial);
    let _ = writeln!(s, "            <entry name=\"{serial}\">");
    let i = 16;
    field(s, i, "serial", &fw.serial);
    field(s, i, "connected", if connected { "yes" } else { "no" });
    field(s, i, "unsupported-version", "no");
    field(s, i, "wildfire-rt", "no");
    field(s, i, "deactivated", "no");
    field(s, i, "hostname", &fw.hostname);
    field(s, i, "ip-address", &fw.ip_address);
    field(s, i, "ipv6-address", "unknown");
    field(s, i, "mac-addr", "");
    field(s, i, "uptime", &uptime(fw.uptime(now)));
    field(s, i, "family", fw.platform.family);
    field(s, i, "model", &fw.model);
    field(s, i, "sw-version", &fw.sw_version);
    field(s, i, "app-version", &fw.app_version);
    field(s, i, "av-version", "5169-5689");
    field(s, i, "device-dictionary-version", "172-597");
    field(s, i, "wildfire-version", "0");
    field(s, i, "threat-version", &fw.app_version);
    field(s, i, "url-db", "paloaltonetworks");
    field(s, i, "url-filtering-version", "20250601.20332");
    field(s, i, "logdb-version", "10.2.1");
    field(s, i, "vpnclient-package-version", "");
    field(s, i, "global-protect-client-package-version", "0.0.0");
    field(s, i, "prev-app-version", "0");
    field(s, i, "prev-av-version", "0");
    field(s, i, "prev-threat-version", "0");
    field(s, i, "prev-wildfire-version", "0");
    field(s, i, "prev-device-dictionary-version", "171-595");
    field(s, i, "domain", "");
    field(s, i, "slot-count", "1");
    field(s, i, "type", "");
    field(s, i, "tag", "");
    s.push_str("                <plugin_versions>\n                    <entry name=\"dlp\" version=\"3.0.9\">\n                        <pkginfo>dlp-3.0.9</pkginfo>\n                    </entry>\n                </plugin_versions>\n");
    if let Some(ha) = &fw.ha {
        let _ = write!(
            s,
            "                <ha>\n                    <state>{}</state>\n                    <peer>\n                        <serial>{}</serial>\n                    </peer>\n                </ha>\n",
            ha.state.as_str(),
            escape(&ha.peer)
        );
    }
    s.push_str("                <ha-cluster>\n                    <state>cluster-unknown</state>\n                </ha-cluster>\n");
    field(s, i, "vpn-disable-mode", "no");
    field(s, i, "operational-mode", "normal");
    field(s, i, "certificate-status", "");
    field(s, i, "certificate-subject-name", &fw.serial);
    field(s, i, "certificate-expiry", "2031/11/09 14:24:17");
    field(s, i, "connected-at", &ymd_hms(fw.boot_at));
    field(s, i, "custom-certificate-usage", "no");
    field(s, i, "multi-vsys", if fw.multi_vsys { "yes" } else { "no" });
    s.push_str("                <vsys>\n                    <entry name=\"vsys1\">\n                        <display-name>vsys1</display-name>\n                        <shared-policy-status></shared-policy-status>\n                        <shared-policy-md5sum>659e7d433a40772daec9f750125391bf</shared-policy-md5sum>\n                        <shared-policy-version>35</shared-policy-version>\n                    </entry>\n                </vsys>\n");
    field(s, i, "last-masterkey-push-status", "Unknown");
    field(s, i, "last-masterkey-push-timestamp", "");
    field(s, i, "express-mode", "no");
    field(s, i, "device-cert-present", "Valid");
    field(s, i, "device-cert-expiry-date", "2026/05/05 10:44:29 PDT");
    s.push_str("            </entry>");
}

/// `show devices all` (every device) or `show devices connected` (connected ones, then the
/// stray `Total Connected Devices: N` text).
pub fn show_devices<'a>(
    devices: impl Iterator<Item = &'a Firewall>,
    now: SimInstant,
    connected_only: bool,
) -> String {
    let mut s = String::from("<response status=\"success\">\n    <result>\n        <devices>\n");
    let mut n = 0usize;
    for fw in devices {
        if connected_only && !fw.connected(now) {
            continue;
        }
        if n > 0 {
            s.push('\n');
        }
        entry(&mut s, fw, now);
        n += 1;
    }
    if connected_only {
        let _ = write!(s, "Total Connected Devices: {n}\n        </devices>\n");
    } else {
        if n > 0 {
            s.push('\n');
        }
        s.push_str("        </devices>\n");
    }
    s.push_str("    </result>\n</response>\n");
    s
}
