//! Property tests of the comparison: a snapshot compared with itself shows no difference;
//! removing k routes reports exactly those k; entry order never changes a report; ARP
//! additions within the configured allowance never go beyond pass/warn as configured.

mod support;

use std::collections::BTreeSet;

use panos_client::model::{ArpEntry, Route};
use panos_validation::compare::{ChangeRule, Level};
use panos_validation::{Outcome, Snapshot, Thresholds, Verdict, compare};
use proptest::prelude::*;
use support::{arp_entry, sessions, snapshot};

fn any_route() -> impl Strategy<Value = Route> {
    (
        prop::sample::select(vec!["default", "public"]),
        0u8..40,
        0u8..5,
        0u8..3,
        prop::sample::select(vec!["A S", "A S E ", " A O", "S", ""]),
        prop::option::of(0u32..3),
    )
        .prop_map(|(router, dest, hop, iface, flags, metric)| Route {
            metric,
            ..support::route(
                router,
                &format!("10.{dest}.0.0/16"),
                &format!("192.0.2.{hop}"),
                &format!("ethernet1/{iface}"),
                flags,
            )
        })
}

fn any_arp() -> impl Strategy<Value = ArpEntry> {
    (
        0u8..3,
        0u8..30,
        0u8..4,
        prop::sample::select(vec!["c", "s", "i"]),
    )
        .prop_map(|(iface, ip, mac, status)| ArpEntry {
            status: status.to_owned(),
            ..arp_entry(
                &format!("ethernet1/{iface}"),
                &format!("10.1.1.{ip}"),
                &format!("00:00:5e:00:53:{mac:02x}"),
            )
        })
}

fn tables() -> impl Strategy<Value = (Vec<Route>, Vec<ArpEntry>)> {
    (
        prop::collection::vec(any_route(), 0..80),
        prop::collection::vec(any_arp(), 0..60),
    )
}

fn count_differences(report: &panos_validation::ComparisonReport) -> usize {
    let routes = report.routes.as_ref().unwrap();
    let arp = report.arp.as_ref().unwrap();
    routes.added.len()
        + routes.removed.len()
        + routes.changed.len()
        + arp.added.len()
        + arp.removed.len()
        + arp.changed.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_snapshot_compared_with_itself_passes((routes, arp) in tables(), total in 0u64..1_000_000) {
        let snap = snapshot(0, routes, arp, sessions(total, total / 2, total / 4));
        let report = compare(&snap, &snap, &Thresholds::default());
        prop_assert_eq!(report.verdict, Verdict::Pass);
        prop_assert_eq!(count_differences(&report), 0);
        prop_assert!(report.metrics.iter().all(|m| m.outcome <= Outcome::Info));
    }

    #[test]
    fn removing_k_routes_reports_exactly_those(
        n in 1usize..400,
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
    ) {
        let all = support::routes(n);
        let removed: BTreeSet<String> = picks.iter().map(|p| support::destination(p.index(n))).collect();
        let kept: Vec<Route> = all.iter().filter(|r| !removed.contains(&r.destination)).cloned().collect();
        let pre = snapshot(0, all, vec![], sessions(100, 50, 50));
        let post = snapshot(30, kept, vec![], sessions(100, 50, 50));
        let report = compare(&pre, &post, &Thresholds::default());
        let diff = report.routes.as_ref().unwrap();
        let reported: BTreeSet<String> = diff.removed.iter().map(|r| r.destination.clone()).collect();
        prop_assert_eq!(&reported, &removed);
        prop_assert_eq!(diff.removed.len(), removed.len());
        prop_assert!(diff.added.is_empty() && diff.changed.is_empty());
        let expected = if removed.is_empty() { Verdict::Pass } else { Verdict::Fail };
        prop_assert_eq!(report.verdict, expected);
    }

    #[test]
    fn entry_order_never_changes_the_report(
        (pre_routes, pre_arp) in tables(),
        (post_routes, post_arp) in tables(),
        seed in any::<u64>(),
    ) {
        let pre = snapshot(0, pre_routes.clone(), pre_arp.clone(), sessions(500, 300, 100));
        let post = snapshot(30, post_routes.clone(), post_arp.clone(), sessions(480, 290, 90));
        let report = compare(&pre, &post, &Thresholds::default());

        // Shuffled before the snapshot is built.
        let (mut r1, mut a1, mut r2, mut a2) = (pre_routes, pre_arp, post_routes, post_arp);
        support::shuffle(&mut r1, seed | 1);
        support::shuffle(&mut a1, seed.rotate_left(7) | 1);
        support::shuffle(&mut r2, seed.rotate_left(13) | 1);
        support::shuffle(&mut a2, seed.rotate_left(29) | 1);
        let shuffled = compare(
            &snapshot(0, r1, a1, sessions(500, 300, 100)),
            &snapshot(30, r2, a2, sessions(480, 290, 90)),
            &Thresholds::default(),
        );
        prop_assert_eq!(&shuffled, &report);

        // Shuffled inside stored snapshots (a file edited by hand, or from another writer).
        let mut pre_stored: Snapshot = pre.clone();
        let mut post_stored: Snapshot = post.clone();
        support::shuffle(&mut pre_stored.routes.as_mut().unwrap().entries, seed ^ 0x9e37 | 1);
        support::shuffle(&mut post_stored.arp.as_mut().unwrap().entries, seed ^ 0x7f4a | 1);
        for entry in &mut post_stored.routes.as_mut().unwrap().entries {
            entry.paths.reverse();
        }
        prop_assert_eq!(&compare(&pre_stored, &post_stored, &Thresholds::default()), &report);
    }

    #[test]
    fn arp_additions_within_the_allowance_stay_as_configured(
        base in 1usize..200,
        added in 0usize..60,
        allowed in 0u64..40,
        level in prop::sample::select(vec![Level::Info, Level::Warn]),
    ) {
        let pre_arp = support::arp(base);
        let post_arp = support::arp(base + added);
        let pre = snapshot(0, vec![], pre_arp, sessions(100, 50, 50));
        let post = snapshot(30, vec![], post_arp, sessions(100, 50, 50));

        // Default: any number of new neighbours is information only.
        let report = compare(&pre, &post, &Thresholds::default());
        prop_assert_eq!(report.verdict, Verdict::Pass);
        prop_assert_eq!(report.arp.as_ref().unwrap().added.len(), added);

        let mut thresholds = Thresholds::default();
        thresholds.arp.added = ChangeRule { max: Some(allowed), ..ChangeRule::exact(level) };
        let report = compare(&pre, &post, &thresholds);
        let outcome = report.metric("arp.added").unwrap().outcome;
        if added == 0 {
            prop_assert_eq!(outcome, Outcome::Pass);
        } else if added as u64 <= allowed {
            prop_assert_eq!(outcome, Outcome::Info);
        } else {
            prop_assert_eq!(outcome, Outcome::from_level(level));
        }
        prop_assert!(report.verdict <= Verdict::Warn, "additions never fail unless configured");
    }
}
