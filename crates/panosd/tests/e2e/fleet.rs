//! Many devices at once: 50 workers over a generated fleet, every job completes, and the
//! simulator never sees more requests than the configured rate (its own limiter, set a little
//! above the daemon's, answers 429 to any excess, and none is seen).

use panos_queue::{JobKind, JobOutcome};
use panos_sim::{FleetShape, OverLimit, RateLimit, ResponseKind, generate_fleet};

use crate::common::{Lab, wait_for};

async fn fleet_run(devices: usize) {
    let rate = 400;
    let mut fleet = generate_fleet(&FleetShape {
        devices,
        ha_pairs: 0,
        seed: 11,
    });
    for device in &mut fleet.devices {
        device.sw_version = "10.1.9".to_owned();
        device.downloaded.clear();
    }
    let lab = Lab::start_with(fleet.devices, |c| {
        c.workers.max = 50;
        c.panorama.rate_limit_per_second = rate;
        c.panorama.rate_limit_burst = 20;
        c.panorama.max_in_flight = 5;
    })
    .await;
    lab.sim.set_rate_limit(RateLimit {
        max_concurrent: Some(5),
        max_per_second: Some(f64::from(rate) * 1.25),
        over_limit: OverLimit::HttpStatus { status: 429 },
    });
    let daemon = lab.start_daemon();
    let ids: Vec<_> = lab
        .sim
        .serials()
        .iter()
        .map(|s| lab.submit(JobKind::Standalone, &[s.as_str()]))
        .collect();
    for id in &ids {
        let job = lab.wait_finished(*id, 240).await;
        let result = job.result.expect("result");
        assert_ne!(result.outcome, JobOutcome::Failed, "{result:#?}");
    }
    let counters = lab.sim.counters();
    let limited = counters
        .by_response
        .get(&ResponseKind::RateLimited)
        .copied()
        .unwrap_or(0);
    assert_eq!(
        limited, 0,
        "the simulator saw more than the configured rate: {counters:#?}"
    );
    let status = wait_for(10, "daemon.json", || {
        lab.dir().read_daemon_status().ok().flatten()
    })
    .await;
    assert_eq!(status.workers.configured, 50);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_devices_under_fifty_workers() {
    fleet_run(30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "about a minute: 230 devices at the configured API rate; run with --ignored"]
async fn two_hundred_thirty_devices_under_fifty_workers() {
    fleet_run(230).await;
}
