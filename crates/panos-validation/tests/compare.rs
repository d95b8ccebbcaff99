//! Comparison scenarios on generated tables: each metric's verdict, missing parts, the capped
//! text listing with exact counts, and the JSON round trip.

mod support;

use panos_validation::compare::{Level, RouteField};
use panos_validation::{Outcome, Part, Snapshot, Thresholds, Verdict, compare};
use support::{arp, arp_entry, at, routes, serial, sessions, snapshot};

fn outcome(report: &panos_validation::ComparisonReport, metric: &str) -> Outcome {
    report
        .metric(metric)
        .unwrap_or_else(|| panic!("metric {metric} reported"))
        .outcome
}

#[test]
fn identical_snapshots_pass_with_nothing_listed() {
    let pre = snapshot(0, routes(500), arp(300), sessions(1000, 800, 150));
    let post = snapshot(40, routes(500), arp(300), sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(report.verdict, Verdict::Pass, "{report}");
    let text = report.to_text(20);
    assert!(!text.contains("Routes removed") && !text.contains("ARP entries"));
    assert!(text.starts_with("Post-flight comparison of 007951000123456: PASS"));
}

#[test]
fn a_removed_route_fails_and_is_named() {
    let mut after = routes(100);
    let gone = after.remove(7);
    let pre = snapshot(0, routes(100), arp(10), sessions(1000, 800, 150));
    let post = snapshot(40, after, arp(10), sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(outcome(&report, "routes.removed"), Outcome::Fail);
    let diff = report.routes.as_ref().unwrap();
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(diff.removed[0].destination, gone.destination);
    let text = report.to_string();
    assert!(text.contains("Routes removed (1):"), "{text}");
    assert!(text.contains(&gone.destination), "{text}");
    assert!(
        text.contains("FAIL routes.removed:"),
        "the to-do line names the metric: {text}"
    );
}

#[test]
fn added_routes_are_information_and_changed_routes_warn() {
    let mut after = routes(50);
    after.push(support::route(
        "default",
        "203.0.113.0/24",
        "192.0.2.1",
        "ethernet1/2",
        "A S",
    ));
    after[3].nexthop = "198.51.100.9".into();
    after[3].flags = "A O".into();
    let pre = snapshot(0, routes(50), arp(10), sessions(1000, 800, 150));
    let post = snapshot(40, after, arp(10), sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(outcome(&report, "routes.added"), Outcome::Info);
    assert_eq!(outcome(&report, "routes.changed"), Outcome::Warn);
    assert_eq!(report.verdict, Verdict::Warn);
    let change = &report.routes.as_ref().unwrap().changed[0];
    assert!(change.fields.contains(&RouteField::Nexthops));
    // Flags letters sorted: `A O` stays `A O`, the original was `A S` (i = 3 is 3 % 3 == 0 → `A O`).
    assert_eq!(change.after.nexthops(), ["198.51.100.9"]);
}

#[test]
fn metric_changes_can_be_ignored() {
    let mut after = routes(20);
    after[5].metric = Some(99);
    let pre = snapshot(0, routes(20), arp(1), sessions(1000, 800, 150));
    let post = snapshot(40, after, arp(1), sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(
        report.routes.as_ref().unwrap().changed[0].fields,
        [RouteField::Metric]
    );
    let mut thresholds = Thresholds::default();
    thresholds.routes.compare_metric = false;
    let report = compare(&pre, &post, &thresholds);
    assert!(report.routes.as_ref().unwrap().changed.is_empty());
}

#[test]
fn sessions_drop_beyond_margin_fails_and_rise_passes() {
    let pre = snapshot(0, routes(5), arp(5), sessions(10_000, 8_000, 1_900));
    let dropped = snapshot(40, routes(5), arp(5), sessions(8_900, 7_100, 1_700));
    let report = compare(&pre, &dropped, &Thresholds::default());
    assert_eq!(outcome(&report, "sessions.total"), Outcome::Fail);
    assert_eq!(outcome(&report, "sessions.tcp"), Outcome::Fail);
    assert_eq!(
        outcome(&report, "sessions.udp"),
        Outcome::Warn,
        "UDP drops only warn"
    );
    assert!(
        report
            .metric("sessions.total")
            .unwrap()
            .observed
            .contains("-11.0 %")
    );

    let within = snapshot(40, routes(5), arp(5), sessions(9_500, 7_600, 1_800));
    assert_eq!(
        compare(&pre, &within, &Thresholds::default()).verdict,
        Verdict::Pass
    );

    let doubled = snapshot(40, routes(5), arp(5), sessions(20_000, 16_000, 3_800));
    assert_eq!(
        compare(&pre, &doubled, &Thresholds::default()).verdict,
        Verdict::Pass
    );
    let mut strict = Thresholds::default();
    strict.sessions.total.max_increase_percent = Some(50.0);
    assert_eq!(compare(&pre, &doubled, &strict).verdict, Verdict::Warn);
}

#[test]
fn small_session_baselines_only_warn() {
    let pre = snapshot(0, routes(5), arp(5), sessions(40, 30, 10));
    let post = snapshot(40, routes(5), arp(5), sessions(10, 5, 5));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(outcome(&report, "sessions.total"), Outcome::Warn);
    assert!(
        report
            .metric("sessions.total")
            .unwrap()
            .message
            .contains("too few")
    );
}

#[test]
fn arp_removals_have_three_bands() {
    let pre = snapshot(0, routes(5), arp(1000), sessions(1000, 800, 150));
    let band = |removed: usize| {
        let post = snapshot(40, routes(5), arp(1000 - removed), sessions(1000, 800, 150));
        outcome(&compare(&pre, &post, &Thresholds::default()), "arp.removed")
    };
    assert_eq!(band(0), Outcome::Pass);
    assert_eq!(band(50), Outcome::Info, "5 % allowed");
    assert_eq!(band(51), Outcome::Warn);
    assert_eq!(band(251), Outcome::Fail, "beyond 25 % and 50 entries");
}

#[test]
fn arp_mac_change_warns_and_incomplete_entries_are_ignored() {
    let mut after = arp(20);
    after[4].mac = "00:aa:bb:cc:dd:ee".into();
    after.push(arp_entry("ethernet1/3", "10.9.9.9", "(incomplete)"));
    let pre = snapshot(0, routes(5), arp(20), sessions(1000, 800, 150));
    let post = snapshot(40, routes(5), after, sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    let diff = report.arp.as_ref().unwrap();
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].after[0].mac, "00:aa:bb:cc:dd:ee");
    assert!(diff.added.is_empty(), "the incomplete entry is left out");
    assert_eq!(outcome(&report, "arp.changed"), Outcome::Warn);
    assert!(report.to_string().contains("-> 00:aa:bb:cc:dd:ee (c)"));
}

#[test]
fn a_missing_post_table_fails_and_says_why() {
    let pre = snapshot(0, routes(10), arp(10), sessions(1000, 800, 150));
    let post = Snapshot::builder(serial(), at(40))
        .routes(Err::<panos_client::model::RouteTable, _>(
            "007951000123456 not connected",
        ))
        .arp(Ok::<_, String>(support::arp_table(arp(10))))
        .sessions(Ok::<_, String>(sessions(1000, 800, 150)))
        .build();
    assert!(
        post.missing_reason(Part::Routes)
            .unwrap()
            .contains("not connected")
    );
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(report.verdict, Verdict::Fail);
    let routes = report
        .metric("routes")
        .expect("a routes metric even when not compared");
    assert!(
        routes
            .message
            .contains("post-flight: 007951000123456 not connected")
    );
    let lenient = Thresholds {
        missing_data: Level::Warn,
        ..Thresholds::default()
    };
    assert_eq!(compare(&pre, &post, &lenient).verdict, Verdict::Warn);
}

#[test]
fn text_listing_is_capped_but_counts_are_exact() {
    let pre = snapshot(0, routes(300), arp(10), sessions(1000, 800, 150));
    let post = snapshot(40, routes(200), arp(10), sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(report.routes.as_ref().unwrap().removed.len(), 100);
    let text = report.to_text(5);
    assert!(text.contains("Routes removed (100):"), "{text}");
    assert!(text.contains("… and 95 more"), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains(" via ")).count(), 5);
    assert!(
        report
            .metric("routes.removed")
            .unwrap()
            .observed
            .starts_with("100 of 300")
    );
}

#[test]
fn metric_table_columns_are_aligned() {
    let pre = snapshot(0, routes(10), arp(10), sessions(1000, 800, 150));
    let post = snapshot(40, routes(9), arp(10), sessions(1000, 800, 150));
    let text = compare(&pre, &post, &Thresholds::default()).to_string();
    let header = text
        .lines()
        .find(|l| l.starts_with("  metric"))
        .expect("header row");
    let columns: Vec<usize> = ["result", "observed", "allowed"]
        .iter()
        .map(|name| header.find(name).unwrap())
        .collect();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  sessions.") || l.starts_with("  routes."))
        .collect();
    assert_eq!(rows.len(), 6, "{text}");
    for row in rows {
        for &col in &columns {
            let bytes = row.as_bytes();
            assert!(
                bytes[col] != b' ' && bytes[col - 1] == b' ',
                "column at {col} not aligned in {row:?}\n{text}"
            );
        }
    }
}

#[test]
fn reports_round_trip_through_json() {
    let pre = snapshot(0, routes(40), arp(40), sessions(1000, 800, 150));
    let post = snapshot(40, routes(38), arp(41), sessions(900, 700, 150));
    let json = serde_json::to_string(&pre).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pre);
    let report = compare(&pre, &post, &Thresholds::default());
    let back: panos_validation::ComparisonReport = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back, report);
    let value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(value["verdict"], "fail");
    assert_eq!(value["routes"]["removed"].as_array().unwrap().len(), 2);
    assert_eq!(value["arp"]["added"].as_array().unwrap().len(), 1);
}

#[test]
#[ignore = "prints a sample report for reading; run with --ignored --nocapture"]
fn print_sample_report() {
    let mut after = routes(40);
    after.remove(3);
    after[10].nexthop = "10.255.0.1".into();
    let pre = snapshot(0, routes(40), arp(40), sessions(10_000, 8_000, 1_900));
    let post = snapshot(40, after, arp(30), sessions(8_000, 7_000, 900));
    let report = compare(&pre, &post, &Thresholds::default());
    println!("{report}");
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn snapshots_of_two_devices_fail() {
    let pre = snapshot(0, routes(5), arp(5), sessions(1000, 800, 150));
    let mut post = pre.clone();
    post.serial = "007951000999999".parse().unwrap();
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(outcome(&report, "serial"), Outcome::Fail);
}

#[test]
fn arp_status_changes_count_only_when_configured() {
    let mut after = arp(10);
    after[2].status = "s".into();
    let pre = snapshot(0, routes(5), arp(10), sessions(1000, 800, 150));
    let post = snapshot(40, routes(5), after, sessions(1000, 800, 150));
    let report = compare(&pre, &post, &Thresholds::default());
    assert!(report.arp.as_ref().unwrap().changed.is_empty());
    let mut thresholds = Thresholds::default();
    thresholds.arp.compare_status = true;
    let report = compare(&pre, &post, &thresholds);
    let changed = &report.arp.as_ref().unwrap().changed;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (
            changed[0].before[0].status.as_str(),
            changed[0].after[0].status.as_str()
        ),
        ("c", "s")
    );
}

#[test]
fn multicast_routes_are_keyed_apart_from_unicast() {
    let unicast = support::route("default", "224.0.0.0/4", "10.0.0.1", "ethernet1/1", "A S");
    let mut multicast = unicast.clone();
    multicast.route_table = Some("multicast".into());
    multicast.nexthop = "10.0.0.2".into();
    let pre = snapshot(
        0,
        vec![unicast.clone(), multicast],
        arp(1),
        sessions(1000, 800, 150),
    );
    let post = snapshot(40, vec![unicast], arp(1), sessions(1000, 800, 150));
    assert_eq!(
        pre.routes.as_ref().unwrap().entries.len(),
        2,
        "not merged as ECMP"
    );
    let report = compare(&pre, &post, &Thresholds::default());
    let removed = &report.routes.as_ref().unwrap().removed;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].table.as_deref(), Some("multicast"));
    assert!(report.to_string().contains("224.0.0.0/4 (multicast)"));
}

#[test]
fn a_routing_engine_change_warns() {
    let pre = snapshot(0, routes(5), arp(1), sessions(1000, 800, 150));
    let mut post = pre.clone();
    post.routes.as_mut().unwrap().engine = panos_validation::snapshot::Engine::Advanced;
    let report = compare(&pre, &post, &Thresholds::default());
    assert_eq!(outcome(&report, "routes.engine"), Outcome::Warn);
    assert_eq!(
        report.metric("routes.engine").unwrap().observed,
        "legacy -> advanced"
    );
}
