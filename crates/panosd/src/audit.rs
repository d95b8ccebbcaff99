//! The audit trail: one JSON line per command that changes a device (download, install,
//! restart, HA suspend/functional), appended to `logs/audit/panos-upgrade-YYYYMMDD.json`
//! before the engine goes on. Unlike the other logs it is written directly (not through the
//! buffered log writer), so a line is in the kernel's hands before the next command, and a
//! killed daemon loses none. It is never pruned. The same record is also logged under the
//! `audit` target.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One line of the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLine {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The job.
    pub job_id: String,
    /// The device.
    pub serial: String,
    /// The command (`download`, `install`, `restart`, `suspend`, `functional`).
    pub action: String,
    /// Its version, for download and install.
    pub version: Option<String>,
    /// The device job it started.
    pub device_job: Option<String>,
    /// What happened (`sent`, `accepted`, the error).
    pub detail: String,
    /// Who submitted the job, when the job file says.
    pub submitted_by: Option<String>,
}

/// `logs/audit/` of a state directory.
pub fn audit_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("logs").join("audit")
}

/// Appends `line` to today's audit file under `state_dir`.
///
/// # Errors
/// The I/O error.
pub async fn append(state_dir: &Path, line: AuditLine) -> std::io::Result<()> {
    let dir = audit_dir(state_dir);
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!(
            "{}{}.json",
            crate::logging::FILE_PREFIX,
            line.at.format("%Y%m%d")
        ));
        let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(text.as_bytes())
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_appended_to_a_dated_file() {
        let dir = tempfile::tempdir().unwrap();
        for detail in ["sent", "accepted"] {
            let line = AuditLine {
                at: Utc::now(),
                job_id: "j".into(),
                serial: "0001".into(),
                action: "install".into(),
                version: Some("10.2.10".into()),
                device_job: None,
                detail: detail.into(),
                submitted_by: None,
            };
            append(dir.path(), line).await.unwrap();
        }
        let files: Vec<_> = std::fs::read_dir(audit_dir(dir.path()))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].path()).unwrap();
        let details: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["detail"].to_string())
            .collect();
        assert_eq!(details, ["\"sent\"", "\"accepted\""]);
    }
}
