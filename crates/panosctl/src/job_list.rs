//! `panosctl job list`: every job file of the queue folders (refused files too, with their
//! reason), newest first, as a table or JSON; and the one-line result of a finished job.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use panos_queue::fsio;
use panos_queue::{Job, JobResult, QueueFolder, StateDir};
use serde::Serialize;

use crate::cli::JobState;
use crate::error::Result;
use crate::output::{is_terminal, or_dash, plain_table, print_json, render, state_cell, table};

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

/// Every job of the chosen folders (all when `only` is empty), newest first. The files are
/// read and decoded on a few threads (10,000 files: most of the listing's time).
pub fn collect(state: &StateDir, only: &[JobState]) -> Result<Vec<Listed>> {
    let folders: Vec<QueueFolder> = if only.is_empty() {
        QueueFolder::ALL.to_vec()
    } else {
        only.iter().map(|s| folder_of(*s)).collect()
    };
    let mut files = Vec::new();
    for folder in folders {
        for path in fsio::list_candidates(&state.queue_dir(folder))? {
            files.push((folder, path));
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_READERS);
    let chunk = files.len().div_ceil(threads).max(MIN_FILES_PER_READER);
    let mut rows: Vec<Listed> = std::thread::scope(|scope| {
        let readers: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().filter_map(read_row).collect::<Vec<_>>()))
            .collect();
        readers
            .into_iter()
            .flat_map(|reader| {
                reader
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    });
    fn key(r: &Listed) -> (Option<DateTime<Utc>>, &str) {
        (r.job.as_ref().and_then(|j| j.submitted_at), r.file.as_str())
    }
    // Newest first; compared by reference (10,000 rows: no copy per comparison).
    rows.sort_by(|a, b| key(b).cmp(&key(a)));
    Ok(rows)
}

/// At most this many threads read job files.
const MAX_READERS: usize = 4;
/// A thread is worth starting for this many files.
const MIN_FILES_PER_READER: usize = 500;

/// One job file as a row; `None` when it vanished since the folder was listed (the daemon
/// moved it on).
fn read_row((folder, path): &(QueueFolder, PathBuf)) -> Option<Listed> {
    let job = panos_queue::read_job_file(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(match job {
        Ok(job) => Listed {
            state: folder_word(*folder).to_owned(),
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
    })
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
    const HEADER: [&str; 8] = [
        "JOB",
        "STATE",
        "KIND",
        "DEVICES",
        "TARGET",
        "DRY RUN",
        "SUBMITTED",
        "RESULT",
    ];
    let cells: Vec<Vec<String>> = rows.iter().map(row_cells).collect();
    if !is_terminal()
        && let Some(text) = plain_table(&HEADER, &cells)
    {
        // Written at once, and a closed pipe (`| head`) is not an error.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        return Ok(());
    }
    let mut t = table(&HEADER);
    for (row, cells) in rows.iter().zip(cells) {
        let mut cells: Vec<comfy_table::Cell> =
            cells.into_iter().map(comfy_table::Cell::new).collect();
        cells[1] = state_cell(&row.state);
        t.add_row(cells);
    }
    print!("{}", render(&t));
    Ok(())
}

/// The cells of one `job list` row.
fn row_cells(row: &Listed) -> Vec<String> {
    match &row.job {
        Some(job) => vec![
            job.job_id.to_string(),
            row.state.clone(),
            crate::output::word(&job.kind),
            job.devices
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            or_dash(job.target_version.as_ref()),
            if job.dry_run { "yes" } else { "no" }.to_owned(),
            or_dash(job.submitted_at.map(|t| t.format("%Y-%m-%d %H:%M:%S"))),
            result_line(job.result.as_ref()),
        ],
        None => {
            let mut cells = vec!["-".to_owned(); 8];
            cells[0] = row.file.clone();
            cells[1] = row.state.clone();
            cells[7] = or_dash(row.error.as_ref());
            cells
        }
    }
}
