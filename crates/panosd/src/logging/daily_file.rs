//! A log file that follows the UTC date: `<dir>/panos-upgrade-YYYYMMDD.<suffix>`, a new file
//! each day, the oldest deleted past a retention count. It does no buffering of its own: the
//! buffered writer ([`super::buffered`]) hands it whole batches of lines.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::FILE_PREFIX;

/// A log file that follows the UTC date: `<dir>/panos-upgrade-YYYYMMDD.<suffix>`, keeping
/// at most `keep` such files. Written by the log flusher's thread, or by a logging thread
/// whose buffer is full.
#[derive(Debug)]
pub struct DailyFile {
    dir: PathBuf,
    suffix: &'static str,
    keep: usize,
    /// Today's date as `YYYYMMDD` (UTC); a clock of the test's in tests.
    today: fn() -> String,
    date: String,
    file: File,
}

impl DailyFile {
    /// Opens (appending) today's file in `dir`, creating the directory.
    ///
    /// # Errors
    /// The I/O error of creating the directory or opening the file.
    pub fn open(dir: &Path, suffix: &'static str, keep: usize) -> io::Result<Self> {
        Self::open_with_clock(dir, suffix, keep, today)
    }

    /// [`DailyFile::open`] with the date given by `today` (`YYYYMMDD`).
    pub(super) fn open_with_clock(
        dir: &Path,
        suffix: &'static str,
        keep: usize,
        today: fn() -> String,
    ) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let date = today();
        let file = open_append(&file_path(dir, &date, suffix))?;
        let this = Self {
            dir: dir.to_path_buf(),
            suffix,
            keep: keep.max(1),
            today,
            date,
            file,
        };
        this.prune();
        Ok(this)
    }

    /// The file being written now.
    pub fn path(&self) -> PathBuf {
        file_path(&self.dir, &self.date, self.suffix)
    }

    fn roll_if_needed(&mut self) -> io::Result<()> {
        let date = (self.today)();
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
    /// Writes to the file of the date at the time of the call: a batch of lines is written
    /// whole to one day's file.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll_if_needed()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Today's UTC date as `YYYYMMDD`.
pub(super) fn today() -> String {
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
    use std::sync::Mutex;

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

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
        let today = format!("{FILE_PREFIX}{}.json", today());
        assert_eq!(
            names(dir.path()),
            vec![
                "other.json".to_owned(),
                format!("{FILE_PREFIX}20200103.json"),
                today.clone()
            ]
        );
        assert_eq!(file.path(), dir.path().join(&today));
        assert_eq!(
            fs::read_to_string(dir.path().join(today)).unwrap(),
            "{\"a\":1}\n"
        );
    }

    /// The date of [`test_clock`], moved by the test.
    static DAY: Mutex<u32> = Mutex::new(20250301);

    fn test_clock() -> String {
        DAY.lock().unwrap().to_string()
    }

    #[test]
    fn a_new_day_writes_a_new_file_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = DailyFile::open_with_clock(dir.path(), "log", 2, test_clock).unwrap();
        file.write_all(b"one\n").unwrap();
        *DAY.lock().unwrap() = 20250302;
        file.write_all(b"two\n").unwrap();
        *DAY.lock().unwrap() = 20250303;
        file.write_all(b"three\n").unwrap();
        assert_eq!(
            names(dir.path()),
            [
                format!("{FILE_PREFIX}20250302.log"),
                format!("{FILE_PREFIX}20250303.log")
            ]
        );
        let read = |date: &str| {
            fs::read_to_string(dir.path().join(format!("{FILE_PREFIX}{date}.log"))).unwrap()
        };
        assert_eq!(read("20250302"), "two\n");
        assert_eq!(read("20250303"), "three\n");
    }
}
