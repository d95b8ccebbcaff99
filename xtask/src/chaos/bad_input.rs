//! Bad input: thousands of generated malformed files in `queue/pending/` and
//! `commands/incoming/` (invalid JSON, truncated and empty files, wrong types and values,
//! unknown fields, too big, binary, deeply nested, symbolic links, FIFOs, directories,
//! names that do not match, path-traversal names and fields, ids already in use), written in
//! place as a careless writer would, interleaved with valid jobs and commands submitted the
//! protocol way, while one `panosd` process runs.
//!
//! Checked: the daemon stays up (and stops cleanly on SIGTERM); every bad file leaves its
//! folder for the quarantine (`queue/failed/`, `commands/processed/`) with a
//! `<name>.reason.json` naming it; files the protocol says to ignore (dot-files, other
//! extensions) stay where they are; every valid job completes and every valid command gets
//! its result.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use panos_queue::{
    Command, CommandId, CommandKind, JobId, JobKind, JobOutcome, QueueFolder, Rejection, StateDir,
};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use super::lab::{Lab, LabConfig, Unit, firewall, fleet_of};
use super::observe::{Observer, Schemas};
use super::process::stop;
use super::rng::Rng;
use super::{Options, Phase};

/// The longest the daemon may take to deal with everything (a hang guard).
const LIMIT: Duration = Duration::from_secs(600);

/// How long nothing may change before the wait gives up (a file that is never moved).
const STALL: Duration = Duration::from_secs(30);

/// Categories checked by name elsewhere in this module.
const TOO_LONG: &str = "name too long for a reason file";
const FINISHED_DUPLICATE: &str = "duplicate id (finished job)";
const RUNNING_DUPLICATE: &str = "duplicate id (running job)";
const COMMAND_DUPLICATE: &str = "duplicate command id";

/// A serial in no fleet: a bad job that were accepted by mistake could touch nothing.
const NOBODY: &str = "0000NOBODY";

/// Where a generated file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Input {
    Jobs,
    Commands,
}

/// What a generated file is made of.
enum Body {
    Bytes(Vec<u8>),
    /// A symbolic link to this path.
    Link(PathBuf),
    Fifo,
    Dir,
}

/// One generated file and what must happen to it.
struct Generated {
    input: Input,
    name: OsString,
    category: &'static str,
    body: Body,
}

fn uuid() -> String {
    JobId::new_random().to_string()
}

fn stamp(rng: &mut Rng) -> String {
    format!(
        "20261124T{:06}.{:06}Z",
        rng.range(0, 235959),
        rng.range(0, 999_999)
    )
}

fn job_value(id: &str) -> Value {
    json!({"schema_version": 1, "job_id": id, "kind": "standalone", "devices": [NOBODY],
           "dry_run": false})
}

fn command_value(id: &str) -> Value {
    json!({"schema_version": 1, "command_id": id, "command": "refresh_inventory"})
}

/// A job or command with one field made wrong: (category, field, value).
const WRONG_JOB_FIELDS: &[(&str, &str, &str)] = &[
    ("wrong type", "schema_version", r#""1""#),
    ("wrong value", "schema_version", "2"),
    ("wrong value", "schema_version", "-1"),
    ("wrong type", "job_id", "12345"),
    (
        "wrong value",
        "job_id",
        r#""0192F0A4-8D4E-7C1A-9B2E-3F4A5B6C7D8E""#,
    ),
    ("wrong value", "kind", r#""cluster""#),
    ("wrong type", "devices", r#""0001""#),
    ("wrong type", "devices", "[1]"),
    ("wrong value", "devices", "[]"),
    ("wrong value", "devices", r#"["0001", "0002"]"#),
    ("wrong value", "devices", r#"["../../etc/passwd"]"#),
    ("wrong value", "devices", r#"["0001; rm -rf /"]"#),
    ("wrong type", "dry_run", r#""false""#),
    ("wrong type", "dry_run", "null"),
    ("wrong type", "priority", r#""high""#),
    ("wrong value", "priority", "1e40"),
    ("wrong value", "priority", "99999999999"),
    ("wrong value", "submitted_at", r#""yesterday""#),
    ("wrong value", "not_before", r#""2026-13-45T99:00:00Z""#),
    ("wrong value", "target_version", r#""latest""#),
    ("wrong value", "target_version", r#""../11.1.6""#),
    ("wrong type", "options", r#""fast""#),
    ("wrong value", "options", r#"{"reboot_timeout_secs": -5}"#),
    (
        "wrong value",
        "options",
        r#"{"postflight_failure": "ignore"}"#,
    ),
    ("path traversal", "ha_pair_name", r#""../../../tmp/x""#),
    ("unknown field", "dry-run", "true"),
    ("unknown field", "__proto__", "{}"),
    ("has a result", "result", r#"{"outcome": "completed"}"#),
    ("huge field", "submitted_by", "\"HUGE\""),
];

const WRONG_COMMAND_FIELDS: &[(&str, &str, &str)] = &[
    ("wrong type", "schema_version", r#""1""#),
    ("wrong value", "command", r#""reboot""#),
    ("wrong type", "command", "7"),
    ("wrong value", "job_id", r#""not-a-uuid""#),
    ("wrong value", "serial", r#""../../etc""#),
    ("unknown field", "force", "true"),
    ("has a result", "result", r#"{"status": "accepted"}"#),
];

/// The next bad file (`k` cycles through the categories).
fn generate(k: usize, rng: &mut Rng, outside: &Path) -> Generated {
    let input = if k % 3 == 2 {
        Input::Commands
    } else {
        Input::Jobs
    };
    let id = uuid();
    let (name, mut value) = match input {
        Input::Jobs => (format!("{id}.json"), job_value(&id)),
        Input::Commands => (format!("{}_{id}.json", stamp(rng)), command_value(&id)),
    };
    let text = |v: &Value| v.to_string().into_bytes();
    let bytes = |category, b: Vec<u8>| (category, Body::Bytes(b));
    let kind = (k / 3) % 16;
    let (category, body, name) = match kind {
        0 => {
            // A valid document cut short (deferred for the grace period, then refused).
            let full = text(&value);
            let cut = rng.range(1, full.len() as u64 - 1) as usize;
            let (c, b) = bytes("truncated JSON", full[..cut].to_vec());
            (c, b, name)
        }
        1 => {
            let junk = [
                "{\"schema_version\": 1,,}",
                "not json at all",
                "{'a': 1}",
                "[1, 2",
            ];
            let (c, b) = bytes("invalid JSON", junk[rng.index(junk.len())].into());
            (c, b, name)
        }
        2 => {
            let table = match input {
                Input::Jobs => WRONG_JOB_FIELDS,
                Input::Commands => WRONG_COMMAND_FIELDS,
            };
            let (category, field, raw) = table[rng.index(table.len())];
            let v: Value = if raw == "\"HUGE\"" {
                Value::String("x".repeat(300))
            } else {
                serde_json::from_str(raw).expect("the table holds JSON")
            };
            value[field] = v;
            let (c, b) = bytes(category, text(&value));
            (c, b, name)
        }
        3 => {
            let len = rng.range(1, 4096) as usize;
            let (c, b) = bytes("binary", rng.bytes(len));
            (c, b, name)
        }
        4 => {
            // More than 1 MiB, otherwise well formed.
            value["submitted_by"] = Value::String("y".repeat((1 << 20) + 100));
            let (c, b) = bytes("too big", text(&value));
            (c, b, name)
        }
        5 => {
            let depth = 100_000;
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let (c, b) = bytes("deeply nested", nested.into_bytes());
            (c, b, name)
        }
        6 => {
            let tops = ["null", "[]", "42", "\"job\"", "{}"];
            let (c, b) = bytes("not an object", tops[rng.index(tops.len())].into());
            (c, b, name)
        }
        7 => {
            // A valid file behind a symbolic link, or a link to a system file.
            let target = if rng.chance(1, 2) {
                let real = outside.join(format!("{k}.json"));
                std::fs::write(&real, text(&value)).expect("scratch file");
                real
            } else {
                PathBuf::from("/etc/passwd")
            };
            ("symbolic link", Body::Link(target), name)
        }
        8 => ("FIFO", Body::Fifo, name),
        9 => ("directory", Body::Dir, name),
        10 => {
            // A name that does not match the id inside.
            let other = match input {
                Input::Jobs => format!("{}.json", uuid()),
                Input::Commands => format!("{}_{}.json", stamp(rng), uuid()),
            };
            let (c, b) = bytes("name mismatch", text(&value));
            (c, b, other)
        }
        11 => {
            let names = [
                "..%2f..%2fetc%2fpasswd.json",
                "..\\..\\windows\\system32.json",
                "%2e%2e.json",
                "a b.json",
                "line\nbreak.json",
                "x.json.json",
            ];
            let (c, b) = bytes("path-traversal or odd name", text(&value));
            (c, b, format!("{k}-{}", names[rng.index(names.len())]))
        }
        12 => {
            let (c, b) = bytes("empty", Vec::new());
            (c, b, name)
        }
        13 => {
            let mut with_bom = vec![0xEF, 0xBB, 0xBF];
            with_bom.extend(text(&value));
            let (c, b) = bytes("UTF-8 byte-order mark", with_bom);
            (c, b, name)
        }
        14 => {
            // Invalid UTF-8 inside a JSON string.
            let mut b = text(&value);
            let at = b.len() / 2;
            b.splice(at..at, [0xC3, 0x28]);
            let (c, b) = bytes("invalid UTF-8", b);
            (c, b, name)
        }
        _ => {
            // Long, but short enough for `<name>.reason.json` to fit in 255 bytes.
            let long = format!("{k}-{}.json", "n".repeat(200));
            let (c, b) = bytes("long name", text(&value));
            (c, b, long)
        }
    };
    Generated {
        input,
        name: name.into(),
        category,
        body,
    }
}

fn folder(dir: &StateDir, input: Input, quarantine: bool) -> PathBuf {
    match (input, quarantine) {
        (Input::Jobs, false) => dir.queue_dir(QueueFolder::Pending),
        (Input::Jobs, true) => dir.queue_dir(QueueFolder::Failed),
        (Input::Commands, false) => dir.commands_incoming_dir(),
        (Input::Commands, true) => dir.commands_processed_dir(),
    }
}

fn write(dir: &StateDir, file: &Generated) -> Result<(), String> {
    let path = folder(dir, file.input, false).join(&file.name);
    let done = match &file.body {
        Body::Bytes(bytes) => std::fs::write(&path, bytes),
        Body::Link(target) => std::os::unix::fs::symlink(target, &path),
        Body::Fifo => nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o640))
            .map_err(std::io::Error::from),
        Body::Dir => std::fs::create_dir(&path),
    };
    done.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs the phase; returns its report and the lab.
pub fn run(
    runtime: &Runtime,
    options: &Options,
    schemas: Arc<Schemas>,
    panosd: &Path,
) -> Result<(Phase, Lab), String> {
    let started = Instant::now();
    let mut rng = Rng::new(options.seed ^ 0xBAD);
    let valid_jobs = (options.bad_files / 60).clamp(6, 50);
    let serials: Vec<String> = (0..valid_jobs).map(|i| format!("0030{i:04}")).collect();
    let fleet = fleet_of(serials.iter().map(|s| firewall(s, "10.2.9")).collect());
    let config = LabConfig {
        scale: options.scale,
        workers: 10,
        paths: Some(
            [("10.2.9".to_owned(), vec!["10.2.10".to_owned()])]
                .into_iter()
                .collect(),
        ),
    };
    let mut lab = Lab::start(runtime, fleet, &config)?;
    let mut phase = Phase::new("bad input");
    let dir = lab.dir();
    let outside = lab.scratch.path().join("link-targets");
    std::fs::create_dir_all(&outside).map_err(|e| e.to_string())?;
    let observer = Observer::start(lab.root(), schemas, true);
    let mut daemon = lab.spawn_daemon(panosd)?;
    let n = lab.started();

    // Ignored by design: must stay where they are.
    let mut ignored = Vec::new();
    for (input, name) in [
        (Input::Jobs, ".hidden.json"),
        (Input::Jobs, "notes.txt"),
        (Input::Jobs, "x.reason.json"),
        (Input::Commands, ".partial.json.tmp"),
        (Input::Commands, "README"),
    ] {
        let path = folder(&dir, input, false).join(name);
        std::fs::write(&path, "{ not for the daemon").map_err(|e| e.to_string())?;
        ignored.push(path);
    }

    let mut bad: Vec<Generated> = Vec::new();
    let mut jobs: Vec<(JobId, String)> = Vec::new();
    let mut commands: Vec<String> = Vec::new();
    let every = (options.bad_files / valid_jobs).max(1);
    for k in 0..options.bad_files {
        let file = generate(k, &mut rng, &outside);
        write(&dir, &file)?;
        bad.push(file);
        if k % every == 0 && jobs.len() < valid_jobs {
            let serial = &serials[jobs.len()];
            let unit = Unit {
                kind: JobKind::Standalone,
                serials: vec![serial.clone()],
                targets: vec!["10.2.10".into()],
            };
            jobs.push((lab.submit(&unit)?, serial.clone()));
            let mut command = Command::new(CommandId::new_random(), CommandKind::RefreshInventory);
            command.submitted_by = Some("chaos".into());
            commands.push(
                dir.submit_command(&command)
                    .map_err(|e| format!("cannot submit a command: {e}"))?,
            );
        }
    }
    // Ids already in use: a copy of a running job and of a finished one, and a command id
    // used again under a new name.
    let dups = duplicates(&dir, &jobs, &mut rng, &mut daemon)?;
    bad.extend(dups);

    // Wait until every input file is dealt with.
    let deadline = Instant::now() + LIMIT;
    let pending_left = |bad: &[Generated]| {
        bad.iter()
            .filter(|f| {
                std::fs::symlink_metadata(folder(&dir, f.input, false).join(&f.name)).is_ok()
            })
            .count()
    };
    let jobs_left = |jobs: &[(JobId, String)]| {
        jobs.iter()
            .filter(|(id, _)| {
                !matches!(
                    dir.find_job(*id),
                    Some((
                        QueueFolder::Completed | QueueFolder::Failed | QueueFolder::Cancelled,
                        _
                    ))
                )
            })
            .count()
    };
    let commands_left = |commands: &[String]| {
        commands
            .iter()
            .filter(|c| !matches!(dir.command_result(c), Ok(Some(_))))
            .count()
    };
    let mut alive = true;
    let mut last = (usize::MAX, Instant::now());
    loop {
        let left = pending_left(&bad) + jobs_left(&jobs) + commands_left(&commands);
        if left == 0 {
            break;
        }
        if left != last.0 {
            last = (left, Instant::now());
        } else if last.1.elapsed() > STALL && jobs_left(&jobs) + commands_left(&commands) == 0 {
            // Only files the daemon does not move are left: they are reported below.
            break;
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            phase.violations.push(format!(
                "panosd died ({status}): {}",
                lab.stderr_of(n).trim()
            ));
            alive = false;
            break;
        }
        if Instant::now() > deadline {
            phase.violations.push(format!(
                "{left} file(s) or job(s) still waiting after {} s",
                LIMIT.as_secs()
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if alive && stop(&mut daemon).is_err() {
        phase
            .violations
            .push("panosd did not stop cleanly on SIGTERM".into());
    }
    let seen = observer.finish();
    seen.report_into(&mut phase.violations);

    // Every bad file: gone from its folder, in the quarantine with a reason naming it.
    let reasons = reasons(&dir);
    let mut quarantined = 0;
    let mut by_category: HashMap<&str, usize> = HashMap::new();
    // Of the two files sharing a command id, the first in name order runs and the other is
    // refused (both refused when they are otherwise invalid): never both run.
    let mut duplicate_commands_run = 0;
    for file in &bad {
        let lossy = file.name.to_string_lossy().into_owned();
        let source = folder(&dir, file.input, false).join(&file.name);
        let reason = reasons
            .get(&(file.input, lossy.clone()))
            .and_then(|list| list.first());
        match reason {
            Some(r) if std::fs::symlink_metadata(&source).is_err() => {
                let moved = folder(&dir, file.input, true).join(&r.moved_to);
                if std::fs::symlink_metadata(&moved).is_err() || r.reason.trim().is_empty() {
                    phase.violations.push(format!(
                        "{} {lossy:?}: its reason names {} which is not there",
                        file.category, r.moved_to
                    ));
                } else {
                    quarantined += 1;
                    *by_category.entry(file.category).or_default() += 1;
                }
            }
            _ if file.category == COMMAND_DUPLICATE
                && matches!(dir.command_result(&lossy), Ok(Some(_))) =>
            {
                duplicate_commands_run += 1;
            }
            _ => phase.violations.push(format!(
                "{} {lossy:?} ({:?}) was not quarantined with a reason",
                file.category, file.input
            )),
        }
    }
    for path in &ignored {
        if !path.exists() {
            phase.violations.push(format!(
                "{} should have been ignored but was moved",
                path.display()
            ));
        }
    }
    let mut completed = 0;
    for (id, serial) in &jobs {
        let ok = dir.find_job(*id).is_some_and(|(f, p)| {
            f == QueueFolder::Completed
                && std::fs::read(p)
                    .ok()
                    .and_then(|b| panos_queue::fsio::decode::<panos_queue::Job>(&b).ok())
                    .and_then(|j| j.result)
                    .is_some_and(|r| r.outcome == JobOutcome::Completed)
        });
        if ok
            && lab
                .sim
                .device(serial)
                .is_some_and(|d| d.sw_version == "10.2.10")
        {
            completed += 1;
        } else {
            phase.violations.push(format!(
                "valid job {id} for {serial} did not complete among the bad files"
            ));
        }
    }
    if duplicate_commands_run > 1 {
        phase.violations.push(format!(
            "{duplicate_commands_run} commands with the same command_id were run"
        ));
    }
    let answered = commands.len() - commands_left(&commands);
    if answered != commands.len() {
        phase.violations.push(format!(
            "{} valid command(s) got no result",
            commands.len() - answered
        ));
    }
    let jobs_bad = bad.iter().filter(|f| f.input == Input::Jobs).count();
    phase.figure(
        "bad files written (jobs / commands)",
        format!("{} ({jobs_bad} / {})", bad.len(), bad.len() - jobs_bad),
    );
    phase.figure("quarantined with a reason", quarantined);
    phase.figure(
        "run of the two sharing a command id",
        duplicate_commands_run,
    );
    let mut categories: Vec<String> = by_category
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    categories.sort();
    phase.figure("by kind", categories.join(", "));
    phase.figure("ignored files left alone", ignored.len());
    phase.figure(
        "valid jobs completed",
        format!("{completed} of {}", jobs.len()),
    );
    phase.figure(
        "valid commands answered",
        format!("{answered} of {}", commands.len()),
    );
    phase.figure("daemon stayed up", alive);
    phase.figure("time", format!("{:.1} s", started.elapsed().as_secs_f64()));
    lab.shutdown(runtime);
    Ok((phase, lab))
}

/// Files whose ids are taken: a copy of a job while it runs, a copy of a finished job, and a
/// command id used again under another name.
fn duplicates(
    dir: &StateDir,
    jobs: &[(JobId, String)],
    rng: &mut Rng,
    daemon: &mut super::process::Running,
) -> Result<Vec<Generated>, String> {
    let mut out = Vec::new();
    let copy = |id: JobId, serial: &str| {
        let mut job = panos_queue::Job::new(
            id,
            JobKind::Standalone,
            vec![serial.parse().expect("serial")],
        );
        job.submitted_by = Some("chaos".into());
        serde_json::to_vec(&job).expect("a job encodes")
    };
    // A running job: wait (bounded) for the last valid job to be claimed.
    let deadline = Instant::now() + Duration::from_secs(120);
    if let Some((id, serial)) = jobs.last() {
        while Instant::now() < deadline
            && daemon.try_wait().ok().flatten().is_none()
            && matches!(dir.find_job(*id), Some((QueueFolder::Pending, _)) | None)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        if matches!(dir.find_job(*id), Some((QueueFolder::Active, _))) {
            out.push(Generated {
                input: Input::Jobs,
                name: format!("{id}.json").into(),
                category: RUNNING_DUPLICATE,
                body: Body::Bytes(copy(*id, serial)),
            });
        }
    }
    // A finished job: the first valid job, once it is filed.
    if let Some((id, serial)) = jobs.first() {
        while Instant::now() < deadline
            && daemon.try_wait().ok().flatten().is_none()
            && !matches!(
                dir.find_job(*id),
                Some((QueueFolder::Completed | QueueFolder::Failed, _))
            )
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        out.push(Generated {
            input: Input::Jobs,
            name: format!("{id}.json").into(),
            category: FINISHED_DUPLICATE,
            body: Body::Bytes(copy(*id, serial)),
        });
    }
    let id = uuid();
    for _ in 0..2 {
        out.push(Generated {
            input: Input::Commands,
            name: format!("{}_{id}.json", stamp(rng)).into(),
            category: COMMAND_DUPLICATE,
            body: Body::Bytes(command_value(&id).to_string().into_bytes()),
        });
    }
    // A name so long that `<name>.reason.json` exceeds the 255 bytes a name may have.
    out.push(Generated {
        input: Input::Jobs,
        name: format!("{}.json", "n".repeat(245)).into(),
        category: TOO_LONG,
        body: Body::Bytes(b"{}".to_vec()),
    });
    // Non-UTF-8 file names.
    for input in [Input::Jobs, Input::Commands] {
        let mut name = vec![0xFF, 0xFE, b'-'];
        name.extend(rng.range(0, 1_000_000).to_string().bytes());
        name.extend(b".json");
        out.push(Generated {
            input,
            name: OsString::from_vec(name),
            category: "non-UTF-8 name",
            body: Body::Bytes(b"{}".to_vec()),
        });
    }
    for file in &out {
        write(dir, file)?;
    }
    Ok(out)
}

/// The reason files of both quarantines, by (input, name as submitted).
fn reasons(dir: &StateDir) -> HashMap<(Input, String), Vec<Rejection>> {
    let mut out: HashMap<(Input, String), Vec<Rejection>> = HashMap::new();
    for input in [Input::Jobs, Input::Commands] {
        let Ok(entries) = std::fs::read_dir(folder(dir, input, true)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".reason.json") {
                continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            if let Ok(r) = panos_queue::fsio::decode::<Rejection>(&bytes) {
                out.entry((input, r.file.clone())).or_default().push(r);
            }
        }
    }
    out
}
