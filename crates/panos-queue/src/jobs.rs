//! The job queue after the scan (see [`crate::scan`]): submitting ([`StateDir::submit_job`]),
//! claiming by rename ([`StateDir::claim`]), recovery of `active/`
//! ([`StateDir::list_active`]), filing finished jobs ([`StateDir::finish_job`]) and
//! cancelling pending ones.
//!
//! A claim is one `rename(pending/X, active/X)`: of several claimers racing, exactly one
//! rename succeeds; the others find the source gone and get `Ok(None)`.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::error::{QueueError, Result};
use crate::fsio::{
    ReadFailure, atomic_create, decode, list_candidates, read_guarded, sync_dir, to_json_bytes,
    write_json,
};
use crate::layout::{QueueFolder, StateDir};
use crate::quarantine::{free_name, move_aside};
use crate::scan::{Candidate, PendingJob, check_job_file, read_candidate};
use crate::types::ids::JobId;
use crate::types::job::{Job, JobOutcome, JobResult};

/// A job the daemon holds in `active/`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveJob {
    /// Its path in `active/`.
    pub path: PathBuf,
    /// The job.
    pub job: Job,
    /// When it was claimed (for a recovered job: when its file was last renamed).
    pub started_at: DateTime<Utc>,
}

fn changed(meta: &fs::Metadata) -> DateTime<Utc> {
    Utc.timestamp_opt(meta.ctime(), meta.ctime_nsec() as u32)
        .single()
        .unwrap_or_else(Utc::now)
}

impl StateDir {
    /// Submits a job the way the web app does: a dot-file in `pending/`, fsync, then a
    /// no-clobber link to `pending/<job_id>.json`. Refuses an invalid job or a job id already
    /// in any queue folder.
    pub fn submit_job(&self, job: &Job) -> Result<PathBuf> {
        let invalid = |path: PathBuf, reason: String| QueueError::Invalid { path, reason };
        let name = format!("{}.json", job.job_id);
        let path = self.job_path(QueueFolder::Pending, &name);
        job.check().map_err(|r| invalid(path.clone(), r))?;
        if job.result.is_some() {
            return Err(invalid(path, "a submitted job has no result".into()));
        }
        if let Some((folder, existing)) = self.find_job(job.job_id) {
            return Err(invalid(
                existing,
                format!("job id already used (in {}/)", folder.name()),
            ));
        }
        if !atomic_create(&path, &to_json_bytes(job, &path)?)? {
            return Err(invalid(path, "job id already pending".into()));
        }
        Ok(path)
    }

    /// Where the job's file is now (`pending`, `active`, or a final folder).
    pub fn find_job(&self, job_id: JobId) -> Option<(QueueFolder, PathBuf)> {
        let name = format!("{job_id}.json");
        QueueFolder::ALL.into_iter().find_map(|folder| {
            let path = self.job_path(folder, &name);
            path.is_file().then_some((folder, path))
        })
    }

    /// Claims a pending job by renaming it into `active/`. `Ok(None)` when another claimer
    /// took it first (or it was removed), or when it turned out invalid (moved aside).
    pub fn claim(&self, pending: &PendingJob) -> Result<Option<ActiveJob>> {
        self.claim_file(&pending.name, &pending.path)
    }

    fn claim_file(&self, name: &str, path: &Path) -> Result<Option<ActiveJob>> {
        let active_dir = self.queue_dir(QueueFolder::Active);
        let target = active_dir.join(name);
        if fs::symlink_metadata(path).is_err() {
            return Ok(None); // taken by another claimer, or withdrawn
        }
        if fs::symlink_metadata(&target).is_ok() {
            let reason = "a job with this job_id is already active; submit with a new job_id";
            move_aside(path, &self.queue_dir(QueueFolder::Failed), reason)?;
            return Ok(None);
        }
        match fs::rename(path, &target) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(QueueError::io("claim (rename into active/)", path, err));
            }
        }
        sync_dir(&active_dir)?;
        // Read what was actually claimed: the file may have been replaced since the scan.
        match self.read_active(&target)? {
            Some(mut active) => {
                active.started_at = Utc::now();
                Ok(Some(active))
            }
            None => Ok(None),
        }
    }

    fn read_active(&self, path: &Path) -> Result<Option<ActiveJob>> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let reason = match read_candidate::<Job>(path) {
            Candidate::Gone => return Ok(None),
            // The daemon writes active/ by rename only: a truncated file there is damage.
            Candidate::Unfinished => "is truncated (not valid JSON)".to_owned(),
            Candidate::Refused(reason) => reason,
            Candidate::Valid(job, meta) => match check_job_file(name, &job) {
                Ok(()) => {
                    return Ok(Some(ActiveJob {
                        path: path.to_owned(),
                        job,
                        started_at: changed(&meta),
                    }));
                }
                Err(reason) => reason,
            },
        };
        move_aside(path, &self.queue_dir(QueueFolder::Failed), &reason)?;
        Ok(None)
    }

    /// The jobs in `active/`, for the daemon to resume at start-up. Bad files are moved to
    /// `failed/`; a job already filed in a final folder (a crash between filing and removing
    /// it from `active/`) is removed from `active/`.
    pub fn list_active(&self) -> Result<Vec<ActiveJob>> {
        let mut jobs = Vec::new();
        for path in list_candidates(&self.queue_dir(QueueFolder::Active))? {
            let Some(active) = self.read_active(&path)? else {
                continue;
            };
            if self.already_filed(&active.job) {
                tracing::info!(file = %path.display(), "job already filed; removing it from active/");
                remove_file(&path)?;
                continue;
            }
            jobs.push(active);
        }
        Ok(jobs)
    }

    fn already_filed(&self, job: &Job) -> bool {
        let name = format!("{}.json", job.job_id);
        [
            QueueFolder::Completed,
            QueueFolder::Failed,
            QueueFolder::Cancelled,
        ]
        .into_iter()
        .any(|folder| {
            let path = self.job_path(folder, &name);
            let Ok(bytes) = read_guarded(&path) else {
                return false;
            };
            decode::<Job>(&bytes).is_ok_and(|filed| {
                filed.result.is_some() && filed.as_submitted() == job.as_submitted()
            })
        })
    }

    /// Files a finished job: writes it, with its `result`, to the folder its outcome names
    /// (`completed/`, `failed/`, `cancelled/`), then removes it from `active/`. Returns the
    /// new path.
    pub fn finish_job(&self, job: &Job) -> Result<PathBuf> {
        let name = format!("{}.json", job.job_id);
        let Some(result) = &job.result else {
            return Err(QueueError::Invalid {
                path: self.job_path(QueueFolder::Active, &name),
                reason: "finish_job needs a job with its result set".into(),
            });
        };
        let dir = self.queue_dir(match result.outcome {
            JobOutcome::Completed => QueueFolder::Completed,
            JobOutcome::Failed => QueueFolder::Failed,
            JobOutcome::Cancelled => QueueFolder::Cancelled,
        });
        let dest = free_name(&dir, name.as_ref());
        let mut filed = job.as_submitted();
        filed.result = Some(result.clone());
        write_json(&dest, &filed)?;
        let active = self.job_path(QueueFolder::Active, &name);
        remove_file(&active)?;
        sync_dir(&self.queue_dir(QueueFolder::Active))?;
        Ok(dest)
    }

    /// Cancels a job still in `pending/`: claims it (so no one else starts it) and files it
    /// in `cancelled/` with `result`. `Ok(None)` when it is not pending.
    pub fn cancel_pending(&self, job_id: JobId, result: JobResult) -> Result<Option<PathBuf>> {
        let name = format!("{job_id}.json");
        let path = self.job_path(QueueFolder::Pending, &name);
        let Some(active) = self.claim_file(&name, &path)? else {
            return Ok(None);
        };
        let mut job = active.job;
        job.result = Some(result);
        self.finish_job(&job).map(Some)
    }

    /// Every job file of a folder with its decoded job or why it does not decode; nothing is
    /// moved. For read-only clients (`panosctl job list`).
    pub fn read_jobs(&self, folder: QueueFolder) -> Result<Vec<(PathBuf, Result<Job, String>)>> {
        let mut out = Vec::new();
        for path in list_candidates(&self.queue_dir(folder))? {
            if let Some(job) = read_job_file(&path) {
                out.push((path, job));
            }
        }
        Ok(out)
    }
}

/// One job file, decoded, or why it does not decode; `None` when it vanished since it was
/// listed (the daemon moved it on). Nothing is moved. For read-only clients.
pub fn read_job_file(path: &Path) -> Option<std::result::Result<Job, String>> {
    match read_guarded(path) {
        Ok(bytes) => Some(decode::<Job>(&bytes)),
        Err(ReadFailure::Vanished) => None,
        Err(ReadFailure::Refused(reason)) => Some(Err(reason)),
        Err(ReadFailure::Io(err)) => Some(Err(err.to_string())),
    }
}

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(QueueError::io("remove", path, err)),
    }
}
