//! Typed results of the operations the product uses, as parsed from Panorama's and the
//! firewalls' XML answers.
//!
//! These are plain data (serde-serialisable) so that other crates can store and compare them:
//! panos-validation builds snapshots from them, and the daemon writes them to disk. Parsing
//! lives in [`crate::parse`]; nothing here does I/O.

use serde::{Deserialize, Serialize};

use crate::types::{JobId, Serial, SoftwareVersion};

/// `show system info` of a firewall (or of Panorama itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// `hostname`.
    pub hostname: String,
    /// `serial`.
    pub serial: Serial,
    /// `model` (`PA-VM`, `PA-7050`, `Panorama`).
    pub model: String,
    /// `family` (`vm`, `7000`), when present.
    pub family: Option<String>,
    /// `sw-version`.
    pub sw_version: SoftwareVersion,
    /// `app-version` (applications and threats content), when present.
    pub app_version: Option<String>,
    /// `av-version`, when present.
    pub av_version: Option<String>,
    /// `ip-address` of the management interface, when present.
    pub ip_address: Option<String>,
    /// `uptime` as printed (`12 days, 3:04:05`).
    pub uptime: Option<String>,
    /// `multi-vsys` (`on`/`off`).
    pub multi_vsys: Option<bool>,
    /// `advanced-routing` (`on`/`off`, 10.2+): routes must be read with `show advanced-routing`.
    pub advanced_routing: Option<bool>,
    /// `operational-mode` (`normal`, `fips-cc`), when present.
    pub operational_mode: Option<String>,
}

/// The state of one HA member as the device reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HaState {
    /// `initial`: just booted, not yet decided.
    Initial,
    /// `active` (active/passive).
    Active,
    /// `passive` (active/passive).
    Passive,
    /// `active-primary` (active/active).
    ActivePrimary,
    /// `active-secondary` (active/active).
    ActiveSecondary,
    /// `tentative` (active/active, after a failure).
    Tentative,
    /// `non-functional`: an error keeps the member out of service.
    NonFunctional,
    /// `suspended`: administratively or by a loop detection.
    Suspended,
    /// Anything else, kept as written (Panorama's `primary-active`, `secondary-passive`, …).
    Other(String),
}

impl HaState {
    /// Parses the device's text; unknown values are kept as [`HaState::Other`].
    pub fn from_device_text(text: &str) -> Self {
        match text.trim() {
            "initial" => Self::Initial,
            "active" => Self::Active,
            "passive" => Self::Passive,
            "active-primary" => Self::ActivePrimary,
            "active-secondary" => Self::ActiveSecondary,
            "tentative" => Self::Tentative,
            "non-functional" => Self::NonFunctional,
            "suspended" => Self::Suspended,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the member forwards traffic (`active`, `active-primary`, `active-secondary`,
    /// Panorama's `primary-active`/`secondary-active`).
    pub fn is_active(&self) -> bool {
        match self {
            Self::Active | Self::ActivePrimary | Self::ActiveSecondary => true,
            Self::Other(text) => text.ends_with("-active"),
            _ => false,
        }
    }

    /// Whether the member is a healthy standby (`passive`, Panorama's `*-passive`).
    pub fn is_passive(&self) -> bool {
        match self {
            Self::Passive => true,
            Self::Other(text) => text.ends_with("-passive"),
            _ => false,
        }
    }
}

/// Configuration synchronisation between HA peers (`running-sync`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSync {
    /// `synchronized`.
    Synchronized,
    /// `not synchronized`.
    NotSynchronized,
    /// `synchronization in progress`.
    InProgress,
    /// Anything else, kept as written.
    Other(String),
}

/// One member's side of `show high-availability state` (`local-info` or `peer-info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaMemberInfo {
    /// `state`.
    pub state: HaState,
    /// `priority` (a number on firewalls, `primary`/`secondary` on Panorama), as written.
    pub priority: Option<String>,
    /// `preemptive` (`yes`/`no`).
    pub preemptive: Option<bool>,
    /// `build-rel`: the PAN-OS version the member runs, when present and parseable.
    pub build_rel: Option<SoftwareVersion>,
    /// `mgmt-ip`, when present.
    pub mgmt_ip: Option<String>,
    /// `state-duration` in seconds, when present.
    pub state_duration_secs: Option<u64>,
    /// `conn-status` (`up`/`down`), reported for the peer.
    pub conn_status: Option<String>,
    /// `last-error-reason` (`User requested`, …), when present.
    pub last_error_reason: Option<String>,
}

/// `show high-availability state`, from a firewall (`result/group/…`) or Panorama (`result/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaStatus {
    /// `enabled` (`yes`/`no`). When false, the other fields are empty.
    pub enabled: bool,
    /// `mode` (`Active-Passive`, `Active-Active`), when present.
    pub mode: Option<String>,
    /// This device.
    pub local: Option<HaMemberInfo>,
    /// Its peer.
    pub peer: Option<HaMemberInfo>,
    /// `running-sync`, when present.
    pub running_sync: Option<ConfigSync>,
    /// `running-sync-enabled` (`yes`/`no`), when present.
    pub running_sync_enabled: Option<bool>,
}

/// One entry of `request system software check|info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareImage {
    /// `version`.
    pub version: SoftwareVersion,
    /// `filename` (`PanOS_vm-10.2.9-h1`), when present.
    pub filename: Option<String>,
    /// `size` in MB, when present.
    pub size_mb: Option<u64>,
    /// `size-kb`, when present (more precise than `size`).
    pub size_kb: Option<u64>,
    /// `released-on` as written (`2023/03/14 09:12:40`).
    pub released_on: Option<String>,
    /// `downloaded` (`yes`/`no`).
    pub downloaded: bool,
    /// `current`: the running version.
    pub current: bool,
    /// `latest`.
    pub latest: bool,
    /// `uploaded`.
    pub uploaded: bool,
}

impl SoftwareImage {
    /// Best known size of the image in bytes (from `size-kb`, else `size` in MB).
    pub fn size_bytes(&self) -> Option<u64> {
        self.size_kb
            .map(|kb| kb.saturating_mul(1024))
            .or(self.size_mb.map(|mb| mb.saturating_mul(1024 * 1024)))
    }
}

/// The software catalog of a device, sorted by version, oldest first (devices do not sort it
/// reliably, so the parser does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareCatalog {
    /// The entries, sorted ascending by version.
    pub images: Vec<SoftwareImage>,
}

impl SoftwareCatalog {
    /// The entry for `version`, when listed.
    pub fn get(&self, version: &SoftwareVersion) -> Option<&SoftwareImage> {
        self.images.iter().find(|image| &image.version == version)
    }

    /// The entry marked `current`, when any.
    pub fn current(&self) -> Option<&SoftwareImage> {
        self.images.iter().find(|image| image.current)
    }
}

/// `status` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// `ACT`: running.
    Active,
    /// `PEND` or `QUEUED`: waiting to run.
    Pending,
    /// `FIN`: finished; look at the result.
    Finished,
    /// Anything else, kept as written.
    Other(String),
}

/// `result` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// `PEND`: not decided yet.
    Pending,
    /// `OK`.
    Ok,
    /// `FAIL`.
    Fail,
    /// Anything else, kept as written.
    Other(String),
}

/// `progress` of a job: a percentage while running, and at FIN either `100` or a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobProgress {
    /// A percentage 0–100.
    Percent(u8),
    /// A time stamp (`08:32:10`, `2023/08/07 04:00:45`), seen at FIN.
    Time(String),
    /// Absent or empty.
    Unknown,
}

/// `show jobs id N` (or one job of `show jobs all`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// `id`; `None` for the id-less failed jobs `show jobs all` can list.
    pub id: Option<JobId>,
    /// `type` (`Downld`, `SWInstall`, `Commit`, …), when present.
    pub job_type: Option<String>,
    /// `status`.
    pub state: JobState,
    /// `result`.
    pub outcome: JobOutcome,
    /// `progress`.
    pub progress: JobProgress,
    /// `details/line` texts, trimmed, in order.
    pub details: Vec<String>,
    /// `warnings/line` texts, when any.
    pub warnings: Vec<String>,
    /// `tenq` as written.
    pub enqueued_at: Option<String>,
    /// `tfin` as written (`Still Active` while running).
    pub finished_at: Option<String>,
    /// `description`, when present.
    pub description: Option<String>,
}

impl JobStatus {
    /// Whether the job is finished (`FIN`), whatever its result.
    pub fn is_finished(&self) -> bool {
        self.state == JobState::Finished
    }
}

/// `show session info` (the fields the product uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// `num-max`: session table capacity.
    pub num_max: Option<u64>,
    /// `num-active`: sessions in the table.
    pub num_active: u64,
    /// `num-tcp`.
    pub num_tcp: u64,
    /// `num-udp`.
    pub num_udp: u64,
    /// `num-icmp`.
    pub num_icmp: u64,
    /// `cps`: connections per second, when present.
    pub cps: Option<u64>,
    /// `kbps`, when present.
    pub kbps: Option<u64>,
}

/// Which routing engine produced a route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingEngine {
    /// `show routing route` (virtual routers).
    Legacy,
    /// `show advanced-routing route` (logical routers, JSON in the XML).
    Advanced,
}

/// One route towards one next hop. ECMP routes appear as several entries with the same
/// router and destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route {
    /// Virtual router (legacy) or logical router (advanced).
    pub router: String,
    /// Destination prefix (`0.0.0.0/0`, `10.1.0.0/16`, `::/0`).
    pub destination: String,
    /// Next hop: an address, a router name (`public vr`), `discard` or empty for connected.
    pub nexthop: String,
    /// Outgoing interface, when known.
    pub interface: Option<String>,
    /// Metric, when known.
    pub metric: Option<u32>,
    /// Flags as written, trimmed (`A S`, `A C`, …); for advanced routing, the protocol.
    pub flags: String,
    /// Route table (`unicast`, `multicast`), when known.
    pub route_table: Option<String>,
    /// Age in seconds, when known. Volatile: never compared.
    pub age_secs: Option<u64>,
}

/// A device's route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    /// The engine the routes came from.
    pub engine: RoutingEngine,
    /// The routes, in the device's order.
    pub routes: Vec<Route>,
}

/// One entry of `show arp entry name='all'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArpEntry {
    /// `interface`.
    pub interface: String,
    /// `ip`.
    pub ip: String,
    /// `mac` (lower case as written; `(incomplete)` for unresolved entries).
    pub mac: String,
    /// `status`, trimmed (`c` complete, `s` static, `i` incomplete, …).
    pub status: String,
    /// `port`, when present.
    pub port: Option<String>,
    /// `ttl` in seconds, when present. Volatile: never compared.
    pub ttl_secs: Option<u64>,
}

/// `show arp entry name='all'`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArpTable {
    /// `max`: table capacity, when present.
    pub max: Option<u64>,
    /// `total` as reported (may exceed the entries listed).
    pub total: Option<u64>,
    /// The entries listed.
    pub entries: Vec<ArpEntry>,
}

/// One line of the `df` output in `show system disk-space`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filesystem {
    /// `Filesystem` column (`/dev/sda5`, `/dev/md3`).
    pub device: String,
    /// Size in bytes (from `1.8T`, `3.8G`, `512M`, `100K`, rounded).
    pub size_bytes: u64,
    /// Used bytes.
    pub used_bytes: u64,
    /// Available bytes.
    pub avail_bytes: u64,
    /// `Use%` as a number.
    pub use_percent: u8,
    /// `Mounted on`.
    pub mounted_on: String,
}

/// `show system disk-space`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpace {
    /// Every filesystem listed.
    pub filesystems: Vec<Filesystem>,
}

impl DiskSpace {
    /// The filesystem that holds `path`: the one with the longest mount point that is a
    /// prefix of it (so `/opt/panrepo` falls back to `/opt` or `/` when not mounted itself).
    pub fn filesystem_for(&self, path: &str) -> Option<&Filesystem> {
        self.filesystems
            .iter()
            .filter(|fs| {
                let mount = fs.mounted_on.trim_end_matches('/');
                path == fs.mounted_on
                    || mount.is_empty()
                    || path
                        .strip_prefix(mount)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|fs| fs.mounted_on.len())
    }

    /// Free bytes where software images are stored (`/opt/panrepo`).
    pub fn panrepo_free_bytes(&self) -> Option<u64> {
        self.filesystem_for("/opt/panrepo").map(|fs| fs.avail_bytes)
    }
}

/// HA membership of a managed device as Panorama lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedHa {
    /// `ha/state` (`active`, `passive`, …; `no` in one real sample).
    pub state: String,
    /// `ha/peer/serial`, when present.
    pub peer_serial: Option<Serial>,
}

/// One firewall of `show devices all|connected` on Panorama.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedDevice {
    /// `serial` (also the entry's `name`).
    pub serial: Serial,
    /// `hostname`, when present.
    pub hostname: Option<String>,
    /// `ip-address`, when present.
    pub ip_address: Option<String>,
    /// `model`, when present.
    pub model: Option<String>,
    /// `family`, when present.
    pub family: Option<String>,
    /// `sw-version`, when present and parseable.
    pub sw_version: Option<SoftwareVersion>,
    /// `app-version`, when present.
    pub app_version: Option<String>,
    /// `connected` (`yes`/`no`).
    pub connected: bool,
    /// HA membership, when the entry has an `<ha>` element.
    pub ha: Option<ManagedHa>,
}
