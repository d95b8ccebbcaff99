//! Jobs and commands through the shared directories: a standalone job, an HA pair job, a
//! cancel command, and a malformed job file next to a valid one.

use panos_queue::{CommandKind, CommandStatus, DeviceOutcome, JobKind, JobOutcome, QueueFolder};
use panos_sim::Op;

use crate::common::{Lab, files_under, firewall, ha_pair, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_file_goes_pending_active_completed() {
    let lab = Lab::start(vec![firewall("0001A", "10.1.9")]).await;
    let id = lab.submit(JobKind::Standalone, &["0001A"]);
    assert_eq!(lab.job_folder(id), Some(QueueFolder::Pending));
    let daemon = lab.start_daemon();
    wait_for(20, "the job to be claimed", || {
        (lab.job_folder(id) == Some(QueueFolder::Active)).then_some(())
    })
    .await;
    let job = lab.wait_finished(id, 60).await;
    let result = job.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    let device = &result.devices[0];
    assert_eq!(device.outcome, DeviceOutcome::Upgraded);
    assert_eq!(
        device.from_version.as_ref().map(|v| v.as_str()),
        Some("10.1.9")
    );
    assert_eq!(
        device.to_version.as_ref().map(|v| v.as_str()),
        Some("10.2.10")
    );
    assert_eq!(lab.version_of("0001A"), "10.2.10");
    assert_eq!(lab.device_state("0001A").as_deref(), Some("done"));
    let checkpoint = lab.root().join("checkpoints").join(format!("{id}.jsonl"));
    wait_for(10, "the filed job's checkpoint to be removed", || {
        (!checkpoint.exists()).then_some(())
    })
    .await;
    // The log writer is flushed once the daemon has stopped.
    daemon.stop().await;
    let states = lab.logged_states("0001A");
    for state in [
        "preflight",
        "downloading",
        "installing",
        "rebooting",
        "done",
    ] {
        assert!(
            states.iter().any(|s| s == state),
            "{state} not in {states:?}"
        );
    }
    // One audit line per changing command, and validation records on both sides.
    let audits: Vec<_> = lab
        .json_logs()
        .into_iter()
        .filter(|l| l["target"] == "audit")
        .collect();
    assert!(
        audits.iter().any(|l| l["fields"]["action"] == "install"),
        "{audits:#?}"
    );
    assert!(audits.iter().all(|l| l["span"]["job_id"] == id.to_string()));
    let trail: Vec<serde_json::Value> = files_under(&lab.root().join("logs/audit"))
        .into_iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let installs = trail
        .iter()
        .filter(|l| l["action"] == "install" && l["serial"] == "0001A")
        .count();
    assert!(installs >= 1, "{trail:#?}");
    assert!(!files_under(&lab.root().join("validation/pre_flight")).is_empty());
    assert!(!files_under(&lab.root().join("validation/post_flight")).is_empty());
    let status = lab
        .dir()
        .read_daemon_status()
        .unwrap()
        .expect("daemon.json");
    assert_eq!(status.counters.jobs_completed, 1);
    assert!(status.counters.api_calls > 10);
    assert!(status.last_panorama_contact.is_some());
    assert!(lab.dir().read_workers_status().unwrap().is_some());
    assert_key_nowhere(&lab);
}

/// The API key is in no file under the state directory and no log line.
pub fn assert_key_nowhere(lab: &Lab) {
    let key = lab.sim.api_key();
    assert!(key.len() >= 8, "a real-looking key");
    for file in files_under(lab.root()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&key), "the API key is in {}", file.display());
    }
    assert!(!lab.log_lines().is_empty(), "the daemon logged something");
    assert!(lab.log_lines().iter().all(|l| !l.contains(&key)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_pair_job_upgrades_both_members() {
    let lab = Lab::start(ha_pair("0002A", "0002B", "10.1.9")).await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::HaPair, &["0002A", "0002B"]);
    let job = lab.wait_finished(id, 90).await;
    let result = job.result.clone().expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    assert!(
        result
            .devices
            .iter()
            .all(|d| d.outcome == DeviceOutcome::Upgraded)
    );
    assert_eq!(lab.version_of("0002A"), "10.2.10");
    assert_eq!(lab.version_of("0002B"), "10.2.10");
    // The passive member was installed first.
    let first_install = |s: &str| lab.accepted(s, Op::SoftwareInstall)[0].seq;
    assert!(first_install("0002B") < first_install("0002A"));
    let role = |s: &str| {
        let device = result.devices.iter().find(|d| d.serial.as_str() == s);
        device.and_then(|d| d.ha_role.clone())
    };
    assert_eq!(
        role("0002A").as_deref(),
        Some("active"),
        "roles at the start"
    );
    assert_eq!(role("0002B").as_deref(), Some("passive"));
    let pair = lab
        .dir()
        .read_ha_pair_status(&job.pair_name().expect("pair name"))
        .unwrap()
        .expect("pair status file");
    assert_eq!(serde_json::to_value(pair.state).unwrap(), "done");
    assert_eq!(
        pair.members[0].serial.as_str(),
        "0002B",
        "the passive member first"
    );
    assert_eq!(lab.device_state("0002A").as_deref(), Some("done"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_command_stops_a_running_job() {
    let lab = Lab::start(vec![firewall("0003A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &["0003A"]);
    wait_for(30, "the download to start", || {
        (!lab.accepted("0003A", Op::SoftwareDownload).is_empty()).then_some(())
    })
    .await;
    let name = lab.command(CommandKind::Cancel, Some(id), None);
    let job = lab.wait_finished(id, 60).await;
    let result = job.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Cancelled, "{result:#?}");
    assert_eq!(result.cancelled_by.as_deref(), Some("tester"));
    assert_eq!(lab.job_folder(id), Some(QueueFolder::Cancelled));
    assert!(
        lab.accepted("0003A", Op::SoftwareInstall).is_empty(),
        "nothing installed"
    );
    let answer = wait_for(10, "the command's result", || {
        lab.dir().command_result(&name).ok().flatten()
    })
    .await;
    assert_eq!(answer.status, CommandStatus::Accepted);
    assert_eq!(lab.device_state("0003A").as_deref(), Some("cancelled"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_job_is_quarantined_and_the_next_one_runs() {
    let lab = Lab::start(vec![firewall("0004A", "10.1.9")]).await;
    let bad = lab
        .root()
        .join("queue/pending/0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e.json");
    std::fs::write(&bad, b"{\"schema_version\": 1, \"job_id\": oops").unwrap();
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &["0004A"]);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.expect("result").outcome, JobOutcome::Completed);
    let failed = lab.root().join("queue/failed");
    assert!(
        failed
            .join("0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e.json")
            .exists()
    );
    assert!(
        failed
            .join("0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e.json.reason.json")
            .exists()
    );
    assert!(!bad.exists());
    // A command that makes no sense is answered, not dropped.
    let name = "20261124T000000Z_0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8f.json";
    std::fs::write(
        lab.root().join("commands/incoming").join(name),
        br#"{"schema_version": 1, "command": "validate"}"#,
    )
    .unwrap();
    let answer = wait_for(10, "the refusal", || {
        lab.dir().command_result(name).ok().flatten()
    })
    .await;
    assert_eq!(answer.status, CommandStatus::Rejected);
    daemon.stop().await;
    let status = lab
        .dir()
        .read_daemon_status()
        .unwrap()
        .expect("daemon.json");
    assert!(status.counters.files_rejected >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_for_the_same_device_never_overlap() {
    let lab = Lab::start(vec![
        firewall("0005A", "10.1.9"),
        firewall("0005B", "10.1.9"),
    ])
    .await;
    let first = lab.submit(JobKind::Standalone, &["0005A"]);
    let second = lab.submit(JobKind::Standalone, &["0005A"]);
    let other = lab.submit(JobKind::Standalone, &["0005B"]);
    let daemon = lab.start_daemon();
    let a = lab.wait_finished(first, 60).await.result.expect("result");
    let b = lab.wait_finished(second, 60).await.result.expect("result");
    let other = lab.wait_finished(other, 60).await.result.expect("result");
    let (earlier, later) = if a.started_at <= b.started_at {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(earlier.devices[0].outcome, DeviceOutcome::Upgraded);
    // The later one found 10.2.10, which has no path: skipped, nothing sent.
    assert_eq!(
        later.devices[0].outcome,
        DeviceOutcome::Skipped,
        "{later:#?}"
    );
    assert!(
        later.started_at.expect("started") >= earlier.finished_at,
        "the second job for 0005A started only after the first ended"
    );
    // The job for another device did not wait behind them.
    assert!(other.started_at.expect("started") < earlier.finished_at);
    assert_eq!(lab.accepted("0005A", Op::SoftwareInstall).len(), 1);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_naming_a_device_files_its_pending_job() {
    let lab = Lab::start(vec![firewall("0006A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    let pause = lab.command(CommandKind::Pause, None, None);
    wait_for(10, "the pause", || {
        lab.dir().command_result(&pause).ok().flatten()
    })
    .await;
    let id = lab.submit(JobKind::Standalone, &["0006A"]);
    let name = lab.command(CommandKind::Cancel, None, Some("0006A"));
    let answer = wait_for(10, "the cancel's result", || {
        lab.dir().command_result(&name).ok().flatten()
    })
    .await;
    assert_eq!(answer.status, CommandStatus::Accepted, "{answer:?}");
    assert_eq!(answer.payload.unwrap()["was"], "pending");
    let job = lab.wait_finished(id, 10).await;
    let result = job.result.unwrap();
    assert_eq!(result.outcome, JobOutcome::Cancelled);
    assert_eq!(result.cancelled_by.as_deref(), Some("tester"));
    assert!(
        lab.sim
            .requests()
            .iter()
            .all(|r| r.op != Op::SoftwareDownload)
    );
    let status = wait_for(10, "paused in daemon.json", || {
        lab.dir()
            .read_daemon_status()
            .ok()
            .flatten()
            .filter(|s| s.counters.jobs_cancelled == 1)
    })
    .await;
    assert_eq!(serde_json::to_value(status.state).unwrap(), "paused");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_and_changes_nothing() {
    let lab = Lab::start(vec![firewall("0007A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    let mut job = panos_queue::Job::new(
        panos_queue::JobId::new_random(),
        JobKind::Standalone,
        vec!["0007A".parse().unwrap()],
    );
    job.dry_run = true;
    let id = job.job_id;
    lab.dir().submit_job(&job).unwrap();
    let result = lab.wait_finished(id, 30).await.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    let device = &result.devices[0];
    assert_eq!(device.outcome, DeviceOutcome::Planned);
    assert!(
        device.plan.as_ref().is_some_and(|p| p["hops"].is_array()),
        "{device:#?}"
    );
    assert_eq!(lab.version_of("0007A"), "10.1.9");
    let changing = lab.sim.requests().into_iter().filter(|r| {
        matches!(
            r.op,
            Op::SoftwareDownload
                | Op::SoftwareInstall
                | Op::Restart
                | Op::HaSuspend
                | Op::HaFunctional
        )
    });
    assert_eq!(
        changing.count(),
        0,
        "a dry run sends nothing that changes a device"
    );
    let status = lab
        .dir()
        .read_device_status(&"0007A".parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(status.dry_run);
    daemon.stop().await;
}
