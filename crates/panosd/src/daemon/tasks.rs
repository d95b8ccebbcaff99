//! [`Tasks`]: every task the daemon spawns, tracked (a [`TaskTracker`], to wait for them on
//! shutdown) and aborted when the daemon's future is dropped, so a dropped or aborted
//! daemon leaves nothing running behind it, as a killed process would not.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio_util::task::TaskTracker;
use tracing::instrument::WithSubscriber;

/// The daemon's tasks.
#[derive(Debug, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    handles: Mutex<Vec<AbortHandle>>,
}

impl Tasks {
    /// A new, empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `future` with the current log dispatcher, tracked.
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = self.tracker.spawn(future.with_current_subscriber());
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        handles.retain(|h| !h.is_finished());
        handles.push(handle.abort_handle());
    }

    /// Waits until every task has ended, at most `grace`; returns whether they all did.
    pub async fn wait(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }

    /// Aborts every task still running.
    pub fn abort_all(&self) {
        let handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        for handle in handles.iter() {
            handle.abort();
        }
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// Aborts every task of a [`Tasks`] when dropped. Tasks hold the set themselves (to spawn
/// job tasks), so the set alone is never dropped while they run: the daemon's future holds
/// this guard instead, and dropping that future (a crash, an aborted test task) ends them.
#[derive(Debug)]
pub struct AbortOnDrop(pub std::sync::Arc<Tasks>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort_all();
    }
}
