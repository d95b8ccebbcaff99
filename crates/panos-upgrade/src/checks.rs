//! Pre-flight and post-flight for one device and hop: readiness checks and the pre-upgrade
//! snapshot before anything is changed; the post-upgrade snapshot and its comparison after.
//! The checks and the comparison are panos-validation's; this module collects their input
//! through the API (each read once, shared by the checks and the snapshot), reports them as
//! events, and turns a blocking verdict into a failure.

use std::sync::Arc;

use chrono::Utc;
use panos_client::model::{DiskSpace, HaStatus, ManagedDevice, RoutingEngine, SystemInfo};
use panos_client::{PanosApi, Serial};
use panos_validation::readiness::{self, ReadinessInput};
use panos_validation::{PostflightPolicy, Severity, Snapshot, Verdict, compare};

use crate::error::UpgradeFailure;
use crate::event::{Event, ProgressSink, SnapshotPhase, Step};
use crate::plan::HopPlan;
use crate::run::{Run, Stop};
use crate::timing::sleep_or_cancel;

/// A pre-upgrade snapshot kept for the post-upgrade comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct PreSnapshot {
    /// The device.
    pub serial: Serial,
    /// The hop it was taken before (index into the device's path).
    pub hop_index: usize,
    /// The snapshot (shared with the event that reported it).
    pub snapshot: Arc<Snapshot>,
}

/// The pre-upgrade snapshots of a job.
pub type PreSnapshots = Vec<PreSnapshot>;

/// What one collection round read from a device.
struct Collected {
    info: Result<SystemInfo, String>,
    disk: Result<DiskSpace, String>,
    ha: Result<HaStatus, String>,
    snapshot: Arc<Snapshot>,
}

fn reason(stop: Stop) -> String {
    match stop {
        Stop::Failed(failure) => failure.message,
        Stop::Cancelled { .. } => "cancelled".to_owned(),
    }
}

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// Reads what a snapshot holds, the reads at once (the route table's after the system
    /// info, which says which routing engine to ask; the system info read moments ago, when
    /// there is one, is not asked for again).
    async fn collect(&self, i: usize, step: Step) -> Collected {
        let serial = self.serial(i);
        let api = self.api;
        let info_and_routes = async {
            let info = self.system_info_now(i, step).await.map_err(reason);
            let engine = match &info {
                Ok(info) if info.advanced_routing == Some(true) => RoutingEngine::Advanced,
                _ => RoutingEngine::Legacy,
            };
            let routes = self
                .read(i, step, "read the route table", || {
                    api.routes(&serial, engine)
                })
                .await
                .map_err(reason);
            (info, routes)
        };
        let sessions = async {
            self.read(i, step, "read the session info", || {
                api.session_info(&serial)
            })
            .await
            .map_err(reason)
        };
        let arp = async {
            self.read(i, step, "read the ARP table", || api.arp(&serial))
                .await
                .map_err(reason)
        };
        let disk = async {
            self.read(i, step, "read the disk space", || api.disk_space(&serial))
                .await
                .map_err(reason)
        };
        let ha = async {
            self.read(i, step, "read the HA state", || api.ha_state(&serial))
                .await
                .map_err(reason)
        };
        let ((info, routes), sessions, arp, disk, ha) =
            tokio::join!(info_and_routes, sessions, arp, disk, ha);
        let snapshot = Snapshot::builder(serial.clone(), Utc::now())
            .system_info(info.clone())
            .sessions(sessions)
            .routes(routes)
            .arp(arp)
            .disk(disk.clone())
            .ha(ha.clone())
            .build();
        let snapshot = Arc::new(snapshot);
        Collected {
            info,
            disk,
            ha,
            snapshot,
        }
    }

    async fn emit_snapshot(&self, i: usize, phase: SnapshotPhase, snapshot: &Arc<Snapshot>) {
        self.sink
            .emit(Event::Snapshot {
                serial: self.serial(i),
                hop_index: self.cp.devices[i].hop_index,
                phase,
                snapshot: Arc::clone(snapshot),
            })
            .await;
    }

    /// The device's job list once nothing runs on it (a device just back from a reboot runs its
    /// auto-commit for a while), or the last list read when the wait runs out: the readiness
    /// check then blocks with the jobs named.
    async fn jobs_when_idle(&self, i: usize) -> Option<Vec<panos_client::model::JobStatus>> {
        let serial = self.serial(i);
        let mut poller = self.timing.poller(self.timing.jobs_idle_timeout_secs);
        loop {
            let jobs = self
                .read(i, Step::Preflight, "list the device's jobs", || {
                    self.api.jobs_all(&serial)
                })
                .await
                .ok()?;
            let running = jobs.iter().any(|j| j.id.is_some() && !j.is_finished());
            if !running {
                return Some(jobs);
            }
            self.progress(i, 0, "waiting for the jobs running on the device to finish")
                .await;
            if poller.tick(&self.cancel).await.is_err() {
                return Some(jobs);
            }
        }
    }

    /// Readiness checks and the pre-upgrade snapshot of device `i` for `plan`'s hop;
    /// `peer` is the HA peer's index for a pair. Returns the warnings; a blocking finding
    /// fails the device before anything is sent to it.
    pub async fn preflight(
        &mut self,
        i: usize,
        plan: &HopPlan,
        peer: Option<usize>,
    ) -> Result<Vec<String>, Stop> {
        self.enter(i, Step::Preflight, "readiness checks and snapshot")
            .await;
        let serial = self.serial(i);
        let api = self.api;
        // Everything the checks read, at once.
        let catalog = async { self.catalog_now(i, Step::Preflight).await.ok() };
        let chassis_ready = async {
            self.read(i, Step::Preflight, "read chassis readiness", || {
                api.chassis_ready(&serial)
            })
            .await
            .ok()
        };
        let peer_ha = async {
            let peer = peer?;
            let peer_serial = self.serial(peer);
            self.read(peer, Step::Preflight, "read the peer's HA state", || {
                api.ha_state(&peer_serial)
            })
            .await
            .ok()
        };
        let (collected, catalog, jobs, chassis_ready, peer_ha) = tokio::join!(
            self.collect(i, Step::Preflight),
            catalog,
            self.jobs_when_idle(i),
            chassis_ready,
            peer_ha
        );
        let hop_index = self.cp.devices[i].hop_index;
        self.emit_snapshot(i, SnapshotPhase::PreFlight, &collected.snapshot)
            .await;

        let mut input = ReadinessInput::new(serial.clone(), plan.version.clone());
        input.base_image = plan.base_image.clone();
        if let Ok(info) = &collected.info {
            input.current_version = Some(info.sw_version.clone());
            // The targeted call went through Panorama, so the device is connected to it.
            input.managed = Some(ManagedDevice {
                serial: serial.clone(),
                hostname: Some(info.hostname.clone()),
                ip_address: info.ip_address.clone(),
                model: Some(info.model.clone()),
                family: info.family.clone(),
                sw_version: Some(info.sw_version.clone()),
                app_version: info.app_version.clone(),
                connected: true,
                ha: None,
            });
        }
        input.disk = collected.disk.ok();
        input.ha_local = collected.ha.ok();
        // The download that follows starts from this catalog instead of asking again.
        self.fresh.entry(i).or_default().catalog = catalog.clone();
        input.catalog = catalog;
        input.jobs = jobs;
        input.chassis_ready = chassis_ready;
        input.expect_ha_pair = peer.is_some();
        input.ha_peer = peer_ha;
        let report = readiness::check(&input, &self.validation.readiness);
        self.sink
            .emit(Event::Readiness {
                serial: serial.clone(),
                hop_index,
                report: Box::new(report.clone()),
            })
            .await;

        self.pre
            .retain(|p| !(p.serial == serial && p.hop_index == hop_index));
        self.pre.push(PreSnapshot {
            serial: serial.clone(),
            hop_index,
            snapshot: collected.snapshot,
        });

        if !report.passed() {
            let blocking: Vec<String> = report
                .blocking()
                .map(|f| format!("[{}] {}", f.code.as_str(), f.message))
                .collect();
            return Err(UpgradeFailure::new(
                &serial,
                Some(&plan.version),
                Step::Preflight,
                format!(
                    "readiness checks blocked the upgrade: {}",
                    blocking.join("; ")
                ),
                "nothing was sent to the device; fix what the findings say, then resubmit",
            )
            .into());
        }
        Ok(report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warn)
            .map(|f| format!("readiness [{}]: {}", f.code.as_str(), f.message))
            .collect())
    }

    /// The post-upgrade snapshot of device `i` and its comparison with the pre-upgrade one.
    /// A `fail` verdict fails the device unless the policy is `warn`.
    pub async fn postflight(&mut self, i: usize) -> Result<Vec<String>, Stop> {
        self.enter(i, Step::Postflight, "post-upgrade snapshot and comparison")
            .await;
        let serial = self.serial(i);
        let hop_index = self.cp.devices[i].hop_index;
        let Some(pre) = self
            .pre
            .iter()
            .find(|p| p.serial == serial && p.hop_index == hop_index)
            .map(|p| p.snapshot.clone())
        else {
            let collected = self.collect(i, Step::Postflight).await;
            self.emit_snapshot(i, SnapshotPhase::PostFlight, &collected.snapshot)
                .await;
            return Ok(vec![format!(
                "no pre-upgrade snapshot of {serial} for this hop was kept, so nothing was \
                 compared; review the post-flight snapshot by hand"
            )]);
        };
        // A failing comparison right after a reboot may only mean routing and sessions have
        // not settled yet: wait and take it again, a bounded number of times.
        let mut retries_left = self.timing.postflight_retries;
        let report = loop {
            let collected = self.collect(i, Step::Postflight).await;
            let report = compare(&pre, &collected.snapshot, &self.validation.thresholds);
            if report.verdict != Verdict::Fail || retries_left == 0 {
                self.emit_snapshot(i, SnapshotPhase::PostFlight, &collected.snapshot)
                    .await;
                break report;
            }
            retries_left -= 1;
            self.progress(
                i,
                crate::run::step_percent(Step::Postflight, Some(50)),
                format!(
                    "comparison failed ({}); waiting for routing and sessions to settle before \
                     comparing again",
                    report.summary()
                ),
            )
            .await;
            if sleep_or_cancel(
                self.timing
                    .scaled(self.timing.postflight_settle_secs as f64),
                &self.cancel,
            )
            .await
            .is_err()
            {
                return Err(Stop::Cancelled {
                    manual_action: Some(format!(
                        "cancelled while the post-upgrade comparison waited to settle: {serial} \
                         is upgraded; compare its state by hand"
                    )),
                });
            }
        };
        self.sink
            .emit(Event::Comparison {
                serial: serial.clone(),
                hop_index,
                report: Box::new(report.clone()),
            })
            .await;
        let problems: Vec<String> = report
            .metrics
            .iter()
            .filter(|m| m.outcome.verdict() != Verdict::Pass)
            .map(|m| m.message.clone())
            .collect();
        let policy = self
            .job
            .options
            .postflight_failure
            .unwrap_or(self.validation.postflight_failure);
        match report.verdict {
            Verdict::Pass => Ok(Vec::new()),
            Verdict::Fail if policy == PostflightPolicy::Fail => {
                let hop = self.hop(i);
                let before = self.version_before_hop(i);
                Err(UpgradeFailure::new(
                    &serial,
                    hop.as_ref(),
                    Step::Postflight,
                    format!(
                        "the post-upgrade comparison failed: {}",
                        problems.join("; ")
                    ),
                    format!(
                        "the device runs {} now; read the comparison report (validation/ \
                         post_flight); if traffic is affected, roll back by installing {} and \
                         restarting",
                        hop.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                        before
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "the previous version".into())
                    ),
                )
                .into())
            }
            _ => Ok(problems
                .into_iter()
                .map(|p| format!("post-flight: {p}"))
                .collect()),
        }
    }
}
