//! Status files and validation records: written atomically where the protocol says, read back
//! equal, and a bad status file is an error naming the file.

use chrono::{TimeZone, Utc};
use panos_queue::{
    DaemonCounters, DaemonState, DaemonStatus, DeviceState, DeviceStatus, HaMember, HaPairState,
    HaPairStatus, JobId, Phase, QueueDepths, QueueError, SchemaVersion, StateDir, ValidationRecord,
    WorkerCounts, WorkerSlot, WorkersStatus,
};

fn state() -> (tempfile::TempDir, StateDir) {
    let tmp = tempfile::tempdir().unwrap();
    let state = StateDir::new(tmp.path());
    state.create().unwrap();
    (tmp, state)
}

#[test]
fn device_and_pair_statuses_round_trip_at_their_paths() {
    let (_tmp, state) = state();
    let now = Utc::now();
    let serial = "007951000123456".parse().unwrap();
    let mut device = DeviceStatus::new(serial, DeviceState::Downloading, now);
    device.progress = 40;
    device.job_id = Some(JobId::new_random());
    state.write_device_status(&device).unwrap();
    assert!(
        state
            .root()
            .join("status/devices/007951000123456.json")
            .is_file()
    );
    assert_eq!(
        state.read_device_status(&device.serial).unwrap(),
        Some(device.clone())
    );
    assert_eq!(state.list_device_statuses().unwrap(), vec![device.clone()]);
    assert!(device.state.is_busy());

    let pair = HaPairStatus {
        schema_version: SchemaVersion,
        name: "dc1-edge".parse().unwrap(),
        members: vec![HaMember {
            serial: device.serial.clone(),
            role: Some("passive".into()),
            state: DeviceState::Rebooting,
            current_version: Some("11.1.4-h7".parse().unwrap()),
        }],
        state: HaPairState::UpgradingFirst,
        job_id: device.job_id,
        message: None,
        updated_at: now,
    };
    state.write_ha_pair_status(&pair).unwrap();
    assert!(
        state
            .root()
            .join("status/devices/ha_pairs/dc1-edge.json")
            .is_file()
    );
    assert_eq!(state.read_ha_pair_status(&pair.name).unwrap(), Some(pair));
    // The pair folder is not mistaken for a device status.
    assert_eq!(state.list_device_statuses().unwrap().len(), 1);
}

#[test]
fn daemon_and_workers_statuses_round_trip() {
    let (_tmp, state) = state();
    assert_eq!(state.read_daemon_status().unwrap(), None);
    let now = Utc::now();
    let daemon = DaemonStatus {
        schema_version: SchemaVersion,
        pid: 42,
        version: "0.1.0".into(),
        started_at: now,
        state: DaemonState::Running,
        workers: WorkerCounts {
            configured: 4,
            busy: 1,
        },
        queue: QueueDepths::default(),
        counters: DaemonCounters::default(),
        devices: [(DeviceState::Done, 3), (DeviceState::Idle, 7)].into(),
        job_durations: {
            let mut h = panos_queue::DurationHistogram::with_bounds(&[300.0, 600.0]);
            h.observe(450.0);
            h
        },
        last_panorama_contact: None,
        updated_at: now,
    };
    state.write_daemon_status(&daemon).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.root().join("status/daemon.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["devices"]["done"], 3,
        "devices by state, keyed by name"
    );
    assert_eq!(json["job_durations"]["buckets"][0]["count"], 0);
    assert_eq!(json["job_durations"]["buckets"][1]["count"], 1);
    assert_eq!(state.read_daemon_status().unwrap(), Some(daemon));
    let workers = WorkersStatus {
        schema_version: SchemaVersion,
        workers: vec![WorkerSlot {
            id: 0,
            job_id: None,
            serial: None,
            step: None,
            since: Some(now),
        }],
        updated_at: now,
    };
    state.write_workers_status(&workers).unwrap();
    assert_eq!(state.read_workers_status().unwrap(), Some(workers));
}

#[test]
fn a_broken_status_file_is_an_error_naming_it() {
    let (_tmp, state) = state();
    std::fs::write(state.daemon_status_path(), b"{\"schema_version\": 9}").unwrap();
    let err = state.read_daemon_status().unwrap_err();
    assert!(matches!(err, QueueError::Invalid { .. }));
    let text = err.to_string();
    assert!(
        text.contains("daemon.json") && text.contains("newer"),
        "{text}"
    );
}

#[test]
fn validation_records_are_named_by_serial_and_time_and_never_replaced() {
    let (_tmp, state) = state();
    let record = ValidationRecord {
        schema_version: SchemaVersion,
        serial: "0001".parse().unwrap(),
        phase: Phase::PostFlight,
        job_id: None,
        hop: Some("10.2.9-h1".parse().unwrap()),
        taken_at: Utc.with_ymd_and_hms(2026, 11, 24, 19, 33, 22).unwrap(),
        snapshot: serde_json::json!({"sessions": 5}),
        report: None,
    };
    let path = state.write_validation_record(&record).unwrap();
    assert_eq!(
        path,
        state
            .root()
            .join("validation/post_flight/0001_20261124T193322.000000Z.json")
    );
    assert!(state.write_validation_record(&record).is_err());
    let back: ValidationRecord = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back, record);
}
