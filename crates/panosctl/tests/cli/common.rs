//! Test helpers: a temporary state directory with an inventory and jobs written as the daemon
//! writes them (fixed ids and times, so the human output can be snapshotted), the `panosctl`
//! binary run against it, and a stand-in daemon (a process holding the lock) for the commands
//! that need one running.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use assert_cmd::Command;
use chrono::{DateTime, Utc};
use panos_queue::{
    DeviceOutcome, DeviceResult, DeviceState, DeviceStatus, Job, JobKind, JobOutcome, JobResult,
    QueueFolder, StateDir,
};

/// A fixed time for files.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

/// A state directory in a temp dir.
pub struct Lab {
    pub tmp: tempfile::TempDir,
    pub state: StateDir,
}

impl Lab {
    /// An empty, created layout.
    pub fn new() -> Lab {
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = StateDir::new(tmp.path().join("state"));
        state.create().expect("layout");
        Lab { tmp, state }
    }

    /// A layout with a small inventory: three standalone firewalls and one HA pair.
    pub fn with_inventory() -> Lab {
        let lab = Lab::new();
        for (serial, host, model, version) in [
            ("0001A", "fw-nyc-01", "PA-440", "10.1.14-h1"),
            ("0002A", "fw-lon-01", "PA-3220", "10.2.13-h1"),
            ("0003A", "fw-fra-01", "PA-440", "11.1.6"),
        ] {
            lab.device(serial, host, model, version, None, None);
        }
        lab.device(
            "0010A",
            "fw-dc1-a",
            "PA-5250",
            "10.2.13-h1",
            Some("0010B"),
            Some("active"),
        );
        lab.device(
            "0010B",
            "fw-dc1-b",
            "PA-5250",
            "10.2.13-h1",
            Some("0010A"),
            Some("passive"),
        );
        lab
    }

    pub fn root(&self) -> &Path {
        self.state.root()
    }

    /// Writes `status/devices/<serial>.json` as the daemon's inventory does.
    pub fn device(
        &self,
        serial: &str,
        host: &str,
        model: &str,
        version: &str,
        peer: Option<&str>,
        role: Option<&str>,
    ) {
        let mut s = DeviceStatus::new(
            serial.parse().unwrap(),
            DeviceState::Idle,
            at("2026-11-24T19:00:00Z"),
        );
        s.hostname = Some(host.into());
        s.model = Some(model.into());
        s.current_version = Some(version.parse().unwrap());
        s.ha_peer = peer.map(|p| p.parse().unwrap());
        s.ha_role = role.map(str::to_owned);
        self.state.write_device_status(&s).unwrap();
    }

    /// Writes a job file into `folder` as it would be there.
    pub fn job_in(&self, folder: QueueFolder, job: &Job) -> PathBuf {
        let path = self.state.job_path(folder, &format!("{}.json", job.job_id));
        panos_queue::write_json(&path, job).unwrap();
        path
    }

    /// Writes `config/config.json`.
    pub fn config(&self, text: &str) {
        std::fs::write(self.root().join("config/config.json"), text).unwrap();
    }

    /// Writes `config/upgrade_paths.json`.
    pub fn paths(&self, text: &str) {
        std::fs::write(self.root().join("config/upgrade_paths.json"), text).unwrap();
    }

    /// `panosctl --state-dir <state>` with a clean environment.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("panosctl").expect("binary");
        cmd.env_remove("PANOS_UPGRADE_HOME")
            .env_remove("INVOCATION_ID")
            .env("NO_COLOR", "1")
            .env("USER", "tester")
            .arg("--state-dir")
            .arg(self.root());
        cmd
    }

    /// Replaces the temp path in `text` with `[STATE]`.
    pub fn scrub(&self, text: &str) -> String {
        text.replace(&self.root().display().to_string(), "[STATE]")
    }

    /// Every job in `folder`.
    pub fn jobs(&self, folder: QueueFolder) -> Vec<Job> {
        self.state
            .read_jobs(folder)
            .unwrap()
            .into_iter()
            .map(|(_, j)| j.expect("valid job"))
            .collect()
    }

    /// Holds the state directory's lock in another process, as a running daemon does.
    pub fn fake_daemon(&self) -> FakeDaemon {
        let lock = self.root().join("panosd.lock");
        let mut daemon = FakeDaemon {
            child: std::process::Command::new("flock")
                .arg("-o")
                .arg(&lock)
                .arg("sleep")
                .arg("60")
                .stdin(Stdio::null())
                .spawn()
                .expect("flock(1) is installed"),
        };
        // Wait until the lock is held, then name the holder as panosd does.
        let pid = daemon.child.id();
        for _ in 0..100 {
            std::fs::write(&lock, format!("{pid}\n")).unwrap();
            if panos_queue::read_lock_pid(self.root()).unwrap() == Some(pid) {
                return daemon;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = daemon.child.kill();
        let _ = daemon.child.wait();
        panic!("the stand-in daemon did not take the lock");
    }
}

/// A process holding the lock.
pub struct FakeDaemon {
    pub child: Child,
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished HA pair job whose first member failed.
pub fn failed_pair_job() -> Job {
    let mut job = Job::new(
        "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f".parse().unwrap(),
        JobKind::HaPair,
        vec!["0010A".parse().unwrap(), "0010B".parse().unwrap()],
    );
    job.submitted_by = Some("alice".into());
    job.submitted_at = Some(at("2026-11-24T19:30:00Z"));
    let mut b = DeviceResult::new("0010B".parse().unwrap(), DeviceOutcome::Failed);
    b.hostname = Some("fw-dc1-b".into());
    b.ha_role = Some("passive".into());
    b.from_version = Some("10.2.13-h1".parse().unwrap());
    b.to_version = Some("10.2.13-h1".parse().unwrap());
    b.path = vec!["11.0.6".parse().unwrap()];
    b.step = Some("install".into());
    b.error = Some("install of 11.0.6 failed: software manager is busy".into());
    b.manual_action = Some("resubmit once the software manager is free".into());
    let mut a = DeviceResult::new("0010A".parse().unwrap(), DeviceOutcome::NotStarted);
    a.ha_role = Some("active".into());
    a.from_version = Some("10.2.13-h1".parse().unwrap());
    job.result = Some(JobResult {
        outcome: JobOutcome::Failed,
        started_at: Some(at("2026-11-24T19:31:02Z")),
        finished_at: at("2026-11-24T19:58:10Z"),
        error: Some("0010B: install of 11.0.6 failed: software manager is busy".into()),
        manual_action: Some("resubmit once the software manager is free".into()),
        cancelled_by: None,
        devices: vec![b, a],
    });
    job
}

/// A finished standalone job that upgraded its device.
pub fn completed_job() -> Job {
    let mut job = Job::new(
        "0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e".parse().unwrap(),
        JobKind::Standalone,
        vec!["0001A".parse().unwrap()],
    );
    job.submitted_at = Some(at("2026-11-24T19:20:00Z"));
    let mut d = DeviceResult::new("0001A".parse().unwrap(), DeviceOutcome::Upgraded);
    d.hostname = Some("fw-nyc-01".into());
    d.from_version = Some("10.1.14-h1".parse().unwrap());
    d.to_version = Some("10.2.13-h1".parse().unwrap());
    d.path = vec!["10.2.13-h1".parse().unwrap()];
    job.result = Some(JobResult {
        outcome: JobOutcome::Completed,
        started_at: Some(at("2026-11-24T19:20:01Z")),
        finished_at: at("2026-11-24T19:41:00Z"),
        error: None,
        manual_action: None,
        cancelled_by: None,
        devices: vec![d],
    });
    job
}

/// A pending standalone job.
pub fn pending_job() -> Job {
    let mut job = Job::new(
        "7f3b0a5c-6d8e-4c9f-9a2b-1e0f9a8b7c6d".parse().unwrap(),
        JobKind::Standalone,
        vec!["0002A".parse().unwrap()],
    );
    job.submitted_at = Some(at("2026-11-24T19:45:00Z"));
    job.target_version = Some("11.0.6".parse().unwrap());
    job.dry_run = true;
    job
}
