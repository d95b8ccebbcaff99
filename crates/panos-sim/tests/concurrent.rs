//! Many upgrades at once through one simulator: 50 standalone firewalls of a generated fleet
//! are upgraded concurrently over HTTP (paused time, polling with sleeps), every one ends on its
//! target version, and the counters account for every request.

mod common;

use std::time::Duration;

use common::Api;
use panos_sim::{FleetShape, Op, PanVersion, SimConfig, generate_fleet};

/// The newest version of `current`'s feature release in the built-in catalog.
fn newest_in_train(current: &str) -> String {
    let cur = PanVersion::parse(current).unwrap();
    panos_sim::Catalog::builtin()
        .entries
        .iter()
        .filter_map(|e| PanVersion::parse(&e.version))
        .filter(|v| v.feature() == cur.feature())
        .max()
        .unwrap()
        .to_string()
}

async fn upgrade(api: &Api, serial: &str, version: &str) {
    let poll = Duration::from_secs(15);
    let id = api.download(serial, version).await;
    for _ in 0..400 {
        if api
            .job(serial, &id)
            .await
            .text("result/job/status")
            .as_deref()
            == Some("FIN")
        {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    let r = api.install(serial, version).await;
    let id = r
        .text("result/job")
        .unwrap_or_else(|| panic!("{serial}: {}", r.body));
    for _ in 0..400 {
        if api
            .job(serial, &id)
            .await
            .text("result/job/status")
            .as_deref()
            == Some("FIN")
        {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    api.restart(serial).await;
    for _ in 0..400 {
        tokio::time::sleep(poll).await;
        let info = api.system_info(serial).await;
        if info.text("result/system/sw-version").as_deref() == Some(version) {
            return;
        }
    }
    panic!("{serial} never came back on {version}");
}

#[tokio::test(start_paused = true)]
async fn fifty_concurrent_upgrades_all_complete() {
    let fleet = generate_fleet(&FleetShape {
        devices: 120,
        ha_pairs: 10,
        seed: 5,
    });
    let plan: Vec<(String, String)> = fleet
        .devices
        .iter()
        .filter(|d| d.ha.is_none())
        .map(|d| {
            (
                d.serial.clone(),
                newest_in_train(&d.sw_version),
                d.sw_version.clone(),
            )
        })
        .filter(|(_, target, current)| target != current)
        .take(50)
        .map(|(s, t, _)| (s, t))
        .collect();
    assert_eq!(plan.len(), 50);
    let sim = panos_sim::start(SimConfig::new(fleet)).await.unwrap();
    let api = Api::new(&sim);
    let tasks = plan
        .iter()
        .map(|(serial, target)| upgrade(&api, serial, target));
    join_all(tasks).await;
    for (serial, target) in &plan {
        assert_eq!(&sim.device(serial).unwrap().sw_version, target);
    }
    let c = sim.counters();
    assert_eq!(c.op(Op::SoftwareDownload), 50);
    assert_eq!(c.op(Op::SoftwareInstall), 50);
    assert_eq!(c.op(Op::Restart), 50);
    assert_eq!(c.total, c.by_op.values().sum::<u64>());
    sim.shutdown().await;
}

/// Polls the futures concurrently on this task until all are done (a tiny `join_all`).
async fn join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> =
        futures.map(|f| Some(Box::pin(f))).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if slot
                .as_mut()
                .is_some_and(|f| f.as_mut().poll(cx).is_ready())
            {
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
