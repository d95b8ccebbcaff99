//! Cancellation: during a download, during an install, during a reboot, and between the
//! members of an HA pair. Each ends `cancelled` at a recorded point with what is left to do.

use panos_sim::Op;
use panos_upgrade::{
    Action, DeviceOutcome, Event, JobOutcome, JobReport, MemorySink, ProgressSink, ResumeState,
    Step, UpgradeJob, run_job,
};
use tokio_util::sync::CancellationToken;

use crate::common::{Lab, engine_config, firewall, ha_pair, pair_job, paths, standalone_job};

/// Cancels the job's token at the first event `when` matches.
struct CancelAt<F> {
    inner: MemorySink,
    when: F,
    token: CancellationToken,
}

impl<F: Fn(&Event) -> bool + Send + Sync> ProgressSink for CancelAt<F> {
    async fn emit(&self, event: Event) {
        if (self.when)(&event) {
            self.token.cancel();
        }
        self.inner.emit(event).await;
    }
}

async fn run_cancelled(
    lab: &Lab,
    job: &UpgradeJob,
    paths_json: &str,
    when: impl Fn(&Event) -> bool + Send + Sync,
) -> JobReport {
    let token = CancellationToken::new();
    let sink = CancelAt {
        inner: MemorySink::default(),
        when,
        token: token.clone(),
    };
    run_job(
        &lab.client,
        &sink,
        &engine_config(),
        &paths(paths_json),
        job,
        ResumeState::default(),
        token,
    )
    .await
}

fn manual_action(report: &JobReport, k: usize) -> String {
    match &report.devices[k].outcome {
        DeviceOutcome::Cancelled { manual_action } => manual_action.clone().unwrap_or_default(),
        other => panic!("expected cancelled, got {other:?}"),
    }
}

#[tokio::test]
async fn cancel_during_download_stops_before_install() {
    let lab = Lab::start(vec![firewall("0040A", "10.2.9")]).await;
    let report = run_cancelled(
        &lab,
        &standalone_job("jc1", "0040A"),
        r#"{"10.2.9": ["10.2.10"]}"#,
        |e| matches!(e, Event::Audit(a) if a.action == Action::Download),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Cancelled, "{report:#?}");
    assert!(manual_action(&report, 0).contains("download"));
    assert!(lab.sent("0040A", Op::SoftwareInstall).is_empty());
}

#[tokio::test]
async fn cancel_during_install_says_what_the_device_will_do() {
    let lab = Lab::start(vec![firewall("0041A", "10.2.9")]).await;
    let report = run_cancelled(
        &lab,
        &standalone_job("jc2", "0041A"),
        r#"{"10.2.9": ["10.2.10"]}"#,
        |e| matches!(e, Event::Audit(a) if a.action == Action::Install),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Cancelled, "{report:#?}");
    let action = manual_action(&report, 0);
    assert!(
        action.contains("install job") && action.contains("next reboot"),
        "{action}"
    );
    assert!(
        lab.sent("0041A", Op::Restart).is_empty(),
        "no restart after a cancel"
    );
}

#[tokio::test]
async fn cancel_during_reboot_waits_for_the_device_to_come_back() {
    let lab = Lab::start(vec![firewall("0042A", "10.2.9")]).await;
    let report = run_cancelled(
        &lab,
        &standalone_job("jc3", "0042A"),
        r#"{"10.2.9": ["10.2.10"]}"#,
        |e| matches!(e, Event::Progress(p) if p.step == Step::WaitReboot),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Cancelled, "{report:#?}");
    assert!(manual_action(&report, 0).contains("came back on 10.2.10"));
    let device = lab.sim.device("0042A").unwrap();
    assert!(!device.rebooting && device.connected, "left only once back");
    assert_eq!(device.sw_version, "10.2.10");
}

#[tokio::test]
async fn cancel_between_members_leaves_the_second_untouched() {
    let lab = Lab::start(ha_pair("0043A", "0043B", "10.2.9")).await;
    // 0043B is passive, so it goes first; cancel once it is done.
    let report = run_cancelled(
        &lab,
        &pair_job("jc4", "0043A", "0043B"),
        r#"{"10.2.9": ["10.2.10"]}"#,
        |e| matches!(e, Event::Checkpoint(cp) if cp.ha.as_ref().is_some_and(|h| h.phase == panos_upgrade::event::HaPhase::Failover)),
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Cancelled, "{report:#?}");
    assert_eq!(lab.version_of("0043B"), "10.2.10");
    assert_eq!(lab.version_of("0043A"), "10.2.9");
    let a = report
        .devices
        .iter()
        .position(|d| d.serial.as_str() == "0043A")
        .unwrap();
    assert!(manual_action(&report, a).contains("different versions"));
    assert!(lab.sent("0043A", Op::SoftwareInstall).is_empty());
    assert!(lab.sent("0043A", Op::HaSuspend).is_empty());
}
