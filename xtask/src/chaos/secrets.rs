//! The secrets check: the API key appears in no file under the given directories (the state
//! directory with its logs, checkpoints and quarantine; the daemons' captured standard
//! error). Symbolic links are not followed: bad input may point anywhere.

use std::fs;
use std::path::{Path, PathBuf};

/// What a scan found.
#[derive(Debug, Default)]
pub struct SecretScan {
    /// Regular files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files that contain the secret.
    pub leaks: Vec<PathBuf>,
}

/// Scans every regular file under each of `roots` for `secret`.
pub fn scan(roots: &[&Path], secret: &str) -> SecretScan {
    let mut found = SecretScan::default();
    let needle = secret.as_bytes();
    if needle.is_empty() {
        return found;
    }
    let mut stack: Vec<PathBuf> = roots.iter().map(|r| r.to_path_buf()).collect();
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        found.files += 1;
        found.bytes += bytes.len() as u64;
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.leaks.push(path);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_secret_in_nested_files_and_does_not_follow_links() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("logs/text")).unwrap();
        fs::write(tmp.path().join("logs/text/a.log"), "ok LUFRPT1abc= ok").unwrap();
        fs::write(tmp.path().join("b.json"), "{}").unwrap();
        fs::write(outside.path().join("key"), "LUFRPT1abc=").unwrap();
        std::os::unix::fs::symlink(outside.path().join("key"), tmp.path().join("link.json"))
            .unwrap();
        let found = scan(&[tmp.path()], "LUFRPT1abc=");
        assert_eq!(found.files, 2);
        assert_eq!(found.leaks, vec![tmp.path().join("logs/text/a.log")]);
    }
}
