//! The `queue_watcher` loop: claims pending jobs in queue order when a worker slot is free
//! and none of their devices is held by another job, and starts their tasks. Jobs recovered
//! from `queue/active/` at start-up are started first.
//!
//! A job for a busy device waits in `pending/`; a later job for other devices may start
//! before it, but never a later job for the same device (its devices are reserved in queue
//! order during each pass).
//!
//! A pass after a job ended works from the jobs found by the last scan. A file the watcher
//! reports new or changed is read by its name and added to them in queue order; `pending/`
//! is scanned whole at start, when the watcher cannot name what changed (an overflow, an
//! error, no watcher), and at least every rescan interval. A scan reads only the job files
//! that are new or replaced (a [`PendingIndex`]). So a backlog of thousands of waiting jobs
//! costs neither a directory read per job that ends nor per job submitted, nor a slower
//! pickup of a new one; a claim re-reads its file, so a stale entry is harmless.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use panos_client::PanosApi;
use panos_queue::{ActiveJob, DaemonState, Hint, PendingIndex, PendingJob, Scan, merge_pending};
use tokio_util::sync::CancellationToken;

use super::job::{JobRun, device_worker};
use super::shared::Shared;
use super::tasks::Tasks;

/// The scheduler's inputs.
pub struct Scheduler<A> {
    /// The daemon's shared state.
    pub shared: Arc<Shared>,
    /// The one API client.
    pub api: Arc<A>,
    /// The daemon's tasks.
    pub tasks: Arc<Tasks>,
    /// Fires when the daemon stops.
    pub stop: CancellationToken,
    /// Jobs recovered from `active/`, to start first.
    pub recovered: VecDeque<ActiveJob>,
    /// How often to rescan without a watcher event.
    pub rescan: Duration,
    /// Bumped on every pass (the systemd watchdog checks it moves).
    pub heartbeat: Arc<AtomicU64>,
    /// The pending jobs already read.
    pub index: PendingIndex,
    /// The jobs of the last scan not claimed since, in queue order; `None`: scan.
    pub waiting: Option<VecDeque<PendingJob>>,
    /// Files the watcher reported new or changed since, to read and add to `waiting`.
    pub arrived: Vec<String>,
}

impl<A: PanosApi + 'static> Scheduler<A> {
    /// Runs until `stop` fires.
    pub async fn run(mut self) {
        let mut watcher = self.shared.store.dir().watch_pending(self.rescan);
        let mut scanned_at: Option<tokio::time::Instant> = None;
        loop {
            self.heartbeat.fetch_add(1, Ordering::Relaxed);
            let state = self.shared.state();
            if scanned_at.is_none_or(|at| at.elapsed() >= self.rescan) {
                self.waiting = None;
            }
            if !self.stop.is_cancelled() && state != DaemonState::Stopping {
                self.start_recovered().await;
                if !self.shared.paused() && self.recovered.is_empty() {
                    if self.waiting.is_none() {
                        scanned_at = Some(tokio::time::Instant::now());
                    }
                    self.claim_pending().await;
                }
            }
            tokio::select! {
                () = self.stop.cancelled() => break,
                // A file arrived or changed: read it (all of them when the watcher cannot
                // name them, or its own period passed).
                hint = watcher.next() => match (hint, watcher.take_names()) {
                    (Hint::Changed, Some(names)) if self.waiting.is_some() => {
                        self.arrived.extend(names);
                    }
                    _ => {
                        self.waiting = None;
                        self.arrived.clear();
                    }
                },
                // A job ended: its slot and devices are free for a job already known.
                () = self.shared.wake_scheduler.notified() => {}
                // Quiet for a rescan interval: the top of the loop scans again.
                () = tokio::time::sleep(self.rescan) => {}
            }
        }
    }

    async fn start_recovered(&mut self) {
        while let Some(active) = self.recovered.front() {
            let serials: Vec<String> = active.job.devices.iter().map(ToString::to_string).collect();
            let busy = self.shared.busy_devices();
            if serials.iter().any(|s| busy.contains(s)) {
                return;
            }
            let Some(permit) = self.shared.workers.try_acquire() else {
                return;
            };
            let Some(active) = self.recovered.pop_front() else {
                return;
            };
            tracing::info!(job_id = %active.job.job_id, "resuming a job found in queue/active/");
            self.start(active, permit).await;
        }
    }

    /// The waiting jobs in queue order: the last scan's with the files that arrived since,
    /// or a new scan's.
    async fn waiting_jobs(&mut self) -> Option<VecDeque<PendingJob>> {
        if let Some(mut waiting) = self.waiting.take() {
            if self.arrived.is_empty() {
                return Some(waiting);
            }
            let names = std::mem::take(&mut self.arrived);
            let mut index = std::mem::take(&mut self.index);
            let read = self
                .shared
                .store
                .io(move |dir| {
                    let (scan, replaced) = dir.scan_pending_names(&mut index, names);
                    Ok((scan, replaced, index))
                })
                .await;
            match read {
                Ok((scan, replaced, index)) => {
                    self.index = index;
                    self.count_rejected(&scan);
                    merge_pending(&mut waiting, scan.items, &replaced);
                    return Some(waiting);
                }
                Err(err) => {
                    // The index went with the failed task: a full scan rebuilds it.
                    tracing::warn!(%err, "cannot read the new job files; scanning queue/pending/");
                }
            }
        }
        self.arrived.clear();
        let mut index = std::mem::take(&mut self.index);
        let scanned = self
            .shared
            .store
            .io(move |dir| {
                let scan = dir.scan_pending_with(&mut index);
                Ok((scan, index))
            })
            .await;
        let scan = match scanned {
            Ok((scan, index)) => {
                self.index = index;
                scan
            }
            Err(err) => Err(err),
        };
        let scan = match scan {
            Ok(scan) => scan,
            Err(err) => {
                tracing::error!(%err, "cannot scan queue/pending/");
                return None;
            }
        };
        self.count_rejected(&scan);
        Some(scan.items.into())
    }

    /// Logs and counts the files a scan moved aside.
    fn count_rejected(&self, scan: &Scan<PendingJob>) {
        if scan.rejected.is_empty() {
            return;
        }
        for rejected in &scan.rejected {
            tracing::warn!(
                file = %rejected.from.display(), moved_to = %rejected.to.display(),
                reason = %rejected.reason, "malformed job file moved aside"
            );
        }
        let n = scan.rejected.len() as u64;
        self.shared.count(|c| c.files_rejected += n);
    }

    async fn claim_pending(&mut self) {
        let Some(mut waiting) = self.waiting_jobs().await else {
            return;
        };
        let now = Utc::now();
        let mut reserved: BTreeSet<String> = self.shared.busy_devices();
        // In place: a pass that claims the first job and stops at a full house costs the
        // same with ten jobs waiting as with ten thousand.
        let mut at = 0;
        while at < waiting.len() {
            if self.stop.is_cancelled() || self.shared.paused() {
                break;
            }
            let pending = &waiting[at];
            let serials: Vec<String> = pending
                .job
                .devices
                .iter()
                .map(ToString::to_string)
                .collect();
            let blocked = serials.iter().any(|s| reserved.contains(s));
            reserved.extend(serials.iter().cloned());
            if blocked || !pending.job.is_due(now) {
                at += 1;
                continue;
            }
            let Some(permit) = self.shared.workers.try_acquire() else {
                break;
            };
            // Out of the waiting jobs whatever the claim gives: claimed, gone, or failing (a
            // later scan finds it again).
            let Some(pending) = waiting.remove(at) else {
                break;
            };
            // Registered before the claim, so a cancel command arriving meanwhile finds it.
            let job_id = pending.job.job_id;
            let cancel = self.stop.child_token();
            self.shared
                .start_job(job_id, serials.clone(), cancel.clone());
            let claimed = {
                let pending = pending.clone();
                self.shared.store.io(move |dir| dir.claim(&pending)).await
            };
            match claimed {
                Ok(Some(active)) => {
                    let claimed: Vec<String> =
                        active.job.devices.iter().map(ToString::to_string).collect();
                    if claimed != serials {
                        // The file was replaced between the scan and the claim: its devices
                        // were never reserved, so it must not run.
                        tracing::error!(
                            %job_id, scanned = ?serials, claimed = ?claimed,
                            "the job file changed while it was claimed; filed as failed"
                        );
                        self.shared.end_job(job_id);
                        drop(permit);
                        let reason = format!(
                            "the job file was replaced while panosd claimed it (devices {} became {}); \
                             nothing was done: submit a new job (a new job_id) instead of editing a pending one",
                            serials.join(", "),
                            claimed.join(", ")
                        );
                        super::job::file_unrun(&self.shared, active.job, reason).await;
                        continue;
                    }
                    self.index.forget(&pending.name);
                    tracing::info!(job_id = %active.job.job_id, "job claimed");
                    self.spawn(active, permit, cancel).await;
                }
                Ok(None) => {
                    self.shared.end_job(job_id);
                }
                Err(err) => {
                    self.shared.end_job(job_id);
                    tracing::error!(file = %pending.path.display(), %err, "cannot claim the job");
                }
            }
        }
        self.waiting = Some(waiting);
    }

    async fn start(&self, active: ActiveJob, permit: tokio::sync::OwnedSemaphorePermit) {
        let cancel = self.stop.child_token();
        let serials = active.job.devices.iter().map(ToString::to_string).collect();
        self.shared
            .start_job(active.job.job_id, serials, cancel.clone());
        self.spawn(active, permit, cancel).await;
    }

    async fn spawn(
        &self,
        active: ActiveJob,
        permit: tokio::sync::OwnedSemaphorePermit,
        cancel: CancellationToken,
    ) {
        let (resume, pre_refs) = self.shared.store.resume_state(active.job.job_id).await;
        let run = JobRun {
            shared: Arc::clone(&self.shared),
            api: Arc::clone(&self.api),
            active,
            resume,
            pre_refs,
            cancel,
            stop: self.stop.clone(),
            permit,
        };
        self.tasks.spawn(device_worker(run));
    }
}
