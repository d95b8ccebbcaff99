//! Writing and reading the status files and validation records. Every write is atomic;
//! readers (web app, `panosctl`) never see a partial file. Status files (device, HA pair,
//! daemon, workers) are not made durable ([`crate::fsio::atomic_write_nosync`]): the daemon
//! rewrites them often and can write them again from what it knows, so a power cut may leave
//! one old (or, on some file systems, empty) until its next write. Validation records stay
//! durable: checkpoints refer to them.

use std::path::PathBuf;

use crate::error::{QueueError, Result};
use crate::fsio::{count_candidates, list_candidates, read_json, write_json_nosync};
use crate::layout::{QueueFolder, StateDir};
use crate::types::ids::{PairName, Serial};
use crate::types::status::{DaemonStatus, DeviceStatus, HaPairStatus, QueueDepths, WorkersStatus};
use crate::types::validation::ValidationRecord;

impl StateDir {
    /// Writes `status/devices/<serial>.json`.
    pub fn write_device_status(&self, status: &DeviceStatus) -> Result<()> {
        write_json_nosync(&self.device_status_path(&status.serial), status)
    }

    /// Reads `status/devices/<serial>.json`; `Ok(None)` when there is none.
    pub fn read_device_status(&self, serial: &Serial) -> Result<Option<DeviceStatus>> {
        read_json(&self.device_status_path(serial))
    }

    /// Every device status, by serial; files that do not decode are skipped with a warning.
    pub fn list_device_statuses(&self) -> Result<Vec<DeviceStatus>> {
        let mut out = Vec::new();
        for path in list_candidates(&self.devices_dir())? {
            match read_json::<DeviceStatus>(&path) {
                Ok(Some(status)) => out.push(status),
                Ok(None) => {}
                Err(err) => tracing::warn!(%err, "skipping a device status file"),
            }
        }
        Ok(out)
    }

    /// Writes `status/devices/ha_pairs/<name>.json`.
    pub fn write_ha_pair_status(&self, status: &HaPairStatus) -> Result<()> {
        write_json_nosync(&self.ha_pair_status_path(&status.name), status)
    }

    /// Reads `status/devices/ha_pairs/<name>.json`.
    pub fn read_ha_pair_status(&self, name: &PairName) -> Result<Option<HaPairStatus>> {
        read_json(&self.ha_pair_status_path(name))
    }

    /// Writes `status/daemon.json`.
    pub fn write_daemon_status(&self, status: &DaemonStatus) -> Result<()> {
        write_json_nosync(&self.daemon_status_path(), status)
    }

    /// Reads `status/daemon.json`.
    pub fn read_daemon_status(&self) -> Result<Option<DaemonStatus>> {
        read_json(&self.daemon_status_path())
    }

    /// Writes `status/workers.json`.
    pub fn write_workers_status(&self, status: &WorkersStatus) -> Result<()> {
        write_json_nosync(&self.workers_status_path(), status)
    }

    /// Reads `status/workers.json`.
    pub fn read_workers_status(&self) -> Result<Option<WorkersStatus>> {
        read_json(&self.workers_status_path())
    }

    /// Writes a validation record to `validation/<phase>/<serial>_<taken_at>.json` and
    /// returns its path. Never replaces an earlier record.
    pub fn write_validation_record(&self, record: &ValidationRecord) -> Result<PathBuf> {
        let path = self.validation_record_path(record.phase, &record.serial, record.taken_at);
        let bytes = crate::fsio::to_json_bytes(record, &path)?;
        if !crate::fsio::atomic_create(&path, &bytes)? {
            return Err(QueueError::Invalid {
                path,
                reason: "a record of this device and time exists already".into(),
            });
        }
        Ok(path)
    }

    /// How many job files each queue folder holds (reason files and dot-files not counted).
    pub fn queue_depths(&self) -> Result<QueueDepths> {
        let count =
            |folder| -> Result<u64> { Ok(count_candidates(&self.queue_dir(folder))? as u64) };
        Ok(QueueDepths {
            pending: count(QueueFolder::Pending)?,
            active: count(QueueFolder::Active)?,
            completed: count(QueueFolder::Completed)?,
            failed: count(QueueFolder::Failed)?,
            cancelled: count(QueueFolder::Cancelled)?,
        })
    }
}
