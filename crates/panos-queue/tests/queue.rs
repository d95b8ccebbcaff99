//! The job queue end to end in a temp state directory: submit, scan order, claim, finish,
//! recovery, cancellation, and every kind of bad file moved aside without stopping the queue.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use chrono::{Duration, Utc};
use panos_queue::{
    DeviceOutcome, DeviceResult, Job, JobId, JobKind, JobOutcome, JobResult, QueueFolder,
    Rejection, StateDir, reason_path,
};

fn state() -> (tempfile::TempDir, StateDir) {
    let tmp = tempfile::tempdir().unwrap();
    let state = StateDir::new(tmp.path().join("state"));
    state.create().unwrap();
    (tmp, state)
}

fn job(serials: &[&str]) -> Job {
    let kind = if serials.len() == 2 {
        JobKind::HaPair
    } else {
        JobKind::Standalone
    };
    Job::new(
        JobId::new_random(),
        kind,
        serials.iter().map(|s| s.parse().unwrap()).collect(),
    )
}

fn result(outcome: JobOutcome) -> JobResult {
    JobResult {
        outcome,
        started_at: Some(Utc::now()),
        finished_at: Utc::now(),
        error: None,
        manual_action: None,
        cancelled_by: None,
        devices: vec![DeviceResult::new(
            "0001".parse().unwrap(),
            DeviceOutcome::Upgraded,
        )],
    }
}

#[test]
fn a_job_goes_from_pending_to_completed_with_its_result() {
    let (_tmp, state) = state();
    let submitted = job(&["0001"]);
    state.submit_job(&submitted).unwrap();
    assert!(state.submit_job(&submitted).is_err(), "the same id twice");

    let scan = state.scan_pending().unwrap();
    assert_eq!(scan.items.len(), 1);
    assert!(scan.rejected.is_empty());
    let active = state.claim(&scan.items[0]).unwrap().expect("claimed");
    assert_eq!(active.job, submitted);
    assert_eq!(state.claim(&scan.items[0]).unwrap(), None, "claimed once");
    assert_eq!(state.list_active().unwrap().len(), 1);

    let mut done = active.job.clone();
    done.result = Some(result(JobOutcome::Completed));
    let filed = state.finish_job(&done).unwrap();
    assert_eq!(
        filed.parent().unwrap(),
        state.queue_dir(QueueFolder::Completed)
    );
    let text = fs::read_to_string(&filed).unwrap();
    assert!(text.ends_with("}\n"), "pretty JSON with a trailing newline");
    let back: Job = serde_json::from_str(&text).unwrap();
    assert_eq!(back.result.unwrap().outcome, JobOutcome::Completed);
    assert!(state.list_active().unwrap().is_empty());
    let depths = state.queue_depths().unwrap();
    assert_eq!((depths.pending, depths.active, depths.completed), (0, 0, 1));
}

#[test]
fn scan_orders_by_priority_then_submission_time_then_name() {
    let (_tmp, state) = state();
    let now = Utc::now();
    let mut old = job(&["0001"]);
    old.submitted_at = Some(now - Duration::minutes(10));
    let mut new = job(&["0002"]);
    new.submitted_at = Some(now);
    let mut urgent = job(&["0003"]);
    urgent.submitted_at = Some(now + Duration::minutes(5));
    urgent.priority = Some(10);
    for j in [&new, &urgent, &old] {
        state.submit_job(j).unwrap();
    }
    let order: Vec<JobId> = state
        .scan_pending()
        .unwrap()
        .items
        .iter()
        .map(|p| p.job.job_id)
        .collect();
    assert_eq!(order, vec![urgent.job_id, old.job_id, new.job_id]);
}

#[test]
fn not_before_is_reported_by_is_due_and_next_not_before() {
    let (_tmp, state) = state();
    let now = Utc::now();
    let mut later = job(&["0001"]);
    later.not_before = Some(now + Duration::hours(1));
    let mut much_later = job(&["0002"]);
    much_later.not_before = Some(now + Duration::hours(5));
    assert!(!later.is_due(now));
    assert!(later.is_due(now + Duration::hours(2)));
    state.submit_job(&later).unwrap();
    state.submit_job(&much_later).unwrap();
    state.submit_job(&job(&["0003"])).unwrap();
    let scan = state.scan_pending().unwrap();
    assert_eq!(scan.items.len(), 3, "waiting jobs stay in the scan");
    assert_eq!(scan.next_not_before(now), later.not_before);
    assert_eq!(
        scan.next_not_before(now + Duration::hours(2)),
        much_later.not_before
    );
}

/// Writes a file into pending/ the way a careless writer would.
fn drop_file(state: &StateDir, name: &OsStr, bytes: &[u8]) {
    fs::write(state.queue_dir(QueueFolder::Pending).join(name), bytes).unwrap();
}

fn valid_text(id: JobId) -> String {
    format!(
        r#"{{"schema_version": 1, "job_id": "{id}", "kind": "standalone", "devices": ["0001"], "dry_run": false}}"#
    )
}

#[test]
fn every_kind_of_bad_file_is_moved_aside_with_a_reason_and_the_good_job_still_comes_out() {
    let (_tmp, state) = state();
    let pending = state.queue_dir(QueueFolder::Pending);
    let id = || JobId::new_random();
    let named = |id: JobId| format!("{id}.json");
    let mut expected: Vec<(String, &str)> = Vec::new();

    let i = id();
    drop_file(&state, named(i).as_ref(), b"{not json");
    expected.push((named(i), "not valid JSON"));

    let i = id();
    drop_file(&state, named(i).as_ref(), &vec![b' '; (1 << 20) + 10]);
    expected.push((named(i), "limit"));

    let i = id();
    let text = valid_text(i).replace("\"schema_version\": 1", "\"schema_version\": 2");
    drop_file(&state, named(i).as_ref(), text.as_bytes());
    expected.push((named(i), "newer"));

    let i = id();
    let text = valid_text(i).replace("\"dry_run\"", "\"dry-run\"");
    drop_file(&state, named(i).as_ref(), text.as_bytes());
    expected.push((named(i), "unknown field"));

    let i = id();
    let text = valid_text(i).replace("[\"0001\"]", "[\"0001\", \"0002\"]");
    drop_file(&state, named(i).as_ref(), text.as_bytes());
    expected.push((named(i), "exactly one serial"));

    let i = id();
    let text = valid_text(i).replace("\"0001\"", "\"../etc\"");
    drop_file(&state, named(i).as_ref(), text.as_bytes());
    expected.push((named(i), "serial"));

    let i = id();
    drop_file(&state, "wrong-name.json".as_ref(), valid_text(i).as_bytes());
    expected.push(("wrong-name.json".into(), "does not match its job_id"));

    let i = id();
    drop_file(&state, named(i).as_ref(), b"\xff\xfe{}");
    expected.push((named(i), "not UTF-8"));

    let i = id();
    drop_file(&state, named(i).as_ref(), b"[1, 2]");
    expected.push((named(i), "not a JSON object"));

    let i = id();
    let text = valid_text(i).replace("\"dry_run\": false", "\"dry_run\": false, \"result\": {\"outcome\": \"completed\", \"finished_at\": \"2026-01-01T00:00:00Z\"}");
    drop_file(&state, named(i).as_ref(), text.as_bytes());
    expected.push((named(i), "has a result"));

    let i = id();
    let target = state.root().join("outside.json");
    fs::write(&target, valid_text(i)).unwrap();
    std::os::unix::fs::symlink(&target, pending.join(named(i))).unwrap();
    expected.push((named(i), "symbolic link"));

    let i = id();
    fs::create_dir(pending.join(named(i))).unwrap();
    expected.push((named(i), "not a regular file"));

    let i = id();
    let fifo = pending.join(named(i));
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    expected.push((named(i), "not a regular file"));

    let non_utf8 = OsStr::from_bytes(b"\xffjob.json");
    let non_utf8_text = valid_text(id());
    drop_file(&state, non_utf8, non_utf8_text.as_bytes());

    // Ignored, never moved: dot-files, temp files, other extensions.
    drop_file(&state, ".in-progress.json".as_ref(), b"{partial");
    drop_file(&state, "notes.txt".as_ref(), b"hello");

    let good = job(&["0009"]);
    state.submit_job(&good).unwrap();

    let scan = state.scan_pending().unwrap();
    assert_eq!(scan.items.len(), 1, "{:?}", scan.items);
    assert_eq!(scan.items[0].job, good);
    assert_eq!(
        scan.rejected.len(),
        expected.len() + 1,
        "{:#?}",
        scan.rejected
    );

    let failed = state.queue_dir(QueueFolder::Failed);
    for (name, why) in &expected {
        let moved = failed.join(name);
        assert!(
            fs::symlink_metadata(&moved).is_ok(),
            "{name} kept in failed/"
        );
        let reason: Rejection =
            serde_json::from_slice(&fs::read(reason_path(&moved)).unwrap()).unwrap();
        assert!(reason.reason.contains(why), "{name}: {}", reason.reason);
    }
    // Moved under a readable name (U+FFFD for the bad byte), which its reason file names.
    let moved = failed.join(non_utf8.to_string_lossy().as_ref());
    assert_eq!(fs::read(&moved).unwrap(), non_utf8_text.as_bytes());
    assert!(reason_path(&moved).exists());
    // Original bytes are kept.
    let (first, _) = &expected[0];
    assert_eq!(fs::read(failed.join(first)).unwrap(), b"{not json");
    // The ignored files are still where they were.
    assert!(pending.join(".in-progress.json").exists() && pending.join("notes.txt").exists());
    // A second scan finds nothing new to refuse.
    assert!(state.scan_pending().unwrap().rejected.is_empty());
}

#[test]
fn a_file_that_vanishes_is_skipped() {
    let (_tmp, state) = state();
    let j = job(&["0001"]);
    let path = state.submit_job(&j).unwrap();
    let scan = state.scan_pending().unwrap();
    fs::remove_file(path).unwrap();
    assert_eq!(state.claim(&scan.items[0]).unwrap(), None);
    assert!(
        fs::read_dir(state.queue_dir(QueueFolder::Failed))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn a_duplicate_of_an_active_job_is_refused_not_overwritten() {
    let (_tmp, state) = state();
    let j = job(&["0001"]);
    state.submit_job(&j).unwrap();
    let first = state.scan_pending().unwrap().items.remove(0);
    state.claim(&first).unwrap().unwrap();
    // A writer puts the same id back into pending/ behind submit_job's back.
    let mut again = j.clone();
    again.dry_run = true;
    let bytes = serde_json::to_vec(&again).unwrap();
    fs::write(state.job_path(QueueFolder::Pending, &first.name), bytes).unwrap();
    // Refused by the scan already (and by the claim, for a copy arriving after the scan).
    let scan = state.scan_pending().unwrap();
    assert!(scan.items.is_empty());
    assert_eq!(scan.rejected.len(), 1);
    assert_eq!(state.claim(&first).unwrap(), None, "nothing left to claim");
    let active = state.list_active().unwrap();
    assert_eq!(active.len(), 1);
    assert!(!active[0].job.dry_run, "the active job was not replaced");
    assert!(reason_path(&state.job_path(QueueFolder::Failed, &first.name)).exists());
}

#[test]
fn recovery_returns_active_jobs_and_drops_ones_already_filed() {
    let (_tmp, state) = state();
    let (a, b) = (job(&["0001"]), job(&["0002", "0003"]));
    for j in [&a, &b] {
        state.submit_job(j).unwrap();
    }
    for p in state.scan_pending().unwrap().items {
        state.claim(&p).unwrap().unwrap();
    }
    // Simulate a crash after filing `a` but before removing it from active/.
    let mut filed = a.clone();
    filed.result = Some(result(JobOutcome::Failed));
    let name = format!("{}.json", a.job_id);
    panos_queue::write_json(&state.job_path(QueueFolder::Failed, &name), &filed).unwrap();
    let active = state.list_active().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].job, b);
    assert!(!state.job_path(QueueFolder::Active, &name).exists());
}

#[test]
fn a_pending_job_can_be_cancelled() {
    let (_tmp, state) = state();
    let j = job(&["0001"]);
    state.submit_job(&j).unwrap();
    let mut r = result(JobOutcome::Cancelled);
    r.started_at = None;
    let filed = state.cancel_pending(j.job_id, r.clone()).unwrap().unwrap();
    assert_eq!(
        filed.parent().unwrap(),
        state.queue_dir(QueueFolder::Cancelled)
    );
    assert!(state.scan_pending().unwrap().items.is_empty());
    assert_eq!(state.cancel_pending(j.job_id, r).unwrap(), None);
    assert_eq!(state.find_job(j.job_id).unwrap().0, QueueFolder::Cancelled);
}

#[test]
fn ha_pair_names_default_to_sorted_serials() {
    let j = job(&["0009", "0002"]);
    assert_eq!(j.pair_name().unwrap().as_str(), "0002-0009");
    assert!(job(&["0001"]).pair_name().is_none());
    let longest = job(&[&"A".repeat(32), &"B".repeat(32)]);
    assert!(
        longest.pair_name().is_some(),
        "two 32-character serials still make a name"
    );
}

#[test]
fn an_index_rereads_only_changed_files_and_forgets_removed_ones() {
    let (_tmp, state) = state();
    let mut index = panos_queue::PendingIndex::default();
    let (a, b) = (job(&["0001"]), job(&["0002"]));
    let path_a = state.submit_job(&a).unwrap();
    let path_b = state.submit_job(&b).unwrap();
    assert_eq!(state.scan_pending_with(&mut index).unwrap().items.len(), 2);

    // Replace a by rename (a new inode), remove b, add a bad file.
    let mut changed = a.clone();
    changed.dry_run = true;
    panos_queue::write_json(&path_a, &changed).unwrap();
    fs::remove_file(&path_b).unwrap();
    let bad = state.job_path(
        QueueFolder::Pending,
        &format!("{}.json", JobId::new_random()),
    );
    fs::write(&bad, b"{not json").unwrap();

    let scan = state.scan_pending_with(&mut index).unwrap();
    assert_eq!(scan.items.len(), 1);
    assert!(scan.items[0].job.dry_run, "the changed file was read again");
    assert_eq!(scan.rejected.len(), 1);
    assert_eq!(state.scan_pending_with(&mut index).unwrap().items.len(), 1);
}

/// What a watcher names is read by name and merged into the waiting jobs in queue order; a
/// replaced file's older reading is dropped; a bad one is moved aside like a scan does; the
/// result equals a full scan's.
#[test]
fn files_named_by_the_watcher_are_read_and_merged_in_queue_order() {
    let (_tmp, state) = state();
    let mut index = panos_queue::PendingIndex::default();
    let base = Utc::now() - Duration::minutes(10);
    let at = |minutes: i64, mut j: Job| {
        j.submitted_at = Some(base + Duration::minutes(minutes));
        j
    };
    let (a, c) = (at(1, job(&["0001"])), at(3, job(&["0003"])));
    state.submit_job(&a).unwrap();
    let path_c = state.submit_job(&c).unwrap();
    let mut waiting: std::collections::VecDeque<_> =
        state.scan_pending_with(&mut index).unwrap().items.into();

    // Arrived since: b (between a and c), an urgent d (first), c replaced, a bad file, and a
    // name that is gone again.
    let b = at(2, job(&["0002"]));
    let mut d = at(4, job(&["0004"]));
    d.priority = Some(10);
    let mut c2 = c.clone();
    c2.dry_run = true;
    let name = |j: &Job| format!("{}.json", j.job_id);
    state.submit_job(&b).unwrap();
    state.submit_job(&d).unwrap();
    panos_queue::write_json(&path_c, &c2).unwrap();
    let bad = format!("{}.json", JobId::new_random());
    fs::write(state.job_path(QueueFolder::Pending, &bad), b"{not json").unwrap();
    let names = vec![
        name(&b),
        name(&d),
        name(&c),
        bad.clone(),
        format!("{}.json", JobId::new_random()),
        ".x.json.tmp".to_owned(),
        name(&b),
    ];
    let (scan, replaced) = state.scan_pending_names(&mut index, names);
    assert_eq!(scan.items.len(), 3, "b, d and the new c, each once");
    assert_eq!(replaced, [name(&c)]);
    assert_eq!(scan.rejected.len(), 1);
    assert!(!state.job_path(QueueFolder::Pending, &bad).exists());
    panos_queue::merge_pending(&mut waiting, scan.items, &replaced);

    let order: Vec<_> = waiting.iter().map(|p| p.job.job_id).collect();
    assert_eq!(order, [d.job_id, a.job_id, b.job_id, c.job_id]);
    assert!(waiting[3].job.dry_run, "c's new reading");
    let full = state.scan_pending().unwrap().items;
    assert_eq!(Vec::from(waiting), full, "the same as a full scan");
    // The index holds them all: a scan with it reads nothing again.
    let again = state.scan_pending_with(&mut index).unwrap();
    assert_eq!(again.items, full);
}

#[test]
fn a_file_still_being_written_in_place_is_deferred_then_taken_or_refused() {
    let (_tmp, state) = state();
    let j = job(&["0001"]);
    let text = serde_json::to_string(&j).unwrap();
    let path = state.job_path(QueueFolder::Pending, &format!("{}.json", j.job_id));
    // A careless writer: first half written in place, then the rest.
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    // Dated a little ahead so the test does not depend on how fast it runs.
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(30);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(soon)
        .unwrap();
    let scan = state.scan_pending().unwrap();
    assert!(scan.items.is_empty() && scan.rejected.is_empty());
    assert_eq!(scan.deferred, vec![path.clone()]);
    fs::write(&path, &text).unwrap();
    let scan = state.scan_pending().unwrap();
    assert_eq!(scan.items.len(), 1, "the finished file is taken");
    assert!(scan.deferred.is_empty());

    // One that stays truncated past the grace period is refused.
    let other = job(&["0002"]);
    let text = serde_json::to_string(&other).unwrap();
    let path = state.job_path(QueueFolder::Pending, &format!("{}.json", other.job_id));
    fs::write(&path, &text[..10]).unwrap();
    let old = std::time::SystemTime::now() - panos_queue::UNFINISHED_GRACE * 5;
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let scan = state.scan_pending().unwrap();
    assert_eq!(scan.rejected.len(), 1);
    assert!(scan.rejected[0].reason.contains("not valid JSON"));
}

/// A copy of a job already running or filed, dropped into `pending/` under the same name, is
/// refused with a reason instead of running the upgrade a second time.
#[test]
fn a_pending_copy_of_a_used_job_id_is_refused() {
    let (_tmp, state) = state();
    let original = job(&["0001"]);
    let pending_path = state.submit_job(&original).unwrap();
    let copy = fs::read(&pending_path).unwrap();
    let scan = state.scan_pending().unwrap();
    let active = state.claim(&scan.items[0]).unwrap().expect("claimed");

    // A copy while the original runs.
    fs::write(&pending_path, &copy).unwrap();
    let scan = state.scan_pending().unwrap();
    assert!(scan.items.is_empty());
    assert_eq!(scan.rejected.len(), 1);
    assert!(
        scan.rejected[0]
            .reason
            .contains("already used (in active/)"),
        "{:?}",
        scan.rejected
    );

    // A copy after it was filed.
    let mut done = active.job.clone();
    done.result = Some(result(JobOutcome::Completed));
    state.finish_job(&done).unwrap();
    fs::write(&pending_path, &copy).unwrap();
    let scan = state.scan_pending().unwrap();
    assert!(scan.items.is_empty());
    assert!(
        scan.rejected[0]
            .reason
            .contains("already used (in completed/)")
    );
    // The filed result is untouched; both copies are in failed/ with their reasons.
    let completed = state.job_path(QueueFolder::Completed, &format!("{}.json", original.job_id));
    let back: Job = serde_json::from_slice(&fs::read(completed).unwrap()).unwrap();
    assert_eq!(back.result.unwrap().outcome, JobOutcome::Completed);
    assert_eq!(state.queue_depths().unwrap().failed, 2);
}
