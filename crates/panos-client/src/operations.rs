//! The typed operations of [`PanoramaClient`]: [`PanosApi`] for firewalls through Panorama, and
//! the same reads on Panorama itself.

use crate::api::PanosApi;
use crate::client::PanoramaClient;
use crate::command::Command;
use crate::error::ClientError;
use crate::model::{
    ArpTable, DiskSpace, HaStatus, JobStatus, ManagedDevice, RouteTable, RoutingEngine,
    SessionInfo, SoftwareCatalog, SystemInfo,
};
use crate::parse;
use crate::types::{JobId, Serial, SoftwareVersion};

impl PanoramaClient {
    /// `show system info` on Panorama itself.
    ///
    /// # Errors
    /// Any [`ClientError`]; read-only, so transient errors were retried first.
    pub async fn panorama_system_info(&self) -> Result<SystemInfo, ClientError> {
        self.call(Command::system_info(), None, parse::system_info)
            .await
    }

    /// `show high-availability state` on Panorama itself (members directly under `result`).
    ///
    /// # Errors
    /// Any [`ClientError`]; read-only, so transient errors were retried first.
    pub async fn panorama_ha_state(&self) -> Result<HaStatus, ClientError> {
        self.call(Command::ha_state(), None, parse::ha_state).await
    }
}

impl PanosApi for PanoramaClient {
    async fn system_info(&self, target: &Serial) -> Result<SystemInfo, ClientError> {
        self.call(Command::system_info(), Some(target), parse::system_info)
            .await
    }

    async fn ha_state(&self, target: &Serial) -> Result<HaStatus, ClientError> {
        self.call(Command::ha_state(), Some(target), parse::ha_state)
            .await
    }

    async fn software_check(&self, target: &Serial) -> Result<SoftwareCatalog, ClientError> {
        self.call(
            Command::software_check(),
            Some(target),
            parse::software_catalog,
        )
        .await
    }

    async fn software_info(&self, target: &Serial) -> Result<SoftwareCatalog, ClientError> {
        self.call(
            Command::software_info(),
            Some(target),
            parse::software_catalog,
        )
        .await
    }

    async fn software_download(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> Result<JobId, ClientError> {
        self.call(
            Command::software_download(version),
            Some(target),
            parse::job_enqueued,
        )
        .await
    }

    async fn software_install(
        &self,
        target: &Serial,
        version: &SoftwareVersion,
    ) -> Result<JobId, ClientError> {
        self.call(
            Command::software_install(version),
            Some(target),
            parse::job_enqueued,
        )
        .await
    }

    async fn job_status(&self, target: &Serial, job: JobId) -> Result<JobStatus, ClientError> {
        self.call(Command::job_status(job), Some(target), parse::job_status)
            .await
    }

    async fn jobs_all(&self, target: &Serial) -> Result<Vec<JobStatus>, ClientError> {
        self.call(Command::jobs_all(), Some(target), parse::jobs_all)
            .await
    }

    async fn restart(&self, target: &Serial) -> Result<(), ClientError> {
        self.call(Command::restart(), Some(target), parse::restart)
            .await
    }

    async fn chassis_ready(&self, target: &Serial) -> Result<bool, ClientError> {
        self.call(Command::chassis_ready(), Some(target), parse::chassis_ready)
            .await
    }

    async fn ha_suspend(&self, target: &Serial) -> Result<(), ClientError> {
        self.call(Command::ha_suspend(), Some(target), parse::ha_state_change)
            .await
    }

    async fn ha_functional(&self, target: &Serial) -> Result<(), ClientError> {
        self.call(
            Command::ha_functional(),
            Some(target),
            parse::ha_state_change,
        )
        .await
    }

    async fn session_info(&self, target: &Serial) -> Result<SessionInfo, ClientError> {
        self.call(Command::session_info(), Some(target), parse::session_info)
            .await
    }

    async fn routes(
        &self,
        target: &Serial,
        engine: RoutingEngine,
    ) -> Result<RouteTable, ClientError> {
        self.call(Command::routes(engine), Some(target), move |ctx, body| {
            parse::routes(ctx, body, engine)
        })
        .await
    }

    async fn arp(&self, target: &Serial) -> Result<ArpTable, ClientError> {
        self.call(Command::arp(), Some(target), parse::arp).await
    }

    async fn disk_space(&self, target: &Serial) -> Result<DiskSpace, ClientError> {
        self.call(Command::disk_space(), Some(target), parse::disk_space)
            .await
    }

    async fn managed_devices(
        &self,
        connected_only: bool,
    ) -> Result<Vec<ManagedDevice>, ClientError> {
        self.call(
            Command::managed_devices(connected_only),
            None,
            parse::managed_devices,
        )
        .await
    }
}
