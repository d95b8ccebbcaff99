//! The daemon's logs: JSON lines in `logs/structured/panos-upgrade-YYYYMMDD.json`, text in
//! `logs/text/panos-upgrade-YYYYMMDD.log` (a new file each UTC day, the oldest deleted past
//! `logging.retention_days`), and optionally the console (a terminal, or journald under
//! systemd).
//!
//! [`Logs::dispatch`] is scoped to one daemon (see [`crate::run`]), not installed globally, so
//! tests can run several daemons in one process, each logging into its own state directory.
//! Lines carry the fields of their spans (`job_id`, `serial`, `step`). Commands that change a
//! device are logged under the target `audit`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing::Dispatch;
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

use crate::config::LoggingConfig;
use crate::error::DaemonError;

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

/// The daemon's log dispatcher and the guards that flush its files when dropped.
pub struct Logs {
    /// The dispatcher every task of the daemon logs through.
    pub dispatch: Dispatch,
    _guards: Vec<WorkerGuard>,
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
        let mut guards = Vec::new();
        let mut writer = |dir: PathBuf, suffix: &'static str| -> Result<NonBlocking, DaemonError> {
            let file = DailyFile::open(&dir, suffix, config.retention_days)
                .map_err(|source| DaemonError::Logs { dir, source })?;
            let (writer, guard) = NonBlockingBuilder::default().lossy(false).finish(file);
            guards.push(guard);
            Ok(writer)
        };
        let json = if config.json {
            let w = writer(state_dir.join("logs").join("structured"), "json")?;
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(w)
                    .with_filter(filter()),
            )
        } else {
            None
        };
        let text = if config.text {
            let w = writer(state_dir.join("logs").join("text"), "log")?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(w)
                    .with_filter(filter()),
            )
        } else {
            None
        };
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
            _guards: guards,
        })
    }
}

use tracing_subscriber::Layer as _;

/// A log file that follows the UTC date: `<dir>/panos-upgrade-YYYYMMDD.<suffix>`, keeping
/// at most `keep` such files. Written from the non-blocking writer's own thread.
#[derive(Debug)]
pub struct DailyFile {
    dir: PathBuf,
    suffix: &'static str,
    keep: usize,
    date: String,
    file: File,
}

impl DailyFile {
    /// Opens (appending) today's file in `dir`, creating the directory.
    ///
    /// # Errors
    /// The I/O error of creating the directory or opening the file.
    pub fn open(dir: &Path, suffix: &'static str, keep: usize) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let date = today();
        let file = open_append(&file_path(dir, &date, suffix))?;
        let this = Self {
            dir: dir.to_path_buf(),
            suffix,
            keep: keep.max(1),
            date,
            file,
        };
        this.prune();
        Ok(this)
    }

    fn roll_if_needed(&mut self) -> io::Result<()> {
        let date = today();
        if date != self.date {
            self.file.flush()?;
            self.file = open_append(&file_path(&self.dir, &date, self.suffix))?;
            self.date = date;
            self.prune();
        }
        Ok(())
    }

    /// Deletes the oldest files past the retention count.
    fn prune(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let ending = format!(".{}", self.suffix);
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(FILE_PREFIX) && n.ends_with(&ending))
            .collect();
        names.sort();
        let excess = names.len().saturating_sub(self.keep);
        for name in &names[..excess] {
            let _ = fs::remove_file(self.dir.join(name));
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll_if_needed()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y%m%d").to_string()
}

fn file_path(dir: &Path, date: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{FILE_PREFIX}{date}.{suffix}"))
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_date_and_old_ones_pruned() {
        let dir = tempfile::tempdir().unwrap();
        for old in ["20200101", "20200102", "20200103"] {
            fs::write(dir.path().join(format!("{FILE_PREFIX}{old}.json")), "x").unwrap();
        }
        fs::write(dir.path().join("other.json"), "x").unwrap();
        let mut file = DailyFile::open(dir.path(), "json", 2).unwrap();
        file.write_all(b"{\"a\":1}\n").unwrap();
        file.flush().unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        let today = format!("{FILE_PREFIX}{}.json", today());
        assert_eq!(
            names,
            vec![
                "other.json".to_owned(),
                format!("{FILE_PREFIX}20200103.json"),
                today.clone()
            ]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join(today)).unwrap(),
            "{\"a\":1}\n"
        );
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
        let json = fs::read_to_string(
            dir.path()
                .join("logs/structured")
                .join(format!("{FILE_PREFIX}{}.json", today())),
        )
        .unwrap();
        let line: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(line["target"], "audit");
        assert_eq!(line["span"]["job_id"], "j-1");
        assert_eq!(line["fields"]["serial"], "0001");
        let text = fs::read_to_string(
            dir.path()
                .join("logs/text")
                .join(format!("{FILE_PREFIX}{}.log", today())),
        )
        .unwrap();
        assert!(
            text.contains("job_id=\"j-1\"") || text.contains("job_id=j-1"),
            "{text}"
        );
    }
}
