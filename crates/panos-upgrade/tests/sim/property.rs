//! A property test over random fault sets on an HA pair: whatever goes wrong, the job ends,
//! the second member is never touched after the first failed, no restart is sent twice to a
//! member, and a member reported upgraded really runs the target.

use panos_sim::{Fault, FaultRule, Op};
use panos_upgrade::{DeviceOutcome, MemorySink};
use proptest::prelude::*;

use crate::common::{Lab, ha_pair, pair_job, paths};

fn fault_menu() -> Vec<FaultRule> {
    vec![
        FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareDownload),
        FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareInstall),
        FaultRule::times(Fault::SoftwareManagerBusy, 1),
        FaultRule::always(Fault::RebootNeverReturns),
        FaultRule::always(Fault::ReturnsOnOldVersion),
        FaultRule::always(Fault::RoutesLost { count: 3 }),
        FaultRule::always(Fault::HaOutOfSync),
        FaultRule::times(Fault::HttpStatus { status: 503 }, 2).on(Op::ShowSystemInfo),
        FaultRule::times(Fault::DropConnection, 1).on(Op::SoftwareInstall),
        FaultRule::times(Fault::MalformedXml, 1).on(Op::ShowJob),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_faults_end_safely(picks in proptest::collection::vec((0usize..10, proptest::bool::ANY), 0..3)) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let (active, passive) = ("0050A", "0050B");
            let lab = Lab::start(ha_pair(active, passive, "10.2.9")).await;
            let menu = fault_menu();
            for (pick, on_passive) in &picks {
                let serial = if *on_passive { passive } else { active };
                lab.sim.inject_fault(serial, menu[*pick].clone()).unwrap();
            }
            let sink = MemorySink::default();
            let report = lab
                .run(&pair_job("jp", active, passive), &paths(r#"{"10.2.9": ["10.2.10"]}"#), &sink)
                .await;
            let outcome_of = |s: &str| report.devices.iter().find(|d| d.serial.as_str() == s).unwrap().outcome.clone();
            let log = lab.sim.requests();
            // The passive member goes first. If it did not finish, nothing disruptive reached
            // the active member.
            if !matches!(outcome_of(passive), DeviceOutcome::Upgraded) {
                let touched = log.iter().any(|r| r.target.as_deref() == Some(active)
                    && matches!(r.op, Op::SoftwareInstall | Op::Restart | Op::HaSuspend | Op::HaFunctional));
                assert!(!touched, "active touched after the passive stopped: {report:#?}");
            }
            for serial in [active, passive] {
                assert!(lab.sent(serial, Op::Restart).len() <= 1, "{serial} restarted twice");
                if matches!(outcome_of(serial), DeviceOutcome::Upgraded) {
                    assert_eq!(lab.version_of(serial), "10.2.10");
                }
            }
        });
    }
}
