//! The daemon's life: one per state directory, a clean stop in the middle of an upgrade, and a
//! crash (the daemon's future dropped mid-install) followed by a restart that finishes the job
//! without installing twice. Also the inventory and device commands.

use panos_queue::{
    CommandKind, CommandStatus, DeviceOutcome, DeviceState, JobKind, JobOutcome, QueueFolder,
};
use panos_sim::Op;
use panosd::DaemonError;

use crate::common::{Lab, files_under, firewall, wait_for};

/// The resumed job compared against the pre-flight snapshot taken before the interruption
/// (kept through the checkpoint file), not against nothing.
fn assert_baseline_kept(lab: &Lab, result: &panos_queue::JobResult, serial: &str) {
    let warnings = &result.devices[0].warnings;
    assert!(
        warnings
            .iter()
            .all(|w| !w.contains("no pre-upgrade snapshot")),
        "{warnings:?}"
    );
    let compared = files_under(&lab.root().join("validation/post_flight"))
        .into_iter()
        .filter(|f| f.file_name().unwrap().to_string_lossy().starts_with(serial))
        .filter_map(|f| {
            let record: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).ok()?).ok()?;
            record.get("report").filter(|r| !r.is_null()).cloned()
        })
        .count();
    assert_eq!(
        compared, 1,
        "one post-flight record with its comparison report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_state_dir_refuses_to_start() {
    let lab = Lab::start(vec![firewall("0010A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    wait_for(10, "the first daemon to run", || {
        lab.dir().read_daemon_status().ok().flatten()
    })
    .await;
    let second = panosd::run(
        lab.daemon_config(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await;
    let err = second.expect_err("the second daemon must refuse");
    assert!(matches!(err, DaemonError::Queue(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains("stop that daemon first"), "{text}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_upgrade_then_a_restart_completes_the_job() {
    let lab = Lab::start(vec![firewall("0011A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &["0011A"]);
    wait_for(30, "the install to start", || {
        (!lab.accepted("0011A", Op::SoftwareInstall).is_empty()).then_some(())
    })
    .await;
    daemon.stop().await;
    assert_eq!(
        lab.job_folder(id),
        Some(QueueFolder::Active),
        "left to resume"
    );
    assert!(
        lab.root()
            .join("checkpoints")
            .join(format!("{id}.jsonl"))
            .exists()
    );
    let status = lab
        .dir()
        .read_daemon_status()
        .unwrap()
        .expect("daemon.json");
    assert_eq!(serde_json::to_value(status.state).unwrap(), "stopping");

    let daemon = lab.start_daemon();
    let job = lab.wait_finished(id, 60).await;
    let result = job.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    assert_eq!(result.devices[0].outcome, DeviceOutcome::Upgraded);
    assert_eq!(lab.version_of("0011A"), "10.2.10");
    assert_baseline_kept(&lab, &result, "0011A");
    assert_eq!(
        lab.accepted("0011A", Op::SoftwareInstall).len(),
        1,
        "installed once"
    );
    assert_eq!(
        lab.accepted("0011A", Op::Restart).len(),
        1,
        "restarted once"
    );
    daemon.stop().await;
}

/// Kills the daemon right after the first accepted `op` to the device, restarts it, and
/// checks the job completes with every changing command sent once.
async fn crash_after(serial: &str, op: Op) {
    let lab = Lab::start(vec![firewall(serial, "10.1.9")]).await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &[serial]);
    wait_for(30, "the crash point", || {
        (!lab.accepted(serial, op).is_empty()).then_some(())
    })
    .await;
    daemon.crash().await;
    assert_eq!(
        lab.job_folder(id),
        Some(QueueFolder::Active),
        "the claimed job survives"
    );

    let daemon = lab.start_daemon();
    let job = lab.wait_finished(id, 60).await;
    let result = job.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    assert_eq!(lab.version_of(serial), "10.2.10");
    assert_baseline_kept(&lab, &result, serial);
    let installs = lab.accepted(serial, Op::SoftwareInstall);
    assert_eq!(installs.len(), 1, "no duplicate install: {installs:#?}");
    assert_eq!(lab.accepted(serial, Op::Restart).len(), 1, "restarted once");
    let downloads: Vec<_> = lab
        .accepted(serial, Op::SoftwareDownload)
        .into_iter()
        .filter_map(|r| r.version)
        .collect();
    let mut unique = downloads.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        downloads.len(),
        unique.len(),
        "no image downloaded twice: {downloads:?}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_install_then_a_restart_installs_once() {
    crash_after("0012A", Op::SoftwareInstall).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_download_then_a_restart_completes() {
    crash_after("0016A", Op::SoftwareDownload).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_reboot_then_a_restart_completes() {
    crash_after("0017A", Op::Restart).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_and_device_commands_write_their_files() {
    let lab = Lab::start(vec![
        firewall("0013A", "10.1.9"),
        firewall("0013B", "10.2.10"),
    ])
    .await;
    let daemon = lab.start_daemon();
    wait_for(20, "the inventory", || {
        (lab.device_state("0013A").as_deref() == Some("idle")
            && lab.device_state("0013B").as_deref() == Some("idle"))
        .then_some(())
    })
    .await;
    let status = lab
        .dir()
        .read_device_status(&"0013A".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        status
            .current_version
            .as_ref()
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.9")
    );
    assert_eq!(status.hostname.as_deref(), Some("fw-0013A"));

    let validate = lab.command(CommandKind::Validate, None, Some("0013A"));
    let metrics = lab.command(CommandKind::CollectMetrics, None, Some("0013B"));
    let refresh = lab.command(CommandKind::RefreshInventory, None, None);
    let answer = wait_for(20, "the refresh's result", || {
        lab.dir().command_result(&refresh).ok().flatten()
    })
    .await;
    assert_eq!(answer.status, CommandStatus::Accepted, "{answer:?}");
    assert_eq!(answer.payload.unwrap()["devices"], 2);
    // Both refreshed, neither rewritten: nothing had changed.
    let again = lab
        .dir()
        .read_device_status(&"0013A".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        again, status,
        "an unchanged device's file is left as it was"
    );
    let pause = lab.command(CommandKind::Pause, None, None);
    for name in [&validate, &metrics, &pause] {
        let answer = wait_for(20, "a command's result", || {
            lab.dir().command_result(name).ok().flatten()
        })
        .await;
        assert_eq!(answer.status, CommandStatus::Accepted, "{name}: {answer:?}");
    }
    let report = lab
        .dir()
        .command_result(&validate)
        .unwrap()
        .unwrap()
        .payload
        .expect("report");
    assert!(
        report.get("findings").is_some() || report.get("verdict").is_some(),
        "{report}"
    );
    // Paused: a job waits in pending/ until resume.
    let id = lab.submit(JobKind::Standalone, &["0013A"]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(lab.job_folder(id), Some(QueueFolder::Pending));
    lab.command(CommandKind::Resume, None, None);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.unwrap().outcome, JobOutcome::Completed);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_workers_max_and_the_rate_limit() {
    let lab = Lab::start(vec![firewall("0014A", "10.1.9")]).await;
    let daemon = lab.start_daemon();
    wait_for(10, "the daemon to run", || {
        lab.dir()
            .read_daemon_status()
            .ok()
            .flatten()
            .filter(|s| serde_json::to_value(s.state).unwrap() == "running")
    })
    .await;
    let file = lab.root().join("config/config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    panosd::config::set(&mut json, "workers.max", "7").unwrap();
    panosd::config::set(&mut json, "panorama.rate_limit_per_second", "99").unwrap();
    panosd::config::set(&mut json, "panorama.max_in_flight", "3").unwrap();
    std::fs::write(&file, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP).unwrap();
    let status = wait_for(10, "workers.max 7 in daemon.json", || {
        lab.dir()
            .read_daemon_status()
            .ok()
            .flatten()
            .filter(|s| s.workers.configured == 7)
    })
    .await;
    assert_eq!(status.workers.configured, 7);
    wait_for(10, "seven slots in workers.json", || {
        lab.dir()
            .read_workers_status()
            .ok()
            .flatten()
            .filter(|w| w.workers.len() == 7)
    })
    .await;
    wait_for(10, "the new limits in the log", || {
        lab.log_lines()
            .into_iter()
            .find(|l| l.contains("rate limit and in-flight cap changed"))
    })
    .await;
    assert!(
        !lab.log_lines()
            .iter()
            .any(|l| l.contains("`panorama` changed")),
        "the rate limit and in-flight cap apply live, with no restart"
    );

    // A Panorama setting that does need a restart is named as such.
    panosd::config::set(&mut json, "panorama.request_timeout_secs", "45").unwrap();
    std::fs::write(&file, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP).unwrap();
    wait_for(10, "the restart warning", || {
        lab.log_lines()
            .into_iter()
            .find(|l| l.contains("`panorama` changed") && l.contains("restart"))
    })
    .await;
    let id = lab.submit(JobKind::Standalone, &["0014A"]);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(
        job.result.unwrap().outcome,
        JobOutcome::Completed,
        "jobs run under the new limits"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_and_encrypted_password_are_exchanged_for_a_key() {
    let lab = Lab::start(vec![firewall("0015A", "10.1.9")]).await;
    let admin = panos_sim::Credentials::new("ops", "s3cret-Passw0rd");
    lab.sim.set_admin(admin.clone());
    let file = lab.root().join("config/config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let encrypted = panosd::secrets::encrypt_for_config(
        lab.root(),
        &secrecy::SecretString::from("s3cret-Passw0rd".to_owned()),
    )
    .unwrap();
    panosd::config::set(&mut json, "panorama.api_key_file", "null").unwrap();
    panosd::config::set(&mut json, "panorama.username", "ops").unwrap();
    panosd::config::set_value(&mut json, "panorama.password", encrypted.into()).unwrap();
    std::fs::write(&file, serde_json::to_vec_pretty(&json).unwrap()).unwrap();

    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &["0015A"]);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.unwrap().outcome, JobOutcome::Completed);
    daemon.stop().await;
    let key = admin.api_key();
    for file in crate::common::files_under(lab.root()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(
            !text.contains(&key),
            "the generated key is in {}",
            file.display()
        );
        assert!(
            !text.contains("s3cret-Passw0rd"),
            "the password is in {}",
            file.display()
        );
    }
    assert!(
        lab.log_lines()
            .iter()
            .any(|l| l.contains("API key generated"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_pair_job_survives_a_crash_between_its_members() {
    let lab = Lab::start(crate::common::ha_pair("0018A", "0018B", "10.1.9")).await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::HaPair, &["0018A", "0018B"]);
    // 0018B is passive: it is upgraded first.
    wait_for(30, "the first member's restart", || {
        (!lab.accepted("0018B", Op::Restart).is_empty()).then_some(())
    })
    .await;
    daemon.crash().await;
    let daemon = lab.start_daemon();
    let job = lab.wait_finished(id, 90).await;
    let result = job.result.expect("result");
    assert_eq!(result.outcome, JobOutcome::Completed, "{result:#?}");
    for serial in ["0018A", "0018B"] {
        assert_eq!(lab.version_of(serial), "10.2.10");
        assert_eq!(
            lab.accepted(serial, Op::SoftwareInstall).len(),
            1,
            "{serial}"
        );
        assert_eq!(lab.accepted(serial, Op::Restart).len(), 1, "{serial}");
    }
    daemon.stop().await;
}

/// The metrics file (node_exporter's textfile format) carries the numbers of daemon.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_file_has_the_numbers_of_daemon_json() {
    let lab = Lab::start(vec![
        firewall("0016A", "10.1.9"),
        firewall("0016B", "10.1.9"),
    ])
    .await;
    let daemon = lab.start_daemon();
    let id = lab.submit(JobKind::Standalone, &["0016A"]);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.unwrap().outcome, JobOutcome::Completed);
    daemon.stop().await;

    let status = lab
        .dir()
        .read_daemon_status()
        .unwrap()
        .expect("daemon.json");
    let text = std::fs::read_to_string(lab.root().join("status/panosd.prom")).expect("metrics");
    let scrape =
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("{name} {label:?} missing from\n{text}"));
        match &sample.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => *v,
            other => panic!("{name}: {other:?}"),
        }
    };
    let c = &status.counters;
    assert!(c.api_calls > 0);
    assert_eq!(value("panosd_api_calls_total", None), c.api_calls as f64);
    assert_eq!(value("panosd_api_errors_total", None), c.api_errors as f64);
    assert_eq!(
        value("panosd_api_device_not_connected_total", None),
        c.api_device_not_connected as f64
    );
    assert!(
        c.api_device_not_connected > 0,
        "the reboot's 'not connected' answers are counted apart: {c:?}"
    );
    assert_eq!(c.devices_upgraded, 1);
    assert_eq!(value("panosd_devices_upgraded_total", None), 1.0);
    assert_eq!(
        value("panosd_jobs_finished_total", Some(("outcome", "completed"))),
        1.0
    );
    assert_eq!(
        value("panosd_queue_jobs", Some(("folder", "completed"))),
        1.0
    );
    // Devices by state: the upgraded one done, the other idle from the inventory.
    let done = status.devices.get(&DeviceState::Done).copied();
    assert_eq!(done, Some(1), "{:?}", status.devices);
    assert_eq!(status.devices.get(&DeviceState::Idle).copied(), Some(1));
    assert_eq!(value("panosd_devices", Some(("state", "done"))), 1.0);
    assert_eq!(value("panosd_devices", Some(("state", "idle"))), 1.0);
    assert_eq!(status.job_durations.count, 1);
    assert!(
        text.contains("panosd_job_duration_seconds_count 1\n"),
        "{text}"
    );
    assert_eq!(value("panosd_state", Some(("state", "stopping"))), 1.0);
}
