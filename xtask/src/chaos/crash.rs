//! The crash loop: a fleet upgraded by the real `panosd` process while it is killed with
//! SIGKILL at seeded random moments and started again each time; now and then a second
//! daemon is started on the same directory and must refuse. Jobs are submitted in batches,
//! some while no daemon runs.
//!
//! Checked: every job ends in exactly one final folder; every file of the state directory
//! parses and validates at every observation ([`super::observe`]); every device ends on its
//! target version or failed with a manual action; no changing command accepted twice
//! ([`super::sends`]); no two daemons at once (each process held the lock or refused, and
//! no refused process ever appears as the lock's or `status/daemon.json`'s pid); nothing
//! left in `active/` or `checkpoints/`.

use std::collections::HashSet;
use std::path::Path;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use panos_queue::{DeviceOutcome, Job, JobId, JobOutcome, QueueFolder, StateDir};
use panos_sim::{Fault, FaultRule, Op};
use tokio::runtime::Runtime;

use super::lab::{Lab, LabConfig, Unit, generated_fleet};
use super::observe::{Observer, Schemas};
use super::process::{Running, kill_now, stop, wait_exit};
use super::rng::Rng;
use super::{Options, Phase, sends};

/// How long the daemon may take to finish the jobs once the kills are over (a hang guard).
const FINISH_LIMIT: Duration = Duration::from_secs(900);

/// Runs the crash loop; returns its report and the lab (kept for the secrets scan).
pub fn run(
    runtime: &Runtime,
    options: &Options,
    schemas: Arc<Schemas>,
    panosd: &Path,
) -> Result<(Phase, Lab), String> {
    let started = Instant::now();
    let mut rng = Rng::new(options.seed);
    let mut fleet = generated_fleet(options.devices, options.ha_pairs, options.seed);
    let injected = inject_faults(&mut fleet);
    let config = LabConfig {
        scale: options.scale,
        workers: options.workers,
        paths: None,
    };
    let mut lab = Lab::start(runtime, fleet, &config)?;
    let mut phase = Phase::new("crash loop");
    let units = lab.units();
    // Most jobs at once; the rest in batches after some kills, while no daemon runs.
    let first = units.len() - units.len() / 3;
    let mut jobs: Vec<(JobId, Unit)> = Vec::new();
    for unit in &units[..first] {
        jobs.push((lab.submit(unit)?, unit.clone()));
    }
    let mut later: Vec<&[Unit]> = units[first..].chunks(units.len() / 9 + 1).collect();
    later.reverse();

    let observer = Observer::start(lab.root(), schemas, false);
    let mut daemon_pids: Vec<u32> = Vec::new();
    let mut intruder_pids: HashSet<u32> = HashSet::new();
    let mut refused = 0usize;
    for k in 0..options.kills {
        let mut daemon = lab.spawn_daemon(panosd)?;
        let n = lab.started();
        daemon_pids.push(daemon.id());
        let delay = Duration::from_millis(rng.range(options.kill_ms.0, options.kill_ms.1));
        let until = Instant::now() + delay;
        let intrude = k % 3 == 1;
        let mut intruded = false;
        while Instant::now() < until {
            if let Ok(Some(status)) = daemon.try_wait() {
                phase.violations.push(format!(
                    "daemon {n} (pid {}) exited by itself ({status}): {}",
                    daemon.id(),
                    lab.stderr_of(n).trim()
                ));
                break;
            }
            check_pids(&lab.dir(), &intruder_pids, &mut phase.violations);
            if intrude && !intruded && holds_lock(&lab.dir(), daemon.id()) {
                intruded = true;
                intruder_pids.insert(intrude_once(&mut lab, panosd, &daemon, &mut phase)?);
                refused += 1;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if kill_now(&mut daemon).is_none() {
            phase
                .violations
                .push(format!("daemon {n} did not die on SIGKILL"));
        }
        if let Some(batch) = later.pop() {
            for unit in batch {
                jobs.push((lab.submit(unit)?, unit.clone()));
            }
        }
    }
    for batch in later.drain(..) {
        for unit in batch {
            jobs.push((lab.submit(unit)?, unit.clone()));
        }
    }

    // The last daemon finishes the work and stops cleanly.
    let mut daemon = lab.spawn_daemon(panosd)?;
    let n = lab.started();
    daemon_pids.push(daemon.id());
    let finished = wait_all_filed(&lab.dir(), &jobs, &mut daemon, &intruder_pids, &mut phase);
    if !finished {
        phase.violations.push(format!(
            "the jobs did not all end within {} s after the last kill",
            FINISH_LIMIT.as_secs()
        ));
    }
    // Stopped once it runs (the jobs may all have been filed before it started): a stop
    // during start-up is another matter than the clean stop of a running daemon.
    let up_by = Instant::now() + Duration::from_secs(30);
    while !holds_lock(&lab.dir(), daemon.id())
        && Instant::now() < up_by
        && daemon.try_wait().ok().flatten().is_none()
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    match stop(&mut daemon) {
        Ok(()) => {}
        Err(Some(status)) => phase.violations.push(format!(
            "the last daemon ended with {status} on SIGTERM: {}",
            lab.stderr_of(n).trim()
        )),
        Err(None) => phase
            .violations
            .push("the last daemon did not stop within 60 s of SIGTERM".into()),
    }
    let seen = observer.finish();
    seen.report_into(&mut phase.violations);

    let dir = lab.dir();
    let outcomes = check_jobs(&dir, &jobs, &mut phase.violations);
    check_devices(&lab, &jobs, &outcomes, &mut phase.violations);
    check_leftovers(&dir, &mut phase.violations);
    let requests = lab.sim.requests();
    let counters = lab.sim.counters();
    if counters.total as usize != requests.len() {
        phase.violations.push(format!(
            "the request log kept {} of {} requests: the duplicate check is incomplete",
            requests.len(),
            counters.total
        ));
    }
    let dups = sends::duplicate_sends(&requests, &lab.sim.devices());
    phase.violations.extend(dups.iter().cloned());

    let devices: usize = jobs.iter().map(|(_, u)| u.serials.len()).sum();
    let failed_devices = outcomes
        .iter()
        .flat_map(|j| j.result.iter().flat_map(|r| r.devices.iter()))
        .filter(|d| d.outcome == DeviceOutcome::Failed)
        .count();
    // Failures of devices without an injected fault break no invariant (they say what to
    // do) but a crash should not cause one: each is shown.
    for job in &outcomes {
        let Some(result) = &job.result else { continue };
        for d in &result.devices {
            if d.outcome == DeviceOutcome::Failed
                && !injected.iter().any(|s| s == d.serial.as_str())
            {
                phase.notes.push(format!(
                    "{} failed without an injected fault at step {}: {} (manual action: {})",
                    d.serial,
                    d.step.as_deref().unwrap_or("?"),
                    d.error.as_deref().unwrap_or("no error"),
                    d.manual_action.as_deref().unwrap_or("none")
                ));
            }
        }
    }
    let count = |o: JobOutcome| {
        outcomes
            .iter()
            .filter(|j| j.result.as_ref().is_some_and(|r| r.outcome == o))
            .count()
    };
    phase.figure("kills (SIGKILL)", options.kills);
    phase.figure("daemons started", daemon_pids.len());
    phase.figure("second daemons refused by the lock", refused);
    phase.figure("jobs submitted", jobs.len());
    phase.figure(
        "jobs completed / failed / cancelled",
        format!(
            "{} / {} / {}",
            count(JobOutcome::Completed),
            count(JobOutcome::Failed),
            count(JobOutcome::Cancelled)
        ),
    );
    phase.figure("devices", devices);
    phase.figure(
        "devices failed (injected faults)",
        format!("{failed_devices} ({})", injected.len()),
    );
    phase.figure("API calls to Panorama", counters.total);
    phase.figure(
        "changing commands accepted",
        requests
            .iter()
            .filter(|r| r.response == panos_sim::ResponseKind::Ok && changing(r.op))
            .count(),
    );
    phase.figure("duplicate sends", dups.len());
    phase.figure(
        "state-dir observations (passes / file versions validated)",
        format!("{} / {}", seen.passes, seen.files_checked),
    );
    phase.figure(
        "simulated time",
        format!("{:.1} h", lab.sim.sim_elapsed().as_secs_f64() / 3600.0),
    );
    phase.figure("time", format!("{:.1} s", started.elapsed().as_secs_f64()));
    lab.shutdown(runtime);
    Ok((phase, lab))
}

fn changing(op: Op) -> bool {
    matches!(
        op,
        Op::SoftwareDownload | Op::SoftwareInstall | Op::Restart | Op::HaSuspend | Op::HaFunctional
    )
}

/// Two faults whose outcome survives any crash (an install job that fails; routes lost after
/// the reboot), on standalone firewalls that have an upgrade to do. Returns their serials.
fn inject_faults(fleet: &mut panos_sim::FleetSpec) -> Vec<String> {
    let paths = panos_sim::upgrade_paths(&fleet.devices);
    let mut candidates = fleet
        .devices
        .iter_mut()
        .filter(|d| d.ha.is_none() && paths.get(&d.sw_version).is_some_and(|p| !p.is_empty()));
    let mut injected = Vec::new();
    if let Some(d) = candidates.next() {
        d.faults
            .push(FaultRule::always(Fault::JobFail).on(Op::SoftwareInstall));
        injected.push(d.serial.clone());
    }
    if let Some(d) = candidates.nth(3) {
        let count = d.routes.max(2) / 2 + 1;
        d.faults
            .push(FaultRule::always(Fault::RoutesLost { count }));
        injected.push(d.serial.clone());
    }
    injected
}

/// Whether `pid` holds the state directory: the lock names it and so does `daemon.json`.
fn holds_lock(dir: &StateDir, pid: u32) -> bool {
    panos_queue::read_lock_pid(dir.root()).ok().flatten() == Some(pid)
        && dir
            .read_daemon_status()
            .ok()
            .flatten()
            .is_some_and(|d| d.pid == pid)
}

/// No refused process ever shows as the lock's or the daemon status's pid.
fn check_pids(dir: &StateDir, intruders: &HashSet<u32>, violations: &mut Vec<String>) {
    if intruders.is_empty() {
        return;
    }
    if let Ok(Some(pid)) = panos_queue::read_lock_pid(dir.root())
        && intruders.contains(&pid)
    {
        violations.push(format!(
            "the lock names pid {pid}, a daemon that had refused"
        ));
    }
    if let Ok(Some(status)) = dir.read_daemon_status()
        && intruders.contains(&status.pid)
    {
        violations.push(format!(
            "status/daemon.json names pid {}, a daemon that had refused",
            status.pid
        ));
    }
}

/// Starts a second daemon while `holder` holds the lock: it must exit non-zero naming the
/// holder. Returns its pid.
fn intrude_once(
    lab: &mut Lab,
    panosd: &Path,
    holder: &Child,
    phase: &mut Phase,
) -> Result<u32, String> {
    let mut second = lab.spawn_daemon(panosd)?;
    let n = lab.started();
    let pid = second.id();
    match wait_exit(&mut second, Duration::from_secs(30)) {
        None => {
            phase.violations.push(format!(
                "a second daemon (pid {pid}) ran beside pid {} for 30 s",
                holder.id()
            ));
            kill_now(&mut second);
        }
        Some(status) => {
            let stderr = lab.stderr_of(n);
            let names_holder = stderr.contains(&format!("locked by pid {}", holder.id()));
            if status.success() || !names_holder {
                phase.violations.push(format!(
                    "a second daemon (pid {pid}) ended with {status} without refusing for \
                     pid {}: {}",
                    holder.id(),
                    stderr.trim()
                ));
            }
        }
    }
    Ok(pid)
}

/// Waits until every job is in a final folder (or the daemon dies, or the limit passes).
fn wait_all_filed(
    dir: &StateDir,
    jobs: &[(JobId, Unit)],
    daemon: &mut Running,
    intruders: &HashSet<u32>,
    phase: &mut Phase,
) -> bool {
    let deadline = Instant::now() + FINISH_LIMIT;
    let mut open: Vec<JobId> = jobs.iter().map(|(id, _)| *id).collect();
    while Instant::now() < deadline {
        open.retain(|id| {
            !matches!(
                dir.find_job(*id),
                Some((
                    QueueFolder::Completed | QueueFolder::Failed | QueueFolder::Cancelled,
                    _
                ))
            )
        });
        if open.is_empty() {
            return true;
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            phase
                .violations
                .push(format!("the last daemon exited by itself ({status})"));
            return false;
        }
        check_pids(dir, intruders, &mut phase.violations);
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Every job is in exactly one final folder, once, not quarantined; returns the filed jobs.
fn check_jobs(dir: &StateDir, jobs: &[(JobId, Unit)], violations: &mut Vec<String>) -> Vec<Job> {
    let mut names: Vec<(QueueFolder, String)> = Vec::new();
    for folder in QueueFolder::ALL {
        if let Ok(entries) = std::fs::read_dir(dir.queue_dir(folder)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && name.ends_with(".json") {
                    names.push((folder, name));
                }
            }
        }
    }
    let mut filed = Vec::new();
    for (id, _) in jobs {
        let id_text = id.to_string();
        let copies: Vec<&(QueueFolder, String)> = names
            .iter()
            .filter(|(_, name)| name.starts_with(&id_text))
            .collect();
        let whole = format!("{id_text}.json");
        match copies.as_slice() {
            [(folder, name)] if *name == whole => match folder {
                QueueFolder::Completed | QueueFolder::Failed | QueueFolder::Cancelled => {
                    let path = dir.job_path(*folder, name);
                    match std::fs::read(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|b| panos_queue::fsio::decode::<Job>(&b))
                    {
                        Ok(job) => filed.push(job),
                        Err(e) => violations.push(format!("job {id_text}: {e}")),
                    }
                }
                other => violations.push(format!("job {id_text} ended in {}/", other.name())),
            },
            [] => violations.push(format!("job {id_text} is in no queue folder")),
            more => violations.push(format!(
                "job {id_text} is in {} places: {:?}",
                more.len(),
                more.iter()
                    .map(|(f, n)| format!("{}/{n}", f.name()))
                    .collect::<Vec<_>>()
            )),
        }
    }
    filed
}

/// Every device is on its target, or failed with a manual action.
fn check_devices(lab: &Lab, jobs: &[(JobId, Unit)], filed: &[Job], v: &mut Vec<String>) {
    for (id, unit) in jobs {
        let job = filed.iter().find(|j| j.job_id == *id);
        for (serial, target) in unit.serials.iter().zip(&unit.targets) {
            let running = lab.sim.device(serial).map(|d| d.sw_version);
            if running.as_deref() == Some(target.as_str()) {
                continue;
            }
            let result = job
                .and_then(|j| j.result.as_ref())
                .and_then(|r| r.devices.iter().find(|d| d.serial.as_str() == serial));
            match result {
                Some(d)
                    if d.outcome == DeviceOutcome::Failed
                        && d.manual_action.as_deref().is_some_and(|m| !m.is_empty()) => {}
                Some(d) => v.push(format!(
                    "{serial} runs {} (target {target}) and its job says {:?}: {}",
                    running.unwrap_or_default(),
                    d.outcome,
                    d.message
                        .clone()
                        .or(d.error.clone())
                        .unwrap_or_else(|| "no reason".into())
                )),
                None => v.push(format!(
                    "{serial} runs {} (target {target}) and no job result names it",
                    running.unwrap_or_default()
                )),
            }
        }
    }
}

/// Nothing left in `active/` or `checkpoints/` once every job ended.
fn check_leftovers(dir: &StateDir, violations: &mut Vec<String>) {
    for folder in [dir.queue_dir(QueueFolder::Active), dir.checkpoints_dir()] {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    violations.push(format!("{} left in {}", name, folder.display()));
                }
            }
        }
    }
}
