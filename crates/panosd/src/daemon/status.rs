//! The `status_writer` task: `status/daemon.json` and `status/workers.json`, rewritten every
//! few seconds and soon after any change (a burst of changes gives one write).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use panos_queue::{DaemonStatus, SchemaVersion, WorkerCounts, WorkersStatus};
use tokio_util::sync::CancellationToken;

use super::shared::Shared;

/// Writes both files once.
pub async fn write_once(shared: &Shared) {
    let depths = shared
        .store
        .io(|dir| dir.queue_depths())
        .await
        .unwrap_or_default();
    let daemon = DaemonStatus {
        schema_version: SchemaVersion,
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: shared.started_at,
        state: shared.state(),
        workers: WorkerCounts {
            configured: shared.workers.configured(),
            busy: shared.busy(),
        },
        queue: depths,
        counters: shared.counters(),
        last_panorama_contact: shared.api_stats.last_contact(),
        updated_at: Utc::now(),
    };
    let workers = WorkersStatus {
        schema_version: SchemaVersion,
        workers: shared.worker_slots(),
        updated_at: Utc::now(),
    };
    let written = shared
        .store
        .io(move |dir| {
            dir.write_daemon_status(&daemon)?;
            dir.write_workers_status(&workers)
        })
        .await;
    if let Err(err) = written {
        tracing::error!(%err, "cannot write status/daemon.json or status/workers.json");
    }
}

/// Runs until `stop` fires; `debounce` groups bursts of changes.
pub async fn run(
    shared: Arc<Shared>,
    period: Duration,
    debounce: Duration,
    stop: CancellationToken,
) {
    loop {
        write_once(&shared).await;
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
            () = shared.status_changed.notified() => {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(debounce) => {}
                }
            }
        }
    }
}
