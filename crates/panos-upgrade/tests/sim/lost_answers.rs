//! Changing commands whose answer was lost: the engine reads the device before anything else
//! and sends the command once more only when the device shows the first had no effect. The
//! simulator's faults give both sides: a dropped connection answers before the command runs
//! (not applied), a malformed answer is written after it ran (applied, answer unreadable).

use panos_sim::{Fault, FaultRule, Op, RequestRecord, ResponseKind};
use panos_upgrade::{
    Action, DeviceOutcome, DeviceReport, JobOutcome, JobReport, MemorySink, Step, UpgradeFailure,
};

use crate::common::{Lab, firewall, ha_pair, pair_job, paths, standalone_job};

const SERIAL: &str = "0060A";
const ACTIVE: &str = "0061A";
const PASSIVE: &str = "0061B";

async fn standalone_with(rule: FaultRule) -> (Lab, JobReport, MemorySink) {
    let lab = Lab::start(vec![firewall(SERIAL, "10.2.9")]).await;
    lab.sim.inject_fault(SERIAL, rule).expect("inject");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("jl", SERIAL),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    (lab, report, sink)
}

/// An HA pair job with `rule` injected on `serial`.
async fn pair_with(
    serial: &str,
    rule: FaultRule,
    suspend_passive_first: bool,
) -> (Lab, JobReport, MemorySink) {
    let lab = Lab::start(ha_pair(ACTIVE, PASSIVE, "10.2.9")).await;
    lab.sim.inject_fault(serial, rule).expect("inject");
    let mut job = pair_job("jp", ACTIVE, PASSIVE);
    job.options.suspend_passive_first = suspend_passive_first;
    let sink = MemorySink::default();
    let report = lab
        .run(&job, &paths(r#"{"10.2.9": ["10.2.10"]}"#), &sink)
        .await;
    (lab, report, sink)
}

fn responses(records: &[RequestRecord]) -> Vec<ResponseKind> {
    records.iter().map(|r| r.response).collect()
}

fn device<'a>(report: &'a JobReport, serial: &str) -> &'a DeviceReport {
    report
        .devices
        .iter()
        .find(|d| d.serial.as_str() == serial)
        .expect("device in the report")
}

fn failure<'a>(report: &'a JobReport, serial: &str) -> &'a UpgradeFailure {
    match &device(report, serial).outcome {
        DeviceOutcome::Failed { failure } => failure,
        other => panic!("expected a failure of {serial}, got {other:?}"),
    }
}

/// Restart audit records of `sink`, as their details.
fn restart_audits(sink: &MemorySink) -> Vec<String> {
    sink.audits()
        .into_iter()
        .filter(|a| a.action == Action::Restart)
        .map(|a| a.detail)
        .collect()
}

/// The pair went passive first: the passive member's restart comes before anything
/// disruptive reaches the active member.
fn passive_went_first(lab: &Lab) {
    let log = lab.sim.requests();
    let passive_restart = log
        .iter()
        .position(|r| r.target.as_deref() == Some(PASSIVE) && r.op == Op::Restart)
        .expect("the passive member restarted");
    let first_on_active = log
        .iter()
        .position(|r| {
            r.target.as_deref() == Some(ACTIVE)
                && matches!(
                    r.op,
                    Op::SoftwareInstall | Op::Restart | Op::HaSuspend | Op::HaFunctional
                )
        })
        .expect("the active member was upgraded");
    assert!(
        passive_restart < first_on_active,
        "the passive member goes first"
    );
}

/// Both members upgraded, each restarted once, the pair settled.
fn pair_upgraded(lab: &Lab, report: &JobReport) {
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    for serial in [ACTIVE, PASSIVE] {
        assert_eq!(device(report, serial).outcome, DeviceOutcome::Upgraded);
        assert_eq!(lab.version_of(serial), "10.2.10");
        assert_eq!(
            responses(&lab.sent(serial, Op::Restart)),
            [ResponseKind::Ok],
            "{serial} restarted once"
        );
    }
    let a = lab.sim.device(ACTIVE).unwrap().ha.unwrap();
    let b = lab.sim.device(PASSIVE).unwrap().ha.unwrap();
    assert_ne!(a.state, b.state);
    assert_eq!(a.running_sync, "synchronized");
    passive_went_first(lab);
}

#[tokio::test]
async fn a_restart_lost_before_it_ran_is_sent_once_more() {
    let (lab, report, sink) =
        standalone_with(FaultRule::times(Fault::DropConnection, 1).on(Op::Restart)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
    // The dropped restart never ran; the second one is the only one that took effect.
    assert_eq!(
        responses(&lab.sent(SERIAL, Op::Restart)),
        [ResponseKind::Dropped, ResponseKind::Ok]
    );
    let audits = restart_audits(&sink);
    assert_eq!(audits.len(), 2, "{audits:?}");
    assert!(audits[1].starts_with("accepted"), "{audits:?}");
    assert!(audits[1].contains("sent again"), "{audits:?}");
}

#[tokio::test]
async fn a_restart_that_ran_but_whose_answer_was_garbled_is_not_sent_again() {
    let (lab, report, sink) =
        standalone_with(FaultRule::times(Fault::MalformedXml, 1).on(Op::Restart)).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of(SERIAL), "10.2.10");
    assert_eq!(
        responses(&lab.sent(SERIAL, Op::Restart)),
        [ResponseKind::Malformed]
    );
    assert_eq!(restart_audits(&sink).len(), 1);
}

#[tokio::test]
async fn a_restart_lost_twice_is_not_sent_a_third_time_and_the_failure_says_so() {
    let (lab, report, _sink) =
        standalone_with(FaultRule::times(Fault::DropConnection, 2).on(Op::Restart)).await;
    let failure = failure(&report, SERIAL);
    assert_eq!(failure.step, Step::WaitReboot);
    assert!(!failure.message.contains("accepted"), "{failure}");
    assert!(failure.message.contains("twice"), "{failure}");
    assert!(failure.message.contains("10.2.9"), "{failure}");
    assert!(failure.manual_action.contains("by hand"), "{failure}");
    assert_eq!(
        responses(&lab.sent(SERIAL, Op::Restart)),
        [ResponseKind::Dropped, ResponseKind::Dropped]
    );
    assert_eq!(lab.version_of(SERIAL), "10.2.9");
}

#[tokio::test]
async fn a_lost_failover_suspend_that_did_not_run_is_sent_once_more() {
    let (lab, report, _sink) = pair_with(
        ACTIVE,
        FaultRule::times(Fault::DropConnection, 1).on(Op::HaSuspend),
        false,
    )
    .await;
    pair_upgraded(&lab, &report);
    assert_eq!(
        responses(&lab.sent(ACTIVE, Op::HaSuspend)),
        [ResponseKind::Dropped, ResponseKind::Ok]
    );
    assert_eq!(lab.sent(ACTIVE, Op::HaFunctional).len(), 1);
    assert!(lab.sent(PASSIVE, Op::HaSuspend).is_empty());
}

#[tokio::test]
async fn a_lost_suspend_of_the_passive_member_that_did_not_run_is_sent_once_more() {
    let (lab, report, _sink) = pair_with(
        PASSIVE,
        FaultRule::times(Fault::DropConnection, 1).on(Op::HaSuspend),
        true,
    )
    .await;
    pair_upgraded(&lab, &report);
    assert_eq!(
        responses(&lab.sent(PASSIVE, Op::HaSuspend)),
        [ResponseKind::Dropped, ResponseKind::Ok]
    );
    assert_eq!(
        responses(&lab.sent(ACTIVE, Op::HaSuspend)),
        [ResponseKind::Ok]
    );
    // The passive member was suspended before its install, and made functional after.
    let log = lab.sim.requests();
    let at = |op: Op| {
        log.iter()
            .position(|r| r.target.as_deref() == Some(PASSIVE) && r.op == op)
            .expect("sent")
    };
    assert!(at(Op::HaSuspend) < at(Op::SoftwareInstall));
    assert!(at(Op::SoftwareInstall) < at(Op::HaFunctional));
}

#[tokio::test]
async fn a_suspend_that_ran_but_whose_answer_was_garbled_is_not_sent_again() {
    let (lab, report, _sink) = pair_with(
        ACTIVE,
        FaultRule::times(Fault::MalformedXml, 1).on(Op::HaSuspend),
        false,
    )
    .await;
    pair_upgraded(&lab, &report);
    assert_eq!(
        responses(&lab.sent(ACTIVE, Op::HaSuspend)),
        [ResponseKind::Malformed]
    );
}

#[tokio::test]
async fn a_lost_functional_that_did_not_run_is_sent_once_more() {
    let (lab, report, _sink) = pair_with(
        ACTIVE,
        FaultRule::times(Fault::DropConnection, 1).on(Op::HaFunctional),
        false,
    )
    .await;
    pair_upgraded(&lab, &report);
    assert_eq!(
        responses(&lab.sent(ACTIVE, Op::HaFunctional)),
        [ResponseKind::Dropped, ResponseKind::Ok]
    );
}

#[tokio::test]
async fn a_failover_suspend_lost_twice_fails_saying_where_the_pair_stands() {
    let (lab, report, _sink) = pair_with(
        ACTIVE,
        FaultRule::times(Fault::DropConnection, 2).on(Op::HaSuspend),
        false,
    )
    .await;
    assert_eq!(report.outcome, JobOutcome::Failed, "{report:#?}");
    let failure = failure(&report, ACTIVE);
    assert_eq!(failure.step, Step::Suspend);
    let action = &failure.manual_action;
    assert!(action.contains("two versions"), "{failure}");
    assert!(
        action.contains(&format!("{PASSIVE} is on 10.2.10")),
        "{failure}"
    );
    assert!(action.contains(&format!("{ACTIVE} on 10.2.9")), "{failure}");
    assert!(!action.contains("panorama.url"), "{failure}");
    assert_eq!(device(&report, PASSIVE).outcome, DeviceOutcome::Upgraded);
    assert_eq!(
        responses(&lab.sent(ACTIVE, Op::HaSuspend)),
        [ResponseKind::Dropped, ResponseKind::Dropped]
    );
    assert!(lab.sent(ACTIVE, Op::SoftwareInstall).is_empty());
    assert!(lab.sent(ACTIVE, Op::Restart).is_empty());
    assert_eq!(lab.version_of(ACTIVE), "10.2.9");
}
