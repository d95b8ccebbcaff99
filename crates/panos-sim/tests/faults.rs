//! Every fault kind, injected at run time (or from the fleet file), shows its effect over HTTP.

mod common;

use std::time::Duration;

use common::*;
use panos_sim::{Fault, FaultRule, Op, OverLimit, RateLimit, ResponseKind};

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
async fn response_faults_delay_drop_5xx_malformed_and_api_errors() {
    let (sim, api) = start(example_fleet()).await;
    // Delay (only on the chosen operation).
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::Delay { ms: 1500 }, 1).on(Op::ShowSystemInfo),
    )
    .unwrap();
    let t0 = tokio::time::Instant::now();
    api.op(Some(BRANCH), "<show><chassis-ready/></show>").await;
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "other operations are not delayed"
    );
    let r = api.system_info(BRANCH).await;
    assert!(t0.elapsed() >= Duration::from_millis(1500));
    assert_eq!(r.status_attr(), "success");

    // Dropped connection: no HTTP response at all.
    sim.inject_fault(BRANCH, FaultRule::times(Fault::DropConnection, 1))
        .unwrap();
    let err = api
        .http
        .post(format!("{}/api/", sim.url()))
        .header("X-PAN-KEY", sim.api_key())
        .form(&[
            ("type", "op"),
            ("cmd", "<show><system><info/></system></show>"),
            ("target", BRANCH),
        ])
        .send()
        .await;
    assert!(err.is_err(), "the connection closes unanswered: {err:?}");

    // HTTP 5xx.
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::HttpStatus { status: 502 }, 1),
    )
    .unwrap();
    assert_eq!(api.system_info(BRANCH).await.status, 502);

    // Junk after the document element.
    sim.inject_fault(BRANCH, FaultRule::times(Fault::MalformedXml, 1))
        .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!(r.status, 200);
    assert!(roxmltree::Document::parse(&r.body).is_err());
    assert!(r.body.contains("<sw-version>"));

    // An API error code (22, session timed out).
    sim.inject_fault(
        BRANCH,
        FaultRule::times(
            Fault::ApiError {
                code: 22,
                message: "Session timed out".into(),
            },
            1,
        ),
    )
    .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!(
        (r.status_attr(), r.doc().root_element().attribute("code")),
        ("error".into(), Some("22"))
    );
    assert_eq!(r.msg(), "Session timed out");

    // All used up: normal again. Panorama-level faults hit requests without a target.
    assert_eq!(api.system_info(BRANCH).await.status_attr(), "success");
    sim.inject_fault(
        "panorama",
        FaultRule::times(Fault::HttpStatus { status: 503 }, 1),
    )
    .unwrap();
    assert_eq!(
        api.op(None, "<show><devices><all/></devices></show>")
            .await
            .status,
        503
    );
    assert_eq!(api.system_info(BRANCH).await.status, 200);

    let c = sim.counters();
    assert_eq!(c.by_response.get(&ResponseKind::Dropped), Some(&1));
    assert_eq!(c.by_response.get(&ResponseKind::Malformed), Some(&1));
    assert_eq!(
        c.by_response.get(&ResponseKind::HttpStatus { status: 502 }),
        Some(&1)
    );
    assert_eq!(
        c.by_response.get(&ResponseKind::Error { code: Some(22) }),
        Some(&1)
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_rate_limiter_answers_code_22_or_429_or_makes_requests_wait() {
    let (sim, api) = start(example_fleet()).await;
    let busy = |over| RateLimit {
        max_concurrent: Some(1),
        max_per_second: None,
        over_limit: over,
    };
    for (over, check) in [
        (OverLimit::SessionTimedOut, 0u16),
        (OverLimit::HttpStatus { status: 429 }, 429),
        (OverLimit::Delay, 200),
    ] {
        sim.set_rate_limit(busy(over));
        sim.inject_fault(BRANCH, FaultRule::times(Fault::Delay { ms: 2000 }, 1))
            .unwrap();
        let slow = api.system_info(BRANCH);
        let fast = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            api.op(None, "<show><system><info/></system></show>").await
        };
        let (slow, fast) = tokio::join!(slow, fast);
        assert_eq!(slow.status_attr(), "success");
        match check {
            0 => {
                assert_eq!(fast.doc().root_element().attribute("code"), Some("22"));
                assert_eq!(fast.msg(), "Session timed out");
            }
            200 => assert_eq!(fast.status_attr(), "success", "waited for the slot"),
            status => assert_eq!(fast.status, status),
        }
    }
    assert_eq!(
        sim.counters().by_response.get(&ResponseKind::RateLimited),
        Some(&2)
    );
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

#[tokio::test]
async fn a_device_taken_offline_answers_not_connected() {
    let (sim, api) = start(example_fleet()).await;
    sim.edit_device(BRANCH, |d| d.set_offline(true)).unwrap();
    assert_eq!(
        api.system_info(BRANCH).await.msg(),
        format!("{BRANCH} not connected")
    );
    assert!(
        api.op(None, "<show><devices><connected/></devices></show>")
            .await
            .body
            .contains("Total Connected Devices: 3")
    );
    sim.edit_device(BRANCH, |d| d.set_offline(false)).unwrap();
    assert_eq!(api.system_info(BRANCH).await.status_attr(), "success");
    assert!(
        sim.inject_fault("nope", FaultRule::always(Fault::JobFail))
            .is_err()
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
