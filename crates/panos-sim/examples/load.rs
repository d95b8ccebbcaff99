//! A hand-run load check (not a test): starts the simulator in-process with a generated fleet
//! and drives it over loopback HTTP at a target request rate, then prints the achieved rate,
//! latency percentiles and the process's resident memory (client included, so an upper bound).
//!
//! `cargo run --release -p panos-sim --example load -- [DEVICES] [RATE_PER_S] [SECONDS] [CONCURRENCY]`
//! (defaults: 1000 200 20 16; a RATE of 0 means as fast as possible).
//!
//! With `PANOS_SIM_URL=http://127.0.0.1:PORT` (and `PANOS_SIM_KEY`, default admin/admin's key)
//! it drives an already running `panos-sim` process instead, so that process's memory can be
//! read on its own (`grep VmRSS /proc/PID/status`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use panos_sim::{FleetShape, SimConfig, generate_fleet};

const CMDS: &[&str] = &[
    "<show><system><info></info></system></show>",
    "<show><high-availability><state></state></high-availability></show>",
    "<show><jobs><all></all></jobs></show>",
    "<show><session><info></info></session></show>",
    "<show><routing><route></route></routing></show>",
    "<show><arp><entry name='all'/></arp></show>",
    "<show><system><disk-space></disk-space></system></show>",
    "<show><chassis-ready></chassis-ready></show>",
    "<request><system><software><info></info></software></system></request>",
];

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let devices = args.first().copied().unwrap_or(1000) as usize;
    let rate = args.get(1).copied().unwrap_or(200);
    let seconds = args.get(2).copied().unwrap_or(20);
    let concurrency = args.get(3).copied().unwrap_or(16) as usize;

    let before = rss_mb();
    let http = reqwest::Client::new();
    let sim = match std::env::var("PANOS_SIM_URL") {
        Ok(_) => None,
        Err(_) => {
            let fleet = generate_fleet(&FleetShape {
                devices,
                ha_pairs: devices / 10,
                seed: 1,
            });
            let sim = panos_sim::start(SimConfig::new(fleet).with_time_scale(60.0))
                .await
                .expect("start");
            println!(
                "fleet of {devices} started: RSS {:.1} MB (before: {before:.1} MB)",
                rss_mb()
            );
            Some(sim)
        }
    };
    let (url, key) = match &sim {
        Some(sim) => (format!("{}/api/", sim.url()), sim.api_key()),
        None => (
            format!(
                "{}/api/",
                std::env::var("PANOS_SIM_URL").unwrap_or_default()
            ),
            std::env::var("PANOS_SIM_KEY")
                .unwrap_or_else(|_| panos_sim::Credentials::default().api_key()),
        ),
    };
    let serials = Arc::new(match &sim {
        Some(sim) => sim.serials(),
        None => external_serials(&http, &url, &key).await,
    });
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (http, url, key, serials, sent) = (
            http.clone(),
            url.clone(),
            key.clone(),
            serials.clone(),
            sent.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = worker as u64;
            loop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if rate > 0 {
                    // Pace: request n is due at n / rate seconds.
                    let due = start + Duration::from_secs_f64(n as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                if Instant::now() >= deadline {
                    break;
                }
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let serial = &serials[(i >> 33) as usize % serials.len()];
                let (cmd, target) = if n % 500 == 499 {
                    ("<show><devices><connected/></devices></show>", None)
                } else {
                    (CMDS[(i >> 40) as usize % CMDS.len()], Some(serial.as_str()))
                };
                let mut form = vec![("type", "op"), ("cmd", cmd)];
                if let Some(t) = target {
                    form.push(("target", t));
                }
                let t0 = Instant::now();
                let r = http
                    .post(&url)
                    .header("X-PAN-KEY", &key)
                    .form(&form)
                    .send()
                    .await;
                if let Ok(r) = r {
                    let _ = r.bytes().await;
                }
                latencies.push(t0.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("worker"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let counted = sim
        .as_ref()
        .map_or("-".to_string(), |s| s.counters().total.to_string());
    println!(
        "{} requests in {elapsed:.1} s = {:.0}/s; latency p50 {:?} p99 {:?} max {:?}; counted by the simulator: {}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        all.last().copied().unwrap_or_default(),
        counted
    );
    println!("RSS of this process after load: {:.1} MB", rss_mb());
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
}

/// The serials of an external simulator, from `show devices all`.
async fn external_serials(http: &reqwest::Client, url: &str, key: &str) -> Vec<String> {
    let body = http
        .post(url)
        .header("X-PAN-KEY", key)
        .form(&[
            ("type", "op"),
            ("cmd", "<show><devices><all/></devices></show>"),
        ])
        .send()
        .await
        .expect("show devices all")
        .text()
        .await
        .expect("body");
    let doc = roxmltree::Document::parse(&body).expect("XML");
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("entry") && n.parent().is_some_and(|p| p.has_tag_name("devices"))
        })
        .filter_map(|n| n.attribute("name").map(str::to_string))
        .collect()
}
