//! Every fault of the device model (jobs, reboots, tables, HA sync, update server), injected at
//! run time or from the fleet file, shows its effect over HTTP. Wire faults: wire_faults.rs.

mod common;

use std::time::Duration;

use common::*;
use panos_sim::{Fault, FaultRule, Op};

async fn advance(secs: u64) {
    tokio::time::advance(Duration::from_secs(secs)).await;
}

fn detail_lines(r: &Resp) -> Vec<String> {
    r.doc()
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.parent().is_some_and(|p| p.has_tag_name("details")))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

/// Installs a downloaded version through to reboot completion and chassis ready.
async fn install_and_reboot(api: &Api, serial: &str, version: &str) {
    let job = api.download(serial, version).await;
    advance(130).await;
    assert_eq!(
        api.job(serial, &job)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    let id = api
        .install(serial, version)
        .await
        .text("result/job")
        .unwrap();
    advance(610).await;
    assert_eq!(
        api.job(serial, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    api.restart(serial).await;
    advance(10 + 480 + 60).await;
}

#[tokio::test(start_paused = true)]
async fn job_fail_ends_downloads_and_installs_with_fail_and_detail_lines() {
    let (sim, api) = start(example_fleet()).await;
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareDownload),
    )
    .unwrap();
    let free = sim.device(BRANCH).unwrap().free_disk_mb;
    let id = api.download(BRANCH, "10.2.13").await;
    advance(130).await;
    let r = api.job(BRANCH, &id).await;
    assert_eq!(
        (
            r.text("result/job/status").unwrap(),
            r.text("result/job/result").unwrap()
        ),
        ("FIN".into(), "FAIL".into())
    );
    assert!(r.body.contains("<line><![CDATA["), "failure lines in CDATA");
    assert!(detail_lines(&r)[0].starts_with("Failed to download PanOS_400-10.2.13"));
    let snap = sim.device(BRANCH).unwrap();
    assert!(!snap.downloaded.contains(&"10.2.13".to_string()));
    assert_eq!(snap.free_disk_mb, free, "reserved space given back");

    // The rule was used up: the retry works. Then an install fails once.
    let id = api.download(BRANCH, "10.2.13").await;
    advance(130).await;
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::JobFail, 1).on(Op::SoftwareInstall),
    )
    .unwrap();
    let id = api
        .install(BRANCH, "10.2.13")
        .await
        .text("result/job")
        .unwrap();
    advance(400).await;
    let r = api.job(BRANCH, &id).await;
    assert_eq!(r.text("result/job/result").as_deref(), Some("FAIL"));
    assert_eq!(
        detail_lines(&r)[0],
        "Failed to install 10.2.13 with the following errors."
    );
    assert!(sim.device(BRANCH).unwrap().pending_install.is_none());
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stalled_download_stops_progressing_and_never_finishes() {
    let (sim, api) = start(example_fleet()).await;
    sim.inject_fault(
        BRANCH,
        FaultRule::always(Fault::DownloadStall { at_percent: 40 }),
    )
    .unwrap();
    let id = api.download(BRANCH, "10.2.13").await;
    advance(3600).await;
    let r = api.job(BRANCH, &id).await;
    assert_eq!(r.text("result/job/status").as_deref(), Some("ACT"));
    assert_eq!(r.text("result/job/progress").as_deref(), Some("40"));
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reboot_faults_never_return_or_return_on_the_old_version() {
    let (sim, api) = start(example_fleet()).await;
    sim.inject_fault(BRANCH, FaultRule::times(Fault::ReturnsOnOldVersion, 1))
        .unwrap();
    install_and_reboot(&api, BRANCH, "10.2.13").await;
    assert_eq!(
        api.system_info(BRANCH)
            .await
            .text("result/system/sw-version")
            .as_deref(),
        Some("10.2.9-h1")
    );

    sim.inject_fault(BRANCH, FaultRule::always(Fault::RebootNeverReturns))
        .unwrap();
    api.restart(BRANCH).await;
    advance(24 * 3600).await;
    assert_eq!(
        api.system_info(BRANCH).await.msg(),
        format!("{BRANCH} not connected")
    );
    let snap = sim.device(BRANCH).unwrap();
    assert!(snap.rebooting && !snap.connected);
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn routes_arp_and_sessions_are_lost_after_the_upgrade_reboot() {
    let (sim, api) = start(example_fleet()).await;
    for f in [
        Fault::RoutesLost { count: 3 },
        Fault::ArpLost { count: 5 },
        Fault::SessionDrop { percent: 50 },
    ] {
        sim.inject_fault(BRANCH, FaultRule::times(f, 1)).unwrap();
    }
    let count = |r: &Resp| {
        r.doc()
            .descendants()
            .filter(|n| n.has_tag_name("entry"))
            .count()
    };
    let routes = count(
        &api.op(Some(BRANCH), "<show><routing><route/></routing></show>")
            .await,
    );
    let arp = count(
        &api.op(Some(BRANCH), "<show><arp><entry name='all'/></arp></show>")
            .await,
    );
    install_and_reboot(&api, BRANCH, "10.2.13").await;
    assert_eq!(
        count(
            &api.op(Some(BRANCH), "<show><routing><route/></routing></show>")
                .await
        ),
        routes - 3
    );
    assert_eq!(
        count(
            &api.op(Some(BRANCH), "<show><arp><entry name='all'/></arp></show>")
                .await
        ),
        arp - 5
    );
    let s = api
        .op(Some(BRANCH), "<show><session><info/></session></show>")
        .await;
    assert_eq!(s.text("result/num-active").as_deref(), Some("915"));
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn software_manager_busy_fails_n_installs_then_lets_one_through() {
    let (sim, api) = start(example_fleet()).await;
    let id = api.download(BRANCH, "10.2.13").await;
    advance(130).await;
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::SoftwareManagerBusy, 2).on(Op::SoftwareInstall),
    )
    .unwrap();
    for _ in 0..2 {
        let id = api
            .install(BRANCH, "10.2.13")
            .await
            .text("result/job")
            .unwrap();
        advance(10).await;
        let r = api.job(BRANCH, &id).await;
        assert_eq!(r.text("result/job/result").as_deref(), Some("FAIL"));
        assert!(detail_lines(&r).contains(
            &"The software manager is currently in use. Please try again later.".to_string()
        ));
    }
    let id = api
        .install(BRANCH, "10.2.13")
        .await
        .text("result/job")
        .unwrap();
    // A second install while one runs finds the manager really busy.
    let second = api
        .install(BRANCH, "10.2.13")
        .await
        .text("result/job")
        .unwrap();
    advance(10).await;
    assert_eq!(
        api.job(BRANCH, &second)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("FAIL")
    );
    advance(600).await;
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_out_of_sync_pair_never_reports_synchronized() {
    let (sim, api) = start(example_fleet()).await;
    sim.inject_fault(DC_B, FaultRule::always(Fault::HaOutOfSync))
        .unwrap();
    assert_eq!(api.ha(DC_A).await.1, "not synchronized");
    api.op(
        Some(DC_B),
        "<request><high-availability><state><suspend/></state></high-availability></request>",
    )
    .await;
    api.op(
        Some(DC_B),
        "<request><high-availability><state><functional/></state></high-availability></request>",
    )
    .await;
    advance(3600).await;
    assert_eq!(
        api.ha(DC_B).await,
        ("passive".to_string(), "not synchronized".to_string())
    );
    sim.clear_faults(DC_B).unwrap();
    assert_eq!(api.ha(DC_B).await.1, "synchronized");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_update_server_fails_the_check() {
    let (sim, api) = start(example_fleet()).await;
    sim.inject_fault(BRANCH, FaultRule::times(Fault::UpdateServerUnreachable, 1))
        .unwrap();
    let r = api
        .op(
            Some(BRANCH),
            "<request><system><software><check/></software></system></request>",
        )
        .await;
    assert_eq!(r.status_attr(), "error");
    assert!(r.msg().contains("generic communication error"));
    assert_shape(
        "request-system-software-check.error-update-server-unreachable.xml",
        &r.body,
        &[],
    );
    let r = api
        .op(
            Some(BRANCH),
            "<request><system><software><check/></software></system></request>",
        )
        .await;
    assert_eq!(r.status_attr(), "success");
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_short_disk_fails_the_download_and_fleet_file_faults_apply() {
    let (sim, api) = start(example_fleet()).await;
    // The lab VM has 600 MB free: an 11.1 base image does not fit.
    let id = api.download(LAB_VM, "11.1.0").await;
    advance(10).await;
    let r = api.job(LAB_VM, &id).await;
    assert_eq!(r.text("result/job/result").as_deref(), Some("FAIL"));
    assert!(detail_lines(&r)[1].starts_with("Not enough disk space on /opt/panrepo"));

    // Its fleet-file faults: one busy install, then 2 routes lost after the reboot.
    let id = api.download(LAB_VM, "10.1.14").await;
    advance(130).await;
    assert_eq!(
        api.job(LAB_VM, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    let id = api
        .install(LAB_VM, "10.1.14")
        .await
        .text("result/job")
        .unwrap();
    advance(10).await;
    assert!(
        detail_lines(&api.job(LAB_VM, &id).await)
            .iter()
            .any(|l| l.contains("software manager is currently in use"))
    );
    let routes = sim.device(LAB_VM).unwrap().routes;
    let id = api
        .install(LAB_VM, "10.1.14")
        .await
        .text("result/job")
        .unwrap();
    advance(610).await;
    assert_eq!(
        api.job(LAB_VM, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    api.restart(LAB_VM).await;
    advance(600).await;
    let snap = sim.device(LAB_VM).unwrap();
    assert_eq!(
        (snap.sw_version.as_str(), snap.routes),
        ("10.1.14", routes - 2)
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_during_an_install_aborts_it_and_keeps_the_old_version() {
    let (sim, api) = start(example_fleet()).await;
    let id = api.download(BRANCH, "10.2.13").await;
    advance(130).await;
    assert_eq!(
        api.job(BRANCH, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    let id = api
        .install(BRANCH, "10.2.13")
        .await
        .text("result/job")
        .unwrap();
    advance(100).await;
    api.restart(BRANCH).await;
    advance(10 + 480 + 60).await;
    let r = api.job(BRANCH, &id).await;
    assert_eq!(r.text("result/job/result").as_deref(), Some("FAIL"));
    assert_eq!(detail_lines(&r), ["Job aborted: the device was restarted"]);
    let snap = sim.device(BRANCH).unwrap();
    assert_eq!(
        (snap.sw_version.as_str(), snap.pending_install.clone()),
        ("10.2.9-h1", None)
    );
    sim.shutdown().await;
}
