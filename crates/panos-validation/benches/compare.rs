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

/// The compared pair (see `support::bench_pair`).
fn pair() -> (Snapshot, Snapshot) {
    support::bench_pair(ROUTES, ARP)
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
