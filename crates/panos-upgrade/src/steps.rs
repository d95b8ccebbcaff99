//! The changing steps of one device, each idempotent: look at the device first, send at most
//! once, record the intent before sending and the job id after, and reconcile on resume.
//!
//! - download: skipped when the catalog says `downloaded`; a recorded job is polled again; an
//!   intent with no job id is matched against download jobs newer than the recorded high-water
//!   job id before anything is re-sent (re-sending a download is harmless, but never needed).
//! - install: the same, with `SWInstall` jobs; "software manager is currently in use" is
//!   retried after a pause, a bounded number of times.
//!
//! The restart is in [`crate::reboot`], HA suspend and functional in [`crate::ha_state`].

use panos_client::{ClientError, JobId, PanosApi, SoftwareVersion};

use crate::error::UpgradeFailure;
use crate::event::{Action, DownloadJob, Intent, ProgressSink, Step};
use crate::run::{Run, Stop, job_details, job_ok};
use crate::timing::sleep_or_cancel;

/// What one send of a job-starting command came to.
enum Sent {
    /// Accepted: the device started this job.
    Accepted(JobId),
    /// Not started (refused for now, or no answer): the caller's loop looks again.
    TryAgain,
}

/// How far [`Run::ensure_downloaded`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Until the catalog shows the image downloaded.
    Downloaded,
    /// Until a download job of the image runs on the device (or it is downloaded already):
    /// a pair starts its second member's download before waiting for the first.
    Started,
}

/// Messages that mean "busy, try later" rather than a failure.
fn is_busy(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("currently in use")
        || text.contains("is in progress")
        || text.contains("try again later")
}

/// A refusal that was certainly not applied and may work later: the device is busy, or
/// Panorama turned the request away (429, session timed out, connection refused).
pub(crate) fn refused_for_now(error: &ClientError) -> bool {
    let busy = matches!(error, ClientError::Api { message, .. } if is_busy(message));
    busy || (error.is_retryable() && !error.may_have_been_applied())
}

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// Makes sure `version` is downloaded on device `i` (with [`Until::Started`], only that
    /// its download runs). Returns whether the catalog showed it downloaded.
    pub(crate) async fn ensure_downloaded(
        &mut self,
        i: usize,
        version: &SoftwareVersion,
        step: Step,
        until: Until,
    ) -> Result<bool, Stop> {
        let serial = self.serial(i);
        let mut busy_left = self.timing.busy_retries;
        let mut sends_left = 3u32;
        loop {
            let catalog = self.catalog_now(i, step).await?;
            // Used once: the loop's next turn asks the device again.
            if let Some(fresh) = self.fresh.get_mut(&i) {
                fresh.catalog = None;
            }
            match catalog.get(version) {
                Some(image) if image.downloaded => {
                    self.dev(i).downloads.retain(|d| &d.version != version);
                    if self.dev(i).intent.as_ref().is_some_and(|t| {
                        t.action == Action::Download && t.version.as_ref() == Some(version)
                    }) {
                        self.dev(i).intent = None;
                    }
                    self.save().await;
                    return Ok(true);
                }
                Some(_) => {}
                None => {
                    return Err(UpgradeFailure::new(
                        &serial,
                        self.hop(i).as_ref(),
                        step,
                        format!("{version} is not in the device's software catalog"),
                        "run `request system software check` on the device and verify it can \
                         reach the update server, then resubmit",
                    )
                    .into());
                }
            }

            // A download job we started (or adopted): wait for it.
            let known = self.cp.devices[i]
                .downloads
                .iter()
                .find(|d| &d.version == version)
                .map(|d| d.job);
            if let Some(job) = known {
                if until == Until::Started {
                    return Ok(false);
                }
                let status = self
                    .wait_job(i, step, job, self.timing.download_timeout_secs)
                    .await?;
                if job_ok(&status) {
                    continue; // the catalog confirms at the top of the loop
                }
                self.dev(i).downloads.retain(|d| d.job != job);
                self.save().await;
                let details = job_details(&status);
                if is_busy(&details) && busy_left > 0 {
                    busy_left -= 1;
                    self.pause_busy(i).await?;
                    continue;
                }
                return Err(UpgradeFailure::new(
                    &serial,
                    self.hop(i).as_ref(),
                    step,
                    format!("download job {job} of {version} failed"),
                    "read the job's details (show jobs id); free disk space on /opt/panrepo \
                     (delete old images) or fix update-server access, then resubmit",
                )
                .with_panorama_message(details)
                .into());
            }

            // An intent without a job id: a crash (or a lost answer) after sending.
            if let Some(job) = self
                .job_from_intent(i, step, Action::Download, version)
                .await?
            {
                self.record_job(i, Action::Download, version, job).await;
                continue;
            }

            if sends_left == 0 {
                return Err(UpgradeFailure::new(
                    &serial,
                    self.hop(i).as_ref(),
                    step,
                    format!(
                        "the download of {version} could not be confirmed after 3 sends with \
                         no answer"
                    ),
                    "check the device's jobs and disk space, then resubmit",
                )
                .into());
            }
            if let Sent::Accepted(job) = self
                .start_job(
                    i,
                    step,
                    Action::Download,
                    version,
                    &mut busy_left,
                    &mut sends_left,
                )
                .await?
            {
                self.record_job(i, Action::Download, version, job).await;
                if until == Until::Started {
                    return Ok(false);
                }
            }
        }
    }

    /// Makes sure the hop's image is installed on device `i` (not yet rebooted).
    pub async fn ensure_installed(&mut self, i: usize) -> Result<(), Stop> {
        let step = Step::Install;
        let serial = self.serial(i);
        let Some(version) = self.hop(i) else {
            return Ok(());
        };
        let mut busy_left = self.timing.busy_retries;
        let mut sends_left = 3u32;
        loop {
            if self.cp.devices[i].installed {
                return Ok(());
            }
            if let Some(job) = self.cp.devices[i].install_job {
                let status = self
                    .wait_job(i, step, job, self.timing.install_timeout_secs)
                    .await?;
                if job_ok(&status) {
                    self.dev(i).installed = true;
                    self.save().await;
                    return Ok(());
                }
                self.dev(i).install_job = None;
                self.save().await;
                let details = job_details(&status);
                if is_busy(&details) && busy_left > 0 {
                    busy_left -= 1;
                    self.pause_busy(i).await?;
                    continue;
                }
                return Err(UpgradeFailure::new(
                    &serial,
                    Some(&version),
                    step,
                    format!("install job {job} of {version} failed"),
                    "read the job's details (show jobs id); the device still runs its old \
                     version and needs no rollback. Fix the cause, then resubmit",
                )
                .with_panorama_message(details)
                .into());
            }

            if let Some(job) = self
                .job_from_intent(i, step, Action::Install, &version)
                .await?
            {
                self.record_job(i, Action::Install, &version, job).await;
                continue;
            }

            if sends_left == 0 {
                return Err(UpgradeFailure::new(
                    &serial,
                    Some(&version),
                    step,
                    format!(
                        "the install of {version} could not be confirmed after 3 sends with no \
                         answer"
                    ),
                    "check the device's jobs (show jobs all), then resubmit",
                )
                .into());
            }
            if let Sent::Accepted(job) = self
                .start_job(
                    i,
                    step,
                    Action::Install,
                    &version,
                    &mut busy_left,
                    &mut sends_left,
                )
                .await?
            {
                self.record_job(i, Action::Install, &version, job).await;
            }
        }
    }

    /// The job a recorded `action` intent for `version` started, when the device shows one:
    /// the newest job of the matching type above the intent's high-water job id. `None` when
    /// there is no such intent or no such job (the command was not sent).
    async fn job_from_intent(
        &self,
        i: usize,
        step: Step,
        action: Action,
        version: &SoftwareVersion,
    ) -> Result<Option<JobId>, Stop> {
        let Some(intent) = self.cp.devices[i]
            .intent
            .clone()
            .filter(|t| t.action == action && t.version.as_ref() == Some(version))
        else {
            return Ok(None);
        };
        let kind = if action == Action::Download {
            "downld"
        } else {
            "install"
        };
        let ours = self
            .jobs_since(i, step, intent.jobs_high_water, kind)
            .await?;
        let job = ours.iter().filter_map(|j| j.id).max();
        if let Some(job) = job {
            tracing::info!(serial = %self.serial(i), %job, %version, %action, "adopting the job found on the device");
        }
        Ok(job)
    }

    /// Records `job` as the one started by `action` for `version` and clears the intent, in
    /// one save, so a crash never leaves neither recorded.
    async fn record_job(
        &mut self,
        i: usize,
        action: Action,
        version: &SoftwareVersion,
        job: JobId,
    ) {
        if action == Action::Download {
            self.dev(i).downloads.push(DownloadJob {
                version: version.clone(),
                job,
            });
        } else {
            self.dev(i).install_job = Some(job);
        }
        self.dev(i).intent = None;
        self.save().await;
    }

    /// Sends a download or install once, after recording the intent with the device's
    /// high-water job id. A refusal that was certainly not applied waits and spends a busy
    /// retry; an answer lost in transit keeps the intent (the caller reconciles next turn) and
    /// spends one of the ambiguous sends; any other error fails the step.
    async fn start_job(
        &mut self,
        i: usize,
        step: Step,
        action: Action,
        version: &SoftwareVersion,
        busy_left: &mut u32,
        sends_left: &mut u32,
    ) -> Result<Sent, Stop> {
        let serial = self.serial(i);
        self.fresh.remove(&i);
        let high_water = self.jobs_high_water(i, step).await?;
        self.dev(i).intent = Some(Intent {
            action,
            version: Some(version.clone()),
            jobs_high_water: Some(high_water),
        });
        self.save().await;
        let result = if action == Action::Download {
            self.api.software_download(&serial, version).await
        } else {
            self.api.software_install(&serial, version).await
        };
        match result {
            Ok(job) => {
                self.audit(i, action, Some(version), Some(job), "accepted")
                    .await;
                Ok(Sent::Accepted(job))
            }
            Err(error) if refused_for_now(&error) && *busy_left > 0 => {
                self.audit(i, action, Some(version), None, error.to_string())
                    .await;
                *busy_left -= 1;
                self.dev(i).intent = None;
                self.save().await;
                self.pause_busy(i).await?;
                Ok(Sent::TryAgain)
            }
            Err(error) if error.may_have_been_applied() => {
                // Keep the intent: the next turn matches it against the device's jobs.
                *sends_left -= 1;
                self.audit(i, action, Some(version), None, error.to_string())
                    .await;
                self.pause_busy(i).await?;
                Ok(Sent::TryAgain)
            }
            Err(error) => {
                self.audit(i, action, Some(version), None, error.to_string())
                    .await;
                Err(self.client_failure(
                    i,
                    step,
                    &format!("start the {action} of {version}"),
                    &error,
                ))
            }
        }
    }

    pub(crate) async fn pause_busy(&self, i: usize) -> Result<(), Stop> {
        self.progress(i, 0, "device busy; waiting before trying again")
            .await;
        sleep_or_cancel(
            self.timing.scaled(self.timing.busy_retry_secs as f64),
            &self.cancel,
        )
        .await
        .map_err(|_| Stop::Cancelled {
            manual_action: None,
        })
    }
}
