//! Whole upgrades driven by plain HTTP requests under paused tokio time: a standalone firewall
//! (check, base image, download, install, restart, not-connected window, back on the new
//! version, chassis ready) and an HA pair (suspend, upgrade, functional, sync, failover).

mod common;

use std::time::Duration;

use common::*;
use panos_sim::{HaState, Op, ResponseKind};

async fn advance(secs: u64) {
    tokio::time::advance(Duration::from_secs(secs)).await;
}

/// Advances until the job is FIN (bounded) and returns its response.
async fn wait_job(api: &Api, target: &str, id: &str) -> Resp {
    for _ in 0..200 {
        let r = api.job(target, id).await;
        if r.text("result/job/status").as_deref() == Some("FIN") {
            return r;
        }
        advance(10).await;
    }
    panic!("job {id} on {target} never finished");
}

async fn chassis_ready(api: &Api, target: &str) -> String {
    api.op(Some(target), "<show><chassis-ready></chassis-ready></show>")
        .await
        .text("result")
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn a_standalone_firewall_upgrades_to_a_new_feature_release() {
    let (sim, api) = start(example_fleet()).await;
    let target = "11.0.4-h1";

    // The catalog offers the version; the base image of 11.0 is not on the device yet.
    let check = api
        .op(
            Some(BRANCH),
            "<request><system><software><check/></software></system></request>",
        )
        .await;
    assert!(check.body.contains(&format!("<version>{target}</version>")));
    let refused = api.install(BRANCH, target).await;
    assert_eq!(
        refused.status_attr(),
        "error",
        "install of an image not downloaded"
    );

    // Base image, then the target: progress while running, FIN/OK with the real lines after.
    let base_job = api.download(BRANCH, "11.0.0").await;
    let busy = api
        .op(Some(BRANCH), "<request><system><software><download><version>11.0.4-h1</version></download></software></system></request>")
        .await;
    assert_eq!(busy.msg(), "Another download is in progress");
    advance(60).await;
    let running = api.job(BRANCH, &base_job).await;
    assert_eq!(running.text("result/job/status").as_deref(), Some("ACT"));
    assert_eq!(running.text("result/job/result").as_deref(), Some("PEND"));
    let pct: u32 = running
        .text("result/job/progress")
        .unwrap()
        .parse()
        .unwrap();
    assert!((40..60).contains(&pct), "progress {pct}");
    let done = wait_job(&api, BRANCH, &base_job).await;
    assert_eq!(done.text("result/job/result").as_deref(), Some("OK"));
    let lines: Vec<_> = done
        .doc()
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "Successfully downloaded",
            "Preloading into software manager",
            "Successfully loaded into software manager"
        ]
    );
    assert!(
        done.text("result/job/progress").unwrap().contains(':'),
        "time-valued progress at FIN"
    );

    let job = api.download(BRANCH, target).await;
    wait_job(&api, BRANCH, &job).await;
    let snap = sim.device(BRANCH).unwrap();
    assert!(
        snap.downloaded.contains(&target.to_string())
            && snap.downloaded.contains(&"11.0.0".to_string())
    );
    assert!(snap.free_disk_mb < 5200, "downloads use disk");

    // Install.
    let install = api.install(BRANCH, target).await;
    assert_eq!(install.doc().root_element().attribute("code"), Some("19"));
    let id = install.text("result/job").unwrap();
    assert!(
        install
            .text("result/msg/line")
            .unwrap()
            .starts_with(&format!("Software install job enqueued with jobid {id}"))
    );
    let done = wait_job(&api, BRANCH, &id).await;
    assert_eq!(done.text("result/job/type").as_deref(), Some("SWInstall"));
    assert_eq!(done.text("result/job/result").as_deref(), Some("OK"));
    assert_eq!(
        api.system_info(BRANCH)
            .await
            .text("result/system/sw-version")
            .as_deref(),
        Some("10.2.9-h1")
    );

    // Restart: answers for a moment, then `not connected` through Panorama.
    let r = api.restart(BRANCH).await;
    assert_eq!(
        r.text("result").as_deref(),
        Some("Command succeeded with no output")
    );
    assert_eq!(
        api.system_info(BRANCH).await.status_attr(),
        "success",
        "still up right after the command"
    );
    advance(10).await;
    let gone = api.system_info(BRANCH).await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.status_attr(), "error");
    assert_eq!(gone.msg(), format!("{BRANCH} not connected"));
    assert_eq!(root_tag(&gone.body), "<response status=\"error\">");
    let all = api.op(None, "<show><devices><all/></devices></show>").await;
    let doc = all.doc();
    let entry = doc
        .descendants()
        .find(|n| n.attribute("name") == Some(BRANCH))
        .unwrap();
    let connected = entry
        .children()
        .find(|c| c.has_tag_name("connected"))
        .unwrap()
        .text();
    assert_eq!(connected, Some("no"));
    let conn = api
        .op(None, "<show><devices><connected/></devices></show>")
        .await;
    assert!(!conn.body.contains(&format!("name=\"{BRANCH}\"")));
    assert!(conn.body.contains("Total Connected Devices: 3"));

    // Back after the reboot, on the new version; chassis ready a little later.
    advance(480).await;
    let info = api.system_info(BRANCH).await;
    assert_eq!(
        info.text("result/system/sw-version").as_deref(),
        Some(target)
    );
    assert!(
        info.text("result/system/uptime")
            .unwrap()
            .starts_with("0 days, 0:0")
    );
    assert_eq!(chassis_ready(&api, BRANCH).await, "no");
    advance(60).await;
    assert_eq!(chassis_ready(&api, BRANCH).await, "yes");
    let snap = sim.device(BRANCH).unwrap();
    assert_eq!(snap.sw_version, target);
    assert!(snap.connected && snap.chassis_ready && snap.pending_install.is_none());

    // The log has the story in order.
    let ops: Vec<Op> = sim
        .requests()
        .iter()
        .filter(|r| r.target.as_deref() == Some(BRANCH) && r.response == ResponseKind::Ok)
        .map(|r| r.op)
        .filter(|op| matches!(op, Op::SoftwareDownload | Op::SoftwareInstall | Op::Restart))
        .collect();
    assert_eq!(
        ops,
        [
            Op::SoftwareDownload,
            Op::SoftwareDownload,
            Op::SoftwareInstall,
            Op::Restart
        ]
    );
    let c = sim.counters();
    assert!(c.target_op(BRANCH, Op::ShowJob) >= 4);
    assert_eq!(c.by_response.get(&ResponseKind::NotConnected), Some(&1));
    sim.shutdown().await;
}

async fn upgrade_member(api: &Api, serial: &str, version: &str) {
    let r = api.install(serial, version).await;
    let id = r
        .text("result/job")
        .unwrap_or_else(|| panic!("install on {serial}: {}", r.body));
    assert_eq!(
        wait_job(api, serial, &id)
            .await
            .text("result/job/result")
            .as_deref(),
        Some("OK")
    );
    api.restart(serial).await;
    advance(10).await;
    assert!(
        api.system_info(serial)
            .await
            .msg()
            .ends_with("not connected")
    );
    advance(480).await;
    assert_eq!(
        api.system_info(serial)
            .await
            .text("result/system/sw-version")
            .as_deref(),
        Some(version)
    );
    advance(60).await;
}

#[tokio::test(start_paused = true)]
async fn an_ha_pair_upgrades_passive_first_with_suspend_failover_functional_and_sync() {
    let (sim, api) = start(example_fleet()).await;
    let version = "11.0.6";
    assert_eq!(
        api.ha(DC_A).await,
        ("active".to_string(), "synchronized".to_string())
    );
    assert_eq!(
        api.ha(DC_B).await,
        ("passive".to_string(), "synchronized".to_string())
    );

    // Download on both at once with sync-to-peer.
    let r = api
        .op(Some(DC_B), &format!("<request><system><software><download><sync-to-peer>yes</sync-to-peer><version>{version}</version></download></software></system></request>"))
        .await;
    let id = r.text("result/job").unwrap();
    wait_job(&api, DC_B, &id).await;
    assert!(
        sim.device(DC_A)
            .unwrap()
            .downloaded
            .contains(&version.to_string()),
        "peer got the image"
    );

    // Passive first: suspend, upgrade, functional, wait for sync.
    api.op(
        Some(DC_B),
        "<request><high-availability><state><suspend/></state></high-availability></request>",
    )
    .await;
    assert_eq!(
        api.ha(DC_B).await,
        ("suspended".to_string(), "not synchronized".to_string())
    );
    assert_eq!(api.ha(DC_A).await.0, "active");
    upgrade_member(&api, DC_B, version).await;
    assert_eq!(
        api.ha(DC_B).await.0,
        "suspended",
        "a user suspend survives the reboot"
    );
    api.op(
        Some(DC_B),
        "<request><high-availability><state><functional/></state></high-availability></request>",
    )
    .await;
    assert_eq!(
        api.ha(DC_B).await,
        (
            "passive".to_string(),
            "synchronization in progress".to_string()
        )
    );
    advance(30).await;
    assert_eq!(
        api.ha(DC_B).await,
        ("passive".to_string(), "synchronized".to_string())
    );

    // Failover: suspend the active; the upgraded peer takes over.
    api.op(
        Some(DC_A),
        "<request><high-availability><state><suspend/></state></high-availability></request>",
    )
    .await;
    assert_eq!(api.ha(DC_A).await.0, "suspended");
    assert_eq!(api.ha(DC_B).await.0, "active");
    let r = api
        .op(
            Some(DC_B),
            "<show><high-availability><state/></high-availability></show>",
        )
        .await;
    assert_eq!(
        r.text("result/group/peer-info/state").as_deref(),
        Some("suspended")
    );
    upgrade_member(&api, DC_A, version).await;
    api.op(
        Some(DC_A),
        "<request><high-availability><state><functional/></state></high-availability></request>",
    )
    .await;
    advance(30).await;
    assert_eq!(
        api.ha(DC_A).await,
        ("passive".to_string(), "synchronized".to_string())
    );
    assert_eq!(
        api.ha(DC_B).await,
        ("active".to_string(), "synchronized".to_string())
    );
    let b = sim.device(DC_B).unwrap();
    assert_eq!(
        (b.sw_version.as_str(), b.ha.unwrap().state),
        (version, HaState::Active)
    );

    // The passive member was upgraded before the active one.
    let installs: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.op == Op::SoftwareInstall)
        .filter_map(|r| r.target.clone())
        .collect();
    assert_eq!(installs, [DC_B.to_string(), DC_A.to_string()]);
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rebooting_the_active_member_moves_the_active_role_to_its_peer() {
    let (sim, api) = start(example_fleet()).await;
    api.restart(DC_A).await;
    assert_eq!(api.ha(DC_B).await.0, "passive", "not yet gone");
    advance(10).await;
    let r = api
        .op(
            Some(DC_B),
            "<show><high-availability><state/></high-availability></show>",
        )
        .await;
    assert_eq!(
        r.text("result/group/local-info/state").as_deref(),
        Some("active")
    );
    assert_eq!(
        r.text("result/group/peer-info/conn-status").as_deref(),
        Some("down")
    );
    let devices = api.op(None, "<show><devices><all/></devices></show>").await;
    let doc = devices.doc();
    let b = doc
        .descendants()
        .find(|n| n.attribute("name") == Some(DC_B))
        .unwrap();
    let ha_state = b
        .descendants()
        .find(|n| n.has_tag_name("state") && n.parent().is_some_and(|p| p.has_tag_name("ha")))
        .unwrap();
    assert_eq!(ha_state.text(), Some("active"));
    advance(480).await;
    assert_eq!(
        api.ha(DC_A).await,
        (
            "passive".to_string(),
            "synchronization in progress".to_string()
        )
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_12_1_feature_release_needs_its_12_1_2_base_image_not_12_1_0() {
    let (sim, api) = start(example_fleet()).await;
    let job = api.download(DC_A, "12.1.3").await;
    wait_job(&api, DC_A, &job).await;
    let refused = api.install(DC_A, "12.1.3").await;
    assert_eq!(refused.status_attr(), "error");
    assert!(
        refused.msg().contains("base image 12.1.2"),
        "{}",
        refused.msg()
    );
    let job = api.download(DC_A, "12.1.2").await;
    wait_job(&api, DC_A, &job).await;
    let ok = api.install(DC_A, "12.1.3").await;
    assert_eq!(
        ok.doc().root_element().attribute("code"),
        Some("19"),
        "{}",
        ok.body
    );
    sim.shutdown().await;
}
