//! Sessions, routes (legacy and advanced), ARP and disk space.

use super::*;

#[test]
fn session_info_busy_firewall() {
    let Some(xml) = sample("show-session-info.fw-busy-102k-active.xml") else {
        return;
    };
    let info = parse_session_info(&xml).unwrap();
    assert_eq!(info.num_max, Some(4_194_302));
    assert_eq!(info.num_active, 102_448);
    assert_eq!(info.num_tcp, 72_139);
    assert_eq!(info.num_udp, 29_570);
    assert_eq!(info.num_icmp, 114);
    assert_eq!(info.cps, Some(750));
    assert_eq!(info.kbps, Some(1_519));
}

#[test]
fn session_info_idle_vm() {
    let Some(xml) = sample("show-session-info.fw-vm.xml") else {
        return;
    };
    let info = parse_session_info(&xml).unwrap();
    assert_eq!(info.num_max, Some(1_800_000));
    assert_eq!((info.num_active, info.num_tcp, info.num_udp), (0, 0, 0));
    assert_eq!(info.cps, Some(0));
}

#[test]
fn routes_legacy_single() {
    let Some(xml) = sample("show-routing-route.fw-demisto.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Legacy).unwrap();
    assert_eq!(table.engine, RoutingEngine::Legacy);
    assert_eq!(table.routes.len(), 1);
    let route = &table.routes[0];
    assert_eq!(route.router, "default");
    assert_eq!(route.destination, "0.0.0.0/0");
    assert_eq!(route.nexthop, "1.1.1.1");
    assert_eq!(route.metric, Some(10));
    assert_eq!(route.flags, "A S");
    assert_eq!(route.age_secs, None);
    assert_eq!(route.interface.as_deref(), Some("ethernet1/1"));
    assert_eq!(route.route_table.as_deref(), Some("unicast"));
}

#[test]
fn routes_legacy_ecmp() {
    let Some(xml) = sample("show-routing-route.fw-ecmp-two-nexthops.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Legacy).unwrap();
    assert_eq!(table.routes.len(), 2);
    assert!(
        table
            .routes
            .iter()
            .all(|r| r.destination == "0.0.0.0/0" && r.flags == "A S E")
    );
    let hops: Vec<&str> = table.routes.iter().map(|r| r.nexthop.as_str()).collect();
    assert_eq!(hops, ["10.10.11.1", "10.10.12.1"]);
}

#[test]
fn routes_legacy_empty() {
    let Some(xml) = sample("show-routing-route.fw-empty.xml") else {
        return;
    };
    assert!(
        parse_routes(&xml, RoutingEngine::Legacy)
            .unwrap()
            .routes
            .is_empty()
    );
    assert!(
        parse_routes(&xml, RoutingEngine::Advanced)
            .unwrap()
            .routes
            .is_empty()
    );
}

#[test]
fn routes_advanced_json() {
    let Some(xml) = sample("show-advanced-routing-route.fw-json.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Advanced).unwrap();
    assert_eq!(table.engine, RoutingEngine::Advanced);
    assert_eq!(table.routes.len(), 1);
    let route = &table.routes[0];
    assert_eq!(route.router, "public-lr");
    assert_eq!(route.destination, "0.0.0.0/0");
    assert_eq!(route.nexthop, "");
    assert_eq!(route.interface.as_deref(), Some("ethernet1/1"));
    assert_eq!(route.metric, Some(10));
    assert_eq!(route.flags, "static");
    assert_eq!(route.age_secs, Some(26));
}

#[test]
fn arp_trimmed_status_and_reported_total() {
    let Some(xml) = sample("show-arp-entry-all.fw.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!(arp.max, Some(1500));
    assert_eq!(arp.total, Some(9));
    assert_eq!(arp.entries.len(), 2);
    assert!(
        arp.entries
            .iter()
            .all(|e| e.status == "c" && e.ip == "1.1.1.1")
    );
    assert_eq!(arp.entries[0].mac, "00:66:4b:da:ce:61");
    assert_eq!(arp.entries[1].ttl_secs, Some(996));
    assert_eq!(arp.entries[1].port.as_deref(), Some("ethernet1/1"));
}

#[test]
fn arp_single_entry() {
    let Some(xml) = sample("show-arp-entry-all.fw-single.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!((arp.max, arp.total), (Some(32_000), Some(1)));
    assert_eq!(arp.entries.len(), 1);
    let entry = &arp.entries[0];
    assert_eq!(entry.interface, "ethernet1/1");
    assert_eq!(entry.ip, "10.10.11.1");
    assert_eq!(entry.mac, "aa:bb:cc:dd:ee:ff:ab");
    assert_eq!(entry.status, "c");
    assert_eq!(entry.ttl_secs, Some(1777));
}

#[test]
fn arp_empty() {
    let Some(xml) = sample("show-arp-entry-all.fw-empty.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!((arp.max, arp.total), (Some(32_000), Some(0)));
    assert!(arp.entries.is_empty());
}

#[test]
fn disk_space_cdata() {
    let Some(xml) = sample("show-system-disk-space.fw-cdata.xml") else {
        return;
    };
    let disk = parse_disk_space(&xml).unwrap();
    assert_eq!(disk.filesystems.len(), 8);
    let repo = disk.filesystem_for("/opt/panrepo").unwrap();
    assert_eq!(repo.device, "/dev/md6");
    assert_eq!(repo.size_bytes, gib(23.0));
    assert_eq!(repo.used_bytes, gib(2.2));
    assert_eq!(repo.avail_bytes, gib(20.0));
    assert_eq!(repo.use_percent, 11);
    let raid = disk.filesystem_for("/opt/panraid/ld1").unwrap();
    assert_eq!(raid.size_bytes, (1.8 * GIB * 1024.0).round() as u64);
    let last = disk.filesystems.last().unwrap();
    assert_eq!(last.mounted_on, "/opt/pancfg/mgmt/lcaas/ssl/private");
    assert_eq!(last.avail_bytes, 1020 * 1024);
    assert_eq!(last.used_bytes, 4 * 1024);
    let md5 = disk.filesystem_for("/opt/pancfg").unwrap();
    assert_eq!((md5.used_bytes, md5.size_bytes), (0, 100 * 1024 * 1024));
}

#[test]
fn disk_space_plain_text_with_declaration() {
    let Some(xml) = sample("show-system-disk-space.fw-sda-plaintext.xml") else {
        return;
    };
    let disk = parse_disk_space(&xml).unwrap();
    let mounts: Vec<&str> = disk
        .filesystems
        .iter()
        .map(|f| f.mounted_on.as_str())
        .collect();
    assert_eq!(
        mounts,
        [
            "/",
            "/opt/pancfg",
            "/opt/panrepo",
            "/dev/shm",
            "/opt/panlogs"
        ]
    );
    assert_eq!(disk.panrepo_free_bytes(), Some(gib(2.6)));
    let shm = disk.filesystem_for("/dev/shm").unwrap();
    assert_eq!(
        (shm.device.as_str(), shm.used_bytes),
        ("tmpfs", 67 * 1024 * 1024)
    );
    assert_eq!(
        disk.filesystem_for("/opt/panlogs").unwrap().size_bytes,
        gib(90.0)
    );
}

#[test]
fn disk_space_df_text_nvme() {
    let Some(text) = sample("show-system-disk-space.fw-nvme.result-text.txt") else {
        return;
    };
    let disk = parse_df_text(&text).unwrap();
    assert_eq!(disk.filesystems.len(), 7);
    let repo = disk.filesystem_for("/opt/panrepo").unwrap();
    assert_eq!(repo.device, "/dev/nvme0n1p6");
    assert_eq!(repo.avail_bytes, gib(3.6));
    assert_eq!(repo.use_percent, 53);
    let cgroup = disk.filesystem_for("/cgroup").unwrap();
    assert_eq!((cgroup.used_bytes, cgroup.use_percent), (0, 0));
    assert_eq!(disk.filesystem_for("/dev").unwrap().used_bytes, 76 * 1024);
    // The same text wrapped in an answer, as a device sends it.
    let xml =
        format!("<response status=\"success\"><result><![CDATA[{text}]]></result></response>");
    assert_eq!(parse_disk_space(&xml).unwrap(), disk);
}
