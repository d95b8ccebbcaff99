//! Each simulator fault ends in the right outcome, with a clear error naming the step, and
//! nothing dangerous sent twice.

use panos_sim::{Fault, FaultRule, Op};
use panos_upgrade::{DeviceOutcome, JobOutcome, JobReport, MemorySink, PostflightPolicy, Step};

use crate::common::{Lab, firewall, paths, standalone_job};

const SERIAL: &str = "0010A";

async fn run_with(rule: FaultRule) -> (Lab, JobReport) {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim.inject_fault(SERIAL, rule).expect("inject");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("jf", SERIAL),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    (lab, report)
}

fn failure(report: &JobReport) -> &panos_upgrade::UpgradeFailure {
    match &report.devices[0].outcome {
        DeviceOutcome::Failed { failure } => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn failed_download_job_stops_before_install() {
    let (lab, report) =
        run_with(FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareDownload)).await;
    assert_eq!(report.outcome, JobOutcome::Failed);
    let failure = failure(&report);
    assert_eq!(failure.step, Step::Download);
    assert!(failure.panorama_message.is_some(), "{failure}");
    assert!(failure.to_string().contains(SERIAL));
    assert!(lab.sent(SERIAL, Op::SoftwareInstall).is_empty());
    assert!(lab.sent(SERIAL, Op::Restart).is_empty());
}

#[tokio::test]
async fn failed_install_job_stops_before_restart() {
    let (lab, report) = run_with(FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareInstall)).await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::Install);
    assert!(failure.manual_action.contains("old version"), "{failure}");
    assert!(lab.sent(SERIAL, Op::Restart).is_empty());
    assert_eq!(lab.version_of(SERIAL), "10.2.9");
}

#[tokio::test]
async fn busy_software_manager_is_retried_then_succeeds() {
    let (lab, report) = run_with(FaultRule::times(Fault::SoftwareManagerBusy, 2)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
    // Two refused installs, then the one that worked; one restart.
    assert_eq!(lab.versions_sent(SERIAL, Op::SoftwareInstall).len(), 3);
    assert_eq!(lab.sent(SERIAL, Op::Restart).len(), 1);
}

#[tokio::test]
async fn device_that_never_returns_fails_with_a_manual_action() {
    let (lab, report) = run_with(FaultRule::always(Fault::RebootNeverReturns)).await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::WaitReboot);
    assert!(failure.manual_action.contains("console"), "{failure}");
    assert_eq!(
        lab.sent(SERIAL, Op::Restart).len(),
        1,
        "the restart is never re-sent"
    );
}

#[tokio::test]
async fn device_back_on_the_old_version_fails() {
    let (lab, report) = run_with(FaultRule::always(Fault::ReturnsOnOldVersion)).await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::WaitReboot);
    assert!(failure.message.contains("came back on 10.2.9"), "{failure}");
    assert_eq!(lab.sent(SERIAL, Op::Restart).len(), 1);
}

#[tokio::test]
async fn lost_routes_fail_the_postflight_comparison() {
    let (lab, report) = run_with(FaultRule::always(Fault::RoutesLost { count: 5 })).await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::Postflight);
    assert!(failure.message.contains("comparison failed"), "{failure}");
    // The device did upgrade; the failure says how to roll back.
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
    assert!(failure.manual_action.contains("10.2.9"), "{failure}");
}

#[tokio::test]
async fn session_drop_fails_the_postflight_comparison() {
    let (_lab, report) = run_with(FaultRule::always(Fault::SessionDrop { percent: 60 })).await;
    assert_eq!(failure(&report).step, Step::Postflight);
}

#[tokio::test]
async fn postflight_warn_policy_completes_with_warnings() {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim
        .inject_fault(SERIAL, FaultRule::always(Fault::ArpLost { count: 15 }))
        .expect("inject");
    let mut job = standalone_job("jw", SERIAL);
    job.options.postflight_failure = Some(PostflightPolicy::Warn);
    let sink = MemorySink::default();
    let report = lab
        .run(&job, &paths(r#"{"10.2.9": ["10.2.10"]}"#), &sink)
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert!(
        report.devices[0]
            .warnings
            .iter()
            .any(|w| w.contains("post-flight")),
        "{:?}",
        report.devices[0].warnings
    );
}

#[tokio::test]
async fn stalled_download_times_out() {
    let (lab, report) = run_with(FaultRule::always(Fault::DownloadStall { at_percent: 40 })).await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::Download);
    assert!(failure.message.contains("did not finish"), "{failure}");
    assert!(lab.sent(SERIAL, Op::SoftwareInstall).is_empty());
}

#[tokio::test]
async fn unreachable_update_server_falls_back_to_the_known_catalog() {
    let (lab, report) = run_with(FaultRule::always(Fault::UpdateServerUnreachable)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
}

#[tokio::test]
async fn transient_errors_on_reads_are_ridden_out() {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    for rule in [
        FaultRule::times(Fault::HttpStatus { status: 502 }, 2).on(Op::ShowSystemInfo),
        FaultRule::times(
            Fault::ApiError {
                code: 22,
                message: "Session timed out".into(),
            },
            2,
        )
        .on(Op::ShowJob),
        FaultRule::times(Fault::MalformedXml, 1).on(Op::SoftwareInfo),
    ] {
        lab.sim.inject_fault(SERIAL, rule).expect("inject");
    }
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("jt", SERIAL),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.versions_sent(SERIAL, Op::SoftwareInstall), ["10.2.10"]);
}

#[tokio::test]
async fn a_lost_answer_to_install_is_reconciled_not_duplicated() {
    let (lab, report) =
        run_with(FaultRule::times(Fault::DropConnection, 1).on(Op::SoftwareInstall)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    // The dropped request created nothing; exactly one install job was accepted.
    assert_eq!(lab.versions_sent(SERIAL, Op::SoftwareInstall), ["10.2.10"]);
    let installs = lab
        .sim
        .device(SERIAL)
        .unwrap()
        .jobs
        .iter()
        .filter(|j| j.kind == "SWInstall")
        .count();
    assert_eq!(installs, 1);
}

#[tokio::test]
async fn short_disk_blocks_before_anything_is_sent() {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim
        .edit_device(SERIAL, |d| d.set_free_disk_mb(100))
        .expect("edit");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("jd", SERIAL),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    let failure = failure(&report);
    assert_eq!(failure.step, Step::Preflight);
    assert!(failure.message.contains("readiness"), "{failure}");
    assert!(lab.changing_requests().is_empty());
}

/// Restores the device's tables when the engine says it waits for routing to settle, as
/// dynamic routes returning a little after the reboot would.
struct RoutesComeBack {
    inner: MemorySink,
    sim: panos_sim::SimHandle,
}

impl panos_upgrade::ProgressSink for RoutesComeBack {
    async fn emit(&self, event: panos_upgrade::Event) {
        if let panos_upgrade::Event::Progress(p) = &event
            && p.message.contains("settle")
        {
            self.sim
                .edit_device(SERIAL, |d| d.set_tables(40, 20))
                .expect("edit");
        }
        self.inner.emit(event).await;
    }
}

#[tokio::test]
async fn routes_that_return_after_the_reboot_pass_on_the_second_look() {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim
        .inject_fault(SERIAL, FaultRule::always(Fault::RoutesLost { count: 5 }))
        .expect("inject");
    let sink = RoutesComeBack {
        inner: MemorySink::default(),
        sim: lab.sim.clone(),
    };
    let report = panos_upgrade::run_job(
        &lab.client,
        &sink,
        &crate::common::engine_config(),
        &paths(r#"{"10.2.9": ["10.2.10"]}"#),
        &standalone_job("js", SERIAL),
        Default::default(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    let comparisons: Vec<_> = sink
        .inner
        .events()
        .into_iter()
        .filter_map(|e| match e {
            panos_upgrade::Event::Comparison { report, .. } => Some(report),
            _ => None,
        })
        .collect();
    assert_eq!(
        comparisons.len(),
        1,
        "only the final comparison is reported"
    );
    assert!(comparisons[0].passed(), "{}", comparisons[0].summary());
}

#[tokio::test]
async fn slow_answers_only_slow_the_job() {
    let (lab, report) =
        run_with(FaultRule::times(Fault::Delay { ms: 150 }, 5).on(Op::ShowSystemInfo)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
}

#[tokio::test]
async fn panorama_rejecting_bursts_with_429_loses_nothing_and_duplicates_nothing() {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim.set_rate_limit(panos_sim::RateLimit {
        max_concurrent: Some(2),
        max_per_second: Some(10.0),
        over_limit: panos_sim::OverLimit::HttpStatus { status: 429 },
    });
    // The limiter refills in real time while the engine's clock is scaled: give the engine's
    // pauses their real length (a second), as a 60 s pause has against a live Panorama.
    let mut config = crate::common::engine_config();
    config.timing.busy_retry_secs = 2000;
    config.timing.read_retry_secs = 8000;
    let sink = MemorySink::default();
    let report = panos_upgrade::run_job(
        &lab.client,
        &sink,
        &config,
        &paths(r#"{"10.2.9": ["10.2.10"]}"#),
        &standalone_job("jl", SERIAL),
        Default::default(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.versions_sent(SERIAL, Op::SoftwareInstall), ["10.2.10"]);
    assert_eq!(lab.versions_sent(SERIAL, Op::SoftwareDownload), ["10.2.10"]);
    let restarts_accepted = lab
        .sent(SERIAL, Op::Restart)
        .into_iter()
        .filter(|r| r.response == panos_sim::ResponseKind::Ok)
        .count();
    assert_eq!(restarts_accepted, 1);
    let rejected = lab
        .sim
        .requests()
        .iter()
        .filter(|r| r.response == panos_sim::ResponseKind::RateLimited)
        .count();
    assert!(rejected > 0, "the limiter did reject requests");
}
