//! HA pairs: the passive member first, the active one only after the first is back and the
//! pair is settled; suspend and functional sent; a failure on the first member leaves the
//! second untouched. Order is proven from the simulator's request log.

use panos_sim::{Fault, FaultRule, Op, RequestRecord};
use panos_upgrade::{DeviceOutcome, JobOutcome, MemorySink, Step};

use crate::common::{Lab, ha_pair, pair_job, paths};

const ACTIVE: &str = "0020A";
const PASSIVE: &str = "0020B";

fn index_of(log: &[RequestRecord], pick: impl Fn(&RequestRecord) -> bool) -> Vec<usize> {
    log.iter()
        .enumerate()
        .filter(|(_, r)| pick(r))
        .map(|(i, _)| i)
        .collect()
}

fn is(r: &RequestRecord, serial: &str, op: Op) -> bool {
    r.target.as_deref() == Some(serial) && r.op == op
}

fn disruptive(op: Op) -> bool {
    matches!(
        op,
        Op::SoftwareInstall | Op::Restart | Op::HaSuspend | Op::HaFunctional
    )
}

#[tokio::test]
async fn passive_first_then_failover_then_the_former_active() {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    let sink = MemorySink::default();
    // The job names the active member first: roles come from the devices, not the job.
    let report = lab
        .run(
            &pair_job("jh", ACTIVE, PASSIVE),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert!(
        report
            .devices
            .iter()
            .all(|d| d.outcome == DeviceOutcome::Upgraded)
    );
    assert_eq!(lab.version_of(ACTIVE), "10.2.10");
    assert_eq!(lab.version_of(PASSIVE), "10.2.10");

    let log = lab.sim.requests();
    // Images on both members before any install.
    let downloads = index_of(&log, |r| r.op == Op::SoftwareDownload);
    let installs = index_of(&log, |r| r.op == Op::SoftwareInstall);
    assert!(
        downloads.iter().max() < installs.iter().min(),
        "download both first"
    );
    for serial in [ACTIVE, PASSIVE] {
        assert!(log.iter().any(|r| is(r, serial, Op::SoftwareDownload)));
    }
    // At once: the second download is sent before the first one is polled (each member
    // downloads its one image once), and the passive member's goes first.
    assert_eq!(downloads.len(), 2, "one download per member");
    assert_eq!(log[downloads[0]].target.as_deref(), Some(PASSIVE));
    assert!(
        !log[downloads[0]..downloads[1]]
            .iter()
            .any(|r| r.op == Op::ShowJob),
        "the second member's download waited for the first"
    );

    // The passive member is restarted, comes back and is checked for a settled pair before
    // anything disruptive reaches the active member.
    let passive_restart = index_of(&log, |r| is(r, PASSIVE, Op::Restart));
    assert_eq!(passive_restart.len(), 1);
    let first_active_disruption = index_of(&log, |r| {
        r.target.as_deref() == Some(ACTIVE) && disruptive(r.op)
    })[0];
    assert!(passive_restart[0] < first_active_disruption);
    let settle_checks = index_of(&log, |r| is(r, PASSIVE, Op::ShowHaState));
    assert!(
        settle_checks
            .iter()
            .any(|&i| i > passive_restart[0] && i < first_active_disruption),
        "the pair was checked between the passive's reboot and touching the active"
    );
    // Failover: the active member is suspended first, and made functional after its reboot.
    assert_eq!(log[first_active_disruption].op, Op::HaSuspend);
    let active_restart = index_of(&log, |r| is(r, ACTIVE, Op::Restart));
    let active_functional = index_of(&log, |r| is(r, ACTIVE, Op::HaFunctional));
    assert_eq!(active_restart.len(), 1);
    assert_eq!(active_functional.len(), 1);
    assert!(active_functional[0] > active_restart[0]);
    // Never both members restarting at once: the active's restart comes after the passive
    // answered again on its new version.
    let passive_back = index_of(&log, |r| {
        is(r, PASSIVE, Op::ShowSystemInfo) && r.response == panos_sim::ResponseKind::Ok
    });
    assert!(
        passive_back
            .iter()
            .any(|&i| i > passive_restart[0] && i < active_restart[0])
    );

    // The pair ends settled: one active, one passive, synchronized.
    let a = lab.sim.device(ACTIVE).unwrap().ha.unwrap();
    let b = lab.sim.device(PASSIVE).unwrap().ha.unwrap();
    assert_ne!(a.state, b.state);
    assert_eq!(a.running_sync, "synchronized");
}

#[tokio::test]
async fn suspend_passive_first_sends_suspend_and_functional_to_it() {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    let sink = MemorySink::default();
    let mut job = pair_job("js", ACTIVE, PASSIVE);
    job.options.suspend_passive_first = true;
    let report = lab
        .run(&job, &paths(r#"{"10.2.9": ["10.2.10"]}"#), &sink)
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    let log = lab.sim.requests();
    let suspend = index_of(&log, |r| is(r, PASSIVE, Op::HaSuspend));
    let install = index_of(&log, |r| is(r, PASSIVE, Op::SoftwareInstall));
    let functional = index_of(&log, |r| is(r, PASSIVE, Op::HaFunctional));
    assert_eq!((suspend.len(), functional.len()), (1, 1));
    assert!(suspend[0] < install[0] && install[0] < functional[0]);
}

#[tokio::test]
async fn failure_on_the_first_member_leaves_the_second_untouched() {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    lab.sim
        .inject_fault(
            PASSIVE,
            FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareInstall),
        )
        .expect("inject");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &pair_job("jf", ACTIVE, PASSIVE),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Failed);
    let passive = report
        .devices
        .iter()
        .find(|d| d.serial.as_str() == PASSIVE)
        .unwrap();
    let active = report
        .devices
        .iter()
        .find(|d| d.serial.as_str() == ACTIVE)
        .unwrap();
    assert!(
        matches!(&passive.outcome, DeviceOutcome::Failed { failure } if failure.step == Step::Install)
    );
    assert!(
        matches!(&active.outcome, DeviceOutcome::Skipped { reason } if reason.contains("not touched")),
        "{:?}",
        active.outcome
    );
    let log = lab.sim.requests();
    assert!(
        !log.iter()
            .any(|r| r.target.as_deref() == Some(ACTIVE) && disruptive(r.op)),
        "nothing disruptive reached the active member"
    );
    assert_eq!(lab.version_of(ACTIVE), "10.2.9");
}

#[tokio::test]
async fn a_pair_that_never_synchronizes_stops_after_the_first_member() {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    lab.sim
        .inject_fault(PASSIVE, FaultRule::always(Fault::HaOutOfSync))
        .expect("inject");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &pair_job("jo", ACTIVE, PASSIVE),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Failed, "{report:#?}");
    let log = lab.sim.requests();
    assert!(
        !log.iter()
            .any(|r| r.target.as_deref() == Some(ACTIVE) && disruptive(r.op))
    );
}

#[tokio::test]
async fn a_pair_not_active_passive_is_refused_before_anything_is_sent() {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    // Someone suspended the passive member: no healthy standby to upgrade first.
    use panos_client::PanosApi;
    lab.client
        .ha_suspend(&PASSIVE.parse().unwrap())
        .await
        .expect("suspend");
    lab.sim.reset_requests();
    let sink = MemorySink::default();
    let report = lab
        .run(
            &pair_job("jr", ACTIVE, PASSIVE),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Failed, "{report:#?}");
    assert!(lab.changing_requests().is_empty());
}
