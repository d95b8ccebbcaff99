//! Property: whatever lands in `pending/` — random bytes, truncated or mutated jobs — a scan
//! moves every bad file to `failed/` with a reason, keeps its bytes, and still yields the one
//! valid job.

use std::fs;

use panos_queue::{Job, JobId, JobKind, QueueFolder, Rejection, StateDir, reason_path};
use proptest::prelude::*;

fn valid(id: JobId) -> serde_json::Value {
    serde_json::json!({
        "schema_version": 1,
        "job_id": id.to_string(),
        "kind": "standalone",
        "devices": ["007951000123456"],
        "dry_run": false
    })
}

/// A way to break a valid job file.
#[derive(Debug, Clone)]
enum Breakage {
    Bytes(Vec<u8>),
    Truncate(usize),
    Drop(&'static str),
    Unknown(String),
    Version(u64),
    BadSerial(String),
    Kind(&'static str),
}

fn breakage() -> impl Strategy<Value = Breakage> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Breakage::Bytes),
        (1usize..60).prop_map(Breakage::Truncate),
        prop_oneof![
            Just("schema_version"),
            Just("job_id"),
            Just("kind"),
            Just("devices"),
            Just("dry_run")
        ]
        .prop_map(Breakage::Drop),
        "[a-z]{3,10}".prop_map(|k| Breakage::Unknown(format!("x_{k}"))),
        (2u64..1000).prop_map(Breakage::Version),
        "[^A-Za-z0-9]{1,5}|[A-Za-z0-9]{33,40}".prop_map(Breakage::BadSerial),
        prop_oneof![Just("ha_pair"), Just("cluster")].prop_map(Breakage::Kind),
    ]
}

fn broken(id: JobId, how: &Breakage) -> Vec<u8> {
    let mut job = valid(id);
    match how {
        Breakage::Bytes(bytes) => return bytes.clone(),
        Breakage::Truncate(n) => {
            let text = serde_json::to_vec(&job).unwrap();
            return text[..text.len().saturating_sub(*n)].to_vec();
        }
        Breakage::Drop(field) => {
            job.as_object_mut().unwrap().remove(*field);
        }
        Breakage::Unknown(field) => job[field.as_str()] = true.into(),
        Breakage::Version(v) => job["schema_version"] = (*v).into(),
        Breakage::BadSerial(s) => job["devices"] = serde_json::json!([s]),
        Breakage::Kind(k) => job["kind"] = (*k).into(),
    }
    serde_json::to_vec_pretty(&job).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn bad_files_are_moved_aside_and_the_good_job_comes_out(
        breakages in proptest::collection::vec(breakage(), 1..8)
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let state = StateDir::new(tmp.path());
        state.create().unwrap();
        let mut bad = Vec::new();
        for how in &breakages {
            let id = JobId::new_random();
            let name = format!("{id}.json");
            let bytes = broken(id, how);
            let path = state.job_path(QueueFolder::Pending, &name);
            fs::write(&path, &bytes).unwrap();
            // Old enough that a truncated file is not taken for one still being written.
            let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
            fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
            bad.push((name, bytes));
        }
        let good = Job::new(JobId::new_random(), JobKind::Standalone, vec!["0001".parse().unwrap()]);
        state.submit_job(&good).unwrap();

        let scan = state.scan_pending().unwrap();
        prop_assert_eq!(scan.items.len(), 1);
        prop_assert_eq!(&scan.items[0].job, &good);
        prop_assert_eq!(scan.rejected.len(), bad.len());
        for (name, bytes) in &bad {
            let moved = state.job_path(QueueFolder::Failed, name);
            prop_assert_eq!(&fs::read(&moved).unwrap(), bytes);
            let reason: Rejection =
                serde_json::from_slice(&fs::read(reason_path(&moved)).unwrap()).unwrap();
            prop_assert!(!reason.reason.is_empty());
        }
        prop_assert_eq!(state.queue_depths().unwrap().pending, 1);
    }
}
