//! The test lab: an in-process Panorama simulator, a temporary state directory with a
//! config pointing at it, and the daemon run in-process on the same time scale. Jobs and
//! commands are submitted as the web app does (panos-queue's submit functions: dot-file,
//! fsync, link into place); assertions read the files the daemon writes and the simulator's
//! request log.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use panos_queue::{Command, CommandId, CommandKind, Job, JobId, JobKind, QueueFolder, StateDir};
use panos_sim::{DeviceSpec, FleetSpec, Op, RequestRecord, SimConfig, SimHandle};
use panosd::{Config, DaemonConfig, DaemonError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Simulated seconds per real second, on both sides.
pub const SCALE: f64 = 2000.0;

/// A plain standalone PA-VM (panos-sim's [`DeviceSpec::firewall`]).
pub fn firewall(serial: &str, version: &str) -> DeviceSpec {
    DeviceSpec::firewall(serial, version)
}

/// The two members of an HA pair: `a` active, `b` passive ([`DeviceSpec::ha_pair`]).
pub fn ha_pair(a: &str, b: &str, version: &str) -> Vec<DeviceSpec> {
    DeviceSpec::ha_pair(a, b, version)
}

/// The paths every lab uses.
pub const PATHS: &str = r#"{"10.1.9": ["10.2.10"]}"#;

/// A simulator and a state directory configured for it.
pub struct Lab {
    pub sim: SimHandle,
    pub state: tempfile::TempDir,
    /// Holds the API key file, outside the state directory.
    pub secrets: tempfile::TempDir,
    pub config: Config,
}

impl Lab {
    pub async fn start(devices: Vec<DeviceSpec>) -> Lab {
        Self::start_with(devices, |_| {}).await
    }

    pub async fn start_with(devices: Vec<DeviceSpec>, tweak: impl FnOnce(&mut Config)) -> Lab {
        let fleet = FleetSpec {
            panorama: Default::default(),
            catalog: None,
            timings: None,
            devices,
        };
        let sim = panos_sim::start(SimConfig::new(fleet).with_time_scale(SCALE))
            .await
            .expect("simulator starts");
        let state = tempfile::tempdir().expect("state dir");
        let secrets = tempfile::tempdir().expect("secrets dir");
        let key_file = secrets.path().join("api.key");
        std::fs::write(&key_file, sim.api_key()).expect("key file");
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mut config = Config::default();
        config.panorama.url = Some(sim.url().to_owned());
        config.panorama.api_key_file = Some(key_file);
        config.panorama.rate_limit_per_second = 1000;
        config.panorama.rate_limit_burst = 50;
        config.panorama.request_timeout_secs = 10;
        config.workers.max = 5;
        config.timing.scale = SCALE;
        config.daemon.status_interval_secs = 200.0;
        config.daemon.rescan_interval_secs = 100.0;
        config.daemon.shutdown_grace_secs = 20_000.0;
        tweak(&mut config);
        StateDir::new(state.path()).create().expect("layout");
        let config_dir = state.path().join("config");
        std::fs::create_dir_all(&config_dir).expect("config dir");
        std::fs::write(config_dir.join("upgrade_paths.json"), PATHS).expect("paths");
        std::fs::write(
            config_dir.join("config.json"),
            serde_json::to_string_pretty(&config).expect("config json"),
        )
        .expect("config file");
        Lab {
            sim,
            state,
            secrets,
            config,
        }
    }

    pub fn root(&self) -> &Path {
        self.state.path()
    }

    pub fn dir(&self) -> StateDir {
        StateDir::new(self.state.path())
    }

    /// The daemon's configuration, read from the lab's files as `panosd` would.
    pub fn daemon_config(&self) -> DaemonConfig {
        DaemonConfig::load(self.root(), None).expect("config loads")
    }

    /// Starts the daemon in a task.
    pub fn start_daemon(&self) -> Daemon {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(panosd::run(self.daemon_config(), shutdown.clone()));
        Daemon { shutdown, task }
    }

    /// Submits a job as the web app does.
    pub fn submit(&self, kind: JobKind, serials: &[&str]) -> JobId {
        let id = JobId::new_random();
        let devices = serials.iter().map(|s| s.parse().expect("serial")).collect();
        self.dir()
            .submit_job(&Job::new(id, kind, devices))
            .expect("job submitted");
        id
    }

    /// Submits a command as the web app does; returns its file name.
    pub fn command(&self, kind: CommandKind, job: Option<JobId>, serial: Option<&str>) -> String {
        let mut command = Command::new(CommandId::new_random(), kind);
        command.job_id = job;
        command.serial = serial.map(|s| s.parse().expect("serial"));
        command.submitted_by = Some("tester".into());
        self.dir()
            .submit_command(&command)
            .expect("command submitted")
    }

    /// Where the job's file is now.
    pub fn job_folder(&self, id: JobId) -> Option<QueueFolder> {
        self.dir().find_job(id).map(|(folder, _)| folder)
    }

    /// The job file, once in a final folder.
    pub fn finished_job(&self, id: JobId) -> Option<Job> {
        let (folder, path) = self.dir().find_job(id)?;
        if matches!(folder, QueueFolder::Pending | QueueFolder::Active) {
            return None;
        }
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }

    /// Waits until the job is in a final folder.
    pub async fn wait_finished(&self, id: JobId, secs: u64) -> Job {
        wait_for(secs, &format!("job {id} to finish"), || {
            self.finished_job(id)
        })
        .await
    }

    pub fn device_state(&self, serial: &str) -> Option<String> {
        let status = self
            .dir()
            .read_device_status(&serial.parse().expect("serial"))
            .ok()??;
        serde_json::to_value(status.state)
            .ok()?
            .as_str()
            .map(str::to_owned)
    }

    /// Accepted requests of `op` to `serial`.
    pub fn accepted(&self, serial: &str, op: Op) -> Vec<RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.op == op && r.target.as_deref() == Some(serial))
            .filter(|r| r.response == panos_sim::ResponseKind::Ok)
            .collect()
    }

    pub fn version_of(&self, serial: &str) -> String {
        self.sim.device(serial).expect("device").sw_version
    }

    /// Every line of every log file (JSON and text).
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for sub in ["logs/structured", "logs/text"] {
            for file in files_under(&self.root().join(sub)) {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                lines.extend(text.lines().map(str::to_owned));
            }
        }
        lines
    }

    /// The JSON log lines as values.
    pub fn json_logs(&self) -> Vec<serde_json::Value> {
        files_under(&self.root().join("logs/structured"))
            .into_iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect::<Vec<serde_json::Value>>()
            })
            .collect()
    }

    /// The device states the JSON log shows for `serial`, in order, without repeats.
    pub fn logged_states(&self, serial: &str) -> Vec<String> {
        let mut states: Vec<String> = Vec::new();
        for line in self.json_logs() {
            let fields = &line["fields"];
            if fields["serial"] == serial
                && let Some(state) = fields["state"].as_str()
                && states.last().map(String::as_str) != Some(state)
            {
                states.push(state.to_owned());
            }
        }
        states
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A daemon running in a task.
pub struct Daemon {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), DaemonError>>,
}

impl Daemon {
    /// Asks it to stop and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("daemon stops in time")
            .expect("daemon task");
        result.expect("daemon ends without error");
    }

    /// Kills it as `kill -9` would: its future is dropped wherever it is.
    pub async fn crash(self) {
        self.task.abort();
        let ended = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("aborted in time");
        assert!(
            ended.is_err_and(|e| e.is_cancelled()),
            "the daemon was still running"
        );
    }
}

/// Polls `check` every 20 ms until it gives a value, for at most `secs` seconds.
pub async fn wait_for<T>(secs: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
