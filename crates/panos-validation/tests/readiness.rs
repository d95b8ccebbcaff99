//! Readiness checks on hand-built facts and on real samples: each finding code, the severity
//! override, disabled checks, and the text and JSON forms.

mod support;

use panos_client::model::{
    ConfigSync, DiskSpace, Filesystem, HaMemberInfo, HaState, HaStatus, JobOutcome, JobProgress,
    JobState, JobStatus, ManagedDevice, SoftwareCatalog, SoftwareImage,
};
use panos_client::{JobId, SoftwareVersion};
use panos_validation::readiness::{self, ReadinessConfig, ReadinessInput};
use panos_validation::{FindingCode, Severity};
use support::serial;

const MIB: u64 = 1024 * 1024;

fn v(text: &str) -> SoftwareVersion {
    text.parse().unwrap()
}

fn image(version: &str, size_mb: Option<u64>, downloaded: bool, current: bool) -> SoftwareImage {
    SoftwareImage {
        version: v(version),
        filename: None,
        size_mb,
        size_kb: None,
        released_on: None,
        downloaded,
        current,
        latest: false,
        uploaded: false,
    }
}

fn disk(free_mb: u64) -> DiskSpace {
    DiskSpace {
        filesystems: vec![Filesystem {
            device: "/dev/sda6".into(),
            size_bytes: 8 * 1024 * MIB,
            used_bytes: 0,
            avail_bytes: free_mb * MIB,
            use_percent: 10,
            mounted_on: "/opt/panrepo".into(),
        }],
    }
}

fn member(state: HaState) -> HaMemberInfo {
    HaMemberInfo {
        state,
        priority: None,
        preemptive: None,
        build_rel: Some(v("10.2.9")),
        mgmt_ip: None,
        state_duration_secs: None,
        conn_status: Some("up".into()),
        last_error_reason: None,
    }
}

fn ha(local: HaState, peer: HaState) -> HaStatus {
    HaStatus {
        enabled: true,
        mode: Some("Active-Passive".into()),
        local: Some(member(local)),
        peer: Some(member(peer)),
        running_sync: Some(ConfigSync::Synchronized),
        running_sync_enabled: Some(true),
    }
}

fn job(id: u64, state: JobState) -> JobStatus {
    JobStatus {
        id: Some(JobId(id)),
        job_type: Some("Downld".into()),
        state,
        outcome: JobOutcome::Pending,
        progress: JobProgress::Percent(45),
        details: vec![],
        warnings: vec![],
        enqueued_at: None,
        finished_at: None,
        description: None,
    }
}

/// A device that is ready for 10.2.10: everything collected and healthy.
fn ready() -> ReadinessInput {
    let mut input = ReadinessInput::new(serial(), v("10.2.10"));
    input.current_version = Some(v("10.2.9"));
    input.catalog = Some(SoftwareCatalog {
        images: vec![
            image("10.2.9", Some(900), true, true),
            image("10.2.10", Some(1000), false, false),
        ],
    });
    input.disk = Some(disk(4096));
    input.jobs = Some(vec![job(4, JobState::Finished)]);
    input.chassis_ready = Some(true);
    input.managed = Some(ManagedDevice {
        serial: serial(),
        hostname: Some("fw-edge-1".into()),
        ip_address: None,
        model: None,
        family: None,
        sw_version: Some(v("10.2.9")),
        app_version: None,
        connected: true,
        ha: None,
    });
    input
}

fn codes(input: &ReadinessInput, config: &ReadinessConfig) -> Vec<(FindingCode, Severity)> {
    readiness::check(input, config)
        .findings
        .iter()
        .map(|f| (f.code, f.severity))
        .collect()
}

#[test]
fn a_ready_device_passes_with_only_information() {
    let report = readiness::check(&ready(), &ReadinessConfig::default());
    assert!(report.passed(), "{report}");
    assert!(
        report.findings.iter().all(|f| f.severity == Severity::Info),
        "{report}"
    );
    assert!(report.find(FindingCode::DiskSufficient).is_some());
    assert_eq!(report.checks_run.len(), 7);
}

#[test]
fn low_disk_blocks_and_names_values_threshold_and_fix() {
    let mut input = ready();
    input.disk = Some(disk(1500));
    let report = readiness::check(&input, &ReadinessConfig::default());
    assert!(!report.passed());
    let finding = report
        .find(FindingCode::DiskInsufficient)
        .expect("disk finding");
    assert_eq!(finding.severity, Severity::Block);
    let msg = &finding.message;
    assert!(msg.contains("1.46 GiB free"), "{msg}");
    assert!(
        msg.contains("1.98 GiB needed"),
        "1000 MiB image + 1024 MiB margin: {msg}"
    );
    assert!(msg.contains("delete software version"), "{msg}");
    // A smaller margin is a real allowance.
    let mut config = ReadinessConfig::default();
    config.disk.margin_mb = 256;
    assert!(readiness::check(&input, &config).passed());
}

#[test]
fn panrepo_on_the_root_filesystem_is_found_and_named() {
    let mut input = ready();
    let mut root = disk(4096);
    root.filesystems[0].mounted_on = "/".into();
    input.disk = Some(root);
    let report = readiness::check(&input, &ReadinessConfig::default());
    let finding = report
        .find(FindingCode::DiskSufficient)
        .expect("sufficient");
    assert!(
        finding
            .message
            .contains("4.00 GiB free on / (which holds /opt/panrepo)"),
        "{}",
        finding.message
    );
}

#[test]
fn base_image_counts_when_not_downloaded_and_unknown_sizes_warn() {
    let mut input = ready();
    input.target = v("11.0.1");
    input.base_image = Some(v("11.0.0"));
    input.catalog = Some(SoftwareCatalog {
        images: vec![
            image("10.2.9", Some(900), true, true),
            image("11.0.0", Some(1037), false, false),
            image("11.0.1", None, false, false),
        ],
    });
    input.disk = Some(disk(1500));
    let found = codes(&input, &ReadinessConfig::default());
    assert!(
        found.contains(&(FindingCode::DiskSizeUnknown, Severity::Warn)),
        "{found:?}"
    );
    assert!(
        found.contains(&(FindingCode::DiskInsufficient, Severity::Block)),
        "1037 MB base + 1024 MB margin > 1500 MB: {found:?}"
    );
}

#[test]
fn already_downloaded_images_need_no_space() {
    let mut input = ready();
    input.catalog.as_mut().unwrap().images[1].downloaded = true;
    input.disk = Some(disk(10));
    let found = codes(&input, &ReadinessConfig::default());
    assert!(found.contains(&(FindingCode::DiskNothingToDownload, Severity::Info)));
    assert!(readiness::check(&input, &ReadinessConfig::default()).passed());
}

#[test]
fn running_jobs_chassis_connection_and_catalog_block() {
    let mut input = ready();
    input.jobs = Some(vec![job(4, JobState::Finished), job(17, JobState::Active)]);
    input.chassis_ready = Some(false);
    input.managed.as_mut().unwrap().connected = false;
    input.target = v("10.2.11");
    let report = readiness::check(&input, &ReadinessConfig::default());
    let blocking: Vec<FindingCode> = report.blocking().map(|f| f.code).collect();
    for code in [
        FindingCode::JobsRunning,
        FindingCode::ChassisNotReady,
        FindingCode::DeviceNotConnected,
        FindingCode::CatalogTargetMissing,
    ] {
        assert!(blocking.contains(&code), "{code} in {blocking:?}");
    }
    let jobs = report.find(FindingCode::JobsRunning).unwrap();
    assert!(
        jobs.message.contains("Downld 17 running 45 %"),
        "{}",
        jobs.message
    );
    assert!(
        !jobs.message.contains("Downld 4 "),
        "finished jobs are not listed"
    );
    let text = report.to_text();
    assert!(
        text.starts_with("Readiness of 007951000123456 for 10.2.11: BLOCKED"),
        "{text}"
    );
}

#[test]
fn missing_facts_warn_instead_of_passing_silently() {
    let input = ReadinessInput::new(serial(), v("10.2.10"));
    let found = codes(&input, &ReadinessConfig::default());
    for code in [
        FindingCode::DeviceUnknown,
        FindingCode::VersionUnknown,
        FindingCode::CatalogUnknown,
        FindingCode::DiskSizeUnknown,
        FindingCode::DiskUnknown,
        FindingCode::JobsUnknown,
        FindingCode::ChassisUnknown,
    ] {
        assert!(
            found.contains(&(code, Severity::Warn)),
            "{code} in {found:?}"
        );
    }
}

#[test]
fn version_on_target_is_information_and_downgrade_warns() {
    let mut input = ready();
    input.target = v("10.2.9");
    assert!(
        codes(&input, &ReadinessConfig::default())
            .contains(&(FindingCode::VersionAlreadyOnTarget, Severity::Info))
    );
    input.target = v("10.1.0");
    assert!(
        codes(&input, &ReadinessConfig::default())
            .contains(&(FindingCode::VersionDowngrade, Severity::Warn))
    );
}

#[test]
fn overrides_and_disabled_checks_apply() {
    let mut input = ready();
    input.jobs = Some(vec![job(17, JobState::Pending)]);
    input.chassis_ready = Some(false);
    let config: ReadinessConfig =
        serde_json::from_str(r#"{"jobs":{"severity":"warn"},"chassis":{"enabled":false}}"#)
            .unwrap();
    let report = readiness::check(&input, &config);
    assert!(report.passed(), "{report}");
    assert_eq!(
        report.find(FindingCode::JobsRunning).unwrap().severity,
        Severity::Warn
    );
    assert!(report.find(FindingCode::ChassisNotReady).is_none());
    assert_eq!(report.checks_skipped, [panos_validation::CheckId::Chassis]);
    assert!(report.to_text().contains("checks turned off: chassis"));
}

#[test]
fn healthy_ha_pair_passes_and_each_fault_blocks() {
    let mut input = ready();
    input.expect_ha_pair = true;
    input.ha_local = Some(ha(HaState::Active, HaState::Passive));
    input.ha_peer = Some(ha(HaState::Passive, HaState::Active));
    assert!(
        codes(&input, &ReadinessConfig::default())
            .contains(&(FindingCode::HaHealthy, Severity::Info))
    );

    let mut both_active = input.clone();
    both_active.ha_peer = Some(ha(HaState::Active, HaState::Active));
    assert!(
        codes(&both_active, &ReadinessConfig::default())
            .contains(&(FindingCode::HaInconsistentRoles, Severity::Block))
    );

    let mut unsynced = input.clone();
    unsynced.ha_peer.as_mut().unwrap().running_sync = Some(ConfigSync::NotSynchronized);
    assert!(
        codes(&unsynced, &ReadinessConfig::default())
            .contains(&(FindingCode::HaNotSynchronized, Severity::Block))
    );

    let mut down = input.clone();
    down.ha_local
        .as_mut()
        .unwrap()
        .peer
        .as_mut()
        .unwrap()
        .conn_status = Some("down".into());
    assert!(
        codes(&down, &ReadinessConfig::default())
            .contains(&(FindingCode::HaPeerDown, Severity::Block))
    );

    let mut disabled = input.clone();
    disabled.ha_peer.as_mut().unwrap().enabled = false;
    assert!(
        codes(&disabled, &ReadinessConfig::default())
            .contains(&(FindingCode::HaNotEnabled, Severity::Block))
    );

    let mut unknown = input.clone();
    unknown.ha_peer = None;
    assert!(
        codes(&unknown, &ReadinessConfig::default())
            .contains(&(FindingCode::HaUnknown, Severity::Block))
    );

    let mut skew = input;
    skew.ha_peer
        .as_mut()
        .unwrap()
        .local
        .as_mut()
        .unwrap()
        .build_rel = Some(v("10.2.10"));
    assert!(
        codes(&skew, &ReadinessConfig::default())
            .contains(&(FindingCode::HaVersionMismatch, Severity::Warn))
    );
}

#[test]
fn standalone_job_on_an_ha_member_warns() {
    let mut input = ready();
    input.ha_local = Some(ha(HaState::Active, HaState::Passive));
    assert!(
        codes(&input, &ReadinessConfig::default())
            .contains(&(FindingCode::HaUnexpectedPair, Severity::Warn))
    );
}

#[test]
fn real_passive_member_sample_is_not_synchronized() {
    let Some(xml) = panos_samples::sample("show-high-availability-state.fw-10.0.9-passive.xml")
    else {
        return;
    };
    let passive = panos_client::parse::parse_ha_state(&xml).unwrap();
    let mut active = passive.clone();
    std::mem::swap(&mut active.local, &mut active.peer);
    let mut input = ready();
    input.expect_ha_pair = true;
    input.ha_local = Some(active);
    input.ha_peer = Some(passive);
    let report = readiness::check(&input, &ReadinessConfig::default());
    assert!(
        report.find(FindingCode::HaNotSynchronized).is_some(),
        "{report}"
    );
    assert!(
        report.find(FindingCode::HaInconsistentRoles).is_none(),
        "{report}"
    );
    assert!(!report.passed());
}

#[test]
fn real_catalog_and_jobs_samples_feed_the_checks() {
    let (Some(catalog), Some(jobs)) = (
        panos_samples::sample("request-system-software-check.fw-vm-11.0.xml"),
        panos_samples::sample("show-jobs-all.with-idless-failed-job.xml"),
    ) else {
        return;
    };
    let mut input = ready();
    input.target = v("11.0.1");
    input.base_image = Some(v("11.0.0"));
    input.catalog = Some(panos_client::parse::parse_software_catalog(&catalog).unwrap());
    input.jobs = Some(panos_client::parse::parse_jobs_all(&jobs).unwrap());
    input.disk = Some(disk(2048));
    let report = readiness::check(&input, &ReadinessConfig::default());
    assert!(
        report.find(FindingCode::CatalogTargetMissing).is_none(),
        "{report}"
    );
    assert!(
        report.find(FindingCode::JobsRunning).is_none(),
        "all FIN: {report}"
    );
    // 492 MB + 1037 MB + 1024 MB margin > 2048 MB free.
    assert!(
        report.find(FindingCode::DiskInsufficient).is_some(),
        "{report}"
    );
}

#[test]
fn report_json_round_trips_with_stable_codes() {
    let mut input = ready();
    input.chassis_ready = Some(false);
    let report = readiness::check(&input, &ReadinessConfig::default());
    let json = report.to_json();
    assert!(json.contains("\"chassis.not_ready\""), "{json}");
    assert!(json.contains("\"block\""));
    let back: panos_validation::ReadinessReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_input() -> impl Strategy<Value = ReadinessInput> {
        (
            any::<bool>(),
            prop::option::of(0u64..5000),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(prop::collection::vec(any::<bool>(), 0..4)),
            any::<bool>(),
            prop::option::of(0u8..4),
        )
            .prop_map(|(catalog, free, chassis, connected, jobs, pair, peer)| {
                let mut input = ready();
                if !catalog {
                    input.catalog = None;
                }
                input.disk = free.map(disk);
                input.chassis_ready = chassis;
                if let Some(connected) = connected {
                    input.managed.as_mut().unwrap().connected = connected;
                } else {
                    input.managed = None;
                }
                input.jobs = jobs.map(|states| {
                    states
                        .into_iter()
                        .enumerate()
                        .map(|(n, done)| {
                            let state = if done {
                                JobState::Finished
                            } else {
                                JobState::Active
                            };
                            job(n as u64 + 1, state)
                        })
                        .collect()
                });
                input.expect_ha_pair = pair;
                input.ha_local = Some(ha(HaState::Active, HaState::Passive));
                input.ha_peer = peer.map(|p| match p {
                    0 => ha(HaState::Passive, HaState::Active),
                    1 => ha(HaState::Active, HaState::Active),
                    2 => HaStatus {
                        enabled: false,
                        ..ha(HaState::Passive, HaState::Active)
                    },
                    _ => HaStatus {
                        running_sync: Some(ConfigSync::InProgress),
                        ..ha(HaState::Passive, HaState::Active)
                    },
                });
                input
            })
    }

    proptest! {
        #[test]
        fn passed_means_no_block_and_overrides_rule_every_non_info_finding(input in any_input()) {
            let report = readiness::check(&input, &ReadinessConfig::default());
            prop_assert_eq!(report.passed(), report.findings.iter().all(|f| f.severity != Severity::Block));

            let mut soft = ReadinessConfig::default();
            soft.disk.severity = Some(Severity::Warn);
            for c in [&mut soft.ha, &mut soft.jobs, &mut soft.chassis, &mut soft.device,
                      &mut soft.catalog, &mut soft.version] {
                c.severity = Some(Severity::Warn);
            }
            let softened = readiness::check(&input, &soft);
            prop_assert!(softened.passed(), "every check overridden to warn never blocks");
            prop_assert_eq!(softened.findings.len(), report.findings.len());
            for (a, b) in report.findings.iter().zip(&softened.findings) {
                prop_assert_eq!(a.code, b.code);
                prop_assert_eq!(a.severity == Severity::Info, b.severity == Severity::Info);
            }
        }

        #[test]
        fn running_jobs_always_block(input in any_input()) {
            let running = input.jobs.as_ref().is_some_and(|jobs| jobs.iter().any(|j| !j.is_finished()));
            let report = readiness::check(&input, &ReadinessConfig::default());
            prop_assert_eq!(
                report.find(FindingCode::JobsRunning).map(|f| f.severity),
                running.then_some(Severity::Block)
            );
        }
    }
}

#[test]
#[ignore = "prints a sample report for reading; run with --ignored --nocapture"]
fn print_sample_reports() {
    let mut input = ready();
    input.expect_ha_pair = true;
    input.ha_local = Some(ha(HaState::Active, HaState::Passive));
    let mut peer = ha(HaState::Suspended, HaState::Active);
    peer.running_sync = Some(ConfigSync::NotSynchronized);
    input.ha_peer = Some(peer);
    input.disk = Some(disk(1200));
    input
        .catalog
        .as_mut()
        .unwrap()
        .images
        .insert(0, image("10.1.6", Some(800), true, false));
    input.jobs = Some(vec![job(17, JobState::Active)]);
    let report = readiness::check(&input, &ReadinessConfig::default());
    println!("{report}\n{}", report.summary());
    assert!(!report.passed());
}
