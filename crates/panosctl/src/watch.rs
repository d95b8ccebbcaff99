//! Following jobs live (`job watch`, and the demo): polls the job files and the devices'
//! status files until every job has reached a final folder. On a terminal it draws progress
//! bars (indicatif): one for the jobs overall and one per device being upgraded; otherwise it
//! prints a plain line per device state change (or, quietly, a count line now and then).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use panos_queue::{DeviceState, Job, JobId, JobOutcome, QueueFolder, Serial, StateDir};

use crate::error::{CtlError, Result};
use crate::job::find;
use crate::output::{is_terminal, word};

/// Most device bars shown at once.
const MAX_BARS: usize = 14;

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Progress bars (a terminal).
    Bars,
    /// A line per device state change.
    Lines,
    /// A count line every few seconds.
    Quiet,
}

impl Style {
    /// Bars on a terminal, else `otherwise`.
    pub fn for_stdout(otherwise: Style) -> Style {
        if is_terminal() {
            Style::Bars
        } else {
            otherwise
        }
    }
}

/// How the followed jobs ended.
#[derive(Debug, Default)]
pub struct Ended {
    /// Final jobs (with their results), by id.
    pub jobs: BTreeMap<JobId, Job>,
}

impl Ended {
    /// Jobs that did not complete.
    pub fn not_completed(&self) -> usize {
        self.jobs
            .values()
            .filter(|j| j.result.as_ref().map(|r| r.outcome) != Some(JobOutcome::Completed))
            .count()
    }
}

/// `panosctl job watch [ID]`.
pub fn watch(state: &StateDir, id: Option<&str>) -> Result<()> {
    let jobs: Vec<Job> = match id {
        Some(text) => vec![find(state, text)?.2],
        None => [QueueFolder::Pending, QueueFolder::Active]
            .into_iter()
            .map(|f| state.read_jobs(f))
            .collect::<std::result::Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .filter_map(|(_, job)| job.ok())
            .collect(),
    };
    if jobs.is_empty() {
        println!("no pending or active jobs");
        return Ok(());
    }
    if crate::daemon::running_pid(state)?.is_none() {
        eprintln!("panosctl: note: panosd is not running; nothing moves until it starts");
    }
    let ended = follow(state, &jobs, Style::for_stdout(Style::Lines), None, None)?;
    for job in ended.jobs.values() {
        let outcome = job.result.as_ref().map(|r| word(&r.outcome));
        println!(
            "{}  {}  {}",
            job.job_id,
            outcome.as_deref().unwrap_or("-"),
            crate::job_list::result_line(job.result.as_ref())
        );
    }
    match ended.not_completed() {
        0 => Ok(()),
        n => Err(CtlError::Failed(format!(
            "{n} of {} job(s) did not complete: see `panosctl job status ID`",
            ended.jobs.len()
        ))),
    }
}

struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    devices: HashMap<Serial, ProgressBar>,
    style: ProgressStyle,
}

impl Bars {
    fn new(jobs: u64) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout_with_hz(8));
        let total = multi.add(ProgressBar::new(jobs));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>16} [{bar:32.green/blue}] {pos}/{len} jobs  {msg}  ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        total.set_prefix("all jobs");
        let style =
            ProgressStyle::with_template("{prefix:>16} [{bar:32.cyan/blue}] {pos:>3}% {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        Self {
            multi,
            total,
            devices: HashMap::new(),
            style,
        }
    }
}

/// Follows `jobs` until each is in a final folder or `deadline` passes.
pub fn follow(
    state: &StateDir,
    jobs: &[Job],
    style: Style,
    deadline: Option<Instant>,
    interrupted: Option<&AtomicBool>,
) -> Result<Ended> {
    let mut open: BTreeMap<JobId, Vec<Serial>> =
        jobs.iter().map(|j| (j.job_id, j.devices.clone())).collect();
    let mut ended = Ended::default();
    let mut last: HashMap<Serial, (DeviceState, Option<String>)> = HashMap::new();
    let mut bars = (style == Style::Bars).then(|| Bars::new(jobs.len() as u64));
    let mut last_count = Instant::now();
    let started = Instant::now();
    while !open.is_empty() {
        let mut finished = Vec::new();
        for (id, serials) in &open {
            if let Some((folder, path)) = state.find_job(*id)
                && !matches!(folder, QueueFolder::Pending | QueueFolder::Active)
                && let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(job) = serde_json::from_str::<Job>(&text)
            {
                finished.push(*id);
                ended.jobs.insert(*id, job);
                continue;
            }
            for serial in serials {
                let Ok(Some(status)) = state.read_device_status(serial) else {
                    continue;
                };
                if status.job_id != Some(*id) {
                    continue;
                }
                let key = (status.state, status.step.clone());
                let changed = last.get(serial) != Some(&key);
                match (&mut bars, style) {
                    (Some(b), _) => show_bar(b, &status),
                    (None, Style::Lines) if changed => println!(
                        "{serial}  {}  {}  {}%  {}",
                        word(&status.state),
                        status.step.as_deref().unwrap_or("-"),
                        status.progress,
                        status
                            .error
                            .as_deref()
                            .or(status.message.as_deref())
                            .unwrap_or("")
                    ),
                    _ => {}
                }
                last.insert(serial.clone(), key);
            }
        }
        for id in finished {
            if let Some(serials) = open.remove(&id)
                && let Some(b) = &mut bars
            {
                for serial in serials {
                    if let Some(bar) = b.devices.remove(&serial) {
                        bar.finish_and_clear();
                        b.multi.remove(&bar);
                    }
                }
            }
        }
        let counts = counts(&ended);
        if let Some(b) = &bars {
            b.total.set_position(ended.jobs.len() as u64);
            let hidden = open.len().saturating_sub(b.devices.len());
            b.total
                .set_message(format!("{counts}; {hidden} more queued or running"));
        } else if style == Style::Quiet && last_count.elapsed() > Duration::from_secs(3) {
            println!(
                "[{:>3} s] {}/{} jobs ended: {counts}",
                started.elapsed().as_secs(),
                ended.jobs.len(),
                jobs.len()
            );
            last_count = Instant::now();
        }
        if open.is_empty() {
            break;
        }
        if interrupted.is_some_and(|i| i.load(Ordering::Relaxed)) {
            if let Some(b) = &bars {
                b.total.abandon();
            }
            return Err(CtlError::Failed(format!(
                "interrupted with {} job(s) still running",
                open.len()
            )));
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            if let Some(b) = &bars {
                b.total.abandon();
            }
            return Err(CtlError::Failed(format!(
                "{} job(s) still running when the time ran out",
                open.len()
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if let Some(b) = bars {
        b.total.finish();
        let _ = b.multi.clear();
    }
    Ok(ended)
}

fn show_bar(b: &mut Bars, status: &panos_queue::DeviceStatus) {
    let busy = status.state.is_busy() && status.state != DeviceState::Queued;
    if !busy {
        if let Some(bar) = b.devices.remove(&status.serial) {
            bar.finish_and_clear();
            b.multi.remove(&bar);
        }
        return;
    }
    if !b.devices.contains_key(&status.serial) {
        if b.devices.len() >= MAX_BARS {
            return;
        }
        let bar = b.multi.add(ProgressBar::new(100));
        bar.set_style(b.style.clone());
        bar.set_prefix(status.serial.to_string());
        b.devices.insert(status.serial.clone(), bar);
    }
    if let Some(bar) = b.devices.get(&status.serial) {
        bar.set_position(u64::from(status.progress));
        let host = status.hostname.as_deref().unwrap_or("");
        bar.set_message(format!(
            "{host} {} {}",
            word(&status.state),
            status.message.as_deref().unwrap_or("")
        ));
    }
}

/// `3 completed, 1 failed` over the ended jobs.
fn counts(ended: &Ended) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for job in ended.jobs.values() {
        let w = job
            .result
            .as_ref()
            .map_or_else(|| "?".to_owned(), |r| word(&r.outcome));
        *by.entry(w).or_default() += 1;
    }
    if by.is_empty() {
        return "none ended yet".to_owned();
    }
    by.iter()
        .map(|(w, n)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}
