//! The inventory: the firewalls Panorama manages (`show devices all`) written as
//! `status/devices/<serial>.json`, so `panosctl device list` and the web app see the fleet
//! without asking Panorama. Read at start, periodically, and on a `refresh_inventory`
//! command. A device held by a running job is left to its job; a device whose last job ended
//! keeps that job's outcome (`done`, `failed`, …) with refreshed facts until its next job. A
//! file whose facts did not change is not rewritten.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use panos_client::PanosApi;
use panos_client::model::ManagedDevice;
use panos_queue::{DeviceState, DeviceStatus, QueueError, QueueFolder, StateDir};
use tokio_util::sync::CancellationToken;

use super::convert::{queue_serial, queue_version};
use super::shared::Shared;

/// How many devices are refreshed under one hold of the status-file lock: a job's status
/// write waits for at most this many writes, not for the whole fleet's.
const BATCH: usize = 64;

/// Reads the managed devices and refreshes their status files (only `only` when given; a
/// file whose facts did not change is left as it is). Returns how many devices were
/// refreshed.
///
/// # Errors
/// Panorama's error, as text.
pub async fn refresh<A: PanosApi>(
    shared: &Arc<Shared>,
    api: &A,
    only: Option<&str>,
) -> Result<usize, String> {
    let mut devices = api
        .managed_devices(false)
        .await
        .map_err(|e| format!("cannot read the managed devices from Panorama: {e}"))?;
    if let Some(only) = only {
        devices.retain(|d| d.serial.as_str() == only);
    }
    let held = Arc::clone(shared);
    let written = shared
        .store
        .io(move |dir| {
            let mut n = 0;
            for batch in devices.chunks(BATCH) {
                // Under the lock, a device not held by a job has had its job's last write.
                let _files = held.status_files.lock().unwrap_or_else(|p| p.into_inner());
                let busy = held.busy_devices();
                let mut statuses = Vec::with_capacity(batch.len());
                let result = batch
                    .iter()
                    .filter(|d| !busy.contains(d.serial.as_str()))
                    .filter_map(|device| refreshed(dir, device))
                    .try_for_each(|refreshed| {
                        n += 1;
                        if let Refreshed::Changed(status) = refreshed {
                            dir.write_device_status(&status)?;
                            statuses.push(*status);
                        }
                        Ok::<_, QueueError>(())
                    });
                held.devices_written(&statuses);
                result?;
            }
            Ok(n)
        })
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(devices = written, "inventory refreshed");
    Ok(written)
}

/// The status file of `device` with Panorama's facts (unless they are what it says already),
/// or `None` when a job in `pending/` or `active/` owns it (a recovered job not started yet)
/// or the serial is not one of the queue.
fn refreshed(dir: &StateDir, device: &ManagedDevice) -> Option<Refreshed> {
    let serial = queue_serial(&device.serial)?;
    let existing = dir.read_device_status(&serial).ok().flatten();
    let owned = existing.as_ref().is_some_and(|st| {
        st.state.is_busy()
            && st.job_id.is_some_and(|j| {
                matches!(
                    dir.find_job(j),
                    Some((QueueFolder::Pending | QueueFolder::Active, _))
                )
            })
    });
    if owned {
        return None;
    }
    let mut status = existing
        .clone()
        .unwrap_or_else(|| DeviceStatus::new(serial, DeviceState::Idle, Utc::now()));
    // The outcome of the device's last job (done, failed, …) stays until its next job; the
    // inventory only refreshes the facts.
    if matches!(status.state, DeviceState::Idle | DeviceState::Unknown) {
        status.state = if device.connected {
            DeviceState::Idle
        } else {
            DeviceState::Unknown
        };
    }
    status.hostname = device.hostname.clone().or(status.hostname.take());
    status.model = device.model.clone().or(status.model.take());
    if let Some(v) = device.sw_version.as_ref().and_then(queue_version) {
        status.current_version = Some(v);
    }
    if let Some(ha) = &device.ha {
        status.ha_role = Some(ha.state.clone());
        status.ha_peer = ha.peer_serial.as_ref().and_then(queue_serial);
    }
    if !device.connected {
        status.message = Some("not connected to Panorama".to_owned());
    }
    if existing.is_some_and(|before| before == status) {
        // Nothing changed: the file stays as it is (a fleet of thousands is not rewritten
        // every refresh).
        return Some(Refreshed::Unchanged);
    }
    status.updated_at = Utc::now();
    Some(Refreshed::Changed(Box::new(status)))
}

/// A device's status file after a refresh.
enum Refreshed {
    /// Facts changed: the file to write.
    Changed(Box<DeviceStatus>),
    /// The file already says it all.
    Unchanged,
}

/// Refreshes the inventory now and every `period` until `stop` fires.
pub async fn run<A: PanosApi>(
    shared: Arc<Shared>,
    api: Arc<A>,
    period: Duration,
    stop: CancellationToken,
) {
    loop {
        if let Err(reason) = refresh(&shared, &*api, None).await {
            tracing::warn!(%reason, "inventory not refreshed");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
    }
}
