//! `panosctl device list|status|validate|metrics`; validate and metrics are answered by a
//! stand-in daemon (holds the lock, files the command in `processed/` with a result).

use std::time::{Duration, Instant};

use chrono::Utc;
use panos_queue::{CommandKind, CommandResult, CommandStatus};
use predicates::prelude::*;
use serde_json::json;

use crate::common::Lab;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn list_and_status_read_the_inventory() {
    let lab = Lab::with_inventory();
    let out = lab.cmd().args(["device", "list"]).output().unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("device_list", stdout(&out));
    let out = lab
        .cmd()
        .args(["device", "status", "0010B"])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("device_status", stdout(&out));
    let out = lab
        .cmd()
        .args(["device", "list", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 5);
    lab.cmd()
        .args(["device", "status", "0099Z"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown serial 0099Z"));
    lab.cmd()
        .args(["device", "status", "no/such"])
        .assert()
        .code(2);
}

#[test]
fn validate_and_metrics_need_a_running_daemon() {
    let lab = Lab::with_inventory();
    for sub in ["validate", "metrics"] {
        lab.cmd()
            .args(["device", sub, "0001A"])
            .assert()
            .code(3)
            .stderr(predicate::str::contains("panosd is not running"))
            .stderr(predicate::str::contains("panosctl daemon start"));
    }
    assert!(
        lab.state.scan_commands().unwrap().items.is_empty(),
        "no command is left for a daemon that is not there"
    );
    lab.cmd()
        .args(["device", "validate", "0099Z"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown serial"));
}

/// Answers the first command of `kind` with `result`, as the daemon would.
fn answer(lab: &Lab, kind: CommandKind, result: CommandResult) -> std::thread::JoinHandle<()> {
    let state = lab.state.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let scan = state.scan_commands().unwrap();
            if let Some(incoming) = scan.items.into_iter().find(|c| c.command.command == kind) {
                state.complete_command(&incoming, result).unwrap();
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {kind:?} command arrived");
    })
}

#[test]
fn validate_prints_the_daemons_readiness_report() {
    let lab = Lab::with_inventory();
    let _daemon = lab.fake_daemon();
    let report = json!({
        "serial": "0001A",
        "target": "10.2.13-h1",
        "checks_run": ["device", "version", "catalog", "disk", "jobs", "chassis", "ha"],
        "checks_skipped": [],
        "findings": []
    });
    let helper = answer(
        &lab,
        CommandKind::Validate,
        CommandResult {
            status: CommandStatus::Accepted,
            reason: None,
            finished_at: Utc::now(),
            payload: Some(report),
        },
    );
    let out = lab
        .cmd()
        .args(["device", "validate", "0001A", "--timeout", "20"])
        .output()
        .unwrap();
    helper.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    insta::assert_snapshot!("device_validate_ready", stdout(&out));
}

#[test]
fn a_failed_command_is_exit_code_1_with_the_daemons_reason() {
    let lab = Lab::with_inventory();
    let _daemon = lab.fake_daemon();
    let helper = answer(
        &lab,
        CommandKind::CollectMetrics,
        CommandResult {
            status: CommandStatus::Failed,
            reason: Some("cannot read 0002A: 0002A not connected".into()),
            finished_at: Utc::now(),
            payload: None,
        },
    );
    lab.cmd()
        .args(["device", "metrics", "0002A", "--timeout", "20"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("0002A not connected"));
    helper.join().unwrap();
}

#[test]
fn no_answer_within_the_timeout_is_a_clear_failure() {
    let lab = Lab::with_inventory();
    let _daemon = lab.fake_daemon();
    lab.cmd()
        .args(["device", "metrics", "0002A", "--timeout", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no answer from panosd within 1 s"));
}
