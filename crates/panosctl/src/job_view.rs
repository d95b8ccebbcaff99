//! `panosctl job status ID`: one job in detail. A finished job shows its result per device
//! (outcome, versions, path, the failed step, the error and the manual action); a pending or
//! running one shows each device's live status file.

use comfy_table::Cell;
use panos_queue::{DeviceStatus, Job, QueueFolder, StateDir};
use serde::Serialize;

use crate::error::Result;
use crate::job::find;
use crate::job_list::result_line;
use crate::output::{or_dash, path_text, print_json, render, state_cell, table, word};

#[derive(Serialize)]
struct View {
    state: String,
    job: Job,
    live: Vec<DeviceStatus>,
}

/// Prints job `text` (an id or unique prefix).
pub fn status(state: &StateDir, text: &str, json: bool) -> Result<()> {
    let (folder, _, job) = find(state, text)?;
    let live = if matches!(folder, QueueFolder::Pending | QueueFolder::Active) {
        job.devices
            .iter()
            .filter_map(|s| state.read_device_status(s).ok().flatten())
            .filter(|s| s.job_id == Some(job.job_id))
            .collect()
    } else {
        Vec::new()
    };
    let view = View {
        state: folder.name().to_owned(),
        job,
        live,
    };
    if json {
        print_json(&view);
    } else {
        print!("{}", text_of(&view));
    }
    Ok(())
}

fn text_of(view: &View) -> String {
    let job = &view.job;
    let mut head = table(&[]);
    let mut kv = |k: &str, v: String| {
        head.add_row(vec![Cell::new(k), Cell::new(v)]);
    };
    kv("job", job.job_id.to_string());
    kv("state", view.state.clone());
    kv("kind", word(&job.kind));
    if let Some(name) = job.pair_name() {
        kv("ha pair", name.to_string());
    }
    kv(
        "devices",
        job.devices
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    );
    kv("dry run", if job.dry_run { "yes" } else { "no" }.to_owned());
    kv(
        "target",
        job.target_version
            .as_ref()
            .map_or_else(|| "from upgrade_paths.json".to_owned(), ToString::to_string),
    );
    kv("submitted by", or_dash(job.submitted_by.as_ref()));
    kv(
        "submitted at",
        or_dash(job.submitted_at.map(|t| t.to_rfc3339())),
    );
    if let Some(result) = &job.result {
        kv("outcome", word(&result.outcome));
        kv(
            "started",
            or_dash(result.started_at.map(|t| t.to_rfc3339())),
        );
        kv("finished", result.finished_at.to_rfc3339());
        kv("summary", result_line(Some(result)));
        if let Some(by) = &result.cancelled_by {
            kv("cancelled by", by.clone());
        }
    }
    let mut out = render(&head);
    out.push('\n');
    let mut manual = Vec::new();
    if let Some(result) = &job.result {
        let mut t = table(&[
            "SERIAL", "HOSTNAME", "ROLE", "OUTCOME", "FROM", "TO", "PATH", "STEP", "DETAIL",
        ]);
        for d in &result.devices {
            let detail = d
                .error
                .as_deref()
                .map(|e| crate::job_list::without_manual_action(e).to_owned())
                .or_else(|| d.message.clone())
                .or_else(|| (!d.warnings.is_empty()).then(|| d.warnings.join("; ")))
                .unwrap_or_else(|| "-".to_owned());
            t.add_row(vec![
                Cell::new(&d.serial),
                Cell::new(or_dash(d.hostname.as_ref())),
                Cell::new(or_dash(d.ha_role.as_ref())),
                state_cell(&word(&d.outcome)),
                Cell::new(or_dash(d.from_version.as_ref())),
                Cell::new(or_dash(d.to_version.as_ref())),
                Cell::new(path_text(&d.path)),
                Cell::new(or_dash(d.step.as_ref())),
                Cell::new(detail),
            ]);
            if let Some(action) = &d.manual_action {
                manual.push(format!("{}: {action}", d.serial));
            }
        }
        out.push_str(&render(&t));
        if manual.is_empty()
            && let Some(action) = &result.manual_action
        {
            manual.push(action.clone());
        }
    } else {
        let mut t = table(&[
            "SERIAL", "HOSTNAME", "ROLE", "STATE", "VERSION", "PATH", "STEP", "PROGRESS", "MESSAGE",
        ]);
        for serial in &job.devices {
            let live = view.live.iter().find(|s| &s.serial == serial);
            match live {
                Some(s) => {
                    t.add_row(vec![
                        Cell::new(serial),
                        Cell::new(or_dash(s.hostname.as_ref())),
                        Cell::new(or_dash(s.ha_role.as_ref())),
                        state_cell(&word(&s.state)),
                        Cell::new(or_dash(s.current_version.as_ref())),
                        Cell::new(path_text(&s.path)),
                        Cell::new(or_dash(s.step.as_ref())),
                        Cell::new(format!("{}%", s.progress)),
                        Cell::new(or_dash(s.error.as_ref().or(s.message.as_ref()))),
                    ]);
                    if let Some(action) = &s.manual_action {
                        manual.push(format!("{serial}: {action}"));
                    }
                }
                None => {
                    t.add_row(vec![
                        Cell::new(serial),
                        Cell::new("-"),
                        Cell::new("-"),
                        state_cell("queued"),
                        Cell::new("-"),
                        Cell::new("-"),
                        Cell::new("-"),
                        Cell::new("0%"),
                        Cell::new("-"),
                    ]);
                }
            }
        }
        out.push_str(&render(&t));
    }
    if !manual.is_empty() {
        out.push_str("\nManual actions:\n");
        for line in manual {
            out.push_str(&format!("  - {line}\n"));
        }
    }
    out
}
