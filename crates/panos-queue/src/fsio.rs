//! File I/O with the protocol's guarantees: [`atomic_write`] (temp + fsync + rename +
//! fsync(dir)), [`atomic_write_nosync`] for status files (atomic, not durable), a no-clobber
//! variant for submitters, guarded reads (no symlinks, no FIFOs, at most [`MAX_FILE_SIZE`])
//! and decoding with clear reasons.
//!
//! Everything here is blocking; an async caller runs it under `spawn_blocking`.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::error::{QueueError, Result};
use crate::types::ProtocolFile;
use crate::types::ids::SchemaVersion;

/// Largest protocol file read, in bytes (1 MiB); larger files are refused.
pub const MAX_FILE_SIZE: u64 = 1 << 20;
/// Mode of files the daemon writes: owner read/write, group read.
pub const FILE_MODE: u32 = 0o640;
/// Mode of files holding secrets.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of directories the daemon creates: owner and group full access, setgid so files
/// inherit the shared group.
pub const DIR_MODE: u32 = 0o2770;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temp name beside `path`: `.<name>.<pid>.<n>.tmp`, which every reader ignores.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let dir = parent(path)?;
    let name = path
        .file_name()
        .ok_or_else(|| QueueError::io("write", path, io::Error::other("no file name")))?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".{}.{n}.tmp", std::process::id()));
    Ok(dir.join(temp))
}

fn parent(path: &Path) -> Result<&Path> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => Ok(p),
        _ => Ok(Path::new(".")),
    }
}

/// Writes `bytes` to a new temp file beside `path` with `mode`, fsyncs it when `durable`, and
/// returns its path.
fn write_temp(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<PathBuf> {
    let temp = temp_path(path)?;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)?;
        // The umask may have removed bits: set the mode asked for.
        file.set_permissions(Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        if durable { file.sync_all() } else { Ok(()) }
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&temp);
        return Err(QueueError::io("write", temp, err));
    }
    Ok(temp)
}

/// fsyncs a directory, so a rename in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|err| QueueError::io("fsync directory", dir, err))
}

/// Replaces `path` with `bytes` atomically, mode [`FILE_MODE`]: readers see the old file or
/// the new one, never a part.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write_mode(path, bytes, FILE_MODE)
}

/// [`atomic_write`] with a chosen mode ([`SECRET_MODE`] for secrets).
pub fn atomic_write_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace(path, bytes, mode, true)
}

/// [`atomic_write`] without the fsyncs (of the file and of the directory): readers still see
/// the old file or the new one, never a part, and a crash of the process loses nothing (the
/// kernel has the data), but after a power cut the file may be an older version, or, on some
/// file systems, empty. For files the daemon rewrites often and can write again from what it
/// knows (status files), never for files that record something (jobs, checkpoints,
/// validation records, command results).
pub fn atomic_write_nosync(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, FILE_MODE, false)
}

fn replace(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    let temp = write_temp(path, bytes, mode, durable)?;
    if let Err(err) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(QueueError::io("rename into place", path, err));
    }
    if durable {
        sync_dir(parent(path)?)?;
    }
    Ok(())
}

/// Creates `path` with `bytes` atomically, refusing to replace an existing file: the way a
/// submitter puts a job or command in place. `Ok(false)` when `path` already exists.
pub fn atomic_create(path: &Path, bytes: &[u8]) -> Result<bool> {
    let temp = write_temp(path, bytes, FILE_MODE, true)?;
    let linked = fs::hard_link(&temp, path);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            sync_dir(parent(path)?)?;
            Ok(true)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(QueueError::io("link into place", path, err)),
    }
}

/// Pretty JSON with a trailing newline.
pub fn to_json_bytes<T: Serialize>(value: &T, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| QueueError::Encode {
        path: path.to_owned(),
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// [`atomic_write`] of `value` as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    atomic_write(path, &to_json_bytes(value, path)?)
}

/// [`atomic_write_nosync`] of `value` as pretty JSON: a status file.
pub fn write_json_nosync<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    atomic_write_nosync(path, &to_json_bytes(value, path)?)
}

/// Why a guarded read gave nothing.
#[derive(Debug)]
pub enum ReadFailure {
    /// The file is gone (taken or removed between listing and reading).
    Vanished,
    /// The file is not acceptable; the reason is for the reason file.
    Refused(String),
    /// Reading failed for another reason (permissions, I/O).
    Io(io::Error),
}

/// Reads a protocol file: a regular file, not a symlink, at most [`MAX_FILE_SIZE`].
pub fn read_guarded(path: &Path) -> Result<Vec<u8>, ReadFailure> {
    let not_found = |err: io::Error| {
        if err.kind() == io::ErrorKind::NotFound {
            ReadFailure::Vanished
        } else if err.raw_os_error() == Some(libc::ELOOP) {
            ReadFailure::Refused("is a symbolic link; write a regular file".into())
        } else {
            ReadFailure::Io(err)
        }
    };
    // One open, then a look at what was opened: O_NOFOLLOW refuses a symbolic link (ELOOP),
    // O_NONBLOCK keeps a FIFO from blocking the reader; a directory, FIFO or device opens
    // and is refused by its type.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|err| match err.raw_os_error() {
            Some(libc::ENXIO) => ReadFailure::Refused("is not a regular file".into()),
            _ => not_found(err),
        })?;
    let opened = file.metadata().map_err(ReadFailure::Io)?;
    if !opened.is_file() {
        return Err(ReadFailure::Refused("is not a regular file".into()));
    }
    if opened.len() > MAX_FILE_SIZE {
        return Err(too_big(opened.len()));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(MAX_FILE_SIZE) as usize);
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_big(len: u64) -> ReadFailure {
    ReadFailure::Refused(format!(
        "is {len} bytes, more than the {MAX_FILE_SIZE}-byte limit"
    ))
}

/// Decodes a protocol file: UTF-8, JSON, a known `schema_version`, the type's schema, then the
/// type's own rules. The error is the reason, for people.
pub fn decode<T: ProtocolFile>(bytes: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|err| format!("is not UTF-8 text: {err}"))?;
    // The common case, a valid file, decodes straight into its type; anything else goes the
    // long way below, for a message that says what is wrong.
    if let Ok(typed) = serde_json::from_str::<T>(text) {
        return typed
            .check()
            .map(|()| typed)
            .map_err(|reason| format!("is not a valid {} file: {reason}", T::WHAT));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| format!("is not valid JSON: {err}"))?;
    let Some(object) = value.as_object() else {
        return Err(format!("is not a JSON object (a {} file is one)", T::WHAT));
    };
    match object.get("schema_version") {
        None => return Err("has no schema_version (write \"schema_version\": 1)".into()),
        Some(v) => match v.as_u64() {
            None => return Err(format!("schema_version {v} is not a positive integer")),
            Some(found) => {
                if let Some(reason) = SchemaVersion::mismatch(found) {
                    return Err(reason);
                }
            }
        },
    }
    let typed: T = serde_json::from_value(value)
        .map_err(|err| format!("is not a valid {} file: {err}", T::WHAT))?;
    typed
        .check()
        .map_err(|reason| format!("is not a valid {} file: {reason}", T::WHAT))?;
    Ok(typed)
}

/// Reads and decodes a file the daemon wrote (a status file): `Ok(None)` when it does not
/// exist, [`QueueError::Invalid`] when it is not valid.
pub fn read_json<T: ProtocolFile>(path: &Path) -> Result<Option<T>> {
    match read_guarded(path) {
        Ok(bytes) => decode(&bytes)
            .map(Some)
            .map_err(|reason| QueueError::Invalid {
                path: path.to_owned(),
                reason,
            }),
        Err(ReadFailure::Vanished) => Ok(None),
        Err(ReadFailure::Refused(reason)) => Err(QueueError::Invalid {
            path: path.to_owned(),
            reason,
        }),
        Err(ReadFailure::Io(err)) => Err(QueueError::io("read", path, err)),
    }
}

/// Whether a directory entry is a candidate protocol file: not a dot-file, ends in `.json`,
/// and is not a reason file.
pub fn is_candidate(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    !bytes.starts_with(b".") && bytes.ends_with(b".json") && !bytes.ends_with(b".reason.json")
}

/// The candidate files of a directory, sorted by name. A missing directory is empty.
pub fn list_candidates(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(list_candidates_ino(dir)?
        .into_iter()
        .map(|(path, _)| path)
        .collect())
}

/// Calls `visit` with every candidate entry of `dir` (none when `dir` does not exist).
fn for_each_candidate(dir: &Path, mut visit: impl FnMut(fs::DirEntry)) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(QueueError::io("list", dir, err)),
    };
    for entry in entries {
        let entry = entry.map_err(|err| QueueError::io("list", dir, err))?;
        if is_candidate(&entry.file_name()) {
            visit(entry);
        }
    }
    Ok(())
}

/// How many candidate files `dir` holds (as [`list_candidates`] would list), without
/// building their paths or sorting them: the status writer counts the queue folders often.
pub fn count_candidates(dir: &Path) -> Result<usize> {
    let mut n = 0;
    for_each_candidate(dir, |_| n += 1)?;
    Ok(n)
}

/// The candidate file names of `dir` with their inode numbers, as listed (unsorted, no
/// `stat`). A missing directory is empty.
pub fn list_candidate_names(dir: &Path) -> Result<Vec<(std::ffi::OsString, u64)>> {
    let mut out = Vec::new();
    for_each_candidate(dir, |entry| {
        out.push((
            entry.file_name(),
            std::os::unix::fs::DirEntryExt::ino(&entry),
        ));
    })?;
    Ok(out)
}

/// [`list_candidates`] with each file's inode number, as the directory listing gives it
/// (no `stat` per file).
pub fn list_candidates_ino(dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    for_each_candidate(dir, |entry| {
        out.push((entry.path(), std::os::unix::fs::DirEntryExt::ino(&entry)));
    })?;
    out.sort_unstable_by(|(a, _), (b, _)| a.file_name().cmp(&b.file_name()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        atomic_write(&path, b"{}\n").unwrap();
        atomic_write_mode(&path, b"{\"x\":1}\n", SECRET_MODE).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"x\":1}\n");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, SECRET_MODE);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "temp files left behind");
    }

    #[test]
    fn atomic_write_nosync_replaces_with_file_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        atomic_write_mode(&path, b"old\n", SECRET_MODE).unwrap();
        atomic_write_nosync(&path, b"{\"x\":2}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"x\":2}\n");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, FILE_MODE);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "temp files left behind");
    }

    #[test]
    fn atomic_create_refuses_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.json");
        assert!(atomic_create(&path, b"1").unwrap());
        assert!(!atomic_create(&path, b"2").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"1");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn guarded_read_refuses_symlinks_fifos_and_big_files() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, b"{}").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(
            matches!(read_guarded(&link), Err(ReadFailure::Refused(r)) if r.contains("symbolic"))
        );
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; MAX_FILE_SIZE as usize + 1]).unwrap();
        assert!(matches!(read_guarded(&big), Err(ReadFailure::Refused(r)) if r.contains("limit")));
        let sub = dir.path().join("sub.json");
        fs::create_dir(&sub).unwrap();
        assert!(matches!(read_guarded(&sub), Err(ReadFailure::Refused(_))));
        assert!(matches!(
            read_guarded(&dir.path().join("gone.json")),
            Err(ReadFailure::Vanished)
        ));
        assert_eq!(read_guarded(&real).unwrap(), b"{}");
    }

    #[test]
    fn candidates_skip_dot_files_reasons_and_other_names() {
        for (name, ok) in [
            ("a.json", true),
            (".a.json", false),
            ("a.json.tmp", false),
            ("a.txt", false),
            ("a.json.reason.json", false),
        ] {
            assert_eq!(is_candidate(OsStr::new(name)), ok, "{name}");
        }
    }
}
