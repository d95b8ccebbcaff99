//! The request log over HTTP: records carry op, target, version, job id and response kind in
//! arrival order; the log is capped while the counters stay exact; reset clears both.

mod common;

use common::*;
use panos_sim::{Op, ResponseKind, SimConfig};

#[tokio::test(start_paused = true)]
async fn records_are_ordered_capped_and_counted_exactly() {
    let mut config = SimConfig::new(example_fleet());
    config.log_capacity = 5;
    let sim = panos_sim::start(config).await.unwrap();
    let api = Api::new(&sim);

    let job = api.download(BRANCH, "10.2.13").await;
    api.job(BRANCH, &job).await;
    api.op(Some(BRANCH), "<show><bogus/></show>").await;
    let no_key = Api::for_base(sim.url(), "wrong".into(), reqwest::Client::builder());
    no_key.system_info(DC_A).await;
    api.op(None, "<show><devices><connected/></devices></show>")
        .await;

    let log = sim.requests();
    assert_eq!(log.len(), 5);
    let download = &log[0];
    assert_eq!(
        (
            download.op,
            download.target.as_deref(),
            download.version.as_deref()
        ),
        (Op::SoftwareDownload, Some(BRANCH), Some("10.2.13"))
    );
    assert_eq!(download.job_id.map(|j| j.to_string()), Some(job.clone()));
    assert_eq!(
        (log[1].op, log[1].job_id.map(|j| j.to_string())),
        (Op::ShowJob, Some(job))
    );
    assert_eq!(
        (log[2].op, log[2].response),
        (Op::Other, ResponseKind::Error { code: Some(17) })
    );
    assert_eq!(
        (log[3].op, log[3].response),
        (Op::ShowSystemInfo, ResponseKind::Forbidden)
    );
    assert_eq!(
        (log[4].op, log[4].target.as_deref()),
        (Op::ShowDevicesConnected, None)
    );
    assert!(
        log.windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].sim_at <= w[1].sim_at)
    );

    for _ in 0..10 {
        api.system_info(LAB_VM).await;
    }
    let c = sim.counters();
    assert_eq!(c.total, 15);
    assert_eq!(
        sim.requests().len(),
        5,
        "the log keeps the newest records only"
    );
    assert_eq!(sim.requests()[0].seq, 10);
    assert_eq!(c.target(LAB_VM), 10);
    assert_eq!(c.target("panorama"), 1);
    assert_eq!(c.op(Op::ShowSystemInfo), 11);
    sim.reset_requests();
    assert_eq!((sim.counters().total, sim.requests().len()), (0, 0));
    sim.shutdown().await;
}
