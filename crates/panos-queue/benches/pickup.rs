//! Pickup latency: from the rename of a job into `queue/pending/` to the job claimed into
//! `queue/active/`, through the file watcher, a scan and the claim, as the daemon does it.
//!
//! `cargo bench -p panos-queue --bench pickup [-- ROUNDS [BACKLOG]]` prints p50 / p90 / p99 /
//! max. BACKLOG jobs scheduled for later (`not_before` next year) sit in `pending/` during the
//! measurement, so every scan reads them too, as with a busy queue.
//! A measurement, not a test: nothing here fails on a slow machine.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use panos_queue::{Job, JobId, JobKind, QueueFolder, StateDir};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = numbers.first().copied().unwrap_or(300);
    let backlog = numbers.get(1).copied().unwrap_or(0);
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = StateDir::new(tmp.path());
    state.create().expect("layout");
    for i in 0..backlog {
        let mut later = Job::new(
            JobId::new_random(),
            JobKind::Standalone,
            vec![format!("LATER{i}").parse().expect("serial")],
        );
        later.not_before = Some(chrono::Utc::now() + chrono::Duration::days(365));
        state.submit_job(&later).expect("backlog job");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (claimed_tx, claimed_rx) = mpsc::channel::<(JobId, Instant)>();
    let consumer_state = state.clone();
    runtime.spawn(async move {
        let mut watcher = consumer_state.watch_pending(Duration::from_secs(5));
        let index =
            std::sync::Arc::new(std::sync::Mutex::new(panos_queue::PendingIndex::default()));
        assert!(
            watcher.is_watching(),
            "the file watcher must run for this measurement"
        );
        loop {
            let _hint = watcher.next().await;
            let (state, index) = (consumer_state.clone(), index.clone());
            let claimed = tokio::task::spawn_blocking(move || {
                let mut index = index.lock().expect("index");
                let mut claimed = Vec::new();
                let now = chrono::Utc::now();
                for pending in state.scan_pending_with(&mut index).expect("scan").items {
                    if !pending.job.is_due(now) {
                        continue;
                    }
                    if let Some(active) = state.claim(&pending).expect("claim") {
                        claimed.push((active.job.job_id, Instant::now()));
                    }
                }
                claimed
            })
            .await
            .expect("scan task");
            for c in claimed {
                if claimed_tx.send(c).is_err() {
                    return;
                }
            }
        }
    });
    // Let the watcher start and the start-up scan pass.
    std::thread::sleep(Duration::from_millis(200));

    let staging = state.pending_tmp_dir();
    let mut latencies = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let job = Job::new(
            JobId::new_random(),
            JobKind::Standalone,
            vec![format!("BENCH{i}").parse().expect("serial")],
        );
        let name = format!("{}.json", job.job_id);
        let prepared = staging.join(&name);
        panos_queue::write_json(&prepared, &job).expect("prepare");
        let target = state.job_path(QueueFolder::Pending, &name);
        let start = Instant::now();
        std::fs::rename(&prepared, &target).expect("rename into pending/");
        let (id, at) = claimed_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("claimed within 30 s");
        assert_eq!(id, job.job_id);
        latencies.push(at - start);
        // Spread submissions out so each one is a separate pickup.
        std::thread::sleep(Duration::from_millis(2));
    }
    latencies.sort();
    println!(
        "pickup latency over {rounds} jobs, {backlog} waiting jobs in pending/ \
         (rename into pending/ -> watcher hint -> scan -> claimed):"
    );
    for (label, p) in [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0)] {
        println!(
            "  {label}: {:>8.3} ms",
            percentile(&latencies, p).as_secs_f64() * 1e3
        );
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
}
