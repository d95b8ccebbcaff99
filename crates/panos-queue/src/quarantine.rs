//! Moving a bad input file aside: the original bytes go, unchanged, to `queue/failed/` (jobs)
//! or `commands/processed/` (commands), and a [`Rejection`] is written beside it as
//! `<name>.reason.json`. Nothing is ever deleted.
//!
//! The reason file is written *before* the move, so whoever sees the moved file can read why.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{QueueError, Result};
use crate::fsio::{sync_dir, write_json};
use crate::types::ProtocolFile;
use crate::types::ids::SchemaVersion;

/// `<name>.reason.json`: why a job or command file was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rejection {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The file's name as submitted (non-UTF-8 bytes shown as U+FFFD).
    pub file: String,
    /// The file's name where it is now: differs from `file` when that name was taken (then
    /// `<stem>.<n>.json`), was not UTF-8, or was longer than 200 bytes (then cut, ending `~`).
    pub moved_to: String,
    /// Why it was refused, for people.
    pub reason: String,
    /// When.
    pub rejected_at: DateTime<Utc>,
}

impl ProtocolFile for Rejection {
    const WHAT: &'static str = "rejection";
}

/// A file that was moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedFile {
    /// Where it came from.
    pub from: PathBuf,
    /// Where it is now.
    pub to: PathBuf,
    /// Why.
    pub reason: String,
}

/// The reason file's path for a file at `path`.
pub fn reason_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".reason.json");
    path.with_file_name(name)
}

/// The longest name given to a file moved aside, in bytes: with `.<n>` for a taken name and
/// `.reason.json` beside it, the reason file's name stays within the usual 255-byte limit.
const MAX_MOVED_NAME: usize = 200;

/// The name a refused file gets: its own when that is UTF-8 and short enough, else a readable
/// one (non-UTF-8 bytes as U+FFFD, cut to [`MAX_MOVED_NAME`] bytes and marked with `~`), so
/// the reason file can be written beside it and `moved_to` names a real file.
fn safe_name(name: &OsStr) -> OsString {
    match name.to_str() {
        Some(text) if text.len() <= MAX_MOVED_NAME => name.to_owned(),
        _ => {
            let lossy = name.to_string_lossy();
            if lossy.len() <= MAX_MOVED_NAME {
                return OsString::from(lossy.into_owned());
            }
            let mut cut = MAX_MOVED_NAME - 1;
            while !lossy.is_char_boundary(cut) {
                cut -= 1;
            }
            OsString::from(format!("{}~", &lossy[..cut]))
        }
    }
}

/// A name in `dir` not yet taken: `name`, else `<stem>.1.json`, `<stem>.2.json`, …
pub(crate) fn free_name(dir: &Path, name: &OsStr) -> PathBuf {
    let first = dir.join(name);
    if fs::symlink_metadata(&first).is_err() {
        return first;
    }
    let bytes = name.as_encoded_bytes();
    let (stem, ext) = match bytes.strip_suffix(b".json") {
        Some(stem) => (stem, ".json"),
        None => (bytes, ""),
    };
    let stem = OsStr::new(std::str::from_utf8(stem).unwrap_or("file"));
    (1u32..)
        .map(|n| {
            let mut candidate = OsString::from(stem);
            candidate.push(format!(".{n}{ext}"));
            dir.join(candidate)
        })
        .find(|p| fs::symlink_metadata(p).is_err())
        .expect("some number is free")
}

/// Moves `path` into `dest_dir` with a reason file. `Ok(None)` when the file vanished first.
pub fn move_aside(path: &Path, dest_dir: &Path, reason: &str) -> Result<Option<RejectedFile>> {
    let name = path.file_name().unwrap_or_default();
    let dest = free_name(dest_dir, &safe_name(name));
    let rejection = Rejection {
        schema_version: SchemaVersion,
        file: name.to_string_lossy().into_owned(),
        moved_to: dest
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        reason: reason.to_owned(),
        rejected_at: Utc::now(),
    };
    let reason_file = reason_path(&dest);
    write_json(&reason_file, &rejection)?;
    match fs::rename(path, &dest) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let _ = fs::remove_file(&reason_file);
            return Ok(None);
        }
        Err(err) => return Err(QueueError::io("move aside", path, err)),
    }
    sync_dir(dest_dir)?;
    if let Some(src_dir) = path.parent() {
        sync_dir(src_dir)?;
    }
    tracing::warn!(
        file = %path.display(),
        moved_to = %dest.display(),
        reason,
        "refused a file"
    );
    Ok(Some(RejectedFile {
        from: path.to_owned(),
        to: dest,
        reason: reason.to_owned(),
    }))
}

/// [`move_aside`] for scans: a failure to move is logged and the file left where it is (the
/// next scan tries again), so one unmovable file never stops the queue.
pub(crate) fn move_aside_or_log(
    path: &Path,
    dest_dir: &Path,
    reason: &str,
) -> Option<RejectedFile> {
    match move_aside(path, dest_dir, reason) {
        Ok(moved) => moved,
        Err(err) => {
            tracing::error!(%err, file = %path.display(), reason, "cannot move a refused file aside");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_keep_bytes_write_a_reason_and_never_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(&dst).unwrap();
        for round in 0..2 {
            let file = src.join("x.json");
            fs::write(&file, format!("garbage {round}")).unwrap();
            let moved = move_aside(&file, &dst, "is not valid JSON")
                .unwrap()
                .unwrap();
            assert!(!file.exists());
            assert_eq!(
                fs::read_to_string(&moved.to).unwrap(),
                format!("garbage {round}")
            );
            let reason: Rejection =
                serde_json::from_slice(&fs::read(reason_path(&moved.to)).unwrap()).unwrap();
            assert_eq!(reason.reason, "is not valid JSON");
        }
        assert!(dst.join("x.json").exists() && dst.join("x.1.json").exists());
        assert!(
            move_aside(&src.join("gone.json"), &dst, "r")
                .unwrap()
                .is_none()
        );
        assert!(!dst.join("gone.json.reason.json").exists());
    }

    /// A name too long for `<name>.reason.json`, or not UTF-8, is moved under a shortened,
    /// readable name that `moved_to` names exactly.
    #[test]
    fn long_and_non_utf8_names_are_moved_under_a_name_that_exists() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(&dst).unwrap();
        let long = format!("{}.json", "é".repeat(120));
        let odd = OsStr::from_bytes(b"job-\xff\xfe.json").to_owned();
        for name in [OsString::from(&long), odd] {
            let file = src.join(&name);
            fs::write(&file, b"x").unwrap();
            let moved = move_aside(&file, &dst, "bad").unwrap().unwrap();
            assert!(!file.exists(), "{name:?} left in place");
            let reason: Rejection =
                serde_json::from_slice(&fs::read(reason_path(&moved.to)).unwrap()).unwrap();
            assert!(dst.join(&reason.moved_to).is_file(), "{reason:?}");
            assert!(reason.moved_to.len() <= MAX_MOVED_NAME);
            assert_eq!(reason.file, name.to_string_lossy());
        }
    }
}
