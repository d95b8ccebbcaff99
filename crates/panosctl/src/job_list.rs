//! `panosctl job list`: every job file of the queue folders (refused files too, with their
//! reason), newest first, as a table or JSON; and the one-line result of a finished job.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use panos_queue::{Job, JobResult, QueueFolder, StateDir};
use serde::Serialize;

use crate::cli::JobState;
use crate::error::Result;
use crate::output::{or_dash, print_json, render, state_cell, table};

/// One row of `job list`.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// The folder (`pending`, …) or `rejected`.
    pub state: String,
    /// The job file's name.
    pub file: String,
    /// The job, when the file decodes.
    pub job: Option<Job>,
    /// Why the file was refused.
    pub error: Option<String>,
}

/// The folder's state word.
pub fn folder_word(folder: QueueFolder) -> &'static str {
    folder.name()
}

fn folder_of(state: JobState) -> QueueFolder {
    match state {
        JobState::Pending => QueueFolder::Pending,
        JobState::Active => QueueFolder::Active,
        JobState::Completed => QueueFolder::Completed,
        JobState::Failed => QueueFolder::Failed,
        JobState::Cancelled => QueueFolder::Cancelled,
    }
}

/// Every job of the chosen folders (all when `only` is empty), newest first.
pub fn collect(state: &StateDir, only: &[JobState]) -> Result<Vec<Listed>> {
    let folders: Vec<QueueFolder> = if only.is_empty() {
        QueueFolder::ALL.to_vec()
    } else {
        only.iter().map(|s| folder_of(*s)).collect()
    };
    let mut rows = Vec::new();
    for folder in folders {
        for (path, job) in state.read_jobs(folder)? {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let row = match job {
                Ok(job) => Listed {
                    state: folder_word(folder).to_owned(),
                    file,
                    job: Some(job),
                    error: None,
                },
                Err(reason) => Listed {
                    state: "rejected".to_owned(),
                    file,
                    job: None,
                    error: Some(reason),
                },
            };
            rows.push(row);
        }
    }
    fn key(r: &Listed) -> (Option<DateTime<Utc>>, &str) {
        (r.job.as_ref().and_then(|j| j.submitted_at), r.file.as_str())
    }
    // Newest first; compared by reference (10,000 rows: no copy per comparison).
    rows.sort_by(|a, b| key(b).cmp(&key(a)));
    Ok(rows)
}

/// An error line without its trailing `. Manual action: …` (shown on its own elsewhere).
pub fn without_manual_action(error: &str) -> &str {
    error.split(". Manual action:").next().unwrap_or(error)
}

/// The one-line result of a finished job.
pub fn result_line(result: Option<&JobResult>) -> String {
    let Some(result) = result else {
        return "-".to_owned();
    };
    if let Some(error) = &result.error {
        return without_manual_action(error).to_owned();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in &result.devices {
        *counts.entry(crate::output::word(&d.outcome)).or_default() += 1;
    }
    counts
        .iter()
        .map(|(w, n)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn list(state: &StateDir, only: &[JobState], json: bool) -> Result<()> {
    let rows = collect(state, only)?;
    if json {
        print_json(&rows);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no jobs");
        return Ok(());
    }
    let mut t = table(&[
        "JOB",
        "STATE",
        "KIND",
        "DEVICES",
        "TARGET",
        "DRY RUN",
        "SUBMITTED",
        "RESULT",
    ]);
    for row in &rows {
        match &row.job {
            Some(job) => t.add_row(vec![
                comfy_table::Cell::new(job.job_id),
                state_cell(&row.state),
                comfy_table::Cell::new(crate::output::word(&job.kind)),
                comfy_table::Cell::new(
                    job.devices
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                comfy_table::Cell::new(or_dash(job.target_version.as_ref())),
                comfy_table::Cell::new(if job.dry_run { "yes" } else { "no" }),
                comfy_table::Cell::new(or_dash(
                    job.submitted_at.map(|t| t.format("%Y-%m-%d %H:%M:%S")),
                )),
                comfy_table::Cell::new(result_line(job.result.as_ref())),
            ]),
            None => t.add_row(vec![
                comfy_table::Cell::new(&row.file),
                state_cell(&row.state),
                comfy_table::Cell::new("-"),
                comfy_table::Cell::new("-"),
                comfy_table::Cell::new("-"),
                comfy_table::Cell::new("-"),
                comfy_table::Cell::new("-"),
                comfy_table::Cell::new(or_dash(row.error.as_ref())),
            ]),
        };
    }
    print!("{}", render(&t));
    Ok(())
}
