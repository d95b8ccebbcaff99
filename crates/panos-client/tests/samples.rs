//! Every parser against the real PAN-OS / Panorama answers in `../shared/panos-xml/`, read
//! through `panos-samples` (skipped with a notice when the folder is missing, fatal under CI).
//!
//! Each test checks real field values, and `every_sample_is_covered` fails when a sample is
//! added that no test here reads.

use panos_client::model::{ConfigSync, HaState, JobOutcome, JobProgress, JobState, RoutingEngine};
use panos_client::parse::*;
use panos_client::{ClientError, JobId, SoftwareVersion};
use secrecy::ExposeSecret;

/// Every sample a test below reads.
const COVERED: &[&str] = &[
    "commit.job-enqueued-code19.xml",
    "commit.no-changes-code19.xml",
    "config-rename.code20-command-succeeded.doc-9.1.xml",
    "content-av-download.job-enqueued-code19.fw-8.x.xml",
    "error.code-12-msg-cdata-lines.xml",
    "error.code-17-empty-line.xml",
    "error.code-18-malformed-request.xml",
    "error.code-400-spaced-attr-result-msg.xml",
    "error.code-403-empty-msg.xml",
    "error.code-403-invalid-credential-after-password-change.xml",
    "error.code-7-status-success-object-not-present.xml",
    "error.no-code-msg-line-no-such-node.xml",
    "error.no-update-available.xml",
    "keygen.success-oneline.fw-10.2.11.xml",
    "request-high-availability-state-functional.via-panorama-target.doc-9.1.xml",
    "request-high-availability-state-suspend.via-panorama-target.doc-9.1.xml",
    "request-system-software-check.error-update-server-unreachable.xml",
    "request-system-software-check.fw-vm-11.0.xml",
    "request-system-software-check.fw-vm-8.0.3-current.xml",
    "request-system-software-check.panorama-10.0.x.xml",
    "request-system-software-download.via-panorama-target.code19.doc-9.1.xml",
    "request-system-software-install.via-panorama-target.code19.doc-9.1.xml",
    "show-advanced-routing-route.fw-json.xml",
    "show-arp-entry-all.fw-empty.xml",
    "show-arp-entry-all.fw-single.xml",
    "show-arp-entry-all.fw.xml",
    "show-devices-all.panorama-10.0.9.xml",
    "show-devices-all.panorama-fw-9.1.13-blank-cert-fields.xml",
    "show-devices-connected.panorama-10.1-fws-with-trailing-text.xml",
    "show-high-availability-state.fw-10.0.9-passive.xml",
    "show-high-availability-state.ha-disabled.xml",
    "show-high-availability-state.panorama-10.1.5-h2-primary-active.xml",
    "show-high-availability-state.panorama-11.0.1-primary-active-pathmon.xml",
    "show-jobs-all.fw-autocom-wildfire-fin.xml",
    "show-jobs-all.refreshlic-fin.xml",
    "show-jobs-all.with-idless-failed-job.xml",
    "show-jobs-id.antivirus-install-act-pend.fw-8.x.xml",
    "show-jobs-id.antivirus-install-fin-ok.fw-8.x.xml",
    "show-jobs-id.commit-act-pend-progress0.xml",
    "show-jobs-id.commit-act-pend-progress75.xml",
    "show-jobs-id.commit-fin-ok.xml",
    "show-jobs-id.downld-act-pend-still-active.fw-8.x.xml",
    "show-jobs-id.downld-fin-ok-admin-elem.fw-8.x.xml",
    "show-jobs-id.downld-fin-ok.via-panorama-target.doc-9.1.xml",
    "show-jobs-id.error-job-not-found.fw-6.x.xml",
    "show-jobs-id.validate-fin-fail-cdata-lines.xml",
    "show-routing-route.fw-demisto.xml",
    "show-routing-route.fw-ecmp-two-nexthops.xml",
    "show-routing-route.fw-empty.xml",
    "show-session-info.fw-busy-102k-active.xml",
    "show-session-info.fw-vm.xml",
    "show-system-disk-space.fw-cdata.xml",
    "show-system-disk-space.fw-nvme.result-text.txt",
    "show-system-disk-space.fw-sda-plaintext.xml",
    "show-system-info.fw-10.2.11-h12-redacted.xml",
    "show-system-info.fw-8.1.3-pavm-kvm.xml",
    "show-system-info.fw-9.1.12-h3-pa7050.xml",
    "show-system-info.panorama-10.0.9.xml",
];

/// Reads a sample; the name must be listed in [`COVERED`].
fn sample(name: &str) -> Option<String> {
    assert!(
        COVERED.contains(&name),
        "{name} is read but not listed in COVERED"
    );
    panos_samples::sample(name)
}

fn v(text: &str) -> SoftwareVersion {
    text.parse().unwrap()
}

/// The code, message and HTTP status of an API error.
fn api_error(
    result: Result<impl std::fmt::Debug, ClientError>,
) -> (Option<u32>, String, Option<u16>) {
    match result {
        Err(ClientError::Api {
            code,
            message,
            http_status,
            ..
        }) => (code, message, http_status),
        other => panic!("expected an API error, got {other:?}"),
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn gib(n: f64) -> u64 {
    (n * GIB).round() as u64
}

#[test]
fn every_sample_is_covered() {
    let Some(names) = panos_samples::sample_names() else {
        return;
    };
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !COVERED.contains(&name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "samples no parser test reads: {missing:?}"
    );
    let gone: Vec<&&str> = COVERED
        .iter()
        .filter(|name| !names.iter().any(|n| n == *name))
        .collect();
    assert!(
        gone.is_empty(),
        "listed samples that no longer exist: {gone:?}"
    );
}

// ---- envelope and errors ----------------------------------------------------------------

#[test]
fn error_code_12_joins_cdata_lines() {
    let Some(xml) = sample("error.code-12-msg-cdata-lines.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("set", None, &xml));
    assert_eq!(code, Some(12));
    assert_eq!(
        message,
        "tf123456 -> server -> first server  is invalid. HTTP method must be GET, \
         Username/Password must not be empty when Tag Distribution is chosen\n\
         tf123456 -> server is invalid"
    );
}

#[test]
fn error_code_17_has_an_empty_message() {
    let Some(xml) = sample("error.code-17-empty-line.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("op", None, &xml));
    assert_eq!(code, Some(17));
    assert_eq!(message, "");
}

#[test]
fn error_code_18_single_quoted() {
    let Some(xml) = sample("error.code-18-malformed-request.xml") else {
        return;
    };
    let (code, message, http) = api_error(check_envelope("op", Some(200), &xml));
    assert_eq!(
        (code, message.as_str(), http),
        (Some(18), "Malformed Request", None)
    );
}

#[test]
fn error_code_400_spaced_attributes_and_result_msg() {
    let Some(xml) = sample("error.code-400-spaced-attr-result-msg.xml") else {
        return;
    };
    let (code, message, http) = api_error(check_envelope("export", Some(400), &xml));
    assert_eq!(code, Some(400));
    assert_eq!(http, Some(400));
    assert_eq!(
        message,
        "Parameter \"format\" is required while exporting certificate"
    );
}

#[test]
fn error_code_403_is_auth_with_its_message() {
    let Some(xml) = sample("error.code-403-invalid-credential-after-password-change.xml") else {
        return;
    };
    for status in [Some(403), None] {
        match check_envelope("show system info", status, &xml) {
            Err(ClientError::Auth { message, .. }) => assert_eq!(message, "Invalid Credential"),
            other => panic!("expected auth, got {other:?}"),
        }
    }
    let err = parse_system_info(&xml).unwrap_err();
    assert!(matches!(err, ClientError::Auth { .. }));
    assert!(!err.is_retryable());
    assert!(!err.may_have_been_applied());
}

#[test]
fn error_code_403_empty_msg_is_auth() {
    let Some(xml) = sample("error.code-403-empty-msg.xml") else {
        return;
    };
    match check_envelope("op", Some(403), &xml) {
        Err(ClientError::Auth { message, .. }) => assert_eq!(message, ""),
        other => panic!("expected auth, got {other:?}"),
    }
}

#[test]
fn error_code_7_with_status_success_is_a_failure() {
    let Some(xml) = sample("error.code-7-status-success-object-not-present.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("get", None, &xml));
    assert_eq!((code, message.as_str()), (Some(7), ""));
}

#[test]
fn error_without_code_msg_line() {
    let Some(xml) = sample("error.no-code-msg-line-no-such-node.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("show", None, &xml));
    assert_eq!((code, message.as_str()), (None, "No such node"));
}

#[test]
fn error_no_update_available() {
    let Some(xml) = sample("error.no-update-available.xml") else {
        return;
    };
    let (code, message, _) = api_error(parse_job_enqueued(&xml));
    assert_eq!((code, message.as_str()), (None, "No update available"));
}

#[test]
fn code_20_is_success_with_its_message() {
    let Some(xml) = sample("config-rename.code20-command-succeeded.doc-9.1.xml") else {
        return;
    };
    let envelope = check_envelope("rename", Some(200), &xml).unwrap();
    assert_eq!(envelope.code, Some(20));
    assert_eq!(envelope.message, "command succeeded");
}

#[test]
fn keygen_reads_the_spaced_single_quoted_answer() {
    let Some(xml) = sample("keygen.success-oneline.fw-10.2.11.xml") else {
        return;
    };
    let key = parse_keygen(&xml).unwrap();
    let key = key.expose_secret();
    assert!(key.starts_with("LUFRPT1IanVrY0k4aUFtUURsaks0"), "{key}");
    assert!(key.ends_with("Rmc9PQ=="));
    assert_eq!(key.len(), 164);
}

// ---- jobs -----------------------------------------------------------------------------------

#[test]
fn job_enqueued_answers() {
    for (name, id) in [
        ("commit.job-enqueued-code19.xml", 2),
        ("content-av-download.job-enqueued-code19.fw-8.x.xml", 7708),
        (
            "request-system-software-download.via-panorama-target.code19.doc-9.1.xml",
            3448,
        ),
        (
            "request-system-software-install.via-panorama-target.code19.doc-9.1.xml",
            3453,
        ),
    ] {
        let Some(xml) = sample(name) else { return };
        assert_eq!(parse_job_enqueued(&xml).unwrap(), JobId(id), "{name}");
        let envelope = check_envelope("op", None, &xml).unwrap();
        assert_eq!(envelope.code, Some(19), "{name}");
        assert!(envelope.message.contains(&format!("jobid {id}")), "{name}");
    }
}

#[test]
fn commit_without_changes_has_no_job() {
    let Some(xml) = sample("commit.no-changes-code19.xml") else {
        return;
    };
    let envelope = check_envelope("commit", None, &xml).unwrap();
    assert_eq!(envelope.code, Some(19));
    assert_eq!(envelope.message, "There are no changes to commit.");
    let (code, message, _) = api_error(parse_job_enqueued(&xml));
    assert_eq!(
        (code, message.as_str()),
        (Some(19), "There are no changes to commit.")
    );
}

#[test]
fn job_download_fin_via_panorama_has_time_progress() {
    let Some(xml) = sample("show-jobs-id.downld-fin-ok.via-panorama-target.doc-9.1.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(3448)));
    assert_eq!(job.job_type.as_deref(), Some("Downld"));
    assert_eq!(job.state, JobState::Finished);
    assert_eq!(job.outcome, JobOutcome::Ok);
    assert_eq!(job.progress, JobProgress::Time("08:32:10".into()));
    assert_eq!(job.enqueued_at.as_deref(), Some("2016/02/03 08:32:00"));
    assert_eq!(job.finished_at.as_deref(), Some("08:32:10"));
    assert_eq!(
        job.details,
        [
            "Successfully downloaded",
            "Preloading into software manager",
            "Successfully loaded into software manager"
        ]
    );
    assert!(job.warnings.is_empty());
    assert!(job.is_finished());
}

#[test]
fn job_download_still_active_with_admin_element() {
    let Some(xml) = sample("show-jobs-id.downld-act-pend-still-active.fw-8.x.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(7712)));
    assert_eq!(job.state, JobState::Active);
    assert_eq!(job.outcome, JobOutcome::Pending);
    assert_eq!(job.progress, JobProgress::Percent(13));
    assert_eq!(job.finished_at.as_deref(), Some("Still Active"));
    assert_eq!(job.description, None);
    assert!(job.details.is_empty());
    assert!(!job.is_finished());
}

#[test]
fn job_download_fin_admin_element_trims_the_line() {
    let Some(xml) = sample("show-jobs-id.downld-fin-ok-admin-elem.fw-8.x.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(7710)));
    assert_eq!(
        (job.state, job.outcome),
        (JobState::Finished, JobOutcome::Ok)
    );
    assert_eq!(job.progress, JobProgress::Time("14:02:21".into()));
    assert_eq!(job.details, ["File successfully downloaded"]);
}

#[test]
fn job_antivirus_install_running_then_done() {
    let Some(running) = sample("show-jobs-id.antivirus-install-act-pend.fw-8.x.xml") else {
        return;
    };
    let Some(done) = sample("show-jobs-id.antivirus-install-fin-ok.fw-8.x.xml") else {
        return;
    };
    let running = parse_job_status(&running).unwrap();
    assert_eq!(running.id, Some(JobId(7713)));
    assert_eq!(running.job_type.as_deref(), Some("Antivirus"));
    assert_eq!(running.state, JobState::Active);
    assert_eq!(running.progress, JobProgress::Percent(10));
    let done = parse_job_status(&done).unwrap();
    assert_eq!(done.id, Some(JobId(7713)));
    assert_eq!(
        (done.state, done.outcome),
        (JobState::Finished, JobOutcome::Ok)
    );
    assert_eq!(done.progress, JobProgress::Time("14:09:42".into()));
    assert_eq!(
        done.details,
        [
            "Configuration committed successfully",
            "Successfully committed last configuration"
        ]
    );
}

#[test]
fn job_commit_progress_percentages() {
    for (name, state, outcome, progress) in [
        (
            "show-jobs-id.commit-act-pend-progress0.xml",
            JobState::Active,
            JobOutcome::Pending,
            0,
        ),
        (
            "show-jobs-id.commit-act-pend-progress75.xml",
            JobState::Active,
            JobOutcome::Pending,
            75,
        ),
        (
            "show-jobs-id.commit-fin-ok.xml",
            JobState::Finished,
            JobOutcome::Ok,
            100,
        ),
    ] {
        let Some(xml) = sample(name) else { return };
        let job = parse_job_status(&xml).unwrap();
        assert_eq!(job.id, Some(JobId(2)), "{name}");
        assert_eq!(job.job_type.as_deref(), Some("Commit"), "{name}");
        assert_eq!(job.state, state, "{name}");
        assert_eq!(job.outcome, outcome, "{name}");
        assert_eq!(job.progress, JobProgress::Percent(progress), "{name}");
        assert_eq!(job.enqueued_at.as_deref(), Some("2018/06/12 04:36:45"));
    }
    let Some(xml) = sample("show-jobs-id.commit-fin-ok.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.details, ["Configuration committed successfully"]);
    assert_eq!(job.finished_at.as_deref(), Some("04:36:57"));
}

#[test]
fn job_validate_fail_keeps_cdata_lines() {
    let Some(xml) = sample("show-jobs-id.validate-fin-fail-cdata-lines.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(8)));
    assert_eq!(job.job_type.as_deref(), Some("Validate"));
    assert_eq!(
        (job.state, job.outcome),
        (JobState::Finished, JobOutcome::Fail)
    );
    assert_eq!(job.details.len(), 6);
    assert_eq!(job.details[0], "Validation Error:");
    assert_eq!(
        job.details[1],
        "address -> address-3 Node ip-netmask(line 30226) and ip-range(line 30227) are mutually exclusive"
    );
    assert_eq!(job.details[5], "devices is invalid");
}

#[test]
fn job_not_found_is_an_api_error() {
    let Some(xml) = sample("show-jobs-id.error-job-not-found.fw-6.x.xml") else {
        return;
    };
    let (code, message, _) = api_error(parse_job_status(&xml));
    assert_eq!((code, message.as_str()), (None, "job 4 not found"));
}

#[test]
fn jobs_all_autocom_and_wildfire() {
    let Some(xml) = sample("show-jobs-all.fw-autocom-wildfire-fin.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, Some(JobId(4)));
    assert_eq!(jobs[0].job_type.as_deref(), Some("WildFire"));
    assert_eq!(
        jobs[0].progress,
        JobProgress::Time("2023/08/07 04:00:45".into())
    );
    assert_eq!(jobs[1].id, Some(JobId(1)));
    assert_eq!(jobs[1].job_type.as_deref(), Some("AutoCom"));
    assert_eq!(jobs[1].progress, JobProgress::Percent(100));
    assert!(
        jobs.iter()
            .all(|job| job.is_finished() && job.outcome == JobOutcome::Ok)
    );
}

#[test]
fn jobs_all_refreshlic() {
    let Some(xml) = sample("show-jobs-all.refreshlic-fin.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, Some(JobId(385)));
    assert_eq!(jobs[0].job_type.as_deref(), Some("RefreshLic"));
    assert_eq!(jobs[0].finished_at.as_deref(), Some("01:39:18"));
    assert!(jobs[0].details.is_empty());
}

#[test]
fn jobs_all_keeps_the_idless_job() {
    let Some(xml) = sample("show-jobs-all.with-idless-failed-job.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, None);
    assert_eq!(jobs[0].job_type.as_deref(), Some("Failed-Job"));
    assert_eq!(jobs[0].details, ["job failed because of configd restart"]);
    assert!(!jobs[0].is_finished());
    assert_eq!(jobs[1].id, Some(JobId(7)));
    assert_eq!(jobs[1].description.as_deref(), Some("description"));
    assert_eq!(jobs[1].details, ["line 1", "line 2"]);
    assert_eq!(jobs[1].finished_at.as_deref(), Some("2024/08/25 22:09:00"));
}

// ---- software catalog -------------------------------------------------------------------

#[test]
fn catalog_vm_11_0_sorted_ascending() {
    let Some(xml) = sample("request-system-software-check.fw-vm-11.0.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    let versions: Vec<String> = catalog
        .images
        .iter()
        .map(|i| i.version.to_string())
        .collect();
    assert_eq!(versions, ["11.0.0", "11.0.1"]);
    let latest = catalog.get(&v("11.0.1")).unwrap();
    assert!(latest.latest && !latest.downloaded && !latest.current);
    assert_eq!(latest.filename.as_deref(), Some("PanOS_vm-11.0.1"));
    assert_eq!(latest.size_mb, Some(492));
    assert_eq!(latest.size_kb, Some(504_796));
    assert_eq!(latest.size_bytes(), Some(504_796 * 1024));
    assert_eq!(latest.released_on.as_deref(), Some("2023/03/29 15:05:25"));
    assert!(catalog.current().is_none());
}

#[test]
fn catalog_vm_8_0_3_current_and_downloaded() {
    let Some(xml) = sample("request-system-software-check.fw-vm-8.0.3-current.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    assert_eq!(catalog.images.len(), 2);
    let current = catalog.current().unwrap();
    assert_eq!(current.version, v("8.0.3"));
    assert!(current.downloaded);
    assert_eq!(current.released_on.as_deref(), Some("2017/06/18  14:55:45"));
    assert_eq!(catalog.images[1].version, v("8.0.4"));
    assert!(catalog.images[1].latest);
}

#[test]
fn catalog_panorama_is_sorted_even_when_the_device_is_not() {
    let Some(xml) = sample("request-system-software-check.panorama-10.0.x.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    assert_eq!(catalog.images.len(), 23);
    assert!(
        catalog
            .images
            .windows(2)
            .all(|w| w[0].version < w[1].version)
    );
    assert_eq!(catalog.images[0].version, v("4.0.1"));
    assert_eq!(
        catalog.images[0].filename.as_deref(),
        Some("PanCMS_pc-4.0.1")
    );
    assert_eq!(catalog.images[22].version, v("10.0.10"));
    assert!(catalog.images[22].latest);
    let pos = |text: &str| {
        catalog
            .images
            .iter()
            .position(|i| i.version == v(text))
            .unwrap()
    };
    assert!(pos("9.1.13") < pos("9.1.13-h1") && pos("9.1.13-h1") < pos("9.1.13-h3"));
    assert_eq!(catalog.get(&v("10.0.9")).unwrap().size_kb, Some(381_333));
}

#[test]
fn catalog_check_without_update_server() {
    let Some(xml) = sample("request-system-software-check.error-update-server-unreachable.xml")
    else {
        return;
    };
    let (code, message, _) = api_error(parse_software_catalog(&xml));
    assert_eq!(code, None);
    assert_eq!(
        message,
        "Failed to check upgrade info due to generic communication error. Please check \
         network connectivity and try again."
    );
}

// ---- system info ------------------------------------------------------------------------

#[test]
fn system_info_pa7050() {
    let Some(xml) = sample("show-system-info.fw-9.1.12-h3-pa7050.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "testfw");
    assert_eq!(info.serial.as_str(), "11111111111");
    assert_eq!(info.model, "PA-7050");
    assert_eq!(info.family.as_deref(), Some("7000"));
    assert_eq!(info.sw_version, v("9.1.12-h3"));
    assert_eq!(info.app_version.as_deref(), Some("8709-8047"));
    assert_eq!(info.av_version.as_deref(), Some("4455-4972"));
    assert_eq!(info.ip_address.as_deref(), Some("1.1.1.1"));
    assert_eq!(info.uptime.as_deref(), Some("179 days, 5:07:34"));
    assert_eq!(info.multi_vsys, Some(true));
    assert_eq!(info.advanced_routing, None);
    assert_eq!(info.operational_mode.as_deref(), Some("normal"));
}

#[test]
fn system_info_pavm_8_1_3() {
    let Some(xml) = sample("show-system-info.fw-8.1.3-pavm-kvm.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "PA-VM");
    assert_eq!(info.serial.as_str(), "123456");
    assert_eq!(info.model, "PA-VM");
    assert_eq!(info.family.as_deref(), Some("vm"));
    assert_eq!(info.sw_version, v("8.1.3"));
    assert_eq!(info.ip_address.as_deref(), Some("192.168.122.254"));
    assert_eq!(info.uptime.as_deref(), Some("0 days, 7:36:01"));
    assert_eq!(info.multi_vsys, Some(false));
}

#[test]
fn system_info_panorama() {
    let Some(xml) = sample("show-system-info.panorama-10.0.9.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "Panorama");
    assert_eq!(info.model, "Panorama");
    assert_eq!(info.serial.as_str(), "111111111111111");
    assert_eq!(info.family.as_deref(), Some("pc"));
    assert_eq!(info.sw_version, v("10.0.9"));
    assert_eq!(info.advanced_routing, Some(true));
    assert_eq!(info.av_version.as_deref(), Some("0"));
}

#[test]
fn system_info_redacted_serial_is_refused_and_the_rest_reads() {
    let Some(xml) = sample("show-system-info.fw-10.2.11-h12-redacted.xml") else {
        return;
    };
    // The author replaced family, model and serial with `#########`: not a serial.
    let err = parse_system_info(&xml).unwrap_err();
    assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("serial"), "{err}");
    // With a serial put back, every other field reads.
    let restored = xml.replace(
        "<serial>#########</serial>",
        "<serial>012801000001</serial>",
    );
    let info = parse_system_info(&restored).unwrap();
    assert_eq!(info.hostname, "PA-LAB");
    assert_eq!(info.serial.as_str(), "012801000001");
    assert_eq!(info.sw_version, v("10.2.11-h12"));
    assert_eq!(info.app_version.as_deref(), Some("8971-9419"));
    assert_eq!(info.av_version.as_deref(), Some("5169-5689"));
    assert_eq!(info.uptime.as_deref(), Some("65 days, 8:44:39"));
    assert_eq!(info.multi_vsys, Some(false));
    assert_eq!(info.advanced_routing, Some(false));
}

// ---- HA -------------------------------------------------------------------------------------

#[test]
fn ha_firewall_passive_member() {
    let Some(xml) = sample("show-high-availability-state.fw-10.0.9-passive.xml") else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(ha.enabled);
    assert_eq!(ha.mode.as_deref(), Some("Active-Passive"));
    let local = ha.local.unwrap();
    assert_eq!(local.state, HaState::Passive);
    assert_eq!(local.priority.as_deref(), Some("90"));
    assert_eq!(local.preemptive, Some(false));
    assert_eq!(local.build_rel, Some(v("10.0.9")));
    assert_eq!(local.mgmt_ip.as_deref(), Some("1.1.1.140/24"));
    assert_eq!(local.state_duration_secs, Some(44_655));
    assert_eq!(local.last_error_reason.as_deref(), Some("User requested"));
    let peer = ha.peer.unwrap();
    assert_eq!(peer.state, HaState::Active);
    assert_eq!(peer.priority.as_deref(), Some("100"));
    assert_eq!(peer.conn_status.as_deref(), Some("up"));
    assert_eq!(peer.state_duration_secs, Some(49_561));
    assert_eq!(ha.running_sync, Some(ConfigSync::NotSynchronized));
    assert_eq!(ha.running_sync_enabled, Some(true));
}

#[test]
fn ha_disabled() {
    let Some(xml) = sample("show-high-availability-state.ha-disabled.xml") else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(!ha.enabled);
    assert!(ha.local.is_none() && ha.peer.is_none() && ha.running_sync.is_none());
}

#[test]
fn ha_panorama_without_group() {
    let Some(xml) = sample("show-high-availability-state.panorama-10.1.5-h2-primary-active.xml")
    else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(ha.enabled);
    let local = ha.local.unwrap();
    assert_eq!(local.state, HaState::Other("primary-active".into()));
    assert!(local.state.is_active());
    assert_eq!(local.priority.as_deref(), Some("primary"));
    assert_eq!(local.build_rel, Some(v("10.1.5-h2")));
    let peer = ha.peer.unwrap();
    assert!(peer.state.is_passive());
    assert_eq!(peer.mgmt_ip.as_deref(), Some("1.1.1.2"));
    assert_eq!(peer.conn_status.as_deref(), Some("up"));
    assert_eq!(ha.running_sync, Some(ConfigSync::NotSynchronized));
}

#[test]
fn ha_panorama_11_synchronized() {
    let Some(xml) =
        sample("show-high-availability-state.panorama-11.0.1-primary-active-pathmon.xml")
    else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    let (local, peer) = (ha.local.unwrap(), ha.peer.unwrap());
    assert!(local.state.is_active() && peer.state.is_passive());
    assert_eq!(local.preemptive, Some(true));
    assert_eq!(local.state_duration_secs, Some(218_028));
    assert_eq!(peer.build_rel, Some(v("11.0.1")));
    assert_eq!(ha.running_sync, Some(ConfigSync::Synchronized));
}

#[test]
fn ha_state_changes() {
    for name in [
        "request-high-availability-state-suspend.via-panorama-target.doc-9.1.xml",
        "request-high-availability-state-functional.via-panorama-target.doc-9.1.xml",
    ] {
        let Some(xml) = sample(name) else { return };
        parse_ha_state_change(&xml).unwrap();
        let envelope = check_envelope("ha", None, &xml).unwrap();
        assert_eq!(envelope.code, None, "{name}");
        let err = parse_ha_state_change(&xml.replace("success", "error")).unwrap_err();
        assert!(matches!(err, ClientError::Api { .. }), "{name}: {err:?}");
    }
}

// ---- sessions, routes, ARP, disk ------------------------------------------------------

#[test]
fn session_info_busy_firewall() {
    let Some(xml) = sample("show-session-info.fw-busy-102k-active.xml") else {
        return;
    };
    let info = parse_session_info(&xml).unwrap();
    assert_eq!(info.num_max, Some(4_194_302));
    assert_eq!(info.num_active, 102_448);
    assert_eq!(info.num_tcp, 72_139);
    assert_eq!(info.num_udp, 29_570);
    assert_eq!(info.num_icmp, 114);
    assert_eq!(info.cps, Some(750));
    assert_eq!(info.kbps, Some(1_519));
}

#[test]
fn session_info_idle_vm() {
    let Some(xml) = sample("show-session-info.fw-vm.xml") else {
        return;
    };
    let info = parse_session_info(&xml).unwrap();
    assert_eq!(info.num_max, Some(1_800_000));
    assert_eq!((info.num_active, info.num_tcp, info.num_udp), (0, 0, 0));
    assert_eq!(info.cps, Some(0));
}

#[test]
fn routes_legacy_single() {
    let Some(xml) = sample("show-routing-route.fw-demisto.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Legacy).unwrap();
    assert_eq!(table.engine, RoutingEngine::Legacy);
    assert_eq!(table.routes.len(), 1);
    let route = &table.routes[0];
    assert_eq!(route.router, "default");
    assert_eq!(route.destination, "0.0.0.0/0");
    assert_eq!(route.nexthop, "1.1.1.1");
    assert_eq!(route.metric, Some(10));
    assert_eq!(route.flags, "A S");
    assert_eq!(route.age_secs, None);
    assert_eq!(route.interface.as_deref(), Some("ethernet1/1"));
    assert_eq!(route.route_table.as_deref(), Some("unicast"));
}

#[test]
fn routes_legacy_ecmp() {
    let Some(xml) = sample("show-routing-route.fw-ecmp-two-nexthops.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Legacy).unwrap();
    assert_eq!(table.routes.len(), 2);
    assert!(
        table
            .routes
            .iter()
            .all(|r| r.destination == "0.0.0.0/0" && r.flags == "A S E")
    );
    let hops: Vec<&str> = table.routes.iter().map(|r| r.nexthop.as_str()).collect();
    assert_eq!(hops, ["10.10.11.1", "10.10.12.1"]);
}

#[test]
fn routes_legacy_empty() {
    let Some(xml) = sample("show-routing-route.fw-empty.xml") else {
        return;
    };
    assert!(
        parse_routes(&xml, RoutingEngine::Legacy)
            .unwrap()
            .routes
            .is_empty()
    );
    assert!(
        parse_routes(&xml, RoutingEngine::Advanced)
            .unwrap()
            .routes
            .is_empty()
    );
}

#[test]
fn routes_advanced_json() {
    let Some(xml) = sample("show-advanced-routing-route.fw-json.xml") else {
        return;
    };
    let table = parse_routes(&xml, RoutingEngine::Advanced).unwrap();
    assert_eq!(table.engine, RoutingEngine::Advanced);
    assert_eq!(table.routes.len(), 1);
    let route = &table.routes[0];
    assert_eq!(route.router, "public-lr");
    assert_eq!(route.destination, "0.0.0.0/0");
    assert_eq!(route.nexthop, "");
    assert_eq!(route.interface.as_deref(), Some("ethernet1/1"));
    assert_eq!(route.metric, Some(10));
    assert_eq!(route.flags, "static");
    assert_eq!(route.age_secs, Some(26));
}

#[test]
fn arp_trimmed_status_and_reported_total() {
    let Some(xml) = sample("show-arp-entry-all.fw.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!(arp.max, Some(1500));
    assert_eq!(arp.total, Some(9));
    assert_eq!(arp.entries.len(), 2);
    assert!(
        arp.entries
            .iter()
            .all(|e| e.status == "c" && e.ip == "1.1.1.1")
    );
    assert_eq!(arp.entries[0].mac, "00:66:4b:da:ce:61");
    assert_eq!(arp.entries[1].ttl_secs, Some(996));
    assert_eq!(arp.entries[1].port.as_deref(), Some("ethernet1/1"));
}

#[test]
fn arp_single_entry() {
    let Some(xml) = sample("show-arp-entry-all.fw-single.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!((arp.max, arp.total), (Some(32_000), Some(1)));
    assert_eq!(arp.entries.len(), 1);
    let entry = &arp.entries[0];
    assert_eq!(entry.interface, "ethernet1/1");
    assert_eq!(entry.ip, "10.10.11.1");
    assert_eq!(entry.mac, "aa:bb:cc:dd:ee:ff:ab");
    assert_eq!(entry.status, "c");
    assert_eq!(entry.ttl_secs, Some(1777));
}

#[test]
fn arp_empty() {
    let Some(xml) = sample("show-arp-entry-all.fw-empty.xml") else {
        return;
    };
    let arp = parse_arp(&xml).unwrap();
    assert_eq!((arp.max, arp.total), (Some(32_000), Some(0)));
    assert!(arp.entries.is_empty());
}

#[test]
fn disk_space_cdata() {
    let Some(xml) = sample("show-system-disk-space.fw-cdata.xml") else {
        return;
    };
    let disk = parse_disk_space(&xml).unwrap();
    assert_eq!(disk.filesystems.len(), 8);
    let repo = disk.filesystem_for("/opt/panrepo").unwrap();
    assert_eq!(repo.device, "/dev/md6");
    assert_eq!(repo.size_bytes, gib(23.0));
    assert_eq!(repo.used_bytes, gib(2.2));
    assert_eq!(repo.avail_bytes, gib(20.0));
    assert_eq!(repo.use_percent, 11);
    let raid = disk.filesystem_for("/opt/panraid/ld1").unwrap();
    assert_eq!(raid.size_bytes, (1.8 * GIB * 1024.0).round() as u64);
    let last = disk.filesystems.last().unwrap();
    assert_eq!(last.mounted_on, "/opt/pancfg/mgmt/lcaas/ssl/private");
    assert_eq!(last.avail_bytes, 1020 * 1024);
    assert_eq!(last.used_bytes, 4 * 1024);
    let md5 = disk.filesystem_for("/opt/pancfg").unwrap();
    assert_eq!((md5.used_bytes, md5.size_bytes), (0, 100 * 1024 * 1024));
}

#[test]
fn disk_space_plain_text_with_declaration() {
    let Some(xml) = sample("show-system-disk-space.fw-sda-plaintext.xml") else {
        return;
    };
    let disk = parse_disk_space(&xml).unwrap();
    let mounts: Vec<&str> = disk
        .filesystems
        .iter()
        .map(|f| f.mounted_on.as_str())
        .collect();
    assert_eq!(
        mounts,
        [
            "/",
            "/opt/pancfg",
            "/opt/panrepo",
            "/dev/shm",
            "/opt/panlogs"
        ]
    );
    assert_eq!(disk.panrepo_free_bytes(), Some(gib(2.6)));
    let shm = disk.filesystem_for("/dev/shm").unwrap();
    assert_eq!(
        (shm.device.as_str(), shm.used_bytes),
        ("tmpfs", 67 * 1024 * 1024)
    );
    assert_eq!(
        disk.filesystem_for("/opt/panlogs").unwrap().size_bytes,
        gib(90.0)
    );
}

#[test]
fn disk_space_df_text_nvme() {
    let Some(text) = sample("show-system-disk-space.fw-nvme.result-text.txt") else {
        return;
    };
    let disk = parse_df_text(&text).unwrap();
    assert_eq!(disk.filesystems.len(), 7);
    let repo = disk.filesystem_for("/opt/panrepo").unwrap();
    assert_eq!(repo.device, "/dev/nvme0n1p6");
    assert_eq!(repo.avail_bytes, gib(3.6));
    assert_eq!(repo.use_percent, 53);
    let cgroup = disk.filesystem_for("/cgroup").unwrap();
    assert_eq!((cgroup.used_bytes, cgroup.use_percent), (0, 0));
    assert_eq!(disk.filesystem_for("/dev").unwrap().used_bytes, 76 * 1024);
    // The same text wrapped in an answer, as a device sends it.
    let xml =
        format!("<response status=\"success\"><result><![CDATA[{text}]]></result></response>");
    assert_eq!(parse_disk_space(&xml).unwrap(), disk);
}

// ---- Panorama: managed devices ----------------------------------------------------------

#[test]
fn devices_all_with_ha_pair() {
    let Some(xml) = sample("show-devices-all.panorama-10.0.9.xml") else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 3);
    let serials: Vec<&str> = devices.iter().map(|d| d.serial.as_str()).collect();
    assert_eq!(
        serials,
        ["111111111111111", "222222222222222", "333333333333333"]
    );
    let first = &devices[0];
    assert_eq!(first.hostname.as_deref(), Some("vm-lab-fw1"));
    assert_eq!(first.model.as_deref(), Some("PA-VM"));
    assert_eq!(first.family.as_deref(), Some("vm"));
    assert_eq!(first.sw_version, Some(v("10.0.9")));
    assert_eq!(first.app_version.as_deref(), Some("8475-7000"));
    assert!(first.connected);
    let ha = first.ha.as_ref().unwrap();
    assert_eq!(ha.state, "passive");
    assert_eq!(ha.peer_serial.as_ref().unwrap().as_str(), "222222222222222");
    assert_eq!(devices[1].ha.as_ref().unwrap().state, "active");
    let third = devices[2].ha.as_ref().unwrap();
    assert_eq!(
        (third.state.as_str(), third.peer_serial.as_ref()),
        ("no", None)
    );
}

#[test]
fn devices_all_blank_cert_fields() {
    let Some(xml) = sample("show-devices-all.panorama-fw-9.1.13-blank-cert-fields.xml") else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 1);
    let device = &devices[0];
    assert_eq!(device.serial.as_str(), "111111111111111");
    assert_eq!(device.hostname.as_deref(), Some("pantf-outbound-fw000000"));
    assert_eq!(device.ip_address.as_deref(), Some("1.1.1.1"));
    assert_eq!(device.sw_version, Some(v("9.1.13")));
    assert!(device.connected);
    assert!(device.ha.is_none());
}

#[test]
fn devices_connected_tolerates_trailing_text() {
    let Some(xml) = sample("show-devices-connected.panorama-10.1-fws-with-trailing-text.xml")
    else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 7);
    assert!(devices.iter().all(|d| d.connected));
    let hostnames: Vec<&str> = devices
        .iter()
        .filter_map(|d| d.hostname.as_deref())
        .collect();
    assert_eq!(
        hostnames,
        [
            "lab-fw3", "lab-fw1", "katy-fw1", "lab-fw4", "lab-fw2", "katy-fw2", "lab-fw5"
        ]
    );
    let katy1 = &devices[2];
    assert_eq!(katy1.serial.as_str(), "007054000543212");
    let ha = katy1.ha.as_ref().unwrap();
    assert_eq!(ha.state, "active");
    assert_eq!(ha.peer_serial.as_ref().unwrap().as_str(), "007054000543217");
    assert_eq!(devices[5].ha.as_ref().unwrap().state, "passive");
    assert!(
        devices[0].ha.is_none(),
        "ha-cluster alone is not HA membership"
    );
    assert_eq!(devices[3].sw_version, Some(v("10.1.3-h3")));
}
