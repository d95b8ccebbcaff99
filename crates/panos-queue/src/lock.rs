//! [`StateLock`]: one daemon per state directory. An exclusive `flock` (std
//! [`File::try_lock`]) on `<state>/panosd.lock`, which holds the holder's pid for
//! `panosctl daemon stop`. The lock goes with the process: a `kill -9` releases it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{QueueError, Result};
use crate::fsio::FILE_MODE;

/// The held lock; dropping it releases the lock (the pid stays in the file, harmlessly).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
}

fn lock_file_path(state_dir: &Path) -> PathBuf {
    state_dir.join("panosd.lock")
}

fn open(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|err| QueueError::io("open lock file", path, err))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

impl StateLock {
    /// Takes the lock of `state_dir` (which must exist) and writes this process's pid into
    /// it. Fails with [`QueueError::Locked`], naming the holder's pid, when another process
    /// holds it.
    pub fn acquire(state_dir: &Path) -> Result<Self> {
        let path = lock_file_path(state_dir);
        let mut file = open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(QueueError::Locked {
                    state_dir: state_dir.to_owned(),
                    pid: read_pid(&mut file),
                    lock_file: path,
                });
            }
            Err(TryLockError::Error(err)) => return Err(QueueError::io("lock", &path, err)),
        }
        let written = (|| {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            file.sync_all()
        })();
        written.map_err(|err| QueueError::io("write pid to", &path, err))?;
        Ok(Self { file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock now (as dropping does).
    pub fn release(self) {
        let _ = self.file.unlock();
    }
}

/// The pid of the daemon holding `state_dir`'s lock, or `None` when no process holds it
/// (no lock file, or a stale pid left by a daemon that exited).
///
/// It probes with a shared lock for an instant; a daemon starting in that instant fails its
/// own acquire and may simply be started again.
pub fn read_lock_pid(state_dir: &Path) -> Result<Option<u32>> {
    let path = lock_file_path(state_dir);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(QueueError::io("open lock file", &path, err)),
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(None)
        }
        Err(TryLockError::WouldBlock) => Ok(read_pid(&mut file)),
        Err(TryLockError::Error(err)) => Err(QueueError::io("probe lock", &path, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_lock_pid(dir.path()).unwrap(), None);
        let lock = StateLock::acquire(dir.path()).unwrap();
        let err = StateLock::acquire(dir.path()).unwrap_err();
        let pid = std::process::id();
        assert!(matches!(err, QueueError::Locked { pid: Some(p), .. } if p == pid));
        assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
        assert_eq!(read_lock_pid(dir.path()).unwrap(), Some(pid));
        drop(lock);
        assert_eq!(
            read_lock_pid(dir.path()).unwrap(),
            None,
            "stale pid is not a holder"
        );
        let again = StateLock::acquire(dir.path()).unwrap();
        again.release();
    }
}
