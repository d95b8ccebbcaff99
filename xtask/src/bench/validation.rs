//! The validation part: panos-validation's `compare` of 200,000 routes and 100,000 ARP entries
//! per side, the scenario of its divan benchmark (`benches/compare.rs`, same generated tables
//! through the same support module), timed here in the release build; the median of several
//! runs.

use std::collections::HashSet;
use std::time::Instant;

use panos_validation::{Snapshot, Thresholds, compare};
use serde_json::json;

use super::Bench;
use super::figures::{Figure, median, ms};

#[path = "../../../crates/panos-validation/tests/support/mod.rs"]
mod support;

const ROUTES: usize = 200_000;
const ARP: usize = 100_000;

/// Runs the validation part.
pub fn run(bench: &mut Bench) -> Result<(), String> {
    let runs = if bench.quick { 5 } else { 20 };
    let (pre, post) = pair();
    let thresholds = Thresholds::default();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let report = compare(
            std::hint::black_box(&pre),
            std::hint::black_box(&post),
            &thresholds,
        );
        samples.push(start.elapsed());
        if report.routes.as_ref().is_none_or(|r| r.changed.is_empty()) {
            return Err("the comparison missed the changed routes".into());
        }
    }
    let median = median(&samples).expect("runs");
    bench.report(Figure::new(
        "validation.compare_200k_routes_100k_arp",
        ms(median),
        "ms",
    ));
    bench.detail(
        "validation",
        json!({
            "routes": ROUTES, "arp": ARP, "runs": runs,
            "samples_ms": samples.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

/// The benchmark's pair: the post side lost 100 routes and 50 ARP entries, gained 100 routes,
/// and 100 routes and 50 ARP entries changed; post routes shuffled.
fn pair() -> (Snapshot, Snapshot) {
    let pre_routes = support::routes(ROUTES);
    let mut post_routes = support::routes(ROUTES + 100);
    let gone: HashSet<String> = (0..100)
        .map(|i| support::destination(1_000 + i * 97))
        .collect();
    post_routes.retain(|r| !gone.contains(&r.destination));
    for route in post_routes.iter_mut().step_by(ROUTES / 100) {
        route.nexthop = "198.51.100.1".into();
    }
    let pre_arp = support::arp(ARP);
    let mut post_arp = support::arp(ARP - 50);
    for entry in post_arp.iter_mut().step_by(ARP / 50) {
        entry.mac = "00:00:5e:00:53:ff".into();
    }
    support::shuffle(&mut post_routes, 0x5eed);
    (
        support::snapshot(
            0,
            pre_routes,
            pre_arp,
            support::sessions(100_000, 70_000, 29_000),
        ),
        support::snapshot(
            40,
            post_routes,
            post_arp,
            support::sessions(98_000, 69_000, 28_000),
        ),
    )
}
