//! [`PanosApi`]: the narrow set of operations orchestration needs, so that other
//! implementations (a recording wrapper, a test double) can stand in for the HTTP client.

use std::future::Future;

use crate::error::ClientError;
use crate::model::{
    ArpTable, DiskSpace, HaStatus, JobStatus, ManagedDevice, RouteTable, RoutingEngine,
    SessionInfo, SoftwareCatalog, SystemInfo,
};
use crate::types::{JobId, Serial, SoftwareVersion};

/// The operations, each sent through Panorama to the firewall named by `target`.
///
/// Read-only operations may be retried freely by an implementation. Operations that start or
/// change something (`software_download`, `software_install`, `restart`, `ha_suspend`,
/// `ha_functional`) are sent at most once per call: when they fail with
/// [`ClientError::may_have_been_applied`], the caller reconciles with the device's state.
pub trait PanosApi: Send + Sync {
    /// `show system info` on the firewall.
    fn system_info(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<SystemInfo, ClientError>> + Send;

    /// `show high-availability state` on the firewall.
    fn ha_state(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<HaStatus, ClientError>> + Send;

    /// `request system software check`: refreshes the catalog from the update server.
    fn software_check(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<SoftwareCatalog, ClientError>> + Send;

    /// `request system software info`: the catalog the device already knows.
    fn software_info(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<SoftwareCatalog, ClientError>> + Send;

    /// `request system software download version X`: starts a download job. Not retried.
    fn software_download(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> impl Future<Output = Result<JobId, ClientError>> + Send;

    /// `request system software install version X`: starts an install job. Not retried.
    fn software_install(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> impl Future<Output = Result<JobId, ClientError>> + Send;

    /// `show jobs id N`.
    fn job_status(
        &self,
        target: &Serial,
        job: JobId,
    ) -> impl Future<Output = Result<JobStatus, ClientError>> + Send;

    /// `show jobs all`.
    fn jobs_all(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<Vec<JobStatus>, ClientError>> + Send;

    /// `request restart system`. Not retried.
    fn restart(&self, target: &Serial) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// `show chassis-ready`: true once the data plane is up.
    fn chassis_ready(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<bool, ClientError>> + Send;

    /// `request high-availability state suspend`. Not retried.
    fn ha_suspend(&self, target: &Serial) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// `request high-availability state functional`. Not retried.
    fn ha_functional(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// `show session info`.
    fn session_info(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<SessionInfo, ClientError>> + Send;

    /// `show routing route` (legacy) or `show advanced-routing route` (advanced).
    fn routes(
        &self,
        target: &Serial,
        engine: RoutingEngine,
    ) -> impl Future<Output = Result<RouteTable, ClientError>> + Send;

    /// `show arp entry name='all'`.
    fn arp(&self, target: &Serial) -> impl Future<Output = Result<ArpTable, ClientError>> + Send;

    /// `show system disk-space`.
    fn disk_space(
        &self,
        target: &Serial,
    ) -> impl Future<Output = Result<DiskSpace, ClientError>> + Send;

    /// `show devices all` (or `connected` when `connected_only`) on Panorama itself.
    fn managed_devices(
        &self,
        connected_only: bool,
    ) -> impl Future<Output = Result<Vec<ManagedDevice>, ClientError>> + Send;
}
