//! The `status_writer` task: `status/daemon.json`, `status/workers.json` and the metrics file
//! (`daemon.metrics_file`), rewritten every few seconds and soon after any change (a burst of
//! changes gives one write; changes that keep coming, at most one every [`MIN_GAP`]).

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

/// The shortest time between two writes that follow changes: with thousands of devices the
/// counters change many times a second, and the files are for people and dashboards.
pub const MIN_GAP: Duration = Duration::from_millis(500);

/// Runs until `stop` fires; `debounce` groups bursts of changes.
pub async fn run(
    shared: Arc<Shared>,
    period: Duration,
    debounce: Duration,
    stop: CancellationToken,
) {
    loop {
        let written = tokio::time::Instant::now();
        write_once(&shared).await;
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
            () = shared.status_changed.notified() => {
                let at = (tokio::time::Instant::now() + debounce).max(written + MIN_GAP);
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep_until(at) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use std::os::unix::fs::MetadataExt;

    /// Each write puts a new file in place: its inode number tells one write from the next.
    fn inode(path: &std::path::Path) -> Option<u64> {
        std::fs::metadata(path).ok().map(|m| m.ino())
    }

    /// Changes that keep coming are written at most once per [`MIN_GAP`]; a change after a
    /// quiet time is written after the debounce alone.
    #[tokio::test(start_paused = true)]
    async fn changes_are_written_at_most_once_per_gap() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.create().await.unwrap();
        let file = store.dir().daemon_status_path();
        let shared = Arc::new(Shared::new(
            store,
            Arc::default(),
            1,
            super::super::shared::Live {
                engine: panos_upgrade::EngineConfig::default(),
                paths: Arc::default(),
            },
        ));
        let stop = CancellationToken::new();
        let debounce = Duration::from_millis(50);
        let task = tokio::spawn(run(
            Arc::clone(&shared),
            Duration::from_secs(3600),
            debounce,
            stop.clone(),
        ));
        while inode(&file).is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let first = inode(&file);
        let start = tokio::time::Instant::now();
        shared.status_changed.notify_one();
        tokio::time::sleep(debounce * 2).await;
        assert_eq!(inode(&file), first, "within the gap: no second write yet");
        shared.status_changed.notify_one();
        tokio::time::sleep_until(start + MIN_GAP + debounce).await;
        let second = inode(&file);
        assert_ne!(
            second, first,
            "the changes are written once the gap has passed"
        );

        tokio::time::sleep(MIN_GAP * 2).await;
        shared.status_changed.notify_one();
        tokio::time::sleep(debounce * 2).await;
        assert_ne!(
            inode(&file),
            second,
            "after a quiet time, the debounce alone"
        );
        stop.cancel();
        task.await.unwrap();
    }
}
