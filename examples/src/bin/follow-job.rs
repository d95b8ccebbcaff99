//! Example: drive panosd the way a web application does, through the shared directories only
//! (docs/protocol.md): submit job files by rename, follow the device status files and the
//! queue folders, cancel a job with a command file and read the command's result.
//!
//! ```sh
//! cargo run -p panos-examples --bin follow-job [--keep STATE_DIR]
//! ```
//!
//! It starts the lab simulator and, in this process, the daemon itself (`panosd::run`, what
//! the `panosd` binary runs) on a temporary state directory (or `STATE_DIR`, kept afterwards),
//! then plays the web application. That part uses only `std::fs` and `serde_json`, as a
//! program in any language would: nothing of the daemon's crates.
//!
//! Two jobs: the lab's PA-440 is upgraded from 11.0.6 to 11.1.6; the PA-VM's download is made
//! to hang at 40 % in the simulator, and the "operator" cancels that job once it shows as
//! downloading.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use panos_sim::{Fault, FaultRule, Op};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Simulated seconds per real second, for the simulator and the daemon alike.
const SCALE: f64 = 1000.0;
/// How long the whole example may take (real time).
const DEADLINE: Duration = Duration::from_secs(90);

// ---- The web application's side: plain files. ----

/// Writes `document` as `dir/name` the protocol's way: a dot-file, fsync, rename, fsync of
/// the directory. The daemon never sees a partial file.
fn put(dir: &Path, name: &str, document: &Value) -> std::io::Result<()> {
    let temp = dir.join(format!(".{name}.tmp"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640) // group-readable: the daemon reads it through the shared group
        .open(&temp)?;
    file.write_all(&serde_json::to_vec_pretty(document)?)?;
    file.sync_all()?;
    fs::rename(&temp, dir.join(name))?;
    fs::File::open(dir)?.sync_all()
}

/// Reads a JSON file the daemon wrote; `None` while it does not exist. The daemon replaces
/// its files atomically, so any read sees a whole file.
fn read(path: &Path) -> Option<Value> {
    let text = fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Where the job is: the queue folder holding `<job_id>.json`.
fn folder_of(state: &Path, job_id: &str) -> Option<&'static str> {
    ["pending", "active", "completed", "failed", "cancelled"]
        .into_iter()
        .find(|folder| {
            state
                .join("queue")
                .join(folder)
                .join(format!("{job_id}.json"))
                .is_file()
        })
}

/// Submits a standalone upgrade of `serial`; returns its id.
fn submit(state: &Path, serial: &str) -> std::io::Result<String> {
    let job_id = uuid::Uuid::new_v4().to_string();
    let job = json!({
        "schema_version": 1,
        "job_id": job_id,
        "kind": "standalone",
        "devices": [serial],
        "dry_run": false,
        "submitted_by": "web-app-example",
    });
    put(
        &state.join("queue").join("pending"),
        &format!("{job_id}.json"),
        &job,
    )?;
    Ok(job_id)
}

/// Sends a `cancel` command for `job_id`; returns the command file's name.
fn send_cancel(state: &Path, job_id: &str) -> std::io::Result<String> {
    let command_id = uuid::Uuid::new_v4().to_string();
    // Commands are handled in file-name order: the name starts with a UTC timestamp.
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name = format!("{stamp}_{command_id}.json");
    let command = json!({
        "schema_version": 1,
        "command_id": command_id,
        "command": "cancel",
        "job_id": job_id,
        "submitted_by": "web-app-example",
    });
    put(&state.join("commands").join("incoming"), &name, &command)?;
    Ok(name)
}

/// One line about a device's status file.
fn describe(status: &Value) -> String {
    format!(
        "{} {:<11} step {:<13} {:>3}%  {}",
        status["serial"].as_str().unwrap_or("?"),
        status["state"].as_str().unwrap_or("?"),
        status["step"].as_str().unwrap_or("-"),
        status["progress"].as_u64().unwrap_or(0),
        status["message"].as_str().unwrap_or(""),
    )
}

/// Follows both jobs until they are filed, cancelling `to_cancel` once its device is
/// downloading; prints every change a web page would show.
fn follow(state: &Path, jobs: &[(&str, String)], to_cancel: &str) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let mut last_line: Vec<String> = vec![String::new(); jobs.len()];
    let mut last_folder: Vec<Option<&str>> = vec![None; jobs.len()];
    let mut cancel_name: Option<String> = None;
    let mut cancel_reported = false;
    loop {
        if started.elapsed() > DEADLINE {
            return Err("the jobs did not end in time".into());
        }
        for (i, (serial, job_id)) in jobs.iter().enumerate() {
            let folder = folder_of(state, job_id);
            if folder != last_folder[i] {
                println!(
                    "job {job_id}: in queue/{}/",
                    folder.unwrap_or("(between folders)")
                );
                last_folder[i] = folder;
            }
            let status_file = state
                .join("status")
                .join("devices")
                .join(format!("{serial}.json"));
            if let Some(status) =
                read(&status_file).filter(|s| s["job_id"].as_str() == Some(job_id.as_str()))
            {
                // A web page would redraw on every change; print one line per state and step.
                let key = format!("{}/{}", status["state"], status["step"]);
                if key != last_line[i] {
                    println!("  {}", describe(&status));
                    last_line[i] = key;
                }
                if job_id == to_cancel && cancel_name.is_none() && status["state"] == "downloading"
                {
                    let name = send_cancel(state, job_id)?;
                    println!("operator: cancel {job_id} (commands/incoming/{name})");
                    cancel_name = Some(name);
                }
            }
        }
        if let Some(name) = &cancel_name
            && !cancel_reported
            && let Some(done) = read(&state.join("commands").join("processed").join(name))
        {
            let result = &done["result"];
            println!(
                "cancel command: {} (the job was {})",
                result["status"].as_str().unwrap_or("?"),
                result["payload"]["was"].as_str().unwrap_or("?")
            );
            cancel_reported = true;
        }
        let filed = jobs.iter().all(|(_, id)| {
            matches!(
                folder_of(state, id),
                Some("completed" | "failed" | "cancelled")
            )
        });
        if filed && (cancel_name.is_none() || cancel_reported) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Prints a filed job's result, as a web page would.
fn print_result(state: &Path, job_id: &str) {
    let Some(folder) = folder_of(state, job_id) else {
        return;
    };
    let Some(job) = read(
        &state
            .join("queue")
            .join(folder)
            .join(format!("{job_id}.json")),
    ) else {
        return;
    };
    let result = &job["result"];
    println!(
        "job {job_id}: {}{}",
        result["outcome"].as_str().unwrap_or("?"),
        result["error"]
            .as_str()
            .map_or_else(String::new, |e| format!(": {e}"))
    );
    for device in result["devices"].as_array().into_iter().flatten() {
        println!(
            "  {} {}: {}{}{}",
            device["serial"].as_str().unwrap_or("?"),
            device["outcome"].as_str().unwrap_or("?"),
            device["from_version"].as_str().unwrap_or("?"),
            device["to_version"]
                .as_str()
                .map_or_else(String::new, |v| format!(" -> {v}")),
            device["manual_action"]
                .as_str()
                .map_or_else(String::new, |m| format!("; manual action: {m}"))
        );
    }
}

// ---- The lab: a simulator and the daemon, in this process. ----

/// Writes the daemon's configuration for the simulator: its HTTPS address and certificate
/// pin, the API key in a 0600 key file, and every wait and interval scaled like the simulator.
fn configure(state: &Path, sim: &panos_sim::SimHandle) -> Result<(), Box<dyn Error>> {
    let config_dir = state.join("config");
    fs::create_dir_all(&config_dir)?;
    let key_file = config_dir.join("api-key");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key_file)?;
    file.write_all(sim.api_key().as_bytes())?;
    file.sync_all()?;

    let mut config = panosd::Config::default();
    config.panorama.url = sim.tls_url().map(str::to_owned);
    config.panorama.tls_fingerprint_sha256 = sim.fingerprint_sha256().map(str::to_owned);
    config.panorama.api_key_file = Some(key_file);
    config.panorama.rate_limit_per_second = 1000;
    config.panorama.rate_limit_burst = 100;
    config.workers.max = 2;
    config.timing.scale = SCALE;
    // The stalled download must wait for the operator's cancel, not time out first.
    config.timing.download_timeout_secs = 36_000;
    // The daemon's own intervals are divided by the scale too.
    config.daemon.status_interval_secs = SCALE * 0.2;
    config.daemon.rescan_interval_secs = SCALE * 0.05;
    config.daemon.shutdown_grace_secs = SCALE * 5.0;
    // Checked and written the way `panosctl config set` does.
    panosd::config::write_file(
        &panosd::config::default_config_file(state),
        &serde_json::to_value(&config)?,
    )?;
    fs::write(
        config_dir.join("upgrade_paths.json"),
        panos_examples::UPGRADE_PATHS,
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let temp;
    let state: PathBuf = match args.iter().position(|a| a == "--keep") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--keep needs a directory")?),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };

    let sim = panos_examples::start_simulator(SCALE).await?;
    sim.inject_fault(
        panos_examples::BRANCH,
        FaultRule::always(Fault::DownloadStall { at_percent: 40 }).on(Op::SoftwareDownload),
    )?;
    configure(&state, &sim)?;
    let daemon_config = panosd::DaemonConfig::load(&state, None)?;
    let shutdown = CancellationToken::new();
    let daemon = tokio::spawn(panosd::run(daemon_config, shutdown.clone()));
    println!("daemon started on {}", state.display());

    // From here on, only files.
    let web_app = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            let running = Instant::now();
            while read(&state.join("status").join("daemon.json"))
                .is_none_or(|s| s["state"] != "running")
            {
                if running.elapsed() > DEADLINE {
                    return Err("the daemon did not report running".into());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let upgrade = submit(&state, panos_examples::STANDALONE).map_err(|e| e.to_string())?;
            let stalled = submit(&state, panos_examples::BRANCH).map_err(|e| e.to_string())?;
            println!("submitted {upgrade} ({})", panos_examples::STANDALONE);
            println!("submitted {stalled} ({})", panos_examples::BRANCH);
            let jobs = [
                (panos_examples::STANDALONE, upgrade.clone()),
                (panos_examples::BRANCH, stalled.clone()),
            ];
            follow(&state, &jobs, &stalled).map_err(|e| e.to_string())?;
            print_result(&state, &upgrade);
            print_result(&state, &stalled);
            let count = |phase: &str| {
                fs::read_dir(state.join("validation").join(phase)).map_or(0, |d| d.count())
            };
            println!(
                "validation records: {} pre-flight, {} post-flight",
                count("pre_flight"),
                count("post_flight")
            );
            // status/daemon.json follows soon after (it is rewritten on every change).
            let filed = Instant::now();
            loop {
                let daemon = read(&state.join("status").join("daemon.json")).unwrap_or_default();
                let counters = &daemon["counters"];
                let ended = counters["jobs_completed"].as_u64().unwrap_or(0)
                    + counters["jobs_cancelled"].as_u64().unwrap_or(0);
                if ended >= 2 {
                    println!(
                        "status/daemon.json: {} completed, {} cancelled, {} API calls",
                        counters["jobs_completed"],
                        counters["jobs_cancelled"],
                        counters["api_calls"]
                    );
                    break;
                }
                if filed.elapsed() > Duration::from_secs(10) {
                    return Err("status/daemon.json did not count the jobs".into());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        })
    };
    let outcome = web_app.await?;

    shutdown.cancel();
    daemon.await??;
    sim.shutdown().await;
    println!("daemon stopped");
    outcome.map_err(Into::into)
}
