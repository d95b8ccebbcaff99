//! Readiness: may this device be upgraded now? [`check`] runs the enabled checks over the
//! facts the orchestration collected ([`ReadinessInput`]) and returns a [`ReadinessReport`]
//! of [`Finding`]s. A blocked upgrade is an outcome in the report, never an error.
//!
//! Nothing here talks to a device: absent facts (`None`) become `*.unknown` findings so the
//! report says what could not be verified.

mod checks;
mod config;
mod ha;

use std::fmt::{self, Write as _};

pub use config::{CheckConfig, DiskCheckConfig, ReadinessConfig};

use panos_client::model::{DiskSpace, HaStatus, JobStatus, ManagedDevice, SoftwareCatalog};
use panos_client::{Serial, SoftwareVersion};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{CheckId, Finding, FindingCode, Severity};

/// What the checks look at. Every fact is optional: `None` means "not collected".
#[derive(Debug, Clone)]
pub struct ReadinessInput {
    /// The device.
    pub serial: Serial,
    /// The version about to be installed.
    pub target: SoftwareVersion,
    /// The base image the target needs downloaded first (a new feature release's base), when
    /// any.
    pub base_image: Option<SoftwareVersion>,
    /// The running version (from `show system info`); when absent, the Panorama entry or the
    /// catalog's `current` entry is used.
    pub current_version: Option<SoftwareVersion>,
    /// `request system software info|check`.
    pub catalog: Option<SoftwareCatalog>,
    /// `show system disk-space`.
    pub disk: Option<DiskSpace>,
    /// `show jobs all`.
    pub jobs: Option<Vec<JobStatus>>,
    /// `show chassis-ready`.
    pub chassis_ready: Option<bool>,
    /// The device's entry in Panorama's `show devices all`.
    pub managed: Option<ManagedDevice>,
    /// Whether the job upgrades the device as one member of an HA pair.
    pub expect_ha_pair: bool,
    /// This device's `show high-availability state`.
    pub ha_local: Option<HaStatus>,
    /// The peer's own `show high-availability state` (pairs only).
    pub ha_peer: Option<HaStatus>,
}

impl ReadinessInput {
    /// Input for `serial` going to `target`, with no facts collected yet.
    pub fn new(serial: Serial, target: SoftwareVersion) -> Self {
        Self {
            serial,
            target,
            base_image: None,
            current_version: None,
            catalog: None,
            disk: None,
            jobs: None,
            chassis_ready: None,
            managed: None,
            expect_ha_pair: false,
            ha_local: None,
            ha_peer: None,
        }
    }
}

/// The result of the readiness checks for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReadinessReport {
    /// The device.
    #[schemars(with = "String")]
    pub serial: Serial,
    /// The target version.
    #[schemars(with = "String")]
    pub target: SoftwareVersion,
    /// The checks that ran.
    pub checks_run: Vec<CheckId>,
    /// The checks turned off in the configuration.
    pub checks_skipped: Vec<CheckId>,
    /// Every finding, in check order.
    pub findings: Vec<Finding>,
}

impl ReadinessReport {
    /// True when no finding blocks the upgrade.
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Block)
    }

    /// The findings that block.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
    }

    /// The finding with `code`, when present.
    pub fn find(&self, code: FindingCode) -> Option<&Finding> {
        self.findings.iter().find(|f| f.code == code)
    }

    /// One line for logs and status files: `READY`, or `BLOCKED` with the blocking codes,
    /// then the warning codes (`BLOCKED: disk.insufficient, jobs.running; warn: ha.version_mismatch`).
    pub fn summary(&self) -> String {
        let codes = |severity: Severity| {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (blocking, warnings) = (codes(Severity::Block), codes(Severity::Warn));
        let mut line = if blocking.is_empty() {
            "READY".to_owned()
        } else {
            format!("BLOCKED: {blocking}")
        };
        if !warnings.is_empty() {
            line.push_str(&format!("; warn: {warnings}"));
        }
        line
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
    }

    /// The report as text, one finding per line, worst first.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passed() { "READY" } else { "BLOCKED" };
        let _ = writeln!(
            out,
            "Readiness of {} for {}: {verdict}",
            self.serial, self.target
        );
        let mut findings: Vec<&Finding> = self.findings.iter().collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let width = findings
            .iter()
            .map(|f| f.code.as_str().len())
            .max()
            .unwrap_or(0);
        for f in findings {
            let _ = writeln!(
                out,
                "  {:<5}  {:<width$}  {}",
                f.severity.as_str(),
                f.code.as_str(),
                f.message
            );
        }
        let names = |checks: &[CheckId]| {
            checks
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "  checks run: {}", names(&self.checks_run));
        if !self.checks_skipped.is_empty() {
            let _ = writeln!(out, "  checks turned off: {}", names(&self.checks_skipped));
        }
        out
    }
}

impl fmt::Display for ReadinessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Runs the enabled readiness checks.
pub fn check(input: &ReadinessInput, config: &ReadinessConfig) -> ReadinessReport {
    let mut report = ReadinessReport {
        serial: input.serial.clone(),
        target: input.target.clone(),
        checks_run: Vec::new(),
        checks_skipped: Vec::new(),
        findings: Vec::new(),
    };
    for id in CheckId::ALL {
        let (enabled, severity) = config.settings(id);
        if !enabled {
            report.checks_skipped.push(id);
            continue;
        }
        report.checks_run.push(id);
        let mut findings = match id {
            CheckId::Device => checks::device(input),
            CheckId::Version => checks::version(input),
            CheckId::Catalog => checks::catalog(input),
            CheckId::Disk => checks::disk(input, config.disk.margin_mb),
            CheckId::Jobs => checks::jobs(input),
            CheckId::Chassis => checks::chassis(input),
            CheckId::Ha => ha::check(input),
        };
        if let Some(severity) = severity {
            for finding in findings.iter_mut().filter(|f| f.severity != Severity::Info) {
                finding.severity = severity;
            }
        }
        report.findings.extend(findings);
    }
    report
}
