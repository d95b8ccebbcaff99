//! The command queue: `commands/incoming/<timestamp>_<command_id>.json` in, the same name in
//! `commands/processed/` with a `result` out.
//!
//! A command stays in `incoming/` while the daemon works on it (the daemon remembers which
//! it has started); [`StateDir::complete_command`] writes `processed/<name>` with the result,
//! then removes the incoming file. A client waits for a command by polling
//! [`StateDir::command_result`] (that is: `processed/<name>`, or for a refused file
//! `processed/<name>.reason.json`, which is written before the file is moved).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{QueueError, Result};
use crate::fsio::{atomic_create, list_candidates, read_json, sync_dir, to_json_bytes, write_json};
use crate::layout::{StateDir, file_timestamp};
use crate::quarantine::{Rejection, move_aside_or_log, reason_path};
use crate::scan::{Candidate, Scan, read_candidate};
use crate::types::command::{Command, CommandResult, CommandStatus};
use crate::types::ids::CommandId;

/// A valid command in `incoming/`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingCommand {
    /// Its file name (`<timestamp>_<command_id>.json`).
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// The command.
    pub command: Command,
}

/// The file name for a command: `<YYYYMMDDTHHMMSS.ffffffZ>_<command_id>.json`.
pub fn command_file_name(at: DateTime<Utc>, id: CommandId) -> String {
    format!("{}_{id}.json", file_timestamp(at))
}

/// Checks a command file's name against its id: `<timestamp>_<command_id>.json`, where the
/// timestamp is 1–32 of `0-9 A-Z a-z . -`.
fn check_name(name: &str, command: &Command) -> Result<(), String> {
    let expected_tail = format!("_{}.json", command.command_id);
    let why = || {
        format!(
            "file name {name:?} is not <timestamp>{expected_tail} (timestamp: 1 to 32 of \
             0-9 A-Z a-z . -, e.g. 20261124T193322.123Z)"
        )
    };
    let stamp = name.strip_suffix(&expected_tail).ok_or_else(why)?;
    let ok = !stamp.is_empty()
        && stamp.len() <= 32
        && stamp
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !ok {
        return Err(why());
    }
    if command.result.is_some() {
        return Err("has a result: results are written by the daemon, remove it".into());
    }
    Ok(())
}

impl StateDir {
    /// Submits a command the way the web app does (dot-file, fsync, no-clobber link). Returns
    /// the file name to wait on with [`StateDir::command_result`].
    pub fn submit_command(&self, command: &Command) -> Result<String> {
        let name = command_file_name(Utc::now(), command.command_id);
        let path = self.commands_incoming_dir().join(&name);
        command.check().map_err(|reason| QueueError::Invalid {
            path: path.clone(),
            reason,
        })?;
        if !atomic_create(&path, &to_json_bytes(command, &path)?)? {
            return Err(QueueError::Invalid {
                path,
                reason: "a command file of this name exists already".into(),
            });
        }
        Ok(name)
    }

    /// Every valid command in `incoming/`, in name (so submission-time) order; bad files are
    /// moved to `processed/` with a reason file, and so is a command whose `command_id` was
    /// used already (by an earlier file in `incoming/`, or one in `processed/`): an id names
    /// one command, run once. A file whose result is already in `processed/` under the same
    /// name (the daemon stopped between filing the result and removing the file) is removed.
    pub fn scan_commands(&self) -> Result<Scan<IncomingCommand>> {
        let processed = self.commands_processed_dir();
        let mut scan = Scan::default();
        let incoming = list_candidates(&self.commands_incoming_dir())?;
        // The ids already run: `<stamp>_<command_id>.json` in processed/ (reason files and
        // moved-aside files do not count).
        let mut used: HashMap<String, String> = HashMap::new();
        let mut filed: HashSet<String> = HashSet::new();
        if !incoming.is_empty() {
            for path in list_candidates(&processed)? {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if let Some(id) = name
                    .strip_suffix(".json")
                    .and_then(|stem| stem.rsplit_once('_'))
                    .map(|(_, id)| id)
                {
                    used.entry(id.to_owned()).or_insert_with(|| name.to_owned());
                    filed.insert(name.to_owned());
                }
            }
        }
        for path in incoming {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let reason = match read_candidate::<Command>(&path) {
                Candidate::Gone => continue,
                Candidate::Unfinished => {
                    scan.deferred.push(path);
                    continue;
                }
                Candidate::Refused(reason) => reason,
                Candidate::Valid(command, _) => match check_name(&name, &command) {
                    Ok(()) => {
                        let id = command.command_id.to_string();
                        if filed.contains(&name) {
                            // Already run and filed; only the removal was missed.
                            if let Err(err) = fs::remove_file(&path)
                                && err.kind() != io::ErrorKind::NotFound
                            {
                                tracing::error!(%err, file = %path.display(), "cannot remove a command already processed");
                            }
                            continue;
                        }
                        if let Some(other) = used.get(&id) {
                            let reason = format!(
                                "has a command_id already used ({other}): a command_id names one command; submit a new command with a new command_id"
                            );
                            scan.rejected
                                .extend(move_aside_or_log(&path, &processed, &reason));
                            continue;
                        }
                        used.insert(id, name.clone());
                        scan.items.push(IncomingCommand {
                            name,
                            path,
                            command,
                        });
                        continue;
                    }
                    Err(reason) => reason,
                },
            };
            scan.rejected
                .extend(move_aside_or_log(&path, &processed, &reason));
        }
        Ok(scan)
    }

    /// Files a command with its result in `processed/<name>` and removes it from
    /// `incoming/`. Returns the new path.
    pub fn complete_command(
        &self,
        incoming: &IncomingCommand,
        result: CommandResult,
    ) -> Result<PathBuf> {
        let mut command = incoming.command.clone();
        command.result = Some(result);
        let dest = self.commands_processed_dir().join(&incoming.name);
        write_json(&dest, &command)?;
        match fs::remove_file(&incoming.path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(QueueError::io("remove", &incoming.path, err)),
        }
        sync_dir(&self.commands_incoming_dir())?;
        Ok(dest)
    }

    /// The result of the command submitted as `name`, once the daemon has one: from
    /// `processed/<name>`, or from its reason file when the file was refused.
    pub fn command_result(&self, name: &str) -> Result<Option<CommandResult>> {
        let path = self.commands_processed_dir().join(name);
        let reason = reason_path(&path);
        if let Some(rejection) = read_json::<Rejection>(&reason)? {
            return Ok(Some(CommandResult {
                status: CommandStatus::Rejected,
                reason: Some(format!("the file {}", rejection.reason)),
                finished_at: rejection.rejected_at,
                payload: None,
            }));
        }
        Ok(read_json::<Command>(&path)?.and_then(|c| c.result))
    }
}
