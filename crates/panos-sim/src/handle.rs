//! [`SimHandle`]: the library's grip on a running simulator: its URLs and certificate, the API
//! key, faults, the request log and counters, the fleet state, the clock, and shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::Shared;
use crate::auth::Credentials;
use crate::error::SimError;
use crate::faults::FaultRule;
use crate::limit::RateLimit;
use crate::model::DeviceSnapshot;
use crate::record::{RequestCounters, RequestRecord};
use crate::tls::TlsMaterial;

/// A running simulator. Cloning gives another handle to the same simulator.
#[derive(Debug, Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    url: String,
    tls: Option<(String, TlsMaterial)>,
    token: CancellationToken,
    tracker: TaskTracker,
}

impl SimHandle {
    pub(crate) fn new(
        shared: Arc<Shared>,
        url: String,
        tls: Option<(String, TlsMaterial)>,
        token: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        SimHandle {
            inner: Arc::new(Inner {
                shared,
                url,
                tls,
                token,
                tracker,
            }),
        }
    }

    /// The HTTP base URL, e.g. `http://127.0.0.1:40123` (the API is under `/api/`).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The HTTPS base URL, when HTTPS is served.
    pub fn tls_url(&self) -> Option<&str> {
        self.inner.tls.as_ref().map(|(u, _)| u.as_str())
    }

    /// The HTTPS certificate, PEM.
    pub fn cert_pem(&self) -> Option<&str> {
        self.inner.tls.as_ref().map(|(_, m)| m.cert_pem.as_str())
    }

    /// SHA-256 of the HTTPS certificate (DER), lowercase hex without separators.
    pub fn fingerprint_sha256(&self) -> Option<&str> {
        self.inner
            .tls
            .as_ref()
            .map(|(_, m)| m.fingerprint_sha256.as_str())
    }

    /// The API key `type=keygen` gives for the current admin credentials.
    pub fn api_key(&self) -> String {
        self.inner.shared.credentials().api_key()
    }

    /// Changes the admin credentials: keys made from the old ones stop working (HTTP 403).
    pub fn set_admin(&self, credentials: Credentials) {
        *self
            .inner
            .shared
            .credentials
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = credentials;
    }

    /// Adds a fault rule to the device `serial`, or to Panorama itself when `serial` is
    /// `"panorama"` or Panorama's serial.
    pub fn inject_fault(&self, serial: &str, rule: FaultRule) -> Result<(), SimError> {
        let mut world = self.inner.shared.world();
        if serial == "panorama" || serial == world.panorama.spec.serial {
            world.panorama.faults.push(rule);
            return Ok(());
        }
        let idx = world
            .find(serial)
            .ok_or_else(|| SimError::UnknownDevice(serial.into()))?;
        world.advance(idx);
        world.devices[idx].faults.push(rule);
        Ok(())
    }

    /// Removes every fault rule of `serial` (or of Panorama, as for [`Self::inject_fault`]).
    pub fn clear_faults(&self, serial: &str) -> Result<(), SimError> {
        let mut world = self.inner.shared.world();
        if serial == "panorama" || serial == world.panorama.spec.serial {
            world.panorama.faults.clear();
            return Ok(());
        }
        let idx = world
            .find(serial)
            .ok_or_else(|| SimError::UnknownDevice(serial.into()))?;
        world.devices[idx].faults.clear();
        Ok(())
    }

    /// Removes every fault rule everywhere.
    pub fn clear_all_faults(&self) {
        let mut world = self.inner.shared.world();
        world.panorama.faults.clear();
        world.devices.iter_mut().for_each(|d| d.faults.clear());
    }

    /// Replaces the request limits.
    pub fn set_rate_limit(&self, limit: RateLimit) {
        self.inner.shared.limiter.set(limit);
    }

    /// The request records kept (the newest `log_capacity`), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.shared.log().records()
    }

    /// Exact request counters.
    pub fn counters(&self) -> RequestCounters {
        self.inner.shared.log().counters()
    }

    /// Forgets the request log and zeroes the counters.
    pub fn reset_requests(&self) {
        self.inner.shared.log().reset();
    }

    /// The device `serial` as it is now (jobs, reboots and HA brought up to date first).
    pub fn device(&self, serial: &str) -> Option<DeviceSnapshot> {
        let mut world = self.inner.shared.world();
        let idx = world.find(serial)?;
        world.advance(idx);
        let sync = world.running_sync(idx);
        let now = world.now();
        Some(world.devices[idx].snapshot(now, sync))
    }

    /// Every device as it is now, in fleet order.
    pub fn devices(&self) -> Vec<DeviceSnapshot> {
        let mut world = self.inner.shared.world();
        world.advance_all();
        let now = world.now();
        (0..world.devices.len())
            .map(|i| {
                let sync = world.running_sync(i);
                world.devices[i].snapshot(now, sync)
            })
            .collect()
    }

    /// The serials of the fleet, in fleet order.
    pub fn serials(&self) -> Vec<String> {
        self.inner
            .shared
            .world()
            .devices
            .iter()
            .map(|d| d.serial.clone())
            .collect()
    }

    /// The HA pairs as (first member, second member) in fleet order, each pair once.
    pub fn ha_pairs(&self) -> Vec<(String, String)> {
        let world = self.inner.shared.world();
        world
            .devices
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let p = world.peer_of(i)?;
                (i < p).then(|| (d.serial.clone(), world.devices[p].serial.clone()))
            })
            .collect()
    }

    /// Changes a device in place (e.g. free disk, sessions, version) through [`DeviceEdit`].
    pub fn edit_device(
        &self,
        serial: &str,
        edit: impl FnOnce(&mut DeviceEdit<'_>),
    ) -> Result<(), SimError> {
        let mut world = self.inner.shared.world();
        let idx = world
            .find(serial)
            .ok_or_else(|| SimError::UnknownDevice(serial.into()))?;
        world.advance(idx);
        let mut e = DeviceEdit {
            fw: &mut world.devices[idx],
        };
        edit(&mut e);
        Ok(())
    }

    /// Simulated time since start.
    pub fn sim_elapsed(&self) -> Duration {
        self.inner.shared.world().now().0
    }

    /// The current time scale.
    pub fn time_scale(&self) -> f64 {
        self.inner.shared.world().clock.scale()
    }

    /// The current request limits.
    pub fn rate_limit(&self) -> RateLimit {
        self.inner.shared.limiter.config()
    }

    /// Changes the time scale from now on.
    pub fn set_time_scale(&self, scale: f64) {
        self.inner.shared.world().clock.set_scale(scale);
    }

    /// Jumps simulated time forward by `d` (jobs and reboots due in that time complete).
    pub fn skip(&self, d: Duration) {
        self.inner.shared.world().clock.skip(d);
    }

    /// A token that stops the simulator when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.token.clone()
    }

    /// Stops accepting, finishes open connections (5 s grace) and waits for every task.
    pub async fn shutdown(&self) {
        self.inner.token.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }
}

/// Edits one device's state (see [`SimHandle::edit_device`]).
#[derive(Debug)]
pub struct DeviceEdit<'a> {
    fw: &'a mut crate::model::Firewall,
}

impl DeviceEdit<'_> {
    /// Sets free space on `/opt/panrepo`, MB.
    pub fn set_free_disk_mb(&mut self, mb: u64) {
        self.fw.free_disk_mb = mb;
    }

    /// Sets the running version.
    pub fn set_sw_version(&mut self, version: &str) {
        self.fw.sw_version = version.to_string();
        if !self.fw.has_image(version) {
            self.fw.downloaded.push(version.to_string());
        }
    }

    /// Marks an image as downloaded (or removes it).
    pub fn set_downloaded(&mut self, version: &str, downloaded: bool) {
        self.fw.downloaded.retain(|v| v != version);
        if downloaded {
            self.fw.downloaded.push(version.to_string());
        }
    }

    /// Sets the active session count.
    pub fn set_sessions(&mut self, active: u32) {
        self.fw.sessions = active;
    }

    /// Sets the route and ARP table sizes.
    pub fn set_tables(&mut self, routes: u32, arp: u32) {
        self.fw.routes = routes;
        self.fw.arp = arp;
    }

    /// Takes the device off Panorama (`not connected`) or puts it back.
    pub fn set_offline(&mut self, offline: bool) {
        self.fw.forced_offline = offline;
    }
}
