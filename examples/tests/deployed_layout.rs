//! The daemon on the layout `deploy/` installs: the directories of `deploy/tmpfiles.d` with
//! their modes (the logs directory a link to `/var/log/panos-upgrade`, here under a temporary
//! root), `deploy/config/config.json` with only the Panorama address, pin, key file and clock
//! changed, and `deploy/config/upgrade_paths.json`. One job runs to its end against the lab
//! simulator; the test checks the daemon kept the administrator's modes, wrote its logs and
//! audit trail through the link, and filed the job group-readable.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

const SCALE: f64 = 1000.0;

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("deploy")
        .join(file)
}

/// `/var/lib/…` under the temporary root.
fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Applies the `d` and `L` lines of tmpfiles.d under `root` (modes, not owners).
fn apply_tmpfiles(root: &Path) {
    let text = fs::read_to_string(deploy("tmpfiles.d/panos-upgrade.conf")).unwrap();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["d", path, mode, ..] => {
                let dir = under(root, path);
                fs::create_dir_all(&dir).unwrap();
                let mode = u32::from_str_radix(mode, 8).unwrap();
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
            }
            ["L", path, .., target] => {
                std::os::unix::fs::symlink(under(root, target), under(root, path)).unwrap();
            }
            _ => {}
        }
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_runs_a_job_on_the_deployed_layout() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    apply_tmpfiles(root);
    let state = under(root, "/var/lib/panos-upgrade");
    let etc = under(root, "/etc/panos-upgrade");
    fs::copy(
        deploy("config/upgrade_paths.json"),
        etc.join("upgrade_paths.json"),
    )
    .unwrap();

    let sim = panos_examples::start_simulator(SCALE).await.unwrap();
    let key_file = etc.join("api-key");
    let mut key = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key_file)
        .unwrap();
    key.write_all(sim.api_key().as_bytes()).unwrap();

    let mut config: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(deploy("config/config.json")).unwrap()).unwrap();
    config["panorama"]["url"] = json!(sim.tls_url().unwrap());
    config["panorama"]["tls_fingerprint_sha256"] = json!(sim.fingerprint_sha256().unwrap());
    config["panorama"]["api_key_file"] = json!(key_file);
    config["panorama"]["rate_limit_per_second"] = json!(1000);
    config["panorama"]["rate_limit_burst"] = json!(100);
    config["paths"]["upgrade_paths"] = json!(etc.join("upgrade_paths.json"));
    config["timing"]["scale"] = json!(SCALE);
    config["daemon"]["status_interval_secs"] = json!(SCALE * 0.2);
    config["daemon"]["rescan_interval_secs"] = json!(SCALE * 0.05);
    config["daemon"]["shutdown_grace_secs"] = json!(SCALE * 5.0);
    let config_file = state.join("config").join("config.json");
    panosd::config::write_file(&config_file, &config).unwrap();

    let shutdown = CancellationToken::new();
    let daemon_config = panosd::DaemonConfig::load(&state, None).unwrap();
    let daemon = tokio::spawn(panosd::run(daemon_config, shutdown.clone()));

    let job_id = uuid::Uuid::new_v4().to_string();
    let pending = state.join("queue").join("pending");
    let temp = pending.join(format!(".{job_id}.json.tmp"));
    fs::write(
        &temp,
        serde_json::to_vec(&json!({
            "schema_version": 1, "job_id": job_id, "kind": "standalone",
            "devices": [panos_examples::STANDALONE], "dry_run": false,
        }))
        .unwrap(),
    )
    .unwrap();
    fs::rename(&temp, pending.join(format!("{job_id}.json"))).unwrap();

    let filed = state
        .join("queue")
        .join("completed")
        .join(format!("{job_id}.json"));
    let waiting = filed.clone();
    tokio::task::spawn_blocking(move || wait_for("the job is completed", || waiting.is_file()))
        .await
        .unwrap();
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
    sim.shutdown().await;

    let job: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&filed).unwrap()).unwrap();
    assert_eq!(job["result"]["outcome"], "completed", "{job:#}");
    assert_eq!(job["result"]["devices"][0]["to_version"], "11.1.6");
    assert_eq!(
        mode(&filed),
        0o640,
        "results are group-readable, not writable"
    );

    // The administrator's modes stay as tmpfiles.d made them.
    assert_eq!(mode(&state), 0o2770);
    assert_eq!(mode(&state.join("queue/pending")), 0o2770);
    assert_eq!(mode(&state.join("commands/incoming")), 0o2770);
    assert_eq!(mode(&state.join("config")), 0o2750);
    assert_eq!(mode(&state.join("checkpoints")), 0o700);
    assert_eq!(mode(&config_file), 0o640);

    // Logs and the audit trail went through the link to /var/log/panos-upgrade.
    assert!(
        fs::symlink_metadata(state.join("logs"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let logs = under(root, "/var/log/panos-upgrade");
    for dir in ["structured", "text", "audit"] {
        let files: Vec<_> = fs::read_dir(logs.join(dir)).unwrap().flatten().collect();
        assert!(!files.is_empty(), "nothing in /var/log/panos-upgrade/{dir}");
    }
    let audit: String = fs::read_dir(logs.join("audit"))
        .unwrap()
        .flatten()
        .map(|e| fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        audit.contains(&job_id) && audit.contains("\"action\":\"install\""),
        "{audit}"
    );
}
