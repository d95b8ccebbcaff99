//! Test and benchmark support: generated route and ARP tables (deterministic, no randomness
//! source needed) and hand-built model values. Shared by the integration tests and, through
//! `#[path]`, by the benchmark.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use panos_client::Serial;
use panos_client::model::{ArpEntry, ArpTable, Route, RouteTable, RoutingEngine, SessionInfo};
use panos_validation::Snapshot;

/// The serial used by every generated snapshot.
pub fn serial() -> Serial {
    "007951000123456".parse().expect("valid serial")
}

/// A fixed instant, `minutes` after 2026-11-24 19:00 UTC.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 19, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

/// One legacy route.
pub fn route(
    router: &str,
    destination: &str,
    nexthop: &str,
    interface: &str,
    flags: &str,
) -> Route {
    Route {
        router: router.to_owned(),
        destination: destination.to_owned(),
        nexthop: nexthop.to_owned(),
        interface: Some(interface.to_owned()),
        metric: Some(10),
        flags: flags.to_owned(),
        route_table: Some("unicast".to_owned()),
        age_secs: Some(1234),
    }
}

/// The `i`-th generated destination (unique for every `i`).
pub fn destination(i: usize) -> String {
    format!("{}.{}.{}.0/24", 10 + i / 65_536, (i / 256) % 256, i % 256)
}

/// `n` generated routes (router + destination unique); every 16th route is ECMP with two next
/// hops, so the table holds more entries than routes.
pub fn routes(n: usize) -> Vec<Route> {
    let mut out = Vec::with_capacity(n + n / 16);
    for i in 0..n {
        let router = if i % 5 == 0 { "public" } else { "default" };
        let dest = destination(i);
        let iface = format!("ethernet1/{}", 1 + i % 8);
        let hop = format!("192.168.{}.{}", i % 200, 1 + i % 250);
        if i % 16 == 0 {
            out.push(route(router, &dest, &hop, &iface, "A S E "));
            let second = format!("192.169.{}.{}", i % 200, 1 + i % 250);
            out.push(route(router, &dest, &second, &iface, "A S E "));
        } else {
            out.push(route(
                router,
                &dest,
                &hop,
                &iface,
                if i % 3 == 0 { "A O" } else { "A S   " },
            ));
        }
    }
    out
}

/// A route table of `routes`.
pub fn route_table(routes: Vec<Route>) -> RouteTable {
    RouteTable {
        engine: RoutingEngine::Legacy,
        routes,
    }
}

/// One ARP entry.
pub fn arp_entry(interface: &str, ip: &str, mac: &str) -> ArpEntry {
    ArpEntry {
        interface: interface.to_owned(),
        ip: ip.to_owned(),
        mac: mac.to_owned(),
        status: "  c  ".to_owned(),
        port: Some(interface.to_owned()),
        ttl_secs: Some(1700),
    }
}

/// The `i`-th generated ARP entry (interface + ip unique for every `i`).
pub fn arp_nth(i: usize) -> ArpEntry {
    let iface = format!("ethernet1/{}", 1 + i % 8);
    let ip = format!("172.{}.{}.{}", 16 + i / 65_536, (i / 256) % 256, i % 256);
    let mac = format!(
        "00:1b:{:02x}:{:02x}:{:02x}:{:02x}",
        (i >> 24) & 255,
        (i >> 16) & 255,
        (i >> 8) & 255,
        i & 255
    );
    arp_entry(&iface, &ip, &mac)
}

/// `n` generated ARP entries.
pub fn arp(n: usize) -> Vec<ArpEntry> {
    (0..n).map(arp_nth).collect()
}

/// An ARP table of `entries`.
pub fn arp_table(entries: Vec<ArpEntry>) -> ArpTable {
    ArpTable {
        max: Some(32_000),
        total: Some(entries.len() as u64),
        entries,
    }
}

/// Session info with these counters.
pub fn sessions(total: u64, tcp: u64, udp: u64) -> SessionInfo {
    SessionInfo {
        num_max: Some(4_194_302),
        num_active: total,
        num_tcp: tcp,
        num_udp: udp,
        num_icmp: total.saturating_sub(tcp + udp),
        cps: None,
        kbps: None,
    }
}

/// A snapshot with routes, ARP and sessions, the other parts recorded as not collected.
pub fn snapshot(
    minutes: i64,
    routes: Vec<Route>,
    arp: Vec<ArpEntry>,
    session: SessionInfo,
) -> Snapshot {
    Snapshot::builder(serial(), at(minutes))
        .routes(Ok::<_, String>(route_table(routes)))
        .arp(Ok::<_, String>(arp_table(arp)))
        .sessions(Ok::<_, String>(session))
        .build()
}

/// A small deterministic pseudo-random sequence (xorshift), for shuffling in benchmarks.
pub fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// The fleet-scale comparison of the benchmarks (`benches/compare.rs` and `cargo xtask
/// bench`): `routes` routes and `arp` ARP entries per side; the post side lost 100 routes and
/// 50 ARP entries, gained 100 routes, and 100 routes and 50 ARP entries changed; post routes
/// shuffled. `routes` must be at least 100 and `arp` at least 50.
pub fn bench_pair(routes: usize, arp: usize) -> (Snapshot, Snapshot) {
    let pre_routes = self::routes(routes);
    let mut post_routes = self::routes(routes + 100);
    let gone: std::collections::HashSet<String> =
        (0..100).map(|i| destination(1_000 + i * 97)).collect();
    post_routes.retain(|r| !gone.contains(&r.destination));
    for route in post_routes.iter_mut().step_by(routes / 100) {
        route.nexthop = "198.51.100.1".into();
    }
    let pre_arp = self::arp(arp);
    let mut post_arp = self::arp(arp - 50);
    for entry in post_arp.iter_mut().step_by(arp / 50) {
        entry.mac = "00:00:5e:00:53:ff".into();
    }
    shuffle(&mut post_routes, 0x5eed);
    (
        snapshot(0, pre_routes, pre_arp, sessions(100_000, 70_000, 29_000)),
        snapshot(40, post_routes, post_arp, sessions(98_000, 69_000, 28_000)),
    )
}
