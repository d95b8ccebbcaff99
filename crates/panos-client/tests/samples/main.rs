//! Every parser against the real PAN-OS / Panorama answers in `../shared/panos-xml/`, read
//! through `panos-samples` (skipped with a notice when the folder is missing, fatal under CI).
//!
//! Each test checks real field values, and `every_sample_is_covered` fails when a sample is
//! added that no test here reads.

mod device;
mod envelope;
mod jobs;
mod software;
mod traffic;

use panos_client::model::{ConfigSync, HaState, JobOutcome, JobProgress, JobState, RoutingEngine};
use panos_client::parse::*;
use panos_client::{ClientError, JobId, SoftwareVersion};
use secrecy::ExposeSecret;

/// Every sample a test of this target reads.
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
