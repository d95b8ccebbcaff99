//! Snapshots and comparisons built from the real PAN-OS samples in `../shared/panos-xml/`,
//! parsed with panos-client's parsers (each test returns early when the samples are absent).

mod support;

use panos_client::model::{RouteTable, RoutingEngine};
use panos_client::parse::{
    parse_arp, parse_df_text, parse_disk_space, parse_routes, parse_session_info,
};
use panos_validation::snapshot::Engine;
use panos_validation::{Part, Snapshot, Thresholds, Verdict, compare};
use support::{at, serial};

fn routes(file: &str, engine: RoutingEngine) -> Option<RouteTable> {
    let xml = panos_samples::sample(file)?;
    Some(parse_routes(&xml, engine).expect("the sample parses"))
}

fn with_routes(table: RouteTable) -> Snapshot {
    Snapshot::builder(serial(), at(0))
        .routes(Ok::<_, String>(table))
        .build()
}

#[test]
fn legacy_route_sample_is_normalised() {
    let Some(table) = routes("show-routing-route.fw-demisto.xml", RoutingEngine::Legacy) else {
        return;
    };
    let snap = with_routes(table);
    let set = snap.routes.as_ref().expect("routes present");
    assert_eq!(set.engine, Engine::Legacy);
    assert_eq!(set.entries.len(), 1);
    let route = &set.entries[0];
    assert_eq!(route.key(), ("default", "0.0.0.0/0", None));
    assert_eq!(route.nexthops(), ["1.1.1.1"]);
    assert_eq!(route.interfaces(), ["ethernet1/1"]);
    assert_eq!(route.paths[0].flags, "A S", "padding `A S   ` is gone");
    assert_eq!(route.paths[0].metric, Some(10));
}

#[test]
fn ecmp_sample_becomes_one_route_with_two_nexthops() {
    let Some(table) = routes(
        "show-routing-route.fw-ecmp-two-nexthops.xml",
        RoutingEngine::Legacy,
    ) else {
        return;
    };
    assert_eq!(
        table.routes.len(),
        2,
        "the client gives one entry per next hop"
    );
    let snap = with_routes(table.clone());
    let set = snap.routes.as_ref().unwrap();
    assert_eq!(set.entries.len(), 1);
    assert_eq!(set.entries[0].nexthops(), ["10.10.11.1", "10.10.12.1"]);
    assert_eq!(set.entries[0].paths[0].flags, "A E S");

    // Losing one ECMP leg after the upgrade is a changed route, not a removed one.
    let mut after = table;
    after.routes.pop();
    let post = with_routes(after);
    let report = compare(&snap, &post, &Thresholds::default());
    let diff = report.routes.as_ref().unwrap();
    assert!(diff.removed.is_empty());
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].after.nexthops(), ["10.10.11.1"]);
    assert_eq!(
        report.metric("routes.changed").unwrap().outcome.verdict(),
        Verdict::Warn
    );
}

#[test]
fn empty_route_sample_gives_an_empty_table_not_a_missing_one() {
    let Some(table) = routes("show-routing-route.fw-empty.xml", RoutingEngine::Legacy) else {
        return;
    };
    let snap = with_routes(table);
    assert_eq!(snap.routes.as_ref().unwrap().entries.len(), 0);
    assert!(snap.missing_reason(Part::Routes).is_none());
}

#[test]
fn advanced_routing_sample_uses_the_logical_router_and_protocol() {
    let Some(table) = routes(
        "show-advanced-routing-route.fw-json.xml",
        RoutingEngine::Advanced,
    ) else {
        return;
    };
    let snap = with_routes(table);
    let set = snap.routes.as_ref().unwrap();
    assert_eq!(set.engine, Engine::Advanced);
    assert_eq!(set.entries.len(), 1);
    assert_eq!(set.entries[0].router, "public-lr");
    assert_eq!(set.entries[0].destination, "0.0.0.0/0");
    assert_eq!(set.entries[0].interfaces(), ["ethernet1/1"]);
    assert_eq!(set.entries[0].paths[0].flags, "static");
    let json = serde_json::to_string(&snap).unwrap();
    assert!(
        !json.contains("uptime") && !json.contains("age"),
        "volatile fields dropped"
    );
}

#[test]
fn arp_samples_drop_ttl_and_keep_duplicate_ips() {
    let Some(full) = panos_samples::sample("show-arp-entry-all.fw.xml") else {
        return;
    };
    let table = parse_arp(&full).unwrap();
    let snap = Snapshot::builder(serial(), at(0))
        .arp(Ok::<_, String>(table.clone()))
        .build();
    let arp = snap.arp.as_ref().unwrap();
    assert_eq!(
        arp.reported_total,
        Some(9),
        "total as reported, beyond the listed entries"
    );
    assert_eq!(
        arp.entries.len(),
        2,
        "two MACs for 1.1.1.1 on ethernet1/1 are both kept"
    );
    assert!(arp.entries.iter().all(|e| e.status == "c"));
    assert!(
        !serde_json::to_string(&snap).unwrap().contains("1778"),
        "ttl dropped"
    );

    // One of the two MACs gone: the interface + ip group is reported as changed.
    let mut after = table;
    after.entries.remove(0);
    let post = Snapshot::builder(serial(), at(30))
        .arp(Ok::<_, String>(after))
        .build();
    let report = compare(&snap, &post, &Thresholds::default());
    let diff = report.arp.as_ref().unwrap();
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].before.len(), 2);
    assert_eq!(diff.changed[0].after.len(), 1);

    for (file, count) in [
        ("show-arp-entry-all.fw-single.xml", 1),
        ("show-arp-entry-all.fw-empty.xml", 0),
    ] {
        let Some(xml) = panos_samples::sample(file) else {
            return;
        };
        let snap = Snapshot::builder(serial(), at(0))
            .arp(parse_arp(&xml))
            .build();
        assert_eq!(snap.arp.as_ref().unwrap().entries.len(), count, "{file}");
    }
}

#[test]
fn session_samples_fill_the_counters() {
    let Some(busy) = panos_samples::sample("show-session-info.fw-busy-102k-active.xml") else {
        return;
    };
    let Some(idle) = panos_samples::sample("show-session-info.fw-vm.xml") else {
        return;
    };
    let pre = Snapshot::builder(serial(), at(0))
        .sessions(parse_session_info(&busy))
        .build();
    let counts = pre.sessions.unwrap();
    assert_eq!(
        (counts.total, counts.tcp, counts.udp, counts.icmp),
        (102_448, 72_139, 29_570, 114)
    );
    // The idle VM (0 sessions) as a post-flight reading: a 100 % drop fails.
    let post = Snapshot::builder(serial(), at(30))
        .sessions(parse_session_info(&idle))
        .build();
    assert_eq!(post.sessions.unwrap().total, 0);
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(
        report.metric("sessions.total").unwrap().outcome,
        panos_validation::Outcome::Fail
    );
    // And the other way round: from 0 sessions nothing can drop.
    let report = compare(&post, &pre, &Thresholds::default());
    assert!(report.metric("sessions.total").unwrap().outcome.verdict() == Verdict::Pass);
}

#[test]
fn disk_samples_report_panrepo_free_space() {
    let cases = [
        ("show-system-disk-space.fw-cdata.xml", "/opt/panrepo", 20.0),
        (
            "show-system-disk-space.fw-sda-plaintext.xml",
            "/opt/panrepo",
            2.6,
        ),
    ];
    for (file, mount, gib) in cases {
        let Some(xml) = panos_samples::sample(file) else {
            return;
        };
        let snap = Snapshot::builder(serial(), at(0))
            .disk(parse_disk_space(&xml))
            .build();
        let disk = snap
            .disk
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: disk present"));
        assert_eq!(disk.mount, mount);
        let free = disk.free_bytes as f64 / f64::from(1 << 30);
        assert!(
            (free - gib).abs() < 0.1,
            "{file}: {free} GiB free, expected {gib}"
        );
    }
    let Some(text) = panos_samples::sample("show-system-disk-space.fw-nvme.result-text.txt") else {
        return;
    };
    let snap = Snapshot::builder(serial(), at(0))
        .disk(parse_df_text(&text))
        .build();
    let free = snap.disk.unwrap().free_bytes as f64 / f64::from(1 << 30);
    assert!((free - 3.6).abs() < 0.1, "nvme sample: {free} GiB");
}

#[test]
fn a_parse_error_is_recorded_as_a_missing_part() {
    let snap = Snapshot::builder(serial(), at(0))
        .routes(parse_routes(
            "<response status=\"error\"><msg><line>boom</line></msg></response>",
            RoutingEngine::Legacy,
        ))
        .build();
    assert!(snap.routes.is_none());
    let reason = snap
        .missing_reason(Part::Routes)
        .expect("routes recorded as missing");
    assert!(
        reason.contains("boom"),
        "the reason keeps the device's message: {reason}"
    );
}
