//! The daemon's access to the state directory: panos-queue's blocking I/O run under
//! `spawn_blocking` ([`Store::io`]), and the one file type the daemon adds, the job
//! checkpoint journal `checkpoints/<job_id>.jsonl` (lines of [`CheckpointFile`], see
//! [`crate::journal`]), from which a restarted daemon resumes a job in `queue/active/`.

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

/// A line of `checkpoints/<job_id>.jsonl`: where a running job is, on disk before every
/// command that changes a device, and the pre-flight snapshots its comparisons need. (A
/// daemon before the journal wrote it alone to `checkpoints/<job_id>.json`, which is still
/// read.)
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

    /// `checkpoints/<job_id>.jsonl`, the job's checkpoint journal.
    pub fn checkpoint_path(&self, job_id: JobId) -> PathBuf {
        self.dir.checkpoint_path(job_id)
    }

    /// `checkpoints/<job_id>.json`, a job's checkpoint as a daemon before the journal wrote it.
    fn legacy_checkpoint_path(&self, job_id: JobId) -> PathBuf {
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

    /// Appends a job's checkpoint to its journal (mode 0600: it holds device details), and
    /// syncs it when `sync` (see [`crate::journal`] for which saves must be).
    ///
    /// # Errors
    /// The I/O error.
    pub async fn write_checkpoint(
        &self,
        file: CheckpointFile,
        sync: bool,
    ) -> Result<(), QueueError> {
        let path = self.checkpoint_path(file.job_id);
        self.io(move |_| crate::journal::append(&path, &file, sync))
            .await
    }

    /// Removes a finished job's checkpoint journal (and a checkpoint file of an older daemon).
    pub async fn remove_checkpoint(&self, job_id: JobId) {
        let paths = [
            self.checkpoint_path(job_id),
            self.legacy_checkpoint_path(job_id),
        ];
        let _ = tokio::task::spawn_blocking(move || {
            for path in paths {
                let _ = std::fs::remove_file(path);
            }
        })
        .await;
    }

    /// Removes checkpoint journals (and files) of jobs not in `active` (left by a crash
    /// between filing a job and removing its checkpoint).
    pub async fn remove_stale_checkpoints(&self, active: Vec<JobId>) {
        let dir = self.checkpoints_dir();
        let _ = tokio::task::spawn_blocking(move || {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                return;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // `<job_id>.jsonl`, `<job_id>.json`, `<job_id>.jsonl.unreadable`.
                let id = name
                    .split_once('.')
                    .and_then(|(id, _)| id.parse::<JobId>().ok());
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
        let paths = (
            self.checkpoint_path(job_id),
            self.legacy_checkpoint_path(job_id),
        );
        let root = self.dir.root().to_path_buf();
        let loaded =
            tokio::task::spawn_blocking(move || load_resume(&root, &paths.0, &paths.1)).await;
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

/// The journal's last checkpoint, else an older daemon's checkpoint file, else none.
fn read_checkpoint(journal: &Path, legacy: &Path) -> Result<Option<CheckpointFile>, String> {
    if let Some(file) = crate::journal::load(journal)? {
        return Ok(Some(file));
    }
    let text = match std::fs::read_to_string(legacy) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("read {}: {err}", legacy.display())),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", legacy.display()))
}

fn load_resume(
    root: &Path,
    journal: &Path,
    legacy: &Path,
) -> Result<(ResumeState, Vec<PreSnapshotRef>), String> {
    let Some(file) = read_checkpoint(journal, legacy)? else {
        return Ok((ResumeState::default(), Vec::new()));
    };
    let mut pre = Vec::new();
    for reference in &file.pre_snapshots {
        let record_path = root.join(&reference.file);
        let snapshot = std::fs::read(&record_path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                serde_json::from_slice::<ValidationRecord<panos_validation::Snapshot>>(&bytes)
                    .map_err(|e| e.to_string())
            })
            .map(|record| std::sync::Arc::new(record.snapshot));
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
            ..ResumeState::default()
        },
        file.pre_snapshots,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use panos_upgrade::JobCheckpoint;

    fn file(job_id: JobId, devices: usize) -> CheckpointFile {
        CheckpointFile {
            schema_version: 1,
            job_id,
            checkpoint: Some(JobCheckpoint {
                job_id: job_id.to_string(),
                devices: (0..devices)
                    .map(|i| {
                        panos_upgrade::DeviceCheckpoint::new(
                            format!("000{i}").parse().unwrap(),
                            None,
                            Vec::new(),
                        )
                    })
                    .collect(),
                ha: None,
            }),
            pre_snapshots: Vec::new(),
            updated_at: Utc::now(),
        }
    }

    fn devices(resume: &ResumeState) -> usize {
        resume.checkpoint.as_ref().map_or(0, |cp| cp.devices.len())
    }

    /// A job left running by a daemon before the journal resumes from its `.json` file; once
    /// it saves, the journal is what counts; both go when the job ends.
    #[tokio::test]
    async fn an_older_daemons_checkpoint_file_is_resumed_from() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.create().await.unwrap();
        let job_id = JobId::new_random();
        let legacy = store.legacy_checkpoint_path(job_id);
        panos_queue::write_json(&legacy, &file(job_id, 1)).unwrap();
        let (resume, _) = store.resume_state(job_id).await;
        assert_eq!(devices(&resume), 1, "read from {}", legacy.display());

        store.write_checkpoint(file(job_id, 2), true).await.unwrap();
        let (resume, _) = store.resume_state(job_id).await;
        assert_eq!(devices(&resume), 2, "the journal is newer");

        store.remove_checkpoint(job_id).await;
        assert!(!legacy.exists() && !store.checkpoint_path(job_id).exists());
        let (resume, _) = store.resume_state(job_id).await;
        assert!(resume.checkpoint.is_none());
    }

    #[tokio::test]
    async fn stale_journals_go_and_active_ones_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.create().await.unwrap();
        let (active, gone, unreadable) = (
            JobId::new_random(),
            JobId::new_random(),
            JobId::new_random(),
        );
        store
            .write_checkpoint(file(active, 1), false)
            .await
            .unwrap();
        store.write_checkpoint(file(gone, 1), true).await.unwrap();
        let aside = store
            .checkpoints_dir()
            .join(format!("{unreadable}.jsonl.unreadable"));
        std::fs::write(&aside, "{").unwrap();
        store.remove_stale_checkpoints(vec![active]).await;
        assert!(store.checkpoint_path(active).exists());
        assert!(!store.checkpoint_path(gone).exists());
        assert!(!aside.exists());
    }
}
