//! [`Snapshot`]: what a firewall looks like at one moment (sessions, routes, ARP, free disk,
//! versions, HA), built from the client's model types by [`SnapshotBuilder`].
//!
//! A snapshot is plain data, written to `validation/pre_flight|post_flight/<serial>_<ts>.json`
//! and read back for the comparison. Tables are normalised on the way in (sorted, ECMP paths
//! grouped, volatile fields such as route age and ARP ttl dropped), so two snapshots compare in
//! one linear pass. A part that could not be collected is recorded in [`Snapshot::missing`]
//! with the reason, never silently left out. No I/O happens here.

use std::fmt;

mod builder;

use chrono::{DateTime, Utc};
use panos_client::{Serial, SoftwareVersion};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use builder::{SnapshotBuilder, ha_state_text, summarize_ha, sync_text};

/// The version of the snapshot file format.
pub const SNAPSHOT_SCHEMA_VERSION: u32 = 1;

/// The mount point whose free space matters for upgrades.
pub const PANREPO: &str = "/opt/panrepo";

/// A metrics snapshot of one firewall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// File format version ([`SNAPSHOT_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The firewall.
    #[schemars(with = "String")]
    pub serial: Serial,
    /// When the collection started.
    pub taken_at: DateTime<Utc>,
    /// Hostname, from `show system info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Running PAN-OS version, from `show system info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub sw_version: Option<SoftwareVersion>,
    /// Applications and threats content version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Session counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionCounts>,
    /// The route table, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<RouteSet>,
    /// The ARP table, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpSet>,
    /// Free space where images are stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<DiskFree>,
    /// HA state (`enabled: false` for a standalone firewall).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<HaSummary>,
    /// The parts that could not be collected, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingPart>,
}

/// Session counters from `show session info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionCounts {
    /// `num-active`: all sessions.
    pub total: u64,
    /// `num-tcp`.
    pub tcp: u64,
    /// `num-udp`.
    pub udp: u64,
    /// `num-icmp`.
    pub icmp: u64,
    /// `num-max`: capacity, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

/// A normalised route table: one entry per router + destination (+ table), sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteSet {
    /// `legacy` (virtual routers) or `advanced` (logical routers).
    pub engine: Engine,
    /// The routes, sorted by [`RouteEntry::key`], keys unique.
    pub entries: Vec<RouteEntry>,
}

/// Which routing engine a table came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// `show routing route`.
    Legacy,
    /// `show advanced-routing route`.
    Advanced,
}

/// One route: every path (ECMP next hop) of one router + destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct RouteEntry {
    /// Virtual router (legacy) or logical router (advanced).
    pub router: String,
    /// Destination prefix.
    pub destination: String,
    /// Route table when not unicast (`multicast`); unicast routes leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The paths, sorted and without duplicates; ECMP routes have several.
    pub paths: Vec<RoutePath>,
}

impl RouteEntry {
    /// The comparison key: router, destination, table.
    pub fn key(&self) -> (&str, &str, Option<&str>) {
        (&self.router, &self.destination, self.table.as_deref())
    }

    /// The sorted, de-duplicated next hops.
    pub fn nexthops(&self) -> Vec<&str> {
        let mut hops: Vec<&str> = self.paths.iter().map(|p| p.nexthop.as_str()).collect();
        hops.dedup();
        hops
    }

    /// The sorted, de-duplicated outgoing interfaces.
    pub fn interfaces(&self) -> Vec<&str> {
        let mut ifaces: Vec<&str> = self
            .paths
            .iter()
            .filter_map(|p| p.interface.as_deref())
            .collect();
        ifaces.sort_unstable();
        ifaces.dedup();
        ifaces
    }
}

/// One way to reach a destination.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct RoutePath {
    /// Next hop (address, router name, `discard`; empty for connected routes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nexthop: String,
    /// Outgoing interface, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Flag letters sorted and space-separated (`A E S`); the protocol for advanced routing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flags: String,
    /// Metric, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
}

/// A normalised ARP table, sorted by interface, ip, mac, status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArpSet {
    /// `total` as the device reported it (can exceed the entries listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_total: Option<u64>,
    /// The entries, sorted. Several entries may share interface + ip (seen on real devices).
    pub entries: Vec<ArpRecord>,
}

/// One ARP entry without its ttl.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct ArpRecord {
    /// Interface.
    pub interface: String,
    /// IP address.
    pub ip: String,
    /// MAC address, lower case (`(incomplete)` when unresolved).
    pub mac: String,
    /// Status letter, trimmed (`c`, `s`, `i`, …).
    pub status: String,
}

impl ArpRecord {
    /// Whether the entry is unresolved (status `i` or mac `(incomplete)`).
    pub fn is_incomplete(&self) -> bool {
        self.status == "i" || self.mac.starts_with("(incomplete")
    }
}

/// Free space where images are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiskFree {
    /// The mount point that holds `/opt/panrepo` (itself, or `/opt`, `/` when not separate).
    pub mount: String,
    /// Available bytes on it.
    pub free_bytes: u64,
    /// Size of that filesystem in bytes.
    pub size_bytes: u64,
}

/// The HA facts a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HaSummary {
    /// HA enabled.
    pub enabled: bool,
    /// This member's state (`active`, `passive`, …), as the device words it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_state: Option<String>,
    /// The peer's state as this member sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_state: Option<String>,
    /// Peer connection (`up`/`down`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_conn: Option<String>,
    /// Configuration sync (`synchronized`, `not synchronized`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sync: Option<String>,
}

/// The parts of a snapshot.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// `show system info` (versions, hostname).
    SystemInfo,
    /// `show session info`.
    Sessions,
    /// `show routing route` / `show advanced-routing route`.
    Routes,
    /// `show arp entry name='all'`.
    Arp,
    /// `show system disk-space`.
    Disk,
    /// `show high-availability state`.
    Ha,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SystemInfo => "system info",
            Self::Sessions => "session info",
            Self::Routes => "route table",
            Self::Arp => "ARP table",
            Self::Disk => "disk space",
            Self::Ha => "HA state",
        })
    }
}

/// A part that is missing from a snapshot, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MissingPart {
    /// Which part.
    pub part: Part,
    /// Why (the collection error, or `not collected`).
    pub reason: String,
}

impl Snapshot {
    /// Why `part` is missing, when it is.
    pub fn missing_reason(&self, part: Part) -> Option<&str> {
        self.missing
            .iter()
            .find(|m| m.part == part)
            .map(|m| m.reason.as_str())
    }
}
