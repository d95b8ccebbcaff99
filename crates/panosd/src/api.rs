//! The Panorama connection of the daemon: the one [`panos_client::PanoramaClient`] (one rate
//! limiter, one in-flight cap) built from the configuration, wrapped in [`CountingApi`] so
//! `status/daemon.json` can show API calls, errors and the last contact with Panorama.

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use panos_client::model::{
    ArpTable, DiskSpace, HaStatus, JobStatus, ManagedDevice, RouteTable, RoutingEngine,
    SessionInfo, SoftwareCatalog, SystemInfo,
};
use panos_client::{
    ClientConfig, ClientError, Credentials, JobId, PanoramaClient, PanosApi, RetryPolicy, Serial,
    SoftwareVersion,
};

use crate::config::PanoramaConfig;
use crate::error::DaemonError;

/// Builds the daemon's Panorama client from the `panorama` section and the credentials.
///
/// # Errors
/// [`DaemonError::Client`] for an unusable URL or TLS setting, naming the config file.
/// The client's retry delays are divided by `timing_scale`, like every other wait.
pub fn build_client(
    url: &str,
    panorama: &PanoramaConfig,
    timing: &panos_upgrade::Timing,
    credentials: Credentials,
    config_file: &Path,
) -> Result<PanoramaClient, DaemonError> {
    let base = RetryPolicy::default();
    let scaled = |d: Duration| timing.scaled(d.as_secs_f64()).max(Duration::from_millis(1));
    let retry = base.clone().with_delays(
        scaled(base.min_delay),
        scaled(base.max_delay),
        scaled(base.max_total_delay),
    );
    let mut builder = ClientConfig::builder(url, credentials)
        .retry(retry)
        .rate_limit(panorama.rate_limit_per_second, panorama.rate_limit_burst)
        .max_in_flight(panorama.max_in_flight)
        .connect_timeout(Duration::from_secs(panorama.connect_timeout_secs))
        .request_timeout(Duration::from_secs(panorama.request_timeout_secs))
        .insecure_skip_verify(!panorama.verify_tls);
    if let Some(ca) = &panorama.ca_file {
        builder = builder.ca_file(ca);
    }
    if let Some(pin) = &panorama.tls_fingerprint_sha256 {
        builder = builder.tls_fingerprint_sha256(pin);
    }
    let client_error = |source| DaemonError::Client {
        file: config_file.to_path_buf(),
        source,
    };
    let config = builder.build().map_err(client_error)?;
    PanoramaClient::new(config).map_err(client_error)
}

/// Counters of the API calls made through a [`CountingApi`].
#[derive(Debug, Default)]
pub struct ApiStats {
    calls: AtomicU64,
    errors: AtomicU64,
    last_contact: Mutex<Option<DateTime<Utc>>>,
}

impl ApiStats {
    /// Calls made.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Calls that failed.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The last time Panorama answered (with anything but a transport failure).
    pub fn last_contact(&self) -> Option<DateTime<Utc>> {
        *self.last_contact.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record<T>(&self, result: &Result<T, ClientError>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let answered = match result {
            Ok(_) => true,
            Err(err) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                matches!(
                    err,
                    ClientError::Api { .. }
                        | ClientError::Auth { .. }
                        | ClientError::NotConnected { .. }
                )
            }
        };
        if answered {
            *self.last_contact.lock().unwrap_or_else(|p| p.into_inner()) = Some(Utc::now());
        }
    }
}

/// A [`PanosApi`] that counts the calls of the one it wraps.
#[derive(Debug, Clone)]
pub struct CountingApi<A> {
    inner: A,
    stats: Arc<ApiStats>,
}

impl<A> CountingApi<A> {
    /// Wraps `inner`.
    pub fn new(inner: A) -> Self {
        Self {
            inner,
            stats: Arc::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> Arc<ApiStats> {
        Arc::clone(&self.stats)
    }
}

macro_rules! counted {
    ($self:ident, $call:expr) => {{
        let result = $call.await;
        $self.stats.record(&result);
        result
    }};
}

impl<A: PanosApi> PanosApi for CountingApi<A> {
    async fn system_info(&self, target: &Serial) -> Result<SystemInfo, ClientError> {
        counted!(self, self.inner.system_info(target))
    }
    async fn ha_state(&self, target: &Serial) -> Result<HaStatus, ClientError> {
        counted!(self, self.inner.ha_state(target))
    }
    async fn software_check(&self, target: &Serial) -> Result<SoftwareCatalog, ClientError> {
        counted!(self, self.inner.software_check(target))
    }
    async fn software_info(&self, target: &Serial) -> Result<SoftwareCatalog, ClientError> {
        counted!(self, self.inner.software_info(target))
    }
    async fn software_download(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> Result<JobId, ClientError> {
        counted!(self, self.inner.software_download(target, version))
    }
    async fn software_install(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> Result<JobId, ClientError> {
        counted!(self, self.inner.software_install(target, version))
    }
    async fn job_status(&self, target: &Serial, job: JobId) -> Result<JobStatus, ClientError> {
        counted!(self, self.inner.job_status(target, job))
    }
    async fn jobs_all(&self, target: &Serial) -> Result<Vec<JobStatus>, ClientError> {
        counted!(self, self.inner.jobs_all(target))
    }
    async fn restart(&self, target: &Serial) -> Result<(), ClientError> {
        counted!(self, self.inner.restart(target))
    }
    async fn chassis_ready(&self, target: &Serial) -> Result<bool, ClientError> {
        counted!(self, self.inner.chassis_ready(target))
    }
    async fn ha_suspend(&self, target: &Serial) -> Result<(), ClientError> {
        counted!(self, self.inner.ha_suspend(target))
    }
    async fn ha_functional(&self, target: &Serial) -> Result<(), ClientError> {
        counted!(self, self.inner.ha_functional(target))
    }
    async fn session_info(&self, target: &Serial) -> Result<SessionInfo, ClientError> {
        counted!(self, self.inner.session_info(target))
    }
    async fn routes(
        &self,
        target: &Serial,
        engine: RoutingEngine,
    ) -> Result<RouteTable, ClientError> {
        counted!(self, self.inner.routes(target, engine))
    }
    async fn arp(&self, target: &Serial) -> Result<ArpTable, ClientError> {
        counted!(self, self.inner.arp(target))
    }
    async fn disk_space(&self, target: &Serial) -> Result<DiskSpace, ClientError> {
        counted!(self, self.inner.disk_space(target))
    }
    async fn managed_devices(
        &self,
        connected_only: bool,
    ) -> Result<Vec<ManagedDevice>, ClientError> {
        counted!(self, self.inner.managed_devices(connected_only))
    }
}
