//! The exact human-readable forms of a small comparison and a readiness report, pinned so a
//! change to the layout is a deliberate one (update the expected text in the same commit).

mod support;

use panos_client::model::SystemInfo;
use panos_validation::readiness::{self, ReadinessConfig, ReadinessInput};
use panos_validation::{Snapshot, Thresholds, compare};
use support::{arp_entry, at, route, route_table, serial, sessions};

fn system(version: &str) -> SystemInfo {
    SystemInfo {
        hostname: "fw-edge-1".into(),
        serial: serial(),
        model: "PA-VM".into(),
        family: Some("vm".into()),
        sw_version: version.parse().unwrap(),
        app_version: Some("8799-8509".into()),
        av_version: None,
        ip_address: None,
        uptime: None,
        multi_vsys: None,
        advanced_routing: Some(false),
        operational_mode: None,
    }
}

#[test]
fn comparison_text_layout() {
    let pre = Snapshot::builder(serial(), at(0))
        .system_info(Ok::<_, String>(system("10.2.9-h1")))
        .sessions(Ok::<_, String>(sessions(2000, 1500, 400)))
        .routes(Ok::<_, String>(route_table(vec![
            route("default", "0.0.0.0/0", "10.0.0.1", "ethernet1/1", "A S"),
            route("default", "10.1.0.0/16", "10.0.0.2", "ethernet1/2", "A S"),
            route("default", "10.2.0.0/16", "10.0.0.3", "ethernet1/2", "A O"),
        ])))
        .arp(Ok::<_, String>(support::arp_table(vec![
            arp_entry("ethernet1/1", "10.0.0.1", "00:00:5e:00:53:01"),
            arp_entry("ethernet1/2", "10.0.0.2", "00:00:5e:00:53:02"),
        ])))
        .disk(Err::<panos_client::model::DiskSpace, _>("timed out"))
        .build();
    let post = Snapshot::builder(serial(), at(42))
        .system_info(Ok::<_, String>(system("11.0.3")))
        .sessions(Ok::<_, String>(sessions(1700, 1450, 200)))
        .routes(Ok::<_, String>(route_table(vec![
            route("default", "0.0.0.0/0", "10.0.0.1", "ethernet1/1", "A S"),
            route("default", "10.2.0.0/16", "10.0.0.9", "ethernet1/2", "A O"),
        ])))
        .arp(Ok::<_, String>(support::arp_table(vec![
            arp_entry("ethernet1/1", "10.0.0.1", "00:00:5e:00:53:01"),
            arp_entry("ethernet1/2", "10.0.0.2", "00:00:5e:00:53:02"),
        ])))
        .build();
    let report = compare(&pre, &post, &Thresholds::default());
    let disk = report.metric("disk.panrepo_free").unwrap();
    assert!(
        disk.message
            .ends_with("pre-flight not read: timed out; post-flight not read: not collected"),
        "{}",
        disk.message
    );
    assert_eq!(
        report.summary(),
        "FAIL: sessions.total 2000 -> 1700 (-15.0 %); sessions.udp 400 -> 200 (-50.0 %); \
         routes.removed 1 of 3 (33.33 %); routes.changed 1 of 3 (33.33 %)"
    );
    let text = report.to_text(1);
    let expected = "\
Post-flight comparison of 007951000123456: FAIL
  pre   2026-11-24 19:00:00 UTC  10.2.9-h1
  post  2026-11-24 19:42:00 UTC  11.0.3

  metric             result  observed                                              allowed
  sessions.total     FAIL    2000 -> 1700 (-15.0 %)                                drop up to 10 %
  sessions.tcp       pass    1500 -> 1450 (-3.3 %)                                 drop up to 10 %
  sessions.udp       warn    400 -> 200 (-50.0 %)                                  drop up to 10 %
  routes.removed     FAIL    1 of 3 (33.33 %)                                      none
  routes.added       pass    0 of 3 (0.00 %)                                       any
  routes.changed     warn    1 of 3 (33.33 %)                                      none
  arp.removed        pass    0 of 2 (0.00 %)                                       up to 5 or 5 %; fail over 50 and 25 %
  arp.added          pass    0 of 2 (0.00 %)                                       any
  arp.changed        pass    0 of 2 (0.00 %)                                       none
  disk.panrepo_free  info    unknown -> unknown                                    reported only
  version            info    10.2.9-h1 -> 11.0.3 (content 8799-8509 -> 8799-8509)  reported only

To do:
  FAIL sessions.total: total sessions dropped 15.0 %, more than the 10 % allowed; check that traffic reaches the firewall (interfaces up, routes, HA state) before accepting the upgrade
  warn sessions.udp: udp sessions dropped 50.0 %, more than the 10 % allowed; check that traffic reaches the firewall (interfaces up, routes, HA state) before accepting the upgrade
  FAIL routes.removed: 1 route removed, beyond the allowance (none); see the list below and check them on the device (`show routing route`) before accepting the upgrade
  warn routes.changed: 1 route changed, beyond the allowance (none); see the list below and check them on the device (`show routing route`) before accepting the upgrade

Routes removed (1):
  default  10.1.0.0/16  via 10.0.0.2 dev ethernet1/2 [A S] metric 10

Routes changed (1):
  default  10.2.0.0/16  nexthops: via 10.0.0.3 dev ethernet1/2 [A O] metric 10 -> via 10.0.0.9 dev ethernet1/2 [A O] metric 10
";
    assert_eq!(text, expected, "\n--- got ---\n{text}");
}

#[test]
fn readiness_text_layout() {
    let mut input = ReadinessInput::new(serial(), "11.0.3".parse().unwrap());
    input.current_version = Some("10.2.9-h1".parse().unwrap());
    input.chassis_ready = Some(false);
    input.jobs = Some(vec![]);
    let report = readiness::check(&input, &ReadinessConfig::default());
    assert_eq!(
        report.summary(),
        "BLOCKED: chassis.not_ready; warn: device.unknown, catalog.unknown, disk.size_unknown, \
         disk.unknown"
    );
    let text = report.to_text();
    let expected = "\
Readiness of 007951000123456 for 11.0.3: BLOCKED
  block  chassis.not_ready  `show chassis-ready` says no: the data plane is not up; wait for it (after a reboot this can take minutes, up to an hour on large chassis) and retry
  warn   device.unknown     Panorama's device list was not read or has no entry for 007951000123456; check the serial with `show devices all` on Panorama
  warn   catalog.unknown    the software catalog was not read, so the target cannot be confirmed; run `request system software check` on the device
  warn   disk.size_unknown  the catalog gives no size for 11.0.3, so the space it needs is not counted; check `request system software info` on the device and the free space on /opt/panrepo
  warn   disk.unknown       free space on /opt/panrepo is unknown (disk space not read, or no filesystem holds it); check `show system disk-space` on the device
  checks run: device, version, catalog, disk, jobs, chassis, ha
";
    assert_eq!(text, expected, "\n--- got ---\n{text}");
}
