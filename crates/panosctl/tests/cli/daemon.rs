//! `panosctl daemon start|stop|restart|status`, against a stand-in daemon (a process that
//! holds the state directory's lock, as panosd does).

use predicates::prelude::*;

use crate::common::Lab;

#[test]
fn status_says_not_running_with_exit_code_3() {
    let lab = Lab::new();
    let out = lab.cmd().args(["daemon", "status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!(
        "daemon_status_not_running",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = lab
        .cmd()
        .args(["daemon", "status", "--json"])
        .output()
        .unwrap();
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["running"], false);
    lab.cmd().args(["daemon", "stop"]).assert().code(3);
}

#[test]
fn status_and_stop_use_the_pid_in_the_lock() {
    let lab = Lab::new();
    let mut daemon = lab.fake_daemon();
    let pid = daemon.child.id();
    lab.cmd()
        .args(["daemon", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "running (pid {pid}, lock held)"
        )));
    lab.cmd()
        .args(["daemon", "start"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "already running (pid {pid})"
        )));
    lab.cmd()
        .args(["daemon", "stop", "--timeout", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "panosd (pid {pid}) stopped"
        )));
    let status = daemon.child.wait().unwrap();
    assert!(!status.success(), "it was ended by SIGTERM");
    assert_eq!(panos_queue::read_lock_pid(lab.root()).unwrap(), None);
}

#[test]
fn start_defers_to_systemd_and_needs_a_binary() {
    let lab = Lab::new();
    lab.cmd()
        .env("INVOCATION_ID", "0123456789abcdef")
        .args(["daemon", "start"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("systemctl start panosd"));
    lab.cmd()
        .args(["daemon", "start", "--panosd"])
        .arg(lab.tmp.path().join("no-such-panosd"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no panosd binary"));
}

#[test]
fn start_reports_a_daemon_that_exits_at_once() {
    let lab = Lab::new();
    // Without panorama.url the real panosd refuses to start; a script stands in for it.
    let fake = lab.tmp.path().join("panosd");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'panorama.url is not set' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    lab.cmd()
        .args(["daemon", "start", "--panosd"])
        .arg(&fake)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("panosd exited at once"))
        .stderr(predicate::str::contains("panorama.url is not set"));
}

/// A script that behaves like panosd at start: writes its pid into the lock file and holds
/// the lock (flock keeps the script's pid through `exec`).
fn lock_holding_panosd(lab: &Lab) -> std::path::PathBuf {
    let fake = lab.tmp.path().join("panosd-standin");
    std::fs::write(
        &fake,
        "#!/bin/sh\n# usage: panosd --state-dir DIR\necho $$ > \"$2/panosd.lock\"\nexec flock -o \"$2/panosd.lock\" sleep 30\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fake
}

fn pid_in(text: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(text);
    let at = text.find("(pid ").expect("a pid") + 5;
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn start_restart_and_stop_a_detached_daemon() {
    let lab = Lab::new();
    let fake = lock_holding_panosd(&lab);
    let out = lab
        .cmd()
        .args(["daemon", "start", "--panosd"])
        .arg(&fake)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let first = pid_in(&out.stdout);
    assert_eq!(panos_queue::read_lock_pid(lab.root()).unwrap(), Some(first));
    let out = lab
        .cmd()
        .args(["daemon", "restart", "--timeout", "10", "--panosd"])
        .arg(&fake)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("panosd (pid {first}) stopped")),
        "{text}"
    );
    let second = pid_in(text.lines().last().unwrap().as_bytes());
    assert_ne!(first, second);
    lab.cmd()
        .args(["daemon", "stop", "--timeout", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "panosd (pid {second}) stopped"
        )));
    assert_eq!(panos_queue::read_lock_pid(lab.root()).unwrap(), None);
}
