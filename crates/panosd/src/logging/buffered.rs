//! The writer of the daemon's log files: the fmt layers append each line to an in-memory
//! buffer of its file, and a flusher thread (`panosd-logs`) writes each buffer to its
//! [`DailyFile`] every [`FLUSH_INTERVAL`], one `write` for all the lines since the last. A
//! logging thread neither waits for the disk nor wakes the flusher, except when a buffer has
//! grown past [`BUFFER_BOUND`] (the disk is slow): then that thread writes the buffer itself,
//! so memory stays bounded and no line is dropped.
//!
//! Dropping the [`Flusher`] writes every buffered line and stops its thread; a line logged
//! after that (through a clone of the dispatcher) is written by the thread that logs it. A
//! killed process loses the lines still in the buffers: those of the last [`FLUSH_INTERVAL`],
//! or, when the disk is slower than that, up to [`BUFFER_BOUND`] per file and the batch being
//! written.

use std::io::{self, Write};
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

use super::daily_file::DailyFile;

/// How long a line may wait in its buffer before the flusher writes it.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// The size past which a logging thread writes its file's buffer itself.
pub const BUFFER_BOUND: usize = 256 * 1024;
/// How long dropping the [`Flusher`] waits for its last write (a hung disk).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// One log file and the lines not yet written to it. The fmt layer writes through it (it is
/// its [`MakeWriter`]); clones share the buffer.
#[derive(Debug, Clone)]
pub struct BufferedFile(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    /// Whole lines, in the order they were logged.
    pending: Mutex<Vec<u8>>,
    /// The file and the batch being written to it. Taking a batch from `pending` happens
    /// with this held, so batches reach the file in the order they were taken.
    output: Mutex<Output>,
    /// Set when the [`Flusher`] stops: each line is then written at once.
    closed: Arc<AtomicBool>,
}

#[derive(Debug)]
struct Output {
    file: DailyFile,
    /// The batch being written; kept (cleared) to be swapped with `pending` next time, so
    /// neither buffer is allocated again once grown.
    batch: Vec<u8>,
    /// The last write failed (reported once, until a write succeeds again).
    failing: bool,
}

impl BufferedFile {
    fn new(file: DailyFile, closed: Arc<AtomicBool>) -> Self {
        Self(Arc::new(Shared {
            pending: Mutex::new(Vec::new()),
            output: Mutex::new(Output {
                file,
                batch: Vec::new(),
                failing: false,
            }),
            closed,
        }))
    }

    /// Writes the buffered lines to the file, in one `write` as a rule. The file is that of
    /// the UTC date of this call (the date is checked per batch, not per line): a line
    /// logged in the last [`FLUSH_INTERVAL`] of a day may land in the next day's file.
    ///
    /// A failed write loses its batch (keeping it would let memory grow while the disk
    /// is full); the first failure and the recovery are reported on standard error.
    fn write_pending(&self) {
        let mut output = lock(&self.0.output);
        {
            let mut pending = lock(&self.0.pending);
            if pending.is_empty() {
                return;
            }
            mem::swap(&mut *pending, &mut output.batch);
        }
        let Output {
            file,
            batch,
            failing,
        } = &mut *output;
        match file.write_all(batch) {
            Ok(()) if *failing => {
                *failing = false;
                eprintln!(
                    "panosd: writing log lines to {} again",
                    file.path().display()
                );
            }
            Ok(()) => {}
            Err(err) if !*failing => {
                *failing = true;
                eprintln!(
                    "panosd: cannot write log lines to {}: {err} (lines are lost until it can)",
                    file.path().display()
                );
            }
            Err(_) => {}
        }
        batch.clear();
    }
}

impl<'a> MakeWriter<'a> for BufferedFile {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter {
            file: self,
            pending: Some(lock(&self.0.pending)),
        }
    }
}

/// What the fmt layer writes one line through. It holds the buffer's lock from the first
/// byte to the last, so lines logged at once by several threads stay whole.
#[derive(Debug)]
pub struct LineWriter<'a> {
    file: &'a BufferedFile,
    pending: Option<MutexGuard<'a, Vec<u8>>>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(pending) = &mut self.pending {
            pending.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    /// Releases the buffer, and writes it if it is past the bound or the flusher has stopped.
    fn drop(&mut self) {
        let full = self
            .pending
            .take()
            .is_some_and(|pending| pending.len() >= BUFFER_BOUND);
        if full || self.file.0.closed.load(Ordering::SeqCst) {
            self.file.write_pending();
        }
    }
}

/// The thread that writes the buffers of a daemon's log files every [`FLUSH_INTERVAL`].
/// Dropping it writes what is left and stops the thread.
#[derive(Debug)]
pub struct Flusher {
    closed: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected when the thread ends.
    ended: mpsc::Receiver<()>,
}

impl Flusher {
    /// Wraps each of `files` in a buffer, and starts the thread that writes them.
    ///
    /// # Errors
    /// The error of starting the thread.
    pub fn start(files: Vec<DailyFile>) -> io::Result<(Self, Vec<BufferedFile>)> {
        let closed = Arc::new(AtomicBool::new(false));
        let files: Vec<BufferedFile> = files
            .into_iter()
            .map(|file| BufferedFile::new(file, Arc::clone(&closed)))
            .collect();
        let (end, ended) = mpsc::channel::<()>();
        let thread = thread::Builder::new().name("panosd-logs".into()).spawn({
            let closed = Arc::clone(&closed);
            let files = files.clone();
            move || {
                let _end = end;
                loop {
                    // Read before writing: a line logged before `closed` was set is in
                    // this last round.
                    let closing = closed.load(Ordering::SeqCst);
                    for file in &files {
                        file.write_pending();
                    }
                    if closing {
                        break;
                    }
                    thread::park_timeout(FLUSH_INTERVAL);
                }
            }
        })?;
        let flusher = Self {
            closed,
            thread: Some(thread),
            ended,
        };
        Ok((flusher, files))
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::SeqCst);
        let Some(thread) = self.thread.take() else {
            return;
        };
        thread.thread().unpark();
        match self.ended.recv_timeout(CLOSE_TIMEOUT) {
            Err(RecvTimeoutError::Timeout) => eprintln!(
                "panosd: the log files were not written within {CLOSE_TIMEOUT:?} of stopping; \
                 the last lines may be missing"
            ),
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
            }
        }
    }
}

/// Locks `mutex`, also after a thread panicked holding it (a buffer of bytes stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_default()
    }

    fn log_line(file: &BufferedFile, line: &str) {
        file.make_writer().write_all(line.as_bytes()).unwrap();
    }

    #[test]
    fn lines_wait_in_the_buffer_until_it_is_past_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let daily = DailyFile::open(dir.path(), "log", 2).unwrap();
        let path = daily.path();
        // No flusher: only the logging thread can write.
        let file = BufferedFile::new(daily, Arc::new(AtomicBool::new(false)));
        let line = format!("{}\n", "x".repeat(999));
        let mut logged = 0;
        while logged + line.len() < BUFFER_BOUND {
            log_line(&file, &line);
            logged += line.len();
        }
        assert_eq!(read(&path), "", "written before the bound");
        log_line(&file, &line);
        let text = read(&path);
        assert_eq!(text.len(), logged + line.len());
        assert!(text.lines().all(|l| l.len() == 999));
        // The buffer is empty again: the next line waits.
        log_line(&file, "last\n");
        assert_eq!(read(&path).len(), logged + line.len());
    }

    #[test]
    fn the_flusher_writes_within_its_interval_and_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let daily = DailyFile::open(dir.path(), "log", 2).unwrap();
        let path = daily.path();
        let (flusher, files) = Flusher::start(vec![daily]).unwrap();
        log_line(&files[0], "one\n");
        let start = std::time::Instant::now();
        while read(&path).is_empty() {
            assert!(start.elapsed() < Duration::from_secs(10), "never written");
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(read(&path), "one\n");
        log_line(&files[0], "two\n");
        drop(flusher);
        assert_eq!(read(&path), "one\ntwo\n");
        // After the flusher stopped, a line is written at once.
        log_line(&files[0], "three\n");
        assert_eq!(read(&path), "one\ntwo\nthree\n");
    }

    /// The date of [`test_clock`], moved by the test.
    static DAY: Mutex<u32> = Mutex::new(20250601);

    fn test_clock() -> String {
        DAY.lock().unwrap().to_string()
    }

    #[test]
    fn a_batch_goes_to_the_file_of_the_day_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let daily = DailyFile::open_with_clock(dir.path(), "log", 5, test_clock).unwrap();
        let file = BufferedFile::new(daily, Arc::new(AtomicBool::new(false)));
        log_line(&file, "a\n");
        log_line(&file, "b\n");
        file.write_pending();
        log_line(&file, "c\n");
        *DAY.lock().unwrap() = 20250602;
        file.write_pending();
        let day = |date: &str| read(&dir.path().join(format!("panos-upgrade-{date}.log")));
        assert_eq!(day("20250601"), "a\nb\n");
        assert_eq!(day("20250602"), "c\n");
    }
}
