//! `panosctl path show|validate`: the upgrade paths of `upgrade_paths.json` (where
//! `paths.upgrade_paths` in config.json says), checked with panos-upgrade's `plan_path`.
//!
//! No software catalog is on disk (the daemon reads it from each device during a job), so the
//! checks are the PAN-OS rules that need none: hops ascending, no feature release skipped. The
//! catalog-dependent ones (image listed, base image known) run per device in every job and
//! dry run, and in `validate --catalog FILE` against a saved catalog response. `validate`
//! also names the inventory's versions that no path covers.

use std::collections::BTreeMap;

use comfy_table::Cell;
use panos_client::SoftwareVersion;
use panos_client::model::SoftwareCatalog;
use panos_queue::StateDir;
use panos_upgrade::{PathProblemKind, UpgradePath, UpgradePaths, plan_path};
use serde::Serialize;

use crate::cli::PathCommand;
use crate::error::{CtlError, Result, parse_version};
use crate::job::inventory;
use crate::output::{path_text, print_json, render, state_cell, table};

/// Runs a `path` subcommand.
pub fn run(state: &StateDir, command: PathCommand) -> Result<()> {
    match command {
        PathCommand::Show { from, output } => show(state, from.as_deref(), output.json),
        PathCommand::Validate { catalog, output } => {
            let catalog = catalog.as_deref().map(read_catalog).transpose()?;
            validate(state, catalog.as_ref(), output.json)
        }
    }
}

fn load(state: &StateDir) -> Result<(UpgradePaths, std::path::PathBuf)> {
    let daemon = panosd::DaemonConfig::load(state.root(), None)?;
    let file = daemon.upgrade_paths_file();
    if !file.is_file() {
        return Err(CtlError::NotFound(format!(
            "no upgrade paths file at {}: write one (see the README's \"Upgrade paths\"), \
             e.g. {{\"10.1.14-h9\": [\"10.2.13-h1\", \"11.1.6\"]}}",
            file.display()
        )));
    }
    Ok((panosd::config::load_upgrade_paths(&file)?, file))
}

/// A saved `request system software check` (or `show system software info`) response.
fn read_catalog(file: &std::path::Path) -> Result<SoftwareCatalog> {
    let xml = std::fs::read_to_string(file)
        .map_err(|e| CtlError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let catalog = panos_client::parse::parse_software_catalog(&xml).map_err(|e| {
        CtlError::Usage(format!(
            "{} is not a software catalog response: {e}",
            file.display()
        ))
    })?;
    if catalog.images.is_empty() {
        return Err(CtlError::Usage(format!(
            "{} lists no software versions: save the response of `request system software \
             check` from a device",
            file.display()
        )));
    }
    Ok(catalog)
}

/// The problems of one path: against `catalog` when given, else under the rules that need
/// no catalog.
fn problems(path: &UpgradePath, catalog: Option<&SoftwareCatalog>) -> Vec<String> {
    let empty = SoftwareCatalog { images: Vec::new() };
    match plan_path(path, catalog.unwrap_or(&empty)) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .filter(|p| {
                catalog.is_some()
                    || !matches!(
                        p.kind,
                        PathProblemKind::NotInCatalog | PathProblemKind::BaseImageUnknown { .. }
                    )
            })
            .map(|p| p.message)
            .collect(),
    }
}

#[derive(Serialize)]
struct Row {
    from: String,
    hops: Vec<String>,
    target: String,
    devices: usize,
    problems: Vec<String>,
}

fn rows(
    state: &StateDir,
    paths: &UpgradePaths,
    catalog: Option<&SoftwareCatalog>,
) -> Result<Vec<Row>> {
    let mut on_version: BTreeMap<String, usize> = BTreeMap::new();
    for d in inventory(state)?.values() {
        if let Some(v) = &d.current_version {
            *on_version.entry(v.to_string()).or_default() += 1;
        }
    }
    Ok(paths
        .iter()
        .map(|p| Row {
            from: p.from.to_string(),
            hops: p.hops.iter().map(ToString::to_string).collect(),
            target: p.target().to_string(),
            devices: on_version.get(&p.from.to_string()).copied().unwrap_or(0),
            problems: problems(&p, catalog),
        })
        .collect())
}

fn print_rows(rows: &[Row]) {
    let mut t = table(&["FROM", "PATH", "TARGET", "DEVICES", "CHECK"]);
    for r in rows {
        t.add_row(vec![
            Cell::new(&r.from),
            Cell::new(if r.hops.is_empty() {
                "(stays)".to_owned()
            } else {
                path_text(&r.hops)
            }),
            Cell::new(&r.target),
            Cell::new(r.devices),
            if r.problems.is_empty() {
                state_cell("ok")
            } else {
                state_cell("failed")
            },
        ]);
    }
    crate::output::align_right(&mut t, 3);
    print!("{}", render(&t));
}

fn show(state: &StateDir, version: Option<&str>, json: bool) -> Result<()> {
    let wanted = version.map(parse_version).transpose()?;
    let (paths, file) = load(state)?;
    let mut rows = rows(state, &paths, None)?;
    if let Some(v) = &wanted {
        let parsed: SoftwareVersion = v
            .as_str()
            .parse()
            .map_err(|e| CtlError::Usage(format!("{v}: {e}")))?;
        rows.retain(|r| r.from.parse::<SoftwareVersion>().ok().as_ref() == Some(&parsed));
        if rows.is_empty() {
            return Err(CtlError::NotFound(format!(
                "{} has no path for {v}: devices on it are skipped; add an entry such as \
                 \"{v}\": [\"…\"]",
                file.display()
            )));
        }
    }
    if json {
        print_json(&rows);
        return Ok(());
    }
    print_rows(&rows);
    for r in rows.iter().filter(|r| !r.problems.is_empty()) {
        for p in &r.problems {
            println!("  {}: {p}", r.from);
        }
    }
    println!("file: {}", file.display());
    Ok(())
}

#[derive(Serialize)]
struct Validation {
    paths: Vec<Row>,
    uncovered: BTreeMap<String, usize>,
}

fn validate(state: &StateDir, catalog: Option<&SoftwareCatalog>, json: bool) -> Result<()> {
    let (paths, file) = load(state)?;
    let rows = rows(state, &paths, catalog)?;
    let mut uncovered: BTreeMap<String, usize> = BTreeMap::new();
    for d in inventory(state)?.values() {
        let Some(v) = &d.current_version else {
            continue;
        };
        let covered = v
            .as_str()
            .parse::<SoftwareVersion>()
            .is_ok_and(|v| paths.path_for(&v).is_some());
        if !covered {
            *uncovered.entry(v.to_string()).or_default() += 1;
        }
    }
    let bad = rows.iter().filter(|r| !r.problems.is_empty()).count();
    let report = Validation {
        paths: rows,
        uncovered,
    };
    if json {
        print_json(&report);
    } else {
        print_rows(&report.paths);
        for r in report.paths.iter().filter(|r| !r.problems.is_empty()) {
            for p in &r.problems {
                println!("problem: {}: {p}", r.from);
            }
        }
        for (v, n) in &report.uncovered {
            println!(
                "note: {n} device(s) run {v}, which no path covers: they are skipped unless a \
                 job names --target-version (add \"{v}\": [...] to cover them)"
            );
        }
        println!(
            "{} path(s) checked in {}: {}",
            report.paths.len(),
            file.display(),
            if bad == 0 {
                "no problems".to_owned()
            } else {
                format!("{bad} with problems")
            }
        );
        if catalog.is_none() {
            println!(
                "(image and base-image availability are checked against each device's catalog \
                 when a job or dry run plans it, or here with --catalog FILE)"
            );
        }
    }
    if bad == 0 {
        Ok(())
    } else {
        Err(CtlError::Failed(format!(
            "{bad} upgrade path(s) break PAN-OS rules: fix them in {}",
            file.display()
        )))
    }
}
