//! `panosctl demo`: the whole product in one command. A temporary state directory, an
//! embedded panos-sim fleet with a few injected faults, the daemon (panosd's `run`) started
//! in-process on the same scaled clock, jobs submitted for the whole fleet exactly as
//! `panosctl job submit --all` writes them, live progress, and a summary.

mod setup;
mod summary;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use panos_queue::StateDir;
use panos_sim::SimConfig;
use tokio_util::sync::CancellationToken;

use crate::cli::{DemoArgs, SubmitArgs};
use crate::error::{CtlError, Result};
use crate::select::{self, Filter};
use crate::watch::{self, Style};

/// Longest the demo waits for the jobs.
const JOBS_DEADLINE: Duration = Duration::from_secs(600);

fn failed(what: &str) -> impl FnOnce(String) -> CtlError + '_ {
    move |e| CtlError::Failed(format!("{what}: {e}"))
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<()> {
    if !(args.time_scale.is_finite() && args.time_scale >= 1.0) {
        return Err(CtlError::Usage("--time-scale must be 1 or more".into()));
    }
    if !(1..=panosd::config::MAX_WORKERS).contains(&args.workers) {
        return Err(CtlError::Usage("--workers must be between 1 and 50".into()));
    }
    let dir = tempfile::Builder::new()
        .prefix("panos-upgrade-demo-")
        .tempdir()
        .map_err(|e| failed("cannot create a temporary directory")(e.to_string()))?;
    let root = dir.path().to_owned();
    let state = StateDir::new(&root);
    println!("state directory: {}", root.display());

    let (fleet, injected) = setup::fleet(args.devices, args.ha_pairs, args.seed)?;
    let paths = setup::paths_json(&fleet)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| failed("cannot start the async runtime")(e.to_string()))?;
    let sim = runtime
        .block_on(panos_sim::start(
            SimConfig::new(fleet).with_time_scale(args.time_scale),
        ))
        .map_err(|e| failed("cannot start the simulator")(e.to_string()))?;
    println!(
        "simulator: {} ({} firewalls, {} HA pairs, clock x{})",
        sim.url(),
        sim.serials().len(),
        sim.ha_pairs().len(),
        args.time_scale
    );
    for fault in &injected {
        println!("injected fault: {} {}", fault.serial, fault.what);
    }
    setup::write_config(
        &root,
        sim.url(),
        sim.api_key(),
        args.workers,
        args.time_scale,
        &paths,
    )?;
    println!(
        "daemon: in-process, {} workers, timing.scale {}",
        args.workers, args.time_scale
    );

    let shutdown = CancellationToken::new();
    let config = panosd::DaemonConfig::load(&root, None)?;
    let daemon = runtime.spawn(panosd::run(config, shutdown.clone()));
    // Ctrl-C stops the demo cleanly: the daemon and the simulator stop, the directory goes.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::Relaxed);
        }
    });
    let outcome = drive(&state, &sim, &injected, &interrupted);

    shutdown.cancel();
    let stopped =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(30), daemon).await });
    let api_calls = sim.counters().total;
    let sim_elapsed = sim.sim_elapsed();
    runtime.block_on(sim.shutdown());
    drop(runtime);
    match stopped {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(err))) => return Err(CtlError::Failed(format!("panosd stopped: {err}"))),
        Ok(Err(err)) => return Err(CtlError::Failed(format!("panosd task: {err}"))),
        Err(_) => eprintln!("panosctl: panosd did not stop within 30 s"),
    }
    let (ended, elapsed) = outcome?;
    let report = summary::Summary::new(&ended, &injected, elapsed, api_calls, sim_elapsed);
    print!("{}", report.to_text());
    if args.keep {
        let kept = dir.keep();
        print!("{}", summary::files_text(&kept));
    } else {
        println!(
            "state directory {} removed (run with --keep to look at the files)",
            root.display()
        );
    }
    report.check()
}

/// Waits for the inventory, submits the jobs and follows them; returns how they ended and
/// how long that took.
fn drive(
    state: &StateDir,
    sim: &panos_sim::SimHandle,
    injected: &[setup::Injected],
    interrupted: &AtomicBool,
) -> Result<(watch::Ended, Duration)> {
    let expected = sim.serials().len();
    let deadline = Instant::now() + Duration::from_secs(60);
    let inventory = loop {
        let inventory = crate::job::inventory(state)?;
        if inventory.len() >= expected {
            break inventory;
        }
        if interrupted.load(Ordering::Relaxed) {
            return Err(CtlError::Failed("interrupted".into()));
        }
        if Instant::now() > deadline {
            return Err(CtlError::Failed(format!(
                "the daemon's inventory lists {} of {expected} devices after 60 s; see its \
                 logs under {}",
                inventory.len(),
                state.text_logs_dir().display()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    println!("inventory: {} devices read from Panorama", inventory.len());
    let (planned, notes) = select::many(&inventory, None, &Filter::default())?;
    for note in notes {
        println!("note: {note}");
    }
    let submit = SubmitArgs {
        device: None,
        ha_pair: None,
        all: true,
        from_file: None,
        current_version: None,
        model: None,
        dry_run: false,
        target_version: None,
        priority: 0,
        suspend_passive_first: false,
        postflight: None,
        json: false,
    };
    let started = Instant::now();
    let jobs = crate::job::write_jobs(state, &planned, &submit)?;
    let pairs = jobs
        .iter()
        .filter(|j| j.kind == panos_queue::JobKind::HaPair)
        .count();
    println!(
        "submitted {} jobs ({} standalone, {pairs} ha_pair) into queue/pending/; {} faults \
         injected",
        jobs.len(),
        jobs.len() - pairs,
        injected.len()
    );
    let ended = watch::follow(
        state,
        &jobs,
        Style::for_stdout(Style::Quiet),
        Some(started + JOBS_DEADLINE),
        Some(interrupted),
    )?;
    Ok((ended, started.elapsed()))
}
