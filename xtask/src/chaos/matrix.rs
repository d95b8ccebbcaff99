//! The fault matrix: every fault kind of panos-sim (plus a few variants aimed at changing
//! commands) on a standalone firewall, on the first member of an HA pair (the passive one,
//! upgraded first) and on the second (the active one). One simulated fleet holds a device
//! or pair per cell, one `panosd` process runs every cell's job at once, and each cell is
//! compared with what the engine is designed to do:
//!
//! - a failing download or install job, a stalled download, a reboot that never returns or
//!   returns on the old version, lost routes, ARP entries or sessions: the job fails at that
//!   step, with an error naming the device and a manual action; on the first HA member the
//!   second is not touched;
//! - an HA pair that never synchronizes: refused at the pre-flight checks, nothing sent;
//! - a busy software manager (twice), an unreachable update server, slow, dropped, garbled,
//!   empty, 5xx and API-error answers: the job completes, and a changing command whose
//!   answer was lost is reconciled, never sent twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use panos_queue::{DeviceOutcome, Job, JobId, JobKind, JobOutcome, QueueFolder};
use panos_sim::{DeviceSpec, Fault, FaultRule, Op};
use tokio::runtime::Runtime;

use super::lab::{Lab, LabConfig, Unit, firewall, fleet_of, ha_pair};
use super::observe::{Observer, Schemas};
use super::process::stop;
use super::{Options, Phase, sends};

/// The version every cell starts on, and its one-hop path.
const FROM: &str = "10.2.9";
const TO: &str = "10.2.10";

/// The longest the whole matrix may take (a hang guard, far above the few seconds needed).
const LIMIT: Duration = Duration::from_secs(600);

/// Where the fault is put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Standalone,
    /// The passive member, upgraded first.
    HaFirst,
    /// The active member, upgraded second (after the failover).
    HaSecond,
}

impl Position {
    const ALL: [Position; 3] = [Position::Standalone, Position::HaFirst, Position::HaSecond];

    fn label(self) -> &'static str {
        match self {
            Position::Standalone => "standalone",
            Position::HaFirst => "HA first (passive)",
            Position::HaSecond => "HA second (active)",
        }
    }
}

/// What a cell must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Completed,
    /// Completed, with a post-flight warning on the faulted device.
    Warns,
    /// The faulted device fails at this step (the job fails).
    FailsAt(&'static str),
    /// A pair-wide fault: one member (either) fails at this step, nothing changing is sent
    /// to either.
    PairFailsAt(&'static str),
}

impl Expect {
    fn label(self) -> String {
        match self {
            Expect::Completed => "completed".into(),
            Expect::Warns => "completed, warning".into(),
            Expect::FailsAt(step) | Expect::PairFailsAt(step) => format!("failed at {step}"),
        }
    }
}

/// Cells where the engine does not do what docs/architecture.md says it does ("never
/// twice", rules 3 and 4: an answer lost after sending is reconciled with the device, and
/// what was certainly not applied is sent again). The expectation stays as designed: these
/// cells are violations of `cargo xtask chaos`, and the CI test reports them without failing
/// until the engine is fixed (docs/reliability.md, "Findings").
const KNOWN_FINDINGS: &[(&str, &str)] = &[];

/// The note of a known finding for a row, if any.
pub fn known_finding(label: &str) -> Option<&'static str> {
    KNOWN_FINDINGS
        .iter()
        .find(|(row, _)| *row == label)
        .map(|(_, note)| *note)
}

/// One row of the matrix: a fault and what it leads to in each position.
struct Row {
    label: String,
    rule: FaultRule,
    expect: fn(Position) -> Expect,
}

fn row(label: &str, rule: FaultRule, expect: fn(Position) -> Expect) -> Row {
    Row {
        label: label.to_owned(),
        rule,
        expect,
    }
}

/// Every row. Each `Fault` variant appears at least once (the `match` in
/// `every_fault_kind_has_a_row` keeps it so when panos-sim gains one).
fn rows() -> Vec<Row> {
    use Expect::{Completed, FailsAt, PairFailsAt, Warns};
    let times = FaultRule::times;
    vec![
        row(
            "job_fail (download)",
            times(Fault::JobFail, 1).on(Op::SoftwareDownload),
            |_| FailsAt("download"),
        ),
        row(
            "job_fail (install)",
            times(Fault::JobFail, 1).on(Op::SoftwareInstall),
            |_| FailsAt("install"),
        ),
        row(
            "download_stall 40%",
            FaultRule::always(Fault::DownloadStall { at_percent: 40 }),
            |_| FailsAt("download"),
        ),
        row(
            "reboot_never_returns",
            FaultRule::always(Fault::RebootNeverReturns),
            |_| FailsAt("wait_reboot"),
        ),
        row(
            "returns_on_old_version",
            FaultRule::always(Fault::ReturnsOnOldVersion),
            |_| FailsAt("wait_reboot"),
        ),
        row(
            "routes_lost 21 of 40",
            FaultRule::always(Fault::RoutesLost { count: 21 }),
            |_| FailsAt("postflight"),
        ),
        // Under 50 ARP entries a loss only warns (ARP tables churn): panos-validation's
        // default thresholds.
        row(
            "arp_lost 15 of 20",
            FaultRule::always(Fault::ArpLost { count: 15 }),
            |_| Warns,
        ),
        row(
            "session_drop 60%",
            FaultRule::always(Fault::SessionDrop { percent: 60 }),
            |_| FailsAt("postflight"),
        ),
        row(
            "software_manager_busy x2",
            times(Fault::SoftwareManagerBusy, 2).on(Op::SoftwareInstall),
            |_| Completed,
        ),
        row(
            "ha_out_of_sync",
            FaultRule::always(Fault::HaOutOfSync),
            |p| match p {
                Position::Standalone => Completed,
                _ => PairFailsAt("preflight"),
            },
        ),
        row(
            "update_server_unreachable",
            FaultRule::always(Fault::UpdateServerUnreachable),
            |_| Completed,
        ),
        row(
            "delay 150 ms x5 (system info)",
            times(Fault::Delay { ms: 150 }, 5).on(Op::ShowSystemInfo),
            |_| Completed,
        ),
        row(
            "drop_connection (install)",
            times(Fault::DropConnection, 1).on(Op::SoftwareInstall),
            |_| Completed,
        ),
        row(
            "drop_connection (restart)",
            times(Fault::DropConnection, 1).on(Op::Restart),
            |_| Completed,
        ),
        row(
            "drop_connection (HA suspend)",
            times(Fault::DropConnection, 1).on(Op::HaSuspend),
            |_| Completed,
        ),
        row(
            "http_status 502 x2 (system info)",
            times(Fault::HttpStatus { status: 502 }, 2).on(Op::ShowSystemInfo),
            |_| Completed,
        ),
        row(
            "http_status 503 (download)",
            times(Fault::HttpStatus { status: 503 }, 1).on(Op::SoftwareDownload),
            |_| Completed,
        ),
        row(
            "malformed_xml (software info)",
            times(Fault::MalformedXml, 1).on(Op::SoftwareInfo),
            |_| Completed,
        ),
        row(
            "malformed_xml (install)",
            times(Fault::MalformedXml, 1).on(Op::SoftwareInstall),
            |_| Completed,
        ),
        row(
            "empty_body (show job)",
            times(Fault::EmptyBody, 1).on(Op::ShowJob),
            |_| Completed,
        ),
        row(
            "api_error 22 x2 (show job)",
            times(
                Fault::ApiError {
                    code: 22,
                    message: "Session timed out".into(),
                },
                2,
            )
            .on(Op::ShowJob),
            |_| Completed,
        ),
    ]
}

/// One cell: its row, position, devices and job.
struct Cell {
    row: usize,
    position: Position,
    unit: Unit,
    /// The device the fault is on.
    faulted: String,
    /// The other member of a pair.
    peer: Option<String>,
    job: Option<JobId>,
}

/// Runs the matrix; returns its report (with the table) and the lab.
pub fn run(
    runtime: &Runtime,
    options: &Options,
    schemas: Arc<Schemas>,
    panosd: &Path,
) -> Result<(Phase, Lab), String> {
    let started = Instant::now();
    let rows = rows();
    let mut devices: Vec<DeviceSpec> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    for (r, rw) in rows.iter().enumerate() {
        for position in Position::ALL {
            let base = format!("M{r:02}{}", position_code(position));
            let cell = match position {
                Position::Standalone => {
                    let mut fw = firewall(&base, FROM);
                    fw.faults.push(rw.rule.clone());
                    devices.push(fw);
                    Cell {
                        row: r,
                        position,
                        unit: unit(JobKind::Standalone, &[&base]),
                        faulted: base,
                        peer: None,
                        job: None,
                    }
                }
                Position::HaFirst | Position::HaSecond => {
                    let (active, passive) = (format!("{base}A"), format!("{base}P"));
                    let mut pair = ha_pair(&active, &passive, FROM);
                    let (faulted, peer) = if position == Position::HaFirst {
                        pair[1].faults.push(rw.rule.clone());
                        (passive.clone(), active.clone())
                    } else {
                        pair[0].faults.push(rw.rule.clone());
                        (active.clone(), passive.clone())
                    };
                    devices.extend(pair);
                    Cell {
                        row: r,
                        position,
                        unit: unit(JobKind::HaPair, &[&active, &passive]),
                        faulted,
                        peer: Some(peer),
                        job: None,
                    }
                }
            };
            cells.push(cell);
        }
    }
    let config = LabConfig {
        scale: options.scale,
        workers: 50,
        paths: Some(BTreeMap::from([(FROM.to_owned(), vec![TO.to_owned()])])),
    };
    let mut lab = Lab::start(runtime, fleet_of(devices), &config)?;
    let mut phase = Phase::new("fault matrix");
    let observer = Observer::start(lab.root(), schemas, false);
    let mut daemon = lab.spawn_daemon(panosd)?;
    let n = lab.started();
    for cell in &mut cells {
        cell.job = Some(lab.submit(&cell.unit)?);
    }
    let dir = lab.dir();
    let deadline = Instant::now() + LIMIT;
    loop {
        let open = cells
            .iter()
            .filter(|c| filed(&dir, c.job).is_none())
            .count();
        if open == 0 {
            break;
        }
        if Instant::now() > deadline {
            phase.violations.push(format!(
                "{open} cell(s) did not end within {} s",
                LIMIT.as_secs()
            ));
            break;
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            phase.violations.push(format!(
                "panosd exited by itself ({status}): {}",
                lab.stderr_of(n).trim()
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if stop(&mut daemon).is_err() {
        phase
            .violations
            .push("panosd did not stop cleanly on SIGTERM".into());
    }
    let seen = observer.finish();
    seen.report_into(&mut phase.violations);
    let dups = sends::duplicate_sends(&lab.sim.requests(), &lab.sim.devices());
    phase.violations.extend(dups.iter().cloned());

    let mut table = Table::new(&[
        "fault", "position", "expected", "got", "step", "error", "result",
    ]);
    let mut passed = 0;
    for cell in &cells {
        let expect = (rows[cell.row].expect)(cell.position);
        let job = filed(&dir, cell.job);
        let verdict = judge(&lab, cell, expect, job.as_ref());
        let (got, step, error) = describe(cell, job.as_ref());
        if verdict.is_ok() {
            passed += 1;
        }
        table.push(vec![
            rows[cell.row].label.clone(),
            cell.position.label().into(),
            expect.label(),
            got,
            step,
            shorten(&error, 70),
            match (&verdict, known_finding(&rows[cell.row].label)) {
                (Ok(()), _) => "pass".into(),
                (Err(_), Some(_)) => "FAIL (known finding)".into(),
                (Err(_), None) => "FAIL".into(),
            },
        ]);
        if let Err(why) = verdict {
            let label = &rows[cell.row].label;
            let known = match known_finding(label) {
                Some(_) => super::KNOWN_FINDING,
                None => "",
            };
            phase.violations.push(format!(
                "{known}{label} on {}: {why}",
                cell.position.label()
            ));
        }
    }
    phase.figure("fault kinds × positions", format!("{} × 3", rows.len()));
    phase.figure("cells passed", format!("{passed} of {}", cells.len()));
    phase.figure("duplicate sends", dups.len());
    phase.figure("API calls to Panorama", lab.sim.counters().total);
    phase.figure(
        "state-dir observations (passes / file versions validated)",
        format!("{} / {}", seen.passes, seen.files_checked),
    );
    phase.figure("time", format!("{:.1} s", started.elapsed().as_secs_f64()));
    phase.table = Some(table.render());
    lab.shutdown(runtime);
    Ok((phase, lab))
}

fn position_code(p: Position) -> &'static str {
    match p {
        Position::Standalone => "S",
        Position::HaFirst => "F",
        Position::HaSecond => "T",
    }
}

fn unit(kind: JobKind, serials: &[&str]) -> Unit {
    Unit {
        kind,
        serials: serials.iter().map(|s| s.to_string()).collect(),
        targets: vec![TO.to_owned(); serials.len()],
    }
}

/// The job, once filed in a final folder.
fn filed(dir: &panos_queue::StateDir, id: Option<JobId>) -> Option<Job> {
    let (folder, path) = dir.find_job(id?)?;
    if matches!(folder, QueueFolder::Pending | QueueFolder::Active) {
        return None;
    }
    panos_queue::fsio::decode::<Job>(&std::fs::read(path).ok()?).ok()
}

/// (got, step, error) for the table.
fn describe(cell: &Cell, job: Option<&Job>) -> (String, String, String) {
    let Some(result) = job.and_then(|j| j.result.as_ref()) else {
        return ("not ended".into(), "-".into(), "-".into());
    };
    let failed = result
        .devices
        .iter()
        .find(|d| d.outcome == DeviceOutcome::Failed);
    match (result.outcome, failed) {
        (JobOutcome::Completed, _) => {
            let warned = result
                .devices
                .iter()
                .any(|d| d.warnings.iter().any(|w| w.contains("post-flight")));
            let got = if warned {
                "completed, warning"
            } else {
                "completed"
            };
            (got.into(), "-".into(), "-".into())
        }
        (outcome, Some(d)) => {
            let on_peer = if d.serial.as_str() == cell.faulted {
                ""
            } else {
                " (peer)"
            };
            (
                format!(
                    "{outcome:?} at {}{on_peer}",
                    d.step.as_deref().unwrap_or("?")
                )
                .to_lowercase(),
                d.step.clone().unwrap_or_else(|| "-".into()),
                result.error.clone().unwrap_or_else(|| "-".into()),
            )
        }
        (outcome, None) => (
            format!("{outcome:?}").to_lowercase(),
            "-".into(),
            result.error.clone().unwrap_or_else(|| "-".into()),
        ),
    }
}

/// Whether the cell ended as designed; why not otherwise.
fn judge(lab: &Lab, cell: &Cell, expect: Expect, job: Option<&Job>) -> Result<(), String> {
    let result = job
        .and_then(|j| j.result.as_ref())
        .ok_or("the job did not end")?;
    let version = |s: &str| lab.sim.device(s).map(|d| d.sw_version).unwrap_or_default();
    match expect {
        Expect::Completed => {
            if result.outcome != JobOutcome::Completed {
                return Err(format!(
                    "expected completed, got {:?}: {}",
                    result.outcome,
                    result.error.as_deref().unwrap_or("no error")
                ));
            }
            for s in &cell.unit.serials {
                if version(s) != TO {
                    return Err(format!("{s} runs {} after a completed job", version(s)));
                }
            }
            Ok(())
        }
        Expect::Warns => {
            if result.outcome != JobOutcome::Completed {
                return Err(format!("expected completed, got {:?}", result.outcome));
            }
            let warned = result.devices.iter().any(|d| {
                d.serial.as_str() == cell.faulted
                    && d.warnings.iter().any(|w| w.contains("post-flight"))
            });
            if !warned {
                return Err("no post-flight warning on the faulted device".into());
            }
            Ok(())
        }
        Expect::PairFailsAt(step) => {
            if result.outcome != JobOutcome::Failed {
                return Err(format!(
                    "expected failed at {step}, got {:?}",
                    result.outcome
                ));
            }
            let failed = result
                .devices
                .iter()
                .find(|d| d.outcome == DeviceOutcome::Failed)
                .ok_or("no device failed")?;
            if failed.step.as_deref() != Some(step) {
                return Err(format!("failed at {:?}, expected {step}", failed.step));
            }
            if failed.manual_action.as_deref().is_none_or(str::is_empty) {
                return Err("no manual action".into());
            }
            let touched = lab.sim.requests().iter().any(|r| {
                r.target
                    .as_deref()
                    .is_some_and(|t| cell.unit.serials.iter().any(|s| s == t))
                    && changing_op(r.op)
            });
            if touched {
                return Err("a changing command was sent to the pair".into());
            }
            Ok(())
        }
        Expect::FailsAt(step) => {
            if result.outcome != JobOutcome::Failed {
                return Err(format!(
                    "expected failed at {step}, got {:?}",
                    result.outcome
                ));
            }
            let device = result
                .devices
                .iter()
                .find(|d| d.serial.as_str() == cell.faulted)
                .ok_or("the result does not name the faulted device")?;
            if device.outcome != DeviceOutcome::Failed || device.step.as_deref() != Some(step) {
                return Err(format!(
                    "the faulted device ended {:?} at step {:?}, expected failed at {step}",
                    device.outcome, device.step
                ));
            }
            let error = result.error.as_deref().unwrap_or_default();
            if !error.contains(&cell.faulted) {
                return Err(format!("the error does not name the device: {error:?}"));
            }
            if device.manual_action.as_deref().is_none_or(str::is_empty) {
                return Err("no manual action".into());
            }
            // A failure on the first HA member leaves the second untouched.
            if cell.position == Position::HaFirst
                && let Some(peer) = &cell.peer
            {
                let touched = lab.sim.requests().iter().any(|r| {
                    r.target.as_deref() == Some(peer.as_str())
                        && matches!(r.op, Op::SoftwareInstall | Op::Restart | Op::HaSuspend)
                });
                if touched || version(peer) != FROM {
                    return Err(format!("the peer {peer} was touched"));
                }
            }
            Ok(())
        }
    }
}

fn changing_op(op: Op) -> bool {
    matches!(
        op,
        Op::SoftwareDownload | Op::SoftwareInstall | Op::Restart | Op::HaSuspend | Op::HaFunctional
    )
}

fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// A plain text table: columns padded to their widest cell.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with `headers`.
    pub fn new(headers: &[&str]) -> Self {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as text, one line per row.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_has_a_row() {
        let rows = rows();
        let has = |pick: fn(&Fault) -> bool| rows.iter().any(|r| pick(&r.rule.fault));
        // Every kind panos-sim has today (`Fault` is non-exhaustive: a new kind lands in
        // the last arm, and the matrix needs a row and an expectation for it).
        fn kind(f: &Fault) -> u8 {
            match f {
                Fault::JobFail => 0,
                Fault::DownloadStall { .. } => 1,
                Fault::RebootNeverReturns => 2,
                Fault::ReturnsOnOldVersion => 3,
                Fault::RoutesLost { .. } => 4,
                Fault::ArpLost { .. } => 5,
                Fault::SessionDrop { .. } => 6,
                Fault::SoftwareManagerBusy => 7,
                Fault::HaOutOfSync => 8,
                Fault::UpdateServerUnreachable => 9,
                Fault::Delay { .. } => 10,
                Fault::DropConnection => 11,
                Fault::HttpStatus { .. } => 12,
                Fault::MalformedXml => 13,
                Fault::EmptyBody => 14,
                Fault::ApiError { .. } => 15,
                _ => 255,
            }
        }
        for k in 0..16u8 {
            assert!(
                rows.iter().any(|r| kind(&r.rule.fault) == k),
                "no row for fault kind {k}"
            );
        }
        assert!(!has(|f| kind(f) == 255));
    }

    #[test]
    fn tables_pad_columns() {
        let mut t = Table::new(&["a", "bb"]);
        t.push(vec!["xxx".into(), "y".into()]);
        assert_eq!(t.render(), "a    bb\nxxx  y\n");
    }
}
