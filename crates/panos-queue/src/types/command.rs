//! The command file (`commands/incoming/<timestamp>_<command_id>.json`) and the result the
//! daemon adds when it moves the file to `commands/processed/` under the same name.
//!
//! A command is flat: the `command` word plus the target fields it needs (`job_id`, `serial`).
//! [`Command::action`] checks the combination and gives the daemon a typed [`CommandAction`].

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{CommandId, JobId, SchemaVersion, Serial};

/// What a command asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Cancel a job (`job_id`) or whatever job holds a device (`serial`). A pending job moves
    /// to `queue/cancelled/` at once; a running one stops at the next safe point.
    Cancel,
    /// Run the readiness checks on a device (`serial`); the report is the result's payload.
    Validate,
    /// Take a metrics snapshot of a device (`serial`); the snapshot is the result's payload.
    CollectMetrics,
    /// Re-read the managed devices from Panorama (all, or one `serial`) and refresh
    /// `status/devices/`.
    RefreshInventory,
    /// Stop claiming new jobs (running jobs go on).
    Pause,
    /// Claim jobs again.
    Resume,
}

/// A command file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = command_rules)]
pub struct Command {
    /// Always `1`.
    pub schema_version: SchemaVersion,
    /// The command's id; the file name ends with `_<command_id>.json`.
    pub command_id: CommandId,
    /// What to do.
    pub command: CommandKind,
    /// The job (`cancel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// The device (`cancel`, `validate`, `collect_metrics`, optionally `refresh_inventory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
    /// Who asked (at most 256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
    /// Added by the daemon in `processed/`; never set it when submitting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<CommandResult>,
}

/// The JSON Schema form of [`Command::action`]'s rules: which targets each command takes.
fn command_rules(schema: &mut schemars::Schema) {
    let when = |commands: &[&str], then: serde_json::Value| {
        serde_json::json!({
            "if": {"properties": {"command": {"enum": commands}}, "required": ["command"]},
            "then": then,
        })
    };
    let rules = serde_json::json!([
        when(
            &["cancel"],
            serde_json::json!({
                "oneOf": [
                    {"required": ["job_id"], "not": {"required": ["serial"]}},
                    {"required": ["serial"], "not": {"required": ["job_id"]}}
                ]
            })
        ),
        when(
            &["validate", "collect_metrics"],
            serde_json::json!({
                "required": ["serial"], "not": {"required": ["job_id"]}
            })
        ),
        when(
            &["refresh_inventory"],
            serde_json::json!({"not": {"required": ["job_id"]}})
        ),
        when(
            &["pause", "resume"],
            serde_json::json!({
                "not": {"anyOf": [{"required": ["job_id"]}, {"required": ["serial"]}]}
            })
        ),
    ]);
    schema.insert("allOf".into(), rules);
}

/// What to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelTarget {
    /// One job.
    Job(JobId),
    /// The job (pending or active) that holds this device.
    Device(Serial),
}

/// A command's request, checked and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandAction {
    /// Cancel a job.
    Cancel(CancelTarget),
    /// Readiness checks of a device.
    Validate(Serial),
    /// A metrics snapshot of a device.
    CollectMetrics(Serial),
    /// Re-read the inventory (one device, or all).
    RefreshInventory(Option<Serial>),
    /// Stop claiming jobs.
    Pause,
    /// Claim jobs again.
    Resume,
}

impl Command {
    /// A command without targets.
    pub fn new(command_id: CommandId, command: CommandKind) -> Self {
        Self {
            schema_version: SchemaVersion,
            command_id,
            command,
            job_id: None,
            serial: None,
            submitted_by: None,
            result: None,
        }
    }

    /// The typed request, or why the fields do not fit the command.
    pub fn action(&self) -> Result<CommandAction, String> {
        let kind = self.command;
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let no_job = || match self.job_id {
            Some(_) => Err(format!("{name} takes no job_id")),
            None => Ok(()),
        };
        let need_serial = || {
            no_job()?;
            self.serial
                .clone()
                .ok_or_else(|| format!("{name} needs a serial"))
        };
        match kind {
            CommandKind::Cancel => match (&self.job_id, &self.serial) {
                (Some(job), None) => Ok(CommandAction::Cancel(CancelTarget::Job(*job))),
                (None, Some(serial)) => {
                    Ok(CommandAction::Cancel(CancelTarget::Device(serial.clone())))
                }
                _ => Err("cancel needs exactly one of job_id or serial".into()),
            },
            CommandKind::Validate => need_serial().map(CommandAction::Validate),
            CommandKind::CollectMetrics => need_serial().map(CommandAction::CollectMetrics),
            CommandKind::RefreshInventory => {
                no_job()?;
                Ok(CommandAction::RefreshInventory(self.serial.clone()))
            }
            CommandKind::Pause | CommandKind::Resume => {
                if self.job_id.is_some() || self.serial.is_some() {
                    return Err(format!("{name} takes no job_id or serial"));
                }
                Ok(if kind == CommandKind::Pause {
                    CommandAction::Pause
                } else {
                    CommandAction::Resume
                })
            }
        }
    }

    /// The rules the types cannot express; the reason when one is broken.
    pub fn check(&self) -> Result<(), String> {
        if self
            .submitted_by
            .as_ref()
            .is_some_and(|s| s.chars().count() > 256)
        {
            return Err("submitted_by is longer than 256 characters".into());
        }
        self.action().map(|_| ())
    }
}

/// Whether a command was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Carried out; `payload` holds what it produced.
    Accepted,
    /// Refused before anything was done: a malformed file, an unknown job, a job already
    /// finished; `reason` says why.
    Rejected,
    /// Tried and failed (e.g. the device did not answer); `reason` says why.
    Failed,
}

/// What the daemon adds to a command file in `commands/processed/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommandResult {
    /// `accepted`, `rejected` or `failed`.
    pub status: CommandStatus,
    /// Why, when rejected or failed; a note otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the daemon finished with it.
    pub finished_at: DateTime<Utc>,
    /// What the command produced: `validate` a readiness report, `collect_metrics` a
    /// snapshot, `cancel` `{"job_id", "was": "pending"|"active"}`, `refresh_inventory`
    /// `{"devices": n}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(kind: CommandKind) -> Command {
        Command::new(CommandId::new_random(), kind)
    }

    #[test]
    fn cancel_needs_exactly_one_target() {
        let mut c = command(CommandKind::Cancel);
        assert!(c.action().is_err());
        c.job_id = Some(JobId::new_random());
        assert!(matches!(
            c.action(),
            Ok(CommandAction::Cancel(CancelTarget::Job(_)))
        ));
        c.serial = Some("0001".parse().unwrap());
        assert!(c.action().unwrap_err().contains("exactly one"));
    }

    #[test]
    fn device_commands_need_a_serial_and_pause_takes_none() {
        let mut c = command(CommandKind::Validate);
        assert!(c.action().unwrap_err().contains("needs a serial"));
        c.serial = Some("0001".parse().unwrap());
        assert!(matches!(c.action(), Ok(CommandAction::Validate(_))));
        let mut p = command(CommandKind::Pause);
        assert_eq!(p.action(), Ok(CommandAction::Pause));
        p.serial = c.serial.clone();
        assert!(p.action().is_err());
        assert!(matches!(
            command(CommandKind::RefreshInventory).action(),
            Ok(CommandAction::RefreshInventory(None))
        ));
    }
}
