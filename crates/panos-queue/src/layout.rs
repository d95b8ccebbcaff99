//! [`StateDir`]: where every file of the protocol lives under the state directory, how the
//! directory is found (`--state-dir`, then `PANOS_UPGRADE_HOME`, then the default) and how its
//! folders are created.
//!
//! ```text
//! <state>/config/                          configuration (owned by panosd)
//! <state>/queue/pending/                   jobs waiting (web app writes here)
//! <state>/queue/pending/tmp/               optional scratch folder for writers
//! <state>/queue/{active,completed,failed,cancelled}/
//! <state>/status/daemon.json, workers.json
//! <state>/status/devices/<serial>.json, devices/ha_pairs/<name>.json
//! <state>/validation/{pre_flight,post_flight}/<serial>_<timestamp>.json
//! <state>/logs/{structured,text}/
//! <state>/commands/incoming/               commands (web app writes here)
//! <state>/commands/processed/              commands with their result, rejected ones + reason
//! <state>/checkpoints/<job_id>.json         the daemon's resume points of active jobs (private)
//! <state>/panosd.lock                      the single-instance lock
//! ```

use std::ffi::OsString;
use std::fs::{self, DirBuilder, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{QueueError, Result};
use crate::fsio::DIR_MODE;
use crate::types::ids::{JobId, PairName, Serial};
use crate::types::validation::Phase;

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/panos-upgrade";
/// The environment variable that overrides the default state directory.
pub const STATE_DIR_ENV: &str = "PANOS_UPGRADE_HOME";

/// A folder of the job queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueFolder {
    /// `queue/pending/`: submitted, not claimed.
    Pending,
    /// `queue/active/`: claimed by the daemon.
    Active,
    /// `queue/completed/`.
    Completed,
    /// `queue/failed/`: failed jobs, and rejected files with their `.reason.json`.
    Failed,
    /// `queue/cancelled/`.
    Cancelled,
}

impl QueueFolder {
    /// Every folder, in the order a job passes through them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Active,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The folder's name under `queue/`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The state directory and the paths of everything in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// A state directory at `root` (nothing is created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The state directory to use: `explicit` (`--state-dir`), else `PANOS_UPGRADE_HOME`,
    /// else [`DEFAULT_STATE_DIR`]. An empty value counts as unset.
    pub fn resolve(explicit: Option<PathBuf>) -> Self {
        Self::resolve_from(explicit, std::env::var_os(STATE_DIR_ENV))
    }

    /// [`StateDir::resolve`] with the environment value given, for tests.
    pub fn resolve_from(explicit: Option<PathBuf>, env: Option<OsString>) -> Self {
        let root = explicit
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        Self::new(root)
    }

    /// The state directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `config/`.
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `queue/<folder>/`.
    pub fn queue_dir(&self, folder: QueueFolder) -> PathBuf {
        self.root.join("queue").join(folder.name())
    }

    /// `queue/pending/tmp/`: writers may prepare files here before renaming them into
    /// `pending/` (the same file system, so the rename is atomic).
    pub fn pending_tmp_dir(&self) -> PathBuf {
        self.queue_dir(QueueFolder::Pending).join("tmp")
    }

    /// `queue/<folder>/<name>`.
    pub fn job_path(&self, folder: QueueFolder, name: &str) -> PathBuf {
        self.queue_dir(folder).join(name)
    }

    /// `status/`.
    pub fn status_dir(&self) -> PathBuf {
        self.root.join("status")
    }

    /// `status/daemon.json`.
    pub fn daemon_status_path(&self) -> PathBuf {
        self.status_dir().join("daemon.json")
    }

    /// `status/workers.json`.
    pub fn workers_status_path(&self) -> PathBuf {
        self.status_dir().join("workers.json")
    }

    /// `status/devices/`.
    pub fn devices_dir(&self) -> PathBuf {
        self.status_dir().join("devices")
    }

    /// `status/devices/<serial>.json`.
    pub fn device_status_path(&self, serial: &Serial) -> PathBuf {
        self.devices_dir().join(format!("{serial}.json"))
    }

    /// `status/devices/ha_pairs/`.
    pub fn ha_pairs_dir(&self) -> PathBuf {
        self.devices_dir().join("ha_pairs")
    }

    /// `status/devices/ha_pairs/<name>.json`.
    pub fn ha_pair_status_path(&self, name: &PairName) -> PathBuf {
        self.ha_pairs_dir().join(format!("{name}.json"))
    }

    /// `validation/<phase>/`.
    pub fn validation_dir(&self, phase: Phase) -> PathBuf {
        self.root.join("validation").join(phase.folder())
    }

    /// `validation/<phase>/<serial>_<YYYYMMDDTHHMMSS.ffffffZ>.json`.
    pub fn validation_record_path(
        &self,
        phase: Phase,
        serial: &Serial,
        taken_at: DateTime<Utc>,
    ) -> PathBuf {
        self.validation_dir(phase)
            .join(format!("{serial}_{}.json", file_timestamp(taken_at)))
    }

    /// `logs/structured/` (JSON logs).
    pub fn structured_logs_dir(&self) -> PathBuf {
        self.root.join("logs").join("structured")
    }

    /// `logs/text/`.
    pub fn text_logs_dir(&self) -> PathBuf {
        self.root.join("logs").join("text")
    }

    /// `commands/incoming/`.
    pub fn commands_incoming_dir(&self) -> PathBuf {
        self.root.join("commands").join("incoming")
    }

    /// `commands/processed/`.
    pub fn commands_processed_dir(&self) -> PathBuf {
        self.root.join("commands").join("processed")
    }

    /// `checkpoints/`: the daemon's own resume points for jobs in `queue/active/` (not part
    /// of the protocol; other programs ignore it).
    pub fn checkpoints_dir(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// `checkpoints/<job_id>.jsonl`: a job's checkpoint journal.
    pub fn checkpoint_path(&self, job_id: JobId) -> PathBuf {
        self.checkpoints_dir().join(format!("{job_id}.jsonl"))
    }

    /// `panosd.lock`.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("panosd.lock")
    }

    /// Every directory of the layout, parents first.
    pub fn directories(&self) -> Vec<PathBuf> {
        let mut dirs = vec![
            self.root.clone(),
            self.config_dir(),
            self.root.join("queue"),
        ];
        dirs.extend(QueueFolder::ALL.map(|f| self.queue_dir(f)));
        dirs.extend([
            self.pending_tmp_dir(),
            self.status_dir(),
            self.devices_dir(),
            self.ha_pairs_dir(),
            self.root.join("validation"),
            self.validation_dir(Phase::PreFlight),
            self.validation_dir(Phase::PostFlight),
            self.root.join("logs"),
            self.structured_logs_dir(),
            self.text_logs_dir(),
            self.root.join("commands"),
            self.commands_incoming_dir(),
            self.commands_processed_dir(),
            self.checkpoints_dir(),
        ]);
        dirs
    }

    /// Creates every missing directory of the layout with [`DIR_MODE`] (2770: owner and
    /// group, setgid so files keep the shared group). Idempotent: existing directories are
    /// left as they are, so an administrator's modes win.
    pub fn create(&self) -> Result<()> {
        self.create_with_mode(DIR_MODE)
    }

    /// [`StateDir::create`] with another mode for new directories.
    pub fn create_with_mode(&self, mode: u32) -> Result<()> {
        for dir in self.directories() {
            match DirBuilder::new().mode(mode & 0o777).create(&dir) {
                Ok(()) => fs::set_permissions(&dir, Permissions::from_mode(mode))
                    .map_err(|err| QueueError::io("set mode of", &dir, err))?,
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(err) => return Err(QueueError::io("create directory", &dir, err)),
            }
        }
        Ok(())
    }
}

/// A UTC time as used in file names: `20261124T193322.123456Z` (sorts as time does, no `:`).
pub fn file_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn resolve_prefers_explicit_then_env_then_default() {
        let env = Some(OsString::from("/srv/env"));
        let explicit = Some(PathBuf::from("/srv/flag"));
        assert_eq!(
            StateDir::resolve_from(explicit, env.clone()).root(),
            Path::new("/srv/flag")
        );
        assert_eq!(
            StateDir::resolve_from(None, env).root(),
            Path::new("/srv/env")
        );
        assert_eq!(
            StateDir::resolve_from(None, Some(OsString::new())).root(),
            Path::new(DEFAULT_STATE_DIR)
        );
    }

    #[test]
    fn create_is_idempotent_and_sets_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let state = StateDir::new(tmp.path().join("state"));
        state.create().unwrap();
        for dir in state.directories() {
            let mode = fs::metadata(&dir).unwrap().mode() & 0o7777;
            assert_eq!(mode, DIR_MODE, "{}", dir.display());
        }
        let marker = state.queue_dir(QueueFolder::Pending).join("keep.json");
        fs::write(&marker, b"{}").unwrap();
        state.create().unwrap();
        assert!(marker.exists(), "a second create must not disturb files");
        assert_eq!(state.directories().len(), 22);
    }

    #[test]
    fn create_fails_with_the_path_when_a_file_is_in_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let state = StateDir::new(tmp.path());
        fs::write(tmp.path().join("config"), b"not a dir").unwrap();
        let err = state.create().unwrap_err().to_string();
        assert!(err.contains("config"), "{err}");
    }

    #[test]
    fn file_timestamps_sort_and_have_no_colons() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T19:33:22.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(file_timestamp(at), "20261124T193322.500000Z");
    }
}
