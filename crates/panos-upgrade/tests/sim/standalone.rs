//! Standalone upgrades: one hop, several hops with base images, nothing to do, no path, dry run.

use panos_sim::Op;
use panos_upgrade::{Action, DeviceOutcome, JobOutcome, MemorySink};

use crate::common::{Lab, firewall, paths, serial, standalone_job};

#[tokio::test]
async fn single_hop_sends_each_changing_command_once() {
    let lab = Lab::start(vec![firewall("0001A", "10.2.9")]).await;
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("j1", "0001A"),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;

    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    let device = &report.devices[0];
    assert_eq!(device.outcome, DeviceOutcome::Upgraded);
    assert_eq!(
        device
            .from_version
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("10.2.9")
    );
    assert_eq!(
        device
            .to_version
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("10.2.10")
    );
    assert_eq!(lab.version_of("0001A"), "10.2.10");
    assert_eq!(
        lab.versions_sent("0001A", Op::SoftwareDownload),
        ["10.2.10"]
    );
    assert_eq!(lab.versions_sent("0001A", Op::SoftwareInstall), ["10.2.10"]);
    assert_eq!(lab.sent("0001A", Op::Restart).len(), 1);
    let audits: Vec<Action> = sink.audits().iter().map(|a| a.action).collect();
    assert_eq!(audits, [Action::Download, Action::Install, Action::Restart]);
    // The restart comes after the install job finished, and chassis-ready was checked after
    // the device came back.
    let log = lab.sim.requests();
    let restart_at = log.iter().position(|r| r.op == Op::Restart).unwrap();
    assert!(
        log[restart_at + 1..]
            .iter()
            .any(|r| r.op == Op::ChassisReady)
    );
    // Nothing is read twice in a row: up to the download, the system info and the catalog
    // (from the software check) are read once, for the plan, the readiness checks and the
    // snapshot; after the post-flight snapshot, nothing more.
    let download_at = log
        .iter()
        .position(|r| r.op == Op::SoftwareDownload)
        .unwrap();
    let count =
        |ops: &[panos_sim::RequestRecord], op: Op| ops.iter().filter(|r| r.op == op).count();
    assert_eq!(count(&log[..download_at], Op::ShowSystemInfo), 1);
    assert_eq!(count(&log[..download_at], Op::SoftwareCheck), 1);
    assert_eq!(count(&log[..download_at], Op::SoftwareInfo), 0);
    // (The route table is asked for once the snapshot's system info has answered.)
    let last_routes = log
        .iter()
        .rposition(|r| matches!(r.op, Op::ShowRoutingRoute | Op::ShowAdvancedRoutingRoute))
        .unwrap();
    assert!(
        log[last_routes..]
            .iter()
            .all(|r| r.op != Op::ShowSystemInfo),
        "the system info was read again after the post-flight snapshot: {:?}",
        &log[last_routes..]
    );
}

#[tokio::test]
async fn multi_hop_downloads_base_images_but_installs_only_the_hops() {
    let lab = Lab::start(vec![firewall("0002A", "10.1.9")]).await;
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("j2", "0002A"),
            &paths(r#"{"10.1.9": ["10.2.10", "11.0.4"]}"#),
            &sink,
        )
        .await;

    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(lab.version_of("0002A"), "11.0.4");
    assert_eq!(
        lab.versions_sent("0002A", Op::SoftwareDownload),
        ["10.2.0", "10.2.10", "11.0.0", "11.0.4"]
    );
    assert_eq!(
        lab.versions_sent("0002A", Op::SoftwareInstall),
        ["10.2.10", "11.0.4"]
    );
    assert_eq!(lab.sent("0002A", Op::Restart).len(), 2);
}

#[tokio::test]
async fn twelve_one_uses_its_real_base_image() {
    let lab = Lab::start(vec![firewall("0002B", "11.2.5")]).await;
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("j2b", "0002B"),
            &paths(r#"{"11.2.5": ["12.1.3"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    assert_eq!(
        lab.versions_sent("0002B", Op::SoftwareDownload),
        ["12.1.2", "12.1.3"]
    );
    assert_eq!(lab.version_of("0002B"), "12.1.3");
}

#[tokio::test]
async fn already_on_target_sends_nothing() {
    let lab = Lab::start(vec![firewall("0003A", "10.2.10")]).await;
    let sink = MemorySink::default();
    let mut job = standalone_job("j3", "0003A");
    job.target_version = Some("10.2.10".parse().unwrap());
    let report = lab.run(&job, &paths("{}"), &sink).await;
    assert_eq!(report.outcome, JobOutcome::Completed);
    assert_eq!(report.devices[0].outcome, DeviceOutcome::AlreadyOnTarget);
    assert!(lab.changing_requests().is_empty());
}

#[tokio::test]
async fn version_not_in_paths_is_skipped_with_the_reason() {
    let lab = Lab::start(vec![firewall("0004A", "10.1.6")]).await;
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("j4", "0004A"),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    let DeviceOutcome::Skipped { reason } = &report.devices[0].outcome else {
        panic!("expected skipped, got {report:#?}");
    };
    assert!(
        reason.contains("10.1.6") && reason.contains("upgrade_paths.json"),
        "{reason}"
    );
    assert!(lab.changing_requests().is_empty());
}

#[tokio::test]
async fn target_version_without_a_path_follows_the_catalog() {
    let lab = Lab::start(vec![firewall("0005A", "10.1.14-h1")]).await;
    let sink = MemorySink::default();
    let mut job = standalone_job("j5", "0005A");
    job.target_version = Some("11.0.6".parse().unwrap());
    let report = lab.run(&job, &paths("{}"), &sink).await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    // One hop in 10.2 (its newest release in the catalog), then the target.
    let installs = lab.versions_sent("0005A", Op::SoftwareInstall);
    assert_eq!(installs.len(), 2, "{installs:?}");
    assert!(installs[0].starts_with("10.2."), "{installs:?}");
    assert_eq!(installs[1], "11.0.6");
}

#[tokio::test]
async fn dry_run_reads_for_real_and_changes_nothing() {
    let lab = Lab::start(vec![firewall("0006A", "10.1.9")]).await;
    let sink = MemorySink::default();
    let mut job = standalone_job("j6", "0006A");
    job.dry_run = true;
    let report = lab
        .run(&job, &paths(r#"{"10.1.9": ["10.2.10", "11.0.4"]}"#), &sink)
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    let DeviceOutcome::Planned {
        hops,
        expected_secs,
    } = &report.devices[0].outcome
    else {
        panic!("expected a plan, got {report:#?}");
    };
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0].base_image, Some("10.2.0".parse().unwrap()));
    assert_eq!(hops[1].base_image, Some("11.0.0".parse().unwrap()));
    assert!(*expected_secs > 0);
    assert!(
        lab.changing_requests().is_empty(),
        "{:?}",
        lab.changing_requests()
    );
    // Read-only work really ran: readiness and a snapshot.
    assert!(!lab.sent("0006A", Op::ShowSessionInfo).is_empty());
    assert!(
        sink.events()
            .iter()
            .any(|e| matches!(e, panos_upgrade::Event::Readiness { .. }))
    );
    assert_eq!(lab.version_of("0006A"), "10.1.9");
    let _ = serial("0006A");
}

#[tokio::test]
async fn preflight_waits_for_jobs_already_running_on_the_device() {
    use panos_client::PanosApi;
    // Downloads last 0.3 s of real time (inside the 0.45 s idle wait), so the other one is
    // still running at preflight even on a loaded machine.
    let timings = panos_sim::Timings {
        download_secs: 600.0,
        ..panos_sim::Timings::default()
    };
    let lab = Lab::start_with(vec![firewall("0007A", "10.2.9")], timings).await;
    // Somebody else's download is running when the job starts.
    let other = lab
        .client
        .software_download(&serial("0007A"), &"11.0.4".parse().unwrap())
        .await
        .expect("download starts");
    let sink = MemorySink::default();
    let report = lab
        .run(
            &standalone_job("j7", "0007A"),
            &paths(r#"{"10.2.9": ["10.2.10"]}"#),
            &sink,
        )
        .await;
    assert_eq!(report.outcome, JobOutcome::Completed, "{report:#?}");
    let log = lab.sim.requests();
    let our_download = log
        .iter()
        .position(|r| r.op == Op::SoftwareDownload && r.version.as_deref() == Some("10.2.10"))
        .expect("our download");
    let polls_before = log[..our_download]
        .iter()
        .filter(|r| r.op == Op::ShowJobsAll)
        .count();
    assert!(polls_before >= 2, "waited on job {other} before starting");
    assert!(sink.events().iter().any(|e| matches!(e,
        panos_upgrade::Event::Progress(p) if p.message.contains("jobs running"))));
}
