//! Restart times learned by model: a device of a model seen restarting before is left alone
//! until it can be back, then looked at twice, instead of polled every few seconds while it
//! boots; the outcome is the same.

use panos_sim::{Op, RequestRecord};
use panos_upgrade::{
    DeviceOutcome, Event, JobOutcome, LearnedWait, LearnedWaits, MemorySink, ResumeState,
};
use tokio_util::sync::CancellationToken;

use crate::common::{Lab, engine_config, firewall, paths, standalone_job};

/// `serial`'s requests of `op` from its restart to its first chassis-ready question.
fn during_reboot(log: &[RequestRecord], serial: &str, op: Op) -> Vec<RequestRecord> {
    let mine: Vec<&RequestRecord> = log
        .iter()
        .filter(|r| r.target.as_deref() == Some(serial))
        .collect();
    let restart = mine
        .iter()
        .position(|r| r.op == Op::Restart)
        .expect("a restart");
    mine[restart + 1..]
        .iter()
        .take_while(|r| r.op != Op::ChassisReady)
        .filter(|r| r.op == op)
        .map(|r| (*r).clone())
        .collect()
}

/// Upgrades 0001A, then 0002A (PA-VMs on 10.2.9, one hop to 10.2.10) with one `learned`,
/// each to its end with one restart; returns each job's progress messages.
async fn upgrade_both(lab: &Lab, learned: &LearnedWaits) -> [Vec<String>; 2] {
    let paths = paths(r#"{"10.2.9": ["10.2.10"]}"#);
    let mut said = [Vec::new(), Vec::new()];
    for (messages, (id, serial)) in said.iter_mut().zip([("j1", "0001A"), ("j2", "0002A")]) {
        let sink = MemorySink::default();
        let report = panos_upgrade::run_job(
            &lab.client,
            &sink,
            &engine_config(),
            &paths,
            &standalone_job(id, serial),
            ResumeState {
                learned: learned.clone(),
                ..ResumeState::default()
            },
            CancellationToken::new(),
        )
        .await;
        assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
        assert_eq!(report.devices[0].outcome, DeviceOutcome::Upgraded);
        assert_eq!(lab.version_of(serial), "10.2.10");
        assert_eq!(lab.sent(serial, Op::Restart).len(), 1);
        *messages = sink
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Progress(p) => Some(p.message),
                _ => None,
            })
            .collect();
    }
    said
}

#[tokio::test]
async fn a_second_device_of_the_model_is_polled_when_it_can_be_back() {
    let lab = Lab::start(vec![
        firewall("0001A", "10.2.9"),
        firewall("0002A", "10.2.9"),
    ])
    .await;
    let learned = LearnedWaits::default();
    let [first_said, second_said] = upgrade_both(&lab, &learned).await;

    // What the first device showed: the simulated reboot (480 s, after 5 s of shutdown),
    // seen no sooner than it happened (how much later depends on the machine's load), and
    // the wait until chassis ready (at most the simulated minute, as it was seen late).
    let restart = learned
        .shortest("PA-VM", LearnedWait::Restart)
        .expect("learned from the first device");
    assert!(restart.is_finite() && restart >= 485.0, "{restart}");
    let ready = learned
        .shortest("PA-VM", LearnedWait::ChassisReady)
        .expect("learned from the first device");
    assert!(ready.is_finite() && ready >= 0.0, "{ready}");

    let log = lab.sim.requests();
    let first = during_reboot(&log, "0001A", Op::ShowSystemInfo);
    let second = during_reboot(&log, "0002A", Op::ShowSystemInfo);
    // The first device was polled from 5 s on, growing to every 30 s; the second was first
    // looked at after nine tenths of the first one's restart, and was back by its whole.
    assert!(first.len() >= 6, "{} polls", first.len());
    assert!(
        (1..=3).contains(&second.len()),
        "{} polls: {second:#?}",
        second.len()
    );
    let restarted = log
        .iter()
        .find(|r| r.op == Op::Restart && r.target.as_deref() == Some("0002A"))
        .expect("restart");
    let first_look = second[0].sim_at.saturating_sub(restarted.sim_at);
    assert!(
        first_look.as_secs_f64() >= 0.9 * restart - 1.0,
        "first look {first_look:?} after the restart, learned {restart} s"
    );

    // The operator is told why the device is left alone.
    let said = second_said
        .iter()
        .any(|m| m.contains("PA-VM devices took") && m.contains("first look in"));
    assert!(said, "the wait says what it learned");
    let said_first = first_said.iter().any(|m| m.contains("first look in"));
    assert!(!said_first, "nothing was learned before the first device");
}

/// A model whose devices are ready as soon as they answer has nothing to wait for: the next
/// device is asked at once, with no planned look, and answers yes the first time.
#[tokio::test]
async fn a_wait_shorter_than_a_poll_is_not_planned() {
    let timings = panos_sim::Timings {
        chassis_ready_secs: 0.0,
        ..Default::default()
    };
    let lab = Lab::start_with(
        vec![firewall("0001A", "10.2.9"), firewall("0002A", "10.2.9")],
        timings,
    )
    .await;
    let learned = LearnedWaits::default();
    let [_, messages] = upgrade_both(&lab, &learned).await;
    let ready = learned
        .shortest("PA-VM", LearnedWait::ChassisReady)
        .expect("learned");
    assert!(
        ready < 5.0,
        "ready at the first question, {ready} s after the answer"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("to come back; first look in")),
        "the restart is planned: {messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("to be ready")),
        "chassis ready is not: {messages:#?}"
    );
    // Once in the readiness checks, once after the restart.
    let asked = lab.sent("0002A", Op::ChassisReady);
    let restart = lab.sent("0002A", Op::Restart)[0].seq;
    let after: Vec<_> = asked.iter().filter(|r| r.seq > restart).collect();
    assert_eq!(
        after.len(),
        1,
        "asked once after the restart, ready: {asked:#?}"
    );
}
