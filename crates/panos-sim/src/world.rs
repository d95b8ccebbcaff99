//! The simulated world: the clock, the timings, the catalog, Panorama and the fleet, and the
//! lazy advancement of each device to "now" (jobs finishing, reboots starting and ending, HA
//! failover, sync and preemption) whenever a request looks at it.

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::clock::{SimClock, SimInstant};
use crate::command::Op;
use crate::faults::Fault;
use crate::fleet::{FleetSpec, Timings, secs};
use crate::ha;
use crate::jobs::{JobKind, JobPlan};
use crate::model::{Firewall, Panorama};

/// Everything the simulator knows, behind one lock.
#[derive(Debug)]
pub struct World {
    pub(crate) clock: SimClock,
    pub(crate) timings: Timings,
    pub(crate) catalog: Catalog,
    pub(crate) panorama: Panorama,
    pub(crate) devices: Vec<Firewall>,
    pub(crate) index: HashMap<String, usize>,
}

impl World {
    /// The world described by `spec`, its clock running at `time_scale`.
    pub fn new(spec: &FleetSpec, time_scale: f64) -> World {
        let devices: Vec<Firewall> = spec
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| Firewall::from_spec(d, i))
            .collect();
        let index = devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.serial.clone(), i))
            .collect();
        World {
            clock: SimClock::new(time_scale),
            timings: spec.timings.clone().unwrap_or_default(),
            catalog: spec.catalog.clone().unwrap_or_else(Catalog::builtin),
            panorama: Panorama::from_spec(&spec.panorama),
            devices,
            index,
        }
    }

    /// Simulated now.
    pub fn now(&self) -> SimInstant {
        self.clock.now()
    }

    /// The index of the device with `serial`.
    pub fn find(&self, serial: &str) -> Option<usize> {
        self.index.get(serial).copied()
    }

    /// The index of `idx`'s HA peer.
    pub fn peer_of(&self, idx: usize) -> Option<usize> {
        self.devices[idx]
            .ha
            .as_ref()
            .and_then(|h| self.find(&h.peer))
    }

    /// Mutable access to two distinct devices.
    pub fn pair_mut(&mut self, a: usize, b: usize) -> (&mut Firewall, &mut Firewall) {
        assert_ne!(a, b, "a device is not its own peer");
        if a < b {
            let (lo, hi) = self.devices.split_at_mut(b);
            (&mut lo[a], &mut hi[0])
        } else {
            let (lo, hi) = self.devices.split_at_mut(a);
            (&mut hi[0], &mut lo[b])
        }
    }

    /// Brings every device up to now.
    pub fn advance_all(&mut self) {
        let now = self.now();
        for idx in 0..self.devices.len() {
            self.advance_one(idx, now);
        }
        for idx in 0..self.devices.len() {
            self.resolve_pair(idx, now);
        }
    }

    /// Brings `idx` and its HA peer up to now.
    pub fn advance(&mut self, idx: usize) {
        let now = self.now();
        self.advance_one(idx, now);
        if let Some(peer) = self.peer_of(idx) {
            self.advance_one(peer, now);
        }
        self.resolve_pair(idx, now);
    }

    fn advance_one(&mut self, idx: usize, now: SimInstant) {
        // Jobs finish up to the moment the device goes away; a reboot ends the others.
        let gone_at = self.devices[idx].reboot.as_ref().map(|r| r.gone_at);
        if let Some(gone_at) = gone_at.filter(|g| *g <= now) {
            self.finish_jobs(idx, gone_at);
            abort_running_jobs(&mut self.devices[idx], gone_at);
        }
        self.finish_jobs(idx, now);
        self.progress_reboot(idx, now);
    }

    /// Applies the effects of jobs that have finished by `now`.
    fn finish_jobs(&mut self, idx: usize, now: SimInstant) {
        let fw = &mut self.devices[idx];
        for job in fw
            .jobs
            .iter_mut()
            .filter(|j| !j.applied && j.finished_by(now))
        {
            job.applied = true;
            match (job.kind, job.succeeds()) {
                (JobKind::Download, true) => {
                    if !fw.downloaded.contains(&job.version) {
                        fw.downloaded.push(job.version.clone());
                    }
                }
                (JobKind::Download, false) => fw.free_disk_mb += job.reserved_mb,
                (JobKind::Install, true) => fw.pending_install = Some(job.version.clone()),
                (JobKind::Install, false) => {}
            }
        }
    }

    /// Moves a reboot along: the device goes away (HA failover), then comes back.
    fn progress_reboot(&mut self, idx: usize, now: SimInstant) {
        let Some(reboot) = self.devices[idx].reboot.clone() else {
            return;
        };
        let peer = self.peer_of(idx);
        if !reboot.went_down && now >= reboot.gone_at {
            if let Some(p) = peer {
                let peer_up = self.devices[p].connected(reboot.gone_at);
                let (me, other) = self.pair_mut(idx, p);
                if let (Some(a), Some(b)) = (me.ha.as_mut(), other.ha.as_mut()) {
                    ha::member_went_down(a, b, peer_up, reboot.gone_at);
                }
            }
            if let Some(r) = self.devices[idx].reboot.as_mut() {
                r.went_down = true;
            }
        }
        let Some(back_at) = reboot.back_at.filter(|b| *b <= now) else {
            return;
        };
        let chassis = secs(self.timings.chassis_ready_secs);
        let fw = &mut self.devices[idx];
        fw.reboot = None;
        let pending = fw.pending_install.take();
        if let Some(version) = pending.filter(|_| !reboot.keep_old_version) {
            fw.sw_version = version;
        }
        fw.boot_at = back_at;
        fw.uptime_base = std::time::Duration::ZERO;
        fw.chassis_ready_at = back_at.after(chassis);
        apply_after_reboot_faults(fw);
        if let Some(p) = peer {
            let peer_up = self.devices[p].connected(back_at);
            let sync = secs(self.timings.ha_sync_secs);
            let (me, other) = self.pair_mut(idx, p);
            if let (Some(a), Some(b)) = (me.ha.as_mut(), other.ha.as_mut()) {
                ha::member_came_back(a, b, peer_up, back_at, sync);
            }
        }
    }

    /// Preemption once a pair is in sync.
    fn resolve_pair(&mut self, idx: usize, now: SimInstant) {
        let Some(p) = self.peer_of(idx) else { return };
        let both_up = self.devices[idx].connected(now) && self.devices[p].connected(now);
        let out_of_sync =
            self.devices[idx].out_of_sync_fault() || self.devices[p].out_of_sync_fault();
        if out_of_sync {
            return;
        }
        let (me, other) = self.pair_mut(idx, p);
        if let (Some(a), Some(b)) = (me.ha.as_mut(), other.ha.as_mut()) {
            ha::preempt(a, b, both_up, now);
            ha::preempt(b, a, both_up, now);
        }
    }

    /// The `running-sync` text of `idx`'s pair at now (the out-of-sync fault wins).
    pub fn running_sync(&self, idx: usize) -> Option<&'static str> {
        let fw = &self.devices[idx];
        let member = fw.ha.as_ref()?;
        let peer_fault = self
            .peer_of(idx)
            .is_some_and(|p| self.devices[p].out_of_sync_fault());
        if fw.out_of_sync_fault() || peer_fault {
            return Some("not synchronized");
        }
        Some(member.sync.text(self.now()))
    }
}

/// Ends every job still running at `at` with FAIL (the device went away for a reboot).
fn abort_running_jobs(fw: &mut Firewall, at: SimInstant) {
    for job in fw
        .jobs
        .iter_mut()
        .filter(|j| !j.applied && !j.finished_by(at))
    {
        job.plan = JobPlan::Fail {
            after: at.since(job.enqueued),
            lines: vec!["Job aborted: the device was restarted".into()],
        };
    }
}

/// Routes/ARP lost and session drops, applied when the device comes back from a reboot (each
/// rule acts once per reboot).
fn apply_after_reboot_faults(fw: &mut Firewall) {
    let faults = fw.faults.take_each(Op::Restart, |f| {
        matches!(
            f,
            Fault::RoutesLost { .. } | Fault::ArpLost { .. } | Fault::SessionDrop { .. }
        )
    });
    for fault in faults {
        match fault {
            Fault::RoutesLost { count } => fw.routes = fw.routes.saturating_sub(count),
            Fault::ArpLost { count } => fw.arp = fw.arp.saturating_sub(count),
            Fault::SessionDrop { percent } => {
                let keep = 100u64.saturating_sub(u64::from(percent.min(100)));
                fw.sessions = (u64::from(fw.sessions) * keep / 100) as u32;
            }
            _ => {}
        }
    }
}
