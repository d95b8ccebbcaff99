//! The phases of one device's hop, shared by standalone and HA upgrades: the hop's plan,
//! downloads (base image first), install, restart and wait, and cancellation between steps.
//! Each phase looks at the checkpoint's step first, so a resumed job picks up where it was.

use panos_client::model::SystemInfo;
use panos_client::{PanosApi, SoftwareVersion};

use crate::error::UpgradeFailure;
use crate::event::{ProgressSink, Step};
use crate::path::UpgradePath;
use crate::plan::{HopPlan, plan_path};
use crate::run::{Run, Stop};
use crate::steps::Until;

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// The version device `i` ran before the current hop.
    pub fn version_before_hop(&self, i: usize) -> Option<SoftwareVersion> {
        let dev = &self.cp.devices[i];
        match dev.hop_index {
            0 => dev.from_version.clone(),
            n => dev.path.get(n - 1).cloned(),
        }
    }

    /// The current hop's plan for device `i`, checked against its catalog.
    pub async fn hop_plan(&mut self, i: usize) -> Result<HopPlan, Stop> {
        let serial = self.serial(i);
        let hop = self.hop(i).ok_or_else(|| {
            Stop::from(UpgradeFailure::new(
                &serial,
                None,
                Step::Preflight,
                "no hop left to plan",
                "report this as a bug",
            ))
        })?;
        let from = self.version_before_hop(i).unwrap_or_else(|| hop.clone());
        let catalog = self.catalog_now(i, Step::Preflight).await?;
        let path = UpgradePath {
            from: from.clone(),
            hops: vec![hop.clone()],
        };
        // A resumed hop may be already installed: only the catalog's knowledge matters here.
        match plan_path(&path, &catalog) {
            Ok(mut plans) => Ok(plans.remove(0)),
            Err(problems) => {
                let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
                Err(UpgradeFailure::new(
                    &serial,
                    Some(&hop),
                    Step::Preflight,
                    format!("hop {from} -> {hop}: {}", messages.join("; ")),
                    "refresh the device's catalog (request system software check) or fix \
                     upgrade_paths.json, then resubmit",
                )
                .into())
            }
        }
    }

    /// `Some(info)` when device `i` already runs the current hop (e.g. upgraded by hand), and a
    /// failure when it runs something newer than the hop.
    pub async fn already_on_hop(&mut self, i: usize) -> Result<Option<SystemInfo>, Stop> {
        let serial = self.serial(i);
        let Some(hop) = self.hop(i) else {
            return Ok(None);
        };
        let info = self.system_info_now(i, Step::Preflight).await?;
        self.hostnames[i] = Some(info.hostname.clone());
        self.models.insert(i, info.model.clone());
        if info.sw_version == hop {
            return Ok(Some(info));
        }
        if info.sw_version > hop {
            return Err(UpgradeFailure::new(
                &serial,
                Some(&hop),
                Step::Preflight,
                format!(
                    "the device runs {}, newer than the hop {hop}",
                    info.sw_version
                ),
                "someone changed the device during the job: check its version, then resubmit",
            )
            .into());
        }
        Ok(None)
    }

    /// Downloads the hop's base image (when needed) and image on device `i`.
    pub async fn download_hop(&mut self, i: usize, plan: &HopPlan) -> Result<(), Stop> {
        if self.cp.devices[i].step > Step::Download {
            return Ok(());
        }
        // At the image's own step, the base image was seen downloaded already.
        if let Some(base) = &plan.base_image
            && self.cp.devices[i].step < Step::Download
        {
            self.enter(
                i,
                Step::DownloadBase,
                format!("downloading base image {base}"),
            )
            .await;
            self.ensure_downloaded(i, base, Step::DownloadBase, Until::Downloaded)
                .await?;
            self.check_cancel(i)?;
        }
        self.enter(i, Step::Download, format!("downloading {}", plan.version))
            .await;
        self.ensure_downloaded(i, &plan.version, Step::Download, Until::Downloaded)
            .await?;
        self.check_cancel(i)
    }

    /// Starts the hop's first download still missing on device `i` (the base image, then the
    /// image) without waiting for it, so that a pair's members download at once;
    /// [`Self::download_hop`] then waits for it and does the rest.
    pub async fn start_download(&mut self, i: usize, plan: &HopPlan) -> Result<(), Stop> {
        if self.cp.devices[i].step > Step::Download {
            return Ok(());
        }
        let images = plan
            .base_image
            .iter()
            .map(|base| (base, Step::DownloadBase, "base image "))
            .chain([(&plan.version, Step::Download, "")]);
        for (version, step, what) in images {
            self.enter(i, step, format!("downloading {what}{version}"))
                .await;
            if !self
                .ensure_downloaded(i, version, step, Until::Started)
                .await?
            {
                break;
            }
        }
        self.check_cancel(i)
    }

    /// Installs the hop on device `i`, restarts it and waits until it is back and ready.
    pub async fn install_and_reboot(&mut self, i: usize) -> Result<SystemInfo, Stop> {
        let hop = self.hop(i);
        if self.cp.devices[i].step <= Step::Install {
            self.check_cancel(i)?;
            let label = hop.as_ref().map(ToString::to_string).unwrap_or_default();
            self.enter(i, Step::Install, format!("installing {label}"))
                .await;
            self.ensure_installed(i).await?;
            self.check_cancel(i)?;
        }
        self.restart_and_wait(i).await
    }

    /// Stops device `i` here when the job is cancelled, saying what is left on the device.
    pub fn check_cancel(&self, i: usize) -> Result<(), Stop> {
        if !self.cancel.is_cancelled() {
            return Ok(());
        }
        let dev = &self.cp.devices[i];
        let running = self.version_before_hop(i);
        let manual_action = match (dev.installed, dev.hop(), running) {
            (true, Some(hop), Some(running)) => Some(format!(
                "cancelled after installing {hop}, before the restart: the device still runs \
                 {running}. {hop} becomes active at the next reboot: restart it in a \
                 maintenance window, or install {running} again to stay on it"
            )),
            _ if !dev.downloads.is_empty() => Some(
                "cancelled while downloading: the download job may finish on the device; \
                 nothing else to do"
                    .to_owned(),
            ),
            _ => None,
        };
        Err(Stop::Cancelled { manual_action })
    }
}
