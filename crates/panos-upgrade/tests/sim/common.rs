//! The test lab: a simulator with a small fleet, a client to it, the engine's settings on the
//! same time scale, and sinks that record events or stop the engine at a chosen event.

use std::sync::Mutex;
use std::time::Duration;

use panos_client::{ClientConfig, Credentials, PanoramaClient, RetryPolicy, Serial};
use panos_sim::{DeviceSpec, FleetSpec, Op, RequestRecord, SimConfig, SimHandle};
use panos_upgrade::{
    EngineConfig, Event, JobKind, JobReport, MemorySink, PreSnapshot, ProgressSink, ResumeState,
    Timing, UpgradeJob, UpgradeOptions, UpgradePaths, run_job,
};
use secrecy::SecretString;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Simulated seconds per real second, on both sides.
pub const SCALE: f64 = 2000.0;

/// A running simulator and a client to it.
pub struct Lab {
    pub sim: SimHandle,
    pub client: PanoramaClient,
}

/// A plain standalone PA-VM (panos-sim's [`DeviceSpec::firewall`]).
pub fn firewall(serial: &str, version: &str) -> DeviceSpec {
    DeviceSpec::firewall(serial, version)
}

/// The two members of an HA pair: `a` active, `b` passive ([`DeviceSpec::ha_pair`]).
pub fn ha_pair(a: &str, b: &str, version: &str) -> Vec<DeviceSpec> {
    DeviceSpec::ha_pair(a, b, version)
}

impl Lab {
    pub async fn start(devices: Vec<DeviceSpec>) -> Lab {
        Self::start_with(devices, panos_sim::Timings::default()).await
    }

    /// A lab whose simulated durations are `timings`.
    pub async fn start_with(devices: Vec<DeviceSpec>, timings: panos_sim::Timings) -> Lab {
        let fleet = FleetSpec {
            panorama: Default::default(),
            catalog: None,
            timings: None,
            devices,
        };
        let sim = panos_sim::start(
            SimConfig::new(fleet)
                .with_time_scale(SCALE)
                .with_timings(timings),
        )
        .await
        .expect("simulator starts");
        let config = ClientConfig::builder(
            sim.url().to_owned(),
            Credentials::ApiKey(SecretString::from(sim.api_key())),
        )
        .allow_insecure_http(true)
        .rate_limit(2000, 200)
        .request_timeout(Duration::from_secs(10))
        .retry(RetryPolicy::default().with_delays(
            Duration::from_millis(2),
            Duration::from_millis(20),
            Duration::from_millis(200),
        ))
        .build()
        .expect("client config");
        let client = PanoramaClient::new(config).expect("client");
        Lab { sim, client }
    }

    /// Requests of `op` to `serial`, in order.
    pub fn sent(&self, serial: &str, op: Op) -> Vec<RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.op == op && r.target.as_deref() == Some(serial))
            .collect()
    }

    /// Versions of the accepted requests of `op` (download, install) to `serial`.
    pub fn versions_sent(&self, serial: &str, op: Op) -> Vec<String> {
        self.sent(serial, op)
            .into_iter()
            .filter(|r| r.response == panos_sim::ResponseKind::Ok)
            .filter_map(|r| r.version)
            .collect()
    }

    /// Every changing request (download, install, restart, suspend, functional) to anyone.
    pub fn changing_requests(&self) -> Vec<RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.op,
                    Op::SoftwareDownload
                        | Op::SoftwareInstall
                        | Op::Restart
                        | Op::HaSuspend
                        | Op::HaFunctional
                )
            })
            .collect()
    }

    pub fn version_of(&self, serial: &str) -> String {
        self.sim.device(serial).expect("device").sw_version
    }

    pub async fn run(
        &self,
        job: &UpgradeJob,
        paths: &UpgradePaths,
        sink: &MemorySink,
    ) -> JobReport {
        run_job(
            &self.client,
            sink,
            &engine_config(),
            paths,
            job,
            ResumeState::default(),
            CancellationToken::new(),
        )
        .await
    }
}

/// The engine's settings on the lab's time scale.
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        timing: Timing {
            scale: SCALE,
            ..Timing::default()
        },
        validation: Default::default(),
    }
}

pub fn serial(s: &str) -> Serial {
    s.parse().expect("serial")
}

pub fn paths(json: &str) -> UpgradePaths {
    UpgradePaths::from_json(json).expect("paths")
}

pub fn standalone_job(id: &str, s: &str) -> UpgradeJob {
    UpgradeJob {
        job_id: id.to_owned(),
        kind: JobKind::Standalone { serial: serial(s) },
        dry_run: false,
        target_version: None,
        options: UpgradeOptions::default(),
    }
}

pub fn pair_job(id: &str, a: &str, b: &str) -> UpgradeJob {
    UpgradeJob {
        job_id: id.to_owned(),
        kind: JobKind::HaPair {
            a: serial(a),
            b: serial(b),
        },
        dry_run: false,
        target_version: None,
        options: UpgradeOptions::default(),
    }
}

/// A sink that records every event and, when `stop_at` first matches one, stops the engine
/// right there: the event is recorded, then `emit` never returns and `stopped` is notified,
/// so the caller can drop the engine's future as a crash would.
pub struct CrashingSink {
    pub inner: MemorySink,
    stop_at: Box<dyn Fn(&Event) -> bool + Send + Sync>,
    fired: Mutex<bool>,
    pub stopped: Notify,
}

impl CrashingSink {
    pub fn new(stop_at: impl Fn(&Event) -> bool + Send + Sync + 'static) -> Self {
        Self {
            inner: MemorySink::default(),
            stop_at: Box::new(stop_at),
            fired: Mutex::new(false),
            stopped: Notify::new(),
        }
    }

    pub fn fired(&self) -> bool {
        *self.fired.lock().expect("lock")
    }

    /// What a restarted daemon would hand the engine: the last checkpoint and the pre-flight
    /// snapshots seen.
    pub fn resume_state(&self) -> ResumeState {
        resume_state(&self.inner)
    }
}

/// The resume state a sink's events describe.
pub fn resume_state(sink: &MemorySink) -> ResumeState {
    let pre_snapshots = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Snapshot {
                serial,
                hop_index,
                phase: panos_upgrade::event::SnapshotPhase::PreFlight,
                snapshot,
            } => Some(PreSnapshot {
                serial,
                hop_index,
                snapshot,
            }),
            _ => None,
        })
        .collect();
    ResumeState {
        checkpoint: sink.last_checkpoint(),
        pre_snapshots,
        ..ResumeState::default()
    }
}

impl ProgressSink for CrashingSink {
    async fn emit(&self, event: Event) {
        let stop = {
            let mut fired = self.fired.lock().expect("lock");
            let stop = !*fired && (self.stop_at)(&event);
            *fired |= stop;
            stop
        };
        self.inner.emit(event).await;
        if stop {
            self.stopped.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `job` until the sink's stop condition fires (returns `None`, the engine dropped
/// mid-flight) or the job ends (returns its report).
pub async fn run_until_crash(
    lab: &Lab,
    job: &UpgradeJob,
    paths: &UpgradePaths,
    sink: &CrashingSink,
    resume: ResumeState,
) -> Option<JobReport> {
    let config = engine_config();
    let engine = run_job(
        &lab.client,
        sink,
        &config,
        paths,
        job,
        resume,
        CancellationToken::new(),
    );
    tokio::select! {
        report = engine => Some(report),
        () = sink.stopped.notified() => None,
    }
}
