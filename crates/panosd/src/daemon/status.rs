//! The `status_writer` task: `status/daemon.json`, `status/workers.json` and the metrics file
//! (`daemon.metrics_file`), rewritten every few seconds and soon after any change (a burst of
//! changes gives one write).

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
        devices: shared.devices_by_state(),
        job_durations: shared.job_durations(),
        last_panorama_contact: shared.api_stats.last_contact(),
        updated_at: Utc::now(),
    };
    let workers = WorkersStatus {
        schema_version: SchemaVersion,
        workers: shared.worker_slots(),
        updated_at: Utc::now(),
    };
    let metrics = shared
        .metrics_file
        .clone()
        .map(|file| (file, crate::metrics::render(&daemon)));
    let written = shared
        .store
        .io(move |dir| {
            dir.write_daemon_status(&daemon)?;
            dir.write_workers_status(&workers)?;
            if let Some((file, text)) = metrics {
                let file = dir.root().join(file);
                panos_queue::atomic_write_nosync(&file, text.as_bytes())?;
            }
            Ok(())
        })
        .await;
    if let Err(err) = written {
        tracing::error!(%err, "cannot write status/daemon.json, status/workers.json or the metrics file");
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
