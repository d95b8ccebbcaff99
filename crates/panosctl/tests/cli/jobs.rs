//! `panosctl job submit|list|status|cancel|watch`.

use assert_cmd::cargo::CommandCargoExt;
use panos_queue::{JobKind, JobOutcome, PostflightPolicy, QueueFolder};
use predicates::prelude::*;

use crate::common::{Lab, completed_job, failed_pair_job, pending_job};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn submit_one_device_writes_a_valid_pending_job_and_prints_its_id() {
    let lab = Lab::with_inventory();
    let out = lab
        .cmd()
        .args(["job", "submit", "--device", "0001A", "--dry-run"])
        .args(["--target-version", "10.2.13-h1", "--postflight", "warn"])
        .assert()
        .success()
        .stderr(predicate::str::contains("panosd is not running"))
        .get_output()
        .clone();
    let jobs = lab.jobs(QueueFolder::Pending);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.kind, JobKind::Standalone);
    assert_eq!(job.devices[0].as_str(), "0001A");
    assert!(job.dry_run);
    assert_eq!(job.target_version.as_ref().unwrap().as_str(), "10.2.13-h1");
    assert_eq!(job.options.postflight_failure, Some(PostflightPolicy::Warn));
    assert_eq!(job.submitted_by.as_deref(), Some("tester (panosctl)"));
    let text = stdout(&out);
    assert!(text.starts_with(&job.job_id.to_string()), "{text}");
    assert!(text.contains("1 job(s) submitted for 1 device(s) (dry run)"));
    // No temp file is left behind in pending/.
    let names: Vec<_> = std::fs::read_dir(lab.state.queue_dir(QueueFolder::Pending))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn submit_refuses_bad_input_before_writing_anything() {
    let lab = Lab::with_inventory();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["--device", "NOPE99"], 1, "unknown serial NOPE99"),
        (&["--device", "bad-serial!"], 2, "invalid serial"),
        (
            &["--device", "0001A", "--target-version", "10.2"],
            2,
            "invalid software version",
        ),
        (
            &["--all", "--current-version", "ten"],
            2,
            "invalid software version",
        ),
        (&["--device", "0010A"], 2, "--ha-pair 0010A 0010B"),
        (&["--ha-pair", "0010A", "0001A"], 2, "HA peer is 0010B"),
        (&["--ha-pair", "0001A", "0001A"], 2, "two different serials"),
        (
            &["--device", "0003A", "--target-version", "10.2.13-h1"],
            2,
            "does not downgrade",
        ),
        (&["--all", "--model", "PA-9999"], 1, "no device matches"),
        (&[], 2, "say which devices"),
    ];
    for (args, code, message) in cases {
        lab.cmd()
            .args(["job", "submit"])
            .args(*args)
            .assert()
            .code(*code)
            .stderr(predicate::str::contains(*message));
        assert!(
            lab.jobs(QueueFolder::Pending).is_empty(),
            "{args:?} wrote a job"
        );
    }
    // A usage error of clap itself is exit code 2 too.
    lab.cmd()
        .args(["job", "submit", "--device"])
        .assert()
        .code(2);
}

#[test]
fn submit_all_groups_ha_members_into_one_pair_job() {
    let lab = Lab::with_inventory();
    lab.cmd()
        .args(["job", "submit", "--all", "--json"])
        .assert()
        .success();
    let jobs = lab.jobs(QueueFolder::Pending);
    assert_eq!(jobs.len(), 4, "three standalone and one pair");
    let pairs: Vec<_> = jobs.iter().filter(|j| j.kind == JobKind::HaPair).collect();
    assert_eq!(pairs.len(), 1);
    let members: Vec<&str> = pairs[0].devices.iter().map(|s| s.as_str()).collect();
    assert_eq!(members, ["0010A", "0010B"]);
}

#[test]
fn submit_filters_and_lists_from_a_file() {
    let lab = Lab::with_inventory();
    lab.cmd()
        .args(["job", "submit", "--all", "--current-version", "10.2.13-h1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "2 job(s) submitted for 3 device(s)",
        ));
    let list = lab.tmp.path().join("devices.txt");
    std::fs::write(&list, "# branch offices\n0001A\n0003A   # frankfurt\n").unwrap();
    lab.cmd()
        .args(["job", "submit", "--from-file"])
        .arg(&list)
        .args(["--model", "pa-440"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "2 job(s) submitted for 2 device(s)",
        ));
    assert_eq!(lab.jobs(QueueFolder::Pending).len(), 4);
    std::fs::write(&list, "0001A 0002A 0003A\n").unwrap();
    lab.cmd()
        .args(["job", "submit", "--from-file"])
        .arg(&list)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}

#[test]
fn list_shows_every_folder_newest_first() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Completed, &completed_job());
    lab.job_in(QueueFolder::Failed, &failed_pair_job());
    lab.job_in(QueueFolder::Pending, &pending_job());
    std::fs::write(
        lab.state.job_path(
            QueueFolder::Failed,
            "0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8f.json",
        ),
        b"{\"schema_version\": 1, \"dry-run\": true}",
    )
    .unwrap();
    let out = lab.cmd().args(["job", "list"]).output().unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("job_list", stdout(&out));
    let out = lab
        .cmd()
        .args(["job", "list", "--state", "failed", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        2,
        "the failed job and the refused file"
    );
    assert_eq!(rows[1]["state"], "rejected");
}

#[test]
fn status_shows_devices_errors_and_manual_actions() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Failed, &failed_pair_job());
    let out = lab
        .cmd()
        .args(["job", "status", "6f1c2d3e"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    insta::assert_snapshot!("job_status_failed_pair", stdout(&out));
    let out = lab
        .cmd()
        .args([
            "job",
            "status",
            "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
            "--json",
        ])
        .output()
        .unwrap();
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["state"], "failed");
    assert_eq!(view["job"]["result"]["devices"][0]["step"], "install");
    lab.cmd()
        .args(["job", "status", "deadbeef"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no job deadbeef"));
    lab.cmd()
        .args(["job", "status", "not-a-uuid!"])
        .assert()
        .code(2);
}

#[test]
fn cancel_without_a_daemon_files_a_pending_job_in_cancelled() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Pending, &pending_job());
    lab.job_in(QueueFolder::Completed, &completed_job());
    lab.cmd()
        .args(["job", "cancel", "7f3b0a5c"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cancelled (it was pending"));
    let cancelled = lab.jobs(QueueFolder::Cancelled);
    assert_eq!(cancelled.len(), 1);
    let result = cancelled[0].result.as_ref().unwrap();
    assert_eq!(result.outcome, JobOutcome::Cancelled);
    assert_eq!(result.cancelled_by.as_deref(), Some("tester (panosctl)"));
    lab.cmd()
        .args(["job", "cancel", "0192f0a4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already ended (completed)"));
}

#[test]
fn cancel_of_an_active_job_without_a_daemon_queues_the_command_and_says_so() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Active, &pending_job());
    lab.cmd()
        .args(["job", "cancel", "7f3b0a5c"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("panosd is not running"));
    let incoming = lab.state.scan_commands().unwrap().items;
    assert_eq!(incoming.len(), 1);
    assert_eq!(
        incoming[0].command.job_id.unwrap().to_string(),
        "7f3b0a5c-6d8e-4c9f-9a2b-1e0f9a8b7c6d"
    );
}

#[test]
fn watch_of_ended_jobs_prints_their_outcome_and_exits_by_it() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Completed, &completed_job());
    lab.job_in(QueueFolder::Failed, &failed_pair_job());
    lab.cmd()
        .args(["job", "watch", "0192f0a4"])
        .assert()
        .success()
        .stdout(predicate::str::contains("completed  1 upgraded"));
    lab.cmd()
        .args(["job", "watch", "6f1c2d3e"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 of 1 job(s) did not complete"));
    lab.cmd()
        .args(["job", "watch"])
        .assert()
        .success()
        .stdout("no pending or active jobs\n");
}

#[test]
fn watch_prints_each_device_state_change_until_the_job_ends() {
    use panos_queue::{DeviceOutcome, DeviceResult, DeviceState, DeviceStatus, JobResult};
    let lab = Lab::with_inventory();
    let job = pending_job();
    let active = lab.job_in(QueueFolder::Active, &job);
    let status = |state: DeviceState, step: &str, progress: u8| {
        let mut s = DeviceStatus::new("0002A".parse().unwrap(), state, chrono::Utc::now());
        s.job_id = Some(job.job_id);
        s.step = Some(step.into());
        s.progress = progress;
        s.message = Some(format!("{step} in progress"));
        lab.state.write_device_status(&s).unwrap();
    };
    status(DeviceState::Downloading, "download", 40);
    let mut child = std::process::Command::cargo_bin("panosctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("--state-dir")
        .arg(lab.root())
        .args(["job", "watch", "7f3b0a5c"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let mut next = || lines.next().expect("a line").expect("utf-8");
    assert_eq!(
        next(),
        "0002A  downloading  download  40%  download in progress"
    );
    status(DeviceState::Installing, "install", 70);
    assert_eq!(
        next(),
        "0002A  installing  install  70%  install in progress"
    );
    let mut done = job.clone();
    let mut device = DeviceResult::new("0002A".parse().unwrap(), DeviceOutcome::Planned);
    device.message = Some("dry run".into());
    done.result = Some(JobResult {
        outcome: JobOutcome::Completed,
        started_at: Some(chrono::Utc::now()),
        finished_at: chrono::Utc::now(),
        error: None,
        manual_action: None,
        cancelled_by: None,
        devices: vec![device],
    });
    lab.job_in(QueueFolder::Completed, &done);
    std::fs::remove_file(active).unwrap();
    let last = next();
    assert!(last.ends_with("completed  1 planned"), "{last}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_device_already_in_a_job_is_not_submitted_twice() {
    let lab = Lab::with_inventory();
    lab.job_in(QueueFolder::Pending, &pending_job());
    lab.cmd()
        .args(["job", "submit", "--device", "0002A"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "0002A is already in job 7f3b0a5c-6d8e-4c9f-9a2b-1e0f9a8b7c6d (pending)",
        ));
    lab.cmd()
        .args(["job", "submit", "--all"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 device(s) left out"))
        .stdout(predicate::str::contains(
            "3 job(s) submitted for 4 device(s)",
        ));
    assert_eq!(lab.jobs(QueueFolder::Pending).len(), 4);
}
