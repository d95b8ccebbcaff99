//! The daemon's access to the state directory: panos-queue's blocking I/O run under
//! `spawn_blocking` ([`Store::io`]), and the one file type the daemon adds, the job
//! checkpoint `checkpoints/<job_id>.json` ([`CheckpointFile`]), from which a restarted daemon
//! resumes a job in `queue/active/`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use panos_queue::{JobId, QueueError, StateDir, ValidationRecord};
use panos_upgrade::{JobCheckpoint, PreSnapshot, ResumeState};
use serde::{Deserialize, Serialize};

/// The state directory, for async code.
#[derive(Debug, Clone)]
pub struct Store {
    dir: StateDir,
}

/// A pre-flight snapshot kept for a job: where its validation record is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreSnapshotRef {
    /// The device.
    pub serial: String,
    /// The hop it was taken before (index into the device's path).
    pub hop_index: usize,
    /// The record, relative to the state directory (`validation/pre_flight/…json`).
    pub file: PathBuf,
}

/// `checkpoints/<job_id>.json`: where a running job is, written (atomically) before every
/// command that changes a device, and the pre-flight snapshots its comparisons need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// Always 1.
    pub schema_version: u32,
    /// The job.
    pub job_id: JobId,
    /// The engine's last checkpoint, once it emitted one.
    pub checkpoint: Option<JobCheckpoint>,
    /// The pre-flight snapshots taken so far.
    pub pre_snapshots: Vec<PreSnapshotRef>,
    /// When written.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The store of `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: StateDir::new(state_dir),
        }
    }

    /// The layout.
    pub fn dir(&self) -> &StateDir {
        &self.dir
    }

    /// Runs blocking queue I/O off the runtime's threads.
    ///
    /// # Errors
    /// The I/O's error; a panicked I/O task is reported as an I/O error.
    pub async fn io<T, F>(&self, f: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&StateDir) -> Result<T, QueueError> + Send + 'static,
    {
        let dir = self.dir.clone();
        match tokio::task::spawn_blocking(move || f(&dir)).await {
            Ok(result) => result,
            Err(err) => Err(QueueError::io(
                "run file I/O task",
                self.dir.root(),
                std::io::Error::other(err.to_string()),
            )),
        }
    }

    /// `checkpoints/`.
    pub fn checkpoints_dir(&self) -> PathBuf {
        self.dir.root().join("checkpoints")
    }

    /// `checkpoints/<job_id>.json`.
    pub fn checkpoint_path(&self, job_id: JobId) -> PathBuf {
        self.checkpoints_dir().join(format!("{job_id}.json"))
    }

    /// Creates the layout and `checkpoints/`.
    ///
    /// # Errors
    /// The I/O error.
    pub async fn create(&self) -> Result<(), QueueError> {
        let checkpoints = self.checkpoints_dir();
        self.io(move |dir| {
            dir.create()?;
            std::fs::create_dir_all(&checkpoints)
                .map_err(|e| QueueError::io("create directory", &checkpoints, e))
        })
        .await
    }

    /// Writes a job's checkpoint file atomically (mode 0600: it holds device details).
    ///
    /// # Errors
    /// The I/O error.
    pub async fn write_checkpoint(&self, file: CheckpointFile) -> Result<(), QueueError> {
        let path = self.checkpoint_path(file.job_id);
        self.io(move |_| {
            let bytes = panos_queue::fsio::to_json_bytes(&file, &path)?;
            panos_queue::atomic_write_mode(&path, &bytes, panos_queue::SECRET_MODE)
        })
        .await
    }

    /// Removes a finished job's checkpoint file.
    pub async fn remove_checkpoint(&self, job_id: JobId) {
        let path = self.checkpoint_path(job_id);
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(path)).await;
    }

    /// Removes checkpoint files of jobs not in `active` (left by a crash between filing a
    /// job and removing its checkpoint).
    pub async fn remove_stale_checkpoints(&self, active: Vec<JobId>) {
        let dir = self.checkpoints_dir();
        let _ = tokio::task::spawn_blocking(move || {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                return;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let id = name
                    .strip_suffix(".json")
                    .and_then(|s| s.parse::<JobId>().ok());
                if id.is_some_and(|id| !active.contains(&id)) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        })
        .await;
    }

    /// What a job resumes from: its checkpoint file (if any) and its pre-flight snapshots.
    /// A missing or unreadable file gives a fresh start (the engine re-reads every device).
    pub async fn resume_state(&self, job_id: JobId) -> (ResumeState, Vec<PreSnapshotRef>) {
        let path = self.checkpoint_path(job_id);
        let root = self.dir.root().to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || load_resume(&root, &path)).await;
        match loaded {
            Ok(Ok(found)) => found,
            Ok(Err(reason)) => {
                tracing::warn!(%job_id, %reason, "checkpoint unusable; the job starts from the devices' state");
                (ResumeState::default(), Vec::new())
            }
            Err(_) => (ResumeState::default(), Vec::new()),
        }
    }
}

fn load_resume(root: &Path, path: &Path) -> Result<(ResumeState, Vec<PreSnapshotRef>), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok((ResumeState::default(), Vec::new()));
        }
        Err(err) => return Err(format!("read {}: {err}", path.display())),
    };
    let file: CheckpointFile =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut pre = Vec::new();
    for reference in &file.pre_snapshots {
        let record_path = root.join(&reference.file);
        let snapshot = std::fs::read_to_string(&record_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<ValidationRecord>(&t).map_err(|e| e.to_string()))
            .and_then(|r| {
                serde_json::from_value::<panos_validation::Snapshot>(r.snapshot)
                    .map_err(|e| e.to_string())
            });
        let serial = reference.serial.parse::<panos_client::Serial>();
        match (snapshot, serial) {
            (Ok(snapshot), Ok(serial)) => pre.push(PreSnapshot {
                serial,
                hop_index: reference.hop_index,
                snapshot,
            }),
            (Err(reason), _) => tracing::warn!(
                file = %record_path.display(), %reason,
                "pre-flight snapshot unreadable; that hop's comparison will lack its baseline"
            ),
            (_, Err(err)) => tracing::warn!(%err, "bad serial in checkpoint file"),
        }
    }
    Ok((
        ResumeState {
            checkpoint: file.checkpoint,
            pre_snapshots: pre,
        },
        file.pre_snapshots,
    ))
}
