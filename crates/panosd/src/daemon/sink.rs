//! [`JobSink`]: what the daemon does with the engine's events for one job. Progress becomes
//! `status/devices/<serial>.json` (and the HA pair's file), checkpoints become lines of
//! `checkpoints/<job_id>.jsonl` (synced before the engine sends the command they announce),
//! audit records become lines under the `audit` log target, snapshots and reports become
//! `validation/{pre_flight,post_flight}/<serial>_<timestamp>.json` records.
//!
//! A snapshot's record is written once, with the report that follows it (the engine computes
//! the report right after the snapshot, sending nothing in between); a snapshot without a
//! report is written before the next checkpoint, or at the end of the job. A pre-flight
//! record is durable before the engine goes on, and every checkpoint written after it names
//! it (so the one announcing the next command does).
//!
//! A device's status file is written at most once every [`PROGRESS_INTERVAL`]: a change
//! within the interval after a write (a new state, step, progress, message) waits for its end,
//! when [`JobSink::drive`]'s writer writes the device as it is then, so the file is never more
//! than an interval behind and states that follow one another quickly cost one write. A new
//! `error` or `manual_action`, or another job, is written at once; [`JobSink::flush`] writes
//! whatever still waits when the job ends. The HA pair's file is written with its members'.
//!
//! A checkpoint that announces a command (a device has an intent) is appended and synced at
//! once. One that announces nothing is held back up to [`CHECKPOINT_DELAY`] and written then,
//! unless a newer one replaces it first (an announcing one, written with the state it holds):
//! a crash loses at most that second of reads and waits, which the resumed job redoes, as a
//! power cut losing the unsynced saves would. [`JobSink::flush_checkpoint`] writes it when the
//! job stays to resume.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use panos_queue::{
    DeviceState as QState, DeviceStatus, HaMember, HaPairState, HaPairStatus, JobId, PairName,
    Phase, SchemaVersion, ValidationRecord,
};
use panos_upgrade::event::{HaPhase, SnapshotPhase};
use panos_upgrade::{DeviceProgress, DeviceState, Event, JobCheckpoint, ProgressSink};
use panos_validation::Snapshot;

use super::convert::{queue_serial, queue_version};
use super::shared::Shared;
use crate::logging::AUDIT_TARGET;
use crate::store::{CheckpointFile, PreSnapshotRef};

/// How long a checkpoint that announces nothing may wait before it is written.
pub const CHECKPOINT_DELAY: Duration = Duration::from_secs(1);

/// The shortest time between two writes of a device's status file (but for an error, a
/// manual action or another job, which are written at once).
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct SinkState {
    checkpoint: Option<JobCheckpoint>,
    pre_refs: Vec<PreSnapshotRef>,
    devices: BTreeMap<String, DeviceStatus>,
    pair: Option<HaPairStatus>,
    /// The last record per device and phase, completed by the report that follows.
    records: BTreeMap<(String, &'static str), HeldRecord>,
    /// HA pairs: each member's role when the job started (from the engine's first hop once it
    /// decided the order, else from the inventory).
    roles: BTreeMap<String, String>,
    /// Whether `checkpoint` and `pre_refs` are what the checkpoint file holds: the engine
    /// announces the same checkpoint again at some steps, and a repeat needs no write.
    checkpoint_saved: bool,
    /// Since when a checkpoint that announces nothing waits to be written.
    checkpoint_held_since: Option<tokio::time::Instant>,
    /// When each device's status file was last written by this sink.
    written_at: BTreeMap<String, tokio::time::Instant>,
    /// Devices whose status holds changes not written yet.
    unwritten: BTreeSet<String>,
}

impl SinkState {
    /// When `serial`'s status file may next be written: the end of the interval after its last
    /// write (`None`: never written by this sink, so at once).
    fn due_at(&self, serial: &str) -> Option<tokio::time::Instant> {
        self.written_at
            .get(serial)
            .map(|at| *at + PROGRESS_INTERVAL)
    }

    /// Whether `serial`'s status file may be written `now`.
    fn is_due(&self, serial: &str, now: tokio::time::Instant) -> bool {
        self.due_at(serial).is_none_or(|at| at <= now)
    }

    /// When the first change held back (a status, the checkpoint) may be written.
    fn next_due(&self) -> Option<tokio::time::Instant> {
        self.unwritten
            .iter()
            .map(|serial| {
                self.due_at(serial)
                    .unwrap_or_else(tokio::time::Instant::now)
            })
            .chain(self.checkpoint_due_at())
            .min()
    }

    /// When the checkpoint held back is to be written.
    fn checkpoint_due_at(&self) -> Option<tokio::time::Instant> {
        self.checkpoint_held_since
            .map(|since| since + CHECKPOINT_DELAY)
    }

    /// Takes `serials` out of the held-back set as written `now`: their status files as they
    /// are, and the pair's when the job has one.
    fn take_writes(
        &mut self,
        serials: &[String],
        now: tokio::time::Instant,
    ) -> (Vec<DeviceStatus>, Option<HaPairStatus>) {
        let mut devices = Vec::new();
        for serial in serials {
            self.unwritten.remove(serial);
            self.written_at.insert(serial.clone(), now);
            devices.extend(self.devices.get(serial).cloned());
        }
        let pair = self.pair.clone().filter(|_| !devices.is_empty());
        (devices, pair)
    }
}

/// A validation record (its snapshot shared with the engine, written from its type), and
/// whether its file holds it as it is.
#[derive(Debug)]
struct HeldRecord {
    path: PathBuf,
    record: ValidationRecord<Arc<Snapshot>>,
    hop_index: usize,
    written: bool,
}

/// Whether `new` says something that must not wait: an error, a manual action or another job
/// that `old` did not say.
fn urgent(old: &DeviceStatus, new: &DeviceStatus) -> bool {
    old.error != new.error || old.manual_action != new.manual_action || old.job_id != new.job_id
}

impl SinkState {
    /// Learns the roles at the start of the job from a checkpoint of the pair's first hop: the
    /// member upgraded first is the one that was passive.
    fn learn_roles(&mut self) {
        let Some(ha) = self.checkpoint.as_ref().and_then(|cp| cp.ha.as_ref()) else {
            return;
        };
        if ha.hop_index == 0 {
            self.roles
                .insert(ha.first.to_string(), "passive".to_owned());
            self.roles
                .insert(ha.second.to_string(), "active".to_owned());
        }
    }
}

/// The engine's events of one job, persisted.
#[derive(Debug)]
pub struct JobSink {
    shared: Arc<Shared>,
    job_id: JobId,
    submitted_by: Option<String>,
    /// Held while status files are written, so that they land in the order of the events.
    state: tokio::sync::Mutex<SinkState>,
    /// Told when a change is held back (the writer of [`JobSink::drive`] may have to wake
    /// sooner).
    held_back: tokio::sync::Notify,
}

pub(crate) fn map_state(state: DeviceState) -> QState {
    match state {
        DeviceState::Queued => QState::Queued,
        DeviceState::Preflight => QState::Preflight,
        DeviceState::Downloading => QState::Downloading,
        DeviceState::Installing => QState::Installing,
        DeviceState::Rebooting => QState::Rebooting,
        DeviceState::WaitingReady => QState::WaitingReady,
        DeviceState::Postflight => QState::Postflight,
        DeviceState::Done => QState::Done,
        DeviceState::Failed => QState::Failed,
        DeviceState::Cancelled => QState::Cancelled,
        DeviceState::Skipped => QState::Skipped,
    }
}

impl JobSink {
    /// A sink for `job_id`, whose devices start from `devices` (their status files as
    /// queued), resuming with the pre-flight snapshot references `pre_refs`, and the HA pair
    /// file `pair` for pair jobs.
    pub fn new(
        shared: Arc<Shared>,
        job_id: JobId,
        submitted_by: Option<String>,
        devices: Vec<DeviceStatus>,
        pair: Option<PairName>,
        checkpoint: Option<JobCheckpoint>,
        pre_refs: Vec<PreSnapshotRef>,
    ) -> Self {
        let pair = pair.map(|name| HaPairStatus {
            schema_version: SchemaVersion,
            name,
            members: devices
                .iter()
                .map(|d| HaMember {
                    serial: d.serial.clone(),
                    role: d.ha_role.clone(),
                    state: d.state,
                    current_version: d.current_version.clone(),
                })
                .collect(),
            state: HaPairState::Preflight,
            job_id: Some(job_id),
            message: None,
            updated_at: Utc::now(),
        });
        let roles = if pair.is_some() {
            devices
                .iter()
                .filter_map(|d| Some((d.serial.to_string(), d.ha_role.clone()?)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let devices = devices
            .into_iter()
            .map(|d| (d.serial.to_string(), d))
            .collect();
        let mut state = SinkState {
            checkpoint,
            pre_refs,
            devices,
            pair,
            records: BTreeMap::new(),
            roles,
            // Resumed from the file, or nothing yet (the first checkpoint is written).
            checkpoint_saved: true,
            checkpoint_held_since: None,
            written_at: BTreeMap::new(),
            unwritten: BTreeSet::new(),
        };
        state.learn_roles();
        Self {
            shared,
            job_id,
            submitted_by,
            state: tokio::sync::Mutex::new(state),
            held_back: tokio::sync::Notify::new(),
        }
    }

    /// Runs `work` (the engine on this job) and, alongside it, writes each status change held
    /// back once its device's interval has passed; returns `work`'s output. A write under way
    /// when `work` ends is finished first.
    pub async fn drive<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        let done = tokio_util::sync::CancellationToken::new();
        // On the heap: the engine's future is large, and moving it here by value would copy
        // it on the stack.
        let work = Box::pin(work);
        let work = async {
            let output = work.await;
            done.cancel();
            output
        };
        let (output, ()) = tokio::join!(work, self.write_held_back(&done));
        output
    }

    /// Until `done`: waits for the first change held back to be due, and writes every due one.
    async fn write_held_back(&self, done: &tokio_util::sync::CancellationToken) {
        loop {
            let due = self.state.lock().await.next_due();
            let wait = async {
                match due {
                    Some(at) => tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = self.held_back.notified() => {}
                    },
                    None => self.held_back.notified().await,
                }
            };
            tokio::select! {
                () = done.cancelled() => return,
                () = wait => {}
            }
            let mut state = self.state.lock().await;
            let now = tokio::time::Instant::now();
            let due: Vec<String> = state
                .unwritten
                .iter()
                .filter(|serial| state.is_due(serial, now))
                .cloned()
                .collect();
            let (devices, pair) = state.take_writes(&due, now);
            self.write_statuses(devices, pair).await;
            if state.checkpoint_due_at().is_some_and(|at| at <= now) {
                self.write_checkpoint(&mut state).await;
            }
        }
    }

    /// HA pairs: each member's role when the job started, by serial (empty for a standalone
    /// job).
    pub async fn roles(&self) -> BTreeMap<String, String> {
        self.state.lock().await.roles.clone()
    }

    /// Writes the checkpoint held back, if any: the job stays in `active/` to resume from it.
    pub async fn flush_checkpoint(&self) {
        let mut state = self.state.lock().await;
        if state.checkpoint_held_since.is_some() {
            self.write_checkpoint(&mut state).await;
        }
    }

    /// Writes every device's status file (and the pair's) as they are now.
    pub async fn write_all(&self) {
        let mut state = self.state.lock().await;
        let serials: Vec<String> = state.devices.keys().cloned().collect();
        let (devices, _) = state.take_writes(&serials, tokio::time::Instant::now());
        self.write_statuses(devices, state.pair.clone()).await;
    }

    /// Writes the status files whose changes are held back (the job's last events may be
    /// some) and the validation records held back. Called when the job ends, before its
    /// devices are released.
    pub async fn flush(&self) {
        let mut state = self.state.lock().await;
        self.write_held(&mut state, None).await;
        let unwritten: Vec<String> = state.unwritten.iter().cloned().collect();
        let (devices, pair) = state.take_writes(&unwritten, tokio::time::Instant::now());
        self.write_statuses(devices, pair).await;
    }

    /// Writes `devices`' status files, then `pair`'s.
    async fn write_statuses(&self, devices: Vec<DeviceStatus>, pair: Option<HaPairStatus>) {
        for device in devices {
            self.write_device(device).await;
        }
        if let Some(pair) = pair {
            self.write_pair(pair).await;
        }
    }

    async fn write_device(&self, status: DeviceStatus) {
        let serial = status.serial.clone();
        let shared = Arc::clone(&self.shared);
        if let Err(err) = self
            .shared
            .store
            .io(move |dir| {
                let _files = shared
                    .status_files
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                dir.write_device_status(&status)?;
                shared.devices_written([&status]);
                Ok(())
            })
            .await
        {
            tracing::error!(%serial, %err, "cannot write the device status file");
        }
    }

    async fn write_pair(&self, status: HaPairStatus) {
        if let Err(err) = self
            .shared
            .store
            .io(move |dir| dir.write_ha_pair_status(&status))
            .await
        {
            tracing::error!(%err, "cannot write the HA pair status file");
        }
    }

    async fn progress(&self, p: DeviceProgress) {
        let serial = p.serial.to_string();
        self.shared
            .job_at(self.job_id, &serial, &p.step.to_string());
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        let stopping = self.shared.state() == panos_queue::DaemonState::Stopping
            && !self.shared.cancelled_by_user(self.job_id);
        let Some(qserial) = queue_serial(&p.serial) else {
            return;
        };
        let status = state
            .devices
            .entry(serial.clone())
            .or_insert_with(|| DeviceStatus::new(qserial, QState::Queued, Utc::now()));
        let before = status.clone();
        // A stop of the daemon is not a cancel: the device keeps its state until the job
        // resumes.
        if !(stopping && p.state == DeviceState::Cancelled) {
            status.state = map_state(p.state);
        }
        status.step = Some(p.step.to_string());
        status.hostname = p.hostname.clone().or(status.hostname.take());
        status.path = p.path.iter().filter_map(queue_version).collect();
        status.hop = u32::try_from(p.hop_index).ok();
        if let Some(v) = p.current_version.as_ref().and_then(queue_version) {
            status.current_version = Some(v);
        }
        status.target_version = p.target_version.as_ref().and_then(queue_version);
        status.progress = p.progress.min(100);
        status.job_id = Some(self.job_id);
        status.message = Some(p.message.clone());
        match p.state {
            DeviceState::Failed => status.error = Some(p.message.clone()),
            DeviceState::Cancelled if stopping => {
                status.message = Some(
                    "panosd stopped at a recorded point; the job resumes when it starts again"
                        .to_owned(),
                );
            }
            DeviceState::Cancelled => status.manual_action = Some(p.message.clone()),
            _ => {}
        }
        let changed = *status != before;
        if changed {
            let news = before.state != status.state
                || before.step != status.step
                || before.error != status.error
                || before.manual_action != status.manual_action;
            log_progress(&p, &serial, news);
            status.updated_at = Utc::now();
        }
        let urgent = urgent(&before, status);
        let device = status.clone();
        // The pair's file follows its members and the job's phase, which a checkpoint may
        // have moved since: it is written with its members'.
        let pair_moved = state
            .pair
            .as_mut()
            .is_some_and(|pair| update_pair(pair, &state.checkpoint, &device, &p.message));
        if !changed && !pair_moved {
            // The same news again (a poll that saw no change): the file says it already, or
            // will once the interval has passed.
            return;
        }
        let now = tokio::time::Instant::now();
        if !state.is_due(&serial, now) && !urgent {
            state.unwritten.insert(serial);
            self.held_back.notify_one();
            return;
        }
        let (devices, pair) = state.take_writes(&[serial], now);
        self.write_statuses(devices, pair).await;
    }

    /// Saves the checkpoint: appended to the job's journal and synced at once when it
    /// announces a changing command (a device has an intent), else held back for the writer
    /// (see the module doc).
    async fn save_checkpoint(&self, state: &mut SinkState) {
        if announces_a_command(&state.checkpoint) {
            self.write_checkpoint(state).await;
            return;
        }
        state.checkpoint_saved = false;
        if state.checkpoint_held_since.is_none() {
            state.checkpoint_held_since = Some(tokio::time::Instant::now());
            self.held_back.notify_one();
        }
    }

    /// Appends the checkpoint to the job's journal (synced when it announces a command); it
    /// replaces any held back.
    async fn write_checkpoint(&self, state: &mut SinkState) {
        state.checkpoint_held_since = None;
        state.checkpoint_saved = self.append_checkpoint(state).await;
    }

    /// Appends the checkpoint to the job's journal, synced when it announces a changing
    /// command; returns whether it was written.
    async fn append_checkpoint(&self, state: &SinkState) -> bool {
        let announces = announces_a_command(&state.checkpoint);
        let file = CheckpointFile {
            schema_version: 1,
            job_id: self.job_id,
            checkpoint: state.checkpoint.clone(),
            pre_snapshots: state.pre_refs.clone(),
            updated_at: Utc::now(),
        };
        match self.shared.store.write_checkpoint(file, announces).await {
            Ok(()) => true,
            Err(err) => {
                tracing::error!(%err, "cannot write the job checkpoint: a crash now would resume from an older point");
                false
            }
        }
    }

    async fn record(
        &self,
        serial: &panos_client::Serial,
        hop_index: usize,
        phase: Phase,
        snapshot: Option<Arc<Snapshot>>,
        report: Option<serde_json::Value>,
    ) {
        let Some(qserial) = queue_serial(serial) else {
            return;
        };
        let mut state = self.state.lock().await;
        let key = (serial.to_string(), phase.folder());
        match snapshot {
            Some(snapshot) => {
                // An earlier snapshot of this device and phase that got no report is kept too.
                self.write_held(&mut state, Some(&key)).await;
                let hop = state
                    .checkpoint
                    .as_ref()
                    .and_then(|cp| cp.devices.iter().find(|d| &d.serial == serial))
                    .and_then(|d| d.path.get(hop_index))
                    .and_then(queue_version);
                let taken_at = Utc::now();
                let path = self
                    .shared
                    .store
                    .dir()
                    .validation_record_path(phase, &qserial, taken_at);
                let record = ValidationRecord {
                    schema_version: SchemaVersion,
                    serial: qserial,
                    phase,
                    job_id: Some(self.job_id),
                    hop,
                    taken_at,
                    snapshot,
                    report: None,
                };
                let held = HeldRecord {
                    path,
                    record,
                    hop_index,
                    written: false,
                };
                state.records.insert(key, held);
            }
            None => {
                let Some(held) = state.records.get_mut(&key) else {
                    return;
                };
                held.record.report = report;
                held.written = false;
                self.write_held(&mut state, Some(&key)).await;
            }
        }
    }

    /// Writes the records held back (only `only`'s when given); a pre-flight snapshot's
    /// record is then named in the checkpoint file.
    async fn write_held(&self, state: &mut SinkState, only: Option<&(String, &'static str)>) {
        let keys: Vec<(String, &'static str)> = state
            .records
            .iter()
            .filter(|(key, held)| !held.written && only.is_none_or(|o| o == *key))
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys {
            let Some(held) = state.records.get_mut(&key) else {
                continue;
            };
            held.written = true;
            let path = held.path.clone();
            let hop_index = held.hop_index;
            let pre_flight = held.record.phase == Phase::PreFlight;
            let bytes = match panos_queue::fsio::to_json_bytes(&held.record, &path) {
                Ok(bytes) => bytes,
                Err(err) => {
                    tracing::error!(%err, "cannot write the validation record");
                    continue;
                }
            };
            let write_path = path.clone();
            if let Err(err) = self
                .shared
                .store
                .io(move |_| panos_queue::atomic_write(&write_path, &bytes))
                .await
            {
                tracing::error!(%err, "cannot write the validation record");
                continue;
            }
            if pre_flight {
                let root = self.shared.store.dir().root();
                let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                let (serial, _) = key;
                if !state
                    .pre_refs
                    .iter()
                    .any(|r| r.serial == serial && r.hop_index == hop_index && r.file == relative)
                {
                    state
                        .pre_refs
                        .retain(|r| !(r.serial == serial && r.hop_index == hop_index));
                    state.pre_refs.push(PreSnapshotRef {
                        serial,
                        hop_index,
                        file: relative,
                    });
                    self.save_checkpoint(state).await;
                }
            }
        }
    }
}

/// Logs a device's news (a new state or step, an error) at `info`, a move within a step
/// (the percentage of a download or install, each poll) at `debug`.
fn log_progress(p: &DeviceProgress, serial: &str, news: bool) {
    let state = serde_json::to_value(map_state(p.state))
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if news {
        tracing::info!(
            serial, step = %p.step, state, progress = p.progress, "{}", p.message
        );
    } else {
        tracing::debug!(
            serial, step = %p.step, state, progress = p.progress, "{}", p.message
        );
    }
}

/// Whether `checkpoint` announces a changing command (a device has an intent): such a save
/// must be on disk before the engine goes on.
fn announces_a_command(checkpoint: &Option<JobCheckpoint>) -> bool {
    checkpoint
        .as_ref()
        .is_some_and(|cp| cp.devices.iter().any(|d| d.intent.is_some()))
}

fn state_phase(checkpoint: &Option<JobCheckpoint>) -> Option<HaPhase> {
    checkpoint
        .as_ref()
        .and_then(|cp| cp.ha.as_ref())
        .map(|ha| ha.phase)
}

/// Brings `pair` up to date with its member `device` (whose last news is `message`) and the
/// job's phase in `checkpoint`; returns whether more than its message changed.
fn update_pair(
    pair: &mut HaPairStatus,
    checkpoint: &Option<JobCheckpoint>,
    device: &DeviceStatus,
    message: &str,
) -> bool {
    let before = pair.clone();
    // The member upgraded first is listed first.
    if let Some(first) = checkpoint.as_ref().and_then(|cp| cp.ha.as_ref()) {
        pair.members
            .sort_by_key(|m| m.serial.as_str() != first.first.as_str());
    }
    for member in &mut pair.members {
        if member.serial == device.serial {
            member.state = device.state;
            member.current_version = device.current_version.clone();
        }
    }
    pair.state = pair_state(pair, state_phase(checkpoint));
    let moved = pair.state != before.state || pair.members != before.members;
    pair.message = Some(format!("{}: {message}", device.serial));
    if *pair != before {
        pair.updated_at = Utc::now();
    }
    moved
}

fn pair_state(pair: &HaPairStatus, phase: Option<HaPhase>) -> HaPairState {
    let states: Vec<QState> = pair.members.iter().map(|m| m.state).collect();
    if states.contains(&QState::Failed) {
        return HaPairState::Failed;
    }
    if states.contains(&QState::Cancelled) {
        return HaPairState::Cancelled;
    }
    if states
        .iter()
        .all(|s| matches!(s, QState::Done | QState::Skipped))
    {
        return HaPairState::Done;
    }
    match phase {
        None => HaPairState::Preflight,
        Some(HaPhase::Download) => HaPairState::Downloading,
        Some(HaPhase::First) => HaPairState::UpgradingFirst,
        Some(HaPhase::Failover) => HaPairState::FailingOver,
        Some(HaPhase::Second) => HaPairState::UpgradingSecond,
        Some(HaPhase::HopDone) => HaPairState::Syncing,
    }
}

impl ProgressSink for JobSink {
    async fn emit(&self, event: Event) {
        match event {
            Event::Progress(progress) => self.progress(progress).await,
            Event::Checkpoint(checkpoint) => {
                let mut state = self.state.lock().await;
                if state.checkpoint_saved && state.checkpoint.as_ref() == Some(&checkpoint) {
                    return;
                }
                // A record held back is on disk before a checkpoint that may follow from it.
                self.write_held(&mut state, None).await;
                state.checkpoint = Some(checkpoint);
                state.learn_roles();
                self.save_checkpoint(&mut state).await;
            }
            Event::Audit(record) => {
                let line = crate::audit::AuditLine {
                    at: Utc::now(),
                    job_id: self.job_id.to_string(),
                    serial: record.serial.to_string(),
                    action: record.action.to_string(),
                    version: record.version.as_ref().map(ToString::to_string),
                    device_job: record.job.map(|j| j.to_string()),
                    detail: record.detail.clone(),
                    submitted_by: self.submitted_by.clone(),
                };
                if let Err(err) = crate::audit::append(self.shared.store.dir().root(), line).await {
                    tracing::error!(%err, "cannot append to the audit trail in logs/audit/");
                }
                tracing::info!(
                    target: AUDIT_TARGET,
                    job_id = %self.job_id,
                    serial = %record.serial,
                    action = %record.action,
                    version = record.version.as_ref().map(ToString::to_string),
                    device_job = record.job.map(|j| j.to_string()),
                    detail = %record.detail,
                    "changing command {} on {}: {}",
                    record.action, record.serial, record.detail
                );
            }
            Event::Snapshot {
                serial,
                hop_index,
                phase,
                snapshot,
            } => {
                let phase = match phase {
                    SnapshotPhase::PreFlight => Phase::PreFlight,
                    SnapshotPhase::PostFlight => Phase::PostFlight,
                };
                self.record(&serial, hop_index, phase, Some(snapshot), None)
                    .await;
            }
            Event::Readiness {
                serial,
                hop_index,
                report,
            } => {
                let value = serde_json::to_value(&*report).ok();
                self.record(&serial, hop_index, Phase::PreFlight, None, value)
                    .await;
            }
            Event::Comparison {
                serial,
                hop_index,
                report,
            } => {
                let value = serde_json::to_value(&*report).ok();
                self.record(&serial, hop_index, Phase::PostFlight, None, value)
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use panos_upgrade::event::{DeviceCheckpoint, SnapshotPhase};

    async fn sink(root: &std::path::Path) -> (JobSink, Store, JobId) {
        let store = Store::new(root);
        store.create().await.unwrap();
        let shared = Arc::new(Shared::new(
            store.clone(),
            Arc::default(),
            1,
            super::super::shared::Live {
                engine: panos_upgrade::EngineConfig::default(),
                paths: Arc::default(),
            },
        ));
        let job_id = JobId::new_random();
        let mut device = DeviceStatus::new("0001".parse().unwrap(), QState::Queued, Utc::now());
        // As the daemon starts a job: its devices queued in it.
        device.job_id = Some(job_id);
        let sink = JobSink::new(shared, job_id, None, vec![device], None, None, Vec::new());
        (sink, store, job_id)
    }

    fn checkpoint(job_id: JobId, installed: bool) -> JobCheckpoint {
        let mut device = DeviceCheckpoint::new("0001".parse().unwrap(), None, Vec::new());
        device.installed = installed;
        JobCheckpoint {
            job_id: job_id.to_string(),
            devices: vec![device],
            ha: None,
        }
    }

    fn progress(state: DeviceState, step: panos_upgrade::event::Step, percent: u8) -> Event {
        Event::Progress(DeviceProgress {
            serial: "0001".parse().unwrap(),
            hostname: None,
            state,
            step,
            path: Vec::new(),
            hop_index: 0,
            current_version: None,
            target_version: None,
            progress: percent,
            message: format!("{step} {percent}%"),
        })
    }

    fn on_file(store: &Store) -> (QState, u8, Option<String>) {
        let status = store
            .dir()
            .read_device_status(&"0001".parse().unwrap())
            .unwrap()
            .unwrap();
        (status.state, status.progress, status.message)
    }

    /// Within the interval after a write, changes (a new state too) wait; the writer beside
    /// the job writes the last of them when the interval ends; after a quiet interval a change
    /// is written at once; an error is never held back; `flush` writes what still waits.
    #[tokio::test(start_paused = true)]
    async fn changes_wait_for_the_interval_and_errors_do_not() {
        use panos_upgrade::event::Step;
        let tmp = tempfile::tempdir().unwrap();
        let (sink, store, _) = sink(tmp.path()).await;
        sink.write_all().await;
        let past_interval = PROGRESS_INTERVAL + Duration::from_millis(10);
        sink.drive(async {
            sink.emit(progress(DeviceState::Preflight, Step::Preflight, 0))
                .await;
            assert_eq!(on_file(&store).0, QState::Queued, "held back");
            sink.emit(progress(DeviceState::Downloading, Step::Download, 10))
                .await;
            sink.emit(progress(DeviceState::Installing, Step::Install, 40))
                .await;
            assert_eq!(on_file(&store).0, QState::Queued);
            tokio::time::sleep(past_interval).await;
            assert_eq!(
                on_file(&store),
                (QState::Installing, 40, Some("install 40%".into())),
                "written by the writer when the interval ended"
            );

            tokio::time::sleep(past_interval).await;
            sink.emit(progress(DeviceState::Rebooting, Step::Restart, 50))
                .await;
            assert_eq!(
                on_file(&store).0,
                QState::Rebooting,
                "after a quiet interval, at once"
            );
            sink.emit(progress(DeviceState::Rebooting, Step::Restart, 60))
                .await;
            assert_eq!(on_file(&store).1, 50, "progress within the interval waits");
            sink.emit(progress(DeviceState::Failed, Step::Restart, 60))
                .await;
            assert_eq!(
                on_file(&store).0,
                QState::Failed,
                "an error is written at once"
            );
        })
        .await;

        // A second job (`self::sink`: the name is shadowed by the first job's sink here).
        let second = tmp.path().join("second");
        std::fs::create_dir_all(&second).unwrap();
        let (sink, store, _) = self::sink(&second).await;
        sink.write_all().await;
        sink.emit(progress(DeviceState::Rebooting, Step::Restart, 70))
            .await;
        assert_eq!(on_file(&store).0, QState::Queued);
        sink.flush().await;
        assert_eq!(
            on_file(&store),
            (QState::Rebooting, 70, Some("restart 70%".into())),
            "flush writes what waits"
        );
    }

    /// However quickly states follow one another, the file is written at most once an
    /// interval, follows them in order, and ends on the last within an interval.
    #[tokio::test(start_paused = true)]
    async fn quick_states_cost_a_write_an_interval() {
        use panos_upgrade::event::Step;
        let tmp = tempfile::tempdir().unwrap();
        let (sink, store, _) = sink(tmp.path()).await;
        sink.write_all().await;
        let states = [
            (DeviceState::Preflight, Step::Preflight),
            (DeviceState::Downloading, Step::Download),
            (DeviceState::Installing, Step::Install),
            (DeviceState::Rebooting, Step::WaitReboot),
            (DeviceState::WaitingReady, Step::WaitReady),
            (DeviceState::Postflight, Step::Postflight),
            (DeviceState::Done, Step::Done),
        ];
        let mut seen = vec![on_file(&store).0];
        sink.drive(async {
            for (i, (state, step)) in states.into_iter().enumerate() {
                let percent = u8::try_from(i * 10).unwrap();
                sink.emit(progress(state, step, percent)).await;
                seen.push(on_file(&store).0);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            tokio::time::sleep(PROGRESS_INTERVAL).await;
            seen.push(on_file(&store).0);
        })
        .await;
        seen.dedup();
        let order: Vec<QState> = std::iter::once(QState::Queued)
            .chain(states.iter().map(|(state, _)| map_state(*state)))
            .collect();
        let positions: Vec<usize> = seen
            .iter()
            .map(|s| order.iter().position(|o| o == s).unwrap())
            .collect();
        assert!(positions.is_sorted(), "in order: {seen:?}");
        assert_eq!(seen.last(), Some(&QState::Done), "{seen:?}");
        // 2.1 s of states: written at the start, after 1 s and after 2 s.
        assert!(seen.len() <= 3, "at most a write an interval: {seen:?}");
    }

    fn records(store: &Store, folder: &str) -> Vec<serde_json::Value> {
        let dir = store.dir().root().join("validation").join(folder);
        panos_queue::fsio::list_candidates(&dir)
            .unwrap()
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }

    fn snapshot(phase: SnapshotPhase) -> Event {
        let snapshot = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "serial": "0001", "taken_at": "2026-11-24T19:20:00Z",
        }))
        .unwrap();
        Event::Snapshot {
            serial: "0001".parse().unwrap(),
            hop_index: 0,
            phase,
            snapshot: Arc::new(snapshot),
        }
    }

    /// A snapshot's record is written once, with its report; the pre-flight one is named in
    /// the checkpoint file when it is; a snapshot without a report is written by `flush`.
    #[tokio::test]
    async fn a_record_is_written_with_its_report() {
        let tmp = tempfile::tempdir().unwrap();
        let (sink, store, job_id) = sink(tmp.path()).await;
        sink.emit(Event::Checkpoint(checkpoint(job_id, false)))
            .await;
        sink.emit(snapshot(SnapshotPhase::PreFlight)).await;
        assert!(
            records(&store, "pre_flight").is_empty(),
            "held for its report"
        );
        let report = serde_json::from_value(serde_json::json!({
            "serial": "0001", "target": "11.1.6", "checks_run": [], "checks_skipped": [],
            "findings": [],
        }))
        .unwrap();
        sink.emit(Event::Readiness {
            serial: "0001".parse().unwrap(),
            hop_index: 0,
            report: Box::new(report),
        })
        .await;
        let pre = records(&store, "pre_flight");
        assert_eq!(pre.len(), 1);
        assert_eq!(pre[0]["report"]["target"], "11.1.6");
        assert_eq!(pre[0]["snapshot"]["serial"], "0001");
        let (_, refs) = store.resume_state(job_id).await;
        assert!(refs.is_empty(), "a checkpoint that announces nothing waits");
        sink.flush_checkpoint().await;
        let (resume, refs) = store.resume_state(job_id).await;
        assert_eq!(refs.len(), 1, "the checkpoint names the record");
        assert_eq!(resume.pre_snapshots.len(), 1, "and it loads back");

        sink.emit(snapshot(SnapshotPhase::PostFlight)).await;
        assert!(records(&store, "post_flight").is_empty());
        sink.flush().await;
        let post = records(&store, "post_flight");
        assert_eq!(
            post.len(),
            1,
            "a snapshot without a report is kept at the end"
        );
        assert!(post[0]["report"].is_null());
    }

    /// Only a checkpoint with an intent (a command about to be sent) must be synced.
    #[test]
    fn a_checkpoint_with_an_intent_announces_a_command() {
        let job_id = JobId::new_random();
        let mut cp = checkpoint(job_id, false);
        assert!(!announces_a_command(&None));
        assert!(!announces_a_command(&Some(cp.clone())));
        cp.devices[0].intent = Some(panos_upgrade::event::Intent {
            action: panos_upgrade::event::Action::Install,
            version: None,
            jobs_high_water: None,
        });
        assert!(announces_a_command(&Some(cp)));
    }

    /// A checkpoint announced again unchanged is not written again; a changed one is.
    #[tokio::test]
    async fn a_repeated_checkpoint_is_written_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (sink, store, job_id) = sink(tmp.path()).await;
        let file = store.checkpoint_path(job_id);
        let written_at = || {
            let journal = crate::journal::read(&std::fs::read(&file).unwrap());
            assert!(journal.is_clean());
            journal.last.unwrap().updated_at
        };
        sink.emit(Event::Checkpoint(checkpoint(job_id, false)))
            .await;
        sink.flush_checkpoint().await;
        let first = written_at();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        sink.emit(Event::Checkpoint(checkpoint(job_id, false)))
            .await;
        sink.flush_checkpoint().await;
        assert_eq!(written_at(), first, "the same checkpoint: no new write");
        sink.emit(Event::Checkpoint(checkpoint(job_id, true))).await;
        sink.flush_checkpoint().await;
        assert_ne!(written_at(), first, "a changed checkpoint is written");
        let (resume, _) = store.resume_state(job_id).await;
        assert!(resume.checkpoint.unwrap().devices[0].installed);
    }

    /// A checkpoint with an intent is on disk when `emit` returns; one without waits for the
    /// writer beside the engine (or a newer one with an intent, which carries its state).
    #[tokio::test]
    async fn a_checkpoint_that_announces_nothing_waits_for_the_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let (sink, store, job_id) = sink(tmp.path()).await;
        let file = store.checkpoint_path(job_id);
        let lines = || {
            std::fs::read(&file).map_or(0, |bytes| bytes.iter().filter(|b| **b == b'\n').count())
        };
        let mut announcing = checkpoint(job_id, false);
        announcing.devices[0].intent = Some(panos_upgrade::event::Intent {
            action: panos_upgrade::event::Action::Install,
            version: None,
            jobs_high_water: None,
        });
        sink.drive(async {
            sink.emit(Event::Checkpoint(checkpoint(job_id, false)))
                .await;
            assert_eq!(lines(), 0, "held back");
            sink.emit(Event::Checkpoint(announcing.clone())).await;
            assert_eq!(
                lines(),
                1,
                "an intent is written at once, the held one with it"
            );
            sink.emit(Event::Checkpoint(checkpoint(job_id, true))).await;
            assert_eq!(lines(), 1, "held back");
            // The writer writes it once its delay has passed, with no flush.
            let waited = tokio::time::Instant::now();
            while lines() < 2 {
                assert!(
                    waited.elapsed() < CHECKPOINT_DELAY * 20,
                    "the writer never wrote the held checkpoint"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert!(waited.elapsed() >= CHECKPOINT_DELAY / 2);
        })
        .await;
        let (resume, _) = store.resume_state(job_id).await;
        let resumed = resume.checkpoint.unwrap();
        assert!(resumed.devices[0].installed && resumed.devices[0].intent.is_none());
    }
}
