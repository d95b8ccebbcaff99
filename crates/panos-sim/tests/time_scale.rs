//! Real-time operation: a large time scale with bounded polling finishes a download quickly in
//! simulated terms, and `skip` jumps simulated time (no wall-clock speed is asserted).

mod common;

use std::time::Duration;

use common::*;
use panos_sim::SimConfig;

#[tokio::test]
async fn a_large_time_scale_and_skip_move_jobs_along() {
    let sim = panos_sim::start(SimConfig::new(example_fleet()).with_time_scale(10_000.0))
        .await
        .unwrap();
    let api = Api::new(&sim);
    assert_eq!(sim.time_scale(), 10_000.0);
    let id = api.download(BRANCH, "10.2.13").await;
    let mut status = String::new();
    for _ in 0..500 {
        status = api
            .job(BRANCH, &id)
            .await
            .text("result/job/status")
            .unwrap_or_default();
        if status == "FIN" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "FIN");

    sim.set_time_scale(1.0);
    let id = api
        .install(BRANCH, "10.2.13")
        .await
        .text("result/job")
        .unwrap();
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/status")
            .as_deref(),
        Some("ACT")
    );
    let before = sim.sim_elapsed();
    sim.skip(Duration::from_secs(601));
    assert!(sim.sim_elapsed() >= before + Duration::from_secs(601));
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    assert_eq!(
        sim.device(BRANCH).unwrap().pending_install.as_deref(),
        Some("10.2.13")
    );
    sim.shutdown().await;
}
