//! The chaos lab: an in-process panos-sim fleet, a temporary state directory whose
//! `config.json` points at it (the API key stored encrypted, as `panosctl config set` does,
//! and `timing.scale` equal to the simulator's), the upgrade paths that cover the fleet, and
//! the real `panosd` binary started as a child process on it, its standard error kept in a
//! file outside the state directory.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use panos_queue::{Job, JobId, JobKind, StateDir};
use panos_sim::{DeviceSpec, FleetShape, FleetSpec, SimConfig, SimHandle};
use panosd::Config;
use secrecy::SecretString;
use tokio::runtime::Runtime;

use super::process::Running;

/// How the lab's daemon is set up.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Simulated seconds per real second, on both sides.
    pub scale: f64,
    /// `workers.max`.
    pub workers: u32,
    /// The upgrade paths; [`panos_sim::upgrade_paths`] of the fleet when `None`.
    pub paths: Option<BTreeMap<String, Vec<String>>>,
}

/// What one job upgrades: a standalone firewall or an HA pair, and where each member must end.
#[derive(Debug, Clone)]
pub struct Unit {
    /// `standalone` or `ha_pair`.
    pub kind: JobKind,
    /// The serials (one, or the two members).
    pub serials: Vec<String>,
    /// The version each serial must end on (its path's last hop).
    pub targets: Vec<String>,
}

/// A simulator, a state directory configured for it, and a scratch directory beside it.
pub struct Lab {
    /// The simulator.
    pub sim: SimHandle,
    /// The state directory.
    pub state: tempfile::TempDir,
    /// Outside the state directory: the daemons' standard error.
    pub scratch: tempfile::TempDir,
    /// The upgrade paths written to `config/upgrade_paths.json`.
    pub paths: BTreeMap<String, Vec<String>>,
    /// The API key the simulator accepts (never written in plain text by the lab).
    pub api_key: String,
    /// How many daemon processes were started (names their stderr files).
    started: usize,
}

/// A generated fleet (as the demo makes it) with room on `/opt/panrepo` for every image of a
/// multi-hop path, so disk space fails nothing by itself.
pub fn generated_fleet(devices: usize, ha_pairs: usize, seed: u64) -> FleetSpec {
    let mut fleet = panos_sim::generate_fleet(&FleetShape {
        devices,
        ha_pairs,
        seed,
    });
    fleet.make_room_for_images();
    fleet
}

/// A plain standalone PA-VM (panos-sim's [`DeviceSpec::firewall`]).
pub fn firewall(serial: &str, version: &str) -> DeviceSpec {
    DeviceSpec::firewall(serial, version)
}

/// The two members of an HA pair: `a` active, `b` passive ([`DeviceSpec::ha_pair`]).
pub fn ha_pair(a: &str, b: &str, version: &str) -> Vec<DeviceSpec> {
    DeviceSpec::ha_pair(a, b, version)
}

/// A fleet of `devices` without faults or generated variety.
pub fn fleet_of(devices: Vec<DeviceSpec>) -> FleetSpec {
    FleetSpec {
        panorama: Default::default(),
        catalog: None,
        timings: None,
        devices,
    }
}

impl Lab {
    /// Starts the simulator for `fleet` on `runtime` and writes the state directory.
    pub fn start(runtime: &Runtime, fleet: FleetSpec, config: &LabConfig) -> Result<Lab, String> {
        let paths = config
            .paths
            .clone()
            .unwrap_or_else(|| panos_sim::upgrade_paths(&fleet.devices));
        let mut sim_config = SimConfig::new(fleet).with_time_scale(config.scale);
        // Every request is kept: the duplicate-send check reads the whole log.
        sim_config.log_capacity = 5_000_000;
        let sim = runtime
            .block_on(panos_sim::start(sim_config))
            .map_err(|e| format!("the simulator does not start: {e}"))?;
        let state = tempfile::Builder::new()
            .prefix("panos-chaos-state-")
            .tempdir()
            .map_err(|e| format!("cannot create a state directory: {e}"))?;
        let scratch = tempfile::Builder::new()
            .prefix("panos-chaos-scratch-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let api_key = sim.api_key();
        let lab = Lab {
            sim,
            state,
            scratch,
            paths,
            api_key,
            started: 0,
        };
        lab.write_config(config)?;
        Ok(lab)
    }

    /// The state directory's root.
    pub fn root(&self) -> &Path {
        self.state.path()
    }

    /// The state directory's layout.
    pub fn dir(&self) -> StateDir {
        StateDir::new(self.state.path())
    }

    fn write_config(&self, lab: &LabConfig) -> Result<(), String> {
        let root = self.root();
        StateDir::new(root)
            .create()
            .map_err(|e| format!("cannot lay out the state directory: {e}"))?;
        let encrypted =
            panosd::secrets::encrypt_for_config(root, &SecretString::from(self.api_key.clone()))
                .map_err(|e| format!("cannot encrypt the API key: {e}"))?;
        let config = Config::rehearsal(self.sim.url(), encrypted, lab.workers, lab.scale);
        let dir = root.join("config");
        let text = serde_json::to_string_pretty(&config)
            .map_err(|e| format!("cannot encode the configuration: {e}"))?;
        Config::from_json(&text, &dir.join("config.json"))
            .map_err(|e| format!("the configuration is refused: {e}"))?;
        let paths = serde_json::to_string_pretty(&self.paths)
            .map_err(|e| format!("cannot encode the upgrade paths: {e}"))?;
        for (name, bytes) in [("config.json", text), ("upgrade_paths.json", paths)] {
            panos_queue::atomic_write(&dir.join(name), bytes.as_bytes())
                .map_err(|e| format!("cannot write {name}: {e}"))?;
        }
        Ok(())
    }

    /// What a job per standalone firewall and per HA pair of the fleet upgrades (as
    /// `panosctl job submit --all` groups them), with each member's target.
    pub fn units(&self) -> Vec<Unit> {
        let pairs = self.sim.ha_pairs();
        let in_pair = |s: &str| pairs.iter().any(|(a, b)| a == s || b == s);
        let target = |serial: &str| {
            let version = self
                .sim
                .device(serial)
                .map(|d| d.sw_version)
                .unwrap_or_default();
            self.paths
                .get(&version)
                .and_then(|hops| hops.last().cloned())
                .unwrap_or(version)
        };
        let mut units: Vec<Unit> = self
            .sim
            .serials()
            .into_iter()
            .filter(|s| !in_pair(s))
            .map(|s| Unit {
                kind: JobKind::Standalone,
                targets: vec![target(&s)],
                serials: vec![s],
            })
            .collect();
        units.extend(pairs.into_iter().map(|(a, b)| Unit {
            kind: JobKind::HaPair,
            targets: vec![target(&a), target(&b)],
            serials: vec![a, b],
        }));
        units
    }

    /// Submits a job for `unit` as the web app does (dot-file, fsync, link into `pending/`).
    pub fn submit(&self, unit: &Unit) -> Result<JobId, String> {
        let id = JobId::new_random();
        let devices = unit
            .serials
            .iter()
            .map(|s| s.parse().map_err(|e| format!("serial {s}: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let mut job = Job::new(id, unit.kind, devices);
        job.submitted_by = Some("chaos".into());
        self.dir()
            .submit_job(&job)
            .map_err(|e| format!("cannot submit a job: {e}"))?;
        Ok(id)
    }

    /// Starts `panosd` on the state directory, as systemd would (`PANOS_UPGRADE_HOME`, no
    /// terminal); its standard error goes to a new file under the scratch directory.
    pub fn spawn_daemon(&mut self, panosd: &Path) -> Result<Running, String> {
        self.started += 1;
        let log = self.stderr_file(self.started);
        let stderr = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        Command::new(panosd)
            .env("PANOS_UPGRADE_HOME", self.root())
            .env_remove("NOTIFY_SOCKET")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map(Running)
            .map_err(|e| format!("cannot start {}: {e}", panosd.display()))
    }

    /// The standard error of the `n`-th daemon started (from 1).
    pub fn stderr_file(&self, n: usize) -> PathBuf {
        self.scratch.path().join(format!("panosd-{n}.stderr"))
    }

    /// What the `n`-th daemon wrote to standard error so far.
    pub fn stderr_of(&self, n: usize) -> String {
        std::fs::read_to_string(self.stderr_file(n)).unwrap_or_default()
    }

    /// How many daemons were started.
    pub fn started(&self) -> usize {
        self.started
    }

    /// Stops the simulator.
    pub fn shutdown(&self, runtime: &Runtime) {
        runtime.block_on(self.sim.shutdown());
    }
}
