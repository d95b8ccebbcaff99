//! The daemon's logs: JSON lines in `logs/structured/panos-upgrade-YYYYMMDD.json`, text in
//! `logs/text/panos-upgrade-YYYYMMDD.log` (a new file each UTC day, the oldest deleted past
//! `logging.retention_days`), and optionally the console (a terminal, or journald under
//! systemd).
//!
//! [`Logs::dispatch`] is scoped to one daemon (see [`crate::run`]), not installed globally, so
//! tests can run several daemons in one process, each logging into its own state directory.
//! Lines carry the fields of their spans (`job_id`, `serial`, `step`). Commands that change a
//! device are logged under the target `audit`.
//!
//! Lines to the files are buffered in memory and written every 100 ms by a thread of each
//! [`Logs`] (module `buffered`); dropping the [`Logs`] writes them all. A killed daemon
//! (SIGKILL, a crash) loses the lines of its last ~100 ms (when the disk is slower than that,
//! up to a buffer's bound, 256 KiB per file). The audit trail of commands sent to devices does
//! not depend on these files: [`crate::audit`] writes each record straight to `logs/audit/`
//! before the engine goes on, so a killed daemon loses none of it.

mod buffered;
mod daily_file;

use std::io;
use std::path::Path;

use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

use crate::config::LoggingConfig;
use crate::error::DaemonError;

use buffered::Flusher;
pub use daily_file::DailyFile;

/// The log target of audit lines.
pub const AUDIT_TARGET: &str = "audit";
/// The file name prefix of every log file.
pub const FILE_PREFIX: &str = "panos-upgrade-";

/// Where console lines go, and in which style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// No console output.
    Off,
    /// A terminal: colours and timestamps.
    Terminal,
    /// journald (or another collector that adds its own timestamps): plain lines.
    Journal,
}

/// The daemon's log dispatcher and the thread that writes its files. Dropping it writes
/// every line logged so far to the files and stops the thread.
pub struct Logs {
    /// The dispatcher every task of the daemon logs through.
    pub dispatch: Dispatch,
    /// `None` when neither file is written.
    _flusher: Option<Flusher>,
}

impl std::fmt::Debug for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logs").finish_non_exhaustive()
    }
}

impl Logs {
    /// Opens the log files under `state_dir/logs/` and builds the dispatcher.
    ///
    /// # Errors
    /// [`DaemonError::Logs`] when a log directory cannot be created or a file opened.
    pub fn open(
        state_dir: &Path,
        config: &LoggingConfig,
        console: Console,
    ) -> Result<Self, DaemonError> {
        let filter =
            || EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
        let logs_dir = state_dir.join("logs");
        let mut files = Vec::new();
        for (on, dir, suffix) in [
            (config.json, logs_dir.join("structured"), "json"),
            (config.text, logs_dir.join("text"), "log"),
        ] {
            if on {
                let file = DailyFile::open(&dir, suffix, config.retention_days)
                    .map_err(|source| DaemonError::Logs { dir, source })?;
                files.push(file);
            }
        }
        let (flusher, writers) = if files.is_empty() {
            (None, Vec::new())
        } else {
            let (flusher, writers) = Flusher::start(files).map_err(|source| DaemonError::Logs {
                dir: logs_dir.clone(),
                source,
            })?;
            (Some(flusher), writers)
        };
        // In the order opened: the JSON file first.
        let mut writers = writers.into_iter();
        let json = config.json.then(|| {
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(writers.next().expect("a writer per file opened"))
                .with_filter(filter())
        });
        let text = config.text.then(|| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writers.next().expect("a writer per file opened"))
                .with_filter(filter())
        });
        let console_layer = match console {
            Console::Off => None,
            Console::Terminal => Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(io::stderr)
                    .with_filter(filter())
                    .boxed(),
            ),
            Console::Journal => Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .without_time()
                    .with_writer(io::stderr)
                    .with_filter(filter())
                    .boxed(),
            ),
        };
        let subscriber = tracing_subscriber::registry()
            .with(json)
            .with(text)
            .with(console_layer);
        Ok(Self {
            dispatch: Dispatch::new(subscriber),
            _flusher: flusher,
        })
    }
}

use tracing_subscriber::Layer as _;

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn read(dir: &Path, sub: &str, suffix: &str) -> String {
        let name = format!("{FILE_PREFIX}{}.{suffix}", daily_file::today());
        fs::read_to_string(dir.join("logs").join(sub).join(name)).unwrap()
    }

    /// `(thread, n)` of each JSON line, in file order; panics on a line that is not whole.
    fn json_numbers(json: &str) -> Vec<(u64, u64)> {
        json.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!("not a whole JSON line ({e}): {l}");
                });
                let field = |k: &str| v["fields"][k].as_u64().unwrap();
                (field("thread"), field("n"))
            })
            .collect()
    }

    /// `(thread, n)` of each text line (`… line xxx… thread=1 n=2`), in file order; panics on
    /// a line that is not whole.
    fn text_numbers(text: &str) -> Vec<(u64, u64)> {
        let pad = format!(" line {} thread=", "x".repeat(100));
        text.lines()
            .map(|l| {
                let (_, fields) = l.split_once(&pad).unwrap_or_else(|| panic!("cut: {l}"));
                let (thread, n) = fields
                    .split_once(" n=")
                    .unwrap_or_else(|| panic!("cut: {l}"));
                (thread.parse().unwrap(), n.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn lines_from_several_threads_arrive_whole_and_in_order() {
        const THREADS: u64 = 4;
        const LINES: u64 = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::open(dir.path(), &LoggingConfig::default(), Console::Off).unwrap();
        let pad = "x".repeat(100);
        std::thread::scope(|s| {
            for thread in 0..THREADS {
                let dispatch = logs.dispatch.clone();
                let pad = &pad;
                s.spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        for n in 0..LINES {
                            tracing::info!(thread, n, "line {pad}");
                        }
                    });
                });
            }
        });
        drop(logs);
        let json = read(dir.path(), "structured", "json");
        let text = read(dir.path(), "text", "log");
        // More than the buffer bound: logging threads wrote some batches themselves.
        assert!(json.len() > 2 * buffered::BUFFER_BOUND, "{}", json.len());
        for (file, numbers) in [("json", json_numbers(&json)), ("text", text_numbers(&text))] {
            for thread in 0..THREADS {
                let ns: Vec<u64> = numbers
                    .iter()
                    .filter(|(t, _)| *t == thread)
                    .map(|(_, n)| *n)
                    .collect();
                assert_eq!(
                    ns,
                    (0..LINES).collect::<Vec<_>>(),
                    "{file}, thread {thread}"
                );
            }
            assert_eq!(numbers.len() as u64, THREADS * LINES, "{file}");
        }
    }

    #[test]
    fn every_line_logged_before_the_drop_is_in_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::open(dir.path(), &LoggingConfig::default(), Console::Off).unwrap();
        let dispatch = logs.dispatch.clone();
        tracing::dispatcher::with_default(&dispatch, || {
            for n in 0..300_u64 {
                tracing::info!(thread = 0_u64, n, "line {}", "x".repeat(100));
            }
        });
        // Well within the flush interval: only the drop can have written them all.
        drop(logs);
        let expected: Vec<(u64, u64)> = (0..300).map(|n| (0, n)).collect();
        assert_eq!(
            json_numbers(&read(dir.path(), "structured", "json")),
            expected
        );
        assert_eq!(text_numbers(&read(dir.path(), "text", "log")), expected);
        // A line logged through a clone of the dispatcher afterwards is written at once.
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(thread = 1_u64, n = 0_u64, "line {}", "x".repeat(100));
        });
        let json = json_numbers(&read(dir.path(), "structured", "json"));
        assert_eq!(json.last(), Some(&(1, 0)));
        let text = text_numbers(&read(dir.path(), "text", "log"));
        assert_eq!(text.last(), Some(&(1, 0)));
    }

    #[test]
    fn lines_carry_span_fields_and_audit_target() {
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::open(dir.path(), &LoggingConfig::default(), Console::Off).unwrap();
        tracing::dispatcher::with_default(&logs.dispatch, || {
            let span = tracing::info_span!("job", job_id = "j-1");
            let _entered = span.enter();
            tracing::info!(target: AUDIT_TARGET, serial = "0001", action = "install", "sent");
        });
        drop(logs);
        let json = read(dir.path(), "structured", "json");
        let line: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(line["target"], "audit");
        assert_eq!(line["span"]["job_id"], "j-1");
        assert_eq!(line["fields"]["serial"], "0001");
        let text = read(dir.path(), "text", "log");
        assert!(
            text.contains("job_id=\"j-1\"") || text.contains("job_id=j-1"),
            "{text}"
        );
    }
}
