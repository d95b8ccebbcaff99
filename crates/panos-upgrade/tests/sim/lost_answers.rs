//! Changing commands whose answer was lost: the engine reads the device before anything else
//! and sends the command once more only when the device shows the first had no effect. The
//! simulator's faults give both sides: a dropped connection answers before the command runs
//! (not applied), a malformed answer is written after it ran (applied, answer unreadable).

use panos_sim::{Fault, FaultRule, Op, RequestRecord, ResponseKind};
use panos_upgrade::{
    Action, DeviceOutcome, DeviceReport, JobOutcome, JobReport, MemorySink, Step, UpgradeFailure,
};

use crate::common::{Lab, firewall, paths, standalone_job};

const SERIAL: &str = "0060A";

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
