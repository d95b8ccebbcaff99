//! Runs every example binary against its in-process simulator and checks what it printed
//! (and, for `follow-job`, the files it left in the state directory).

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// A bound on each run (a hung example fails instead of blocking the suite).
const LIMIT: Duration = Duration::from_secs(120);

fn run(bin: &str, args: &[&str]) -> String {
    let output = Command::cargo_bin(bin)
        .expect("the example is built")
        .args(args)
        .timeout(LIMIT)
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{bin} {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The position of the line containing `text`.
fn line_of(out: &str, text: &str) -> usize {
    out.lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in:\n{out}"))
}

#[test]
fn query_device_reads_panorama_and_a_firewall() {
    let out = run("query-device", &[]);
    line_of(
        &out,
        "Panorama panorama-lab runs 11.1.6; it manages 4 firewalls, 4 connected",
    );
    line_of(
        &out,
        "firewall 007954000000003: hostname fw-lab-ha-a, model PA-3220, PAN-OS 11.0.6",
    );
    line_of(
        &out,
        "HA: Active-Passive, this member Active, peer Passive, configuration Synchronized",
    );
    line_of(&out, "running 11.0.6, downloaded [11.0.6]");
    line_of(&out, "0 errors");

    let out = run("query-device", &["007954000000002"]);
    line_of(&out, "hostname fw-lab-02, model PA-VM, PAN-OS 11.1.4-h2");
    line_of(&out, "HA: not enabled");

    let refused = Command::cargo_bin("query-device")
        .unwrap()
        .arg("not a serial!")
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a bad serial must be refused");
}

#[test]
fn run_upgrade_upgrades_along_the_shipped_path_and_reports_progress() {
    let out = run("run-upgrade", &[]);
    let base = line_of(&out, "audit: download 11.1.0 -> accepted");
    let image = line_of(&out, "audit: download 11.1.6 -> accepted");
    let install = line_of(&out, "audit: install 11.1.6 -> accepted");
    let restart = line_of(&out, "audit: restart");
    assert!(
        base < image && image < install && install < restart,
        "{out}"
    );
    assert_eq!(out.matches("audit: install").count(), 1, "{out}");
    line_of(&out, "readiness: READY");
    line_of(&out, "post-flight comparison: PASS");
    line_of(&out, "job example-1: completed");
    line_of(&out, "007954000000001 upgraded: 11.0.6 -> 11.1.6");
    line_of(&out, "the simulator now reports 11.1.6 on 007954000000001");
}

#[test]
fn run_upgrade_dry_run_plans_and_changes_nothing() {
    let out = run("run-upgrade", &["--dry-run"]);
    line_of(&out, "007954000000001 planned");
    line_of(&out, "plan: install 11.1.6, base image 11.1.0 first");
    line_of(&out, "the simulator now reports 11.0.6 on 007954000000001");
    assert!(
        !out.contains("audit:"),
        "a dry run sent a changing command:\n{out}"
    );
}

/// The JSON files of `dir` (not the dot-files, not `.reason.json`).
fn json_files(dir: &Path) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.starts_with('.') && !name.ends_with(".reason.json") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            out.push(serde_json::from_str(&text).unwrap());
        }
    }
    out
}

#[test]
fn follow_job_submits_watches_and_cancels_through_files() {
    let state = tempfile::tempdir().unwrap();
    let out = run(
        "follow-job",
        &["--keep", state.path().to_str().expect("a UTF-8 temp path")],
    );
    line_of(&out, "cancel command: accepted (the job was active)");
    line_of(&out, "007954000000001 upgraded: 11.0.6 -> 11.1.6");
    line_of(&out, "007954000000002 cancelled");
    line_of(&out, "status/daemon.json: 1 completed, 1 cancelled");
    line_of(&out, "daemon stopped");

    let queue = state.path().join("queue");
    let completed = json_files(&queue.join("completed"));
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["result"]["outcome"], "completed");
    assert_eq!(completed[0]["devices"][0], "007954000000001");
    assert_eq!(completed[0]["submitted_by"], "web-app-example");
    let cancelled = json_files(&queue.join("cancelled"));
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["result"]["outcome"], "cancelled");
    assert!(json_files(&queue.join("active")).is_empty());
    assert!(
        json_files(&queue.join("failed")).is_empty(),
        "a file was refused"
    );

    let processed = json_files(&state.path().join("commands").join("processed"));
    assert_eq!(processed.len(), 1);
    assert_eq!(processed[0]["command"], "cancel");
    assert_eq!(processed[0]["job_id"], cancelled[0]["job_id"]);
    assert_eq!(processed[0]["result"]["status"], "accepted");

    let device = &json_files(&state.path().join("status").join("devices"))
        .into_iter()
        .find(|s| s["serial"] == "007954000000001")
        .expect("a status file for the upgraded device");
    assert_eq!(device["current_version"], "11.1.6");

    // The audit trail holds each changing command of the upgrade once.
    let audit: String = std::fs::read_dir(state.path().join("logs").join("audit"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let installs = audit
        .lines()
        .filter(|l| l.contains("\"action\":\"install\"") && l.contains("007954000000001"))
        .count();
    assert!(installs >= 1, "no install in the audit trail:\n{audit}");
}
