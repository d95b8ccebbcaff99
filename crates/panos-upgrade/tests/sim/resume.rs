//! Resumption: the engine is stopped dead at every dangerous point (right after recording an
//! intent, right after a command was accepted but before its job id was recorded, mid-reboot,
//! …), then run again from its last checkpoint, as a restarted daemon would. It must finish
//! the upgrade without sending any download, install, restart, suspend or functional twice.

use panos_sim::Op;
use panos_upgrade::{Action, DeviceOutcome, Event, JobOutcome, Step, UpgradeJob, UpgradePaths};

use crate::common::{
    CrashingSink, Lab, firewall, ha_pair, pair_job, paths, run_until_crash, standalone_job,
};

fn intent_recorded(action: Action) -> impl Fn(&Event) -> bool {
    move |e| {
        matches!(e, Event::Checkpoint(cp)
            if cp.devices.iter().any(|d| d.intent.as_ref().is_some_and(|i| i.action == action)))
    }
}

fn accepted(action: Action) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Audit(a) if a.action == action && a.detail == "accepted")
}

fn entered(step: Step) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Progress(p) if p.step == step)
}

/// Crashes a standalone upgrade where `stop_at` says, resumes it, and checks the result.
async fn crash_and_resume(stop_at: impl Fn(&Event) -> bool + Send + Sync + 'static) {
    let lab = Lab::start(vec![firewall("0030A", "10.1.9")]).await;
    let job = standalone_job("jr", "0030A");
    let paths = paths(r#"{"10.1.9": ["10.2.10"]}"#);
    let first = CrashingSink::new(stop_at);
    let ended = run_until_crash(&lab, &job, &paths, &first, Default::default()).await;
    assert!(
        ended.is_none() && first.fired(),
        "the crash point was reached: {ended:#?}"
    );

    let second = CrashingSink::new(|_| false);
    let report = run_until_crash(&lab, &job, &paths, &second, first.resume_state())
        .await
        .expect("the resumed job ends");
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(report.devices[0].outcome, DeviceOutcome::Upgraded);
    assert_eq!(lab.version_of("0030A"), "10.2.10");
    assert_eq!(
        lab.versions_sent("0030A", Op::SoftwareDownload),
        ["10.2.0", "10.2.10"]
    );
    assert_eq!(lab.versions_sent("0030A", Op::SoftwareInstall), ["10.2.10"]);
    assert_eq!(lab.sent("0030A", Op::Restart).len(), 1);
    // The post-flight comparison still had its baseline.
    assert!(
        second
            .inner
            .events()
            .iter()
            .any(|e| matches!(e, Event::Comparison { .. })),
        "compared against the pre-flight snapshot kept before the crash"
    );
}

#[tokio::test]
async fn crash_after_download_intent() {
    crash_and_resume(intent_recorded(Action::Download)).await;
}

#[tokio::test]
async fn crash_after_download_accepted() {
    crash_and_resume(accepted(Action::Download)).await;
}

#[tokio::test]
async fn crash_after_install_intent() {
    crash_and_resume(intent_recorded(Action::Install)).await;
}

#[tokio::test]
async fn crash_after_install_accepted() {
    crash_and_resume(accepted(Action::Install)).await;
}

#[tokio::test]
async fn crash_after_restart_intent() {
    crash_and_resume(intent_recorded(Action::Restart)).await;
}

#[tokio::test]
async fn crash_after_restart_accepted() {
    crash_and_resume(accepted(Action::Restart)).await;
}

#[tokio::test]
async fn crash_while_waiting_for_the_reboot() {
    crash_and_resume(entered(Step::WaitReboot)).await;
}

#[tokio::test]
async fn crash_while_waiting_for_chassis_ready() {
    crash_and_resume(entered(Step::WaitReady)).await;
}

#[tokio::test]
async fn crash_during_postflight() {
    crash_and_resume(entered(Step::Postflight)).await;
}

async fn crash_pair(stop_at: impl Fn(&Event) -> bool + Send + Sync + 'static) {
    let lab = Lab::start(ha_pair("0031A", "0031B", "10.2.9")).await;
    let job: UpgradeJob = pair_job("jp", "0031A", "0031B");
    let paths: UpgradePaths = paths(r#"{"10.2.9": ["10.2.10"]}"#);
    let first = CrashingSink::new(stop_at);
    let ended = run_until_crash(&lab, &job, &paths, &first, Default::default()).await;
    assert!(ended.is_none(), "the crash point was reached: {ended:#?}");
    let second = CrashingSink::new(|_| false);
    let report = run_until_crash(&lab, &job, &paths, &second, first.resume_state())
        .await
        .expect("ends");
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    for serial in ["0031A", "0031B"] {
        assert_eq!(lab.version_of(serial), "10.2.10");
        assert_eq!(lab.versions_sent(serial, Op::SoftwareDownload), ["10.2.10"]);
        assert_eq!(lab.versions_sent(serial, Op::SoftwareInstall), ["10.2.10"]);
        assert_eq!(
            lab.sent(serial, Op::Restart).len(),
            1,
            "{serial} restarted once"
        );
    }
    assert_eq!(lab.sent("0031A", Op::HaSuspend).len(), 1);
    assert_eq!(lab.sent("0031A", Op::HaFunctional).len(), 1);
}

/// The `n`th event (from 1) that `pick` matches.
fn nth(n: usize, pick: impl Fn(&Event) -> bool) -> impl Fn(&Event) -> bool {
    let seen = std::sync::atomic::AtomicUsize::new(0);
    move |e| pick(e) && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == n
}

// The members download at once: a crash while the second member's download starts, with the
// first one's running, resumes both without sending either again.
#[tokio::test]
async fn pair_crash_after_the_second_download_intent() {
    let first_accepted = std::sync::atomic::AtomicBool::new(false);
    let download_accepted = accepted(Action::Download);
    let download_intent = intent_recorded(Action::Download);
    crash_pair(move |e| {
        if download_accepted(e) {
            first_accepted.store(true, std::sync::atomic::Ordering::SeqCst);
            return false;
        }
        first_accepted.load(std::sync::atomic::Ordering::SeqCst) && download_intent(e)
    })
    .await;
}

#[tokio::test]
async fn pair_crash_after_the_second_download_accepted() {
    crash_pair(nth(2, accepted(Action::Download))).await;
}

#[tokio::test]
async fn pair_crash_after_the_first_members_restart() {
    crash_pair(accepted(Action::Restart)).await;
}

#[tokio::test]
async fn pair_crash_after_the_failover_suspend() {
    crash_pair(accepted(Action::Suspend)).await;
}

#[tokio::test]
async fn pair_crash_before_the_functional() {
    crash_pair(intent_recorded(Action::Functional)).await;
}

/// The daemon stopped right after the device accepted the restart (its answer not recorded),
/// and stayed down while the device rebooted and came back on its old version. The resumed
/// job must see from the uptime that the restart happened, and fail without restarting the
/// device a second time.
#[tokio::test]
async fn resumed_after_a_reboot_nobody_watched() {
    let lab = Lab::start(vec![firewall("0032A", "10.2.9")]).await;
    lab.sim
        .inject_fault(
            "0032A",
            panos_sim::FaultRule::always(panos_sim::Fault::ReturnsOnOldVersion),
        )
        .expect("inject");
    let job = standalone_job("ju", "0032A");
    let paths = paths(r#"{"10.2.9": ["10.2.10"]}"#);
    let first = CrashingSink::new(accepted(Action::Restart));
    let ended = run_until_crash(&lab, &job, &paths, &first, Default::default()).await;
    assert!(ended.is_none(), "the crash point was reached: {ended:#?}");
    let resume = first.resume_state();
    let device = &resume.checkpoint.as_ref().expect("a checkpoint").devices[0];
    assert!(
        !device.restart_sent && device.restart_at.is_some(),
        "the restart is recorded as intended, not as sent: {device:#?}"
    );
    // No daemon for a while: at the lab's scale, one real second is over half an hour of
    // the device's time, enough to shut down, reboot (on its old version) and be ready.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let second = CrashingSink::new(|_| false);
    let report = run_until_crash(&lab, &job, &paths, &second, resume)
        .await
        .expect("the resumed job ends");
    assert_eq!(report.outcome, JobOutcome::Failed, "{report:#?}");
    let DeviceOutcome::Failed { failure } = &report.devices[0].outcome else {
        panic!("expected a failure: {report:#?}");
    };
    assert!(failure.message.contains("came back on 10.2.9"), "{failure}");
    assert_eq!(
        lab.sent("0032A", Op::Restart).len(),
        1,
        "the device was restarted once"
    );
}
