//! The demo's closing report: devices per outcome (they add up to the fleet), every failure
//! with its step, error and manual action, devices skipped or not started and why, the
//! elapsed time and the API calls Panorama received, and where the files are.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use comfy_table::Cell;
use panos_queue::{DeviceOutcome, DeviceResult};

use super::setup::Injected;
use crate::error::{CtlError, Result};
use crate::output::{align_right, or_dash, render, state_cell, table, word};
use crate::watch::Ended;

/// What the demo found.
pub struct Summary<'a> {
    jobs: usize,
    devices: Vec<(DeviceResult, Option<String>)>,
    injected: &'a [Injected],
    elapsed: Duration,
    api_calls: u64,
    sim_elapsed: Duration,
}

const ORDER: [DeviceOutcome; 7] = [
    DeviceOutcome::Upgraded,
    DeviceOutcome::AlreadyOnTarget,
    DeviceOutcome::Skipped,
    DeviceOutcome::Planned,
    DeviceOutcome::Failed,
    DeviceOutcome::NotStarted,
    DeviceOutcome::Cancelled,
];

impl<'a> Summary<'a> {
    /// Collects the device results of every ended job.
    pub fn new(
        ended: &Ended,
        injected: &'a [Injected],
        elapsed: Duration,
        api_calls: u64,
        sim_elapsed: Duration,
    ) -> Self {
        let devices = ended
            .jobs
            .values()
            .filter_map(|j| j.result.as_ref())
            .flat_map(|r| r.devices.iter().map(|d| (d.clone(), r.error.clone())))
            .collect();
        Self {
            jobs: ended.jobs.len(),
            devices,
            injected,
            elapsed,
            api_calls,
            sim_elapsed,
        }
    }

    fn with(&self, outcome: DeviceOutcome) -> impl Iterator<Item = &DeviceResult> {
        self.devices
            .iter()
            .map(|(d, _)| d)
            .filter(move |d| d.outcome == outcome)
    }

    fn fault_of(&self, serial: &str) -> Option<&Injected> {
        self.injected.iter().find(|f| f.serial == serial)
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let sim_hours = self.sim_elapsed.as_secs_f64() / 3600.0;
        let _ = writeln!(
            out,
            "\nSummary: {} devices in {} jobs, {:.1} s ({sim_hours:.1} h of simulated time), {} API calls to Panorama\n",
            self.devices.len(),
            self.jobs,
            self.elapsed.as_secs_f64(),
            self.api_calls
        );
        let mut t = table(&["OUTCOME", "DEVICES"]);
        for outcome in ORDER {
            let n = self.with(outcome).count();
            if n > 0 || matches!(outcome, DeviceOutcome::Upgraded | DeviceOutcome::Failed) {
                t.add_row(vec![state_cell(&word(&outcome)), Cell::new(n)]);
            }
        }
        t.add_row(vec![Cell::new("total"), Cell::new(self.devices.len())]);
        align_right(&mut t, 1);
        out.push_str(&render(&t));

        let failed: Vec<&DeviceResult> = self.with(DeviceOutcome::Failed).collect();
        if !failed.is_empty() {
            out.push_str("\nFailed (each needs a look; nothing else was touched):\n");
            for d in failed {
                let _ = writeln!(
                    out,
                    "  {} {} at step {}",
                    d.serial,
                    or_dash(d.hostname.as_ref()),
                    or_dash(d.step.as_ref())
                );
                let error = d.error.as_deref().unwrap_or("-");
                let error = crate::job_list::without_manual_action(error);
                let _ = writeln!(out, "      error:         {error}");
                let _ = writeln!(
                    out,
                    "      manual action: {}",
                    or_dash(d.manual_action.as_ref())
                );
            }
        }
        let others: Vec<&(DeviceResult, Option<String>)> = self
            .devices
            .iter()
            .filter(|(d, _)| {
                matches!(
                    d.outcome,
                    DeviceOutcome::Skipped | DeviceOutcome::NotStarted | DeviceOutcome::Cancelled
                )
            })
            .collect();
        if !others.is_empty() {
            out.push_str("\nSkipped or not started:\n");
            let mut t = table(&["SERIAL", "HOSTNAME", "OUTCOME", "WHY"]);
            for (d, job_error) in others {
                let why = d.message.clone().or_else(|| {
                    (d.outcome == DeviceOutcome::NotStarted).then(|| {
                        format!(
                            "its HA peer failed first, so it was left alone ({})",
                            job_error.as_deref().unwrap_or("see the job")
                        )
                    })
                });
                t.add_row(vec![
                    Cell::new(&d.serial),
                    Cell::new(or_dash(d.hostname.as_ref())),
                    state_cell(&word(&d.outcome)),
                    Cell::new(or_dash(why)),
                ]);
            }
            out.push_str(&render(&t));
        }
        let _ = writeln!(out, "\nInjected faults:");
        for fault in self.injected {
            let outcome = self
                .devices
                .iter()
                .find(|(d, _)| d.serial.as_str() == fault.serial)
                .map_or_else(|| "no result".to_owned(), |(d, _)| word(&d.outcome));
            let _ = writeln!(out, "  {} {}: {outcome}", fault.serial, fault.what);
        }
        out
    }

    /// Fails when a device with an injected fault did not fail, or one without failed.
    pub fn check(&self) -> Result<()> {
        let mut problems = Vec::new();
        for fault in self.injected {
            let failed = self
                .with(DeviceOutcome::Failed)
                .any(|d| d.serial.as_str() == fault.serial);
            if !failed {
                problems.push(format!("{} ({}) did not fail", fault.serial, fault.what));
            }
        }
        for d in self.with(DeviceOutcome::Failed) {
            if self.fault_of(d.serial.as_str()).is_none() {
                problems.push(format!(
                    "{} failed without an injected fault: {}",
                    d.serial,
                    d.error.as_deref().unwrap_or("?")
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CtlError::Failed(format!(
                "the demo did not go as expected: {}",
                problems.join("; ")
            )))
        }
    }
}

/// Where the files of a kept state directory are.
pub fn files_text(root: &Path) -> String {
    let mut by: BTreeMap<&str, String> = BTreeMap::new();
    for (what, sub) in [
        ("1 jobs and results", "queue/{completed,failed}/"),
        ("2 device status", "status/devices/"),
        ("3 daemon status", "status/daemon.json"),
        ("4 snapshots", "validation/{pre_flight,post_flight}/"),
        ("5 logs", "logs/{structured,text}/"),
        ("6 configuration", "config/"),
    ] {
        by.insert(what, format!("{}/{sub}", root.display()));
    }
    let mut out = String::from("\nFiles (kept):\n");
    for (what, path) in by {
        let _ = writeln!(out, "  {:<18} {path}", &what[2..]);
    }
    let _ = writeln!(
        out,
        "Look around with: panosctl --state-dir {} job list",
        root.display()
    );
    out
}
