//! Asking the daemon something through `commands/`: write a command file the protocol way
//! (panos-queue's `submit_command`: dot-file, fsync, link into `incoming/`) and poll
//! `commands/processed/<name>` for its result, with a timeout.

use std::time::{Duration, Instant};

use panos_queue::{Command, CommandId, CommandKind, CommandResult, Serial, StateDir};

use crate::daemon::require_running;
use crate::error::{CtlError, Result};

/// Who is asking, for the audit trail: `$USER` (or `panosctl`).
pub fn submitted_by() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty() && u.chars().count() <= 200)
        .map_or_else(|| "panosctl".to_owned(), |u| format!("{u} (panosctl)"))
}

/// A new command of `kind` about `serial`.
pub fn command(kind: CommandKind, serial: Option<Serial>) -> Command {
    let mut command = Command::new(CommandId::new_random(), kind);
    command.serial = serial;
    command.submitted_by = Some(submitted_by());
    command
}

/// Writes `command` and returns its file name.
pub fn submit(state: &StateDir, command: &Command) -> Result<String> {
    Ok(state.submit_command(command)?)
}

/// Waits for the result of the command filed as `name`, for at most `timeout`. Fails with
/// [`CtlError::NotRunning`] if the daemon stops (or never ran) before answering.
pub fn wait(state: &StateDir, name: &str, timeout: Duration) -> Result<CommandResult> {
    let deadline = Instant::now() + timeout;
    let mut checked_alive = Instant::now();
    loop {
        if let Some(result) = state.command_result(name)? {
            return Ok(result);
        }
        if checked_alive.elapsed() > Duration::from_secs(1) {
            require_running(state)?;
            checked_alive = Instant::now();
        }
        if Instant::now() > deadline {
            return Err(CtlError::Failed(format!(
                "no answer from panosd within {} s; the command stays queued as \
                 commands/incoming/{name} and its result will appear in commands/processed/",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends `command` to the running daemon and waits for its result.
pub fn ask(state: &StateDir, command: &Command, timeout: Duration) -> Result<CommandResult> {
    require_running(state)?;
    let name = submit(state, command)?;
    wait(state, &name, timeout)
}
