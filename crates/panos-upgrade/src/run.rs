//! The state of one running job ([`Run`]) and the helpers every step uses: bounded reads that
//! ride out transient errors, job polling, progress and checkpoint reporting.

use std::collections::HashMap;
use std::future::Future;

use panos_client::model::{JobOutcome as PanJobOutcome, JobStatus, SoftwareCatalog, SystemInfo};
use panos_client::{ClientError, JobId, PanosApi, Serial, SoftwareVersion};
use tokio_util::sync::CancellationToken;

use crate::error::UpgradeFailure;
use crate::event::{
    Action, AuditRecord, DeviceCheckpoint, DeviceProgress, DeviceState, Event, JobCheckpoint,
    ProgressSink, Step,
};
use crate::job::UpgradeJob;
use crate::timing::{Timing, WaitStop};

/// Why a device's upgrade stopped before its end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// A step failed.
    Failed(Box<UpgradeFailure>),
    /// The job was cancelled; `manual_action` says what is left to do by hand, if anything.
    Cancelled {
        /// What the operator must know or do.
        manual_action: Option<String>,
    },
}

impl From<UpgradeFailure> for Stop {
    fn from(failure: UpgradeFailure) -> Self {
        Self::Failed(Box::new(failure))
    }
}

/// One job being run: the client, the sink, the settings, and the live checkpoint.
pub(crate) struct Run<'a, A, S> {
    pub api: &'a A,
    pub sink: &'a S,
    pub timing: &'a Timing,
    pub validation: &'a panos_validation::ValidationConfig,
    pub job: &'a UpgradeJob,
    pub cancel: CancellationToken,
    pub cp: JobCheckpoint,
    /// Hostnames read so far, by device index.
    pub hostnames: Vec<Option<String>>,
    /// Models read so far, by device index (for the waits learned by model).
    pub models: HashMap<usize, String>,
    /// Restart and chassis-ready times seen by model, shared with the daemon's other jobs.
    pub learned: crate::learned::LearnedWaits,
    /// Pre-upgrade snapshots, for the post-upgrade comparison.
    pub pre: crate::checks::PreSnapshots,
    /// What each device (by index) answered moments ago, for the next steps that would ask
    /// again: a job's first hop is planned and checked with the system info and catalog
    /// read to prepare it, and its download starts from that catalog (and takes it). All of
    /// a device's are dropped before anything that changes it is sent.
    pub fresh: HashMap<usize, Fresh>,
}

/// Answers of one device read moments ago (see [`Run::fresh`]).
#[derive(Debug, Default)]
pub(crate) struct Fresh {
    pub info: Option<SystemInfo>,
    pub catalog: Option<SoftwareCatalog>,
}

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// The checkpoint of device `i`.
    pub fn dev(&mut self, i: usize) -> &mut DeviceCheckpoint {
        &mut self.cp.devices[i]
    }

    /// The serial of device `i`.
    pub fn serial(&self, i: usize) -> Serial {
        self.cp.devices[i].serial.clone()
    }

    /// The hop device `i` is on.
    pub fn hop(&self, i: usize) -> Option<SoftwareVersion> {
        self.cp.devices[i].hop().cloned()
    }

    /// Emits the checkpoint; awaited, so it is durable before the caller goes on.
    pub async fn save(&self) {
        self.sink.emit(Event::Checkpoint(self.cp.clone())).await;
    }

    /// Device `i`'s system info: the one read moments ago (see [`Run::fresh`]), or a read.
    pub async fn system_info_now(&self, i: usize, step: Step) -> Result<SystemInfo, Stop> {
        if let Some(info) = self.fresh.get(&i).and_then(|f| f.info.clone()) {
            return Ok(info);
        }
        let serial = self.serial(i);
        self.read(i, step, "read the device's system info", || {
            self.api.system_info(&serial)
        })
        .await
    }

    /// Device `i`'s software catalog: the one read moments ago (see [`Run::fresh`]), or a
    /// read.
    pub async fn catalog_now(&self, i: usize, step: Step) -> Result<SoftwareCatalog, Stop> {
        if let Some(catalog) = self.fresh.get(&i).and_then(|f| f.catalog.clone()) {
            return Ok(catalog);
        }
        let serial = self.serial(i);
        self.read(i, step, "read the software catalog", || {
            self.api.software_info(&serial)
        })
        .await
    }

    /// Sets device `i`'s step and reports progress. The step reaches the checkpoint with the
    /// next save (each intent, job id, confirmation, HA phase and hop is saved): a step on
    /// its own changes nothing on the device, and a job resumed from an earlier step redoes
    /// only reads and waits, every changing step being checked against the device first.
    pub async fn enter(&mut self, i: usize, step: Step, message: impl Into<String>) {
        if step > Step::Download {
            self.fresh.remove(&i);
        }
        self.cp.devices[i].step = step;
        self.progress(i, step_percent(step, None), message).await;
    }

    /// Reports device `i`'s progress; `within_step` is the percent done of the current step.
    pub async fn progress(&self, i: usize, within_step: u8, message: impl Into<String>) {
        let dev = &self.cp.devices[i];
        let hops = dev.path.len().max(1);
        let overall = (dev.hop_index.min(hops) * 100 + usize::from(within_step)) / hops;
        self.sink
            .emit(Event::Progress(DeviceProgress {
                serial: dev.serial.clone(),
                hostname: self.hostnames.get(i).cloned().flatten(),
                state: DeviceState::from(dev.step),
                step: dev.step,
                path: dev.path.clone(),
                hop_index: dev.hop_index,
                current_version: None,
                target_version: dev.path.last().cloned(),
                progress: overall.min(100) as u8,
                message: message.into(),
            }))
            .await;
    }

    /// Reports a final state for device `i` (done, failed, cancelled, skipped).
    pub async fn report_state(
        &self,
        i: usize,
        state: DeviceState,
        current: Option<SoftwareVersion>,
        message: impl Into<String>,
    ) {
        let dev = &self.cp.devices[i];
        self.sink
            .emit(Event::Progress(DeviceProgress {
                serial: dev.serial.clone(),
                hostname: self.hostnames.get(i).cloned().flatten(),
                state,
                step: dev.step,
                path: dev.path.clone(),
                hop_index: dev.hop_index,
                current_version: current,
                target_version: dev.path.last().cloned(),
                progress: if state == DeviceState::Done { 100 } else { 0 },
                message: message.into(),
            }))
            .await;
    }

    /// Emits an audit record for a changing command.
    pub async fn audit(
        &self,
        i: usize,
        action: Action,
        version: Option<&SoftwareVersion>,
        job: Option<JobId>,
        detail: impl Into<String>,
    ) {
        self.sink
            .emit(Event::Audit(AuditRecord {
                serial: self.serial(i),
                action,
                version: version.cloned(),
                job,
                detail: detail.into(),
            }))
            .await;
    }

    /// What to tell the operator when a wait stops.
    pub fn stop_from_wait(
        &self,
        i: usize,
        stop: WaitStop,
        step: Step,
        what: &str,
        timeout_secs: u64,
        manual_action: &str,
    ) -> Stop {
        match stop {
            WaitStop::Cancelled => Stop::Cancelled {
                manual_action: self.cancelled_mid_step(i, step),
            },
            WaitStop::TimedOut => UpgradeFailure::new(
                &self.serial(i),
                self.hop(i).as_ref(),
                step,
                format!("{what} did not finish within {} minutes", timeout_secs / 60),
                manual_action,
            )
            .into(),
        }
    }

    /// What is left on device `i` when a cancel request stops `step` part-way.
    pub fn cancelled_mid_step(&self, i: usize, step: Step) -> Option<String> {
        let dev = &self.cp.devices[i];
        let hop = dev.hop().map(ToString::to_string).unwrap_or_default();
        match step {
            Step::Install => Some(format!(
                "cancelled while install job {} of {hop} was running: the job goes on on the \
                 device. The device keeps its current version until its next reboot, when \
                 {hop} becomes active. Let it finish and restart in a maintenance window, or \
                 install the running version again to stay on it",
                dev.install_job
                    .map(|j| j.to_string())
                    .unwrap_or_else(|| "?".into())
            )),
            Step::Download | Step::DownloadBase => Some(
                "cancelled while downloading: the download job may still finish on the \
                 device; nothing else to do"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// A read-only call on device `i`, retried while it fails transiently (for at most
    /// `read_retry_secs`); a lasting or non-transient error fails the step.
    pub async fn read<T, F, Fut>(
        &self,
        i: usize,
        step: Step,
        what: &str,
        call: F,
    ) -> Result<T, Stop>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut poller = self.timing.poller(self.timing.read_retry_secs);
        loop {
            if self.cancel.is_cancelled() {
                return Err(Stop::Cancelled {
                    manual_action: self.cancelled_mid_step(i, self.cp.devices[i].step),
                });
            }
            let error = match call().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !error.is_retryable() {
                return Err(self.client_failure(i, step, what, &error));
            }
            tracing::debug!(serial = %self.serial(i), %step, "{what}: {error}; retrying");
            if let Err(stop) = poller.tick(&self.cancel).await {
                return Err(match stop {
                    WaitStop::Cancelled => Stop::Cancelled {
                        manual_action: self.cancelled_mid_step(i, self.cp.devices[i].step),
                    },
                    WaitStop::TimedOut => self.client_failure(i, step, what, &error),
                });
            }
        }
    }

    /// A failure from a client error on device `i`, with a manual action fitting the error.
    pub fn client_failure(&self, i: usize, step: Step, what: &str, error: &ClientError) -> Stop {
        let manual = match error {
            ClientError::Auth { .. } => {
                "check the Panorama API key or credentials (panorama.api_key) and the admin role"
            }
            ClientError::NotConnected { .. } => {
                "check that the firewall is connected to Panorama (Panorama > Managed Devices)"
            }
            ClientError::Connect { .. } | ClientError::NoResponse { .. } => {
                "check that Panorama is reachable from this host (panorama.url, TLS settings)"
            }
            _ => "read the device's message above, fix the cause on the device, then resubmit",
        };
        UpgradeFailure::from_client(
            &self.serial(i),
            self.hop(i).as_ref(),
            step,
            what,
            error,
            manual,
        )
        .into()
    }

    /// The highest job id on device `i` (0 when it has none), read before sending a
    /// job-starting command.
    pub async fn jobs_high_water(&self, i: usize, step: Step) -> Result<JobId, Stop> {
        let serial = self.serial(i);
        let jobs = self
            .read(i, step, "list the device's jobs", || {
                self.api.jobs_all(&serial)
            })
            .await?;
        Ok(jobs.iter().filter_map(|j| j.id).max().unwrap_or(JobId(0)))
    }

    /// Jobs on device `i` newer than `high_water` whose type contains `kind` (`Downld`,
    /// `Install`): the ones a resumed job may have started.
    pub async fn jobs_since(
        &self,
        i: usize,
        step: Step,
        high_water: Option<JobId>,
        kind: &str,
    ) -> Result<Vec<JobStatus>, Stop> {
        let serial = self.serial(i);
        let floor = high_water.unwrap_or(JobId(0));
        let jobs = self
            .read(i, step, "list the device's jobs", || {
                self.api.jobs_all(&serial)
            })
            .await?;
        Ok(jobs
            .into_iter()
            .filter(|j| j.id.is_some_and(|id| id > floor))
            .filter(|j| {
                j.job_type
                    .as_deref()
                    .is_some_and(|t| t.to_ascii_lowercase().contains(&kind.to_ascii_lowercase()))
            })
            .collect())
    }

    /// Polls job `job` on device `i` until it finishes (or the wait stops).
    pub async fn wait_job(
        &self,
        i: usize,
        step: Step,
        job: JobId,
        timeout_secs: u64,
    ) -> Result<JobStatus, Stop> {
        let serial = self.serial(i);
        let mut poller = self.timing.poller(timeout_secs);
        let mut rate = crate::timing::ProgressRate::default();
        let mut last_error: Option<ClientError>;
        loop {
            match self.api.job_status(&serial, job).await {
                Ok(status) if status.is_finished() => return Ok(status),
                Ok(status) => {
                    last_error = None;
                    if let panos_client::model::JobProgress::Percent(p) = status.progress {
                        rate.observe(p);
                        self.progress(i, step_percent(step, Some(p)), format!("job {job}: {p}%"))
                            .await;
                    }
                }
                Err(error) if error.is_retryable() => last_error = Some(error),
                Err(error) => {
                    return Err(self.client_failure(
                        i,
                        step,
                        &format!("read the status of job {job}"),
                        &error,
                    ));
                }
            }
            // Poll again when the job should be done, judging by its progress so far.
            if let Err(stop) = poller.tick_expecting(rate.remaining(), &self.cancel).await {
                let detail = last_error
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default();
                return Err(self.stop_from_wait(
                    i,
                    stop,
                    step,
                    &format!("job {job}{detail}"),
                    timeout_secs,
                    &format!(
                        "look at the job on the device (show jobs id {job}); when it is stuck, \
                         stop it there and resubmit this job"
                    ),
                ));
            }
        }
    }
}

/// Whether a finished job succeeded.
pub(crate) fn job_ok(status: &JobStatus) -> bool {
    status.outcome == PanJobOutcome::Ok
}

/// The job's detail lines as one message.
pub(crate) fn job_details(status: &JobStatus) -> String {
    status.details.join(" / ")
}

/// Percent of a hop reached at `step` (with `within` percent of that step done).
pub(crate) fn step_percent(step: Step, within: Option<u8>) -> u8 {
    let (start, end) = match step {
        Step::Preflight => (0, 5),
        Step::DownloadBase => (5, 20),
        Step::Download => (20, 40),
        Step::Suspend => (40, 42),
        Step::Install => (42, 65),
        Step::Restart => (65, 67),
        Step::WaitReboot => (67, 85),
        Step::WaitReady => (85, 90),
        Step::Functional | Step::HaSync | Step::Failover => (90, 94),
        Step::Postflight => (94, 100),
        Step::Done => (100, 100),
    };
    let within = u16::from(within.unwrap_or(0).min(100));
    (start + (end - start) * within / 100) as u8
}
