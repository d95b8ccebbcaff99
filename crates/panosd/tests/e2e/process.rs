//! The `panosd` binary as systemd runs it: the state directory from `PANOS_UPGRADE_HOME`,
//! SIGTERM in the middle of an upgrade (exit 0, the job left in `active/`), then a new
//! process that finishes the job; a second process on the same directory refuses to start;
//! SIGKILL mid-install, and a new process installs nothing twice.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use panos_queue::{JobKind, JobOutcome, QueueFolder};
use panos_sim::Op;
use std::process::{Child, Command, Stdio};

use crate::common::{Lab, firewall, wait_for};

fn spawn(lab: &Lab) -> Child {
    Command::new(env!("CARGO_BIN_EXE_panosd"))
        .env("PANOS_UPGRADE_HOME", lab.root())
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("panosd starts")
}

async fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    wait_for(30, "panosd to exit", || child.try_wait().expect("try_wait")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_upgrade_then_a_new_process_completes_the_job() {
    let lab = Lab::start(vec![firewall("0020A", "10.1.9")]).await;
    let mut first = spawn(&lab);
    let id = lab.submit(JobKind::Standalone, &["0020A"]);
    wait_for(30, "the install", || {
        (!lab.accepted("0020A", Op::SoftwareInstall).is_empty()).then_some(())
    })
    .await;

    kill(Pid::from_raw(first.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut first).await;
    assert!(status.success(), "a clean stop: {status}");
    assert_eq!(lab.job_folder(id), Some(QueueFolder::Active));

    let mut restarted = spawn(&lab);
    wait_for(10, "the new process to hold the state directory", || {
        lab.dir()
            .read_daemon_status()
            .ok()
            .flatten()
            .filter(|d| d.pid == restarted.id())
    })
    .await;
    let mut another = spawn(&lab);
    let refused = wait_exit(&mut another).await;
    assert!(!refused.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut another.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains(&format!("locked by pid {}", restarted.id())),
        "{stderr}"
    );

    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.unwrap().outcome, JobOutcome::Completed);
    assert_eq!(lab.accepted("0020A", Op::SoftwareInstall).len(), 1);
    kill(Pid::from_raw(restarted.id() as i32), Signal::SIGINT).unwrap();
    assert!(wait_exit(&mut restarted).await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_install_then_a_new_process_installs_once() {
    let lab = Lab::start(vec![firewall("0021A", "10.1.9")]).await;
    let mut first = spawn(&lab);
    let id = lab.submit(JobKind::Standalone, &["0021A"]);
    wait_for(30, "the install", || {
        (!lab.accepted("0021A", Op::SoftwareInstall).is_empty()).then_some(())
    })
    .await;
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    assert!(!wait_exit(&mut first).await.success());
    assert_eq!(lab.job_folder(id), Some(QueueFolder::Active));

    let mut restarted = spawn(&lab);
    let job = lab.wait_finished(id, 60).await;
    assert_eq!(job.result.unwrap().outcome, JobOutcome::Completed);
    assert_eq!(lab.version_of("0021A"), "10.2.10");
    assert_eq!(lab.accepted("0021A", Op::SoftwareInstall).len(), 1);
    assert_eq!(lab.accepted("0021A", Op::Restart).len(), 1);
    kill(Pid::from_raw(restarted.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut restarted).await.success());
}
