//! The runtime model of a managed firewall and of Panorama, built from the fleet description,
//! and the read-only snapshots the library hands out ([`DeviceSnapshot`]).

use std::time::Duration;

use serde::Serialize;

use crate::catalog::{Platform, platform};
use crate::clock::SimInstant;
use crate::faults::{Fault, FaultSet};
use crate::fleet::{DeviceSpec, PanoramaSpec};
use crate::ha::{HaMember, HaState};
use crate::jobs::{Job, JobResult, JobStatus};

/// Jobs kept per device (older ones are forgotten, as a real job history rotates).
pub const JOB_HISTORY: usize = 64;

/// A reboot in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reboot {
    /// When the device stops answering.
    pub gone_at: SimInstant,
    /// When it answers again; never when `None`.
    pub back_at: Option<SimInstant>,
    /// It comes back on the version it had (a fault).
    pub keep_old_version: bool,
    /// The "gone" side effects (HA failover) were applied.
    pub went_down: bool,
}

/// One managed firewall.
#[derive(Debug, Clone)]
pub struct Firewall {
    pub(crate) serial: String,
    pub(crate) hostname: String,
    pub(crate) model: String,
    pub(crate) platform: Platform,
    pub(crate) ip_address: String,
    pub(crate) sw_version: String,
    pub(crate) app_version: String,
    pub(crate) uptime_base: Duration,
    pub(crate) boot_at: SimInstant,
    pub(crate) downloaded: Vec<String>,
    pub(crate) free_disk_mb: u64,
    pub(crate) pending_install: Option<String>,
    pub(crate) sessions: u32,
    pub(crate) routes: u32,
    pub(crate) arp: u32,
    pub(crate) table_seed: u64,
    pub(crate) advanced_routing: bool,
    pub(crate) multi_vsys: bool,
    pub(crate) ha: Option<HaMember>,
    pub(crate) jobs: Vec<Job>,
    pub(crate) next_job_id: u32,
    pub(crate) reboot: Option<Reboot>,
    pub(crate) chassis_ready_at: SimInstant,
    pub(crate) faults: FaultSet,
    pub(crate) forced_offline: bool,
}

impl Firewall {
    /// The runtime firewall for a fleet entry (`ordinal` seeds its tables and job ids).
    pub fn from_spec(spec: &DeviceSpec, ordinal: usize) -> Firewall {
        let mut downloaded = spec.downloaded.clone();
        if !downloaded.contains(&spec.sw_version) {
            downloaded.push(spec.sw_version.clone());
        }
        let ha = spec.ha.as_ref().map(|h| {
            HaMember::new(
                h.peer.clone(),
                HaState::parse(&h.state).unwrap_or(HaState::Passive),
                h.priority,
                h.preemptive,
            )
        });
        Firewall {
            serial: spec.serial.clone(),
            hostname: spec.hostname.clone(),
            model: spec.model.clone(),
            platform: platform(&spec.model),
            ip_address: spec.ip_address.clone(),
            sw_version: spec.sw_version.clone(),
            app_version: spec.app_version.clone(),
            uptime_base: Duration::from_secs(spec.uptime_secs),
            boot_at: SimInstant::default(),
            downloaded,
            free_disk_mb: spec.free_disk_mb,
            pending_install: None,
            sessions: spec.sessions,
            routes: spec.routes,
            arp: spec.arp,
            table_seed: ordinal as u64 * 7919 + 17,
            advanced_routing: spec.advanced_routing,
            multi_vsys: spec.multi_vsys,
            ha,
            jobs: Vec::new(),
            next_job_id: 1 + (ordinal as u32 * 37) % 400,
            reboot: None,
            chassis_ready_at: SimInstant::default(),
            faults: FaultSet::new(spec.faults.clone()),
            forced_offline: false,
        }
    }

    /// True when Panorama can reach the device at `now`.
    pub fn connected(&self, now: SimInstant) -> bool {
        if self.forced_offline {
            return false;
        }
        match &self.reboot {
            Some(r) => now < r.gone_at || r.back_at.is_some_and(|b| now >= b),
            None => true,
        }
    }

    /// Uptime at `now`.
    pub fn uptime(&self, now: SimInstant) -> Duration {
        self.uptime_base + now.since(self.boot_at)
    }

    /// True when `version` is on the device.
    pub fn has_image(&self, version: &str) -> bool {
        self.downloaded.iter().any(|v| v == version)
    }

    /// The running job of `kind`, if any, at `now`.
    pub fn running_job(&self, kind: crate::jobs::JobKind, now: SimInstant) -> Option<&Job> {
        self.jobs
            .iter()
            .find(|j| j.kind == kind && j.view(now).status == JobStatus::Act)
    }

    /// Adds a job, forgetting the oldest finished ones past [`JOB_HISTORY`].
    pub fn push_job(&mut self, job: Job) {
        self.jobs.push(job);
        if self.jobs.len() > JOB_HISTORY {
            self.jobs.remove(0);
        }
    }

    /// The next job id.
    pub fn take_job_id(&mut self) -> u32 {
        let id = self.next_job_id;
        self.next_job_id += 1;
        id
    }

    /// True when the `ha_out_of_sync` fault is set on this device.
    pub fn out_of_sync_fault(&self) -> bool {
        self.faults.has(crate::command::Op::ShowHaState, |f| {
            matches!(f, Fault::HaOutOfSync)
        })
    }

    /// A snapshot for library users.
    pub fn snapshot(&self, now: SimInstant, running_sync: Option<&'static str>) -> DeviceSnapshot {
        DeviceSnapshot {
            serial: self.serial.clone(),
            hostname: self.hostname.clone(),
            model: self.model.clone(),
            ip_address: self.ip_address.clone(),
            sw_version: self.sw_version.clone(),
            app_version: self.app_version.clone(),
            connected: self.connected(now),
            rebooting: self.reboot.is_some() && !self.connected(now),
            chassis_ready: self.connected(now) && now >= self.chassis_ready_at,
            uptime: self.uptime(now),
            downloaded: self.downloaded.clone(),
            pending_install: self.pending_install.clone(),
            free_disk_mb: self.free_disk_mb,
            sessions: self.sessions,
            routes: self.routes,
            arp: self.arp,
            advanced_routing: self.advanced_routing,
            ha: self.ha.as_ref().map(|h| HaSnapshot {
                peer: h.peer.clone(),
                state: h.state,
                priority: h.priority,
                preemptive: h.preemptive,
                running_sync: running_sync.unwrap_or_else(|| h.sync.text(now)).to_string(),
            }),
            jobs: self
                .jobs
                .iter()
                .map(|j| {
                    let v = j.view(now);
                    JobSnapshot {
                        id: j.id,
                        kind: j.kind.type_name().to_string(),
                        version: j.version.clone(),
                        finished: v.status == JobStatus::Fin,
                        ok: v.result == JobResult::Ok,
                        progress: v.progress,
                    }
                })
                .collect(),
            faults: self.faults.rules().to_vec(),
        }
    }
}

/// A managed firewall as seen at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceSnapshot {
    /// Serial.
    pub serial: String,
    /// Hostname.
    pub hostname: String,
    /// Model.
    pub model: String,
    /// Management IP (shown only).
    pub ip_address: String,
    /// Running version.
    pub sw_version: String,
    /// Content version.
    pub app_version: String,
    /// Reachable through Panorama.
    pub connected: bool,
    /// Away for a reboot.
    pub rebooting: bool,
    /// `show chassis-ready` says yes.
    pub chassis_ready: bool,
    /// Uptime.
    pub uptime: Duration,
    /// Images on the device.
    pub downloaded: Vec<String>,
    /// Installed, waiting for a reboot.
    pub pending_install: Option<String>,
    /// Free MB on `/opt/panrepo`.
    pub free_disk_mb: u64,
    /// Active sessions.
    pub sessions: u32,
    /// Routes in the table.
    pub routes: u32,
    /// ARP entries.
    pub arp: u32,
    /// Advanced Routing Engine on.
    pub advanced_routing: bool,
    /// HA membership.
    pub ha: Option<HaSnapshot>,
    /// Jobs, oldest first.
    pub jobs: Vec<JobSnapshot>,
    /// Fault rules still active.
    #[serde(skip)]
    pub faults: Vec<crate::faults::FaultRule>,
}

/// HA state in a [`DeviceSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HaSnapshot {
    /// Peer serial.
    pub peer: String,
    /// State.
    pub state: HaState,
    /// Priority.
    pub priority: u32,
    /// Preemptive.
    pub preemptive: bool,
    /// `running-sync` text.
    pub running_sync: String,
}

/// A job in a [`DeviceSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSnapshot {
    /// Id.
    pub id: u32,
    /// `Downld` or `SWInstall`.
    pub kind: String,
    /// Version concerned.
    pub version: String,
    /// FIN.
    pub finished: bool,
    /// Result OK (false while running or failed).
    pub ok: bool,
    /// Percent.
    pub progress: u8,
}

/// The Panorama itself.
#[derive(Debug, Clone)]
pub struct Panorama {
    pub(crate) spec: PanoramaSpec,
    pub(crate) faults: FaultSet,
}

impl Panorama {
    /// From the fleet file.
    pub fn from_spec(spec: &PanoramaSpec) -> Panorama {
        Panorama {
            spec: spec.clone(),
            faults: FaultSet::new(spec.faults.clone()),
        }
    }
}
