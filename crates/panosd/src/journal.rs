//! The checkpoint journal `checkpoints/<job_id>.jsonl`: one [`CheckpointFile`] per line, the
//! last complete line being where the job is.
//!
//! A save appends a line. A save that announces a changing command (a device has an
//! `intent`) `fdatasync`s the file before the engine goes on, so the command is sent only once
//! the line is on disk. Other saves (a command accepted, a job finished, a hop done) are left
//! to the kernel: a crash of the process loses nothing, and a power cut can only lose the
//! saves since the last synced one, which leaves the job where a crash just after its last
//! announced command leaves it, a case resumption checks against the device. Appending
//! writes no new file: a job's dozen saves cost a dozen small writes and a few syncs, not a
//! dozen temp files, renames and directory syncs. The first save of a job, and a save that
//! would take the journal past [`COMPACT_AT`] bytes, write the journal anew with that one line
//! (temp + fsync + rename + fsync(dir)), so it stays small.
//!
//! A crash can only leave the last line short (the save never finished, so the engine never
//! acted on it): [`read`] takes the last line that is whole and parses, and [`load`] writes a
//! journal with such a tail anew before the job appends to it again.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use panos_queue::{QueueError, SECRET_MODE, atomic_write_mode};

use crate::store::CheckpointFile;

/// A journal at least this long (bytes) is written anew with its last line at the next save.
pub const COMPACT_AT: u64 = 256 * 1024;

/// What a journal's text holds.
#[derive(Debug, Default)]
pub struct Journal {
    /// The last whole line that parses: where the job is.
    pub last: Option<CheckpointFile>,
    /// Whole lines (ending in a newline) that do not parse as a checkpoint, with the reason
    /// of the first.
    pub bad_lines: usize,
    /// The first bad line's reason.
    pub first_error: Option<String>,
    /// Bytes after the last newline: a line being written, or one a crash cut short.
    pub tail: usize,
}

impl Journal {
    /// Whether every byte belongs to a whole line that parses.
    pub fn is_clean(&self) -> bool {
        self.bad_lines == 0 && self.tail == 0
    }
}

/// Reads a journal's bytes.
pub fn read(bytes: &[u8]) -> Journal {
    let mut journal = Journal::default();
    let whole = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &bytes[..0],
    };
    journal.tail = bytes.len() - whole.len();
    for line in whole.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<CheckpointFile>(line) {
            Ok(file) => journal.last = Some(file),
            Err(err) => {
                journal.bad_lines += 1;
                journal.first_error.get_or_insert_with(|| err.to_string());
            }
        }
    }
    journal
}

/// Appends `file` to the journal at `path`, and syncs it when `sync` (the line then survives
/// a power cut, with every line before it); the first save (no journal yet), and one that
/// would take the journal past [`COMPACT_AT`], write the journal anew with this line, synced.
///
/// # Errors
/// The I/O error.
pub fn append(path: &Path, file: &CheckpointFile, sync: bool) -> Result<(), QueueError> {
    let line = line(path, file)?;
    let mut journal = match OpenOptions::new().append(true).open(path) {
        Ok(journal) => journal,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return write_anew(path, &line),
        Err(err) => return Err(QueueError::io("open the checkpoint journal", path, err)),
    };
    let len = journal
        .metadata()
        .map_err(|e| QueueError::io("stat the checkpoint journal", path, e))?
        .len();
    if len + line.len() as u64 > COMPACT_AT {
        drop(journal);
        return write_anew(path, &line);
    }
    journal
        .write_all(&line)
        .and_then(|()| if sync { journal.sync_data() } else { Ok(()) })
        .map_err(|e| QueueError::io("append to the checkpoint journal", path, e))
}

/// Reads the journal at `path`: `Ok(None)` when there is none. A journal with bad lines or a
/// short tail is written anew with its last good line, so the job's next save appends after
/// a whole line; one with no good line is moved aside (`<job_id>.jsonl.unreadable`).
///
/// # Errors
/// The journal cannot be read, or holds no line that parses (the reason names the file).
pub fn load(path: &Path) -> Result<Option<CheckpointFile>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("read {}: {err}", path.display())),
    };
    let journal = read(&bytes);
    if journal.is_clean() {
        return Ok(journal.last);
    }
    match &journal.last {
        Some(last) => {
            tracing::warn!(
                file = %path.display(), bad_lines = journal.bad_lines, short_tail_bytes = journal.tail,
                "checkpoint journal ends in a save a crash cut short; resuming from the last whole one"
            );
            if let Err(err) = line(path, last).and_then(|line| write_anew(path, &line)) {
                tracing::warn!(%err, "cannot write the checkpoint journal anew");
            }
            Ok(journal.last)
        }
        None => {
            // Kept for a look, out of the way of the job's next save.
            let aside = path.with_extension("jsonl.unreadable");
            let kept = match std::fs::rename(path, &aside) {
                Ok(()) => format!("moved to {}", aside.display()),
                Err(err) => format!("cannot move it aside: {err}"),
            };
            Err(format!(
                "{}: no whole checkpoint in it ({}); {kept}",
                path.display(),
                journal
                    .first_error
                    .as_deref()
                    .unwrap_or("only a line cut short")
            ))
        }
    }
}

/// `file` as a journal line: compact JSON and a newline.
fn line(path: &Path, file: &CheckpointFile) -> Result<Vec<u8>, QueueError> {
    let mut line = serde_json::to_vec(file).map_err(|source| QueueError::Encode {
        path: path.to_owned(),
        source,
    })?;
    line.push(b'\n');
    Ok(line)
}

/// Writes the journal anew with `line` alone (temp + fsync + rename + fsync(dir)).
fn write_anew(path: &Path, line: &[u8]) -> Result<(), QueueError> {
    atomic_write_mode(path, line, SECRET_MODE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use panos_queue::JobId;

    fn entry(job_id: JobId, n: usize) -> CheckpointFile {
        CheckpointFile {
            schema_version: 1,
            job_id,
            checkpoint: None,
            pre_snapshots: (0..n)
                .map(|i| crate::store::PreSnapshotRef {
                    serial: format!("000{i}"),
                    hop_index: i,
                    file: format!("validation/pre_flight/000{i}.json").into(),
                })
                .collect(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn saves_append_lines_and_the_last_one_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let job = JobId::new_random();
        for n in 0..4 {
            append(&path, &entry(job, n), n % 2 == 0).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 4);
        let journal = read(&bytes);
        assert!(journal.is_clean());
        assert_eq!(journal.last.unwrap().pre_snapshots.len(), 3);
        assert_eq!(load(&path).unwrap().unwrap().pre_snapshots.len(), 3);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, SECRET_MODE, "it holds device details");
    }

    #[test]
    fn a_tail_cut_short_is_ignored_and_written_away_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let job = JobId::new_random();
        append(&path, &entry(job, 1), true).unwrap();
        append(&path, &entry(job, 2), false).unwrap();
        // A third save cut short by a crash: part of a line, no newline.
        let third = serde_json::to_vec(&entry(job, 3)).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&third[..third.len() / 2]).unwrap();
        drop(file);
        let journal = read(&std::fs::read(&path).unwrap());
        assert_eq!(journal.tail, third.len() / 2);
        assert!(!journal.is_clean());
        assert_eq!(journal.last.as_ref().unwrap().pre_snapshots.len(), 2);

        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded.pre_snapshots.len(), 2, "the last whole save");
        let after = read(&std::fs::read(&path).unwrap());
        assert!(after.is_clean(), "written anew with its last good line");
        append(&path, &entry(job, 4), true).unwrap();
        let next = read(&std::fs::read(&path).unwrap());
        assert!(next.is_clean(), "the next save appends after a whole line");
        assert_eq!(next.last.unwrap().pre_snapshots.len(), 4);
    }

    #[test]
    fn a_journal_with_nothing_whole_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, b"{\"schema_version\":1,\"job").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.contains("j.jsonl"), "{err}");
        assert!(err.contains("no whole checkpoint"), "{err}");
        assert!(!path.exists(), "moved out of the way of the next save");
        assert!(dir.path().join("j.jsonl.unreadable").exists(), "and kept");
        std::fs::write(&path, b"not json\n").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.contains("expected"), "the parse error is given: {err}");
        assert!(load(&dir.path().join("none.jsonl")).unwrap().is_none());
    }

    #[test]
    fn a_long_journal_is_written_anew_with_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let job = JobId::new_random();
        let big = entry(job, 400);
        let line_len = serde_json::to_vec(&big).unwrap().len() as u64 + 1;
        let saves = COMPACT_AT / line_len + 2;
        for _ in 0..saves {
            append(&path, &big, false).unwrap();
        }
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len <= COMPACT_AT, "{len} bytes after {saves} saves");
        let journal = read(&std::fs::read(&path).unwrap());
        assert!(journal.is_clean());
        assert_eq!(journal.last.unwrap().pre_snapshots.len(), 400);
    }
}
