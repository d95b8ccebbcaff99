//! Watching the state directory while the daemon runs: every JSON file is read, parsed and
//! validated both against its JSON Schema in `docs/schema/` (the `jsonschema` crate, formats
//! checked) and by decoding it into panos-queue's Rust types; the daemon's private files are
//! decoded into panosd's types (`CheckpointFile`, `Config`) and the upgrade paths into
//! panos-upgrade's. A file caught half-written is a violation: every write is supposed to be
//! atomic (temp file, fsync, rename).
//!
//! [`Checker`] checks a tree once; [`Observer`] runs it in a thread, pass after pass, until
//! stopped. Files that did not change since the last pass (same inode, size and modification
//! time) are not read again. Skipped on purpose: dot-files and `tmp/` (writers' scratch),
//! logs (appended lines, not protocol files), the lock, the age identity, and bad input that
//! was moved aside (it sits beside its `.reason.json`, which is checked instead).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use panos_queue::fsio::decode;
use panos_queue::{
    Command, DaemonStatus, DeviceStatus, HaPairStatus, Job, JobOutcome, Rejection,
    ValidationRecord, WorkersStatus,
};

/// The compiled JSON Schemas of the protocol files.
pub struct Schemas {
    validators: HashMap<&'static str, jsonschema::Validator>,
}

/// The schemas this checker uses, by `docs/schema/<name>.json`.
const SCHEMA_NAMES: [&str; 8] = [
    "job",
    "command",
    "rejection",
    "daemon-status",
    "workers-status",
    "device-status",
    "ha-pair-status",
    "validation-record",
];

impl Schemas {
    /// Reads and compiles `docs/schema/*.json` under the workspace `root`.
    pub fn load(root: &Path) -> Result<Schemas, String> {
        let mut validators = HashMap::new();
        for name in SCHEMA_NAMES {
            let path = root.join("docs/schema").join(format!("{name}.json"));
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let schema: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            validators.insert(name, validator);
        }
        Ok(Schemas { validators })
    }

    fn validate(&self, name: &str, value: &serde_json::Value) -> Result<(), String> {
        let validator = self
            .validators
            .get(name)
            .ok_or_else(|| format!("no schema {name}"))?;
        match validator.iter_errors(value).next() {
            None => Ok(()),
            Some(err) => Err(format!(
                "does not match schema/{name}.json: {err} at {}",
                err.instance_path
            )),
        }
    }
}

/// What a file under the state directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A job in `pending/` or `active/`.
    Job,
    /// A job filed in a final folder: it has a result whose outcome names that folder.
    FiledJob(JobOutcome),
    Rejection,
    /// A command; `true` when processed (it has a result).
    Command(bool),
    DaemonStatus,
    WorkersStatus,
    DeviceStatus,
    HaPairStatus,
    ValidationRecord,
    /// A checkpoint file of a daemon before the journal.
    Checkpoint,
    /// `checkpoints/<job_id>.jsonl`: every whole line decodes.
    CheckpointJournal,
    Config,
    UpgradePaths,
    /// Some other `.json` file: it must at least be whole JSON.
    OtherJson,
    Skip,
}

fn classify(rel: &Path, hostile_inputs: bool) -> Kind {
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    let Some(name) = parts.last().copied() else {
        return Kind::Skip;
    };
    if parts.iter().any(|p| p.starts_with('.')) || parts.contains(&"tmp") {
        return Kind::Skip;
    }
    if let ["checkpoints", _] = parts.as_slice()
        && name.ends_with(".jsonl")
    {
        return Kind::CheckpointJournal;
    }
    if parts.first() == Some(&"logs") || !name.ends_with(".json") {
        return Kind::Skip;
    }
    match parts.as_slice() {
        ["queue", "pending" | "active", _] if hostile_inputs => Kind::Skip,
        ["commands", "incoming", _] if hostile_inputs => Kind::Skip,
        ["queue", "failed", _] | ["commands", "processed", _] if name.ends_with(".reason.json") => {
            Kind::Rejection
        }
        ["queue", "pending" | "active", _] => Kind::Job,
        ["queue", "completed", _] => Kind::FiledJob(JobOutcome::Completed),
        ["queue", "failed", _] => Kind::FiledJob(JobOutcome::Failed),
        ["queue", "cancelled", _] => Kind::FiledJob(JobOutcome::Cancelled),
        ["commands", "incoming", _] => Kind::Command(false),
        ["commands", "processed", _] => Kind::Command(true),
        ["status", "daemon.json"] => Kind::DaemonStatus,
        ["status", "workers.json"] => Kind::WorkersStatus,
        ["status", "devices", _] => Kind::DeviceStatus,
        ["status", "devices", "ha_pairs", _] => Kind::HaPairStatus,
        ["validation", "pre_flight" | "post_flight", _] => Kind::ValidationRecord,
        ["checkpoints", _] => Kind::Checkpoint,
        ["config", "config.json"] => Kind::Config,
        ["config", "upgrade_paths.json"] => Kind::UpgradePaths,
        _ => Kind::OtherJson,
    }
}

/// Identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileKey {
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

/// Checks every file of a state directory.
pub struct Checker {
    schemas: Arc<Schemas>,
    /// Input folders hold deliberately bad files (the bad-input phase): not checked there.
    hostile_inputs: bool,
    seen: HashMap<PathBuf, FileKey>,
    /// Files read and found valid, over every pass.
    pub files_checked: u64,
}

impl Checker {
    /// A checker using `schemas`.
    pub fn new(schemas: Arc<Schemas>, hostile_inputs: bool) -> Self {
        Checker {
            schemas,
            hostile_inputs,
            seen: HashMap::new(),
            files_checked: 0,
        }
    }

    /// One pass over `root`: a message for every file that is not what it must be.
    pub fn check_tree(&mut self, root: &Path) -> Vec<String> {
        let mut problems = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    continue; // gone since the listing
                };
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                let kind = classify(&rel, self.hostile_inputs);
                if kind == Kind::Skip || !meta.is_file() {
                    continue;
                }
                let key = FileKey {
                    ino: meta.ino(),
                    len: meta.len(),
                    mtime: meta.mtime(),
                    mtime_nsec: meta.mtime_nsec(),
                };
                if self.seen.get(&path) == Some(&key) {
                    continue;
                }
                if quarantined(&path, kind) {
                    self.seen.insert(path, key);
                    continue;
                }
                let bytes = match fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        problems.push(format!("{}: cannot be read: {e}", rel.display()));
                        continue;
                    }
                };
                match self.check_bytes(kind, &bytes) {
                    Ok(()) => {
                        self.files_checked += 1;
                        self.seen.insert(path, key);
                    }
                    Err(reason) => {
                        // Replaced while being read (a rename between stat and read)? Then
                        // the next pass sees the new file; only a file that stayed put counts.
                        let same = fs::symlink_metadata(&path).is_ok_and(|m| {
                            m.ino() == key.ino && m.len() == key.len && m.mtime() == key.mtime
                        });
                        if same {
                            problems.push(format!("{}: {reason}", rel.display()));
                            self.seen.insert(path, key);
                        }
                    }
                }
            }
        }
        problems
    }

    fn check_bytes(&self, kind: Kind, bytes: &[u8]) -> Result<(), String> {
        if kind == Kind::CheckpointJournal {
            // Appended to in place: only the line being written may be short.
            let journal = panosd::journal::read(bytes);
            return match (journal.bad_lines, journal.first_error, journal.last) {
                (0, _, Some(_)) => Ok(()),
                (0, _, None) => Err(format!(
                    "is a checkpoint journal without a whole line ({} bytes)",
                    bytes.len()
                )),
                (bad, reason, _) => Err(format!(
                    "has {bad} checkpoint line(s) that do not decode: {}",
                    reason.unwrap_or_default()
                )),
            };
        }
        let text = std::str::from_utf8(bytes).map_err(|e| format!("is not UTF-8: {e}"))?;
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("is not whole JSON ({} bytes): {e}", bytes.len()))?;
        let schemas = &self.schemas;
        match kind {
            Kind::Job => {
                schemas.validate("job", &value)?;
                decode::<Job>(bytes).map(drop)
            }
            Kind::FiledJob(folder) => {
                schemas.validate("job", &value)?;
                let job = decode::<Job>(bytes)?;
                match job.result {
                    None => Err("is filed without a result".into()),
                    Some(r) if r.outcome != folder => Err(format!(
                        "has outcome {:?} but is filed in {}/",
                        r.outcome,
                        folder.folder()
                    )),
                    Some(_) => Ok(()),
                }
            }
            Kind::Rejection => {
                schemas.validate("rejection", &value)?;
                decode::<Rejection>(bytes).map(drop)
            }
            Kind::Command(processed) => {
                schemas.validate("command", &value)?;
                let command = decode::<Command>(bytes)?;
                if processed && command.result.is_none() {
                    return Err("is processed without a result or a reason file".into());
                }
                Ok(())
            }
            Kind::DaemonStatus => {
                schemas.validate("daemon-status", &value)?;
                decode::<DaemonStatus>(bytes).map(drop)
            }
            Kind::WorkersStatus => {
                schemas.validate("workers-status", &value)?;
                decode::<WorkersStatus>(bytes).map(drop)
            }
            Kind::DeviceStatus => {
                schemas.validate("device-status", &value)?;
                decode::<DeviceStatus>(bytes).map(drop)
            }
            Kind::HaPairStatus => {
                schemas.validate("ha-pair-status", &value)?;
                decode::<HaPairStatus>(bytes).map(drop)
            }
            Kind::ValidationRecord => {
                schemas.validate("validation-record", &value)?;
                decode::<ValidationRecord>(bytes).map(drop)
            }
            Kind::Checkpoint => serde_json::from_value::<panosd::store::CheckpointFile>(value)
                .map(drop)
                .map_err(|e| format!("is not a checkpoint: {e}")),
            Kind::Config => panosd::Config::from_json(text, Path::new("config.json"))
                .map(drop)
                .map_err(|e| e.to_string()),
            Kind::UpgradePaths => panos_upgrade::UpgradePaths::from_json(text)
                .map(drop)
                .map_err(|e| e.to_string()),
            // A journal is not one JSON document: checked line by line above.
            Kind::CheckpointJournal | Kind::OtherJson | Kind::Skip => Ok(()),
        }
    }
}

/// Bad input moved aside: its original bytes sit in `queue/failed/` or
/// `commands/processed/` beside `<name>.reason.json` (written before the move).
fn quarantined(path: &Path, kind: Kind) -> bool {
    matches!(kind, Kind::FiledJob(_) | Kind::Command(true))
        && fs::symlink_metadata(panos_queue::reason_path(path)).is_ok()
}

/// What an observer saw.
#[derive(Debug, Default)]
pub struct Observation {
    /// Passes over the whole tree.
    pub passes: u64,
    /// Files read and found valid (each version of a file once).
    pub files_checked: u64,
    /// Every problem, once.
    pub violations: BTreeSet<String>,
}

impl Observation {
    /// Adds what the observer saw to a phase's `violations`, marked as observed.
    pub fn report_into(&self, violations: &mut Vec<String>) {
        violations.extend(self.violations.iter().map(|v| format!("observed: {v}")));
    }
}

/// A thread checking a state directory again and again.
pub struct Observer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Observation>,
}

impl Observer {
    /// Starts watching `root`.
    pub fn start(root: &Path, schemas: Arc<Schemas>, hostile_inputs: bool) -> Observer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let root = root.to_path_buf();
        let thread = std::thread::spawn(move || {
            let mut checker = Checker::new(schemas, hostile_inputs);
            let mut seen = Observation::default();
            loop {
                let last = flag.load(Ordering::Relaxed);
                seen.violations.extend(checker.check_tree(&root));
                seen.passes += 1;
                if last {
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            seen.files_checked = checker.files_checked;
            seen
        });
        Observer { stop, thread }
    }

    /// Makes a last pass and returns what was seen.
    pub fn finish(self) -> Observation {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_else(|_| Observation {
            violations: BTreeSet::from(["the observer thread panicked".to_owned()]),
            ..Observation::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Arc<Schemas> {
        Arc::new(Schemas::load(&crate::tidy::workspace_root()).expect("schemas load"))
    }

    #[test]
    fn a_half_written_status_file_and_a_misfiled_job_are_caught() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = panos_queue::StateDir::new(tmp.path());
        dir.create().unwrap();
        let mut checker = Checker::new(schemas(), false);
        assert!(checker.check_tree(tmp.path()).is_empty());

        let job = Job::new(
            panos_queue::JobId::new_random(),
            panos_queue::JobKind::Standalone,
            vec!["0001".parse().unwrap()],
        );
        dir.submit_job(&job).unwrap();
        assert!(checker.check_tree(tmp.path()).is_empty());
        assert_eq!(checker.files_checked, 1);

        fs::write(
            dir.daemon_status_path(),
            br#"{"schema_version": 1, "pid": 4"#,
        )
        .unwrap();
        fs::write(
            dir.queue_dir(panos_queue::QueueFolder::Completed)
                .join("x.json"),
            serde_json::to_vec(&job).unwrap(),
        )
        .unwrap();
        // Skipped: a writer's temp file, a log line cut short, a quarantined original.
        fs::write(dir.status_dir().join(".daemon.json.1.tmp"), "{").unwrap();
        fs::create_dir_all(dir.structured_logs_dir()).unwrap();
        fs::write(dir.structured_logs_dir().join("a.json"), "{\"cut").unwrap();
        let failed = dir.queue_dir(panos_queue::QueueFolder::Failed);
        panos_queue::atomic_write(&failed.join("bad.json"), b"\x00\x01").unwrap();
        let rejection = serde_json::json!({
            "schema_version": 1, "file": "bad.json", "moved_to": "bad.json",
            "reason": "is not UTF-8 text", "rejected_at": "2026-11-24T19:31:00Z"
        });
        panos_queue::atomic_write(
            &failed.join("bad.json.reason.json"),
            rejection.to_string().as_bytes(),
        )
        .unwrap();
        let mut problems = checker.check_tree(tmp.path());
        problems.sort();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("queue/completed/x.json: is filed without a result"));
        assert!(problems[1].starts_with("status/daemon.json: is not whole JSON"));
        // Reported once, not on every pass.
        assert!(checker.check_tree(tmp.path()).is_empty());
    }

    #[test]
    fn a_checkpoint_journal_may_end_short_but_every_whole_line_must_decode() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = panos_queue::StateDir::new(tmp.path());
        dir.create().unwrap();
        let mut checker = Checker::new(schemas(), false);
        let job_id = panos_queue::JobId::new_random();
        let line = serde_json::to_string(&panosd::store::CheckpointFile {
            schema_version: 1,
            job_id,
            checkpoint: None,
            pre_snapshots: Vec::new(),
            updated_at: chrono::Utc::now(),
        })
        .unwrap();
        let path = dir.checkpoint_path(job_id);
        // A line being appended: whole lines before it decode.
        fs::write(&path, format!("{line}\n{line}\n{}", &line[..10])).unwrap();
        assert!(checker.check_tree(tmp.path()).is_empty());
        assert_eq!(checker.files_checked, 1);
        fs::write(&path, format!("{line}\n{{\"schema_version\":1}}\n{line}\n")).unwrap();
        let problems = checker.check_tree(tmp.path());
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].contains("1 checkpoint line(s) that do not decode"),
            "{problems:#?}"
        );
    }
}
