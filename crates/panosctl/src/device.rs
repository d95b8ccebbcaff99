//! `panosctl device list|status|validate|metrics`: the inventory from `status/devices/`, and
//! the readiness checks and metrics snapshots that the daemon takes on request (a `validate`
//! or `collect_metrics` command, waited for in `commands/processed/`).

use std::time::Duration;

use comfy_table::Cell;
use panos_queue::{CommandKind, CommandResult, CommandStatus, DeviceStatus, Serial, StateDir};
use panos_validation::{ReadinessReport, Snapshot};

use crate::cli::DeviceCommand;
use crate::commands;
use crate::daemon::require_running;
use crate::error::{CtlError, Result, parse_serial};
use crate::job::inventory;
use crate::output::{or_dash, path_text, print_json, render, state_cell, table, word};

/// Runs a `device` subcommand.
pub fn run(state: &StateDir, command: DeviceCommand) -> Result<()> {
    match command {
        DeviceCommand::List(out) => list(state, out.json),
        DeviceCommand::Status { serial, output } => status(state, &serial, output.json),
        DeviceCommand::Validate {
            serial,
            timeout,
            output,
        } => validate(state, &serial, timeout, output.json),
        DeviceCommand::Metrics {
            serial,
            timeout,
            output,
        } => metrics(state, &serial, timeout, output.json),
    }
}

fn list(state: &StateDir, json: bool) -> Result<()> {
    let devices: Vec<DeviceStatus> = inventory(state)?.into_values().collect();
    if json {
        print_json(&devices);
        return Ok(());
    }
    if devices.is_empty() {
        println!(
            "no devices yet: panosd writes status/devices/ when it reads the inventory from \
             Panorama (at start, then every 15 minutes)"
        );
        return Ok(());
    }
    let mut t = table(&[
        "SERIAL", "HOSTNAME", "MODEL", "VERSION", "STATE", "HA", "PEER", "JOB",
    ]);
    for d in &devices {
        t.add_row(vec![
            Cell::new(&d.serial),
            Cell::new(or_dash(d.hostname.as_ref())),
            Cell::new(or_dash(d.model.as_ref())),
            Cell::new(or_dash(d.current_version.as_ref())),
            state_cell(&word(&d.state)),
            Cell::new(or_dash(d.ha_role.as_ref())),
            Cell::new(or_dash(d.ha_peer.as_ref())),
            Cell::new(or_dash(d.job_id.map(|id| id.to_string()[..8].to_owned()))),
        ]);
    }
    print!("{}", render(&t));
    println!("{} device(s)", devices.len());
    Ok(())
}

/// The serial, checked against the inventory (unknown serials are refused when the inventory
/// is not empty).
fn known_serial(state: &StateDir, text: &str) -> Result<Serial> {
    let serial = parse_serial(text)?;
    let inventory = inventory(state)?;
    if !inventory.is_empty() && !inventory.contains_key(&serial) {
        return Err(CtlError::NotFound(format!(
            "unknown serial {serial}: it is not in the inventory (status/devices/); see \
             `panosctl device list`"
        )));
    }
    Ok(serial)
}

fn status(state: &StateDir, text: &str, json: bool) -> Result<()> {
    let serial = parse_serial(text)?;
    let Some(d) = state.read_device_status(&serial)? else {
        return Err(CtlError::NotFound(format!(
            "unknown serial {serial}: no status/devices/{serial}.json; see `panosctl device list`"
        )));
    };
    if json {
        print_json(&d);
        return Ok(());
    }
    let mut t = table(&[]);
    let mut kv = |k: &str, v: String| {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    };
    kv("serial", d.serial.to_string());
    kv("hostname", or_dash(d.hostname.as_ref()));
    kv("model", or_dash(d.model.as_ref()));
    kv("state", word(&d.state));
    kv("version", or_dash(d.current_version.as_ref()));
    kv("target", or_dash(d.target_version.as_ref()));
    kv("path", path_text(&d.path));
    kv("step", or_dash(d.step.as_ref()));
    kv("progress", format!("{}%", d.progress));
    kv("job", or_dash(d.job_id));
    kv("ha role", or_dash(d.ha_role.as_ref()));
    kv("ha peer", or_dash(d.ha_peer.as_ref()));
    kv("dry run", if d.dry_run { "yes" } else { "no" }.to_owned());
    kv("message", or_dash(d.message.as_ref()));
    kv("error", or_dash(d.error.as_ref()));
    kv("manual action", or_dash(d.manual_action.as_ref()));
    kv("updated", d.updated_at.to_rfc3339());
    print!("{}", render(&t));
    Ok(())
}

/// Sends a device command and returns its accepted payload.
fn ask(state: &StateDir, kind: CommandKind, text: &str, timeout: u64) -> Result<CommandResult> {
    let serial = known_serial(state, text)?;
    require_running(state)?;
    let command = commands::command(kind, Some(serial.clone()));
    let result = commands::ask(state, &command, Duration::from_secs(timeout))?;
    match result.status {
        CommandStatus::Accepted => Ok(result),
        CommandStatus::Rejected | CommandStatus::Failed => Err(CtlError::Failed(format!(
            "panosd could not do it for {serial}: {}",
            result.reason.as_deref().unwrap_or("no reason given")
        ))),
    }
}

fn validate(state: &StateDir, serial: &str, timeout: u64, json: bool) -> Result<()> {
    let result = ask(state, CommandKind::Validate, serial, timeout)?;
    let payload = result.payload.unwrap_or_default();
    if json {
        print_json(&payload);
    }
    let report: ReadinessReport = serde_json::from_value(payload)
        .map_err(|e| CtlError::Failed(format!("panosd answered with an unreadable report: {e}")))?;
    if !json {
        print!("{}", report.to_text());
    }
    if report.passed() {
        Ok(())
    } else {
        Err(CtlError::Failed(format!(
            "{serial} is not ready: {}",
            report.summary()
        )))
    }
}

fn metrics(state: &StateDir, serial: &str, timeout: u64, json: bool) -> Result<()> {
    let result = ask(state, CommandKind::CollectMetrics, serial, timeout)?;
    let payload = result.payload.unwrap_or_default();
    if json {
        print_json(&payload);
        return Ok(());
    }
    let snap: Snapshot = serde_json::from_value(payload).map_err(|e| {
        CtlError::Failed(format!("panosd answered with an unreadable snapshot: {e}"))
    })?;
    print!("{}", snapshot_text(&snap));
    Ok(())
}

fn snapshot_text(s: &Snapshot) -> String {
    let mut t = table(&[]);
    let mut kv = |k: &str, v: String| {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    };
    kv("serial", s.serial.to_string());
    kv("hostname", or_dash(s.hostname.as_ref()));
    kv("version", or_dash(s.sw_version.as_ref()));
    kv("content", or_dash(s.app_version.as_ref()));
    kv(
        "sessions",
        or_dash(s.sessions.map(|c| {
            format!(
                "{} (tcp {}, udp {}, icmp {})",
                c.total, c.tcp, c.udp, c.icmp
            )
        })),
    );
    kv(
        "routes",
        or_dash(
            s.routes
                .as_ref()
                .map(|r| format!("{} ({} engine)", r.entries.len(), word(&r.engine))),
        ),
    );
    kv(
        "arp entries",
        or_dash(s.arp.as_ref().map(|a| a.entries.len())),
    );
    kv(
        "free disk",
        or_dash(s.disk.as_ref().map(|d| {
            format!(
                "{} MiB of {} MiB on {}",
                d.free_bytes / (1 << 20),
                d.size_bytes / (1 << 20),
                d.mount
            )
        })),
    );
    kv(
        "ha",
        or_dash(s.ha.as_ref().map(|h| {
            if h.enabled {
                format!(
                    "{} (peer {}, sync {})",
                    h.local_state.as_deref().unwrap_or("?"),
                    h.peer_state.as_deref().unwrap_or("?"),
                    h.config_sync.as_deref().unwrap_or("?")
                )
            } else {
                "not enabled".to_owned()
            }
        })),
    );
    for m in &s.missing {
        kv("missing", format!("{}: {}", m.part, m.reason));
    }
    let mut out = render(&t);
    out.push_str(&format!("taken at {}\n", s.taken_at.to_rfc3339()));
    out
}
