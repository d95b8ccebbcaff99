//! The validation part: panos-validation's `compare` of 200,000 routes and 100,000 ARP entries
//! per side, the scenario of its divan benchmark (`benches/compare.rs`, same generated tables
//! through the same support module), timed here in the release build; the median of several
//! runs.

use std::time::Instant;

use panos_validation::{Thresholds, compare};
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
    let (pre, post) = support::bench_pair(ROUTES, ARP);
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
