//! `panosctl job submit|list|status|cancel`: writes job files into `queue/pending/` the
//! protocol way, reads every queue folder, and cancels through a `cancel` command (or, with no
//! daemon running, by filing a still-pending job in `cancelled/` directly). `job watch` is in
//! [`crate::watch`].

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use panos_queue::{
    CommandKind, CommandStatus, Job, JobId, JobKind, JobOutcome, JobResult, PostflightPolicy,
    QueueFolder, StateDir,
};
use serde::Serialize;

use crate::cli::{JobCommand, Postflight, SubmitArgs};
use crate::commands;
use crate::daemon::running_pid;
use crate::error::{CtlError, Result, parse_version};
use crate::output::print_json;
use crate::select::{self, Filter, Inventory, Planned};
use crate::{job_list, job_view, watch};

/// Runs a `job` subcommand.
pub fn run(state: &StateDir, command: JobCommand) -> Result<()> {
    match command {
        JobCommand::Submit(args) => submit(state, &args),
        JobCommand::List {
            state: only,
            output,
        } => job_list::list(state, &only, output.json),
        JobCommand::Status { job_id, output } => job_view::status(state, &job_id, output.json),
        JobCommand::Cancel { job_id, timeout } => cancel(state, &job_id, timeout),
        JobCommand::Watch { job_id } => watch::watch(state, job_id.as_deref()),
    }
}

/// The inventory: every `status/devices/<serial>.json`.
pub fn inventory(state: &StateDir) -> Result<Inventory> {
    Ok(state
        .list_device_statuses()?
        .into_iter()
        .map(|s| (s.serial.clone(), s))
        .collect())
}

/// The jobs `args` asks for, and notes for the operator.
pub fn plan(state: &StateDir, args: &SubmitArgs) -> Result<(Vec<Planned>, Vec<String>)> {
    let inventory = inventory(state)?;
    let filter = Filter {
        current_version: args
            .current_version
            .as_deref()
            .map(parse_version)
            .transpose()?,
        model: args.model.clone(),
    };
    let filtered = filter.current_version.is_some() || filter.model.is_some();
    if let Some(serial) = &args.device {
        if filtered {
            return Err(CtlError::Usage(
                "--current-version and --model go with --all or --from-file".to_owned(),
            ));
        }
        return Ok((vec![select::single(&inventory, serial)?], Vec::new()));
    }
    if let Some(pair) = &args.ha_pair {
        if filtered {
            return Err(CtlError::Usage(
                "--current-version and --model go with --all or --from-file".to_owned(),
            ));
        }
        return Ok((
            vec![select::pair(&inventory, &pair[0], &pair[1])?],
            Vec::new(),
        ));
    }
    let listed = match &args.from_file {
        Some(file) => Some(select::parse_list(&read_list(file)?)?),
        None if args.all => None,
        None => {
            return Err(CtlError::Usage(
                "say which devices: --device SERIAL, --ha-pair A B, --all or --from-file FILE"
                    .to_owned(),
            ));
        }
    };
    select::many(&inventory, listed, &filter)
}

fn read_list(file: &PathBuf) -> Result<String> {
    std::fs::read_to_string(file)
        .map_err(|e| CtlError::Usage(format!("cannot read {}: {e}", file.display())))
}

/// Builds the job file for `planned`.
pub fn job_for(planned: &Planned, args: &SubmitArgs) -> Result<Job> {
    let kind = match planned {
        Planned::Standalone(_) => JobKind::Standalone,
        Planned::Pair(..) => JobKind::HaPair,
    };
    let mut job = Job::new(JobId::new_random(), kind, planned.serials());
    job.dry_run = args.dry_run;
    job.target_version = args
        .target_version
        .as_deref()
        .map(parse_version)
        .transpose()?;
    job.submitted_by = Some(commands::submitted_by());
    job.submitted_at = Some(Utc::now());
    job.priority = (args.priority != 0).then_some(args.priority);
    job.options.suspend_passive_first = args.suspend_passive_first;
    job.options.postflight_failure = args.postflight.map(|policy| match policy {
        Postflight::Fail => PostflightPolicy::Fail,
        Postflight::Warn => PostflightPolicy::Warn,
    });
    Ok(job)
}

/// Refuses a target older than a device's running version (a downgrade).
fn check_target(state: &StateDir, jobs: &[Planned], args: &SubmitArgs) -> Result<()> {
    let Some(target) = args.target_version.as_deref() else {
        return Ok(());
    };
    let target = parse_version(target)?;
    let Ok(target_v) = target.as_str().parse::<panos_client::SoftwareVersion>() else {
        return Ok(());
    };
    let inventory = inventory(state)?;
    for serial in jobs.iter().flat_map(Planned::serials) {
        let current = inventory
            .get(&serial)
            .and_then(|s| s.current_version.as_ref())
            .and_then(|v| v.as_str().parse::<panos_client::SoftwareVersion>().ok());
        if let Some(current) = current
            && current > target_v
        {
            return Err(CtlError::Usage(format!(
                "{serial} runs {current}, newer than the target {target}: panos-upgrade does \
                 not downgrade; leave it out or choose another --target-version"
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Submitted {
    job_id: JobId,
    kind: JobKind,
    devices: Vec<String>,
}

/// Leaves out devices that a pending or active job already holds: one job per device at a
/// time. For a single device or pair that is an error; for many, a note.
fn without_queued(
    state: &StateDir,
    planned: Vec<Planned>,
    many: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<Planned>> {
    let mut held = std::collections::BTreeMap::new();
    for folder in [QueueFolder::Pending, QueueFolder::Active] {
        for (_, job) in state.read_jobs(folder)? {
            if let Ok(job) = job {
                for serial in &job.devices {
                    held.insert(serial.clone(), (job.job_id, folder.name()));
                }
            }
        }
    }
    let mut kept = Vec::new();
    let mut left_out = 0;
    for p in planned {
        let holder = p
            .serials()
            .iter()
            .find_map(|s| held.get(s).map(|h| (s.clone(), *h)));
        match holder {
            None => kept.push(p),
            Some((serial, (id, folder))) if !many => {
                return Err(CtlError::Failed(format!(
                    "{serial} is already in job {id} ({folder}): cancel it (`panosctl job \
                     cancel {id}`) or wait for it to end"
                )));
            }
            Some(_) => left_out += p.serials().len(),
        }
    }
    if left_out > 0 {
        notes.push(format!(
            "{left_out} device(s) left out: already in a pending or active job"
        ));
    }
    if kept.is_empty() {
        return Err(CtlError::NotFound(
            "every device chosen is already in a pending or active job".to_owned(),
        ));
    }
    Ok(kept)
}

/// Writes the jobs and returns them.
pub fn write_jobs(state: &StateDir, planned: &[Planned], args: &SubmitArgs) -> Result<Vec<Job>> {
    let jobs = planned
        .iter()
        .map(|p| job_for(p, args))
        .collect::<Result<Vec<_>>>()?;
    for job in &jobs {
        state.submit_job(job)?;
    }
    Ok(jobs)
}

fn submit(state: &StateDir, args: &SubmitArgs) -> Result<()> {
    if let Some(target) = &args.target_version {
        parse_version(target)?;
    }
    let (planned, mut notes) = plan(state, args)?;
    let planned = without_queued(
        state,
        planned,
        args.all || args.from_file.is_some(),
        &mut notes,
    )?;
    check_target(state, &planned, args)?;
    if !state.queue_dir(QueueFolder::Pending).is_dir() {
        state.create()?;
    }
    let jobs = write_jobs(state, &planned, args)?;
    for note in &notes {
        eprintln!("panosctl: note: {note}");
    }
    if running_pid(state)?.is_none() {
        eprintln!(
            "panosctl: note: panosd is not running; the jobs wait in queue/pending/ until it \
             starts (`panosctl daemon start`)"
        );
    }
    let submitted: Vec<Submitted> = jobs
        .iter()
        .map(|j| Submitted {
            job_id: j.job_id,
            kind: j.kind,
            devices: j.devices.iter().map(ToString::to_string).collect(),
        })
        .collect();
    if args.json {
        print_json(&submitted);
        return Ok(());
    }
    for s in &submitted {
        let kind = if s.kind == JobKind::HaPair {
            "ha_pair"
        } else {
            "standalone"
        };
        println!("{}  {kind:<10}  {}", s.job_id, s.devices.join(" "));
    }
    let devices: usize = submitted.iter().map(|s| s.devices.len()).sum();
    let dry = if args.dry_run { " (dry run)" } else { "" };
    println!(
        "{} job(s) submitted for {devices} device(s){dry}; follow with `panosctl job watch`",
        submitted.len()
    );
    Ok(())
}

/// Finds a job by id or unique id prefix: its folder and file.
pub fn find(state: &StateDir, text: &str) -> Result<(QueueFolder, PathBuf, Job)> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(CtlError::Usage(format!(
            "{text:?} is not a job id (a UUID such as 0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e, or \
             its first characters)"
        )));
    }
    let mut found = Vec::new();
    for folder in QueueFolder::ALL {
        for (path, job) in state.read_jobs(folder)? {
            if let Ok(job) = job
                && job.job_id.to_string().starts_with(&text)
            {
                found.push((folder, path, job));
            }
        }
    }
    match found.len() {
        0 => Err(CtlError::NotFound(format!(
            "no job {text} in queue/: see `panosctl job list`"
        ))),
        1 => Ok(found.remove(0)),
        n => Err(CtlError::Usage(format!(
            "{n} jobs start with {text}: give more of the id"
        ))),
    }
}

fn cancel(state: &StateDir, text: &str, timeout: u64) -> Result<()> {
    let (folder, _, job) = find(state, text)?;
    let id = job.job_id;
    if !matches!(folder, QueueFolder::Pending | QueueFolder::Active) {
        return Err(CtlError::Failed(format!(
            "job {id} has already ended ({})",
            folder.name()
        )));
    }
    let mut command = commands::command(CommandKind::Cancel, None);
    command.job_id = Some(id);
    if running_pid(state)?.is_none() {
        if folder == QueueFolder::Pending {
            let result = JobResult {
                outcome: JobOutcome::Cancelled,
                started_at: None,
                finished_at: Utc::now(),
                error: None,
                manual_action: None,
                cancelled_by: command.submitted_by.clone(),
                devices: Vec::new(),
            };
            if state.cancel_pending(id, result)?.is_some() {
                println!("job {id} cancelled (it was pending; panosd is not running)");
                return Ok(());
            }
        }
        let name = commands::submit(state, &command)?;
        eprintln!(
            "panosctl: the job is {} and the cancel request is queued as commands/incoming/{name}; \
             panosd handles it when it starts",
            folder.name()
        );
        return Err(CtlError::NotRunning {
            state_dir: state.root().to_owned(),
        });
    }
    let result = commands::ask(state, &command, Duration::from_secs(timeout))?;
    match result.status {
        CommandStatus::Accepted => {
            let was = result
                .payload
                .as_ref()
                .and_then(|p| p.get("was"))
                .and_then(|w| w.as_str())
                .unwrap_or("queued");
            let note = result.reason.map(|r| format!(": {r}")).unwrap_or_default();
            println!("job {id} cancelled (it was {was}){note}");
            Ok(())
        }
        CommandStatus::Rejected | CommandStatus::Failed => Err(CtlError::Failed(format!(
            "panosd did not cancel job {id}: {}",
            result
                .reason
                .unwrap_or_else(|| "no reason given".to_owned())
        ))),
    }
}
