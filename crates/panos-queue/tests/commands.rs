//! The command queue: submit, scan in name order, complete with a result, wait for it; bad
//! command files go to `processed/` with a reason a waiting client can read.

use std::fs;

use chrono::Utc;
use panos_queue::{
    CancelTarget, Command, CommandAction, CommandId, CommandKind, CommandResult, CommandStatus,
    JobId, StateDir,
};

fn state() -> (tempfile::TempDir, StateDir) {
    let tmp = tempfile::tempdir().unwrap();
    let state = StateDir::new(tmp.path());
    state.create().unwrap();
    (tmp, state)
}

#[test]
fn a_command_is_scanned_completed_and_its_result_read_back() {
    let (_tmp, state) = state();
    let mut cancel = Command::new(CommandId::new_random(), CommandKind::Cancel);
    let job = JobId::new_random();
    cancel.job_id = Some(job);
    let name = state.submit_command(&cancel).unwrap();
    assert!(name.ends_with(&format!("_{}.json", cancel.command_id)));
    assert_eq!(
        state.command_result(&name).unwrap(),
        None,
        "not processed yet"
    );

    let scan = state.scan_commands().unwrap();
    assert_eq!(scan.items.len(), 1);
    let incoming = &scan.items[0];
    assert_eq!(
        incoming.command.action().unwrap(),
        CommandAction::Cancel(CancelTarget::Job(job))
    );
    let result = CommandResult {
        status: CommandStatus::Accepted,
        reason: None,
        finished_at: Utc::now(),
        payload: Some(serde_json::json!({"job_id": job.to_string(), "was": "pending"})),
    };
    state.complete_command(incoming, result.clone()).unwrap();
    assert_eq!(state.command_result(&name).unwrap(), Some(result));
    assert!(state.scan_commands().unwrap().items.is_empty());
}

#[test]
fn commands_come_out_in_name_order() {
    let (_tmp, state) = state();
    let incoming = state.commands_incoming_dir();
    let mut ids = Vec::new();
    for stamp in ["20261124T100000Z", "20261124T090000Z", "20261124T110000Z"] {
        let c = Command::new(CommandId::new_random(), CommandKind::Pause);
        fs::write(
            incoming.join(format!("{stamp}_{}.json", c.command_id)),
            serde_json::to_vec(&c).unwrap(),
        )
        .unwrap();
        ids.push((stamp, c.command_id));
    }
    ids.sort();
    let got: Vec<CommandId> = state
        .scan_commands()
        .unwrap()
        .items
        .iter()
        .map(|c| c.command.command_id)
        .collect();
    assert_eq!(got, ids.iter().map(|(_, id)| *id).collect::<Vec<_>>());
}

#[test]
fn a_bad_command_is_rejected_with_a_reason_the_client_can_wait_for() {
    let (_tmp, state) = state();
    let id = CommandId::new_random();
    let cases = [
        (
            format!("20261124T1_{id}.json"),
            format!(r#"{{"schema_version":1,"command_id":"{id}","command":"validate"}}"#),
            "needs a serial",
        ),
        (
            format!("20261124T2_{}.json", CommandId::new_random()),
            format!(r#"{{"schema_version":1,"command_id":"{id}","command":"pause"}}"#),
            "is not <timestamp>",
        ),
        (
            format!("20261124T3_{id}.json"),
            format!(r#"{{"schema_version":1,"command_id":"{id}","command":"reboot"}}"#),
            "unknown variant",
        ),
        (
            format!("20261124T4_{id}.json"),
            "{".to_owned(),
            "not valid JSON",
        ),
    ];
    for (name, text, _) in &cases {
        let path = state.commands_incoming_dir().join(name);
        fs::write(&path, text).unwrap();
        // Old enough not to pass for a file still being written.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let scan = state.scan_commands().unwrap();
    assert!(scan.items.is_empty());
    assert_eq!(scan.rejected.len(), cases.len());
    for (name, text, why) in &cases {
        let moved = state.commands_processed_dir().join(name);
        assert_eq!(
            &fs::read_to_string(&moved).unwrap(),
            text,
            "original bytes kept"
        );
        let result = state.command_result(name).unwrap().expect("a result");
        assert_eq!(result.status, CommandStatus::Rejected);
        assert!(
            result.reason.as_deref().unwrap().contains(why),
            "{result:?}"
        );
    }
}

/// A command id names one command: a second file with the same id (waiting beside the first,
/// or arriving after it ran) is refused with a reason; a file whose result is already filed
/// under its own name is only removed.
#[test]
fn a_command_id_runs_once() {
    let (_tmp, state) = state();
    let incoming = state.commands_incoming_dir();
    let c = Command::new(CommandId::new_random(), CommandKind::Pause);
    let bytes = serde_json::to_vec(&c).unwrap();
    let (first, second, third) = (
        format!("20261124T090000Z_{}.json", c.command_id),
        format!("20261124T100000Z_{}.json", c.command_id),
        format!("20261124T110000Z_{}.json", c.command_id),
    );
    fs::write(incoming.join(&first), &bytes).unwrap();
    fs::write(incoming.join(&second), &bytes).unwrap();
    let scan = state.scan_commands().unwrap();
    assert_eq!(scan.items.len(), 1);
    assert_eq!(scan.items[0].name, first, "the earlier file runs");
    assert_eq!(scan.rejected.len(), 1);
    assert!(
        scan.rejected[0].reason.contains("command_id already used"),
        "{:?}",
        scan.rejected
    );
    let refused = state
        .command_result(&second)
        .unwrap()
        .expect("a result to wait on");
    assert_eq!(refused.status, CommandStatus::Rejected);

    let done = CommandResult {
        status: CommandStatus::Accepted,
        reason: None,
        finished_at: Utc::now(),
        payload: None,
    };
    state.complete_command(&scan.items[0], done).unwrap();
    // After it ran: a new file with the same id is refused too.
    fs::write(incoming.join(&third), &bytes).unwrap();
    let scan = state.scan_commands().unwrap();
    assert!(scan.items.is_empty());
    assert_eq!(scan.rejected.len(), 1);
    // The daemon stopped between filing a result and removing the file: removed, not rerun.
    fs::write(incoming.join(&first), &bytes).unwrap();
    let scan = state.scan_commands().unwrap();
    assert!(scan.items.is_empty() && scan.rejected.is_empty());
    assert!(!incoming.join(&first).exists());
}
