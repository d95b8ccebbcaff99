//! [`QueueWatcher`]: turns file-system events in `queue/pending/` or `commands/incoming/` into
//! "rescan now" hints for an async loop.
//!
//! The watcher only lowers latency. Correctness comes from rescanning: [`QueueWatcher::next`]
//! answers [`Hint::Startup`] first, [`Hint::Resync`] after a watcher error or an event
//! overflow, and [`Hint::Periodic`] when nothing happened for the configured interval. Bursts
//! of events collapse into one hint. If the watcher cannot start (no inotify instances left,
//! …), the loop still runs on periodic rescans.
//!
//! ```no_run
//! # async fn demo(state: panos_queue::StateDir) -> Result<(), panos_queue::QueueError> {
//! let mut watcher = state.watch_pending(std::time::Duration::from_secs(30));
//! loop {
//!     let _hint = watcher.next().await;
//!     let scan = tokio::task::spawn_blocking({
//!         let state = state.clone();
//!         move || state.scan_pending()
//!     })
//!     .await
//!     .expect("scan task")?;
//!     // ... claim what is due ...
//! #   let _ = scan; break;
//! }
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use crate::error::{QueueError, Result};
use crate::fsio::is_candidate;
use crate::layout::{QueueFolder, StateDir};

/// Why [`QueueWatcher::next`] returned: in every case, rescan the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// The first call: scan what is already there.
    Startup,
    /// A file appeared, was renamed in, or changed.
    Changed,
    /// The watcher reported an error or lost events: scan everything.
    Resync,
    /// Nothing happened for the interval: the periodic safety scan.
    Periodic,
}

#[derive(Debug)]
struct Shared {
    wake: Notify,
    resync: AtomicBool,
    /// Names of the candidate files events named since the last [`QueueWatcher::take_names`];
    /// `None` once more than [`MAX_NAMES`] piled up (then only a scan will do).
    names: std::sync::Mutex<Option<Vec<String>>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            wake: Notify::new(),
            resync: AtomicBool::new(false),
            names: std::sync::Mutex::new(Some(Vec::new())),
        }
    }
}

/// The most file names kept between two [`QueueWatcher::take_names`].
const MAX_NAMES: usize = 10_000;

impl Shared {
    /// Notes the candidate file names of `event`.
    fn note_names(&self, event: &Event) {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = names.as_mut() else {
            return;
        };
        for path in &event.paths {
            let Some(name) = path.file_name().filter(|n| is_candidate(n)) else {
                continue;
            };
            match name.to_str() {
                Some(name) if list.len() < MAX_NAMES => list.push(name.to_owned()),
                // Too many, or not UTF-8 (a scan moves it aside): scan.
                _ => {
                    *names = None;
                    return;
                }
            }
        }
    }
}

/// Rescan hints for one or more directories (see the module doc).
pub struct QueueWatcher {
    shared: Arc<Shared>,
    period: Duration,
    started: bool,
    watcher: Option<RecommendedWatcher>,
}

impl std::fmt::Debug for QueueWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueWatcher")
            .field("period", &self.period)
            .field("watching", &self.watcher.is_some())
            .finish()
    }
}

/// Whether an event may mean a new or changed protocol file. A file renamed *out* of the
/// folder (a claim, a cancel) brings nothing new to scan, so it wakes no one: a daemon that
/// claims thousands of jobs does not rescan its backlog after each.
fn relevant(event: &Event) -> bool {
    if matches!(
        event.kind,
        EventKind::Modify(ModifyKind::Name(RenameMode::From))
    ) {
        return false;
    }
    let kind_matters = matches!(
        event.kind,
        EventKind::Create(_)
            | EventKind::Modify(ModifyKind::Name(_) | ModifyKind::Data(_) | ModifyKind::Any)
            // A file written in place was closed: a deferred (unfinished) file may be complete.
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Any
            | EventKind::Other
    );
    kind_matters
        && event
            .paths
            .iter()
            .any(|p| p.file_name().is_some_and(is_candidate))
}

impl QueueWatcher {
    /// Watches `dirs`; on failure logs a warning and relies on periodic rescans.
    pub fn start(dirs: &[PathBuf], period: Duration) -> Self {
        match Self::try_start(dirs, period) {
            Ok(watcher) => watcher,
            Err(err) => {
                tracing::warn!(%err, "file watcher unavailable; rescanning periodically");
                Self::periodic_only(period)
            }
        }
    }

    /// Watches `dirs`, failing when the watcher cannot be started.
    pub fn try_start(dirs: &[PathBuf], period: Duration) -> Result<Self> {
        let shared = Arc::new(Shared::default());
        let sink = Arc::clone(&shared);
        let handler = move |res: notify::Result<Event>| match res {
            Ok(event) if event.need_rescan() => {
                sink.resync.store(true, Ordering::Release);
                sink.wake.notify_one();
            }
            Ok(event) => {
                if relevant(&event) {
                    sink.note_names(&event);
                    sink.wake.notify_one();
                }
            }
            Err(err) => {
                tracing::warn!(%err, "file watcher error; rescanning");
                sink.resync.store(true, Ordering::Release);
                sink.wake.notify_one();
            }
        };
        let watch_err = |path: &Path, source| QueueError::Watch {
            path: path.to_owned(),
            source,
        };
        let mut watcher =
            notify::recommended_watcher(handler).map_err(|e| watch_err(Path::new("."), e))?;
        for dir in dirs {
            watcher
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|e| watch_err(dir, e))?;
        }
        Ok(Self {
            shared,
            period,
            started: false,
            watcher: Some(watcher),
        })
    }

    /// No file-system watcher: hints at start-up, on [`QueueWatcher::wake`] and periodically.
    pub fn periodic_only(period: Duration) -> Self {
        Self {
            shared: Arc::default(),
            period,
            started: false,
            watcher: None,
        }
    }

    /// Whether a file-system watcher is running (false: periodic rescans only).
    pub fn is_watching(&self) -> bool {
        self.watcher.is_some()
    }

    /// Wakes [`QueueWatcher::next`] as an event would (e.g. after a job finished, so a
    /// waiting job can be claimed without waiting for the period).
    pub fn wake(&self) {
        // Not an event with names: the loop scans.
        *self.shared.names.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.shared.wake.notify_one();
    }

    /// The names of the files that events reported new or changed since the last call, for
    /// a loop that reads just those after a [`Hint::Changed`]
    /// ([`StateDir::scan_pending_names`]); empty when the events were taken by the previous
    /// call. `None` when it must scan the whole directory instead: no watcher, a
    /// [`QueueWatcher::wake`], or too many names (every name reported is then dropped, and
    /// the next call starts a new list).
    pub fn take_names(&self) -> Option<Vec<String>> {
        let mut names = self.shared.names.lock().unwrap_or_else(|p| p.into_inner());
        let taken = names.replace(Vec::new());
        self.watcher.as_ref().and(taken)
    }

    /// Waits for the next reason to rescan. Cancel-safe: use it in `tokio::select!`.
    pub async fn next(&mut self) -> Hint {
        if !self.started {
            self.started = true;
            return Hint::Startup;
        }
        let woke = tokio::time::timeout(self.period, self.shared.wake.notified()).await;
        if self.shared.resync.swap(false, Ordering::AcqRel) {
            Hint::Resync
        } else if woke.is_ok() {
            Hint::Changed
        } else {
            Hint::Periodic
        }
    }
}

impl StateDir {
    /// A watcher on `queue/pending/` with a periodic rescan every `period`.
    pub fn watch_pending(&self, period: Duration) -> QueueWatcher {
        QueueWatcher::start(&[self.queue_dir(QueueFolder::Pending)], period)
    }

    /// A watcher on `commands/incoming/` with a periodic rescan every `period`.
    pub fn watch_commands(&self, period: Duration) -> QueueWatcher {
        QueueWatcher::start(&[self.commands_incoming_dir()], period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rename_into_the_directory_wakes_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let mut watcher =
            QueueWatcher::try_start(&[dir.path().to_owned()], Duration::from_secs(3600)).unwrap();
        assert!(watcher.is_watching());
        assert_eq!(watcher.next().await, Hint::Startup);
        std::fs::write(dir.path().join(".x.json.tmp"), b"{}").unwrap();
        std::fs::rename(dir.path().join(".x.json.tmp"), dir.path().join("x.json")).unwrap();
        let hint = tokio::time::timeout(Duration::from_secs(20), watcher.next())
            .await
            .expect("a hint within 20 s");
        assert_eq!(hint, Hint::Changed);
        // The events name the file; the temp file is no candidate.
        let names = watcher.take_names().expect("named");
        assert!(
            !names.is_empty() && names.iter().all(|n| n == "x.json"),
            "{names:?}"
        );
        assert_eq!(watcher.take_names(), Some(Vec::new()), "taken");
        // A wake names nothing: the loop must scan.
        watcher.wake();
        assert_eq!(watcher.next().await, Hint::Changed);
        assert_eq!(watcher.take_names(), None);
        assert_eq!(watcher.take_names(), Some(Vec::new()));
    }

    #[tokio::test]
    async fn without_events_the_periodic_scan_comes() {
        let mut watcher = QueueWatcher::periodic_only(Duration::from_millis(10));
        assert!(!watcher.is_watching());
        assert_eq!(watcher.next().await, Hint::Startup);
        assert_eq!(watcher.next().await, Hint::Periodic);
        watcher.wake();
        assert_eq!(watcher.next().await, Hint::Changed);
        assert_eq!(watcher.take_names(), None, "no watcher: always scan");
    }

    #[test]
    fn dot_files_and_access_events_are_ignored() {
        use notify::event::{AccessKind, CreateKind};
        let create = |name: &str| {
            Event::new(EventKind::Create(CreateKind::File)).add_path(PathBuf::from(name))
        };
        assert!(relevant(&create("/q/a.json")));
        assert!(!relevant(&create("/q/.a.json.tmp")));
        assert!(!relevant(
            &Event::new(EventKind::Access(AccessKind::Any)).add_path("/q/a.json".into())
        ));
        // A file renamed away (a claim) is nothing new; one renamed in is.
        let renamed = |mode| {
            Event::new(EventKind::Modify(ModifyKind::Name(mode))).add_path("/q/a.json".into())
        };
        assert!(!relevant(&renamed(RenameMode::From)));
        assert!(relevant(&renamed(RenameMode::To)));
        assert!(relevant(&renamed(RenameMode::Both)));
    }
}
