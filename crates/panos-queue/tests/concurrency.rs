//! Races: writers and readers of the same file never see a partial file; several claimers of
//! the same pending jobs claim each exactly once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use panos_queue::{Job, JobId, JobKind, QueueFolder, StateDir, atomic_write};
use proptest::prelude::*;

/// A JSON document of about `len` bytes whose content says how long it is.
fn document(writer: usize, round: usize, len: usize) -> Vec<u8> {
    let filler = "x".repeat(len);
    serde_json::to_vec_pretty(&serde_json::json!({
        "writer": writer, "round": round, "len": len, "filler": filler
    }))
    .unwrap()
}

fn hammer(sizes: Vec<usize>, writers: usize, readers: usize) -> (usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("status.json"));
    atomic_write(&path, &document(0, 0, 1)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let problems = Arc::new(Mutex::new(Vec::new()));
    let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut handles = Vec::new();
    for r in 0..readers {
        let (path, stop, problems, reads) =
            (path.clone(), stop.clone(), problems.clone(), reads.clone());
        handles.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let bytes = std::fs::read(&*path).expect("the file always exists");
                match serde_json::from_slice::<serde_json::Value>(&bytes) {
                    Ok(v)
                        if v["filler"].as_str().map(str::len)
                            == v["len"].as_u64().map(|n| n as usize) => {}
                    other => problems
                        .lock()
                        .unwrap()
                        .push(format!("reader {r}: {other:?}")),
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let writer_handles: Vec<_> = (0..writers)
        .map(|w| {
            let (path, sizes) = (path.clone(), sizes.clone());
            thread::spawn(move || {
                for (round, len) in sizes.into_iter().enumerate() {
                    atomic_write(&path, &document(w, round, len)).unwrap();
                }
            })
        })
        .collect();
    for h in writer_handles {
        h.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temp files left behind");
    let problems = problems.lock().unwrap().clone();
    (reads.load(Ordering::Relaxed), problems)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_see_a_partial_file(sizes in proptest::collection::vec(0usize..200_000, 5..30)) {
        let (reads, problems) = hammer(sizes, 3, 2);
        prop_assert!(problems.is_empty(), "{problems:?}");
        prop_assert!(reads > 0);
    }
}

fn claim_race(jobs: usize, claimers: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let state = StateDir::new(tmp.path());
    state.create().unwrap();
    let mut ids = HashSet::new();
    for i in 0..jobs {
        let job = Job::new(
            JobId::new_random(),
            JobKind::Standalone,
            vec![format!("S{i}").parse().unwrap()],
        );
        ids.insert(job.job_id);
        state.submit_job(&job).unwrap();
    }
    // Every claimer scans first, so all of them hold every job, then they race.
    let barrier = Arc::new(Barrier::new(claimers));
    let handles: Vec<_> = (0..claimers)
        .map(|_| {
            let (state, barrier) = (state.clone(), barrier.clone());
            thread::spawn(move || {
                let scan = state.scan_pending().unwrap();
                barrier.wait();
                let mut won = Vec::new();
                for pending in &scan.items {
                    if let Some(active) = state.claim(pending).unwrap() {
                        won.push(active.job.job_id);
                    }
                }
                won
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for h in handles {
        claimed.extend(h.join().unwrap());
    }
    let unique: HashSet<_> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), jobs, "every job claimed exactly once");
    assert_eq!(unique, ids);
    assert_eq!(state.list_active().unwrap().len(), jobs);
    assert_eq!(state.queue_depths().unwrap().pending, 0);
    let failed = std::fs::read_dir(state.queue_dir(QueueFolder::Failed))
        .unwrap()
        .count();
    assert_eq!(failed, 0, "a lost race is not a rejection");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn each_job_is_claimed_exactly_once(jobs in 1usize..40, claimers in 2usize..6) {
        claim_race(jobs, claimers);
    }
}
