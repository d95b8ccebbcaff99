//! The fleet description: the JSON file format (Panorama, firewalls, HA pairs, faults, catalog,
//! timings) as serde types, with loading and validation. The runtime model is built from it in
//! [`crate::model`].

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, PanVersion};
use crate::error::SimError;
use crate::faults::FaultRule;

/// How long things take, in simulated seconds (divide by the time scale for real seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timings {
    /// A software download job, start to FIN.
    pub download_secs: f64,
    /// A software install job, start to FIN.
    pub install_secs: f64,
    /// After `request restart system`, the device keeps answering this long before it goes away.
    pub shutdown_delay_secs: f64,
    /// How long the device is `not connected` while it reboots.
    pub reboot_secs: f64,
    /// After it reconnects, `show chassis-ready` says `no` this long.
    pub chassis_ready_secs: f64,
    /// HA running-config sync after a member becomes functional or comes back.
    pub ha_sync_secs: f64,
    /// An install refused because the software manager is busy fails after this long.
    pub busy_fail_secs: f64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            download_secs: 120.0,
            install_secs: 600.0,
            shutdown_delay_secs: 5.0,
            reboot_secs: 480.0,
            chassis_ready_secs: 60.0,
            ha_sync_secs: 30.0,
            busy_fail_secs: 5.0,
        }
    }
}

/// Seconds (clamped to zero and finite) as a `Duration`.
pub fn secs(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_secs_f64(s)
    } else {
        Duration::ZERO
    }
}

/// A whole fleet file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetSpec {
    /// The Panorama itself.
    #[serde(default)]
    pub panorama: PanoramaSpec,
    /// The versions offered to firewalls; the built-in catalog when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Catalog>,
    /// Durations; defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    /// The managed firewalls.
    pub devices: Vec<DeviceSpec>,
}

/// The Panorama's own identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanoramaSpec {
    /// Hostname.
    pub hostname: String,
    /// Serial.
    pub serial: String,
    /// PAN-OS version of Panorama.
    pub sw_version: String,
    /// Management IP shown in system info.
    pub ip_address: String,
    /// Panorama HA; standalone when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ha: Option<PanoramaHaSpec>,
    /// Faults for requests answered by Panorama itself (no `target`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
}

impl Default for PanoramaSpec {
    fn default() -> Self {
        PanoramaSpec {
            hostname: "panorama-sim".into(),
            serial: "000702100001".into(),
            sw_version: "11.1.4-h7".into(),
            ip_address: "192.0.2.10".into(),
            ha: None,
            faults: Vec::new(),
        }
    }
}

/// Panorama HA as `show high-availability state` shows it (no `<group>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanoramaHaSpec {
    /// e.g. `primary-active`.
    pub local_state: String,
    /// e.g. `secondary-passive`.
    pub peer_state: String,
    /// `synchronized`, `not synchronized`, …
    #[serde(default = "synchronized")]
    pub running_sync: String,
}

fn synchronized() -> String {
    "synchronized".into()
}

/// One managed firewall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpec {
    /// Serial number (the `target`).
    pub serial: String,
    /// Hostname.
    pub hostname: String,
    /// Model, e.g. `PA-VM`, `PA-440`, `PA-3220`, `PA-5250`.
    pub model: String,
    /// Management IP (shown only; never contacted).
    pub ip_address: String,
    /// Running PAN-OS version.
    pub sw_version: String,
    /// Applications and threats content version.
    #[serde(default = "default_app_version")]
    pub app_version: String,
    /// Uptime at simulator start, in seconds.
    #[serde(default)]
    pub uptime_secs: u64,
    /// Images already on the device (the running version is always counted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub downloaded: Vec<String>,
    /// Free space on `/opt/panrepo`, MB.
    #[serde(default = "default_free_disk")]
    pub free_disk_mb: u64,
    /// Active sessions.
    #[serde(default)]
    pub sessions: u32,
    /// Number of routes in the routing table.
    #[serde(default = "default_routes")]
    pub routes: u32,
    /// Number of ARP entries.
    #[serde(default = "default_arp")]
    pub arp: u32,
    /// Advanced Routing Engine on (routes come from `show advanced-routing route` as JSON).
    #[serde(default)]
    pub advanced_routing: bool,
    /// Multi-vsys on.
    #[serde(default)]
    pub multi_vsys: bool,
    /// HA membership; standalone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<HaSpec>,
    /// Faults for this device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
}

impl DeviceSpec {
    /// A plain standalone PA-VM on `version`: hostname `fw-<serial>`, 5,000 sessions, 40
    /// routes, 20 ARP entries, defaults otherwise. The hand-made fleets of tests and
    /// rehearsals are built from it.
    pub fn firewall(serial: &str, version: &str) -> DeviceSpec {
        DeviceSpec {
            serial: serial.to_owned(),
            hostname: format!("fw-{serial}"),
            model: "PA-VM".to_owned(),
            ip_address: "192.0.2.20".to_owned(),
            sw_version: version.to_owned(),
            app_version: default_app_version(),
            uptime_secs: 0,
            downloaded: Vec::new(),
            free_disk_mb: default_free_disk(),
            sessions: 5000,
            routes: 40,
            arp: 20,
            advanced_routing: false,
            multi_vsys: false,
            ha: None,
            faults: Vec::new(),
        }
    }

    /// The two members of an HA pair on `version`, as [`DeviceSpec::firewall`]s: `a` active
    /// (priority 100), `b` passive (priority 110).
    pub fn ha_pair(a: &str, b: &str, version: &str) -> Vec<DeviceSpec> {
        let member = |serial: &str, peer: &str, state: &str, priority: u32| DeviceSpec {
            ha: Some(HaSpec {
                peer: peer.to_owned(),
                state: state.to_owned(),
                priority,
                preemptive: false,
            }),
            ..DeviceSpec::firewall(serial, version)
        };
        vec![member(a, b, "active", 100), member(b, a, "passive", 110)]
    }
}

fn default_app_version() -> String {
    "8799-8509".into()
}
fn default_free_disk() -> u64 {
    8000
}
fn default_routes() -> u32 {
    12
}
fn default_arp() -> u32 {
    8
}

/// A firewall's HA membership (active/passive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HaSpec {
    /// The peer's serial.
    pub peer: String,
    /// `active` or `passive`.
    pub state: String,
    /// Device priority (lower wins).
    #[serde(default = "default_priority")]
    pub priority: u32,
    /// Preemption on.
    #[serde(default)]
    pub preemptive: bool,
}

fn default_priority() -> u32 {
    100
}

impl FleetSpec {
    /// Gives every device 90 % of its platform's `/opt/panrepo` free (or keeps more), so a
    /// multi-hop path, which keeps every image it downloads, never fails on disk space by
    /// itself: the demo and the rehearsals want only the failures they inject.
    pub fn make_room_for_images(&mut self) {
        for device in &mut self.devices {
            if let Some(p) = crate::catalog::PLATFORMS
                .iter()
                .find(|p| p.model == device.model)
            {
                device.free_disk_mb = device
                    .free_disk_mb
                    .max(u64::from(p.panrepo_gb) * 1024 * 9 / 10);
            }
        }
    }

    /// Reads and validates a fleet file.
    pub fn load(path: &Path) -> Result<FleetSpec, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            what: format!("read fleet file {}", path.display()),
            source,
        })?;
        let spec: FleetSpec = serde_json::from_str(&text)
            .map_err(|e| SimError::Fleet(format!("{}: {e}", path.display())))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks serials are unique, versions parse, and HA peers exist, point at each other and
    /// hold one active and one passive member.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut by_serial: HashMap<&str, &DeviceSpec> = HashMap::new();
        for d in &self.devices {
            if d.serial.is_empty() || by_serial.insert(&d.serial, d).is_some() {
                return Err(SimError::Fleet(format!(
                    "duplicate or empty serial {:?}",
                    d.serial
                )));
            }
            if PanVersion::parse(&d.sw_version).is_none() {
                return Err(SimError::Fleet(format!(
                    "{}: bad sw_version {:?}",
                    d.serial, d.sw_version
                )));
            }
        }
        for d in &self.devices {
            let Some(ha) = &d.ha else { continue };
            let peer = by_serial.get(ha.peer.as_str()).ok_or_else(|| {
                SimError::Fleet(format!("{}: HA peer {} not in fleet", d.serial, ha.peer))
            })?;
            let back = peer.ha.as_ref().map(|h| h.peer.as_str());
            if back != Some(d.serial.as_str()) {
                return Err(SimError::Fleet(format!(
                    "{}: HA peer {} does not point back",
                    d.serial, ha.peer
                )));
            }
            let states = (
                ha.state.as_str(),
                peer.ha.as_ref().map(|h| h.state.as_str()).unwrap_or(""),
            );
            if !matches!(states, ("active", "passive") | ("passive", "active")) {
                return Err(SimError::Fleet(format!(
                    "{}: HA pair with {} must be one active and one passive, not {states:?}",
                    d.serial, ha.peer
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../examples/fleet.json");

    #[test]
    fn the_example_fleet_file_loads_and_validates() {
        let spec: FleetSpec = serde_json::from_str(EXAMPLE).unwrap();
        spec.validate().unwrap();
        assert!(spec.devices.iter().any(|d| d.ha.is_some()));
        assert!(spec.devices.iter().any(|d| !d.faults.is_empty()));
    }

    /// The builders give what the same device written as JSON (defaults filled in) gives.
    #[test]
    fn the_firewall_and_ha_pair_builders_match_their_json_form() {
        let json = |extra: serde_json::Value| -> DeviceSpec {
            let mut value = serde_json::json!({
                "serial": "0001A", "hostname": "fw-0001A", "model": "PA-VM",
                "ip_address": "192.0.2.20", "sw_version": "10.1.9",
                "sessions": 5000, "routes": 40, "arp": 20,
            });
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value(value).unwrap()
        };
        assert_eq!(
            DeviceSpec::firewall("0001A", "10.1.9"),
            json(serde_json::json!({}))
        );
        let pair = DeviceSpec::ha_pair("0001A", "0001B", "10.1.9");
        assert_eq!(
            pair[0],
            json(serde_json::json!({"ha": {"peer": "0001B", "state": "active", "priority": 100}}))
        );
        assert_eq!(pair[1].ha.as_ref().unwrap().state, "passive");
        assert_eq!(pair[1].ha.as_ref().unwrap().priority, 110);
        assert_eq!(
            (pair[1].serial.as_str(), pair[1].hostname.as_str()),
            ("0001B", "fw-0001B")
        );
        let fleet = FleetSpec {
            devices: pair,
            ..serde_json::from_str(EXAMPLE).unwrap()
        };
        fleet.validate().unwrap();
    }

    #[test]
    fn room_for_images_raises_free_disk_and_never_lowers_it() {
        let panrepo_mb = u64::from(crate::catalog::platform("PA-VM").panrepo_gb) * 1024;
        let mut tight = DeviceSpec::firewall("0002A", "10.1.9");
        tight.free_disk_mb = 100;
        let mut roomy = DeviceSpec::firewall("0002B", "10.1.9");
        roomy.free_disk_mb = panrepo_mb * 2;
        let mut fleet = FleetSpec {
            devices: vec![tight, roomy],
            ..serde_json::from_str(EXAMPLE).unwrap()
        };
        fleet.make_room_for_images();
        assert_eq!(fleet.devices[0].free_disk_mb, panrepo_mb * 9 / 10);
        assert_eq!(fleet.devices[1].free_disk_mb, panrepo_mb * 2);
    }

    #[test]
    fn a_one_sided_ha_pair_is_refused() {
        let mut spec: FleetSpec = serde_json::from_str(EXAMPLE).unwrap();
        let first_ha = spec.devices.iter().position(|d| d.ha.is_some()).unwrap();
        spec.devices[first_ha].ha.as_mut().unwrap().state = "passive".into();
        let peer = spec.devices[first_ha].ha.clone().unwrap().peer;
        let peer_idx = spec.devices.iter().position(|d| d.serial == peer).unwrap();
        spec.devices[peer_idx].ha.as_mut().unwrap().state = "passive".into();
        assert!(spec.validate().is_err());
    }
}
