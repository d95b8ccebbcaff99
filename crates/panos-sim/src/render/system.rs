//! `show system info` (firewall and Panorama), `show system disk-space`, `show session info` and
//! `show chassis-ready`, modelled on the real samples of those commands.

use std::fmt::Write as _;

use super::{field, mix, success};
use crate::clock::{SimInstant, ctime, uptime};
use crate::model::{Firewall, Panorama};

/// A MAC-looking address derived from a seed.
pub(crate) fn mac(seed: u64) -> String {
    let b = mix(seed, 99).to_be_bytes();
    format!("00:1b:17:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
}

/// `show system info` of a firewall.
pub fn firewall_info(fw: &Firewall, now: SimInstant) -> String {
    let mut s = String::with_capacity(3000);
    s.push_str("        <system>\n");
    let i = 12;
    let threat = &fw.app_version;
    field(&mut s, i, "hostname", &fw.hostname);
    field(&mut s, i, "ip-address", &fw.ip_address);
    field(&mut s, i, "public-ip-address", "unknown");
    field(&mut s, i, "netmask", "255.255.255.0");
    field(&mut s, i, "default-gateway", &gateway(&fw.ip_address));
    field(&mut s, i, "is-dhcp", "no");
    field(&mut s, i, "ipv6-address", "unknown");
    field(
        &mut s,
        i,
        "ipv6-link-local-address",
        "fe80::21b:17ff:fe00:100/64",
    );
    field(&mut s, i, "mac-address", &mac(fw.table_seed));
    field(&mut s, i, "time", &ctime(now));
    field(&mut s, i, "uptime", &uptime(fw.uptime(now)));
    field(&mut s, i, "devicename", &fw.hostname);
    field(&mut s, i, "family", fw.platform.family);
    field(&mut s, i, "model", &fw.model);
    field(&mut s, i, "serial", &fw.serial);
    field(&mut s, i, "cloud-mode", "non-cloud");
    field(&mut s, i, "sw-version", &fw.sw_version);
    field(&mut s, i, "global-protect-client-package-version", "0.0.0");
    field(&mut s, i, "device-dictionary-version", "172-597");
    field(
        &mut s,
        i,
        "device-dictionary-release-date",
        "2025/05/30 12:16:03 PDT",
    );
    field(&mut s, i, "app-version", &fw.app_version);
    field(&mut s, i, "app-release-date", "2025/05/28 16:06:06 PDT");
    field(&mut s, i, "av-version", "5169-5689");
    field(&mut s, i, "av-release-date", "2025/05/29 05:00:05 PDT");
    field(&mut s, i, "threat-version", threat);
    field(&mut s, i, "threat-release-date", "2025/05/28 16:06:06 PDT");
    field(&mut s, i, "wf-private-version", "0");
    field(&mut s, i, "wf-private-release-date", "unknown");
    field(&mut s, i, "url-db", "paloaltonetworks");
    field(&mut s, i, "wildfire-version", "955464-959418");
    field(
        &mut s,
        i,
        "wildfire-release-date",
        "2025/05/24 07:42:12 PDT",
    );
    field(&mut s, i, "wildfire-rt", "Disabled");
    field(&mut s, i, "url-filtering-version", "20250601.20332");
    field(&mut s, i, "global-protect-datafile-version", "unknown");
    field(&mut s, i, "global-protect-datafile-release-date", "unknown");
    field(&mut s, i, "global-protect-clientless-vpn-version", "0");
    field(&mut s, i, "logdb-version", &logdb(&fw.sw_version));
    s.push_str("            <plugin_versions>\n                <entry name='dlp' version='3.0.9'>\n                    <pkginfo>dlp-3.0.9</pkginfo>\n                </entry>\n            </plugin_versions>\n");
    field(&mut s, i, "platform-family", fw.platform.family);
    field(&mut s, i, "vpn-disable-mode", "off");
    field(
        &mut s,
        i,
        "multi-vsys",
        if fw.multi_vsys { "on" } else { "off" },
    );
    field(&mut s, i, "ZTP", "Disabled");
    field(&mut s, i, "operational-mode", "normal");
    field(
        &mut s,
        i,
        "advanced-routing",
        if fw.advanced_routing { "on" } else { "off" },
    );
    field(&mut s, i, "device-certificate-status", "Valid");
    s.push_str("        </system>\n");
    success(&s)
}

/// `show system info` of Panorama.
pub fn panorama_info(p: &Panorama, devices: usize, now: SimInstant) -> String {
    let spec = &p.spec;
    let mut s = String::with_capacity(2500);
    s.push_str("        <system>\n");
    let i = 12;
    field(&mut s, i, "hostname", &spec.hostname);
    field(&mut s, i, "ip-address", &spec.ip_address);
    field(&mut s, i, "public-ip-address", "unknown");
    field(&mut s, i, "netmask", "255.255.255.0");
    field(&mut s, i, "default-gateway", &gateway(&spec.ip_address));
    field(&mut s, i, "ipv6-address", "unknown");
    field(
        &mut s,
        i,
        "ipv6-link-local-address",
        "fe80::20c:29ff:fe31:bf8b/64",
    );
    field(&mut s, i, "mac-address", "00:0c:29:31:bf:8b");
    field(&mut s, i, "time", &ctime(now));
    field(
        &mut s,
        i,
        "uptime",
        &uptime(std::time::Duration::from_secs(3 * 86_400) + now.0),
    );
    field(&mut s, i, "devicename", &spec.hostname);
    field(&mut s, i, "family", "pc");
    field(&mut s, i, "model", "Panorama");
    field(&mut s, i, "serial", &spec.serial);
    field(&mut s, i, "cloud-mode", "non-cloud");
    field(&mut s, i, "vm-mode", "VMware ESXi");
    field(&mut s, i, "sw-version", &spec.sw_version);
    field(&mut s, i, "device-dictionary-version", "172-597");
    field(
        &mut s,
        i,
        "device-dictionary-release-date",
        "2025/05/30 12:16:03 PDT",
    );
    field(&mut s, i, "app-version", "8971-9419");
    field(&mut s, i, "app-release-date", "2025/05/28 16:06:06 PDT");
    field(&mut s, i, "av-version", "5169-5689");
    field(&mut s, i, "wf-private-version", "0");
    field(&mut s, i, "wf-private-release-date", "unknown");
    field(&mut s, i, "url-db", "paloaltonetworks");
    field(&mut s, i, "wildfire-version", "0");
    field(&mut s, i, "wildfire-rt", "Disabled");
    field(&mut s, i, "logdb-version", &logdb(&spec.sw_version));
    field(&mut s, i, "platform-family", "pc");
    field(&mut s, i, "system-mode", "panorama");
    field(&mut s, i, "operational-mode", "normal");
    field(&mut s, i, "num-cpus", "16");
    field(&mut s, i, "ram-in-gb", "64");
    field(&mut s, i, "panlogs-partition-in-gb", "31");
    field(
        &mut s,
        i,
        "licensed-device-capacity",
        &devices.max(25).next_power_of_two().to_string(),
    );
    field(&mut s, i, "device-certificate-status", "None");
    field(&mut s, i, "multi-vsys", "off");
    field(&mut s, i, "advanced-routing", "off");
    s.push_str("        </system>\n");
    success(&s)
}

fn gateway(ip: &str) -> String {
    match ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => ip.to_string(),
    }
}

fn logdb(version: &str) -> String {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}.1"),
        _ => "10.2.1".into(),
    }
}

/// Megabytes in df's human form (`23G`, `2.2G`, `587M`).
pub(crate) fn human_mb(mb: u64) -> String {
    if mb >= 10 * 1024 {
        format!("{}G", mb / 1024)
    } else if mb >= 1024 {
        format!("{:.1}G", mb as f64 / 1024.0)
    } else {
        format!("{mb}M")
    }
}

/// `show system disk-space`: df output in CDATA, with `/opt/panrepo` from the model.
pub fn disk_space(panrepo_gb: u32, free_mb: u64) -> String {
    let size = u64::from(panrepo_gb) * 1024;
    let free = free_mb.min(size);
    let used = size - free;
    let pct = (used * 100).checked_div(size).unwrap_or(0);
    let mut df = String::from(" Filesystem Size Used Avail Use% Mounted on\n");
    df.push_str("/dev/root       6.9G  5.0G  1.5G  78% /\n");
    df.push_str("none             16G   76K   16G   1% /dev\n");
    df.push_str("/dev/sda5       16G  7.3G  7.8G  49% /opt/pancfg\n");
    let _ = writeln!(
        df,
        "/dev/sda6       {:<5} {:<5} {:<5} {:>3}% /opt/panrepo",
        human_mb(size),
        human_mb(used),
        human_mb(free),
        pct
    );
    df.push_str("tmpfs           3.5G  2.9G  587M  84% /dev/shm\n");
    df.push_str("cgroup_root      16G     0   16G   0% /cgroup\n");
    df.push_str("/dev/sda8       21G  1.4G   19G   7% /opt/panlogs\n");
    format!(
        "<response status=\"success\">\n    <result>\n        <![CDATA[{df}]]>\n    </result>\n</response>\n"
    )
}

/// `show session info`, with counts derived from the active sessions.
pub fn session_info(max: u32, active: u32, seed: u64) -> String {
    let tcp = active / 10 * 7;
    let udp = active / 10 * 3 - active / 100;
    let icmp = active - tcp - udp;
    let cps = active / 137;
    let rows: &[(&str, String)] = &[
        ("age-accel-en", "True".into()),
        ("age-accel-thresh", "80".into()),
        ("age-accel-tsf", "2".into()),
        ("age-scan-ssf", "8".into()),
        ("age-scan-thresh", "80".into()),
        ("age-scan-tmo", "10".into()),
        ("cps", cps.to_string()),
        ("dis-def", "60".into()),
        ("dis-sctp", "30".into()),
        ("dis-tcp", "90".into()),
        ("dis-udp", "60".into()),
        ("hw-offload", "True".into()),
        ("hw-udp-offload", "True".into()),
        ("icmp-unreachable-rate", "200".into()),
        ("ipv6-fw", "True".into()),
        (
            "kbps",
            (u64::from(active) * 11 + mix(seed, 1) % 97).to_string(),
        ),
        ("max-pending-mcast", "0".into()),
        ("num-active", active.to_string()),
        ("num-bcast", "0".into()),
        ("num-gtpc", "0".into()),
        ("num-http2-5gc", "0".into()),
        ("num-icmp", icmp.to_string()),
        (
            "num-installed",
            (u64::from(active) * 4041 + mix(seed, 2) % 1000).to_string(),
        ),
        ("num-max", max.to_string()),
        ("num-mcast", "0".into()),
        ("num-predict", "0".into()),
        ("num-sctp-assoc", "0".into()),
        ("num-sctp-sess", "0".into()),
        ("num-tcp", tcp.to_string()),
        ("num-udp", udp.to_string()),
        ("oor-action", "drop".into()),
        ("pps", (u64::from(active) / 91 * 10).to_string()),
        ("run-tc", "True".into()),
        ("strict-checksum", "True".into()),
        ("sw-cutthrough", "False".into()),
        ("tcp-nonsyn-rej", "True".into()),
        ("tmo-cp", "30".into()),
        ("tmo-def", "30".into()),
        ("tmo-icmp", "6".into()),
        ("tmo-tcp", "3600".into()),
        ("tmo-tcphalfclosed", "120".into()),
        ("tmo-tcphandshake", "10".into()),
        ("tmo-tcpinit", "5".into()),
        ("tmo-tcptimewait", "15".into()),
        ("tmo-udp", "30".into()),
        ("vardata-rate", "10485760".into()),
        ("dp", "*.dp0".into()),
    ];
    let mut s = String::with_capacity(2500);
    for (tag, value) in rows {
        field(&mut s, 8, tag, value);
    }
    success(&s)
}

/// `show chassis-ready`.
pub fn chassis_ready(ready: bool) -> String {
    super::text_result(if ready { "yes" } else { "no" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_space_shows_panrepo_free_space() {
        let xml = disk_space(23, 20 * 1024);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let text = doc
            .root_element()
            .first_element_child()
            .unwrap()
            .text()
            .unwrap();
        let line = text.lines().find(|l| l.ends_with("/opt/panrepo")).unwrap();
        assert!(line.contains("20G"), "{line}");
        assert!(line.contains("13%"), "{line}");
    }

    #[test]
    fn session_counts_add_up() {
        let xml = session_info(1_000_000, 12_345, 1);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let get = |t: &str| -> u32 {
            doc.descendants()
                .find(|n| n.has_tag_name(t))
                .unwrap()
                .text()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(get("num-tcp") + get("num-udp") + get("num-icmp"), 12_345);
        assert_eq!(get("num-max"), 1_000_000);
    }
}
