//! The Panorama connection of the daemon: the one [`panos_client::PanoramaClient`] (one rate
//! limiter, one in-flight cap) built from the configuration, wrapped in [`CountingApi`] so
//! `status/daemon.json` can show API calls, errors and the last contact with Panorama. The
//! real client is also attached to the counters as a [`ClientControl`], so SIGHUP can change
//! its rate limit and in-flight cap, and the metrics can show its rate-limit waits.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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
        .max_response_bytes(usize::try_from(panorama.max_response_mb).unwrap_or(usize::MAX) << 20)
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

/// What the daemon changes or reads of its Panorama client, beyond the calls.
pub trait ClientControl: Send + Sync + std::fmt::Debug {
    /// Applies the rate limit, burst and in-flight cap of `panorama` to every later call.
    ///
    /// # Errors
    /// A value the client refuses (zero); nothing is changed then.
    fn set_limits(&self, panorama: &PanoramaConfig) -> Result<(), ClientError>;

    /// Requests that waited for the rate limit, and the total time calls waited for it and
    /// for the in-flight cap.
    fn limiter_waits(&self) -> (u64, Duration);
}

impl ClientControl for PanoramaClient {
    fn set_limits(&self, panorama: &PanoramaConfig) -> Result<(), ClientError> {
        PanoramaClient::set_limits(
            self,
            panorama.rate_limit_per_second,
            panorama.rate_limit_burst,
            panorama.max_in_flight,
        )
    }

    fn limiter_waits(&self) -> (u64, Duration) {
        let stats = self.stats();
        (stats.rate_limited, stats.limiter_wait)
    }
}

/// Counters of the API calls made through a [`CountingApi`].
#[derive(Debug, Default)]
pub struct ApiStats {
    calls: AtomicU64,
    errors: AtomicU64,
    unreachable_device: AtomicU64,
    last_contact: Mutex<Option<DateTime<Utc>>>,
    control: OnceLock<Arc<dyn ClientControl>>,
}

impl ApiStats {
    /// Calls made.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Calls that failed, less Panorama's "device not connected" answers (counted apart:
    /// they are expected while a firewall reboots, and the engine polls through them).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Panorama's "device not connected" answers.
    pub fn device_not_connected(&self) -> u64 {
        self.unreachable_device.load(Ordering::Relaxed)
    }

    /// Attaches the client behind the counters (once; later calls are ignored).
    pub fn attach(&self, control: Arc<dyn ClientControl>) {
        let _ = self.control.set(control);
    }

    /// The attached client, if any (none when the daemon runs on a caller's API).
    pub fn control(&self) -> Option<&Arc<dyn ClientControl>> {
        self.control.get()
    }

    /// Requests that waited for the rate limit, and the total wait (zero without a client).
    pub fn limiter_waits(&self) -> (u64, Duration) {
        self.control()
            .map_or((0, Duration::ZERO), |c| c.limiter_waits())
    }

    /// The last time Panorama answered (with anything but a transport failure).
    pub fn last_contact(&self) -> Option<DateTime<Utc>> {
        *self.last_contact.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record<T>(&self, result: &Result<T, ClientError>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let answered = match result {
            Ok(_) => true,
            Err(ClientError::NotConnected { .. }) => {
                self.unreachable_device.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(err) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                matches!(err, ClientError::Api { .. } | ClientError::Auth { .. })
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
