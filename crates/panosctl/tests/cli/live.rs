//! `panosctl` against the real daemon: panos-sim and `panosd::run` in this process (loopback
//! only), the binary asking it for a readiness report and a metrics snapshot, and submitting,
//! watching and inspecting a dry-run job.

use std::time::{Duration, Instant};

use panos_sim::{FleetShape, SimConfig};
use predicates::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::common::Lab;

const SCALE: f64 = 1000.0;

#[test]
fn the_cli_drives_a_running_daemon() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut fleet = panos_sim::generate_fleet(&FleetShape {
        devices: 3,
        ha_pairs: 0,
        seed: 3,
    });
    for device in &mut fleet.devices {
        device.sw_version = "11.0.4-h1".into();
    }
    let serial = fleet.devices[0].serial.clone();
    let sim = runtime
        .block_on(panos_sim::start(
            SimConfig::new(fleet).with_time_scale(SCALE),
        ))
        .unwrap();
    let lab = Lab::new();
    let key_file = lab.tmp.path().join("api.key");
    std::fs::write(&key_file, sim.api_key()).unwrap();
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let mut config = panosd::Config::default();
    config.panorama.url = Some(sim.url().to_owned());
    config.panorama.api_key_file = Some(key_file);
    config.panorama.rate_limit_per_second = 1000;
    config.timing.scale = SCALE;
    config.daemon.status_interval_secs = SCALE / 2.0;
    config.daemon.rescan_interval_secs = SCALE / 4.0;
    config.daemon.inventory_interval_secs = SCALE * 300.0;
    config.daemon.shutdown_grace_secs = SCALE * 10.0;
    lab.config(&serde_json::to_string_pretty(&config).unwrap());
    lab.paths(r#"{"11.0.4-h1": ["11.1.6"]}"#);
    let shutdown = CancellationToken::new();
    let daemon = runtime.spawn(panosd::run(
        panosd::DaemonConfig::load(lab.root(), None).unwrap(),
        shutdown.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab.state.list_device_statuses().unwrap().len() < 3 {
        assert!(Instant::now() < deadline, "the inventory was not written");
        std::thread::sleep(Duration::from_millis(50));
    }

    lab.cmd()
        .args(["daemon", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("lock held"));
    lab.cmd()
        .args(["device", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 device(s)"));
    lab.cmd()
        .args(["device", "validate", &serial, "--timeout", "30"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "Readiness of {serial} for 11.1.6: READY"
        )));
    lab.cmd()
        .args(["device", "metrics", &serial, "--timeout", "30"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sessions"))
        .stdout(predicate::str::contains("11.0.4-h1"));
    let out = lab
        .cmd()
        .args(["job", "submit", "--device", &serial, "--dry-run", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let submitted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = submitted[0]["job_id"].as_str().unwrap().to_owned();
    lab.cmd()
        .args(["job", "watch", &id])
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{id}  completed  1 planned"
        )));
    lab.cmd()
        .args(["job", "status", &id[..8]])
        .assert()
        .success()
        .stdout(predicate::str::contains("planned"))
        .stdout(predicate::str::contains("11.1.6"));
    assert_eq!(
        sim.device(&serial).unwrap().sw_version,
        "11.0.4-h1",
        "a dry run changes nothing"
    );

    shutdown.cancel();
    let stopped = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), daemon).await })
        .expect("the daemon stops in time")
        .expect("daemon task");
    stopped.expect("the daemon ends without error");
    lab.cmd().args(["daemon", "status"]).assert().code(3);
    runtime.block_on(sim.shutdown());
}
