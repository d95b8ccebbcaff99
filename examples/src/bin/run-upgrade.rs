//! Example: run one upgrade programmatically with `panos_upgrade::run_job`, with a
//! `ProgressSink` of our own that prints progress, readiness and comparison summaries, and
//! every command that changes the device.
//!
//! ```sh
//! cargo run -p panos-examples --bin run-upgrade [--dry-run]
//! ```
//!
//! It upgrades the lab simulator's standalone PA-440 from 11.0.6 to 11.1.6 along
//! `deploy/config/upgrade_paths.json` (the 11.1 base image is downloaded first, not installed),
//! with both clocks, the simulator's and the engine's, running 2000 times faster. Ctrl-C
//! cancels the job at its next safe point. `--dry-run` reads and checks everything and
//! prints the plan, changing nothing.
//!
//! A tool of your own would persist `Event::Checkpoint` and the pre-flight snapshots, and hand
//! them back as `ResumeState` after a crash, as panosd does; this example only counts them.

use std::collections::HashMap;
use std::error::Error;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use panos_client::{ClientConfig, Credentials, PanoramaClient, Serial};
use panos_upgrade::{
    DeviceOutcome, EngineConfig, Event, JobKind, ProgressSink, ResumeState, Step, Timing,
    UpgradeJob, UpgradeOptions, UpgradePaths, run_job,
};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

/// Simulated seconds per real second, for the simulator and the engine alike.
const SCALE: f64 = 2000.0;

/// Prints what the engine reports: one line per step of each device, the audit records, the
/// readiness and comparison summaries.
#[derive(Default)]
struct PrintingSink {
    /// The last (hop, step) printed per device, so each step is printed once.
    last: Mutex<HashMap<Serial, (usize, Step)>>,
    checkpoints: AtomicUsize,
}

impl ProgressSink for PrintingSink {
    // `emit` is awaited before the engine goes on: a sink that persists checkpoints makes them
    // durable before the command they announce is sent. Keep it quick otherwise.
    async fn emit(&self, event: Event) {
        match event {
            Event::Progress(p) => {
                let key = (p.hop_index, p.step);
                let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
                if last.get(&p.serial) != Some(&key) {
                    last.insert(p.serial.clone(), key);
                    let hop = p
                        .path
                        .get(p.hop_index)
                        .map_or_else(|| "-".to_owned(), ToString::to_string);
                    println!(
                        "{} [{:>3}%] hop {hop:<9} {:<13} {}",
                        p.serial,
                        p.progress,
                        p.step.to_string(),
                        p.message
                    );
                }
            }
            Event::Audit(record) => println!(
                "{} audit: {} {} -> {}",
                record.serial,
                record.action,
                record
                    .version
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                record.detail
            ),
            Event::Readiness { serial, report, .. } => {
                println!("{serial} readiness: {}", report.summary());
            }
            Event::Comparison { serial, report, .. } => {
                println!("{serial} post-flight comparison: {}", report.summary());
            }
            Event::Checkpoint(_) => {
                self.checkpoints.fetch_add(1, Ordering::Relaxed);
            }
            Event::Snapshot { .. } => {}
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dry_run = std::env::args().any(|a| a == "--dry-run");
    let sim = panos_examples::start_simulator(SCALE).await?;
    let url = sim
        .tls_url()
        .ok_or("the simulator serves no HTTPS")?
        .to_owned();
    let pin = sim.fingerprint_sha256().ok_or("no certificate")?.to_owned();
    let client = PanoramaClient::new(
        ClientConfig::builder(url, Credentials::ApiKey(SecretString::from(sim.api_key())))
            .tls_fingerprint_sha256(pin)
            // The simulator's clock runs 2000 times faster, and so do the engine's polls:
            // allow more requests than a real Panorama should get (default 10/s, burst 5).
            .rate_limit(500, 50)
            .request_timeout(Duration::from_secs(10))
            .build()?,
    )?;

    let paths = UpgradePaths::from_json(panos_examples::UPGRADE_PATHS)?;
    let config = EngineConfig {
        timing: Timing {
            scale: SCALE,
            ..Timing::default()
        },
        ..EngineConfig::default()
    };
    let job = UpgradeJob {
        job_id: "example-1".to_owned(),
        kind: JobKind::Standalone {
            serial: panos_examples::STANDALONE.parse()?,
        },
        dry_run,
        target_version: None, // follow upgrade_paths.json
        options: UpgradeOptions::default(),
    };

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling at the next safe point…");
            on_ctrl_c.cancel();
        }
    });

    let sink = PrintingSink::default();
    let report = run_job(
        &client,
        &sink,
        &config,
        &paths,
        &job,
        ResumeState::default(),
        cancel,
    )
    .await;

    println!(
        "job {}: {} ({} checkpoints emitted)",
        report.job_id,
        report.outcome,
        sink.checkpoints.load(Ordering::Relaxed)
    );
    for device in &report.devices {
        let versions = |v: &Option<panos_client::SoftwareVersion>| {
            v.as_ref()
                .map_or_else(|| "?".to_owned(), ToString::to_string)
        };
        println!(
            "{} {}: {} -> {} ({})",
            device.serial,
            device.outcome.label(),
            versions(&device.from_version),
            versions(&device.to_version),
            device
                .path
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" -> ")
        );
        match &device.outcome {
            DeviceOutcome::Planned {
                hops,
                expected_secs,
            } => {
                for hop in hops {
                    println!(
                        "  plan: install {}{} ({} MB to download)",
                        hop.version,
                        hop.base_image
                            .as_ref()
                            .map_or_else(String::new, |b| format!(", base image {b} first")),
                        hop.bytes_to_download().map_or(0, |b| b / 1_000_000)
                    );
                }
                println!("  expected duration: {} min", expected_secs / 60);
            }
            DeviceOutcome::Failed { failure } => println!("  {failure}"),
            _ => {}
        }
    }
    println!(
        "the simulator now reports {} on {}",
        sim.device(panos_examples::STANDALONE)
            .map_or_else(|| "?".to_owned(), |d| d.sw_version),
        panos_examples::STANDALONE
    );
    sim.shutdown().await;
    Ok(())
}
