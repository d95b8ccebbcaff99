//! [`SnapshotBuilder`]: turns the client's model types (each as the `Result` of its
//! collection) into a [`Snapshot`], normalising the tables and recording every part that is
//! missing and why.

use std::fmt;

use chrono::{DateTime, Utc};
use panos_client::Serial;
use panos_client::model::{
    ArpTable, ConfigSync, DiskSpace, HaMemberInfo, HaState, HaStatus, RouteTable, RoutingEngine,
    SessionInfo, SystemInfo,
};

use super::{
    ArpSet, DiskFree, Engine, HaSummary, MissingPart, PANREPO, Part, RouteSet,
    SNAPSHOT_SCHEMA_VERSION, SessionCounts, Snapshot,
};
use crate::normalize::{normalize_arp, normalize_routes};

impl Snapshot {
    /// Starts a snapshot of `serial` taken at `taken_at`; every part starts as "not collected".
    pub fn builder(serial: Serial, taken_at: DateTime<Utc>) -> SnapshotBuilder {
        SnapshotBuilder {
            snapshot: Snapshot {
                schema_version: SNAPSHOT_SCHEMA_VERSION,
                serial,
                taken_at,
                hostname: None,
                sw_version: None,
                app_version: None,
                sessions: None,
                routes: None,
                arp: None,
                disk: None,
                ha: None,
                missing: Vec::new(),
            },
            explained: Vec::new(),
        }
    }
}

/// Builds a [`Snapshot`]. Each setter takes the collection's `Result`, so the caller can pass
/// what the client returned; an error becomes a [`MissingPart`] with the error's text.
#[derive(Debug)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
    explained: Vec<Part>,
}

impl SnapshotBuilder {
    fn fail(&mut self, part: Part, reason: String) {
        self.explained.push(part);
        self.snapshot.missing.push(MissingPart { part, reason });
    }

    fn take<T, E: fmt::Display>(&mut self, part: Part, result: Result<T, E>) -> Option<T> {
        self.explained.push(part);
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.fail(part, err.to_string());
                None
            }
        }
    }

    /// `show system info`: hostname, sw and app versions.
    pub fn system_info<E: fmt::Display>(mut self, info: Result<SystemInfo, E>) -> Self {
        if let Some(info) = self.take(Part::SystemInfo, info) {
            self.snapshot.hostname = Some(info.hostname);
            self.snapshot.sw_version = Some(info.sw_version);
            self.snapshot.app_version = info.app_version;
        }
        self
    }

    /// `show session info`.
    pub fn sessions<E: fmt::Display>(mut self, info: Result<SessionInfo, E>) -> Self {
        if let Some(info) = self.take(Part::Sessions, info) {
            self.snapshot.sessions = Some(SessionCounts {
                total: info.num_active,
                tcp: info.num_tcp,
                udp: info.num_udp,
                icmp: info.num_icmp,
                max: info.num_max,
            });
        }
        self
    }

    /// The route table (either engine); normalised here.
    pub fn routes<E: fmt::Display>(mut self, table: Result<RouteTable, E>) -> Self {
        if let Some(table) = self.take(Part::Routes, table) {
            let engine = match table.engine {
                RoutingEngine::Legacy => Engine::Legacy,
                RoutingEngine::Advanced => Engine::Advanced,
            };
            self.snapshot.routes = Some(RouteSet {
                engine,
                entries: normalize_routes(table.routes),
            });
        }
        self
    }

    /// The ARP table; normalised here.
    pub fn arp<E: fmt::Display>(mut self, table: Result<ArpTable, E>) -> Self {
        if let Some(table) = self.take(Part::Arp, table) {
            self.snapshot.arp = Some(ArpSet {
                reported_total: table.total,
                entries: normalize_arp(table.entries),
            });
        }
        self
    }

    /// `show system disk-space`: keeps the filesystem holding `/opt/panrepo`.
    pub fn disk<E: fmt::Display>(mut self, disk: Result<DiskSpace, E>) -> Self {
        if let Some(disk) = self.take(Part::Disk, disk) {
            match disk.filesystem_for(PANREPO) {
                Some(fs) => {
                    self.snapshot.disk = Some(DiskFree {
                        mount: fs.mounted_on.clone(),
                        free_bytes: fs.avail_bytes,
                        size_bytes: fs.size_bytes,
                    })
                }
                None => self.fail(
                    Part::Disk,
                    format!("no filesystem holding {PANREPO} in the disk-space output"),
                ),
            }
        }
        self
    }

    /// `show high-availability state`.
    pub fn ha<E: fmt::Display>(mut self, ha: Result<HaStatus, E>) -> Self {
        if let Some(ha) = self.take(Part::Ha, ha) {
            self.snapshot.ha = Some(summarize_ha(&ha));
        }
        self
    }

    /// Records `part` as missing with `reason` (when it was not even attempted, say).
    pub fn missing(mut self, part: Part, reason: impl Into<String>) -> Self {
        self.fail(part, reason.into());
        self
    }

    /// The snapshot. Parts that were never set are recorded as missing (`not collected`).
    pub fn build(mut self) -> Snapshot {
        for part in [
            Part::SystemInfo,
            Part::Sessions,
            Part::Routes,
            Part::Arp,
            Part::Disk,
            Part::Ha,
        ] {
            if !self.explained.contains(&part) {
                self.fail(part, "not collected".to_owned());
            }
        }
        self.snapshot.missing.sort_by_key(|m| m.part);
        self.snapshot
    }
}

/// The HA facts of a status, as text.
pub fn summarize_ha(ha: &HaStatus) -> HaSummary {
    let state = |info: &Option<HaMemberInfo>| info.as_ref().map(|i| ha_state_text(&i.state));
    HaSummary {
        enabled: ha.enabled,
        local_state: state(&ha.local),
        peer_state: state(&ha.peer),
        peer_conn: ha.peer.as_ref().and_then(|p| p.conn_status.clone()),
        config_sync: ha.running_sync.as_ref().map(sync_text),
    }
}

/// The device's words for an HA state.
pub fn ha_state_text(state: &HaState) -> String {
    match state {
        HaState::Initial => "initial".into(),
        HaState::Active => "active".into(),
        HaState::Passive => "passive".into(),
        HaState::ActivePrimary => "active-primary".into(),
        HaState::ActiveSecondary => "active-secondary".into(),
        HaState::Tentative => "tentative".into(),
        HaState::NonFunctional => "non-functional".into(),
        HaState::Suspended => "suspended".into(),
        HaState::Other(text) => text.clone(),
    }
}

/// The device's words for a config sync state.
pub fn sync_text(sync: &ConfigSync) -> String {
    match sync {
        ConfigSync::Synchronized => "synchronized".into(),
        ConfigSync::NotSynchronized => "not synchronized".into(),
        ConfigSync::InProgress => "synchronization in progress".into(),
        ConfigSync::Other(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial() -> Serial {
        "007951000123456".parse().unwrap()
    }

    #[test]
    fn parts_never_set_are_recorded_as_not_collected() {
        let snap = Snapshot::builder(serial(), Utc::now())
            .sessions(Ok::<_, String>(SessionInfo::default()))
            .missing(Part::Ha, "peer only")
            .build();
        assert!(snap.sessions.is_some());
        assert_eq!(snap.missing_reason(Part::Routes), Some("not collected"));
        assert_eq!(snap.missing_reason(Part::Ha), Some("peer only"));
        assert_eq!(snap.missing_reason(Part::Sessions), None);
        assert_eq!(snap.missing.len(), 5, "{:?}", snap.missing);
    }

    #[test]
    fn disk_without_a_filesystem_for_panrepo_is_missing() {
        let disk = DiskSpace {
            filesystems: vec![panos_client::model::Filesystem {
                device: "tmpfs".into(),
                size_bytes: 1,
                used_bytes: 0,
                avail_bytes: 1,
                use_percent: 0,
                mounted_on: "/dev/shm".into(),
            }],
        };
        let snap = Snapshot::builder(serial(), Utc::now())
            .disk(Ok::<_, String>(disk))
            .build();
        assert!(snap.disk.is_none());
        assert!(
            snap.missing_reason(Part::Disk)
                .unwrap()
                .contains("/opt/panrepo")
        );
    }

    #[test]
    fn ha_summary_keeps_states_and_sync_in_device_words() {
        let member = |state| HaMemberInfo {
            state,
            priority: None,
            preemptive: None,
            build_rel: None,
            mgmt_ip: None,
            state_duration_secs: None,
            conn_status: Some("up".into()),
            last_error_reason: None,
        };
        let summary = summarize_ha(&HaStatus {
            enabled: true,
            mode: None,
            local: Some(member(HaState::Passive)),
            peer: Some(member(HaState::Other("primary-active".into()))),
            running_sync: Some(ConfigSync::NotSynchronized),
            running_sync_enabled: Some(true),
        });
        assert_eq!(summary.local_state.as_deref(), Some("passive"));
        assert_eq!(summary.peer_state.as_deref(), Some("primary-active"));
        assert_eq!(summary.config_sync.as_deref(), Some("not synchronized"));
        assert_eq!(summary.peer_conn.as_deref(), Some("up"));
    }
}
