//! Scanning `pending/`: [`StateDir::scan_pending`] and, for a daemon that rescans often,
//! [`StateDir::scan_pending_with`] and its [`PendingIndex`] (only new or replaced files are
//! read again, told by the inode number of the directory listing, so a rescan of a long
//! backlog costs one directory read, not a `stat` per file), and [`StateDir::scan_pending_names`]
//! for the few files a watcher named. Also the reading of one candidate file shared with the
//! command scan.
//!
//! Order: higher `priority` first (default 0); then submission time (`submitted_at`, else the
//! file's modification time), oldest first; then file name.

use std::cmp::Reverse;
use std::collections::{HashMap, VecDeque};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::error::Result;
use crate::fsio::{ReadFailure, decode, is_candidate, list_candidate_names, read_guarded};
use crate::layout::{QueueFolder, StateDir};
use crate::quarantine::{RejectedFile, move_aside_or_log};
use crate::types::job::Job;

/// A valid job waiting in `pending/`.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingJob {
    /// Its file name (`<job_id>.json`).
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// The job.
    pub job: Job,
    /// `submitted_at`, else the file's modification time.
    pub submitted_at: DateTime<Utc>,
}

/// The jobs of `pending/` already read, so a rescan reads only new or changed files (see
/// [`StateDir::scan_pending_with`]).
#[derive(Debug, Default)]
pub struct PendingIndex {
    /// By file name: the inode read and what it held.
    known: HashMap<String, (u64, PendingJob)>,
}

/// What a scan found.
#[derive(Debug)]
pub struct Scan<T> {
    /// Valid files, in processing order.
    pub items: Vec<T>,
    /// Files moved aside during the scan.
    pub rejected: Vec<RejectedFile>,
    /// Truncated files modified less than [`UNFINISHED_GRACE`] ago, left alone for now:
    /// scan again after the grace period (a later scan accepts or refuses them).
    pub deferred: Vec<PathBuf>,
}

impl Scan<PendingJob> {
    /// The earliest `not_before` still in the future at `now`: when to rescan for a job that
    /// is waiting for its time (no file event will announce it).
    pub fn next_not_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.items
            .iter()
            .filter_map(|p| p.job.not_before)
            .filter(|t| *t > now)
            .min()
    }
}

impl<T> Default for Scan<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
        }
    }
}

/// Reads one candidate file, deciding between a valid item, "gone", and "move aside because".
pub(crate) enum Candidate<T> {
    Valid(T, fs::Metadata),
    Gone,
    Refused(String),
    /// Truncated JSON modified less than [`UNFINISHED_GRACE`] ago: probably still being
    /// written in place by a careless writer; looked at again on a later scan.
    Unfinished,
}

/// How long a truncated file (empty, or JSON that stops short) is given to be finished before
/// it is refused. Files written by rename are never truncated; this spares a writer that
/// writes in place from losing its job to a scan that came too early.
pub const UNFINISHED_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether `bytes` look like the start of a file still being written.
fn looks_truncated(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Err(err) => err.error_len().is_none(),
        Ok(text) => {
            text.trim().is_empty()
                || serde_json::from_str::<serde::de::IgnoredAny>(text).is_err_and(|e| e.is_eof())
        }
    }
}

pub(crate) fn read_candidate<T: crate::types::ProtocolFile>(path: &Path) -> Candidate<T> {
    let Some(_name) = path.file_name().and_then(|n| n.to_str()) else {
        return Candidate::Refused("has a file name that is not UTF-8".into());
    };
    let bytes = match read_guarded(path) {
        Ok(bytes) => bytes,
        Err(ReadFailure::Vanished) => return Candidate::Gone,
        Err(ReadFailure::Refused(reason)) => return Candidate::Refused(reason),
        Err(ReadFailure::Io(err)) => {
            return Candidate::Refused(format!(
                "cannot be read ({err}); make it readable by the daemon's group"
            ));
        }
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Candidate::Gone,
    };
    match decode::<T>(&bytes) {
        Ok(value) => Candidate::Valid(value, meta),
        Err(_) if looks_truncated(&bytes) && is_recent(&meta) => Candidate::Unfinished,
        Err(reason) => Candidate::Refused(reason),
    }
}

/// Modified less than [`UNFINISHED_GRACE`] ago. A modification time up to a minute in the
/// future (clock skew between writers) also counts as recent; further out it does not, so a
/// file from the far future cannot be deferred for ever.
fn is_recent(meta: &fs::Metadata) -> bool {
    let age = Utc::now().signed_duration_since(modified(meta));
    match age.to_std() {
        Ok(age) => age < UNFINISHED_GRACE,
        Err(_) => age > -chrono::Duration::minutes(1),
    }
}

/// Checks what a job file must satisfy beyond its schema: its name, and no result yet.
pub(crate) fn check_job_file(name: &str, job: &Job) -> Result<(), String> {
    let expected = format!("{}.json", job.job_id);
    if name != expected {
        return Err(format!(
            "file name {name:?} does not match its job_id: name it {expected:?}"
        ));
    }
    if job.result.is_some() {
        return Err("has a result: results are written by the daemon, remove it".into());
    }
    Ok(())
}

fn modified(meta: &fs::Metadata) -> DateTime<Utc> {
    Utc.timestamp_opt(meta.mtime(), meta.mtime_nsec() as u32)
        .single()
        .unwrap_or_else(Utc::now)
}

impl StateDir {
    /// Refuses a pending file whose job id is already active or filed: a job id names one
    /// job, and a copy must not run the upgrade again.
    fn check_job_id_unused(&self, name: &str) -> Result<(), String> {
        let used = [
            QueueFolder::Active,
            QueueFolder::Completed,
            QueueFolder::Failed,
            QueueFolder::Cancelled,
        ]
        .into_iter()
        .find(|folder| fs::symlink_metadata(self.job_path(*folder, name)).is_ok());
        match used {
            Some(folder) => Err(format!(
                "has a job_id already used (in {}/): a job_id names one job; submit a new job with a new job_id",
                folder.name()
            )),
            None => Ok(()),
        }
    }

    /// Every valid job in `pending/`, in processing order (see the module doc); bad files are
    /// moved to `failed/` with a reason. Jobs whose `not_before` is in the future are
    /// included: check [`Job::is_due`] before claiming. Reads every file; a daemon that
    /// rescans often keeps a [`PendingIndex`] and calls [`StateDir::scan_pending_with`].
    pub fn scan_pending(&self) -> Result<Scan<PendingJob>> {
        self.scan_pending_with(&mut PendingIndex::default())
    }

    /// [`StateDir::scan_pending`], re-reading only files that are new or replaced since the
    /// last scan with the same `index`: a name listed with the inode it had is taken as
    /// unchanged. Submitters replace files by rename (a new inode); a file rewritten in place
    /// keeps the content first read here until it is claimed. A claim always re-reads the
    /// file it claimed, so the index never decides what runs.
    pub fn scan_pending_with(&self, index: &mut PendingIndex) -> Result<Scan<PendingJob>> {
        let mut scan = Scan::default();
        let mut seen = HashMap::with_capacity(index.known.len());
        let dir = self.queue_dir(QueueFolder::Pending);
        for (name, ino) in list_candidate_names(&dir)? {
            let name = match name.into_string() {
                Ok(name) => name,
                Err(raw) => {
                    let reason = "has a file name that is not UTF-8";
                    self.reject_pending(&dir.join(raw), reason, &mut scan);
                    continue;
                }
            };
            if let Some((known_ino, known)) = index.known.remove(&name)
                && known_ino == ino
            {
                scan.items.push(known.clone());
                seen.insert(name, (ino, known));
                continue;
            }
            self.read_pending(name, Some(ino), &mut seen, &mut scan);
        }
        index.known = seen;
        sort_pending(&mut scan.items);
        Ok(scan)
    }

    /// Reads the `pending/` files a file watcher reported by `names` (new, replaced or written
    /// to), as [`StateDir::scan_pending_with`] would, and adds them to `index`: a name is read
    /// again even when the index knows it, since the event says it changed. Returns the valid
    /// ones in processing order, and which of those the index knew before (the caller holds
    /// an older reading of them); names no longer in `pending/` (claimed, withdrawn) are
    /// forgotten.
    ///
    /// Cheap for a burst of submissions into a long backlog (no directory listing); a full
    /// scan now and then still catches anything a watcher missed.
    pub fn scan_pending_names(
        &self,
        index: &mut PendingIndex,
        names: impl IntoIterator<Item = String>,
    ) -> (Scan<PendingJob>, Vec<String>) {
        let mut scan = Scan::default();
        let mut known_before = Vec::new();
        let mut read: HashMap<String, (u64, PendingJob)> = HashMap::new();
        for name in names {
            if !is_candidate(std::ffi::OsStr::new(&name)) || read.contains_key(&name) {
                continue;
            }
            if index.known.remove(&name).is_some() {
                known_before.push(name.clone());
            }
            self.read_pending(name, None, &mut read, &mut scan);
        }
        index.known.extend(read);
        sort_pending(&mut scan.items);
        known_before.retain(|name| scan.items.iter().any(|p| &p.name == name));
        (scan, known_before)
    }

    /// Reads `pending/<name>` into `scan` (valid, deferred or moved aside); a valid one is
    /// added to `seen` when the inode read is `listed` (the one the directory listing showed;
    /// `None`: whichever is there).
    fn read_pending(
        &self,
        name: String,
        listed: Option<u64>,
        seen: &mut HashMap<String, (u64, PendingJob)>,
        scan: &mut Scan<PendingJob>,
    ) {
        let path = self.queue_dir(QueueFolder::Pending).join(&name);
        let refused = match read_candidate::<Job>(&path) {
            Candidate::Gone => return,
            Candidate::Unfinished => {
                scan.deferred.push(path);
                return;
            }
            Candidate::Refused(reason) => reason,
            Candidate::Valid(job, meta) => {
                match check_job_file(&name, &job).and_then(|()| self.check_job_id_unused(&name)) {
                    Ok(()) => {
                        let submitted_at = job.submitted_at.unwrap_or_else(|| modified(&meta));
                        let pending = PendingJob {
                            name: name.clone(),
                            path,
                            job,
                            submitted_at,
                        };
                        // Indexed only when the file read is the one listed: one replaced
                        // in between is read again at the next scan.
                        if listed.is_none_or(|ino| meta.ino() == ino) {
                            seen.insert(name, (meta.ino(), pending.clone()));
                        }
                        scan.items.push(pending);
                        return;
                    }
                    Err(reason) => reason,
                }
            }
        };
        self.reject_pending(&path, &refused, scan);
    }

    /// Moves `path` to `failed/` with `reason`, noted in `scan` (or logged, when it cannot).
    fn reject_pending(&self, path: &Path, reason: &str, scan: &mut Scan<PendingJob>) {
        let failed = self.queue_dir(QueueFolder::Failed);
        scan.rejected
            .extend(move_aside_or_log(path, &failed, reason));
    }
}

impl PendingIndex {
    /// Forgets `name` (a file claimed from `pending/`), so a later file of that name is read.
    pub fn forget(&mut self, name: &str) {
        self.known.remove(name);
    }
}

/// Processing order (see the module doc).
fn processing_order(a: &PendingJob, b: &PendingJob) -> std::cmp::Ordering {
    let key = |p: &PendingJob| (Reverse(p.job.effective_priority()), p.submitted_at);
    key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
}

/// Sorts pending jobs into processing order.
fn sort_pending(items: &mut [PendingJob]) {
    items.sort_by(processing_order);
}

/// Merges the jobs of a [`StateDir::scan_pending_names`] into `waiting` (in processing
/// order, as a scan returns them): the older readings of `replaced` are dropped, and each new
/// one goes where the order puts it (for jobs submitted one after another, at the end).
pub fn merge_pending(
    waiting: &mut VecDeque<PendingJob>,
    new: Vec<PendingJob>,
    replaced: &[String],
) {
    if !replaced.is_empty() {
        waiting.retain(|p| !replaced.contains(&p.name));
    }
    for item in new {
        let at =
            waiting.partition_point(|p| processing_order(p, &item) != std::cmp::Ordering::Greater);
        waiting.insert(at, item);
    }
}
