//! The `command_watcher` loop: reads `commands/incoming/`, carries out each command once
//! (cancel, validate, collect metrics, refresh the inventory, pause, resume) and files it in
//! `commands/processed/` with its result. Commands that talk to Panorama run as their own
//! tasks so a slow device does not hold up a cancel.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use panos_client::PanosApi;
use panos_queue::{
    CancelTarget, CommandAction, CommandResult, CommandStatus, IncomingCommand, JobOutcome,
    JobResult,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::inventory;
use super::probe;
use super::shared::Shared;
use super::tasks::Tasks;

/// The command loop's inputs.
pub struct CommandLoop<A> {
    /// The daemon's shared state.
    pub shared: Arc<Shared>,
    /// The one API client.
    pub api: Arc<A>,
    /// The daemon's tasks.
    pub tasks: Arc<Tasks>,
    /// Fires when the daemon stops.
    pub stop: CancellationToken,
    /// How often to rescan without a watcher event.
    pub rescan: Duration,
}

fn result(
    status: CommandStatus,
    reason: Option<String>,
    payload: Option<serde_json::Value>,
) -> CommandResult {
    CommandResult {
        status,
        reason,
        finished_at: Utc::now(),
        payload,
    }
}

impl<A: PanosApi + 'static> CommandLoop<A> {
    /// Runs until `stop` fires.
    pub async fn run(self) {
        let mut watcher = self.shared.store.dir().watch_commands(self.rescan);
        let started: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        loop {
            tokio::select! {
                () = self.stop.cancelled() => break,
                _ = watcher.next() => {}
            }
            let scan = match self.shared.store.io(|dir| dir.scan_commands()).await {
                Ok(scan) => scan,
                Err(err) => {
                    tracing::error!(%err, "cannot scan commands/incoming/");
                    continue;
                }
            };
            if !scan.rejected.is_empty() {
                for rejected in &scan.rejected {
                    tracing::warn!(file = %rejected.from.display(), reason = %rejected.reason, "malformed command file moved aside");
                }
                let n = scan.rejected.len() as u64;
                self.shared.count(|c| c.files_rejected += n);
            }
            for incoming in scan.items {
                let fresh = started
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(incoming.name.clone());
                if !fresh {
                    continue;
                }
                let shared = Arc::clone(&self.shared);
                let api = Arc::clone(&self.api);
                let started = Arc::clone(&started);
                let span =
                    tracing::info_span!("command", command_id = %incoming.command.command_id);
                self.tasks.spawn(tracing::Instrument::instrument(
                    async move {
                        let result = carry_out(&shared, &*api, &incoming).await;
                        tracing::info!(status = ?result.status, reason = result.reason.as_deref(), "command processed");
                        let name = incoming.name.clone();
                        if let Err(err) = shared
                            .store
                            .io(move |dir| dir.complete_command(&incoming, result))
                            .await
                        {
                            tracing::error!(%err, "cannot file the processed command");
                        }
                        shared.count(|c| c.commands_processed += 1);
                        started.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
                    },
                    span,
                ));
            }
        }
    }
}

async fn carry_out<A: PanosApi>(
    shared: &Arc<Shared>,
    api: &A,
    incoming: &IncomingCommand,
) -> CommandResult {
    let action = match incoming.command.action() {
        Ok(action) => action,
        Err(reason) => return result(CommandStatus::Rejected, Some(reason), None),
    };
    let by = incoming.command.submitted_by.clone();
    match action {
        CommandAction::Cancel(target) => cancel(shared, target, by).await,
        CommandAction::Pause => {
            shared.set_paused(true);
            tracing::info!("claiming paused by command");
            result(
                CommandStatus::Accepted,
                Some("claiming paused; running jobs go on".into()),
                None,
            )
        }
        CommandAction::Resume => {
            shared.set_paused(false);
            tracing::info!("claiming resumed by command");
            result(CommandStatus::Accepted, None, None)
        }
        CommandAction::RefreshInventory(serial) => {
            match inventory::refresh(shared, api, serial.as_ref().map(|s| s.as_str())).await {
                Ok(n) => result(CommandStatus::Accepted, None, Some(json!({ "devices": n }))),
                Err(reason) => result(CommandStatus::Failed, Some(reason), None),
            }
        }
        CommandAction::Validate(serial) => match probe::validate(shared, api, &serial).await {
            Ok(report) => result(CommandStatus::Accepted, None, Some(report)),
            Err(reason) => result(CommandStatus::Failed, Some(reason), None),
        },
        CommandAction::CollectMetrics(serial) => match probe::collect(shared, api, &serial).await {
            Ok(snapshot) => result(CommandStatus::Accepted, None, Some(snapshot)),
            Err(reason) => result(CommandStatus::Failed, Some(reason), None),
        },
    }
}

async fn cancel(shared: &Shared, target: CancelTarget, by: Option<String>) -> CommandResult {
    let (job_id, serial) = match &target {
        CancelTarget::Job(id) => (Some(*id), None),
        CancelTarget::Device(serial) => (None, Some(serial.to_string())),
    };
    if let Some(id) = shared.cancel_running(job_id, serial.as_deref(), by.clone()) {
        tracing::info!(job_id = %id, "cancel requested for a running job");
        return result(
            CommandStatus::Accepted,
            Some("the job stops at its next safe point".into()),
            Some(json!({ "job_id": id, "was": "active" })),
        );
    }
    // Not running: a pending job (by id, or the first that holds the device).
    let pending_id = match (job_id, serial) {
        (Some(id), _) => Some(id),
        (None, Some(serial)) => shared
            .store
            .io(move |dir| {
                Ok(dir
                    .scan_pending()?
                    .items
                    .into_iter()
                    .find(|p| p.job.devices.iter().any(|d| d.as_str() == serial))
                    .map(|p| p.job.job_id))
            })
            .await
            .ok()
            .flatten(),
        (None, None) => None,
    };
    let Some(id) = pending_id else {
        return result(
            CommandStatus::Rejected,
            Some("no pending or running job matches (it may have ended already)".into()),
            None,
        );
    };
    let cancelled = JobResult {
        outcome: JobOutcome::Cancelled,
        started_at: None,
        finished_at: Utc::now(),
        error: None,
        manual_action: None,
        cancelled_by: by,
        devices: Vec::new(),
    };
    match shared
        .store
        .io(move |dir| dir.cancel_pending(id, cancelled))
        .await
    {
        Ok(Some(_)) => {
            shared.count(|c| c.jobs_cancelled += 1);
            result(
                CommandStatus::Accepted,
                None,
                Some(json!({ "job_id": id, "was": "pending" })),
            )
        }
        Ok(None) => result(
            CommandStatus::Rejected,
            Some(format!(
                "job {id} is neither pending nor running (it may have ended already)"
            )),
            None,
        ),
        Err(err) => result(CommandStatus::Failed, Some(err.to_string()), None),
    }
}
