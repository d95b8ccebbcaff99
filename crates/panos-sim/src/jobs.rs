//! Jobs on a simulated firewall: software download (`Downld`) and install (`SWInstall`), their
//! planned outcome, and their status at any simulated instant, computed from elapsed time.

use std::time::Duration;

use crate::clock::SimInstant;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A software image download (`Downld`).
    Download,
    /// A software install (`SWInstall`).
    Install,
}

impl JobKind {
    /// The `<type>` text.
    pub fn type_name(self) -> &'static str {
        match self {
            JobKind::Download => "Downld",
            JobKind::Install => "SWInstall",
        }
    }
}

/// How a job will end, decided when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobPlan {
    /// Finishes `FIN`/`OK` after its duration.
    Succeed,
    /// Finishes `FIN`/`FAIL` after `after`, with these detail lines.
    Fail {
        /// When it fails, from enqueue.
        after: Duration,
        /// The detail lines.
        lines: Vec<String>,
    },
    /// Progress stops at `at_percent`; the job stays `ACT`/`PEND` forever.
    Stall {
        /// Where progress stops.
        at_percent: u8,
    },
}

/// One job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id.
    pub id: u32,
    /// Download or install.
    pub kind: JobKind,
    /// The software version it concerns.
    pub version: String,
    /// When it was enqueued.
    pub enqueued: SimInstant,
    /// How long a successful run takes.
    pub duration: Duration,
    /// How it ends.
    pub plan: JobPlan,
    /// True once its effect (image downloaded, version installed) was applied to the device.
    pub applied: bool,
    /// Disk space (MB) set aside on `/opt/panrepo` for a download, given back if it fails.
    pub reserved_mb: u64,
}

/// `ACT`, `FIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Running.
    Act,
    /// Finished.
    Fin,
}

/// `PEND`, `OK`, `FAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    /// Not finished.
    Pend,
    /// Finished well.
    Ok,
    /// Finished badly.
    Fail,
}

/// A job as seen at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    /// Running or finished.
    pub status: JobStatus,
    /// Pending, ok or failed.
    pub result: JobResult,
    /// Percent 0–100.
    pub progress: u8,
    /// When it finished.
    pub finished_at: Option<SimInstant>,
    /// Detail lines (empty while running).
    pub lines: Vec<String>,
}

impl Job {
    /// When the job finishes, if it ever does.
    pub fn finishes_at(&self) -> Option<SimInstant> {
        match &self.plan {
            JobPlan::Succeed => Some(self.enqueued.after(self.duration)),
            JobPlan::Fail { after, .. } => Some(self.enqueued.after(*after)),
            JobPlan::Stall { .. } => None,
        }
    }

    /// True when the job has finished by `now`.
    pub fn finished_by(&self, now: SimInstant) -> bool {
        self.finishes_at().is_some_and(|t| t <= now)
    }

    /// True when the job finished (or will finish) with OK.
    pub fn succeeds(&self) -> bool {
        matches!(self.plan, JobPlan::Succeed)
    }

    /// The job's state at `now`.
    pub fn view(&self, now: SimInstant) -> JobView {
        let elapsed = now.since(self.enqueued);
        let running = |cap: u8| {
            let frac = elapsed.as_secs_f64() / self.duration.as_secs_f64().max(0.001);
            // Downloads reach 99% at 90% of their time and sit there while preloading.
            let pct = match self.kind {
                JobKind::Download => (frac / 0.9 * 99.0).min(99.0),
                JobKind::Install => (frac * 100.0).min(99.0),
            };
            JobView {
                status: JobStatus::Act,
                result: JobResult::Pend,
                progress: (pct as u8).min(cap),
                finished_at: None,
                lines: Vec::new(),
            }
        };
        match &self.plan {
            JobPlan::Stall { at_percent } => running((*at_percent).min(99)),
            plan => match self.finishes_at() {
                Some(fin) if fin <= now => {
                    let (result, lines) = match plan {
                        JobPlan::Fail { lines, .. } => (JobResult::Fail, lines.clone()),
                        _ => (JobResult::Ok, self.success_lines()),
                    };
                    JobView {
                        status: JobStatus::Fin,
                        result,
                        progress: 100,
                        finished_at: Some(fin),
                        lines,
                    }
                }
                _ => running(99),
            },
        }
    }

    fn success_lines(&self) -> Vec<String> {
        match self.kind {
            JobKind::Download => vec![
                "Successfully downloaded".into(),
                "Preloading into software manager".into(),
                "Successfully loaded into software manager".into(),
            ],
            JobKind::Install => vec![
                "Software installation successfully completed. Please reboot to switch to the new version.".into(),
            ],
        }
    }
}

/// The detail lines of an install that found the software manager busy (from a real run).
pub fn busy_lines(version: &str) -> Vec<String> {
    vec![
        format!("Failed to install {version} with the following errors."),
        format!("SW version is {version}"),
        "The software manager is currently in use. Please try again later.".into(),
        format!("Failed to install   version  {version}  type  panos"),
    ]
}

/// The detail lines of an install that failed (the `job_fail` fault).
pub fn install_fail_lines(version: &str) -> Vec<String> {
    vec![
        format!("Failed to install {version} with the following errors."),
        format!("SW version is {version}"),
        "Image verification failed: the image checksum does not match.".into(),
        format!("Failed to install   version  {version}  type  panos"),
    ]
}

/// The detail lines of a download that failed (the `job_fail` fault).
pub fn download_fail_lines(filename: &str) -> Vec<String> {
    vec![
        format!("Failed to download {filename}"),
        "Error: connection to the update server was reset. Please try again.".into(),
    ]
}

/// The detail lines of a download that found too little space on `/opt/panrepo`.
pub fn disk_full_lines(filename: &str, need_mb: u64, free_mb: u64) -> Vec<String> {
    vec![
        format!("Failed to download {filename}"),
        format!(
            "Not enough disk space on /opt/panrepo: {need_mb} MB needed, {free_mb} MB available. Delete old software images and try again."
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(plan: JobPlan) -> Job {
        Job {
            id: 7,
            kind: JobKind::Download,
            version: "11.1.2".into(),
            enqueued: SimInstant(Duration::from_secs(100)),
            duration: Duration::from_secs(100),
            plan,
            applied: false,
            reserved_mb: 0,
        }
    }

    fn at(secs: u64) -> SimInstant {
        SimInstant(Duration::from_secs(secs))
    }

    #[test]
    fn a_download_runs_then_sits_at_99_then_finishes_ok() {
        let j = job(JobPlan::Succeed);
        let v = j.view(at(145));
        assert_eq!(
            (v.status, v.result, v.progress),
            (JobStatus::Act, JobResult::Pend, 49)
        );
        assert_eq!(j.view(at(195)).progress, 99);
        let v = j.view(at(200));
        assert_eq!((v.status, v.result), (JobStatus::Fin, JobResult::Ok));
        assert_eq!(v.lines.len(), 3);
        assert_eq!(v.finished_at, Some(at(200)));
    }

    #[test]
    fn failing_and_stalled_jobs() {
        let j = job(JobPlan::Fail {
            after: Duration::from_secs(50),
            lines: vec!["x".into()],
        });
        assert_eq!(j.view(at(149)).status, JobStatus::Act);
        let v = j.view(at(150));
        assert_eq!(
            (v.status, v.result, v.lines.clone()),
            (JobStatus::Fin, JobResult::Fail, vec!["x".to_string()])
        );
        let j = job(JobPlan::Stall { at_percent: 40 });
        assert_eq!(j.view(at(10_000)).progress, 40);
        assert_eq!(j.view(at(10_000)).status, JobStatus::Act);
        assert!(!j.finished_by(at(10_000)));
    }
}
