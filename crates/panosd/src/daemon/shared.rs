//! What every task of a running daemon shares: the live settings (reloaded by SIGHUP), the
//! worker slots, the running jobs with their cancellation tokens and devices, the pause flag,
//! the counters, and the notifications that wake the scheduler and the status writer.
//!
//! Locks here are std mutexes, never held across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use panos_queue::{
    DaemonCounters, DaemonState, DeviceState, DeviceStatus, DurationHistogram, JobId, WorkerSlot,
};
use panos_upgrade::{EngineConfig, UpgradePaths};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::api::ApiStats;
use crate::store::Store;

/// Settings that SIGHUP can change without a restart.
#[derive(Debug, Clone)]
pub struct Live {
    /// Timing and validation for new jobs.
    pub engine: EngineConfig,
    /// Version paths for new jobs.
    pub paths: Arc<UpgradePaths>,
}

/// A job being run.
#[derive(Debug)]
pub struct RunningJob {
    /// Its devices.
    pub serials: Vec<String>,
    /// Cancels it.
    pub cancel: CancellationToken,
    /// Who cancelled it, once a cancel command did.
    pub cancelled_by: Option<Option<String>>,
    /// The device and step it is at, and since when.
    pub at: Option<(String, String, DateTime<Utc>)>,
}

/// Upper bounds of the job duration histogram, in seconds: 5 minutes to 8 hours.
pub const JOB_DURATION_BOUNDS: &[f64] = &[
    300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0, 14400.0, 28800.0,
];

#[derive(Debug, Default)]
struct Inner {
    state: Option<DaemonState>,
    paused: bool,
    counters: DaemonCounters,
    running: BTreeMap<JobId, RunningJob>,
    /// Every device's state as last written to its status file.
    device_states: HashMap<String, DeviceState>,
    job_durations: DurationHistogram,
}

/// The job slots: a semaphore of `workers.max` permits that SIGHUP can resize.
#[derive(Debug)]
pub struct Workers {
    semaphore: Arc<Semaphore>,
    configured: AtomicU32,
    debt: Mutex<u32>,
}

impl Workers {
    fn new(max: u32) -> Self {
        Self {
            semaphore: Arc::new(Semaphore::new(max as usize)),
            configured: AtomicU32::new(max),
            debt: Mutex::new(0),
        }
    }

    /// `workers.max` now.
    pub fn configured(&self) -> u32 {
        self.configured.load(Ordering::Relaxed)
    }

    /// A free slot, if any.
    pub fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.pay_debt();
        Arc::clone(&self.semaphore).try_acquire_owned().ok()
    }

    /// Changes the number of slots; running jobs keep theirs, a smaller number takes effect
    /// as they end.
    pub fn resize(&self, max: u32) {
        let old = self.configured.swap(max, Ordering::Relaxed);
        let mut debt = self.debt.lock().unwrap_or_else(|p| p.into_inner());
        if max > old {
            let mut grow = max - old;
            let repaid = grow.min(*debt);
            *debt -= repaid;
            grow -= repaid;
            self.semaphore.add_permits(grow as usize);
        } else {
            *debt += old - max;
        }
        drop(debt);
        self.pay_debt();
    }

    fn pay_debt(&self) {
        let mut debt = self.debt.lock().unwrap_or_else(|p| p.into_inner());
        if *debt > 0 {
            let forgotten = self.semaphore.forget_permits(*debt as usize);
            *debt -= u32::try_from(forgotten).unwrap_or(*debt);
        }
    }
}

/// The daemon's shared state.
#[derive(Debug)]
pub struct Shared {
    /// The state directory.
    pub store: Store,
    /// When the daemon started.
    pub started_at: DateTime<Utc>,
    /// API counters.
    pub api_stats: Arc<ApiStats>,
    /// Job slots.
    pub workers: Workers,
    live: RwLock<Arc<Live>>,
    inner: Mutex<Inner>,
    /// Something changed that `daemon.json` / `workers.json` show.
    pub status_changed: Notify,
    /// Something changed that may let the scheduler claim a job.
    pub wake_scheduler: Notify,
    /// Held while a device status file is written (jobs) or read, changed and written
    /// (inventory), so the inventory never overwrites a job's newer write.
    pub status_files: Mutex<()>,
    /// Where the metrics go (`daemon.metrics_file`, relative to the state directory).
    pub metrics_file: Option<std::path::PathBuf>,
    /// How long restarts and chassis-ready waits took, by model, for every job to poll by.
    pub learned: panos_upgrade::LearnedWaits,
}

impl Shared {
    /// A daemon's state.
    pub fn new(store: Store, api_stats: Arc<ApiStats>, workers: u32, live: Live) -> Self {
        Self {
            store,
            started_at: Utc::now(),
            api_stats,
            workers: Workers::new(workers),
            live: RwLock::new(Arc::new(live)),
            inner: Mutex::new(Inner {
                job_durations: DurationHistogram::with_bounds(JOB_DURATION_BOUNDS),
                ..Inner::default()
            }),
            status_changed: Notify::new(),
            wake_scheduler: Notify::new(),
            status_files: Mutex::new(()),
            metrics_file: None,
            learned: panos_upgrade::LearnedWaits::default(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live settings.
    pub fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Replaces the live settings (SIGHUP).
    pub fn set_live(&self, live: Live) {
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(live);
    }

    /// What the daemon is doing.
    pub fn state(&self) -> DaemonState {
        let inner = self.inner();
        match inner.state {
            Some(DaemonState::Running) if inner.paused => DaemonState::Paused,
            Some(state) => state,
            None => DaemonState::Starting,
        }
    }

    /// Sets what the daemon is doing.
    pub fn set_state(&self, state: DaemonState) {
        self.inner().state = Some(state);
        self.status_changed.notify_one();
    }

    /// Whether claiming is paused by a command.
    pub fn paused(&self) -> bool {
        self.inner().paused
    }

    /// Pauses or resumes claiming.
    pub fn set_paused(&self, paused: bool) {
        self.inner().paused = paused;
        self.status_changed.notify_one();
        self.wake_scheduler.notify_one();
    }

    /// Changes the counters.
    pub fn count(&self, f: impl FnOnce(&mut DaemonCounters)) {
        f(&mut self.inner().counters);
        self.status_changed.notify_one();
    }

    /// The counters, with the API's.
    pub fn counters(&self) -> DaemonCounters {
        let mut counters = self.inner().counters;
        counters.api_calls = self.api_stats.calls();
        counters.api_errors = self.api_stats.errors();
        counters.api_device_not_connected = self.api_stats.device_not_connected();
        let (limited, waited) = self.api_stats.limiter_waits();
        counters.rate_limited_requests = limited;
        counters.rate_limit_wait_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
        counters
    }

    /// Notes the state of device status files just written (or found at start).
    pub fn devices_written<'a>(&self, statuses: impl IntoIterator<Item = &'a DeviceStatus>) {
        let mut inner = self.inner();
        for status in statuses {
            inner
                .device_states
                .insert(status.serial.to_string(), status.state);
        }
        drop(inner);
        self.status_changed.notify_one();
    }

    /// Known devices by state.
    pub fn devices_by_state(&self) -> BTreeMap<DeviceState, u64> {
        let mut by_state = BTreeMap::new();
        for state in self.inner().device_states.values() {
            *by_state.entry(*state).or_insert(0) += 1;
        }
        by_state
    }

    /// Records how long a completed upgrade job took.
    pub fn job_took(&self, secs: f64) {
        self.inner().job_durations.observe(secs.max(0.0));
    }

    /// The job duration histogram.
    pub fn job_durations(&self) -> DurationHistogram {
        self.inner().job_durations.clone()
    }

    /// The devices held by running jobs.
    pub fn busy_devices(&self) -> BTreeSet<String> {
        self.inner()
            .running
            .values()
            .flat_map(|job| job.serials.iter().cloned())
            .collect()
    }

    /// Records a job as running.
    pub fn start_job(&self, job_id: JobId, serials: Vec<String>, cancel: CancellationToken) {
        self.inner().running.insert(
            job_id,
            RunningJob {
                serials,
                cancel,
                cancelled_by: None,
                at: None,
            },
        );
        self.status_changed.notify_one();
    }

    /// Records where a job is.
    pub fn job_at(&self, job_id: JobId, serial: &str, step: &str) {
        if let Some(job) = self.inner().running.get_mut(&job_id) {
            let moved = job
                .at
                .as_ref()
                .is_none_or(|(s, st, _)| s != serial || st != step);
            if moved {
                job.at = Some((serial.to_owned(), step.to_owned(), Utc::now()));
            }
        }
        self.status_changed.notify_one();
    }

    /// Forgets a job that ended; returns who cancelled it, if a command did.
    pub fn end_job(&self, job_id: JobId) -> Option<Option<String>> {
        let ended = self.inner().running.remove(&job_id);
        self.status_changed.notify_one();
        self.wake_scheduler.notify_one();
        ended.and_then(|job| job.cancelled_by)
    }

    /// Cancels a running job (by id, or the one holding `serial`); returns its id.
    pub fn cancel_running(
        &self,
        job_id: Option<JobId>,
        serial: Option<&str>,
        by: Option<String>,
    ) -> Option<JobId> {
        let mut inner = self.inner();
        let (id, job) = inner.running.iter_mut().find(|(id, job)| {
            job_id.is_some_and(|j| j == **id)
                || serial.is_some_and(|s| job.serials.iter().any(|x| x == s))
        })?;
        job.cancelled_by = Some(by);
        job.cancel.cancel();
        Some(*id)
    }

    /// Whether a cancel command stopped the job.
    pub fn cancelled_by_user(&self, job_id: JobId) -> bool {
        self.inner()
            .running
            .get(&job_id)
            .is_some_and(|job| job.cancelled_by.is_some())
    }

    /// One slot per configured worker, the running jobs first.
    pub fn worker_slots(&self) -> Vec<WorkerSlot> {
        let inner = self.inner();
        let mut slots: Vec<WorkerSlot> = inner
            .running
            .iter()
            .map(|(id, job)| WorkerSlot {
                id: 0,
                job_id: Some(*id),
                serial: job.at.as_ref().and_then(|(s, _, _)| s.parse().ok()),
                step: job.at.as_ref().map(|(_, step, _)| step.clone()),
                since: job.at.as_ref().map(|(_, _, since)| *since),
            })
            .collect();
        let configured = self.workers.configured() as usize;
        while slots.len() < configured {
            slots.push(WorkerSlot {
                id: 0,
                job_id: None,
                serial: None,
                step: None,
                since: None,
            });
        }
        for (i, slot) in slots.iter_mut().enumerate() {
            slot.id = u32::try_from(i).unwrap_or(u32::MAX);
        }
        slots
    }

    /// Jobs running now.
    pub fn busy(&self) -> u32 {
        u32::try_from(self.inner().running.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn workers_grow_at_once_and_shrink_as_jobs_end() {
        let workers = Workers::new(2);
        let a = workers.try_acquire().expect("slot 1");
        let b = workers.try_acquire().expect("slot 2");
        assert!(workers.try_acquire().is_none());
        workers.resize(3);
        let c = workers.try_acquire().expect("slot 3 after growing");
        workers.resize(1);
        assert_eq!(workers.configured(), 1);
        drop(a);
        drop(b);
        assert!(
            workers.try_acquire().is_none(),
            "two slots went with the shrink"
        );
        drop(c);
        let d = workers.try_acquire().expect("one slot left");
        assert!(workers.try_acquire().is_none());
        workers.resize(2);
        drop(d);
        let e = workers.try_acquire();
        let f = workers.try_acquire();
        assert!(e.is_some() && f.is_some());
        assert!(workers.try_acquire().is_none());
    }
}
