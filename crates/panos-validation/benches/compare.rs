//! Benchmark of the pre/post comparison at fleet scale: 200,000 routes and 100,000 ARP entries
//! per side, with a few hundred differences, plus building and serialising such a snapshot.
//! Run with `cargo bench -p panos-validation`.

#[path = "../tests/support/mod.rs"]
mod support;

use panos_validation::{Snapshot, Thresholds, compare};

const ROUTES: usize = 200_000;
const ARP: usize = 100_000;

fn main() {
    divan::main();
}

/// The pre-flight and post-flight snapshots: the post side lost 100 routes and 50 ARP entries,
/// gained 100 routes, and 100 routes and 50 ARP entries changed.
fn pair() -> (Snapshot, Snapshot) {
    let pre_routes = support::routes(ROUTES);
    let mut post_routes = support::routes(ROUTES + 100);
    let gone: std::collections::HashSet<String> = (0..100)
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

#[divan::bench(sample_count = 20)]
fn compare_200k_routes_100k_arp(bencher: divan::Bencher<'_, '_>) {
    let (pre, post) = pair();
    let thresholds = Thresholds::default();
    bencher.bench_local(|| {
        let report = compare(divan::black_box(&pre), divan::black_box(&post), &thresholds);
        assert!(
            report
                .routes
                .as_ref()
                .is_some_and(|r| !r.changed.is_empty())
        );
        report
    });
}

#[divan::bench(sample_count = 10)]
fn build_snapshot_200k_routes_100k_arp(bencher: divan::Bencher<'_, '_>) {
    bencher
        .with_inputs(|| (support::routes(ROUTES), support::arp(ARP)))
        .bench_local_values(|(routes, arp)| {
            support::snapshot(0, routes, arp, support::sessions(1, 1, 0))
        });
}

#[divan::bench(sample_count = 10)]
fn serialise_snapshot_200k_routes_100k_arp(bencher: divan::Bencher<'_, '_>) {
    let (pre, _) = pair();
    bencher.bench_local(|| serde_json::to_vec(divan::black_box(&pre)).map(|v| v.len()));
}

#[divan::bench(sample_count = 10)]
fn deserialise_snapshot_200k_routes_100k_arp(bencher: divan::Bencher<'_, '_>) {
    let (pre, _) = pair();
    let json = serde_json::to_vec(&pre).unwrap();
    bencher.bench_local(|| serde_json::from_slice::<Snapshot>(divan::black_box(&json)).is_ok());
}
